/* SPDX-License-Identifier: MIT */
/*
 * Fan-control outputs from [fan.N] (docs/actuators.md): a hwmon pwmN file or a GPIO line,
 * driven at a level 0..max-level, never below min-level. Two things ask for a level, as in
 * PICMG 3.0's cooling management (the Set Fan Level and Get Fan Level commands):
 *
 *  - the shelf manager's override level, fan_control_set_level() (the PICMG profile's Set Fan
 *    Level handler calls it; FAN_LEVEL_LOCAL_CONTROL hands the fan back to the policy);
 *  - the local policy, when the fan follows a sensor: each reading of that sensor is mapped
 *    through the curve (linear between points) with a hysteresis, and a sensor without a
 *    reading (failed, unavailable, scanning off) asks for max-level, the safe level.
 *
 * While local control is enabled the fan runs at the higher of the two (PICMG: "the greater
 * of"); disabled, at the override level. A fan without a policy has no local control and runs
 * at max-level until a level is set.
 *
 * Everything runs on the loop thread. The pwm file is written on the loop thread too, only
 * when the level changes: a hwmon pwm write is one small I2C/SMBus transfer in the driver
 * (bounded by the adapter's timeout), not worth a thread hop for the few changes a hysteresis
 * lets through; the sensors' reads, which happen every poll, are the ones on a worker thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gpio-output.h"

/* PICMG 3.0's Set/Get Fan Level values beyond the levels (as ipmitool-era tools, Wireshark's
 * PICMG dissector and coreIPM read the spec: FEh emergency shut down, FFh local control). */
#define FAN_LEVEL_LOCAL_CONTROL 0xFF    /* Set Fan Level: back to local control */
#define FAN_LEVEL_SHUT_DOWN     0xFE    /* Set Fan Level: refused, below any minimum */

struct fan_table;
struct fan;

/* What Get Fan Level (PICMG 3.0 "Get Fan Level command") reports, plus the level in effect. */
struct fan_level_state {
        uint8_t override_level;         /* the last Set Fan Level, or FAN_LEVEL_LOCAL_CONTROL */
        uint8_t local_level;            /* the policy's level; max-level without a reading */
        bool local_control;             /* the fan follows a sensor (Get Fan Speed Properties) */
        bool local_enabled;
        uint8_t level;                  /* in effect at the output */
        uint8_t min_level, max_level;
};

/* From the configuration alone (no I/O). c must outlive the table. */
int fan_table_new(const struct satmc_config *c, struct fan_table **ret);

/*
 * Take the outputs: a pwm file's pwmN_enable (if the driver has one) is saved and set to 1
 * (manual), a GPIO line is requested through gpio (NULL: libgpiod); every fan starts at
 * max-level. -errno (logged, naming the file or line) if an output cannot be taken.
 */
int fan_table_start(struct fan_table *t, const struct gpio_output_ops *gpio, void *userdata);

/*
 * Every fan to max-level, then give the outputs back: pwmN_enable gets the value saved at
 * start (usually 2, automatic: the driver's own control takes over), GPIO lines are released
 * (on). After a crash none of this runs: the fan stays at the last level written, in manual
 * mode, until satmcd starts again (docs/actuators.md).
 */
struct fan_table *fan_table_free(struct fan_table *t);

unsigned fan_table_count(const struct fan_table *t);
/* The fan of [fan.index], or NULL when there is no such section. */
struct fan *fan_table_get(struct fan_table *t, unsigned index);

/* A reading of [sensor.sensor_index] (value in its units), or its absence: the fans that
 * follow it re-evaluate their local level. */
void fan_table_on_reading(struct fan_table *t, unsigned sensor_index, bool available,
                          double value);

/*
 * PICMG Set Fan Level: level min-level..max-level as the override, or FAN_LEVEL_LOCAL_CONTROL;
 * local_enable 0 or 1 sets the local control enable state, -1 keeps it. -ERANGE for a level
 * outside the limits or FAN_LEVEL_SHUT_DOWN (a fan is never commanded below its minimum);
 * -EOPNOTSUPP for local control on a fan without a policy. Nothing changes on an error.
 * Returns 0 also when the output could not be written (logged; tried again at the next change).
 */
int fan_control_set_level(struct fan *f, uint8_t level, int local_enable);

/* PICMG Get Fan Level / Get Fan Speed Properties. */
void fan_control_get_level(const struct fan *f, struct fan_level_state *ret);

/* The level the policy maps reading to before hysteresis (the curve, clamped to the limits). */
uint8_t fan_curve_level(const struct fan_config *fc, double reading);
