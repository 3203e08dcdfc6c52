/* SPDX-License-Identifier: MIT */
/*
 * protocol/pmbus.c: the PMBus data formats with the worked examples of real datasheets, the
 * SMBus PEC with published vectors and a captured transaction, the command table, and
 * hostile input (every LINEAR11 word, every VOUT_MODE byte, DIRECT coefficients out of range).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/pmbus.h"

static void assert_near(double got, double want, double tolerance) {
        if (!(fabs(got - want) <= tolerance))
                fail_msg("got %.9g, expected %.9g (+-%g)", got, want, tolerance);
}

static void test_linear11_datasheets(void **state) {
        /* LTC2978 datasheet (rev D), "Data Formats", L11: READ_VIN 0xD280 = 640 * 2^-6 = 10 V. */
        assert_near(pmbus_linear11_decode(0xD280), 10.0, 0);
        /* Artesyn iHP manual, "Data Format Linear": READ_TEMPERATURE_1 (8Dh) returns EAC0h,
         * N = 11101b = -3, Y = 01011000000b = 704: 88 degrees. */
        assert_near(pmbus_linear11_decode(0xEAC0), 88.0, 0);
        /* TI UCD9244 (e2e thread 323187): FAST_OC_FAULT_LIMIT 9.00 A written as the bytes
         * 40 D2, low byte first: 0xD240 = 576 * 2^-6. */
        assert_near(pmbus_linear11_decode(0xD240), 9.0, 0);
        /* Negative mantissa and exponent: 0xFFFF = -1 * 2^-1; 0x07FF = -1 * 2^0, 0x03FF = 1023. */
        assert_near(pmbus_linear11_decode(0xFFFF), -0.5, 0);
        assert_near(pmbus_linear11_decode(0x07FF), -1, 0);
        assert_near(pmbus_linear11_decode(0x03FF), 1023, 0);
        assert_near(pmbus_linear11_decode(0x0400), -1024, 0);
        /* The extremes: 1023 * 2^15 and -1024 * 2^15, 1 * 2^-16. */
        assert_near(pmbus_linear11_decode(0x7BFF), 1023.0 * 32768, 0);
        assert_near(pmbus_linear11_decode(0x7C00), -1024.0 * 32768, 0);
        assert_near(pmbus_linear11_decode(0x8001), ldexp(1, -16), 0);
}

/* Every word decodes to a finite number, and the same number as Y * 2^N computed apart. */
static void test_linear11_every_word(void **state) {
        for (unsigned w = 0; w <= 0xFFFF; w++) {
                int n = (int) (w >> 11) - ((w & 0x8000) ? 32 : 0);
                int y = (int) (w & 0x7FF) - ((w & 0x400) ? 2048 : 0);
                double v = pmbus_linear11_decode((uint16_t) w);

                assert_true(isfinite(v));
                assert_true(v == y * pow(2, n));
        }
}

static void test_linear16_vout_mode(void **state) {
        unsigned mode = 99;
        int exponent = 99;

        /* LTC2978 datasheet, L16: VOUT_MODE hardwired to -13 (0x13); 0x9800 = 38912 * 2^-13
         * = 4.75 V. */
        assert_int_equal(pmbus_vout_mode_exponent(0x13, &exponent, &mode), 0);
        assert_int_equal(exponent, -13);
        assert_int_equal(mode, PMBUS_VOUT_MODE_LINEAR);
        assert_near(pmbus_linear16_decode(0x9800, exponent), 4.75, 0);
        /* Cotek AD-1500 manual, 2-5: output voltage with a fixed exponent of -12 (0x14): a
         * 12 V rail reads 12 * 4096 = 0xC000. */
        assert_int_equal(pmbus_vout_mode_exponent(0x14, &exponent, NULL), 0);
        assert_int_equal(exponent, -12);
        assert_near(pmbus_linear16_decode(0xC000, exponent), 12.0, 0);
        /* The range of the 5-bit exponent. */
        assert_int_equal(pmbus_vout_mode_exponent(0x0F, &exponent, NULL), 0);
        assert_int_equal(exponent, 15);
        assert_int_equal(pmbus_vout_mode_exponent(0x10, &exponent, NULL), 0);
        assert_int_equal(exponent, -16);
        assert_near(pmbus_linear16_decode(0xFFFF, -16), 65535.0 / 65536, 0);
}

