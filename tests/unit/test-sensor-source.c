/* SPDX-License-Identifier: MIT */
/*
 * Sensor sources (daemon/sensor-source.c): one read of a file, a GPIO line or an SMBus
 * register, the latter two through fake readers (this machine has neither a gpiochip nor an
 * I2C bus): levels and active-low, byte/word/word-be, sign extension, scale, every error passed
 * on with the output untouched. Also the descriptions in log messages and the config helpers
 * a reload relies on (equal, clear, parse leaving its output alone on error).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-smbus.h"

#include "daemon/config-sensor-source.h"
#include "daemon/i2c-smbus.h"
#include "daemon/sensor-source.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED 12345.0

/* A source from its configuration text; the test fails on a parse error. */
static struct sensor_source_config parse(const char *text) {
        struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
        char reason[160] = "";

        if (sensor_source_parse(text, &src, reason, sizeof(reason)) < 0)
                fail_msg("%s: %s", text, reason);
        return src;
}

/* ---- GPIO ---- */

struct fake_gpio {
        int level;                      /* what the line reads, logical (after active-low) */
        int fail;                       /* -errno to return instead */
        /* what the reader was asked */
        char chip[64];
        unsigned offset;
        size_t n;
        bool active_low;
        unsigned calls;
};

static int fake_read_lines(void *userdata, const char *chip, const unsigned *offsets, size_t n,
                           bool active_low, int *values) {
        struct fake_gpio *f = userdata;

        f->calls++;
        snprintf(f->chip, sizeof(f->chip), "%s", chip);
        f->offset = offsets[0];
        f->n = n;
        f->active_low = active_low;
        if (f->fail < 0)
                return f->fail;
        values[0] = f->level;
        return 0;
}

static const struct gpio_reader_ops fake_gpio_ops = { .read_lines = fake_read_lines };

static void test_gpio_levels(void **state) {
        static const struct {
                const char *text;
                int level;
                bool active_low;
        } cases[] = {
                { "gpio:gpiochip0:17", 1, false },
                { "gpio:gpiochip0:17", 0, false },
                { "gpio:gpiochip0:17:active-low", 1, true },
                { "gpio:gpiochip0:17:active-low", 0, true },
        };

        for (size_t i = 0; i < N(cases); i++) {
                struct sensor_source_config src = parse(cases[i].text);
                struct fake_gpio f = { .level = cases[i].level };
                double v = UNTOUCHED;

                struct sensor_source_hw hw = { .gpio = &fake_gpio_ops, .gpio_userdata = &f };

                assert_int_equal(sensor_source_read(&hw, &src, &v), 0);
                /* One line, as configured; the kernel inverts for active-low (the flag). */
                assert_int_equal(f.calls, 1);
                assert_string_equal(f.chip, "gpiochip0");
                assert_int_equal(f.offset, 17);
                assert_int_equal(f.n, 1);
                assert_int_equal(f.active_low, cases[i].active_low);
                assert_true(v == cases[i].level);
                sensor_source_config_clear(&src);
        }
}

static void test_gpio_errors(void **state) {
        static const int errors[] = { -ENOENT, -EBUSY, -EPERM, -ENODEV, -EINVAL };
        struct sensor_source_config src = parse("gpio:INT34C5:00:5");

        for (size_t i = 0; i < N(errors); i++) {
                struct fake_gpio f = { .fail = errors[i] };
                double v = UNTOUCHED;

                struct sensor_source_hw hw = { .gpio = &fake_gpio_ops, .gpio_userdata = &f };

                assert_int_equal(sensor_source_read(&hw, &src, &v), errors[i]);
                assert_true(v == UNTOUCHED);
                assert_string_equal(f.chip, "INT34C5:00");
        }
        /* A reader that breaks its contract (levels are 0 or 1) is not a reading. */
        for (int level = -1; level <= 2; level += 3) {
                struct fake_gpio f = { .level = level };
                double v = UNTOUCHED;

                struct sensor_source_hw hw = { .gpio = &fake_gpio_ops, .gpio_userdata = &f };

                assert_int_equal(sensor_source_read(&hw, &src, &v), -EPROTO);
                assert_true(v == UNTOUCHED);
        }
        sensor_source_config_clear(&src);
}

/* ---- SMBus ---- */

