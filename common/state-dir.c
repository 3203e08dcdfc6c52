/* SPDX-License-Identifier: MIT */
/* The state directory, trusted for nothing it holds: state-dir.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "state-dir.h"

struct state_dir {
        char *path;
        int fd;
};

/* Ours: made by our effective user, or by root (who could replace satmcd itself anyway). */
static bool owner_trusted(uid_t uid) {
        return uid == geteuid() || uid == 0;
}

/* What makes st unfit to be one of our files, or NULL; *ret_errno is the error to return. */
static const char *file_problem(const struct stat *st, bool check_links, int *ret_errno) {
        *ret_errno = EBADFD;
        if (S_ISLNK(st->st_mode)) {
                *ret_errno = ELOOP;
                return "is a symbolic link";
        }
        if (S_ISDIR(st->st_mode)) {
                *ret_errno = EISDIR;
                return "is a directory";
        }
        if (S_ISFIFO(st->st_mode))
                return "is a FIFO";
        if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                return "is a device node";
        if (S_ISSOCK(st->st_mode))
                return "is a socket";
        if (!S_ISREG(st->st_mode))
                return "is not a regular file";
        if (!owner_trusted(st->st_uid)) {
                *ret_errno = EPERM;
                return "is owned by another user";
        }
        /* Ours never have a second name: one elsewhere would be read (and served) as ours. */
        if (check_links && st->st_nlink > 1) {
                *ret_errno = EMLINK;
                return "has more than one hard link";
        }
        return NULL;
}

static int refuse(const struct state_dir *d, const char *name, const struct stat *st,
                  const char *problem, int error) {
        return log_error_errno(error, "%s/%s %s (uid %u, mode %04o, %ju links), where satmcd "
                               "keeps its own file: refusing to use it. Remove it.", d->path, name,
                               problem, (unsigned) st->st_uid, (unsigned) (st->st_mode & 07777),
                               (uintmax_t) st->st_nlink);
}

/* A new directory's name lives in its parent: until the parent is fsynced, a power cut may take
 * the directory, and every file acknowledged in it, away (tests/integration/test-powercut.py). */
static int sync_parent(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -EBADF;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int state_dir_open(const char *path, struct state_dir **ret) {
        _cleanup_(state_dir_freep) struct state_dir *d = NULL;
        struct stat st;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->fd = -EBADF;
        d->path = strdup(path);
        if (!d->path)
                return -ENOMEM;

        if (mkdir(path, 0750) == 0) {
                int r = sync_parent(path);

                if (r < 0)
                        return log_error_errno(r, "Failed to make state directory %s durable: %m",
                                               path);
                log_info("Created state directory %s.", path);
        } else if (errno != EEXIST)
                return log_error_errno(errno, "Failed to create state directory %s: %m", path);

        d->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d->fd < 0) {
                int error = errno;

                if ((error == ELOOP || error == ENOTDIR) && lstat(path, &st) == 0 &&
                    S_ISLNK(st.st_mode))
                        return log_error_errno(ELOOP, "State directory %s is a symbolic link: "
                                               "refusing to use it. Name the directory itself.",
                                               path);
                return log_error_errno(error, "Failed to open state directory %s: %m", path);
        }
        if (fstat(d->fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat state directory %s: %m", path);
        if (!owner_trusted(st.st_uid))
                return log_error_errno(EPERM, "State directory %s is owned by uid %u, not by "
                                       "satmcd's uid %u or root: refusing to use it.", path,
                                       (unsigned) st.st_uid, (unsigned) geteuid());
        /* Whoever may write to it may plant names in it (links, FIFOs) or remove ours. */
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_error_errno(EPERM, "State directory %s is writable by %s (mode %04o): "
                                       "refusing to use it. chmod go-w it (0750 is enough).",
                                       path, st.st_mode & S_IWOTH ? "others" : "its group",
                                       (unsigned) (st.st_mode & 07777));
        *ret = TAKE_PTR(d);
        return 0;
}

int state_dir_lock(struct state_dir *d) {
        if (flock(d->fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(EBUSY, "State directory %s is in use by another "
                                               "satmcd.", d->path);
                return log_error_errno(errno, "Failed to lock state directory %s: %m", d->path);
        }
        return 0;
}

struct state_dir *state_dir_free(struct state_dir *d) {
        if (!d)
                return NULL;
        safe_close(d->fd);
        free(d->path);
        free(d);
        return NULL;
}

const char *state_dir_path(const struct state_dir *d) {
        return d->path;
}

int state_dir_fd(const struct state_dir *d) {
        return d->fd;
}

int state_dir_open_file(struct state_dir *d, const char *name, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        const char *problem;
        struct stat st;
        int error;

        /* Looked at before it is opened, so that a device node is not even opened. */
        if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                return log_error_errno(errno, "Failed to stat %s/%s: %m", d->path, name);
        }
        problem = file_problem(&st, true, &error);
        if (problem)
                return refuse(d, name, &st, problem, error);

        /* And checked again on what was opened: the name may have changed in between. */
        fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                if (errno == ELOOP)
                        return log_error_errno(ELOOP, "%s/%s is a symbolic link, where satmcd "
                                               "keeps its own file: refusing to use it. Remove "
                                               "it.", d->path, name);
                return log_error_errno(errno, "Failed to open %s/%s: %m", d->path, name);
        }
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s/%s: %m", d->path, name);
        problem = file_problem(&st, true, &error);
        if (problem)
                return refuse(d, name, &st, problem, error);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int state_dir_read_file(struct state_dir *d, const char *name, size_t max, uint8_t **ret,
                        size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t size, got = 0;
        int r;

        r = state_dir_open_file(d, name, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s/%s: %m", d->path, name);
        if ((uintmax_t) st.st_size > max)
                return -EFBIG;
        size = (size_t) st.st_size;
        buf = malloc(size > 0 ? size : 1);
        if (!buf)
                return -ENOMEM;
        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Failed to read %s/%s: %m", d->path, name);
                }
                if (n == 0)
                        return log_error_errno(EIO, "%s/%s shrank while being read.", d->path,
                                               name);
                got += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

int state_dir_remove_stale(struct state_dir *d, const char *name) {
        const char *problem;
        struct stat st;
        int error;

        if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Failed to stat %s/%s: %m", d->path, name);
        }
        /* A hard link is fine here: unlinking it drops this name and leaves the other alone. */
        problem = file_problem(&st, false, &error);
        if (problem)
                return refuse(d, name, &st, problem, error);
        if (unlinkat(d->fd, name, 0) < 0)
                return log_error_errno(errno, "Failed to remove %s/%s: %m", d->path, name);
        return 1;
}

int state_dir_replace(struct state_dir *d, const char *name, const char *tmp_name,
                      const void *buf, size_t len) {
        return atomic_file_replace(d->fd, name, tmp_name, buf, len);
}
