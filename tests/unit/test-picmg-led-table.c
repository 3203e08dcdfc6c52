/* SPDX-License-Identifier: MIT */
/*
 * daemon/picmg-led.c with a fake GPIO output and a real sd-event loop: lines taken dark and
 * the local states shown at start; one color lit at a time, the old one dark first; "all LEDs"
 * all or nothing; blinking counted edge by edge (each wake-up of the loop is one edge, and the
 * time they take is at least what the pattern says, however slow the machine: no upper bound
 * is asserted); no timer at all while nothing blinks; a lamp test that ends by itself back to
 * the state below; a line that fails to write.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/picmg-led.h"
#include "protocol/ipmi.h"

#define LINES 8

struct fake_line {
        bool open;
        int value;
        unsigned edges;
};

struct fake_gpio {
        struct fake_line line[LINES];
        int fail_next;                  /* -errno for the next set() */
        bool two_lit;                   /* LED1's red and amber were ever lit together */
};

static int fake_open(void *userdata, const char *chip, unsigned line, bool active_low,
                     int value, void **ret_handle) {
        struct fake_gpio *g = userdata;

        assert_string_equal(chip, "leds");
        assert_true(line < LINES);
        assert_false(g->line[line].open);
        assert_int_equal(active_low, line == 2);
        g->line[line] = (struct fake_line) { .open = true, .value = value };
        *ret_handle = &g->line[line];
        return 0;
}

static int fake_set(void *userdata, void *handle, int value) {
        struct fake_gpio *g = userdata;
        struct fake_line *l = handle;

        assert_true(l->open);
        if (g->fail_next) {
                int r = g->fail_next;

                g->fail_next = 0;
                return r;
        }
        if (l->value != value)
                l->edges++;
        l->value = value;
        if (g->line[1].value && g->line[2].value)
                g->two_lit = true;
        return 0;
}

static void fake_close(void *userdata, void *handle) {
        struct fake_line *l = handle;

        (void) userdata;
        l->open = false;
}

static const struct gpio_output_ops fake_ops = {
        .open = fake_open, .set = fake_set, .close = fake_close,
};

static const char config_text[] =
        "[mc]\naddress = 0x72\n"
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 0x007ED9\n"
        "product-id = 0x1291\nguid = 01234567-89ab-cdef-0011-223344556677\n"
        "[picmg]\nprofile = atca-ipmc\n[fru.0]\nboard-product-name = Blade\n"
        "[picmg-led.0]\nled = 0\ngpio = blue=leds:0\n"
        "[picmg-led.1]\nled = 1\ngpio = red=leds:1 amber=leds:2:active-low\n"
        "override-color = amber\n"
        "[picmg-led.2]\nled = 2\ngpio = green=leds:3\nlocal-state = on\n"
        "[picmg-led.3]\nled = 4\ngpio = white=leds:4\n";

struct rig {
        struct satmc_config *config;
        struct picmg_led_table *t;
        sd_event *event;
        struct fake_gpio gpio;
};

static int setup(void **state) {
        struct rig *r = calloc(1, sizeof(*r));
        FILE *in = fmemopen((void *) config_text, strlen(config_text), "r");

        assert_non_null(r);
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "leds.ini", stderr, &r->config), 0);
        fclose(in);
        assert_int_equal(sd_event_new(&r->event), 0);
        assert_int_equal(picmg_led_table_new(r->config, &r->t), 0);
        assert_int_equal(picmg_led_table_count(r->t), 4);
        assert_int_equal(picmg_led_table_start(r->t, r->event, &fake_ops, &r->gpio), 0);
        *state = r;
        return 0;
}

