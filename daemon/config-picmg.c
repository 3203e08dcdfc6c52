/* SPDX-License-Identifier: MIT */
/*
 * [picmg] and the FRU Control and handle switch keys of [fru.N]: their parsers, and after parsing the profile's
 * needs (config_check_picmg()): which FRU devices a profile may manage, and no PICMG key without
 * a profile. Every refusal names the file and line of the key that causes it (docs/picmg.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/picmg.h"

static const struct {
        const char *name;
        int value;
} profiles[] = {
        { "none", PICMG_PROFILE_NONE },
        { "atca-ipmc", PICMG_PROFILE_ATCA_IPMC },
        { "amc-mmc", PICMG_PROFILE_AMC_MMC },
}, site_types[] = {
        /* PICMG 3.0 table 3-12, as ipmitool's `picmg addrinfo` names them */
        { "atca-board", PICMG_SITE_ATCA_BOARD },
        { "power-entry", PICMG_SITE_POWER_ENTRY },
        { "shelf-fru", PICMG_SITE_SHELF_FRU },
        { "dedicated-shelf-manager", PICMG_SITE_DEDICATED_SHMC },
        { "fan-tray", PICMG_SITE_FAN_TRAY },
        { "fan-filter-tray", PICMG_SITE_FAN_FILTER_TRAY },
        { "alarm", PICMG_SITE_ALARM },
        { "amc", PICMG_SITE_AMC },
        { "pmc", PICMG_SITE_PMC },
        { "rtm", PICMG_SITE_RTM },
};

int config_parse_picmg_profile(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        for (size_t i = 0; i < ELEMENTSOF(profiles); i++)
                if (strcmp(value, profiles[i].name) == 0) {
                        *(enum picmg_profile *) dest = (enum picmg_profile) profiles[i].value;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "%s: none, atca-ipmc or amc-mmc, not \"%.40s\"", k->name,
                 value);
        return -EINVAL;
}

_Static_assert(PICMG_SITE_AUTO == -1, "site-number = auto is config_parse_int_or_auto()'s -1");

int config_parse_picmg_site_type(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        unsigned long v;

        if (strcmp(value, "auto") == 0) {
                *(int *) dest = PICMG_SITE_AUTO;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(site_types); i++)
                if (strcmp(value, site_types[i].name) == 0) {
                        *(int *) dest = site_types[i].value;
                        return 0;
                }
        if (config_parse_number(value, &v) < 0 || v > 0xFF) {
                snprintf(reason, REASON_MAX, "%s: auto, a site type name (atca-board, amc, "
                         "rtm, ...; docs/picmg.md) or a number 0..255", k->name);
                return -EINVAL;
        }
        *(int *) dest = (int) v;
        return 0;
}

/* A fixed-size text field: "none" is the empty string. */
int config_parse_picmg_name(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        memset(dest, 0, k->size);
        if (strcmp(value, "none") == 0)
                return 0;
        if (strlen(value) >= k->size || strpbrk(value, " \t:")) {
                snprintf(reason, REASON_MAX, "%s: a name of at most %zu characters without "
                         "blanks or ':'", k->name, k->size - 1);
                return -EINVAL;
        }
        memcpy(dest, value, strlen(value));
        return 0;
}

static int parse_gpio_action(const char *spec, struct picmg_action *a) {
        char chip[PICMG_NAME_MAX], rest[32];
        const char *colon = strchr(spec, ':'), *flag;
        unsigned long line;
        size_t n;

        if (!colon || colon == spec || (size_t) (colon - spec) >= sizeof(chip))
                return -EINVAL;
        n = (size_t) (colon - spec);
        memcpy(chip, spec, n);
        chip[n] = '\0';
        flag = strchr(colon + 1, ':');
        n = flag ? (size_t) (flag - colon - 1) : strlen(colon + 1);
        if (n == 0 || n >= sizeof(rest))
                return -EINVAL;
        memcpy(rest, colon + 1, n);
        rest[n] = '\0';
        if (config_parse_number(rest, &line) < 0 || line > 65535)
                return -EINVAL;
        if (flag && strcmp(flag + 1, "active-low") != 0)
                return -EINVAL;
        a->kind = PICMG_ACTION_GPIO;
        memcpy(a->chip, chip, sizeof(chip));
        a->line = (unsigned) line;
        a->active_low = flag != NULL;
        return 0;
}

static int parse_exec_action(const char *spec, struct picmg_action *a) {
        const char *blank = strpbrk(spec, " \t");
        size_t n = blank ? (size_t) (blank - spec) : strlen(spec);

        if (spec[0] != '/' || n >= sizeof(a->exec))
                return -EINVAL;
        memcpy(a->exec, spec, n);
        if (blank) {
                while (*blank == ' ' || *blank == '\t')
                        blank++;
                if (strlen(blank) >= sizeof(a->args))
                        return -EINVAL;
                memcpy(a->args, blank, strlen(blank));
        }
        a->kind = PICMG_ACTION_EXEC;
        return 0;
}

