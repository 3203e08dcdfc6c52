/* SPDX-License-Identifier: MIT */
/*
 * daemon/fan-control.c with a temporary directory as the hwmon device (pwm1, pwm1_enable) and
 * a fake GPIO output: the mode saved, set to manual and restored; the safe level at start and
 * without a reading; the curve with its hysteresis; the PICMG override with its limits; and
 * the sensors' reading hook that drives the policy.
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

#include "daemon/config.h"
#include "daemon/fan-control.h"
#include "daemon/sensors.h"
#include "temp-dir.h"

struct rig {
        char dir[64];
        char pwm[128], enable[128];
        struct satmc_config *config;
        struct fan_table *fans;
};

static struct satmc_config *load(const char *text) {
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        struct satmc_config *c = NULL;
        int r;

        assert_non_null(in);
        r = config_load_from_file(in, "fan.ini", stderr, &c);
        fclose(in);
        assert_int_equal(r, 0);
        return c;
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int read_int(const char *path) {
        FILE *f = fopen(path, "r");
        int v = -1;

        assert_non_null(f);
        assert_int_equal(fscanf(f, "%d", &v), 1);
        fclose(f);
        return v;
}

static const char head[] =
        "[mc]\naddress = 0x72\n"
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\nproduct-id = 1\n"
        "guid = 01234567-89ab-cdef-0011-223344556677\n"
        "[sensor.0]\nname = Inlet\ntype = temperature\nrange = -40..125\n";

/* A rig whose [fan.0] has output = pwm:<dir>/pwm1 and the given extra keys. */
static void rig_setup(struct rig *g, const char *fan_keys, bool with_enable) {
        char text[2048];

        memset(g, 0, sizeof(*g));
        strcpy(g->dir, "/tmp/satmc-fan-XXXXXX");
        assert_non_null(mkdtemp(g->dir));
        snprintf(g->pwm, sizeof(g->pwm), "%s/pwm1", g->dir);
        snprintf(g->enable, sizeof(g->enable), "%s/pwm1_enable", g->dir);
        write_text(g->pwm, "77\n");
        if (with_enable)
                write_text(g->enable, "2\n");
        snprintf(text, sizeof(text), "%s[fan.0]\noutput = pwm:%s\n%s", head, g->pwm, fan_keys);
        g->config = load(text);
        assert_int_equal(fan_table_new(g->config, &g->fans), 0);
}

static void rig_teardown(struct rig *g) {
        fan_table_free(g->fans);
        config_free(g->config);
        remove_temp_dir(g->dir);
}

static const char policy[] = "follow = Inlet\ncurve = 30:4 50:8 70:15\nhysteresis = 2\n";

/* pwm at level L of 15 over 0..255. */
static int pwm_at(int level) {
        return (255 * level + 7) / 15;
}

static void test_mode_saved_set_and_restored(void **state) {
        struct rig g;

        (void) state;
        rig_setup(&g, policy, true);
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        assert_int_equal(read_int(g.enable), 1);
        /* No reading yet: the safe level. */
        assert_int_equal(read_int(g.pwm), 255);

        fan_table_on_reading(g.fans, 0, true, 20);
        assert_int_equal(read_int(g.pwm), pwm_at(4));

        /* At exit: full speed, then the driver's own mode back. */
        g.fans = fan_table_free(g.fans);
        assert_int_equal(read_int(g.pwm), 255);
        assert_int_equal(read_int(g.enable), 2);
        rig_teardown(&g);
}

/* After a crash the file says 1 (satmcd's own manual mode): pwm-enable-at-exit = 2 hands the
 * fan to the driver anyway. */
static void test_enable_at_exit(void **state) {
        struct rig g;

        (void) state;
        rig_setup(&g, "pwm-enable-at-exit = 2\n", true);
        write_text(g.enable, "1\n");
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        assert_int_equal(read_int(g.enable), 1);
        g.fans = fan_table_free(g.fans);
        assert_int_equal(read_int(g.enable), 2);
        rig_teardown(&g);
}

static void test_no_enable_file(void **state) {
        struct rig g;

        (void) state;
        rig_setup(&g, "", false);
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        assert_int_equal(read_int(g.pwm), 255);
        g.fans = fan_table_free(g.fans);
        assert_int_equal(access(g.enable, F_OK), -1);   /* not created */
        rig_teardown(&g);
}

static void test_unwritable_output_refuses_start(void **state) {
        struct rig g;
        char gone[1024];

        (void) state;
        rig_setup(&g, "", false);
        fan_table_free(g.fans);
        config_free(g.config);
        snprintf(gone, sizeof(gone), "%s[fan.0]\noutput = pwm:%s/nodir/pwm1\n", head, g.dir);
        g.config = load(gone);
        assert_int_equal(fan_table_new(g.config, &g.fans), 0);
        assert_true(fan_table_start(g.fans, NULL, NULL) < 0);
        rig_teardown(&g);
}

