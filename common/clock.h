/* SPDX-License-Identifier: MIT */
/* CLOCK_MONOTONIC in microseconds, read directly or as the event loop saw it. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

static inline uint64_t monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* sd_event_now() is the time of this loop iteration: no extra clock_gettime(). Before the
 * first iteration (unit tests, fuzzers) it falls back to reading the clock. */
static inline uint64_t loop_now_usec(sd_event *e) {
        uint64_t now;

        if (sd_event_now(e, CLOCK_MONOTONIC, &now) < 0)
                now = monotonic_usec();
        return now;
}
