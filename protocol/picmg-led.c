/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "ipmi.h"
#include "picmg-led.h"

static bool color_valid(uint8_t color) {
        return color >= PICMG_LED_COLOR_BLUE && color <= PICMG_LED_COLOR_MAX;
}

bool picmg_led_pattern_valid(const struct picmg_led_pattern *p) {
        switch (p->kind) {
        case PICMG_LED_PATTERN_OFF:
        case PICMG_LED_PATTERN_ON:
                return p->on_ms == 0 && p->off_ms == 0;
        case PICMG_LED_PATTERN_BLINK:
                return p->on_ms >= PICMG_LED_BLINK_UNIT_MS && p->on_ms <= PICMG_LED_BLINK_MAX_MS &&
                       p->on_ms % PICMG_LED_BLINK_UNIT_MS == 0 &&
                       p->off_ms >= PICMG_LED_BLINK_UNIT_MS &&
                       p->off_ms <= PICMG_LED_BLINK_MAX_MS &&
                       p->off_ms % PICMG_LED_BLINK_UNIT_MS == 0;
        }
        return false;
}

void picmg_led_state_init(struct picmg_led_state *s, const struct picmg_led_caps *caps,
                          const struct picmg_led_pattern *local) {
        memset(s, 0, sizeof(*s));
        s->local = *local;
        s->local_color = caps->local_color;
        s->override_color = caps->override_color;
}

int picmg_led_parse_fru(const uint8_t *data, size_t len, uint8_t *ret_fru) {
        if (len != 2)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        if (data[0] != PICMG_LED_IDENTIFIER)
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = data[1];
        return IPMI_CC_OK;
}

int picmg_led_parse_led(const uint8_t *data, size_t len, uint8_t *ret_fru, uint8_t *ret_led) {
        if (len != 3)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        /* 0xFF ("all LEDs") means something to Set FRU LED State only. */
        if (data[0] != PICMG_LED_IDENTIFIER || data[2] == PICMG_LED_ALL)
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = data[1];
        *ret_led = data[2];
        return IPMI_CC_OK;
}

int picmg_led_parse_set(const uint8_t *data, size_t len, struct picmg_led_request *ret) {
        struct picmg_led_request r;

        if (len != 6)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        if (data[0] != PICMG_LED_IDENTIFIER)
                return IPMI_CC_INVALID_DATA_FIELD;
        r = (struct picmg_led_request) {
                .fru = data[1], .led = data[2], .function = data[3], .on_duration = data[4],
                .color = data[5],
        };
        /* Bits 7:4 of the color byte are reserved. */
        if (r.color & 0xF0)
                return IPMI_CC_INVALID_DATA_FIELD;
        switch (r.function) {
        case PICMG_LED_FN_LOCAL:
                break;          /* nothing else in the request matters */
        case PICMG_LED_FN_LAMP_TEST:
                if (r.on_duration > PICMG_LED_LAMP_TEST_MAX)
                        return IPMI_CC_INVALID_DATA_FIELD;
                break;
        case PICMG_LED_FN_OFF:
        case PICMG_LED_FN_ON:
                break;          /* on-duration "shall be set to 0" and is ignored */
        case PICMG_LED_FN_LOCAL + 1 ... PICMG_LED_FN_ON - 1:
                return IPMI_CC_INVALID_DATA_FIELD;      /* 0xFD, 0xFE: reserved */
        default:
                /* A blink: its on time must be one the wire can say too. */
                if (r.on_duration == 0 || r.on_duration > PICMG_LED_FN_BLINK_MAX)
                        return IPMI_CC_INVALID_DATA_FIELD;
                break;
        }
        if (r.function != PICMG_LED_FN_LOCAL && !color_valid(r.color) &&
            r.color != PICMG_LED_COLOR_DONT_CHANGE && r.color != PICMG_LED_COLOR_DEFAULT)
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret = r;
        return IPMI_CC_OK;
}

/* The color a request names, for an override or lamp test. */
static uint8_t request_color(const struct picmg_led_state *s, const struct picmg_led_caps *caps,
                             uint8_t color) {
        if (color == PICMG_LED_COLOR_DEFAULT)
                return caps->override_color;
        if (color == PICMG_LED_COLOR_DONT_CHANGE)
                return s->override ? s->override_color : caps->override_color;
        return color;
}

int picmg_led_check_set(const struct picmg_led_state *s, const struct picmg_led_caps *caps,
                        const struct picmg_led_request *r) {
        uint8_t color;

        if (r->function == PICMG_LED_FN_LOCAL)
                return IPMI_CC_OK;
        color = request_color(s, caps, r->color);
        if (!color_valid(color) || !(caps->colors & (1u << color)))
                return IPMI_CC_INVALID_DATA_FIELD;
        return IPMI_CC_OK;
}

