/* SPDX-License-Identifier: MIT */
/* What a [sensor.N] section means beyond its values: discrete or not, its unit, its thresholds. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Whether a sensor reports states (presence) rather than a value against thresholds. */
bool config_sensor_is_discrete(const struct sensor_config *s);

/* The base unit of a sensor: its unit key, or the usual one for its type. */
uint8_t config_sensor_unit(const struct sensor_config *s);

/*
 * The one threshold table: SENSOR_THR_* indexes in the order their values must rise
 * (LNR <= LCR <= LNC <= UNC <= UCR <= UNR), with the [sensor.N] key of each. The load-time
 * check, Set Sensor Thresholds, sensors.state and reload all judge order by it.
 */
struct sensor_threshold {
        unsigned index;                 /* SENSOR_THR_* */
        const char *key;                /* e.g. "lower-critical" */
};
extern const struct sensor_threshold sensor_thresholds_rising[_SENSOR_THR_MAX];

/* The [sensor.N] key of SENSOR_THR_* t. */
const char *sensor_threshold_key(unsigned t);
