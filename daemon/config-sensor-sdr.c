/* SPDX-License-Identifier: MIT */
/*
 * What a sensor's SDR says about it beyond its value: entity (also of FRU locators and the MC
 * locator), sensor number and LUN, nominal and normal readings, which thresholds generate
 * events and which may be set. The parsers of those keys, and the checks across them: numbers
 * unique per LUN, the nominal and normal readings inside the range.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor.h"
#include "macro.h"
#include "protocol/ipmi.h"

/* A name of IPMI's entity table (power-supply, fan-cooling-device, ...) or a number. */
int config_parse_entity(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;
        int id = ipmi_entity_from_name(value);

        if (id >= 0) {
                *(uint8_t *) dest = (uint8_t) id;
                return 0;
        }
        if (config_parse_number(value, &v) < 0) {
                snprintf(reason, REASON_MAX, "unknown entity \"%s\": a name of IPMI's entity "
                         "table (system-board, power-supply, fan-cooling-device, ...; "
                         "docs/configuration.md) or a number 0..255", value);
                return -EINVAL;
        }
        if (v > 0xFF || ipmi_entity_is_reserved((uint8_t) v)) {
                snprintf(reason, REASON_MAX, "entity %s is %s: IPMI's entity table defines "
                         "0x00..0x35, 0x37, 0x40..0x42 and leaves 0x90..0xFF to chassis, "
                         "board-set and OEM use", value, v > 0xFF ? "above 255" : "reserved");
                return -EINVAL;
        }
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

/*
 * 0..127: 0x00..0x5F system-relative, 0x60..0x7F device-relative (IPMI v2.0 39.1). Bit 7 of
 * the SDR byte, "logical container entity", stays clear: what satmc describes are physical
 * entities (a logical one needs Entity Association records, which satmc does not publish).
 */
static int parse_instance(const char *value, bool auto_allowed, int *ret, char *reason) {
        unsigned long v;

        if (auto_allowed && strcmp(value, "auto") == 0) {
                *ret = CONFIG_ENTITY_INSTANCE_AUTO;
                return 0;
        }
        if (config_parse_number(value, &v) < 0 || v > 127) {
                snprintf(reason, REASON_MAX, "entity-instance \"%s\" must be 0..127%s (0..95 "
                         "system-relative, 96..127 device-relative)", value,
                         auto_allowed ? " or auto" : "");
                return -EINVAL;
        }
        *ret = (int) v;
        return 0;
}

int config_parse_entity_instance(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        int v;
        int r = parse_instance(value, false, &v, reason);

        if (r >= 0)
                *(uint8_t *) dest = (uint8_t) v;
        return r;
}

int config_parse_entity_instance_or_auto(const struct config_key *k, const char *value,
                                         void *dest, char *reason) {
        return parse_instance(value, true, dest, reason);
}

int config_parse_sensor_number(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        unsigned long v;

        if (strcmp(value, "auto") == 0) {
                *(int *) dest = CONFIG_SENSOR_NUMBER_AUTO;
                return 0;
        }
        if (config_parse_number(value, &v) < 0 || v > 254) {
                snprintf(reason, REASON_MAX, "number \"%s\" must be 0..254 (0xFF is reserved) "
                         "or auto", value);
                return -EINVAL;
        }
        *(int *) dest = (int) v;
        return 0;
}

/* LUN 2 (10b) is the SMS message LUN (IPMI v2.0 section 7.2), never a sensor owner's. */
int config_parse_sensor_lun(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        unsigned long v;

        if (config_parse_number(value, &v) < 0 || (v != 0 && v != 1 && v != 3)) {
                snprintf(reason, REASON_MAX, "lun \"%s\" must be 0, 1 or 3 (LUN 2 is the SMS "
                         "message LUN)", value);
                return -EINVAL;
        }
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

/* One threshold of a list: its key (lower-critical) or the short name ipmitool prints (lcr). */
static int threshold_of(const char *word) {
        static const char *const short_names[_SENSOR_THR_MAX] = {
                [SENSOR_THR_LNC] = "lnc", [SENSOR_THR_LCR] = "lcr", [SENSOR_THR_LNR] = "lnr",
                [SENSOR_THR_UNC] = "unc", [SENSOR_THR_UCR] = "ucr", [SENSOR_THR_UNR] = "unr",
        };

        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                if (strcmp(word, short_names[t]) == 0 || strcmp(word, sensor_threshold_key(t)) == 0)
                        return (int) t;
        return -EINVAL;
}

/* "all", "none", or thresholds separated by commas: a set of SENSOR_THR_* bits. */
int config_parse_threshold_set(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        char word[32];
        uint8_t set = 0;

        if (strcmp(value, "all") == 0) {
                *(uint8_t *) dest = (1u << _SENSOR_THR_MAX) - 1;
                return 0;
        }
        if (strcmp(value, "none") == 0) {
                *(uint8_t *) dest = 0;
                return 0;
        }
        for (const char *p = value; *p;) {
                size_t n = strcspn(p, ",");
                size_t lead = 0;
                int t;

                while (lead < n && p[lead] == ' ')
                        lead++;
                while (n > lead && p[n - 1] == ' ')
                        n--;
                if (n - lead == 0 || n - lead >= sizeof(word))
                        goto bad;
                memcpy(word, p + lead, n - lead);
                word[n - lead] = '\0';
                t = threshold_of(word);
                if (t < 0)
                        goto bad;
                set |= (uint8_t) (1u << t);
                p += strcspn(p, ",");
                if (*p == ',' && *++p == '\0')
                        goto bad;       /* a trailing comma */
        }
        *(uint8_t *) dest = set;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "%s \"%s\" must be all, none, or thresholds separated by "
                 "commas (lower-critical or lcr, ...)", k->name, value);
        return -EINVAL;
}

/* The line of [sensor.N]'s key, or the section's first line when the default is in force. */
static unsigned key_line(const struct load_state *s, unsigned index, const char *name) {
        for (size_t i = 0; i < config_sensor_keys_n; i++)
                if (strcmp(config_sensor_keys[i].name, name) == 0 && s->sensor_seen_line[index][i])
                        return s->sensor_seen_line[index][i];
        return s->config->sensor[index].line;
}

/* Nominal and normal readings inside the range, normal-min <= normal-max. */
static void check_readings(struct load_state *s, unsigned index) {
        const struct sensor_config *sc = &s->config->sensor[index];
        const struct {
                const char *key;
                double v;
        } readings[] = {
                { "nominal", sc->nominal },
                { "normal-min", sc->normal_min },
                { "normal-max", sc->normal_max },
        };
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(readings); i++) {
                if (isnan(readings[i].v))
                        continue;
                any = true;
                if (readings[i].v < sc->range.lo || readings[i].v > sc->range.hi)
                        config_report(s, key_line(s, index, readings[i].key), "%s %g is outside "
                                      "range %g..%g of [sensor.%u]", readings[i].key,
                                      readings[i].v, sc->range.lo, sc->range.hi, index);
        }
        if (any && config_sensor_is_discrete(sc))
                config_report(s, key_line(s, index, "nominal"), "nominal, normal-min and "
                              "normal-max do not apply to [sensor.%u]: it has states, not a "
                              "reading", index);
        if (!isnan(sc->normal_min) && !isnan(sc->normal_max) && sc->normal_min > sc->normal_max)
                config_report(s, key_line(s, index, "normal-min"), "normal-min %g is above "
                              "normal-max %g in [sensor.%u]", sc->normal_min, sc->normal_max,
                              index);
}

void config_check_sensor_sdr(struct load_state *s) {
        struct satmc_config *c = s->config;
        /* Which section has (LUN, number): index + 1, 0 = free. */
        uint16_t owner[4][255] = {};

        for (unsigned i = 0; i < c->sensor_end; i++) {
                struct sensor_config *sc = &c->sensor[i];
                bool is_auto = sc->number == CONFIG_SENSOR_NUMBER_AUTO;
                uint16_t *slot;

                if (!sc->present)
                        continue;
                check_readings(s, i);
                if (is_auto) {
                        if (i + 1 > 254) {
                                config_report(s, sc->line, "[sensor.%u] needs a number: the "
                                              "default, index + 1 = %u, is past 254", i, i + 1);
                                continue;
                        }
                        sc->number = (int) i + 1;
                }
                slot = &owner[sc->lun][sc->number];
                if (*slot)
                        config_report(s, key_line(s, i, "number"), "[sensor.%u] has number %d%s "
                                      "on LUN %u, as [sensor.%u] has: a sensor number is unique "
                                      "per LUN", i, sc->number, is_auto ? " (index + 1, the "
                                      "default)" : "", sc->lun, *slot - 1);
                else
                        *slot = (uint16_t) (i + 1);
        }
}
