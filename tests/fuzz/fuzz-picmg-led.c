/* SPDX-License-Identifier: MIT */
/*
 * PICMG FRU LED requests, any bytes: the first two pick an LED's capabilities and its local
 * pattern, the rest is a sequence of requests (a length byte, then that many bytes) run
 * through the parsers and the state rules as the daemon runs them. Whatever the bytes, a
 * refused request changes nothing, the LED never shows a color it does not have, and every
 * Get FRU LED State answer has the length its flags promise.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/ipmi.h"
#include "protocol/picmg-led.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_invariants(const struct picmg_led_state *s, const struct picmg_led_caps *caps) {
        struct picmg_led_pattern p;
        uint8_t color, out[16];
        int n;

        picmg_led_effective(s, &p, &color);
        if (p.kind == PICMG_LED_PATTERN_OFF ? color != PICMG_LED_COLOR_NONE
                                            : !(caps->colors & (1u << color)))
                abort();
        if (!picmg_led_pattern_valid(&p))
                abort();
        n = picmg_led_encode_state(s, 0, out, sizeof(out));
        if (n != 5 + (s->override || s->lamp_test ? 3 : 0) + (s->lamp_test ? 1 : 0))
                abort();
        if (s->lamp_test && (out[8] == 0 || out[8] > PICMG_LED_LAMP_TEST_MAX))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct picmg_led_caps caps;
        struct picmg_led_state s;
        struct picmg_led_pattern local = { .kind = PICMG_LED_PATTERN_OFF };
        size_t i = 2;

        if (size < 2)
                return 0;
        caps.colors = (uint8_t) (data[0] & 0x7E);
        if (!caps.colors)
                caps.colors = 1u << PICMG_LED_COLOR_BLUE;
        /* The lowest color it has is its default for both states. */
        caps.local_color = caps.override_color = (uint8_t) __builtin_ctz(caps.colors);
        if (data[1] & 1)
                local = (struct picmg_led_pattern) {
                        .kind = PICMG_LED_PATTERN_BLINK,
                        .on_ms = (uint16_t) (10 * (1 + data[1] % 250)),
                        .off_ms = (uint16_t) (10 * (1 + (data[1] >> 1) % 250)),
                };
        picmg_led_state_init(&s, &caps, &local);
        check_invariants(&s, &caps);

        while (i < size) {
                size_t len = data[i++] % 8;
                struct picmg_led_request r;
                struct picmg_led_state before = s;
                uint8_t fru, led;

                if (len > size - i)
                        len = size - i;
                (void) picmg_led_parse_fru(data + i, len, &fru);
                (void) picmg_led_parse_led(data + i, len, &fru, &led);
                if (picmg_led_parse_set(data + i, len, &r) == IPMI_CC_OK) {
                        if (picmg_led_check_set(&s, &caps, &r) == IPMI_CC_OK)
                                picmg_led_apply_set(&s, &caps, &r);
                        else if (memcmp(&s, &before, sizeof(s)) != 0)
                                abort();
                } else if (memcmp(&s, &before, sizeof(s)) != 0)
                        abort();
                if (len == 1 && data[i] == 0xAA)
                        picmg_led_lamp_test_end(&s);
                check_invariants(&s, &caps);
                i += len;
        }
        return 0;
}
