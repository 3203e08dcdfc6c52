/* SPDX-License-Identifier: MIT */
/*
 * satmc-ipmb-bridge: stock ipmitool on the BMC side, a satellite on IPMB.
 *
 * It serves ipmitool's dummy interface on a UNIX socket (IPMI_DUMMY_SOCK) and turns each
 * request into a real IPMB request from the BMC's address to the satellite: sequence numbers,
 * response matching on (responder, netFn, cmd, seq), timeout and retries with the same
 * sequence number (protocol/ipmb-requester.h). The IPMB side is /dev/ipmb-N on a BMC running
 * ipmb-dev-int, or the emulated bus.
 *
 * Retry policy: 250 ms per try, 6 tries, as OpenBMC's ipmbbridge does (ipmbRequestRetryTimeout,
 * ipmbNumberOfTries). A satellite must answer well inside 250 ms; a retry carries the same
 * sequence number and is answered from the satellite's replay cache, so nothing executes
 * twice. A NAKed write (satellite absent or busy) counts as a lost try. After the last try
 * ipmitool gets completion code 0xC3 (timeout), at most 1.5 s after it asked.
 *
 * The bridge owns the BMC's address, which is where satellites send their Platform Event
 * Messages (netFn 0x04, cmd 0x02). It is that much of an event receiver: each event is printed
 * on one line and acknowledged (0xCC for a malformed body); any other request gets 0xC1. So a
 * satellite on the bench sees a BMC that takes its events, and a person sees them.
 *
 * A BMC reads many satellites on one IPMB: --route SA=PATH serves one more ipmitool socket
 * whose requests go to SA, so one bridge (one BMC address) reads every satellite on the bus.
 * The dummy interface carries no target address, hence a socket per satellite.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "common/ipmitool-socket.h"
#include "common/log.h"
#include "common/macro.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmb-requester.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"
#include "satmc-config.h"
#include "transport/transport.h"

/* What an outstanding IPMB request is for: one per sequence number, like the requester's slots. */
struct pending {
        struct ipmitool_client *client;         /* NULL when the slot is free */
        uint8_t target_sa;
        uint8_t netfn, cmd, lun;
};

struct bridge;

/* One ipmitool socket and the satellite its requests go to. */
struct route {
        struct bridge *bridge;
        struct ipmitool_socket *socket;
        const char *path;
        uint8_t target_sa;
};

#define ROUTES_MAX 16

struct bridge {
        sd_event *event;
        sd_event_source *transport_source, *timer_source;
        struct transport *transport;
        struct route routes[ROUTES_MAX];       /* [0]: --socket/--target; then --route */
        size_t n_routes;
        struct ipmb_requester requester;
        /* Every seq may be in flight at once: ipmitool clients each wait for their own answer. */
        struct ipmb_pending requester_slots[IPMB_REQUESTER_MAX_SLOTS];
        struct pending pending[IPMB_REQUESTER_MAX_SLOTS];      /* indexed by seq */
        struct {
                unsigned long long requests, answered, retries, timeouts, send_failed,
                        stray_frames, busy, events;
        } stats;
};

static uint64_t now_ms(struct bridge *b) {
        uint64_t usec = 0;

        (void) sd_event_now(b->event, CLOCK_MONOTONIC, &usec);
        return usec / 1000;
}

