/* SPDX-License-Identifier: MIT */
/*
 * The NBD handshake, fixed newstyle: the greeting, the client's flags, then option haggling
 * until NBD_OPT_GO or NBD_OPT_EXPORT_NAME selects an export and transmission begins (or the
 * client aborts). Which options are answered how, and the limits, are in nbd-server.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "log.h"
#include "nbd-client.h"

#define MAX_OPTIONS             32              /* per connection, then we hang up */
#define MAX_OPTION_LEN          4096            /* longer: read off, NBD_REP_ERR_TOO_BIG */
#define ABSURD_OPTION_LEN       (64 * 1024)     /* longer: hang up, not worth reading */
#define BLOCK_MIN               1
#define BLOCK_PREFERRED         512
#define BLOCK_MAX               (64 * 1024)     /* advertised */

static bool visible(const struct nbd_client *c, const struct nbd_export *e) {
        return nbd_tls_export_visible(c->listener->tls_mode, nbd_client_tls_active(c),
                                      e->tls_public);
}

/* The export a name selects, if this client may see it: in plain on a tls = on listener only
 * the public ones exist. */
static const struct nbd_export *find_export(struct nbd_client *c, const uint8_t *name, size_t len) {
        struct nbd_server *s = c->server;
        const struct nbd_export *e = NULL;

        /* The empty name is the first export: what the kernel client asks for by default. */
        if (len == 0)
                e = &s->exports[0];
        for (size_t i = 0; !e && i < s->n_exports; i++)
                if (strlen(s->exports[i].name) == len && memcmp(s->exports[i].name, name, len) == 0)
                        e = &s->exports[i];
        return e && visible(c, e) ? e : NULL;
}

/* A name not found: if TLS would show more, say so, whether or not the name exists, so that
 * a plain client cannot tell the private names from nonsense. */
static bool tls_would_show_more(const struct nbd_client *c) {
        return c->listener->tls_mode != NBD_TLS_OFF && !nbd_client_tls_active(c);
}

static uint16_t transmission_flags(const struct nbd_export *e) {
        uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
                     NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_TRIM |
                     NBD_FLAG_CAN_MULTI_CONN;   /* see struct nbd_export_ops: flush is global */

        if (!e->writable)
                f |= NBD_FLAG_READ_ONLY;
        return f;
}

static int reply_error(struct nbd_client *c, uint32_t option, uint32_t type, const char *message) {
        return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE + strlen(message),
                          nbd_encode_rep_error, option, type, message);
}

static int handle_list(struct nbd_client *c, size_t len) {
        struct nbd_server *s = c->server;
        int r;

        if (len != 0)
                return reply_error(c, NBD_OPT_LIST, NBD_REP_ERR_INVALID,
                                   "NBD_OPT_LIST takes no data");
        for (size_t i = 0; i < s->n_exports; i++) {
                const struct nbd_export *e = &s->exports[i];
                size_t n = NBD_OPTION_REPLY_HEADER_SIZE + 4 + strlen(e->name) +
                           (e->description ? strlen(e->description) : 0);

                if (!visible(c, e))
                        continue;
                r = OUT_APPEND(c, n, nbd_encode_rep_server, e->name, e->description);
                if (r < 0)
                        return r;
        }
        return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE, nbd_encode_rep_ack, NBD_OPT_LIST);
}

static void select_export(struct nbd_client *c, const struct nbd_export *e) {
        c->export = e;
        c->size = e->ops->size(e->userdata);
        c->tflags = transmission_flags(e);
}

static int handle_go_info(struct nbd_client *c, uint32_t option, const uint8_t *data, size_t len) {
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
                                   r == -ENAMETOOLONG ? "export name too long" :
                                                        "malformed option data");
        }
        e = find_export(c, gi.name, gi.name_len);
        if (!e && tls_would_show_more(c)) {
                c->listener->stats.tls_required++;
                log_notice("nbd client %u: %s without TLS for an export that needs it (or none), "
                           "refused.", c->id, nbd_option_name(option));
                return reply_error(c, option, NBD_REP_ERR_TLS_REQD,
                                   "TLS is required for this export (NBD_OPT_STARTTLS first)");
        }
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