struct smbus_case {
        const char *text;
        int32_t answer;                 /* what the device sends (SMBus order for a word) */
        int error;                      /* expected: 0 or -errno */
        double value;                   /* when 0 */
};

static const struct smbus_case smbus_cases[] = {
        { "smbus:3:0x48:0x00", 0xC8, 0, 200 },
        { "smbus:3:0x48:0x00:byte", 0xFF, 0, 255 },
        { "smbus:3:0x48:0x00:signed", 0xC8, 0, -56 },
        { "smbus:3:0x48:0x00:byte:signed", 0x80, 0, -128 },
        { "smbus:3:0x48:0x00:byte:signed", 0x7F, 0, 127 },
        { "smbus:3:0x48:0x00:signed:0.5", 0xFE, 0, -1 },
        { "smbus:3:0x48:0x00:word", 0xFFFF, 0, 65535 },
        { "smbus:3:0x48:0x00:word", 0x1234, 0, 0x1234 },
        /* Two's complement word: -128 / 256 = -0.5 (an LM75 at -0.5 degrees, MSB-first). */
        { "smbus:3:0x48:0x00:word:signed:0.00390625", 0xFF80, 0, -0.5 },
        { "smbus:3:0x48:0x00:word:signed", 0x8000, 0, -32768 },
        { "smbus:3:0x48:0x00:word:signed", 0x7FFF, 0, 32767 },
        /* The same chip read with SMBus byte order: the wire's FF 80 arrive as 0x80FF. */
        { "smbus:3:0x48:0x00:word-be:signed:0.00390625", 0x80FF, 0, -0.5 },
        { "smbus:3:0x48:0x00:word-be:signed:0.00390625", 0x0019, 0, 25 },
        { "smbus:3:0x48:0x00:word-be", 0x3412, 0, 0x1234 },
        { "smbus:3:0x48:0x00:word:-2", 3, 0, -6 },
        { "smbus:3:0x48:0x00:0.001", 250, 0, 0.25 },
        /* Errors from the bus pass through; more bits than asked for is a broken driver. */
        { "smbus:3:0x48:0x00", -ENXIO, -ENXIO, 0 },
        { "smbus:3:0x48:0x00:word", -ETIMEDOUT, -ETIMEDOUT, 0 },
        { "smbus:3:0x48:0x00", -EACCES, -EACCES, 0 },
        { "smbus:3:0x48:0x00", 0x100, -EPROTO, 0 },
        { "smbus:3:0x48:0x00:word", 0x10000, -EPROTO, 0 },
};

static void test_smbus_read(void **state) {
        const struct smbus_case *t = *state;
        struct sensor_source_config src = parse(t->text);
        struct fake_smbus f = { .answer = t->answer };
        struct sensor_source_hw hw = { .smbus = &fake_smbus_ops, .smbus_userdata = &f };
        double v = UNTOUCHED;

        assert_int_equal(sensor_source_read(&hw, &src, &v), t->error);

        assert_int_equal(f.calls, 1);
        assert_int_equal(f.bus, 3);
        assert_int_equal(f.addr7, 0x48);
        assert_int_equal(f.reg, 0);
        assert_int_equal(f.word, src.smbus.width != SMBUS_WIDTH_BYTE);
        if (t->error == 0) {
                if (fabs(v - t->value) > 1e-12)
                        fail_msg("%s: read %g, expected %g", t->text, v, t->value);
        } else
                assert_true(v == UNTOUCHED);
        sensor_source_config_clear(&src);
}

static void test_smbus_target(void **state) {
        struct sensor_source_config src = parse("smbus:2147483647:0x77:0xff:word");
        struct fake_smbus f = { .answer = 1 };
        struct sensor_source_hw hw = { .smbus = &fake_smbus_ops, .smbus_userdata = &f };
        double v = UNTOUCHED;

        assert_int_equal(sensor_source_read(&hw, &src, &v), 0);
        assert_int_equal(f.bus, 2147483647);
        assert_int_equal(f.addr7, 0x77);
        assert_int_equal(f.reg, 0xFF);
        assert_true(f.word);
        assert_true(v == 1);
        sensor_source_config_clear(&src);
}

/* The seams belong to whoever reads, not to the process: two readers with their own fakes,
 * interleaved, each reach only their own. */
