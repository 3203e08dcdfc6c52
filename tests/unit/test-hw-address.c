/* SPDX-License-Identifier: MIT */
/*
 * Hardware address pins: the pure decoder (levels -> IPMB address or a reason), the [mc]
 * hardware-address-* keys with their file:line errors, and the reader seam with a fake
 * gpiochip (this machine has none), including its failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/hw-address.h"
#include "protocol/hw-address.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the decoder ---- */

struct decode_case {
        const char *name;
        int levels[8];
        size_t n;
        int parity;
        enum hw_address_status status;
        uint8_t ipmb;                   /* when HW_ADDRESS_OK */
};

static const struct decode_case decode_cases[] = {
        /* 0x41 = 1000001b, two ones: parity 1 makes three. PICMG's 2 x HA: 0x82. */
        { "ha41-parity-ok", { 1, 0, 0, 0, 0, 0, 1 }, 7, 1, HW_ADDRESS_OK, 0x82 },
        { "ha41-parity-error", { 1, 0, 0, 0, 0, 0, 1 }, 7, 0, HW_ADDRESS_PARITY, 0 },
        { "ha41-no-parity", { 1, 0, 0, 0, 0, 0, 1 }, 7, -1, HW_ADDRESS_OK, 0x82 },
        { "ha08-lowest", { 0, 0, 0, 1, 0, 0, 0 }, 7, 0, HW_ADDRESS_OK, 0x10 },
        { "ha07-below", { 1, 1, 1, 0, 0, 0, 0 }, 7, 0, HW_ADDRESS_OUT_OF_RANGE, 0 },
        { "ha77-highest", { 1, 1, 1, 0, 1, 1, 1 }, 7, 1, HW_ADDRESS_OK, 0xEE },
        { "ha78-above", { 0, 0, 0, 1, 1, 1, 1 }, 7, 1, HW_ADDRESS_OUT_OF_RANGE, 0 },
        { "ha7f-all-ones", { 1, 1, 1, 1, 1, 1, 1 }, 7, 0, HW_ADDRESS_OUT_OF_RANGE, 0 },
        { "ha00-all-zero", { 0, 0, 0, 0, 0, 0, 0 }, 7, 1, HW_ADDRESS_OUT_OF_RANGE, 0 },
        /* All zero with parity 0 is even: the parity check comes first. */
        { "ha00-parity-error", { 0, 0, 0, 0, 0, 0, 0 }, 7, 0, HW_ADDRESS_PARITY, 0 },
        /* Fewer lines: the high bits are 0. 5 lines, 0x1f -> 0x3e. */
        { "five-lines", { 1, 1, 1, 1, 1 }, 5, 0, HW_ADDRESS_OK, 0x3E },
        { "one-line", { 1 }, 1, 0, HW_ADDRESS_OUT_OF_RANGE, 0 },
        { "no-lines", { 0 }, 0, -1, HW_ADDRESS_BAD_COUNT, 0 },
        { "eight-lines", { 0, 0, 0, 1, 0, 0, 0, 0 }, 8, -1, HW_ADDRESS_BAD_COUNT, 0 },
        { "level-2", { 0, 0, 0, 2, 0, 0, 0 }, 7, -1, HW_ADDRESS_BAD_LEVEL, 0 },
        { "level-negative", { 0, 0, 0, -1, 0, 0, 0 }, 7, -1, HW_ADDRESS_BAD_LEVEL, 0 },
        { "parity-2", { 0, 0, 0, 1, 0, 0, 0 }, 7, 2, HW_ADDRESS_BAD_LEVEL, 0 },
};

static void test_decode(void **state) {
        for (size_t i = 0; i < N(decode_cases); i++) {
                const struct decode_case *t = &decode_cases[i];
                uint8_t ipmb = 0xAA;
                enum hw_address_status s;

                s = hw_address_decode(t->levels, t->n, t->parity, &ipmb, NULL);
                if (s != t->status)
                        fail_msg("%s: status %d, expected %d", t->name, s, t->status);
                /* The output is written if and only if the decode succeeded. */
                assert_int_equal(ipmb, s == HW_ADDRESS_OK ? t->ipmb : 0xAA);
                assert_non_null(hw_address_status_to_string(s));
        }
}

