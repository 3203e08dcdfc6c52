/* SPDX-License-Identifier: MIT */
/*
 * The typed multirecord sections ([fru.N.power-supply.M], [fru.N.dc-output.M],
 * [fru.N.dc-load.M], [fru.N.management-access]) and the multirecord key's layout check, as
 * config_load() and config_fru_build_image() see them: values with units land in the image as
 * the spec encodes them, several records of a type come in order, and every wrong value is one
 * error with its file:line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config-fru.h"
#include "daemon/config-parse.h"

#define BASE "[mc]\naddress = 0x84\n[identity]\nfirmware-version = 1.05\n" \
             "manufacturer-id = 0x007ED9\nproduct-id = 0x1291\n" \
             "guid = 01234567-89ab-cdef-0011-223344556677\n"
#define BASE_LINES 7

static int load(const char *text, struct satmc_config **ret, char **err) {
        size_t len = 0;
        FILE *out = open_memstream(err, &len);
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(out);
        assert_non_null(in);
        r = config_load_from_file(in, "mem.ini", out, ret);
        fclose(in);
        fclose(out);
        return r;
}

/* The multirecord area of [fru.0]'s image: the records' bytes, headers included. */
static size_t area_of(const char *text, uint8_t *area, size_t cap) {
        struct satmc_config *c = NULL;
        char *err = NULL;
        uint8_t *img = NULL;
        struct fru_parsed p;
        size_t n;

        if (load(text, &c, &err) < 0)
                fail_msg("load failed: %s", err);
        free(err);
        assert_int_equal(config_fru_build_image(&c->fru[0], &img, &n), 0);
        assert_int_equal(fru_parse(img, n, &p, NULL), 0);
        assert_true(p.areas[FRU_AREA_MULTIRECORD].present);
        assert_true(p.areas[FRU_AREA_MULTIRECORD].length <= cap);
        memcpy(area, img + p.areas[FRU_AREA_MULTIRECORD].offset, p.areas[FRU_AREA_MULTIRECORD].length);
        n = p.areas[FRU_AREA_MULTIRECORD].length;
        free(img);
        config_free(c);
        return n;
}

static void test_power_supply_encoded(void **state) {
        static const char text[] = BASE
                "[fru.0]\nboard-manufacturer = Acme\n"
                "[fru.0.power-supply]\n"
                "capacity = 550 W\npeak-va = 600 VA\ninrush-current = 30 A\ninrush-interval = 10 ms\n"
                "input-voltage-1 = 90..264 V\ninput-frequency = 47..63 Hz\n"
                "ac-dropout-tolerance = 12 ms\npower-factor-correction = yes\nhot-swap = yes\n"
                "predictive-fail = tachometer-2-pulses\ntachometer-lower-threshold = 40 RPS\n"
                "peak-capacity = 650 W\nhold-up-time = 1000 ms\n"
                "combined-voltages = 12 V, 5 V\ncombined-wattage = 500 W\n";
        struct fru_power_supply ps = {
                .capacity_w = 550, .peak_va = 600, .inrush_current_a = 30,
                .inrush_interval_ms = 10, .input = { { 9000, 26400 } }, .frequency_low_hz = 47,
                .frequency_high_hz = 63, .dropout_tolerance_ms = 12, .predictive_fail = true,
                .power_factor_correction = true, .hot_swap = true, .tach_or_polarity = true,
                .peak_w = 650, .hold_up_s = 1, .combined_voltage = { 0, 2 }, .combined_w = 500,
                .tach_lower_rps = 40,
        };
        uint8_t want[FRU_POWER_SUPPLY_LEN], area[64];

        (void) state;
        assert_int_equal(fru_encode_power_supply(&ps, want), 0);
        assert_int_equal(area_of(text, area, sizeof(area)), 5 + FRU_POWER_SUPPLY_LEN);
        assert_int_equal(area[0], FRU_RECORD_POWER_SUPPLY);
        assert_int_equal(area[1], 0x82);        /* the only record: end of list */
        assert_memory_equal(area + 5, want, sizeof(want));
}

/* Several records of a type, in order: power supply, DC outputs by number, DC loads,
 * management access by sub-record type, then the multirecord key's. */
