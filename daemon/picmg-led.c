/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "picmg-led.h"
#include "protocol/ipmi.h"

/* Blink edges within a millisecond of their time: a 10 ms on time must look like one. */
#define BLINK_ACCURACY_USEC 1000ULL
#define LAMP_TEST_UNIT_USEC 100000ULL

struct picmg_led {
        struct picmg_led_table *table;
        const struct picmg_led_config *config;
        unsigned index;                 /* [picmg-led.index] */
        struct picmg_led_caps caps;
        struct picmg_led_state state;
        void *line[PICMG_LED_COLOR_MAX + 1];    /* by color; NULL before start */
        int written[PICMG_LED_COLOR_MAX + 1];   /* last value written, -1 = unknown */
        /* What the lines show: the effective pattern and color, and the blink phase. */
        struct picmg_led_pattern shown;
        uint8_t shown_color;
        bool lit;
        sd_event_source *blink;
        sd_event_source *lamp;
        uint64_t lamp_deadline;         /* CLOCK_MONOTONIC usec */
        bool write_failed;              /* logged once until a write succeeds again */
};

struct picmg_led_table {
        sd_event *event;
        const struct gpio_output_ops *gpio;
        void *gpio_userdata;
        unsigned n;
        struct picmg_led leds[];        /* the n configured, not CONFIG_PICMG_LED_MAX */
};

int picmg_led_table_new(const struct satmc_config *c, struct picmg_led_table **ret) {
        struct picmg_led_table *t;
        unsigned n = 0;

        /* Sized for the LEDs configured (most boards: none), not for the 32 a board may
         * have: 5.6 KiB of heap otherwise (docs/performance.md, "Item 2: memory"). */
        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++)
                n += c->picmg_led[i].present;
        t = calloc(1, sizeof(*t) + n * sizeof(t->leds[0]));
        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++) {
                const struct picmg_led_config *lc = &c->picmg_led[i];
                struct picmg_led *l;

                if (!lc->present)
                        continue;
                l = &t->leds[t->n++];
                *l = (struct picmg_led) {
                        .table = t,
                        .config = lc,
                        .index = i,
                        .caps = {
                                .colors = lc->colors,
                                .local_color = lc->local_color,
                                .override_color = lc->override_color,
                        },
                };
                for (unsigned color = 0; color <= PICMG_LED_COLOR_MAX; color++)
                        l->written[color] = -1;
                picmg_led_state_init(&l->state, &l->caps, &lc->local_state);
        }
        *ret = t;
        return 0;
}

unsigned picmg_led_table_count(const struct picmg_led_table *t) {
        return t ? t->n : 0;
}

static struct picmg_led *find(const struct picmg_led_table *t, uint8_t fru, uint8_t led) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < t->n; i++)
                if (t->leds[i].config->fru == fru && t->leds[i].config->led == led)
                        return (struct picmg_led *) &t->leds[i];
        return NULL;
}

/* Each color's line to whether it is the one lit; only lines whose value changes are written,
 * the one going dark first, so two colors are never lit together. */
static void write_lines(struct picmg_led *l) {
        const struct gpio_output_ops *gpio = l->table->gpio;
        int failed = 0;

        for (int pass = 0; pass < 2; pass++)
                for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++) {
                        int value = l->lit && c == l->shown_color;
                        int r;

                        if (!l->line[c] || l->written[c] == value || value != pass)
                                continue;
                        r = gpio->set(l->table->gpio_userdata, l->line[c], value);
                        if (r < 0) {
                                l->written[c] = -1;
                                failed = r;
                                continue;
                        }
                        l->written[c] = value;
                }
        if (failed < 0 && !l->write_failed)
                log_warning_errno(failed, "[picmg-led.%u] Failed to set a line, trying again "
                                  "at the next change: %m", l->index);
        l->write_failed = failed < 0;
}

static int on_blink(sd_event_source *s, uint64_t usec, void *userdata) {
        struct picmg_led *l = userdata;
        int r;

        l->lit = !l->lit;
        write_lines(l);
        /* From the deadline, not from now: a late wake-up does not shift every later edge. */
        r = sd_event_source_set_time(s, usec + 1000ULL * (l->lit ? l->shown.on_ms
                                                                 : l->shown.off_ms));
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "[picmg-led.%u] Failed to re-arm the blink timer: %m",
                                  l->index);
        return 0;
}

