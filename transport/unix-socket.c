/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdio.h>

#include "unix-socket.h"

int unix_socket_connect(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int make_parent_dir(const char *path) {
        char dir[sizeof(((struct sockaddr_un *) NULL)->sun_path)];
        char *slash;

        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/*
 * What is at path, which bind() found taken: 0 if it is a socket nobody listens on (safe to
 * replace), -EADDRINUSE if somebody does, -ENOTSOCK if it is not a socket at all, or another
 * -errno if that cannot be told (then nothing is touched either).
 */
static int probe_existing(const char *path) {
        struct stat st;
        int fd;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;    /* gone meanwhile: bind again */
        if (!S_ISSOCK(st.st_mode))
                return -ENOTSOCK;
        /* Non-blocking: a live server with a full backlog says EAGAIN instead of stalling us. */
        fd = unix_socket_connect(path, SOCK_STREAM | SOCK_NONBLOCK);
        if (fd >= 0) {
                close(fd);
                return -EADDRINUSE;
        }
        if (fd == -ECONNREFUSED)
                return 0;
        return fd == -EAGAIN ? -EADDRINUSE : fd;
}

int unix_socket_listen(const char *path, mode_t mode) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        r = make_parent_dir(path);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* bind() creates the file with the socket inode's mode less the umask: never wider. */
        if (fchmod(fd, mode & 0777) < 0)
                goto fail;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno != EADDRINUSE)
                        goto fail;
                r = probe_existing(path);
                if (r < 0)
                        goto fail_r;
                /* A socket file only (probe_existing checked), and a dead one. */
                if ((unlink(path) < 0 && errno != ENOENT) ||
                    bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        goto fail;
        }
        /* Exactly mode: the umask may have removed bits that mode grants (group write). */
        if (chmod(path, mode & 0777) < 0)
                goto fail_unlink;
        if (listen(fd, SOMAXCONN) < 0)
                goto fail_unlink;
        return fd;
fail_unlink:
        r = -errno;
        (void) unlink(path);
        goto fail_r;
fail:
        r = -errno;
fail_r:
        close(fd);
        return r;
}
