/* SPDX-License-Identifier: MIT */
/*
 * SDR control through the real dispatcher: entities in the sensor records and in the MC and FRU
 * locators, sensors addressed by (LUN, number) and the LUN rule of dispatch, Get Device SDR
 * Info per LUN, nominal and normal readings, per-threshold assertion/deassertion event masks,
 * read-only thresholds, the generator LUN of events, thresholds persisted across a change of
 * number and LUN, and 255 sensors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * A PSU: its FRU and the MC are power supply 10.1 / power unit 19.2. "PSU Temp" [sensor.0]
 * is number 1 on LUN 0 with nominal and normal readings, events only for UCR (assertion) and
 * UNC/UCR (deassertion), only UNC settable; "PSU Vin" is number 200 on LUN 1 with read-only
 * thresholds; "PSU Fan" is number 200 on LUN 0: the same number on another LUN.
 */
#define PSU \
        "[mc]\nentity = power-unit\nentity-instance = 2\n" \
        "[fru.0]\nboard-product-name = PSU 750W\nentity = power-supply\nentity-instance = 1\n" \
        "[sensor.0]\nname = PSU Temp\ntype = temperature\nrange = -40..125\n" \
        "entity = power-supply\nentity-instance = 1\n" \
        "nominal = 40\nnormal-min = 10\nnormal-max = 70\n" \
        "lower-critical = -10\nupper-non-critical = 60\nupper-critical = 85\n" \
        "assertion-events = ucr\ndeassertion-events = upper-non-critical, ucr\n" \
        "settable-thresholds = unc\n" \
        "[sensor.1]\nname = PSU Vin\ntype = voltage\nrange = 0..300\nnumber = 200\nlun = 1\n" \
        "entity = 10\nentity-instance = 1\nupper-critical = 264\nsettable-thresholds = none\n" \
        "[sensor.2]\nname = PSU Fan\ntype = fan\nrange = 0..20000\nnumber = 200\n"

static struct manager *new_manager(const char *sections) {
        return rig_manager_new(dir, sections);
}

static int setup(void **state) {
        rig_make_dir(dir, "satmc-sensor-sdr");
        *state = new_manager(PSU);
        return 0;
}

static int teardown(void **state) {
        rig_free(*state, dir);
        return 0;
}

static struct ipmi_msg_out run(struct manager *m, uint8_t netfn, uint8_t lun, uint8_t cmd,
                               const uint8_t *data, size_t len) {
        return rig_run(m, netfn, lun, cmd, data, len, 24);
}

/* A Sensor/Event command on a LUN. */
#define SE(m, lun, cmd, ...) \
        run(m, IPMI_NETFN_SENSOR_EVENT, lun, cmd, (const uint8_t[]) { __VA_ARGS__ }, \
            sizeof((const uint8_t[]) { __VA_ARGS__ }))

static struct sensor *find(struct manager *m, uint8_t lun, uint8_t number) {
        struct sensor *sn = sensor_table_find(m->sensors, lun, number);

        assert_non_null(sn);
        return sn;
}

static uint8_t raw_of(const struct sensor *sn, double v) {
        uint8_t raw;

        assert_int_equal(sensor_linear_to_raw(&sn->linear, v, &raw), 0);
        return raw;
}

/* Record record_id of the repository, whole. */
static int record(struct manager *m, uint16_t record_id, uint8_t rec[static SDR_FULL_SENSOR_MAX]) {
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint16_t next;
        int n = sdr_repo_get(&repo, record_id, 0, SDR_READ_WHOLE, rec, SDR_FULL_SENSOR_MAX, &next);

        assert_true(n > 0);
        return n;
}

static void test_locator_entities(void **state) {
        struct manager *m = *state;
        uint8_t rec[SDR_FULL_SENSOR_MAX];

        /* Record 1: the MC locator, entity bytes at offsets 12 and 13. */
        record(m, 1, rec);
        assert_int_equal(rec[3], SDR_TYPE_MC_LOCATOR);
        assert_int_equal(rec[12], 0x13);
        assert_int_equal(rec[13], 2);
        /* Record 2: the FRU locator of [fru.0]. */
        record(m, 2, rec);
        assert_int_equal(rec[3], SDR_TYPE_FRU_LOCATOR);
        assert_int_equal(rec[12], 0x0A);
        assert_int_equal(rec[13], 1);
}

/* The defaults are what every locator and sensor was before the keys existed: 7.0, and a FRU
 * locator's instance its FRU device ID. */
