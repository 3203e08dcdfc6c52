/* SPDX-License-Identifier: MIT */
/*
 * The NBD wire codec on hostile input: every truncation of every message, wrong magics,
 * names at the limit and one past it, lengths that lie in both directions. Parsers read heap
 * buffers of exactly the input's length (valgrind sees a read past the end), and a parser that
 * does not succeed must leave its output untouched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/nbd-wire.h"

#define SENTINEL 0xA5

/* A heap copy of exactly n bytes. */
static uint8_t *dup_exact(const uint8_t *p, size_t n) {
        uint8_t *q = malloc(n > 0 ? n : 1);

        assert_non_null(q);
        if (n > 0)
                memcpy(q, p, n);
        return q;
}

static void put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void test_greeting(void **state) {
        static const uint8_t want[] = { 'N', 'B', 'D', 'M', 'A', 'G', 'I', 'C',
                                        'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T', 0x00, 0x03 };
        uint8_t buf[NBD_GREETING_SIZE];

        assert_int_equal(nbd_encode_greeting(buf, sizeof(buf), 3), NBD_GREETING_SIZE);
        assert_memory_equal(buf, want, sizeof(want));
        assert_int_equal(nbd_encode_greeting(buf, sizeof(buf) - 1, 3), -ENOBUFS);
}

static void test_client_flags(void **state) {
        static const uint8_t ok[] = { 0, 0, 0, 3 }, bad[] = { 0x80, 0, 0, 1 }, bad2[] = { 0, 0, 0, 4 };
        uint32_t flags = 0xdeadbeef;
        uint8_t *p;

        for (size_t n = 0; n < sizeof(ok); n++) {
                p = dup_exact(ok, n);
                assert_int_equal(nbd_parse_client_flags(p, n, 3, &flags), 0);
                assert_int_equal(flags, 0xdeadbeef);
                free(p);
        }
        p = dup_exact(ok, sizeof(ok));
        assert_int_equal(nbd_parse_client_flags(p, sizeof(ok), 3, &flags), 4);
        assert_int_equal(flags, 3);
        /* A client asking for NO_ZEROES where we do not offer it is refused too. */
        flags = 0xdeadbeef;
        assert_int_equal(nbd_parse_client_flags(p, sizeof(ok), 1, &flags), -EPROTO);
        assert_int_equal(flags, 0xdeadbeef);
        free(p);
        assert_int_equal(nbd_parse_client_flags(bad, sizeof(bad), 3, &flags), -EPROTO);
        assert_int_equal(nbd_parse_client_flags(bad2, sizeof(bad2), 3, &flags), -EPROTO);
        assert_int_equal(flags, 0xdeadbeef);
}

static void test_option_header(void **state) {
        uint8_t buf[NBD_OPTION_HEADER_SIZE + 4], *p;
        struct nbd_option_header h, untouched;

        memset(buf, SENTINEL, sizeof(buf));
        assert_int_equal(nbd_encode_option_header(buf, sizeof(buf), NBD_OPT_GO, 0x01020304), 16);
        assert_int_equal(nbd_encode_option_header(buf, 15, NBD_OPT_GO, 0), -ENOBUFS);
        memset(&untouched, SENTINEL, sizeof(untouched));
        for (size_t n = 0; n < NBD_OPTION_HEADER_SIZE; n++) {
                p = dup_exact(buf, n);
                h = untouched;
                assert_int_equal(nbd_parse_option_header(p, n, &h), 0);
                assert_memory_equal(&h, &untouched, sizeof(h));
                free(p);
        }
        /* Trailing bytes (the option data) are not the header's business. */
        assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h), 16);
        assert_int_equal(h.option, NBD_OPT_GO);
        assert_int_equal(h.length, 0x01020304);

        /* Every single-byte corruption of the magic is refused. */
        for (size_t i = 0; i < 8; i++) {
                buf[i] ^= 0x20;
                h = untouched;
                assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h), -EBADMSG);
                assert_memory_equal(&h, &untouched, sizeof(h));
                buf[i] ^= 0x20;
        }
}

