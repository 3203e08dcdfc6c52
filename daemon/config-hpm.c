/* SPDX-License-Identifier: MIT */
/*
 * [hpm] and [hpm.component.N] (config-hpm.h): parsers, the two key tables, and the checks
 * across a component's keys (what each activation kind needs).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/hw-address.h"

#define RESTART CONFIG_RELOAD_RESTART

/* The component description of Get Component Properties: 1..12 printable ASCII characters. */
static int parse_name(const struct config_key *k, const char *value, void *dest, char *reason) {
        size_t n = strlen(value);

        if (n == 0 || n > HPM_DESCRIPTION_LEN) {
                snprintf(reason, REASON_MAX, "%s \"%s\": 1 to %d characters (HPM.1 component "
                         "description)", k->name, value, HPM_DESCRIPTION_LEN);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (!isprint((unsigned char) value[i]) || (unsigned char) value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "%s: printable ASCII only", k->name);
                        return -EINVAL;
                }
        memset(dest, 0, k->size);
        memcpy(dest, value, n);
        return 0;
}

static int parse_version(const struct config_key *k, const char *value, void *dest,
                         char *reason) {
        struct hpm_config_version *v = dest, new = { 0 };

        if (strcmp(value, "none") != 0) {
                if (hpm_version_parse(value, &new.v) < 0) {
                        snprintf(reason, REASON_MAX, "%s \"%s\": MAJOR.MINOR (0..127, 0..99) "
                                 "optionally followed by 8 hex digits of auxiliary version, "
                                 "or none", k->name, value);
                        return -EINVAL;
                }
                new.set = true;
        }
        memset(v, 0, sizeof(*v));
        *v = new;
        return 0;
}

static int parse_activate(const struct config_key *k, const char *value, void *dest,
                          char *reason) {
        static const char *const names[] = {
                [HPM_ACTIVATE_RENAME] = "rename",
                [HPM_ACTIVATE_SLOT] = "slot",
                [HPM_ACTIVATE_COMMAND] = "command",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(value, names[i]) == 0) {
                        *(enum hpm_activate_kind *) dest = (enum hpm_activate_kind) i;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "%s \"%s\" must be rename, slot or command", k->name,
                 value);
        return -EINVAL;
}

/* "0x20 0x82" (blanks or commas), or none. */
static int parse_requesters(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        struct hpm_requesters *r = dest, new;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        memset(&new, 0, sizeof(new));
        if (strcmp(value, "none") != 0) {
                copy = strdup(value);
                if (!copy) {
                        snprintf(reason, REASON_MAX, "out of memory");
                        return -ENOMEM;
                }
                for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
                        unsigned long v;

                        if (config_parse_number(t, &v) < 0 || v < HW_ADDRESS_IPMB_MIN ||
                            v > HW_ADDRESS_IPMB_MAX || (v & 1)) {
                                snprintf(reason, REASON_MAX, "%s: \"%s\" is no IPMB address "
                                         "(8-bit form, even, 0x10..0xEE)", k->name, t);
                                return -EINVAL;
                        }
                        if (new.n == CONFIG_HPM_REQUESTERS_MAX) {
                                snprintf(reason, REASON_MAX, "%s: at most %d addresses", k->name,
                                         CONFIG_HPM_REQUESTERS_MAX);
                                return -EINVAL;
                        }
                        new.address[new.n++] = (uint8_t) v;
                }
                if (new.n == 0) {
                        snprintf(reason, REASON_MAX, "%s: give addresses, or none", k->name);
                        return -EINVAL;
                }
        }
        *r = new;
        return 0;
}

#define H(field) offsetof(struct hpm_config, field), sizeof(((struct hpm_config *) 0)->field)

const struct config_key config_hpm_keys[] = {
        { "hpm", "enable", config_parse_bool, H(enable), "yes", 0, 0,
          "answer the PICMG HPM.1 firmware upgrade commands for the [hpm.component.N] "
          "sections; without any, HPM.1 is off whatever this says",
          RESTART },
        { "hpm", "requesters", parse_requesters, H(requesters), "0x20", 0, 0,
          "IPMB addresses (8-bit, blanks or commas) that may change components (others get "
          "0xD4; reading is open to all), or none",
          RESTART },
        { "hpm", "local-socket", config_parse_bool, H(local_trusted), "yes", 0, 0,
          "whether requests through the local ipmitool socket ([ipmitool] socket, reachable "
          "only by whom its mode lets in) may change components",
          RESTART },
        { "hpm", "upgrade-timeout", config_parse_u32, H(upgrade_timeout_s), "60", 5, 1275,
          "seconds an upgrade agent waits for a long-duration command (Get Target Upgrade "
          "Capabilities, in units of 5 s)",
          RESTART },
        { "hpm", "self-test-timeout", config_parse_u32, H(self_test_timeout_s), "10", 5, 1275,
          "seconds the self-test after activation may take (reported, units of 5 s)",
          RESTART },
        { "hpm", "rollback-timeout", config_parse_u32, H(rollback_timeout_s), "60", 5, 1275,
          "seconds a rollback may take (reported, units of 5 s)",
          RESTART },
        { "hpm", "inaccessibility-timeout", config_parse_u32, H(inaccessibility_timeout_s),
          "5", 5, 1275,
          "seconds satmcd may not answer during an activation (reported, units of 5 s)",
          RESTART },
};

