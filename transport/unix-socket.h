/* SPDX-License-Identifier: MIT */
/* UNIX sockets by path: the one place sun_path's length limit and stale sockets are handled. */
#pragma once

/* Connect a new socket of type (SOCK_SEQPACKET, SOCK_STREAM; SOCK_CLOEXEC is added) to path.
 * Returns the fd or -errno (-ENAMETOOLONG when path does not fit sockaddr_un). */
int unix_socket_connect(const char *path, int type);

/*
 * A listening, non-blocking SOCK_STREAM socket at path. The parent directory is created if
 * missing (one level: under systemd RuntimeDirectory= does it, by hand this lets a plain
 * start work). A socket file nobody listens on (left by a crash) is replaced; a live one is
 * not: -EADDRINUSE. Returns the fd or -errno.
 */
int unix_socket_listen(const char *path);
