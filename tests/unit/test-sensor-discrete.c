/* SPDX-License-Identifier: MIT */
/*
 * Discrete sensors through the real dispatcher: a Power Supply (08h) sensor whose states each
 * have a source, a generic digital sensor whose unread state is the opposite of the read one,
 * and a severity sensor: the Compact Sensor Records, events per state with the masks of the
 * configuration, Get Sensor Reading's state bytes, Get Sensor Event Status, Set Sensor Event
 * Enable per state, Re-arm, an unavailable reading; and the one-job read of all state sources
 * (sensor_states_read()) from files, with a failing source.
 */
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

#include "manager-rig.h"

#include "common/macro.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "daemon/sensor-discrete.h"
#include "daemon/sensors.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"
#include "protocol/sdr-compact.h"

static char dir[RIG_DIR_MAX];

/* Offsets of table 42-3, Power Supply: presence 0, failure 1, predictive failure 2, input
 * lost 3, configuration error 6. */
#define PSU_PRESENCE    (1u << 0)
#define PSU_FAILURE     (1u << 1)
#define PSU_PREDICTIVE  (1u << 2)
#define PSU_INPUT_LOST  (1u << 3)
#define PSU_CONFIG      (1u << 6)

static char sensors_text[2048];

static struct manager *new_manager(void) {
        snprintf(sensors_text, sizeof(sensors_text),
                 "[sensor.0]\nname = PSU1 Status\ntype = power-supply\n"
                 "state.presence = file:%s/present\nstate.failure = file:%s/failed\n"
                 "state.predictive-failure = file:%s/warn\nstate.input-lost = file:%s/ac_lost\n"
                 "state.configuration-error = file:%s/config\n"
                 /* No event when the supply's configuration error goes away. */
                 "deassertions = presence, failure, predictive-failure, input-lost\n"
                 "[sensor.1]\nname = Fan Tray Fault\ntype = fan\nreading-type = digital\n"
                 "state.asserted = file:%s/fan_fault\nassertions = asserted\n"
                 "[sensor.2]\nname = Board Health\ntype = module-board\nreading-type = severity\n"
                 "state.ok = file:%s/ok\nstate.critical-from-less-severe = file:%s/crit\n"
                 "[sensor.3]\nname = Temp\ntype = temperature\nrange = -40..125\n",
                 dir, dir, dir, dir, dir, dir, dir, dir);
        return rig_manager_new(dir, sensors_text);
}

