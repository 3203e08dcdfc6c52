/* SPDX-License-Identifier: MIT */
/*
 * The subset of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md) that satmcd serves:
 * the fixed-newstyle handshake and simple replies in transmission. All integers on the wire
 * are big-endian.
 *
 * Parsers take a buffer that may hold part of a message or several (a byte stream) and return
 * the bytes they used (> 0), 0 when more bytes are needed, or a negative errno when the bytes
 * can never be valid. Their outputs are written only on success; pointers in them point into
 * the caller's buffer. Encoders write into a caller's buffer of a given capacity and return the
 * length, or -ENOBUFS when it does not fit (nothing useful is written then).
 *
 * Pure byte-level code: no I/O, no allocation, no globals; safe on any input.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Handshake magics. */
#define NBD_MAGIC               UINT64_C(0x4e42444d41474943)    /* "NBDMAGIC" */
#define NBD_IHAVEOPT            UINT64_C(0x49484156454f5054)    /* "IHAVEOPT" */
#define NBD_REP_MAGIC           UINT64_C(0x0003e889045565a9)
/* Transmission magics. */
#define NBD_REQUEST_MAGIC       UINT32_C(0x25609513)
#define NBD_SIMPLE_REPLY_MAGIC  UINT32_C(0x67446698)

/* Handshake flags (server, 16 bits) and client flags (32 bits): the same two bits. */
#define NBD_FLAG_FIXED_NEWSTYLE   (1u << 0)
#define NBD_FLAG_NO_ZEROES        (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE NBD_FLAG_FIXED_NEWSTYLE
#define NBD_FLAG_C_NO_ZEROES      NBD_FLAG_NO_ZEROES

/* Transmission flags (16 bits). */
#define NBD_FLAG_HAS_FLAGS          (1u << 0)
#define NBD_FLAG_READ_ONLY          (1u << 1)
#define NBD_FLAG_SEND_FLUSH         (1u << 2)
#define NBD_FLAG_SEND_FUA           (1u << 3)
#define NBD_FLAG_ROTATIONAL         (1u << 4)
#define NBD_FLAG_SEND_TRIM          (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES  (1u << 6)
#define NBD_FLAG_SEND_DF            (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN     (1u << 8)
#define NBD_FLAG_SEND_RESIZE        (1u << 9)
#define NBD_FLAG_SEND_CACHE         (1u << 10)
#define NBD_FLAG_SEND_FAST_ZERO     (1u << 11)

/* Options. */
enum {
        NBD_OPT_EXPORT_NAME = 1,
        NBD_OPT_ABORT = 2,
        NBD_OPT_LIST = 3,
        NBD_OPT_PEEK_EXPORT = 4,
        NBD_OPT_STARTTLS = 5,
        NBD_OPT_INFO = 6,
        NBD_OPT_GO = 7,
        NBD_OPT_STRUCTURED_REPLY = 8,
        NBD_OPT_LIST_META_CONTEXT = 9,
        NBD_OPT_SET_META_CONTEXT = 10,
        NBD_OPT_EXTENDED_HEADERS = 11,
};

/* Option reply types; errors have bit 31 set. */
#define NBD_REP_ACK             UINT32_C(1)
#define NBD_REP_SERVER          UINT32_C(2)
#define NBD_REP_INFO            UINT32_C(3)
#define NBD_REP_META_CONTEXT    UINT32_C(4)
#define NBD_REP_FLAG_ERROR      (UINT32_C(1) << 31)
#define NBD_REP_ERR_UNSUP       (NBD_REP_FLAG_ERROR | 1)
#define NBD_REP_ERR_POLICY      (NBD_REP_FLAG_ERROR | 2)
#define NBD_REP_ERR_INVALID     (NBD_REP_FLAG_ERROR | 3)
#define NBD_REP_ERR_PLATFORM    (NBD_REP_FLAG_ERROR | 4)
#define NBD_REP_ERR_TLS_REQD    (NBD_REP_FLAG_ERROR | 5)
#define NBD_REP_ERR_UNKNOWN     (NBD_REP_FLAG_ERROR | 6)
#define NBD_REP_ERR_SHUTDOWN    (NBD_REP_FLAG_ERROR | 7)
#define NBD_REP_ERR_BLOCK_SIZE_REQD (NBD_REP_FLAG_ERROR | 8)
#define NBD_REP_ERR_TOO_BIG     (NBD_REP_FLAG_ERROR | 9)