static void test_hw_per_reader(void **state) {
        struct sensor_source_config smbus = parse("smbus:3:0x48:0x00");
        struct sensor_source_config gpio = parse("gpio:gpiochip0:17");
        struct fake_smbus sa = { .answer = 10 }, sb = { .answer = 20 };
        struct fake_gpio ga = { .level = 1 }, gb = { .level = 0 };
        struct sensor_source_hw a = { .gpio = &fake_gpio_ops, .gpio_userdata = &ga,
                                      .smbus = &fake_smbus_ops, .smbus_userdata = &sa };
        struct sensor_source_hw b = { .gpio = &fake_gpio_ops, .gpio_userdata = &gb,
                                      .smbus = &fake_smbus_ops, .smbus_userdata = &sb };
        double v = UNTOUCHED;

        assert_int_equal(sensor_source_read(&a, &smbus, &v), 0);
        assert_true(v == 10);
        assert_int_equal(sensor_source_read(&b, &smbus, &v), 0);
        assert_true(v == 20);
        assert_int_equal(sensor_source_read(&a, &gpio, &v), 0);
        assert_true(v == 1);
        assert_int_equal(sensor_source_read(&b, &gpio, &v), 0);
        assert_true(v == 0);
        assert_int_equal(sa.calls, 1);
        assert_int_equal(sb.calls, 1);
        assert_int_equal(ga.calls, 1);
        assert_int_equal(gb.calls, 1);
        sensor_source_config_clear(&smbus);
        sensor_source_config_clear(&gpio);
}

/* ---- files and none ---- */

static void test_file(void **state) {
        static const struct {
                const char *content;
                int error;
                double value;
        } cases[] = {
                { "42000\n", 0, 42 },
                { "  -1500 \r\n", 0, -1.5 },
                { "abc", -EBADMSG, 0 },
                { "", -EBADMSG, 0 },
                { "12 13", -EBADMSG, 0 },
                { "nan", -EBADMSG, 0 },
        };
        char path[] = "/tmp/test-sensor-source-XXXXXX", *text = NULL;

        for (size_t i = 0; i < N(cases); i++) {
                int fd = mkstemp(path);
                struct sensor_source_config src;
                double v = UNTOUCHED;

                assert_true(fd >= 0);
                assert_int_equal(write(fd, cases[i].content, strlen(cases[i].content)),
                                 (ssize_t) strlen(cases[i].content));
                close(fd);
                assert_true(asprintf(&text, "file:%s:0.001", path) > 0);
                src = parse(text);
                assert_int_equal(sensor_source_read(NULL, &src, &v), cases[i].error);
                if (cases[i].error == 0)
                        assert_true(fabs(v - cases[i].value) < 1e-12);
                else
                        assert_true(v == UNTOUCHED);
                /* Gone: the error of open(). */
                unlink(path);
                assert_int_equal(sensor_source_read(NULL, &src, &v), -ENOENT);
                sensor_source_config_clear(&src);
                free(text);
                strcpy(path, "/tmp/test-sensor-source-XXXXXX");
        }
}

static void test_none(void **state) {
        struct sensor_source_config src = parse("none");
        double v = UNTOUCHED;

        assert_int_equal(src.kind, SENSOR_SOURCE_NONE);
        assert_int_equal(sensor_source_read(NULL, &src, &v), -EINVAL);
        assert_true(v == UNTOUCHED);
}

/* ---- descriptions and the config helpers ---- */

static void test_describe(void **state) {
        static const struct {
                const char *text, *description;
        } cases[] = {
                { "none", "no source" },
                { "file:/sys/class/hwmon/hwmon0/temp1_input:0.001",
                  "/sys/class/hwmon/hwmon0/temp1_input" },
                { "gpio:gpiochip0:17", "gpio gpiochip0 line 17" },
                { "gpio:gpiochip0:17:active-low", "gpio gpiochip0 line 17 (active-low)" },
                { "smbus:3:0x48:0x00:word", "smbus bus 3 0x48 reg 0x00 word" },
                { "smbus:3:0x48:0x00", "smbus bus 3 0x48 reg 0x00 byte" },
                { "smbus:12:0x4c:0xfe:word-be:signed:0.0625",
                  "smbus bus 12 0x4c reg 0xfe word-be signed" },
        };
        char buf[96], small[8];

        for (size_t i = 0; i < N(cases); i++) {
                struct sensor_source_config src = parse(cases[i].text);

                assert_ptr_equal(sensor_source_describe(&src, buf, sizeof(buf)), buf);
                assert_string_equal(buf, cases[i].description);
                /* Cut, never overrun. */
                assert_int_equal(strlen(sensor_source_describe(&src, small, sizeof(small))),
                                 strlen(cases[i].description) < sizeof(small) ?
                                 strlen(cases[i].description) : sizeof(small) - 1);
                sensor_source_config_clear(&src);
        }
}

