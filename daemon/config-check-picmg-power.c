/* SPDX-License-Identifier: MIT */
/*
 * After parsing, [picmg-power.N] and [picmg-link.N]: the FRU device each names, limits across
 * keys (levels against the multiplier, the link fields against their kind), links configured
 * twice, AMC channels that agree; then the PICMG records each FRU device gets (Board P2P,
 * AMC P2P, Module Current Requirements), encoded into its fru_config for the image builder.
 */
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "macro.h"
#include "protocol/picmg-fru.h"

static unsigned key_line(const struct config_key *keys, size_t n, const unsigned *seen,
                         const char *name, unsigned fallback) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i].name, name) == 0)
                        return seen[i] ?: fallback;
        abort();        /* only called with names of the table */
}

static void report_required(struct load_state *s, const char *kind, unsigned index,
                            const struct config_key *keys, size_t n, const unsigned *seen) {
        for (size_t i = 0; i < n; i++)
                if (!keys[i].default_value && !seen[i])
                        config_report(s, 0, "[%s.%u] %s is required (%s)", kind, index,
                                      keys[i].name, keys[i].description);
}

/* The FRU device a section names must be built from fields: its records go into the image.
 * A controller without any FRU device has no inventory to describe (the commands still
 * work); one with FRU devices must have the one named, or the records would be lost. */
static bool check_fru(struct load_state *s, unsigned line, const char *what, unsigned fru) {
        const struct fru_config *f = &s->config->fru[fru];
        bool any = false;

        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                any |= s->config->fru[i].present;
        if (!any)
                return false;
        if (!f->present) {
                config_report(s, line, "%s: there is no [fru.%u] to describe", what, fru);
                return false;
        }
        if (f->file) {
                config_report(s, line, "%s: [fru.%u] is loaded from a file; its PICMG records "
                              "cannot be added (remove file, or write the records into it)",
                              what, fru);
                return false;
        }
        return true;
}

static void check_levels(struct load_state *s, unsigned line, const char *key,
                         const struct picmg_power_levels *l, unsigned multiplier) {
        for (unsigned i = 0; i < l->n; i++) {
                if (l->deciwatts[i] % multiplier != 0 || l->deciwatts[i] / multiplier > 255)
                        config_report(s, line, "%s: level %u (%u.%u W) is not a multiple of "
                                      "the multiplier %u.%u W at most 255 times", key, i + 1,
                                      l->deciwatts[i] / 10, l->deciwatts[i] % 10,
                                      multiplier / 10, multiplier % 10);
        }
}

static void check_power(struct load_state *s, unsigned n) {
        const struct picmg_power_config *p = &s->config->picmg_power[n];
        const unsigned *seen = s->picmg_power_seen_line[n];
        char what[32];

#define LINE(name) key_line(config_picmg_power_keys, config_picmg_power_keys_n, seen, name, \
                            p->line)
        snprintf(what, sizeof(what), "[picmg-power.%u]", n);
        report_required(s, "picmg-power", n, config_picmg_power_keys, config_picmg_power_keys_n,
                        seen);
        (void) check_fru(s, p->line, what, n);
        check_levels(s, LINE("levels"), "levels", &p->levels, p->multiplier);
        check_levels(s, LINE("early-levels"), "early-levels", &p->early_levels, p->multiplier);
        if (p->desired_level > p->levels.n && p->levels.n > 0)
                config_report(s, LINE("desired-level"), "desired-level %u: there are %u levels",
                              p->desired_level, p->levels.n);
        if (p->ipmc_location >= p->spanned_slots)
                config_report(s, LINE("ipmc-location"), "ipmc-location %u: the board spans %u "
                              "slot%s, numbered from 0", p->ipmc_location, p->spanned_slots,
                              p->spanned_slots == 1 ? "" : "s");
#undef LINE
}