/* none | gpio:CHIP:LINE[:active-low], and exec:/PATH [ARGS...] where exec is allowed. */
static int parse_action(const struct config_key *k, const char *value, bool exec, void *dest,
                        char *reason) {
        struct picmg_action a;
        int r = -EINVAL;

        memset(&a, 0, sizeof(a));       /* padding too: compared with memcmp() */
        if (strcmp(value, "none") == 0)
                r = 0;
        else if (strncmp(value, "gpio:", 5) == 0)
                r = parse_gpio_action(value + 5, &a);
        else if (exec && strncmp(value, "exec:", 5) == 0)
                r = parse_exec_action(value + 5, &a);
        if (r < 0) {
                if (exec)
                        snprintf(reason, REASON_MAX, "%s: none, gpio:CHIP:LINE[:active-low] or "
                                 "exec:/ABSOLUTE/PATH [ARGS] (no shell), not \"%.40s\"", k->name,
                                 value);
                else
                        snprintf(reason, REASON_MAX, "%s: none or gpio:CHIP:LINE[:active-low], "
                                 "not \"%.40s\"", k->name, value);
                return -EINVAL;
        }
        memcpy(dest, &a, sizeof(a));
        return 0;
}

int config_parse_picmg_action(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        return parse_action(k, value, true, dest, reason);
}

/* A handle switch is an input: a GPIO line, never a program. */
int config_parse_picmg_handle(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        return parse_action(k, value, false, dest, reason);
}

static unsigned key_line(const struct load_state *s, const char *name) {
        size_t i;

        return config_find_key("picmg", name, &i) ? s->seen_line[i] : 0;
}

static unsigned fru_key_line(const struct load_state *s, unsigned fru, const char *name) {
        for (size_t i = 0; i < config_fru_keys_n; i++)
                if (strcmp(config_fru_keys[i].name, name) == 0)
                        return s->fru_seen_line[fru][i];
        return 0;
}

static const char *const action_keys[_PICMG_ACTIONS] = {
        [PICMG_ACTION_COLD_RESET] = "cold-reset-action",
        [PICMG_ACTION_WARM_RESET] = "warm-reset-action",
        [PICMG_ACTION_GRACEFUL_REBOOT] = "graceful-reboot-action",
        [PICMG_ACTION_DIAGNOSTIC_INTERRUPT] = "diagnostic-interrupt-action",
};

/* Whether [picmg] name holds something other than its default (the reference dump sets every
 * key to its default, and must load). Every [picmg] value is a fixed-size plain value. */
static bool changed_from_default(const struct load_state *s, const char *name) {
        uint8_t def[PICMG_NAME_MAX] = { 0 };
        char reason[REASON_MAX];
        const struct config_key *k;
        size_t i;

        k = config_find_key("picmg", name, &i);
        if (!k || !s->seen_line[i] || k->size > sizeof(def) ||
            k->parse(k, k->default_value, def, reason) < 0)
                return false;
        return memcmp(def, (const uint8_t *) s->config + k->offset, k->size) != 0;
}

/* Without a profile no PICMG key means anything: each one set is a forgotten profile. */
static void check_no_profile(struct load_state *s) {
        static const char *const keys[] = {
                "site-type", "site-number", "handle-switch-chip", "handle-switch-line",
                "handle-switch-active-low", "handle-switch-debounce-ms", "pulse-ms",
                "action-timeout-ms",
        };
        const struct picmg_action none = { .kind = PICMG_ACTION_NONE };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (changed_from_default(s, keys[i]))
                        config_report(s, key_line(s, keys[i]), "%s needs a PICMG profile: set "
                                      "[picmg] profile = atca-ipmc or amc-mmc", keys[i]);
        for (unsigned n = 0; n < CONFIG_FRU_MAX; n++)
                for (unsigned a = 0; a < _PICMG_ACTIONS; a++)
                        if (s->config->fru[n].present &&
                            memcmp(&s->config->fru[n].picmg_action[a], &none, sizeof(none)) != 0)
                                config_report(s, fru_key_line(s, n, action_keys[a]),
                                              "%s in [fru.%u] needs a PICMG profile: set [picmg] "
                                              "profile = atca-ipmc or amc-mmc", action_keys[a], n);
        for (unsigned n = 0; n < CONFIG_FRU_MAX; n++)
                if (s->config->fru[n].present &&
                    s->config->fru[n].handle_switch.kind != PICMG_ACTION_NONE)
                        config_report(s, fru_key_line(s, n, "handle-switch"), "handle-switch in "
                                      "[fru.%u] needs a PICMG profile: set [picmg] profile = "
                                      "atca-ipmc or amc-mmc", n);
}

