/* SPDX-License-Identifier: MIT */
/*
 * The ipmitool "dummy" interface codec. Wire images are built here the way ipmitool builds
 * them, by filling a local copy of its structs and copying their bytes (pointer and all), so
 * the tests check the codec against the compiler's layout rather than against the codec's own
 * idea of it; the layout is also derived from the psABI rule and the exact bytes are pinned for
 * LP64 and ILP32, little- and big-endian. Parsers read heap buffers of
 * exactly the input's length (valgrind sees any read past the end), and a parser that does
 * not succeed must leave its output untouched.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmi-dummy.h"
#include "protocol/ipmi.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define SENTINEL 0xA5
#define BUF_MAX  1024   /* room for a few of the largest messages */

/* ipmitool 1.8.19 src/plugins/dummy/dummy.h, verbatim apart from the names. */
struct ipmitool_dummy_rq {
        struct {
                uint8_t netfn;
                uint8_t lun;
                uint8_t cmd;
                uint8_t target_cmd;
                uint16_t data_len;
                uint8_t *data;
        } msg;
};

struct ipmitool_dummy_rs {
        struct {
                uint8_t netfn;
                uint8_t cmd;
                uint8_t seq;
                uint8_t lun;
        } msg;
        uint8_t ccode;
        int data_len;
        uint8_t *data;
};

/*
 * A request header as ipmitool_dummyipmi_send_cmd() writes it: memset, the fields, and its own
 * data pointer, which the server must ignore. Returns the header length.
 */
static size_t ipmitool_rq(uint8_t *buf, uint8_t netfn, uint8_t lun, uint8_t cmd,
                          uint8_t target_cmd, uint16_t data_len) {
        struct ipmitool_dummy_rq rq;

        memset(&rq, 0, sizeof(rq));
        rq.msg.netfn = netfn;
        rq.msg.lun = lun;
        rq.msg.cmd = cmd;
        rq.msg.target_cmd = target_cmd;
        rq.msg.data_len = data_len;
        rq.msg.data = buf + sizeof(rq);
        memcpy(buf, &rq, sizeof(rq));
        return sizeof(rq);
}

/* A response header as a server built on ipmitool's own struct would send it. */
static size_t ipmitool_rs(uint8_t *buf, uint8_t netfn, uint8_t cmd, uint8_t seq, uint8_t lun,
                          uint8_t ccode, int data_len) {
        struct ipmitool_dummy_rs rs;

        memset(&rs, 0, sizeof(rs));
        rs.msg.netfn = netfn;
        rs.msg.cmd = cmd;
        rs.msg.seq = seq;
        rs.msg.lun = lun;
        rs.ccode = ccode;
        rs.data_len = data_len;
        memcpy(buf, &rs, sizeof(rs));
        return sizeof(rs);
}

/* A deterministic body that contains 0x00 and 0xFF among other values. */
static void fill_pattern(uint8_t *p, size_t n, unsigned seed) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (i * 37u + seed * 101u + (i % 5 == 0 ? 0 : 0x55));
        if (n > 1)
                p[1] = 0xFF;
        if (n > 2)
                p[2] = 0x00;
}

/* A heap copy of exactly len bytes: valgrind flags any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t len) {
        uint8_t *d = malloc(len > 0 ? len : 1);

        assert_non_null(d);
        if (len > 0)
                memcpy(d, p, len);
        return d;
}

/*
 * Parse a heap copy; unless it succeeds, *out must be as it was (SENTINEL). On success the data
 * must lie right after the header inside the copy. The copy is returned through *owned so
 * out->data stays valid until it is freed.
 */
static int parse_request_checked(const uint8_t *buf, size_t len, struct ipmi_dummy_request *out,
                                 uint8_t **owned) {
        struct ipmi_dummy_request pristine;
        uint8_t *copy = dup_exact(buf, len);
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = ipmi_dummy_parse_request(copy, len, out);
        assert_true(r == 0 || r == -EBADMSG || r > 0);
        if (r <= 0)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        else {
                assert_true((size_t) r <= len);
                assert_int_equal((size_t) r, ipmi_dummy_request_header_size() + out->data_len);
                assert_ptr_equal(out->data, copy + ipmi_dummy_request_header_size());
                assert_true(out->data_len <= IPMI_MAX_DATA_LEN);
        }
        if (owned)
                *owned = copy;
        else
                free(copy);
        return r;
}

