/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listen-fds.h"
#include "log.h"

/* The one piece of process-wide state: what the service manager handed this process. */
static char **names;
static int n_fds;

int listen_fds_init(void) {
        int r = sd_listen_fds_with_names(0, &names);

        if (r < 0)
                return log_error_errno(r, "Failed to read sockets passed by the service manager: %m");
        n_fds = r;
        return 0;
}

int listen_fds_take(const char *name) {
        for (int i = 0; i < n_fds; i++)
                if (names[i] && strcmp(names[i], name) == 0) {
                        free(names[i]);
                        names[i] = NULL;
                        return SD_LISTEN_FDS_START + i;
                }
        return -ENOENT;
}

void listen_fds_done(void) {
        for (int i = 0; i < n_fds; i++)
                if (names[i]) {
                        log_warning("Ignoring passed socket \"%s\": satmcd knows \"ipmitool\" and "
                                    "\"nbd\".", names[i]);
                        close(SD_LISTEN_FDS_START + i);
                        free(names[i]);
                }
        free(names);
        names = NULL;
        n_fds = 0;
}
