/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"

/* Group-readable at most (the unit's UMask=0027 agrees): nobody else needs these files. */
#define COPY_MODE 0640

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

static int write_and_sync(int fd, const void *buf, size_t len) {
        int r = write_all(fd, buf, len);

        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        return r;
}

/* Name an O_TMPFILE file. AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which satmcd does not
 * have; the /proc/self/fd link works without it. */
static int link_tmpfile(int fd, int dir_fd, const char *name) {
        char proc[64];

        if (linkat(fd, "", dir_fd, name, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOENT && errno != EPERM)
                return -errno;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return errno == ENOENT ? -EOPNOTSUPP : -errno;  /* no /proc: fall back */
        return 0;
}

/*
 * The new content, fsync'ed, under tmp_name. First choice O_TMPFILE: nothing has a name until the
 * copy is whole, so a crash leaves no .tmp at all. Returns 0, -EOPNOTSUPP when the filesystem
 * has no O_TMPFILE (the caller falls back), or -errno; on failure no tmp_name of ours is left.
 */
static int make_copy_unnamed(int dir_fd, const char *tmp_name, const void *buf, size_t len) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, COPY_MODE);
        if (fd < 0) {
                /* EISDIR: a kernel older than O_TMPFILE takes it for O_DIRECTORY. */
                if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
                        return -EOPNOTSUPP;
                return -errno;
        }
        r = write_and_sync(fd, buf, len);
        if (r < 0)
                return r;
        r = link_tmpfile(fd, dir_fd, tmp_name);
        if (r == -EEXIST) {
                /* Something is in the way: a leftover, or a name planted there. */
                if (unlinkat(dir_fd, tmp_name, 0) < 0)
                        return -errno;
                r = link_tmpfile(fd, dir_fd, tmp_name);
        }
        if (r < 0)
                return r;
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                (void) unlinkat(dir_fd, tmp_name, 0);
                return r;
        }
        return 0;
}

/* The same with a named file, created exclusively: never opened through an existing name. */
static int make_copy_named(int dir_fd, const char *tmp_name, const void *buf, size_t len) {
        const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                          O_CLOEXEC;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dir_fd, tmp_name, flags, COPY_MODE);
        if (fd < 0 && errno == EEXIST) {
                if (unlinkat(dir_fd, tmp_name, 0) < 0)
                        return -errno;
                fd = openat(dir_fd, tmp_name, flags, COPY_MODE);
        }
        if (fd < 0)
                return -errno;
        r = write_and_sync(fd, buf, len);
        if (r == 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp_name, 0);
        return r;
}

int atomic_file_replace(int dir_fd, const char *name, const char *tmp_name, const void *buf,
                        size_t len) {
        int r;

        r = make_copy_unnamed(dir_fd, tmp_name, buf, len);
        if (r == -EOPNOTSUPP)
                r = make_copy_named(dir_fd, tmp_name, buf, len);
        if (r < 0)
                return r;
        if (renameat(dir_fd, tmp_name, dir_fd, name) < 0) {
                r = -errno;
                /* The old file is intact; do not leave a copy beside it. */
                (void) unlinkat(dir_fd, tmp_name, 0);
                return r;
        }
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}
