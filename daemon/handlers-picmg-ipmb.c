/* SPDX-License-Identifier: MIT */
/*
 * PICMG 3.0 redundant IPMB-0 commands, as PICMG 3.0 R3.0's "Set IPMB State command" table has
 * them (netFn 2Ch, group extension; byte 1 of every request and response is the PICMG
 * Identifier 00h, anything else is answered CCh):
 *
 *   09h Set IPMB State   request: PICMG ID, IPMB-A state, IPMB-B state (each FFh = no change,
 *                        else bits 7:1 link ID (0 on a bused IPMB-0), bit 0 1 = enable / local
 *                        control, 0 = isolate); response: PICMG ID.
 *
 * The state is protocol/ipmb-links.c's; the IPMB-0 link sensor (F1h) reports it, with an event
 * when it changes (manager-ipmb-b.c). The answer goes out on the bus the request came on
 * before the frames of a bus isolated now are refused, so a shelf manager isolating IPMB-A
 * over IPMB-A still gets its answer.
 */
#include <errno.h>

#include "dispatch.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"

#define PICMG_ID                0x00    /* data[0] of every PICMG request and response */
#define CMD_SET_IPMB_STATE      0x09

static int handle_set_ipmb_state(struct manager *m, const struct ipmi_msg_in *in,
                                 struct ipmi_msg_out *out) {
        int r;

        /* Only on a redundant IPMB-0: with one bus (the default) the command is not there, as
         * before IPMB-B, once the dispatcher's LUN and length checks passed (every listed
         * command gets those). */
        if (m->links.n_buses < 2)
                return IPMI_CC_INVALID_COMMAND;
        r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);
        if (r != 0)
                return r;
        if (out->cap < 1)
                return -EMSGSIZE;
        r = manager_set_ipmb_state(m, in->data[1], in->data[2]);
        if (r == -ERANGE || r == -ENODEV)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (r < 0)
                return r;
        log_info("Set IPMB State (from IPMB-%c): IPMB-A 0x%02x, IPMB-B 0x%02x.",
                 in->bus == IPMB_BUS_B ? 'B' : 'A', in->data[1], in->data[2]);
        out->data[0] = PICMG_ID;
        out->len = 1;
        return IPMI_CC_OK;
}

const struct ipmi_command picmg_ipmb_commands[] = {
        { .netfn = IPMI_NETFN_GROUP_EXT, .cmd = CMD_SET_IPMB_STATE, .min_len = 3,
          .max_len = 3, .name = "Set IPMB State (PICMG)", .handler = handle_set_ipmb_state },
};
const size_t picmg_ipmb_commands_count = ELEMENTSOF(picmg_ipmb_commands);
