/* SPDX-License-Identifier: MIT */
/*
 * NBD STARTTLS on the real server (common/nbd-server.c, nbd-handshake.c, nbd-tls.c) and a real
 * sd-event loop, against a GnuTLS client in a thread (blocking sockets, as libnbd's):
 *   - tls = require (the TCP listener here): every option but STARTTLS gets
 *     NBD_REP_ERR_TLS_REQD, no export name goes out, EXPORT_NAME is hung up on; after the
 *     upgrade all is served, data included;
 *   - tls = on (the UNIX listener here): plain clients list and open only public exports, a
 *     private or unknown name gets NBD_REP_ERR_TLS_REQD alike;
 *   - tls = off: STARTTLS gets NBD_REP_ERR_UNSUP;
 *   - hostile peers: a wrong key, garbage records, a truncated handshake, plain bytes sent
 *     behind STARTTLS (CVE-2021-3716's injection), a TLS 1.2 renegotiation: each is closed,
 *     counted as a TLS failure, and another client is served meanwhile and after;
 *   - a client stuck mid-handshake does not hold up a full session on the same loop;
 *   - credentials swapped at run time (a reload) serve new sessions with the new key.
 * The loop runs until the client thread is done: nothing depends on how fast the machine is.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "common/log.h"
#include "common/nbd-server.h"
#include "common/nbd-tls.h"
#include "protocol/nbd-wire.h"

#define EXPORT_SIZE     (64u * 1024)
#define KEY_HEX         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define WRONG_KEY_HEX   "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define OTHER_KEY_HEX   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
        char dir[64], path[96], psk[96], tcp[32];
        uint16_t port;
        sd_event *event;
        struct nbd_server *server;
        struct nbd_tls_creds *creds;
        uint8_t pub[EXPORT_SIZE], priv[EXPORT_SIZE];
};

#include "nbd-memory-export.h"

static void write_psk(const char *path, const char *line) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, line, strlen(line)), (ssize_t) strlen(line));
        close(fd);
}

static struct nbd_tls_creds *load_creds(const char *psk) {
        struct nbd_tls_creds *c = NULL;
        char error[256];

        assert_int_equal(nbd_tls_creds_load(&(struct nbd_tls_config) { .psk_file = psk }, &c,
                                            error, sizeof(error)), 0);
        return c;
}

/* TCP: require. UNIX: on, with "pub" (read-only) public and "priv" (writable) not. */
static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct nbd_export ex[] = {
                { .name = "priv", .writable = true, .ops = &ex_ops },
                { .name = "pub", .tls_public = true, .ops = &ex_ops },
        };

        assert_non_null(f);
        log_set_max_level(LOG_CRIT);
        ex[0].userdata = f->priv;
        ex[1].userdata = f->pub;
        for (size_t i = 0; i < EXPORT_SIZE; i++) {
                f->priv[i] = (uint8_t) (i * 7);
                f->pub[i] = (uint8_t) (i * 3);
        }
        strcpy(f->dir, "/tmp/satmc-test-tls-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/nbd.sock", f->dir);
        snprintf(f->psk, sizeof(f->psk), "%s/keys.psk", f->dir);
        write_psk(f->psk, "# test key\nalice:" KEY_HEX "\n");
        f->creds = load_creds(f->psk);
        assert_int_equal(sd_event_new(&f->event), 0);
        f->port = free_port();
        snprintf(f->tcp, sizeof(f->tcp), "127.0.0.1:%u", f->port);
        assert_int_equal(nbd_server_new(f->event, f->path, -1, f->tcp, ex, 2,
                                        &(struct nbd_server_settings) {
                                                .unix_max_clients = 8,
                                                .tcp_max_clients = 8,
                                                .socket_mode = 0600,
                                                /* Only a safety net: no test waits for it. */
                                                .handshake_timeout_usec = 60 * 1000000ULL,
                                                .tcp_tls = NBD_TLS_REQUIRE,
                                                .unix_tls = NBD_TLS_ON,
                                                .tls_creds = f->creds,
                                        }, &f->server), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        nbd_server_free(f->server);
        nbd_tls_creds_unref(f->creds);
        sd_event_unref(f->event);
        unlink(f->psk);
        assert_int_equal(rmdir(f->dir), 0);
        free(f);
        return 0;
}

