/* SPDX-License-Identifier: MIT */
/*
 * protocol/hpm.c: the HPM.1 request parsers on every length and a wrong PICMG Identifier
 * (outputs untouched on refusal), the response encoders against bytes ipmitool reads, version
 * text, the upgrade state machine (which command is valid when, resent blocks, sizes, the
 * long-duration bookkeeping), and the journal codec (round trip, every truncation, hostile
 * text).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/hpm.h"

/* Every parser on lengths 0..40 of a buffer whose byte 0 is the PICMG Identifier: a refusal
 * (0xC7 outside its length range) leaves the outputs alone. */
static void test_parsers_lengths(void **state) {
        uint8_t buf[40];

        (void) state;
        memset(buf, 0x01, sizeof(buf));
        buf[0] = HPM_PICMG_ID;
        for (size_t len = 0; len <= sizeof(buf); len++) {
                uint8_t a = 0xA5, b = 0xA5;
                uint32_t size = 0xA5A5A5A5;
                const uint8_t *data = NULL;
                size_t n = 77;
                int ov = 42, r;

                assert_int_equal(hpm_parse_plain(buf, len), len == 1 ? 0 : 0xC7);
                r = hpm_parse_get_properties(buf, len, &a, &b);
                assert_int_equal(r, len == 3 ? 0 : 0xC7);
                if (r)
                        assert_true(a == 0xA5 && b == 0xA5);
                a = b = 0xA5;
                r = hpm_parse_initiate(buf, len, &a, &b);
                assert_int_equal(r, len == 3 ? 0 : 0xC7);
                if (r)
                        assert_true(a == 0xA5 && b == 0xA5);
                a = 0xA5;
                r = hpm_parse_upload(buf, len, &a, &data, &n);
                assert_int_equal(r, len >= 3 ? 0 : 0xC7);
                if (r)
                        assert_true(a == 0xA5 && data == NULL && n == 77);
                else
                        assert_true(data == buf + 2 && n == len - 2);
                a = 0xA5;
                r = hpm_parse_finish(buf, len, &a, &size);
                assert_int_equal(r, len == 6 ? 0 : 0xC7);
                if (r)
                        assert_true(a == 0xA5 && size == 0xA5A5A5A5);
                else
                        assert_int_equal(size, 0x01010101);
                r = hpm_parse_activate(buf, len, &ov);
                assert_int_equal(r, len == 1 || len == 2 ? 0 : 0xC7);
                if (r)
                        assert_int_equal(ov, 42);
                else
                        assert_int_equal(ov, len == 2 ? 1 : -1);
        }
}

static void test_parsers_picmg_id(void **state) {
        uint8_t buf[8] = { 0x01, 0, 0, 0, 0, 0, 0, 0 }, a, b;
        const uint8_t *d;
        uint32_t size;
        size_t n;
        int ov;

        (void) state;
        assert_int_equal(hpm_parse_plain(buf, 1), 0xCC);
        assert_int_equal(hpm_parse_get_properties(buf, 3, &a, &b), 0xCC);
        assert_int_equal(hpm_parse_initiate(buf, 3, &a, &b), 0xCC);
        assert_int_equal(hpm_parse_upload(buf, 3, &a, &d, &n), 0xCC);
        assert_int_equal(hpm_parse_finish(buf, 6, &a, &size), 0xCC);
        assert_int_equal(hpm_parse_activate(buf, 1, &ov), 0xCC);
        /* An action past upload-for-compare and an override other than 0/1. */
        buf[0] = 0;
        buf[2] = 4;
        assert_int_equal(hpm_parse_initiate(buf, 3, &a, &b), 0xCC);
        buf[1] = 2;
        assert_int_equal(hpm_parse_activate(buf, 2, &ov), 0xCC);
        /* Finish's length is little-endian. */
        memcpy(buf, (uint8_t[]) { 0, 3, 0x78, 0x56, 0x34, 0x12 }, 6);
        assert_int_equal(hpm_parse_finish(buf, 6, &a, &size), 0);
        assert_int_equal(a, 3);
        assert_int_equal(size, 0x12345678);
}

