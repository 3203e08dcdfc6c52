/* SPDX-License-Identifier: MIT */
/*
 * The ipmb-dev-int backend against a fake kernel. The transport gets one end of a
 * SOCK_SEQPACKET socketpair (message boundaries kept, as the character device keeps them); the
 * test plays drivers/char/ipmi/ipmb_dev_int.c on the other end: each read() hands over
 * [len][own address][netFn/LUN][chk1]...[chk2], each write() takes [len][frame].
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "transport/transport.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define SENTINEL 0xA5

struct fixture {
        struct transport *t;
        int fd;         /* the transport's end */
        int kernel;     /* ours */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        int sv[2];

        assert_non_null(f);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        /* Blocking on purpose: adopting the fd must make it non-blocking. */
        assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
        assert_int_equal(transport_chardev_from_fd(sv[0], &f->t), 0);
        assert_non_null(f->t);
        /* Checked here too, so a blocking fd fails fast instead of hanging a test. */
        assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
        f->fd = sv[0];
        f->kernel = sv[1];
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        transport_free(f->t);
        if (f->kernel >= 0)
                close(f->kernel);
        free(f);
        return 0;
}

/* The kernel queues one message: a length byte and the frame, as one read() returns them. */
static void kernel_queue(struct fixture *f, const uint8_t *frame, size_t len) {
        uint8_t raw[1 + 255];

        assert_true(len <= 255);
        raw[0] = (uint8_t) len;
        if (len > 0)
                memcpy(raw + 1, frame, len);
        assert_int_equal(send(f->kernel, raw, len + 1, 0), (ssize_t) (len + 1));
}

/* Queue arbitrary bytes as one message, e.g. a lying length byte. */
static void kernel_queue_raw(struct fixture *f, const uint8_t *raw, size_t n) {
        assert_int_equal(send(f->kernel, raw, n, 0), (ssize_t) n);
}

/* What the transport wrote, one message, or -1 when nothing is there. */
static ssize_t kernel_take(struct fixture *f, uint8_t *buf, size_t size) {
        return recv(f->kernel, buf, size, MSG_DONTWAIT);
}

/* A request as the driver delivers it: own address first, then netFn/LUN, chk1, ... chk2. */
static size_t make_frame(uint8_t *buf, size_t len, unsigned seed) {
        static const uint8_t get_device_id[] = { 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };

        for (size_t i = 0; i < len; i++)
                buf[i] = i < sizeof(get_device_id) ? get_device_id[i] : (uint8_t) (i * 13u + seed);
        return len;
}

/* --- receive ---------------------------------------------------------------------------- */

static void test_recv_exact_bytes(void **state) {
        struct fixture *f = *state;
        static const size_t lens[] = { 1, 7, 8, 32, 128, 129, 200, 255 };

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                uint8_t frame[255], buf[512];
                int r;

                make_frame(frame, lens[i], (unsigned) i);
                kernel_queue(f, frame, lens[i]);
                memset(buf, SENTINEL, sizeof(buf));
                r = transport_recv(f->t, buf, sizeof(buf));
                assert_int_equal(r, (int) lens[i]);
                /* The bytes after the length byte, and nothing else touched. */
                assert_memory_equal(buf, frame, lens[i]);
                for (size_t k = lens[i]; k < sizeof(buf); k++)
                        assert_int_equal(buf[k], SENTINEL);
        }
        assert_int_equal(transport_recv(f->t, (uint8_t[8]) {}, 8), -EAGAIN);
}

static void test_recv_empty_is_eagain(void **state) {
        struct fixture *f = *state;
        uint8_t buf[TRANSPORT_FRAME_MAX];

        assert_true(fcntl(f->fd, F_GETFL) & O_NONBLOCK);
        for (int i = 0; i < 3; i++)
                assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), -EAGAIN);
}

static void test_recv_in_order(void **state) {
        struct fixture *f = *state;
        static const size_t lens[] = { 7, 9, 32, 8, 129, 7, 100 };
        uint8_t frames[ELEMENTSOF(lens)][255];

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                make_frame(frames[i], lens[i], (unsigned) (i * 17));
                frames[i][4] = (uint8_t) (i << 2);      /* a distinct seq in each */
                kernel_queue(f, frames[i], lens[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                uint8_t buf[TRANSPORT_FRAME_MAX];

                assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), (int) lens[i]);
                assert_memory_equal(buf, frames[i], lens[i]);
        }
        assert_int_equal(transport_recv(f->t, (uint8_t[8]) {}, 8), -EAGAIN);
}

/*
 * Malformed messages: each is consumed and reported as -EMSGSIZE, and the good message queued
 * right behind it still arrives whole (the stream stays in sync).
 */
