/* SPDX-License-Identifier: MIT */
/*
 * [picmg-led.N]: one PICMG FRU LED (PICMG 3.0 section 3.2.5.6), its FRU and LED ID, the colors
 * it can show with a GPIO line for each, and what it shows under local control at start. The
 * checks across keys and sections refuse what no shelf manager could make sense of: a blue LED
 * that is not only blue, an LED ID twice on one FRU, a default color without a line, OEM LED
 * IDs with a gap (Get FRU LED Properties can only count them), one line for two colors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor-source.h"
#include "macro.h"

#define RESTART CONFIG_RELOAD_RESTART

static int fail(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *reason, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, REASON_MAX, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static int color_by_name(const char *name) {
        for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++)
                if (strcmp(picmg_led_color_name(c), name) == 0)
                        return c;
        return -1;
}

/* "auto" (0) or a color name. */
int config_parse_picmg_led_color(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        int c;

        if (strcmp(value, "auto") == 0) {
                *(uint8_t *) dest = 0;
                return 0;
        }
        c = color_by_name(value);
        if (c < 0)
                return fail(reason, "%s \"%.30s\" must be auto or one of blue, red, green, "
                            "amber, orange, white", k->name, value);
        *(uint8_t *) dest = (uint8_t) c;
        return 0;
}

/* "off", "on" or "blink:ON_MS:OFF_MS" (10..2500 each, multiples of 10: the wire's units). */
int config_parse_picmg_led_pattern(const struct config_key *k, const char *value, void *dest,
                                   char *reason) {
        struct picmg_led_pattern p = { .kind = PICMG_LED_PATTERN_OFF };

        (void) k;
        if (strcmp(value, "on") == 0)
                p.kind = PICMG_LED_PATTERN_ON;
        else if (strncmp(value, "blink:", 6) == 0) {
                unsigned long on, off;
                _cleanup_free_ char *copy = strdup(value + 6);
                char *colon;

                if (!copy) {
                        snprintf(reason, REASON_MAX, "out of memory");
                        return -ENOMEM;
                }
                colon = strchr(copy, ':');
                if (!colon)
                        return fail(reason, "local-state \"%.40s\" must be blink:ON_MS:OFF_MS",
                                    value);
                *colon = '\0';
                if (config_parse_number(copy, &on) < 0 || config_parse_number(colon + 1, &off) < 0 ||
                    on > PICMG_LED_BLINK_MAX_MS || off > PICMG_LED_BLINK_MAX_MS)
                        return fail(reason, "local-state \"%.40s\": the times must be numbers "
                                    "of milliseconds, 10..2500", value);
                p = (struct picmg_led_pattern) {
                        .kind = PICMG_LED_PATTERN_BLINK,
                        .on_ms = (uint16_t) on, .off_ms = (uint16_t) off,
                };
                if (!picmg_led_pattern_valid(&p))
                        return fail(reason, "local-state \"%.40s\": the times must be 10..2500 "
                                    "ms in steps of 10 (what Get FRU LED State can report)",
                                    value);
        } else if (strcmp(value, "off") != 0)
                return fail(reason, "local-state \"%.40s\" must be off, on or "
                            "blink:ON_MS:OFF_MS", value);
        memcpy(dest, &p, sizeof(p));
        return 0;
}

/* "COLOR=CHIP:LINE[:active-low] ...": one GPIO line per color the LED can show, blank
 * separated; each line in the grammar of a sensor's GPIO source (gpio:CHIP:LINE[:active-low]),
 * parsed by the same code. */