/* GO/INFO data: name length, name, count, requests. Returns its length. */
static size_t go_data(uint8_t *buf, uint32_t claimed_name_len, const char *name, uint16_t count,
                      const uint16_t *reqs, size_t n_reqs) {
        size_t n = strlen(name), off;

        put32(buf, claimed_name_len);
        memcpy(buf + 4, name, n);
        off = 4 + n;
        put16(buf + off, count);
        off += 2;
        for (size_t i = 0; i < n_reqs; i++, off += 2)
                put16(buf + off, reqs[i]);
        return off;
}

static void test_go_info(void **state) {
        static const uint16_t reqs[] = { NBD_INFO_NAME, NBD_INFO_BLOCK_SIZE, 0x7777 };
        struct nbd_go_info gi, untouched;
        uint8_t buf[64], *p;
        size_t n;

        memset(&untouched, SENTINEL, sizeof(untouched));
        n = go_data(buf, 4, "fru0", 3, reqs, 3);
        p = dup_exact(buf, n);
        assert_int_equal(nbd_parse_go_info(p, n, &gi), 0);
        assert_int_equal(gi.name_len, 4);
        assert_memory_equal(gi.name, "fru0", 4);
        assert_ptr_equal(gi.name, p + 4);
        assert_int_equal(gi.n_requests, 3);
        assert_int_equal(gi.requests, (1u << NBD_INFO_NAME) | (1u << NBD_INFO_BLOCK_SIZE));

        /* Every truncation, and every over-long buffer, is refused: the length is exact. */
        for (size_t k = 0; k < n; k++) {
                uint8_t *q = dup_exact(buf, k);

                gi = untouched;
                assert_int_equal(nbd_parse_go_info(q, k, &gi), -EBADMSG);
                assert_memory_equal(&gi, &untouched, sizeof(gi));
                free(q);
        }
        free(p);
        buf[n] = 0;
        assert_int_equal(nbd_parse_go_info(buf, n + 1, &gi), -EBADMSG);

        /* The name length lies: too long by one, too short by one, absurd. */
        n = go_data(buf, 5, "fru0", 0, NULL, 0);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -EBADMSG);
        n = go_data(buf, 3, "fru0", 0, NULL, 0);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -EBADMSG);
        n = go_data(buf, UINT32_MAX, "fru0", 0, NULL, 0);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -ENAMETOOLONG);
        /* The request count lies. */
        n = go_data(buf, 4, "fru0", 2, reqs, 3);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -EBADMSG);
        n = go_data(buf, 4, "fru0", 4, reqs, 3);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -EBADMSG);
        n = go_data(buf, 4, "fru0", 0xffff, reqs, 3);
        assert_int_equal(nbd_parse_go_info(buf, n, &gi), -EBADMSG);

        /* The empty name: no pointer into the buffer. */
        n = go_data(buf, 0, "", 0, NULL, 0);
        assert_int_equal(n, 6);
        p = dup_exact(buf, n);
        assert_int_equal(nbd_parse_go_info(p, n, &gi), 0);
        assert_int_equal(gi.name_len, 0);
        assert_null(gi.name);
        assert_int_equal(gi.n_requests, 0);
        free(p);
}

static void test_go_info_name_limit(void **state) {
        uint8_t *buf = malloc(4 + NBD_MAX_STRING + 1 + 2);
        struct nbd_go_info gi;

        assert_non_null(buf);
        /* Exactly the maximum is fine, one more is not. */
        put32(buf, NBD_MAX_STRING);
        memset(buf + 4, 'a', NBD_MAX_STRING);
        put16(buf + 4 + NBD_MAX_STRING, 0);
        assert_int_equal(nbd_parse_go_info(buf, 4 + NBD_MAX_STRING + 2, &gi), 0);
        assert_int_equal(gi.name_len, NBD_MAX_STRING);

        put32(buf, NBD_MAX_STRING + 1);
        buf[4 + NBD_MAX_STRING] = 'a';
        put16(buf + 4 + NBD_MAX_STRING + 1, 0);
        assert_int_equal(nbd_parse_go_info(buf, 4 + NBD_MAX_STRING + 1 + 2, &gi), -ENAMETOOLONG);

        assert_int_equal(nbd_parse_export_name(buf, NBD_MAX_STRING, &gi), 0);
        assert_int_equal(gi.name_len, NBD_MAX_STRING);
        assert_int_equal(nbd_parse_export_name(buf, NBD_MAX_STRING + 1, &gi), -ENAMETOOLONG);
        assert_int_equal(nbd_parse_export_name(buf, 0, &gi), 0);
        assert_null(gi.name);
        free(buf);
}

