/* SPDX-License-Identifier: MIT */
/*
 * The threshold sensor commands through the real dispatcher, with readings injected by
 * sensor_set_reading() instead of files: Get Sensor Reading (flags, unavailable, threshold
 * status with hysteresis), Get/Set Sensor Thresholds (order, unknown sensor, lengths), Get/Set
 * Sensor Hysteresis, the Full Sensor Records in the SDR repository, and thresholds persisted
 * in the state directory across a new Manager.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "manager-rig.h"

#include "common/macro.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "daemon/sensors.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"
#include "protocol/sdr.h"

static char dir[RIG_DIR_MAX];

/* -40..125 degrees C: unsigned raw, M 65, B -4 * 10^3, Rexp -2: raw 0 = -40, step 0.65. */
#define SENSORS \
        "[sensor.0]\nname = Board Temp\ntype = temperature\nrange = -40..125\n" \
        "lower-critical = -10\nupper-non-critical = 60\nupper-critical = 85\nhysteresis = 1.3\n" \
        "[sensor.4]\nname = Fan 1\ntype = fan\nrange = 0..20000\n" \
        "[sensor.7]\nname = PSU Present\ntype = presence\n"

static struct manager *new_manager(void) {
        return rig_manager_new(dir, SENSORS);
}

static int setup(void **state) {
        rig_make_dir(dir, "satmc-sensor-handlers");
        *state = new_manager();
        return 0;
}

static int teardown(void **state) {
        rig_free(*state, dir);
        return 0;
}

static struct ipmi_msg_out run(struct manager *m, uint8_t cmd, const uint8_t *data, size_t len) {
        return rig_run(m, IPMI_NETFN_SENSOR_EVENT, 0, cmd, data, len, 24);
}

#define RUN(m, cmd, ...) \
        run(m, cmd, (const uint8_t[]) { __VA_ARGS__ }, sizeof((const uint8_t[]) { __VA_ARGS__ }))

static uint8_t raw_of(struct manager *m, double v) {
        uint8_t raw;

        assert_int_equal(sensor_linear_to_raw(&sensor_table_find(m->sensors, 0, 1)->linear, v, &raw), 0);
        return raw;
}

/* Event offsets of the configured thresholds: LCR going low 2, UNC going high 7, UCR 9. */
#define EV_CONFIGURED 0x0284

