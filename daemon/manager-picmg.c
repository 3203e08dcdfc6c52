/* SPDX-License-Identifier: MIT */
/*
 * Where the PICMG parts meet: the hot-swap machine (picmg.c) tells the FRU LEDs (picmg-led.c)
 * what the blue LED should show, and Set Power Level (picmg-power.c) tells the hot-swap machine
 * that the shelf manager granted or took away a FRU's power (PICMG 3.0 section 3.2.4: M3 -> M4
 * on a grant). Each part stays testable alone; only the Manager knows all three. The event
 * sender tells it when the shelf manager (the event receiver) stops and starts answering:
 * the managed FRUs' M7.
 */
#include <errno.h>

#include "manager.h"

static void on_blue_led(void *userdata, uint8_t fru, enum hotswap_led_hint hint) {
        struct manager *m = userdata;
        struct picmg_led_pattern p = { .kind = PICMG_LED_PATTERN_OFF };

        switch (hint) {
        case HOTSWAP_LED_OFF:
                break;
        case HOTSWAP_LED_ON:
                p.kind = PICMG_LED_PATTERN_ON;
                break;
        case HOTSWAP_LED_LONG_BLINK:
                p = (struct picmg_led_pattern) { PICMG_LED_PATTERN_BLINK,
                                                 PICMG_LED_LONG_BLINK_ON_MS,
                                                 PICMG_LED_LONG_BLINK_OFF_MS };
                break;
        case HOTSWAP_LED_SHORT_BLINK:
                p = (struct picmg_led_pattern) { PICMG_LED_PATTERN_BLINK,
                                                 PICMG_LED_SHORT_BLINK_ON_MS,
                                                 PICMG_LED_SHORT_BLINK_OFF_MS };
                break;
        default:
                return;
        }
        /* -ENOENT: the board has no blue LED wired for this FRU, which is allowed. */
        (void) picmg_led_set_local(m->picmg_leds, fru, 0, &p);
}

static int on_power_granted(void *userdata, uint8_t fru, uint8_t level) {
        struct manager *m = userdata;

        return picmg_hotswap_power_granted(m->picmg, fru, level > 0);
}

void manager_event_receiver_reachable(void *userdata, bool reachable) {
        struct manager *m = userdata;

        m->receiver_unreachable = !reachable;
        if (m->picmg)
                picmg_communication(m->picmg, reachable);
}

void manager_picmg_connect(struct manager *m) {
        if (!m->picmg)
                return;
        picmg_set_blue_led(m->picmg, on_blue_led, m);
        if (m->picmg_power)
                picmg_power_set_hook(m->picmg_power, on_power_granted, m);
}