static void check_reply_header(const uint8_t *p, uint32_t option, uint32_t type, uint32_t len) {
        static const uint8_t magic[] = { 0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9 };

        assert_memory_equal(p, magic, 8);
        assert_int_equal(get32(p + 8), option);
        assert_int_equal(get32(p + 12), type);
        assert_int_equal(get32(p + 16), len);
}

static void test_option_replies(void **state) {
        uint8_t buf[256];
        int r;

        r = nbd_encode_rep_ack(buf, sizeof(buf), NBD_OPT_ABORT);
        assert_int_equal(r, 20);
        check_reply_header(buf, NBD_OPT_ABORT, NBD_REP_ACK, 0);
        assert_int_equal(nbd_encode_rep_ack(buf, 19, NBD_OPT_ABORT), -ENOBUFS);

        r = nbd_encode_rep_error(buf, sizeof(buf), 99, NBD_REP_ERR_UNSUP, "nope");
        assert_int_equal(r, 24);
        check_reply_header(buf, 99, 0x80000001, 4);
        assert_memory_equal(buf + 20, "nope", 4);
        assert_int_equal(nbd_encode_rep_error(buf, sizeof(buf), 99, NBD_REP_ACK, NULL), -EINVAL);
        assert_int_equal(nbd_encode_rep_error(buf, 23, 99, NBD_REP_ERR_UNSUP, "nope"), -ENOBUFS);
        assert_int_equal(nbd_encode_rep_error(buf, 20, 99, NBD_REP_ERR_TOO_BIG, NULL), 20);
        check_reply_header(buf, 99, 0x80000009, 0);

        r = nbd_encode_rep_server(buf, sizeof(buf), "fru0", "FRU 0");
        assert_int_equal(r, 20 + 4 + 4 + 5);
        check_reply_header(buf, NBD_OPT_LIST, NBD_REP_SERVER, 13);
        assert_int_equal(get32(buf + 20), 4);
        assert_memory_equal(buf + 24, "fru0FRU 0", 9);
        assert_int_equal(nbd_encode_rep_server(buf, sizeof(buf), "sdr", NULL), 27);
        assert_int_equal(nbd_encode_rep_server(buf, 26, "sdr", NULL), -ENOBUFS);

        r = nbd_encode_info_export(buf, sizeof(buf), NBD_OPT_GO, 0x0102030405060708ULL, 0x0123);
        assert_int_equal(r, 32);
        check_reply_header(buf, NBD_OPT_GO, NBD_REP_INFO, 12);
        assert_memory_equal(buf + 20, ((const uint8_t[]) { 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0x23 }), 12);
        assert_int_equal(nbd_encode_info_export(buf, 31, NBD_OPT_GO, 0, 0), -ENOBUFS);

        r = nbd_encode_info_text(buf, sizeof(buf), NBD_OPT_INFO, NBD_INFO_DESCRIPTION, "SDR");
        assert_int_equal(r, 25);
        check_reply_header(buf, NBD_OPT_INFO, NBD_REP_INFO, 5);
        assert_memory_equal(buf + 20, "\0\2SDR", 5);
        assert_int_equal(nbd_encode_info_text(buf, sizeof(buf), NBD_OPT_INFO, NBD_INFO_EXPORT, "x"), -EINVAL);

        r = nbd_encode_info_block_size(buf, sizeof(buf), NBD_OPT_GO, 1, 512, 65536);
        assert_int_equal(r, 34);
        check_reply_header(buf, NBD_OPT_GO, NBD_REP_INFO, 14);
        assert_int_equal(get32(buf + 22), 1);
        assert_int_equal(get32(buf + 26), 512);
        assert_int_equal(get32(buf + 30), 65536);
        assert_int_equal(nbd_encode_info_block_size(buf, sizeof(buf), NBD_OPT_GO, 0, 512, 65536), -EINVAL);
        assert_int_equal(nbd_encode_info_block_size(buf, sizeof(buf), NBD_OPT_GO, 3, 512, 65536), -EINVAL);
        assert_int_equal(nbd_encode_info_block_size(buf, sizeof(buf), NBD_OPT_GO, 1, 512, 256), -EINVAL);
        assert_int_equal(nbd_encode_info_block_size(buf, 33, NBD_OPT_GO, 1, 512, 65536), -ENOBUFS);
}

