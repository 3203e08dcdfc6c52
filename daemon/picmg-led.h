/* SPDX-License-Identifier: MIT */
/*
 * The PICMG FRU LEDs of [picmg-led.N] (docs/picmg-leds.md): one GPIO line per color, driven
 * from the state rules of protocol/picmg-led.h. satmcd blinks them itself, on sd-event timers:
 * one per LED that blinks right now, re-armed from its own deadline so the rhythm does not
 * drift; none while nothing blinks and no lamp test runs, so an idle satmcd does not wake up.
 * A lamp test has a one-shot timer that puts the LED back to the state below it.
 *
 * Everything runs on the loop thread. A line that cannot be written is logged once per LED and
 * tried again at the next change; the state (what Get FRU LED State reports) stays what was
 * asked for.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "gpio-output.h"
#include "protocol/picmg-led.h"

struct picmg_led_table;

/* From the configuration alone (no I/O). c must outlive the table. */
int picmg_led_table_new(const struct satmc_config *c, struct picmg_led_table **ret);

/* Take every LED's lines (all dark, through gpio; NULL: libgpiod), then show each LED's local
 * state. -errno (logged, naming the line) if a line cannot be taken. */
int picmg_led_table_start(struct picmg_led_table *t, sd_event *event,
                          const struct gpio_output_ops *gpio, void *userdata);

/* Every LED dark, lines released, timers gone. NULL-safe. */
struct picmg_led_table *picmg_led_table_free(struct picmg_led_table *t);

unsigned picmg_led_table_count(const struct picmg_led_table *t);

/* Get FRU LED Properties: bits 0..3 for the blue LED and LEDs 1..3 of fru, and how many
 * application specific LEDs it has. -ENOENT when fru has no LED. */
int picmg_led_properties(const struct picmg_led_table *t, uint8_t fru, uint8_t *ret_general,
                         uint8_t *ret_oem_count);

/* Get LED Color Capabilities. -ENOENT for an LED (or FRU) that does not exist. */
int picmg_led_caps(const struct picmg_led_table *t, uint8_t fru, uint8_t led,
                   struct picmg_led_caps *ret);

/* Get FRU LED State: the state and, during a lamp test, its time left in 100 ms units
 * (rounded up). -ENOENT for an LED that does not exist. */
int picmg_led_state(const struct picmg_led_table *t, uint8_t fru, uint8_t led,
                    struct picmg_led_state *ret, uint8_t *ret_lamp_remaining);

/*
 * Set FRU LED State, parsed: r->led may be PICMG_LED_ALL (every LED of the FRU). Returns 0,
 * -ENOENT for an LED or FRU that does not exist, or the positive completion code
 * picmg_led_check_set() gives (a color an LED does not have). For all LEDs, every one is
 * checked before any changes: all or nothing.
 */
int picmg_led_set(struct picmg_led_table *t, const struct picmg_led_request *r);

/*
 * The IPM controller's own choice for an LED's local control state, shown when no override or
 * lamp test is above it: the hot-swap machine drives the blue LED this way (long blink
 * PICMG_LED_LONG_BLINK_* while activation is requested, short PICMG_LED_SHORT_BLINK_* while
 * deactivation is, on in M1). 0, -ENOENT for an LED that does not exist, -EINVAL for a pattern
 * the wire cannot carry (blink times 10..2500 ms in steps of 10).
 */
int picmg_led_set_local(struct picmg_led_table *t, uint8_t fru, uint8_t led,
                        const struct picmg_led_pattern *p);
