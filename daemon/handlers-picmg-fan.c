/* SPDX-License-Identifier: MIT */
/*
 * The ATCA fan tray commands (PICMG 3.0 R3.0 cooling management; docs/picmg-fan-tray.md) over
 * the fans of [fan.N] whose fru names the FRU asked about: Get Fan Speed Properties, Set Fan
 * Level and Get Fan Level, wired to daemon/fan-control.c (the shelf manager's override level
 * beside the local curve). picmg_preamble() first, like every PICMG command: 0xC1 without a
 * [picmg] profile, 0xCC for a FRU the profile does not manage; a FRU without fans is 0xCC too.
 */
#include <errno.h>

#include "dispatch.h"
#include "fan-control.h"
#include "macro.h"
#include "manager.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"
#include "protocol/picmg.h"
#include "protocol/picmg-fan.h"
#include "protocol/picmg-request.h"

_Static_assert(FAN_LEVEL_LOCAL_CONTROL == PICMG_FAN_LOCAL_CONTROL &&
               FAN_LEVEL_SHUT_DOWN == PICMG_FAN_SHUT_DOWN, "fan-control.h speaks PICMG's values");

/* Fan i if it belongs to fan tray FRU fru, else NULL. The fan table is asked first: it holds
 * only the configured fans, so the configuration's slot of an absent fan is never read (on a
 * kernel without a shared zero page, each such read makes a page resident for good). */
static struct fan *tray_fan(struct manager *m, unsigned i, uint8_t fru) {
        struct fan *f = fan_table_get(m->fans, i);

        return f && m->config->fan[i].picmg_fru == fru ? f : NULL;
}

/* The first fan of fan tray FRU fru, its index in *ret; -ENOENT when it has none. The
 * configuration check makes every fan of a FRU report the same properties as this one. */
static int first_fan(struct manager *m, uint8_t fru, unsigned *ret) {
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++)
                if (tray_fan(m, i, fru)) {
                        *ret = i;
                        return 0;
                }
        return -ENOENT;
}

/* The checks every PICMG command makes (picmg_preamble()), then the tray's first fan: 0 or a
 * completion code. */
static int fan_tray(struct manager *m, const struct ipmi_msg_in *in, uint8_t *ret_fru,
                    unsigned *ret_first) {
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, ret_fru);
        if (r != 0)
                return r;
        return first_fan(m, *ret_fru, ret_first) < 0 ? IPMI_CC_INVALID_DATA_FIELD : 0;
}

/* Request: PICMG identifier, FRU device ID. The answer: minimum, maximum and normal
 * operating level, and whether the tray controls its fans locally. */
static int handle_get_fan_speed_properties(struct manager *m, const struct ipmi_msg_in *in,
                                           struct ipmi_msg_out *out) {
        const struct fan_config *fc;
        struct fan_level_state st;
        unsigned first;
        uint8_t fru;
        int r;

        r = fan_tray(m, in, &fru, &first);
        if (r != 0)
                return r;
        if (out->cap < 5)
                return -EMSGSIZE;
        fc = &m->config->fan[first];
        fan_control_get_level(fan_table_get(m->fans, first), &st);
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = st.min_level;
        out->data[2] = st.max_level;
        out->data[3] = fc->normal_level >= 0 ? (uint8_t) fc->normal_level : st.min_level;
        out->data[4] = st.local_control ? PICMG_FAN_LOCAL_CONTROL_SUPPORTED : 0;
        out->len = 5;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, FRU device ID, fan level (or FFh local control; FEh emergency
 * shut down is refused: satmcd never commands a fan below min-level), optional local control
 * enable state. Every fan of the tray gets it, or none does. */
static int handle_set_fan_level(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        unsigned first;
        uint8_t fru, level;
        int local, r;

        r = fan_tray(m, in, &fru, &first);
        if (r == 0)
                r = picmg_request_set_fan_level(in->data, in->len, &fru, &level, &local);
        if (r != 0)
                return r;
        if (out->cap < 1)
                return -EMSGSIZE;
        /* The first fan decides: the others have its limits and its local control (checked at
         * load), so they accept what it accepts and nothing is left half set. */
        r = fan_control_set_level(fan_table_get(m->fans, first), level, local);
        if (r == -EOPNOTSUPP)
                return IPMI_CC_INVALID_DATA_FIELD;      /* local control on a tray without */
        if (r < 0)
                return r;                               /* -ERANGE: 0xC9 */
        for (unsigned i = first + 1; i < CONFIG_FAN_MAX; i++) {
                struct fan *f = tray_fan(m, i, fru);

                if (f)
                        (void) fan_control_set_level(f, level, local);
        }
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, FRU device ID. The answer: the override level (FFh while the
 * tray runs on local control), and with local control the local level (the highest the
 * tray's fans ask for) and whether local control is enabled. */
static int handle_get_fan_level(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct fan_level_state st;
        unsigned first;
        uint8_t fru, local = 0;
        int r;

        r = fan_tray(m, in, &fru, &first);
        if (r != 0)
                return r;
        if (out->cap < 4)
                return -EMSGSIZE;
        for (unsigned i = first; i < CONFIG_FAN_MAX; i++) {
                struct fan *f = tray_fan(m, i, fru);

                if (f) {
                        fan_control_get_level(f, &st);
                        local = MAX(local, st.local_level);
                }
        }
        fan_control_get_level(fan_table_get(m->fans, first), &st);
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = st.override_level;
        out->len = 2;
        if (st.local_control) {
                out->data[2] = local;
                out->data[3] = st.local_enabled;
                out->len = 4;
        }
        return IPMI_CC_OK;
}

/* PICMG 3.0 R3.0 cooling management: the "Get Fan Speed Properties command", "Set Fan Level
 * command" and "Get Fan Level command" tables (their numbers are not pinned by a public source
 * for R3.0: docs/picmg.md, Spec tables). */
const struct ipmi_command picmg_fan_commands[] = {
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_FAN_SPEED_PROPERTIES,
                .min_len = 2, .max_len = 2,
                .name = "Get Fan Speed Properties", .handler = handle_get_fan_speed_properties,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_SET_FAN_LEVEL,
                .min_len = 3, .max_len = 4,
                .name = "Set Fan Level", .handler = handle_set_fan_level,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_FAN_LEVEL,
                .min_len = 2, .max_len = 2,
                .name = "Get Fan Level", .handler = handle_get_fan_level,
        },
};
const size_t picmg_fan_commands_count = ELEMENTSOF(picmg_fan_commands);
