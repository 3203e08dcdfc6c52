/* SPDX-License-Identifier: MIT */
/*
 * The daemon side of the PICMG profile (daemon/picmg.c, picmg-action.c) on a real sd-event
 * loop with fake hardware: a handle switch that bounces settles once, after the debounce time,
 * into one transition; the blue LED follows the states; a GPIO FRU Control action pulses its
 * line for pulse-ms and refuses a second run meanwhile; the power grant completes an
 * activation; bad FRU IDs and options are refused; profile none builds nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/picmg.h"
#include "protocol/picmg.h"

static const char config_text[] =
        "[mc]\naddress = 0x8a\n"
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\nproduct-id = 1\n"
        "guid = 01234567-89ab-cdef-0011-223344556677\n"
        "[picmg]\nprofile = atca-ipmc\nhandle-switch-chip = fakechip\nhandle-switch-line = 5\n"
        "handle-switch-debounce-ms = 20\npulse-ms = 30\n"
        "[fru.0]\nboard-manufacturer = Acme\ncold-reset-action = gpio:resetchip:3:active-low\n"
        "[fru.1]\nboard-manufacturer = Bolt\n";

struct fake {
        int pipe[2];
        int level;                      /* the handle switch's logical value */
        int drained;
        int gpio_value, gpio_sets;
        uint64_t gpio_set_usec[4];      /* when each set happened */
        uint64_t led_usec;              /* when the last LED report came */
        bool gpio_active_low;
        unsigned leds[32][2];           /* (fru, hint) as reported */
        unsigned n_leds;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int handle_open(void *userdata, const char *chip, unsigned line, bool active_low,
                       void **ret_handle, int *ret_fd) {
        struct fake *f = userdata;

        assert_string_equal(chip, "fakechip");
        assert_int_equal(line, 5);
        assert_false(active_low);
        *ret_handle = f;
        *ret_fd = f->pipe[0];
        return 0;
}

static int handle_drain(void *userdata, void *handle) {
        struct fake *f = userdata;
        char buf[16];

        (void) handle;
        while (read(f->pipe[0], buf, sizeof(buf)) > 0)
                f->drained++;
        return 0;
}

static int handle_get(void *userdata, void *handle) {
        (void) handle;
        return ((struct fake *) userdata)->level;
}

static void handle_close(void *userdata, void *handle) {
        (void) userdata;
        (void) handle;
}

static const struct picmg_handle_ops fake_handle = {
        .open = handle_open, .drain = handle_drain, .get = handle_get, .close = handle_close,
};

static int gpio_open(void *userdata, const char *chip, unsigned line, bool active_low, int value,
                     void **ret_handle) {
        struct fake *f = userdata;

        assert_string_equal(chip, "resetchip");
        assert_int_equal(line, 3);
        f->gpio_active_low = active_low;
        f->gpio_value = value;
        *ret_handle = f;
        return 0;
}

static int gpio_set(void *userdata, void *handle, int value) {
        struct fake *f = userdata;

        (void) handle;
        f->gpio_value = value;
        if (f->gpio_sets < 4)
                f->gpio_set_usec[f->gpio_sets] = now_usec();
        f->gpio_sets++;
        return 0;
}

static void gpio_close(void *userdata, void *handle) {
        (void) userdata;
        (void) handle;
}

static const struct gpio_output_ops fake_gpio = {
        .open = gpio_open, .set = gpio_set, .close = gpio_close,
};

static void on_led(void *userdata, uint8_t fru, enum hotswap_led_hint hint) {
        struct fake *f = userdata;

        assert_true(f->n_leds < 32);
        f->leds[f->n_leds][0] = fru;
        f->leds[f->n_leds][1] = hint;
        f->n_leds++;
        f->led_usec = now_usec();
}

struct rig {
        struct satmc_config *c;
        sd_event *e;
        struct picmg *p;
        struct fake f;
};