static int parse_response_checked(const uint8_t *buf, size_t len, struct ipmi_dummy_response *out,
                                  uint8_t **owned) {
        struct ipmi_dummy_response pristine;
        uint8_t *copy = dup_exact(buf, len);
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = ipmi_dummy_parse_response(copy, len, out);
        assert_true(r == 0 || r == -EBADMSG || r > 0);
        if (r <= 0)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        else {
                assert_true((size_t) r <= len);
                assert_int_equal((size_t) r, ipmi_dummy_response_header_size() + out->data_len);
                assert_ptr_equal(out->data, copy + ipmi_dummy_response_header_size());
                assert_true(out->data_len <= IPMI_MAX_DATA_LEN);
        }
        if (owned)
                *owned = copy;
        else
                free(copy);
        return r;
}

static int rq_result(const uint8_t *buf, size_t len) {
        struct ipmi_dummy_request req;
        return parse_request_checked(buf, len, &req, NULL);
}

static int rs_result(const uint8_t *buf, size_t len) {
        struct ipmi_dummy_response rsp;
        return parse_response_checked(buf, len, &rsp, NULL);
}

/* --- layout ----------------------------------------------------------------------------- */

/* On any ABI the headers are exactly ipmitool's structs, as this compiler lays them out. */
static void test_header_sizes_match_ipmitool(void **state) {
        assert_int_equal(ipmi_dummy_request_header_size(), sizeof(struct ipmitool_dummy_rq));
        assert_int_equal(ipmi_dummy_response_header_size(), sizeof(struct ipmitool_dummy_rs));
}

/* Every field lands where ipmitool's struct has it, whatever the ABI. */
static void test_fields_at_ipmitool_offsets(void **state) {
        static const uint8_t data[3] = { 0x11, 0x22, 0x33 };
        const struct ipmi_dummy_request req = {
                .netfn = 0x2c, .lun = 2, .cmd = 0x5a, .target_cmd = 0x7e,
                .data = data, .data_len = sizeof(data),
        };
        const struct ipmi_dummy_response rsp = {
                .netfn = 0x2d, .cmd = 0x5a, .seq = 0x17, .lun = 2, .ccode = 0xc9,
                .data = data, .data_len = sizeof(data),
        };
        struct ipmitool_dummy_rq rq;
        struct ipmitool_dummy_rs rs;
        uint8_t buf[BUF_MAX];
        int r;

        r = ipmi_dummy_encode_request(&req, buf, sizeof(buf));
        assert_int_equal(r, sizeof(rq) + sizeof(data));
        memcpy(&rq, buf, sizeof(rq));
        assert_int_equal(rq.msg.netfn, 0x2c);
        assert_int_equal(rq.msg.lun, 2);
        assert_int_equal(rq.msg.cmd, 0x5a);
        assert_int_equal(rq.msg.target_cmd, 0x7e);
        assert_int_equal(rq.msg.data_len, sizeof(data));
        assert_null(rq.msg.data);
        assert_memory_equal(buf + sizeof(rq), data, sizeof(data));

        r = ipmi_dummy_encode_response(&rsp, buf, sizeof(buf));
        assert_int_equal(r, sizeof(rs) + sizeof(data));
        memcpy(&rs, buf, sizeof(rs));
        assert_int_equal(rs.msg.netfn, 0x2d);
        assert_int_equal(rs.msg.cmd, 0x5a);
        assert_int_equal(rs.msg.seq, 0x17);
        assert_int_equal(rs.msg.lun, 2);
        assert_int_equal(rs.ccode, 0xc9);
        assert_int_equal(rs.data_len, sizeof(data));
        assert_null(rs.data);
        assert_memory_equal(buf + sizeof(rs), data, sizeof(data));
}

/* And the other way: what ipmitool's struct holds is what the parsers report. */
static void test_parse_ipmitool_structs(void **state) {
        struct ipmi_dummy_request req;
        struct ipmi_dummy_response rsp;
        uint8_t buf[BUF_MAX], *owned;
        size_t n;

        n = ipmitool_rq(buf, 0x0a, 3, 0x11, 0x42, 4);
        memcpy(buf + n, "\x01\x02\x03\x04", 4);
        assert_int_equal(parse_request_checked(buf, n + 4, &req, &owned), n + 4);
        assert_int_equal(req.netfn, 0x0a);
        assert_int_equal(req.lun, 3);
        assert_int_equal(req.cmd, 0x11);
        assert_int_equal(req.target_cmd, 0x42);
        assert_int_equal(req.data_len, 4);
        assert_memory_equal(req.data, "\x01\x02\x03\x04", 4);
        assert_false(req.bye);
        free(owned);

        n = ipmitool_rs(buf, 0x0b, 0x11, 0x21, 3, 0x81, 2);
        memcpy(buf + n, "\xfe\xed", 2);
        assert_int_equal(parse_response_checked(buf, n + 2, &rsp, &owned), n + 2);
        assert_int_equal(rsp.netfn, 0x0b);
        assert_int_equal(rsp.cmd, 0x11);
        assert_int_equal(rsp.seq, 0x21);
        assert_int_equal(rsp.lun, 3);
        assert_int_equal(rsp.ccode, 0x81);
        assert_int_equal(rsp.data_len, 2);
        assert_memory_equal(rsp.data, "\xfe\xed", 2);
        free(owned);
}

