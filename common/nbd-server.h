/* SPDX-License-Identifier: MIT */
/*
 * An NBD server on sd-event: serves a fixed set of small exports (satmcd: fru0, fru1, …, and
 * the read-only "sdr") to any number of clients over a UNIX socket and optionally TCP. The
 * protocol bytes are protocol/nbd-wire.c's; this server is the policy: which options are
 * answered how, limits on what a client may make us hold, and when data is persisted.
 * nbd-server.c holds listeners and client I/O, nbd-handshake.c the options,
 * nbd-transmission.c the requests; nbd-client.h is their private state.
 *
 * Handshake: fixed newstyle with NO_ZEROES. NBD_OPT_GO, NBD_OPT_INFO (export, name,
 * description, block sizes 1/512/64 KiB), NBD_OPT_LIST, NBD_OPT_EXPORT_NAME and NBD_OPT_ABORT
 * (ACK, then close) are served; every other option gets NBD_REP_ERR_UNSUP and haggling goes
 * on. NBD_OPT_STARTTLS, and what is answered before it, follow the listener's TLS mode
 * (protocol/nbd-tls-policy.h; the TLS mechanics are nbd-tls.c's): after the ACK the TLS
 * handshake runs on the loop without blocking, under the handshake timeout, and plain bytes
 * sent behind STARTTLS end the connection. The empty export name selects the first export (the kernel's nbd-client asks for "" by
 * default, so satmcd's first FRU device is what a bare `nbd-client host dev` gets).
 * A client may send at most 32 options; an option longer than 4 KiB is read off and refused
 * with NBD_REP_ERR_TOO_BIG, one longer than 64 KiB closes the connection.
 *
 * Transmission: simple replies only. READ, WRITE, FLUSH, WRITE_ZEROES, TRIM (a no-op on
 * writable exports: nothing here is thin) and DISC; FUA flushes after the write. Every invalid
 * request gets an error reply (EINVAL, ENOSPC for writes past the end, EPERM for writes to a
 * read-only export, with the payload of a refused WRITE read off so the stream stays in
 * sync); only a bad request magic ends a session. READ and WRITE up to 4 MiB are served
 * although 64 KiB is the advertised maximum, for clients that do not ask.
 *
 * Timeouts (struct nbd_server_settings): a handshake must end within a fixed time of the
 * connection, a request begun must arrive whole within a fixed time, a reply must be taken
 * within it; connections idle in transmission stay. Each listener has its own client limit.
 *
 * Persistence: FLUSH (and FUA) call ops->flush; a client that wrote and goes away without
 * flushing has its exports flushed when it disconnects.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "nbd-tls.h"
#include "protocol/nbd-tls-policy.h"

struct nbd_server;

/*
 * What an export provides. All calls happen on the event loop thread and must not block for
 * long. The server checks every range against size() before read() or write() are called.
 * flush() persists every write completed so far on any connection: since all connections
 * share one process and one export, that is what lets the server advertise
 * NBD_FLAG_CAN_MULTI_CONN. flush may be NULL (nothing to persist).
 */
struct nbd_export_ops {
        uint64_t (*size)(void *export);         /* sampled once per connection, at GO/INFO */
        int (*read)(void *export, uint64_t off, void *buf, size_t len);         /* 0 or -errno */
        int (*write)(void *export, uint64_t off, const void *buf, size_t len);  /* 0 or -errno */
        int (*flush)(void *export);                                             /* 0 or -errno */
        /* May be NULL. The export's own memory holding [off, off + len), readable until
         * control returns to the event loop, or NULL (then read() is used). With it a READ
         * reply goes from that memory to the socket in one sendmsg(), without first being
         * copied into the connection's output buffer. */
        const void *(*map)(void *export, uint64_t off, size_t len);
};

struct nbd_export {
        const char *name;               /* non-empty, unique, at most 4096 bytes */
        const char *description;        /* NULL: none */
        bool writable;                  /* false: READ_ONLY, writes refused with EPERM */
        bool tls_public;                /* on a tls = on listener, served without TLS too */
        const struct nbd_export_ops *ops;
        void *userdata;                 /* passed to every op */
};

