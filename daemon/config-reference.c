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

/* The typed multirecord sections of a FRU device (config-fru-record.c). */
static const struct {
        const struct config_key *keys;
        const size_t *n;
} fru_record_tables[] = {
        { config_fru_power_supply_keys, &config_fru_power_supply_keys_n },
        { config_fru_dc_output_keys, &config_fru_dc_output_keys_n },
        { config_fru_dc_load_keys, &config_fru_dc_load_keys_n },
        { config_fru_management_keys, &config_fru_management_keys_n },
};

/* A numbered section as the docs name all of them: fru.0 -> fru.N, fru.0.dc-load.0 ->
 * fru.N.dc-load.M, sensor.0 -> sensor.N. */
static void print_section_pattern(FILE *f, const char *section) {
        size_t n = strlen(section);

        if (strncmp(section, "fru.0", 5) == 0) {
                fprintf(f, "fru.N");
                if (n > 5 && strcmp(section + n - 2, ".0") == 0)
                        fprintf(f, "%.*s.M", (int) (n - 7), section + 5);
                else
                        fprintf(f, "%s", section + 5);
        } else if (strcmp(section, "sensor.0") == 0)
                fprintf(f, "sensor.N");
        else
                fprintf(f, "%s", section);
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

        /* One record section of each kind: [fru.N.power-supply.M] etc. take the same. */
        for (size_t t = 0; t < ELEMENTSOF(fru_record_tables); t++) {
                const struct config_key *keys = fru_record_tables[t].keys;

                fprintf(f, "\n[%s]\n", keys[0].section);
                for (size_t i = 0; i < *fru_record_tables[t].n; i++) {
                        print_description(f, &keys[i]);
                        if (keys[i].default_value)
                                fprintf(f, "%s = %s\n", keys[i].name, keys[i].default_value);
                        else
                                fprintf(f, "#%s =   (required)\n", keys[i].name);
                }
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
        fprintf(f, "\n[picmg-led.0]\n");
        print_numbered_keys(f, config_picmg_led_keys, config_picmg_led_keys_n);
        /* PICMG power levels of FRU 0 and one E-keyed link (docs/picmg-power.md). */
        fprintf(f, "\n[picmg-power.0]\n");
        print_numbered_keys(f, config_picmg_power_keys, config_picmg_power_keys_n);
        fprintf(f, "\n[picmg-link.0]\n");
        print_numbered_keys(f, config_picmg_link_keys, config_picmg_link_keys_n);

        /* HPM.1 firmware upgrade: [hpm] and one component; [hpm.component.1] .. [.7] alike. */
        fprintf(f, "\n[hpm]\n");
        print_numbered_keys(f, config_hpm_keys, config_hpm_keys_n);
        fprintf(f, "\n[hpm.component.0]\n");
        print_numbered_keys(f, config_hpm_component_keys, config_hpm_component_keys_n);
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
                        fprintf(f, "%s- `[", section ? "\n" : "");
                        print_section_pattern(f, k->section);
                        fprintf(f, "]` ");
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
                for (size_t t = 0; t < ELEMENTSOF(fru_record_tables); t++)
                        dump_reload_rows(f, fru_record_tables[t].keys, *fru_record_tables[t].n,
                                         kinds[i].reload);
                dump_reload_rows(f, config_sensor_keys, config_sensor_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_fan_keys, config_fan_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_oem_keys, config_oem_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_picmg_led_keys, config_picmg_led_keys_n,
                                 kinds[i].reload);
                dump_reload_rows(f, config_picmg_power_keys, config_picmg_power_keys_n,
                                 kinds[i].reload);
                dump_reload_rows(f, config_picmg_link_keys, config_picmg_link_keys_n,
                                 kinds[i].reload);
                dump_reload_rows(f, config_hpm_keys, config_hpm_keys_n, kinds[i].reload);
                dump_reload_rows(f, config_hpm_component_keys, config_hpm_component_keys_n,
                                 kinds[i].reload);
        }
}
