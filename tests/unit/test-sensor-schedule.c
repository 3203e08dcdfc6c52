/* SPDX-License-Identifier: MIT */
/*
 * The poll schedule of daemon/sensor-schedule.c, with a simulated clock: a loop that fires
 * the one poll timer somewhere in the window it is given (at its start, at its end, or where
 * sd-event's alignment puts it) and polls every sensor due then. What must hold wherever in the
 * window it fires: each sensor is polled at its own rate, never early, never later than its
 * slack, without drift; sensors due by the first deadline are read in one fire; a sensor
 * without a source has no schedule, and nothing scheduled means no timer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "common/macro.h"
#include "daemon/sensor-schedule.h"
#include "daemon/sensors.h"

#define MSEC 1000ULL
#define SEC (1000 * MSEC)
#define MAX_SENSORS 64

/* Where in its window the simulated loop fires the timer. */
enum fire_at {
        FIRE_AT_START,
        FIRE_AT_END,
        FIRE_AT_MIDDLE,                 /* an aligned point inside the window */
};

struct sim {
        struct sensor_config config[MAX_SENSORS];
        struct sensor sensors[MAX_SENSORS];
        unsigned n;
        uint64_t start;                 /* when the table started: the first reading */
        unsigned fires;
        unsigned polls[MAX_SENSORS];
        uint64_t worst_late[MAX_SENSORS];       /* the latest any poll came after its due time */
        uint64_t last_poll[MAX_SENSORS];
        unsigned max_batch;             /* most sensors read in one fire */
};

/* A sensor polled every poll_ms, first due offset usec after the start (0: at once, as
 * sensor_table_start() schedules them); poll_ms 0: no source. */
static void sim_add(struct sim *sim, uint32_t poll_ms, uint64_t offset) {
        unsigned i = sim->n++;

        assert_true(i < MAX_SENSORS);
        sim->config[i].poll_ms = poll_ms;
        sim->sensors[i].config = &sim->config[i];
        sim->sensors[i].next_due = poll_ms ? sim->start + offset : SENSOR_DUE_NEVER;
}

static uint64_t sim_fire_time(uint64_t earliest, uint64_t latest, enum fire_at at) {
        switch (at) {
        case FIRE_AT_START:
                return earliest;
        case FIRE_AT_END:
                return latest;
        default:
                return earliest + (latest - earliest) / 3;
        }
}

/* One fire: the loop wakes at now and polls what is due, as on_poll_timer() does. */
static void sim_fire(struct sim *sim, uint64_t now) {
        unsigned batch = 0;

        sim->fires++;
        for (unsigned i = 0; i < sim->n; i++) {
                uint64_t due = sim->sensors[i].next_due;

                if (!sensor_schedule_take_due(&sim->sensors[i], now))
                        continue;
                batch++;
                sim->polls[i]++;
                sim->last_poll[i] = now;
                sim->worst_late[i] = MAX(sim->worst_late[i], now - due);
        }
        /* A timer that fires must poll something: else it was armed too early. */
        assert_true(batch > 0);
        sim->max_batch = MAX(sim->max_batch, batch);
}

/* Run the loop until end (CLOCK_MONOTONIC usec), firing where at says. */
static void sim_run(struct sim *sim, uint64_t end, enum fire_at at) {
        uint64_t earliest, latest;

        while (sensor_schedule_window(sim->sensors, sim->n, &earliest, &latest)) {
                uint64_t now = sim_fire_time(earliest, latest, at);

                assert_true(earliest <= latest);
                if (now > end)
                        break;
                sim_fire(sim, now);
        }
}

static void sim_init(struct sim *sim) {
        *sim = (struct sim) { .start = 1000 * SEC };
}

/* ---- tests ---- */

static void test_slack(void **state) {
        struct sensor_config c = { .poll_ms = 100 };
        struct sensor sn = { .config = &c };

        /* A tenth of the period... */
        assert_int_equal(sensor_poll_period(&sn), 100 * MSEC);
        assert_int_equal(sensor_poll_slack(&sn), 10 * MSEC);
        c.poll_ms = 1000;
        assert_int_equal(sensor_poll_slack(&sn), 100 * MSEC);
        /* ...at most 100 ms. */
        c.poll_ms = 60000;
        assert_int_equal(sensor_poll_slack(&sn), SENSOR_POLL_SLACK_MAX_USEC);
}

