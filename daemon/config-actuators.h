/* SPDX-License-Identifier: MIT */
/*
 * The configuration of the actuators: [fan.N] fan-control outputs with their local policy
 * (daemon/fan-control.c) and [oem.N] vendor commands routed to a configured program
 * (daemon/oem-hook.c). Included by config.h, whose struct satmc_config holds them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_FAN_MAX 8                /* [fan.0] .. [fan.7] */
#define CONFIG_OEM_MAX 16               /* [oem.0] .. [oem.15] */
#define FAN_CURVE_POINTS_MAX 8
#define FAN_OUTPUT_PATH_MAX 256         /* a hwmon pwmN path; with room for "_enable" */
#define FAN_GPIO_CHIP_MAX 64
#define FAN_LEVEL_MAX 0xFD              /* PICMG levels 0..N; 0xFE, 0xFF have meanings */

enum fan_output_kind {
        FAN_OUTPUT_NONE,
        FAN_OUTPUT_PWM,                 /* a hwmon pwmN file: 0..255 */
        FAN_OUTPUT_GPIO,                /* one GPIO line: on for any level above 0 */
};

/* Fixed-size (no pointers), so that two loads compare with memcmp() (config_key_equal()). */
struct fan_output_config {
        enum fan_output_kind kind;
        char path[FAN_OUTPUT_PATH_MAX];         /* FAN_OUTPUT_PWM */
        char chip[FAN_GPIO_CHIP_MAX];           /* FAN_OUTPUT_GPIO */
        unsigned line;
        bool active_low;
};

/* Points reading -> level, readings strictly rising; linear between, flat outside. */
struct fan_curve {
        unsigned n;
        double reading[FAN_CURVE_POINTS_MAX];
        uint8_t level[FAN_CURVE_POINTS_MAX];
};

struct fan_pwm_range {
        uint8_t lo, hi;                 /* pwm value at level 0 and at max-level */
};

/* One [fan.N] section. */
struct fan_config {
        bool present;
        unsigned line;
        struct fan_output_config output;
        uint8_t min_level, max_level;
        struct fan_pwm_range pwm;
        int pwm_enable_at_exit;         /* pwmN_enable written at exit; -1 = what was saved */
        char follow[32];                /* "sensor.N" or a sensor's name; "" = no policy */
        int follow_index;               /* the [sensor.N] it names (config-check.c); -1 = none */
        struct fan_curve curve;
        double hysteresis;              /* in the followed sensor's units, >= 0 */
        int picmg_fru;                  /* the fan tray FRU Set Fan Level addresses; -1 none */
        int normal_level;               /* Get Fan Speed Properties; -1 = min-level */
};

/* One [oem.N] section: (netfn, cmd, lun[, iana]) -> exec. */
struct oem_config {
        bool present;
        unsigned line;
        uint8_t netfn;                  /* request netFn, even, 0x2E..0x3E */
        uint8_t cmd;
        uint8_t lun;
        int iana;                       /* netFn 0x2E: the first 3 request bytes; -1 = none */
        char *exec;                     /* absolute path, run without a shell */
        char args[256];                 /* fixed arguments, split at blanks; "" = none */
        uint32_t timeout_ms;
};