/* NBD_REP_INFO types (16 bits). */
enum {
        NBD_INFO_EXPORT = 0,
        NBD_INFO_NAME = 1,
        NBD_INFO_DESCRIPTION = 2,
        NBD_INFO_BLOCK_SIZE = 3,
};

/* Commands (16 bits) and command flags (16 bits). */
enum {
        NBD_CMD_READ = 0,
        NBD_CMD_WRITE = 1,
        NBD_CMD_DISC = 2,
        NBD_CMD_FLUSH = 3,
        NBD_CMD_TRIM = 4,
        NBD_CMD_CACHE = 5,
        NBD_CMD_WRITE_ZEROES = 6,
        NBD_CMD_BLOCK_STATUS = 7,
        NBD_CMD_RESIZE = 8,
};
#define NBD_CMD_FLAG_FUA        (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE    (1u << 1)
#define NBD_CMD_FLAG_DF         (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE    (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO  (1u << 4)

/* Errors on the wire: Linux's numbers, fixed by the protocol whatever the host's are. */
#define NBD_EPERM       UINT32_C(1)
#define NBD_EIO         UINT32_C(5)
#define NBD_ENOMEM      UINT32_C(12)
#define NBD_EINVAL      UINT32_C(22)
#define NBD_ENOSPC      UINT32_C(28)
#define NBD_EOVERFLOW   UINT32_C(75)
#define NBD_ENOTSUP     UINT32_C(95)
#define NBD_ESHUTDOWN   UINT32_C(108)

/* Message sizes. */
#define NBD_GREETING_SIZE               18      /* NBDMAGIC, IHAVEOPT, handshake flags */
#define NBD_CLIENT_FLAGS_SIZE           4
#define NBD_OPTION_HEADER_SIZE          16      /* IHAVEOPT, option, length */
#define NBD_OPTION_REPLY_HEADER_SIZE    20      /* magic, option, type, length */
#define NBD_EXPORT_NAME_REPLY_SIZE      10      /* size, flags (+ 124 zeroes without NO_ZEROES) */
#define NBD_EXPORT_NAME_ZEROES          124
#define NBD_REQUEST_SIZE                28
#define NBD_SIMPLE_REPLY_SIZE           16

/* Strings (export names, descriptions, error messages) are at most this long (proto.md). */
#define NBD_MAX_STRING                  4096

/* One option header. */
struct nbd_option_header {
        uint32_t option;
        uint32_t length;        /* of the option data that follows, not validated here */
};

/* NBD_OPT_INFO / NBD_OPT_GO data. */
struct nbd_go_info {
        const uint8_t *name;    /* not NUL-terminated; may be NULL when name_len is 0 */
        size_t name_len;        /* <= NBD_MAX_STRING */
        uint32_t requests;      /* bit (1 << type) for each known NBD_INFO_* asked for */
        unsigned n_requests;    /* all information requests, known or not */
};

/* One transmission request. */
struct nbd_request {
        uint16_t flags;         /* NBD_CMD_FLAG_* */
        uint16_t type;          /* NBD_CMD_* */
        uint64_t cookie;        /* a.k.a. handle: echoed in the reply */
        uint64_t offset;
        uint32_t length;
};

/* Greeting: NBDMAGIC, IHAVEOPT, handshake flags. Returns NBD_GREETING_SIZE or -ENOBUFS. */
int nbd_encode_greeting(uint8_t *buf, size_t size, uint16_t handshake_flags);

/*
 * The client's 32-bit flags. Returns NBD_CLIENT_FLAGS_SIZE, 0 if more bytes are needed, or
 * -EPROTO when a bit outside supported is set (proto.md: the server must then close).
 */
int nbd_parse_client_flags(const uint8_t *buf, size_t len, uint32_t supported, uint32_t *ret);

/* An option header. Returns NBD_OPTION_HEADER_SIZE, 0, or -EBADMSG for a magic that is not
 * IHAVEOPT (the stream cannot be trusted any more). */
int nbd_parse_option_header(const uint8_t *buf, size_t len, struct nbd_option_header *ret);

/*
 * The data of NBD_OPT_INFO or NBD_OPT_GO, exactly len bytes (the option's length):
 * name length (32), name, number of information requests (16), each request (16). Returns 0,
 * -EBADMSG when the lengths inside do not add up to len exactly, or -ENAMETOOLONG for a name
 * over NBD_MAX_STRING.
 */
int nbd_parse_go_info(const uint8_t *data, size_t len, struct nbd_go_info *ret);

/* The data of NBD_OPT_EXPORT_NAME: the whole option data is the name. Returns 0 or
 * -ENAMETOOLONG over NBD_MAX_STRING. */
