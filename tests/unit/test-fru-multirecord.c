/* SPDX-License-Identifier: MIT */
/*
 * protocol/fru-multirecord.c: the typed records encoded byte for byte as the FRU spec (v1.0
 * rev 1.3, 18.1-18.4) lays them out, the layout check on good, bad and hostile records, and
 * the multirecord area's headers, checksums and end-of-list bit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/fru.h"

/* The 550 W supply of examples/psu.ini. */
static const struct fru_power_supply psu = {
        .capacity_w = 550, .peak_va = 600, .inrush_current_a = 30, .inrush_interval_ms = 10,
        .input = { { 9000, 26400 }, { 0, 0 } }, .frequency_low_hz = 47, .frequency_high_hz = 63,
        .dropout_tolerance_ms = 12, .predictive_fail = true, .power_factor_correction = true,
        .hot_swap = true, .tach_or_polarity = true, .peak_w = 650, .hold_up_s = 1,
        .combined_voltage = { FRU_COMBINED_12V, FRU_COMBINED_5V }, .combined_w = 500,
        .tach_lower_rps = 40,
};

static void test_power_supply_bytes(void **state) {
        static const uint8_t want[FRU_POWER_SUPPLY_LEN] = {
                0x26, 0x02,             /* 550 W */
                0x58, 0x02,             /* 600 VA */
                30, 10,                 /* inrush 30 A for 10 ms */
                0x28, 0x23, 0x20, 0x67, /* 90.00 .. 264.00 V in 10 mV */
                0x00, 0x00, 0x00, 0x00, /* no second range */
                47, 63, 12,             /* Hz, Hz, dropout ms */
                0x1B,                   /* tach(4) | hot swap(3) | PFC(1) | predictive(0) */
                0x8A, 0x12,             /* hold-up 1 s << 12 | 650 W */
                0x02,                   /* 12 V (0) << 4 | 5 V (2) */
                0xF4, 0x01,             /* 500 W combined */
                40,                     /* RPS */
        };
        uint8_t out[FRU_POWER_SUPPLY_LEN];
        struct fru_power_supply bad = psu;

        (void) state;
        assert_int_equal(fru_encode_power_supply(&psu, out), 0);
        assert_memory_equal(out, want, sizeof(want));
        assert_int_equal(fru_record_check(FRU_RECORD_POWER_SUPPLY, out, sizeof(out), NULL, 0), 0);

        /* Fields wider than their bits are refused, not truncated. */
        bad.capacity_w = 4096;
        assert_int_equal(fru_encode_power_supply(&bad, out), -EINVAL);
        bad = psu;
        bad.peak_w = 4096;
        assert_int_equal(fru_encode_power_supply(&bad, out), -EINVAL);
        bad = psu;
        bad.hold_up_s = 16;
        assert_int_equal(fru_encode_power_supply(&bad, out), -EINVAL);
}

static void test_dc_bytes(void **state) {
        static const uint8_t want_out[FRU_DC_OUTPUT_LEN] = {
                0x81,                   /* standby | output 1 */
                0xB0, 0x04, 0xC4, 0xFF, 0x3C, 0x00,     /* 12.00 V, -0.60 V, +0.60 V */
                0x78, 0x00,             /* 120 mV */
                0x00, 0x00, 0xC4, 0x09, /* 0 .. 2500 mA */
        };
        static const uint8_t want_load[FRU_DC_LOAD_LEN] = {
                0x02,
                0x4A, 0x01, 0x3B, 0x01, 0x59, 0x01,     /* 3.30 V in 3.15 .. 3.45 V */
                0x32, 0x00, 0xE8, 0x03, 0x10, 0x27,     /* 50 mV, 1 .. 10 A */
        };
        struct fru_dc_output dc = { .number = 1, .standby = true, .nominal_10mv = 1200,
                                    .negative_deviation_10mv = -60, .positive_deviation_10mv = 60,
                                    .ripple_mv = 120, .max_current_ma = 2500 };
        struct fru_dc_load dl = { .number = 2, .nominal_10mv = 330, .min_10mv = 315,
                                  .max_10mv = 345, .ripple_mv = 50, .min_current_ma = 1000,
                                  .max_current_ma = 10000 };
        uint8_t out[FRU_DC_OUTPUT_LEN];

        (void) state;
        assert_int_equal(fru_encode_dc_output(&dc, out), 0);
        assert_memory_equal(out, want_out, sizeof(want_out));
        assert_int_equal(fru_record_check(FRU_RECORD_DC_OUTPUT, out, sizeof(out), NULL, 0), 0);
        assert_int_equal(fru_encode_dc_load(&dl, out), 0);
        assert_memory_equal(out, want_load, sizeof(want_load));
        assert_int_equal(fru_record_check(FRU_RECORD_DC_LOAD, out, sizeof(out), NULL, 0), 0);

        dc.number = 16;
        assert_int_equal(fru_encode_dc_output(&dc, out), -EINVAL);
        dl.number = 16;
        assert_int_equal(fru_encode_dc_load(&dl, out), -EINVAL);
}