static void test_equal(void **state) {
        static const char *const texts[] = {
                "none",
                "file:/a", "file:/a:2", "file:/b",
                "gpio:gpiochip0:1", "gpio:gpiochip0:1:active-low", "gpio:gpiochip0:2",
                "gpio:gpiochip1:1",
                "smbus:3:0x48:0", "smbus:4:0x48:0", "smbus:3:0x49:0", "smbus:3:0x48:1",
                "smbus:3:0x48:0:word", "smbus:3:0x48:0:word-be", "smbus:3:0x48:0:signed",
                "smbus:3:0x48:0:2",
        };

        for (size_t i = 0; i < N(texts); i++)
                for (size_t j = 0; j < N(texts); j++) {
                        struct sensor_source_config a = parse(texts[i]), b = parse(texts[j]);

                        if (sensor_source_config_equal(&a, &b) != (i == j))
                                fail_msg("\"%s\" vs \"%s\"", texts[i], texts[j]);
                        sensor_source_config_clear(&a);
                        sensor_source_config_clear(&b);
                }
        /* Explicit defaults are the same source. */
        struct sensor_source_config a = parse("smbus:3:0x48:0"), b = parse("smbus:3:72:0:byte:1");
        assert_true(sensor_source_config_equal(&a, &b));
        sensor_source_config_clear(&a);
        sensor_source_config_clear(&b);
}

/* A failed parse leaves the previous source in place; a good one replaces (and frees) it. */
static void test_parse_replaces(void **state) {
        struct sensor_source_config src = parse("gpio:gpiochip0:17");
        char reason[160] = "";

        assert_int_equal(sensor_source_parse("smbus:3:0x05:0", &src, reason, sizeof(reason)),
                         -EINVAL);
        assert_string_equal(reason, "smbus address 0x05 outside 0x08..0x77");
        assert_int_equal(src.kind, SENSOR_SOURCE_GPIO);
        assert_string_equal(src.gpio.chip, "gpiochip0");

        /* A small reason buffer cuts the message and nothing else. */
        assert_int_equal(sensor_source_parse("gpio::1", &src, reason, 6), -EINVAL);
        assert_string_equal(reason, "gpio ");
        assert_int_equal(src.kind, SENSOR_SOURCE_GPIO);

        assert_int_equal(sensor_source_parse("file:/x", &src, reason, sizeof(reason)), 0);
        assert_int_equal(src.kind, SENSOR_SOURCE_FILE);
        assert_string_equal(src.file.path, "/x");
        assert_null(src.gpio.chip);

        sensor_source_config_clear(&src);
        assert_int_equal(src.kind, SENSOR_SOURCE_NONE);
        assert_null(src.file.path);
        sensor_source_config_clear(&src);       /* twice is harmless */
}

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_gpio_levels),
                cmocka_unit_test(test_gpio_errors),
                cmocka_unit_test(test_smbus_target),
                cmocka_unit_test(test_hw_per_reader),
                cmocka_unit_test(test_file),
                cmocka_unit_test(test_none),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_parse_replaces),
        };
        struct CMUnitTest tests[N(fixed) + N(smbus_cases)];
        static char names[N(smbus_cases)][96];
        size_t n = 0;

        for (size_t i = 0; i < N(fixed); i++)
                tests[n++] = fixed[i];
        for (size_t i = 0; i < N(smbus_cases); i++) {
                if (smbus_cases[i].answer < 0)
                        snprintf(names[i], sizeof(names[i]), "%s fails with %s",
                                 smbus_cases[i].text, strerror(-smbus_cases[i].answer));
                else
                        snprintf(names[i], sizeof(names[i]), "%s reads %#x", smbus_cases[i].text,
                                 (unsigned) smbus_cases[i].answer);
                tests[n++] = (struct CMUnitTest) {
                        .name = names[i], .test_func = test_smbus_read,
                        .initial_state = (void *) &smbus_cases[i],
                };
        }
        return _cmocka_run_group_tests("sensor-source", tests, n, NULL, NULL);
}
