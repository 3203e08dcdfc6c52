/* SPDX-License-Identifier: MIT */
/* Due times of polled sensors, one timer for all; see sensor-schedule.h for the window. */
#include "macro.h"
#include "sensor-schedule.h"

uint64_t sensor_poll_period(const struct sensor *sn) {
        return (uint64_t) sn->config->poll_ms * 1000;
}

uint64_t sensor_poll_slack(const struct sensor *sn) {
        return MIN(sensor_poll_period(sn) / 10, SENSOR_POLL_SLACK_MAX_USEC);
}

/* When sn's poll is late beyond its slack; SENSOR_DUE_NEVER without a schedule. */
static uint64_t sensor_poll_deadline(const struct sensor *sn) {
        if (sn->next_due == SENSOR_DUE_NEVER)
                return SENSOR_DUE_NEVER;
        /* Saturated: a due time at the end of time is its own deadline, not a wrapped one. */
        return sn->next_due + MIN(sensor_poll_slack(sn), SENSOR_DUE_NEVER - 1 - sn->next_due);
}

bool sensor_schedule_window(const struct sensor *sensors, unsigned n, uint64_t *earliest,
                            uint64_t *latest) {
        uint64_t deadline = SENSOR_DUE_NEVER, last_due = 0;

        for (unsigned i = 0; i < n; i++)
                deadline = MIN(deadline, sensor_poll_deadline(&sensors[i]));
        *earliest = *latest = deadline;
        if (deadline == SENSOR_DUE_NEVER)
                return false;
        /* Every sensor due by the first deadline is read in the same fire: not before the last
         * of them is due. The one whose deadline it is is among them, so last_due <= deadline. */
        for (unsigned i = 0; i < n; i++)
                if (sensors[i].next_due <= deadline)
                        last_due = MAX(last_due, sensors[i].next_due);
        *earliest = last_due;
        return true;
}

bool sensor_schedule_take_due(struct sensor *sn, uint64_t now) {
        if (sn->next_due == SENSOR_DUE_NEVER || sn->next_due > now)
                return false;
        sn->next_due += sensor_poll_period(sn);
        return true;
}