/* ---- the client: blocking I/O on a plain socket or a GnuTLS session ---- */

struct conn {
        int fd;
        gnutls_session_t tls;
        gnutls_psk_client_credentials_t psk;
};

static int conn_write(struct conn *c, const void *buf, size_t len) {
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = c->tls ? gnutls_record_send(c->tls, p, len) :
                                     send(c->fd, p, len, MSG_NOSIGNAL);
                if (n <= 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* 0, or -EPIPE when the server hung up (EOF or reset), -EIO for anything else. */
static int conn_read(struct conn *c, void *buf, size_t len) {
        uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = c->tls ? gnutls_record_recv(c->tls, p, len) : recv(c->fd, p, len, 0);
                if (n == 0 || (n < 0 && !c->tls && errno == ECONNRESET) ||
                    (c->tls && (n == GNUTLS_E_PREMATURE_TERMINATION || n == GNUTLS_E_PULL_ERROR)))
                        return -EPIPE;
                if (n < 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static void conn_close(struct conn *c) {
        if (c->tls)
                gnutls_deinit(c->tls);
        if (c->psk)
                gnutls_psk_free_client_credentials(c->psk);
        if (c->fd >= 0)
                close(c->fd);
        *c = (struct conn) { .fd = -1 };
}

/* Connect and do the greeting; 0 or -errno. */
static int conn_open(struct fixture *f, bool tcp, struct conn *c) {
        uint8_t greeting[NBD_GREETING_SIZE];
        uint32_t flags = htobe32(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);

        *c = (struct conn) { .fd = -1 };
        if (tcp) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

                c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c->fd < 0 || connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        return -errno;
        } else {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                strcpy(sa.sun_path, f->path);
                c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c->fd < 0 || connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        return -errno;
        }
        if (conn_read(c, greeting, sizeof(greeting)) < 0)
                return -EIO;
        return conn_write(c, &flags, sizeof(flags));
}

static int send_option(struct conn *c, uint32_t option, const void *data, uint32_t len) {
        uint8_t h[NBD_OPTION_HEADER_SIZE];

        assert_int_equal(nbd_encode_option_header(h, sizeof(h), option, len), sizeof(h));
        if (conn_write(c, h, sizeof(h)) < 0)
                return -EIO;
        return len ? conn_write(c, data, len) : 0;
}

/* One option reply: its type, and its payload in buf (NUL-terminated, cut to size). */
static int read_reply(struct conn *c, uint32_t *type, char *buf, size_t size) {
        uint8_t h[NBD_OPTION_REPLY_HEADER_SIZE];
        uint32_t len;
        int r = conn_read(c, h, sizeof(h));

        if (r < 0)
                return r;
        memcpy(type, h + 12, 4);
        *type = be32toh(*type);
        memcpy(&len, h + 16, 4);
        len = be32toh(len);
        if (len > 65536)
                return -EIO;
        {
                char payload[65536];

                r = conn_read(c, payload, len);
                if (r < 0)
                        return r;
                if (buf) {
                        size_t n = len < size - 1 ? len : size - 1;

                        memcpy(buf, payload, n);
                        buf[n] = '\0';
                        /* Names are binary-safe in the payload: make them findable. */
                        for (size_t i = 0; i < n; i++)
                                if (buf[i] == '\0')
                                        buf[i] = ' ';
                }
        }
        return 0;
}

static int go_data(const char *name, uint8_t *buf) {
        size_t n = strlen(name);
        uint32_t be = htobe32((uint32_t) n);

        memcpy(buf, &be, 4);
        memcpy(buf + 4, name, n);
        memset(buf + 4 + n, 0, 2);      /* no information requests */
        return (int) (n + 6);
}

/* GO (or INFO) on name; returns the final reply type (NBD_REP_ACK or an error). */
static int go(struct conn *c, uint32_t option, const char *name, uint32_t *final) {
        uint8_t data[64];
        int n = go_data(name, data), r;

        r = send_option(c, option, data, (uint32_t) n);
        if (r < 0)
                return r;
        do {
                r = read_reply(c, final, NULL, 0);
        } while (r == 0 && *final == NBD_REP_INFO);
        return r;
}

/* LIST: every name the server sent, space separated, in names; the final reply type. */
static int list(struct conn *c, char *names, size_t size, uint32_t *final) {
        int r = send_option(c, NBD_OPT_LIST, NULL, 0);

        names[0] = '\0';
        while (r == 0) {
                char buf[256];

                r = read_reply(c, final, buf, sizeof(buf));
                if (r < 0 || *final != NBD_REP_SERVER)
                        break;
                strncat(names, buf + 4, size - strlen(names) - 2);
                strcat(names, ";");
        }
        return r;
}

/* STARTTLS, its ACK, then a PSK handshake as alice with key_hex at priority; 0 or -errno. */
static int starttls(struct conn *c, const char *key_hex, const char *priority) {
        gnutls_datum_t key = { .data = (unsigned char *) key_hex, .size = strlen(key_hex) };
        uint32_t type = 0;
        int r;

        r = send_option(c, NBD_OPT_STARTTLS, NULL, 0);
        if (r == 0)
                r = read_reply(c, &type, NULL, 0);
        if (r < 0)
                return r;
        if (type != NBD_REP_ACK)
                return -EPROTO;
        if (gnutls_psk_allocate_client_credentials(&c->psk) < 0 ||
            gnutls_psk_set_client_credentials(c->psk, "alice", &key, GNUTLS_PSK_KEY_HEX) < 0 ||
            gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL) < 0 ||
            gnutls_priority_set_direct(c->tls, priority, NULL) < 0 ||
            gnutls_credentials_set(c->tls, GNUTLS_CRD_PSK, c->psk) < 0)
                return -ENOMEM;
        gnutls_transport_set_int(c->tls, c->fd);
        do
                r = gnutls_handshake(c->tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        return r < 0 ? -EACCES : 0;
}

#define PRIORITY "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
#define PRIORITY_TLS12 "NORMAL:-VERS-TLS1.3:+ECDHE-PSK:+DHE-PSK:+PSK"

/* READ of len bytes at off over an open export into buf; the reply's error, or -errno. */
static int read_at(struct conn *c, uint64_t off, uint32_t len, uint8_t *buf) {
        struct nbd_request req = { .type = NBD_CMD_READ, .cookie = 42, .offset = off, .length = len };
        uint8_t h[NBD_REQUEST_SIZE], reply[NBD_SIMPLE_REPLY_SIZE];
        uint32_t error;
        int r;

        assert_int_equal(nbd_encode_request(h, sizeof(h), &req), sizeof(h));
        r = conn_write(c, h, sizeof(h));
        if (r == 0)
                r = conn_read(c, reply, sizeof(reply));
        if (r < 0)
                return r;
        memcpy(&error, reply + 4, 4);
        error = be32toh(error);
        if (error)
                return (int) error;
        return conn_read(c, buf, len);
}

/* ---- running a client thread against the loop ---- */

struct job {
        struct fixture *f;
        int (*fn)(struct job *j);
        atomic_bool done;
        int result;
        char note[1024];                /* what went wrong, for the failure message */
        uint32_t types[8];
        char names[256];
        uint8_t data[4096];
};

static void *job_thread(void *userdata) {
        struct job *j = userdata;

        j->result = j->fn(j);
        atomic_store(&j->done, true);
        return NULL;
}

static int run_job(struct fixture *f, int (*fn)(struct job *j), struct job *j) {
        pthread_t t;

        *j = (struct job) { .f = f, .fn = fn };
        atomic_init(&j->done, false);
        assert_int_equal(pthread_create(&t, NULL, job_thread, j), 0);
        while (!atomic_load(&j->done))
                assert_true(sd_event_run(f->event, 20 * 1000) >= 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        /* Let the server see what the client's last moves (closes) did. */
        for (int i = 0; i < 20 && sd_event_run(f->event, 0) > 0; i++)
                ;
        if (j->result != 0)
                fail_msg("client: %s (%d)", j->note, j->result);
        return j->result;
}

#define CHECK(cond, ...) do { if (!(cond)) { snprintf(j->note, sizeof(j->note), __VA_ARGS__); return -1; } } while (0)

/* require: before TLS every option is refused and no name leaks; after it, all is served. */
static int job_require(struct job *j) {
        struct conn c;
        uint32_t t = 0;
        uint8_t buf[512];

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(list(&c, j->names, sizeof(j->names), &t) == 0 && t == NBD_REP_ERR_TLS_REQD &&
              !strstr(j->names, "priv") && !strstr(j->names, "pub"),
              "LIST in plain: type %x names %s", t, j->names);
        CHECK(go(&c, NBD_OPT_INFO, "priv", &t) == 0 && t == NBD_REP_ERR_TLS_REQD, "INFO: %x", t);
        CHECK(go(&c, NBD_OPT_GO, "pub", &t) == 0 && t == NBD_REP_ERR_TLS_REQD, "GO pub: %x", t);
        CHECK(send_option(&c, NBD_OPT_STRUCTURED_REPLY, NULL, 0) == 0 &&
              read_reply(&c, &t, NULL, 0) == 0 && t == NBD_REP_ERR_TLS_REQD, "SR: %x", t);
        CHECK(starttls(&c, KEY_HEX, PRIORITY) == 0, "STARTTLS handshake");
        CHECK(send_option(&c, NBD_OPT_STARTTLS, NULL, 0) == 0 &&
              read_reply(&c, &t, NULL, 0) == 0 && t == NBD_REP_ERR_INVALID,
              "second STARTTLS: %x", t);
        CHECK(list(&c, j->names, sizeof(j->names), &t) == 0 && t == NBD_REP_ACK &&
              strstr(j->names, "priv") && strstr(j->names, "pub"), "LIST in TLS: %s", j->names);
        CHECK(go(&c, NBD_OPT_GO, "priv", &t) == 0 && t == NBD_REP_ACK, "GO in TLS: %x", t);
        CHECK(read_at(&c, 1000, sizeof(buf), buf) == 0 &&
              memcmp(buf, j->f->priv + 1000, sizeof(buf)) == 0, "READ over TLS");
        /* More than one TLS record's worth in one reply. */
        CHECK(read_at(&c, 0, sizeof(j->data), j->data) == 0 &&
              memcmp(j->data, j->f->priv, sizeof(j->data)) == 0, "READ 4 KiB over TLS");
        conn_close(&c);
        return 0;
}

static void test_require(void **state) {
        struct fixture *f = *state;
        struct job j;
        const struct nbd_listener_stats *st;

        run_job(f, job_require, &j);
        st = nbd_server_get_listener_stats(f->server, true);
        assert_int_equal(st->tls_sessions, 1);
        assert_int_equal(st->tls_failures, 0);
        assert_int_equal(st->tls_required, 4);
}

static int job_export_name(struct job *j) {
        struct conn c;
        uint8_t b;

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(send_option(&c, NBD_OPT_EXPORT_NAME, "priv", 4) == 0, "send");
        /* No reply, no size: the connection just ends. */
        CHECK(conn_read(&c, &b, 1) == -EPIPE, "EXPORT_NAME in plain was answered");
        conn_close(&c);
        return 0;
}

static void test_require_export_name_hangs_up(void **state) {
        struct fixture *f = *state;
        struct job j;

        run_job(f, job_export_name, &j);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->tls_required, 1);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->clients, 0);
}

/* on: plain clients see the public export only; TLS shows both. */
static int job_on(struct job *j) {
        struct conn c;
        uint32_t t = 0;
        uint8_t buf[256];

        CHECK(conn_open(j->f, false, &c) == 0, "connect");
        CHECK(list(&c, j->names, sizeof(j->names), &t) == 0 && t == NBD_REP_ACK &&
              strcmp(j->names, "pub;") == 0, "LIST in plain: %s", j->names);
        CHECK(go(&c, NBD_OPT_INFO, "priv", &t) == 0 && t == NBD_REP_ERR_TLS_REQD, "INFO priv %x", t);
        /* An unknown name is refused the same way: private names cannot be probed. */
        CHECK(go(&c, NBD_OPT_INFO, "nosuch", &t) == 0 && t == NBD_REP_ERR_TLS_REQD,
              "INFO nosuch %x", t);
        /* "" is the first export, private here. */
        CHECK(go(&c, NBD_OPT_INFO, "", &t) == 0 && t == NBD_REP_ERR_TLS_REQD, "INFO \"\" %x", t);
        CHECK(go(&c, NBD_OPT_GO, "pub", &t) == 0 && t == NBD_REP_ACK, "GO pub %x", t);
        CHECK(read_at(&c, 100, sizeof(buf), buf) == 0 &&
              memcmp(buf, j->f->pub + 100, sizeof(buf)) == 0, "READ pub in plain");
        conn_close(&c);

        CHECK(conn_open(j->f, false, &c) == 0, "connect");
        CHECK(starttls(&c, KEY_HEX, PRIORITY) == 0, "STARTTLS");
        CHECK(list(&c, j->names, sizeof(j->names), &t) == 0 && t == NBD_REP_ACK &&
              strcmp(j->names, "priv;pub;") == 0, "LIST in TLS: %s", j->names);
        CHECK(go(&c, NBD_OPT_INFO, "nosuch", &t) == 0 && t == NBD_REP_ERR_UNKNOWN, "%x", t);
        CHECK(go(&c, NBD_OPT_GO, "", &t) == 0 && t == NBD_REP_ACK, "GO \"\" in TLS %x", t);
        CHECK(read_at(&c, 0, sizeof(buf), buf) == 0 && memcmp(buf, j->f->priv, sizeof(buf)) == 0,
              "READ priv over TLS");
        conn_close(&c);
        return 0;
}

static void test_on_public_only(void **state) {
        struct fixture *f = *state;
        struct job j;

        run_job(f, job_on, &j);
        assert_int_equal(nbd_server_get_listener_stats(f->server, false)->tls_sessions, 1);
        assert_int_equal(nbd_server_get_listener_stats(f->server, false)->tls_required, 3);
}

/* A wrong key fails the handshake; the next client with the right key is served. */
static int job_wrong_key(struct job *j) {
        struct conn c;
        uint32_t t = 0;

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, WRONG_KEY_HEX, PRIORITY) == -EACCES, "a wrong key was accepted");
        conn_close(&c);
        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, KEY_HEX, PRIORITY) == 0, "the right key after a wrong one");
        CHECK(go(&c, NBD_OPT_GO, "priv", &t) == 0 && t == NBD_REP_ACK, "GO %x", t);
        conn_close(&c);
        return 0;
}

