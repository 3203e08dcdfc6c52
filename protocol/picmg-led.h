/* SPDX-License-Identifier: MIT */
/*
 * PICMG FRU LEDs, byte level: the four LED commands of PICMG 3.0 section 3.2.5.6 (netFn 0x2C,
 * PICMG Identifier 0x00 first in every request and response) and the rules of one LED's
 * states. Pure: no I/O, no clock; the daemon (daemon/picmg-led.c) keeps the timers and lines.
 *
 * An LED has three states, shown by priority: lamp test (a Set FRU LED State with function
 * 0xFB: on for a time, then back to whatever was below), override (set by the shelf manager
 * with functions 0x00, 0x01..0xFA, 0xFF until it restores local control with 0xFC) and local
 * control (what the IPM controller itself shows: the hot-swap machine's blue LED, a board's
 * status LED). Durations on the wire are in 10 ms units (blink) or 100 ms units (lamp test).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PICMG_LED_IDENTIFIER            0x00    /* PICMG Identifier, byte 1 of each request */

/* Commands, netFn 0x2C (PICMG 3.0 R3.0 tables 3-29..3-32; 3-24..3-28 in earlier revisions). */
enum {
        PICMG_LED_CMD_GET_PROPERTIES    = 0x05, /* Get FRU LED Properties */
        PICMG_LED_CMD_GET_COLOR_CAPS    = 0x06, /* Get LED Color Capabilities */
        PICMG_LED_CMD_SET_STATE         = 0x07, /* Set FRU LED State */
        PICMG_LED_CMD_GET_STATE         = 0x08, /* Get FRU LED State */
};

/* LED IDs: the four the spec names, OEM ones from 0x04 on, and "all" for Set FRU LED State. */
enum {
        PICMG_LED_BLUE                  = 0x00,
        PICMG_LED_1                     = 0x01, /* usually red or amber: failure */
        PICMG_LED_2                     = 0x02, /* usually green: healthy */
        PICMG_LED_3                     = 0x03,
        PICMG_LED_FIRST_OEM             = 0x04,
        PICMG_LED_LAST_OEM              = 0xFE,
        PICMG_LED_ALL                   = 0xFF,
};

/* Colors (Set FRU LED State byte 6, bits 3:0); the capability byte has bit (1 << color). */
enum {
        PICMG_LED_COLOR_NONE            = 0x0,  /* reserved on the wire; "nothing lit" here */
        PICMG_LED_COLOR_BLUE            = 0x1,
        PICMG_LED_COLOR_RED             = 0x2,
        PICMG_LED_COLOR_GREEN           = 0x3,
        PICMG_LED_COLOR_AMBER           = 0x4,
        PICMG_LED_COLOR_ORANGE          = 0x5,
        PICMG_LED_COLOR_WHITE           = 0x6,
        PICMG_LED_COLOR_MAX             = 0x6,
        PICMG_LED_COLOR_DONT_CHANGE     = 0xE,
        PICMG_LED_COLOR_DEFAULT         = 0xF,
};

/* LED Function, Set FRU LED State byte 4. */
enum {
        PICMG_LED_FN_OFF                = 0x00,
        PICMG_LED_FN_BLINK_MAX          = 0xFA, /* 0x01..0xFA: blink, the off time in 10 ms */
        PICMG_LED_FN_LAMP_TEST          = 0xFB,
        PICMG_LED_FN_LOCAL              = 0xFC, /* back to the local control state */
        PICMG_LED_FN_ON                 = 0xFF,
};

#define PICMG_LED_LAMP_TEST_MAX         127     /* 100 ms units; 128 and up are reserved */
#define PICMG_LED_BLINK_UNIT_MS         10
#define PICMG_LED_BLINK_MAX_MS          (PICMG_LED_FN_BLINK_MAX * PICMG_LED_BLINK_UNIT_MS)

/* Get FRU LED State byte 3. */
enum {
        PICMG_LED_STATE_LOCAL           = 1 << 0,       /* a local control state exists */
        PICMG_LED_STATE_OVERRIDE        = 1 << 1,
        PICMG_LED_STATE_LAMP_TEST       = 1 << 2,
};

/* The blue LED's hot-swap patterns (PICMG 3.0 section 2.2.8.2): long blink while activation
 * is requested (M2), short blink while deactivation is (M5), on in M1. */
#define PICMG_LED_LONG_BLINK_ON_MS      900
#define PICMG_LED_LONG_BLINK_OFF_MS     100
#define PICMG_LED_SHORT_BLINK_ON_MS     100
#define PICMG_LED_SHORT_BLINK_OFF_MS    900

