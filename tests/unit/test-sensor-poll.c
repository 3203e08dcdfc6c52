/* SPDX-License-Identifier: MIT */
/*
 * The sensor table's one poll timer on a real sd_event loop (daemon/sensor-schedule.h has the
 * rules, test-sensor-schedule.c checks them on a simulated clock): fake SMBus registers record
 * when the reader thread reads them, a fake GPIO line can hang. Sensors of different periods
 * are each read at their own rate; one due within another's slack is read in the same fire;
 * a hung sensor and one with scanning off do not stop the others; a sensor without a source
 * has no schedule. And the reader under it: a batch of reads wakes the loop once, and a read
 * that hangs holds the results before it back only until the watchdog looks.
 */
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "common/clock.h"
#include "common/macro.h"
#include "daemon/config-sensor-source.h"
#include "daemon/i2c-smbus.h"
#include "daemon/sensor-reader.h"
#include "daemon/sensor-schedule.h"
#include "daemon/sensor-source.h"
#include "daemon/sensors.h"

#define MSEC 1000ULL
#define MAX_READS 256

/* Valgrind runs threads one at a time and everything 20-50 times slower: wider margins. */
static bool under_valgrind(void) {
        return getenv("SATMC_UNDER_VALGRIND") != NULL;
}

/* ---- SMBus registers that remember when they were read: register = sensor ---- */

static struct {
        pthread_mutex_t lock;
        unsigned n[256];
        uint64_t at[256][MAX_READS];
} reads = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int32_t recording_smbus_read(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                                    bool word) {
        pthread_mutex_lock(&reads.lock);
        if (reads.n[reg] < MAX_READS)
                reads.at[reg][reads.n[reg]++] = monotonic_usec();
        pthread_mutex_unlock(&reads.lock);
        return 42;
}

static const struct smbus_ops recording_smbus_ops = { .read = recording_smbus_read };

static void reads_reset(void) {
        pthread_mutex_lock(&reads.lock);
        memset(reads.n, 0, sizeof(reads.n));
        pthread_mutex_unlock(&reads.lock);
}

/* Reads of register reg at or after since. */
static unsigned reads_since(uint8_t reg, uint64_t since) {
        unsigned n = 0;

        pthread_mutex_lock(&reads.lock);
        for (unsigned i = 0; i < reads.n[reg]; i++)
                n += reads.at[reg][i] >= since;
        pthread_mutex_unlock(&reads.lock);
        return n;
}

/* How far the read of reg nearest to t is from t. */
static uint64_t nearest_read(uint8_t reg, uint64_t t) {
        uint64_t best = UINT64_MAX;

        pthread_mutex_lock(&reads.lock);
        for (unsigned i = 0; i < reads.n[reg]; i++) {
                uint64_t d = reads.at[reg][i] > t ? reads.at[reg][i] - t : t - reads.at[reg][i];

                best = MIN(best, d);
        }
        pthread_mutex_unlock(&reads.lock);
        return best;
}

/* ---- a GPIO line whose reads hang until let go ---- */

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool hang;
        unsigned blocked;
} gpio = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static int hanging_read_lines(void *userdata, const char *chip, const unsigned *offsets,
                              size_t n, bool active_low, int *values) {
        pthread_mutex_lock(&gpio.lock);
        gpio.blocked++;
        while (gpio.hang)
                pthread_cond_wait(&gpio.cond, &gpio.lock);
        gpio.blocked--;
        pthread_mutex_unlock(&gpio.lock);
        values[0] = 1;
        return 0;
}

static const struct gpio_reader_ops hanging_gpio_ops = { .read_lines = hanging_read_lines };

static void gpio_hang(bool hang) {
        pthread_mutex_lock(&gpio.lock);
        gpio.hang = hang;
        pthread_cond_broadcast(&gpio.cond);
        pthread_mutex_unlock(&gpio.lock);
}

static unsigned gpio_blocked(void) {
        unsigned n;

        pthread_mutex_lock(&gpio.lock);
        n = gpio.blocked;
        pthread_mutex_unlock(&gpio.lock);
        return n;
}