/* Show the effective state on the lines; a blink restarts (lit) only when the pattern or
 * color changed, so repeating a Set FRU LED State does not make the LED stutter. */
static void show(struct picmg_led *l) {
        struct picmg_led_pattern p;
        uint8_t color;
        int r;

        picmg_led_effective(&l->state, &p, &color);
        if (!l->table->event)
                return;         /* not started: shown at start */
        if (memcmp(&p, &l->shown, sizeof(p)) == 0 && color == l->shown_color &&
            (p.kind != PICMG_LED_PATTERN_BLINK || l->blink))
                return;
        l->shown = p;
        l->shown_color = color;
        l->lit = p.kind != PICMG_LED_PATTERN_OFF;
        write_lines(l);
        if (p.kind != PICMG_LED_PATTERN_BLINK) {
                l->blink = sd_event_source_disable_unref(l->blink);
                return;
        }
        l->blink = sd_event_source_disable_unref(l->blink);
        r = sd_event_add_time_relative(l->table->event, &l->blink, CLOCK_MONOTONIC,
                                       1000ULL * p.on_ms, BLINK_ACCURACY_USEC, on_blink, l);
        if (r < 0) {
                log_warning_errno(r, "[picmg-led.%u] Failed to start blinking, shown on: %m",
                                  l->index);
                return;
        }
        (void) sd_event_source_set_description(l->blink, "picmg-led-blink");
}

static int on_lamp_test_end(sd_event_source *s, uint64_t usec, void *userdata) {
        struct picmg_led *l = userdata;

        (void) s;
        (void) usec;
        l->lamp = sd_event_source_disable_unref(l->lamp);
        picmg_led_lamp_test_end(&l->state);
        show(l);
        return 0;
}

/* A lamp test just started (or started again) and its lamps are lit: its timer from now. Now,
 * not the loop's time (sd_event_now()), which is when this iteration woke: the lamps would be
 * lit for less than asked by however long the loop took to get here (66 ms once, on a
 * loaded machine). */
static int start_lamp_test(struct picmg_led *l) {
        int r;

        l->lamp = sd_event_source_disable_unref(l->lamp);
        if (!l->state.lamp_test || !l->table->event)
                return 0;
        l->lamp_deadline = monotonic_usec() + l->state.lamp_duration * LAMP_TEST_UNIT_USEC;
        r = sd_event_add_time(l->table->event, &l->lamp, CLOCK_MONOTONIC, l->lamp_deadline,
                              BLINK_ACCURACY_USEC, on_lamp_test_end, l);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(l->lamp, "picmg-led-lamp-test");
        return 0;
}

int picmg_led_table_start(struct picmg_led_table *t, sd_event *event,
                          const struct gpio_output_ops *gpio, void *userdata) {
        if (!t)
                return 0;
        t->gpio = gpio ?: &gpio_output_libgpiod;
        t->gpio_userdata = userdata;
        for (unsigned i = 0; i < t->n; i++) {
                struct picmg_led *l = &t->leds[i];

                for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++) {
                        const struct picmg_led_line_config *lc = &l->config->gpio[c];
                        int r;

                        if (!lc->present)
                                continue;
                        r = t->gpio->open(userdata, lc->chip, lc->line, lc->active_low, 0,
                                          &l->line[c]);
                        if (r < 0)
                                return log_error_errno(r, "[picmg-led.%u] Failed to take GPIO "
                                                       "line %s:%u (%s) as an output: %m", i,
                                                       lc->chip, lc->line,
                                                       picmg_led_color_name(c));
                        l->written[c] = 0;
                }
        }
        t->event = sd_event_ref(event);
        for (unsigned i = 0; i < t->n; i++) {
                /* Nothing shown yet: make show() see a change. */
                t->leds[i].shown = (struct picmg_led_pattern) { .kind = PICMG_LED_PATTERN_OFF };
                t->leds[i].shown_color = 0xFF;
                show(&t->leds[i]);
        }
        return 0;
}

struct picmg_led_table *picmg_led_table_free(struct picmg_led_table *t) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < t->n; i++) {
                struct picmg_led *l = &t->leds[i];