enum picmg_led_kind {
        PICMG_LED_PATTERN_OFF,
        PICMG_LED_PATTERN_ON,
        PICMG_LED_PATTERN_BLINK,        /* on_ms lit, off_ms dark, starting lit */
};

/* Blink times are 10..2500 ms in steps of 10 (what the wire can say); 0 for OFF and ON. */
struct picmg_led_pattern {
        enum picmg_led_kind kind;
        uint16_t on_ms, off_ms;
};

/* What one LED can show, from the configuration. */
struct picmg_led_caps {
        uint8_t colors;                 /* bit (1 << color) per color it has */
        uint8_t local_color;            /* default color in local control, one of colors */
        uint8_t override_color;         /* default color in override and lamp test */
};

struct picmg_led_state {
        struct picmg_led_pattern local;
        uint8_t local_color;
        bool override;
        struct picmg_led_pattern override_pattern;
        uint8_t override_color;
        bool lamp_test;
        uint8_t lamp_color;
        uint8_t lamp_duration;          /* as requested, 100 ms units, 1..127 */
};

/* Set FRU LED State, decoded (PICMG 3.0 R3.0 table 3-31). */
struct picmg_led_request {
        uint8_t fru;
        uint8_t led;                    /* or PICMG_LED_ALL */
        uint8_t function;               /* PICMG_LED_FN_* or a blink off time */
        uint8_t on_duration;            /* 10 ms (blink) or 100 ms (lamp test) units */
        uint8_t color;                  /* 1..6, DONT_CHANGE or DEFAULT */
};

/* Whether p is a pattern the wire can carry. */
bool picmg_led_pattern_valid(const struct picmg_led_pattern *p);

/* Local control at pattern local in caps->local_color, no override, no lamp test. */
void picmg_led_state_init(struct picmg_led_state *s, const struct picmg_led_caps *caps,
                          const struct picmg_led_pattern *local);

/*
 * Request parsers. Each returns IPMI_CC_OK (0) and fills its outputs, or the completion code
 * to answer (0xC7 for a wrong length, 0xCC for a PICMG Identifier other than 0x00 or a reserved
 * value), outputs untouched.
 *   picmg_led_parse_fru():  Get FRU LED Properties (PICMG ID, FRU ID)
 *   picmg_led_parse_led():  Get LED Color Capabilities, Get FRU LED State (+ LED ID)
 *   picmg_led_parse_set():  Set FRU LED State (+ function, on-duration, color)
 */
int picmg_led_parse_fru(const uint8_t *data, size_t len, uint8_t *ret_fru);
int picmg_led_parse_led(const uint8_t *data, size_t len, uint8_t *ret_fru, uint8_t *ret_led);
int picmg_led_parse_set(const uint8_t *data, size_t len, struct picmg_led_request *ret);

/* Whether a parsed Set FRU LED State can apply to an LED of caps: 0, or 0xCC for a color
 * the LED does not have. Nothing changes. */
int picmg_led_check_set(const struct picmg_led_state *s, const struct picmg_led_caps *caps,
                        const struct picmg_led_request *r);
/* Apply one that passed picmg_led_check_set(). */
void picmg_led_apply_set(struct picmg_led_state *s, const struct picmg_led_caps *caps,
                         const struct picmg_led_request *r);

/* The IPM controller's own choice for the local control state: -EINVAL for a pattern the wire
 * cannot carry (nothing changes). */
int picmg_led_set_local_pattern(struct picmg_led_state *s, const struct picmg_led_pattern *p);

/* A lamp test's time is up: back to the override or local state. */
void picmg_led_lamp_test_end(struct picmg_led_state *s);

/* What the LED shows now: lamp test over override over local control. */
void picmg_led_effective(const struct picmg_led_state *s, struct picmg_led_pattern *ret_pattern,
                         uint8_t *ret_color);

/*
 * Response encoders: the bytes after the completion code, PICMG Identifier first. Each
 * returns their number, or -ENOBUFS when cap is too small (out untouched).
 *   properties: general = bits 0..3 for the blue LED and LEDs 1..3, oem_count = LEDs 4...
 *   state: lamp_remaining is the lamp test's time left, in 100 ms units (1..127).
 */
int picmg_led_encode_properties(uint8_t general, uint8_t oem_count, uint8_t *out, size_t cap);
int picmg_led_encode_caps(const struct picmg_led_caps *caps, uint8_t *out, size_t cap);
int picmg_led_encode_state(const struct picmg_led_state *s, uint8_t lamp_remaining,
                           uint8_t *out, size_t cap);

/* "blue", "red", ... for a color 1..6; NULL otherwise. Names in the configuration. */
const char *picmg_led_color_name(uint8_t color);
