/* SPDX-License-Identifier: MIT */
/*
 * The value of a [sensor.N] `source` key: none, file:, gpio: or smbus: (the grammar is in
 * docs/configuration.md). Kept apart from config-sensor.c because three grammars with a precise
 * message for every malformed form would drown the key table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * Parse value into *src, replacing (and freeing) what it held. Returns 0; or -EINVAL (-ENOMEM)
 * with a one-line reason without file:line (the caller adds those), leaving *src untouched.
 */
int sensor_source_parse(const char *value, struct sensor_source_config *src, char *reason,
                        size_t reason_size);

/* Free what src owns and set it to SENSOR_SOURCE_NONE. */
void sensor_source_config_clear(struct sensor_source_config *src);

/* A deep copy of src in *dst (which is overwritten, not freed). Returns 0 or -ENOMEM with *dst
 * SENSOR_SOURCE_NONE. */
int sensor_source_config_copy(struct sensor_source_config *dst,
                              const struct sensor_source_config *src);

/* Whether a and b read the same thing the same way (a reload must restart for a new source). */
bool sensor_source_config_equal(const struct sensor_source_config *a,
                                const struct sensor_source_config *b);
