/* SPDX-License-Identifier: MIT */
/*
 * The NBD server's limits and timeouts on a real sd-event loop, with real UNIX and TCP sockets
 * and timeouts set short through the API:
 *   - a client that does not finish the handshake is closed at the handshake timeout, counted
 *     from the connection, even if it trickles a byte at a time;
 *   - in transmission, a request begun and not finished is closed at the request timeout, and
 *     so is a client that does not read its replies;
 *   - a long transfer of requests each whole in time is not cut, however long it lasts;
 *   - a connection idle in transmission is not cut (no timer even wakes the loop for it),
 *     unless an idle timeout is set;
 *   - each listener has its own limit: TCP connections at their limit refuse TCP newcomers
 *     only, and a UNIX client still gets in;
 *   - a READ answered from the export's memory (queue depth 1) that the socket cannot take at
 *     once still carries the data as it was when read, and a batch of READs is answered whole
 *     and in order.
 * Timing is judged by events (which client the server closed, that nothing fired early, that
 * the loop slept), never by how long the machine took.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/nbd-server.h"
#include "protocol/nbd-wire.h"

#define TIMEOUT_USEC    (200 * 1000ULL)         /* handshake and request timeouts */
#define MAX_CLIENTS     2                       /* per listener */
#define EXPORT_SIZE     (8u * 1024 * 1024)

struct fixture {
        char dir[64], path[96], tcp[32];
        uint16_t port;
        sd_event *event;
        struct nbd_server *server;
        uint8_t *data;
};

#include "nbd-memory-export.h"

static int setup_with(void **state, uint64_t timeout_usec, uint64_t idle_timeout_usec) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct nbd_server_settings settings = {
                .unix_max_clients = MAX_CLIENTS,
                .tcp_max_clients = MAX_CLIENTS,
                .socket_mode = 0660,
                .handshake_timeout_usec = timeout_usec,
                .request_timeout_usec = timeout_usec,
                .idle_timeout_usec = idle_timeout_usec,
        };
        struct nbd_export ex = { .name = "x", .writable = true, .ops = &ex_ops };

        assert_non_null(f);
        log_set_max_level(LOG_CRIT);
        f->data = calloc(1, EXPORT_SIZE);
        assert_non_null(f->data);
        ex.userdata = f->data;
        strcpy(f->dir, "/tmp/satmc-test-nbd-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/nbd.sock", f->dir);
        assert_int_equal(sd_event_new(&f->event), 0);
        f->port = free_port();
        snprintf(f->tcp, sizeof(f->tcp), "127.0.0.1:%u", f->port);
        assert_int_equal(nbd_server_new(f->event, f->path, -1, f->tcp, &ex, 1, &settings,
                                        &f->server), 0);
        *state = f;
        return 0;
}

static int setup(void **state) {
        return setup_with(state, TIMEOUT_USEC, 0);
}

/* For transfers whose length depends on the machine: no timeout may cut them. */
static int setup_no_timeouts(void **state) {
        return setup_with(state, 0, 0);
}

static int setup_idle_timeout(void **state) {
        return setup_with(state, TIMEOUT_USEC, TIMEOUT_USEC);
}

static int teardown(void **state) {
        struct fixture *f = *state;

        nbd_server_free(f->server);
        sd_event_unref(f->event);
        assert_int_equal(rmdir(f->dir), 0);
        free(f->data);
        free(f);
        return 0;
}

static const struct nbd_listener_stats *lstats(struct fixture *f, bool tcp) {
        const struct nbd_listener_stats *st = nbd_server_get_listener_stats(f->server, tcp);

        assert_non_null(st);
        return st;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Run the loop until it has nothing more to do at once. */
static void settle(struct fixture *f) {
        while (sd_event_run(f->event, 20 * 1000) > 0)
                ;
}

static void send_bytes(int fd, const void *p, size_t len) {
        assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t) len);
}

/* Read exactly len bytes the server has sent (after settle()). */
static void recv_exactly(struct fixture *f, int fd, void *buf, size_t len) {
        size_t got = 0;

        while (got < len) {
                ssize_t n = recv(fd, (uint8_t *) buf + got, len - got, MSG_DONTWAIT);

                if (n < 0 && errno == EAGAIN) {
                        assert_true(sd_event_run(f->event, 1000 * 1000) >= 0);
                        continue;
                }
                assert_true(n > 0);
                got += (size_t) n;
        }
}