int config_parse_picmg_led_lines(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        struct picmg_led_line_config out[PICMG_LED_COLOR_MAX + 1];
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        bool any = false;

        (void) k;
        if (!copy) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        memset(out, 0, sizeof(out));    /* padding too: compared with memcmp() */
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
                _cleanup_free_ char *source = NULL;
                char *eq = strchr(w, '=');
                int c, r;

                if (!eq)
                        return fail(reason, "gpio \"%.40s\" must be COLOR=CHIP:LINE"
                                    "[:active-low]", w);
                *eq = '\0';
                c = color_by_name(w);
                if (c < 0)
                        return fail(reason, "gpio: \"%.30s\" is not one of blue, red, green, "
                                    "amber, orange, white", w);
                if (out[c].present)
                        return fail(reason, "gpio: %s has two lines", w);
                if (asprintf(&source, "gpio:%s", eq + 1) < 0) {
                        snprintf(reason, REASON_MAX, "out of memory");
                        return -ENOMEM;
                }
                r = sensor_source_parse(source, &src, reason, REASON_MAX);
                if (r < 0) {
                        sensor_source_config_clear(&src);
                        return r;
                }
                if (strlen(src.gpio.chip) >= sizeof(out[c].chip)) {
                        sensor_source_config_clear(&src);
                        return fail(reason, "gpio: chip name \"%.40s\" too long", eq + 1);
                }
                out[c].present = true;
                strcpy(out[c].chip, src.gpio.chip);
                out[c].line = src.gpio.line;
                out[c].active_low = src.gpio.active_low;
                sensor_source_config_clear(&src);
                any = true;
        }
        if (!any)
                return fail(reason, "gpio: give at least one COLOR=CHIP:LINE[:active-low]");
        memcpy(dest, out, sizeof(out));
        return 0;
}

#define F(field) offsetof(struct picmg_led_config, field), \
        sizeof(((struct picmg_led_config *) 0)->field)
const struct config_key config_picmg_led_keys[] = {
        { "picmg-led.0", "fru", config_parse_u8, F(fru), "0", 0, CONFIG_FRU_MAX - 1,
          "the FRU device ID the LED belongs to: 0 (the IPM controller itself) or N of a "
          "configured [fru.N]",
          RESTART },
        { "picmg-led.0", "led", config_parse_u8, F(led), NULL, 0, PICMG_LED_LAST_OEM,
          "the PICMG LED ID: 0 the blue hot-swap LED, 1..3 LED1..LED3, 4.. application "
          "specific LEDs numbered without gaps",
          RESTART },
        { "picmg-led.0", "gpio", config_parse_picmg_led_lines, F(gpio), NULL, 0, 0,
          "COLOR=CHIP:LINE[:active-low] per color it can show, blank separated, e.g. "
          "red=gpiochip0:5 green=gpiochip0:6:active-low (the blue LED: blue alone)",
          RESTART },
        { "picmg-led.0", "local-color", config_parse_picmg_led_color, F(local_color), "auto",
          0, 0,
          "its color under local control, one with a gpio line; auto: the first of blue, red, "
          "green, amber, orange, white that it has",
          RESTART },
        { "picmg-led.0", "override-color", config_parse_picmg_led_color, F(override_color),
          "auto", 0, 0,
          "its default color in the override and lamp test states, one with a gpio line; auto: "
          "local-color",
          RESTART },
        { "picmg-led.0", "local-state", config_parse_picmg_led_pattern, F(local_state), "off",
          0, 0,
          "what it shows under local control until satmcd changes it (the blue LED follows "
          "the hot-swap state): off, on or blink:ON_MS:OFF_MS (10..2500 ms in steps of 10)",
          RESTART },
};

#undef F

const size_t config_picmg_led_keys_n = ELEMENTSOF(config_picmg_led_keys);
_Static_assert(ELEMENTSOF(config_picmg_led_keys) <= CONFIG_PICMG_LED_KEYS_MAX,
               "raise CONFIG_PICMG_LED_KEYS_MAX in config-check.h");

/* The line of key name in [picmg-led.index], or the section's first line. */
static unsigned key_line(const struct load_state *s, unsigned index, const char *name) {
        const struct picmg_led_config *l = &s->config->picmg_led[index];

        for (size_t i = 0; i < config_picmg_led_keys_n; i++)
                if (strcmp(config_picmg_led_keys[i].name, name) == 0)
                        return s->picmg_led_seen_line[index][i] ?: l->line;
        return l->line;
}

static bool same_line(const struct picmg_led_line_config *a,
                      const struct picmg_led_line_config *b) {
        return a->present && b->present && a->line == b->line && strcmp(a->chip, b->chip) == 0;
}