#undef H

const size_t config_hpm_keys_n = ELEMENTSOF(config_hpm_keys);

#define C(field) offsetof(struct hpm_component_config, field), \
        sizeof(((struct hpm_component_config *) 0)->field)

const struct config_key config_hpm_component_keys[] = {
        { "hpm.component.0", "name", parse_name, C(name), NULL, 0, 0,
          "the component's description, 1..12 characters (ipmitool hpm check shows it)",
          RESTART },
        { "hpm.component.0", "version", parse_version, C(version), NULL, 0, 0,
          "the running version, MAJOR.MINOR with optional 8 hex digits of auxiliary "
          "version (1.02 0000abcd); what is reported unless version-file says otherwise",
          RESTART },
        { "hpm.component.0", "version-file", config_parse_path_or_none, C(version_file),
          "none", 0, 0,
          "a file holding the running version as version writes it, read at every query; "
          "while it is missing or unreadable, version is reported; or none",
          RESTART },
        { "hpm.component.0", "activate", parse_activate, C(activate), "rename", 0, 0,
          "rename: the upload is copied beside path and renamed over it; slot: the upload "
          "goes to the idle one of slot-a/slot-b and the marker at path switches; command: "
          "command installs the staged upload",
          RESTART },
        { "hpm.component.0", "path", config_parse_absolute_path, C(path), NULL, 0, 0,
          "rename: the component file (in a directory satmcd may write); slot: the marker "
          "naming the active slot, a or b; command: the second argument of command",
          RESTART },
        { "hpm.component.0", "slot-a", config_parse_path_or_none, C(slot_a), "none", 0, 0,
          "activate = slot: the first copy (a file or block device)",
          RESTART },
        { "hpm.component.0", "slot-b", config_parse_path_or_none, C(slot_b), "none", 0, 0,
          "activate = slot: the second copy",
          RESTART },
        { "hpm.component.0", "command", config_parse_path_or_none, C(command), "none", 0, 0,
          "activate = command: the program run (without a shell) with the staged upload's "
          "path and path as its arguments; exit status 0 = activated",
          RESTART },
        { "hpm.component.0", "command-timeout-ms", config_parse_u32, C(command_timeout_ms),
          "60000", 100, 3600000,
          "activate = command: the program is killed after this long and the activation "
          "fails",
          RESTART },
        { "hpm.component.0", "rollback", config_parse_bool, C(rollback), "yes", 0, 0,
          "keep the previous version (rename: a copy beside path; slot: the other slot) for "
          "Initiate Manual Rollback; not with activate = command",
          RESTART },
        { "hpm.component.0", "cold-reset", config_parse_bool, C(cold_reset), "no", 0, 0,
          "tell the upgrade agent the payload needs a cold reset after activation",
          RESTART },
        { "hpm.component.0", "max-size", config_parse_u32, C(max_size), "67108864", 1,
          0xFFFFFFFFul,
          "bytes an upload of this component may take",
          RESTART },
};

#undef C

const size_t config_hpm_component_keys_n = ELEMENTSOF(config_hpm_component_keys);
_Static_assert(ELEMENTSOF(config_hpm_component_keys) <= CONFIG_HPM_KEYS_MAX &&
               ELEMENTSOF(config_hpm_keys) <= CONFIG_HPM_KEYS_MAX,
               "raise CONFIG_HPM_KEYS_MAX in config-check.h");

/* "hpm.component.N" -> N; -1 for another section; -2 for a bad index. */
static int component_index(const char *section) {
        static const char prefix[] = "hpm.component.";
        const char *d = section + sizeof(prefix) - 1;

        if (strncmp(section, prefix, sizeof(prefix) - 1) != 0)
                return -1;
        if (d[0] < '0' || d[0] >= '0' + CONFIG_HPM_COMPONENTS || d[1] != '\0')
                return -2;
        return d[0] - '0';
}

