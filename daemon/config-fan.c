/* SPDX-License-Identifier: MIT */
/*
 * [fan.N]: a fan-control output (hwmon pwmN file or GPIO line), its level limits and a local
 * policy following one sensor through a curve (daemon/fan-control.c runs it). Values are
 * fixed-size structs, so config_key_equal() compares them byte for byte.
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

/* "pwm:/sys/class/hwmon/hwmonX/pwmN" or "gpio:CHIP:LINE[:active-low]" (the grammar of a
 * sensor's GPIO source, parsed by the same code). */
int config_parse_fan_output(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        struct fan_output_config out;
        int r;

        (void) k;
        memset(&out, 0, sizeof(out));   /* padding too: the struct is compared with memcmp() */
        if (strncmp(value, "pwm:", 4) == 0) {
                const char *path = value + 4;

                if (path[0] != '/')
                        return fail(reason, "output \"%s\": the pwm file must be an absolute "
                                    "path (pwm:/sys/class/hwmon/hwmonX/pwmN)", value);
                /* "_enable" is appended to find the mode file. */
                if (strlen(path) + sizeof("_enable") > sizeof(out.path))
                        return fail(reason, "output \"%.60s...\": path too long", value);
                out.kind = FAN_OUTPUT_PWM;
                strcpy(out.path, path);
        } else if (strncmp(value, "gpio:", 5) == 0) {
                struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };

                r = sensor_source_parse(value, &src, reason, REASON_MAX);
                if (r < 0) {
                        sensor_source_config_clear(&src);
                        return r;
                }
                if (strlen(src.gpio.chip) >= sizeof(out.chip)) {
                        sensor_source_config_clear(&src);
                        return fail(reason, "output \"%.60s\": gpio chip name too long", value);
                }
                out.kind = FAN_OUTPUT_GPIO;
                strcpy(out.chip, src.gpio.chip);
                out.line = src.gpio.line;
                out.active_low = src.gpio.active_low;
                sensor_source_config_clear(&src);
        } else
                return fail(reason, "output \"%.80s\" must be pwm:/PATH or "
                            "gpio:CHIP:LINE[:active-low]", value);
        memcpy(dest, &out, sizeof(out));
        return 0;
}

/* "LO..HI", 0..255 each, LO <= HI. */
int config_parse_fan_pwm_range(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        struct fan_pwm_range *ret = dest;
        unsigned long lo, hi;
        _cleanup_free_ char *copy = strdup(value);
        char *dots;

        (void) k;
        if (!copy) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        dots = strstr(copy, "..");
        if (!dots)
                return fail(reason, "pwm-range \"%.80s\" must be LO..HI (0..255)", value);
        *dots = '\0';
        if (config_parse_number(copy, &lo) < 0 || config_parse_number(dots + 2, &hi) < 0 ||
            lo > 255 || hi > 255 || lo > hi)
                return fail(reason, "pwm-range \"%.80s\" must be LO..HI with 0 <= LO <= HI "
                            "<= 255", value);
        ret->lo = (uint8_t) lo;
        ret->hi = (uint8_t) hi;
        return 0;
}

/* "saved" (-1) or the number pwmN_enable gets at exit, 0..255. */
int config_parse_fan_enable_at_exit(const struct config_key *k, const char *value, void *dest,
                                    char *reason) {
        unsigned long v;

        if (strcmp(value, "saved") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        if (config_parse_number(value, &v) < 0 || v > 255)
                return fail(reason, "%s \"%.40s\" must be saved or a number 0..255", k->name,
                            value);
        *(int *) dest = (int) v;
        return 0;
}

/* "none", "sensor.N" or a sensor's name; which sensor it is, config-check.c decides. */
int config_parse_fan_follow(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        char *follow = dest;

        if (strcmp(value, "none") == 0) {
                memset(follow, 0, k->size);
                return 0;
        }
        if (value[0] == '\0' || strlen(value) >= k->size)
                return fail(reason, "follow \"%.60s\" must be sensor.N or a sensor's name "
                            "(at most 16 characters)", value);
        memset(follow, 0, k->size);
        strcpy(follow, value);
        return 0;
}

/* "READING:LEVEL READING:LEVEL ...": up to FAN_CURVE_POINTS_MAX points, readings strictly
 * rising, levels 0..FAN_LEVEL_MAX (max-level is checked with the section); or none. */
int config_parse_fan_curve(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        struct fan_curve curve;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        (void) k;
        memset(&curve, 0, sizeof(curve));
        if (strcmp(value, "none") == 0) {
                memcpy(dest, &curve, sizeof(curve));
                return 0;
        }
        copy = strdup(value);
        if (!copy) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                char *colon = strrchr(w, ':');
                unsigned long level;
                double reading;

                if (curve.n == FAN_CURVE_POINTS_MAX) {
                        snprintf(reason, REASON_MAX, "curve: at most %d points",
                                 FAN_CURVE_POINTS_MAX);
                        return -EINVAL;
                }
                if (!colon)
                        return fail(reason, "curve point \"%.40s\" must be READING:LEVEL", w);
                *colon = '\0';
                if (config_parse_double(w, &reading) < 0)
                        return fail(reason, "curve reading \"%.40s\" is not a number", w);
                if (config_parse_number(colon + 1, &level) < 0 || level > FAN_LEVEL_MAX)
                        return fail(reason, "curve level \"%.40s\" must be 0..253", colon + 1);
                if (curve.n > 0 && reading <= curve.reading[curve.n - 1])
                        return fail(reason, "curve readings must rise from point to point "
                                    "(at \"%.40s\")", w);
                curve.reading[curve.n] = reading;
                curve.level[curve.n] = (uint8_t) level;
                curve.n++;
        }
        if (curve.n == 0)
                return fail(reason, "curve \"%.40s\" has no points", value);
        memcpy(dest, &curve, sizeof(curve));
        return 0;
}

