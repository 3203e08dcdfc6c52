/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "accept-pause.h"
#include "ipmitool-socket.h"
#include "log.h"
#include "transport/unix-socket.h"
#include "macro.h"
#include "protocol/ipmi.h"

/* Room for one whole request: the largest header any ABI gives, plus the IPMI maximum. */
#define CLIENT_BUF_SIZE 512

struct ipmitool_client {
        struct ipmitool_socket *server;
        struct ipmitool_client *next;
        sd_event_source *source;
        sd_event_source *timer;         /* armed while a request is half received */
        int fd;
        unsigned id;
        bool busy;                      /* a request is with the callback, not answered yet */
        /* When it last became idle (accepted, or answered): idle_seq orders clients strictly,
         * idle_since (CLOCK_MONOTONIC) only tells the log how long. */
        uint64_t idle_seq, idle_since;
        size_t fill;
        uint8_t buf[CLIENT_BUF_SIZE];
};

struct ipmitool_socket {
        sd_event_source *listen_source;
        sd_event_source *accept_pause;  /* see accept-pause.h */
        bool accept_warned;
        int listen_fd;
        char *path;                     /* unlinked at free if we created it */
        bool created;
        unsigned max_clients, n_clients, next_id;
        uint64_t request_timeout_usec;
        uint64_t idle_clock;            /* the last idle_seq handed out */
        struct ipmitool_client *clients;
        const struct ipmitool_socket_ops *ops;
        void *userdata;
        struct ipmitool_socket_stats stats;
};

/* The loop's CLOCK_MONOTONIC time in microseconds; for log lines only, so 0 if unknown. */
static uint64_t loop_now(sd_event_source *source) {
        uint64_t now;

        return sd_event_now(sd_event_source_get_event(source), CLOCK_MONOTONIC, &now) < 0 ? 0 : now;
}

static void client_mark_idle(struct ipmitool_client *c) {
        c->idle_seq = ++c->server->idle_clock;
        c->idle_since = loop_now(c->source);
}

