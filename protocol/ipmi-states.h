/* SPDX-License-Identifier: MIT */
/*
 * The states of discrete sensors by name (IPMI v2.0 table 42-2, generic event/reading types
 * 02h..0Ch, and table 42-3, the sensor-specific offsets of event/reading type 6Fh): the names a
 * configuration gives them (`state.input-lost`), in lower case with dashes, and the pairs of
 * states of which exactly one holds. Pure tables: no I/O, no globals that change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Event/reading type codes (table 42-1) of the discrete sensors. */
enum {
        IPMI_READING_THRESHOLD          = 0x01,
        IPMI_READING_DMI_USAGE          = 0x02,
        IPMI_READING_DIGITAL            = 0x03,
        IPMI_READING_PREDICTIVE_FAILURE = 0x04,
        IPMI_READING_LIMIT              = 0x05,
        IPMI_READING_PERFORMANCE        = 0x06,
        IPMI_READING_SEVERITY           = 0x07,
        IPMI_READING_PRESENCE           = 0x08,
        IPMI_READING_ENABLED            = 0x09,
        IPMI_READING_AVAILABILITY       = 0x0A,
        IPMI_READING_REDUNDANCY         = 0x0B,
        IPMI_READING_ACPI_POWER         = 0x0C,
        IPMI_READING_SENSOR_SPECIFIC    = 0x6F,
};

#define IPMI_STATES_MAX 15              /* offsets 0..14 */

/*
 * The configuration name of a state: offset of event/reading type reading_type (with the
 * sensor type for 6Fh); NULL where the tables name none.
 */
const char *ipmi_state_name(uint8_t reading_type, uint8_t sensor_type, unsigned offset);

/* The offset named name for that reading and sensor type, or -ENOENT. */
int ipmi_state_offset(uint8_t reading_type, uint8_t sensor_type, const char *name);

/* Whether the reading type (with its sensor type) has named states at all. */
bool ipmi_states_defined(uint8_t reading_type, uint8_t sensor_type);

/*
 * Offsets 0 and 1 of the two-state generic types (digital, predictive failure, limit,
 * performance, device presence, enabled) and of Entity Presence (25h: present, absent) are one
 * state and its opposite: exactly one of them holds. true for those.
 */
bool ipmi_states_paired(uint8_t reading_type, uint8_t sensor_type);

/*
 * The names of all states of a type, ", "-separated, into buf (for error messages). Returns
 * buf; "" when there are none.
 */
const char *ipmi_state_names(uint8_t reading_type, uint8_t sensor_type, char *buf, size_t size);

/* The configuration name of an event/reading type ("sensor-specific", "severity", ...) and the
 * type of a name; NULL / -ENOENT when none. */
const char *ipmi_reading_type_name(uint8_t reading_type);
int ipmi_reading_type_lookup(const char *name);
