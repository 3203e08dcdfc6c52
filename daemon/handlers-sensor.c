/* SPDX-License-Identifier: MIT */
/*
 * Sensor commands (IPMI v2.0 section 35), for threshold and presence sensors: Get Sensor Reading (35.14), Get/Set Sensor
 * Thresholds (35.9, 35.8), Get/Set Sensor Hysteresis (35.7, 35.6), Get/Set Sensor Event Enable
 * (35.11, 35.10), Re-arm Sensor Events (35.12) and Get Sensor Event Status (35.13).
 *
 * Choices the specification leaves open:
 *  - Get Sensor Thresholds answers as readable only the thresholds that have a value, and so
 *    does the Full Sensor Record; both call all six settable, so that any may be given a value
 *    later. An unset threshold's byte is the far end of the codes (sensor_threshold_raw()),
 *    the same in both, never a value inside the range. Only thresholds with a value generate
 *    events: the SDR's event masks are Get Sensor Event Enable's until enables change.
 *  - Scanning disabled (Set Sensor Event Enable) also marks the reading unavailable: byte 0
 *    would be stale, and some BMCs (OpenBMC's IpmbSensor) look at nothing but bit 5.
 *  - Set Sensor Thresholds on a threshold that settable-thresholds leaves out (the SDR's
 *    settable mask does not have it) answers 0xCC, invalid data field, and changes nothing:
 *    the request's mask byte names what this sensor refuses, as it does with a reserved bit;
 *    the spec names no code of its own, and 0xCD (illegal for this sensor) would tell a
 *    requester that no threshold command works here, which Get Sensor Thresholds does.
 *  - Set Sensor Thresholds checks the thresholds it would leave behind: they must rise from
 *    LNR to UNR (equal is allowed), else 0xCC and nothing changes. The new set is on disk
 *    before the answer; if it cannot be written the answer is 0xFF and nothing changes. The
 *    sensor's Full Sensor Record is rewritten with the new values (so `sdr list` agrees).
 *  - Event enables for offsets the sensor cannot generate are ignored, not refused: a BMC that
 *    enables "everything" with 0xFF bytes gets what exists. Enables and scanning are not
 *    persisted: a restart starts from the configuration, as the SDR's init flags say.
 *  - The sensors re-arm automatically (SDR "auto re-arm"), so Re-arm Sensor Events means: report
 *    the selected states that are asserted now again, as fresh assertion events.
 *  - Get Sensor Event Status reports the offsets asserted now. Its deassertion bytes are 0 for
 *    a threshold sensor (with auto re-arm nothing stays latched after it deasserted); for a
 *    discrete sensor they hold the states that went away since they were last asserted or
 *    re-armed, so that a BMC polling it sees a PSU failure that came and went.
 *  - A discrete sensor (presence, power supply, ...: sensor-discrete.h) answers Get Sensor
 *    Reading with its state bits (bytes 3 and 4) and the threshold and hysteresis commands
 *    with 0xCD.
 */
#include <errno.h>

#include "dispatch.h"
#include "handlers-sensor-own.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmi.h"
#include "sensors.h"

#define READING_EVENTS_ENABLED          0x80
#define READING_SCANNING_ENABLED        0x40
#define READING_UNAVAILABLE             0x20

/* Set Sensor Event Enable byte 2, bits 5:4. */
#define EVENT_ENABLE_KEEP               0x00
#define EVENT_ENABLE_SELECTED           0x10
#define EVENT_DISABLE_SELECTED          0x20
#define EVENT_ENABLE_ACTION_MASK        0x30
/* Re-arm Sensor Events byte 2, bit 7. */
#define REARM_SELECTED                  0x80

/* Byte 1 of Get Sensor Reading and Get Sensor Event Status. */
static uint8_t reading_flags(const struct sensor *sn) {
        return (sn->events_enabled ? READING_EVENTS_ENABLED : 0) |
               (sn->scanning ? READING_SCANNING_ENABLED : 0) |
               (sn->available ? 0 : READING_UNAVAILABLE);
}

/* Two little-endian mask bytes, as the event commands carry them. */
static void put_mask(uint8_t *p, uint16_t mask) {
        p[0] = (uint8_t) mask;
        p[1] = (uint8_t) (mask >> 8);
}

