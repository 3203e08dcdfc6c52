/* SPDX-License-Identifier: MIT */
/*
 * After parsing, [fan.N] and [oem.N]: required keys, limits against each other, the sensor a
 * fan follows, and OEM commands configured twice.
 */
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-sensor.h"

/* The line of key name in a numbered section, or 0 when the file does not set it. */
static unsigned key_line(const struct config_key *keys, size_t n, const unsigned *seen,
                         const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i].name, name) == 0)
                        return seen[i];
        abort();        /* only called with names of the table */
}

/* "sensor.N" or the name of exactly one sensor: its index, or -1. */
static int find_sensor(const struct satmc_config *c, const char *follow) {
        int found = -1;

        if (strncmp(follow, "sensor.", 7) == 0) {
                char *end;
                unsigned long v = strtoul(follow + 7, &end, 10);

                if (follow[7] >= '0' && follow[7] <= '9' && *end == '\0' &&
                    v < CONFIG_SENSOR_MAX && c->sensor[v].present)
                        return (int) v;
                return -1;
        }
        for (unsigned i = 0; i < CONFIG_SENSOR_MAX; i++)
                if (c->sensor[i].present && c->sensor[i].name &&
                    strcmp(c->sensor[i].name, follow) == 0) {
                        if (found >= 0)
                                return -2;      /* two sensors of that name */
                        found = (int) i;
                }
        return found;
}

/* Keys without a default that the section does not set, as [mc]'s are reported: by name,
 * with their description. Returns whether any was missing. */
static bool report_required(struct load_state *s, const char *kind, unsigned index,
                            const struct config_key *keys, size_t n, const unsigned *seen) {
        bool missing = false;

        for (size_t i = 0; i < n; i++)
                if (!keys[i].default_value && !seen[i]) {
                        config_report(s, 0, "[%s.%u] %s is required (%s)", kind, index,
                                      keys[i].name, keys[i].description);
                        missing = true;
                }
        return missing;
}

static void check_fan(struct load_state *s, unsigned index) {
        struct fan_config *f = &s->config->fan[index];
        const unsigned *seen = s->fan_seen_line[index];
#define LINE(name) (key_line(config_fan_keys, config_fan_keys_n, seen, name) ?: f->line)

        report_required(s, "fan", index, config_fan_keys, config_fan_keys_n, seen);
        if (f->min_level > f->max_level)
                config_report(s, LINE("min-level"), "[fan.%u] min-level %u is above max-level "
                              "%u", index, f->min_level, f->max_level);
        for (unsigned i = 0; i < f->curve.n; i++)
                if (f->curve.level[i] > f->max_level) {
                        config_report(s, LINE("curve"), "[fan.%u] curve level %u is above "
                                      "max-level %u", index, f->curve.level[i], f->max_level);
                        break;
                }
        if (f->follow[0] == '\0') {
                if (f->curve.n > 0)
                        config_report(s, LINE("curve"), "[fan.%u] curve without follow: name "
                                      "the sensor it maps", index);
                return;
        }
        f->follow_index = find_sensor(s->config, f->follow);
        if (f->follow_index == -2)
                config_report(s, LINE("follow"), "[fan.%u] follow \"%s\": more than one sensor "
                              "has that name; say sensor.N", index, f->follow);
        else if (f->follow_index < 0)
                config_report(s, LINE("follow"), "[fan.%u] follow \"%s\": no such sensor "
                              "(sensor.N of a configured [sensor.N], or its name)", index,
                              f->follow);
        else if (config_sensor_is_discrete(&s->config->sensor[f->follow_index]))
                config_report(s, LINE("follow"), "[fan.%u] follow \"%s\": a discrete sensor "
                              "has no reading to map to a level", index, f->follow);
        if (f->curve.n == 0)
                config_report(s, LINE("follow"), "[fan.%u] follow needs a curve "
                              "(READING:LEVEL ...)", index);
        if (f->follow_index < 0)
                f->follow_index = -1;
#undef LINE
}

static void check_oem(struct load_state *s, unsigned index) {
        const struct satmc_config *c = s->config;
        const struct oem_config *o = &c->oem[index];
        const unsigned *seen = s->oem_seen_line[index];
        unsigned iana_line = key_line(config_oem_keys, config_oem_keys_n, seen, "iana");

        if (report_required(s, "oem", index, config_oem_keys, config_oem_keys_n, seen))
                return;
        if (o->netfn == 0x2E && o->iana < 0)
                config_report(s, iana_line ?: o->line, "[oem.%u] netfn 0x2E (OEM/Group) needs "
                              "iana: its requests begin with the IANA number", index);
        if (o->netfn != 0x2E && o->iana >= 0)
                config_report(s, iana_line, "[oem.%u] iana is for netfn 0x2E only; netfn "
                              "0x%02X carries no IANA number", index, o->netfn);
        if (o->netfn == 0)
                return;         /* its netfn was refused, and said so */
        for (unsigned j = 0; j < index; j++) {
                const struct oem_config *p = &c->oem[j];

                if (p->present && p->exec && p->netfn == o->netfn && p->cmd == o->cmd &&
                    p->lun == o->lun && p->iana == o->iana)
                        config_report(s, o->line, "[oem.%u] routes netfn 0x%02X cmd 0x%02X "
                                      "LUN %u as [oem.%u] does already", index, o->netfn,
                                      o->cmd, o->lun, j);
        }
}

void config_check_actuators(struct load_state *s) {
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++) {
                /* Only a configured fan's: a write to an absent one would make its page of
                 * the configuration resident for nothing (config_new()). */
                if (!s->config->fan[i].present)
                        continue;
                s->config->fan[i].follow_index = -1;
                check_fan(s, i);
        }
        for (unsigned i = 0; i < CONFIG_OEM_MAX; i++)
                if (s->config->oem[i].present)
                        check_oem(s, i);
}
