/* SPDX-License-Identifier: MIT */
/*
 * pmbus: sources and status-bit selectors (daemon/config-sensor-source.c,
 * daemon/sensor-source-pmbus.c) against the emulated PMBus device of fake-pmbus.h: the
 * grammar and its errors, the transactions of a read (PAGE first, VOUT_MODE for LINEAR16, PEC
 * bytes), the datasheet values decoded end to end, a device that NAKs, bus errors, a wrong or
 * missing PEC, and two threads reading two pages of one device without ever mixing them up.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake-pmbus.h"
#include "fake-smbus.h"

#include "daemon/config-sensor-source.h"
#include "daemon/sensor-source.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED 12345.0

static struct sensor_source_config parse(const char *text) {
        struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
        char reason[200] = "";

        if (sensor_source_parse(text, &src, reason, sizeof(reason)) < 0)
                fail_msg("%s: %s", text, reason);
        return src;
}

/* ---- the grammar ---- */

static void test_parse(void **state) {
        static const struct {
                const char *text;
                unsigned bus;
                uint8_t address, command;
                int page;
                enum pmbus_format format;
                bool pec;
                uint16_t mask;
                double scale;
        } cases[] = {
                { "pmbus:3:0x58:READ_VIN", 3, 0x58, 0x88, -1, PMBUS_FORMAT_LINEAR11, false, 0, 1 },
                { "pmbus:3:0x58:read-vout:page=1", 3, 0x58, 0x8B, 1, PMBUS_FORMAT_LINEAR16, false,
                  0, 1 },
                { "pmbus:3:0x58:0x8b:page=0:pec", 3, 0x58, 0x8B, 0, PMBUS_FORMAT_LINEAR16, true,
                  0, 1 },
                { "pmbus:0:8:STATUS_WORD:page=254:pec:bit=13", 0, 8, 0x79, 254, PMBUS_FORMAT_WORD,
                  true, 0x2000, 1 },
                { "pmbus:3:0x58:STATUS_INPUT:bit=3", 3, 0x58, 0x7C, -1, PMBUS_FORMAT_BYTE, false,
                  0x08, 1 },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0x90", 3, 0x58, 0x7C, -1, PMBUS_FORMAT_BYTE,
                  false, 0x90, 1 },
                { "pmbus:3:0x58:0xd0:word:mask=0xffff", 3, 0x58, 0xD0, -1, PMBUS_FORMAT_WORD,
                  false, 0xFFFF, 1 },
                { "pmbus:3:0x58:0xd4:linear11:0.5", 3, 0x58, 0xD4, -1, PMBUS_FORMAT_LINEAR11,
                  false, 0, 0.5 },
                { "pmbus:3:0x58:READ_TEMPERATURE_1:byte", 3, 0x58, 0x8D, -1, PMBUS_FORMAT_BYTE,
                  false, 0, 1 },
                { "pmbus:3:0x10:READ_IOUT:direct=807,20475,-1:2", 3, 0x10, 0x8C, -1,
                  PMBUS_FORMAT_DIRECT, false, 0, 2 },
        };

        for (size_t i = 0; i < N(cases); i++) {
                struct sensor_source_config src = parse(cases[i].text);

                assert_int_equal(src.kind, SENSOR_SOURCE_PMBUS);
                assert_int_equal(src.pmbus.bus, cases[i].bus);
                assert_int_equal(src.pmbus.address, cases[i].address);
                assert_int_equal(src.pmbus.command, cases[i].command);
                assert_int_equal(src.pmbus.page, cases[i].page);
                assert_int_equal(src.pmbus.format, cases[i].format);
                assert_int_equal(src.pmbus.pec, cases[i].pec);
                assert_int_equal(src.mask, cases[i].mask);
                assert_true(src.pmbus.scale == cases[i].scale);
                sensor_source_config_clear(&src);
        }
        struct sensor_source_config src = parse("pmbus:3:0x10:READ_IOUT:direct=-32768,32767,-128");
        assert_int_equal(src.pmbus.direct.m, -32768);
        assert_int_equal(src.pmbus.direct.b, 32767);
        assert_int_equal(src.pmbus.direct.r, -128);
        sensor_source_config_clear(&src);
        /* smbus: registers get the selector too. */
        src = parse("smbus:3:0x58:0x7c:bit=3");
        assert_int_equal(src.mask, 0x08);
        sensor_source_config_clear(&src);
        src = parse("smbus:3:0x58:0x79:word:mask=0x2800");
        assert_int_equal(src.mask, 0x2800);
        sensor_source_config_clear(&src);
}