/* The mask in an optional pair of request bytes at offset `at`; absent bytes are 0. */
static uint16_t get_mask(const struct ipmi_msg_in *in, size_t at) {
        uint16_t mask = 0;

        if (in->len > at)
                mask = in->data[at];
        if (in->len > at + 1)
                mask |= (uint16_t) ((in->data[at + 1] & 0x7F) << 8);
        return mask;
}


/* A sensor is addressed by the LUN the request was sent to and the number in byte 1. */
static struct sensor *find(struct manager *m, const struct ipmi_msg_in *in) {
        return sensor_table_find(m->sensors, in->lun, in->data[0]);
}

/* No [sensor.N] has the number: a FRU Hot Swap or IPMB-0 sensor's answer, or 0xCB. */
static int own_or_not_present(int r) {
        return r == -ENOENT ? IPMI_CC_NOT_PRESENT : r;
}

/* The threshold and hysteresis commands: a discrete sensor has neither (0xCD). */
static int find_threshold(struct manager *m, const struct ipmi_msg_in *in, struct sensor **ret) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return IPMI_CC_NOT_PRESENT;
        if (sn->discrete)
                return IPMI_CC_ILLEGAL_FOR_SENSOR;
        *ret = sn;
        return IPMI_CC_OK;
}

/* 35.14: raw reading, flags, threshold comparison status, and the optional fourth byte. */
static int handle_get_sensor_reading(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (out->cap < 4)
                return -EMSGSIZE;
        if (!sn)
                return own_or_not_present(own_sensor_get_reading(m, in, out));
        out->data[1] = reading_flags(sn);
        if (sn->discrete) {
                /* No numeric reading; the asserted states, bit 7 of the last byte reserved
                 * and returned as 1. */
                out->data[0] = 0;
                out->data[2] = (uint8_t) (sn->available ? sn->event_state : 0);
                out->data[3] = (uint8_t) (0x80 | (sn->available ? sn->event_state >> 8 : 0));
                out->len = 4;
                return IPMI_CC_OK;
        }
        out->data[0] = sn->available ? sn->raw : 0;
        out->data[2] = sn->available ? (uint8_t) (0xC0 | sn->status) : 0xC0;
        out->data[3] = 0x80;            /* threshold sensors: reserved, "write as 80h" */
        out->len = 4;
        return IPMI_CC_OK;
}

/* 35.9: readable mask, then LNC LCR LNR UNC UCR UNR. */
static int handle_get_sensor_thresholds(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = NULL;
        int cc = find_threshold(m, in, &sn);

        if (cc != IPMI_CC_OK)
                return cc;
        if (out->cap < 7)
                return -EMSGSIZE;
        out->data[0] = sn->defined;
        for (unsigned t = 0; t < 6; t++)
                out->data[1 + t] = sensor_threshold_raw(sn, t);
        out->len = 7;
        return IPMI_CC_OK;
}

/* 35.8: sensor number, mask of thresholds to set, then LNC LCR LNR UNC UCR UNR. */
static int handle_set_sensor_thresholds(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = NULL;
        int cc = find_threshold(m, in, &sn);
        uint8_t mask = in->data[1];
        int r;

        if (cc != IPMI_CC_OK)
                return cc;
        if (mask & ~SDR_THR_ALL)
                return IPMI_CC_INVALID_DATA_FIELD;
        r = sensor_set_thresholds(m->sensors, sn, mask, in->data + 2);
        if (r == -EINVAL || r == -EPERM)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
        manager_sensor_changed(m, sn);
        return IPMI_CC_OK;
}

/* 35.7: sensor number, reserved (0xFF); answers positive- and negative-going hysteresis. */
static int handle_get_sensor_hysteresis(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = NULL;
        int cc = find_threshold(m, in, &sn);

        if (cc != IPMI_CC_OK)
                return cc;
        if (out->cap < 2)
                return -EMSGSIZE;
        out->data[0] = sn->hysteresis_pos;
        out->data[1] = sn->hysteresis_neg;
        out->len = 2;
        return IPMI_CC_OK;
}