/* Limits, timeouts and permissions. Every listener has its own limit, so a flood on one (TCP)
 * cannot lock clients of another (the UNIX socket) out. */
struct nbd_server_settings {
        unsigned unix_max_clients;      /* UNIX listener, or the passed one if it is UNIX; >= 1 */
        unsigned tcp_max_clients;       /* TCP listener, or the passed one if it is TCP; >= 1 */
        mode_t socket_mode;             /* of the socket created at unix_path */
        /* From accept to a selected export (NBD_OPT_GO / NBD_OPT_EXPORT_NAME); fixed, however
         * slowly the client keeps sending. 0: none (tests only). */
        uint64_t handshake_timeout_usec;
        /* In transmission, from a request's first byte to its last (payload included), and from
         * a reply backing up to the client having taken it. 0: none (tests only). */
        uint64_t request_timeout_usec;
        /* In transmission, with nothing under way: 0 (the default) never closes. */
        uint64_t idle_timeout_usec;
        /* TLS per listener (protocol/nbd-tls-policy.h says what each mode lets a client do);
         * a passed socket takes tcp_tls when it is TCP. Any mode but off needs tls_creds,
         * which the server references (nbd_server_set_tls_creds() swaps them). */
        enum nbd_tls_mode unix_tls, tcp_tls;
        struct nbd_tls_creds *tls_creds;
};

/*
 * Serve exports (the array is copied; the strings, ops and userdata must outlive the server)
 * on a UNIX socket at unix_path (created with settings->socket_mode; a stale socket is
 * replaced, a live one or anything not a socket is not: unix_socket_listen()), or on listen_fd
 * if >= 0 (socket activation; unix_path then only names it in logs), and on TCP at tcp_address
 * ("host:port", "[v6]:port" or ":port" for every address) if not NULL. unix_path may be NULL
 * when listen_fd < 0 and tcp_address is given. A listener at its limit accepts and closes
 * newcomers at once. listen_fd is taken over: it is closed with the server, and on failure.
 *
 * Idle connections in transmission are neither timed out (unless idle_timeout_usec) nor
 * evicted to make room: on the other side is usually a block device (the kernel's nbd-client)
 * that does not reconnect, and cutting it would fail the BMC's I/O. A slot is held for ever
 * only by a client that finished the handshake; the handshake and request timeouts free every
 * other one.
 */
int nbd_server_new(sd_event *e, const char *unix_path, int listen_fd, const char *tcp_address,
                   const struct nbd_export *exports, size_t n_exports,
                   const struct nbd_server_settings *settings, struct nbd_server **ret);
/* New credentials (a reload): new TLS sessions use them, running ones keep theirs. */
void nbd_server_set_tls_creds(struct nbd_server *s, struct nbd_tls_creds *creds);

/* Closes every connection (flushing exports they wrote) and the listeners. NULL-safe. */
struct nbd_server *nbd_server_free(struct nbd_server *s);
static inline void nbd_server_freep(struct nbd_server **s) {
        nbd_server_free(*s);
}

/* Statistics, for counters and tests. */
struct nbd_server_stats {
        unsigned long long accepted, refused, requests, request_errors, protocol_errors,
                bytes_read, bytes_written, flushes;
};
const struct nbd_server_stats *nbd_server_get_stats(const struct nbd_server *s);

/* Per listener: what each limit and timeout did. */
struct nbd_listener_stats {
        unsigned clients;               /* connected now */
        unsigned long long accepted, refused, handshake_timeouts, request_timeouts,
                idle_timeouts;
        /* TLS upgrades completed, failed (bad key, certificate, garbage), and options refused
         * with NBD_REP_ERR_TLS_REQD (or hung up on) for want of TLS. */
        unsigned long long tls_sessions, tls_failures, tls_required;
};
/* The TCP listener's (tcp: [nbd] tcp) or else the UNIX or passed one's; NULL if there is no
 * such listener. */
const struct nbd_listener_stats *nbd_server_get_listener_stats(const struct nbd_server *s, bool tcp);
