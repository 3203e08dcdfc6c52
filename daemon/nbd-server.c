/* SPDX-License-Identifier: MIT */
/*
 * The NBD server object: listeners (UNIX, TCP, a socket-activated fd) and accept with the
 * client limit, then each client's buffers, socket I/O and message loop. The loop hands
 * messages to nbd-handshake.c or nbd-transmission.c by the client's state (nbd-client.h).
 */
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

/* Buffers start small (most clients do 512-byte to 4 KiB requests), grow to what one message
 * needs, and shrink back once idle so a burst does not pin memory for the session. */
#define IN_INITIAL              (16 * 1024)
#define OUT_INITIAL             (16 * 1024)
#define BUF_KEEP                (128 * 1024)
/* Stop taking requests while this much is unsent: the client is not reading its replies. */
#define OUT_HIGH_WATER          (256 * 1024)

static void client_free(NbdClient *c) {
        NbdServer *s = c->server;

        nbd_transmission_close(c);
        for (NbdClient **p = &s->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        s->n_clients--;
        sd_event_source_disable_unref(c->source);
        safe_close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
}

uint8_t *nbd_out_reserve(NbdClient *c, size_t n) {
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

/* Send what is queued. Returns 0 when all went, 1 when some is left for EPOLLOUT, -errno. */
static int client_send(NbdClient *c) {
        while (c->out_sent < c->out_fill) {
                ssize_t n = send(c->fd, c->out + c->out_sent, c->out_fill - c->out_sent,
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
static int finish_drain(NbdClient *c) {
        if (c->state == STATE_OPTIONS)
                return nbd_handshake_drained(c);
        return nbd_transmission_drained(c);
}

/*
 * Parse and answer every complete message in the input buffer. Returns 0 when it needs more
 * input (c->in_need says how much), 1 when it stopped because the output backs up or the
 * client is closing, or -errno to hang up.
 */
static int client_process(NbdClient *c) {
        int r;

        for (;;) {
                const uint8_t *p = c->in + c->in_off;
                size_t avail = c->in_fill - c->in_off;

                c->in_need = 0;
                if (c->closing || c->out_fill - c->out_sent >= OUT_HIGH_WATER)
                        return 1;

                if (c->drain > 0) {
                        size_t n = avail < c->drain ? avail : (size_t) c->drain;

                        c->in_off += n;
                        c->drain -= n;
                        if (c->drain > 0)
                                return 0;       /* in_need 0: any amount of input helps */
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
        }
}

/* Read what the socket has into the input buffer. Returns bytes read, 0 at EOF, -errno
 * (-EAGAIN when nothing was there). */
static ssize_t client_recv(NbdClient *c) {
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

        n = recv(c->fd, c->in + c->in_fill, c->in_size - c->in_fill, MSG_DONTWAIT);
        if (n < 0)
                return -errno;
        c->in_fill += (size_t) n;
        return n;
}

static void client_close(NbdClient *c, int error, const char *what) {
        if (error < 0 && error != -ECONNRESET && error != -EPIPE)
                log_debug_errno(error, "nbd client %u: %s: %m", c->id, what);
        client_free(c);
}

static int on_client(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        NbdClient *c = userdata;
        ssize_t n;
        int r;

        if (revents & EPOLLOUT) {
                r = client_send(c);
                if (r < 0) {
                        client_close(c, r, "send failed");
                        return 0;
                }
        }

        /* One recv per wake-up: epoll is level-triggered, so what is left wakes us again,
         * and a second recv that only returns EAGAIN would be a wasted system call. */
        if (!c->out_blocked && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                n = client_recv(c);
                if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) {
                        if (n == 0 && (c->in_fill > c->in_off || c->drain > 0))
                                log_notice("nbd client %u hung up in the middle of a message.",
                                           c->id);
                        client_close(c, (int) n, "receive failed");
                        return 0;
                }
        }

        for (;;) {
                r = client_process(c);
                if (r < 0) {
                        /* Answers to what came before the offence still go out (best effort). */
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
                /* All sent: carry on if processing stopped only because the output was full. */
                if (c->in_need == 0 && c->drain == 0 && c->in_fill > c->in_off)
                        continue;
                break;
        }

        /* Switch between reading and waiting for the client to read its replies; an
         * epoll_ctl only when the direction changes. */
        if ((r > 0) != c->out_blocked) {
                c->out_blocked = r > 0;
                r = sd_event_source_set_io_events(c->source, c->out_blocked ? EPOLLOUT : EPOLLIN);
                if (r < 0) {
                        client_close(c, r, "cannot change event mask");
                        return 0;
                }
        }
        return 0;
}

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        NbdServer *s = userdata;
        struct listener *l = fd == s->tcp_listener.fd ? &s->tcp_listener : &s->unix_listener;
        _cleanup_(closep) int cfd = -EBADF;
        NbdClient *c;
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

        if (s->n_clients >= s->max_clients) {
                s->stats.refused++;
                log_warning("nbd: %u clients already, refusing another.", s->n_clients);
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
        *c = (NbdClient) {
                .server = s,
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
        if (r != 0) {
                /* A client gone before its greeting (a readiness probe) is not worth a warning. */
                if (r == -EPIPE || r == -ECONNRESET)
                        log_debug_errno(r, "nbd: client left before the greeting: %m");
                else
                        log_warning_errno(r < 0 ? r : -EAGAIN,
                                          "nbd: cannot set up a new client: %m");
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

static int add_listener(NbdServer *s, sd_event *e, struct listener *l, const char *description) {
        int r = sd_event_add_io(e, &l->source, l->fd, EPOLLIN, on_accept, s);

        if (r < 0)
                return r;
        (void) sd_event_source_set_description(l->source, description);
        return accept_pause_new(l->source, &l->pause);
}

int nbd_server_new(sd_event *e, const char *unix_path, int listen_fd, const char *tcp_address,
                   const struct nbd_export *exports, size_t n_exports, unsigned max_clients,
                   NbdServer **ret) {
        _cleanup_(nbd_server_freep) NbdServer *s = NULL;
        _cleanup_close_ int owned_fd = listen_fd;       /* ours from here, on every path */
        int r;

        if (!e || !exports || n_exports == 0 || max_clients == 0 || !ret)
                return -EINVAL;
        if (!unix_path && listen_fd < 0 && !tcp_address)
                return -EINVAL;
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
        *s = (NbdServer) {
                .unix_listener = { .fd = -EBADF },
                .tcp_listener = { .fd = -EBADF, .tcp = true },
                .max_clients = max_clients,
        };
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
        } else if (unix_path) {
                s->path = strdup(unix_path);
                if (!s->path)
                        return -ENOMEM;
                s->unix_listener.fd = unix_socket_listen(unix_path, 0660);
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

NbdServer *nbd_server_free(NbdServer *s) {
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
        free(s);
        return NULL;
}

const struct nbd_server_stats *nbd_server_get_stats(const NbdServer *s) {
        return &s->stats;
}
