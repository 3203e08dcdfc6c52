/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim for the power-cut test: logs every filesystem mutation under one directory
 * (SATMC_POWERCUT_DIR), with its data and a CLOCK_MONOTONIC time, to SATMC_POWERCUT_LOG
 * (format: powercut-log.h). powercut_replay.py rebuilds from that log what a disk would hold
 * after a power cut at any point.
 *
 * It must not change what the program does: every call goes to the real function (dlsym
 * RTLD_NEXT) first, errno is what the real call left, and only calls that succeeded are
 * logged. The bookkeeping uses only system calls and the stack (no malloc, no stdio, no locks),
 * so it is as safe in a signal handler or a second thread as the call it wraps. A record is one
 * writev() to an O_APPEND file, so records from two threads do not interleave.
 *
 * What is watched: the directory's inode, the directories below it (found at start, or made
 * by mkdir), and every
 * fd opened with its parent (or, for O_TMPFILE and directories, itself) among them. Not seen:
 * stdio writes (glibc calls its internal write; fopen for writing in the directory is logged as
 * unsupported so that the replay refuses the log), mmap, copy_file_range, sendfile, fallocate,
 * truncate() by path.
 */
/* Define open() and open64(), pwrite() and pwrite64() side by side: neither may be a macro or
 * an inline wrapper of the other here. */
#undef _FILE_OFFSET_BITS
/* glibc allows _TIME_BITS=64 (meson.build, 32-bit targets) only with 64-bit offsets; the shim's
 * one clock is CLOCK_MONOTONIC, logged as nanoseconds in 64 bits. */
#undef _TIME_BITS
#undef _FORTIFY_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "powercut-log.h"

#define FD_MAX 4096             /* fds above this are not followed (satmcd uses a few dozen) */
#define DIRS_MAX 256
#define LOG_FD_MIN 900          /* out of the way of LISTEN_FDS (3...) and ordinary fds */
#define IOV_DATA_MAX 64

static struct {
        int log_fd;
        dev_t dev;
        ino_t dirs[DIRS_MAX];   /* dirs[0]: the watched directory itself; 0 until it exists */
        unsigned n_dirs;
        ino_t fd_ino[FD_MAX];   /* 0: not watched */
} g = { .log_fd = -1 };

/* The real functions. */
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off64_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off64_t);
static int (*real_ftruncate)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_syncfs)(int);
static void (*real_sync)(void);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_mkdirat)(int, const char *, mode_t);
static FILE *(*real_fopen)(const char *, const char *);