static int setup(void **state) {
        struct rig *r = calloc(1, sizeof(*r));
        FILE *in = fmemopen((void *) config_text, strlen(config_text), "r");

        assert_non_null(r);
        assert_int_equal(config_load_from_file(in, "picmg.ini", stderr, &r->c), 0);
        fclose(in);
        assert_int_equal(pipe2(r->f.pipe, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(sd_event_new(&r->e), 0);
        assert_int_equal(picmg_new(r->e, r->c, &r->p), 0);
        assert_non_null(r->p);
        picmg_set_blue_led(r->p, on_led, &r->f);
        *state = r;
        return 0;
}

static int teardown(void **state) {
        struct rig *r = *state;

        picmg_free(r->p);
        sd_event_unref(r->e);
        config_free(r->c);
        close(r->f.pipe[0]);
        close(r->f.pipe[1]);
        free(r);
        return 0;
}

/* Run the loop until done() holds; a bound of 10 s of waiting (work, not a sleep: each
 * round returns as soon as a source fires), so a slow machine (valgrind) only takes longer. */
static void run_until(struct rig *r, bool (*done)(struct rig *r)) {
        for (unsigned i = 0; i < 2000 && !done(r); i++)
                assert_true(sd_event_run(r->e, 5000) >= 0);
        assert_true(done(r));
}

static bool fru0_in_m2(struct rig *r) {
        return picmg_state(r->p, 0) == HOTSWAP_M2;
}

static bool fru0_in_m5(struct rig *r) {
        return picmg_state(r->p, 0) == HOTSWAP_M5;
}

static bool pulse_over(struct rig *r) {
        return r->f.gpio_sets >= 2;
}

static void edge(struct rig *r, int level) {
        r->f.level = level;
        assert_int_equal(write(r->f.pipe[1], "e", 1), 1);
}

static void test_handle_debounced(void **state) {
        struct rig *r = *state;
        uint64_t last_edge;

        r->f.level = 0;                 /* the handle is open at start */
        assert_int_equal(picmg_start(r->p, &fake_handle, &r->f, &fake_gpio, &r->f), 0);
        picmg_insert(r->p, NULL);
        /* FRU 0 waits in M1 for its handle; FRU 1 has none and asks at once. */
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M1);
        assert_int_equal(picmg_state(r->p, 1), HOTSWAP_M2);
        assert_int_equal(r->f.n_leds, 3);
        assert_int_equal(r->f.leds[0][1], HOTSWAP_LED_ON);
        assert_int_equal(r->f.leds[2][0], 1);
        assert_int_equal(r->f.leds[2][1], HOTSWAP_LED_LONG_BLINK);

        /* A bouncing contact: closed, open, closed, each edge taken by the loop at once. The
         * debounce time restarts at each: one transition, debounce-ms after the last edge. */
        edge(r, 1);
        assert_true(sd_event_run(r->e, 0) >= 0);
        edge(r, 0);
        assert_true(sd_event_run(r->e, 0) >= 0);
        edge(r, 1);
        assert_true(sd_event_run(r->e, 0) >= 0);
        last_edge = now_usec();
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M1);     /* not settled yet */
        run_until(r, fru0_in_m2);
        assert_true(r->f.led_usec - last_edge >= 20000);
        assert_true(r->f.drained >= 1);
        assert_int_equal(r->f.n_leds, 4);                       /* once, closed */
        assert_int_equal(r->f.leds[3][1], HOTSWAP_LED_LONG_BLINK);

        /* Activation, the shelf manager's power grant, then the handle opened. */
        assert_int_equal(picmg_set_activation(r->p, 0, true), 0);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M3);
        assert_int_equal(picmg_hotswap_power_granted(r->p, 0, true), 0);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M4);
        edge(r, 0);
        run_until(r, fru0_in_m5);
        assert_int_equal(r->f.leds[r->f.n_leds - 1][1], HOTSWAP_LED_SHORT_BLINK);
        /* Deactivated: through M6 to M1 (the payload is off at once), LED on. */
        assert_int_equal(picmg_set_activation(r->p, 0, false), 0);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M1);
        assert_int_equal(r->f.leds[r->f.n_leds - 1][1], HOTSWAP_LED_ON);
        /* Refused in M1: nothing changes. */
        assert_int_equal(picmg_set_activation(r->p, 0, true), -EOPNOTSUPP);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M1);
}

