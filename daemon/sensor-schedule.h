/* SPDX-License-Identifier: MIT */
/*
 * When polled sensors are due, for the one sd-event timer that serves them all (sensors.c):
 * a timer source per sensor cost ~19 KiB of heap with 64 sensors, for what is a due time per
 * sensor and a scan of at most CONFIG_SENSOR_MAX of them.
 *
 * Each sensor keeps the CLOCK_MONOTONIC time it is next due (next_due). A poll may come up to
 * a tenth of its period (at most SENSOR_POLL_SLACK_MAX_USEC) late, so that sensors polled alike
 * are read in one wake-up of the loop and of the reader thread. The timer fires by the first
 * deadline (a due time plus its slack), and not before the last due time of the sensors due by
 * then: every sensor due by the first deadline is read in that one fire, and none early.
 * Inside that window sd-event picks the time (the latest where the system's other timers wake
 * up too, else the end), as it did for the per-sensor timers whose accuracy was their slack.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sensors.h"

/* The most a poll may come late so that it fires together with others. */
#define SENSOR_POLL_SLACK_MAX_USEC (100 * 1000ULL)
/* The next_due of a sensor with nothing to read: it has no schedule. */
#define SENSOR_DUE_NEVER UINT64_MAX

/* sn's poll-ms, in usec. */
uint64_t sensor_poll_period(const struct sensor *sn);
/* How late sn's poll may come: a tenth of its period, at most SENSOR_POLL_SLACK_MAX_USEC. */
uint64_t sensor_poll_slack(const struct sensor *sn);

/*
 * The times the poll timer may fire at, CLOCK_MONOTONIC usec: [*earliest, *latest], both
 * inside every due sensor's slack. false (and SENSOR_DUE_NEVER in both) when none of the n
 * sensors has a schedule.
 */
bool sensor_schedule_window(const struct sensor *sensors, unsigned n, uint64_t *earliest,
                            uint64_t *latest);

/*
 * Whether sn is due at now (the loop's time of this fire). If so, its next_due moves on by one
 * period from when it was due, not from now, so that the slack does not make the period drift;
 * after a stall of the loop it may still be in the past, and the next fire comes at once.
 */
bool sensor_schedule_take_due(struct sensor *sn, uint64_t now);