/*
 * Where ipmitool's compiler puts each field, from the C psABI rule alone (a member starts at the
 * next multiple of its alignment; a struct's size is rounded up to its largest alignment) and
 * the running ABI's int and pointer: not from the mirror structs, so the two checks are
 * independent, and not from x86-64 numbers, so the test means the same on armhf or s390x.
 */
#define ALIGN_UP(n, a) (((n) + (a) - 1) / (a) * (a))
#define MAX(a, b)      ((a) > (b) ? (a) : (b))

struct dummy_layout {
        size_t rq_data_len, rq_data, rq_size;
        size_t rs_ccode, rs_data_len, rs_data, rs_size;
};

static struct dummy_layout layout_from_abi(void) {
        const size_t ptr_align = _Alignof(uint8_t *), int_align = _Alignof(int);
        struct dummy_layout l;

        /* dummy_rq: one struct msg { 4 x uint8_t; uint16_t data_len; uint8_t *data; } */
        l.rq_data_len = ALIGN_UP(4, _Alignof(uint16_t));
        l.rq_data = ALIGN_UP(l.rq_data_len + sizeof(uint16_t), ptr_align);
        l.rq_size = ALIGN_UP(l.rq_data + sizeof(uint8_t *), MAX(_Alignof(uint16_t), ptr_align));
        /* dummy_rs: struct { 4 x uint8_t } msg; uint8_t ccode; int data_len; uint8_t *data; */
        l.rs_ccode = 4;
        l.rs_data_len = ALIGN_UP(l.rs_ccode + 1, int_align);
        l.rs_data = ALIGN_UP(l.rs_data_len + sizeof(int), ptr_align);
        l.rs_size = ALIGN_UP(l.rs_data + sizeof(uint8_t *), MAX(int_align, ptr_align));
        return l;
}

/* The codec, ipmitool's structs as this compiler lays them out and the psABI rule agree. */
static void test_layout_from_abi(void **state) {
        const struct dummy_layout l = layout_from_abi();

        assert_int_equal(offsetof(struct ipmitool_dummy_rq, msg.data_len), l.rq_data_len);
        assert_int_equal(offsetof(struct ipmitool_dummy_rq, msg.data), l.rq_data);
        assert_int_equal(sizeof(struct ipmitool_dummy_rq), l.rq_size);
        assert_int_equal(offsetof(struct ipmitool_dummy_rs, ccode), l.rs_ccode);
        assert_int_equal(offsetof(struct ipmitool_dummy_rs, data_len), l.rs_data_len);
        assert_int_equal(offsetof(struct ipmitool_dummy_rs, data), l.rs_data);
        assert_int_equal(sizeof(struct ipmitool_dummy_rs), l.rs_size);
        assert_int_equal(ipmi_dummy_request_header_size(), l.rq_size);
        assert_int_equal(ipmi_dummy_response_header_size(), l.rs_size);
}

/*
 * The bytes themselves, pinned per ABI family (natural alignment): ipmitool -I dummy raw 0x06
 * 0x01 as sent, with a stray pointer, and the Get Device ID response. LP64 is x86-64 and arm64
 * (16/24-byte headers), ILP32 is armhf and i386 (12/16); the int data_len = 15 is 0f 00 00 00
 * little-endian and 00 00 00 0f big-endian (s390x, powerpc).
 */
