/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "protocol/nbd-wire.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t) (v >> 16));
        put16(p + 2, (uint16_t) v);
}

static void put64(uint8_t *p, uint64_t v) {
        put32(p, (uint32_t) (v >> 32));
        put32(p + 4, (uint32_t) v);
}

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p) {
        return (uint64_t) get32(p) << 32 | get32(p + 4);
}

int nbd_encode_greeting(uint8_t *buf, size_t size, uint16_t handshake_flags) {
        if (size < NBD_GREETING_SIZE)
                return -ENOBUFS;
        put64(buf, NBD_MAGIC);
        put64(buf + 8, NBD_IHAVEOPT);
        put16(buf + 16, handshake_flags);
        return NBD_GREETING_SIZE;
}

int nbd_parse_client_flags(const uint8_t *buf, size_t len, uint32_t supported, uint32_t *ret) {
        uint32_t flags;

        if (len < NBD_CLIENT_FLAGS_SIZE)
                return 0;
        flags = get32(buf);
        if (flags & ~supported)
                return -EPROTO;
        *ret = flags;
        return NBD_CLIENT_FLAGS_SIZE;
}

int nbd_parse_option_header(const uint8_t *buf, size_t len, struct nbd_option_header *ret) {
        if (len < NBD_OPTION_HEADER_SIZE)
                return 0;
        if (get64(buf) != NBD_IHAVEOPT)
                return -EBADMSG;
        *ret = (struct nbd_option_header) {
                .option = get32(buf + 8),
                .length = get32(buf + 12),
        };
        return NBD_OPTION_HEADER_SIZE;
}

int nbd_parse_go_info(const uint8_t *data, size_t len, struct nbd_go_info *ret) {
        struct nbd_go_info info = {};
        size_t rest, name_len;
        unsigned n;

        /* name length (4) + name + count (2) + 2 per request, and not a byte more or less. */
        if (len < 4 + 2)
                return -EBADMSG;
        name_len = get32(data);
        if (name_len > NBD_MAX_STRING)
                return -ENAMETOOLONG;
        rest = len - 4;
        if (name_len > rest - 2)
                return -EBADMSG;
        rest -= name_len;
        n = get16(data + 4 + name_len);
        if (rest - 2 != (size_t) n * 2)
                return -EBADMSG;

        info.name = name_len > 0 ? data + 4 : NULL;
        info.name_len = name_len;
        info.n_requests = n;
        for (unsigned i = 0; i < n; i++) {
                uint16_t type = get16(data + 4 + name_len + 2 + 2 * (size_t) i);

                if (type < 32)
                        info.requests |= UINT32_C(1) << type;
        }
        *ret = info;
        return 0;
}

int nbd_parse_export_name(const uint8_t *data, size_t len, struct nbd_go_info *ret) {
        if (len > NBD_MAX_STRING)
                return -ENAMETOOLONG;
        *ret = (struct nbd_go_info) {
                .name = len > 0 ? data : NULL,
                .name_len = len,
        };
        return 0;
}

int nbd_encode_option_reply(uint8_t *buf, size_t size, uint32_t option, uint32_t type,
                            const void *data, size_t data_len) {
        if (data_len > UINT32_MAX || size < NBD_OPTION_REPLY_HEADER_SIZE ||
            size - NBD_OPTION_REPLY_HEADER_SIZE < data_len)
                return -ENOBUFS;
        if (data_len > 0 && !data)
                return -EINVAL;
        put64(buf, NBD_REP_MAGIC);
        put32(buf + 8, option);
        put32(buf + 12, type);
        put32(buf + 16, (uint32_t) data_len);
        if (data_len > 0)
                memcpy(buf + NBD_OPTION_REPLY_HEADER_SIZE, data, data_len);
        return (int) (NBD_OPTION_REPLY_HEADER_SIZE + data_len);
}

int nbd_encode_rep_ack(uint8_t *buf, size_t size, uint32_t option) {
        return nbd_encode_option_reply(buf, size, option, NBD_REP_ACK, NULL, 0);
}

int nbd_encode_rep_error(uint8_t *buf, size_t size, uint32_t option, uint32_t type,
                         const char *message) {
        size_t n = message ? strnlen(message, NBD_MAX_STRING) : 0;

        if (!(type & NBD_REP_FLAG_ERROR))
                return -EINVAL;
        return nbd_encode_option_reply(buf, size, option, type, message, n);
}