static int handle_export_name(struct nbd_client *c, const uint8_t *data, size_t len) {
        struct nbd_go_info gi;
        const struct nbd_export *e;
        int r;

        /* No error reply exists for NBD_OPT_EXPORT_NAME: the only refusal is hanging up. */
        if (nbd_parse_export_name(data, len, &gi) < 0 ||
            !(e = find_export(c, gi.name, gi.name_len))) {
                if (tls_would_show_more(c))
                        c->listener->stats.tls_required++;
                log_notice("nbd client %u: NBD_OPT_EXPORT_NAME for an unknown export%s, closing it.",
                           c->id, tls_would_show_more(c) ? " or one that needs TLS" : "");
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

/* What the listener's TLS mode says about an option before it is served: 1 to serve it, 0
 * when it was answered here, -errno to hang up. */
static int tls_gate(struct nbd_client *c, uint32_t option, size_t len) {
        struct nbd_listener_stats *st = &c->listener->stats;
        const char *via = c->listener->tcp ? " (TCP)" : "";

        switch (nbd_tls_option_verdict(c->listener->tls_mode, nbd_client_tls_active(c), option,
                                       (uint32_t) len)) {
        case NBD_TLS_SERVE:
                return 1;
        case NBD_TLS_START:
                c->tls_starting = true; /* nbd-server.c: once the ACK is out */
                log_debug("nbd client %u: STARTTLS.", c->id);
                return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE,
                                  nbd_encode_rep_ack, NBD_OPT_STARTTLS);
        case NBD_TLS_REFUSE_UNSUP:
                log_notice("nbd client %u%s: asked for TLS, which this listener does not offer "
                           "([nbd] tls = off), refused.", c->id, via);
                return reply_error(c, option, NBD_REP_ERR_UNSUP,
                                   "TLS is not enabled on this listener");
        case NBD_TLS_REFUSE_INVALID:
                log_notice("nbd client %u: %s, refused.", c->id,
                           nbd_client_tls_active(c) ? "STARTTLS with TLS already up" :
                                                      "STARTTLS with data");
                return reply_error(c, option, NBD_REP_ERR_INVALID,
                                   nbd_client_tls_active(c) ? "TLS is already active" :
                                                              "NBD_OPT_STARTTLS takes no data");
        case NBD_TLS_HANG_UP:
                st->tls_required++;
                log_notice("nbd client %u%s: NBD_OPT_EXPORT_NAME without TLS on a listener that "
                           "requires it, closing it.", c->id, via);
                return -EACCES;
        case NBD_TLS_REFUSE_REQD:
        default:
                st->tls_required++;
                /* One notice per client: a plaintext client may try every option. */
                (void) log_full_errno(c->logged_refusal ? LOG_DEBUG : LOG_NOTICE, 0,
                                      "nbd client %u%s: %s without TLS on a listener that "
                                      "requires it, refused (NBD_REP_ERR_TLS_REQD).", c->id, via,
                                      nbd_option_name(option));
                c->logged_refusal = true;
                return reply_error(c, option, NBD_REP_ERR_TLS_REQD,
                                   "TLS is required (NBD_OPT_STARTTLS first)");
        }
}

/* One whole option. Returns 0 (answered; haggling goes on unless the state changed) or -errno
 * to hang up. */
static int handle_option(struct nbd_client *c, uint32_t option, const uint8_t *data, size_t len) {
        int r = tls_gate(c, option, len);

        if (r <= 0)
                return r;
        switch (option) {
        case NBD_OPT_EXPORT_NAME:
                return handle_export_name(c, data, len);
        case NBD_OPT_ABORT:
                c->closing = true;
                return OUT_APPEND(c, NBD_OPTION_REPLY_HEADER_SIZE,
                                  nbd_encode_rep_ack, NBD_OPT_ABORT);
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

/* The client's 32-bit flags, the answer to our greeting. */
static int take_client_flags(struct nbd_client *c, const uint8_t *p, size_t avail) {
        struct nbd_server *s = c->server;
        uint32_t flags;
        int r;

        r = nbd_parse_client_flags(p, avail, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES,
                                   &flags);
        if (r == 0) {
                c->in_need = NBD_CLIENT_FLAGS_SIZE;
                return 0;
        }
        if (r < 0) {
                s->stats.protocol_errors++;
                log_warning("nbd client %u: unknown client flags 0x%02x%02x%02x%02x, closing it.",
                            c->id, p[0], p[1], p[2], p[3]);
                return r;
        }
        c->fixed_newstyle = flags & NBD_FLAG_C_FIXED_NEWSTYLE;
        c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;
        c->in_off += (size_t) r;
        c->state = STATE_OPTIONS;
        return 1;
}

/* One option: header, then its data whole, or read off unbuffered if it is too long. */
static int take_option(struct nbd_client *c, const uint8_t *p, size_t avail) {
        struct nbd_server *s = c->server;
        struct nbd_option_header h;
        int r;

        r = nbd_parse_option_header(p, avail, &h);
        if (r == 0) {
                c->in_need = NBD_OPTION_HEADER_SIZE;
                return 0;
        }
        if (r < 0) {
                s->stats.protocol_errors++;
                log_warning("nbd client %u: option without IHAVEOPT magic, closing it.", c->id);
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
                        log_warning("nbd client %u: %s with %" PRIu32 " bytes of data, closing it.",
                                    c->id, nbd_option_name(h.option), h.length);
                        return -E2BIG;
                }
                c->in_off += (size_t) r;
                c->drain = h.length;
                c->drain_option = h.option;
                return 1;
        }
        if (avail < (size_t) r + h.length) {
                c->in_need = (size_t) r + h.length;
                return 0;
        }
        c->in_off += (size_t) r + h.length;
        r = handle_option(c, h.option, p + r, h.length);
        return r < 0 ? r : 1;
}

int nbd_handshake_start(struct nbd_client *c) {
        return OUT_APPEND(c, NBD_GREETING_SIZE,
                          nbd_encode_greeting, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
}

int nbd_handshake_step(struct nbd_client *c, const uint8_t *p, size_t avail) {
        if (c->state == STATE_CLIENT_FLAGS)
                return take_client_flags(c, p, avail);
        return take_option(c, p, avail);
}

int nbd_handshake_drained(struct nbd_client *c) {
        log_notice("nbd client %u: %s with more than %u bytes of data, refused.", c->id,
                   nbd_option_name(c->drain_option), MAX_OPTION_LEN);
        return reply_error(c, c->drain_option, NBD_REP_ERR_TOO_BIG, "option data too long");
}