static const uint8_t devid[15] = {
        0x20, 0x81, 0x01, 0x05, 0x51, 0xbf, 0x5a, 0x31, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define INT_15 0x0f, 0x00, 0x00, 0x00
#else
#define INT_15 0x00, 0x00, 0x00, 0x0f
#endif
#define DEVID_BYTES 0x20, 0x81, 0x01, 0x05, 0x51, 0xbf, 0x5a, 0x31, 0x00, 0x01, 0x00, \
                    0x00, 0x00, 0x00, 0x00

static const uint8_t lp64_rq[16] = {
        0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0xde, 0xad,         /* ..., data_len 0, padding */
        0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,         /* data pointer */
};
static const uint8_t lp64_rsp[24 + 15] = {
        0x07, 0x01, 0x00, 0x00,                                 /* netfn cmd seq lun */
        0x00, 0x00, 0x00, 0x00,                                 /* ccode, 3 bytes padding */
        INT_15,                                                 /* int data_len = 15 */
        0x00, 0x00, 0x00, 0x00,                                 /* padding */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,         /* data pointer */
        DEVID_BYTES,
};
static const uint8_t ilp32_rq[12] = {
        0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0xde, 0xad,         /* ..., data_len 0, padding */
        0x10, 0x32, 0x54, 0x76,                                 /* data pointer */
};
static const uint8_t ilp32_rsp[16 + 15] = {
        0x07, 0x01, 0x00, 0x00,                                 /* netfn cmd seq lun */
        0x00, 0x00, 0x00, 0x00,                                 /* ccode, 3 bytes padding */
        INT_15,                                                 /* int data_len = 15 */
        0x00, 0x00, 0x00, 0x00,                                 /* data pointer */
        DEVID_BYTES,
};

static void test_pinned_bytes(void **state) {
        const struct ipmi_dummy_request want_req = { .netfn = 0x06, .cmd = 0x01 };
        const struct ipmi_dummy_response want_rsp = {
                .netfn = 0x07, .cmd = 0x01, .ccode = 0x00, .data = devid, .data_len = 15,
        };
        const uint8_t *rq_image, *rsp_image;
        size_t rq_len, rsp_len;
        struct ipmi_dummy_request req;
        struct ipmi_dummy_response rsp;
        uint8_t buf[BUF_MAX], zeroed[16] = { 0x06, 0x00, 0x01 }, *owned;

        if (_Alignof(int) != 4 || sizeof(int) != 4 || _Alignof(uint8_t *) != sizeof(uint8_t *))
                skip();         /* an ABI without natural alignment: test_layout_from_abi only */
        if (sizeof(uint8_t *) == 8) {
                rq_image = lp64_rq, rq_len = sizeof(lp64_rq);
                rsp_image = lp64_rsp, rsp_len = sizeof(lp64_rsp);
        } else {
                assert_int_equal(sizeof(uint8_t *), 4);
                rq_image = ilp32_rq, rq_len = sizeof(ilp32_rq);
                rsp_image = ilp32_rsp, rsp_len = sizeof(ilp32_rsp);
        }

        assert_int_equal(parse_request_checked(rq_image, rq_len, &req, &owned), rq_len);
        assert_int_equal(req.netfn, 0x06);
        assert_int_equal(req.lun, 0);
        assert_int_equal(req.cmd, 0x01);
        assert_int_equal(req.target_cmd, 0);
        assert_int_equal(req.data_len, 0);
        assert_false(req.bye);
        free(owned);

        /* Padding and the pointer go out as zeros. */
        assert_int_equal(ipmi_dummy_encode_request(&want_req, buf, sizeof(buf)), rq_len);
        assert_memory_equal(buf, zeroed, rq_len);

        assert_int_equal(ipmi_dummy_encode_response(&want_rsp, buf, sizeof(buf)), rsp_len);
        assert_memory_equal(buf, rsp_image, rsp_len);

        assert_int_equal(parse_response_checked(rsp_image, rsp_len, &rsp, &owned), rsp_len);
        assert_int_equal(rsp.netfn, 0x07);
        assert_int_equal(rsp.cmd, 0x01);
        assert_int_equal(rsp.ccode, 0x00);
        assert_int_equal(rsp.data_len, 15);
        assert_memory_equal(rsp.data, devid, 15);
        free(owned);
}

/* --- request parsing -------------------------------------------------------------------- */

/* A stream delivers requests in pieces: every proper prefix asks for more, never errs. */
static void test_parse_request_every_prefix(void **state) {
        static const size_t lens[] = { 0, 1, 2, 16, IPMI_MAX_DATA_LEN };

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                uint8_t buf[BUF_MAX] = { 0 };
                size_t n = ipmitool_rq(buf, 0x06, 1, 0x52, 0, (uint16_t) lens[i]);

                fill_pattern(buf + n, lens[i], (unsigned) i);
                n += lens[i];
                for (size_t len = 0; len < n; len++)
                        if (rq_result(buf, len) != 0)
                                fail_msg("data_len %zu, prefix %zu: not 0", lens[i], len);
                assert_int_equal(rq_result(buf, n), n);
                /* Trailing bytes belong to the next request, not this one. */
                assert_int_equal(rq_result(buf, n + 1), n);
        }
}