/* Every 7-bit pattern with its correct parity: exactly 0x08..0x77 are accepted, as 2 x HA. */
static void test_decode_exhaustive(void **state) {
        for (unsigned ha = 0; ha < 128; ha++) {
                int levels[7], ones = 0;
                uint8_t ipmb = 0, got_ha = 0;
                enum hw_address_status s;

                for (unsigned b = 0; b < 7; b++) {
                        levels[b] = (ha >> b) & 1;
                        ones += levels[b];
                }
                s = hw_address_decode(levels, 7, ones % 2 == 0, &ipmb, &got_ha);
                assert_int_equal(got_ha, ha);
                if (ha >= 0x08 && ha <= 0x77) {
                        assert_int_equal(s, HW_ADDRESS_OK);
                        assert_int_equal(ipmb, ha << 1);
                } else
                        assert_int_equal(s, HW_ADDRESS_OUT_OF_RANGE);
                /* The wrong parity is always caught. */
                assert_int_equal(hw_address_decode(levels, 7, ones % 2, &ipmb, NULL),
                                 HW_ADDRESS_PARITY);
        }
}

/* ---- configuration ---- */

static const char identity[] =
        "[identity]\n"
        "firmware-version = 1.05\n"
        "manufacturer-id = 0x007ED9\n"
        "product-id = 0x1291\n"
        "guid = 01234567-89ab-cdef-0011-223344556677\n";