static void test_default_entities(void **state) {
        struct manager *m = new_manager("[fru.3]\nboard-product-name = Board\n"
                                        "[sensor.0]\ntype = temperature\n");
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        struct sdr_full_sensor s;
        int n;

        record(m, 1, rec);
        assert_int_equal(rec[12], IPMI_ENTITY_SYSTEM_BOARD);
        assert_int_equal(rec[13], 0);
        record(m, 2, rec);
        assert_int_equal(rec[12], IPMI_ENTITY_SYSTEM_BOARD);
        assert_int_equal(rec[13], 3);
        n = record(m, 3, rec);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, NULL, &s), n);
        assert_int_equal(s.entity_id, IPMI_ENTITY_SYSTEM_BOARD);
        assert_int_equal(s.entity_instance, 0);
        assert_int_equal(s.number, 1);
        assert_int_equal(s.owner_lun, 0);
        assert_int_equal(s.analog_flags, 0);
        /* All thresholds settable, as before. */
        assert_int_equal(s.capabilities & 0x0C, SDR_CAP_THRESHOLDS(SDR_ACCESS_SETTABLE));
        assert_int_equal(s.reading_mask >> 8, SDR_THR_ALL);
        manager_free(m);
}

static void test_sensor_records(void **state) {
        struct manager *m = *state;
        struct sensor *temp = find(m, 0, 1);
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        struct sdr_full_sensor s;
        int n;

        /* MC, FRU, then the sensors in section order. */
        n = record(m, 3, rec);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, NULL, &s), n);
        assert_string_equal(s.id, "PSU Temp");
        assert_int_equal(s.owner_lun, 0);
        assert_int_equal(s.number, 1);
        assert_int_equal(s.entity_id, 0x0A);
        assert_int_equal(s.entity_instance, 1);
        assert_int_equal(s.analog_flags, SDR_ANALOG_NOMINAL | SDR_ANALOG_NORMAL_MAX |
                                         SDR_ANALOG_NORMAL_MIN);
        assert_int_equal(s.nominal, raw_of(temp, 40));
        assert_int_equal(s.normal_min, raw_of(temp, 10));
        assert_int_equal(s.normal_max, raw_of(temp, 70));
        /* Readable: the three with values; settable: UNC only. Assertion events: UCR going
         * high (offset 9); deassertion: UNC (7) and UCR (9) going high. */
        assert_int_equal(s.reading_mask, (SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR) |
                                         SDR_THR_UNC << 8);
        assert_int_equal(s.assert_mask, 1u << 9 | SDR_THR_LCR << 12);
        assert_int_equal(s.deassert_mask, (1u << 7 | 1u << 9) |
                                          (SDR_THR_UNC | SDR_THR_UCR) >> 3 << 12);
        assert_int_equal(s.capabilities & 0x0C, SDR_CAP_THRESHOLDS(SDR_ACCESS_SETTABLE));

        n = record(m, 4, rec);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, NULL, &s), n);
        assert_string_equal(s.id, "PSU Vin");
        assert_int_equal(s.owner_lun, 1);
        assert_int_equal(s.number, 200);
        assert_int_equal(s.entity_id, 0x0A);
        assert_int_equal(s.analog_flags, 0);
        /* Read-only thresholds: "readable" access, nothing settable. */
        assert_int_equal(s.capabilities & 0x0C, SDR_CAP_THRESHOLDS(SDR_ACCESS_READABLE));
        assert_int_equal(s.reading_mask, SDR_THR_UCR);

        n = record(m, 5, rec);
        assert_int_equal(sdr_parse_full_sensor(rec, (size_t) n, NULL, &s), n);
        assert_string_equal(s.id, "PSU Fan");
        assert_int_equal(s.owner_lun, 0);
        assert_int_equal(s.number, 200);
}