static int setup(void **state) {
        rig_make_dir(dir, "satmc-sensor-discrete");
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

static struct platform_event events[32];
static size_t n_events;

static void capture_event(void *userdata, const struct platform_event *ev) {
        assert_true(n_events < ELEMENTSOF(events));
        events[n_events++] = *ev;
}

static void get_compact(struct manager *m, uint16_t id, struct sdr_compact_sensor *s) {
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint8_t rec[SDR_COMPACT_SENSOR_MAX];
        struct sdr_header h;
        uint16_t next;
        int n;

        n = sdr_repo_get(&repo, id, 0, SDR_READ_WHOLE, rec, sizeof(rec), &next);
        assert_true(n > 0);
        assert_int_equal(sdr_parse_compact_sensor(rec, (size_t) n, &h, s), n);
        assert_int_equal(h.type, SDR_TYPE_COMPACT_SENSOR);
}

static void test_records(void **state) {
        struct manager *m = *state;
        struct sdr_compact_sensor s;

        /* MC locator, then three Compact records and the threshold sensor's Full one. */
        assert_int_equal(sdr_repository_count(m->sdr), 5);
        assert_int_equal(sdr_repository_sensor_count(m->sdr, 0), 4);
        get_compact(m, 2, &s);
        assert_int_equal(s.owner_id, 0x72);
        assert_int_equal(s.number, 1);
        assert_int_equal(s.entity_id, 0x07);
        assert_int_equal(s.sensor_type, 0x08);
        assert_int_equal(s.event_type, 0x6F);
        assert_int_equal(s.reading_mask, PSU_PRESENCE | PSU_FAILURE | PSU_PREDICTIVE |
                                         PSU_INPUT_LOST | PSU_CONFIG);
        assert_int_equal(s.assert_mask, s.reading_mask);
        assert_int_equal(s.deassert_mask, s.reading_mask & ~PSU_CONFIG);
        assert_int_equal(s.capabilities, 0x40);         /* auto re-arm, per-state enables */
        assert_int_equal(s.init, 0x03);                 /* scanning and events enabled */
        assert_int_equal(s.share_count, 1);
        assert_string_equal(s.id, "PSU1 Status");

        /* Digital: "asserted" read, "deasserted" its opposite; only assertions send events. */
        get_compact(m, 3, &s);
        assert_int_equal(s.number, 2);
        assert_int_equal(s.sensor_type, 0x04);
        assert_int_equal(s.event_type, 0x03);
        assert_int_equal(s.reading_mask, 0x0003);
        assert_int_equal(s.assert_mask, 0x0002);
        assert_int_equal(s.deassert_mask, 0x0003);

        /* Severity: two states with sources, no opposites. */
        get_compact(m, 4, &s);
        assert_int_equal(s.sensor_type, 0x15);
        assert_int_equal(s.event_type, 0x07);
        assert_int_equal(s.reading_mask, 0x0005);
}

static void test_psu_events(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);

        /* Never read: unavailable, no state bits. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0xE0, 0x00, 0x80 }), 4);

        /* Present and AC lost: two assertion events, offsets rising. */
        sensor_set_states(sn, true, PSU_PRESENCE | PSU_INPUT_LOST);
        assert_int_equal(n_events, 2);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(events[i].sensor_type, 0x08);
                assert_int_equal(events[i].sensor_number, 1);
                assert_int_equal(events[i].event_type, 0x6F);
                assert_false(events[i].deassertion);
                assert_int_equal(events[i].data2_kind, PLATFORM_EVENT_DATA_UNSPECIFIED);
                assert_int_equal(events[i].data3_kind, PLATFORM_EVENT_DATA_UNSPECIFIED);
        }
        assert_int_equal(events[0].offset, 0);
        assert_int_equal(events[1].offset, 3);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0xC0, 0x09, 0x80 }), 4);

        /* AC back, then a configuration error that goes away: no deassertion for that one. */
        sensor_set_states(sn, true, PSU_PRESENCE | PSU_CONFIG);
        assert_int_equal(n_events, 4);
        assert_true(events[2].deassertion);
        assert_int_equal(events[2].offset, 3);
        assert_false(events[3].deassertion);
        assert_int_equal(events[3].offset, 6);
        sensor_set_states(sn, true, PSU_PRESENCE);
        assert_int_equal(n_events, 4);

        /* Event Status: presence asserted; input lost and configuration error went away. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 1);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x01, 0x00, 0x48, 0x00 }), 5);

        /* A failed source: unavailable, and no events (nothing is known to have changed). */
        sensor_set_states(sn, false, 0);
        assert_int_equal(n_events, 4);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0xE0, 0x00, 0x80 }), 4);
        sensor_set_states(sn, true, PSU_PRESENCE);
        assert_int_equal(n_events, 4);

        /* Re-arm: the asserted states again, and the latched deassertions cleared. */
        out = RUN(m, IPMI_CMD_REARM_SENSOR_EVENTS, 1, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(n_events, 5);
        assert_int_equal(events[4].offset, 0);
        assert_false(events[4].deassertion);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_STATUS, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x01, 0x00, 0x00, 0x00 }), 5);
}