static void client_free(struct ipmitool_client *c, bool notify) {
        struct ipmitool_socket *s = c->server;

        if (notify && s->ops->disconnect)
                s->ops->disconnect(c, s->userdata);
        for (struct ipmitool_client **p = &s->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        s->n_clients--;
        sd_event_source_disable_unref(c->timer);
        sd_event_source_disable_unref(c->source);
        safe_close(c->fd);
        free(c);
}

/*
 * A request has begun and is not complete: start its clock, once. The deadline counts from
 * the request's first byte and is not pushed back by more bytes, so one byte a second does not
 * keep a connection (and its slot) for ever.
 */
static void client_start_timer(struct ipmitool_client *c) {
        int r;

        if (!c->timer || c->server->request_timeout_usec == 0)
                return;
        r = sd_event_source_get_enabled(c->timer, NULL);
        if (r > 0)
                return;         /* running already, for this same request */
        r = sd_event_source_set_time_relative(c->timer, c->server->request_timeout_usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "ipmitool client %u: cannot arm the request timer: %m", c->id);
}

static void client_stop_timer(struct ipmitool_client *c) {
        if (c->timer)
                (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
}

static int on_request_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        struct ipmitool_client *c = userdata;
        struct ipmitool_socket *s = c->server;

        s->stats.timeouts++;
        log_warning("ipmitool client %u sent %zu bytes of a request and stalled for %llu ms, "
                    "closing it.", c->id, c->fill,
                    (unsigned long long) (s->request_timeout_usec / 1000));
        client_free(c, true);
        return 0;
}

/* Hand over the next complete request in the buffer, if any and if we are free to. */
static void client_process(struct ipmitool_client *c) {
        struct ipmitool_socket *s = c->server;
        struct ipmi_dummy_request req;
        int n;

        if (c->busy || c->fill == 0)
                return;

        n = ipmi_dummy_parse_request(c->buf, c->fill, &req);
        if (n == 0) {
                client_start_timer(c);
                return;         /* wait for the rest */
        }
        client_stop_timer(c);
        if (n < 0) {
                s->stats.protocol_errors++;
                log_warning("ipmitool client %u sent an invalid request header, closing it.", c->id);
                client_free(c, true);
                return;
        }
        if (req.bye) {
                log_debug("ipmitool client %u said BYE.", c->id);
                client_free(c, true);
                return;
        }

        s->stats.requests++;
        c->busy = true;
        /* Stop reading while the request is out: one at a time, and no unbounded buffering. */
        (void) sd_event_source_set_enabled(c->source, SD_EVENT_OFF);
        /* The callback may answer (and so consume the buffer) before it returns. */
        s->ops->request(c, &req, s->userdata);
}

int ipmitool_client_reply(struct ipmitool_client *c, const struct ipmi_dummy_response *rsp) {
        uint8_t out[CLIENT_BUF_SIZE];
        struct ipmi_dummy_request req;
        ssize_t sent;
        int n, consumed;

        n = ipmi_dummy_encode_response(rsp, out, sizeof(out));
        if (n < 0)
                return n;

        /* The request being answered sits at the start of the buffer: drop it now. */
        consumed = ipmi_dummy_parse_request(c->buf, c->fill, &req);
        if (consumed > 0) {
                memmove(c->buf, c->buf + consumed, c->fill - (size_t) consumed);
                c->fill -= (size_t) consumed;
        }
        c->busy = false;
        client_mark_idle(c);

        /* Header and data in one write: ipmitool's reader cannot reassemble a split one. A
         * client whose socket buffer is full is not reading its answers: drop it. */
        sent = send(c->fd, out, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent != n) {
                int r = sent < 0 ? -errno : -EAGAIN;

                /* A client killed while it waited (timeout, Ctrl-C) is ordinary; one that
                 * stopped reading is worth a warning. */
                if (r == -EPIPE || r == -ECONNRESET)
                        log_debug_errno(r, "ipmitool client %u left before its answer: %m", c->id);
                else
                        log_warning_errno(r, "ipmitool client %u: cannot send response, closing it: %m", c->id);
                client_free(c, true);
                return r;
        }

        (void) sd_event_source_set_enabled(c->source, SD_EVENT_ON);
        client_process(c);      /* a pipelined request may be waiting already */
        return 0;
}

static int on_client(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct ipmitool_client *c = userdata;
        ssize_t n;

        if (c->fill == sizeof(c->buf)) {
                /* Cannot happen with a valid header (it bounds the request); be safe anyway. */
                client_free(c, true);
                return 0;
        }
        n = recv(fd, c->buf + c->fill, sizeof(c->buf) - c->fill, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                log_debug_errno(errno, "ipmitool client %u: %m, closing it.", c->id);
                client_free(c, true);
                return 0;
        }
        if (n == 0) {
                if (c->fill > 0)
                        log_warning("ipmitool client %u hung up in the middle of a request.", c->id);
                client_free(c, true);
                return 0;
        }
        c->fill += (size_t) n;
        client_process(c);
        return 0;
}

/*
 * May c be closed to make room? Only if nothing of a request is anywhere between ipmitool and
 * its answer: not with the callback, not half in our buffer, and not waiting unread in the
 * kernel. ipmitool reads its answer with no timeout and spins forever on end-of-file, so
 * closing a connection it may be waiting on is never an option; between requests (and before
 * the first) it is harmless: its next write fails and it exits with an error.
 */
static bool client_is_idle(const struct ipmitool_client *c) {
        int queued;

        if (c->busy || c->fill > 0)
                return false;
        /* A request just written may not have been read yet; if in doubt, not idle. */
        return ioctl(c->fd, FIONREAD, &queued) == 0 && queued == 0;
}

static struct ipmitool_client *find_longest_idle(struct ipmitool_socket *s) {
        struct ipmitool_client *victim = NULL;

        for (struct ipmitool_client *c = s->clients; c; c = c->next)
                if ((!victim || c->idle_seq < victim->idle_seq) && client_is_idle(c))
                        victim = c;
        return victim;
}

/*
 * At max_clients, close the client idle the longest so that a newcomer gets in: connections
 * left open without a request (an ipmitool shell, a script that never said BYE, a stuck
 * process) must not lock every other local ipmitool out. Returns false when every client is
 * in the middle of a request: then the newcomer is the one refused.
 */
static bool make_room(struct ipmitool_socket *s) {
        struct ipmitool_client *victim = find_longest_idle(s);
        uint64_t now, idle_ms;

        if (!victim)
                return false;
        now = loop_now(s->listen_source);
        idle_ms = now > victim->idle_since ? (now - victim->idle_since) / 1000 : 0;
        log_info("ipmitool socket: %u clients already, closing client %u (idle for %llu ms) "
                 "to make room.", s->n_clients, victim->id, (unsigned long long) idle_ms);
        s->stats.evicted++;
        client_free(victim, true);
        return true;
}

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct ipmitool_socket *s = userdata;
        struct ipmitool_client *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
                /* EAGAIN, ECONNABORTED...: the next accept may work. Out of fds or memory: it
                 * will not for a while, and the pending connection would wake us at once. */
                if (accept_error_is_resource(errno))
                        (void) accept_pause(s->accept_pause, source, &s->accept_warned,
                                            "ipmitool socket", errno);
                return 0;
        }
        accept_resumed(&s->accept_warned);

        if (s->n_clients >= s->max_clients && !make_room(s)) {
                s->stats.refused++;
                log_warning("ipmitool socket: %u clients already, all in the middle of a request, "
                            "refusing another.", s->n_clients);
                close(cfd);
                return 0;
        }

        c = calloc(1, sizeof(*c));
        if (!c) {
                close(cfd);
                return 0;
        }
        *c = (struct ipmitool_client) { .server = s, .fd = cfd, .id = ++s->next_id };
        r = sd_event_add_io(sd_event_source_get_event(source), &c->source, cfd, EPOLLIN,
                            on_client, c);
        if (r < 0) {
                log_warning_errno(r, "ipmitool socket: cannot watch a new client: %m");
                close(cfd);
                free(c);
                return 0;
        }
        (void) sd_event_source_set_description(c->source, "ipmitool-client");
        if (s->request_timeout_usec > 0) {
                /* Made now, off, so that arming it later cannot fail for want of memory.
                 * Accuracy: a tenth of the timeout (at most 1 s) lets sd-event coalesce the
                 * wake-ups; nobody needs a stalled client cut to the millisecond. */
                uint64_t accuracy = s->request_timeout_usec / 10;

                r = sd_event_add_time(sd_event_source_get_event(source), &c->timer,
                                      CLOCK_MONOTONIC, 0,
                                      accuracy < 1000000 ? accuracy : 1000000,
                                      on_request_timeout, c);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                if (r < 0) {
                        log_warning_errno(r, "ipmitool socket: cannot time a new client: %m");
                        sd_event_source_disable_unref(c->timer);
                        sd_event_source_disable_unref(c->source);
                        close(cfd);
                        free(c);
                        return 0;
                }
                (void) sd_event_source_set_description(c->timer, "ipmitool-request-timeout");
        }
        client_mark_idle(c);
        c->next = s->clients;
        s->clients = c;
        s->n_clients++;
        s->stats.accepted++;
        return 0;
}