#define RESOLVE(name, sym) \
        do { if (!real_##name) real_##name = dlsym(RTLD_NEXT, sym); } while (0)

static void resolve_all(void) {
        RESOLVE(open, "open64");
        RESOLVE(openat, "openat64");
        RESOLVE(write, "write");
        RESOLVE(pwrite, "pwrite64");
        RESOLVE(writev, "writev");
        RESOLVE(pwritev, "pwritev64");
        RESOLVE(ftruncate, "ftruncate64");
        RESOLVE(fsync, "fsync");
        RESOLVE(fdatasync, "fdatasync");
        RESOLVE(syncfs, "syncfs");
        RESOLVE(sync, "sync");
        RESOLVE(close, "close");
        RESOLVE(dup, "dup");
        RESOLVE(dup2, "dup2");
        RESOLVE(dup3, "dup3");
        RESOLVE(fcntl, "fcntl64");
        RESOLVE(renameat2, "renameat2");
        RESOLVE(linkat, "linkat");
        RESOLVE(unlinkat, "unlinkat");
        RESOLVE(mkdirat, "mkdirat");
        RESOLVE(fopen, "fopen64");
}

/* ---- scope ---- */

static void watch_dir(ino_t ino) {
        if (g.n_dirs < DIRS_MAX)
                g.dirs[g.n_dirs++] = ino;
}

/* The directories already below the watched one (getdents64 into a stack buffer: no malloc). */
static void watch_subdirs(int fd, unsigned depth) {
        char buf[4096];
        long n;

        if (depth > 8)
                return;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
                for (long pos = 0; pos < n;) {
                        struct {
                                uint64_t ino;
                                int64_t off;
                                unsigned short reclen;
                                unsigned char type;
                                char name[];
                        } *e = (void *) (buf + pos);
                        int sub;

                        pos += e->reclen;
                        if (e->type != DT_DIR || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
                                continue;
                        sub = real_openat(fd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                       O_CLOEXEC);
                        if (sub < 0)
                                continue;
                        watch_dir(e->ino);
                        watch_subdirs(sub, depth + 1);
                        real_close(sub);
                }
}

/* The watched directory may be made after we start (satmcd creates its state directory). */
static bool have_root(void) {
        const char *dir;
        struct stat st;
        int fd;

        if (g.n_dirs > 0)
                return true;
        dir = getenv("SATMC_POWERCUT_DIR");     /* read-only use of environ: safe enough */
        if (!dir || !real_openat)
                return false;
        fd = real_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (fstat(fd, &st) == 0) {
                g.dev = st.st_dev;
                watch_dir(st.st_ino);
                watch_subdirs(fd, 0);
        }
        real_close(fd);
        return g.n_dirs > 0;
}

static bool dir_watched(dev_t dev, ino_t ino) {
        if (!have_root() || dev != g.dev)
                return false;
        for (unsigned i = 0; i < g.n_dirs; i++)
                if (g.dirs[i] == ino)
                        return true;
        return false;
}

static ino_t fd_watched(int fd) {
        return fd >= 0 && fd < FD_MAX ? g.fd_ino[fd] : 0;
}

static void watch_fd(int fd, ino_t ino) {
        if (fd >= 0 && fd < FD_MAX)
                g.fd_ino[fd] = ino;
}

/*
 * The directory that path (relative to dirfd) names an entry of, and the entry's name: 0 if
 * that directory is not watched. Trailing slashes are not stripped: satmcd names no
 * directories that way.
 */
static ino_t parent_of(int dirfd, const char *path, const char **base) {
        char dir[PATH_MAX];
        const char *slash = path ? strrchr(path, '/') : NULL;
        struct stat st;
        int r;

        *base = path ? (slash ? slash + 1 : path) : "";
        if (!path)
                return 0;
        if (!slash)
                r = dirfd == AT_FDCWD ? fstatat(AT_FDCWD, ".", &st, 0)
                                      : fstatat(dirfd, "", &st, AT_EMPTY_PATH);
        else {
                size_t n = slash == path ? 1 : (size_t) (slash - path);

                if (n >= sizeof(dir))
                        return 0;
                memcpy(dir, path, n);
                dir[n] = '\0';
                r = fstatat(dirfd, dir, &st, 0);
        }
        if (r < 0 || !S_ISDIR(st.st_mode) || !dir_watched(st.st_dev, st.st_ino))
                return 0;
        return st.st_ino;
}

static ino_t ino_at(int dirfd, const char *path, int flags) {
        struct stat st;

        return fstatat(dirfd, path, &st, flags) < 0 ? 0 : st.st_ino;
}

/* ---- the log ---- */

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Append one record; data is iov[0..n_iov) clipped to data_len bytes. errno is kept. */
static void log_record(struct pc_record *rec, const char *name, const char *name2,
                       const struct iovec *data, int n_data, size_t data_len) {
        struct iovec iov[3 + IOV_DATA_MAX];
        int n = 0, saved = errno;
        size_t left = data_len;

        if (g.log_fd < 0) {
                errno = saved;
                return;
        }
        rec->time_ns = now_ns();
        rec->tid = (uint32_t) syscall(SYS_gettid);
        rec->name_len = name ? (uint32_t) strlen(name) : 0;
        rec->name2_len = name2 ? (uint32_t) strlen(name2) : 0;
        rec->data_len = data_len;
        rec->size = (uint32_t) (sizeof(*rec) + rec->name_len + rec->name2_len + data_len);
        iov[n++] = (struct iovec) { rec, sizeof(*rec) };
        if (rec->name_len)
                iov[n++] = (struct iovec) { (void *) name, rec->name_len };
        if (rec->name2_len)
                iov[n++] = (struct iovec) { (void *) name2, rec->name2_len };
        for (int i = 0; i < n_data && left > 0 && n < (int) (sizeof(iov) / sizeof(iov[0])); i++) {
                size_t take = data[i].iov_len < left ? data[i].iov_len : left;

                iov[n++] = (struct iovec) { data[i].iov_base, take };
                left -= take;
        }
        if (left > 0) {
                /* More iovecs than we carry: say so rather than log a wrong length. */
                rec->op = PC_OP_UNSUPPORTED;
                rec->data_len = 0;
                rec->size = (uint32_t) (sizeof(*rec) + rec->name_len + rec->name2_len);
                n = 1 + (rec->name_len > 0) + (rec->name2_len > 0);
        }
        (void) real_writev(g.log_fd, iov, n);
        errno = saved;
}

static void log_simple(uint16_t op, int fd, ino_t ino) {
        struct pc_record rec = { .op = op, .fd = fd, .ino = ino };

        log_record(&rec, NULL, NULL, NULL, 0, 0);
}

__attribute__((constructor)) static void shim_init(void) {
        const char *path = getenv("SATMC_POWERCUT_LOG");
        int fd;

        resolve_all();
        if (!path)
                return;
        fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        g.log_fd = real_fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN);
        real_close(fd);
        (void) have_root();
}

/* ---- open ---- */

static bool needs_mode(int flags) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode) {
        bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
        const char *base;
        ino_t dir = parent_of(dirfd, path, &base);
        bool existed = (flags & O_CREAT) && dir && ino_at(dirfd, path, AT_SYMLINK_NOFOLLOW);
        struct stat st;
        int fd;

        resolve_all();
        fd = real_openat(dirfd, path, flags, mode);
        if (fd < 0 || fstat(fd, &st) < 0)
                return fd;
        if (S_ISDIR(st.st_mode) && dir_watched(st.st_dev, st.st_ino)) {
                /* The directory itself (to fsync it, or to open files relative to it). */
                struct pc_record rec = { .op = PC_OP_OPEN, .fd = fd, .arg = flags,
                                         .ino = st.st_ino, .dir = dir };

                watch_fd(fd, st.st_ino);
                log_record(&rec, base, NULL, NULL, 0, 0);
                return fd;
        }
        if (tmpfile) {
                /* path names the directory the unnamed file lives in. */
                struct stat d;

                if (fstatat(dirfd, path, &d, 0) < 0 || !dir_watched(d.st_dev, d.st_ino))
                        return fd;
                dir = d.st_ino;
                base = "";
        }
        if (!dir) {
                watch_fd(fd, 0);
                return fd;
        }
        watch_fd(fd, st.st_ino);
        struct pc_record rec = {
                .op = PC_OP_OPEN, .fd = fd, .arg = flags, .ino = st.st_ino, .dir = dir,
                .flags = (tmpfile ? PC_F_TMPFILE : 0) |
                         ((flags & O_CREAT) && !existed ? PC_F_CREATED : 0),
        };
        log_record(&rec, base, NULL, NULL, 0, 0);
        return fd;
}

#define MODE_ARG(flags, mode)                                   \
        do {                                                    \
                if (needs_mode(flags)) {                        \
                        va_list ap;                             \
                        va_start(ap, flags);                    \
                        mode = (mode_t) va_arg(ap, int);        \
                        va_end(ap);                             \
                }                                               \
        } while (0)

int open(const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return do_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return do_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return do_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return do_openat(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's checked forms: no mode argument. glibc declares them only for itself. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags) {
        return do_openat(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags) {
        return do_openat(AT_FDCWD, path, flags, 0);
}

int __openat_2(int dirfd, const char *path, int flags) {
        return do_openat(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags) {
        return do_openat(dirfd, path, flags, 0);
}

int creat(const char *path, mode_t mode) {
        return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) {
        return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

static FILE *do_fopen(const char *path, const char *mode) {
        const char *base;
        ino_t dir = parent_of(AT_FDCWD, path, &base);
        FILE *f;

        resolve_all();
        f = real_fopen(path, mode);
        if (f && dir && strpbrk(mode, "wa+")) {
                struct pc_record rec = { .op = PC_OP_UNSUPPORTED, .dir = dir };

                log_record(&rec, base, "fopen for writing: stdio writes are not seen", NULL, 0, 0);
        }
        return f;
}

FILE *fopen(const char *path, const char *mode) {
        return do_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
        return do_fopen(path, mode);
}

/* ---- data ---- */

static void log_write(int fd, ino_t ino, off64_t off, const struct iovec *iov, int n, size_t len) {
        struct pc_record rec = { .op = PC_OP_WRITE, .fd = fd, .ino = ino, .off = off };

        log_record(&rec, NULL, NULL, iov, n, len);
}

ssize_t write(int fd, const void *buf, size_t len) {
        ssize_t r;
        ino_t ino;

        resolve_all();
        r = real_write(fd, buf, len);
        if (r > 0 && (ino = fd_watched(fd))) {
                struct iovec iov = { (void *) buf, (size_t) r };
                int saved = errno;
                off64_t end = lseek64(fd, 0, SEEK_CUR);

                errno = saved;
                log_write(fd, ino, end - r, &iov, 1, (size_t) r);
        }
        return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off) {
        ssize_t r;
        ino_t ino;

        resolve_all();
        r = real_pwrite(fd, buf, len, off);
        if (r > 0 && (ino = fd_watched(fd))) {
                struct iovec iov = { (void *) buf, (size_t) r };

                log_write(fd, ino, off, &iov, 1, (size_t) r);
        }
        return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
        return pwrite64(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
        ssize_t r;
        ino_t ino;

        resolve_all();
        r = real_writev(fd, iov, n);
        if (r > 0 && (ino = fd_watched(fd))) {
                int saved = errno;
                off64_t end = lseek64(fd, 0, SEEK_CUR);

                errno = saved;
                log_write(fd, ino, end - r, iov, n, (size_t) r);
        }
        return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off64_t off) {
        ssize_t r;
        ino_t ino;

        resolve_all();
        r = real_pwritev(fd, iov, n, off);
        if (r > 0 && (ino = fd_watched(fd)))
                log_write(fd, ino, off, iov, n, (size_t) r);
        return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
        return pwritev64(fd, iov, n, off);
}

int ftruncate64(int fd, off64_t len) {
        ino_t ino;
        int r;

        resolve_all();
        r = real_ftruncate(fd, len);
        if (r == 0 && (ino = fd_watched(fd))) {
                struct pc_record rec = { .op = PC_OP_TRUNCATE, .fd = fd, .ino = ino, .off = len };

                log_record(&rec, NULL, NULL, NULL, 0, 0);
        }
        return r;
}

int ftruncate(int fd, off_t len) {
        return ftruncate64(fd, len);
}

/* ---- durability ---- */

int fsync(int fd) {
        ino_t ino;
        int r;

        resolve_all();
        r = real_fsync(fd);
        if (r == 0 && (ino = fd_watched(fd)))
                log_simple(PC_OP_FSYNC, fd, ino);
        return r;
}

int fdatasync(int fd) {
        ino_t ino;
        int r;

        resolve_all();
        r = real_fdatasync(fd);
        if (r == 0 && (ino = fd_watched(fd)))
                log_simple(PC_OP_FDATASYNC, fd, ino);
        return r;
}

int syncfs(int fd) {
        struct stat st;
        int r;

        resolve_all();
        r = real_syncfs(fd);
        if (r == 0 && fstat(fd, &st) == 0 && have_root() && st.st_dev == g.dev)
                log_simple(PC_OP_SYNCFS, fd, st.st_ino);
        return r;
}

void sync(void) {
        resolve_all();
        real_sync();
        log_simple(PC_OP_SYNC, -1, 0);
}

/* ---- fds ---- */

int close(int fd) {
        ino_t ino = fd_watched(fd);
        int r;

        resolve_all();
        if (fd == g.log_fd && fd >= 0) {
                /* Not the program's fd: it never opened it. Same answer as for a closed fd. */
                errno = EBADF;
                return -1;
        }
        watch_fd(fd, 0);
        r = real_close(fd);
        if (ino)
                log_simple(PC_OP_CLOSE, fd, ino);
        return r;
}

static int dup_done(int from, int to) {
        if (to >= 0 && from != to)
                watch_fd(to, fd_watched(from));
        return to;
}

int dup(int fd) {
        resolve_all();
        return dup_done(fd, real_dup(fd));
}

int dup2(int fd, int to) {
        resolve_all();
        return dup_done(fd, real_dup2(fd, to));
}

int dup3(int fd, int to, int flags) {
        resolve_all();
        return dup_done(fd, real_dup3(fd, to, flags));
}

static int do_fcntl(int fd, int cmd, void *arg) {
        int r;

        resolve_all();
        r = real_fcntl(fd, cmd, arg);
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
                return dup_done(fd, r);
        return r;
}

/* glibc passes fcntl's third argument as a pointer-sized value whatever the command. */
int fcntl(int fd, int cmd, ...) {
        va_list ap;
        void *arg;

        va_start(ap, cmd);
        arg = va_arg(ap, void *);
        va_end(ap);
        return do_fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
        va_list ap;
        void *arg;

        va_start(ap, cmd);
        arg = va_arg(ap, void *);
        va_end(ap);
        return do_fcntl(fd, cmd, arg);
}

/* ---- names ---- */

int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags) {
        const char *obase, *nbase;
        ino_t odir = parent_of(olddirfd, old, &obase), ndir = parent_of(newdirfd, new, &nbase);
        ino_t replaced = ndir ? ino_at(newdirfd, new, AT_SYMLINK_NOFOLLOW) : 0;
        int r;

        resolve_all();
        r = real_renameat2(olddirfd, old, newdirfd, new, flags);
        if (r == 0 && (odir || ndir)) {
                struct pc_record rec = {
                        .op = PC_OP_RENAME, .arg = (int32_t) flags, .dir = odir, .dir2 = ndir,
                        .ino = ino_at(newdirfd, new, AT_SYMLINK_NOFOLLOW), .ino2 = replaced,
                };
                log_record(&rec, obase, nbase, NULL, 0, 0);
        }
        return r;
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new) {
        return renameat2(olddirfd, old, newdirfd, new, 0);
}

int rename(const char *old, const char *new) {
        return renameat2(AT_FDCWD, old, AT_FDCWD, new, 0);
}

int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags) {
        const char *nbase;
        ino_t ndir = parent_of(newdirfd, new, &nbase);
        int r;

        resolve_all();
        r = real_linkat(olddirfd, old, newdirfd, new, flags);
        if (r == 0 && ndir) {
                /* The new name says which inode it is, whatever the source form (a path,
                 * AT_EMPTY_PATH on an fd, /proc/self/fd/N with AT_SYMLINK_FOLLOW). */
                struct pc_record rec = { .op = PC_OP_LINK, .arg = flags, .dir2 = ndir,
                                         .ino = ino_at(newdirfd, new, AT_SYMLINK_NOFOLLOW) };

                log_record(&rec, NULL, nbase, NULL, 0, 0);
        }
        return r;
}

int link(const char *old, const char *new) {
        return linkat(AT_FDCWD, old, AT_FDCWD, new, 0);
}

int unlinkat(int dirfd, const char *path, int flags) {
        const char *base;
        ino_t dir = parent_of(dirfd, path, &base);
        ino_t ino = dir ? ino_at(dirfd, path, AT_SYMLINK_NOFOLLOW) : 0;
        int r;

        resolve_all();
        r = real_unlinkat(dirfd, path, flags);
        if (r == 0 && dir) {
                struct pc_record rec = { .op = PC_OP_UNLINK, .arg = flags, .dir = dir, .ino = ino };

                log_record(&rec, base, NULL, NULL, 0, 0);
        }
        return r;
}

int unlink(const char *path) {
        return unlinkat(AT_FDCWD, path, 0);
}

int rmdir(const char *path) {
        return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

int mkdirat(int dirfd, const char *path, mode_t mode) {
        const char *base;
        ino_t dir = parent_of(dirfd, path, &base);
        int r;

        resolve_all();
        r = real_mkdirat(dirfd, path, mode);
        if (r == 0 && dir) {
                struct pc_record rec = { .op = PC_OP_MKDIR, .dir = dir,
                                         .ino = ino_at(dirfd, path, AT_SYMLINK_NOFOLLOW) };

                watch_dir(rec.ino);
                log_record(&rec, base, NULL, NULL, 0, 0);
        }
        return r;
}

int mkdir(const char *path, mode_t mode) {
        return mkdirat(AT_FDCWD, path, mode);
}