static void test_oversized_strings(void **state) {
        char *big = malloc(NBD_MAX_STRING + 2);
        uint8_t *buf = malloc(2 * NBD_MAX_STRING + 64);
        int r;

        assert_non_null(big);
        assert_non_null(buf);
        memset(big, 'x', NBD_MAX_STRING + 1);
        big[NBD_MAX_STRING + 1] = '\0';
        assert_int_equal(nbd_encode_rep_server(buf, 2 * NBD_MAX_STRING + 64, big, NULL), -EINVAL);
        assert_int_equal(nbd_encode_rep_server(buf, 2 * NBD_MAX_STRING + 64, "a", big), -EINVAL);
        assert_int_equal(nbd_encode_info_text(buf, 2 * NBD_MAX_STRING + 64, NBD_OPT_GO, NBD_INFO_NAME, big),
                         -EINVAL);
        /* An error message is truncated, not refused: the error must still go out. */
        r = nbd_encode_rep_error(buf, 2 * NBD_MAX_STRING + 64, 1, NBD_REP_ERR_INVALID, big);
        assert_int_equal(r, 20 + NBD_MAX_STRING);
        big[NBD_MAX_STRING] = '\0';
        assert_int_equal(nbd_encode_rep_server(buf, 2 * NBD_MAX_STRING + 64, big, NULL),
                         20 + 4 + NBD_MAX_STRING);
        free(big);
        free(buf);
}

static void test_export_name_reply(void **state) {
        uint8_t buf[NBD_EXPORT_NAME_REPLY_SIZE + NBD_EXPORT_NAME_ZEROES + 1];

        memset(buf, SENTINEL, sizeof(buf));
        assert_int_equal(nbd_encode_export_name_reply(buf, sizeof(buf), 4096, 0x0107, true), 10);
        assert_memory_equal(buf, ((const uint8_t[]) { 0, 0, 0, 0, 0, 0, 0x10, 0, 0x01, 0x07 }), 10);
        assert_int_equal(buf[10], SENTINEL);
        assert_int_equal(nbd_encode_export_name_reply(buf, sizeof(buf), 4096, 0x0107, false), 134);
        for (size_t i = 10; i < 134; i++)
                assert_int_equal(buf[i], 0);
        assert_int_equal(buf[134], SENTINEL);
        assert_int_equal(nbd_encode_export_name_reply(buf, 133, 4096, 0, false), -ENOBUFS);
        assert_int_equal(nbd_encode_export_name_reply(buf, 9, 4096, 0, true), -ENOBUFS);
}