static void test_recv_malformed_then_good(void **state) {
        struct fixture *f = *state;
        static const struct {
                const char *name;
                uint8_t raw[12];
                size_t n;
        } bad[] = {
                { "length byte only", { 0x07 }, 1 },
                { "claims 8, has 7", { 0x08, 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB }, 8 },
                { "claims 255, has 7", { 0xFF, 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB }, 8 },
                { "claims 11, has 10", { 0x0B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 11 },
                { "length 0", { 0x00 }, 1 },
                { "length 0 with bytes", { 0x00, 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB }, 8 },
        };
        uint8_t good[32], buf[TRANSPORT_FRAME_MAX];

        make_frame(good, sizeof(good), 5);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r;

                kernel_queue_raw(f, bad[i].raw, bad[i].n);
                kernel_queue(f, good, sizeof(good));

                r = transport_recv(f->t, buf, sizeof(buf));
                if (r != -EMSGSIZE)
                        fail_msg("%s: %d, want -EMSGSIZE", bad[i].name, r);
                memset(buf, 0, sizeof(buf));
                assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), (int) sizeof(good));
                assert_memory_equal(buf, good, sizeof(good));
                assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), -EAGAIN);
        }
}

/* A message larger than the caller's buffer is lost whole, never split. */
static void test_recv_too_big_for_buffer(void **state) {
        struct fixture *f = *state;
        static const struct { size_t len, size; int want; } cases[] = {
                { 7, 7, 7 },
                { 7, 6, -EMSGSIZE },
                { 7, 1, -EMSGSIZE },
                { 8, 7, -EMSGSIZE },
                { 32, 32, 32 },
                { 32, 31, -EMSGSIZE },
                { 129, TRANSPORT_FRAME_MAX, 129 },
                { 130, TRANSPORT_FRAME_MAX, -EMSGSIZE },
                { 255, TRANSPORT_FRAME_MAX, -EMSGSIZE },
                { 255, 255, 255 },
        };
        uint8_t frame[255], next[7];

        make_frame(next, sizeof(next), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                /* An exact heap block, so valgrind sees a write past the caller's buffer. */
                uint8_t *buf = malloc(cases[i].size);
                uint8_t after[TRANSPORT_FRAME_MAX];
                int r;

                assert_non_null(buf);
                memset(buf, SENTINEL, cases[i].size);
                make_frame(frame, cases[i].len, (unsigned) i);
                kernel_queue(f, frame, cases[i].len);
                kernel_queue(f, next, sizeof(next));

                r = transport_recv(f->t, buf, cases[i].size);
                if (r != cases[i].want)
                        fail_msg("len %zu into %zu: %d, want %d", cases[i].len, cases[i].size, r,
                                 cases[i].want);
                if (r > 0)
                        assert_memory_equal(buf, frame, (size_t) r);
                else
                        for (size_t k = 0; k < cases[i].size; k++)
                                assert_int_equal(buf[k], SENTINEL);
                /* Consumed either way: the next read gets the next message. */
                assert_int_equal(transport_recv(f->t, after, sizeof(after)), (int) sizeof(next));
                assert_memory_equal(after, next, sizeof(next));
                free(buf);
        }
}

static void test_recv_peer_closed(void **state) {
        struct fixture *f = *state;
        uint8_t frame[7], buf[TRANSPORT_FRAME_MAX];

        /* What was queued before the close is still delivered, then the end. */
        make_frame(frame, sizeof(frame), 0);
        kernel_queue(f, frame, sizeof(frame));
        assert_int_equal(close(f->kernel), 0);
        f->kernel = -1;

        assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), (int) sizeof(frame));
        assert_memory_equal(buf, frame, sizeof(frame));
        assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), -EPIPE);
        assert_int_equal(transport_recv(f->t, buf, sizeof(buf)), -EPIPE);
}

/* --- send ------------------------------------------------------------------------------- */