static void test_curve(void **state) {
        struct rig g;
        const struct fan_config *fc;

        (void) state;
        rig_setup(&g, "min-level = 5\nfollow = Inlet\ncurve = 30:4 50:8 70:15\n", false);
        fc = &g.config->fan[0];
        assert_int_equal(fan_curve_level(fc, -40), 5);  /* 4, raised to min-level */
        assert_int_equal(fan_curve_level(fc, 40), 6);
        assert_int_equal(fan_curve_level(fc, 41), 7);   /* 6.2: the faster of the two */
        assert_int_equal(fan_curve_level(fc, 50), 8);
        assert_int_equal(fan_curve_level(fc, 60), 12);  /* 11.5 */
        assert_int_equal(fan_curve_level(fc, 70), 15);
        assert_int_equal(fan_curve_level(fc, 500), 15);
        rig_teardown(&g);
}

static uint8_t level_of(struct fan *f) {
        struct fan_level_state st;

        fan_control_get_level(f, &st);
        return st.level;
}

/* Up at once; down only with the reading hysteresis below; no flapping at the edge. */
static void test_hysteresis(void **state) {
        struct rig g;
        struct fan *f;

        (void) state;
        rig_setup(&g, policy, true);
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        f = fan_table_get(g.fans, 0);
        assert_non_null(f);
        assert_null(fan_table_get(g.fans, 1));

        fan_table_on_reading(g.fans, 0, true, 40);
        assert_int_equal(level_of(f), 6);
        fan_table_on_reading(g.fans, 0, true, 35);      /* 5.0, but 37 still asks 6 */
        assert_int_equal(level_of(f), 6);
        fan_table_on_reading(g.fans, 0, true, 33);      /* 35 asks 5: down to 5 */
        assert_int_equal(level_of(f), 5);
        assert_int_equal(read_int(g.pwm), pwm_at(5));
        fan_table_on_reading(g.fans, 0, true, 35);      /* 5 again: no way back up */
        assert_int_equal(level_of(f), 5);
        fan_table_on_reading(g.fans, 0, true, 36);      /* 5.2 -> 6: up at once */
        assert_int_equal(level_of(f), 6);

        /* Another sensor's reading changes nothing. */
        fan_table_on_reading(g.fans, 3, false, 0);
        assert_int_equal(level_of(f), 6);
        /* Its own sensor failing: the safe level. */
        fan_table_on_reading(g.fans, 0, false, 0);
        assert_int_equal(level_of(f), 15);
        assert_int_equal(read_int(g.pwm), 255);
        rig_teardown(&g);
}

static void test_set_level(void **state) {
        struct fan_level_state st;
        struct rig g;
        struct fan *f;

        (void) state;
        rig_setup(&g, "min-level = 3\nmax-level = 10\npwm-range = 50..250\n"
                  "follow = Inlet\ncurve = 30:3 60:10\n", true);
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        f = fan_table_get(g.fans, 0);
        fan_table_on_reading(g.fans, 0, true, 20);
        fan_control_get_level(f, &st);
        assert_int_equal(st.override_level, FAN_LEVEL_LOCAL_CONTROL);
        assert_int_equal(st.local_level, 3);
        assert_true(st.local_control);
        assert_true(st.local_enabled);
        assert_int_equal(st.level, 3);
        assert_int_equal(read_int(g.pwm), 50 + (200 * 3 + 5) / 10);

        /* Override with local control enabled: the greater of the two. */
        assert_int_equal(fan_control_set_level(f, 7, -1), 0);
        assert_int_equal(level_of(f), 7);
        fan_table_on_reading(g.fans, 0, true, 60);
        assert_int_equal(level_of(f), 10);
        /* Local control disabled: the override alone. */
        assert_int_equal(fan_control_set_level(f, 4, 0), 0);
        assert_int_equal(level_of(f), 4);
        assert_int_equal(read_int(g.pwm), 50 + (200 * 4 + 5) / 10);

        /* Never below the minimum, never above the maximum, never shut down: nothing
         * changes on a refusal. */
        assert_int_equal(fan_control_set_level(f, 2, -1), -ERANGE);
        assert_int_equal(fan_control_set_level(f, 11, -1), -ERANGE);
        assert_int_equal(fan_control_set_level(f, FAN_LEVEL_SHUT_DOWN, -1), -ERANGE);
        assert_int_equal(level_of(f), 4);

        /* Back to local control. */
        assert_int_equal(fan_control_set_level(f, FAN_LEVEL_LOCAL_CONTROL, 1), 0);
        assert_int_equal(level_of(f), 10);
        rig_teardown(&g);
}