static void test_enables_per_state(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);

        /* As configured: all five assert, four deassert. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x4F, 0x00, 0x0F, 0x00 }), 5);

        /* Disable failure assertions; enable offsets nobody has, and the configuration
         * error's deassertion that the record does not announce (both ignored). */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xE0, 0x02, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xD0, 0x30, 0x00, 0x40, 0x00);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x4D, 0x00, 0x0F, 0x00 }), 5);
        /* Enabled again as it was. */
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xD0, 0x02, 0x00);
        out = RUN(m, IPMI_CMD_GET_SENSOR_EVENT_ENABLE, 1);
        assert_memory_equal(out.data, ((uint8_t[]) { 0xC0, 0x4F, 0x00, 0x0F, 0x00 }), 5);
        out = RUN(m, IPMI_CMD_SET_SENSOR_EVENT_ENABLE, 1, 0xE0, 0x02, 0x00);

        sensor_set_states(sn, true, PSU_PRESENCE | PSU_FAILURE);
        assert_int_equal(n_events, 1);
        assert_int_equal(events[0].offset, 0);
        /* The state is reported all the same. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 1);
        assert_int_equal(out.data[2], 0x03);
        /* Its deassertion is still enabled. */
        sensor_set_states(sn, true, PSU_PRESENCE);
        assert_int_equal(n_events, 2);
        assert_int_equal(events[1].offset, 1);
        assert_true(events[1].deassertion);

        /* Threshold commands do not apply. */
        out = RUN(m, IPMI_CMD_GET_SENSOR_THRESHOLDS, 1);
        assert_int_equal(out.cc, IPMI_CC_ILLEGAL_FOR_SENSOR);
}

static void test_digital_opposite(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 2);
        struct ipmi_msg_out out;

        n_events = 0;
        sensor_table_on_event(m->sensors, capture_event, NULL);

        /* Source reads 0: "deasserted" (offset 0) holds; its assertion is not configured. */
        sensor_set_states(sn, true, 0);
        assert_int_equal(n_events, 0);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 2);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0xC0, 0x01, 0x80 }), 4);

        /* Fault: "asserted" asserts (event type 03h), "deasserted" deasserts. */
        sensor_set_states(sn, true, 0x2);
        assert_int_equal(n_events, 2);
        assert_true(events[0].deassertion);
        assert_int_equal(events[0].offset, 0);
        assert_int_equal(events[0].event_type, 0x03);
        assert_false(events[1].deassertion);
        assert_int_equal(events[1].offset, 1);
        assert_int_equal(events[1].sensor_type, 0x04);
        out = RUN(m, IPMI_CMD_GET_SENSOR_READING, 2);
        assert_int_equal(out.data[2], 0x02);
}

static void write_file(const char *name, const char *text) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

/* The worker's job: every state source of the sensor, in one call. */
static void test_states_read(void **state) {
        struct manager *m = *state;
        const struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        const struct sensor_states_config *st = sn->config->states;
        uint16_t states = 0xFFFF;
        unsigned failed = 99;
        char path[128];

        write_file("present", "1\n");
        write_file("failed", "0\n");
        write_file("warn", "0");
        write_file("ac_lost", "1");
        write_file("config", "0");
        assert_int_equal(sensor_states_read(NULL, st, &states, &failed), 0);
        assert_int_equal(states, PSU_PRESENCE | PSU_INPUT_LOST);
        assert_int_equal(failed, 99);

        /* One source fails: the whole read fails, naming that source. */
        write_file("warn", "not a number");
        assert_int_equal(sensor_states_read(NULL, st, &states, &failed), -EBADMSG);
        assert_int_equal(failed, 2);
        assert_string_equal(st->state[failed].name, "predictive-failure");
        write_file("warn", "0");
        snprintf(path, sizeof(path), "%s/config", dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(sensor_states_read(NULL, st, &states, &failed), -ENOENT);
        assert_int_equal(failed, 4);
}

/* events = no by reload: the Compact record's init flags follow (manager_sensor_changed()). */
static void test_record_follows_events_enable(void **state) {
        struct manager *m = *state;
        struct sensor *sn = sensor_table_find(m->sensors, 0, 1);
        struct sdr_compact_sensor s;

        m->config->sensor[sn->index].events = false;
        manager_sensor_changed(m, sn);
        get_compact(m, 2, &s);
        assert_int_equal(s.init, 0x01);                 /* scanning only */
        assert_string_equal(s.id, "PSU1 Status");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_psu_events, setup, teardown),
                cmocka_unit_test_setup_teardown(test_enables_per_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_digital_opposite, setup, teardown),
                cmocka_unit_test_setup_teardown(test_states_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_record_follows_events_enable, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
