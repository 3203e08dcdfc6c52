/* SPDX-License-Identifier: MIT */
/*
 * PICMG FRU LED commands (PICMG 3.0 section 3.2.5.6), netFn 0x2C, for the LEDs of
 * [picmg-led.N] (daemon/picmg-led.c). picmg_preamble() answers first (0xC1 without a profile,
 * 0xCC for the PICMG identifier or a FRU the profile does not manage); an LED that has no
 * section, like a reserved value, is answered 0xCC (invalid data field), as openMMC and
 * OpenIPMI's lanserv do; nothing changes on any error.
 */
#include <errno.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "picmg-led.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"
#include "protocol/picmg-led.h"

static int not_found(int r) {
        return r == -ENOENT ? IPMI_CC_INVALID_DATA_FIELD : r;
}

/* "Get FRU LED Properties command": PICMG ID, FRU ID -> PICMG ID, LEDs 0..3 bits, application
 * LED count. */
static int handle_get_led_properties(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        uint8_t fru, general, oem;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == IPMI_CC_OK)
                r = picmg_led_parse_fru(in->data, in->len, &fru);
        if (r != IPMI_CC_OK)
                return r;
        r = picmg_led_properties(m->picmg_leds, fru, &general, &oem);
        if (r < 0)
                return not_found(r);
        r = picmg_led_encode_properties(general, oem, out->data, out->cap);
        if (r < 0)
                return r;
        out->len = (size_t) r;
        return IPMI_CC_OK;
}

/* "Get LED Color Capabilities command": PICMG ID, FRU ID, LED ID -> colors, local and override
 * defaults. */
static int handle_get_led_color_caps(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        struct picmg_led_caps caps;
        uint8_t fru, led;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == IPMI_CC_OK)
                r = picmg_led_parse_led(in->data, in->len, &fru, &led);
        if (r != IPMI_CC_OK)
                return r;
        r = picmg_led_caps(m->picmg_leds, fru, led, &caps);
        if (r < 0)
                return not_found(r);
        r = picmg_led_encode_caps(&caps, out->data, out->cap);
        if (r < 0)
                return r;
        out->len = (size_t) r;
        return IPMI_CC_OK;
}

/* "Set FRU LED State command", R3.0 table 3-31 (openMMC cites the same number): PICMG ID, FRU ID,
 * LED ID (0xFF: all), function, on-duration, color. */
static int handle_set_led_state(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct picmg_led_request req;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &req.fru);
        if (r == IPMI_CC_OK)
                r = picmg_led_parse_set(in->data, in->len, &req);
        if (r != IPMI_CC_OK)
                return r;
        if (out->cap < 1)
                return -EMSGSIZE;
        r = picmg_led_set(m->picmg_leds, &req);
        if (r != 0)
                return not_found(r);
        out->data[0] = PICMG_LED_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

/* "Get FRU LED State command": PICMG ID, FRU ID, LED ID -> the three states, as long as they
 * need. */
static int handle_get_led_state(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct picmg_led_state state;
        uint8_t fru, led, remaining;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == IPMI_CC_OK)
                r = picmg_led_parse_led(in->data, in->len, &fru, &led);
        if (r != IPMI_CC_OK)
                return r;
        r = picmg_led_state(m->picmg_leds, fru, led, &state, &remaining);
        if (r < 0)
                return not_found(r);
        r = picmg_led_encode_state(&state, remaining, out->data, out->cap);
        if (r < 0)
                return r;
        out->len = (size_t) r;
        return IPMI_CC_OK;
}

/* PICMG 3.0 R3.0, FRU LED control: each handler above names its command's table by title, by
 * number only where a public source pins it (docs/picmg.md, "Spec tables"). */
const struct ipmi_command picmg_led_commands[] = {
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_LED_CMD_GET_PROPERTIES,
                .min_len = 2, .max_len = 2,
                .name = "Get FRU LED Properties", .handler = handle_get_led_properties,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_LED_CMD_GET_COLOR_CAPS,
                .min_len = 3, .max_len = 3,
                .name = "Get LED Color Capabilities", .handler = handle_get_led_color_caps,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_LED_CMD_SET_STATE,
                .min_len = 6, .max_len = 6,
                .name = "Set FRU LED State", .handler = handle_set_led_state,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_LED_CMD_GET_STATE,
                .min_len = 3, .max_len = 3,
                .name = "Get FRU LED State", .handler = handle_get_led_state,
        },
};

const size_t picmg_led_commands_count = ELEMENTSOF(picmg_led_commands);
