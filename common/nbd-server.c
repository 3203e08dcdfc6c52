/* SPDX-License-Identifier: MIT */
/*
 * The NBD server object: listeners (UNIX, TCP, a socket-activated fd) and accept with the
 * client limit, then each client's buffers, socket I/O and message loop. The loop hands
 * messages to nbd-handshake.c or nbd-transmission.c by the client's state (nbd-client.h).
 */
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "transport/unix-socket.h"
#include "macro.h"
#include "accept-pause.h"
#include "nbd-client.h"

/* Buffers start small, grow to what one message needs, and shrink back once idle so a burst
 * does not pin memory for the session. 1 KiB holds an option of the handshake, a pipeline of
 * request headers, the reply to a small read (a FRU's are tens of bytes), and is a size malloc
 * keeps in its per-thread cache (up to 1032 bytes): the next session's buffers come back to
 * the same place. 16 KiB each cost satmcd 16 KiB of heap pages for every NBD client, and left
 * freed holes that later allocations spread over (docs/performance.md, "Item 2: memory"). */
#define IN_INITIAL              1024
#define OUT_INITIAL             1024
#define BUF_KEEP                (128 * 1024)
/* Stop taking requests while this much is unsent: the client is not reading its replies. */
#define OUT_HIGH_WATER          (256 * 1024)

