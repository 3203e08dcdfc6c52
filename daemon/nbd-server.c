/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "transport/unix-socket.h"
#include "macro.h"
#include "nbd-server.h"
#include "protocol/nbd-wire.h"

#define MAX_OPTIONS             32              /* per connection, then we hang up */
#define MAX_OPTION_LEN          4096            /* longer: read off, NBD_REP_ERR_TOO_BIG */
#define ABSURD_OPTION_LEN       (64 * 1024)     /* longer: hang up, not worth reading */
#define BLOCK_MIN               1
#define BLOCK_PREFERRED         512
#define BLOCK_MAX               (64 * 1024)     /* advertised */
#define MAX_PAYLOAD             (4 * 1024 * 1024) /* served, for clients that do not ask */

/* Buffers start small (most clients do 512-byte to 4 KiB requests), grow to what one message
 * needs, and shrink back once idle so a burst does not pin memory for the session. */
#define IN_INITIAL              (16 * 1024)
#define OUT_INITIAL             (16 * 1024)
#define BUF_KEEP                (128 * 1024)
/* Stop taking requests while this much is unsent: the client is not reading its replies. */
#define OUT_HIGH_WATER          (256 * 1024)

enum client_state {
        STATE_CLIENT_FLAGS,     /* greeting sent, waiting for the client's 32-bit flags */
        STATE_OPTIONS,          /* option haggling */
        STATE_TRANSMISSION,     /* an export is selected, requests flow */
};

typedef struct NbdClient NbdClient;

struct NbdClient {
        NbdServer *server;
        NbdClient *next;
        sd_event_source *source;
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
};

struct listener {
        sd_event_source *source;
        int fd;
        bool tcp;
};

struct NbdServer {
        struct listener unix_listener, tcp_listener;
        char *path;                     /* unlinked at free if we created it */
        bool created;
        struct nbd_export *exports;
        size_t n_exports;
        unsigned max_clients, n_clients, next_id;
        NbdClient *clients;
        struct nbd_server_stats stats;
};

static int export_flush(NbdServer *s, const struct nbd_export *e) {
        s->stats.flushes++;
        return e->ops->flush ? e->ops->flush(e->userdata) : 0;
}