static void expect_refused(uint8_t type, const uint8_t *d, size_t len, const char *want) {
        char reason[128];

        assert_int_equal(fru_record_check(type, d, len, reason, sizeof(reason)), -EINVAL);
        if (!strstr(reason, want))
                fail_msg("type 0x%02x, %zu bytes: \"%s\" lacks \"%s\"", type, len, reason, want);
}

static void test_check_refuses(void **state) {
        uint8_t ps[FRU_POWER_SUPPLY_LEN], dc[FRU_DC_OUTPUT_LEN] = { 0 }, b[FRU_POWER_SUPPLY_LEN];
        uint8_t ma[40] = { FRU_MGMT_SYSTEM_NAME };

        (void) state;
        assert_int_equal(fru_encode_power_supply(&psu, ps), 0);
        /* The case: a 23-byte type 0x00 record. */
        expect_refused(FRU_RECORD_POWER_SUPPLY, ps, 23, "is 23 bytes, the spec's layout is 24");
        expect_refused(FRU_RECORD_POWER_SUPPLY, ps, 0, "is 0 bytes");
        expect_refused(FRU_RECORD_DC_OUTPUT, dc, 12, "is 12 bytes, the spec's layout is 13");
        expect_refused(FRU_RECORD_DC_LOAD, dc, 14, "is 14 bytes, the spec's layout is 13");

        memcpy(b, ps, sizeof(b));
        b[1] |= 0x10;                           /* capacity's reserved bits */
        expect_refused(FRU_RECORD_POWER_SUPPLY, b, sizeof(b), "reserved bits 15:12");
        memcpy(b, ps, sizeof(b));
        b[17] |= 0x20;
        expect_refused(FRU_RECORD_POWER_SUPPLY, b, sizeof(b), "reserved flag bits");
        memcpy(b, ps, sizeof(b));
        b[6] = 0xFF, b[7] = 0xFF;               /* range 1 from 655.35 V down */
        expect_refused(FRU_RECORD_POWER_SUPPLY, b, sizeof(b), "input voltage range 1");
        memcpy(b, ps, sizeof(b));
        b[14] = 70;
        expect_refused(FRU_RECORD_POWER_SUPPLY, b, sizeof(b), "input frequency range");
        memcpy(b, ps, sizeof(b));
        b[20] = 0x04;
        expect_refused(FRU_RECORD_POWER_SUPPLY, b, sizeof(b), "combined-wattage voltage codes");

        dc[0] = 0x10;
        expect_refused(FRU_RECORD_DC_OUTPUT, dc, sizeof(dc), "reserved bits 6:4");
        dc[0] = 0;
        dc[9] = 2;                              /* min 2 mA > max 0 mA */
        expect_refused(FRU_RECORD_DC_OUTPUT, dc, sizeof(dc), "minimum current 2 mA");
        expect_refused(FRU_RECORD_DC_LOAD, dc, sizeof(dc), "minimum current 2 mA");
        dc[9] = 0;
        dc[3] = 5;                              /* min voltage 50 mV > max 0 */
        expect_refused(FRU_RECORD_DC_LOAD, dc, sizeof(dc), "minimum voltage");
        dc[0] = 0x20;
        expect_refused(FRU_RECORD_DC_LOAD, dc, sizeof(dc), "reserved bits 7:4");

        expect_refused(FRU_RECORD_MANAGEMENT_ACCESS, ma, 0, "empty");
        memset(ma + 1, 'a', sizeof(ma) - 1);
        expect_refused(FRU_RECORD_MANAGEMENT_ACCESS, ma, 1 + 7, "holds 7 bytes, must be 8..64");
        assert_int_equal(fru_record_check(FRU_RECORD_MANAGEMENT_ACCESS, ma, 1 + 8, NULL, 0), 0);
        ma[0] = FRU_MGMT_SYSTEM_UNIQUE_ID;
        expect_refused(FRU_RECORD_MANAGEMENT_ACCESS, ma, 1 + 15, "must be 16..16");
        ma[0] = 0;
        expect_refused(FRU_RECORD_MANAGEMENT_ACCESS, ma, 10, "sub-record type 0x00");
        ma[0] = 8;
        expect_refused(FRU_RECORD_MANAGEMENT_ACCESS, ma, 10, "sub-record type 0x08");

        /* Types the spec leaves open pass whatever they hold. */
        assert_int_equal(fru_record_check(0xC0, ps, 3, NULL, 0), 0);
        assert_int_equal(fru_record_check(0x05, NULL, 0, NULL, 0), 0);
}

