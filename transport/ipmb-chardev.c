/* SPDX-License-Identifier: MIT */
/*
 * Linux ipmb-dev-int backend (drivers/char/ipmi/ipmb_dev_int.c). One read() returns one queued
 * message as [len][own 8-bit address][netFn/LUN][chk1]...[chk2]; one write() sends
 * [len][destination 8-bit address][netFn/LUN]... The driver checks only len >= 7 and chk1 on
 * receive, so chk2 is the daemon's job (the codec does it). Everything here is non-blocking:
 * the daemon polls the fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "transport.h"

/*
 * Read with room for anything the driver may hold (its own limit is a few hundred bytes in
 * some kernel versions), so an oversized message is consumed whole and reported, never split
 * across two reads.
 */
#define CHARDEV_READ_MAX 512

/*
 * read(2) and write(2) without glibc's cancellation-point wrappers: in a process with threads
 * (the sensor thread) every read() and write() switches asynchronous cancellation on and off
 * around the system call, ~60 of satmcd's ~900 instructions per request (callgrind). satmcd
 * never cancels a thread, so the plain system call does the same work. (An LD_PRELOAD wrapper
 * of write() does not see these: satmcd reaches the emulated bus through its own transport.)
 */
static ssize_t read_nocancel(int fd, void *buf, size_t size) {
        return syscall(SYS_read, fd, buf, size);
}

static ssize_t write_nocancel(int fd, const void *buf, size_t size) {
        return syscall(SYS_write, fd, buf, size);
}

struct chardev {
        struct transport t;
        int fd;
        /* What one read() returned: [len][frame], the frame handed out in place. */
        uint8_t raw[CHARDEV_READ_MAX];
};

/* One read(): the frame stays in c->raw at raw + 1. Returns its length or -errno. */
static int chardev_read(struct chardev *c) {
        ssize_t n;
        size_t len;

        n = read_nocancel(c->fd, c->raw, sizeof(c->raw));
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (n == 0)
                return -EPIPE;  /* only a socket stand-in ever returns EOF */

        /* Byte 0 is the message length; a message the read could not hold whole is lost. */
        len = c->raw[0];
        if (len == 0 || len > (size_t) n - 1)
                return -EMSGSIZE;
        return (int) len;
}

/* The frame path decodes the frame where the read put it instead of copying it out. */
static int chardev_recv_view(struct transport *t, const uint8_t **frame) {
        struct chardev *c = (struct chardev *) t;
        int r = chardev_read(c);

        if (r > TRANSPORT_FRAME_MAX)
                return -EMSGSIZE;       /* longer than any frame the daemon takes: lost */
        if (r > 0)
                *frame = c->raw + 1;
        return r;
}

static int chardev_recv(struct transport *t, uint8_t *buf, size_t size) {
        struct chardev *c = (struct chardev *) t;
        int r = chardev_read(c);

        if (r < 0)
                return r;
        if ((size_t) r > size)
                return -EMSGSIZE;
        memcpy(buf, c->raw + 1, (size_t) r);
        return r;
}

/* The length byte goes into the headroom: one write() of [len][frame], nothing copied. */
static int chardev_send_in_place(struct transport *t, uint8_t *frame, size_t len) {
        struct chardev *c = (struct chardev *) t;
        ssize_t n;

        if (len < 1 || len > TRANSPORT_FRAME_MAX || len > UINT8_MAX)
                return -EMSGSIZE;

        frame[-1] = (uint8_t) len;
        n = write_nocancel(c->fd, frame - 1, len + 1);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if ((size_t) n != len + 1)
                return -EIO;
        return 0;
}

static int chardev_send(struct transport *t, const uint8_t *frame, size_t len) {
        uint8_t raw[TRANSPORT_HEADROOM + TRANSPORT_FRAME_MAX];

        if (len < 1 || len > TRANSPORT_FRAME_MAX)
                return -EMSGSIZE;
        memcpy(raw + TRANSPORT_HEADROOM, frame, len);
        return chardev_send_in_place(t, raw + TRANSPORT_HEADROOM, len);
}

static int chardev_fd(struct transport *t) {
        return ((struct chardev *) t)->fd;
}

static void chardev_free(struct transport *t) {
        struct chardev *c = (struct chardev *) t;

        if (c->fd >= 0)
                close(c->fd);
        free(c);
}

static const struct transport_ops chardev_ops = {
        .name = "chardev",
        .recv = chardev_recv,
        .send = chardev_send,
        .recv_view = chardev_recv_view,
        .send_in_place = chardev_send_in_place,
        .fd = chardev_fd,
        .free = chardev_free,
};

int transport_chardev_from_fd(int fd, struct transport **ret) {
        struct chardev *c;
        int flags;

        if (fd < 0 || !ret)
                return -EINVAL;

        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return -errno;
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->t.ops = &chardev_ops;
        c->fd = fd;
        *ret = &c->t;
        return 0;
}

int transport_chardev_open(const char *path, struct transport **ret) {
        int fd, r;

        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = transport_chardev_from_fd(fd, ret);
        if (r < 0)
                close(fd);
        return r;
}
