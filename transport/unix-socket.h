/* SPDX-License-Identifier: MIT */
/* Connecting to a UNIX socket by path: the one place sun_path's length limit is checked. */
#pragma once

/* Connect a new socket of type (SOCK_SEQPACKET, SOCK_STREAM; SOCK_CLOEXEC is added) to path.
 * Returns the fd or -errno (-ENAMETOOLONG when path does not fit sockaddr_un). */
int unix_socket_connect(const char *path, int type);