static void test_nothing_scheduled_no_window(void **state) {
        struct sim sim;
        uint64_t earliest = 1, latest = 1;

        sim_init(&sim);
        assert_false(sensor_schedule_window(sim.sensors, 0, &earliest, &latest));
        assert_true(earliest == SENSOR_DUE_NEVER && latest == SENSOR_DUE_NEVER);
        /* Sensors without a source: no schedule, so no timer (and no wake-up) at all. */
        sim_add(&sim, 0, 0);
        sim_add(&sim, 0, 0);
        assert_false(sensor_schedule_window(sim.sensors, sim.n, &earliest, &latest));
        assert_false(sensor_schedule_take_due(&sim.sensors[0], UINT64_MAX - 1));
        assert_true(sim.sensors[0].next_due == SENSOR_DUE_NEVER);
}

static void test_first_reading_at_once(void **state) {
        struct sim sim;
        uint64_t earliest, latest;

        sim_init(&sim);
        sim_add(&sim, 1000, 0);
        sim_add(&sim, 0, 0);            /* no source: never in the window */
        sim_add(&sim, 100, 0);
        assert_true(sensor_schedule_window(sim.sensors, sim.n, &earliest, &latest));
        /* From now, late by at most the smallest slack of the sensors due now. */
        assert_true(earliest == sim.start);
        assert_true(latest == sim.start + 10 * MSEC);
        sim_fire(&sim, earliest);
        assert_int_equal(sim.polls[0], 1);
        assert_int_equal(sim.polls[1], 0);
        assert_int_equal(sim.polls[2], 1);
}

static void test_take_due(void **state) {
        struct sensor_config c = { .poll_ms = 500 };
        struct sensor sn = { .config = &c, .next_due = 10 * SEC };

        /* Never early. */
        assert_false(sensor_schedule_take_due(&sn, 10 * SEC - 1));
        assert_true(sn.next_due == 10 * SEC);
        /* Late: the next one is a period after it was due, not after now. */
        assert_true(sensor_schedule_take_due(&sn, 10 * SEC + 40 * MSEC));
        assert_true(sn.next_due == 10 * SEC + 500 * MSEC);
        assert_false(sensor_schedule_take_due(&sn, 10 * SEC + 40 * MSEC));
        /* A loop stalled for 2.2 periods: one poll per fire, the schedule catches up. */
        assert_true(sensor_schedule_take_due(&sn, 11 * SEC + 600 * MSEC));
        assert_true(sensor_schedule_take_due(&sn, 11 * SEC + 600 * MSEC));
        assert_true(sensor_schedule_take_due(&sn, 11 * SEC + 600 * MSEC));
        assert_false(sensor_schedule_take_due(&sn, 11 * SEC + 600 * MSEC));
        assert_true(sn.next_due == 12 * SEC);
}

/* Two sensors, 100 ms and 300 ms, over 3 s: each at its own rate, never later than its slack,
 * wherever in the window the timer fires. */
static void test_two_periods_each_own_rate(void **state) {
        static const enum fire_at ats[] = { FIRE_AT_START, FIRE_AT_END, FIRE_AT_MIDDLE };

        for (unsigned a = 0; a < ELEMENTSOF(ats); a++) {
                struct sim sim;

                sim_init(&sim);
                sim_add(&sim, 100, 0);
                sim_add(&sim, 300, 0);
                sim_run(&sim, sim.start + 3 * SEC, ats[a]);
                /* Due at 0, 100, ..., 2900 ms (and 3000 if the fire came exactly then). */
                assert_in_range(sim.polls[0], 30, 31);
                assert_in_range(sim.polls[1], 10, 11);
                assert_true(sim.worst_late[0] <= 10 * MSEC);
                assert_true(sim.worst_late[1] <= 30 * MSEC);
                /* No drift: the last poll is still within the slack of its nominal time. */
                assert_true(sim.last_poll[0] <=
                            sim.start + (sim.polls[0] - 1) * 100 * MSEC + 10 * MSEC);
                assert_true(sim.last_poll[1] <=
                            sim.start + (sim.polls[1] - 1) * 300 * MSEC + 30 * MSEC);
                /* Each 300 ms poll is due with a 100 ms one, and read in its fire. */
                assert_int_equal(sim.fires, sim.polls[0]);
        }
}