/* The handle switch of FRU n as a GPIO spec (kind NONE: none), and the line that set it. FRU 0's
 * is [picmg] handle-switch-chip/-line or its own handle-switch (not both: check_handles()). */
static struct picmg_action handle_of(const struct load_state *s, unsigned n, unsigned *ret_line) {
        const struct satmc_config *c = s->config;
        struct picmg_action h = c->fru[n].handle_switch;

        *ret_line = fru_key_line(s, n, "handle-switch");
        /* As the daemon reads it (picmg.c handle_line()): [picmg]'s first. */
        if (n == 0 && c->picmg.handle_line >= 0) {
                h.kind = PICMG_ACTION_GPIO;
                memcpy(h.chip, c->picmg.handle_chip, sizeof(h.chip));
                h.line = (unsigned) c->picmg.handle_line;
                *ret_line = key_line(s, "handle-switch-line");
        }
        return h;
}

static bool same_line(const struct picmg_action *a, const struct picmg_action *b) {
        return a->kind == PICMG_ACTION_GPIO && b->kind == PICMG_ACTION_GPIO &&
               a->line == b->line && strcmp(a->chip, b->chip) == 0;
}

/* A handle switch's line is an input: a second handle on it, or an action pulsing it, would
 * read or fight the same contact. FRU 0's handle is set in one place. */
static void check_handles(struct load_state *s) {
        const struct satmc_config *c = s->config;

        if (c->fru[0].present && c->fru[0].handle_switch.kind != PICMG_ACTION_NONE &&
            key_line(s, "handle-switch-line"))
                config_report(s, fru_key_line(s, 0, "handle-switch"), "[fru.0] handle-switch "
                              "and [picmg] handle-switch-line (line %u) both set FRU 0's handle "
                              "switch: keep one", key_line(s, "handle-switch-line"));
        for (unsigned n = 0; n < CONFIG_FRU_MAX; n++) {
                unsigned line_n, line_m;
                struct picmg_action h;

                if (!c->fru[n].present)
                        continue;
                h = handle_of(s, n, &line_n);
                for (unsigned m = 0; m < n && h.kind != PICMG_ACTION_NONE; m++) {
                        struct picmg_action o = handle_of(s, m, &line_m);

                        if (c->fru[m].present && same_line(&h, &o))
                                config_report(s, line_n, "[fru.%u] handle-switch: %s line %u is "
                                              "[fru.%u]'s handle switch already (line %u)", n,
                                              h.chip, h.line, m, line_m);
                }
                for (unsigned m = 0; m < CONFIG_FRU_MAX && h.kind != PICMG_ACTION_NONE; m++)
                        for (unsigned a = 0; a < _PICMG_ACTIONS && c->fru[m].present; a++) {
                                const struct picmg_action *act = &c->fru[m].picmg_action[a];

                                if (same_line(act, &h))
                                        config_report(s, fru_key_line(s, m, action_keys[a]),
                                                      "%s pulses %s line %u, the handle switch "
                                                      "(line %u)", action_keys[a], act->chip,
                                                      act->line, line_n);
                        }
        }
}

void config_check_picmg(struct load_state *s) {
        const struct satmc_config *c = s->config;
        const struct picmg_config *p = &c->picmg;
        unsigned profile_line = key_line(s, "profile");

        config_check_picmg_profile(s);
        if (p->profile == PICMG_PROFILE_NONE) {
                check_no_profile(s);
                return;
        }
        /* By what the file set, not the values: a chip name refused already is no second
         * error. */
        if (!key_line(s, "handle-switch-chip") != !key_line(s, "handle-switch-line"))
                config_report(s, key_line(s, "handle-switch-chip") ?: key_line(s, "handle-switch-line"),
                              "handle-switch-chip and handle-switch-line go together");
        if (p->profile == PICMG_PROFILE_AMC_MMC) {
                /* AMC.0 table 3-1: an MMC's FRU device ID is 0, its only FRU (without uRTM). */
                for (unsigned n = 1; n < CONFIG_FRU_MAX; n++)
                        if (c->fru[n].present)
                                config_report(s, c->fru[n].line, "[fru.%u]: profile amc-mmc (line "
                                              "%u) manages FRU 0 only (AMC.0 table 3-1)", n,
                                              profile_line);
        }
        if (!c->fru[0].present)
                config_report(s, profile_line, "profile %s needs [fru.0]: the controller's own "
                              "FRU, which the shelf manager reads and activates",
                              p->profile == PICMG_PROFILE_ATCA_IPMC ? "atca-ipmc" : "amc-mmc");
        check_handles(s);
}