#define F(field) offsetof(struct fan_config, field), sizeof(((struct fan_config *) 0)->field)

const struct config_key config_fan_keys[] = {
        { "fan.0", "output", config_parse_fan_output, F(output), NULL, 0, 0,
          "pwm:/sys/class/hwmon/hwmonX/pwmN (written 0..255; pwmN_enable is set to "
          "manual at start and restored at exit) or gpio:CHIP:LINE[:active-low] (on for any "
          "level above 0)",
          RESTART },
        { "fan.0", "min-level", config_parse_u8, F(min_level), "0", 0, FAN_LEVEL_MAX,
          "lowest level the fan is ever commanded to, by the policy or by Set Fan Level",
          RESTART },
        { "fan.0", "max-level", config_parse_u8, F(max_level), "15", 1, FAN_LEVEL_MAX,
          "highest level (full speed), also the safe level: used while the followed sensor "
          "has no reading",
          RESTART },
        { "fan.0", "pwm-range", config_parse_fan_pwm_range, F(pwm), "0..255", 0, 0,
          "LO..HI: the pwm value at level 0 and at max-level, linear between",
          RESTART },
        { "fan.0", "pwm-enable-at-exit", config_parse_fan_enable_at_exit, F(pwm_enable_at_exit),
          "saved", 0, 0,
          "what pwmN_enable gets at exit: saved (what it was at start) or a number, e.g. 2 "
          "(the driver's automatic control) even when a restart after a crash saved 1",
          RESTART },
        { "fan.0", "follow", config_parse_fan_follow, F(follow), "none", 0, 0,
          "the sensor the local policy follows, sensor.N or its name; none: the level is only "
          "what Set Fan Level commands (max-level until then)",
          RESTART },
        { "fan.0", "curve", config_parse_fan_curve, F(curve), "none", 0, 0,
          "READING:LEVEL points, readings rising, e.g. 30:4 50:8 70:15; linear between points, "
          "the end levels beyond them; required with follow",
          RESTART },
        { "fan.0", "hysteresis", config_parse_hysteresis, F(hysteresis), "2", 0, 0,
          "the level goes down only once the reading is this far (in the sensor's units) "
          "below the point that raised it",
          RESTART },
        { "fan.0", "fru", config_parse_int_or_none, F(picmg_fru), "none", 0, CONFIG_FRU_MAX - 1,
          "the fan tray's FRU device ID ([fru.N]) whose Get Fan Speed Properties, Set Fan Level "
          "and Get Fan Level drive this fan (PICMG profile only); none: no PICMG fan commands",
          RESTART },
        { "fan.0", "normal-level", config_parse_int_or_auto, F(normal_level), "auto", 0,
          FAN_LEVEL_MAX,
          "the Normal Operating Level Get Fan Speed Properties reports, min-level..max-level; "
          "auto: min-level",
          RESTART },
};

#undef F

const size_t config_fan_keys_n = ELEMENTSOF(config_fan_keys);
_Static_assert(ELEMENTSOF(config_fan_keys) <= CONFIG_FAN_KEYS_MAX,
               "raise CONFIG_FAN_KEYS_MAX in config-check.h");