static const struct sensor_source_hw rig_hw = { .gpio = &hanging_gpio_ops,
                                                .smbus = &recording_smbus_ops };

/* ---- the rig: a configuration, a loop, a sensor table ---- */

struct rig {
        struct satmc_config *config;
        sd_event *event;
        struct sensor_table *set;
};

/* [sensor.i] read from src ("none": no source) every poll_ms. */
static void rig_add(struct rig *rig, unsigned i, uint32_t poll_ms, const char *src) {
        struct sensor_config *s = &rig->config->sensor[i];
        char reason[160] = "";

        s->present = true;
        s->sensor_type = 0x01;          /* temperature: a threshold sensor */
        s->unit = -1;
        s->range.lo = 0;
        s->range.hi = 255;
        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                s->thresholds[t] = NAN;
        s->poll_ms = poll_ms;
        s->number = (int) i + 1;        /* what config_load() makes of number = auto */
        sensor_source_config_clear(&s->source);
        if (strcmp(src, "none") != 0 &&
            sensor_source_parse(src, &s->source, reason, sizeof(reason)) < 0)
                fail_msg("%s: %s", src, reason);
}

/* An SMBus sensor whose reads land in register reg. */
static void rig_add_smbus(struct rig *rig, unsigned i, uint32_t poll_ms, uint8_t reg) {
        char src[64];

        snprintf(src, sizeof(src), "smbus:1:0x48:0x%02x", reg);
        rig_add(rig, i, poll_ms, src);
}

static void rig_new(struct rig *rig) {
        *rig = (struct rig) { .config = config_new() };
        assert_non_null(rig->config);
        reads_reset();
}

static void rig_start(struct rig *rig) {
        assert_int_equal(sd_event_new(&rig->event), 0);
        assert_int_equal(sensor_table_new(rig->config, &rig->set), 0);
        assert_int_equal(sensor_table_start(rig->set, rig->event, NULL, &rig_hw), 0);
}

static void rig_stop(struct rig *rig) {
        sensor_table_free(rig->set);
        sd_event_unref(rig->event);
        config_free(rig->config);
}

static void rig_run(struct rig *rig, uint64_t usec) {
        uint64_t end = monotonic_usec() + usec;

        while (monotonic_usec() < end)
                assert_true(sd_event_run(rig->event, 10 * MSEC) >= 0);
}

static struct sensor *rig_sensor(struct rig *rig, unsigned i) {
        struct sensor *sn = sensor_table_find(rig->set, 0, (uint8_t) (i + 1));

        assert_non_null(sn);
        return sn;
}

/* ---- tests ---- */

/* 100 ms and 300 ms over 1.5 s: each at its own rate, neither at the other's. */
static void test_two_periods_each_own_rate(void **state) {
        struct rig rig;
        uint64_t start;
        unsigned fast, slow;

        rig_new(&rig);
        rig_add_smbus(&rig, 0, 100, 0x10);
        rig_add_smbus(&rig, 1, 300, 0x11);
        start = monotonic_usec();
        rig_start(&rig);
        rig_run(&rig, 1500 * MSEC);
        fast = reads_since(0x10, start);
        slow = reads_since(0x11, start);
        print_message("# 1.5 s: %u reads every 100 ms, %u every 300 ms\n", fast, slow);
        /* Due at 0, 100, ..., 1400 ms: 15; and at 0, 300, ..., 1200: 5. Never more (no poll
         * comes early); fewer only when the machine stalls the loop or the reader. */
        assert_true(fast <= 17);
        assert_true(slow <= 7);
        assert_true(slow >= (under_valgrind() ? 1 : 4));
        assert_true(fast >= (under_valgrind() ? 1 : 12));
        /* Three times as often; at least half again as often when polls are lost to a slow
         * machine (same rates would be 1:1). */
        assert_true(2 * fast >= 3 * slow);
        rig_stop(&rig);
}

