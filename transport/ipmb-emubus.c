/* SPDX-License-Identifier: MIT */
/*
 * Client of the emulated I2C bus (docs/emulated-bus.md). It holds two connections, as an I2C
 * controller in multi-master mode has two roles: the slave connection owns our addresses and
 * receives DELIVER packets (that is the fd the daemon polls), the master connection carries
 * our writes and their ACK/NAK. Keeping them apart means a reply to our write can never be
 * confused with a request arriving at the same moment.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "protocol/emubus-wire.h"
#include "transport.h"
#include "unix-socket.h"

/* How long a write waits for its ACK/NAK: generous beside the bus's microseconds, short
 * beside IPMB's 250 ms retry interval, and longer than the default delay fault (50 ms). */
#define EMUBUS_ACK_TIMEOUT_MS   200
#define EMUBUS_ATTACH_TIMEOUT_MS 2000

struct emubus {
        struct transport t;
        int slave_fd;
        int master_fd;
        uint8_t next_tag;
};

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the next packet of the given type on fd; others are skipped. */
static int await(int fd, uint8_t type, int tag, int timeout_ms, struct emubus_msg *m,
                 uint8_t *buf, size_t size) {
        int64_t deadline = now_ms() + timeout_ms;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int64_t left = deadline - now_ms();
                ssize_t n;
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) left);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -ETIMEDOUT;
                n = recv(fd, buf, size, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EPIPE;
                if (emubus_decode(buf, (size_t) n, m) < 0 || m->type != type)
                        continue;
                if (tag >= 0 && m->tag != tag)
                        continue;       /* a late answer to a write that already timed out */
                return 0;
        }
}

static int emubus_recv(struct transport *t, uint8_t *buf, size_t size) {
        struct emubus *e = (struct emubus *) t;
        uint8_t pkt[EMUBUS_PACKET_MAX];
        struct emubus_msg m;
        ssize_t n;

        n = recv(e->slave_fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (n == 0)
                return -EPIPE;
        if ((size_t) n > sizeof(pkt))
                return -EMSGSIZE;
        if (emubus_decode(pkt, (size_t) n, &m) < 0 || m.type != EMUBUS_DELIVER)
                return -EPROTO;
        if (m.len + 1 > size)
                return -EMSGSIZE;

        /* Rebuild the frame as the chardev delivers it: address byte (8-bit) first. */
        buf[0] = (uint8_t) (m.addr7 << 1);
        memcpy(buf + 1, m.data, m.len);
        return (int) (m.len + 1);
}

static int emubus_send(struct transport *t, const uint8_t *frame, size_t len) {
        struct emubus *e = (struct emubus *) t;
        uint8_t pkt[EMUBUS_PACKET_MAX];
        struct emubus_msg m = {
                .type = EMUBUS_WRITE,
                .tag = e->next_tag++,
                .addr7 = frame[0] >> 1,
                .data = frame + 1,
                .len = len - 1,
        };
        int n, r;

        if (len < 2)
                return -EMSGSIZE;
        n = emubus_encode(&m, pkt, sizeof(pkt));
        if (n < 0)
                return n;
        if (send(e->master_fd, pkt, (size_t) n, MSG_NOSIGNAL) < 0)
                return -errno;

        r = await(e->master_fd, EMUBUS_WRITTEN, m.tag, EMUBUS_ACK_TIMEOUT_MS, &m, pkt, sizeof(pkt));
        if (r < 0)
                return r;
        return m.status == EMUBUS_ACK ? 0 : -ENXIO;    /* what i2c adapters return for a NAK */
}

static int emubus_fd(struct transport *t) {
        return ((struct emubus *) t)->slave_fd;
}

static void emubus_free(struct transport *t) {
        struct emubus *e = (struct emubus *) t;

        if (e->slave_fd >= 0)
                close(e->slave_fd);
        if (e->master_fd >= 0)
                close(e->master_fd);
        free(e);
}

static const struct transport_ops emubus_ops = {
        .name = "emulated-bus",
        .recv = emubus_recv,
        .send = emubus_send,
        .fd = emubus_fd,
        .free = emubus_free,
};

int transport_emubus_open(const char *socket_path, const uint8_t *addrs7, size_t n_addrs,
                          struct transport **ret) {
        uint8_t pkt[EMUBUS_PACKET_MAX];
        struct emubus_msg m = { .type = EMUBUS_ATTACH, .data = addrs7, .len = n_addrs };
        struct emubus *e;
        int n, r;

        if (!socket_path || !ret || n_addrs == 0 || n_addrs > EMUBUS_ATTACH_MAX)
                return -EINVAL;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->t.ops = &emubus_ops;
        e->master_fd = -1;

        e->slave_fd = unix_socket_connect(socket_path, SOCK_SEQPACKET);
        if (e->slave_fd < 0) {
                r = e->slave_fd;
                goto fail;
        }
        e->master_fd = unix_socket_connect(socket_path, SOCK_SEQPACKET);
        if (e->master_fd < 0) {
                r = e->master_fd;
                goto fail;
        }

        n = emubus_encode(&m, pkt, sizeof(pkt));
        if (n < 0) {
                r = n;
                goto fail;
        }
        if (send(e->slave_fd, pkt, (size_t) n, MSG_NOSIGNAL) < 0) {
                r = -errno;
                goto fail;
        }
        r = await(e->slave_fd, EMUBUS_ATTACHED, -1, EMUBUS_ATTACH_TIMEOUT_MS, &m, pkt, sizeof(pkt));
        if (r < 0)
                goto fail;
        if (m.status != 0) {
                r = -m.status;  /* e.g. EADDRINUSE: another endpoint owns the address */
                goto fail;
        }

        *ret = &e->t;
        return 0;

fail:
        emubus_free(&e->t);
        return r;
}