/* VID, DIRECT, IEEE half and the reserved modes are refused, and name the mode found. */
static void test_vout_mode_refused(void **state) {
        for (unsigned b = 0; b <= 0xFF; b++) {
                unsigned mode = 99;
                int exponent = 99, r;

                r = pmbus_vout_mode_exponent((uint8_t) b, &exponent, &mode);
                assert_int_equal(mode, b >> 5);
                if (b < 0x20) {
                        assert_int_equal(r, 0);
                        assert_true(exponent >= -16 && exponent <= 15);
                } else {
                        assert_int_equal(r, -EOPNOTSUPP);
                        assert_int_equal(exponent, 99);
                }
        }
}

static void test_direct_datasheet(void **state) {
        /* ADM1275 datasheet, Table 7 (PMBus DIRECT coefficients): voltage, VRANGE = 60 V:
         * m = 19199, b = 0, R = -2. 12 V is sent as round(19199 * 12 / 100) = 2304. */
        const struct pmbus_direct volts = { .m = 19199, .b = 0, .r = -2 };
        /* Current sense voltage in mV: m = 807, b = 20475, R = -1; 10 mV is sent as
         * round((807 * 10 + 20475) / 10) = 2855. */
        const struct pmbus_direct sense = { .m = 807, .b = 20475, .r = -1 };
        double v = -1;

        assert_int_equal(pmbus_direct_decode(2304, &volts, &v), 0);
        assert_near(v, 12.0, 19199e-6);        /* one count is 1/192 V */
        assert_near(v, 230400.0 / 19199, 1e-12);
        assert_int_equal(pmbus_direct_decode(2855, &sense, &v), 0);
        assert_near(v, (28550.0 - 20475) / 807, 1e-12);
        /* Y is two's complement: below the offset b reads negative (reverse current). */
        assert_int_equal(pmbus_direct_decode(0xFFFF, &sense, &v), 0);
        assert_near(v, (-10.0 - 20475) / 807, 1e-12);
}

static void test_direct_hostile(void **state) {
        static const struct pmbus_direct bad[] = {
                { .m = 0, .b = 0, .r = 0 },
                { .m = 32768, .b = 0, .r = 0 },
                { .m = 1, .b = -32769, .r = 0 },
                { .m = 1, .b = 0, .r = 128 },
                { .m = 1, .b = 0, .r = -129 },
        };
        const struct pmbus_direct extreme = { .m = -32768, .b = 32767, .r = -128 };
        double v = 42;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(pmbus_direct_decode(0x1234, &bad[i], &v), -EINVAL);
                assert_true(v == 42);
        }
        /* The largest magnitudes stay finite: 32767 * 10^128 / 32768. */
        assert_int_equal(pmbus_direct_decode(0x7FFF, &extreme, &v), 0);
        assert_true(isfinite(v));
}

static void test_pec(void **state) {
        static const uint8_t check[] = "123456789", abc[] = "abc";
        /* TI SLUA475 (bq battery gauges), a captured Read Word with PEC: S 16 A 0E A Sr 17 A
         * 8C A 86 A D8 N P: address 0x0B, command 0x0E, data 8C 86, PEC 0xD8. */
        static const uint8_t word[] = { 0x8C, 0x86 };

        /* CRC-8/SMBUS of the CRC catalogue: check value 0xF4. */
        assert_int_equal(pmbus_crc8(0, check, 9), 0xF4);
        /* smbus.org's calculator as published in test vectors: "abc" -> 0x5F. */
        assert_int_equal(pmbus_crc8(0, abc, 3), 0x5F);
        /* Continuing a CRC is the CRC of the whole. */
        assert_int_equal(pmbus_crc8(pmbus_crc8(0, check, 4), check + 4, 5), 0xF4);
        assert_int_equal(pmbus_pec(0x0B, 0x0E, true, word, 2), 0xD8);
        /* One bit flipped anywhere changes it. */
        assert_int_not_equal(pmbus_pec(0x0B, 0x0E, true, (const uint8_t[]) { 0x8C, 0x87 }, 2),
                             0xD8);
        assert_int_not_equal(pmbus_pec(0x0A, 0x0E, true, word, 2), 0xD8);
        /* A write has no repeated start: address+W, command, data. PAGE = 1 at 0x58:
         * CRC of B0 00 01. */
        assert_int_equal(pmbus_pec(0x58, 0x00, false, (const uint8_t[]) { 0x01 }, 1),
                         pmbus_crc8(0, (const uint8_t[]) { 0xB0, 0x00, 0x01 }, 3));
}