static void test_wrong_key(void **state) {
        struct fixture *f = *state;
        struct job j;

        run_job(f, job_wrong_key, &j);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->tls_failures, 1);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->tls_sessions, 1);
}

/* Hostile bytes where TLS should be: garbage records, a ClientHello cut short, plain options
 * behind STARTTLS. Each connection ends; a good client is served after each. */
static int good_session(struct job *j) {
        struct conn c;
        uint32_t t = 0;
        uint8_t buf[64];

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, KEY_HEX, PRIORITY) == 0, "STARTTLS after a hostile client");
        CHECK(go(&c, NBD_OPT_GO, "priv", &t) == 0 && t == NBD_REP_ACK, "GO %x", t);
        CHECK(read_at(&c, 0, sizeof(buf), buf) == 0, "READ");
        conn_close(&c);
        return 0;
}

static int plain_starttls(struct job *j, struct conn *c) {
        uint32_t t = 0;

        CHECK(conn_open(j->f, true, c) == 0, "connect");
        CHECK(send_option(c, NBD_OPT_STARTTLS, NULL, 0) == 0 && read_reply(c, &t, NULL, 0) == 0 &&
              t == NBD_REP_ACK, "STARTTLS ACK");
        return 0;
}

/* Whether the server ends the connection, after at most an alert's worth of bytes. */
static bool read_to_end(struct conn *c) {
        uint8_t b;

        for (int i = 0; i < 64; i++)
                if (conn_read(c, &b, 1) == -EPIPE)
                        return true;
        return false;
}