static void test_parse_request_back_to_back(void **state) {
        struct ipmi_dummy_request req;
        uint8_t buf[BUF_MAX], *owned;
        size_t n = 0, first, second, total;
        int r;

        n += ipmitool_rq(buf + n, 0x06, 0, 0x01, 0, 0);
        first = n;
        n += ipmitool_rq(buf + n, 0x0a, 0, 0x11, 0, 4);
        memcpy(buf + n, "\x00\x00\x00\x10", 4);
        n += 4;
        second = n - first;
        n += ipmitool_rq(buf + n, IPMI_DUMMY_BYE_NETFN, 0, IPMI_DUMMY_BYE_CMD, 0, 0);
        total = n;

        r = parse_request_checked(buf, total, &req, &owned);
        assert_int_equal(r, first);
        assert_int_equal(req.netfn, 0x06);
        assert_int_equal(req.cmd, 0x01);
        assert_int_equal(req.data_len, 0);
        free(owned);

        r = parse_request_checked(buf + first, total - first, &req, &owned);
        assert_int_equal(r, second);
        assert_int_equal(req.netfn, 0x0a);
        assert_int_equal(req.cmd, 0x11);
        assert_int_equal(req.data_len, 4);
        assert_memory_equal(req.data, "\x00\x00\x00\x10", 4);
        assert_false(req.bye);
        free(owned);

        r = parse_request_checked(buf + first + second, total - first - second, &req, &owned);
        assert_int_equal(r, ipmi_dummy_request_header_size());
        assert_true(req.bye);
        free(owned);

        /* The second request cut short in the middle of its data: wait for the rest. */
        assert_int_equal(rq_result(buf + first, second - 1), 0);
}

static void test_parse_request_data_len_limits(void **state) {
        static const uint16_t bad[] = { IPMI_MAX_DATA_LEN + 1, 0x1000, 0x8000, UINT16_MAX };
        struct ipmi_dummy_request req;
        uint8_t buf[BUF_MAX], *owned;
        size_t h = ipmi_dummy_request_header_size();

        ipmitool_rq(buf, 0x06, 0, 0x52, 0, IPMI_MAX_DATA_LEN);
        fill_pattern(buf + h, IPMI_MAX_DATA_LEN, 7);
        assert_int_equal(parse_request_checked(buf, h + IPMI_MAX_DATA_LEN, &req, &owned),
                         h + IPMI_MAX_DATA_LEN);
        assert_int_equal(req.data_len, IPMI_MAX_DATA_LEN);
        free(owned);

        /* Too long can never become valid: refused as soon as the header is whole. */
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ipmitool_rq(buf, 0x06, 0, 0x52, 0, bad[i]);
                memset(buf + h, 0, BUF_MAX - h);
                assert_int_equal(rq_result(buf, h - 1), 0);
                assert_int_equal(rq_result(buf, h), -EBADMSG);
                assert_int_equal(rq_result(buf, BUF_MAX), -EBADMSG);
        }
}