int nbd_encode_rep_server(uint8_t *buf, size_t size, const char *name, const char *description) {
        size_t name_len, desc_len, total;

        if (!name)
                return -EINVAL;
        name_len = strnlen(name, NBD_MAX_STRING + 1);
        desc_len = description ? strnlen(description, NBD_MAX_STRING + 1) : 0;
        if (name_len > NBD_MAX_STRING || desc_len > NBD_MAX_STRING)
                return -EINVAL;
        total = 4 + name_len + desc_len;
        if (size < NBD_OPTION_REPLY_HEADER_SIZE || size - NBD_OPTION_REPLY_HEADER_SIZE < total)
                return -ENOBUFS;
        put64(buf, NBD_REP_MAGIC);
        put32(buf + 8, NBD_OPT_LIST);
        put32(buf + 12, NBD_REP_SERVER);
        put32(buf + 16, (uint32_t) total);
        put32(buf + 20, (uint32_t) name_len);
        memcpy(buf + 24, name, name_len);
        if (desc_len > 0)
                memcpy(buf + 24 + name_len, description, desc_len);
        return (int) (NBD_OPTION_REPLY_HEADER_SIZE + total);
}

/* An NBD_REP_INFO header plus its 16-bit info type; the caller appends payload_len bytes. */
static int info_header(uint8_t *buf, size_t size, uint32_t option, uint16_t info_type,
                       size_t payload_len) {
        size_t total = 2 + payload_len;

        if (size < NBD_OPTION_REPLY_HEADER_SIZE || size - NBD_OPTION_REPLY_HEADER_SIZE < total)
                return -ENOBUFS;
        put64(buf, NBD_REP_MAGIC);
        put32(buf + 8, option);
        put32(buf + 12, NBD_REP_INFO);
        put32(buf + 16, (uint32_t) total);
        put16(buf + 20, info_type);
        return (int) (NBD_OPTION_REPLY_HEADER_SIZE + total);
}

int nbd_encode_info_export(uint8_t *buf, size_t size, uint32_t option, uint64_t export_size,
                           uint16_t transmission_flags) {
        int r = info_header(buf, size, option, NBD_INFO_EXPORT, 8 + 2);

        if (r < 0)
                return r;
        put64(buf + 22, export_size);
        put16(buf + 30, transmission_flags);
        return r;
}

int nbd_encode_info_text(uint8_t *buf, size_t size, uint32_t option, uint16_t info_type,
                         const char *text) {
        size_t n;
        int r;

        if (!text || (info_type != NBD_INFO_NAME && info_type != NBD_INFO_DESCRIPTION))
                return -EINVAL;
        n = strnlen(text, NBD_MAX_STRING + 1);
        if (n > NBD_MAX_STRING)
                return -EINVAL;
        r = info_header(buf, size, option, info_type, n);
        if (r < 0)
                return r;
        if (n > 0)
                memcpy(buf + 22, text, n);
        return r;
}

static bool is_pow2(uint32_t v) {
        return v != 0 && (v & (v - 1)) == 0;
}

int nbd_encode_info_block_size(uint8_t *buf, size_t size, uint32_t option, uint32_t minimum,
                               uint32_t preferred, uint32_t maximum) {
        int r;

        if (!is_pow2(minimum) || !is_pow2(preferred) || preferred < minimum || maximum < preferred)
                return -EINVAL;
        r = info_header(buf, size, option, NBD_INFO_BLOCK_SIZE, 12);
        if (r < 0)
                return r;
        put32(buf + 22, minimum);
        put32(buf + 26, preferred);
        put32(buf + 30, maximum);
        return r;
}

int nbd_encode_export_name_reply(uint8_t *buf, size_t size, uint64_t export_size,
                                 uint16_t transmission_flags, bool no_zeroes) {
        size_t n = NBD_EXPORT_NAME_REPLY_SIZE + (no_zeroes ? 0 : NBD_EXPORT_NAME_ZEROES);

        if (size < n)
                return -ENOBUFS;
        put64(buf, export_size);
        put16(buf + 8, transmission_flags);
        if (!no_zeroes)
                memset(buf + NBD_EXPORT_NAME_REPLY_SIZE, 0, NBD_EXPORT_NAME_ZEROES);
        return (int) n;
}

int nbd_parse_request(const uint8_t *buf, size_t len, struct nbd_request *ret) {
        if (len < NBD_REQUEST_SIZE)
                return 0;
        if (get32(buf) != NBD_REQUEST_MAGIC)
                return -EBADMSG;
        *ret = (struct nbd_request) {
                .flags = get16(buf + 4),
                .type = get16(buf + 6),
                .cookie = get64(buf + 8),
                .offset = get64(buf + 16),
                .length = get32(buf + 24),
        };
        return NBD_REQUEST_SIZE;
}

uint32_t nbd_request_payload_len(const struct nbd_request *req) {
        return req->type == NBD_CMD_WRITE ? req->length : 0;
}

static bool in_range(uint64_t size, uint64_t offset, uint32_t length) {
        return offset <= size && length <= size - offset;
}

