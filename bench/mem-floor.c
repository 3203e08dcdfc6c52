/* SPDX-License-Identifier: MIT */
/*
 * mem-floor: the least memory a daemon built on libsystemd can take. It links libsystemd and
 * libc, does what every sd-event service does (a default event loop, SIGTERM, READY=1) and
 * nothing else, with the project's compiler and linker flags. satmcd's other shared libraries
 * (libgpiod, libm) are its own choice and count as what satmcd adds. bench/mem-soak.py
 * measures it as it measures satmcd, one after the other (never both at once: a library page
 * mapped by two processes counts half in each one's Pss), so that satmcd's figures can be
 * split into what the libraries cost any program on this machine and what satmcd adds. A
 * measuring aid for the benchmark, never installed.
 */
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

int main(void) {
        sd_event *e = NULL;
        int r;

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_notify(0, "READY=1");
        if (r >= 0)
                r = sd_event_loop(e);
        if (r < 0)
                fprintf(stderr, "mem-floor: %d\n", r);
        sd_event_unref(e);
        return r < 0;
}