static void test_set_level_without_policy(void **state) {
        struct fan_level_state st;
        struct rig g;
        struct fan *f;

        (void) state;
        rig_setup(&g, "", true);
        assert_int_equal(fan_table_start(g.fans, NULL, NULL), 0);
        f = fan_table_get(g.fans, 0);
        fan_control_get_level(f, &st);
        assert_false(st.local_control);
        assert_false(st.local_enabled);
        assert_int_equal(st.level, 15);
        assert_int_equal(fan_control_set_level(f, FAN_LEVEL_LOCAL_CONTROL, -1), -EOPNOTSUPP);
        assert_int_equal(fan_control_set_level(f, 3, 1), -EOPNOTSUPP);
        assert_int_equal(fan_control_set_level(f, 0, -1), 0);
        assert_int_equal(read_int(g.pwm), 0);
        rig_teardown(&g);
}

/* ---- GPIO through the seam ---- */

struct fake_gpio {
        int opened, closed, value;
        char chip[32];
        unsigned line;
        bool active_low;
};

static int fake_open(void *userdata, const char *chip, unsigned line, bool active_low, int value,
                     void **ret_handle) {
        struct fake_gpio *g = userdata;

        g->opened++;
        snprintf(g->chip, sizeof(g->chip), "%s", chip);
        g->line = line;
        g->active_low = active_low;
        g->value = value;
        *ret_handle = g;
        return 0;
}

static int fake_set(void *userdata, void *handle, int value) {
        struct fake_gpio *g = userdata;

        assert_ptr_equal(handle, g);
        g->value = value;
        return 0;
}

static void fake_close(void *userdata, void *handle) {
        struct fake_gpio *g = userdata;

        g->closed++;
}

static const struct gpio_output_ops fake_ops = {
        .open = fake_open, .set = fake_set, .close = fake_close,
};

static void test_gpio_output(void **state) {
        struct fake_gpio gpio = { .value = -1 };
        struct satmc_config *c;
        struct fan_table *t;
        char text[1024];

        (void) state;
        snprintf(text, sizeof(text), "%s[fan.2]\noutput = gpio:fan-chip:5:active-low\n"
                 "max-level = 1\nfollow = sensor.0\ncurve = 40:0 41:1\nhysteresis = 0\n", head);
        c = load(text);
        assert_int_equal(fan_table_new(c, &t), 0);
        assert_int_equal(fan_table_start(t, &fake_ops, &gpio), 0);
        assert_int_equal(gpio.opened, 1);
        assert_string_equal(gpio.chip, "fan-chip");
        assert_int_equal(gpio.line, 5);
        assert_true(gpio.active_low);
        assert_int_equal(gpio.value, 1);        /* on until a reading says otherwise */

        fan_table_on_reading(t, 0, true, 30);
        assert_int_equal(gpio.value, 0);
        fan_table_on_reading(t, 0, true, 45);
        assert_int_equal(gpio.value, 1);
        fan_table_on_reading(t, 0, true, 30);
        assert_int_equal(gpio.value, 0);
        fan_table_free(t);
        assert_int_equal(gpio.value, 1);        /* left on */
        assert_int_equal(gpio.closed, 1);
        config_free(c);
}

/* ---- the sensors' reading hook ---- */

struct seen {
        unsigned calls;
        bool available;
        uint8_t raw;
};

static void on_reading(void *userdata, const struct sensor *sn) {
        struct seen *s = userdata;

        s->calls++;
        s->available = sn->available;
        s->raw = sn->raw;
}

static void test_sensor_reading_hook(void **state) {
        struct satmc_config *c = load(head);
        struct sensor_table *t;
        struct seen seen = { 0 };
        struct sensor *sn;

        (void) state;
        assert_int_equal(sensor_table_new(c, &t), 0);
        sn = sensor_table_get(t, 0);
        sensor_set_reading(sn, true, 0x42);     /* nobody listens: fine */
        sensor_table_on_reading(t, on_reading, &seen);
        sensor_set_reading(sn, true, 0x43);
        assert_int_equal(seen.calls, 1);
        assert_true(seen.available);
        assert_int_equal(seen.raw, 0x43);
        sensor_set_reading(sn, false, 0);
        assert_int_equal(seen.calls, 2);
        assert_false(seen.available);
        sensor_table_free(t);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mode_saved_set_and_restored),
                cmocka_unit_test(test_enable_at_exit),
                cmocka_unit_test(test_no_enable_file),
                cmocka_unit_test(test_unwritable_output_refuses_start),
                cmocka_unit_test(test_curve),
                cmocka_unit_test(test_hysteresis),
                cmocka_unit_test(test_set_level),
                cmocka_unit_test(test_set_level_without_policy),
                cmocka_unit_test(test_gpio_output),
                cmocka_unit_test(test_sensor_reading_hook),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