/* 35.6: sensor number, reserved (0xFF), positive- and negative-going hysteresis. */
static int handle_set_sensor_hysteresis(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct sensor *sn = NULL;
        int cc = find_threshold(m, in, &sn);
        int r;

        if (cc != IPMI_CC_OK)
                return cc;
        r = sensor_set_hysteresis(m->sensors, sn, in->data[2], in->data[3]);
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
        manager_sensor_changed(m, sn);
        return IPMI_CC_OK;
}

/* 35.10: sensor number, flags (bit 7 event messages, bit 6 scanning, bits 5:4 what to do with
 * the masks that follow), then up to four mask bytes: assertion 7:0, 14:8, deassertion 7:0,
 * 14:8. */
static int handle_set_sensor_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);
        uint8_t flags = in->data[1];
        uint16_t assert_mask, deassert_mask;

        if (!sn)
                return own_or_not_present(own_sensor_set_event_enable(m, in, out));
        if ((flags & EVENT_ENABLE_ACTION_MASK) == EVENT_ENABLE_ACTION_MASK)
                return IPMI_CC_INVALID_DATA_FIELD;      /* 11b is reserved */

        /* An enable never goes beyond what the SDR announces (its assertion/deassertion
         * masks: the event keys of [sensor.N]). */
        assert_mask = get_mask(in, 2) & sensor_supported_assertions(sn);
        deassert_mask = get_mask(in, 4) & sensor_supported_deassertions(sn);
        switch (flags & EVENT_ENABLE_ACTION_MASK) {
        case EVENT_ENABLE_SELECTED:
                sn->assert_enable |= assert_mask;
                sn->deassert_enable |= deassert_mask;
                break;
        case EVENT_DISABLE_SELECTED:
                sn->assert_enable &= (uint16_t) ~assert_mask;
                sn->deassert_enable &= (uint16_t) ~deassert_mask;
                break;
        case EVENT_ENABLE_KEEP:         /* 11b was refused above */
                break;
        }
        sn->events_enabled = flags & READING_EVENTS_ENABLED;
        sensor_set_scanning(sn, flags & READING_SCANNING_ENABLED);
        return IPMI_CC_OK;
}

/* 35.11: flags (bit 7 event messages, bit 6 scanning), assertion and deassertion enables. */
static int handle_get_sensor_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return own_or_not_present(own_sensor_get_event_enable(m, in, out));
        if (out->cap < 5)
                return -EMSGSIZE;
        out->data[0] = reading_flags(sn) & (READING_EVENTS_ENABLED | READING_SCANNING_ENABLED);
        put_mask(out->data + 1, sn->assert_enable);
        put_mask(out->data + 3, sn->deassert_enable);
        out->len = 5;
        return IPMI_CC_OK;
}

/* 35.12: sensor number, bit 7 of byte 2 = re-arm only the events selected by the (optional)
 * masks that follow; else all of them. Only assertions can be re-armed here (see above). */
static int handle_rearm_sensor_events(struct manager *m, const struct ipmi_msg_in *in,
                                      struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);
        uint16_t mask = UINT16_MAX;

        if (!sn)
                return own_or_not_present(own_sensor_rearm(m, in, out));
        if (in->data[1] & REARM_SELECTED)
                mask = get_mask(in, 2);
        sensor_rearm(sn, mask);
        return IPMI_CC_OK;
}

/* 35.13: flags as in Get Sensor Reading, then the asserted offsets, then deassertions (none). */
static int handle_get_sensor_event_status(struct manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        struct sensor *sn = find(m, in);

        if (!sn)
                return own_or_not_present(own_sensor_get_event_status(m, in, out));
        if (out->cap < 5)
                return -EMSGSIZE;
        out->data[0] = reading_flags(sn);
        put_mask(out->data + 1, sn->event_state);
        put_mask(out->data + 3, sn->deasserted);
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
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_SET_SENSOR_EVENT_ENABLE,
                .min_len = 2, .max_len = 6,
                .name = "Set Sensor Event Enable", .handler = handle_set_sensor_event_enable,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_REARM_SENSOR_EVENTS,
                .min_len = 2, .max_len = 6,
                .name = "Re-arm Sensor Events", .handler = handle_rearm_sensor_events,
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
                .loop_neutral = true,
        },
};
const size_t sensor_commands_count = ELEMENTSOF(sensor_commands);
