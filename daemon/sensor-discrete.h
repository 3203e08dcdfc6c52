/* SPDX-License-Identifier: MIT */
/*
 * Discrete sensors: states instead of a value (IPMI v2.0 tables 42-2 and 42-3). Each state
 * that has a source (state.NAME in [sensor.N], config-sensor-discrete.h) is asserted while its
 * source reads non-zero; for the two-state types the opposite of a state read alone is its
 * complement (absent is not present). All sources of a sensor are read in one job of the
 * sensor reader, and the sensor is "reading unavailable" as a whole when one of them fails:
 * Get Sensor Reading has one unavailable bit for the sensor and none per state, and reporting
 * the other bits would claim that the unread state (a PSU failure, say) is not asserted.
 */
#pragma once

#include <stdint.h>

#include "config.h"
#include "protocol/sdr-compact.h"
#include "sensor-source.h"

struct sensor;

/*
 * Read every source of st through hw, in order: 0 and in *ret the offsets whose source read
 * non-zero; or the first failure's -errno with its index in *failed (the later ones are not
 * read: the reading is unavailable either way). For the sensor reader's worker thread.
 */
int sensor_states_read(const struct sensor_source_hw *hw, const struct sensor_states_config *st,
                       uint16_t *ret, unsigned *failed);

/* The discrete part of sn from its configuration (sensor_table_new()). */
void sensor_discrete_init(struct sensor *sn);

/* The states asserted when the offsets in read are (a subset of sn->states_read): read plus
 * the complements of paired states. */
uint16_t sensor_discrete_states(const struct sensor *sn, uint16_t read);

/* The Compact Sensor Record of a discrete sensor, owned by address on LUN 0. */
void sensor_compact_record(const struct sensor *sn, uint8_t address,
                           struct sdr_compact_sensor *ret);