static void client_free(struct nbd_client *c) {
        struct nbd_server *s = c->server;

        nbd_transmission_close(c);
        for (struct nbd_client **p = &s->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        s->n_clients--;
        c->listener->stats.clients--;
        c->listener->full_warned = false;
        sd_event_source_disable_unref(c->timer);
        sd_event_source_disable_unref(c->source);
        nbd_tls_session_free(c->tls);   /* before the fd: it may send close_notify on it */
        safe_close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
}

uint8_t *nbd_out_reserve(struct nbd_client *c, size_t n) {
        if (c->out_sent > 0 && c->out_sent == c->out_fill)
                c->out_sent = c->out_fill = 0;
        if (c->out_size - c->out_fill < n) {
                size_t want = c->out_fill + n;
                size_t size = c->out_size ? c->out_size : OUT_INITIAL;
                uint8_t *p;

                while (size < want)
                        size *= 2;
                p = realloc(c->out, size);
                if (!p)
                        return NULL;
                c->out = p;
                c->out_size = size;
        }
        return c->out + c->out_fill;
}

int nbd_out_send_direct(struct nbd_client *c, const void *head, size_t head_len,
                        const void *data, size_t data_len) {
        struct iovec iov[2] = {
                { .iov_base = (void *) head, .iov_len = head_len },
                { .iov_base = (void *) data, .iov_len = data_len },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        /* Room for all of it first: once part is sent, the rest must be queued whatever. */
        uint8_t *p = nbd_out_reserve(c, head_len + data_len);
        ssize_t n;

        if (!p)
                return -ENOMEM;
        assert(!c->tls && c->out_sent == c->out_fill);
        do
                n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        /* EAGAIN, or an error client_send() meets again and reports as usual: queue it all. */
        if (n < 0)
                n = 0;
        for (size_t i = 0, skip = (size_t) n; i < 2; i++) {
                size_t k = skip < iov[i].iov_len ? skip : iov[i].iov_len;

                memcpy(p, (const uint8_t *) iov[i].iov_base + k, iov[i].iov_len - k);
                p += iov[i].iov_len - k;
                c->out_fill += iov[i].iov_len - k;
                skip -= k;
        }
        return 0;
}

/* Send what is queued. Returns 0 when all went, 1 when some is left for EPOLLOUT, -errno. */
static int client_send(struct nbd_client *c) {
        while (c->out_sent < c->out_fill) {
                ssize_t n;

                if (c->tls) {
                        /* After an EAGAIN GnuTLS wants the same bytes again: they are still
                         * at out_sent, with perhaps more behind them. */
                        n = nbd_tls_send(c->tls, c->out + c->out_sent, c->out_fill - c->out_sent);
                        if (n == -EAGAIN)
                                return 1;
                        if (n < 0)
                                return (int) n;
                        c->out_sent += (size_t) n;
                        continue;
                }
                n = send(c->fd, c->out + c->out_sent, c->out_fill - c->out_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 1;
                        return -errno;
                }
                c->out_sent += (size_t) n;
        }
        c->out_sent = c->out_fill = 0;
        if (c->out_size > BUF_KEEP) {
                /* A large read went out; do not keep its buffer for the rest of the session. */
                free(c->out);
                c->out = NULL;
                c->out_size = 0;
        }
        return 0;
}

/* Throw away drained bytes; when the drain ends, answer what was refused. */
static int finish_drain(struct nbd_client *c) {
        if (c->state == STATE_OPTIONS)
                return nbd_handshake_drained(c);
        return nbd_transmission_drained(c);
}

/*
 * Parse and answer every complete message in the input buffer. Returns 0 when it needs more
 * input (c->in_need says how much), 1 when it stopped because the output backs up or the
 * client is closing, or -errno to hang up.
 */
static int client_process(struct nbd_client *c) {
        int r;

        for (;;) {
                const uint8_t *p = c->in + c->in_off;
                size_t avail = c->in_fill - c->in_off;

                c->in_need = 0;
                if (c->closing || c->tls_starting || c->out_fill - c->out_sent >= OUT_HIGH_WATER)
                        return 1;

                if (c->drain > 0) {
                        size_t n = avail < c->drain ? avail : (size_t) c->drain;

                        c->in_off += n;
                        c->drain -= n;
                        if (c->drain > 0)
                                return 0;       /* in_need 0: any amount of input helps */
                        c->messages++;
                        r = finish_drain(c);
                        if (r < 0)
                                return r;
                        continue;
                }

                if (c->state == STATE_TRANSMISSION)
                        r = nbd_transmission_step(c, p, avail);
                else
                        r = nbd_handshake_step(c, p, avail);
                if (r <= 0)
                        return r;
                c->messages++;
        }
}

/* Read what the socket has into the input buffer. Returns bytes read, 0 at EOF, -errno
 * (-EAGAIN when nothing was there). */
static ssize_t client_recv(struct nbd_client *c) {
        size_t left = c->in_fill - c->in_off, want;
        ssize_t n;

        /* Keep unparsed bytes at the start so in_need is measured from the buffer's start. */
        if (c->in_off > 0) {
                memmove(c->in, c->in + c->in_off, left);
                c->in_off = 0;
                c->in_fill = left;
        }
        want = c->in_need > IN_INITIAL ? c->in_need : IN_INITIAL;
        if (c->in_size < want || (c->in_size > BUF_KEEP && want <= BUF_KEEP && left <= want)) {
                uint8_t *p = realloc(c->in, want);

                if (!p)
                        return -ENOMEM;
                c->in = p;
                c->in_size = want;
        }

        if (c->tls) {
                n = nbd_tls_recv(c->tls, c->in + c->in_fill, c->in_size - c->in_fill);
                /* A record per request: take every one already read, then answer them all
                 * with one send, as a single recv() does on a plain socket. */
                while (n > 0 && c->in_fill + (size_t) n < c->in_size &&
                       nbd_tls_pending(c->tls) > 0) {
                        ssize_t k = nbd_tls_recv(c->tls, c->in + c->in_fill + n,
                                                 c->in_size - c->in_fill - (size_t) n);
                        if (k <= 0)
                                break;  /* -EAGAIN: a partial record; an error: next time */
                        n += k;
                }
        } else {
                n = recv(c->fd, c->in + c->in_fill, c->in_size - c->in_fill, MSG_DONTWAIT);
                if (n < 0)
                        return -errno;
        }
        if (n < 0)
                return n;
        c->in_fill += (size_t) n;
        return n;
}

static void client_close(struct nbd_client *c, int error, const char *what) {
        if (c->tls && error == -EPROTO) {
                /* Garbage records, a renegotiation, a failed MAC: worth a notice, with
                 * GnuTLS's reason (never key material: it has none to give). */
                c->listener->stats.tls_failures++;
                log_notice("nbd client %u: TLS: %s, closing it.", c->id, nbd_tls_error(c->tls));
        } else if (error < 0 && error != -ECONNRESET && error != -EPIPE)
                log_debug_errno(error, "nbd client %u: %s: %m", c->id, what);
        client_free(c);
}

/* ---- TLS: the upgrade after STARTTLS's ACK, and the handshake without blocking ---- */

static int client_set_events(struct nbd_client *c, uint32_t events) {
        return sd_event_source_set_io_events(c->source, events);
}

/* Drive the handshake. 1: under way (waiting for the socket), 0: done, -errno: failed (said). */
static int client_tls_handshake(struct nbd_client *c) {
        const char *via = c->listener->tcp ? " (TCP)" : "";
        int r = nbd_tls_handshake(c->tls);

        if (r == -EAGAIN) {
                r = client_set_events(c, nbd_tls_wants_write(c->tls) ? EPOLLOUT : EPOLLIN);
                return r < 0 ? r : 1;
        }
        if (r < 0) {
                c->listener->stats.tls_failures++;
                if (r == -ECONNRESET)
                        log_notice("nbd client %u%s: hung up in the TLS handshake (%s).", c->id,
                                   via, nbd_tls_error(c->tls));
                else
                        log_notice("nbd client %u%s: TLS handshake failed: %s, closing it.",
                                   c->id, via, nbd_tls_error(c->tls));
                return -ECONNABORTED;   /* said: client_close() adds nothing */
        }
        c->tls_handshaking = false;
        c->out_blocked = false;
        c->listener->stats.tls_sessions++;
        log_info("nbd client %u%s: TLS up: %s.", c->id, via, nbd_tls_peer(c->tls));
        r = client_set_events(c, EPOLLIN);
        return r < 0 ? r : 0;
}

/* The ACK to STARTTLS is out: begin TLS. The client must send nothing in plain after
 * STARTTLS; bytes that came anyway would be answered as if they had been protected (the
 * STARTTLS injection of CVE-2021-3716 in nbdkit), so such a client is hung up on. */
static int client_tls_start(struct nbd_client *c) {
        int r;

        c->tls_starting = false;
        if (c->in_fill > c->in_off) {
                c->listener->stats.tls_failures++;
                log_notice("nbd client %u: %zu bytes in plain after STARTTLS, closing it.",
                           c->id, c->in_fill - c->in_off);
                return -ECONNABORTED;
        }
        if (!c->server->settings.tls_creds)
                return -ENOKEY;
        r = nbd_tls_session_new(c->server->settings.tls_creds, c->fd, &c->tls);
        if (r < 0)
                return r;
        c->tls_handshaking = true;
        return client_tls_handshake(c);
}

/* ---- timeouts: one timer per client, armed only while something is due ---- */

enum deadline_kind { DEADLINE_NONE, DEADLINE_HANDSHAKE, DEADLINE_REQUEST, DEADLINE_IDLE };

static uint64_t loop_now(struct nbd_client *c) {
        uint64_t now = 0;

        (void) sd_event_now(sd_event_source_get_event(c->source), CLOCK_MONOTONIC, &now);
        return now;
}

static uint64_t after(uint64_t since, uint64_t timeout) {
        return since > UINT64_MAX - timeout ? UINT64_MAX : since + timeout;
}

/* When the client must have made progress by, and what it is waiting for; 0 = never. */
static uint64_t client_deadline(const struct nbd_client *c, enum deadline_kind *kind) {
        const struct nbd_server_settings *t = &c->server->settings;
        uint64_t d = 0;

        *kind = DEADLINE_NONE;
        if (c->state != STATE_TRANSMISSION) {
                /* Fixed from the connection: trickling bytes does not buy more time. */
                if (t->handshake_timeout_usec > 0) {
                        *kind = DEADLINE_HANDSHAKE;
                        d = after(c->accepted_at, t->handshake_timeout_usec);
                }
                return d;
        }
        if (t->request_timeout_usec > 0) {
                if (c->message_since > 0)
                        d = after(c->message_since, t->request_timeout_usec);
                if (c->blocked_since > 0) {
                        uint64_t b = after(c->blocked_since, t->request_timeout_usec);

                        d = d == 0 || b < d ? b : d;
                }
                if (d > 0) {
                        *kind = DEADLINE_REQUEST;
                        return d;
                }
        }
        /* Nothing under way. By default that is fine for ever: the kernel's nbd-client on a
         * BMC may not touch its device for days, and it does not reconnect when cut. */
        if (t->idle_timeout_usec > 0 && c->message_since == 0 && c->blocked_since == 0) {
                *kind = DEADLINE_IDLE;
                d = after(c->active_at, t->idle_timeout_usec);
        }
        return d;
}

/* Bring the timer in line with client_deadline(); an idle connection leaves it off. */
static int client_update_timer(struct nbd_client *c) {
        enum deadline_kind kind;
        uint64_t d = client_deadline(c, &kind);
        int r;

        if (d == c->deadline)
                return 0;
        if (d == 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        else {
                r = sd_event_source_set_time(c->timer, d);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                return r;
        c->deadline = d;
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        struct nbd_client *c = userdata;
        struct nbd_listener_stats *st = &c->listener->stats;
        const struct nbd_server_settings *t = &c->server->settings;
        const char *via = c->listener->tcp ? " (TCP)" : "";
        enum deadline_kind kind;
        uint64_t d = client_deadline(c, &kind);

        c->deadline = 0;        /* a ONESHOT timer is off once it fired */
        if (d == 0 || d > usec) {
                /* Not due after all (cannot happen while every change updates the timer). */
                if (client_update_timer(c) < 0)
                        client_free(c);
                return 0;
        }
        switch (kind) {
        case DEADLINE_HANDSHAKE:
                st->handshake_timeouts++;
                log_notice("nbd client %u%s: no export selected within %llu ms of connecting, "
                           "closing it.", c->id, via,
                           (unsigned long long) (t->handshake_timeout_usec / 1000));
                break;
        case DEADLINE_REQUEST:
                st->request_timeouts++;
                log_notice("nbd client %u%s: %s not done within %llu ms, closing it.", c->id, via,
                           c->message_since > 0 ? "a request begun was" :
                                                  "its replies were not read and",
                           (unsigned long long) (t->request_timeout_usec / 1000));
                break;
        default:
                st->idle_timeouts++;
                log_info("nbd client %u%s: idle for %llu ms, closing it.", c->id, via,
                         (unsigned long long) (t->idle_timeout_usec / 1000));
                break;
        }
        client_free(c);
        return 0;
}

/* After a round of I/O: which message is partial since when, whether replies back up. */
static void client_note_progress(struct nbd_client *c, unsigned long long messages_before) {
        bool partial = c->in_fill > c->in_off || c->drain > 0;
        uint64_t now = loop_now(c);

        if (!partial)
                c->message_since = 0;
        else if (c->message_since == 0 || c->messages != messages_before)
                c->message_since = now; /* a new message: the one before it was complete */
        if (!c->out_blocked)
                c->blocked_since = 0;
        else if (c->blocked_since == 0)
                c->blocked_since = now;
}

static int on_client(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct nbd_client *c = userdata;
        unsigned long long messages_before = c->messages;
        bool readable, tls_just_up = false;
        ssize_t n;
        int r;

        if (c->tls_handshaking) {
                r = client_tls_handshake(c);
                if (r < 0) {
                        client_close(c, r, "TLS handshake");
                        return 0;
                }
                if (r > 0)
                        goto timer;
                /* Done: what the client sent right behind its Finished may wait. */
                revents = EPOLLIN;
        }

        if (revents & EPOLLOUT) {
                r = client_send(c);
                if (r < 0) {
                        client_close(c, r, "send failed");
                        return 0;
                }
        }

        /* One recv per wake-up: epoll is level-triggered, so what is left wakes us again,
         * and a second recv that only returns EAGAIN would be a wasted system call. GnuTLS
         * may hold decrypted bytes the socket no longer signals: those are taken at once. */
        readable = !c->out_blocked && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR));
        do {
                if (readable) {
                        n = client_recv(c);
                        if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) {
                                if (n == 0 && (c->in_fill > c->in_off || c->drain > 0))
                                        log_notice("nbd client %u hung up in the middle of a "
                                                   "message.", c->id);
                                client_close(c, (int) n, "receive failed");
                                return 0;
                        }
                        if (n > 0)
                                c->active_at = loop_now(c);
                }

                for (;;) {
                        r = client_process(c);
                        if (r < 0) {
                                /* Answers to what came before the offence still go out (best
                                 * effort). */
                                (void) client_send(c);
                                client_close(c, r, "protocol error");
                                return 0;
                        }
                        r = client_send(c);
                        if (r < 0) {
                                client_close(c, r, "send failed");
                                return 0;
                        }
                        if (r > 0)
                                break;          /* output backs up: wait for EPOLLOUT */
                        if (c->closing) {
                                client_free(c);
                                return 0;
                        }
                        if (c->tls_starting) {
                                r = client_tls_start(c);
                                if (r < 0) {
                                        client_close(c, r, "cannot start TLS");
                                        return 0;
                                }
                                if (r > 0)
                                        goto timer;     /* the handshake has the socket now */
                                /* Done at the first try (a quick client): what it sent behind
                                 * its Finished is read ahead already, epoll will not say so. */
                                tls_just_up = true;
                                break;
                        }
                        /* All sent: carry on if processing stopped only because the output
                         * was full. */
                        if (c->in_need == 0 && c->drain == 0 && c->in_fill > c->in_off)
                                continue;
                        break;
                }
                readable = r == 0 && c->tls &&
                           (tls_just_up || nbd_tls_pending(c->tls) > 0);
                tls_just_up = false;
        } while (readable);

        /* Switch between reading and waiting for the client to read its replies; an
         * epoll_ctl only when the direction changes. */
        if ((r > 0) != c->out_blocked) {
                c->out_blocked = r > 0;
                r = client_set_events(c, c->out_blocked ? EPOLLOUT : EPOLLIN);
                if (r < 0) {
                        client_close(c, r, "cannot change event mask");
                        return 0;
                }
        }

        client_note_progress(c, messages_before);
timer:
        r = client_update_timer(c);
        if (r < 0)
                client_close(c, r, "cannot set its timer");
        return 0;
}

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct nbd_server *s = userdata;
        struct listener *l = fd == s->tcp_listener.fd ? &s->tcp_listener : &s->unix_listener;
        _cleanup_(closep) int cfd = -EBADF;
        struct nbd_client *c;
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
                /* EAGAIN, ECONNABORTED...: the next accept may work. Out of fds or memory: it
                 * will not for a while, and the pending connection would wake us at once. */
                if (accept_error_is_resource(errno))
                        (void) accept_pause(l->pause, source, &l->warned, "nbd", errno);
                return 0;
        }
        accept_resumed(&l->warned);

        if (l->stats.clients >= l->max_clients) {
                s->stats.refused++;
                l->stats.refused++;
                /* Once per run of refusals: a flood must not flood the journal too. */
                (void) log_full_errno(l->full_warned ? LOG_DEBUG : LOG_WARNING, 0,
                                      "nbd: %u clients on the %s listener already, refusing "
                                      "more until one leaves.", l->stats.clients,
                                      l->tcp ? "TCP" : "UNIX");
                l->full_warned = true;
                return 0;
        }
        if (l->tcp) {
                /* Every reply is one send; without this Nagle holds the next one back until
                 * the client's delayed ACK (~40 ms per handshake step, as qemu-nbd shows). */
                int one = 1;

                (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return 0;
        *c = (struct nbd_client) {
                .server = s,
                .listener = l,
                .fd = cfd,
                .id = ++s->next_id,
                .state = STATE_CLIENT_FLAGS,
        };

        r = nbd_handshake_start(c);
        if (r >= 0)
                r = client_send(c);     /* 18 bytes into an empty socket buffer: goes at once */
        if (r == 0)
                r = sd_event_add_io(sd_event_source_get_event(source), &c->source, cfd, EPOLLIN,
                                    on_client, c);
        if (r == 0 && s->timer_accuracy_usec > 0) {
                /* Made now, off, so that arming it later cannot fail for want of memory. */
                r = sd_event_add_time(sd_event_source_get_event(source), &c->timer,
                                      CLOCK_MONOTONIC, 0, s->timer_accuracy_usec, on_timeout, c);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                if (r >= 0) {
                        (void) sd_event_source_set_description(c->timer, "nbd-client-timeout");
                        c->accepted_at = c->active_at = loop_now(c);
                        r = client_update_timer(c);
                }
        }
        if (r != 0) {
                /* A client gone before its greeting (a readiness probe) is not worth a warning. */
                if (r == -EPIPE || r == -ECONNRESET)
                        log_debug_errno(r, "nbd: client left before the greeting: %m");
                else
                        log_warning_errno(r < 0 ? r : -EAGAIN,
                                          "nbd: cannot set up a new client: %m");
                sd_event_source_disable_unref(c->timer);
                sd_event_source_disable_unref(c->source);
                free(c->out);
                free(c);
                return 0;
        }
        (void) sd_event_source_set_description(c->source, "nbd-client");
        TAKE_FD(cfd);
        c->next = s->clients;
        s->clients = c;
        s->n_clients++;
        s->stats.accepted++;
        l->stats.clients++;
        l->stats.accepted++;
        log_debug("nbd client %u connected%s.", c->id, l->tcp ? " over TCP" : "");
        return 0;
}

/* "host:port", "[v6]:port" or ":port" (all addresses). */
static int bind_tcp(const char *address) {
        struct addrinfo hints = {
                .ai_socktype = SOCK_STREAM,
                .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
        };
        _cleanup_free_ char *host = NULL;
        struct addrinfo *res = NULL;
        const char *colon = strrchr(address, ':');
        const char *h = address;
        size_t hlen;
        int r, fd = -EBADF;

        if (!colon || colon[1] == '\0')
                return -EINVAL;
        hlen = (size_t) (colon - address);
        if (hlen >= 2 && address[0] == '[' && address[hlen - 1] == ']') {
                h++;
                hlen -= 2;
        }
        host = strndup(h, hlen);
        if (!host)
                return -ENOMEM;

        r = getaddrinfo(hlen > 0 ? host : NULL, colon + 1, &hints, &res);
        if (r != 0)
                return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;

        r = -EADDRNOTAVAIL;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                int one = 1;

                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            ai->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
                        r = 0;
                        break;
                }
                r = -errno;
                fd = safe_close(fd);
        }
        freeaddrinfo(res);
        return r < 0 ? r : fd;
}

