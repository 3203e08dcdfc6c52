/* SPDX-License-Identifier: MIT */
/*
 * Sensor reads off the event loop (sensors.c decides what to read and what a result means):
 * the loop queues a slot, a worker thread reads that slot's source (sensor-source.c) and hands
 * the result back through an eventfd. Nothing here makes the loop wait for a worker, not even
 * one stuck in an ioctl that nothing can interrupt:
 *
 * - the state the workers touch (queue, results, slots, lock, eventfd) is one reference-counted
 *   object; every worker holds a reference, so a worker that outlives the loop's interest (and
 *   the configuration: the sources are copies) still touches only live memory;
 * - sensor_reader_watchdog() gives up on a read after SENSOR_READ_HUNG_USEC: the slot becomes
 *   "abandoned", its thread is detached (never joined, never cancelled) and a fresh worker
 *   takes over the queue. If the read ever returns, its result is dropped and the thread exits;
 *   until then the slot cannot be queued again, so at most one thread is stuck per slot;
 * - a read that is merely slow (SENSOR_READ_SLOW_USEC) while others wait behind it also gets
 *   a fresh worker for the queue, but its result still counts when it comes: one hung source
 *   delays the others by SENSOR_READ_SLOW_USEC, not by SENSOR_READ_HUNG_USEC each;
 * - results wake the loop once per batch, when the worker has emptied the queue (or after a
 *   slow read), not once per read; results held back by a read that hangs go to the loop when
 *   the watchdog sees that read SENSOR_READ_BATCH_USEC old, not when it is given up.
 *
 * Which worker takes the queue is a generation number: each worker knows its own, and one whose
 * generation is no longer current finishes the read it is in and exits.
 */
#pragma once

#include <stdint.h>

#include "config.h"
#include "sensor-source.h"

/* A read still running after this long is taken as hung: its sensor reads as unavailable. */
#define SENSOR_READ_HUNG_USEC   (2 * 1000000ULL)
/* A read running this long with other reads queued behind it hands the queue to a new worker. */
#define SENSOR_READ_SLOW_USEC   (250 * 1000ULL)
/* A read running this long no longer holds back the results finished before it. */
#define SENSOR_READ_BATCH_USEC  (10 * 1000ULL)

struct sensor_reader;

/* One finished read. */
struct sensor_reading {
        unsigned slot;
        int error;                      /* 0 or -errno from sensor_source_read() */
        double value;                   /* already scaled */
        /* A slot with states (a discrete sensor): the offsets whose source read non-zero, and
         * on error the index in its sensor_states_config of the source that failed. */
        uint16_t states;
        unsigned failed_state;
};

/* Slot i reads a copy of *sources[i] (NULL or SENSOR_SOURCE_NONE: never queued) through a
 * copy of *hw (NULL: the real hardware), whose userdata must outlive every worker, hung ones
 * included; or, where states (NULL: none) has states[i], every source of a copy of those
 * states in one job (sensor_states_read()). Creates the eventfd and starts the first worker.
 * Returns 0 or -errno. */
int sensor_reader_new(const struct sensor_source_config *const *sources,
                      const struct sensor_states_config *const *states, unsigned n,
                      const struct sensor_source_hw *hw, struct sensor_reader **ret);

/*
 * Drop the loop's hold on r (NULL-safe; returns NULL). The current worker gets a bounded time
 * (SENSOR_READER_JOIN_USEC) to finish a read it is in and is joined; otherwise it is detached
 * like any abandoned worker. Either way r is freed by whoever lets go of it last, and no thread
 * that is left touches anything but r.
 */
struct sensor_reader *sensor_reader_stop(struct sensor_reader *r);

/* Readable when results are waiting (sensor_reader_take()). Owned by r. */
int sensor_reader_fd(const struct sensor_reader *r);

/* Queue a read of slot. -EBUSY: already queued, being read or its result not taken yet; or
 * abandoned and its thread still stuck. -EINVAL: no such slot, or one without a source. */
int sensor_reader_queue(struct sensor_reader *r, unsigned slot);

/* Store the results finished since the last call in ret (max: n always suffices) and return
 * their number; empties the eventfd. */
unsigned sensor_reader_take(struct sensor_reader *r, struct sensor_reading *ret, unsigned max);

/*
 * On the loop, whenever something was queued or finished, and at *next: abandon reads older
 * than SENSOR_READ_HUNG_USEC (their slots go to hung, max of them: n always suffices), hand
 * the queue to a new worker where needed, and results a slow read holds back to the loop.
 * Returns the number of slots abandoned now; *next is the CLOCK_MONOTONIC time (usec) to look
 * again, UINT64_MAX when nothing is outstanding.
 */
unsigned sensor_reader_watchdog(struct sensor_reader *r, unsigned *hung, unsigned max,
                                uint64_t *next);

/* Worker threads alive in this process, current and abandoned alike (tests, logs). */
unsigned sensor_reader_threads(void);
