/* SPDX-License-Identifier: MIT */
/*
 * The threshold sensor commands through the real dispatcher, with readings injected by
 * sensor_set_reading() instead of files: Get Sensor Reading (flags, unavailable, threshold
 * status with hysteresis), Get/Set Sensor Thresholds (order, unknown sensor, lengths), Get/Set
 * Sensor Hysteresis, the Full Sensor Records in the SDR repository, and thresholds persisted
 * in the state directory across a new Manager.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "daemon/sensors.h"
#include "protocol/ipmi.h"
#include "protocol/sdr.h"

static char dir[64];

/* -40..125 degrees C: signed raw, M 65, B 43 * 10^2, Rexp -2: raw 0 = 43, step 0.65. */
#define SENSORS \
        "[sensor.0]\nname = Board Temp\ntype = temperature\nrange = -40..125\n" \
        "lower-critical = -10\nupper-non-critical = 60\nupper-critical = 85\nhysteresis = 1.3\n" \
        "[sensor.4]\nname = Fan 1\ntype = fan\nrange = 0..20000\n"

static Manager *new_manager(void) {
        struct satmc_config *c = NULL;
        Manager *m = NULL;
        char *text = NULL;
        FILE *in;

        assert_true(asprintf(&text,
                             "[mc]\naddress = 0x72\n"
                             "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\n"
                             "product-id = 2\nguid = 01234567-89ab-cdef-0011-223344556677\n"
                             "[storage]\nstate-directory = %s\n" SENSORS, dir) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "mem.ini", NULL, &c), 0);
        fclose(in);
        free(text);
        assert_int_equal(manager_new(c, &m), 0);
        return m;
}

static int setup(void **state) {
        snprintf(dir, sizeof(dir), "/tmp/satmc-sensor-handlers-XXXXXX");
        assert_non_null(mkdtemp(dir));
        *state = new_manager();
        return 0;
}

static int teardown(void **state) {
        DIR *d;
        struct dirent *de;

        manager_free(*state);
        d = opendir(dir);
        if (d) {
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        (void) rmdir(dir);
        return 0;
}

static uint8_t buf[IPMI_MAX_DATA_LEN];

static struct ipmi_msg_out run(Manager *m, uint8_t cmd, const uint8_t *data, size_t len) {
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = cmd, .data = data,
                                  .len = len };
        struct ipmi_msg_out out = { .data = buf, .cap = 24, .cc = 0x42, .len = 99 };

        memset(buf, 0xAA, sizeof(buf));
        dispatch_request(m, &in, &out);
        return out;
}

#define RUN(m, cmd, ...) \
        run(m, cmd, (const uint8_t[]) { __VA_ARGS__ }, sizeof((const uint8_t[]) { __VA_ARGS__ }))

static uint8_t raw_of(Manager *m, double v) {
        uint8_t raw;

        assert_int_equal(sensor_linear_to_raw(&sensor_set_find(m->sensors, 1)->linear, v, &raw), 0);
        return raw;
}

static void test_records(void **state) {
        Manager *m = *state;
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        struct sdr_full_sensor s;
        struct sdr_header h;
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        uint16_t next;
        int n;

        /* MC locator, then the two sensors as records 2 and 3. */
        assert_int_equal(sdr_repository_count(m->sdr), 3);
        assert_int_equal(sdr_repository_sensor_count(m->sdr), 2);
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
        assert_int_equal(s.linear.b, 43);
        assert_int_equal(s.linear.b_exp, 2);
        assert_int_equal(s.linear.r_exp, -2);
        assert_true(s.linear.is_signed);
        assert_int_equal(s.unc, raw_of(m, 60));
        assert_int_equal(s.ucr, raw_of(m, 85));
        assert_int_equal(s.lcr, raw_of(m, -10));
        assert_int_equal(s.hysteresis_pos, 2);
        assert_int_equal(s.hysteresis_neg, 2);
        assert_string_equal(s.id, "Board Temp");

        n = sdr_repo_get(&repo, 3, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, &h, &s), n);
        assert_int_equal(next, SDR_RECORD_ID_LAST);
        assert_int_equal(s.number, 5);          /* [sensor.4] */
        assert_int_equal(s.sensor_type, 0x04);
        assert_int_equal(s.base_unit, 0x12);
        assert_false(s.linear.is_signed);
}

static void test_reading(void **state) {
        Manager *m = *state;
        struct sensor *sn = sensor_set_find(m->sensors, 1);
        struct ipmi_msg_out out;

        /* Never read: unavailable, scanning enabled, no status. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 4);
        assert_int_equal(out.data[1], 0x40 | 0x20);
        assert_int_equal(out.data[2] & 0x3F, 0);

        sensor_set_reading(sn, true, raw_of(m, 42.5));
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[0], raw_of(m, 42.5));
        assert_int_equal(out.data[1], 0x40);
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
        assert_int_equal(out.data[1], 0x60);
        assert_int_equal(out.data[2] & 0x3F, 0);

        /* Unknown sensors, lengths. */
        for (unsigned n = 0; n < 256; n++)
                if (n != 1 && n != 5) {
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
        Manager *m = *state;
        struct ipmi_msg_out out;
        uint8_t unc = raw_of(m, 60), ucr = raw_of(m, 85), lcr = raw_of(m, -10);

        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 7);
        assert_memory_equal(out.data, ((uint8_t[]) { SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR,
                                                     0, lcr, 0, unc, ucr, 0 }), 7);

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
        Manager *m = *state;
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

static void test_event_queries(void **state) {
        Manager *m = *state;
        struct ipmi_msg_out out;

        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x40, 0, 0, 0, 0 }), 5);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x60, 0, 0, 0, 0 }), 5);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 2);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
}

/* With a state directory, a change is on disk before the answer and read back at start. */
static void test_persisted(void **state) {
        Manager *m = *state, *m2;
        struct ipmi_msg_out out;
        uint8_t unc = raw_of(m, 70);

        assert_int_equal(sensor_set_start(m->sensors, m->event, dir), 0);
        out = RUN(m, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, unc, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_SET_SENSOR_HYSTERESIS, 5, 0xFF, 7, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);

        m2 = new_manager();
        out = RUN(m2, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[4], raw_of(m, 60));   /* not started: the configured value */
        assert_int_equal(sensor_set_start(m2->sensors, m2->event, dir), 0);
        out = RUN(m2, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[0], SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR);
        assert_int_equal(out.data[4], unc);
        out = RUN(m2, IPMI_CMD_GET_SENSOR_HYSTERESIS, 5, 0xFF);
        assert_memory_equal(out.data, ((uint8_t[]) { 7, 1 }), 2);
        manager_free(m2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reading, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thresholds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hysteresis, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_queries, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persisted, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