/* Load "[mc]\n" + mc + identity as hw.ini; errors into *errs (caller frees). */
static int load_mc(const char *mc, struct satmc_config **ret, char **errs) {
        char *text = NULL;
        size_t len = 0;
        FILE *in, *err;
        int r;

        assert_true(asprintf(&text, "[mc]\n%s%s", mc, identity) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        err = open_memstream(errs, &len);
        assert_non_null(err);
        *ret = NULL;
        r = config_load_from_file(in, "hw.ini", err, ret);
        fclose(err);
        fclose(in);
        free(text);
        return r;
}

static void test_config_defaults(void **state) {
        struct satmc_config *c;
        char *errs;

        assert_int_equal(load_mc("address = 0x72\n", &c, &errs), 0);
        assert_string_equal(errs, "");
        assert_int_equal(c->hw_address_lines.n, 0);
        assert_string_equal(c->hw_address_chip, "gpiochip0");
        assert_int_equal(c->hw_address_parity_line, -1);
        assert_false(c->hw_address_active_low);
        assert_int_equal(c->i2c_allow.n, 0);
        config_free(c);
        free(errs);
}

static void test_config_lines_replace_address(void **state) {
        struct satmc_config *c;
        char *errs;

        /* No address, and no "address is required" either. */
        assert_int_equal(load_mc("hardware-address-chip = gpiochip2\n"
                                 "hardware-address-lines = 10 11 12 13 14 15 16\n"
                                 "hardware-address-parity-line = 17\n"
                                 "hardware-address-active-low = yes\n", &c, &errs), 0);
        assert_string_equal(errs, "");
        assert_string_equal(c->hw_address_chip, "gpiochip2");
        assert_int_equal(c->hw_address_lines.n, 7);
        for (unsigned i = 0; i < 7; i++)
                assert_int_equal(c->hw_address_lines.offsets[i], 10 + i);
        assert_int_equal(c->hw_address_parity_line, 17);
        assert_true(c->hw_address_active_low);
        assert_int_equal(c->address, 0);
        config_free(c);
        free(errs);

        /* Commas, hex and a single line are fine. */
        assert_int_equal(load_mc("hardware-address-lines = 0x3,4, 0\n", &c, &errs), 0);
        assert_string_equal(errs, "");
        assert_int_equal(c->hw_address_lines.n, 3);
        assert_int_equal(c->hw_address_lines.offsets[0], 3);
        assert_int_equal(c->hw_address_lines.offsets[2], 0);
        config_free(c);
        free(errs);
}

struct config_error_case {
        const char *mc;
        const char *errors;             /* exactly what is printed */
};

static const struct config_error_case config_errors[] = {
        { "address = 0x72\nhardware-address-lines = 1 2 3\n",
          "hw.ini:2: address cannot be combined with hardware-address-lines (line 3): the "
          "address comes from one or the other\n" },
        { "hardware-address-lines = 1 2 3\naddress = 0x72\n",
          "hw.ini:3: address cannot be combined with hardware-address-lines (line 2): the "
          "address comes from one or the other\n" },
        { "hardware-address-lines = 1 2 3 4 5 6 7 8\n",
          "hw.ini:2: hardware-address-lines: at most 7 lines (HA0..HA6)\n"
          "hw.ini: [mc] address is required (own IPMB slave address, 8-bit form (7-bit "
          "address << 1), e.g. 0x72)\n" },
        { "hardware-address-lines = 1 2 1\naddress = 0x72\n",
          "hw.ini:2: hardware-address-lines: line 1 is named twice\n" },
        { "hardware-address-lines = 1 x\naddress = 0x72\n",
          "hw.ini:2: hardware-address-lines: \"x\" is not a line offset (0..65535)\n" },
        { "hardware-address-lines = 65536\naddress = 0x72\n",
          "hw.ini:2: hardware-address-lines: \"65536\" is not a line offset (0..65535)\n" },
        { "hardware-address-lines = -1\naddress = 0x72\n",
          "hw.ini:2: hardware-address-lines: \"-1\" is not a line offset (0..65535)\n" },
        { "hardware-address-lines = ,\naddress = 0x72\n",
          "hw.ini:2: hardware-address-lines: name 1..7 line offsets, or none\n" },
        { "hardware-address-lines = 1 2 3\nhardware-address-parity-line = 2\n",
          "hw.ini:3: hardware-address-parity-line 2 is also an address line\n" },
        { "hardware-address-lines = 1 2 3\nhardware-address-parity-line = many\n",
          "hw.ini:3: \"many\" is not a number\n" },
        { "hardware-address-lines = 1 2 3\nhardware-address-active-low = maybe\n",
          "hw.ini:3: hardware-address-active-low \"maybe\" must be yes or no (true/false, "
          "on/off, 1/0)\n" },
        /* The other keys without lines: a forgotten list, unless they are the defaults. */
        { "address = 0x72\nhardware-address-parity-line = 7\nhardware-address-active-low = yes\n"
          "hardware-address-chip = gpiochip1\n",
          "hw.ini:5: hardware-address-chip needs hardware-address-lines\n"
          "hw.ini:3: hardware-address-parity-line needs hardware-address-lines\n"
          "hw.ini:4: hardware-address-active-low needs hardware-address-lines\n" },
        { "address = 0x72\nhardware-address-lines = 1\nhardware-address-lines = 2\n",
          "hw.ini:4: hardware-address-lines is already set on line 3\n"
          "hw.ini:2: address cannot be combined with hardware-address-lines (line 3): the "
          "address comes from one or the other\n" },
};

static void test_config_errors(void **state) {
        for (size_t i = 0; i < N(config_errors); i++) {
                struct satmc_config *c;
                char *errs;

                if (load_mc(config_errors[i].mc, &c, &errs) != -EINVAL)
                        fail_msg("case %zu loaded", i);
                assert_null(c);
                if (strcmp(errs, config_errors[i].errors) != 0)
                        fail_msg("case %zu printed\n%s\nnot\n%s", i, errs, config_errors[i].errors);
                free(errs);
        }
}

/* The defaults written out explicitly are no error (the reference dump does that). */
static void test_config_explicit_defaults(void **state) {
        struct satmc_config *c;
        char *errs;

        assert_int_equal(load_mc("address = 0x72\nhardware-address-chip = gpiochip0\n"
                                 "hardware-address-lines = none\n"
                                 "hardware-address-parity-line = none\n"
                                 "hardware-address-active-low = no\n", &c, &errs), 0);
        assert_string_equal(errs, "");
        assert_int_equal(c->address, 0x72);
        config_free(c);
        free(errs);
}

/* tests/unit/config/good-full.ini sets these keys (test-config checks the rest of it). */
static void test_good_full(void **state) {
        const char *root = getenv("SATMC_SOURCE_ROOT");
        struct satmc_config *c = NULL;
        char *path = NULL;

        assert_non_null(root);
        assert_true(asprintf(&path, "%s/tests/unit/config/good-full.ini", root) > 0);
        assert_int_equal(config_load(path, NULL, &c), 0);
        assert_string_equal(c->hw_address_chip, "/dev/gpiochip3");
        assert_int_equal(c->hw_address_lines.n, 7);
        assert_int_equal(c->hw_address_lines.offsets[0], 10);
        assert_int_equal(c->hw_address_lines.offsets[6], 16);
        assert_int_equal(c->hw_address_parity_line, 17);
        assert_true(c->hw_address_active_low);
        assert_int_equal(c->i2c_allow.n, 3);
        assert_true(i2c_allow_contains(&c->i2c_allow, 1, 0x50));
        assert_true(i2c_allow_contains(&c->i2c_allow, 1, 0x57));
        assert_false(i2c_allow_contains(&c->i2c_allow, 1, 0x58));
        assert_true(i2c_allow_contains(&c->i2c_allow, 2, 0x08));
        assert_false(i2c_allow_contains(&c->i2c_allow, 0, 0x50));
        config_free(c);
        free(path);
}

/* ---- the reader seam ---- */

/* A gpiochip whose lines carry electrical levels; active-low inverts them as the kernel does. */
struct fake_chip {
        int electrical[64];
        int fail;                       /* -errno to return, or 0 */
        unsigned calls;
        char chip[32];
        unsigned offsets[8];
        size_t n;
        bool active_low;
};

static int fake_read_lines(void *userdata, const char *chip, const unsigned *offsets, size_t n,
                           bool active_low, int *values) {
        struct fake_chip *f = userdata;

        f->calls++;
        snprintf(f->chip, sizeof(f->chip), "%s", chip);
        assert_true(n <= N(f->offsets));
        memcpy(f->offsets, offsets, n * sizeof(*offsets));
        f->n = n;
        f->active_low = active_low;
        if (f->fail)
                return f->fail;
        for (size_t i = 0; i < n; i++) {
                assert_true(offsets[i] < N(f->electrical));
                values[i] = f->electrical[offsets[i]] ^ active_low;
        }
        return 0;
}

static const struct gpio_reader_ops fake_ops = { .read_lines = fake_read_lines };

/* Lines 10..16 = HA0..HA6, 17 = parity, as in the example. */
static struct satmc_config *pins_config(bool parity, bool active_low) {
        struct satmc_config *c;
        char *errs, *mc = NULL;

        assert_true(asprintf(&mc, "hardware-address-lines = 10 11 12 13 14 15 16\n%s%s",
                             parity ? "hardware-address-parity-line = 17\n" : "",
                             active_low ? "hardware-address-active-low = yes\n" : "") > 0);
        assert_int_equal(load_mc(mc, &c, &errs), 0);
        assert_string_equal(errs, "");
        free(errs);
        free(mc);
        return c;
}

static void set_ha(struct fake_chip *f, unsigned ha, int parity, bool invert) {
        for (unsigned b = 0; b < 7; b++)
                f->electrical[10 + b] = (int) ((ha >> b) & 1) ^ invert;
        f->electrical[17] = parity ^ invert;
}

static void test_read_ok(void **state) {
        struct satmc_config *c = pins_config(true, false);
        struct fake_chip f = { .fail = 0 };
        char msg[320];
        uint8_t a = 0;

        set_ha(&f, 0x41, 1, false);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), 0);
        assert_int_equal(a, 0x82);
        /* One sample of all eight lines, in order, parity last. */
        assert_int_equal(f.calls, 1);
        assert_string_equal(f.chip, "gpiochip0");
        assert_int_equal(f.n, 8);
        for (unsigned i = 0; i < 8; i++)
                assert_int_equal(f.offsets[i], 10 + i);
        assert_false(f.active_low);
        assert_string_equal(msg, "Hardware address 0x41 from gpiochip0 lines 10=1 11=0 12=0 "
                            "13=0 14=0 15=0 16=1 parity 17=1: IPMB address 0x82");

        /* hw_address_apply() puts it into the configuration. */
        assert_int_equal(hw_address_apply(c, &fake_ops, &f), 0);
        assert_int_equal(c->address, 0x82);
        config_free(c);
}