static void check_one(struct load_state *s, unsigned index) {
        struct picmg_led_config *l = &s->config->picmg_led[index];
        const unsigned *seen = s->picmg_led_seen_line[index];
        bool missing = false;

        for (size_t i = 0; i < config_picmg_led_keys_n; i++)
                if (!config_picmg_led_keys[i].default_value && !seen[i]) {
                        config_report(s, l->line, "[picmg-led.%u] %s is required (%s)", index,
                                      config_picmg_led_keys[i].name,
                                      config_picmg_led_keys[i].description);
                        missing = true;
                }
        if (missing)
                return;
        l->colors = 0;
        for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++)
                if (l->gpio[c].present)
                        l->colors |= (uint8_t) (1u << c);
        if (!l->colors)
                return;         /* its gpio value was refused, and said so */

        if (l->led == PICMG_LED_BLUE && l->colors != (1u << PICMG_LED_COLOR_BLUE))
                config_report(s, key_line(s, index, "gpio"), "[picmg-led.%u] led 0 is the "
                              "blue hot-swap LED: its gpio must be blue=CHIP:LINE alone", index);
        if (l->fru != 0 && !s->config->fru[l->fru].present)
                config_report(s, key_line(s, index, "fru"), "[picmg-led.%u] fru %u: there is "
                              "no [fru.%u] (the IPM controller is 0)", index, l->fru, l->fru);

        if (l->local_color == 0)
                l->local_color = (uint8_t) __builtin_ctz(l->colors);
        else if (!(l->colors & (1u << l->local_color)))
                config_report(s, key_line(s, index, "local-color"), "[picmg-led.%u] "
                              "local-color %s has no line: add %s=CHIP:LINE to gpio", index,
                              picmg_led_color_name(l->local_color),
                              picmg_led_color_name(l->local_color));
        if (l->override_color == 0)
                l->override_color = l->local_color;
        else if (!(l->colors & (1u << l->override_color)))
                config_report(s, key_line(s, index, "override-color"), "[picmg-led.%u] "
                              "override-color %s has no line: add %s=CHIP:LINE to gpio", index,
                              picmg_led_color_name(l->override_color),
                              picmg_led_color_name(l->override_color));
}

/* Across sections: one LED per (FRU, LED ID), one user per line, OEM IDs without gaps. */
static void check_across(struct load_state *s) {
        const struct satmc_config *c = s->config;

        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++) {
                const struct picmg_led_config *a = &c->picmg_led[i];

                if (!a->present || !a->colors)
                        continue;
                for (unsigned j = 0; j < i; j++) {
                        const struct picmg_led_config *b = &c->picmg_led[j];

                        if (!b->present || !b->colors)
                                continue;
                        if (a->fru == b->fru && a->led == b->led)
                                config_report(s, key_line(s, i, "led"), "[picmg-led.%u] FRU %u "
                                              "LED %u is [picmg-led.%u] already", i, a->fru,
                                              a->led, j);
                        for (unsigned ca = 1; ca <= PICMG_LED_COLOR_MAX; ca++)
                                for (unsigned cb = 1; cb <= PICMG_LED_COLOR_MAX; cb++)
                                        if (same_line(&a->gpio[ca], &b->gpio[cb]))
                                                config_report(s, key_line(s, i, "gpio"),
                                                              "[picmg-led.%u] gpio %s:%u is "
                                                              "[picmg-led.%u]'s "
                                                              "line already", i, a->gpio[ca].chip,
                                                              a->gpio[ca].line, j);
                }
                for (unsigned ca = 1; ca <= PICMG_LED_COLOR_MAX; ca++)
                        for (unsigned cb = 1; cb < ca; cb++)
                                if (same_line(&a->gpio[ca], &a->gpio[cb]))
                                        config_report(s, key_line(s, i, "gpio"),
                                                      "[picmg-led.%u] gpio: %s and %s are the "
                                                      "same line", i,
                                                      picmg_led_color_name((uint8_t) ca),
                                                      picmg_led_color_name((uint8_t) cb));
                /* An OEM LED N needs N - 1 on its FRU, down to 4: the count is all a shelf
                 * manager learns. */
                if (a->led > PICMG_LED_FIRST_OEM) {
                        bool below = false;

                        for (unsigned j = 0; j < CONFIG_PICMG_LED_MAX; j++)
                                if (c->picmg_led[j].present && c->picmg_led[j].colors &&
                                    c->picmg_led[j].fru == a->fru &&
                                    c->picmg_led[j].led == a->led - 1)
                                        below = true;
                        if (!below)
                                config_report(s, key_line(s, i, "led"), "[picmg-led.%u] led %u: "
                                              "application specific LEDs are numbered from 4 "
                                              "without gaps, and FRU %u has no LED %u", i,
                                              a->led, a->fru, a->led - 1);
                }
        }
}

void config_check_picmg_leds(struct load_state *s) {
        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++)
                if (s->config->picmg_led[i].present)
                        check_one(s, i);
        check_across(s);
}