static void test_request(void **state) {
        const struct nbd_request in = {
                .flags = NBD_CMD_FLAG_FUA, .type = NBD_CMD_WRITE, .cookie = 0x1122334455667788ULL,
                .offset = 0x0102030405060708ULL, .length = 0xa0b0c0d0,
        };
        struct nbd_request out, untouched;
        uint8_t buf[NBD_REQUEST_SIZE + 3], *p;

        memset(buf, SENTINEL, sizeof(buf));
        assert_int_equal(nbd_encode_request(buf, sizeof(buf), &in), NBD_REQUEST_SIZE);
        assert_int_equal(nbd_encode_request(buf, NBD_REQUEST_SIZE - 1, &in), -ENOBUFS);
        assert_memory_equal(buf, ((const uint8_t[]) { 0x25, 0x60, 0x95, 0x13, 0, 1, 0, 1 }), 8);
        memset(&untouched, SENTINEL, sizeof(untouched));
        for (size_t n = 0; n < NBD_REQUEST_SIZE; n++) {
                p = dup_exact(buf, n);
                out = untouched;
                assert_int_equal(nbd_parse_request(p, n, &out), 0);
                assert_memory_equal(&out, &untouched, sizeof(out));
                free(p);
        }
        p = dup_exact(buf, NBD_REQUEST_SIZE);
        assert_int_equal(nbd_parse_request(p, NBD_REQUEST_SIZE, &out), NBD_REQUEST_SIZE);
        assert_int_equal(out.flags, in.flags);
        assert_int_equal(out.type, in.type);
        assert_int_equal(out.cookie, in.cookie);
        assert_int_equal(out.offset, in.offset);
        assert_int_equal(out.length, in.length);
        assert_int_equal(nbd_request_payload_len(&out), 0xa0b0c0d0);
        free(p);

        /* The reply magic, or any flipped bit of the request magic, ends the session. */
        for (size_t i = 0; i < 32; i++) {
                buf[i / 8] ^= (uint8_t) (1u << (i % 8));
                out = untouched;
                assert_int_equal(nbd_parse_request(buf, NBD_REQUEST_SIZE, &out), -EBADMSG);
                assert_memory_equal(&out, &untouched, sizeof(out));
                buf[i / 8] ^= (uint8_t) (1u << (i % 8));
        }
        put32(buf, NBD_SIMPLE_REPLY_MAGIC);
        assert_int_equal(nbd_parse_request(buf, NBD_REQUEST_SIZE, &out), -EBADMSG);

        /* Only a WRITE carries a payload, whatever its length says. */
        out.type = NBD_CMD_READ;
        assert_int_equal(nbd_request_payload_len(&out), 0);
        out.type = NBD_CMD_WRITE_ZEROES;
        assert_int_equal(nbd_request_payload_len(&out), 0);
}

static void test_simple_reply(void **state) {
        uint8_t buf[NBD_SIMPLE_REPLY_SIZE];

        assert_int_equal(nbd_encode_simple_reply(buf, sizeof(buf), NBD_EPERM, 0x0102030405060708ULL), 16);
        assert_memory_equal(buf, ((const uint8_t[]) { 0x67, 0x44, 0x66, 0x98, 0, 0, 0, 1,
                                                      1, 2, 3, 4, 5, 6, 7, 8 }), 16);
        assert_int_equal(nbd_encode_simple_reply(buf, 15, 0, 0), -ENOBUFS);
}

struct check_case {
        uint16_t type, flags;
        uint64_t offset;
        uint32_t length;
        bool writable;
        uint32_t want;
};