static int job_hostile(struct job *j) {
        struct conn c;
        uint8_t garbage[300];
        /* A handshake record header announcing 200 bytes, and 20 of them. */
        static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00, 0x00, 0xC4,
                                         0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                         14 };
        uint8_t injected[NBD_OPTION_HEADER_SIZE * 2];

        /* Garbage records: not TLS at all. */
        for (size_t i = 0; i < sizeof(garbage); i++)
                garbage[i] = (uint8_t) (i * 37 + 11);
        if (plain_starttls(j, &c) < 0)
                return -1;
        CHECK(conn_write(&c, garbage, sizeof(garbage)) == 0, "send garbage");
        CHECK(read_to_end(&c), "garbage records did not end the connection");
        conn_close(&c);
        if (good_session(j) < 0)
                return -1;

        /* A well-formed record header of garbage with the right type: an alert record. */
        if (plain_starttls(j, &c) < 0)
                return -1;
        garbage[0] = 0x15;
        garbage[1] = 0x03;
        garbage[2] = 0x03;
        garbage[3] = 0x00;
        garbage[4] = 0x02;
        CHECK(conn_write(&c, garbage, 7) == 0 && conn_write(&c, garbage, 100) == 0, "send");
        CHECK(read_to_end(&c), "a garbage alert did not end the connection");
        conn_close(&c);
        if (good_session(j) < 0)
                return -1;

        /* A truncated ClientHello, then the client goes. */
        if (plain_starttls(j, &c) < 0)
                return -1;
        CHECK(conn_write(&c, hello, sizeof(hello)) == 0, "send hello");
        conn_close(&c);
        if (good_session(j) < 0)
                return -1;

        /* Plain bytes behind STARTTLS in the same write: they must not be answered. */
        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        assert_int_equal(nbd_encode_option_header(injected, NBD_OPTION_HEADER_SIZE,
                                                  NBD_OPT_STARTTLS, 0), NBD_OPTION_HEADER_SIZE);
        assert_int_equal(nbd_encode_option_header(injected + NBD_OPTION_HEADER_SIZE,
                                                  NBD_OPTION_HEADER_SIZE, NBD_OPT_LIST, 0),
                         NBD_OPTION_HEADER_SIZE);
        CHECK(conn_write(&c, injected, sizeof(injected)) == 0, "send");
        {
                uint32_t t = 0;
                uint8_t rest;

                CHECK(read_reply(&c, &t, NULL, 0) == 0 && t == NBD_REP_ACK, "ACK %x", t);
                CHECK(conn_read(&c, &rest, 1) == -EPIPE, "the injected LIST was answered");
        }
        conn_close(&c);
        return good_session(j);
}