static void test_encoders(void **state) {
        struct hpm_target_caps caps = {
                .capabilities = HPM_CAP_SELF_TEST | HPM_CAP_MANUAL_ROLLBACK,
                .upgrade_timeout = 12, .self_test_timeout = 2, .rollback_timeout = 12,
                .inaccessibility_timeout = 1, .components = 0x03,
        };
        struct hpm_version v = { .major = 1, .minor = 42, .aux = { 1, 2, 3, 4 } };
        uint8_t out[32];

        (void) state;
        assert_int_equal(hpm_encode_target_caps(&caps, out, 7), 0);
        assert_int_equal(hpm_encode_target_caps(&caps, out, sizeof(out)), 8);
        assert_memory_equal(out, ((uint8_t[]) { 0, 0, 0x05, 12, 2, 12, 1, 0x03 }), 8);
        assert_int_equal(hpm_encode_version_property(&v, out, 6), 0);
        assert_int_equal(hpm_encode_version_property(&v, out, sizeof(out)), 7);
        assert_memory_equal(out, ((uint8_t[]) { 0, 1, 0x42, 1, 2, 3, 4 }), 7);
        assert_int_equal(hpm_encode_description("bootloader-long", out, sizeof(out)), 13);
        assert_memory_equal(out, "\0bootloader-l", 13);
        assert_int_equal(hpm_encode_description("fpga", out, sizeof(out)), 13);
        assert_memory_equal(out, "\0fpga\0\0\0\0\0\0\0\0", 13);
        assert_int_equal(hpm_encode_description("fpga", out, 12), 0);
        assert_int_equal(hpm_encode_upgrade_status(0x33, 0x80, out, sizeof(out)), 3);
        assert_memory_equal(out, ((uint8_t[]) { 0, 0x33, 0x80 }), 3);
        assert_int_equal(hpm_encode_self_test(0x57, 0x02, out, 2), 0);
        assert_int_equal(hpm_encode_rollback_status(0x01, out, sizeof(out)), 2);
        assert_int_equal(hpm_encode_general_properties(0x0E, out, 1), 0);
        assert_int_equal(hpm_encode_plain(out, 0), 0);
}

static void test_version_text(void **state) {
        static const char *const bad[] = {
                "", "1", "1.", ".5", "128.00", "1.100", "1.5x", "a.b", "1.02 0a0b0c", "1.02 0a0b0c0d0e",
                "1.02 0a0b0c0g", "1.02 +0a0b0c0d", "-1.02", "1.02 0a0b0c0d x",
        };
        struct hpm_version v, untouched;

        (void) state;
        assert_int_equal(hpm_version_parse(" 1.02 0000abcd\n", &v), 0);
        assert_int_equal(v.major, 1);
        assert_int_equal(v.minor, 2);
        assert_memory_equal(v.aux, ((uint8_t[]) { 0, 0, 0xab, 0xcd }), 4);
        assert_int_equal(hpm_version_parse("127.99", &v), 0);
        assert_int_equal(v.major, 127);
        assert_int_equal(v.minor, 99);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&v, 0x5A, sizeof(v));
                untouched = v;
                if (hpm_version_parse(bad[i], &v) != -EINVAL)
                        fail_msg("\"%s\" accepted", bad[i]);
                assert_memory_equal(&v, &untouched, sizeof(v));
        }
}

