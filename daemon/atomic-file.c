/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"

int write_all(int fd, const void *buf, size_t len) {
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int atomic_file_replace(int dir_fd, const char *name, const char *tmp_name, const void *buf,
                        size_t len) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dir_fd, tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, buf, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        if (r == 0 && renameat(dir_fd, tmp_name, dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                /* The old file is intact; do not leave a half-made copy beside it. */
                (void) unlinkat(dir_fd, tmp_name, 0);
                return r;
        }
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}