static void client_free(NbdClient *c) {
        NbdServer *s = c->server;

        /* Disconnect persists at the latest: a client that wrote must not lose data because
         * it hung up without NBD_CMD_FLUSH (the kernel client does exactly that). */
        if (c->dirty) {
                int r = export_flush(s, c->export);

                if (r < 0)
                        log_warning_errno(r, "nbd client %u: flushing export %s at disconnect failed: %m",
                                          c->id, c->export->name);
        }
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

/* Make room for n more bytes of output; returns a pointer to them or NULL (out of memory). */
static uint8_t *out_reserve(NbdClient *c, size_t n) {
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

static int out_appended(NbdClient *c, int r) {
        if (r > 0)
                c->out_fill += (size_t) r;
        return r < 0 ? r : 0;
}

/* Append one message: fn is an nbd_encode_* function, called with the reserved space and
 * maxlen as its buffer arguments, then the rest. 0 or -errno. */
#define OUT_APPEND(c, maxlen, fn, ...)                                          \
        out_appended((c), ({                                                    \
                uint8_t *_b = out_reserve((c), (maxlen));                       \
                _b ? fn(_b, (maxlen), __VA_ARGS__) : -ENOMEM;                   \
        }))

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

static const struct nbd_export *find_export(NbdServer *s, const uint8_t *name, size_t len) {
        /* The empty name is the first export: what the kernel client asks for by default. */
        if (len == 0)
                return &s->exports[0];
        for (size_t i = 0; i < s->n_exports; i++)
                if (strlen(s->exports[i].name) == len && memcmp(s->exports[i].name, name, len) == 0)
                        return &s->exports[i];
        return NULL;
}

static uint16_t transmission_flags(const struct nbd_export *e) {
        uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
                     NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_TRIM |
                     NBD_FLAG_CAN_MULTI_CONN;   /* see struct nbd_export_ops: flush is global */

        if (!e->writable)
                f |= NBD_FLAG_READ_ONLY;
        return f;
}

static int reply_error(NbdClient *c, uint32_t option, uint32_t type, const char *message) {
        return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + strlen(message),
                          nbd_encode_rep_error, option, type, message);
}

static int handle_list(NbdClient *c, size_t len) {
        NbdServer *s = c->server;
        int r;

        if (len != 0)
                return reply_error(c, NBD_OPT_LIST, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
        for (size_t i = 0; i < s->n_exports; i++) {
                const struct nbd_export *e = &s->exports[i];
                size_t n = NBD_OPTION_REPLY_HEADER_SIZE + 4 + strlen(e->name) +
                           (e->description ? strlen(e->description) : 0);

                r = OUT_APPEND(c, n, nbd_encode_rep_server, e->name, e->description);
                if (r < 0)
                        return r;
        }
        return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE, nbd_encode_rep_ack, NBD_OPT_LIST);
}

static void select_export(NbdClient *c, const struct nbd_export *e) {
        c->export = e;
        c->size = e->ops->size(e->userdata);
        c->tflags = transmission_flags(e);
}

static int handle_go_info(NbdClient *c, uint32_t option, const uint8_t *data, size_t len) {
        struct nbd_go_info gi;
        const struct nbd_export *e;
        uint64_t export_size;
        uint16_t tflags;
        int r;

        r = nbd_parse_go_info(data, len, &gi);
        if (r < 0) {
                log_notice("nbd client %u: malformed %s data (%zu bytes), refusing it.", c->id,
                           nbd_option_name(option), len);
                return reply_error(c, option, NBD_REP_ERR_INVALID,
                                   r == -ENAMETOOLONG ? "export name too long" : "malformed option data");
        }
        e = find_export(c->server, gi.name, gi.name_len);
        if (!e) {
                log_notice("nbd client %u: %s for an unknown export (%zu bytes of name).", c->id,
                           nbd_option_name(option), gi.name_len);
                return reply_error(c, option, NBD_REP_ERR_UNKNOWN, "no such export");
        }

        export_size = e->ops->size(e->userdata);
        tflags = transmission_flags(e);
        r = OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + 12,
                       nbd_encode_info_export, option, export_size, tflags);
        if (r < 0)
                return r;
        /* The name matters most when the client asked for "": it learns which export it got. */
        if (gi.requests & (1u << NBD_INFO_NAME)) {
                r = OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + 2 + strlen(e->name),
                               nbd_encode_info_text, option, NBD_INFO_NAME, e->name);
                if (r < 0)
                        return r;
        }
        if ((gi.requests & (1u << NBD_INFO_DESCRIPTION)) && e->description) {
                r = OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + 2 + strlen(e->description),
                               nbd_encode_info_text, option, NBD_INFO_DESCRIPTION, e->description);
                if (r < 0)
                        return r;
        }
        /* Sent whether asked or not (proto.md allows it): clients then keep to 64 KiB. */
        r = OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + 14,
                       nbd_encode_info_block_size, option, BLOCK_MIN, BLOCK_PREFERRED, BLOCK_MAX);
        if (r < 0)
                return r;
        r = OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE, nbd_encode_rep_ack, option);
        if (r < 0)
                return r;

        if (option == NBD_OPT_GO) {
                select_export(c, e);
                c->state = STATE_TRANSMISSION;
                log_debug("nbd client %u: serving export %s.", c->id, e->name);
        }
        return 0;
}

static int handle_export_name(NbdClient *c, const uint8_t *data, size_t len) {
        struct nbd_go_info gi;
        const struct nbd_export *e;
        int r;

        /* No error reply exists for NBD_OPT_EXPORT_NAME: the only refusal is hanging up. */
        if (nbd_parse_export_name(data, len, &gi) < 0 ||
            !(e = find_export(c->server, gi.name, gi.name_len))) {
                log_notice("nbd client %u: NBD_OPT_EXPORT_NAME for an unknown export, closing it.", c->id);
                return -ENOENT;
        }
        select_export(c, e);
        r = OUT_APPEND(c, NBD_EXPORT_NAME_REPLY_SIZE + NBD_EXPORT_NAME_ZEROES,
                       nbd_encode_export_name_reply, c->size, c->tflags, c->no_zeroes);
        if (r < 0)
                return r;
        c->state = STATE_TRANSMISSION;
        log_debug("nbd client %u: serving export %s (NBD_OPT_EXPORT_NAME).", c->id, e->name);
        return 0;
}

