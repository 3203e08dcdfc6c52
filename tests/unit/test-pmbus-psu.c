/* SPDX-License-Identifier: MIT */
/*
 * A power supply described by pmbus: sources, end to end: configuration text -> sensor table
 * on a real sd_event loop -> worker thread -> the emulated PMBus device of fake-pmbus.h ->
 * the sensors' raw readings. Two rails on two pages, PEC on every transaction, "input lost"
 * from STATUS_INPUT bit 3; then the supply NAKs (pulled) and every sensor reads unavailable,
 * and comes back when it answers again.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "fake-pmbus.h"
#include "temp-dir.h"
#include "test-config-text.h"

#include "daemon/sensor-source.h"
#include "daemon/sensors.h"
#include "protocol/sensor-linear.h"

/* Loop iterations a poll round may take (each waits for at most 50 ms of events): a bound for
 * a broken test, never a measure of anything. */
#define ITERATIONS_MAX  400

static const char psu_sensors[] =
        "[sensor.0]\nname = PSU VIN\ntype = voltage\nrange = 0..300\npoll-ms = 100\n"
        "source = pmbus:3:0x58:READ_VIN:page=0:pec\n"
        "[sensor.1]\nname = PSU 12V\ntype = voltage\nrange = 0..15\npoll-ms = 100\n"
        "source = pmbus:3:0x58:READ_VOUT:page=0:pec\n"
        "[sensor.2]\nname = PSU 12VSB\ntype = voltage\nrange = 0..15\npoll-ms = 100\n"
        "source = pmbus:3:0x58:READ_VOUT:page=1:pec\n"
        "[sensor.3]\nname = PSU Temp\ntype = temperature\nrange = -40..125\npoll-ms = 100\n"
        "source = pmbus:3:0x58:READ_TEMPERATURE_1:page=0:pec\n"
        "[sensor.4]\nname = PSU AC lost\ntype = other\nrange = 0..1\npoll-ms = 100\n"
        "source = pmbus:3:0x58:STATUS_INPUT:page=0:pec:bit=3\n";

/* Values in the formats of real devices (see test-pmbus.c for the datasheets). */
static void psu_device(struct fake_pmbus *f) {
        fake_pmbus_init(f, 3, 0x58, 2);
        f->pec = true;
        f->regs[0][PMBUS_READ_VIN] = 0xF8E6;            /* LINEAR11 230 * 2^-1 = 115 V */
        f->regs[0][PMBUS_VOUT_MODE] = 0x17;             /* LINEAR16 exponent -9 */
        f->regs[0][PMBUS_READ_VOUT] = 6144;             /* 6144 * 2^-9 = 12 V */
        f->regs[1][PMBUS_VOUT_MODE] = 0x14;             /* -12 */
        f->regs[1][PMBUS_READ_VOUT] = 0xB000;           /* 45056 * 2^-12 = 11 V */
        f->regs[0][PMBUS_READ_TEMPERATURE_1] = 0xEAC0;  /* 88 degrees */
        f->regs[0][PMBUS_STATUS_INPUT] = 0x00;
}

struct rig {
        char dir[64];
        struct satmc_config *config;
        sd_event *event;
        struct sensor_table *set;
        struct fake_pmbus device;
        struct sensor_source_hw hw;
};

static int setup(void **state) {
        struct rig *rig = calloc(1, sizeof(*rig));

        assert_non_null(rig);
        snprintf(rig->dir, sizeof(rig->dir), "/tmp/satmc-pmbus-psu-XXXXXX");
        assert_non_null(mkdtemp(rig->dir));
        rig->config = test_config_load(rig->dir, psu_sensors);
        psu_device(&rig->device);
        rig->hw = (struct sensor_source_hw) { .smbus = &fake_pmbus_ops,
                                              .smbus_userdata = &rig->device };
        assert_int_equal(sd_event_new(&rig->event), 0);
        assert_int_equal(sensor_table_new(rig->config, &rig->set), 0);
        assert_int_equal(sensor_table_start(rig->set, rig->event, NULL, &rig->hw), 0);
        *state = rig;
        return 0;
}

static int teardown(void **state) {
        struct rig *rig = *state;

        rig->set = sensor_table_free(rig->set);
        sd_event_unref(rig->event);
        config_free(rig->config);
        remove_temp_dir(rig->dir);
        free(rig);
        return 0;
}

/* Run the loop until every sensor is (un)available as asked and, when available, reads
 * want[i] (its raw code for that value). */
static void run_until(struct rig *rig, bool available, const double *want) {
        for (unsigned n = 0; n < ITERATIONS_MAX; n++) {
                bool done = true;

                for (unsigned i = 0; i < sensor_table_count(rig->set); i++) {
                        struct sensor *sn = sensor_table_get(rig->set, i);
                        uint8_t raw = 0;

                        if (sn->available != available)
                                done = false;
                        else if (available) {
                                assert_int_equal(sensor_linear_to_raw(&sn->linear, want[i], &raw),
                                                 0);
                                done = done && sn->raw == raw;
                        }
                }
                if (done)
                        return;
                assert_true(sd_event_run(rig->event, 50 * 1000) >= 0);
        }
        for (unsigned i = 0; i < sensor_table_count(rig->set); i++) {
                struct sensor *sn = sensor_table_get(rig->set, i);

                print_message("sensor %u: available %d raw %u (%g)\n", i, sn->available, sn->raw,
                              sensor_linear_to_value(&sn->linear, sn->raw));
        }
        fail_msg("the sensors did not read as expected in %d loop iterations", ITERATIONS_MAX);
}

static void test_psu(void **state) {
        struct rig *rig = *state;
        const double readings[] = { 115, 12, 11, 88, 0 };
        const double input_lost[] = { 0, 12, 11, 88, 1 };

        assert_int_equal(sensor_table_count(rig->set), 5);
        run_until(rig, true, readings);

        /* AC lost: VIN reads 0, the supply reports it in STATUS_INPUT. */
        pthread_mutex_lock(&rig->device.lock);
        rig->device.regs[0][PMBUS_READ_VIN] = 0x0000;
        rig->device.regs[0][PMBUS_STATUS_INPUT] = 0x18;
        pthread_mutex_unlock(&rig->device.lock);
        run_until(rig, true, input_lost);

        /* Pulled: it NAKs its address, every reading becomes unavailable. */
        pthread_mutex_lock(&rig->device.lock);
        rig->device.nak = -ENXIO;
        pthread_mutex_unlock(&rig->device.lock);
        run_until(rig, false, NULL);

        /* Back, with a wrong PEC now and then: only good transactions count. */
        pthread_mutex_lock(&rig->device.lock);
        rig->device.nak = 0;
        rig->device.regs[0][PMBUS_READ_VIN] = 0xF8E6;
        rig->device.regs[0][PMBUS_STATUS_INPUT] = 0x00;
        pthread_mutex_unlock(&rig->device.lock);
        run_until(rig, true, readings);
        pthread_mutex_lock(&rig->device.lock);
        rig->device.corrupt_pec = true;
        pthread_mutex_unlock(&rig->device.lock);
        run_until(rig, false, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_psu, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
