/* SPDX-License-Identifier: MIT */
/*
 * The PICMG sections against the [picmg] profile: [picmg-led.N], [picmg-power.N],
 * [picmg-link.N] and a redundant IPMB-0 mean something only to a PICMG controller, and each
 * profile takes the parts its specification has. Without a profile none of them is answered
 * (every PICMG command is 0xC1), so each one set is refused, naming the key to set instead
 * of starting a controller that ignores half its file (docs/picmg.md, "Profiles").
 *
 * What each profile refuses, and why (section names, not numbers: see docs/picmg.md):
 *   atca-ipmc: kind = amc links and module-current. The AMC Point-to-Point Connectivity and
 *              Module Current Requirements records are FRU records of an AMC module (AMC.0,
 *              "AMC Module FRU Information"; satmcd writes them with the record type "AMC
 *              module"), Set/Get AMC Port State are the module's MMC's commands (AMC.0,
 *              E-Keying).
 *   amc-mmc:   kind = atca links (the Board Point-to-Point Connectivity record and Set/Get
 *              Port State, PICMG 3.0 E-Keying: an ATCA board's), and IPMB-B: an MMC sits on
 *              the one IPMB-L of its carrier (AMC.0, "IPMB-L"); openMMC drives one bus.
 * Sections for a FRU device the profile does not manage are refused where the FRU is
 * checked (config-picmg-led.c, config-check-picmg-power.c): managed = has a [fru.N].
 */
#include <string.h>

#include "config.h"
#include "config-check.h"
#include "config-parse.h"

static unsigned seen(const struct config_key *keys, size_t n, const unsigned *lines,
                     const char *name, unsigned fallback) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i].name, name) == 0)
                        return lines[i] ?: fallback;
        return fallback;
}

static unsigned transport_line(const struct load_state *s, const char *name) {
        size_t i;

        return config_find_key("transport", name, &i) ? s->seen_line[i] : 0;
}

static const char *link_kind(const struct picmg_link_config *l) {
        return l->kind == PICMG_LINK_KIND_AMC ? "amc" : "atca";
}

/* No profile: every section is a forgotten one; say which profile it needs. */
static void check_without_profile(struct load_state *s) {
        const struct satmc_config *c = s->config;
        const char *b = config_ipmb_b_path(c);

        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++)
                if (c->picmg_led[i].present)
                        config_report(s, c->picmg_led[i].line, "[picmg-led.%u] needs a PICMG "
                                      "profile: set [picmg] profile = atca-ipmc or amc-mmc", i);
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                if (c->picmg_power[i].present)
                        config_report(s, c->picmg_power[i].line, "[picmg-power.%u] needs a "
                                      "PICMG profile: set [picmg] profile = atca-ipmc or "
                                      "amc-mmc", i);
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++)
                if (c->picmg_link[i].present)
                        config_report(s, c->picmg_link[i].line, "[picmg-link.%u] (kind = %s) "
                                      "needs a PICMG profile: set [picmg] profile = %s", i,
                                      link_kind(&c->picmg_link[i]),
                                      c->picmg_link[i].kind == PICMG_LINK_KIND_AMC
                                      ? "amc-mmc" : "atca-ipmc");
        if (b) {
                const char *key = c->transport == TRANSPORT_KIND_CHARDEV ? "device-b"
                                                                         : "bus-socket-b";

                config_report(s, transport_line(s, key), "%s: a redundant IPMB-0 (IPMB-A and "
                              "IPMB-B) is an ATCA IPM controller's: set [picmg] profile = "
                              "atca-ipmc", key);
        }
}

static void check_links(struct load_state *s, enum picmg_profile profile, unsigned profile_line) {
        const struct satmc_config *c = s->config;
        bool mmc = profile == PICMG_PROFILE_AMC_MMC;

        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];
                unsigned line;

                if (!l->present || (l->kind == PICMG_LINK_KIND_AMC) == mmc)
                        continue;
                line = seen(config_picmg_link_keys, config_picmg_link_keys_n,
                            s->picmg_link_seen_line[i], "kind", l->line);
                if (mmc)
                        config_report(s, line, "[picmg-link.%u] kind = atca: profile amc-mmc "
                                      "(line %u) has AMC links only (kind = amc); Board "
                                      "Point-to-Point records and Set/Get Port State are an "
                                      "ATCA board's", i, profile_line);
                else
                        config_report(s, line, "[picmg-link.%u] kind = amc: profile atca-ipmc "
                                      "(line %u) has ATCA links only (kind = atca); AMC "
                                      "Point-to-Point records and Set/Get AMC Port State are "
                                      "an AMC module's (profile amc-mmc)", i, profile_line);
        }
}

void config_check_picmg_profile(struct load_state *s) {
        const struct satmc_config *c = s->config;
        enum picmg_profile profile = c->picmg.profile;
        size_t k;
        unsigned profile_line = config_find_key("picmg", "profile", &k) ? s->seen_line[k] : 0;
        const char *b = config_ipmb_b_path(c);

        if (profile == PICMG_PROFILE_NONE) {
                check_without_profile(s);
                return;
        }
        check_links(s, profile, profile_line);
        if (profile == PICMG_PROFILE_ATCA_IPMC) {
                for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                        if (c->picmg_power[i].present && c->picmg_power[i].module_current >= 0)
                                config_report(s, seen(config_picmg_power_keys,
                                                      config_picmg_power_keys_n,
                                                      s->picmg_power_seen_line[i],
                                                      "module-current", c->picmg_power[i].line),
                                              "[picmg-power.%u] module-current: the Module "
                                              "Current Requirements record is an AMC module's "
                                              "(profile amc-mmc), not an ATCA board's (profile "
                                              "atca-ipmc, line %u)", i, profile_line);
        } else if (b) {
                const char *key = c->transport == TRANSPORT_KIND_CHARDEV ? "device-b"
                                                                         : "bus-socket-b";

                config_report(s, transport_line(s, key), "%s: profile amc-mmc (line %u) has one "
                              "IPMB-L; a redundant IPMB-0 (IPMB-B) is an ATCA IPM controller's "
                              "(profile atca-ipmc)", key, profile_line);
        }
}