/* One whole option. Returns 0 (answered; haggling goes on unless the state changed) or -errno
 * to hang up. */
static int handle_option(NbdClient *c, uint32_t option, const uint8_t *data, size_t len) {
        switch (option) {
        case NBD_OPT_EXPORT_NAME:
                return handle_export_name(c, data, len);
        case NBD_OPT_ABORT:
                c->closing = true;
                return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE, nbd_encode_rep_ack, NBD_OPT_ABORT);
        case NBD_OPT_LIST:
                return handle_list(c, len);
        case NBD_OPT_INFO:
        case NBD_OPT_GO:
                return handle_go_info(c, option, data, len);
        default:
                /* Without fixed newstyle the client does not understand error replies. */
                if (!c->fixed_newstyle) {
                        log_notice("nbd client %u: unsupported option %" PRIu32
                                   " without fixed newstyle, closing it.", c->id, option);
                        return -EPROTO;
                }
                log_debug("nbd client %u: unsupported option %s (%" PRIu32 ").", c->id,
                          nbd_option_name(option), option);
                return reply_error(c, option, NBD_REP_ERR_UNSUP, "option not supported");
        }
}

static void note_refusal(NbdClient *c, const struct nbd_request *req, uint32_t error) {
        c->server->stats.request_errors++;
        /* One line per misbehaving client; the rest at debug level so a loop cannot flood. */
        (void) log_full_errno(c->logged_refusal ? LOG_DEBUG : LOG_NOTICE, 0,
                       "nbd client %u: refusing %s (type %u, flags 0x%x, offset %" PRIu64
                       ", length %" PRIu32 ") on %s with error %" PRIu32 "%s",
                       c->id, nbd_command_name(req->type), req->type, req->flags, req->offset,
                       req->length, c->export->name, error,
                       c->logged_refusal ? "." : " (further refusals at debug level).");
        c->logged_refusal = true;
}

static int reply_simple(NbdClient *c, uint32_t error, uint64_t cookie) {
        return OUT_APPEND(c, NBD_SIMPLE_REPLY_SIZE, nbd_encode_simple_reply, error, cookie);
}

static int do_flush(NbdClient *c) {
        int r = export_flush(c->server, c->export);

        if (r < 0)
                return r;
        c->dirty = false;
        return 0;
}

static int do_write_zeroes(NbdClient *c, uint64_t off, uint32_t len) {
        static const uint8_t zeroes[4096];
        const struct nbd_export *e = c->export;

        while (len > 0) {
                size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);
                int r = e->ops->write(e->userdata, off, zeroes, n);

                if (r < 0)
                        return r;
                off += n;
                len -= (uint32_t) n;
        }
        return 0;
}

