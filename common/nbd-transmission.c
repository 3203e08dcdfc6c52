/* SPDX-License-Identifier: MIT */
/*
 * NBD transmission: requests on the export the handshake selected, simple replies only. Every
 * invalid request gets an error reply that keeps the stream in sync (a refused WRITE's payload
 * is read off first); only a bad request magic ends a session. Writes are persisted by FLUSH,
 * FUA, or at the latest when the client goes.
 */
#include <errno.h>
#include <inttypes.h>

#include "log.h"
#include "nbd-client.h"

#define MAX_PAYLOAD             (4 * 1024 * 1024) /* served, for clients that do not ask */

static int export_flush(struct nbd_server *s, const struct nbd_export *e) {
        s->stats.flushes++;
        return e->ops->flush ? e->ops->flush(e->userdata) : 0;
}

static void note_refusal(struct nbd_client *c, const struct nbd_request *req, uint32_t error) {
        c->server->stats.request_errors++;
        /* One line per misbehaving client; the rest at debug level so a loop cannot flood. */
        (void) log_full_errno(c->logged_refusal ? LOG_DEBUG : LOG_NOTICE, 0,
                              "nbd client %u: refusing %s (type %u, flags 0x%x, offset %" PRIu64
                              ", length %" PRIu32 ") on %s with error %" PRIu32 "%s",
                              c->id, nbd_command_name(req->type), req->type, req->flags,
                              req->offset, req->length, c->export->name, error,
                              c->logged_refusal ? "." : " (further refusals at debug level).");
        c->logged_refusal = true;
}

static int reply_simple(struct nbd_client *c, uint32_t error, uint64_t cookie) {
        return OUT_APPEND(c, NBD_SIMPLE_REPLY_SIZE, nbd_encode_simple_reply, error, cookie);
}

static int do_flush(struct nbd_client *c) {
        int r = export_flush(c->server, c->export);

        if (r < 0)
                return r;
        c->dirty = false;
        return 0;
}

static int do_write_zeroes(struct nbd_client *c, uint64_t off, uint32_t len) {
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

/*
 * A READ answered from the export's memory by one sendmsg() (nbd_export_ops.map): only when
 * nothing is queued before it and nothing else waits in the input, which is every request at
 * queue depth 1. A batch (deeper queues) is still answered from the output buffer with one
 * send for all of it: a sendmsg() each would cost more system calls than the copies it saves.
 * 1: answered, 0: not possible here, -errno.
 */
static int read_direct(struct nbd_client *c, const struct nbd_request *req, bool alone) {
        const struct nbd_export *e = c->export;
        uint8_t head[NBD_SIMPLE_REPLY_SIZE];
        const void *src;
        int r;

        if (!alone || c->tls || c->out_sent != c->out_fill || !e->ops->map || req->length == 0)
                return 0;
        src = e->ops->map(e->userdata, req->offset, req->length);
        if (!src)
                return 0;
        (void) nbd_encode_simple_reply(head, sizeof(head), 0, req->cookie);
        r = nbd_out_send_direct(c, head, sizeof(head), src, req->length);
        if (r < 0)
                return r;
        c->server->stats.bytes_read += req->length;
        return 1;
}

/* One valid-framed request (payload, if any, at data; alone: nothing follows it in the input).
 * Returns 0 or -errno to hang up. */
static int handle_request(struct nbd_client *c, const struct nbd_request *req, const uint8_t *data,
                          bool alone) {
        struct nbd_server *s = c->server;
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
                uint8_t *p;

                r = read_direct(c, req, alone);
                if (r > 0)
                        return 0;
                p = r == 0 ? nbd_out_reserve(c, NBD_SIMPLE_REPLY_SIZE + (size_t) req->length) : NULL;
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
                                      "nbd client %u: %s at %" PRIu64 "+%" PRIu32
                                      " on %s failed: %m",
                                      c->id, nbd_command_name(req->type), req->offset,
                                      req->length, e->name);
                s->stats.request_errors++;
        }
        return reply_simple(c, nbd_errno_to_wire(r), req->cookie);
}

/* One request: header, then a WRITE's payload whole, or read off unbuffered if refused. */
int nbd_transmission_step(struct nbd_client *c, const uint8_t *p, size_t avail) {
        struct nbd_server *s = c->server;
        struct nbd_request req;
        uint32_t payload, error;
        int r;

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
                        return 1;
                }
                if (avail < (size_t) r + payload) {
                        c->in_need = (size_t) r + payload;
                        return 0;
                }
        }
        c->in_off += (size_t) r + payload;
        r = handle_request(c, &req, p + NBD_REQUEST_SIZE, avail == (size_t) r + payload);
        return r < 0 ? r : 1;
}

int nbd_transmission_drained(struct nbd_client *c) {
        note_refusal(c, &c->drain_req, c->drain_error);
        return reply_simple(c, c->drain_error, c->drain_req.cookie);
}

void nbd_transmission_close(struct nbd_client *c) {
        int r;

        /* Disconnect persists at the latest: a client that wrote must not lose data because
         * it hung up without NBD_CMD_FLUSH (the kernel client does exactly that). */
        if (!c->dirty)
                return;
        r = export_flush(c->server, c->export);
        if (r < 0)
                log_warning_errno(r, "nbd client %u: flushing export %s at disconnect failed: %m",
                                  c->id, c->export->name);
}
