/* SPDX-License-Identifier: MIT */
/*
 * The configuration of PICMG FRU LEDs: [picmg-led.N] sections, one LED each (daemon/
 * config-picmg-led.c parses and checks them, daemon/picmg-led.c drives them). Included by
 * config.h, whose struct satmc_config holds them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocol/picmg-led.h"

#define CONFIG_PICMG_LED_MAX 32         /* [picmg-led.0] .. [picmg-led.31] */
#define PICMG_LED_GPIO_CHIP_MAX 64

/* One color's GPIO line: lit when the line's logical value is 1. Fixed-size, so that two
 * loads compare with memcmp() (config_key_equal()). */
struct picmg_led_line_config {
        bool present;
        char chip[PICMG_LED_GPIO_CHIP_MAX];     /* name, path, label or number */
        unsigned line;
        bool active_low;
};

/* One [picmg-led.N] section. */
struct picmg_led_config {
        bool present;
        unsigned line;                  /* of its first key, for messages */
        uint8_t fru;                    /* FRU device ID: 0 (the IPM controller) or a [fru.N] */
        uint8_t led;                    /* PICMG_LED_BLUE, _1.._3, OEM 0x04..0xFE */
        uint8_t colors;                 /* bit (1 << color) per gpio line (config check) */
        uint8_t local_color;            /* 0 = auto: its lowest color (config check sets it) */
        uint8_t override_color;         /* 0 = auto: the local color */
        struct picmg_led_pattern local_state;   /* shown under local control at start */
        struct picmg_led_line_config gpio[PICMG_LED_COLOR_MAX + 1];     /* by color */
};