static void test_fru_control_pulse(void **state) {
        struct rig *r = *state;
        struct own_sensor sensor;

        r->f.level = 1;
        assert_int_equal(picmg_start(r->p, &fake_handle, &r->f, &fake_gpio, &r->f), 0);
        assert_true(r->f.gpio_active_low);
        assert_int_equal(r->f.gpio_value, 0);   /* requested inactive */
        picmg_insert(r->p, NULL);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M2);

        assert_int_equal(picmg_fru_control(r->p, 0, PICMG_FRU_CONTROL_COLD_RESET), 0);
        assert_int_equal(r->f.gpio_value, 1);
        assert_int_equal(picmg_fru_control(r->p, 0, PICMG_FRU_CONTROL_COLD_RESET), -EBUSY);
        run_until(r, pulse_over);
        assert_int_equal(r->f.gpio_value, 0);
        assert_int_equal(r->f.gpio_sets, 2);
        assert_true(r->f.gpio_set_usec[1] - r->f.gpio_set_usec[0] >= 30000);     /* pulse-ms */

        assert_int_equal(picmg_fru_control(r->p, 0, PICMG_FRU_CONTROL_WARM_RESET), -EOPNOTSUPP);
        assert_int_equal(picmg_fru_control(r->p, 1, PICMG_FRU_CONTROL_COLD_RESET), -EOPNOTSUPP);
        assert_int_equal(picmg_fru_control(r->p, 5, PICMG_FRU_CONTROL_COLD_RESET), -ENOENT);
        assert_int_equal(picmg_fru_control_capabilities(r->p, 0), 0);
        assert_int_equal(picmg_max_fru(r->p), 1);

        /* The hot-swap sensors: 254 for FRU 0, 253 for FRU 1 (no [sensor.N] here). */
        assert_int_equal(picmg_own_sensor(r->p, 0, 0xFE, &sensor), 0);
        assert_int_equal(sensor.state, 1 << 2);
        assert_int_equal(sensor.assertions, 0x00FF);
        assert_true(sensor.enables->events && sensor.enables->scanning);
        assert_int_equal(picmg_own_sensor(r->p, 0, 0xFC, &sensor), -ENOENT);
        assert_int_equal(picmg_own_sensor(r->p, 1, 0xFE, &sensor), -ENOENT);
        assert_int_equal(picmg_sensor_rearm(r->p, 0, 0xFC, 0xFF), -ENOENT);

        /* The shelf manager stops answering: every managed FRU in M7, refusing activation,
         * then back where it was once it answers again. */
        picmg_communication(r->p, false);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M7);
        assert_int_equal(picmg_state(r->p, 1), HOTSWAP_M7);
        assert_int_equal(picmg_set_activation(r->p, 0, true), -EOPNOTSUPP);
        picmg_communication(r->p, true);
        assert_int_equal(picmg_state(r->p, 0), HOTSWAP_M2);
        assert_int_equal(picmg_state(r->p, 1), HOTSWAP_M2);

        /* Policy of an unmanaged FRU; the site from the address (0x8A: slot 5). */
        assert_int_equal(picmg_set_policy(r->p, 2, 1, 1), -ENOENT);
        assert_int_equal(picmg_site_number(r->p), 5);
        assert_int_equal(picmg_site_type(r->p), PICMG_SITE_ATCA_BOARD);
}

/* Two FRUs, each with its own handle switch ([fru.N] handle-switch): each line moves its
 * own FRU only. */
static const char two_handles_text[] =
        "[mc]\naddress = 0x8a\n"
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\nproduct-id = 1\n"
        "guid = 01234567-89ab-cdef-0011-223344556677\n"
        "[picmg]\nprofile = atca-ipmc\nhandle-switch-debounce-ms = 20\n"
        "[fru.0]\nboard-manufacturer = Acme\nhandle-switch = gpio:fakechip:5\n"
        "[fru.1]\nboard-manufacturer = Bolt\nhandle-switch = gpio:rtmchip:6:active-low\n";

struct two_handles {
        int pipe[2][2];
        int level[2];
        bool active_low[2];
        unsigned opened;
};