int nbd_parse_export_name(const uint8_t *data, size_t len, struct nbd_go_info *ret);

/* An option reply header followed by data_len bytes of data (data may be NULL when data_len
 * is 0). Returns the total length or -ENOBUFS. */
int nbd_encode_option_reply(uint8_t *buf, size_t size, uint32_t option, uint32_t type,
                            const void *data, size_t data_len);

/* NBD_REP_ACK for option. */
int nbd_encode_rep_ack(uint8_t *buf, size_t size, uint32_t option);

/* An error reply (type has NBD_REP_FLAG_ERROR set, else -EINVAL) with an optional
 * human-readable message (NULL for none; truncated at NBD_MAX_STRING). */
int nbd_encode_rep_error(uint8_t *buf, size_t size, uint32_t option, uint32_t type,
                         const char *message);

/* NBD_REP_SERVER for NBD_OPT_LIST: name length (32), name, description (NULL: none).
 * -EINVAL for a name or description over NBD_MAX_STRING. */
int nbd_encode_rep_server(uint8_t *buf, size_t size, const char *name, const char *description);

/* NBD_REP_INFO records for option (NBD_OPT_INFO or NBD_OPT_GO). */
int nbd_encode_info_export(uint8_t *buf, size_t size, uint32_t option, uint64_t export_size,
                           uint16_t transmission_flags);
/* NBD_INFO_NAME or NBD_INFO_DESCRIPTION with text (-EINVAL over NBD_MAX_STRING). */
int nbd_encode_info_text(uint8_t *buf, size_t size, uint32_t option, uint16_t info_type,
                         const char *text);
/* -EINVAL unless 1 <= minimum <= preferred <= maximum, all powers of two but maximum. */
int nbd_encode_info_block_size(uint8_t *buf, size_t size, uint32_t option, uint32_t minimum,
                               uint32_t preferred, uint32_t maximum);

/* The reply to NBD_OPT_EXPORT_NAME: size (64), transmission flags (16), and 124 zero bytes
 * unless NO_ZEROES was agreed. */
int nbd_encode_export_name_reply(uint8_t *buf, size_t size, uint64_t export_size,
                                 uint16_t transmission_flags, bool no_zeroes);

/* A request header. Returns NBD_REQUEST_SIZE, 0, or -EBADMSG for a wrong magic (the session
 * must end: nothing after it can be framed). Flags, type and ranges are not judged here. */
int nbd_parse_request(const uint8_t *buf, size_t len, struct nbd_request *ret);

/* Bytes of payload that follow the header of req on the wire, valid request or not: the
 * length of a WRITE, 0 otherwise. The server must read them off even when it refuses. */
uint32_t nbd_request_payload_len(const struct nbd_request *req);

/* What the server offers one export, for nbd_request_check(). */
struct nbd_export_limits {
        uint64_t size;
        bool writable;
        uint32_t max_payload;   /* longest READ or WRITE served (≥ the advertised maximum) */
};

/*
 * Judge a request against an export before anything is done: 0 if it may be served, else the
 * NBD wire error to answer with (never a disconnect): EINVAL for an unknown command, a flag
 * not valid for it, a range past the end (ENOSPC for WRITE, WRITE_ZEROES and TRIM) or a READ
 * or WRITE longer than max_payload; EPERM for a write of any kind to a read-only export.
 * FLUSH must have offset and length 0. DISC is always accepted.
 */
uint32_t nbd_request_check(const struct nbd_request *req, const struct nbd_export_limits *limits);

/* A simple reply header: magic, error, cookie. Returns NBD_SIMPLE_REPLY_SIZE or -ENOBUFS. */
int nbd_encode_simple_reply(uint8_t *buf, size_t size, uint32_t error, uint64_t cookie);

/* Map a negative (or positive) errno to the NBD wire error; 0 stays 0, anything the
 * protocol has no number for becomes NBD_EIO. */
uint32_t nbd_errno_to_wire(int error);

/* Name of an option or command, for logs ("OPT_GO", "CMD_READ"); "unknown" otherwise. */
const char *nbd_option_name(uint32_t option);
const char *nbd_command_name(uint16_t type);

/* The client side, for tests and tools: an option header (IHAVEOPT, option, length) and a
 * request header. Return the size written or -ENOBUFS. */
int nbd_encode_option_header(uint8_t *buf, size_t size, uint32_t option, uint32_t length);
int nbd_encode_request(uint8_t *buf, size_t size, const struct nbd_request *req);
