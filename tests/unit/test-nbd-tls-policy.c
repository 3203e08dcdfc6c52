/* SPDX-License-Identifier: MIT */
/*
 * The pure halves of NBD TLS: what each listener mode answers to each option before and after
 * STARTTLS (protocol/nbd-tls-policy.c), and the PSK file's line parser on hostile lines
 * (protocol/psk-line.c): truncated, odd, oversized, non-hex, controls in the name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/nbd-tls-policy.h"
#include "protocol/nbd-wire.h"
#include "protocol/psk-line.h"

static const uint32_t every_option[] = {
        NBD_OPT_EXPORT_NAME, NBD_OPT_ABORT, NBD_OPT_LIST, NBD_OPT_PEEK_EXPORT, NBD_OPT_INFO,
        NBD_OPT_GO, NBD_OPT_STRUCTURED_REPLY, NBD_OPT_LIST_META_CONTEXT,
        NBD_OPT_SET_META_CONTEXT, NBD_OPT_EXTENDED_HEADERS, 0, 12, 0xFFFFFFFF,
};

/* require: before the upgrade nothing but STARTTLS and ABORT; EXPORT_NAME is hung up on. */
static void test_require_before_tls(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(every_option) / sizeof(every_option[0]); i++) {
                uint32_t o = every_option[i];
                enum nbd_tls_verdict v = nbd_tls_option_verdict(NBD_TLS_REQUIRE, false, o, 0);

                if (o == NBD_OPT_ABORT)
                        assert_int_equal(v, NBD_TLS_SERVE);
                else if (o == NBD_OPT_EXPORT_NAME)
                        assert_int_equal(v, NBD_TLS_HANG_UP);
                else
                        assert_int_equal(v, NBD_TLS_REFUSE_REQD);
        }
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_REQUIRE, false, NBD_OPT_STARTTLS, 0),
                         NBD_TLS_START);
        /* No export is visible in plain, public or not. */
        assert_false(nbd_tls_export_visible(NBD_TLS_REQUIRE, false, true));
        assert_true(nbd_tls_export_visible(NBD_TLS_REQUIRE, true, false));
}

/* After the upgrade everything is served, and STARTTLS again is invalid. */
static void test_after_tls(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(every_option) / sizeof(every_option[0]); i++) {
                assert_int_equal(nbd_tls_option_verdict(NBD_TLS_REQUIRE, true, every_option[i], 0),
                                 NBD_TLS_SERVE);
                assert_int_equal(nbd_tls_option_verdict(NBD_TLS_ON, true, every_option[i], 7),
                                 NBD_TLS_SERVE);
        }
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_REQUIRE, true, NBD_OPT_STARTTLS, 0),
                         NBD_TLS_REFUSE_INVALID);
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_ON, true, NBD_OPT_STARTTLS, 0),
                         NBD_TLS_REFUSE_INVALID);
}

/* on: options are served in plain, but only public exports are seen. */
static void test_on_shows_public_only(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(every_option) / sizeof(every_option[0]); i++)
                assert_int_equal(nbd_tls_option_verdict(NBD_TLS_ON, false, every_option[i], 0),
                                 NBD_TLS_SERVE);
        assert_true(nbd_tls_export_visible(NBD_TLS_ON, false, true));
        assert_false(nbd_tls_export_visible(NBD_TLS_ON, false, false));
        assert_true(nbd_tls_export_visible(NBD_TLS_ON, true, false));
}

/* off: STARTTLS is unsupported, everything else as always. */
static void test_off(void **state) {
        (void) state;
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_OFF, false, NBD_OPT_STARTTLS, 0),
                         NBD_TLS_REFUSE_UNSUP);
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_OFF, false, NBD_OPT_GO, 0), NBD_TLS_SERVE);
        assert_true(nbd_tls_export_visible(NBD_TLS_OFF, false, false));
}

/* STARTTLS carries no data: with some it is invalid, not a start. */
static void test_starttls_with_data(void **state) {
        (void) state;
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_REQUIRE, false, NBD_OPT_STARTTLS, 1),
                         NBD_TLS_REFUSE_INVALID);
        assert_int_equal(nbd_tls_option_verdict(NBD_TLS_ON, false, NBD_OPT_STARTTLS, 4096),
                         NBD_TLS_REFUSE_INVALID);
}

