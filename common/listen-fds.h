/* SPDX-License-Identifier: MIT */
/*
 * Sockets passed by the service manager (socket activation, sd_listen_fds(3)), by name: a
 * .socket unit sets FileDescriptorName=ipmitool or =nbd, systemd-socket-activate --fdname=.
 * Without activation every lookup says -ENOENT and satmcd binds its own sockets.
 */
#pragma once

/* Collect the passed fds once. The environment is left as it is on purpose: a Cold Reset
 * re-executes satmcd in the same process, and the new image must find the same sockets. */
int listen_fds_init(void);

/* The fd passed under name (the caller owns it from now on), or -ENOENT. */
int listen_fds_take(const char *name);

/* Passed fds nobody took (a socket unit satmcd does not know): closed, with a warning. */
void listen_fds_done(void);