static void test_read_active_low(void **state) {
        struct satmc_config *c = pins_config(true, true);
        struct fake_chip f = { .fail = 0 };
        char msg[320];
        uint8_t a = 0;

        /* Grounded pins mean 1: electrically the complement of 0x41 and its parity. */
        set_ha(&f, 0x41, 1, true);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), 0);
        assert_true(f.active_low);
        assert_int_equal(a, 0x82);
        assert_non_null(strstr(msg, "(active low)"));
        config_free(c);
}

static void test_read_without_parity(void **state) {
        struct satmc_config *c = pins_config(false, false);
        struct fake_chip f = { .fail = 0 };
        char msg[320];
        uint8_t a = 0;

        set_ha(&f, 0x10, 0, false);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), 0);
        assert_int_equal(f.n, 7);
        assert_int_equal(a, 0x20);
        assert_null(strstr(msg, "parity"));
        config_free(c);
}

static void test_read_parity_error(void **state) {
        struct satmc_config *c = pins_config(true, false);
        struct fake_chip f = { .fail = 0 };
        char msg[320];
        uint8_t a = 0x55;

        set_ha(&f, 0x41, 0, false);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), -EINVAL);
        assert_int_equal(a, 0x55);
        assert_string_equal(msg, "Hardware address from gpiochip0 lines 10=1 11=0 12=0 13=0 "
                            "14=0 15=0 16=1 parity 17=0: parity error (odd parity expected)");
        /* Refused: the configuration keeps no address. */
        c->address = 0;
        assert_int_equal(hw_address_apply(c, &fake_ops, &f), -EINVAL);
        assert_int_equal(c->address, 0);
        config_free(c);
}

