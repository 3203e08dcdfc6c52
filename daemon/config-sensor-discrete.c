/* SPDX-License-Identifier: MIT */
/*
 * [sensor.N] keys of discrete sensors: reading-type, state.NAME and the event masks, and the
 * check after parsing that resolves state names against the sensor's types (the keys may come
 * in any order, so the names are kept as written until the whole section is known).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor-discrete.h"
#include "config-sensor-source.h"
#include "macro.h"

#define STATE_PREFIX "state."
#define STATE_PATTERN "state.*"
#define ENTITY_PRESENCE 0x25

uint8_t config_sensor_reading_type(const struct sensor_config *s) {
        if (s->reading_type != 0)
                return s->reading_type;
        if (ipmi_states_defined(IPMI_READING_SENSOR_SPECIFIC, s->sensor_type))
                return IPMI_READING_SENSOR_SPECIFIC;
        return IPMI_READING_THRESHOLD;
}

/* Entity Presence with its states from `source` (raw != 0: present), as before states had
 * sources of their own. */
static bool legacy_presence(const struct sensor_config *s) {
        return !s->states && s->sensor_type == ENTITY_PRESENCE &&
                config_sensor_reading_type(s) == IPMI_READING_SENSOR_SPECIFIC;
}

uint16_t config_sensor_states_read(const struct sensor_config *s) {
        uint8_t rt = config_sensor_reading_type(s);
        uint16_t read = 0;
        int o;

        if (legacy_presence(s))
                return 1u << 0;
        for (unsigned i = 0; s->states && i < s->states->n; i++) {
                o = ipmi_state_offset(rt, s->sensor_type, s->states->state[i].name);
                if (o >= 0)
                        read |= (uint16_t) (1u << o);
        }
        return read;
}

uint16_t config_sensor_states_supported(const struct sensor_config *s) {
        uint16_t read = config_sensor_states_read(s);
        uint16_t pair = read & 0x3;

        if (ipmi_states_paired(config_sensor_reading_type(s), s->sensor_type) &&
            (pair == 0x1 || pair == 0x2))
                read |= 0x3;
        return read;
}

int config_sensor_state_mask(const struct sensor_config *s, const char *text, uint16_t *ret,
                             char *reason, size_t reason_size) {
        uint16_t supported = config_sensor_states_supported(s), mask = 0;
        uint8_t rt = config_sensor_reading_type(s);
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (!text || strcmp(text, "all") == 0) {
                *ret = supported;
                return 0;
        }
        if (strcmp(text, "none") == 0) {
                *ret = 0;
                return 0;
        }
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                int o = ipmi_state_offset(rt, s->sensor_type, w);

                if (o < 0 || !(supported & (1u << o))) {
                        char names[256] = "";
                        size_t used = 0;

                        for (unsigned b = 0; b < IPMI_STATES_MAX && used < sizeof(names); b++)
                                if (supported & (1u << b))
                                        used += (size_t) snprintf(names + used,
                                                                  sizeof(names) - used, "%s%s",
                                                                  used ? ", " : "",
                                                                  ipmi_state_name(rt,
                                                                                  s->sensor_type,
                                                                                  b));
                        snprintf(reason, reason_size, "\"%s\" is not one of the states this "
                                 "sensor reports (%s)", w, used ? names : "none");
                        return -EINVAL;
                }
                mask |= (uint16_t) (1u << o);
        }
        *ret = mask;
        return 0;
}

void sensor_states_config_free(struct sensor_states_config *st) {
        if (!st)
                return;
        for (unsigned i = 0; i < st->n; i++) {
                free(st->state[i].name);
                sensor_source_config_clear(&st->state[i].source);
        }
        free(st);
}

static void sensor_states_config_freep(struct sensor_states_config **st) {
        sensor_states_config_free(*st);
}