static void test_records(void **state) {
        struct manager *m = *state;
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        struct sdr_full_sensor s;
        struct sdr_header h;
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        uint16_t next;
        int n;

        /* MC locator, then the three sensors as records 2, 3 and 4. */
        assert_int_equal(sdr_repository_count(m->sdr), 4);
        assert_int_equal(sdr_repository_sensor_count(m->sdr, 0), 3);
        n = sdr_repo_get(&repo, 2, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_true(n > 0);
        assert_int_equal(next, 3);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(h.type, SDR_TYPE_FULL_SENSOR);
        assert_int_equal(s.owner_id, 0x72);
        assert_int_equal(s.owner_lun, 0);
        assert_int_equal(s.number, 1);
        assert_int_equal(s.entity_id, 0x07);
        assert_int_equal(s.sensor_type, 0x01);
        assert_int_equal(s.event_type, SDR_EVENT_TYPE_THRESHOLD);
        assert_int_equal(s.base_unit, 0x01);
        assert_int_equal(s.linear.m, 65);
        assert_int_equal(s.linear.b, -4);
        assert_int_equal(s.linear.b_exp, 3);
        assert_int_equal(s.linear.r_exp, -2);
        assert_false(s.linear.is_signed);
        assert_int_equal(s.unc, raw_of(m, 60));
        assert_int_equal(s.ucr, raw_of(m, 85));
        assert_int_equal(s.lcr, raw_of(m, -10));
        /* Readable and generating events: the three with a value; settable: all six. The
         * unset ones hold the far end of the codes, never a value inside the range. */
        assert_int_equal(s.reading_mask, (SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR) |
                                         SDR_THR_ALL << 8);
        assert_int_equal(s.assert_mask, EV_CONFIGURED | SDR_THR_LCR << 12);
        assert_int_equal(s.deassert_mask, EV_CONFIGURED | (SDR_THR_UNC | SDR_THR_UCR) >> 3 << 12);
        assert_int_equal(s.lnc, 0x00);
        assert_int_equal(s.lnr, 0x00);
        assert_int_equal(s.unr, 0xFF);
        assert_int_equal(s.hysteresis_pos, 2);
        assert_int_equal(s.hysteresis_neg, 2);
        assert_string_equal(s.id, "Board Temp");

        n = sdr_repo_get(&repo, 3, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(next, 4);
        assert_int_equal(s.number, 5);          /* [sensor.4] */
        assert_int_equal(s.sensor_type, 0x04);
        assert_int_equal(s.base_unit, 0x12);
        assert_false(s.linear.is_signed);
}

static void test_reading(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        struct ipmi_msg_out out;

        /* Never read: unavailable, events and scanning enabled, no status. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 4);
        assert_int_equal(out.data[1], 0x80 | 0x40 | 0x20);
        assert_int_equal(out.data[2] & 0x3F, 0);

        sensor_set_reading(sn, true, raw_of(m, 42.5));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[0], raw_of(m, 42.5));
        assert_int_equal(out.data[1], 0xC0);
        assert_int_equal(out.data[2] & 0x3F, 0);

        /* At UNC: asserted; 1.3 degrees (2 steps) below it still asserted; 3 steps clears. */
        sensor_set_reading(sn, true, raw_of(m, 60));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2] & 0x3F, SDR_THR_UNC);
        sensor_set_reading(sn, true, (uint8_t) (raw_of(m, 60) - 2));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2] & 0x3F, SDR_THR_UNC);
        sensor_set_reading(sn, true, (uint8_t) (raw_of(m, 60) - 3));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2] & 0x3F, 0);

        /* Above UCR: both upper bits; below LCR (signed raw): the lower bit. */
        sensor_set_reading(sn, true, raw_of(m, 90));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2] & 0x3F, SDR_THR_UNC | SDR_THR_UCR);
        sensor_set_reading(sn, true, raw_of(m, -20));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2] & 0x3F, SDR_THR_LCR);

        sensor_set_reading(sn, false, 0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[1], 0xE0);
        assert_int_equal(out.data[2] & 0x3F, 0);

        /* Unknown sensors, lengths. */
        for (unsigned n = 0; n < 256; n++)
                if (n != 1 && n != 5 && n != 8) {
                        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, (uint8_t) n);
                        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
                        assert_int_equal(out.len, 0);
                }
        out = run(m, IPMI_CMD_GET_SENSOR_READING, NULL, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void test_thresholds(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        uint8_t unc = raw_of(m, 60), ucr = raw_of(m, 85), lcr = raw_of(m, -10);

        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 7);
        assert_memory_equal(out.data, ((uint8_t[]) { SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR,
                                                     0, lcr, 0, unc, ucr, 0xFF }), 7);

        /* Out of order: UNC above UCR, and LNC below LCR. Nothing changes. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, raw_of(m, 90), 0, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_LNC, raw_of(m, -20), 0, 0, 0, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, 0x40, 0, 0, 0, 0, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[4], unc);

        /* UNC 70 and a new UNR 100; other values in the request are ignored (mask). */
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC | SDR_THR_UNR,
                  0x11, 0x22, 0x33, raw_of(m, 70), 0x44, raw_of(m, 100));
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR |
                                                     SDR_THR_UNR, 0, lcr, 0, raw_of(m, 70), ucr,
                                                     raw_of(m, 100) }), 7);

        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 2, SDR_THR_UNC, 0, 0, 0, 1, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, 1, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 9);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
}

static void test_hysteresis(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1, 0xFF);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        assert_memory_equal(out.data, ((uint8_t[]) { 2, 2 }), 2);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 5, 3);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 5, 3 }), 2);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 5, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 0, 0 }), 2);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 3, 0xFF, 5, 3);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 5);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

/* Events the sensors generate, captured instead of sent. */
static struct platform_event events[32];
static size_t n_events;

static void capture_event(void *userdata, const struct platform_event *ev) {
        assert_true(n_events < ELEMENTSOF(events));
        events[n_events++] = *ev;
}

static void expect_event(size_t i, bool deassertion, uint8_t offset, uint8_t reading,
                         uint8_t threshold) {
        assert_true(i < n_events);
        assert_int_equal(events[i].sensor_type, 0x01);
        assert_int_equal(events[i].sensor_number, 1);
        assert_int_equal(events[i].event_type, EVENT_TYPE_THRESHOLD);
        assert_int_equal(events[i].deassertion, deassertion);
        assert_int_equal(events[i].offset, offset);
        assert_int_equal(events[i].data2, reading);
        assert_int_equal(events[i].data3, threshold);
}