static void test_hostile(void **state) {
        struct fixture *f = *state;
        struct job j;
        const struct nbd_listener_stats *st;

        run_job(f, job_hostile, &j);
        st = nbd_server_get_listener_stats(f->server, true);
        assert_int_equal(st->tls_failures, 4);
        assert_int_equal(st->tls_sessions, 4);
        assert_int_equal(st->clients, 0);
}

/* TLS 1.2 lets a client ask to renegotiate mid-session; the server refuses by hanging up. */
static int job_renegotiate(struct job *j) {
        struct conn c;
        uint32_t t = 0;
        uint8_t b;
        int r;

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, KEY_HEX, PRIORITY_TLS12) == 0, "TLS 1.2 PSK handshake");
        CHECK(gnutls_protocol_get_version(c.tls) == GNUTLS_TLS1_2, "not TLS 1.2");
        do
                r = gnutls_handshake(c.tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        /* Whether the client notices now or at its next read, the session is over. */
        if (r == 0) {
                CHECK(send_option(&c, NBD_OPT_LIST, NULL, 0) < 0 ||
                      read_reply(&c, &t, NULL, 0) < 0 || conn_read(&c, &b, 1) < 0,
                      "the session went on after a renegotiation");
        }
        conn_close(&c);
        return good_session(j);
}

