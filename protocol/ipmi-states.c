/* SPDX-License-Identifier: MIT */
/* Tables 42-2 and 42-3 as configuration names; see ipmi-states.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "protocol/ipmi-states.h"

struct state_table {
        uint8_t reading_type;
        uint8_t sensor_type;            /* 6Fh only; 0 for the generic types */
        const char *const *names;
        size_t n;
        bool paired;
};

#define TABLE(rt, st, paired, ...) \
        { rt, st, (const char *const[]) { __VA_ARGS__ }, \
          sizeof((const char *const[]) { __VA_ARGS__ }) / sizeof(const char *), paired }

static const struct state_table tables[] = {
        TABLE(IPMI_READING_DMI_USAGE, 0, false, "idle", "active", "busy"),
        TABLE(IPMI_READING_DIGITAL, 0, true, "deasserted", "asserted"),
        TABLE(IPMI_READING_PREDICTIVE_FAILURE, 0, true, "predictive-failure-deasserted",
              "predictive-failure-asserted"),
        TABLE(IPMI_READING_LIMIT, 0, true, "limit-not-exceeded", "limit-exceeded"),
        TABLE(IPMI_READING_PERFORMANCE, 0, true, "performance-met", "performance-lags"),
        TABLE(IPMI_READING_SEVERITY, 0, false, "ok", "non-critical-from-ok",
              "critical-from-less-severe", "non-recoverable-from-less-severe",
              "non-critical-from-more-severe", "critical-from-non-recoverable",
              "non-recoverable", "monitor", "informational"),
        TABLE(IPMI_READING_PRESENCE, 0, true, "absent", "present"),
        TABLE(IPMI_READING_ENABLED, 0, true, "disabled", "enabled"),
        TABLE(IPMI_READING_AVAILABILITY, 0, false, "running", "in-test", "power-off", "on-line",
              "off-line", "off-duty", "degraded", "power-save", "install-error"),
        TABLE(IPMI_READING_REDUNDANCY, 0, false, "fully-redundant", "redundancy-lost",
              "redundancy-degraded", "non-redundant-sufficient-from-redundant",
              "non-redundant-sufficient-from-insufficient", "non-redundant-insufficient",
              "degraded-from-fully-redundant", "degraded-from-non-redundant"),
        TABLE(IPMI_READING_ACPI_POWER, 0, false, "d0", "d1", "d2", "d3"),
        /* 6Fh: the sensor types a PSU, a fan tray or a line card reports states of. */
        TABLE(IPMI_READING_SENSOR_SPECIFIC, 0x08, false, "presence", "failure",
              "predictive-failure", "input-lost", "input-lost-or-out-of-range",
              "input-out-of-range", "configuration-error", "inactive"),
        TABLE(IPMI_READING_SENSOR_SPECIFIC, 0x09, false, "power-off", "power-cycle",
              "240va-power-down", "interlock-power-down", "ac-lost",
              "soft-power-control-failure", "failure", "predictive-failure"),
        TABLE(IPMI_READING_SENSOR_SPECIFIC, 0x21, false, "fault", "identify", "installed",
              "ready-for-installation", "ready-for-removal", "power-off", "removal-requested",
              "interlock", "disabled", "spare"),
        TABLE(IPMI_READING_SENSOR_SPECIFIC, 0x25, true, "present", "absent", "disabled"),
};

static const struct state_table *find_table(uint8_t reading_type, uint8_t sensor_type) {
        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
                if (tables[i].reading_type == reading_type &&
                    (reading_type != IPMI_READING_SENSOR_SPECIFIC ||
                     tables[i].sensor_type == sensor_type))
                        return &tables[i];
        return NULL;
}

const char *ipmi_state_name(uint8_t reading_type, uint8_t sensor_type, unsigned offset) {
        const struct state_table *t = find_table(reading_type, sensor_type);

        return t && offset < t->n ? t->names[offset] : NULL;
}

int ipmi_state_offset(uint8_t reading_type, uint8_t sensor_type, const char *name) {
        const struct state_table *t = find_table(reading_type, sensor_type);

        for (size_t i = 0; t && i < t->n; i++)
                if (strcmp(t->names[i], name) == 0)
                        return (int) i;
        return -ENOENT;
}

bool ipmi_states_defined(uint8_t reading_type, uint8_t sensor_type) {
        return find_table(reading_type, sensor_type) != NULL;
}

bool ipmi_states_paired(uint8_t reading_type, uint8_t sensor_type) {
        const struct state_table *t = find_table(reading_type, sensor_type);

        return t && t->paired;
}

const char *ipmi_state_names(uint8_t reading_type, uint8_t sensor_type, char *buf, size_t size) {
        const struct state_table *t = find_table(reading_type, sensor_type);
        size_t used = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; t && i < t->n && used < size; i++) {
                int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t->names[i]);

                if (n < 0)
                        break;
                used += (size_t) n;
        }
        return buf;
}

static const struct {
        const char *name;
        uint8_t code;
} reading_types[] = {
        { "threshold",          IPMI_READING_THRESHOLD },
        { "dmi-usage",          IPMI_READING_DMI_USAGE },
        { "digital",            IPMI_READING_DIGITAL },
        { "predictive-failure", IPMI_READING_PREDICTIVE_FAILURE },
        { "limit",              IPMI_READING_LIMIT },
        { "performance",        IPMI_READING_PERFORMANCE },
        { "severity",           IPMI_READING_SEVERITY },
        { "presence",           IPMI_READING_PRESENCE },
        { "enabled",            IPMI_READING_ENABLED },
        { "availability",       IPMI_READING_AVAILABILITY },
        { "redundancy",         IPMI_READING_REDUNDANCY },
        { "acpi-power",         IPMI_READING_ACPI_POWER },
        { "sensor-specific",    IPMI_READING_SENSOR_SPECIFIC },
};

const char *ipmi_reading_type_name(uint8_t reading_type) {
        for (size_t i = 0; i < sizeof(reading_types) / sizeof(reading_types[0]); i++)
                if (reading_types[i].code == reading_type)
                        return reading_types[i].name;
        return NULL;
}

int ipmi_reading_type_lookup(const char *name) {
        for (size_t i = 0; i < sizeof(reading_types) / sizeof(reading_types[0]); i++)
                if (strcmp(reading_types[i].name, name) == 0)
                        return reading_types[i].code;
        return -ENOENT;
}
