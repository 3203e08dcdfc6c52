/* SPDX-License-Identifier: MIT */
/*
 * [sensor.0] .. [sensor.63]: the sensor parsers, the sensor types and units, the [sensor.N] key
 * table and the threshold table (config-sensor.h) that the load-time check and the sensor table
 * both follow.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor.h"
#include "config-sensor-discrete.h"
#include "config-sensor-source.h"
#include "macro.h"
#include "protocol/sensor-linear.h"

#define LIVE CONFIG_RELOAD_LIVE
#define RESTART CONFIG_RELOAD_RESTART

/* Rising order, LNR <= LCR <= LNC <= UNC <= UCR <= UNR, each with its key in [sensor.N]. */
const struct sensor_threshold sensor_thresholds_rising[_SENSOR_THR_MAX] = {
        { SENSOR_THR_LNR, "lower-non-recoverable" },
        { SENSOR_THR_LCR, "lower-critical" },
        { SENSOR_THR_LNC, "lower-non-critical" },
        { SENSOR_THR_UNC, "upper-non-critical" },
        { SENSOR_THR_UCR, "upper-critical" },
        { SENSOR_THR_UNR, "upper-non-recoverable" },
};

const char *sensor_threshold_key(unsigned t) {
        for (size_t o = 0; o < ELEMENTSOF(sensor_thresholds_rising); o++)
                if (sensor_thresholds_rising[o].index == t)
                        return sensor_thresholds_rising[o].key;
        return NULL;
}

/* The SDR ID string: at most 16 printable ASCII characters, or auto for "Sensor N". */
int config_parse_sensor_name(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        char **s = dest;
        size_t n = strlen(value);

        if (strcmp(value, "auto") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (n > CONFIG_SENSOR_NAME_MAX) {
                /* %.64s: the reason fits REASON_MAX whatever the name (gcc for 32-bit targets
                 * flags an unbounded %s here under -Wformat-truncation). */
                snprintf(reason, REASON_MAX, "name \"%.64s\" is %zu characters; an SDR ID string "
                         "holds at most %d", value, n, CONFIG_SENSOR_NAME_MAX);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (value[i] < 0x20 || value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "name must be printable ASCII");
                        return -EINVAL;
                }
        return config_parse_string(k, value, dest, reason);
}

/*
 * IPMI v2.0 table 42-3. power is "Other Units-based Sensor" (0x0B), not "Power Supply"
 * (0x08): that type carries discrete power-supply states, and a board's power reading is
 * often not a power supply at all. presence is "Entity Presence" (0x25), a discrete sensor
 * whose source reads non-zero when the entity (a module, a cable, a fan) is there. Whether a
 * sensor is discrete follows from its reading type (config_sensor_reading_type()).
 */
static const struct {
        const char *name;
        uint8_t code;
        uint8_t unit;                   /* the usual base unit, table 43-15 */
} sensor_types[] = {
        { "temperature",    0x01, 0x01 },
        { "voltage",        0x02, 0x04 },
        { "current",        0x03, 0x05 },
        { "fan",            0x04, 0x12 },
        { "power",          0x0B, 0x06 },
        { "other",          0x0B, 0x00 },
        { "presence",       0x25, 0x00 },
        /* Discrete types (states; no unit). */
        { "power-supply",   0x08, 0x00 },
        { "power-unit",     0x09, 0x00 },
        { "cooling-device", 0x0A, 0x00 },
        { "module-board",   0x15, 0x00 },
        { "slot-connector", 0x21, 0x00 },
};

static const struct {
        const char *name;
        uint8_t code;
} sensor_units[] = {
        { "unspecified", 0x00 },
        { "degrees-c",   0x01 },
        { "degrees-f",   0x02 },
        { "kelvin",      0x03 },
        { "volts",       0x04 },
        { "amps",        0x05 },
        { "watts",       0x06 },
        { "rpm",         0x12 },
};

int config_parse_sensor_type(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        unsigned long v;

        for (size_t i = 0; i < ELEMENTSOF(sensor_types); i++)
                if (strcmp(value, sensor_types[i].name) == 0) {
                        *(uint8_t *) dest = sensor_types[i].code;
                        return 0;
                }
        /* Any code of table 42-3 (0xC0..0xFF are OEM), for a type without a name here. */
        if (config_parse_number(value, &v) == 0 && v >= 0x01 && v <= 0xFF) {
                *(uint8_t *) dest = (uint8_t) v;
                return 0;
        }
        snprintf(reason, REASON_MAX, "unknown sensor type \"%.16s\" (temperature, voltage, "
                 "current, fan, power, other, presence, power-supply, power-unit, "
                 "module-board, ..., or 0x01..0xff)", value);
        return -EINVAL;
}

int config_parse_sensor_unit(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        if (strcmp(value, "auto") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(sensor_units); i++)
                if (strcmp(value, sensor_units[i].name) == 0) {
                        *(int *) dest = sensor_units[i].code;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "unknown unit \"%s\" (auto, unspecified, degrees-c, "
                 "degrees-f, kelvin, volts, amps, watts, rpm)", value);
        return -EINVAL;
}

bool config_sensor_is_discrete(const struct sensor_config *s) {
        return config_sensor_reading_type(s) != IPMI_READING_THRESHOLD;
}

uint8_t config_sensor_unit(const struct sensor_config *s) {
        if (s->unit >= 0)
                return (uint8_t) s->unit;
        for (size_t i = 0; i < ELEMENTSOF(sensor_types); i++)
                if (sensor_types[i].code == s->sensor_type)
                        return sensor_types[i].unit;
        return 0;
}

/* "LO..HI": the readings the 256 raw codes must cover; the solver decides here whether they
 * can, so a range IPMI cannot express is a configuration error with its line. */
int config_parse_sensor_range(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        __typeof__(((struct sensor_config *) NULL)->range) *range = dest;
        const char *dots = strstr(value, "..");
        struct sensor_linear l;
        char lo_text[64];
        double lo, hi;
        int r;

        if (!dots || (size_t) (dots - value) >= sizeof(lo_text))
                goto bad;
        memcpy(lo_text, value, (size_t) (dots - value));
        lo_text[dots - value] = '\0';
        if (config_parse_double(lo_text, &lo) < 0 || config_parse_double(dots + 2, &hi) < 0)
                goto bad;
        if (lo >= hi) {
                snprintf(reason, REASON_MAX, "range \"%s\": LO must be below HI", value);
                return -EINVAL;
        }
        r = sensor_linear_solve(lo, hi, &l);
        if (r < 0) {
                snprintf(reason, REASON_MAX, "range \"%s\" cannot be expressed with 256 raw codes "
                         "(too wide, or too narrow this far from zero)", value);
                return -EINVAL;
        }
        range->lo = lo;
        range->hi = hi;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "range \"%s\" must be LO..HI in engineering units, e.g. "
                 "-40..125", value);
        return -EINVAL;
}