#define PMBUS_GRAMMAR "pmbus:BUS:ADDR:COMMAND[:page=N][:FORMAT][:pec][:bit=N|:mask=M][:SCALE]"
#define FORMATS "linear11, linear16, direct=M,B,R, byte or word"

static void test_parse_errors(void **state) {
        static const struct {
                const char *text, *reason;
        } cases[] = {
                { "pmbus:3:0x58", "source \"pmbus:3:0x58\" must be " PMBUS_GRAMMAR },
                { "pmbus:3::READ_VIN", "source \"pmbus:3::READ_VIN\" has an empty field: "
                  PMBUS_GRAMMAR },
                { "pmbus:3:0x58:READ_VIN:page=0:linear11:pec:bit=1:2:x", "source "
                  "\"pmbus:3:0x58:READ_VIN:page=0:linear11:pec:bit=1:2:x\" has too many fields: "
                  PMBUS_GRAMMAR },
                { "pmbus:x:0x58:READ_VIN", "pmbus bus \"x\" is not a number" },
                { "pmbus:3:0xb0:READ_VIN", "pmbus address 0xb0 outside 0x08..0x77; addresses "
                  "are 7-bit: did you mean 0x58?" },
                { "pmbus:3:0x58:READ_VINN", "pmbus command \"READ_VINN\" is neither a standard "
                  "command name (READ_VIN, READ_VOUT, STATUS_WORD, ...) nor a code" },
                { "pmbus:3:0x58:0x100", "pmbus command 0x100 outside 0x00..0xff" },
                { "pmbus:3:0x58:0xd0", "pmbus command 0xd0 is not a standard command: give its "
                  "format (" FORMATS ")" },
                { "pmbus:3:0x58:0xd0:page=1", "pmbus command 0xd0 is not a standard command: "
                  "give its format (" FORMATS ")" },
                { "pmbus:3:0x58:READ_VOUT:page=255", "pmbus page=255 outside 0..254 (0xff, all "
                  "pages, cannot be read)" },
                { "pmbus:3:0x58:READ_VOUT:page=-1", "pmbus page=-1 outside 0..254 (0xff, all "
                  "pages, cannot be read)" },
                { "pmbus:3:0x58:READ_VOUT:linear", "pmbus field \"linear\" is not page=, a format "
                  "(" FORMATS "), pec, bit=, mask= or a scale" },
                { "pmbus:3:0x58:READ_VOUT:vid", "pmbus field \"vid\" is not page=, a format "
                  "(" FORMATS "), pec, bit=, mask= or a scale" },
                { "pmbus:3:0x58:READ_VOUT:pec:page=1", "pmbus field \"page=1\" repeated or out of "
                  "order: " PMBUS_GRAMMAR },
                { "pmbus:3:0x58:READ_VOUT:pec:pec", "pmbus field \"pec\" repeated or out of "
                  "order: " PMBUS_GRAMMAR },
                { "pmbus:3:0x58:READ_VOUT:linear16:linear11", "pmbus field \"linear11\" repeated "
                  "or out of order: " PMBUS_GRAMMAR },
                { "pmbus:3:0x58:READ_IIN:direct=0,0,0", "pmbus direct=0,0,0: M must not be 0" },
                { "pmbus:3:0x58:READ_IIN:direct=1,2", "pmbus direct=1,2 must be direct=M,B,R "
                  "with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:direct=1,2,3,4", "pmbus direct=1,2,3,4 must be "
                  "direct=M,B,R with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:direct=32768,0,0", "pmbus direct=32768,0,0 must be "
                  "direct=M,B,R with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:direct=1,0,128", "pmbus direct=1,0,128 must be "
                  "direct=M,B,R with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:direct=1,0x10,0", "pmbus direct=1,0x10,0 must be "
                  "direct=M,B,R with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:direct=1,,0", "pmbus direct=1,,0 must be "
                  "direct=M,B,R with M and B in -32768..32767 and R in -128..127" },
                { "pmbus:3:0x58:READ_IIN:0", "pmbus scale must not be 0" },
                { "pmbus:3:0x58:READ_VIN:bit=3", "pmbus bit=3 selects from a status register, "
                  "read as byte or word, not from a linear11 value" },
                { "pmbus:3:0x58:STATUS_INPUT:bit=8", "pmbus bit=8 outside the register's bits "
                  "0..7" },
                { "pmbus:3:0x58:STATUS_WORD:bit=16", "pmbus bit=16 outside the register's bits "
                  "0..15" },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0", "pmbus mask=0 outside the register's "
                  "0x1..0xff" },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0x100", "pmbus mask=0x100 outside the "
                  "register's 0x1..0xff" },
                { "pmbus:3:0x58:STATUS_INPUT:bit=1:2", "pmbus field \"2\": bit= and mask= read 0 "
                  "or 1, without a scale" },
                { "pmbus:3:0x58:STATUS_INPUT:bit=1:mask=2", "pmbus field \"mask=2\" repeated or "
                  "out of order: " PMBUS_GRAMMAR },
                { "smbus:3:0x58:0x7c:bit=8", "smbus bit=8 outside the register's bits 0..7" },
                { "smbus:3:0x58:0x7c:word:mask=0x10000", "smbus mask=0x10000 outside the "
                  "register's 0x1..0xffff" },
                { "smbus:3:0x58:0x7c:bit=1:signed", "smbus field \"signed\": bit= and mask= read "
                  "0 or 1, without signed or a scale" },
                { "smbus:3:0x58:0x7c:bit=1:0.5", "smbus field \"0.5\": bit= and mask= read 0 or "
                  "1, without signed or a scale" },
                { "smbus:3:0x58:0x7c:bit=1:word", "smbus field \"word\" repeated or out of "
                  "order: smbus:BUS:ADDR:REG[:byte|word|word-be][:bit=N|:mask=M][:signed]"
                  "[:SCALE]" },
        };

        for (size_t i = 0; i < N(cases); i++) {
                struct sensor_source_config src = parse("gpio:gpiochip0:1");
                char reason[200] = "";

                if (sensor_source_parse(cases[i].text, &src, reason, sizeof(reason)) != -EINVAL)
                        fail_msg("%s: parsed", cases[i].text);
                if (strcmp(reason, cases[i].reason) != 0)
                        fail_msg("%s:\n  got      %s\n  expected %s", cases[i].text, reason,
                                 cases[i].reason);
                /* Bad input loses nothing: the previous source stays. */
                assert_int_equal(src.kind, SENSOR_SOURCE_GPIO);
                assert_string_equal(src.gpio.chip, "gpiochip0");
                sensor_source_config_clear(&src);
        }
}

