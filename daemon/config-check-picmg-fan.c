/* SPDX-License-Identifier: MIT */
/*
 * After parsing, the PICMG side of [fan.N] (fru, normal-level): a fan tray FRU only with a
 * [picmg] profile and a [fru.N] to be, and one answer per FRU: Get Fan Speed Properties and
 * Get Fan Level report one level range, one normal level and one local control for the whole
 * tray, so the fans of one FRU must agree on them (docs/picmg-fan-tray.md).
 */
#include <stdlib.h>
#include <string.h>

#include "config-check.h"

/* The line of [fan.index]'s key name, or its section's when the file does not set it. */
static unsigned fan_key_line(const struct load_state *s, unsigned index, const char *name) {
        for (size_t i = 0; i < config_fan_keys_n; i++)
                if (strcmp(config_fan_keys[i].name, name) == 0)
                        return s->fan_seen_line[index][i] ?: s->config->fan[index].line;
        abort();        /* only called with names of the table */
}

static unsigned normal_level(const struct fan_config *f) {
        return f->normal_level >= 0 ? (unsigned) f->normal_level : f->min_level;
}

/* f and first (an earlier fan of the same FRU) report the same properties, or f's line says
 * which one differs. */
static void check_same(struct load_state *s, unsigned i, unsigned j) {
        const struct fan_config *f = &s->config->fan[i], *first = &s->config->fan[j];
        const char *what = NULL;

        if (f->min_level != first->min_level)
                what = "min-level";
        else if (f->max_level != first->max_level)
                what = "max-level";
        else if (normal_level(f) != normal_level(first))
                what = "normal-level";
        else if ((f->follow_index >= 0) != (first->follow_index >= 0))
                what = "follow (local control)";
        if (what)
                config_report(s, fan_key_line(s, i, "fru"), "[fan.%u]: its %s differs from "
                              "[fan.%u]'s (line %u), the other fan of FRU %d: Get Fan Speed "
                              "Properties reports one for the fan tray", i, what, j,
                              first->line, f->picmg_fru);
}

void config_check_picmg_fans(struct load_state *s) {
        const struct satmc_config *c = s->config;

        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++) {
                const struct fan_config *f = &c->fan[i];

                if (!f->present)
                        continue;
                if (f->picmg_fru < 0) {
                        if (f->normal_level >= 0)
                                config_report(s, fan_key_line(s, i, "normal-level"), "[fan.%u]: "
                                              "normal-level is for Get Fan Speed Properties: "
                                              "set fru too", i);
                        continue;
                }
                if (c->picmg.profile == PICMG_PROFILE_NONE) {
                        config_report(s, fan_key_line(s, i, "fru"), "fru needs a PICMG profile: "
                                      "set [picmg] profile = atca-ipmc or amc-mmc");
                        continue;
                }
                if (!c->fru[f->picmg_fru].present)
                        config_report(s, fan_key_line(s, i, "fru"), "[fan.%u]: fru %d: there is "
                                      "no [fru.%d], the fan tray's FRU", i, f->picmg_fru,
                                      f->picmg_fru);
                if (normal_level(f) < f->min_level || normal_level(f) > f->max_level)
                        config_report(s, fan_key_line(s, i, "normal-level"), "[fan.%u]: "
                                      "normal-level %u is outside min-level..max-level "
                                      "(%u..%u)", i, normal_level(f), f->min_level,
                                      f->max_level);
                for (unsigned j = 0; j < i; j++)
                        if (c->fan[j].present && c->fan[j].picmg_fru == f->picmg_fru) {
                                check_same(s, i, j);
                                break;
                        }
        }
}