/* Sensor commands find a sensor by the LUN they were sent to; other commands stay on LUN 0. */
static void test_luns(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        sensor_set_reading(find(m, 1, 200), true, 0x11);
        sensor_set_reading(find(m, 0, 200), true, 0x22);
        out = SE(m, 1, IPMI_CMD_GET_SENSOR_READING, 200);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], 0x11);
        out = SE(m, 0, IPMI_CMD_GET_SENSOR_READING, 200);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], 0x22);
        /* Number 1 lives on LUN 0 only. */
        out = SE(m, 1, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        /* LUN 3 has no sensors, LUN 2 never: invalid for the LUN, before any handler. */
        out = SE(m, 3, IPMI_CMD_GET_SENSOR_READING, 200);
        assert_int_equal(out.cc, IPMI_CC_INVALID_FOR_LUN);
        out = SE(m, 2, IPMI_CMD_GET_SENSOR_READING, 200);
        assert_int_equal(out.cc, IPMI_CC_INVALID_FOR_LUN);
        /* Another netFn on a LUN with sensors: still 0xC2. */
        out = run(m, IPMI_NETFN_APP, 1, IPMI_CMD_GET_DEVICE_ID, NULL, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_FOR_LUN);
        out = run(m, IPMI_NETFN_APP, 0, IPMI_CMD_GET_DEVICE_ID, NULL, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
}

/* 35.2: the sensor count of the LUN addressed, the LUNs with sensors in the flags. */
static void test_device_sdr_info(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        out = run(m, IPMI_NETFN_SENSOR_EVENT, 0, IPMI_CMD_GET_DEVICE_SDR_INFO, NULL, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        assert_memory_equal(out.data, ((uint8_t[]) { 2, 0x03 }), 2);
        out = SE(m, 1, IPMI_CMD_GET_DEVICE_SDR_INFO, 0);
        assert_memory_equal(out.data, ((uint8_t[]) { 1, 0x03 }), 2);
        /* Bit 0: the SDR count, the whole repository's on any LUN. */
        out = SE(m, 1, IPMI_CMD_GET_DEVICE_SDR_INFO, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 5, 0x03 }), 2);
        out = SE(m, 3, IPMI_CMD_GET_DEVICE_SDR_INFO, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_FOR_LUN);
}

/* Set Sensor Thresholds on a threshold that is not settable: 0xCC, nothing changes. */
static void test_read_only_thresholds(void **state) {
        struct manager *m = *state;
        struct sensor *temp = find(m, 0, 1), *vin = find(m, 1, 200);
        uint8_t ucr = raw_of(vin, 264), new_ucr = raw_of(vin, 250);
        struct ipmi_msg_out out;

        out = SE(m, 1, IPMI_CMD_SET_SENSOR_THRESHOLDS, 200, SDR_THR_UCR, 0, 0, 0, 0, new_ucr, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = SE(m, 1, IPMI_CMD_GET_SENSOR_THRESHOLDS, 200);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], SDR_THR_UCR);
        assert_int_equal(out.data[5], ucr);

        /* UNC is settable, LCR is not: a mask naming both is refused whole. */
        out = SE(m, 0, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC | SDR_THR_LCR, 0,
                 raw_of(temp, -20), 0, raw_of(temp, 55), 0, 0);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        out = SE(m, 0, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[2], raw_of(temp, -10));
        assert_int_equal(out.data[4], raw_of(temp, 60));
        out = SE(m, 0, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, raw_of(temp, 55),
                 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = SE(m, 0, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.data[4], raw_of(temp, 55));
}

static struct platform_event events[16];
static size_t n_events;

static void capture_event(void *userdata, const struct platform_event *ev) {
        assert_true(n_events < ELEMENTSOF(events));
        events[n_events++] = *ev;
}

/* Event enables start from the SDR's masks and cannot go beyond them; only those events are
 * generated. */
static void test_event_masks(void **state) {
        struct manager *m = *state;
        struct sensor *temp = find(m, 0, 1);
        struct ipmi_msg_out out;

        out = SE(m, 0, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x00, 0x02, 0x80, 0x02 }), 5);
        /* Enable everything: what the masks allow is what there is. */
        out = SE(m, 0, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xC0 | 0x10, 0xFF, 0x7F, 0xFF, 0x7F);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = SE(m, 0, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x00, 0x02, 0x80, 0x02 }), 5);

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);
        sensor_set_reading(temp, true, raw_of(temp, 25));
        sensor_set_reading(temp, true, raw_of(temp, 90));       /* past UNC and UCR */
        assert_int_equal(n_events, 1);
        assert_false(events[0].deassertion);
        assert_int_equal(events[0].offset, 9);
        sensor_set_reading(temp, true, raw_of(temp, 25));       /* back: both deassert */
        assert_int_equal(n_events, 3);
        assert_true(events[1].deassertion);
        assert_int_equal(events[1].offset, 9);
        assert_true(events[2].deassertion);
        assert_int_equal(events[2].offset, 7);
        sensor_set_reading(temp, true, raw_of(temp, -20));      /* below LCR: no event there */
        assert_int_equal(n_events, 3);
}

/* A sensor on LUN 1 reports from LUN 1 (the generator ID is rqSA and rqLUN). */
static void test_event_generator_lun(void **state) {
        struct manager *m = *state;
        struct sensor *vin = find(m, 1, 200);

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);
        sensor_set_reading(vin, true, raw_of(vin, 230));
        sensor_set_reading(vin, true, raw_of(vin, 280));
        assert_int_equal(n_events, 1);
        assert_int_equal(events[0].sensor_number, 200);
        assert_int_equal(events[0].generator_lun, 1);
        assert_int_equal(events[0].offset, 9);
}