/* Connect (UNIX or TCP) and let the server accept (or refuse). */
static int connect_client(struct fixture *f, bool tcp) {
        int fd;

        if (tcp) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                assert_true(fd >= 0);
                assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        } else {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                assert_true(fd >= 0);
                strcpy(sa.sun_path, f->path);
                assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        }
        settle(f);
        return fd;
}

/* ... and read its greeting. */
static int connect_greeted(struct fixture *f, bool tcp) {
        uint8_t greeting[NBD_GREETING_SIZE];
        int fd = connect_client(f, tcp);

        recv_exactly(f, fd, greeting, sizeof(greeting));
        return fd;
}

/* The client's flags and NBD_OPT_EXPORT_NAME "x": *len bytes. */
static const uint8_t *handshake_bytes(size_t *len) {
        static uint8_t buf[64];
        size_t n = 0;

        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES;
        assert_int_equal(nbd_encode_option_header(buf + n, sizeof(buf) - n, NBD_OPT_EXPORT_NAME, 1),
                         NBD_OPTION_HEADER_SIZE);
        n += NBD_OPTION_HEADER_SIZE;
        buf[n++] = 'x';
        *len = n;
        return buf;
}

/* A connection in transmission on export "x". */
static int connect_transmission(struct fixture *f, bool tcp) {
        uint8_t reply[NBD_EXPORT_NAME_REPLY_SIZE];
        size_t len;
        const uint8_t *hs = handshake_bytes(&len);
        int fd = connect_greeted(f, tcp);

        send_bytes(fd, hs, len);
        settle(f);
        recv_exactly(f, fd, reply, sizeof(reply));
        return fd;
}

static size_t read_request(uint8_t *buf, size_t size, uint64_t cookie, uint32_t length) {
        struct nbd_request req = { .type = NBD_CMD_READ, .cookie = cookie, .offset = 0,
                                   .length = length };

        assert_int_equal(nbd_encode_request(buf, size, &req), NBD_REQUEST_SIZE);
        return NBD_REQUEST_SIZE;
}

/* A READ of 512 bytes is answered on fd. */
static void assert_serves(struct fixture *f, int fd) {
        uint8_t req[NBD_REQUEST_SIZE], reply[NBD_SIMPLE_REPLY_SIZE + 512];

        send_bytes(fd, req, read_request(req, sizeof(req), 7, 512));
        settle(f);
        recv_exactly(f, fd, reply, sizeof(reply));
        /* magic, error 0 */
        assert_int_equal(reply[0], 0x67);
        assert_int_equal(reply[4] | reply[5] | reply[6] | reply[7], 0);
}

/* True if the server closed fd (end of file), reading off what came before. */
static bool closed_by_server(int fd) {
        uint8_t b[4096];
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        for (;;) {
                ssize_t n;

                if (poll(&pfd, 1, 1000) != 1)
                        return false;
                n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
                if (n < 0)
                        return false;
        }
}

/* True if the server left fd alone: nothing to read, no end of file. */
static bool untouched(int fd) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        return poll(&pfd, 1, 0) == 0;
}

/* Run the loop until the server closed fd (or sent it something). The bound only stops a
 * test that would otherwise hang: far beyond any timeout under test. */
static void run_until_readable(struct fixture *f, int fd) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint64_t start = now_usec();

        while (poll(&pfd, 1, 0) == 0) {
                (void) sd_event_run(f->event, 10 * 1000);
                assert_true(now_usec() - start < 100 * TIMEOUT_USEC);
        }
}

/* Connected, read the greeting, said nothing: closed at the handshake timeout. A connection
 * in transmission since before it, idle all along, is not touched. */
static void test_silent_handshake_times_out(void **state) {
        struct fixture *f = *state;
        int idle = connect_transmission(f, false);
        uint64_t start = now_usec();
        int silent = connect_greeted(f, false);

        run_until_readable(f, silent);
        assert_true(closed_by_server(silent));
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, false)->handshake_timeouts, 1);
        assert_int_equal(lstats(f, false)->clients, 1);
        assert_true(untouched(idle));
        assert_serves(f, idle);

        close(silent);
        close(idle);
        settle(f);
}