/* A tenth of the shortest timeout, at most 1 s: sd-event may then coalesce the wake-ups of
 * many clients, and nobody needs a stalled client cut to the millisecond. 0: no timeouts. */
static uint64_t timer_accuracy(const struct nbd_server_settings *t) {
        uint64_t shortest = UINT64_MAX;

        if (t->handshake_timeout_usec > 0 && t->handshake_timeout_usec < shortest)
                shortest = t->handshake_timeout_usec;
        if (t->request_timeout_usec > 0 && t->request_timeout_usec < shortest)
                shortest = t->request_timeout_usec;
        if (t->idle_timeout_usec > 0 && t->idle_timeout_usec < shortest)
                shortest = t->idle_timeout_usec;
        if (shortest == UINT64_MAX)
                return 0;
        return shortest / 10 > 1000000 ? 1000000 : shortest / 10 ?: 1;
}

static int add_listener(struct nbd_server *s, sd_event *e, struct listener *l, const char *description) {
        int r = sd_event_add_io(e, &l->source, l->fd, EPOLLIN, on_accept, s);

        if (r < 0)
                return r;
        (void) sd_event_source_set_description(l->source, description);
        return accept_pause_new(l->source, &l->pause);
}

int nbd_server_new(sd_event *e, const char *unix_path, int listen_fd, const char *tcp_address,
                   const struct nbd_export *exports, size_t n_exports,
                   const struct nbd_server_settings *settings, struct nbd_server **ret) {
        _cleanup_(nbd_server_freep) struct nbd_server *s = NULL;
        _cleanup_close_ int owned_fd = listen_fd;       /* ours from here, on every path */
        int r;

        if (!e || !exports || n_exports == 0 || !settings || settings->unix_max_clients == 0 ||
            settings->tcp_max_clients == 0 || !ret)
                return -EINVAL;
        if (!unix_path && listen_fd < 0 && !tcp_address)
                return -EINVAL;
        if (!settings->tls_creds && (settings->tcp_tls != NBD_TLS_OFF ||
                                     settings->unix_tls != NBD_TLS_OFF))
                return -ENOKEY;
        for (size_t i = 0; i < n_exports; i++) {
                const struct nbd_export *x = &exports[i];

                if (!x->name || x->name[0] == '\0' || strlen(x->name) > NBD_MAX_STRING ||
                    (x->description && strlen(x->description) > NBD_MAX_STRING) ||
                    !x->ops || !x->ops->size || !x->ops->read || (x->writable && !x->ops->write))
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(exports[j].name, x->name) == 0)
                                return -EEXIST;
        }

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (struct nbd_server) {
                .unix_listener = { .fd = -EBADF, .max_clients = settings->unix_max_clients,
                                   .tls_mode = settings->unix_tls },
                .tcp_listener = { .fd = -EBADF, .tcp = true, .tls_mode = settings->tcp_tls,
                                  .max_clients = settings->tcp_max_clients },
                .settings = *settings,
                .timer_accuracy_usec = timer_accuracy(settings),
        };
        nbd_tls_creds_ref(s->settings.tls_creds);
        s->exports = calloc(n_exports, sizeof(*exports));
        if (!s->exports)
                return -ENOMEM;
        memcpy(s->exports, exports, n_exports * sizeof(*exports));
        s->n_exports = n_exports;

        if (listen_fd >= 0) {
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);

                s->unix_listener.fd = TAKE_FD(owned_fd);
                /* An activated socket may be TCP too; it needs TCP_NODELAY on its clients. */
                if (getsockname(listen_fd, (struct sockaddr *) &ss, &sl) == 0)
                        s->unix_listener.tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
                /* ... and then TCP's limit and TLS: it is the one the network meets. */
                if (s->unix_listener.tcp) {
                        s->unix_listener.max_clients = settings->tcp_max_clients;
                        s->unix_listener.tls_mode = settings->tcp_tls;
                }
        } else if (unix_path) {
                s->path = strdup(unix_path);
                if (!s->path)
                        return -ENOMEM;
                s->unix_listener.fd = unix_socket_listen(unix_path, settings->socket_mode);
                if (s->unix_listener.fd == -ENOTSOCK)
                        return log_error_errno(s->unix_listener.fd, "nbd: %s exists and is not a "
                                               "socket; refusing to replace it.", unix_path);
                if (s->unix_listener.fd < 0)
                        return log_error_errno(s->unix_listener.fd, "nbd: cannot listen on %s: %m",
                                               unix_path);
                s->created = true;
        }
        if (s->unix_listener.fd >= 0) {
                r = add_listener(s, e, &s->unix_listener, "nbd-listen");
                if (r < 0)
                        return r;
        }
        if (tcp_address) {
                s->tcp_listener.fd = bind_tcp(tcp_address);
                if (s->tcp_listener.fd < 0)
                        return log_error_errno(s->tcp_listener.fd,
                                               "nbd: cannot listen on TCP %s: %m", tcp_address);
                r = add_listener(s, e, &s->tcp_listener, "nbd-listen-tcp");
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

struct nbd_server *nbd_server_free(struct nbd_server *s) {
        if (!s)
                return NULL;
        while (s->clients)
                client_free(s->clients);
        /* Each pause timer points at its listener's source: it goes first. */
        sd_event_source_disable_unref(s->unix_listener.pause);
        sd_event_source_disable_unref(s->tcp_listener.pause);
        sd_event_source_disable_unref(s->unix_listener.source);
        sd_event_source_disable_unref(s->tcp_listener.source);
        safe_close(s->unix_listener.fd);
        safe_close(s->tcp_listener.fd);
        if (s->created)
                (void) unlink(s->path);
        free(s->path);
        free(s->exports);
        nbd_tls_creds_unref(s->settings.tls_creds);
        free(s);
        return NULL;
}

void nbd_server_set_tls_creds(struct nbd_server *s, struct nbd_tls_creds *creds) {
        if (!creds)
                return;         /* a listener with TLS on must keep some */
        nbd_tls_creds_ref(creds);
        nbd_tls_creds_unref(s->settings.tls_creds);
        s->settings.tls_creds = creds;
}

const struct nbd_server_stats *nbd_server_get_stats(const struct nbd_server *s) {
        return &s->stats;
}

const struct nbd_listener_stats *nbd_server_get_listener_stats(const struct nbd_server *s, bool tcp) {
        const struct listener *l = tcp ? &s->tcp_listener : &s->unix_listener;

        return l->fd >= 0 ? &l->stats : NULL;
}
