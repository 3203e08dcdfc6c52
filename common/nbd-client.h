/* SPDX-License-Identifier: MIT */
/*
 * Private to the NBD server; the API is nbd-server.h. One concern per file:
 *   nbd-server.c        listeners, accept, a client's buffers and socket I/O, the message loop
 *   nbd-handshake.c     the greeting and option haggling, up to the selected export
 *   nbd-transmission.c  requests on the selected export, and flushing what a client wrote
 * This header holds the server and client state they share and the few calls between them.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "nbd-server.h"
#include "protocol/nbd-wire.h"

enum client_state {
        STATE_CLIENT_FLAGS,     /* greeting sent, waiting for the client's 32-bit flags */
        STATE_OPTIONS,          /* option haggling */
        STATE_TRANSMISSION,     /* an export is selected, requests flow */
};

struct listener;

struct nbd_client {
        struct nbd_server *server;
        struct listener *listener;      /* accepted on; its limit counts this client */
        struct nbd_client *next;
        sd_event_source *source;
        sd_event_source *timer;         /* the next deadline, when there is one (nbd-server.c) */
        uint64_t deadline;              /* what timer is set to; 0 = off */
        int fd;
        unsigned id;
        enum client_state state;

        bool fixed_newstyle, no_zeroes;
        unsigned n_options;
        const struct nbd_export *export;        /* in transmission */
        uint64_t size;                          /* of export, sampled at GO */
        uint16_t tflags;
        bool dirty;                             /* wrote since the last successful flush */
        bool closing;                           /* hang up once the output is sent */
        bool logged_refusal;                    /* one notice per client, then debug */

        /* TLS (nbd-tls.h): STARTTLS was accepted and its ACK is queued; then the handshake
         * runs (tls set, tls_handshaking) and then every byte goes through tls. */
        bool tls_starting, tls_handshaking;
        struct nbd_tls_session *tls;

        /* Bytes still to be read off and thrown away: an oversized option or the payload of
         * a refused WRITE. Then answer drain_option (options) or drain_req (transmission). */
        uint64_t drain;
        uint32_t drain_option;
        struct nbd_request drain_req;
        uint32_t drain_error;

        uint8_t *in;
        size_t in_size, in_off, in_fill;        /* unparsed bytes are in[in_off, in_fill) */
        size_t in_need;                         /* bytes from in_off the next message needs */
        uint8_t *out;
        size_t out_size, out_sent, out_fill;    /* unsent bytes are out[out_sent, out_fill) */
        bool out_blocked;                       /* waiting for EPOLLOUT */

        /* CLOCK_MONOTONIC µs, for the timeouts; 0 = not now. */
        uint64_t accepted_at;                   /* the handshake deadline counts from here */
        uint64_t message_since;                 /* a message is partly received since */
        uint64_t blocked_since;                 /* replies back up since */
        uint64_t active_at;                     /* last bytes received */
        unsigned long long messages;            /* consumed so far: a partial one is new */
};

struct listener {
        sd_event_source *source;
        sd_event_source *pause;         /* see accept-pause.h */
        bool warned;
        bool full_warned;               /* one warning per run of refusals */
        int fd;
        bool tcp;
        enum nbd_tls_mode tls_mode;
        unsigned max_clients;
        struct nbd_listener_stats stats;
};

struct nbd_server {
        struct listener unix_listener, tcp_listener;
        char *path;                     /* unlinked at free if we created it */
        bool created;
        struct nbd_export *exports;
        size_t n_exports;
        unsigned n_clients, next_id;
        struct nbd_server_settings settings;   /* tls_creds: referenced, the current ones */
        uint64_t timer_accuracy_usec;   /* of the client timers; 0 = no timeouts at all */
        struct nbd_client *clients;
        struct nbd_server_stats stats;
};

/* nbd-server.c: the output buffer. */

/* Make room for n more bytes of output; returns a pointer to them or NULL (out of memory). */
uint8_t *nbd_out_reserve(struct nbd_client *c, size_t n);

/* With nothing queued and no TLS: send head then data in one sendmsg() straight from where
 * they are (data: an export's memory, nbd_export_ops.map), and queue whatever the socket does
 * not take at once, so the caller's memory is not needed afterwards. 0 or -ENOMEM (nothing
 * sent then); a socket error is left for the next send to find. */
int nbd_out_send_direct(struct nbd_client *c, const void *head, size_t head_len,
                        const void *data, size_t data_len);

static inline int nbd_out_appended(struct nbd_client *c, int r) {
        if (r > 0)
                c->out_fill += (size_t) r;
        return r < 0 ? r : 0;
}

/* Append one message: fn is an nbd_encode_* function, called with the reserved space and
 * maxlen as its buffer arguments, then the rest. 0 or -errno. */
#define OUT_APPEND(c, maxlen, fn, ...)                                          \
        nbd_out_appended((c), ({                                                \
                uint8_t *_b = nbd_out_reserve((c), (maxlen));                   \
                _b ? fn(_b, (maxlen), __VA_ARGS__) : -ENOMEM;                   \
        }))

/*
 * The message loop in nbd-server.c hands the unparsed input (avail bytes at p, which is
 * c->in + c->in_off) to the step function of the client's state. A step function consumes at
 * most one message by advancing c->in_off, or starts a drain. It returns 1 to be called again,
 * 0 when it needs more input (c->in_need says how much), or -errno to hang up.
 */

/* Whether TLS is up on this connection (options then see every export). */
static inline bool nbd_client_tls_active(const struct nbd_client *c) {
        return c->tls && !c->tls_handshaking;
}

/* nbd-handshake.c */
int nbd_handshake_start(struct nbd_client *c);  /* queue the greeting; 0 or -errno */
int nbd_handshake_step(struct nbd_client *c, const uint8_t *p, size_t avail);
int nbd_handshake_drained(struct nbd_client *c);        /* an oversized option was read off: refuse it */

/* nbd-transmission.c */
int nbd_transmission_step(struct nbd_client *c, const uint8_t *p, size_t avail);
int nbd_transmission_drained(struct nbd_client *c);     /* a refused WRITE's payload was read off */
void nbd_transmission_close(struct nbd_client *c);      /* the client goes: flush what it wrote */