static void test_renegotiation_refused(void **state) {
        struct fixture *f = *state;
        struct job j;

        run_job(f, job_renegotiate, &j);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->tls_failures, 1);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->clients, 0);
}

/* One client stuck after STARTTLS (no ClientHello) holds nothing up. */
static int job_stuck(struct job *j) {
        struct conn stuck;

        if (plain_starttls(j, &stuck) < 0)
                return -1;
        if (good_session(j) < 0)
                return -1;
        conn_close(&stuck);
        return 0;
}

static void test_stuck_handshake_blocks_nobody(void **state) {
        struct fixture *f = *state;
        struct job j;

        run_job(f, job_stuck, &j);
        assert_int_equal(nbd_server_get_listener_stats(f->server, true)->tls_sessions, 1);
}

/* New credentials (a reload): the old key no longer works, the new one does. */
static int job_new_key(struct job *j) {
        struct conn c;

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, KEY_HEX, PRIORITY) == -EACCES, "the replaced key still works");
        conn_close(&c);
        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(starttls(&c, OTHER_KEY_HEX, PRIORITY) == 0, "the new key does not work");
        conn_close(&c);
        return 0;
}

static void test_new_creds(void **state) {
        struct fixture *f = *state;
        struct nbd_tls_creds *c;
        struct job j;

        write_psk(f->psk, "alice:" OTHER_KEY_HEX "\n");
        c = load_creds(f->psk);
        nbd_server_set_tls_creds(f->server, c);
        nbd_tls_creds_unref(c);
        run_job(f, job_new_key, &j);
}

