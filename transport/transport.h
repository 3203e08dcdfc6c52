/* SPDX-License-Identifier: MIT */
/*
 * Transport: moves whole IPMB frames, nothing more. One small interface and interchangeable
 * backends (the Linux ipmb-dev-int character device, the emulated I2C bus). Transports do not
 * parse IPMI, do not verify checksums and do not log: they return -errno and let the daemon
 * decide.
 *
 * A frame is the IPMB message as on the wire: the 8-bit destination address first (our own
 * address for received frames, 0x00 for a broadcast), then netFn/LUN, chk1, ... chk2.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes in the largest frame any backend moves: the kernel's 128 plus a broadcast prefix. */
#define TRANSPORT_FRAME_MAX 129

/* Bytes in front of a frame handed to transport_send_in_place() that the backend may overwrite:
 * room for the ipmb-dev-int length byte, so the frame is not copied behind it. */
#define TRANSPORT_HEADROOM 1

struct transport;

struct transport_ops {
        const char *name;
        /*
         * Receive one frame without blocking. Returns its length (> 0), -EAGAIN when nothing is
         * queued, -EMSGSIZE when a frame was consumed but did not fit (it is lost: count it),
         * -EPIPE when the peer went away, or another -errno.
         */
        int (*recv)(struct transport *t, uint8_t *buf, size_t size);
        /*
         * Send one frame (frame[0] is the 8-bit destination). Returns 0 once the bus accepted
         * it (ACK), or -errno; see transport_error_is_retryable().
         */
        int (*send)(struct transport *t, const uint8_t *frame, size_t len);
        /*
         * Optional, the frame path's copy-free pair (NULL: the wrappers below use recv and
         * send). recv_view is recv into the backend's own buffer: *frame stays valid until the
         * next receive on t. send_in_place is send, with the TRANSPORT_HEADROOM bytes before
         * frame the backend's to overwrite (its own header goes there, the frame stays put).
         */
        int (*recv_view)(struct transport *t, const uint8_t **frame);
        int (*send_in_place)(struct transport *t, uint8_t *frame, size_t len);
        /* The fd to poll for POLLIN; owned by the transport. */
        int (*fd)(struct transport *t);
        void (*free)(struct transport *t);
};

struct transport {
        const struct transport_ops *ops;
};

static inline int transport_recv(struct transport *t, uint8_t *buf, size_t size) {
        return t->ops->recv(t, buf, size);
}
static inline int transport_send(struct transport *t, const uint8_t *frame, size_t len) {
        return t->ops->send(t, frame, len);
}
/* Receive one frame, in the backend's buffer where it has one, else into scratch
 * (TRANSPORT_FRAME_MAX bytes); *frame points at it. Returns as transport_recv(). */
static inline int transport_recv_view(struct transport *t, uint8_t *scratch,
                                      const uint8_t **frame) {
        if (t->ops->recv_view)
                return t->ops->recv_view(t, frame);
        *frame = scratch;
        return t->ops->recv(t, scratch, TRANSPORT_FRAME_MAX);
}
/* transport_send() of a frame with TRANSPORT_HEADROOM writable bytes in front of it. */
static inline int transport_send_in_place(struct transport *t, uint8_t *frame, size_t len) {
        if (t->ops->send_in_place)
                return t->ops->send_in_place(t, frame, len);
        return t->ops->send(t, frame, len);
}
static inline int transport_fd(struct transport *t) {
        return t->ops->fd(t);
}
static inline const char *transport_name(struct transport *t) {
        return t->ops->name;
}

/* NULL-safe; closes the fd. Returns NULL so callers can write t = transport_free(t). */
struct transport *transport_free(struct transport *t);
static inline void transport_freep(struct transport **t) {
        transport_free(*t);
}

/*
 * Send failures a requester may retry: the peer NAKed (-ENXIO, -EREMOTEIO), the bus was busy or
 * arbitration was lost (-EAGAIN, -EBUSY), the transfer timed out (-ETIMEDOUT) or was corrupted
 * (-EIO).
 */
bool transport_error_is_retryable(int r);

/*
 * Linux ipmb-dev-int: open path (e.g. "/dev/ipmb-0") O_RDWR|O_NONBLOCK|O_CLOEXEC.
 * transport_chardev_from_fd() adopts an already-open fd instead (it is set O_NONBLOCK; the
 * transport then owns it). Tests hand it one end of a SOCK_SEQPACKET socketpair, which keeps
 * message boundaries exactly as the character device does.
 */
int transport_chardev_open(const char *path, struct transport **ret);
int transport_chardev_from_fd(int fd, struct transport **ret);

/*
 * Client of the emulated I2C bus (docs/emulated-bus.md) at socket_path, answering the 7-bit
 * addresses in addrs7[0..n_addrs). Frames to 7-bit address 0 (general call) are delivered too.
 */
int transport_emubus_open(const char *socket_path, const uint8_t *addrs7, size_t n_addrs,
                          struct transport **ret);