/* A sensor due 50 ms after another of the same 1 s period is within the first one's slack
 * (100 ms): both are read in one fire, every period, wherever in the window it fires. */
static void test_due_within_slack_one_fire(void **state) {
        static const enum fire_at ats[] = { FIRE_AT_START, FIRE_AT_END, FIRE_AT_MIDDLE };

        for (unsigned a = 0; a < ELEMENTSOF(ats); a++) {
                struct sim sim;

                sim_init(&sim);
                sim_add(&sim, 1000, 0);
                sim_add(&sim, 1000, 50 * MSEC);
                sim_run(&sim, sim.start + 10 * SEC - 1, ats[a]);
                assert_int_equal(sim.polls[0], 10);
                assert_int_equal(sim.polls[1], 10);
                assert_int_equal(sim.fires, 10);
                assert_int_equal(sim.max_batch, 2);
                /* The first one waits for the second, within its slack; the second is never
                 * read before it is due (take_due()). */
                assert_true(sim.worst_late[0] >= 50 * MSEC);
                assert_true(sim.worst_late[0] <= 100 * MSEC);
                assert_true(sim.worst_late[1] <= 50 * MSEC);
        }
}

/* Due 150 ms apart, beyond the slack: two fires a period, the first one not held back. */
static void test_due_beyond_slack_two_fires(void **state) {
        struct sim sim;

        sim_init(&sim);
        sim_add(&sim, 1000, 0);
        sim_add(&sim, 1000, 150 * MSEC);
        sim_run(&sim, sim.start + 10 * SEC - 1, FIRE_AT_END);
        assert_int_equal(sim.polls[0], 10);
        assert_int_equal(sim.polls[1], 10);
        assert_int_equal(sim.fires, 20);
        assert_int_equal(sim.max_batch, 1);
        assert_true(sim.worst_late[0] <= 100 * MSEC);
        assert_true(sim.worst_late[1] <= 100 * MSEC);
}

/* 64 sensors polled alike: one fire per period, as one timer each with the same slack gave;
 * plus eight of another period, read in the fires of the first ones where they fall. */
static void test_sixty_four_alike_one_fire_per_period(void **state) {
        struct sim sim;

        sim_init(&sim);
        for (unsigned i = 0; i < 56; i++)
                sim_add(&sim, 1000, 0);
        for (unsigned i = 0; i < 8; i++)
                sim_add(&sim, 2000, 0);
        sim_run(&sim, sim.start + 10 * SEC - 1, FIRE_AT_MIDDLE);
        assert_int_equal(sim.fires, 10);
        assert_int_equal(sim.max_batch, 64);
        for (unsigned i = 0; i < sim.n; i++)
                assert_int_equal(sim.polls[i], i < 56 ? 10 : 5);
}

/* A chain of sensors each due within the previous one's slack: the fire waits only for those
 * due by the first deadline, so no poll comes later than its slack. */
static void test_chain_never_later_than_slack(void **state) {
        struct sim sim;

        sim_init(&sim);
        for (unsigned i = 0; i < 8; i++)
                sim_add(&sim, 1000, i * 60 * MSEC);
        sim_run(&sim, sim.start + 5 * SEC - 1, FIRE_AT_END);
        for (unsigned i = 0; i < sim.n; i++) {
                assert_int_equal(sim.polls[i], 5);
                assert_true(sim.worst_late[i] <= 100 * MSEC);
        }
        /* Pairs (0 ms, 60 ms), (120, 180), ...: four fires a period, not eight. */
        assert_int_equal(sim.fires, 20);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_slack),
                cmocka_unit_test(test_nothing_scheduled_no_window),
                cmocka_unit_test(test_first_reading_at_once),
                cmocka_unit_test(test_take_due),
                cmocka_unit_test(test_two_periods_each_own_rate),
                cmocka_unit_test(test_due_within_slack_one_fire),
                cmocka_unit_test(test_due_beyond_slack_two_fires),
                cmocka_unit_test(test_sixty_four_alike_one_fire_per_period),
                cmocka_unit_test(test_chain_never_later_than_slack),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