static void test_events_generated(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        uint8_t unc = raw_of(m, 60), ucr = raw_of(m, 85), hot = raw_of(m, 90);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);

        /* Normal, then a jump past UNC and UCR: two assertions, less severe first. */
        sensor_set_reading(sn, true, raw_of(m, 25));
        assert_int_equal(n_events, 0);
        sensor_set_reading(sn, true, hot);
        assert_int_equal(n_events, 2);
        expect_event(0, false, 7, hot, unc);
        expect_event(1, false, 9, hot, ucr);
        /* The same reading again: nothing new. Unavailable: no deassertion either. */
        sensor_set_reading(sn, true, hot);
        sensor_set_reading(sn, false, 0);
        assert_int_equal(n_events, 2);

        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xE0, 0x80, 0x02, 0, 0 }), 5);

        /* Back to normal: deassertions, most severe first. */
        sensor_set_reading(sn, true, raw_of(m, 25));
        assert_int_equal(n_events, 4);
        expect_event(2, true, 9, raw_of(m, 25), ucr);
        expect_event(3, true, 7, raw_of(m, 25), unc);

        /* Hysteresis (2 raw steps): down to UNC - 2 keeps it asserted, no new event. */
        sensor_set_reading(sn, true, unc);
        sensor_set_reading(sn, true, (uint8_t) (unc - 2));
        assert_int_equal(n_events, 5);
        sensor_set_reading(sn, true, (uint8_t) (unc - 3));
        assert_int_equal(n_events, 6);
        expect_event(4, false, 7, unc, unc);
        expect_event(5, true, 7, (uint8_t) (unc - 3), unc);

        /* Signed raw below LCR: offset 2 going low. */
        sensor_set_reading(sn, true, raw_of(m, -20));
        assert_int_equal(n_events, 7);
        expect_event(6, false, 2, raw_of(m, -20), raw_of(m, -10));
}

static void test_event_enables(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        uint8_t hot = raw_of(m, 90);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);

        /* The offsets of the thresholds with a value, both ways; no others. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x84, 0x02, 0x84, 0x02 }), 5);

        /* Disable the UCR assertion only (keep events and scanning on). */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xC0 | 0x20, 0x00, 0x02);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x84, 0x00, 0x84, 0x02 }), 5);
        sensor_set_reading(sn, true, hot);
        assert_int_equal(n_events, 1);
        assert_int_equal(events[0].offset, 7);

        /* Enabling "everything" with 0xFF bytes enables what exists. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xC0 | 0x10, 0xFF, 0xFF, 0xFF, 0xFF);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x84, 0x02, 0x84, 0x02 }), 5);

        /* Re-arm all: the asserted states (UNC, UCR) are reported again. */
        out = RUN(m, IPMI_CMD_REARM_SENSOR_EVENTS, 1, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(n_events, 3);
        assert_int_equal(events[1].offset, 7);
        assert_int_equal(events[2].offset, 9);
        assert_false(events[2].deassertion);
        /* Re-arm selected: only UCR. */
        out = RUN(m, IPMI_CMD_REARM_SENSOR_EVENTS, 1, 0x80, 0x00, 0x02, 0x00, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(n_events, 4);
        assert_int_equal(events[3].offset, 9);

        /* Event messages off for the sensor: the state still moves, nothing is reported. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0x40);
        assert_int_equal(out.cc, IPMI_CC_OK);
        sensor_set_reading(sn, true, raw_of(m, 25));
        assert_int_equal(n_events, 4);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[1], 0x40);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x40, 0, 0, 0, 0 }), 5);

        /* Scanning off shows in the flags. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0x80);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_int_equal(out.data[0], 0x80);
        assert_false(sn->scanning);
        /* ... and the reading it had is stale: "reading unavailable", byte 0 cleared, so a
         * BMC that looks only at bit 5 (OpenBMC's IpmbSensor) does not use it. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[1], 0x80 | 0x20);
        assert_int_equal(out.data[0], 0);
        /* Back on: unavailable until the next poll brings a reading. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xC0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[1], 0xC0 | 0x20);
        sensor_set_reading(sn, true, raw_of(m, 25));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[1], 0xC0);
        assert_int_equal(out.data[0], raw_of(m, 25));

        /* Hostile: reserved action 11b, unknown sensor, lengths. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xF0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 9, 0xC0);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xC0, 1, 2, 3, 4, 5);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_REARM_SENSOR_EVENTS, 1);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_REARM_SENSOR_EVENTS, 7, 0);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 2);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

/* Set/Get Event Receiver; a new receiver is sent the states asserted now. */
static void test_event_receiver(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);
        out = run(m, IPMI_CMD_GET_EVENT_RECEIVER, NULL, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x20, 0x00 }), 2);

        sensor_set_reading(sn, true, raw_of(m, 70));
        assert_int_equal(n_events, 1);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x22, 0x01);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(n_events, 2);
        assert_int_equal(events[1].offset, 7);
        out = run(m, IPMI_CMD_GET_EVENT_RECEIVER, NULL, 0);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x22, 0x01 }), 2);

        /* 0xFF disables: nothing re-sent, the sender takes nothing. */
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0xFF, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(n_events, 2);
        assert_false(event_sender_enabled(m->events));

        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x21, 0x00);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        /* Found by fuzz-dispatch: 0x00 is the general call address, not a receiver. */
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x00, 0x20);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x72, 0x00);   /* ourselves */
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        /* The I2C reserved ranges (ipmb_addr_is_node()) hold no receiver either. */
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x02, 0x00);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x0E, 0x00);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0xF0, 0x00);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0xFE, 0x00);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = run(m, IPMI_CMD_GET_EVENT_RECEIVER, NULL, 0);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xFF, 0x00 }), 2);
        out = RUN(m, IPMI_CMD_SET_EVENT_RECEIVER, 0x20);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_GET_EVENT_RECEIVER, 0x20);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