static void test_machine_upload(void **state) {
        struct hpm_upgrade u;
        uint32_t off;
        bool repeat;
        uint8_t mask;

        (void) state;
        hpm_upgrade_init(&u, 0x05);
        assert_int_equal(hpm_upgrade_block(&u, 0, 10, &off, &repeat), 0xD5);
        assert_int_equal(hpm_upgrade_finish(&u, 0, 0), 0xD5);
        assert_int_equal(hpm_upgrade_activate(&u, &mask), 0xD5);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x00, HPM_ACTION_PREPARE, 0), 0x81);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x02, HPM_ACTION_PREPARE, 0), 0x81);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x05, HPM_ACTION_UPLOAD_UPGRADE, 100), 0x81);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x05, HPM_ACTION_PREPARE, 0), 0);
        assert_int_equal(u.state, HPM_STATE_PREPARED);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x04, HPM_ACTION_UPLOAD_UPGRADE, 25), 0);
        assert_int_equal(u.component, 2);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x01, HPM_ACTION_PREPARE, 0), 0xD5);
        assert_int_equal(hpm_upgrade_block(&u, 1, 10, &off, &repeat), 0xCC);
        assert_int_equal(hpm_upgrade_block(&u, 0, 0, &off, &repeat), 0xC7);
        assert_int_equal(hpm_upgrade_block(&u, 0, 10, &off, &repeat), 0);
        assert_true(off == 0 && !repeat);
        assert_int_equal(hpm_upgrade_block(&u, 0, 10, &off, &repeat), 0);
        assert_true(off == 0 && repeat);
        assert_int_equal(hpm_upgrade_block(&u, 0, 9, &off, &repeat), 0xCC);
        assert_int_equal(hpm_upgrade_block(&u, 1, 10, &off, &repeat), 0);
        assert_true(off == 10 && !repeat);
        assert_int_equal(hpm_upgrade_block(&u, 2, 6, &off, &repeat), 0xC4);   /* past 25 */
        assert_int_equal(hpm_upgrade_block(&u, 2, 5, &off, &repeat), 0);
        hpm_upgrade_block_failed(&u);   /* block 2 could not be stored */
        assert_int_equal(u.received, 20);
        assert_int_equal(hpm_upgrade_block(&u, 2, 5, &off, &repeat), 0);
        assert_true(off == 20 && !repeat);
        assert_int_equal(hpm_upgrade_finish(&u, 0, 25), 0x82);
        assert_int_equal(hpm_upgrade_finish(&u, 2, 24), 0x81);
        assert_int_equal(hpm_upgrade_finish(&u, 2, 25), 0);
        hpm_upgrade_begin(&u, HPM_CMD_FINISH_FIRMWARE_UPLOAD);
        assert_int_equal(hpm_upgrade_may_start(&u), 0xC0);
        assert_int_equal(hpm_upgrade_abort(&u), 0x81);
        assert_int_equal(u.last_cc, 0x80);
        hpm_upgrade_finished(&u, 0);
        hpm_upgrade_end(&u, 0);
        assert_int_equal(u.state, HPM_STATE_UPLOADED);
        assert_int_equal(u.uploaded, 0x04);
        assert_int_equal(u.last_cmd, HPM_CMD_FINISH_FIRMWARE_UPLOAD);
        assert_int_equal(u.last_cc, 0);
        assert_int_equal(hpm_upgrade_activate(&u, &mask), 0);
        assert_int_equal(mask, 0x04);
        assert_int_equal(u.state, HPM_STATE_IDLE);
        assert_int_equal(hpm_upgrade_activate(&u, &mask), 0xD5);
}

static void test_machine_block_wraps(void **state) {
        struct hpm_upgrade u;
        uint32_t off;
        bool repeat;

        (void) state;
        hpm_upgrade_init(&u, 0x01);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x01, HPM_ACTION_UPLOAD_UPGRADE, 1000), 0);
        for (unsigned i = 0; i < 300; i++) {
                assert_int_equal(hpm_upgrade_block(&u, (uint8_t) i, 3, &off, &repeat), 0);
                assert_int_equal(off, 3 * i);
        }
        /* Beyond the limit: refused and nothing counted. */
        for (unsigned i = 300; i < 400; i++)
                if (hpm_upgrade_block(&u, (uint8_t) i, 3, &off, &repeat) != 0)
                        break;
        assert_true(u.received <= 1000);
}

