/* SPDX-License-Identifier: MIT */
/*
 * The reference generated from the key tables: satmcd --dump-config-reference (and from it
 * satmcd.conf(5), man/gen-config-man.py) and the reload list in docs/configuration.md.
 */
#include <stdio.h>
#include <string.h>

#include "config-parse.h"
#include "config-reference.h"
#include "macro.h"

/* "# description", and for a plain integer key the limits its parser enforces, from the row
 * itself, so that no text has to repeat (and drift from) the numbers. */
static void print_description(FILE *f, const struct config_key *k) {
        fprintf(f, "# %s", k->description);
        if ((k->parse == config_parse_u8 || k->parse == config_parse_u16 ||
             k->parse == config_parse_u32) && k->max > 0)
                fprintf(f, " (%lu..%lu)", k->min, k->max);
        fputc('\n', f);
}

static void print_numbered_keys(FILE *f, const struct config_key *keys, size_t n) {
        for (size_t i = 0; i < n; i++) {
                print_description(f, &keys[i]);
                if (keys[i].default_value)
                        fprintf(f, "%s = %s\n", keys[i].name, keys[i].default_value);
                else
                        fprintf(f, "#%s =   (required)\n", keys[i].name);
        }
}

void config_dump_reference(FILE *f) {
        const char *section = NULL;

        for (size_t i = 0; i < config_keys_n; i++) {
                const struct config_key *k = &config_keys[i];

                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                        section = k->section;
                }
                print_description(f, k);
                if (k->default_value)
                        fprintf(f, "%s = %s\n", k->name, k->default_value);
                else
                        fprintf(f, "#%s =   (required)\n", k->name);
        }

        /* One FRU device's keys; [fru.1] .. [fru.7] take the same. */
        fprintf(f, "\n[fru.0]\n");
        for (size_t i = 0; i < config_fru_keys_n; i++) {
                print_description(f, &config_fru_keys[i]);
                fprintf(f, "%s = %s\n", config_fru_keys[i].name, config_fru_keys[i].default_value);
        }

        /* One sensor's keys; [sensor.1] .. [sensor.63] take the same. */
        fprintf(f, "\n[sensor.0]\n");
        for (size_t i = 0; i < config_sensor_keys_n; i++) {
                print_description(f, &config_sensor_keys[i]);
                fprintf(f, "%s = %s\n", config_sensor_keys[i].name,
                        config_sensor_keys[i].default_value);
        }

        /* One fan output and one OEM command (docs/actuators.md); keys without a default are
         * required or optional as their description says. */
        fprintf(f, "\n[fan.0]\n");
        print_numbered_keys(f, config_fan_keys, config_fan_keys_n);
        fprintf(f, "\n[oem.0]\n");
        print_numbered_keys(f, config_oem_keys, config_oem_keys_n);
}

/* One list item per section: "- `[mc]` `log-level`, ..." for the keys of kind reload. */
static void dump_reload_rows(FILE *f, const struct config_key *keys, size_t n,
                             enum config_reload reload) {
        const char *section = NULL;

        for (size_t i = 0; i < n; i++) {
                const struct config_key *k = &keys[i];

                if (k->reload != reload)
                        continue;
                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s- `[%s]` ", section ? "\n" : "",
                                strcmp(k->section, "fru.0") == 0 ? "fru.N" :
                                strcmp(k->section, "sensor.0") == 0 ? "sensor.N" :
                                strcmp(k->section, "fan.0") == 0 ? "fan.N" :
                                strcmp(k->section, "oem.0") == 0 ? "oem.N" : k->section);
                        section = k->section;
                } else
                        fprintf(f, ", ");
                fprintf(f, "`%s`", k->name);
        }
        if (section)
                fprintf(f, "\n");
}

void config_dump_reload(FILE *f) {
        static const struct {
                enum config_reload reload;
                const char *title;
        } kinds[] = {
                { CONFIG_RELOAD_LIVE, "Applied by a reload" },
                { CONFIG_RELOAD_RESTART, "Need a restart (a warning names each; the running "
                  "value stays)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                fprintf(f, "%s%s:\n\n", i ? "\n" : "", kinds[i].title);
                dump_reload_rows(f, config_keys, config_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_fru_keys, config_fru_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_sensor_keys, config_sensor_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_fan_keys, config_fan_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_oem_keys, config_oem_keys_n, kinds[i].reload);
        }
}