static void test_send_layout(void **state) {
        struct fixture *f = *state;
        static const uint8_t get_device_id_rsp[] = {
                0x20, 0x1C, 0xC4, 0x72, 0x04, 0x01, 0x00, 0x23, 0x01, 0x01, 0x05, 0x02,
                0x08, 0x15, 0xA0, 0x00, 0x91, 0x12, 0x00, 0x00, 0x00, 0x01, 0xFC,
        };
        static const size_t lens[] = { 1, 7, 8, 32, 128, TRANSPORT_FRAME_MAX };
        uint8_t raw[1024];

        /* The driver's example: a Get Device ID response to the BMC. */
        assert_int_equal(transport_send(f->t, get_device_id_rsp, sizeof(get_device_id_rsp)), 0);
        assert_int_equal(kernel_take(f, raw, sizeof(raw)), (ssize_t) sizeof(get_device_id_rsp) + 1);
        assert_int_equal(raw[0], sizeof(get_device_id_rsp));
        assert_memory_equal(raw + 1, get_device_id_rsp, sizeof(get_device_id_rsp));

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                uint8_t frame[TRANSPORT_FRAME_MAX];

                make_frame(frame, lens[i], (unsigned) i);
                frame[0] = 0x20;
                assert_int_equal(transport_send(f->t, frame, lens[i]), 0);
                memset(raw, SENTINEL, sizeof(raw));
                assert_int_equal(kernel_take(f, raw, sizeof(raw)), (ssize_t) lens[i] + 1);
                assert_int_equal(raw[0], lens[i]);
                assert_memory_equal(raw + 1, frame, lens[i]);
        }
        /* One write per frame: nothing more is queued. */
        assert_int_equal(kernel_take(f, raw, sizeof(raw)), -1);
        assert_int_equal(errno, EAGAIN);
}

/* The frame path's pair: a frame read is handed out where the read put it, and a frame sent
 * in place gets the length byte in its headroom; both carry the same bytes as recv/send. */
static void test_view_and_in_place(void **state) {
        struct fixture *f = *state;
        static const size_t lens[] = { 7, 32, TRANSPORT_FRAME_MAX };
        uint8_t frame[255], raw[1024], out[TRANSPORT_HEADROOM + TRANSPORT_FRAME_MAX];
        const uint8_t *view = NULL;

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                make_frame(frame, lens[i], (unsigned) i);
                kernel_queue(f, frame, lens[i]);
                assert_int_equal(transport_recv_view(f->t, out, &view), (int) lens[i]);
                /* Not the scratch buffer: the backend's own. */
                assert_ptr_not_equal(view, out);
                assert_memory_equal(view, frame, lens[i]);

                memcpy(out + TRANSPORT_HEADROOM, frame, lens[i]);
                out[0] = SENTINEL;
                assert_int_equal(transport_send_in_place(f->t, out + TRANSPORT_HEADROOM,
                                                         lens[i]), 0);
                assert_int_equal(kernel_take(f, raw, sizeof(raw)), (ssize_t) lens[i] + 1);
                assert_int_equal(raw[0], lens[i]);
                assert_memory_equal(raw + 1, frame, lens[i]);
        }
        /* Longer than any frame the daemon takes: consumed and refused, the next one read. */
        make_frame(frame, TRANSPORT_FRAME_MAX + 1, 9);
        kernel_queue(f, frame, TRANSPORT_FRAME_MAX + 1);
        make_frame(frame, 7, 10);
        kernel_queue(f, frame, 7);
        assert_int_equal(transport_recv_view(f->t, out, &view), -EMSGSIZE);
        assert_int_equal(transport_recv_view(f->t, out, &view), 7);
        assert_memory_equal(view, frame, 7);
        assert_int_equal(transport_recv_view(f->t, out, &view), -EAGAIN);
        /* Bad lengths reach nothing, in place as by copy. */
        assert_int_equal(transport_send_in_place(f->t, out + TRANSPORT_HEADROOM, 0), -EMSGSIZE);
        assert_int_equal(kernel_take(f, raw, sizeof(raw)), -1);
        assert_int_equal(errno, EAGAIN);
}

static void test_send_bad_length(void **state) {
        struct fixture *f = *state;
        static const size_t bad[] = { 0, TRANSPORT_FRAME_MAX + 1, 255, 256, 4096 };
        static uint8_t frame[4096];
        uint8_t raw[16];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(transport_send(f->t, frame, bad[i]), -EMSGSIZE);
        /* Nothing reached the kernel. */
        assert_int_equal(kernel_take(f, raw, sizeof(raw)), -1);
        assert_int_equal(errno, EAGAIN);
}