/* One byte per quarter timeout never completes the handshake in time: the deadline counts
 * from the connection, not from the last byte. */
static void test_slowloris_handshake_times_out(void **state) {
        struct fixture *f = *state;
        size_t len, sent = 0;
        const uint8_t *hs = handshake_bytes(&len);
        uint64_t start = now_usec();
        int fd = connect_greeted(f, true);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        while (poll(&pfd, 1, 0) == 0) {
                uint64_t step = now_usec();

                assert_true(sent < len - 1);    /* never completes the handshake */
                send_bytes(fd, hs + sent++, 1);
                while (now_usec() - step < TIMEOUT_USEC / 4 && poll(&pfd, 1, 0) == 0)
                        (void) sd_event_run(f->event, TIMEOUT_USEC / 20);
        }
        assert_true(closed_by_server(fd));
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, true)->handshake_timeouts, 1);
        assert_int_equal(lstats(f, true)->clients, 0);
        close(fd);
        settle(f);
}

/* Half a request header in transmission, then nothing: closed at the request timeout; the
 * idle one beside it stays. */
static void test_partial_request_times_out(void **state) {
        struct fixture *f = *state;
        uint8_t req[NBD_REQUEST_SIZE];
        int idle = connect_transmission(f, false);
        int stalled = connect_transmission(f, false);
        uint64_t start = now_usec();

        send_bytes(stalled, req, read_request(req, sizeof(req), 1, 512) / 2);
        run_until_readable(f, stalled);
        assert_true(closed_by_server(stalled));
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, false)->request_timeouts, 1);
        assert_int_equal(lstats(f, false)->handshake_timeouts, 0);
        assert_true(untouched(idle));
        assert_serves(f, idle);

        close(stalled);
        close(idle);
        settle(f);
}

/* A WRITE whose payload trickles in: the request's deadline counts from its first byte. */
static void test_slow_write_payload_times_out(void **state) {
        struct fixture *f = *state;
        struct nbd_request w = { .type = NBD_CMD_WRITE, .cookie = 2, .offset = 0, .length = 4096 };
        uint8_t hdr[NBD_REQUEST_SIZE], byte = 0xAA;
        int fd = connect_transmission(f, false);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint64_t start = now_usec();
        unsigned sent = 0;

        assert_int_equal(nbd_encode_request(hdr, sizeof(hdr), &w), NBD_REQUEST_SIZE);
        send_bytes(fd, hdr, sizeof(hdr));
        while (poll(&pfd, 1, 0) == 0) {
                uint64_t step = now_usec();

                assert_true(sent++ < 4095);
                send_bytes(fd, &byte, 1);
                while (now_usec() - step < TIMEOUT_USEC / 4 && poll(&pfd, 1, 0) == 0)
                        (void) sd_event_run(f->event, TIMEOUT_USEC / 20);
        }
        assert_true(closed_by_server(fd));
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, false)->request_timeouts, 1);
        close(fd);
        settle(f);
}

/* A client that asks for megabytes and never reads them holds the server's output: it is
 * closed at the request timeout, not kept for ever. */
static void test_unread_replies_time_out(void **state) {
        struct fixture *f = *state;
        uint8_t req[NBD_REQUEST_SIZE];
        int fd = connect_transmission(f, false);
        int rcvbuf = 4096;

        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
        for (uint64_t i = 0; i < 4; i++)
                send_bytes(fd, req, read_request(req, sizeof(req), i, 4 * 1024 * 1024));
        /* The replies fill the socket and then the server's buffer; nothing is read. */
        uint64_t start = now_usec();
        while (lstats(f, false)->clients > 0) {
                (void) sd_event_run(f->event, 10 * 1000);
                assert_true(now_usec() - start < 100 * TIMEOUT_USEC);
        }
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, false)->request_timeouts, 1);
        close(fd);
        settle(f);
}

/* Idle in transmission: no timer at all, so the loop sleeps through several timeouts; the
 * connection is served afterwards. */