/* none, file:, gpio: or smbus: (daemon/config-sensor-source.c has the grammars). */
int config_parse_sensor_source(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        return sensor_source_parse(value, dest, reason, REASON_MAX);
}

int config_parse_threshold(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        if (strcmp(value, "none") == 0) {
                *(double *) dest = NAN;
                return 0;
        }
        if (config_parse_double(value, dest) < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be a number in the sensor's units, "
                         "or none", k->name, value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_hysteresis(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        double v;

        if (config_parse_double(value, &v) < 0 || v < 0) {
                snprintf(reason, REASON_MAX, "hysteresis \"%s\" must be a number >= 0 in the "
                         "sensor's units", value);
                return -EINVAL;
        }
        *(double *) dest = v;
        return 0;
}

/*
 * [sensor.0] .. [sensor.63]: threshold sensors. Offsets into struct sensor_config; the
 * threshold keys come in SDR_THR_* bit order, as in the Get Sensor Thresholds response.
 */
#define S(field) offsetof(struct sensor_config, field), sizeof(((struct sensor_config *) 0)->field)

const struct config_key config_sensor_keys[] = {
        { "sensor.0", "name", config_parse_sensor_name, S(name), "auto", 0, 0,
          "SDR ID string, at most 16 characters; auto: Sensor N",
          RESTART },
        { "sensor.0", "type", config_parse_sensor_type, S(sensor_type), "other", 0, 0,
          "temperature, voltage, current, fan, power or other (0x0B), presence (0x25), "
          "power-supply (0x08), power-unit, cooling-device, module-board, slot-connector, or "
          "a code",
          RESTART },
        { "sensor.0", "unit", config_parse_sensor_unit, S(unit), "auto", 0, 0,
          "unspecified, degrees-c, degrees-f, kelvin, volts, amps, watts or rpm; auto: the "
          "type's usual unit",
          RESTART },
        { "sensor.0", "range", config_parse_sensor_range, S(range), "0..255", 0, 0,
          "LO..HI in engineering units that the raw byte covers (M, B and exponents are solved "
          "for it)",
          RESTART },
        { "sensor.0", "source", config_parse_sensor_source, S(source), "none", 0, 0,
          "file:/PATH[:SCALE], gpio:CHIP:LINE[:active-low], "
          "smbus:BUS:ADDR:REG[:WIDTH][:BIT][:signed][:SCALE], "
          "pmbus:BUS:ADDR:COMMAND[:page=N][:FORMAT][:pec][:BIT][:SCALE] or none; BIT is bit=N or "
          "mask=M",
          RESTART },
        { "sensor.0", "lower-non-critical", config_parse_threshold, S(thresholds[SENSOR_THR_LNC]),
          "none", 0, 0, "lower non-critical threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "lower-critical", config_parse_threshold, S(thresholds[SENSOR_THR_LCR]),
          "none", 0, 0, "lower critical threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "lower-non-recoverable", config_parse_threshold,
          S(thresholds[SENSOR_THR_LNR]),
          "none", 0, 0, "lower non-recoverable threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "upper-non-critical", config_parse_threshold, S(thresholds[SENSOR_THR_UNC]),
          "none", 0, 0, "upper non-critical threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "upper-critical", config_parse_threshold, S(thresholds[SENSOR_THR_UCR]),
          "none", 0, 0, "upper critical threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "upper-non-recoverable", config_parse_threshold,
          S(thresholds[SENSOR_THR_UNR]),
          "none", 0, 0, "upper non-recoverable threshold, engineering units, or none",
          LIVE },
        { "sensor.0", "hysteresis", config_parse_hysteresis, S(hysteresis), "0", 0, 0,
          "threshold hysteresis both ways, engineering units (rounded to raw steps)",
          LIVE },
        { "sensor.0", "poll-ms", config_parse_u32, S(poll_ms), "1000", 100, 60000,
          "how often the source is read, in milliseconds",
          RESTART },
        { "sensor.0", "events", config_parse_bool, S(events), "yes", 0, 0,
          "send Platform Event Messages for threshold crossings (Set Sensor Event Enable "
          "changes it at run time)",
          LIVE },
        /* Discrete sensors (config-sensor-discrete.c). */
        { "sensor.0", "reading-type", config_parse_reading_type, S(reading_type), "auto", 0, 0,
          "threshold, sensor-specific, digital, severity, presence, availability, redundancy, "
          "... (table 42-2); auto: sensor-specific for types with such states, else threshold",
          RESTART },
        { "sensor.0", "state.*", config_parse_sensor_state, S(states), "none", 0, 0,
          "state.NAME = SOURCE: discrete state NAME (state.failure, state.input-lost, ...: "
          "tables 42-2/42-3) is asserted while SOURCE (as for source) reads non-zero",
          RESTART },
        /* SDR control: config-sensor-sdr.c */
        { "sensor.0", "number", config_parse_sensor_number, S(number), "auto", 0, 0,
          "sensor number 0..254, unique per LUN; auto: the section index + 1",
          RESTART },
        { "sensor.0", "lun", config_parse_sensor_lun, S(lun), "0", 0, 0,
          "sensor owner LUN, 0, 1 or 3: the sensor commands reach it on that LUN (more than 254 "
          "sensors need more than one)",
          RESTART },
        { "sensor.0", "entity", config_parse_entity, S(entity_id), "system-board", 0, 0,
          "entity the sensor belongs to: a name of IPMI's entity table (power-supply, "
          "fan-cooling-device, ...) or a number",
          RESTART },
        { "sensor.0", "entity-instance", config_parse_entity_instance, S(entity_instance), "0",
          0, 0, "instance of the entity, 0..127 (96..127: device-relative)",
          RESTART },
        { "sensor.0", "nominal", config_parse_threshold, S(nominal), "none", 0, 0,
          "nominal reading, engineering units, or none",
          RESTART },
        { "sensor.0", "normal-min", config_parse_threshold, S(normal_min), "none", 0, 0,
          "lower end of the normal readings, engineering units, or none",
          RESTART },
        { "sensor.0", "normal-max", config_parse_threshold, S(normal_max), "none", 0, 0,
          "upper end of the normal readings, engineering units, or none",
          RESTART },
        /* One key for both kinds of sensor: its words are resolved once the kind is known
         * (config_check_sensor_states()). */
        { "sensor.0", "assertion-events", config_parse_state_list, S(assertions), "all",
          0, 0, "what can send an assertion event: all, none, or thresholds (lcr, "
          "upper-critical, ...) or discrete states (presence, ...); alias: assertions",
          RESTART },
        { "sensor.0", "deassertion-events", config_parse_state_list, S(deassertions),
          "all", 0, 0, "what can send a deassertion event: all, none, or thresholds or states, "
          "as for assertion-events; alias: deassertions",
          RESTART },
        { "sensor.0", "settable-thresholds", config_parse_threshold_set, S(settable_thresholds),
          "all", 0, 0, "thresholds Set Sensor Thresholds may change: all, none (read-only), or "
          "a list",
          RESTART },
};

#undef S

const size_t config_sensor_keys_n = ELEMENTSOF(config_sensor_keys);
_Static_assert(ELEMENTSOF(config_sensor_keys) <= CONFIG_SENSOR_KEYS_MAX,
               "raise CONFIG_SENSOR_KEYS_MAX in config-check.h");

/* The names the event keys had for discrete sensors alone: they still parse, as the key. */
const char *const config_sensor_key_aliases[] = {
        "assertions", "assertion-events",
        "deassertions", "deassertion-events",
        NULL,
};