static void test_order_and_several(void **state) {
        static const char text[] = BASE
                "[fru.0]\nmultirecord = 0xC0:0102\nboard-manufacturer = Acme\n"
                "[fru.0.management-access]\ncomponent-name = PSU slot 1\n"
                "system-unique-id = 01234567-89ab-cdef-0011-223344556677\n"
                "[fru.0.dc-output.3]\nnominal-voltage = -12 V\nmax-current = 500 mA\n"
                "[fru.0.dc-output.1]\nnominal-voltage = 3300 mV\nmax-current = 10 A\n"
                "[fru.0.dc-load.0]\nnominal-voltage = 12 V\nmin-voltage = 11.4 V\n"
                "max-voltage = 12.6V\nmax-current = 0.5 A\n";
        static const uint8_t types[] = { 0x01, 0x01, 0x02, 0x03, 0x03, 0xC0 };
        uint8_t area[256];
        size_t n = area_of(text, area, sizeof(area)), p = 0, i = 0;

        (void) state;
        for (; p < n; i++) {
                assert_true(i < sizeof(types));
                assert_int_equal(area[p], types[i]);
                assert_int_equal(!!(area[p + 1] & 0x80), i + 1 == sizeof(types));
                if (i == 0) {           /* output 1: 3.30 V = 330 */
                        assert_int_equal(area[p + 5], 1);
                        assert_int_equal(area[p + 6] | area[p + 7] << 8, 330);
                        assert_int_equal(area[p + 16] | area[p + 17] << 8, 10000);
                }
                if (i == 1) {           /* output 3: -12.00 V, signed */
                        assert_int_equal(area[p + 5], 3);
                        assert_int_equal((int16_t) (area[p + 6] | area[p + 7] << 8), -1200);
                }
                if (i == 3)
                        assert_int_equal(area[p + 5], FRU_MGMT_COMPONENT_NAME);
                if (i == 4) {
                        assert_int_equal(area[p + 5], FRU_MGMT_SYSTEM_UNIQUE_ID);
                        assert_int_equal(area[p + 2], 17);
                }
                p += 5 + area[p + 2];
        }
        assert_int_equal(i, sizeof(types));
}

/* One error, with its line, for each wrong thing; nothing else. */
static void expect_error(const char *body, unsigned line, const char *want) {
        struct satmc_config *c = NULL;
        char *text = NULL, *err = NULL, *prefix = NULL;

        assert_true(asprintf(&text, BASE "[fru.0]\nboard-manufacturer = Acme\n%s", body) > 0);
        assert_int_equal(load(text, &c, &err), -EINVAL);
        assert_true(asprintf(&prefix, "mem.ini:%u: %s", BASE_LINES + 2 + line, want) > 0);
        if (strncmp(err, prefix, strlen(prefix)) != 0 || strchr(err, '\n') != err + strlen(err) - 1)
                fail_msg("for\n%s\nwanted one error \"%s...\", got:\n%s", body, prefix, err);
        free(prefix);
        free(err);
        free(text);
}

static void test_errors(void **state) {
        (void) state;
        /* The case: a hand-typed type 0x00 record one byte short. */
        expect_error("multirecord = 0x00:0000000000000000000000000000000000000000000000\n", 1,
                     "multirecord record 1: power supply record (type 0x00) is 23 bytes");
        expect_error("[fru.0.power-supply.0]\ncapacity = 5000 W\ninput-voltage-1 = 90..264 V\n", 2,
                     "capacity \"5000 W\" is outside 1 W..4095 W");
        expect_error("[fru.0.power-supply.0]\ncapacity = 99999999999 W\n"
                     "input-voltage-1 = 90..264 V\n", 2,
                     "capacity \"99999999999 W\" is outside 1 W..4095 W");
        expect_error("[fru.0.power-supply.0]\ncapacity = 4294967846 W\n"
                     "input-voltage-1 = 90..264 V\n", 2,
                     "capacity \"4294967846 W\" is outside 1 W..4095 W");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550\ninput-voltage-1 = 90..264 V\n", 2,
                     "capacity \"550\" must be a number and its unit (W)");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 V\ninput-voltage-1 = 90..264 V\n", 2,
                     "capacity \"550 V\" must be a number and its unit (W)");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\ninput-voltage-1 = 264..90 V\n", 3,
                     "input-voltage-1 \"264..90 V\": the low end is above the high end");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\ninput-voltage-1 = 90..700 V\n", 3,
                     "input-voltage-1 \"90..700 V\" is outside 0.01 V..655.35 V");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\n", 2,
                     "[fru.0.power-supply.0] input-voltage-1 is required (first input voltage range");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\ninput-voltage-1 = 90..264 V\n"
                     "predictive-fail = tachometer-1-pulse\n", 4,
                     "[fru.0.power-supply.0]: tachometer-lower-threshold is 0");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\ninput-voltage-1 = 90..264 V\n"
                     "combined-wattage = 300 W\n", 4,
                     "[fru.0.power-supply.0]: combined-voltages and combined-wattage go together");
        expect_error("[fru.0.power-supply.0]\ncapacity = 550 W\ninput-voltage-1 = 90..264 V\n"
                     "hold-up-time = 16 s\n", 4, "hold-up-time \"16 s\" is outside 0 s..15 s");
        expect_error("[fru.0.dc-output.0]\nnominal-voltage = 12.005 V\nmax-current = 1 A\n", 2,
                     "nominal-voltage \"12.005 V\" is not a whole number of 10 mV");
        expect_error("[fru.0.dc-output.0]\nnominal-voltage = 12 V\nmax-current = 70 A\n", 3,
                     "max-current \"70 A\" is outside 0 A..65.535 A");
        expect_error("[fru.0.dc-output.0]\nnominal-voltage = 12 V\nmax-current = 1 A\n"
                     "max-negative-deviation = 0.6 V\n", 4,
                     "max-negative-deviation \"0.6 V\" is outside -327.68 V..0 V");
        expect_error("[fru.0.dc-output.0]\nnominal-voltage = 12 V\nmax-current = 1 A\n"
                     "min-current = 2 A\n", 2,
                     "[fru.0.dc-output.0]: DC output record: minimum current 2000 mA is above");
        expect_error("[fru.0.dc-output.0]\nnominal-voltage = 12 V\n", 2,
                     "[fru.0.dc-output.0] max-current is required (maximum current draw");
        expect_error("[fru.0.dc-output.16]\nnominal-voltage = 12 V\n", 1,
                     "unknown section [fru.0.dc-output.16] (FRU records are");
        expect_error("[fru.0.dc-outputs.1]\nnominal-voltage = 12 V\n", 1,
                     "unknown section [fru.0.dc-outputs.1]");
        expect_error("[fru.0.dc-load.2]\nnominal-voltage = 12 V\nmin-voltage = 12.1 V\n"
                     "max-voltage = 12.6 V\nmax-current = 1 A\n", 2,
                     "[fru.0.dc-load.2]: nominal-voltage is outside min-voltage..max-voltage");
        expect_error("[fru.0.management-access]\nsystem-name = short\n", 2,
                     "system-name is 5 characters; the FRU spec's management access record holds 8..64");
        expect_error("[fru.0.management-access]\nsystem-unique-id = 12\n", 2,
                     "system-unique-id \"12\" must look like");
        expect_error("[fru.1.dc-output.0]\nnominal-voltage = 12 V\nmax-current = 1 A\n", 2,
                     "FRU records of device 1, but no [fru.1] section with its keys");
}

