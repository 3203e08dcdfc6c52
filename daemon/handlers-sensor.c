/* SPDX-License-Identifier: MIT */
/*
 * Threshold sensor commands (IPMI v2.0 section 35): Get Sensor Reading (35.14), Get/Set Sensor
 * Thresholds (35.9, 35.8), Get/Set Sensor Hysteresis (35.7, 35.6), and the read side of events,
 * Get Sensor Event Enable (35.11) and Get Sensor Event Status (35.13), which `ipmitool sensor
 * get` asks for.
 *
 * Choices the specification leaves open:
 *  - Get Sensor Thresholds answers as readable only the thresholds that have a value; the SDR
 *    calls all six readable and settable, so that any may be given a value later.
 *  - Set Sensor Thresholds checks the thresholds it would leave behind: they must rise from
 *    LNR to UNR (equal is allowed), else 0xCC and nothing changes. The new set is on disk
 *    before the answer; if it cannot be written the answer is 0xFF and nothing changes.
 *  - Event generation is not implemented yet: the reading's "event messages enabled" bit is 0,
 *    Get Sensor Event Enable reports no event enabled and Get Sensor Event Status no event;
 *    Set Sensor Event Enable and Re-arm are not in the table (0xC1).
 */
#include <errno.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmi.h"
#include "sensors.h"

#define READING_SCANNING_ENABLED        0x40
#define READING_UNAVAILABLE             0x20

static struct sensor *find(Manager *m, const struct ipmi_msg_in *in) {
        return sensor_set_find(m->sensors, in->data[0]);
}

/* 35.14: raw reading, flags, threshold comparison status, and the optional fourth byte. */
static int handle_get_sensor_reading(Manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 4)
                return -EMSGSIZE;
        out->data[0] = sn->available ? sn->raw : 0;
        out->data[1] = READING_SCANNING_ENABLED | (sn->available ? 0 : READING_UNAVAILABLE);
        out->data[2] = sn->available ? (uint8_t) (0xC0 | sn->status) : 0xC0;
        out->data[3] = 0x80;            /* threshold sensors: reserved, "write as 80h" */
        out->len = 4;
        return IPMI_CC_OK;
}

/* 35.9: readable mask, then LNC LCR LNR UNC UCR UNR. */
static int handle_get_sensor_thresholds(Manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 7)
                return -EMSGSIZE;
        out->data[0] = sn->defined;
        for (unsigned t = 0; t < 6; t++)
                out->data[1 + t] = (sn->defined & (1u << t)) ? sn->thresholds[t] : 0;
        out->len = 7;
        return IPMI_CC_OK;
}

/* 35.8: sensor number, mask of thresholds to set, then LNC LCR LNR UNC UCR UNR. */
static int handle_set_sensor_thresholds(Manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);
        uint8_t mask = in->data[1];
        int r;

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (mask & ~SDR_THR_ALL)
                return IPMI_CC_INVALID_DATA_FIELD;
        r = sensor_set_thresholds(m->sensors, sn, mask, in->data + 2);
        if (r == -EINVAL)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
        return IPMI_CC_OK;
}

/* 35.7: sensor number, reserved (0xFF); answers positive- and negative-going hysteresis. */
static int handle_get_sensor_hysteresis(Manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 2)
                return -EMSGSIZE;
        out->data[0] = sn->hysteresis_pos;
        out->data[1] = sn->hysteresis_neg;
        out->len = 2;
        return IPMI_CC_OK;
}

/* 35.6: sensor number, reserved (0xFF), positive- and negative-going hysteresis. */
static int handle_set_sensor_hysteresis(Manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);
        int r;

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        r = sensor_set_hysteresis(m->sensors, sn, in->data[2], in->data[3]);
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
        return IPMI_CC_OK;
}

/* 35.11: flags (bit 6 scanning enabled; bit 7 event messages, off), assertion and deassertion
 * enable masks: all zero while no events are generated. */
static int handle_get_sensor_event_enable(Manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 5)
                return -EMSGSIZE;
        out->data[0] = READING_SCANNING_ENABLED;
        out->data[1] = out->data[2] = out->data[3] = out->data[4] = 0;
        out->len = 5;
        return IPMI_CC_OK;
}

/* 35.13: flags as in Get Sensor Reading, then which events have occurred: none. */
static int handle_get_sensor_event_status(Manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 5)
                return -EMSGSIZE;
        out->data[0] = READING_SCANNING_ENABLED | (sn->available ? 0 : READING_UNAVAILABLE);
        out->data[1] = out->data[2] = out->data[3] = out->data[4] = 0;
        out->len = 5;
        return IPMI_CC_OK;
}

const struct ipmi_command sensor_commands[] = {
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_SET_SENSOR_HYSTERESIS,
                .min_len = 4, .max_len = 4,
                .name = "Set Sensor Hysteresis", .handler = handle_set_sensor_hysteresis,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_SENSOR_HYSTERESIS,
                .min_len = 2, .max_len = 2,
                .name = "Get Sensor Hysteresis", .handler = handle_get_sensor_hysteresis,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_SET_SENSOR_THRESHOLDS,
                .min_len = 8, .max_len = 8,
                .name = "Set Sensor Thresholds", .handler = handle_set_sensor_thresholds,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_SENSOR_THRESHOLDS,
                .min_len = 1, .max_len = 1,
                .name = "Get Sensor Thresholds", .handler = handle_get_sensor_thresholds,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_SENSOR_EVENT_ENABLE,
                .min_len = 1, .max_len = 1,
                .name = "Get Sensor Event Enable", .handler = handle_get_sensor_event_enable,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_SENSOR_EVENT_STATUS,
                .min_len = 1, .max_len = 1,
                .name = "Get Sensor Event Status", .handler = handle_get_sensor_event_status,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_SENSOR_READING,
                .min_len = 1, .max_len = 1,
                .name = "Get Sensor Reading", .handler = handle_get_sensor_reading,
        },
};
const size_t sensor_commands_count = ELEMENTSOF(sensor_commands);