static int teardown(void **state) {
        struct rig *r = *state;

        picmg_led_table_free(r->t);
        for (unsigned i = 0; i < LINES; i++) {
                assert_false(r->gpio.line[i].open);
                assert_int_equal(r->gpio.line[i].value, 0);     /* dark at exit */
        }
        assert_false(r->gpio.two_lit);
        sd_event_unref(r->event);
        config_free(r->config);
        free(r);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int set(struct rig *r, uint8_t led, uint8_t fn, uint8_t on, uint8_t color) {
        return picmg_led_set(r->t, &(struct picmg_led_request) {
                .fru = 0, .led = led, .function = fn, .on_duration = on, .color = color });
}

static void test_start_and_properties(void **state) {
        struct rig *r = *state;
        uint8_t general, oem;
        struct picmg_led_caps caps;

        for (unsigned i = 0; i < 5; i++)
                assert_true(r->gpio.line[i].open);
        assert_int_equal(r->gpio.line[3].value, 1);     /* LED2: local-state on */
        assert_int_equal(r->gpio.line[0].value, 0);
        assert_int_equal(picmg_led_properties(r->t, 0, &general, &oem), 0);
        assert_int_equal(general, 0x07);
        assert_int_equal(oem, 1);
        assert_int_equal(picmg_led_properties(r->t, 1, &general, &oem), -ENOENT);
        assert_int_equal(picmg_led_caps(r->t, 0, 1, &caps), 0);
        assert_int_equal(caps.colors, (1 << PICMG_LED_COLOR_RED) | (1 << PICMG_LED_COLOR_AMBER));
        assert_int_equal(caps.local_color, PICMG_LED_COLOR_RED);
        assert_int_equal(caps.override_color, PICMG_LED_COLOR_AMBER);
        assert_int_equal(picmg_led_caps(r->t, 0, 3, &caps), -ENOENT);
        assert_int_equal(picmg_led_caps(r->t, 0, 5, &caps), -ENOENT);
}

static void test_one_color_at_a_time(void **state) {
        struct rig *r = *state;
        struct picmg_led_state s;
        uint8_t left;

        assert_int_equal(set(r, 1, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_RED), 0);
        assert_int_equal(r->gpio.line[1].value, 1);
        assert_int_equal(r->gpio.line[2].value, 0);
        assert_int_equal(set(r, 1, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(r->gpio.line[1].value, 0);
        assert_int_equal(r->gpio.line[2].value, 1);
        /* A color it does not have: refused, nothing changes. */
        assert_int_equal(set(r, 1, PICMG_LED_FN_OFF, 0, PICMG_LED_COLOR_GREEN),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(r->gpio.line[2].value, 1);
        assert_int_equal(set(r, 3, PICMG_LED_FN_OFF, 0, PICMG_LED_COLOR_DEFAULT), -ENOENT);
        assert_int_equal(picmg_led_state(r->t, 0, 1, &s, &left), 0);
        assert_true(s.override);
        assert_int_equal(s.override_color, PICMG_LED_COLOR_AMBER);
        assert_int_equal(left, 0);
        /* Back to local control: off. */
        assert_int_equal(set(r, 1, PICMG_LED_FN_LOCAL, 0, 0), 0);
        assert_int_equal(r->gpio.line[2].value, 0);
        assert_int_equal(picmg_led_state(r->t, 0, 1, &s, &left), 0);
        assert_false(s.override);
}

static void test_all_or_nothing(void **state) {
        struct rig *r = *state;
        struct picmg_led_state s;
        uint8_t left;

        /* Red is LED1's only: every other LED refuses, so none changes. */
        assert_int_equal(set(r, PICMG_LED_ALL, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_RED),
                         IPMI_CC_INVALID_DATA_FIELD);
        for (uint8_t led = 0; led <= 4; led++)
                if (picmg_led_state(r->t, 0, led, &s, &left) == 0)
                        assert_false(s.override);
        assert_int_equal(r->gpio.line[1].value, 0);
        /* Each its own default: all on. */
        assert_int_equal(set(r, PICMG_LED_ALL, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_DEFAULT), 0);
        for (unsigned i = 0; i < 5; i++)
                assert_int_equal(r->gpio.line[i].value, i != 1);
        assert_int_equal(picmg_led_set(r->t, &(struct picmg_led_request) {
                .fru = 2, .led = PICMG_LED_ALL, .function = 0, .color = 0xF }), -ENOENT);
}

/* The loop's time of its last wake-up (now, before its first): what a timer set from a
 * handler is relative to, as it would be for a request that woke the loop. */
static uint64_t loop_now(struct rig *r) {
        uint64_t t;

        assert_int_equal(sd_event_now(r->event, CLOCK_MONOTONIC, &t) >= 0, 1);
        return t;
}

/* Runs the loop until n timer edges of line happened; returns the time since t0 (the loop
 * time the pattern was set at: its first edge is timed from then). */
static uint64_t run_edges(struct rig *r, unsigned line, unsigned n, uint64_t t0) {
        unsigned start = r->gpio.line[line].edges;

        for (unsigned i = 0; i < n; i++)
                assert_int_equal(sd_event_run(r->event, UINT64_MAX), 1);
        assert_int_equal(r->gpio.line[line].edges - start, n);
        return now_usec() - t0;
}

static void test_blink_edges_and_idle(void **state) {
        struct rig *r = *state;
        struct picmg_led_pattern fast = { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 10,
                                          .off_ms = 30 };
        unsigned edges;
        uint64_t t0 = loop_now(r);

        assert_int_equal(picmg_led_set_local(r->t, 0, 0, &fast), 0);
        assert_int_equal(r->gpio.line[0].value, 1);             /* starts lit */
        /* 10 periods: 20 edges, each a wake-up, at least 10 * (10 + 30) ms in all. */
        assert_true(run_edges(r, 0, 20, t0) >= 400000);
        /* The same pattern again does not restart the rhythm (no extra edge). */
        edges = r->gpio.line[0].edges;
        assert_int_equal(picmg_led_set_local(r->t, 0, 0, &fast), 0);
        assert_int_equal(r->gpio.line[0].edges, edges);

        /* An override on hides it: no timer left, the loop has nothing to do. */
        assert_int_equal(set(r, 0, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_BLUE), 0);
        assert_int_equal(r->gpio.line[0].value, 1);
        edges = r->gpio.line[0].edges;
        assert_int_equal(sd_event_run(r->event, 100000), 0);
        assert_int_equal(r->gpio.line[0].edges, edges);

        /* An override blink (0x02 off = 20 ms, 0x01 on = 10 ms) takes over from there. */
        t0 = loop_now(r);
        assert_int_equal(set(r, 0, 0x02, 0x01, PICMG_LED_COLOR_DEFAULT), 0);
        assert_true(run_edges(r, 0, 4, t0) >= 60000);
        /* Restored: the local blink starts again, lit (a pattern that differs from the one
         * shown restarts; the same one would go on in its rhythm); then local off, and nothing
         * wakes up. */
        t0 = loop_now(r);
        assert_int_equal(set(r, 0, PICMG_LED_FN_LOCAL, 0, 0), 0);
        assert_true(run_edges(r, 0, 2, t0) >= 40000);
        assert_int_equal(picmg_led_set_local(r->t, 0, 0, &(struct picmg_led_pattern) {
                .kind = PICMG_LED_PATTERN_OFF }), 0);
        assert_int_equal(r->gpio.line[0].value, 0);
        assert_int_equal(sd_event_run(r->event, 100000), 0);

        /* Patterns the wire cannot say, and LEDs that do not exist. */
        assert_int_equal(picmg_led_set_local(r->t, 0, 0, &(struct picmg_led_pattern) {
                .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 5, .off_ms = 10 }), -EINVAL);
        assert_int_equal(picmg_led_set_local(r->t, 0, 3, &fast), -ENOENT);
        assert_int_equal(picmg_led_set_local(r->t, 1, 0, &fast), -ENOENT);
}

static void test_lamp_test_expires(void **state) {
        struct rig *r = *state;
        struct picmg_led_state s;
        uint8_t left;
        uint64_t t0 = loop_now(r);
        unsigned runs = 0;

        /* LED1 (local off) lamp-tested red for 100 ms, then on amber under it. */
        assert_int_equal(set(r, 1, PICMG_LED_FN_LAMP_TEST, 1, PICMG_LED_COLOR_RED), 0);
        assert_int_equal(r->gpio.line[1].value, 1);
        assert_int_equal(picmg_led_state(r->t, 0, 1, &s, &left), 0);
        assert_true(s.lamp_test);
        assert_int_equal(left, 1);
        assert_int_equal(set(r, 1, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(r->gpio.line[1].value, 1);             /* still the test */
        while (s.lamp_test) {
                assert_true(++runs <= 2);       /* one wake-up ends it */
                assert_int_equal(sd_event_run(r->event, UINT64_MAX), 1);
                assert_int_equal(picmg_led_state(r->t, 0, 1, &s, &left), 0);
        }
        assert_true(now_usec() - t0 >= 100000);
        assert_true(s.override);
        assert_int_equal(r->gpio.line[1].value, 0);
        assert_int_equal(r->gpio.line[2].value, 1);             /* the override's amber */
        assert_int_equal(sd_event_run(r->event, 50000), 0);     /* nothing left to time */

        /* Restore during a lamp test ends it and its timer. */
        assert_int_equal(set(r, 2, PICMG_LED_FN_LAMP_TEST, 100, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(picmg_led_state(r->t, 0, 2, &s, &left), 0);
        assert_true(s.lamp_test);
        assert_true(left >= 99 && left <= 100);
        assert_int_equal(set(r, 2, PICMG_LED_FN_LOCAL, 0, 0), 0);
        assert_int_equal(picmg_led_state(r->t, 0, 2, &s, &left), 0);
        assert_false(s.lamp_test);
        assert_int_equal(sd_event_run(r->event, 50000), 0);
}

static void test_write_failure(void **state) {
        struct rig *r = *state;
        struct picmg_led_state s;
        uint8_t left;

        r->gpio.fail_next = -EIO;
        assert_int_equal(set(r, 4, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(r->gpio.line[4].value, 0);             /* the write failed */
        assert_int_equal(picmg_led_state(r->t, 0, 4, &s, &left), 0);
        assert_true(s.override);                                /* the state is what was asked */
        assert_int_equal(set(r, 4, PICMG_LED_FN_OFF, 0, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(set(r, 4, PICMG_LED_FN_ON, 0, PICMG_LED_COLOR_DEFAULT), 0);
        assert_int_equal(r->gpio.line[4].value, 1);             /* tried again */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_start_and_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_one_color_at_a_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_blink_edges_and_idle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lamp_test_expires, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