static void test_mode_names(void **state) {
        enum nbd_tls_mode m;

        (void) state;
        for (int i = NBD_TLS_OFF; i <= NBD_TLS_REQUIRE; i++) {
                assert_int_equal(nbd_tls_mode_from_name(nbd_tls_mode_name(i), &m), 0);
                assert_int_equal(m, i);
        }
        assert_int_equal(nbd_tls_mode_from_name("yes", &m), -EINVAL);
        assert_int_equal(nbd_tls_mode_from_name("", &m), -EINVAL);
        assert_null(nbd_tls_mode_name(3));
}

static int parse(const char *line, struct psk_entry *e, const char **reason) {
        *reason = NULL;
        return psk_parse_line(line, strlen(line), e, reason);
}

static void test_psk_good(void **state) {
        struct psk_entry e;
        const char *reason;

        (void) state;
        assert_int_equal(parse("alice:000102030405060708090a0b0c0d0e0F", &e, &reason), 1);
        assert_string_equal(e.username, "alice");
        assert_int_equal(e.key_len, 16);
        assert_int_equal(e.key[0], 0);
        assert_int_equal(e.key[15], 0x0F);
        /* CRLF files, and a colon in the key part is not a second field: it is bad hex. */
        assert_int_equal(parse("bob:00112233445566778899aabbccddeeff\r", &e, &reason), 1);
        assert_string_equal(e.username, "bob");
        assert_int_equal(parse("", &e, &reason), 0);
        assert_int_equal(parse("# comment:0011", &e, &reason), 0);
        assert_int_equal(parse("\r", &e, &reason), 0);
}

static void test_psk_hostile(void **state) {
        static const char *const bad[] = {
                "alice",                                        /* no colon */
                ":00112233445566778899aabbccddeeff",            /* no username */
                "alice:",                                       /* no key */
                "alice:0011223344556677",                       /* 8 bytes: too short */
                "alice:00112233445566778899aabbccddeef",        /* odd digits */
                "alice:00112233445566778899aabbccddeegg",       /* not hex */
                "alice:00112233445566778899aabbccdd:eff",       /* a second colon */
                "al\x01ice:00112233445566778899aabbccddeeff",   /* control in the name */
                "alice:00112233445566778899aabbccddeeff ",      /* trailing space */
                " :00112233445566778899aabbccddeeff0",
        };
        char longname[PSK_USERNAME_MAX + 40], longkey[2 * PSK_KEY_MAX + 10];
        struct psk_entry e;
        const char *reason;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(parse(bad[i], &e, &reason), -EINVAL);
                assert_non_null(reason);
                /* The reason never quotes the line (it may hold a key). */
                assert_null(strstr(reason, "0011"));
        }
        memset(longname, 'a', PSK_USERNAME_MAX + 1);
        strcpy(longname + PSK_USERNAME_MAX + 1, ":00112233445566778899aabbccddeeff");
        assert_int_equal(parse(longname, &e, &reason), -EINVAL);
        memcpy(longkey, "a:", 2);
        memset(longkey + 2, 'f', 2 * PSK_KEY_MAX + 2);
        longkey[2 * PSK_KEY_MAX + 4] = '\0';
        assert_int_equal(parse(longkey, &e, &reason), -EINVAL);
        longkey[2 * PSK_KEY_MAX + 2] = '\0';    /* exactly the maximum */
        assert_int_equal(parse(longkey, &e, &reason), 1);
        assert_int_equal(e.key_len, PSK_KEY_MAX);
        /* The length is what counts, not a NUL: a line cut short parses as what is there. */
        assert_int_equal(psk_parse_line("alice:00112233445566778899aabbccddeeff", 20, &e, &reason),
                         -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_require_before_tls),
                cmocka_unit_test(test_after_tls),
                cmocka_unit_test(test_on_shows_public_only),
                cmocka_unit_test(test_off),
                cmocka_unit_test(test_starttls_with_data),
                cmocka_unit_test(test_mode_names),
                cmocka_unit_test(test_psk_good),
                cmocka_unit_test(test_psk_hostile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