static void test_idle_transmission_is_kept(void **state) {
        struct fixture *f = *state;
        int a = connect_transmission(f, false), b = connect_transmission(f, true);

        assert_serves(f, a);
        assert_serves(f, b);
        assert_int_equal(sd_event_run(f->event, 3 * TIMEOUT_USEC), 0);
        assert_true(untouched(a));
        assert_true(untouched(b));
        assert_serves(f, a);
        assert_serves(f, b);
        assert_int_equal(lstats(f, false)->request_timeouts + lstats(f, false)->idle_timeouts +
                         lstats(f, true)->request_timeouts + lstats(f, true)->idle_timeouts, 0);
        close(a);
        close(b);
        settle(f);
}

/* With idle-timeout set, an idle connection is closed once it has been idle that long; one
 * that keeps asking is not. */
static void test_idle_timeout_when_set(void **state) {
        struct fixture *f = *state;
        uint64_t start = now_usec();   /* before idle's last byte: its handshake */
        int idle = connect_transmission(f, false), busy = connect_transmission(f, false);
        struct pollfd pfd = { .fd = idle, .events = POLLIN };

        /* busy asks every quarter timeout; idle never does. */
        while (poll(&pfd, 1, 0) == 0) {
                uint64_t step = now_usec();

                assert_serves(f, busy);
                while (now_usec() - step < TIMEOUT_USEC / 4 && poll(&pfd, 1, 0) == 0)
                        (void) sd_event_run(f->event, TIMEOUT_USEC / 20);
                assert_true(now_usec() - start < 100 * TIMEOUT_USEC);
        }
        assert_true(closed_by_server(idle));
        assert_true(now_usec() - start >= TIMEOUT_USEC);
        assert_int_equal(lstats(f, false)->idle_timeouts, 1);
        assert_serves(f, busy);
        close(idle);
        close(busy);
        settle(f);
}

/*
 * A legitimate transfer that goes on for several timeouts: 64 KiB WRITEs, each arriving in four
 * pieces a tenth of the timeout apart, back to back. Every request is whole well within its
 * own deadline, so the connection is never cut, however long the transfer lasts.
 */
static void test_steady_transfer_is_kept(void **state) {
        struct fixture *f = *state;
        static uint8_t payload[64 * 1024];
        int fd = connect_transmission(f, false);
        uint64_t start = now_usec();
        unsigned writes = 0;

        memset(payload, 0x5A, sizeof(payload));
        while (now_usec() - start < 3 * TIMEOUT_USEC) {
                struct nbd_request w = { .type = NBD_CMD_WRITE, .cookie = writes,
                                         .offset = (uint64_t) writes * sizeof(payload) % EXPORT_SIZE,
                                         .length = sizeof(payload) };
                uint8_t hdr[NBD_REQUEST_SIZE], reply[NBD_SIMPLE_REPLY_SIZE];

                assert_int_equal(nbd_encode_request(hdr, sizeof(hdr), &w), NBD_REQUEST_SIZE);
                send_bytes(fd, hdr, sizeof(hdr));
                for (size_t piece = 0; piece < 4; piece++) {
                        uint64_t step = now_usec();

                        send_bytes(fd, payload + piece * sizeof(payload) / 4, sizeof(payload) / 4);
                        while (now_usec() - step < TIMEOUT_USEC / 10)
                                (void) sd_event_run(f->event, TIMEOUT_USEC / 50);
                }
                settle(f);
                recv_exactly(f, fd, reply, sizeof(reply));
                assert_int_equal(reply[4] | reply[5] | reply[6] | reply[7], 0);
                writes++;
        }
        assert_true(writes >= 3);
        assert_int_equal(lstats(f, false)->request_timeouts, 0);
        assert_int_equal(lstats(f, false)->clients, 1);
        assert_serves(f, fd);
        close(fd);
        settle(f);
}

static uint8_t pattern_at(size_t i) {
        return (uint8_t) (i * 7 + i / 251);
}

/*
 * A 4 MiB READ alone in the input is sent from the export's memory with one sendmsg(); no
 * socket buffer takes 4 MiB, so most of it must be queued, and queued as it was read: the
 * export changing before the client takes the rest (another connection's WRITE) does not
 * change the reply.
 */