bool config_hpm_key(struct load_state *s, const char *section, const char *name,
                    const char *value) {
        struct hpm_config *h = &s->config->hpm;
        int r;

        if (strcmp(section, "hpm") == 0) {
                config_on_indexed_key(s, &(const struct indexed_section) {
                        .keys = config_hpm_keys, .n_keys = config_hpm_keys_n, .base = h,
                        .present = &h->present, .first_line = &h->line,
                        .seen_line = s->hpm_seen_line[CONFIG_HPM_COMPONENTS],
                }, section, name, value);
                return true;
        }
        r = component_index(section);
        if (r == -1)
                return false;
        if (r == -2) {
                config_report_unknown_section_text(s, section, "HPM.1 components are "
                                                   "[hpm.component.0] to [hpm.component.7]");
                return true;
        }
        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_hpm_component_keys, .n_keys = config_hpm_component_keys_n,
                .base = &h->component[r], .present = &h->component[r].present,
                .first_line = &h->component[r].line, .seen_line = s->hpm_seen_line[r],
        }, section, name, value);
        return true;
}

/* The line a component key was set on, or the section's first line. */
static unsigned key_line(struct load_state *s, unsigned i, const char *name) {
        for (size_t k = 0; k < config_hpm_component_keys_n; k++)
                if (strcmp(config_hpm_component_keys[k].name, name) == 0 && s->hpm_seen_line[i][k])
                        return s->hpm_seen_line[i][k];
        return s->config->hpm.component[i].line;
}

static void check_component(struct load_state *s, unsigned i) {
        const struct hpm_component_config *c = &s->config->hpm.component[i];
        static const char *const kinds[] = { "rename", "slot", "command" };
        const char *kind = kinds[c->activate];
        bool missing = false;

        for (size_t k = 0; k < config_hpm_component_keys_n; k++)
                if (!config_hpm_component_keys[k].default_value && !s->hpm_seen_line[i][k]) {
                        config_report(s, 0, "[hpm.component.%u] %s is required (%s)", i,
                                      config_hpm_component_keys[k].name,
                                      config_hpm_component_keys[k].description);
                        missing = true;
                }
        if (missing)
                return;

        /* Keys another kind uses are ignored here, so one section can be switched between
         * kinds by its activate line alone. */
        if (c->activate == HPM_ACTIVATE_SLOT && (!c->slot_a || !c->slot_b))
                config_report(s, key_line(s, i, "activate"),
                              "[hpm.component.%u] activate = %s needs slot-a and slot-b", i, kind);
        if (c->activate == HPM_ACTIVATE_COMMAND && !c->command)
                config_report(s, key_line(s, i, "activate"),
                              "[hpm.component.%u] activate = %s needs command", i, kind);
        if (c->activate == HPM_ACTIVATE_SLOT && c->slot_a && c->slot_b &&
            (strcmp(c->slot_a, c->slot_b) == 0 || strcmp(c->slot_a, c->path) == 0 ||
             strcmp(c->slot_b, c->path) == 0))
                config_report(s, key_line(s, i, "slot-b"),
                              "[hpm.component.%u] slot-a, slot-b and path (the marker) must be "
                              "three different files", i);
        if (c->activate == HPM_ACTIVATE_COMMAND && c->rollback)
                config_report(s, key_line(s, i, "rollback"),
                              "[hpm.component.%u] rollback needs activate = rename or slot "
                              "(say rollback = no)", i);
}

void config_hpm_check(struct load_state *s) {
        struct hpm_config *h = &s->config->hpm;
        bool any = false;

        if (!h->present) {
                char reason[REASON_MAX];

                for (size_t i = 0; i < config_hpm_keys_n; i++)
                        if (config_hpm_keys[i].parse(&config_hpm_keys[i],
                                                     config_hpm_keys[i].default_value,
                                                     (uint8_t *) h + config_hpm_keys[i].offset,
                                                     reason) < 0)
                                s->oom = true;
        }
        for (unsigned i = 0; i < CONFIG_HPM_COMPONENTS; i++)
                if (h->component[i].present) {
                        any = true;
                        check_component(s, i);
                }
        if (h->present && !any)
                config_report(s, h->line, "[hpm] without any [hpm.component.N]: HPM.1 has "
                              "nothing to upgrade");
}

bool hpm_config_enabled(const struct hpm_config *h) {
        if (!h->enable)
                return false;
        for (unsigned i = 0; i < CONFIG_HPM_COMPONENTS; i++)
                if (h->component[i].present)
                        return true;
        return false;
}

void config_hpm_free(struct hpm_config *h) {
        for (unsigned i = 0; i < CONFIG_HPM_COMPONENTS; i++) {
                struct hpm_component_config *c = &h->component[i];

                free(c->version_file);
                free(c->path);
                free(c->slot_a);
                free(c->slot_b);
                free(c->command);
        }
}