/* One valid-framed request (payload, if any, at data). Returns 0 or -errno to hang up. */
static int handle_request(NbdClient *c, const struct nbd_request *req, const uint8_t *data) {
        NbdServer *s = c->server;
        const struct nbd_export *e = c->export;
        struct nbd_export_limits limits = {
                .size = c->size,
                .writable = e->writable,
                .max_payload = MAX_PAYLOAD,
        };
        uint32_t error;
        int r = 0;

        s->stats.requests++;
        error = nbd_request_check(req, &limits);
        if (error != 0) {
                note_refusal(c, req, error);
                return reply_simple(c, error, req->cookie);
        }

        switch (req->type) {
        case NBD_CMD_DISC:
                /* No reply; earlier replies are queued already and go out before we close. */
                log_debug("nbd client %u: NBD_CMD_DISC.", c->id);
                c->closing = true;
                return 0;

        case NBD_CMD_READ: {
                uint8_t *p = out_reserve(c, NBD_SIMPLE_REPLY_SIZE + (size_t) req->length);

                if (!p)
                        return reply_simple(c, NBD_ENOMEM, req->cookie);
                /* Data straight into the output buffer, behind its header: one send for both. */
                r = req->length > 0 ? e->ops->read(e->userdata, req->offset,
                                                   p + NBD_SIMPLE_REPLY_SIZE, req->length) : 0;
                if (r < 0)
                        break;
                (void) nbd_encode_simple_reply(p, NBD_SIMPLE_REPLY_SIZE, 0, req->cookie);
                c->out_fill += NBD_SIMPLE_REPLY_SIZE + (size_t) req->length;
                s->stats.bytes_read += req->length;
                return 0;
        }

        case NBD_CMD_WRITE:
                if (req->length > 0) {
                        r = e->ops->write(e->userdata, req->offset, data, req->length);
                        if (r < 0)
                                break;
                        c->dirty = true;
                        s->stats.bytes_written += req->length;
                }
                if (req->flags & NBD_CMD_FLAG_FUA)
                        r = do_flush(c);
                break;

        case NBD_CMD_WRITE_ZEROES:
                r = do_write_zeroes(c, req->offset, req->length);
                if (r < 0)
                        break;
                if (req->length > 0)
                        c->dirty = true;
                if (req->flags & NBD_CMD_FLAG_FUA)
                        r = do_flush(c);
                break;

        case NBD_CMD_TRIM:
                /* Nothing is thin here: trimming is allowed to do nothing (proto.md). */
                if (req->flags & NBD_CMD_FLAG_FUA)
                        r = do_flush(c);
                break;

        case NBD_CMD_FLUSH:
                /* Always, not only if this client wrote: another connection may have. */
                r = do_flush(c);
                break;
        }

        if (r < 0) {
                (void) log_full_errno(LOG_WARNING, r,
                                      "nbd client %u: %s at %" PRIu64 "+%" PRIu32 " on %s failed: %m",
                                      c->id, nbd_command_name(req->type), req->offset, req->length,
                                      e->name);
                s->stats.request_errors++;
        }
        return reply_simple(c, nbd_errno_to_wire(r), req->cookie);
}

/* Throw away drained bytes; when the drain ends, answer what was refused. */
static int finish_drain(NbdClient *c) {
        if (c->state == STATE_OPTIONS) {
                log_notice("nbd client %u: %s with more than %u bytes of data, refused.", c->id,
                           nbd_option_name(c->drain_option), MAX_OPTION_LEN);
                return reply_error(c, c->drain_option, NBD_REP_ERR_TOO_BIG, "option data too long");
        }
        note_refusal(c, &c->drain_req, c->drain_error);
        return reply_simple(c, c->drain_error, c->drain_req.cookie);
}

/*
 * Parse and answer every complete message in the input buffer. Returns 0 when it needs more
 * input (c->in_need says how much), 1 when it stopped because the output backs up or the
 * client is closing, or -errno to hang up.
 */