static void test_direct_read_is_a_snapshot(void **state) {
        struct fixture *f = *state;
        const uint32_t len = 4 * 1024 * 1024;
        uint8_t req[NBD_REQUEST_SIZE], head[NBD_SIMPLE_REPLY_SIZE];
        uint8_t *got = malloc(len);
        int fd = connect_transmission(f, false);

        assert_non_null(got);
        for (size_t i = 0; i < len; i++)
                f->data[i] = pattern_at(i);
        send_bytes(fd, req, read_request(req, sizeof(req), 42, len));
        (void) sd_event_run(f->event, 1000 * 1000);
        memset(f->data, 0xEE, len);
        recv_exactly(f, fd, head, sizeof(head));
        assert_int_equal(head[0], 0x67);
        assert_int_equal(head[4] | head[5] | head[6] | head[7], 0);
        assert_int_equal(head[15], 42);
        recv_exactly(f, fd, got, len);
        for (size_t i = 0; i < len; i++)
                if (got[i] != pattern_at(i))
                        fail_msg("byte %zu of the reply is 0x%02x, not 0x%02x", i, got[i],
                                 pattern_at(i));
        assert_int_equal(nbd_server_get_stats(f->server)->bytes_read, len);
        free(got);
        close(fd);
        settle(f);
}

/* Three READs in one send (a queue depth of 3): answered through the output buffer, in order,
 * each with its own data; a zero-length READ among them answers with no data. */
static void test_batched_reads_in_order(void **state) {
        struct fixture *f = *state;
        const uint32_t lens[3] = { 4096, 0, 512 };
        uint8_t reqs[3 * NBD_REQUEST_SIZE], reply[NBD_SIMPLE_REPLY_SIZE + 4096];
        int fd = connect_transmission(f, false);

        for (size_t i = 0; i < 8192; i++)
                f->data[i] = pattern_at(i);
        for (unsigned i = 0; i < 3; i++)
                (void) read_request(reqs + i * NBD_REQUEST_SIZE, NBD_REQUEST_SIZE, 100 + i, lens[i]);
        send_bytes(fd, reqs, sizeof(reqs));
        settle(f);
        for (unsigned i = 0; i < 3; i++) {
                recv_exactly(f, fd, reply, NBD_SIMPLE_REPLY_SIZE + lens[i]);
                assert_int_equal(reply[4] | reply[5] | reply[6] | reply[7], 0);
                assert_int_equal(reply[15], 100 + i);
                for (size_t k = 0; k < lens[i]; k++)
                        assert_int_equal(reply[NBD_SIMPLE_REPLY_SIZE + k], pattern_at(k));
        }
        assert_true(untouched(fd));
        close(fd);
        settle(f);
}

/* TCP at its limit refuses TCP newcomers; a UNIX client is served all the same. */
static void test_tcp_flood_does_not_lock_out_unix(void **state) {
        struct fixture *f = *state;
        int tcp[MAX_CLIENTS + 2], local;

        for (int i = 0; i < MAX_CLIENTS + 2; i++)
                tcp[i] = connect_client(f, true);
        assert_int_equal(lstats(f, true)->clients, MAX_CLIENTS);
        assert_int_equal(lstats(f, true)->refused, 2);
        assert_true(closed_by_server(tcp[MAX_CLIENTS]));

        local = connect_transmission(f, false);
        assert_serves(f, local);
        assert_int_equal(lstats(f, false)->refused, 0);
        assert_int_equal(lstats(f, false)->clients, 1);

        /* ... and the silent TCP ones go at the handshake timeout, freeing TCP again. */
        uint64_t start = now_usec();
        while (lstats(f, true)->clients > 0) {
                (void) sd_event_run(f->event, 10 * 1000);
                assert_true(now_usec() - start < 100 * TIMEOUT_USEC);
        }
        for (int i = 0; i < MAX_CLIENTS; i++)
                assert_true(closed_by_server(tcp[i]));
        assert_int_equal(lstats(f, true)->handshake_timeouts, MAX_CLIENTS);
        int again = connect_transmission(f, true);
        assert_serves(f, again);

        for (int i = 0; i < MAX_CLIENTS + 2; i++)
                close(tcp[i]);
        close(local);
        close(again);
        settle(f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_silent_handshake_times_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_slowloris_handshake_times_out, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_partial_request_times_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_slow_write_payload_times_out, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_unread_replies_time_out, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_transmission_is_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_steady_transfer_is_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_timeout_when_set, setup_idle_timeout,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_direct_read_is_a_snapshot, setup_no_timeouts,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_batched_reads_in_order, setup_no_timeouts,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_tcp_flood_does_not_lock_out_unix, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