/* ---- reads against the emulated device ---- */

/* A PSU at 0x58 on bus 3 with two pages (two output rails), values from datasheets. */
static void psu(struct fake_pmbus *f) {
        fake_pmbus_init(f, 3, 0x58, 2);
        /* LTC2978: READ_VIN 0xD280 = 10 V; VOUT_MODE 0x13 (-13), READ_VOUT 0x9800 = 4.75 V. */
        f->regs[0][PMBUS_READ_VIN] = 0xD280;
        f->regs[0][PMBUS_VOUT_MODE] = 0x13;
        f->regs[0][PMBUS_READ_VOUT] = 0x9800;
        /* Page 1: VOUT_MODE 0x14 (-12, the Cotek AD-1500's), 12 V. */
        f->regs[1][PMBUS_VOUT_MODE] = 0x14;
        f->regs[1][PMBUS_READ_VOUT] = 0xC000;
        /* Artesyn iHP: READ_TEMPERATURE_1 0xEAC0 = 88 degrees. */
        f->regs[0][PMBUS_READ_TEMPERATURE_1] = 0xEAC0;
        /* STATUS_INPUT: bit 3 "unit off for insufficient input" (input lost) and bit 4
         * VIN_UV_FAULT; STATUS_WORD: INPUT (13) and VIN_UV (3) to match, POWER_GOOD# (11). */
        f->regs[0][PMBUS_STATUS_INPUT] = 0x18;
        f->regs[0][PMBUS_STATUS_WORD] = 0x2808;
        f->regs[1][PMBUS_STATUS_WORD] = 0x0000;
}