/* tls = off: STARTTLS is not supported, and says so. */
static int job_off(struct job *j) {
        struct conn c;
        uint32_t t = 0;

        CHECK(conn_open(j->f, true, &c) == 0, "connect");
        CHECK(send_option(&c, NBD_OPT_STARTTLS, NULL, 0) == 0 && read_reply(&c, &t, NULL, 0) == 0 &&
              t == NBD_REP_ERR_UNSUP, "STARTTLS on off: %x", t);
        CHECK(go(&c, NBD_OPT_GO, "x", &t) == 0 && t == NBD_REP_ACK, "GO after it: %x", t);
        conn_close(&c);
        return 0;
}

static void test_off(void **state) {
        struct fixture *f = *state;
        struct nbd_export ex = { .name = "x", .ops = &ex_ops, .userdata = f->pub };
        struct nbd_server *tls_server = f->server;
        struct job j;

        f->port = free_port();
        snprintf(f->tcp, sizeof(f->tcp), "127.0.0.1:%u", f->port);
        assert_int_equal(nbd_server_new(f->event, NULL, -1, f->tcp, &ex, 1,
                                        &(struct nbd_server_settings) {
                                                .unix_max_clients = 1, .tcp_max_clients = 1,
                                        }, &f->server), 0);
        run_job(f, job_off, &j);
        nbd_server_free(f->server);
        f->server = tls_server;
}

/* Bad PSK files are refused with the line, never the key. */
static void test_bad_psk_file(void **state) {
        struct fixture *f = *state;
        struct nbd_tls_creds *c = NULL;
        char error[256];

        write_psk(f->psk, "alice:" KEY_HEX "\nbob:" KEY_HEX "zz\n");
        assert_int_equal(nbd_tls_creds_load(&(struct nbd_tls_config) { .psk_file = f->psk }, &c,
                                            error, sizeof(error)), -EINVAL);
        assert_non_null(strstr(error, ":2: "));
        assert_null(strstr(error, "0011"));
        write_psk(f->psk, "alice:" KEY_HEX "\nalice:" KEY_HEX "\n");
        assert_int_equal(nbd_tls_creds_load(&(struct nbd_tls_config) { .psk_file = f->psk }, &c,
                                            error, sizeof(error)), -EINVAL);
        assert_non_null(strstr(error, ":2: username given twice"));
        write_psk(f->psk, "\n# nothing\n");
        assert_int_equal(nbd_tls_creds_load(&(struct nbd_tls_config) { .psk_file = f->psk }, &c,
                                            error, sizeof(error)), -EINVAL);
        assert_int_equal(nbd_tls_creds_load(&(struct nbd_tls_config) { .psk_file = "/nonexistent" },
                                            &c, error, sizeof(error)), -ENOENT);
        assert_null(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_require, setup, teardown),
                cmocka_unit_test_setup_teardown(test_require_export_name_hangs_up, setup, teardown),
                cmocka_unit_test_setup_teardown(test_on_public_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_renegotiation_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stuck_handshake_blocks_nobody, setup, teardown),
                cmocka_unit_test_setup_teardown(test_new_creds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_psk_file, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