void picmg_led_apply_set(struct picmg_led_state *s, const struct picmg_led_caps *caps,
                         const struct picmg_led_request *r) {
        uint8_t color = request_color(s, caps, r->color);

        switch (r->function) {
        case PICMG_LED_FN_LOCAL:
                /* Restores local control: ends the override and a lamp test under way. */
                s->override = false;
                s->lamp_test = false;
                s->override_color = caps->override_color;
                return;
        case PICMG_LED_FN_LAMP_TEST:
                /* A lamp test of no time is over before it starts. */
                s->lamp_test = r->on_duration > 0;
                s->lamp_color = color;
                s->lamp_duration = r->on_duration;
                return;
        case PICMG_LED_FN_OFF:
                s->override_pattern = (struct picmg_led_pattern) { .kind = PICMG_LED_PATTERN_OFF };
                break;
        case PICMG_LED_FN_ON:
                s->override_pattern = (struct picmg_led_pattern) { .kind = PICMG_LED_PATTERN_ON };
                break;
        default:
                s->override_pattern = (struct picmg_led_pattern) {
                        .kind = PICMG_LED_PATTERN_BLINK,
                        .on_ms = (uint16_t) (r->on_duration * PICMG_LED_BLINK_UNIT_MS),
                        .off_ms = (uint16_t) (r->function * PICMG_LED_BLINK_UNIT_MS),
                };
                break;
        }
        /* A new override under a lamp test becomes what the test returns to. */
        s->override = true;
        s->override_color = color;
}

int picmg_led_set_local_pattern(struct picmg_led_state *s, const struct picmg_led_pattern *p) {
        if (!picmg_led_pattern_valid(p))
                return -EINVAL;
        s->local = *p;
        return 0;
}

void picmg_led_lamp_test_end(struct picmg_led_state *s) {
        s->lamp_test = false;
}

void picmg_led_effective(const struct picmg_led_state *s, struct picmg_led_pattern *ret_pattern,
                         uint8_t *ret_color) {
        if (s->lamp_test) {
                *ret_pattern = (struct picmg_led_pattern) { .kind = PICMG_LED_PATTERN_ON };
                *ret_color = s->lamp_color;
        } else if (s->override) {
                *ret_pattern = s->override_pattern;
                *ret_color = s->override_color;
        } else {
                *ret_pattern = s->local;
                *ret_color = s->local_color;
        }
        if (ret_pattern->kind == PICMG_LED_PATTERN_OFF)
                *ret_color = PICMG_LED_COLOR_NONE;
}

int picmg_led_encode_properties(uint8_t general, uint8_t oem_count, uint8_t *out, size_t cap) {
        if (cap < 3)
                return -ENOBUFS;
        out[0] = PICMG_LED_IDENTIFIER;
        out[1] = general & 0x0F;
        out[2] = oem_count;
        return 3;
}

int picmg_led_encode_caps(const struct picmg_led_caps *caps, uint8_t *out, size_t cap) {
        if (cap < 4)
                return -ENOBUFS;
        out[0] = PICMG_LED_IDENTIFIER;
        out[1] = caps->colors & 0x7E;   /* bits 0 and 7 are reserved */
        out[2] = caps->local_color & 0x0F;
        out[3] = caps->override_color & 0x0F;
        return 4;
}

/* The LED Function and On-duration bytes of a pattern. */
static void pattern_bytes(const struct picmg_led_pattern *p, uint8_t *function, uint8_t *on) {
        switch (p->kind) {
        case PICMG_LED_PATTERN_OFF:
                *function = PICMG_LED_FN_OFF;
                *on = 0;
                break;
        case PICMG_LED_PATTERN_ON:
                *function = PICMG_LED_FN_ON;
                *on = 0;
                break;
        case PICMG_LED_PATTERN_BLINK:
                *function = (uint8_t) (p->off_ms / PICMG_LED_BLINK_UNIT_MS);
                *on = (uint8_t) (p->on_ms / PICMG_LED_BLINK_UNIT_MS);
                break;
        }
}

/*
 * Get FRU LED State (PICMG 3.0 R3.0 table 3-32): bytes 7..9 are there when an override or a
 * lamp test is enabled, byte 10 when a lamp test is (python-ipmi refuses a response with
 * more). During a lamp test without an override, bytes 7..9 describe the test: on, its color.
 */
int picmg_led_encode_state(const struct picmg_led_state *s, uint8_t lamp_remaining,
                           uint8_t *out, size_t cap) {
        size_t n = 5 + (s->override || s->lamp_test ? 3 : 0) + (s->lamp_test ? 1 : 0);

        if (cap < n)
                return -ENOBUFS;
        out[0] = PICMG_LED_IDENTIFIER;
        out[1] = PICMG_LED_STATE_LOCAL | (s->override ? PICMG_LED_STATE_OVERRIDE : 0) |
                 (s->lamp_test ? PICMG_LED_STATE_LAMP_TEST : 0);
        pattern_bytes(&s->local, &out[2], &out[3]);
        out[4] = s->local_color;
        if (s->override) {
                pattern_bytes(&s->override_pattern, &out[5], &out[6]);
                out[7] = s->override_color;
        } else if (s->lamp_test) {
                out[5] = PICMG_LED_FN_ON;
                out[6] = 0;
                out[7] = s->lamp_color;
        }
        if (s->lamp_test) {
                if (lamp_remaining == 0)
                        lamp_remaining = 1;     /* not over until its timer says so */
                out[8] = lamp_remaining > PICMG_LED_LAMP_TEST_MAX ? PICMG_LED_LAMP_TEST_MAX
                                                                  : lamp_remaining;
        }
        return (int) n;
}

const char *picmg_led_color_name(uint8_t color) {
        static const char *const names[] = {
                [PICMG_LED_COLOR_BLUE] = "blue",
                [PICMG_LED_COLOR_RED] = "red",
                [PICMG_LED_COLOR_GREEN] = "green",
                [PICMG_LED_COLOR_AMBER] = "amber",
                [PICMG_LED_COLOR_ORANGE] = "orange",
                [PICMG_LED_COLOR_WHITE] = "white",
        };

        return color_valid(color) ? names[color] : NULL;
}