static void test_commands(void **state) {
        static const struct {
                const char *name;
                uint8_t code;
                enum pmbus_format format;
        } table[] = {
                { "PAGE", 0x00, PMBUS_FORMAT_BYTE },
                { "VOUT_MODE", 0x20, PMBUS_FORMAT_BYTE },
                { "STATUS_WORD", 0x79, PMBUS_FORMAT_WORD },
                { "STATUS_VOUT", 0x7A, PMBUS_FORMAT_BYTE },
                { "STATUS_IOUT", 0x7B, PMBUS_FORMAT_BYTE },
                { "STATUS_INPUT", 0x7C, PMBUS_FORMAT_BYTE },
                { "STATUS_TEMPERATURE", 0x7D, PMBUS_FORMAT_BYTE },
                { "STATUS_CML", 0x7E, PMBUS_FORMAT_BYTE },
                { "STATUS_FANS_1_2", 0x81, PMBUS_FORMAT_BYTE },
                { "READ_VIN", 0x88, PMBUS_FORMAT_LINEAR11 },
                { "READ_VOUT", 0x8B, PMBUS_FORMAT_LINEAR16 },
                { "READ_IOUT", 0x8C, PMBUS_FORMAT_LINEAR11 },
                { "READ_TEMPERATURE_1", 0x8D, PMBUS_FORMAT_LINEAR11 },
                { "READ_FAN_SPEED_1", 0x90, PMBUS_FORMAT_LINEAR11 },
                { "READ_POUT", 0x96, PMBUS_FORMAT_LINEAR11 },
                { "READ_PIN", 0x97, PMBUS_FORMAT_LINEAR11 },
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                const struct pmbus_command *c = pmbus_command_by_name(table[i].name);

                assert_non_null(c);
                assert_int_equal(c->code, table[i].code);
                assert_int_equal(c->format, table[i].format);
                assert_ptr_equal(pmbus_command_by_code(table[i].code), c);
        }
        /* Lower case and dashes, as in a configuration file. */
        assert_int_equal(pmbus_command_by_name("read-vin")->code, 0x88);
        assert_int_equal(pmbus_command_by_name("Status_Input")->code, 0x7C);
        assert_null(pmbus_command_by_name("READ_VIN_"));
        assert_null(pmbus_command_by_name("READ_VI"));
        assert_null(pmbus_command_by_name(""));
        assert_null(pmbus_command_by_code(0xD0));        /* manufacturer-specific */
        assert_string_equal(pmbus_format_name(PMBUS_FORMAT_DIRECT), "direct");
        assert_false(pmbus_format_is_word(PMBUS_FORMAT_BYTE));
        assert_true(pmbus_format_is_word(PMBUS_FORMAT_LINEAR16));
}

static void test_status_word_names(void **state) {
        assert_string_equal(pmbus_status_word_bit_name(3), "VIN_UV");
        assert_string_equal(pmbus_status_word_bit_name(11), "POWER_GOOD#");
        assert_string_equal(pmbus_status_word_bit_name(13), "INPUT");
        assert_string_equal(pmbus_status_word_bit_name(15), "VOUT");
        assert_null(pmbus_status_word_bit_name(16));
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_linear11_datasheets),
                cmocka_unit_test(test_linear11_every_word),
                cmocka_unit_test(test_linear16_vout_mode),
                cmocka_unit_test(test_vout_mode_refused),
                cmocka_unit_test(test_direct_datasheet),
                cmocka_unit_test(test_direct_hostile),
                cmocka_unit_test(test_pec),
                cmocka_unit_test(test_commands),
                cmocka_unit_test(test_status_word_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
