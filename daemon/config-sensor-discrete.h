/* SPDX-License-Identifier: MIT */
/*
 * Discrete sensors in [sensor.N]: the event/reading type (`reading-type`), one source per state
 * (`state.NAME = SOURCE`, NAME from IPMI v2.0 tables 42-2 and 42-3 as protocol/ipmi-states.c
 * spells them) and which states generate events (`assertions`, `deassertions`). The states are
 * allocated only for a sensor that names some, so a threshold sensor carries one NULL pointer
 * and not fifteen sources (docs/configuration.md, "Discrete sensors").
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "protocol/ipmi-states.h"

/* One state.NAME key. */
struct sensor_state_config {
        char *name;                     /* NAME as written after "state." */
        unsigned line;                  /* of the key, for messages */
        uint8_t offset;                 /* resolved by the load-time check */
        struct sensor_source_config source;     /* a value != 0 asserts the state */
};

struct sensor_states_config {
        unsigned n;
        struct sensor_state_config state[IPMI_STATES_MAX];
};

/* The event/reading type in effect: reading-type, else sensor-specific (0x6F) for a sensor
 * type that has sensor-specific states (power-supply, power-unit, slot-connector, presence),
 * else threshold (0x01). */
uint8_t config_sensor_reading_type(const struct sensor_config *s);

/* The offsets read from a source of their own: the state.NAME keys, or for a presence sensor
 * (Entity Presence, sensor-specific) without them, "present" read from `source`. */
uint16_t config_sensor_states_read(const struct sensor_config *s);

/* The offsets the sensor can report: those read, and for the two-state types the opposite of a
 * state that is read when only one of the pair is (digital asserted/deasserted, present/absent,
 * ...: ipmi_states_paired()). */
uint16_t config_sensor_states_supported(const struct sensor_config *s);

/*
 * The offsets named by an assertions / deassertions value (NULL or "all": every supported
 * state; "none"; or names separated by commas or spaces). -EINVAL with a reason for a name the
 * sensor does not support.
 */
int config_sensor_state_mask(const struct sensor_config *s, const char *text, uint16_t *ret,
                             char *reason, size_t reason_size);

void sensor_states_config_free(struct sensor_states_config *st);
/* A deep copy (sources included); NULL for NULL. -ENOMEM. */
int sensor_states_config_copy(const struct sensor_states_config *src,
                              struct sensor_states_config **ret);
bool sensor_states_config_equal(const struct sensor_states_config *a,
                                const struct sensor_states_config *b);

/* ---- inside the configuration module ---- */
struct config_key;
struct load_state;

/* Row parsers. state.*: a pattern row; on_indexed_key() passes a copy of the row whose name is
 * the key as written and whose min is its line (config-parse.h). */
int config_parse_reading_type(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_sensor_state(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_state_list(const struct config_key *k, const char *value, void *dest,
                            char *reason);

/* After parsing [sensor.index]: state names against its types, sources, masks. */
void config_check_sensor_states(struct load_state *s, unsigned index);