/* Same period, the second due 30 ms after the first, within its slack (50 ms of 500): from
 * the second round on, both are read in one fire, so one right after the other. */
static void test_due_within_slack_one_fire(void **state) {
        uint64_t first_round, at[MAX_READS];
        unsigned pairs = 0, n;
        struct rig rig;

        rig_new(&rig);
        rig_add_smbus(&rig, 0, 500, 0x20);
        rig_add_smbus(&rig, 1, 500, 0x21);
        rig_start(&rig);
        /* Before the first fire: the table scheduled both now. */
        rig_sensor(&rig, 1)->next_due = rig_sensor(&rig, 0)->next_due + 30 * MSEC;
        first_round = monotonic_usec() + 250 * MSEC;
        rig_run(&rig, 1300 * MSEC);

        pthread_mutex_lock(&reads.lock);
        n = reads.n[0x20];
        memcpy(at, reads.at[0x20], sizeof(at));
        pthread_mutex_unlock(&reads.lock);
        for (unsigned i = 0; i < n; i++) {
                uint64_t gap;

                if (at[i] < first_round)
                        continue;
                gap = nearest_read(0x21, at[i]);
                print_message("# round at +%.0f ms: the other read %.2f ms apart\n",
                              (at[i] - first_round) / 1000.0 + 250, gap / 1000.0);
                /* Separate fires would be at least 30 ms minus how late the first came; the
                 * reader takes one queue in one go. */
                assert_true(gap < (under_valgrind() ? 200 : 15) * MSEC);
                pairs++;
        }
        assert_true(pairs >= (under_valgrind() ? 1 : 2));
        rig_stop(&rig);
}

/* A GPIO read that hangs, next to 100 ms and 300 ms sensors: they go on at their rates, before
 * and after it is given up as hung (SENSOR_READ_HUNG_USEC), which takes no fire of theirs. */
static void test_hung_sensor_does_not_stop_others(void **state) {
        struct rig rig;
        uint64_t since, end, t0;
        unsigned fast, slow;

        rig_new(&rig);
        rig_add(&rig, 0, 100, "gpio:gpiochip0:3");
        rig_add_smbus(&rig, 1, 100, 0x30);
        rig_add_smbus(&rig, 2, 300, 0x31);
        gpio_hang(true);
        rig_start(&rig);
        t0 = monotonic_usec();
        while (gpio_blocked() == 0) {
                if (monotonic_usec() - t0 > 2000 * MSEC)
                        fail_msg("the GPIO read never started");
                rig_run(&rig, 10 * MSEC);
        }
        /* The reads queued behind the hung one move to a new worker after
         * SENSOR_READ_SLOW_USEC; count from then, through the hung read being given up. */
        since = monotonic_usec() + SENSOR_READ_SLOW_USEC;
        end = since + SENSOR_READ_HUNG_USEC + 500 * MSEC;
        rig_run(&rig, end - monotonic_usec());
        assert_false(rig_sensor(&rig, 0)->available);
        assert_true(rig_sensor(&rig, 0)->failed);
        fast = reads_since(0x30, since);
        slow = reads_since(0x31, since);
        print_message("# %.1f s with a hung sensor: %u reads every 100 ms, %u every 300 ms\n",
                      (end - since) / 1e6, fast, slow);
        /* 2.5 s: 25 and 8 or 9 due; at least half, and each at its own rate. */
        assert_true(fast <= 28 && slow <= 11);
        assert_true(slow >= (under_valgrind() ? 1 : 4));
        assert_true(fast >= (under_valgrind() ? 1 : 12));
        assert_true(2 * fast >= 3 * slow);
        /* Still one stuck read: never queued again while it hangs. */
        assert_int_equal(gpio_blocked(), 1);

        gpio_hang(false);
        rig_stop(&rig);
        t0 = monotonic_usec();
        while (sensor_reader_threads() > 0) {
                if (monotonic_usec() - t0 > 5000 * MSEC)
                        fail_msg("%u sensor reader threads left", sensor_reader_threads());
                usleep(1000);
        }
}