static void test_request_check(void **state) {
        /* An export of 4096 bytes; READ and WRITE up to 1024 bytes served. */
        static const struct check_case cases[] = {
                { NBD_CMD_READ, 0, 0, 4096, false, NBD_EINVAL },        /* over max_payload */
                { NBD_CMD_READ, 0, 0, 1024, false, 0 },
                { NBD_CMD_READ, 0, 3072, 1024, false, 0 },              /* up to the end exactly */
                { NBD_CMD_READ, 0, 3073, 1024, false, NBD_EINVAL },     /* one past */
                { NBD_CMD_READ, 0, 4096, 0, false, 0 },
                { NBD_CMD_READ, 0, 4097, 0, false, NBD_EINVAL },
                { NBD_CMD_READ, 0, UINT64_MAX, 2, false, NBD_EINVAL },  /* offset + length wraps */
                { NBD_CMD_READ, NBD_CMD_FLAG_FUA, 0, 1, false, 0 },
                { NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 1, false, NBD_EINVAL },
                { NBD_CMD_READ, 0x8000, 0, 1, false, NBD_EINVAL },
                { NBD_CMD_WRITE, 0, 0, 1, false, NBD_EPERM },
                { NBD_CMD_WRITE, 0, 0, 1, true, 0 },
                { NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 4095, 1, true, 0 },
                { NBD_CMD_WRITE, 0, 4095, 2, true, NBD_ENOSPC },
                { NBD_CMD_WRITE, 0, UINT64_MAX, 1, true, NBD_ENOSPC },
                { NBD_CMD_WRITE, 0, 0, 2048, true, NBD_EINVAL },        /* over max_payload */
                { NBD_CMD_WRITE, NBD_CMD_FLAG_NO_HOLE, 0, 1, true, NBD_EINVAL },
                { NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FUA, 0, 4096, true, 0 },
                { NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_FAST_ZERO, 0, 1, true, NBD_EINVAL },
                { NBD_CMD_WRITE_ZEROES, 0, 1, 4096, true, NBD_ENOSPC },
                { NBD_CMD_WRITE_ZEROES, 0, 0, 1, false, NBD_EPERM },
                { NBD_CMD_TRIM, 0, 0, 4096, true, 0 },
                { NBD_CMD_TRIM, 0, 0, 4097, true, NBD_ENOSPC },
                { NBD_CMD_TRIM, 0, 0, 1, false, NBD_EPERM },
                { NBD_CMD_FLUSH, 0, 0, 0, false, 0 },
                { NBD_CMD_FLUSH, 0, 1, 0, true, NBD_EINVAL },
                { NBD_CMD_FLUSH, 0, 0, 1, true, NBD_EINVAL },
                { NBD_CMD_DISC, 0xffff, 99, 99, false, 0 },
                { NBD_CMD_CACHE, 0, 0, 1, true, NBD_EINVAL },
                { NBD_CMD_BLOCK_STATUS, 0, 0, 1, true, NBD_EINVAL },
                { 0xffff, 0, 0, 1, true, NBD_EINVAL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct check_case *t = &cases[i];
                struct nbd_request req = { .type = t->type, .flags = t->flags, .offset = t->offset,
                                           .length = t->length };
                struct nbd_export_limits lim = { .size = 4096, .writable = t->writable, .max_payload = 1024 };

                if (nbd_request_check(&req, &lim) != t->want)
                        fail_msg("case %zu: %s flags 0x%x %llu+%u: got %u, want %u", i,
                                 nbd_command_name(t->type), t->flags, (unsigned long long) t->offset,
                                 t->length, nbd_request_check(&req, &lim), t->want);
        }
}

static void test_errno_to_wire(void **state) {
        assert_int_equal(nbd_errno_to_wire(0), 0);
        assert_int_equal(nbd_errno_to_wire(-EPERM), 1);
        assert_int_equal(nbd_errno_to_wire(-EROFS), 1);
        assert_int_equal(nbd_errno_to_wire(-EIO), 5);
        assert_int_equal(nbd_errno_to_wire(-ENOMEM), 12);
        assert_int_equal(nbd_errno_to_wire(EINVAL), 22);
        assert_int_equal(nbd_errno_to_wire(-ENOSPC), 28);
        assert_int_equal(nbd_errno_to_wire(-EOVERFLOW), 75);
        assert_int_equal(nbd_errno_to_wire(-ENOTSUP), 95);
        assert_int_equal(nbd_errno_to_wire(-ESHUTDOWN), 108);
        assert_int_equal(nbd_errno_to_wire(-ENOENT), 5);
        assert_int_equal(nbd_errno_to_wire(-EBADMSG), 5);
}

static void test_names(void **state) {
        assert_string_equal(nbd_option_name(NBD_OPT_GO), "OPT_GO");
        assert_string_equal(nbd_option_name(0), "unknown");
        assert_string_equal(nbd_option_name(UINT32_MAX), "unknown");
        assert_string_equal(nbd_command_name(NBD_CMD_WRITE_ZEROES), "CMD_WRITE_ZEROES");
        assert_string_equal(nbd_command_name(0xffff), "unknown");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_greeting),
                cmocka_unit_test(test_client_flags),
                cmocka_unit_test(test_option_header),
                cmocka_unit_test(test_go_info),
                cmocka_unit_test(test_go_info_name_limit),
                cmocka_unit_test(test_option_replies),
                cmocka_unit_test(test_oversized_strings),
                cmocka_unit_test(test_export_name_reply),
                cmocka_unit_test(test_request),
                cmocka_unit_test(test_simple_reply),
                cmocka_unit_test(test_request_check),
                cmocka_unit_test(test_errno_to_wire),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