static int read_src(struct fake_pmbus *f, const char *text, double *v) {
        struct sensor_source_config src = parse(text);
        struct sensor_source_hw hw = { .smbus = &fake_pmbus_ops, .smbus_userdata = f };
        int r;

        r = sensor_source_read(&hw, &src, v);
        sensor_source_config_clear(&src);
        return r;
}

static void assert_transaction(const struct fake_pmbus *f, unsigned i, char op, uint8_t reg) {
        if (i >= f->nlog)
                fail_msg("transaction %u missing (%u logged)", i, f->nlog);
        if (f->log[i].op != op || f->log[i].reg != reg)
                fail_msg("transaction %u: %c 0x%02x, expected %c 0x%02x", i, f->log[i].op,
                         f->log[i].reg, op, reg);
}

static void test_read_linear11(void **state) {
        struct fake_pmbus f;
        double v = UNTOUCHED;

        psu(&f);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VIN", &v), 0);
        assert_true(v == 10.0);
        /* No page: one Read Word, nothing written. */
        assert_int_equal(f.nlog, 1);
        assert_transaction(&f, 0, 'r', PMBUS_READ_VIN);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_TEMPERATURE_1:0.5", &v), 0);
        assert_true(v == 44.0);
}

static void test_read_linear16_pages(void **state) {
        struct fake_pmbus f;
        double v = UNTOUCHED;

        psu(&f);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT:page=1", &v), 0);
        assert_true(v == 12.0);
        /* PAGE first, then VOUT_MODE and the command of that page. */
        assert_int_equal(f.nlog, 3);
        assert_transaction(&f, 0, 'w', PMBUS_PAGE);
        assert_int_equal(f.log[0].len, 1);
        assert_int_equal(f.log[0].data[0], 1);
        assert_transaction(&f, 1, 'r', PMBUS_VOUT_MODE);
        assert_transaction(&f, 2, 'r', PMBUS_READ_VOUT);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT:page=0", &v), 0);
        assert_true(v == 4.75);
        assert_int_equal(f.page, 0);
        /* VOUT_MODE is read with every READ_VOUT: a supply swapped for one with another
         * exponent reads right at once. */
        f.regs[0][PMBUS_VOUT_MODE] = 0x14;
        f.regs[0][PMBUS_READ_VOUT] = 0x4C00;            /* 19456 * 2^-12 = 4.75 */
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT:page=0", &v), 0);
        assert_true(v == 4.75);
}

static void test_vout_mode_not_linear(void **state) {
        static const uint8_t modes[] = { 0x20, 0x3F, 0x40, 0x60, 0x80, 0xFF };
        struct fake_pmbus f;

        psu(&f);
        for (size_t i = 0; i < N(modes); i++) {
                double v = UNTOUCHED;

                f.regs[0][PMBUS_VOUT_MODE] = modes[i];
                assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT", &v), -EOPNOTSUPP);
                assert_true(v == UNTOUCHED);
        }
}