/* A presence sensor: states instead of a value, events with the offset alone. */
static void test_presence(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 8);
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        struct sdr_full_sensor s;
        struct sdr_header h;
        struct ipmi_msg_out out;
        uint16_t next;
        int n;

        n = sdr_repo_get(&repo, 4, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_true(n > 0);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(s.number, 8);
        assert_int_equal(s.sensor_type, 0x25);
        assert_int_equal(s.event_type, EVENT_TYPE_SENSOR_SPECIFIC);
        assert_int_equal(s.assert_mask, 0x0003);
        assert_int_equal(s.deassert_mask, 0x0003);
        assert_int_equal(s.reading_mask, 0x0003);
        assert_int_equal(s.capabilities & 0x3C, 0);     /* no thresholds, no hysteresis */

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);
        sensor_set_reading(sn, true, 1);
        assert_int_equal(n_events, 1);
        assert_int_equal(events[0].event_type, EVENT_TYPE_SENSOR_SPECIFIC);
        assert_int_equal(events[0].sensor_type, 0x25);
        assert_int_equal(events[0].sensor_number, 8);
        assert_int_equal(events[0].offset, 0);
        assert_false(events[0].deassertion);
        assert_int_equal(events[0].data2_kind, PLATFORM_EVENT_DATA_UNSPECIFIED);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 8);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0xC0, 0x01, 0x80 }), 4);

        /* Removed: "present" deasserts, "absent" asserts. */
        sensor_set_reading(sn, true, 0);
        assert_int_equal(n_events, 3);
        assert_true(events[1].deassertion);
        assert_int_equal(events[1].offset, 0);
        assert_false(events[2].deassertion);
        assert_int_equal(events[2].offset, 1);
        /* Asserted now: absent; deasserted since: present. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 8);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x02, 0x00, 0x01, 0x00 }), 5);

        /* No thresholds or hysteresis to get or set. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 8);
        assert_int_equal(out.cc, IPMI_CC_ILLEGAL_FOR_SENSOR);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 8, 0x08, 0, 0, 0, 5, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_ILLEGAL_FOR_SENSOR);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 8, 0xFF);
        assert_int_equal(out.cc, IPMI_CC_ILLEGAL_FOR_SENSOR);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 8, 0xFF, 1, 1);
        assert_int_equal(out.cc, IPMI_CC_ILLEGAL_FOR_SENSOR);
}

/* Set Sensor Thresholds rewrites the sensor's SDR: Get Device SDR sees the new value. */
static void test_thresholds_update_sdr(void **state) {
        struct manager *m = *state;
        uint8_t unc = raw_of(m, 50), rec[SDR_FULL_SENSOR_MAX];
        uint32_t generation = sdr_repository_generation(m->sdr);
        struct sdr_full_sensor s;
        struct sdr_header h;
        struct sdr_repo repo;
        struct ipmi_msg_out out;
        uint16_t next;
        int n;

        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, unc, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 4, 3);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_true(sdr_repository_generation(m->sdr) != generation);

        repo = sdr_repository_records(m->sdr);
        n = sdr_repo_get(&repo, 2, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_true(n > 0);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(h.record_id, 2);
        assert_int_equal(s.unc, unc);
        assert_int_equal(s.ucr, raw_of(m, 85));
        assert_int_equal(s.hysteresis_pos, 4);
        assert_int_equal(s.hysteresis_neg, 3);
        /* Events per threshold, enabled at start. */
        assert_int_equal(s.capabilities & 0x03, SDR_CAP_EVENTS_PER_THRESHOLD);
        assert_true(s.init & SDR_INIT_EVENTS_ENABLED);
        assert_int_equal(s.assert_mask & 0x0FFF, EV_CONFIGURED);
        assert_int_equal(s.deassert_mask & 0x0FFF, EV_CONFIGURED);
        /* A threshold given a value: readable, generating events, enabled like the others. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNR, 0, 0, 0, 0, 0, raw_of(m, 100));
        assert_int_equal(out.cc, IPMI_CC_OK);
        repo = sdr_repository_records(m->sdr);
        n = sdr_repo_get(&repo, 2, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(s.unr, raw_of(m, 100));
        assert_int_equal(s.reading_mask & 0x3F, SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR | SDR_THR_UNR);
        assert_int_equal(s.assert_mask & 0x0FFF, EV_CONFIGURED | 1u << 11);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x84, 0x0A, 0x84, 0x0A }), 5);
}

/* With a state directory, a change is on disk before the answer and read back at start. */
static void test_persisted(void **state) {
        struct manager *m = *state, *m2;
        struct ipmi_msg_out out;
        uint8_t unc = raw_of(m, 70);

        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, unc, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 5, 0xFF, 7, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);

        m2 = new_manager();
        out = RUN(m2, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[4], raw_of(m, 60));   /* not started: the configured value */
        assert_int_equal(state_dir_open(dir, &m2->state), 0);
        assert_int_equal(sensor_table_start(m2->sensors, m2->event, m2->state, &m2->sensor_hw), 0);
        out = RUN(m2, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[0], SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR);
        assert_int_equal(out.data[4], unc);
        out = RUN(m2, IPMI_CMD_GET_SENSOR_HYSTERESIS, 5, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 7, 1 }), 2);
        manager_free(m2);
}

