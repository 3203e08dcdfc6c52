/* SPDX-License-Identifier: MIT */
/* UNIX sockets by path: the one place sun_path's length limit and stale sockets are handled. */
#pragma once

#include <sys/types.h>

/* Connect a new socket of type (SOCK_SEQPACKET, SOCK_STREAM; SOCK_CLOEXEC is added) to path.
 * Returns the fd or -errno (-ENAMETOOLONG when path does not fit sockaddr_un). */
int unix_socket_connect(const char *path, int type);

/*
 * A listening, non-blocking SOCK_STREAM socket at path, with exactly the permission bits mode
 * whatever the process umask. The parent directory is created if missing (one level: under
 * systemd RuntimeDirectory= does it, by hand this lets a plain start work).
 *
 * Permissions: the socket's own inode is given mode before bind(), and Linux creates the file
 * with that mode less the umask, so the file is never wider than mode; it is then chmod()ed to
 * mode exactly (the umask may have taken bits away) before listen(). Until listen() nobody can
 * connect (ECONNREFUSED), so there is no moment at which a wider or narrower mode lets anyone in.
 *
 * Something already at path: only a socket file nobody listens on (connecting to it fails with
 * ECONNREFUSED: left by a crash) is replaced. A live socket gives -EADDRINUSE; anything that is
 * not a socket (a regular file, a directory, a symlink) is left alone: -ENOTSOCK. Returns the
 * fd or -errno.
 */
int unix_socket_listen(const char *path, mode_t mode);