static void test_parse_request_bad_header_fields(void **state) {
        static const struct {
                const char *name;
                uint8_t netfn, lun, cmd;
                uint16_t data_len;
                int want;
        } cases[] = {
                { "netfn 0x3f",         0x3f, 0, 0x01, 0, 1 },
                { "netfn 0x40",         0x40, 0, 0x01, 0, -EBADMSG },
                { "netfn 0x80",         0x80, 0, 0x01, 0, -EBADMSG },
                { "netfn 0xff",         0xff, 0, 0x01, 0, -EBADMSG },
                { "lun 3",              0x06, 3, 0x01, 0, 1 },
                { "lun 4",              0x06, 4, 0x01, 0, -EBADMSG },
                { "lun 0xff",           0x06, 0xff, 0x01, 0, -EBADMSG },
                { "bye with data",      0x3f, 0, 0xff, 1, -EBADMSG },
                { "bye with 255",       0x3f, 0, 0xff, 255, -EBADMSG },
                { "0x3f/0xfe with data", 0x3f, 0, 0xfe, 1, 1 },
                { "0x3e/0xff with data", 0x3e, 0, 0xff, 1, 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t buf[BUF_MAX] = { 0 };
                size_t n = ipmitool_rq(buf, cases[i].netfn, cases[i].lun, cases[i].cmd, 0,
                                       cases[i].data_len) + cases[i].data_len;
                int r = rq_result(buf, n);

                if (cases[i].want > 0 ? r != (int) n : r != cases[i].want)
                        fail_msg("%s: got %d", cases[i].name, r);
        }
}

static void test_parse_request_bye(void **state) {
        struct ipmi_dummy_request req;
        struct ipmitool_dummy_rq rq;
        uint8_t buf[BUF_MAX], *owned;

        /* Exactly ipmi_dummyipmi_close(): memset, netfn, cmd, and the struct is written. */
        memset(&rq, 0, sizeof(rq));
        rq.msg.netfn = 0x3f;
        rq.msg.cmd = 0xff;
        memcpy(buf, &rq, sizeof(rq));
        assert_int_equal(parse_request_checked(buf, sizeof(rq), &req, &owned), sizeof(rq));
        assert_true(req.bye);
        assert_int_equal(req.netfn, IPMI_DUMMY_BYE_NETFN);
        assert_int_equal(req.cmd, IPMI_DUMMY_BYE_CMD);
        assert_int_equal(req.data_len, 0);
        free(owned);

        /* Either half alone is an ordinary request. */
        ipmitool_rq(buf, 0x3f, 0, 0xfe, 0, 0);
        assert_int_equal(parse_request_checked(buf, sizeof(rq), &req, &owned), sizeof(rq));
        assert_false(req.bye);
        free(owned);
        ipmitool_rq(buf, 0x3e, 0, 0xff, 0, 0);
        assert_int_equal(parse_request_checked(buf, sizeof(rq), &req, &owned), sizeof(rq));
        assert_false(req.bye);
        free(owned);
}

static void test_parse_garbage(void **state) {
        struct ipmi_dummy_request req;
        uint8_t buf[BUF_MAX], *owned;
        size_t hq = ipmi_dummy_request_header_size(), hs = ipmi_dummy_response_header_size();

        memset(buf, 0xff, sizeof(buf));
        assert_int_equal(rq_result(buf, hq), -EBADMSG);
        assert_int_equal(rq_result(buf, sizeof(buf)), -EBADMSG);
        /* All-ones data_len is -1 as an int. */
        assert_int_equal(rs_result(buf, hs), -EBADMSG);
        assert_int_equal(rs_result(buf, sizeof(buf)), -EBADMSG);

        /* All zero is a well-formed request: Get Chassis Capabilities, nothing odd about it. */
        memset(buf, 0, sizeof(buf));
        assert_int_equal(parse_request_checked(buf, sizeof(buf), &req, &owned), hq);
        assert_int_equal(req.netfn, 0);
        assert_int_equal(req.cmd, 0);
        assert_false(req.bye);
        free(owned);
        assert_int_equal(rs_result(buf, sizeof(buf)), hs);
}

/* --- response parsing ------------------------------------------------------------------- */

static void test_parse_response_stream(void **state) {
        struct ipmi_dummy_response rsp;
        uint8_t buf[BUF_MAX], *owned;
        size_t n = 0, first;

        n += ipmitool_rs(buf, 0x07, 0x01, 0, 0, 0x00, 15);
        fill_pattern(buf + n, 15, 1);
        n += 15;
        first = n;
        n += ipmitool_rs(buf + n, 0x07, 0x04, 0, 0, 0xc1, 0);

        for (size_t len = 0; len < first; len++)
                if (rs_result(buf, len) != 0)
                        fail_msg("prefix %zu: not 0", len);

        assert_int_equal(parse_response_checked(buf, n, &rsp, &owned), first);
        assert_int_equal(rsp.cmd, 0x01);
        assert_int_equal(rsp.data_len, 15);
        free(owned);
        assert_int_equal(parse_response_checked(buf + first, n - first, &rsp, &owned),
                         n - first);
        assert_int_equal(rsp.cmd, 0x04);
        assert_int_equal(rsp.ccode, 0xc1);
        assert_int_equal(rsp.data_len, 0);
        free(owned);
}

static void test_parse_response_data_len_limits(void **state) {
        static const int bad[] = { -1, -255, INT_MIN, IPMI_MAX_DATA_LEN + 1, 1024, INT_MAX };
        uint8_t buf[BUF_MAX] = { 0 };
        size_t h = ipmi_dummy_response_header_size();

        ipmitool_rs(buf, 0x07, 0x01, 0, 0, 0, IPMI_MAX_DATA_LEN);
        assert_int_equal(rs_result(buf, h + IPMI_MAX_DATA_LEN - 1), 0);
        assert_int_equal(rs_result(buf, h + IPMI_MAX_DATA_LEN), h + IPMI_MAX_DATA_LEN);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ipmitool_rs(buf, 0x07, 0x01, 0, 0, 0, bad[i]);
                assert_int_equal(rs_result(buf, h - 1), 0);
                assert_int_equal(rs_result(buf, h), -EBADMSG);
                assert_int_equal(rs_result(buf, sizeof(buf)), -EBADMSG);
        }
}

/* --- encoding --------------------------------------------------------------------------- */

