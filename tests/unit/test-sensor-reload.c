/* SPDX-License-Identifier: MIT */
/*
 * A configuration reload that changes the thresholds or hysteresis of many sensors writes the
 * sensor state file once (sensor_table_reload()): each write is two fsync()s on the event loop,
 * and one per sensor held the loop for 77-432 ms with 22 sensors on a busy disk. If that one
 * write fails, no sensor changes: the file and what is in effect stay the same. The writes
 * are counted, and failed on demand, through -Wl,--wrap=state_dir_replace.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "manager-rig.h"

#include "common/state-dir.h"
#include "daemon/config.h"
#include "daemon/manager.h"
#include "daemon/sensors.h"
#include "protocol/ipmi.h"
#include "protocol/sdr.h"

#define SENSORS 4

static unsigned state_writes;
static int fail_state_writes;           /* -errno: state_dir_replace() of sensors.state fails */

int __real_state_dir_replace(struct state_dir *d, const char *name, const char *tmp_name,
                             const void *buf, size_t len);
int __wrap_state_dir_replace(struct state_dir *d, const char *name, const char *tmp_name,
                             const void *buf, size_t len);
int __wrap_state_dir_replace(struct state_dir *d, const char *name, const char *tmp_name,
                             const void *buf, size_t len) {
        if (strcmp(name, "sensors.state") == 0) {
                state_writes++;
                if (fail_state_writes)
                        return fail_state_writes;
        }
        return __real_state_dir_replace(d, name, tmp_name, buf, len);
}

struct rig {
        char dir[RIG_DIR_MAX];
        char path[RIG_DIR_MAX + 16];
        struct state_dir *state;        /* the sensors borrow it */
        struct manager *m;
};

/* A Manager on the file, its sensors started as manager_start() starts them: persisted in
 * the state directory. */
static void rig_start(struct rig *r) {
        struct satmc_config *c = NULL;

        assert_int_equal(config_load(r->path, stderr, &c), 0);
        assert_int_equal(manager_new(c, &r->m), 0);
        if (!r->state)
                assert_int_equal(state_dir_open(r->dir, &r->state), 0);
        assert_int_equal(sensor_table_start(r->m->sensors, r->m->event, r->state,
                                            &r->m->sensor_hw), 0);
}

/* The board: SENSORS temperature sensors, each with UNC unc and UCR 85, hysteresis hyst. */
static void write_config(struct rig *r, double unc, double hyst) {
        FILE *f = fopen(r->path, "we");

        assert_non_null(f);
        fprintf(f, "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.00\n"
                "manufacturer-id = 1\nproduct-id = 2\nguid = 01234567-89ab-cdef-0011-223344556677\n"
                "[storage]\nstate-directory = %s\n", r->dir);
        for (unsigned i = 0; i < SENSORS; i++)
                fprintf(f, "[sensor.%u]\nname = Temp %u\ntype = temperature\nrange = -40..125\n"
                        "upper-non-critical = %g\nupper-critical = 85\nhysteresis = %g\n",
                        i, i, unc, hyst);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
        struct rig *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        rig_make_dir(r->dir, "satmc-sensor-reload");
        snprintf(r->path, sizeof(r->path), "%s/board.ini", r->dir);
        write_config(r, 60, 1.3);
        rig_start(r);
        state_writes = 0;
        fail_state_writes = 0;
        *state = r;
        return 0;
}

static int teardown(void **state) {
        struct rig *r = *state;

        manager_free(r->m);
        state_dir_free(r->state);
        remove_temp_dir(r->dir);
        free(r);
        return 0;
}

static uint8_t raw_of(struct manager *m, unsigned number, double v) {
        uint8_t raw;

        assert_int_equal(sensor_linear_to_raw(&sensor_table_find(m->sensors, 0, number)->linear,
                                              v, &raw), 0);
        return raw;
}

/* Get Sensor Thresholds' UNC byte and Get Sensor Hysteresis' positive one, of sensor number. */
static void expect_sensor(struct manager *m, unsigned number, double unc, double hyst) {
        const struct sensor *sn = sensor_table_find(m->sensors, 0, number);
        struct ipmi_msg_out out;
        uint8_t data[2] = { (uint8_t) number, 0xFF };

        out = rig_run(m, IPMI_NETFN_SENSOR_EVENT, 0, IPMI_CMD_GET_SENSOR_THRESHOLDS, data, 1, 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[4], raw_of(m, number, unc));
        assert_int_equal(sn->hysteresis_pos,
                         (uint8_t) round(hyst / sensor_linear_step(&sn->linear)));
}

static void test_one_write_for_all_sensors(void **state) {
        struct rig *r = *state;

        write_config(r, 70, 2.6);
        assert_int_equal(manager_reload(r->m), 0);
        assert_int_equal(state_writes, 1);
        for (unsigned n = 1; n <= SENSORS; n++)
                expect_sensor(r->m, n, 70, 2.6);

        /* The one file holds every sensor's new values: a new Manager on the old file's
         * sections reads them back. */
        manager_free(r->m);
        write_config(r, 60, 1.3);
        rig_start(r);
        for (unsigned n = 1; n <= SENSORS; n++)
                expect_sensor(r->m, n, 70, 2.6);
}

static void test_failed_write_changes_no_sensor(void **state) {
        struct rig *r = *state;

        write_config(r, 70, 2.6);
        fail_state_writes = -EIO;
        assert_int_equal(manager_reload(r->m), 0);        /* the reload itself is not refused */
        assert_int_equal(state_writes, 1);
        for (unsigned n = 1; n <= SENSORS; n++)
                expect_sensor(r->m, n, 60, 1.3);

        /* The file's values are still owed: the next reload, with a working disk, applies them. */
        fail_state_writes = 0;
        assert_int_equal(manager_reload(r->m), 0);
        for (unsigned n = 1; n <= SENSORS; n++)
                expect_sensor(r->m, n, 70, 2.6);
}

/* A set out of order is left out; the others still go, in the same one write. */
static void test_out_of_order_left_out(void **state) {
        struct rig *r = *state;
        struct sensor_reload ch[2] = {
                { .sensor = sensor_table_find(r->m->sensors, 0, 1), .thresholds = true,
                  .defined = SDR_THR_UNC | SDR_THR_UCR },
                { .sensor = sensor_table_find(r->m->sensors, 0, 2), .thresholds = true,
                  .defined = SDR_THR_UNC | SDR_THR_UCR },
        };

        ch[0].raw[SENSOR_THR_UNC] = raw_of(r->m, 1, 90);        /* above UCR 85 */
        ch[0].raw[SENSOR_THR_UCR] = raw_of(r->m, 1, 85);
        ch[1].raw[SENSOR_THR_UNC] = raw_of(r->m, 2, 75);
        ch[1].raw[SENSOR_THR_UCR] = raw_of(r->m, 2, 85);
        assert_int_equal(sensor_table_reload(r->m->sensors, ch, 2), 0);
        assert_int_equal(ch[0].result, -EINVAL);
        assert_int_equal(ch[1].result, 0);
        assert_int_equal(state_writes, 1);
        expect_sensor(r->m, 1, 60, 1.3);
        expect_sensor(r->m, 2, 75, 1.3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_one_write_for_all_sensors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_write_changes_no_sensor, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_out_of_order_left_out, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
