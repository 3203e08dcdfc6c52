/* SPDX-License-Identifier: MIT */
/*
 * Compute Power Properties, Get Power Level and Set Power Level (PICMG 3.0 R3.0 power
 * management: Compute Power Properties is table 3-82, the "Set Power Level command" and "Get
 * Power Level command" tables follow it). The slots and levels of a FRU are configuration; what
 * changes at run time is the level the shelf manager granted.
 */
#include <errno.h>
#include <stdlib.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "picmg-power.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"
#include "protocol/picmg-fru.h"

struct picmg_power {
        const struct satmc_config *config;
        uint8_t granted[CONFIG_FRU_MAX];        /* present power level; 0 = off */
        picmg_power_granted_fn granted_fn;
        void *granted_userdata;
};

int picmg_power_new(const struct satmc_config *c, struct picmg_power **ret) {
        struct picmg_power *p;
        bool any = false;

        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                any |= c->picmg_power[i].present;
        if (!any) {
                *ret = NULL;
                return 0;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->config = c;
        *ret = p;
        return 0;
}

struct picmg_power *picmg_power_free(struct picmg_power *p) {
        free(p);
        return NULL;
}

void picmg_power_set_hook(struct picmg_power *p, picmg_power_granted_fn fn, void *userdata) {
        if (!p)
                return;
        p->granted_fn = fn;
        p->granted_userdata = userdata;
}

uint8_t picmg_power_level(const struct picmg_power *p, uint8_t fru) {
        return p && fru < CONFIG_FRU_MAX ? p->granted[fru] : 0;
}

/* The configured levels of a FRU, or NULL (no such FRU, or none configured). */
static const struct picmg_power_config *fru_levels(struct manager *m, uint8_t fru) {
        struct picmg_power *p = m->picmg_power;

        if (!p || fru >= CONFIG_FRU_MAX || !p->config->picmg_power[fru].present)
                return NULL;
        return &p->config->picmg_power[fru];
}

/* Request: PICMG identifier, FRU device ID, power type. */
static int handle_get_power_level(struct manager *m, const struct ipmi_msg_in *in,
                                  struct ipmi_msg_out *out) {
        const struct picmg_power_config *pc;
        const struct picmg_power_levels *levels;
        uint8_t fru, type = in->data[2], level;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r != 0)
                return r;
        pc = fru_levels(m, fru);
        if (!pc || type > PICMG_POWER_DESIRED_EARLY)
                return IPMI_CC_INVALID_DATA_FIELD;
        levels = (type == PICMG_POWER_EARLY || type == PICMG_POWER_DESIRED_EARLY) &&
                 pc->early_levels.n > 0 ? &pc->early_levels : &pc->levels;
        if (out->cap < 4 + levels->n)
                return -EMSGSIZE;
        /* Types 0 and 2 report the level in use, 1 and 3 the one the FRU asks for. */
        if (type == PICMG_POWER_STEADY || type == PICMG_POWER_EARLY)
                level = m->picmg_power->granted[fru];
        else
                level = pc->desired_level ? pc->desired_level : (uint8_t) pc->levels.n;
        if (level > levels->n)
                level = (uint8_t) levels->n;    /* early levels may be fewer */
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = (uint8_t) ((pc->dynamic ? 0x80 : 0) | level);
        out->data[2] = pc->delay;
        out->data[3] = pc->multiplier;
        for (unsigned i = 0; i < levels->n; i++)
                out->data[4 + i] = (uint8_t) (levels->deciwatts[i] / pc->multiplier);
        out->len = 4 + levels->n;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, FRU device ID, power level (0 off, 1..20, 0xFF unchanged), set
 * present levels to desired (0 or 1). */
static int handle_set_power_level(struct manager *m, const struct ipmi_msg_in *in,
                                  struct ipmi_msg_out *out) {
        const struct picmg_power_config *pc;
        struct picmg_power *p = m->picmg_power;
        uint8_t fru, level = in->data[2];
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r != 0)
                return r;
        pc = fru_levels(m, fru);
        if (!pc || in->data[3] > 1 ||
            (level != 0xFF && level > pc->levels.n))
                return IPMI_CC_INVALID_DATA_FIELD;
        /* The present levels are the desired ones here (the configuration holds one set), so
         * copying desired to present changes nothing. */
        if (level != 0xFF && level != p->granted[fru]) {
                if (p->granted_fn) {
                        r = p->granted_fn(p->granted_userdata, fru, level);
                        if (r < 0)
                                return r;       /* refused: the level stays */
                }
                p->granted[fru] = level;
        }
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, FRU device ID. The answer: how many slots the FRU spans and in
 * which of them its IPMC sits, for the shelf manager's power budget (one per slot). */
static int handle_compute_power_properties(struct manager *m, const struct ipmi_msg_in *in,
                                           struct ipmi_msg_out *out) {
        const struct picmg_power_config *pc;
        uint8_t fru;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r != 0)
                return r;
        pc = fru_levels(m, fru);
        if (!pc)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (out->cap < 3)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = pc->spanned_slots;
        out->data[2] = pc->ipmc_location;
        out->len = 3;
        return IPMI_CC_OK;
}

/* PICMG 3.0 R3.0 power management: Compute Power Properties table 3-82; "Set Power Level
 * command", "Get Power Level command" (their numbers are not pinned by a public source). */
const struct ipmi_command picmg_power_commands[] = {
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_COMPUTE_POWER_PROPERTIES,
                .min_len = 2, .max_len = 2,
                .name = "Compute Power Properties", .handler = handle_compute_power_properties,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_SET_POWER_LEVEL,
                .min_len = 4, .max_len = 4,
                .name = "Set Power Level", .handler = handle_set_power_level,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_POWER_LEVEL,
                .min_len = 3, .max_len = 3,
                .name = "Get Power Level", .handler = handle_get_power_level,
        },
};
const size_t picmg_power_commands_count = ELEMENTSOF(picmg_power_commands);
