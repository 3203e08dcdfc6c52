/* SPDX-License-Identifier: MIT */
/*
 * Event receiver commands (IPMI v2.0 section 29): Set Event Receiver (29.1) and Get Event
 * Receiver (29.2). The BMC tells each satellite where to send its Platform Event Messages,
 * usually at its own start; satmcd then reports the states asserted right now again, so a BMC
 * that restarted (and lost what it knew) learns the present state without waiting for the
 * next crossing.
 */
#include <errno.h>

#include "dispatch.h"
#include "event-sender.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "picmg.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

/* 29.1: receiver slave address (0xFF: disable event generation), LUN in bits 1:0. The receiver
 * must be an IPMB node (ipmb_addr_is_node(): not odd, not 0x00 the general call, not in the
 * I2C reserved ranges), and events sent to our own address would come back to us as requests
 * nobody answers. */
static int handle_set_event_receiver(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        uint8_t sa = in->data[0], lun = in->data[1] & 0x03;

        if (sa == m->config->address || (sa != EVENT_RECEIVER_DISABLED && !ipmb_addr_is_node(sa)))
                return IPMI_CC_INVALID_DATA_FIELD;
        event_sender_set_receiver(m->events, sa, lun);
        if (sa == EVENT_RECEIVER_DISABLED) {
                log_info("Event receiver set to none: events disabled.");
                return IPMI_CC_OK;
        }
        log_info("Event receiver set to 0x%02x LUN %u; re-sending asserted states.", sa, lun);
        sensor_table_rearm_all(m->sensors);
        /* satmcd's own sensors too: a shelf manager that restarted learns each FRU's hot-swap
         * state and the IPMB-0 links' without asking. */
        picmg_sensor_rearm_all(m->picmg);
        manager_link_sensor_rearm(m);
        return IPMI_CC_OK;
}

/* 29.2: the same two bytes back. */
static int handle_get_event_receiver(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        uint8_t sa, lun;

        if (out->cap < 2)
                return -EMSGSIZE;
        event_sender_get_receiver(m->events, &sa, &lun);
        out->data[0] = sa;
        out->data[1] = lun;
        out->len = 2;
        return IPMI_CC_OK;
}

const struct ipmi_command event_commands[] = {
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_SET_EVENT_RECEIVER,
                .min_len = 2, .max_len = 2,
                .name = "Set Event Receiver", .handler = handle_set_event_receiver,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_EVENT_RECEIVER,
                .min_len = 0, .max_len = 0,
                .name = "Get Event Receiver", .handler = handle_get_event_receiver,
        },
};
const size_t event_commands_count = ELEMENTSOF(event_commands);