static void test_read_direct(void **state) {
        struct fake_pmbus f;
        double v = UNTOUCHED;

        /* ADM1275 (a hot-swap controller, single page): VIN in the 60 V range, 2304 = 12 V;
         * IOUT's sense voltage 2855 = 10.006 mV, over a 0.5 mOhm shunt: scale 2 gives amps. */
        fake_pmbus_init(&f, 3, 0x10, 1);
        f.regs[0][PMBUS_READ_VIN] = 2304;
        f.regs[0][PMBUS_READ_IOUT] = 2855;
        assert_int_equal(read_src(&f, "pmbus:3:0x10:READ_VIN:direct=19199,0,-2", &v), 0);
        assert_true(fabs(v - 12.0) < 19199e-6);
        assert_int_equal(read_src(&f, "pmbus:3:0x10:READ_IOUT:direct=807,20475,-1:2", &v), 0);
        assert_true(fabs(v - 2 * (28550.0 - 20475) / 807) < 1e-12);
}

/* "Input lost" of a Power Supply sensor (08h offset 3) from STATUS_INPUT bit 3, as the
 * discrete sensors read it: any value but 0 is asserted. */
static void test_status_bits(void **state) {
        static const struct {
                const char *text;
                double value;
        } cases[] = {
                { "pmbus:3:0x58:STATUS_INPUT:bit=3", 1 },
                { "pmbus:3:0x58:STATUS_INPUT:bit=4", 1 },
                { "pmbus:3:0x58:STATUS_INPUT:bit=7", 0 },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0x84", 0 },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0x81", 0 },
                { "pmbus:3:0x58:STATUS_INPUT:mask=0x90", 1 },
                { "pmbus:3:0x58:STATUS_INPUT", 0x18 },
                { "pmbus:3:0x58:STATUS_WORD:bit=13", 1 },
                { "pmbus:3:0x58:STATUS_WORD:bit=11", 1 },
                { "pmbus:3:0x58:STATUS_WORD:bit=15", 0 },
                { "pmbus:3:0x58:STATUS_WORD:page=1:bit=13", 0 },
                { "pmbus:3:0x58:STATUS_WORD:page=0:bit=13", 1 },
                { "pmbus:3:0x58:STATUS_WORD", 0x2808 },
                /* The same registers as plain SMBus ones. */
                { "smbus:3:0x58:0x7c:bit=3", 1 },
                { "smbus:3:0x58:0x7c:byte:mask=0x60", 0 },
                { "smbus:3:0x58:0x79:word:bit=11", 1 },
                { "smbus:3:0x58:0x79:word-be:bit=3", 1 },     /* 0x0828 after the swap */
                { "smbus:3:0x58:0x79:word-be:bit=13", 0 },
        };

        for (size_t i = 0; i < N(cases); i++) {
                struct fake_pmbus f;
                double v = UNTOUCHED;

                psu(&f);
                if (read_src(&f, cases[i].text, &v) != 0 || v != cases[i].value)
                        fail_msg("%s: read %g, expected %g", cases[i].text, v, cases[i].value);
        }
}

static void test_pec(void **state) {
        struct fake_pmbus f;
        double v = UNTOUCHED;

        psu(&f);
        f.pec = true;
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT:page=1:pec", &v), 0);
        assert_true(v == 12.0);
        /* PAGE with its PEC (the device checked it), then block reads of data + PEC. */
        assert_transaction(&f, 0, 'w', PMBUS_PAGE);
        assert_int_equal(f.log[0].len, 2);
        assert_int_equal(f.log[0].data[1], fake_pmbus_crc((const uint8_t[]) { 0xB0, 0, 1 }, 3));
        assert_transaction(&f, 1, 'b', PMBUS_VOUT_MODE);
        assert_transaction(&f, 2, 'b', PMBUS_READ_VOUT);
        /* PAGE is still 1: a source of a paged device names its page. */
        assert_int_equal(read_src(&f, "pmbus:3:0x58:STATUS_INPUT:pec:bit=3", &v), 0);
        assert_true(v == 0);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:STATUS_INPUT:page=0:pec:bit=3", &v), 0);
        assert_true(v == 1);

        /* A PEC that does not match: the reading is not trusted. */
        f.corrupt_pec = true;
        v = UNTOUCHED;
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VIN:pec", &v), -EPROTO);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:STATUS_INPUT:pec:bit=3", &v), -EPROTO);
        assert_true(v == UNTOUCHED);

        /* A device without PEC: the byte after the data is the idle bus, and its PAGE write
         * with a PEC is NAKed. */
        f.pec = false;
        f.corrupt_pec = false;
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VIN:pec", &v), -EPROTO);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VIN:page=0:pec", &v), -EREMOTEIO);
        assert_true(v == UNTOUCHED);
}