int ipmitool_socket_new(sd_event *event, const char *path, int listen_fd,
                        const struct ipmitool_socket_settings *settings,
                        const struct ipmitool_socket_ops *ops, void *userdata,
                        struct ipmitool_socket **ret) {
        _cleanup_(ipmitool_socket_freep) struct ipmitool_socket *s = NULL;
        _cleanup_close_ int owned_fd = listen_fd;       /* ours from here, on every path */
        int r;

        if (!event || !path || !settings || settings->max_clients == 0 || !ops || !ops->request ||
            !ret)
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (struct ipmitool_socket) {
                .listen_fd = -EBADF,
                .max_clients = settings->max_clients,
                .request_timeout_usec = settings->request_timeout_usec,
                .ops = ops,
                .userdata = userdata,
        };
        s->path = strdup(path);
        if (!s->path)
                return -ENOMEM;

        if (listen_fd >= 0) {
                int flags = fcntl(listen_fd, F_GETFL);

                /* The service manager may hand it over blocking; accept4() must never block. */
                if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
                        return -errno;
                s->listen_fd = TAKE_FD(owned_fd);
        }
        else {
                s->listen_fd = unix_socket_listen(path, settings->socket_mode);
                if (s->listen_fd == -ENOTSOCK)
                        return log_error_errno(s->listen_fd, "ipmitool socket: %s exists and is "
                                               "not a socket; refusing to replace it.", path);
                if (s->listen_fd < 0)
                        return s->listen_fd;
                s->created = true;
        }

        r = sd_event_add_io(event, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->listen_source, "ipmitool-listen");
        r = accept_pause_new(s->listen_source, &s->accept_pause);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

struct ipmitool_socket *ipmitool_socket_free(struct ipmitool_socket *s) {
        if (!s)
                return NULL;
        while (s->clients)
                client_free(s->clients, false);
        sd_event_source_disable_unref(s->accept_pause);        /* before the listener: */
        sd_event_source_disable_unref(s->listen_source);        /* it points at it */
        safe_close(s->listen_fd);
        if (s->created)
                (void) unlink(s->path);
        free(s->path);
        free(s);
        return NULL;
}

const struct ipmitool_socket_stats *ipmitool_socket_get_stats(const struct ipmitool_socket *s) {
        return &s->stats;
}

void ipmitool_socket_print_stats(const struct ipmitool_socket *s, const char *label, FILE *f) {
        const struct ipmitool_socket_stats *st = &s->stats;

        fprintf(f, "ipmitool-socket%s%s: accepted=%llu refused=%llu evicted=%llu timeouts=%llu "
                "requests=%llu protocol-errors=%llu\n", label ? " " : "", label ?: "",
                st->accepted, st->refused, st->evicted, st->timeouts, st->requests,
                st->protocol_errors);
}