static void test_request_round_trip(void **state) {
        static const uint8_t netfns[] = { 0x00, 0x06, 0x0a, 0x2c, 0x3e, 0x3f };
        static const size_t lens[] = { 0, 1, 2, 15, 64, IPMI_MAX_DATA_LEN };
        uint8_t data[IPMI_MAX_DATA_LEN];

        for (size_t i = 0; i < ELEMENTSOF(netfns); i++)
                for (uint8_t lun = 0; lun <= 3; lun++)
                        for (size_t j = 0; j < ELEMENTSOF(lens); j++) {
                                const struct ipmi_dummy_request in = {
                                        .netfn = netfns[i], .lun = lun,
                                        .cmd = (uint8_t) (0x11 * j), .target_cmd = (uint8_t) i,
                                        .data = lens[j] > 0 ? data : NULL,
                                        .data_len = lens[j],
                                };
                                struct ipmi_dummy_request out;
                                uint8_t buf[BUF_MAX], *owned;
                                int n;

                                fill_pattern(data, lens[j], (unsigned) (i + j));
                                n = ipmi_dummy_encode_request(&in, buf, sizeof(buf));
                                assert_int_equal(n, ipmi_dummy_request_header_size() + lens[j]);
                                assert_int_equal(parse_request_checked(buf, (size_t) n, &out,
                                                                       &owned), n);
                                assert_int_equal(out.netfn, in.netfn);
                                assert_int_equal(out.lun, in.lun);
                                assert_int_equal(out.cmd, in.cmd);
                                assert_int_equal(out.target_cmd, in.target_cmd);
                                assert_int_equal(out.data_len, in.data_len);
                                if (lens[j] > 0)
                                        assert_memory_equal(out.data, data, lens[j]);
                                assert_false(out.bye);
                                free(owned);
                        }
}

static void test_response_round_trip(void **state) {
        uint8_t data[IPMI_MAX_DATA_LEN];

        for (size_t len = 0; len <= IPMI_MAX_DATA_LEN; len++) {
                const struct ipmi_dummy_response in = {
                        .netfn = (uint8_t) (len & 0x3f) | 1, .cmd = (uint8_t) len,
                        .seq = (uint8_t) (len * 3), .lun = (uint8_t) (len & 3),
                        .ccode = (uint8_t) (0xff - len),
                        .data = len > 0 ? data : NULL, .data_len = len,
                };
                struct ipmi_dummy_response out;
                uint8_t buf[BUF_MAX], *owned;
                int n;

                fill_pattern(data, len, (unsigned) len);
                n = ipmi_dummy_encode_response(&in, buf, sizeof(buf));
                assert_int_equal(n, ipmi_dummy_response_header_size() + len);
                assert_int_equal(parse_response_checked(buf, (size_t) n, &out, &owned), n);
                assert_int_equal(out.netfn, in.netfn);
                assert_int_equal(out.cmd, in.cmd);
                assert_int_equal(out.seq, in.seq);
                assert_int_equal(out.lun, in.lun);
                assert_int_equal(out.ccode, in.ccode);
                assert_int_equal(out.data_len, len);
                if (len > 0)
                        assert_memory_equal(out.data, data, len);
                free(owned);
        }
}

/* A client closing says BYE; ipmitool's own BYE and ours are the same bytes. */
static void test_encode_bye(void **state) {
        const struct ipmi_dummy_request bye = { .bye = true };
        const struct ipmi_dummy_request by_fields = { .netfn = 0x3f, .cmd = 0xff };
        struct ipmitool_dummy_rq rq;
        struct ipmi_dummy_request out;
        uint8_t buf[BUF_MAX], *owned;

        memset(&rq, 0, sizeof(rq));
        rq.msg.netfn = 0x3f;
        rq.msg.cmd = 0xff;

        assert_int_equal(ipmi_dummy_encode_request(&bye, buf, sizeof(buf)), sizeof(rq));
        assert_memory_equal(buf, &rq, sizeof(rq));
        assert_int_equal(parse_request_checked(buf, sizeof(rq), &out, &owned), sizeof(rq));
        assert_true(out.bye);
        free(owned);

        assert_int_equal(ipmi_dummy_encode_request(&by_fields, buf, sizeof(buf)), sizeof(rq));
        assert_memory_equal(buf, &rq, sizeof(rq));
}