static void test_nak_and_bus_errors(void **state) {
        static const char *const sources[] = {
                "pmbus:3:0x58:READ_VIN", "pmbus:3:0x58:READ_VOUT:page=1",
                "pmbus:3:0x58:READ_VOUT:page=1:pec", "pmbus:3:0x58:STATUS_WORD:bit=13",
        };
        static const int errors[] = { -ENXIO, -EREMOTEIO, -EIO, -ETIMEDOUT, -EAGAIN };
        struct fake_pmbus f;
        double v = UNTOUCHED;

        for (size_t s = 0; s < N(sources); s++) {
                /* A device that NAKs its address: every transaction fails, the first one is
                 * the only one tried. */
                for (size_t e = 0; e < 2; e++) {
                        psu(&f);
                        f.pec = true;
                        f.nak = errors[e];
                        v = UNTOUCHED;
                        assert_int_equal(read_src(&f, sources[s], &v), errors[e]);
                        assert_int_equal(f.transactions, 1);
                        assert_true(v == UNTOUCHED);
                }
                /* A bus error in any one of the read's transactions fails the read. */
                for (size_t e = 0; e < N(errors); e++)
                        for (unsigned at = 1; at <= 3; at++) {
                                psu(&f);
                                f.pec = true;
                                f.fail_at = at;
                                f.fail_error = errors[e];
                                int r = read_src(&f, sources[s], &v);

                                if (at <= f.transactions ? r != errors[e] : r != 0)
                                        fail_msg("%s, %s at transaction %u: %d", sources[s],
                                                 strerror(-errors[e]), at, r);
                                if (r < 0)
                                        assert_int_equal(f.transactions, at);
                        }
        }
        assert_true(v != UNTOUCHED);            /* the reads that were not failed got through */

        /* Nobody at that address at all; a page the device does not have. */
        psu(&f);
        v = UNTOUCHED;
        assert_int_equal(read_src(&f, "pmbus:3:0x59:READ_VIN", &v), -ENXIO);
        assert_int_equal(read_src(&f, "pmbus:3:0x58:READ_VOUT:page=2", &v), -EREMOTEIO);
        assert_int_equal(read_src(&f, "pmbus:4:0x58:READ_VIN", &v), -ENXIO);
        assert_true(v == UNTOUCHED);
}

/* Seams that only read (the plain SMBus fake): a page or a PEC cannot be done with them. */
static void test_ops_without_writes(void **state) {
        struct fake_smbus f = { .answer = 0xD280 };
        struct sensor_source_hw hw = { .smbus = &fake_smbus_ops, .smbus_userdata = &f };
        struct sensor_source_config paged = parse("pmbus:3:0x58:READ_VIN:page=0");
        struct sensor_source_config pec = parse("pmbus:3:0x58:READ_VIN:pec");
        struct sensor_source_config plain = parse("pmbus:3:0x58:READ_VIN");
        double v = UNTOUCHED;

        assert_int_equal(sensor_source_read(&hw, &paged, &v), -EOPNOTSUPP);
        assert_int_equal(sensor_source_read(&hw, &pec, &v), -EOPNOTSUPP);
        assert_true(v == UNTOUCHED);
        assert_int_equal(sensor_source_read(&hw, &plain, &v), 0);
        assert_true(v == 10.0);
        /* A driver returning more than a word is a broken contract, not a value. */
        f.answer = 0x10000;
        v = UNTOUCHED;
        assert_int_equal(sensor_source_read(&hw, &plain, &v), -EPROTO);
        assert_true(v == UNTOUCHED);
        sensor_source_config_clear(&paged);
        sensor_source_config_clear(&pec);
        sensor_source_config_clear(&plain);
}

