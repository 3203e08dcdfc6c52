/* SPDX-License-Identifier: MIT */
/*
 * Get Sensor Reading (IPMI v2.0 35.14), Set/Get Sensor Event Enable (35.10, 35.11), Re-arm
 * Sensor Events (35.12) and Get Sensor Event Status (35.13) for the FRU Hot Swap sensors and
 * the IPMB-0 link sensor, with the meanings handlers-sensor.c gives them for a [sensor.N]:
 *  - event messages off (byte 2 bit 7 clear) stops the sensor's Platform Event Messages; on
 *    again, the next change is reported (Re-arm sends the present state at once);
 *  - scanning off (bit 6 clear) marks the reading unavailable and, as a sensor that is not
 *    scanned sees no change, sends no events either; the hot-swap machine itself runs on;
 *  - the SDRs say "entire sensor" event control: the per-state masks of Set Sensor Event
 *    Enable are accepted and ignored, and Get Sensor Event Enable answers the SDR's assertion
 *    mask; no deassertion events (the SDRs announce none), so those bytes are 0;
 *  - Re-arm sends the asserted state again as a fresh event if the (optional) mask selects it.
 */
#include <errno.h>

#include "handlers-sensor-own.h"
#include "manager.h"
#include "protocol/ipmi.h"

#define FLAG_EVENTS             0x80
#define FLAG_SCANNING           0x40
#define FLAG_UNAVAILABLE        0x20
#define EVENT_ENABLE_ACTION_MASK 0x30   /* Set Sensor Event Enable byte 2 bits 5:4; 11b reserved */
#define REARM_SELECTED          0x80

static bool find(struct manager *m, const struct ipmi_msg_in *in, struct own_sensor *ret) {
        if (m->picmg && picmg_own_sensor(m->picmg, in->lun, in->data[0], ret) == 0)
                return true;
        return manager_link_sensor(m, in->lun, in->data[0], ret);
}

static uint8_t flags(const struct own_sensor *s) {
        return (uint8_t) ((s->enables->events ? FLAG_EVENTS : 0) |
                          (s->enables->scanning ? FLAG_SCANNING : FLAG_UNAVAILABLE));
}

/* The asserted states as the commands show them: none while not scanned. */
static uint16_t shown_state(const struct own_sensor *s) {
        return s->enables->scanning ? s->state : 0;
}

int own_sensor_get_reading(struct manager *m, const struct ipmi_msg_in *in,
                           struct ipmi_msg_out *out) {
        struct own_sensor s;

        if (!find(m, in, &s))
                return -ENOENT;
        if (out->cap < 4)
                return -EMSGSIZE;
        out->data[0] = 0;               /* discrete: no reading byte */
        out->data[1] = flags(&s);
        out->data[2] = (uint8_t) shown_state(&s);
        out->data[3] = (uint8_t) (0x80 | shown_state(&s) >> 8);        /* bit 7 reserved, 1 */
        out->len = 4;
        return IPMI_CC_OK;
}

/* Get Sensor Event Enable and Get Sensor Event Status answer alike: a flags byte, then 16
 * assertion bits (offsets 0..14), then no deassertions. */
static int reply_assertions(struct ipmi_msg_out *out, uint8_t flag_byte, uint16_t assertions) {
        if (out->cap < 5)
                return -EMSGSIZE;
        out->data[0] = flag_byte;
        out->data[1] = (uint8_t) assertions;
        out->data[2] = (uint8_t) (assertions >> 8);
        out->data[3] = 0;
        out->data[4] = 0;
        out->len = 5;
        return IPMI_CC_OK;
}

int own_sensor_set_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct own_sensor s;

        (void) out;
        if (!find(m, in, &s))
                return -ENOENT;
        if ((in->data[1] & EVENT_ENABLE_ACTION_MASK) == EVENT_ENABLE_ACTION_MASK)
                return IPMI_CC_INVALID_DATA_FIELD;
        s.enables->events = in->data[1] & FLAG_EVENTS;
        s.enables->scanning = in->data[1] & FLAG_SCANNING;
        return IPMI_CC_OK;
}

int own_sensor_get_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct own_sensor s;

        if (!find(m, in, &s))
                return -ENOENT;
        return reply_assertions(out, flags(&s) & (FLAG_EVENTS | FLAG_SCANNING), s.assertions);
}

int own_sensor_rearm(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        struct own_sensor s;
        uint16_t mask = UINT16_MAX;

        (void) out;
        if (!find(m, in, &s))
                return -ENOENT;
        if (in->data[1] & REARM_SELECTED) {
                mask = in->len > 2 ? in->data[2] : 0;
                if (in->len > 3)
                        mask |= (uint16_t) ((in->data[3] & 0x7F) << 8);
        }
        if (!(mask & shown_state(&s)) || !own_sensor_reports(s.enables))
                return IPMI_CC_OK;
        if (m->picmg && picmg_sensor_rearm(m->picmg, in->lun, in->data[0], mask) == 0)
                return IPMI_CC_OK;
        manager_link_sensor_rearm(m);
        return IPMI_CC_OK;
}

int own_sensor_get_event_status(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out) {
        struct own_sensor s;

        if (!find(m, in, &s))
                return -ENOENT;
        return reply_assertions(out, flags(&s), shown_state(&s));
}