static int two_open(void *userdata, const char *chip, unsigned line, bool active_low,
                    void **ret_handle, int *ret_fd) {
        struct two_handles *t = userdata;
        unsigned i = strcmp(chip, "rtmchip") == 0;

        assert_int_equal(line, i ? 6 : 5);
        t->active_low[i] = active_low;
        t->opened++;
        *ret_handle = &t->level[i];
        *ret_fd = t->pipe[i][0];
        return 0;
}

static int two_drain(void *userdata, void *handle) {
        struct two_handles *t = userdata;
        unsigned i = handle == &t->level[1];
        char buf[16];

        while (read(t->pipe[i][0], buf, sizeof(buf)) > 0)
                ;
        return 0;
}

static int two_get(void *userdata, void *handle) {
        (void) userdata;
        return *(int *) handle;
}

static const struct picmg_handle_ops two_handle_ops = {
        .open = two_open, .drain = two_drain, .get = two_get, .close = handle_close,
};

static bool fru1_in_m2(struct rig *r) {
        return picmg_state(r->p, 1) == HOTSWAP_M2;
}

static void test_handle_per_fru(void **state) {
        FILE *in = fmemopen((void *) two_handles_text, strlen(two_handles_text), "r");
        struct two_handles t = { .level = { 0, 0 } };
        struct rig r = { 0 };

        (void) state;
        assert_int_equal(config_load_from_file(in, "picmg.ini", stderr, &r.c), 0);
        fclose(in);
        for (unsigned i = 0; i < 2; i++)
                assert_int_equal(pipe2(t.pipe[i], O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(sd_event_new(&r.e), 0);
        assert_int_equal(picmg_new(r.e, r.c, &r.p), 0);
        assert_int_equal(picmg_start(r.p, &two_handle_ops, &t, &fake_gpio, &r.f), 0);
        assert_int_equal(t.opened, 2);
        assert_false(t.active_low[0]);
        assert_true(t.active_low[1]);
        picmg_insert(r.p, NULL);
        /* Both handles open at start: both FRUs wait in M1. */
        assert_int_equal(picmg_state(r.p, 0), HOTSWAP_M1);
        assert_int_equal(picmg_state(r.p, 1), HOTSWAP_M1);

        /* FRU 1's handle closes: FRU 1 asks to be activated, FRU 0 does not move. */
        t.level[1] = 1;
        assert_int_equal(write(t.pipe[1][1], "e", 1), 1);
        run_until(&r, fru1_in_m2);
        assert_int_equal(picmg_state(r.p, 0), HOTSWAP_M1);
        /* Then FRU 0's. */
        t.level[0] = 1;
        assert_int_equal(write(t.pipe[0][1], "e", 1), 1);
        run_until(&r, fru0_in_m2);
        assert_int_equal(picmg_state(r.p, 1), HOTSWAP_M2);
        /* FRU 1's opens again: back to M1, FRU 0 stays. */
        t.level[1] = 0;
        assert_int_equal(write(t.pipe[1][1], "e", 1), 1);
        for (unsigned i = 0; i < 2000 && picmg_state(r.p, 1) != HOTSWAP_M1; i++)
                assert_true(sd_event_run(r.e, 5000) >= 0);
        assert_int_equal(picmg_state(r.p, 1), HOTSWAP_M1);
        assert_int_equal(picmg_state(r.p, 0), HOTSWAP_M2);

        picmg_free(r.p);
        sd_event_unref(r.e);
        config_free(r.c);
        for (unsigned i = 0; i < 2; i++) {
                close(t.pipe[i][0]);
                close(t.pipe[i][1]);
        }
}

static void test_profile_none(void **state) {
        struct satmc_config *c = config_new();
        struct picmg *p = (struct picmg *) 1;
        sd_event *e = NULL;

        (void) state;
        assert_non_null(c);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(picmg_new(e, c, &p), 0);
        assert_null(p);
        sd_event_unref(e);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_handle_debounced, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fru_control_pulse, setup, teardown),
                cmocka_unit_test(test_handle_per_fru),
                cmocka_unit_test(test_profile_none),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