/* sensors.state keys a sensor by its section, so a new number and LUN keep its thresholds. */
static void test_persisted_across_renumbering(void **state) {
        struct manager *m = *state, *m2;
        struct sensor *temp = find(m, 0, 1);
        uint8_t unc = raw_of(temp, 50);
        struct ipmi_msg_out out;

        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        out = SE(m, 0, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, unc, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);

        m2 = new_manager("[sensor.0]\nname = PSU Temp\ntype = temperature\nrange = -40..125\n"
                         "number = 9\nlun = 3\nupper-non-critical = 60\n");
        assert_int_equal(state_dir_open(dir, &m2->state), 0);
        assert_int_equal(sensor_table_start(m2->sensors, m2->event, m2->state, &m2->sensor_hw), 0);
        assert_int_equal(sensor_table_state_lines_ignored(m2->sensors), 0);
        out = SE(m2, 3, IPMI_CMD_GET_SENSOR_THRESHOLDS, 9);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[4], unc);
        manager_free(m2);
}

/* A threshold set over IPMI and saved, then made read-only in the configuration: the configured
 * value is what is served, not the saved one; the settable ones keep theirs. */
static void test_read_only_wins_over_saved(void **state) {
        struct manager *m = *state, *m2;
        struct sensor *temp = find(m, 0, 1);
        uint8_t unc = raw_of(temp, 50), ucr = raw_of(temp, 80);
        struct ipmi_msg_out out;

        assert_int_equal(state_dir_open(dir, &m->state), 0);
        assert_int_equal(sensor_table_start(m->sensors, m->event, m->state, &m->sensor_hw), 0);
        out = SE(m, 0, IPMI_CMD_SET_SENSOR_THRESHOLDS, 1, SDR_THR_UNC, 0, 0, 0, unc, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);

        m2 = new_manager("[sensor.0]\nname = PSU Temp\ntype = temperature\nrange = -40..125\n"
                         "number = 0x10\nupper-non-critical = 60\nupper-critical = 80\n"
                         "settable-thresholds = ucr\n");
        assert_int_equal(state_dir_open(dir, &m2->state), 0);
        assert_int_equal(sensor_table_start(m2->sensors, m2->event, m2->state, &m2->sensor_hw), 0);
        out = SE(m2, 0, IPMI_CMD_GET_SENSOR_THRESHOLDS, 0x10);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], SDR_THR_UNC | SDR_THR_UCR);
        assert_int_equal(out.data[4], raw_of(temp, 60));        /* configured, not 50 */
        /* UCR was saved as PSU's 85 and is settable here: the saved value holds. */
        assert_int_equal(out.data[5], raw_of(temp, 85));
        assert_int_not_equal(out.data[5], ucr);
        manager_free(m2);
}

/* 255 sensors: 254 numbers on LUN 0, the last section on LUN 1. */
static void test_255_sensors(void **state) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        struct manager *m;
        struct ipmi_msg_out out;

        assert_non_null(f);
        for (unsigned i = 0; i < CONFIG_SENSOR_MAX - 1; i++)
                fprintf(f, "[sensor.%u]\ntype = temperature\n", i);
        fprintf(f, "[sensor.254]\ntype = voltage\nnumber = 1\nlun = 1\n");
        assert_int_equal(fclose(f), 0);
        m = new_manager(text);
        free(text);

        assert_int_equal(sensor_table_count(m->sensors), 255);
        assert_int_equal(sdr_repository_count(m->sdr), 256);
        out = run(m, IPMI_NETFN_SENSOR_EVENT, 0, IPMI_CMD_GET_DEVICE_SDR_INFO, NULL, 0);
        assert_memory_equal(out.data, ((uint8_t[]) { 254, 0x03 }), 2);
        out = SE(m, 1, IPMI_CMD_GET_DEVICE_SDR_INFO, 0);
        assert_memory_equal(out.data, ((uint8_t[]) { 1, 0x03 }), 2);
        sensor_set_reading(find(m, 1, 1), true, 0x33);
        out = SE(m, 1, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], 0x33);
        out = SE(m, 0, IPMI_CMD_GET_SENSOR_READING, 254);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(find(m, 0, 254)->index, 253);
        manager_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_locator_entities, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_entities, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sensor_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_luns, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_sdr_info, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_thresholds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_masks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_generator_lun, setup, teardown),
                cmocka_unit_test_setup_teardown(test_persisted_across_renumbering, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_read_only_wins_over_saved, setup, teardown),
                cmocka_unit_test_setup_teardown(test_255_sensors, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
