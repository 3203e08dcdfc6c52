/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "accept-pause.h"
#include "log.h"

bool accept_error_is_resource(int error) {
        return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

static int on_resume(sd_event_source *timer, uint64_t usec, void *userdata) {
        /* The owner frees the timer before the listener, so the listener is alive here. */
        int r = sd_event_source_set_enabled(userdata, SD_EVENT_ON);

        if (r < 0)
                log_error_errno(r, "Failed to resume accepting connections: %m");
        return 0;
}

int accept_pause_new(sd_event_source *listener, sd_event_source **ret) {
        sd_event_source *timer = NULL;
        int r;

        r = sd_event_add_time_relative(sd_event_source_get_event(listener), &timer,
                                       CLOCK_MONOTONIC, ACCEPT_PAUSE_USEC, 0, on_resume, listener);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(timer, SD_EVENT_OFF);
        if (r < 0) {
                sd_event_source_disable_unref(timer);
                return r;
        }
        (void) sd_event_source_set_description(timer, "accept-pause");
        *ret = timer;
        return 0;
}

int accept_pause(sd_event_source *timer, sd_event_source *listener, bool *warned,
                 const char *what, int error) {
        int r;

        r = sd_event_source_set_time_relative(timer, ACCEPT_PAUSE_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
        if (r >= 0)
                r = sd_event_source_set_enabled(listener, SD_EVENT_OFF);
        if (r < 0)
                return r;
        if (!*warned)
                log_warning_errno(-error, "%s: cannot accept a connection (%m); pausing %llu ms "
                                  "at a time until it can.", what,
                                  (unsigned long long) (ACCEPT_PAUSE_USEC / 1000));
        *warned = true;
        return 0;
}

void accept_resumed(bool *warned) {
        if (*warned)
                log_info("Accepting connections again.");
        *warned = false;
}