/* ---- two pages, two threads ---- */

#define ROUNDS 20

struct rail_reader {
        struct fake_pmbus *device;
        const char *source;
        double expected;
        unsigned wrong, failed;
};

static void *read_rail(void *userdata) {
        struct rail_reader *rr = userdata;

        for (unsigned i = 0; i < ROUNDS; i++) {
                double v = UNTOUCHED;

                if (read_src(rr->device, rr->source, &v) < 0)
                        rr->failed++;
                else if (v != rr->expected)
                        rr->wrong++;
        }
        return NULL;
}

/*
 * The reader may run two reads at once (a slow read handed over, a reload): two rails of one
 * device read from two threads must each get their own page. The device makes each PAGE write
 * wait for the other thread's, so without the device lock every read would see the other
 * page; with it none does.
 */
static void test_pages_do_not_interleave(void **state) {
        struct fake_pmbus f;
        struct rail_reader a = { &f, "pmbus:3:0x58:READ_VOUT:page=0", 4.75, 0, 0 };
        struct rail_reader b = { &f, "pmbus:3:0x58:READ_VOUT:page=1", 12.0, 0, 0 };
        pthread_t ta, tb;

        psu(&f);
        f.rendezvous = true;
        assert_int_equal(pthread_create(&ta, NULL, read_rail, &a), 0);
        assert_int_equal(pthread_create(&tb, NULL, read_rail, &b), 0);
        assert_int_equal(pthread_join(ta, NULL), 0);
        assert_int_equal(pthread_join(tb, NULL), 0);
        if (a.wrong || b.wrong || a.failed || b.failed)
                fail_msg("page 0: %u wrong, %u failed; page 1: %u wrong, %u failed of %u each",
                         a.wrong, a.failed, b.wrong, b.failed, ROUNDS);
        assert_int_equal(f.page_writes, 2 * ROUNDS);
}

/* A read that hangs in the kernel holds its device: another read of that device gives up
 * with -EBUSY after PMBUS_DEVICE_WAIT_USEC without touching the bus, while a device on
 * another lock reads on. */
struct held_read {
        struct fake_pmbus *device;
        int r;
};

static void *read_held(void *userdata) {
        struct held_read *h = userdata;
        double v = UNTOUCHED;

        h->r = read_src(h->device, "pmbus:3:0x58:READ_VIN:page=0", &v);
        return NULL;
}

static void test_hung_device(void **state) {
        struct fake_pmbus hung, other;
        struct held_read h;
        pthread_t t;
        double v = UNTOUCHED;
        unsigned before;

        psu(&hung);
        psu(&other);
        other.addr7 = 0x59;                     /* bus 3: 0x58 and 0x59 use different locks */
        other.regs[0][PMBUS_READ_VIN] = 0xD280;
        h = (struct held_read) { &hung, 1 };
        hung.hold = true;                       /* set before the thread can read */
        assert_int_equal(pthread_create(&t, NULL, read_held, &h), 0);
        fake_pmbus_hold(&hung, true);           /* its READ_VIN, after PAGE, now hangs */

        before = hung.transactions;
        assert_int_equal(read_src(&hung, "pmbus:3:0x58:READ_VOUT:page=1", &v), -EBUSY);
        assert_true(v == UNTOUCHED);
        assert_int_equal(hung.transactions, before);
        assert_int_equal(read_src(&other, "pmbus:3:0x59:READ_VIN:page=0", &v), 0);
        assert_true(v == 10.0);

        fake_pmbus_hold(&hung, false);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(h.r, 0);
        assert_int_equal(read_src(&hung, "pmbus:3:0x58:READ_VOUT:page=1", &v), 0);
        assert_true(v == 12.0);
}