/* A full queue is -EAGAIN (retryable), not a block, and draining it lets sends through. */
static void test_send_full_queue(void **state) {
        struct fixture *f = *state;
        uint8_t frame[TRANSPORT_FRAME_MAX], raw[1 + TRANSPORT_FRAME_MAX];
        int sndbuf = 4096, r = 0;
        size_t sent = 0, taken = 0;

        assert_int_equal(setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        make_frame(frame, sizeof(frame), 1);
        while (sent < 100000) {
                r = transport_send(f->t, frame, sizeof(frame));
                if (r < 0)
                        break;
                sent++;
        }
        assert_int_equal(r, -EAGAIN);
        assert_true(transport_error_is_retryable(r));
        assert_true(sent > 0);

        while (kernel_take(f, raw, sizeof(raw)) > 0)
                taken++;
        assert_int_equal(taken, sent);
        assert_int_equal(transport_send(f->t, frame, 7), 0);
}

static void test_send_peer_closed(void **state) {
        struct fixture *f = *state;
        uint8_t frame[7];

        make_frame(frame, sizeof(frame), 0);
        assert_int_equal(close(f->kernel), 0);
        f->kernel = -1;
        /* SIGPIPE is ignored in main(), as the daemon ignores it. */
        assert_int_equal(transport_send(f->t, frame, sizeof(frame)), -EPIPE);
        assert_false(transport_error_is_retryable(-EPIPE));
}

/* --- the rest of the interface ---------------------------------------------------------- */

static void test_fd_and_name(void **state) {
        struct fixture *f = *state;
        int flags = fcntl(f->fd, F_GETFL);

        assert_int_equal(transport_fd(f->t), f->fd);
        assert_string_equal(transport_name(f->t), "chardev");
        assert_true(flags >= 0);
        assert_true(flags & O_NONBLOCK);
        /* The access mode survives the flag change. */
        assert_int_equal(flags & O_ACCMODE, O_RDWR);
}

/* transport_free() closes the fd: the peer sees the end of the stream. */
static void test_free_closes_fd(void **state) {
        struct fixture *f = *state;
        uint8_t buf[8];

        f->t = transport_free(f->t);
        assert_null(f->t);
        assert_int_equal(fcntl(f->fd, F_GETFD), -1);
        assert_int_equal(errno, EBADF);
        assert_int_equal(recv(f->kernel, buf, sizeof(buf), MSG_DONTWAIT), 0);

        /* NULL-safe, both ways in. */
        assert_null(transport_free(NULL));
        {
                struct transport *none = NULL;
                transport_freep(&none);
        }
}

/* An fd that is already non-blocking is adopted as it is. */
static void test_from_fd_already_nonblocking(void **state) {
        struct transport *t = NULL;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), 0);
        assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
        assert_int_equal(transport_fd(t), sv[0]);
        transport_free(t);
        close(sv[1]);
}

static void test_from_fd_invalid(void **state) {
        struct transport *t = (struct transport *) (uintptr_t) 0x1;   /* must stay untouched on failure */
        int sv[2];

        assert_int_equal(transport_chardev_from_fd(-1, &t), -EINVAL);
        assert_int_equal(transport_chardev_from_fd(-42, &t), -EINVAL);
        assert_ptr_equal(t, (struct transport *) (uintptr_t) 0x1);

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], NULL), -EINVAL);
        close(sv[0]);
        close(sv[1]);

        /* A closed descriptor. */
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), -EBADF);
        assert_ptr_equal(t, (struct transport *) (uintptr_t) 0x1);
}

static void test_open_errors(void **state) {
        static const struct { const char *path; int want; } cases[] = {
                { "/nonexistent/satmc/ipmb-0", -ENOENT },
                { "/dev/ipmb-satmc-test-does-not-exist", -ENOENT },
                { "", -ENOENT },
                { "/", -EISDIR },
        };
        struct transport *t = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = transport_chardev_open(cases[i].path, &t);
                if (r != cases[i].want)
                        fail_msg("\"%s\": %d, want %d", cases[i].path, r, cases[i].want);
                assert_null(t);
        }
}

static void test_error_is_retryable(void **state) {
        static const struct { int r; bool want; } cases[] = {
                { -ENXIO, true },
                { -EIO, true },
                { -ETIMEDOUT, true },
                { -EAGAIN, true },
                { -EWOULDBLOCK, true },
                { -EBUSY, true },
                { -EREMOTEIO, true },
                { -EINVAL, false },
                { -ENOMEM, false },
                { -EPIPE, false },
                { -EMSGSIZE, false },
                { -EBADF, false },
                { -ENODEV, false },
                { 0, false },
                /* Positive errno values are not errors in this interface. */
                { ENXIO, false },
                { EAGAIN, false },
                { 1, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (transport_error_is_retryable(cases[i].r) != cases[i].want)
                        fail_msg("%d: want %s", cases[i].r, cases[i].want ? "true" : "false");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_recv_exact_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recv_empty_is_eagain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recv_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recv_malformed_then_good, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recv_too_big_for_buffer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recv_peer_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_layout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_bad_length, setup, teardown),
                cmocka_unit_test_setup_teardown(test_view_and_in_place, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_full_queue, setup, teardown),
                cmocka_unit_test_setup_teardown(test_send_peer_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fd_and_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_closes_fd, setup, teardown),
                cmocka_unit_test(test_from_fd_already_nonblocking),
                cmocka_unit_test(test_from_fd_invalid),
                cmocka_unit_test(test_open_errors),
                cmocka_unit_test(test_error_is_retryable),
        };

        /* A write to a socket whose peer is gone would otherwise kill the test. */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