/* Arm the one timer for the earliest outstanding deadline, or disarm it. */
static void rearm_timer(struct bridge *b) {
        uint64_t deadline = ipmb_requester_next_deadline(&b->requester);

        if (deadline == UINT64_MAX) {
                (void) sd_event_source_set_enabled(b->timer_source, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(b->timer_source, deadline * 1000);
        (void) sd_event_source_set_enabled(b->timer_source, SD_EVENT_ONESHOT);
}

static void send_frame(struct bridge *b, const uint8_t *frame, size_t len) {
        int r = transport_send(b->transport, frame, len);

        /* Lost or NAKed: the timer retries it like any unanswered try. */
        if (r < 0) {
                b->stats.send_failed++;
                log_debug_errno(r, "IPMB write to 0x%02x failed: %m", frame[0]);
        }
}

static void reply_cc(struct ipmitool_client *c, const struct ipmi_dummy_request *req, uint8_t cc) {
        struct ipmi_dummy_response rsp = {
                .netfn = (uint8_t) (req->netfn | 1), .cmd = req->cmd, .lun = req->lun, .ccode = cc,
        };

        (void) ipmitool_client_reply(c, &rsp);
}

static void on_client_request(struct ipmitool_client *c, const struct ipmi_dummy_request *req, void *userdata) {
        struct route *route = userdata;
        struct bridge *b = route->bridge;
        struct pending *p = NULL;
        const uint8_t *frame;
        size_t len;
        int r;

        b->stats.requests++;
        /* The requester picks the sequence number; our context for the request is kept per
         * sequence number too, and handed to the requester once the number is known. */
        r = ipmb_requester_start(&b->requester, route->target_sa, req->netfn, req->lun, req->cmd,
                                 req->data, req->data_len, now_ms(b), NULL, &frame, &len);
        if (r == -EMSGSIZE) {
                /* Does not fit one IPMB message at the configured limit. */
                reply_cc(c, req, IPMI_CC_REQ_DATA_LEN_EXCEEDED);
                return;
        }
        if (r == -EBUSY) {
                b->stats.busy++;
                reply_cc(c, req, IPMI_CC_NODE_BUSY);    /* 64 requests already in flight */
                return;
        }
        if (r < 0) {
                reply_cc(c, req, IPMI_CC_INVALID_DATA_FIELD);
                return;
        }
        p = &b->pending[r];
        *p = (struct pending) { .client = c, .target_sa = route->target_sa, .netfn = req->netfn,
                                .cmd = req->cmd, .lun = req->lun };
        (void) ipmb_requester_set_userdata(&b->requester, (uint8_t) r, p);

        log_debug("ipmitool netfn 0x%02x cmd 0x%02x -> 0x%02x seq %d", req->netfn, req->cmd,
                  route->target_sa, r);
        send_frame(b, frame, len);
        rearm_timer(b);
}

static void on_client_disconnect(struct ipmitool_client *c, void *userdata) {
        struct bridge *b = ((struct route *) userdata)->bridge;
        bool changed = false;

        /* Its answer, if it ever comes, has nobody to go to. */
        for (size_t i = 0; i < ELEMENTSOF(b->pending); i++)
                if (b->pending[i].client == c) {
                        changed |= ipmb_requester_cancel(&b->requester, &b->pending[i]) > 0;
                        b->pending[i] = (struct pending) {};
                }
        if (changed)
                rearm_timer(b);
}

static const struct ipmitool_socket_ops socket_ops = {
        .request = on_client_request,
        .disconnect = on_client_disconnect,
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct bridge *b = userdata;
        enum ipmb_requester_action a;
        const uint8_t *frame;
        size_t len;
        void *ctx;

        while ((a = ipmb_requester_expire(&b->requester, now_ms(b), &frame, &len, &ctx)) !=
               IPMB_REQUESTER_IDLE) {
                struct pending *p = ctx, done;

                if (a == IPMB_REQUESTER_RESEND) {
                        b->stats.retries++;
                        send_frame(b, frame, len);
                        continue;
                }
                b->stats.timeouts++;
                done = *p;
                *p = (struct pending) {};
                log_info("No answer from 0x%02x to netfn 0x%02x cmd 0x%02x after %u tries, "
                         "answering 0xC3.", done.target_sa, done.netfn, done.cmd,
                         b->requester.cfg.tries);
                struct ipmi_dummy_response rsp = {
                        .netfn = (uint8_t) (done.netfn | 1), .cmd = done.cmd, .lun = done.lun,
                        .ccode = IPMI_CC_TIMEOUT,
                };
                (void) ipmitool_client_reply(done.client, &rsp);
        }
        rearm_timer(b);
        return 0;
}

/* A request to us: print and acknowledge an event; refuse anything else. */
static void handle_request(struct bridge *b, const struct ipmb_request *req) {
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN];
        struct ipmb_response rsp;
        struct platform_event ev;
        int r;

        ipmb_response_init(&rsp, req);
        rsp.cc = IPMI_CC_INVALID_COMMAND;
        if (req->netfn == IPMI_NETFN_SENSOR_EVENT && req->cmd == IPMI_CMD_PLATFORM_EVENT) {
                rsp.cc = IPMI_CC_INVALID_DATA_FIELD;
                if (platform_event_decode(req->data, req->data_len, &ev) == 0) {
                        char data[8] = "", decoded[160];

                        if (ev.data2_kind || ev.data3_kind)
                                snprintf(data, sizeof(data), " %02x %02x", ev.data2, ev.data3);
                        /* The raw fields for a script, then the names for a person. */
                        platform_event_describe(&ev, decoded, sizeof(decoded));
                        fprintf(stderr, "event from 0x%02x: sensor %u (type 0x%02x), %s, event "
                                "type 0x%02x offset %u%s%s: %s\n", req->rq_sa, ev.sensor_number,
                                ev.sensor_type, ev.deassertion ? "deassertion" : "assertion",
                                ev.event_type, ev.offset, data[0] ? ", data" : "", data, decoded);
                        b->stats.events++;
                        rsp.cc = IPMI_CC_OK;
                }
        }
        r = ipmb_encode_response(&rsp, frame, sizeof(frame), IPMB_KERNEL_MAX_MSG_LEN);
        if (r > 0)
                send_frame(b, frame, (size_t) r);
}

static int on_transport(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct bridge *b = userdata;
        uint8_t frame[TRANSPORT_FRAME_MAX];

        for (int i = 0; i < 32; i++) {
                struct ipmb_response rsp;
                struct pending *p, done;
                void *ctx;
                int r = transport_recv(b->transport, frame, sizeof(frame));

                if (r == -EAGAIN)
                        break;
                if (r == -EPIPE)
                        return log_error("IPMB transport closed, exiting."),
                               sd_event_exit(b->event, EXIT_FAILURE);
                if (r < 0) {
                        b->stats.stray_frames++;
                        continue;
                }
                struct ipmb_request req;
                if (ipmb_decode_request(frame, (size_t) r, b->requester.cfg.own_sa,
                                        IPMB_KERNEL_MAX_MSG_LEN, &req) == IPMB_OK &&
                    !req.broadcast) {
                        handle_request(b, &req);
                        continue;
                }
                r = ipmb_decode_response(frame, (size_t) r, b->requester.cfg.own_sa,
                                         IPMB_KERNEL_MAX_MSG_LEN, &rsp);
                if (r != IPMB_OK || ipmb_requester_match(&b->requester, &rsp, &ctx) < 0) {
                        /* Damaged, late (answered or given up already), or not ours. */
                        b->stats.stray_frames++;
                        log_debug("Dropped a frame from the bus: %s",
                                  r != IPMB_OK ? ipmb_reject_to_string(r) : "no matching request");
                        continue;
                }
                b->stats.answered++;
                p = ctx;
                done = *p;
                *p = (struct pending) {};
                struct ipmi_dummy_response out = {
                        .netfn = rsp.netfn, .cmd = rsp.cmd, .seq = rsp.seq, .lun = rsp.rs_lun,
                        .ccode = rsp.cc, .data = rsp.data, .data_len = rsp.data_len,
                };
                (void) ipmitool_client_reply(done.client, &out);
        }
        rearm_timer(b);
        return 0;
}

static void print_stats(const struct bridge *b) {
        /* One line per ipmitool socket; a --route's line names its satellite. */
        for (size_t i = 0; i < b->n_routes; i++) {
                const struct route *route = &b->routes[i];
                char who[8];

                if (!route->socket)
                        continue;
                snprintf(who, sizeof(who), "0x%02x", route->target_sa);
                ipmitool_socket_print_stats(route->socket, i > 0 ? who : NULL, stderr);
        }
        fprintf(stderr, "bridge: requests=%llu answered=%llu retries=%llu timeouts=%llu "
                "send-failed=%llu stray-frames=%llu busy=%llu events=%llu\n", b->stats.requests,
                b->stats.answered, b->stats.retries, b->stats.timeouts, b->stats.send_failed,
                b->stats.stray_frames, b->stats.busy, b->stats.events);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        print_stats(userdata);
        return 0;
}

static int parse_addr8(const char *s, uint8_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 0);
        if (errno || *end || end == s || v > 0xFE || (v & 1) || v == 0) {
                fprintf(stderr, "satmc-ipmb-bridge: \"%s\" is not an 8-bit IPMB address (even, "
                        "e.g. 0x72)\n", s);
                return -EINVAL;
        }
        *ret = (uint8_t) v;
        return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v < min || v > max) {
                fprintf(stderr, "satmc-ipmb-bridge: \"%s\" must be a number in %lu..%lu\n", s, min, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* Permission bits in octal, as chmod takes them. */
static int parse_mode(const char *s, mode_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 8);
        if (errno || *end || end == s || s[0] < '0' || s[0] > '7' || v > 0777) {
                fprintf(stderr, "satmc-ipmb-bridge: \"%s\" must be permission bits in octal, "
                        "0000..0777 (e.g. 0660)\n", s);
                return -EINVAL;
        }
        *ret = (mode_t) v;
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: satmc-ipmb-bridge --socket PATH --target SA (--device /dev/ipmb-N | --bus-socket PATH)\n"
                "Serve ipmitool -I dummy on PATH and forward every request over IPMB to SA.\n\n"
                "  -s, --socket PATH       dummy-interface socket to serve (IPMI_DUMMY_SOCK)\n"
                "  -t, --target SA         satellite's 8-bit IPMB address, e.g. 0x72\n"
                "      --route SA=PATH     also serve ipmitool on PATH, forwarding to SA (repeatable)\n"
                "      --own SA            our (the BMC's) 8-bit address (default 0x20)\n"
                "  -d, --device PATH       IPMB through Linux ipmb-dev-int, e.g. /dev/ipmb-0\n"
                "  -b, --bus-socket PATH   IPMB through the emulated bus (satmc-i2c-bus)\n"
                "      --timeout-ms MS     wait per try (default 250)\n"
                "      --tries N           tries in all (default 6)\n"
                "      --max-message-length N  IPMB message limit, 32..128 (default 32)\n"
                "      --socket-mode MODE  permission bits of the socket, octal (default 0660)\n"
                "      --max-clients N     ipmitool connections at once (default 64)\n"
                "      --request-timeout-ms MS  close a client whose request stalls half-sent\n"
                "                          this long (default 5000)\n"
                "      --log-level LEVEL   err, warning, notice, info, debug\n"
                "  -h, --help              this text\n"
                "SIGUSR1 prints statistics; SIGTERM stops.\n");
}

