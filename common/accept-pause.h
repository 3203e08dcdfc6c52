/* SPDX-License-Identifier: MIT */
/*
 * What a listener does when accept4() fails for want of a resource (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM): the connection stays pending, and a level-triggered listener would wake the loop
 * for it again at once, forever, spinning a core while nothing gets better. So the listener's
 * event source is turned off for a moment and turned on again by a timer. Shared by the
 * ipmitool and NBD servers.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#define ACCEPT_PAUSE_USEC (100 * 1000ULL)

/* Whether an accept4() errno calls for a pause rather than an immediate retry. */
bool accept_error_is_resource(int error);

/*
 * The pause timer of listener, disabled, created with the listener: adding a timer may need a
 * timerfd, and there is none to be had once the process is out of fds. The caller owns it and
 * frees it (sd_event_source_disable_unref()) before listener. Returns 0 or -errno.
 */
int accept_pause_new(sd_event_source *listener, sd_event_source **ret);

/*
 * Turn listener off, and on again after ACCEPT_PAUSE_USEC through timer. Logs a warning naming
 * `what` once per run of failures; accept_resumed() ends the run. Returns 0 or -errno (then
 * the listener stays on, as before).
 */
int accept_pause(sd_event_source *timer, sd_event_source *listener, bool *warned,
                 const char *what, int error);
void accept_resumed(bool *warned);