/* ---- descriptions and equality ---- */

static void test_describe_equal(void **state) {
        static const struct {
                const char *text, *description;
        } cases[] = {
                { "pmbus:3:0x58:READ_VOUT:page=1:pec", "pmbus bus 3 0x58 page 1 READ_VOUT "
                  "linear16 pec" },
                { "pmbus:3:0x58:READ_VOUT:page=0", "pmbus bus 3 0x58 page 0 READ_VOUT linear16" },
                { "pmbus:3:0x58:0xd0:direct=1,2,3", "pmbus bus 3 0x58 0xd0 direct" },
                { "pmbus:3:0x58:STATUS_INPUT:bit=3", "pmbus bus 3 0x58 STATUS_INPUT byte bit 3" },
                { "pmbus:3:0x58:STATUS_WORD:mask=0x2800",
                  "pmbus bus 3 0x58 STATUS_WORD word mask 0x2800" },
                { "smbus:3:0x58:0x7c:bit=3", "smbus bus 3 0x58 reg 0x7c byte bit 3" },
        };
        static const char *const distinct[] = {
                "pmbus:3:0x58:READ_VIN", "pmbus:4:0x58:READ_VIN", "pmbus:3:0x59:READ_VIN",
                "pmbus:3:0x58:READ_IIN", "pmbus:3:0x58:READ_VIN:page=0",
                "pmbus:3:0x58:READ_VIN:page=1", "pmbus:3:0x58:READ_VIN:byte",
                "pmbus:3:0x58:READ_VIN:direct=1,0,0", "pmbus:3:0x58:READ_VIN:direct=1,0,1",
                "pmbus:3:0x58:READ_VIN:pec", "pmbus:3:0x58:READ_VIN:2",
                "pmbus:3:0x58:STATUS_WORD", "pmbus:3:0x58:STATUS_WORD:bit=1",
                "pmbus:3:0x58:STATUS_WORD:bit=2", "smbus:3:0x58:0x79",
                "smbus:3:0x58:0x79:bit=1",
        };
        char buf[96];

        for (size_t i = 0; i < N(cases); i++) {
                struct sensor_source_config src = parse(cases[i].text);

                assert_string_equal(sensor_source_describe(&src, buf, sizeof(buf)),
                                    cases[i].description);
                sensor_source_config_clear(&src);
        }
        for (size_t i = 0; i < N(distinct); i++)
                for (size_t j = 0; j < N(distinct); j++) {
                        struct sensor_source_config a = parse(distinct[i]), b = parse(distinct[j]);

                        if (sensor_source_config_equal(&a, &b) != (i == j))
                                fail_msg("\"%s\" vs \"%s\"", distinct[i], distinct[j]);
                        sensor_source_config_clear(&a);
                        sensor_source_config_clear(&b);
                }
        /* A name and its code, a default format spelled out, are the same source. */
        struct sensor_source_config a = parse("pmbus:3:0x58:READ_VOUT"),
                                    b = parse("pmbus:3:88:0x8b:linear16:1");
        assert_true(sensor_source_config_equal(&a, &b));
        sensor_source_config_clear(&a);
        sensor_source_config_clear(&b);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_read_linear11),
                cmocka_unit_test(test_read_linear16_pages),
                cmocka_unit_test(test_vout_mode_not_linear),
                cmocka_unit_test(test_read_direct),
                cmocka_unit_test(test_status_bits),
                cmocka_unit_test(test_pec),
                cmocka_unit_test(test_nak_and_bus_errors),
                cmocka_unit_test(test_ops_without_writes),
                cmocka_unit_test(test_pages_do_not_interleave),
                cmocka_unit_test(test_hung_device),
                cmocka_unit_test(test_describe_equal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
