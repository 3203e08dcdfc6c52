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

int unix_socket_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, probe, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        r = make_parent_dir(path);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno != EADDRINUSE)
                        goto fail;
                /* Somebody's file: replace it only if nobody answers on it. */
                probe = unix_socket_connect(path, SOCK_STREAM);
                if (probe >= 0) {
                        close(probe);
                        errno = EADDRINUSE;
                        goto fail;
                }
                if (unlink(path) < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        goto fail;
        }
        if (listen(fd, SOMAXCONN) < 0)
                goto fail;
        return fd;
fail:
        r = -errno;
        close(fd);
        return r;
}