/* Every length and every value of the first bytes of each known type: no crash, no read past
 * len (valgrind and ASan see the exact-size copies), a reason always terminated. */
static void test_check_hostile(void **state) {
        (void) state;
        for (unsigned type = 0; type < 0x100; type++)
                for (size_t len = 0; len <= 40; len++)
                        for (unsigned v = 0; v < 0x100; v += 0x11) {
                                uint8_t *d = malloc(len ? len : 1);
                                char reason[64];

                                memset(d, (int) v, len);
                                memset(reason, 'x', sizeof(reason));
                                if (fru_record_check((uint8_t) type, d, len, reason,
                                                     sizeof(reason)) < 0)
                                        assert_non_null(memchr(reason, '\0', sizeof(reason)));
                                free(d);
                        }
}

static void test_area(void **state) {
        uint8_t ps[FRU_POWER_SUPPLY_LEN], buf[64];
        const struct fru_record recs[] = {
                { .type = FRU_RECORD_POWER_SUPPLY, .len = sizeof(ps), .data = ps },
                { .type = 0xC0, .len = 2, .data = (const uint8_t *) "\x12\x34" },
        };
        const struct fru_record bad = { .type = FRU_RECORD_DC_LOAD, .len = 2, .data = ps };

        (void) state;
        assert_int_equal(fru_encode_power_supply(&psu, ps), 0);
        assert_int_equal(fru_multirecord_size(recs, 2), 5 + 24 + 5 + 2);
        assert_int_equal(fru_multirecord_build(recs, 2, buf, sizeof(buf)), 36);
        /* type, version 2 (end-of-list only on the last), length, data and header checksums */
        assert_int_equal(buf[0], 0x00);
        assert_int_equal(buf[1], 0x02);
        assert_int_equal(buf[2], 24);
        assert_int_equal(buf[3], fru_checksum(ps, 24));
        assert_int_equal(fru_checksum(buf, 5), 0);
        assert_memory_equal(buf + 5, ps, 24);
        assert_memory_equal(buf + 29, ((const uint8_t[]) { 0xC0, 0x82, 0x02, 0xBA, 0x02 }), 5);
        assert_int_equal(fru_multirecord_build(recs, 2, buf, 35), -ENOBUFS);
        assert_int_equal(fru_multirecord_build(&bad, 1, buf, sizeof(buf)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_power_supply_bytes),
                cmocka_unit_test(test_dc_bytes),
                cmocka_unit_test(test_check_refuses),
                cmocka_unit_test(test_check_hostile),
                cmocka_unit_test(test_area),
        };

        return cmocka_run_group_tests_name("fru-multirecord", tests, NULL, NULL);
}