static void test_machine_compare_and_failure(void **state) {
        struct hpm_upgrade u;
        uint32_t off;
        bool repeat;

        (void) state;
        hpm_upgrade_init(&u, 0x01);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x01, HPM_ACTION_UPLOAD_COMPARE, 100), 0);
        assert_true(u.compare);
        assert_int_equal(hpm_upgrade_block(&u, 0, 4, &off, &repeat), 0);
        assert_int_equal(hpm_upgrade_finish(&u, 0, 4), 0);
        hpm_upgrade_finished(&u, 0);
        assert_int_equal(u.uploaded, 0);      /* a compare never waits for activation */
        assert_int_equal(u.state, HPM_STATE_IDLE);
        assert_int_equal(hpm_upgrade_initiate(&u, 0x01, HPM_ACTION_UPLOAD_UPGRADE, 100), 0);
        assert_int_equal(hpm_upgrade_block(&u, 0, 4, &off, &repeat), 0);
        assert_int_equal(hpm_upgrade_finish(&u, 0, 4), 0);
        hpm_upgrade_finished(&u, 0x82);
        assert_int_equal(u.uploaded, 0);      /* a failed finish drops the upload */
        hpm_upgrade_note(&u, HPM_CMD_ABORT_FIRMWARE_UPGRADE, 0);
        assert_int_equal(u.last_cmd, HPM_CMD_ABORT_FIRMWARE_UPGRADE);
}

static void sample_journal(struct hpm_journal *j) {
        memset(j, 0, sizeof(*j));
        j->component[0] = (struct hpm_journal_entry) {
                .phase = HPM_JOURNAL_ACTIVATING, .slot = 1, .rolled_back = false,
                .has_rollback = true, .has_rollback_version = true,
                .rollback_version = { .major = 127, .minor = 99, .aux = { 0xde, 0xad, 0, 1 } },
                .checksum = 0xFFFFFFFF, .size = 0xFFFFFFFF,
        };
        j->component[7] = (struct hpm_journal_entry) {
                .phase = HPM_JOURNAL_ROLLING_BACK, .rolled_back = true, .checksum = 1, .size = 2,
        };
}

static void test_journal_round_trip(void **state) {
        struct hpm_journal a, b;
        char text[HPM_JOURNAL_MAX];
        size_t n;

        (void) state;
        sample_journal(&a);
        n = hpm_journal_encode(&a, text, sizeof(text));
        assert_true(n > 0 && n < sizeof(text));
        assert_int_equal(hpm_journal_parse(text, n, &b), 0);
        assert_memory_equal(&a, &b, sizeof(a));
        /* Every truncation, and one byte more, is refused with the output untouched. */
        for (size_t len = 0; len < n; len++) {
                memset(&b, 0x5A, sizeof(b));
                assert_int_equal(hpm_journal_parse(text, len, &b), -EINVAL);
                for (size_t i = 0; i < sizeof(b); i++)
                        assert_int_equal(((uint8_t *) &b)[i], 0x5A);
        }
        text[n] = '\n';
        assert_int_equal(hpm_journal_parse(text, n + 1, &b), -EINVAL);
        /* A small buffer gives a truncated text, never an overflow. */
        assert_true(hpm_journal_encode(&a, text, 10) < 10);
}

static void test_journal_hostile(void **state) {
        static const char *const bad[] = {
                "0 idle 0 0 0 - 00000000 0\n",  /* only one line */
                "1 idle 0 0 0 - 00000000 0\n",
                "0 busy 0 0 0 - 00000000 0\n",
                "0 idle 2 0 0 - 00000000 0\n",
                "0 idle 0 0 0 128.00:00000000 00000000 0\n",
                "0 idle 0 0 0 1.100:00000000 00000000 0\n",
                "0 idle 0 0 0 - 000000000 0\n",
                "0 idle 0 0 0 - 00000000 4294967296\n",
                "0 idle 0 0 0 - 0000000g 0\n",
                "0  idle 0 0 0 - 00000000 0\n",
        };
        struct hpm_journal j;
        char text[HPM_JOURNAL_MAX + 16];

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (hpm_journal_parse(bad[i], strlen(bad[i]), &j) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
        memset(text, '0', sizeof(text));
        assert_int_equal(hpm_journal_parse(text, sizeof(text), &j), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parsers_lengths),
                cmocka_unit_test(test_parsers_picmg_id),
                cmocka_unit_test(test_encoders),
                cmocka_unit_test(test_version_text),
                cmocka_unit_test(test_machine_upload),
                cmocka_unit_test(test_machine_block_wraps),
                cmocka_unit_test(test_machine_compare_and_failure),
                cmocka_unit_test(test_journal_round_trip),
                cmocka_unit_test(test_journal_hostile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