/* Resolve the kind-dependent names and check the fields against the kind. */
static void check_link(struct load_state *s, unsigned n) {
        struct picmg_link_config *l = &s->config->picmg_link[n];
        const unsigned *seen = s->picmg_link_seen_line[n];
        bool amc = l->kind == PICMG_LINK_KIND_AMC;
        char what[32];

#define SET(name) key_line(config_picmg_link_keys, config_picmg_link_keys_n, seen, name, 0)
#define LINE(name) key_line(config_picmg_link_keys, config_picmg_link_keys_n, seen, name, l->line)
        snprintf(what, sizeof(what), "[picmg-link.%u]", n);
        report_required(s, "picmg-link", n, config_picmg_link_keys, config_picmg_link_keys_n,
                        seen);
        (void) check_fru(s, LINE("fru"), what, l->fru);
        if (l->type == PICMG_LINK_TYPE_PCIE)
                l->type = amc ? 0x02 : 0x05;
        else if (l->type == PICMG_LINK_TYPE_ETHERNET)
                l->type = amc ? 0x05 : 0x02;
        if (!amc) {
                if (SET("channel") && (l->channel < 1 || l->channel > 63))
                        config_report(s, LINE("channel"), "channel %u: an ATCA channel is "
                                      "1..63", l->channel);
                for (unsigned i = 0; i < l->ports.n; i++)
                        if (l->ports.port[i] > 3)
                                config_report(s, LINE("ports"), "ports: an ATCA channel has "
                                              "ports 0..3, not %u", l->ports.port[i]);
                if (l->asymmetric_match != 0)
                        config_report(s, LINE("asymmetric-match"), "asymmetric-match %u: ATCA "
                                      "links have none (kind = amc)", l->asymmetric_match);
        } else {
                for (unsigned i = 0; i < l->ports.n; i++)
                        if (l->ports.port[i] >= PICMG_AMC_LANE_UNUSED)
                                config_report(s, LINE("ports"), "ports: AMC port %u is above 30",
                                              l->ports.port[i]);
                if (SET("interface"))
                        config_report(s, LINE("interface"), "interface is for kind = atca");
                if (l->signaling_classes != 1)
                        config_report(s, LINE("signaling-classes"), "signaling-classes is for "
                                      "kind = atca");
        }
        if (l->action.kind != PICMG_LINK_ACTION_EXEC && l->args[0])
                config_report(s, LINE("args"), "args is for action = exec:/PATH");
#undef SET
#undef LINE
}

static bool same_link(const struct picmg_link_config *a, const struct picmg_link_config *b) {
        return a->fru == b->fru && a->kind == b->kind && a->interface == b->interface &&
               a->channel == b->channel && a->type == b->type && a->extension == b->extension &&
               a->group == b->group && a->ports.n == b->ports.n &&
               memcmp(a->ports.port, b->ports.port, a->ports.n) == 0;
}

/* Append one record (type, length, data) to f's PICMG records. */
static void add_record(struct fru_config *f, const uint8_t *data, size_t len) {
        f->picmg_records[f->picmg_records_len] = PICMG_FRU_RECORD_TYPE;
        f->picmg_records[f->picmg_records_len + 1] = (uint8_t) len;
        memcpy(f->picmg_records + f->picmg_records_len + 2, data, len);
        f->picmg_records_len += 2 + len;
}

static void build_atca_record(struct load_state *s, unsigned fru) {
        struct satmc_config *c = s->config;
        struct picmg_link links[CONFIG_PICMG_LINK_MAX];
        uint8_t buf[255];
        unsigned first = 0;
        size_t n = 0;
        ssize_t len;

        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];
                uint8_t ports = 0;

                if (!l->present || l->fru != fru || l->kind != PICMG_LINK_KIND_ATCA)
                        continue;
                for (unsigned p = 0; p < l->ports.n; p++)
                        ports |= (uint8_t) (1u << (l->ports.port[p] & 3));
                if (!first)
                        first = l->line;
                links[n++] = (struct picmg_link) {
                        .channel = l->channel & 0x3F, .interface = l->interface,
                        .ports = ports, .type = (uint8_t) l->type, .extension = l->extension,
                        .group = l->group,
                };
        }
        if (n == 0)
                return;
        len = picmg_board_p2p_record(links, n, buf, sizeof(buf));
        if (len < 0) {
                config_report(s, first, "[fru.%u]: %zu ATCA links do not fit one Board "
                              "Point-to-Point Connectivity record", fru, n);
                return;
        }
        add_record(&c->fru[fru], buf, (size_t) len);
}