/* A text file of records: a 200-byte OEM record over many lines, more than a configuration
 * line could hold, lands whole after the multirecord key's record. */
static char *write_records(const char *text) {
        char *path = strdup("/tmp/satmc-records-XXXXXX");
        int fd = mkstemp(path);
        FILE *f;

        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
        return path;
}

static void test_multirecord_file(void **state) {
        char *body = NULL, *path, *config = NULL;
        uint8_t area[512];
        size_t n, len = 0;
        FILE *f = open_memstream(&body, &len);

        (void) state;
        assert_non_null(f);
        fprintf(f, "# an OEM record too long for one line\n0xC0: 7ed900   # IANA\n");
        for (unsigned i = 3; i < 200; i++)
                fprintf(f, "%02x%s", i & 0xFF, i % 16 == 15 ? "\n" : " ");
        fprintf(f, "\n\n0x01:01 b004 c4ff 3c00\n 7800 0000 a00f\n");
        assert_int_equal(fclose(f), 0);
        path = write_records(body);
        assert_true(asprintf(&config, BASE "[fru.0]\nboard-manufacturer = Acme\n"
                             "multirecord = 0xC1:0102\nmultirecord-file = %s\n", path) > 0);
        n = area_of(config, area, sizeof(area));
        assert_int_equal(n, 5 + 2 + 5 + 200 + 5 + 13);
        assert_int_equal(area[0], 0xC1);
        assert_int_equal(area[7], 0xC0);
        assert_int_equal(area[9], 200);
        assert_int_equal(area[12], 0x7E);
        assert_int_equal(area[12 + 199], 199);
        assert_int_equal(area[212], 0x01);
        assert_int_equal(area[213], 0x82);      /* the last: end of list */
        unlink(path);
        free(path);
        free(config);
        free(body);

        /* Errors name the record file's line, and the configuration's. */
        static const struct {
                const char *file, *want;
        } bad[] = {
                { "0xC0: 01\n\n0x00: 0102\n", ":3: power supply record (type 0x00) is 2 bytes" },
                { "0102\n", ":1: data before the first \"TYPE:\"" },
                { "0xC0: 01\n 0x02\n", ":2: \"0x02\" is not hex bytes" },
                { "0x1C0: 01\n", ":1: \"0x1C0\" is not a record type" },
                { "# nothing\n", ": no records" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct satmc_config *c = NULL;
                char *err = NULL, *want = NULL;

                path = write_records(bad[i].file);
                assert_true(asprintf(&config, BASE "[fru.0]\nboard-manufacturer = Acme\n"
                                     "multirecord-file = %s\n", path) > 0);
                assert_true(asprintf(&want, "mem.ini:%u: multirecord-file %s%s", BASE_LINES + 3,
                                     path, bad[i].want) > 0);
                assert_int_equal(load(config, &c, &err), -EINVAL);
                if (strncmp(err, want, strlen(want)) != 0)
                        fail_msg("wanted \"%s...\", got \"%s\"", want, err);
                unlink(path);
                free(path);
                free(config);
                free(want);
                free(err);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_power_supply_encoded),
                cmocka_unit_test(test_order_and_several),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_multirecord_file),
        };

        return cmocka_run_group_tests_name("config-fru-record", tests, NULL, NULL);
}