uint32_t nbd_request_check(const struct nbd_request *req, const struct nbd_export_limits *limits) {
        uint16_t allowed;
        bool writes;

        /* FUA is valid on every command (proto.md), meaningful only on writes; DF and REQ_ONE
         * need structured replies, FAST_ZERO an advertisement we do not make. */
        switch (req->type) {
        case NBD_CMD_DISC:
                return 0;
        case NBD_CMD_READ:
        case NBD_CMD_FLUSH:
                allowed = NBD_CMD_FLAG_FUA;
                writes = false;
                break;
        case NBD_CMD_WRITE:
        case NBD_CMD_TRIM:
                allowed = NBD_CMD_FLAG_FUA;
                writes = true;
                break;
        case NBD_CMD_WRITE_ZEROES:
                allowed = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE;
                writes = true;
                break;
        default:
                return NBD_EINVAL;
        }
        if (req->flags & ~allowed)
                return NBD_EINVAL;
        if (writes && !limits->writable)
                return NBD_EPERM;

        if (req->type == NBD_CMD_FLUSH)
                return req->offset == 0 && req->length == 0 ? 0 : NBD_EINVAL;
        if (!in_range(limits->size, req->offset, req->length))
                return writes ? NBD_ENOSPC : NBD_EINVAL;
        if ((req->type == NBD_CMD_READ || req->type == NBD_CMD_WRITE) &&
            req->length > limits->max_payload)
                return NBD_EINVAL;
        return 0;
}

int nbd_encode_simple_reply(uint8_t *buf, size_t size, uint32_t error, uint64_t cookie) {
        if (size < NBD_SIMPLE_REPLY_SIZE)
                return -ENOBUFS;
        put32(buf, NBD_SIMPLE_REPLY_MAGIC);
        put32(buf + 4, error);
        put64(buf + 8, cookie);
        return NBD_SIMPLE_REPLY_SIZE;
}

uint32_t nbd_errno_to_wire(int error) {
        if (error < 0)
                error = -error;
        switch (error) {
        case 0:
                return 0;
        case EPERM:
        case EROFS:
                return NBD_EPERM;
        case ENOMEM:
                return NBD_ENOMEM;
        case EINVAL:
                return NBD_EINVAL;
        case ENOSPC:
        case EFBIG:
        case EDQUOT:
                return NBD_ENOSPC;
        case EOVERFLOW:
                return NBD_EOVERFLOW;
        case ENOTSUP:
                return NBD_ENOTSUP;
        case ESHUTDOWN:
                return NBD_ESHUTDOWN;
        default:
                return NBD_EIO;
        }
}

const char *nbd_option_name(uint32_t option) {
        static const char *const names[] = {
                [NBD_OPT_EXPORT_NAME] = "OPT_EXPORT_NAME",
                [NBD_OPT_ABORT] = "OPT_ABORT",
                [NBD_OPT_LIST] = "OPT_LIST",
                [NBD_OPT_PEEK_EXPORT] = "OPT_PEEK_EXPORT",
                [NBD_OPT_STARTTLS] = "OPT_STARTTLS",
                [NBD_OPT_INFO] = "OPT_INFO",
                [NBD_OPT_GO] = "OPT_GO",
                [NBD_OPT_STRUCTURED_REPLY] = "OPT_STRUCTURED_REPLY",
                [NBD_OPT_LIST_META_CONTEXT] = "OPT_LIST_META_CONTEXT",
                [NBD_OPT_SET_META_CONTEXT] = "OPT_SET_META_CONTEXT",
                [NBD_OPT_EXTENDED_HEADERS] = "OPT_EXTENDED_HEADERS",
        };

        if (option < sizeof(names) / sizeof(names[0]) && names[option])
                return names[option];
        return "unknown";
}

const char *nbd_command_name(uint16_t type) {
        static const char *const names[] = {
                [NBD_CMD_READ] = "CMD_READ",
                [NBD_CMD_WRITE] = "CMD_WRITE",
                [NBD_CMD_DISC] = "CMD_DISC",
                [NBD_CMD_FLUSH] = "CMD_FLUSH",
                [NBD_CMD_TRIM] = "CMD_TRIM",
                [NBD_CMD_CACHE] = "CMD_CACHE",
                [NBD_CMD_WRITE_ZEROES] = "CMD_WRITE_ZEROES",
                [NBD_CMD_BLOCK_STATUS] = "CMD_BLOCK_STATUS",
                [NBD_CMD_RESIZE] = "CMD_RESIZE",
        };

        if (type < sizeof(names) / sizeof(names[0]) && names[type])
                return names[type];
        return "unknown";
}

int nbd_encode_option_header(uint8_t *buf, size_t size, uint32_t option, uint32_t length) {
        if (size < NBD_OPTION_HEADER_SIZE)
                return -ENOBUFS;
        put64(buf, NBD_IHAVEOPT);
        put32(buf + 8, option);
        put32(buf + 12, length);
        return NBD_OPTION_HEADER_SIZE;
}

int nbd_encode_request(uint8_t *buf, size_t size, const struct nbd_request *req) {
        if (size < NBD_REQUEST_SIZE)
                return -ENOBUFS;
        put32(buf, NBD_REQUEST_MAGIC);
        put16(buf + 4, req->flags);
        put16(buf + 6, req->type);
        put64(buf + 8, req->cookie);
        put64(buf + 16, req->offset);
        put32(buf + 24, req->length);
        return NBD_REQUEST_SIZE;
}