/* Scanning off: that sensor is not read (its schedule goes on), the others are; back on, it
 * is read again at its rate. A sensor without a source has no schedule at all. */
static void test_scanning_off_and_no_source(void **state) {
        struct rig rig;
        uint64_t t;

        rig_new(&rig);
        rig_add_smbus(&rig, 0, 100, 0x40);
        rig_add_smbus(&rig, 1, 100, 0x41);
        rig_add(&rig, 2, 100, "none");
        rig_start(&rig);
        assert_true(rig_sensor(&rig, 2)->next_due == SENSOR_DUE_NEVER);
        assert_true(rig_sensor(&rig, 0)->next_due != SENSOR_DUE_NEVER);

        rig_run(&rig, 300 * MSEC);
        sensor_set_scanning(rig_sensor(&rig, 0), false);
        rig_run(&rig, 150 * MSEC);     /* a read queued before it went off may land */
        t = monotonic_usec();
        rig_run(&rig, 500 * MSEC);
        assert_int_equal(reads_since(0x40, t), 0);
        assert_true(reads_since(0x41, t) >= (under_valgrind() ? 1 : 3));

        sensor_set_scanning(rig_sensor(&rig, 0), true);
        t = monotonic_usec();
        rig_run(&rig, 500 * MSEC);
        assert_true(reads_since(0x40, t) >= (under_valgrind() ? 1 : 3));
        assert_true(reads_since(0x40, t) <= 6);
        assert_true(rig_sensor(&rig, 0)->available);
        assert_false(rig_sensor(&rig, 2)->available);
        assert_true(rig_sensor(&rig, 2)->next_due == SENSOR_DUE_NEVER);
        rig_stop(&rig);
}

/* ---- the reader alone ---- */

static bool fd_readable(int fd, int timeout_ms) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, timeout_ms) == 1;
}

/* An SMBus source per register 0x50.. and a hanging GPIO line last. */
static void reader_new(unsigned n_smbus, bool with_gpio, struct sensor_source_config *cfg,
                       struct sensor_reader **ret) {
        const struct sensor_source_config *sources[8];
        char reason[160] = "", src[64];
        unsigned n = 0;

        for (; n < n_smbus + with_gpio; n++) {
                if (n < n_smbus)
                        snprintf(src, sizeof(src), "smbus:1:0x48:0x%02x", 0x50 + n);
                else
                        snprintf(src, sizeof(src), "gpio:gpiochip0:3");
                cfg[n] = (struct sensor_source_config) { 0 };
                if (sensor_source_parse(src, &cfg[n], reason, sizeof(reason)) < 0)
                        fail_msg("%s: %s", src, reason);
                sources[n] = &cfg[n];
        }
        assert_int_equal(sensor_reader_new(sources, NULL, n, &rig_hw, ret), 0);
        for (unsigned i = 0; i < n; i++)
                sensor_source_config_clear(&cfg[i]);
}

static void reader_stop(struct sensor_reader *r) {
        uint64_t t0 = monotonic_usec();

        sensor_reader_stop(r);
        while (sensor_reader_threads() > 0) {
                if (monotonic_usec() - t0 > 5000 * MSEC)
                        fail_msg("%u sensor reader threads left", sensor_reader_threads());
                usleep(1000);
        }
}

/* Eight reads queued at once: the loop is woken once for all their results, not per read
 * (it would take them one at a time while the worker reads the next: two wake-ups of each
 * thread per sensor instead of one per batch). The fake SMBus is held while they are queued,
 * so the worker cannot finish one and find the queue empty before the next is in it (under
 * valgrind each queueing would otherwise run the worker at once). A read that takes
 * SENSOR_READ_BATCH_USEC or more is announced on its own, so "once" holds when the batch took
 * less than that; the results are gathered over as many wake-ups as it took otherwise. */