static void test_encode_request_invalid(void **state) {
        static const uint8_t data[IPMI_MAX_DATA_LEN + 1];
        static const struct {
                const char *name;
                struct ipmi_dummy_request req;
        } cases[] = {
                { "netfn 0x40", { .netfn = 0x40, .cmd = 1 } },
                { "netfn 0xff", { .netfn = 0xff, .cmd = 1 } },
                { "lun 4", { .netfn = 0x06, .lun = 4, .cmd = 1 } },
                { "data_len 256", { .netfn = 0x06, .cmd = 1, .data = data, .data_len = 256 } },
                { "data_len SIZE_MAX", { .netfn = 0x06, .data = data, .data_len = SIZE_MAX } },
                { "bye with data", { .bye = true, .data = data, .data_len = 1 } },
                { "0x3f/0xff with data", { .netfn = 0x3f, .cmd = 0xff, .data = data, .data_len = 1 } },
                { "NULL data", { .netfn = 0x06, .cmd = 1, .data_len = 1 } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t buf[BUF_MAX], pristine[BUF_MAX];
                int r;

                memset(buf, SENTINEL, sizeof(buf));
                memset(pristine, SENTINEL, sizeof(pristine));
                r = ipmi_dummy_encode_request(&cases[i].req, buf, sizeof(buf));
                if (r != -EINVAL)
                        fail_msg("%s: got %d", cases[i].name, r);
                assert_memory_equal(buf, pristine, sizeof(buf));
        }
}

static void test_encode_size_limits(void **state) {
        uint8_t data[IPMI_MAX_DATA_LEN + 1] = { 0 };
        size_t hq = ipmi_dummy_request_header_size(), hs = ipmi_dummy_response_header_size();
        struct ipmi_dummy_request req = { .netfn = 0x06, .cmd = 0x52, .data = data };
        struct ipmi_dummy_response rsp = { .netfn = 0x07, .cmd = 0x52, .data = data };
        uint8_t buf[BUF_MAX], pristine[BUF_MAX];

        memset(pristine, SENTINEL, sizeof(pristine));
        for (size_t len = 0; len <= IPMI_MAX_DATA_LEN; len += len < 4 ? 1 : 63) {
                req.data_len = rsp.data_len = len;
                /* Every size short of the message: refused, buffer untouched. */
                for (size_t size = 0; size < hq + len; size++) {
                        memset(buf, SENTINEL, sizeof(buf));
                        assert_int_equal(ipmi_dummy_encode_request(&req, buf, size), -EMSGSIZE);
                        assert_memory_equal(buf, pristine, sizeof(buf));
                }
                for (size_t size = 0; size < hs + len; size++) {
                        memset(buf, SENTINEL, sizeof(buf));
                        assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, size), -EMSGSIZE);
                        assert_memory_equal(buf, pristine, sizeof(buf));
                }
                /* Exactly enough: fits, and writes nothing beyond. */
                memset(buf, SENTINEL, sizeof(buf));
                assert_int_equal(ipmi_dummy_encode_request(&req, buf, hq + len), hq + len);
                assert_memory_equal(buf + hq + len, pristine, sizeof(buf) - hq - len);
                memset(buf, SENTINEL, sizeof(buf));
                assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, hs + len), hs + len);
                assert_memory_equal(buf + hs + len, pristine, sizeof(buf) - hs - len);
        }

        /* More data than any message holds is "too big", however large the buffer. */
        rsp.data_len = IPMI_MAX_DATA_LEN + 1;
        assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, sizeof(buf)), -EMSGSIZE);
        rsp.data_len = SIZE_MAX;
        assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, sizeof(buf)), -EMSGSIZE);

        /* A programming error rather than a size problem. */
        rsp.data = NULL;
        rsp.data_len = 1;
        assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, sizeof(buf)), -EINVAL);
        rsp.data_len = 0;
        assert_int_equal(ipmi_dummy_encode_response(&rsp, buf, sizeof(buf)), hs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_sizes_match_ipmitool),
                cmocka_unit_test(test_fields_at_ipmitool_offsets),
                cmocka_unit_test(test_parse_ipmitool_structs),
                cmocka_unit_test(test_layout_from_abi),
                cmocka_unit_test(test_pinned_bytes),
                cmocka_unit_test(test_parse_request_every_prefix),
                cmocka_unit_test(test_parse_request_back_to_back),
                cmocka_unit_test(test_parse_request_data_len_limits),
                cmocka_unit_test(test_parse_request_bad_header_fields),
                cmocka_unit_test(test_parse_request_bye),
                cmocka_unit_test(test_parse_garbage),
                cmocka_unit_test(test_parse_response_stream),
                cmocka_unit_test(test_parse_response_data_len_limits),
                cmocka_unit_test(test_request_round_trip),
                cmocka_unit_test(test_response_round_trip),
                cmocka_unit_test(test_encode_bye),
                cmocka_unit_test(test_encode_request_invalid),
                cmocka_unit_test(test_encode_size_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