static int client_process(NbdClient *c) {
        NbdServer *s = c->server;
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

                switch (c->state) {

                case STATE_CLIENT_FLAGS: {
                        uint32_t flags;

                        r = nbd_parse_client_flags(p, avail,
                                                   NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES,
                                                   &flags);
                        if (r == 0) {
                                c->in_need = NBD_CLIENT_FLAGS_SIZE;
                                return 0;
                        }
                        if (r < 0) {
                                s->stats.protocol_errors++;
                                log_warning("nbd client %u: unknown client flags "
                                            "0x%02x%02x%02x%02x, closing it.",
                                            c->id, p[0], p[1], p[2], p[3]);
                                return r;
                        }
                        c->fixed_newstyle = flags & NBD_FLAG_C_FIXED_NEWSTYLE;
                        c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;
                        c->in_off += (size_t) r;
                        c->state = STATE_OPTIONS;
                        break;
                }

                case STATE_OPTIONS: {
                        struct nbd_option_header h;

                        r = nbd_parse_option_header(p, avail, &h);
                        if (r == 0) {
                                c->in_need = NBD_OPTION_HEADER_SIZE;
                                return 0;
                        }
                        if (r < 0) {
                                s->stats.protocol_errors++;
                                log_warning("nbd client %u: option without IHAVEOPT magic, closing it.",
                                            c->id);
                                return r;
                        }
                        if (++c->n_options > MAX_OPTIONS) {
                                s->stats.protocol_errors++;
                                log_warning("nbd client %u: more than %u options, closing it.",
                                            c->id, MAX_OPTIONS);
                                return -E2BIG;
                        }
                        if (h.length > MAX_OPTION_LEN) {
                                if (h.length > ABSURD_OPTION_LEN || h.option == NBD_OPT_EXPORT_NAME) {
                                        s->stats.protocol_errors++;
                                        log_warning("nbd client %u: %s with %" PRIu32
                                                    " bytes of data, closing it.",
                                                    c->id, nbd_option_name(h.option), h.length);
                                        return -E2BIG;
                                }
                                c->in_off += (size_t) r;
                                c->drain = h.length;
                                c->drain_option = h.option;
                                break;
                        }
                        if (avail < (size_t) r + h.length) {
                                c->in_need = (size_t) r + h.length;
                                return 0;
                        }
                        c->in_off += (size_t) r + h.length;
                        r = handle_option(c, h.option, p + r, h.length);
                        if (r < 0)
                                return r;
                        break;
                }

                case STATE_TRANSMISSION: {
                        struct nbd_request req;
                        uint32_t payload, error;

                        r = nbd_parse_request(p, avail, &req);
                        if (r == 0) {
                                c->in_need = NBD_REQUEST_SIZE;
                                return 0;
                        }
                        if (r < 0) {
                                s->stats.protocol_errors++;
                                log_warning("nbd client %u: bad request magic, closing it.", c->id);
                                return r;
                        }
                        payload = nbd_request_payload_len(&req);
                        if (payload > 0) {
                                error = nbd_request_check(&req, &(struct nbd_export_limits) {
                                                .size = c->size,
                                                .writable = c->export->writable,
                                                .max_payload = MAX_PAYLOAD,
                                        });
                                if (error != 0) {
                                        /* Read the refused payload off without buffering it. */
                                        c->in_off += (size_t) r;
                                        c->drain = payload;
                                        c->drain_req = req;
                                        c->drain_error = error;
                                        s->stats.requests++;
                                        break;
                                }
                                if (avail < (size_t) r + payload) {
                                        c->in_need = (size_t) r + payload;
                                        return 0;
                                }
                        }
                        c->in_off += (size_t) r + payload;
                        r = handle_request(c, &req, p + NBD_REQUEST_SIZE);
                        if (r < 0)
                                return r;
                        break;
                }
                }
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
                                log_notice("nbd client %u hung up in the middle of a message.", c->id);
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
        if (cfd < 0)
                return 0;       /* EAGAIN, ECONNABORTED, EMFILE...: the next accept may work */

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
        *c = (NbdClient) { .server = s, .fd = cfd, .id = ++s->next_id, .state = STATE_CLIENT_FLAGS };

        r = OUT_APPEND(c, NBD_GREETING_SIZE,
                       nbd_encode_greeting, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
        if (r >= 0)
                r = client_send(c);     /* 18 bytes into an empty socket buffer: goes at once */
        if (r == 0)
                r = sd_event_add_io(sd_event_source_get_event(source), &c->source, cfd, EPOLLIN,
                                    on_client, c);
        if (r != 0) {
                log_warning_errno(r < 0 ? r : -EAGAIN, "nbd: cannot set up a new client: %m");
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
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
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

                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
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
        return 0;
}

int nbd_server_new(sd_event *e, const char *unix_path, int listen_fd, const char *tcp_address,
                   const struct nbd_export *exports, size_t n_exports, unsigned max_clients,
                   NbdServer **ret) {
        _cleanup_(nbd_server_freep) NbdServer *s = NULL;
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

                s->unix_listener.fd = listen_fd;
                /* An activated socket may be TCP too; it needs TCP_NODELAY on its clients. */
                if (getsockname(listen_fd, (struct sockaddr *) &ss, &sl) == 0)
                        s->unix_listener.tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
        } else if (unix_path) {
                s->path = strdup(unix_path);
                if (!s->path)
                        return -ENOMEM;
                s->unix_listener.fd = unix_socket_listen(unix_path);
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
                        return log_error_errno(s->tcp_listener.fd, "nbd: cannot listen on TCP %s: %m",
                                               tcp_address);
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