static void test_reader_batch_wakes_loop_once(void **state) {
        struct sensor_source_config cfg[8];
        struct sensor_reading res[8];
        struct sensor_reader *r;
        unsigned got = 0;
        uint64_t wakes = 0, t0, took;

        reads_reset();
        reader_new(8, false, cfg, &r);
        t0 = monotonic_usec();
        pthread_mutex_lock(&reads.lock);
        for (unsigned i = 0; i < 8; i++)
                assert_int_equal(sensor_reader_queue(r, i), 0);
        pthread_mutex_unlock(&reads.lock);
        while (got < ELEMENTSOF(res)) {
                uint64_t count = 0;

                assert_true(fd_readable(sensor_reader_fd(r), 5000));
                assert_int_equal(read(sensor_reader_fd(r), &count, sizeof(count)),
                                 sizeof(count));
                wakes += count;
                got += sensor_reader_take(r, res + got, ELEMENTSOF(res) - got);
        }
        took = monotonic_usec() - t0;
        print_message("# 8 reads in %llu us, %llu wake-up(s) of the loop\n",
                      (unsigned long long) took, (unsigned long long) wakes);
        if (took < SENSOR_READ_BATCH_USEC)
                assert_int_equal(wakes, 1);
        assert_int_equal(got, 8);
        reader_stop(r);
}

/* A read that hangs after another finished: that result waits for the batch, but only until
 * the watchdog sees the hanging read SENSOR_READ_BATCH_USEC old. */
static void test_reader_hung_read_holds_results_briefly(void **state) {
        struct sensor_source_config cfg[2];
        struct sensor_reading res[2];
        struct sensor_reader *r;
        unsigned hung[2];
        uint64_t next, t0;

        reads_reset();
        gpio_hang(true);
        reader_new(1, true, cfg, &r);
        /* Both queued before the SMBus read can end (it waits for the fake's lock): it must
         * not find the queue empty, which would announce it at once. */
        t0 = monotonic_usec();
        pthread_mutex_lock(&reads.lock);
        assert_int_equal(sensor_reader_queue(r, 0), 0);
        assert_int_equal(sensor_reader_queue(r, 1), 0);
        pthread_mutex_unlock(&reads.lock);
        while (gpio_blocked() == 0) {
                if (monotonic_usec() - t0 > 5000 * MSEC)
                        fail_msg("the GPIO read never started");
                usleep(1000);
        }
        /* The SMBus read before it was not slow (it ended within the time since both were
         * queued): its result waits for the batch. On a busy machine or under valgrind it may
         * have been slow, and then it was announced at once, which is right too. */
        if (monotonic_usec() - t0 < SENSOR_READ_BATCH_USEC)
                assert_false(fd_readable(sensor_reader_fd(r), 0));
        /* Not yet: the hanging read is younger than SENSOR_READ_BATCH_USEC... */
        usleep(SENSOR_READ_BATCH_USEC);
        assert_int_equal(sensor_reader_watchdog(r, hung, ELEMENTSOF(hung), &next), 0);
        /* ...now the result before it goes to the loop. */
        assert_true(fd_readable(sensor_reader_fd(r), 0));
        assert_int_equal(sensor_reader_take(r, res, ELEMENTSOF(res)), 1);
        assert_int_equal(res[0].slot, 0);
        assert_int_equal(res[0].error, 0);

        /* The hanging read returns: the last of its batch, it is announced itself. */
        gpio_hang(false);
        assert_true(fd_readable(sensor_reader_fd(r), 5000));
        assert_int_equal(sensor_reader_take(r, res, ELEMENTSOF(res)), 1);
        assert_int_equal(res[0].slot, 1);
        reader_stop(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_two_periods_each_own_rate),
                cmocka_unit_test(test_due_within_slack_one_fire),
                cmocka_unit_test(test_hung_sensor_does_not_stop_others),
                cmocka_unit_test(test_scanning_off_and_no_source),
                cmocka_unit_test(test_reader_batch_wakes_loop_once),
                cmocka_unit_test(test_reader_hung_read_holds_results_briefly),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