static void build_amc_record(struct load_state *s, unsigned fru) {
        struct satmc_config *c = s->config;
        struct picmg_amc_channel channels[CONFIG_PICMG_LINK_MAX];
        struct picmg_amc_link links[CONFIG_PICMG_LINK_MAX];
        const struct picmg_link_config *owner[CONFIG_PICMG_LINK_MAX] = { NULL };
        size_t n = 0, n_channels = 0;
        uint8_t buf[255];
        unsigned first = 0;
        ssize_t len;

        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];

                if (!l->present || l->fru != fru || l->kind != PICMG_LINK_KIND_AMC)
                        continue;
                if (!first)
                        first = l->line;
                if (l->channel >= CONFIG_PICMG_LINK_MAX) {
                        config_report(s, l->line, "[picmg-link.%u]: AMC channel %u: the "
                                      "channels of a FRU are numbered 0..%d without gaps", i,
                                      l->channel, CONFIG_PICMG_LINK_MAX - 1);
                        return;
                }
                if (owner[l->channel] && (owner[l->channel]->ports.n != l->ports.n ||
                                          memcmp(owner[l->channel]->ports.port, l->ports.port,
                                                 l->ports.n) != 0)) {
                        config_report(s, l->line, "[picmg-link.%u]: AMC channel %u has other "
                                      "ports on line %u; links of one channel list the same "
                                      "ports", i, l->channel, owner[l->channel]->line);
                        return;
                }
                if (!owner[l->channel]) {
                        owner[l->channel] = l;
                        n_channels = MAX(n_channels, (size_t) l->channel + 1);
                }
                links[n++] = (struct picmg_amc_link) {
                        .channel = l->channel,
                        .lanes = (uint8_t) ((1u << l->ports.n) - 1),
                        .type = (uint8_t) l->type, .extension = l->extension,
                        .group = l->group, .asymmetric_match = l->asymmetric_match,
                };
        }
        if (n == 0)
                return;
        for (size_t ch = 0; ch < n_channels; ch++) {
                if (!owner[ch]) {
                        config_report(s, first, "[fru.%u]: AMC channel %zu has no link; the "
                                      "channels of a FRU are numbered 0.. without gaps", fru, ch);
                        return;
                }
                for (unsigned lane = 0; lane < 4; lane++)
                        channels[ch].lane_port[lane] = lane < owner[ch]->ports.n ?
                                owner[ch]->ports.port[lane] : PICMG_AMC_LANE_UNUSED;
        }
        len = picmg_amc_p2p_record(true, 0, channels, n_channels, links, n, buf, sizeof(buf));
        if (len < 0) {
                config_report(s, first, "[fru.%u]: %zu AMC links on %zu channels do not fit one "
                              "AMC Point-to-Point Connectivity record", fru, n, n_channels);
                return;
        }
        add_record(&c->fru[fru], buf, (size_t) len);
}

void config_check_picmg_power(struct load_state *s) {
        struct satmc_config *c = s->config;
        unsigned errors = s->n_errors;

        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                if (c->picmg_power[i].present)
                        check_power(s, i);
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                if (!c->picmg_link[i].present)
                        continue;
                check_link(s, i);
                for (unsigned j = 0; j < i; j++)
                        if (c->picmg_link[j].present &&
                            same_link(&c->picmg_link[i], &c->picmg_link[j]))
                                config_report(s, c->picmg_link[i].line, "[picmg-link.%u] is the "
                                              "link of [picmg-link.%u] (line %u) again", i, j,
                                              c->picmg_link[j].line);
        }
        if (s->n_errors != errors)
                return;         /* records only from sections that make sense */
        for (unsigned fru = 0; fru < CONFIG_FRU_MAX; fru++) {
                const struct picmg_power_config *p = &c->picmg_power[fru];

                /* Written only when not zero: a store to each of the eight slots would make
                 * the configuration's pages resident for FRUs the board does not have. */
                if (c->fru[fru].picmg_records_len)
                        c->fru[fru].picmg_records_len = 0;
                if (!c->fru[fru].present || c->fru[fru].file)
                        continue;
                build_atca_record(s, fru);
                build_amc_record(s, fru);
                if (p->present && p->module_current >= 0) {
                        uint8_t rec[PICMG_MODULE_CURRENT_LEN];

                        picmg_module_current_record((uint8_t) p->module_current, rec);
                        add_record(&c->fru[fru], rec, sizeof(rec));
                }
        }
}