int sensor_states_config_copy(const struct sensor_states_config *src,
                              struct sensor_states_config **ret) {
        _cleanup_(sensor_states_config_freep) struct sensor_states_config *st = NULL;

        if (!src) {
                *ret = NULL;
                return 0;
        }
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        for (unsigned i = 0; i < src->n; i++) {
                struct sensor_state_config *d = &st->state[i];
                int r;

                d->name = strdup(src->state[i].name);
                if (!d->name)
                        return -ENOMEM;
                d->line = src->state[i].line;
                d->offset = src->state[i].offset;
                st->n = i + 1;
                r = sensor_source_config_copy(&d->source, &src->state[i].source);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(st);
        return 0;
}

bool sensor_states_config_equal(const struct sensor_states_config *a,
                                const struct sensor_states_config *b) {
        if (!a || !b)
                return a == b;
        if (a->n != b->n)
                return false;
        for (unsigned i = 0; i < a->n; i++)
                if (strcmp(a->state[i].name, b->state[i].name) != 0 ||
                    !sensor_source_config_equal(&a->state[i].source, &b->state[i].source))
                        return false;
        return true;
}

/* ---- row parsers ---- */

int config_parse_reading_type(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        unsigned long v;
        int r;

        if (strcmp(value, "auto") == 0) {
                *(uint8_t *) dest = 0;
                return 0;
        }
        r = ipmi_reading_type_lookup(value);
        if (r < 0 && config_parse_number(value, &v) == 0 && v <= 0xFF &&
            ipmi_reading_type_name((uint8_t) v))
                r = (int) v;
        if (r < 0) {
                snprintf(reason, REASON_MAX, "unknown reading-type \"%.16s\" (auto, threshold, "
                         "sensor-specific, digital, severity, presence, availability, "
                         "redundancy, ...: table 42-2)", value);
                return -EINVAL;
        }
        *(uint8_t *) dest = (uint8_t) r;
        return 0;
}

static bool state_name_valid(const char *name) {
        if (!*name)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

int config_parse_sensor_state(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        struct sensor_states_config **sp = dest;
        struct sensor_source_config src = { 0 };
        const char *name;
        char *copy;
        int r;

        /* The row's own default (and the reference's line): no states. */
        if (strcmp(k->name, STATE_PATTERN) == 0) {
                if (strcmp(value, "none") == 0)
                        return 0;
                snprintf(reason, REASON_MAX, "state.* stands for one key per state: write "
                         "state.NAME = SOURCE, e.g. state.failure = %.40s", value);
                return -EINVAL;
        }
        name = k->name + strlen(STATE_PREFIX);
        if (!state_name_valid(name)) {
                snprintf(reason, REASON_MAX, "%s: a state is named in lower case letters, digits "
                         "and '-', e.g. state.input-lost", k->name);
                return -EINVAL;
        }
        for (unsigned i = 0; *sp && i < (*sp)->n; i++)
                if (strcmp((*sp)->state[i].name, name) == 0) {
                        snprintf(reason, REASON_MAX, "%s is already set on line %u", k->name,
                                 (*sp)->state[i].line);
                        return -EINVAL;
                }
        if (*sp && (*sp)->n == IPMI_STATES_MAX) {
                snprintf(reason, REASON_MAX, "%s: a sensor has at most %d states", k->name,
                         IPMI_STATES_MAX);
                return -EINVAL;
        }
        r = sensor_source_parse(value, &src, reason, REASON_MAX);
        if (r < 0)
                return r;
        if (src.kind == SENSOR_SOURCE_NONE) {
                snprintf(reason, REASON_MAX, "%s needs a source (file:, gpio: or smbus:); leave "
                         "the key out for a state the sensor does not report", k->name);
                return -EINVAL;
        }
        copy = strdup(name);
        if (!copy)
                goto oom;
        if (!*sp) {
                *sp = calloc(1, sizeof(**sp));
                if (!*sp) {
                        free(copy);
                        goto oom;
                }
        }
        (*sp)->state[(*sp)->n++] = (struct sensor_state_config) {
                .name = copy,
                .line = (unsigned) k->min,
                .source = src,
        };
        return 0;
oom:
        sensor_source_config_clear(&src);
        snprintf(reason, REASON_MAX, "out of memory");
        return -ENOMEM;
}

int config_parse_state_list(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        for (const char *p = value; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                      *p == ',' || *p == ' ' || *p == '\t')) {
                        snprintf(reason, REASON_MAX, "%s \"%s\": all, none, or threshold or "
                                 "state names separated by commas", k->name, value);
                        return -EINVAL;
                }
        return config_parse_string(k, value, dest, reason);
}

/* ---- the check after parsing ---- */

static unsigned key_line(const struct load_state *s, unsigned index, const char *name) {
        for (size_t i = 0; i < config_sensor_keys_n; i++)
                if (strcmp(config_sensor_keys[i].name, name) == 0 && s->sensor_seen_line[index][i])
                        return s->sensor_seen_line[index][i];
        return s->config->sensor[index].line;
}

static void check_mask(struct load_state *s, unsigned index, const char *key, const char *text) {
        const struct sensor_config *sc = &s->config->sensor[index];
        char reason[REASON_MAX];
        uint16_t mask;
        int r;

        r = config_sensor_state_mask(sc, text, &mask, reason, sizeof(reason));
        if (r == -ENOMEM)
                s->oom = true;
        else if (r < 0)
                config_report(s, key_line(s, index, key), "%s: %s", key, reason);
}

/* A threshold sensor's event keys: thresholds into their bit sets. */
static void resolve_threshold_events(struct load_state *s, unsigned index, const char *name,
                                     const char *text, uint8_t *set) {
        char reason[REASON_MAX];
        const struct config_key k = { .name = name };

        if (config_parse_threshold_set(&k, text ?: "all", set, reason) < 0)
                config_report(s, key_line(s, index, name), "%s", reason);
}

void config_check_sensor_states(struct load_state *s, unsigned index) {
        struct sensor_config *sc = &s->config->sensor[index];
        uint8_t rt = config_sensor_reading_type(sc);
        char names[512];

        if (rt == IPMI_READING_THRESHOLD) {
                for (unsigned i = 0; sc->states && i < sc->states->n; i++)
                        config_report(s, sc->states->state[i].line, "state.%s applies to discrete "
                                      "sensors; [sensor.%u] is a threshold sensor (give it a "
                                      "discrete type such as power-supply, or a reading-type such "
                                      "as digital or severity)", sc->states->state[i].name, index);
                resolve_threshold_events(s, index, "assertion-events", sc->assertions,
                                         &sc->assertion_events);
                resolve_threshold_events(s, index, "deassertion-events", sc->deassertions,
                                         &sc->deassertion_events);
                return;
        }
        if (!ipmi_states_defined(rt, sc->sensor_type)) {
                config_report(s, key_line(s, index, "reading-type"), "[sensor.%u]: sensor type "
                              "0x%02x has no sensor-specific states; choose a generic "
                              "reading-type (digital, severity, presence, availability, "
                              "redundancy, ...)", index, sc->sensor_type);
                return;
        }
        for (unsigned i = 0; sc->states && i < sc->states->n; i++) {
                struct sensor_state_config *st = &sc->states->state[i];
                int o = ipmi_state_offset(rt, sc->sensor_type, st->name);

                if (o < 0) {
                        config_report(s, st->line, "state.%s: [sensor.%u] has no state \"%s\" "
                                      "(its states: %s)", st->name, index, st->name,
                                      ipmi_state_names(rt, sc->sensor_type, names,
                                                       sizeof(names)));
                        continue;
                }
                st->offset = (uint8_t) o;
        }
        if (sc->source.kind != SENSOR_SOURCE_NONE && sc->states)
                config_report(s, key_line(s, index, "source"), "source does not apply to "
                              "[sensor.%u]: each of its states has a source of its own "
                              "(state.NAME)", index);
        else if (sc->source.kind != SENSOR_SOURCE_NONE && !legacy_presence(sc))
                config_report(s, key_line(s, index, "source"), "source does not apply to "
                              "[sensor.%u]: a discrete sensor reads each state from a source of "
                              "its own, state.NAME = SOURCE (states: %s)", index,
                              ipmi_state_names(rt, sc->sensor_type, names, sizeof(names)));
        check_mask(s, index, "assertion-events", sc->assertions);
        check_mask(s, index, "deassertion-events", sc->deassertions);
}