int main(int argc, char **argv) {
        enum { OPT_OWN = 0x100, OPT_ROUTE, OPT_TIMEOUT, OPT_TRIES, OPT_MAXLEN, OPT_LOG,
               OPT_VERSION, OPT_SOCKET_MODE, OPT_MAX_CLIENTS, OPT_REQUEST_TIMEOUT };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "target", required_argument, NULL, 't' },
                { "own", required_argument, NULL, OPT_OWN },
                { "route", required_argument, NULL, OPT_ROUTE },
                { "device", required_argument, NULL, 'd' },
                { "bus-socket", required_argument, NULL, 'b' },
                { "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
                { "tries", required_argument, NULL, OPT_TRIES },
                { "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
                { "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
                { "request-timeout-ms", required_argument, NULL, OPT_REQUEST_TIMEOUT },
                { "max-message-length", required_argument, NULL, OPT_MAXLEN },
                { "log-level", required_argument, NULL, OPT_LOG },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        struct ipmb_requester_config rc = {
                .own_sa = 0x20,
                .timeout_ms = IPMB_REQUESTER_DEFAULT_TIMEOUT_MS,
                .tries = IPMB_REQUESTER_DEFAULT_TRIES,
                .max_msg_len = IPMB_DEFAULT_MAX_MSG_LEN,
        };
        struct ipmitool_socket_settings socket_settings = {
                .max_clients = 64,
                .request_timeout_usec = 5000 * 1000ULL,
                .socket_mode = 0660,
        };
        const char *device = NULL, *bus_socket = NULL;
        struct bridge b = { .n_routes = 1 };
        unsigned long v;
        int opt, r, level;

        /* It prints the events it receives beside satmcd and ipmi_sim on one terminal. */
        log_stderr_whole_lines();
        signal(SIGPIPE, SIG_IGN);
        while ((opt = getopt_long(argc, argv, "s:t:d:b:h", options, NULL)) >= 0) {
                switch (opt) {
                case 's': b.routes[0].path = optarg; break;
                case 'd': device = optarg; break;
                case 'b': bus_socket = optarg; break;
                case 't':
                        if (parse_addr8(optarg, &b.routes[0].target_sa) < 0)
                                return 2;
                        break;
                case OPT_ROUTE: {
                        const char *eq = strchr(optarg, '=');
                        char sa[8];

                        if (!eq || !eq[1] || (size_t) (eq - optarg) >= sizeof(sa) ||
                            b.n_routes >= ROUTES_MAX) {
                                fprintf(stderr, "satmc-ipmb-bridge: --route wants SA=PATH (at most "
                                        "%d routes)\n", ROUTES_MAX - 1);
                                return 2;
                        }
                        snprintf(sa, sizeof(sa), "%.*s", (int) (eq - optarg), optarg);
                        if (parse_addr8(sa, &b.routes[b.n_routes].target_sa) < 0)
                                return 2;
                        b.routes[b.n_routes++].path = eq + 1;
                        break;
                }
                case OPT_OWN:
                        if (parse_addr8(optarg, &rc.own_sa) < 0)
                                return 2;
                        break;
                case OPT_TIMEOUT:
                        if (parse_uint(optarg, 1, 60000, &v) < 0)
                                return 2;
                        rc.timeout_ms = (uint32_t) v;
                        break;
                case OPT_SOCKET_MODE:
                        if (parse_mode(optarg, &socket_settings.socket_mode) < 0)
                                return 2;
                        break;
                case OPT_MAX_CLIENTS:
                        if (parse_uint(optarg, 1, 1024, &v) < 0)
                                return 2;
                        socket_settings.max_clients = (unsigned) v;
                        break;
                case OPT_REQUEST_TIMEOUT:
                        if (parse_uint(optarg, 100, 600000, &v) < 0)
                                return 2;
                        socket_settings.request_timeout_usec = v * 1000ULL;
                        break;
                case OPT_TRIES:
                        if (parse_uint(optarg, 1, 100, &v) < 0)
                                return 2;
                        rc.tries = (unsigned) v;
                        break;
                case OPT_MAXLEN:
                        if (parse_uint(optarg, 32, 128, &v) < 0)
                                return 2;
                        rc.max_msg_len = v;
                        break;
                case OPT_LOG:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "satmc-ipmb-bridge: unknown log level \"%s\"\n", optarg);
                                return 2;
                        }
                        log_set_max_level(level);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("satmc-ipmb-bridge %s\n", SATMC_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!b.routes[0].path || !b.routes[0].target_sa || !!device == !!bus_socket || optind != argc) {
                usage(stderr);
                return 2;
        }

        r = ipmb_requester_init(&b.requester, &rc, b.requester_slots,
                                ELEMENTSOF(b.requester_slots));
        if (r < 0)
                return log_error_errno(r, "Bad requester settings: %m"), 2;

        if (device)
                r = transport_chardev_open(device, &b.transport);
        else {
                uint8_t own7 = rc.own_sa >> 1;
                r = transport_emubus_open(bus_socket, &own7, 1, &b.transport);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to open %s: %m", device ? device : bus_socket), 1;

        r = sd_event_default(&b.event);
        if (r >= 0)
                r = sd_event_add_io(b.event, &b.transport_source, transport_fd(b.transport),
                                    EPOLLIN, on_transport, &b);
        if (r >= 0)
                r = sd_event_add_time(b.event, &b.timer_source, CLOCK_MONOTONIC, UINT64_MAX,
                                      1000, on_timer, &b);      /* 1 ms accuracy */
        if (r >= 0)
                r = sd_event_add_signal(b.event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(b.event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(b.event, NULL, SIGUSR1 | SD_EVENT_SIGNAL_PROCMASK,
                                        on_sigusr1, &b);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the event loop: %m");
                goto out;
        }
        for (size_t i = 0; i < b.n_routes; i++) {
                struct route *route = &b.routes[i];

                route->bridge = &b;
                r = ipmitool_socket_new(b.event, route->path, -1, &socket_settings, &socket_ops,
                                        route, &route->socket);
                if (r < 0) {
                        log_error_errno(r, "Failed to listen on %s: %m", route->path);
                        goto out;
                }
                log_info("Bridging ipmitool on %s to IPMB 0x%02x via %s (own 0x%02x, %u x %u ms).",
                         route->path, route->target_sa, device ? device : bus_socket, rc.own_sa,
                         rc.tries, rc.timeout_ms);
        }
        (void) sd_notify(false, "READY=1");
        r = sd_event_loop(b.event);
        print_stats(&b);
out:
        for (size_t i = 0; i < b.n_routes; i++)
                ipmitool_socket_free(b.routes[i].socket);
        sd_event_source_disable_unref(b.timer_source);
        sd_event_source_disable_unref(b.transport_source);
        sd_event_unref(b.event);
        transport_free(b.transport);
        return r < 0 ? 1 : r;
}