/* sensors.state holds each value as the shortest decimal that reads back as the same double:
 * 60.1, not 60.100000000000001 (%.17g), and the file still loads back to the same raw values. */
static void test_saved_values_shortest(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        char path[128];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;

        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 7, 2);
        assert_int_equal(out.cc, IPMI_CC_OK);

        snprintf(path, sizeof(path), "%s/sensors.state", dir);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_int_not_equal(getdelim(&text, &len, '\0', f), -1);
        fclose(f);
        /* LCR raw 46 = -40 + 46 * 0.65 (-10.1 in double arithmetic, shortest "-10.1" would be
         * wrong if it did not read back: it is checked below by the reload). */
        assert_string_equal(text, "# satmcd sensor thresholds: N LNC LCR LNR UNC UCR UNR HYST+ HYST-\n"
                                  "0 none -10.1 none 60.1 84.8 none 4.55 1.3\n"
                                  "4 none none none none none none 0 0\n"
                                  "7 none none none none none none 0 0\n");

        /* What was written loads back to the same raw values. */
        manager_free(m);
        *state = m = new_manager();
        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        assert_int_equal(sensor_table_state_lines_ignored(m->sensors), 0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 7, 2 }), 2);
        assert_int_equal(unlink(path), 0);
}

/* A Set Sensor Thresholds/Hysteresis that cannot be persisted answers 0xFF and changes nothing:
 * not the values, not the SDR, not what a restart would load. */