                l->blink = sd_event_source_disable_unref(l->blink);
                l->lamp = sd_event_source_disable_unref(l->lamp);
                for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++) {
                        if (!l->line[c])
                                continue;
                        /* Dark at exit: a lit LED would claim a state nobody keeps. */
                        (void) t->gpio->set(t->gpio_userdata, l->line[c], 0);
                        t->gpio->close(t->gpio_userdata, l->line[c]);
                }
        }
        sd_event_unref(t->event);
        free(t);
        return NULL;
}

int picmg_led_properties(const struct picmg_led_table *t, uint8_t fru, uint8_t *ret_general,
                         uint8_t *ret_oem_count) {
        uint8_t general = 0, oem = 0;
        bool any = false;

        for (unsigned i = 0; t && i < t->n; i++) {
                const struct picmg_led_config *lc = t->leds[i].config;

                if (lc->fru != fru)
                        continue;
                any = true;
                if (lc->led <= PICMG_LED_3)
                        general |= (uint8_t) (1u << lc->led);
                else
                        oem++;
        }
        if (!any)
                return -ENOENT;
        *ret_general = general;
        *ret_oem_count = oem;
        return 0;
}

int picmg_led_caps(const struct picmg_led_table *t, uint8_t fru, uint8_t led,
                   struct picmg_led_caps *ret) {
        const struct picmg_led *l = find(t, fru, led);

        if (!l)
                return -ENOENT;
        *ret = l->caps;
        return 0;
}

int picmg_led_state(const struct picmg_led_table *t, uint8_t fru, uint8_t led,
                    struct picmg_led_state *ret, uint8_t *ret_lamp_remaining) {
        const struct picmg_led *l = find(t, fru, led);
        uint64_t now, left;

        if (!l)
                return -ENOENT;
        *ret = l->state;
        *ret_lamp_remaining = 0;
        if (l->state.lamp_test) {
                now = monotonic_usec();         /* the clock the deadline was taken from */
                left = l->lamp_deadline > now ? l->lamp_deadline - now : 0;
                left = (left + LAMP_TEST_UNIT_USEC - 1) / LAMP_TEST_UNIT_USEC;
                *ret_lamp_remaining = (uint8_t) MIN(left, (uint64_t) PICMG_LED_LAMP_TEST_MAX);
        }
        return 0;
}

static int set_one(struct picmg_led *l, const struct picmg_led_request *r) {
        bool lamp_before = l->state.lamp_test;
        int k;

        picmg_led_apply_set(&l->state, &l->caps, r);
        show(l);
        if (r->function == PICMG_LED_FN_LAMP_TEST || (lamp_before && !l->state.lamp_test)) {
                k = start_lamp_test(l);
                if (k < 0) {
                        /* Without its timer a lamp test would never end: none at all. */
                        picmg_led_lamp_test_end(&l->state);
                        log_warning_errno(k, "[picmg-led.%u] Failed to time a lamp test: %m",
                                          l->index);
                        show(l);
                }
        }
        return 0;
}

int picmg_led_set(struct picmg_led_table *t, const struct picmg_led_request *r) {
        bool any = false;
        int cc;

        if (r->led != PICMG_LED_ALL) {
                struct picmg_led *l = find(t, r->fru, r->led);

                if (!l)
                        return -ENOENT;
                cc = picmg_led_check_set(&l->state, &l->caps, r);
                if (cc != IPMI_CC_OK)
                        return cc;
                return set_one(l, r);
        }
        for (unsigned i = 0; t && i < t->n; i++) {
                struct picmg_led *l = &t->leds[i];

                if (l->config->fru != r->fru)
                        continue;
                any = true;
                cc = picmg_led_check_set(&l->state, &l->caps, r);
                if (cc != IPMI_CC_OK)
                        return cc;
        }
        if (!any)
                return -ENOENT;
        for (unsigned i = 0; i < t->n; i++)
                if (t->leds[i].config->fru == r->fru)
                        (void) set_one(&t->leds[i], r);
        return 0;
}

int picmg_led_set_local(struct picmg_led_table *t, uint8_t fru, uint8_t led,
                        const struct picmg_led_pattern *p) {
        struct picmg_led *l = find(t, fru, led);
        int r;

        if (!l)
                return -ENOENT;
        r = picmg_led_set_local_pattern(&l->state, p);
        if (r < 0)
                return r;
        show(l);
        return 0;
}