static void test_read_out_of_range(void **state) {
        struct satmc_config *c = pins_config(true, false);
        struct fake_chip f = { .fail = 0 };
        char msg[320];
        uint8_t a = 0x55;

        set_ha(&f, 0x00, 1, false);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), -EINVAL);
        assert_int_equal(a, 0x55);
        assert_string_equal(msg, "Hardware address 0x00 from gpiochip0 lines 10=0 11=0 12=0 "
                            "13=0 14=0 15=0 16=0 parity 17=1 gives IPMB address 0x00, outside "
                            "0x10..0xee");
        set_ha(&f, 0x7F, 0, false);
        assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)), -EINVAL);
        assert_non_null(strstr(msg, "gives IPMB address 0xfe, outside 0x10..0xee"));
        config_free(c);
}

static void test_read_failures(void **state) {
        static const int errors[] = { -ENOENT, -EBUSY, -EINVAL, -EACCES, -ENODEV };
        struct satmc_config *c = pins_config(true, false);

        for (size_t i = 0; i < N(errors); i++) {
                struct fake_chip f = { .fail = errors[i] };
                char msg[320], *want = NULL;
                uint8_t a = 0x55;

                assert_int_equal(hw_address_read(c, &fake_ops, &f, &a, msg, sizeof(msg)),
                                 errors[i]);
                assert_int_equal(a, 0x55);
                assert_true(asprintf(&want, "Failed to read hardware address lines 10 11 12 13 "
                                     "14 15 16 17 of gpiochip0: %s", strerror(-errors[i])) > 0);
                assert_string_equal(msg, want);
                free(want);

                c->address = 0;
                assert_int_equal(hw_address_apply(c, &fake_ops, &f), errors[i]);
                assert_int_equal(c->address, 0);
        }
        config_free(c);
}

/* A fixed address: the pins are not read at all. */
static void test_apply_fixed_address(void **state) {
        struct satmc_config *c;
        struct fake_chip f = { .fail = -EIO };
        char *errs;

        assert_int_equal(load_mc("address = 0x72\n", &c, &errs), 0);
        free(errs);
        assert_int_equal(hw_address_apply(c, &fake_ops, &f), 0);
        assert_int_equal(f.calls, 0);
        assert_int_equal(c->address, 0x72);
        config_free(c);
}

/* The real reader on this machine: no such chip is an error, never a crash or an address. */
static void test_libgpiod_missing_chip(void **state) {
        unsigned offsets[1] = { 0 };
        int values[1] = { 7 };

        assert_true(gpio_reader_libgpiod.read_lines(NULL, "satmc-no-such-chip", offsets, 1,
                                                    false, values) < 0);
        assert_int_equal(values[0], 7);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode),
                cmocka_unit_test(test_decode_exhaustive),
                cmocka_unit_test(test_config_defaults),
                cmocka_unit_test(test_config_lines_replace_address),
                cmocka_unit_test(test_config_errors),
                cmocka_unit_test(test_config_explicit_defaults),
                cmocka_unit_test(test_good_full),
                cmocka_unit_test(test_read_ok),
                cmocka_unit_test(test_read_active_low),
                cmocka_unit_test(test_read_without_parity),
                cmocka_unit_test(test_read_parity_error),
                cmocka_unit_test(test_read_out_of_range),
                cmocka_unit_test(test_read_failures),
                cmocka_unit_test(test_apply_fixed_address),
                cmocka_unit_test(test_libgpiod_missing_chip),
        };

        return cmocka_run_group_tests_name("hw-address", tests, NULL, NULL);
}