static void test_save_fails_nothing_changes(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        uint8_t before[7];
        _cleanup_free_ uint8_t *sdr_before = NULL;
        struct sdr_repo recs;
        char sub[128], tmp[160], inner[192];
        FILE *f;

        snprintf(sub, sizeof(sub), "%s/state", dir);
        assert_int_equal(state_dir_open(sub, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        memcpy(before, out.data, 7);
        recs = sdr_repository_records(m->sdr);
        sdr_before = malloc(recs.len);
        assert_non_null(sdr_before);
        memcpy(sdr_before, recs.buf, recs.len);

        /* A non-empty directory where the new copy gets its name: every save fails (EISDIR). */
        snprintf(tmp, sizeof(tmp), "%s/sensors.state.tmp", sub);
        snprintf(inner, sizeof(inner), "%s/keep", tmp);
        assert_int_equal(mkdir(tmp, 0700), 0);
        f = fopen(inner, "we");
        assert_non_null(f);
        fclose(f);

        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, raw_of(m, 70), 0, 0);
        assert_int_equal(out.cc, IPMI_CC_UNSPECIFIED);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_memory_equal(out.data, before, 7);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 9, 9);
        assert_int_equal(out.cc, IPMI_CC_UNSPECIFIED);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 2, 2 }), 2);
        recs = sdr_repository_records(m->sdr);
        assert_memory_equal(recs.buf, sdr_before, recs.len);
        assert_int_equal(unlink(inner), 0);
        assert_int_equal(rmdir(tmp), 0);

        /* With the way clear, the same requests succeed. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, raw_of(m, 70), 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 1, 0xFF, 9, 9);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_HYSTERESIS, 1, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 9, 9 }), 2);
        assert_int_equal(unlink(strcat(sub, "/sensors.state")), 0);
        *strrchr(sub, '/') = '\0';
        assert_int_equal(rmdir(sub), 0);
}

static struct ipmi_msg_out self_test(struct manager *m) {
        struct ipmi_msg_out out = rig_run(m, IPMI_NETFN_APP, 0, IPMI_CMD_GET_SELF_TEST_RESULTS,
                                          NULL, 0, 24);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        return out;
}

static void write_sensors_state(const char *text) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/sensors.state", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* Lines of sensors.state dropped at start (not a threshold line; a threshold outside the range
 * now) are reported by Get Self Test Results, 0x57 bit 6, until the thresholds are saved anew;
 * the valid lines are applied. A comment or a sensor no longer configured is not a problem. */
static void test_self_test_reports_ignored_state(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        write_sensors_state("# a comment\n"
                            "0 none -10 none 70 85 none 1.3 1.3\n"
                            "9 none none none none none none 0 0\n");
        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        assert_int_equal(sensor_table_state_lines_ignored(m->sensors), 0);
        out = self_test(m);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x55, 0x00 }), 2);
        manager_free(m);

        write_sensors_state("0 none -10 none 70 85 none 1.3 1.3\n"
                            "4 this is not a threshold line\n"
                            "4 none none none 500000 none none 0 0\n");
        *state = m = new_manager();
        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        assert_int_equal(sensor_table_state_lines_ignored(m->sensors), 2);
        out = self_test(m);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x57, IPMI_SELFTEST_SDR_INACCESSIBLE }), 2);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[4], raw_of(m, 70));   /* the valid line was applied */

        /* A save writes what is in effect: nothing stored is ignored any more. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 5, 0xFF, 3, 3);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = self_test(m);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x55, 0x00 }), 2);
}

/* A reload replaces the set: UNC removed, UCR moved, LCR kept. The removed threshold is not
 * readable, its events are off, and a reading above it asserts nothing of it. */
static void test_replace_thresholds(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        uint8_t raw[6] = { 0 }, lcr = raw_of(m, -10), ucr = raw_of(m, 90);
        struct ipmi_msg_out out;

        raw[SENSOR_THR_LCR] = lcr;
        raw[SENSOR_THR_UCR] = ucr;
        assert_int_equal(sensor_replace_thresholds(m->sensors, sn, SDR_THR_LCR | SDR_THR_UCR, raw),
                         0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { SDR_THR_LCR | SDR_THR_UCR, 0, lcr, 0, 0xFF,
                                                     ucr, 0xFF }), 7);
        /* LCR going low (2) and UCR going high (9) only: UNC going high (7) is gone. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x04, 0x02, 0x04, 0x02 }), 5);
        sensor_set_reading(sn, true, raw_of(m, 70));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[2] & 0x3F, 0);

        /* Out of order is refused and changes nothing. */
        raw[SENSOR_THR_LCR] = raw_of(m, 100);
        assert_int_equal(sensor_replace_thresholds(m->sensors, sn, SDR_THR_LCR | SDR_THR_UCR, raw),
                         -EINVAL);
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[2], lcr);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reading, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thresholds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace_thresholds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hysteresis, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events_generated, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_enables, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_receiver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thresholds_update_sdr, setup, teardown),
                cmocka_unit_test_setup_teardown(test_presence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persisted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_saved_values_shortest, setup, teardown),
                cmocka_unit_test_setup_teardown(test_save_fails_nothing_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_self_test_reports_ignored_state, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
