/* SPDX-License-Identifier: MIT */
/*
 * The IPMB frame codec against hostile input. Frames are built here byte by byte with a
 * reference checksum (not the codec's), decoded from heap buffers of exactly their length (so
 * valgrind sees any read past the end), and every rejection must name its exact reason and
 * leave the output untouched.
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

#include "protocol/ipmb-frame.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define OWN_SA          0x72    /* us, as the satellite controller */
#define BMC_SA          0x20    /* the BMC, the usual requester */
#define OTHER_SA        0x74
#define SENTINEL        0xA5
#define FRAME_BUF_MAX   256     /* room for any frame these tests build, and more */

static const size_t max_lens[] = { IPMB_DEFAULT_MAX_MSG_LEN, IPMB_KERNEL_MAX_MSG_LEN };

/* Independent of ipmb_checksum(), so a wrong codec checksum cannot agree with itself. */
static uint8_t ref_checksum(const uint8_t *p, size_t n) {
        unsigned sum = 0;

        for (size_t i = 0; i < n; i++)
                sum += p[i];
        return (uint8_t) ((256 - sum % 256) % 256);
}

/*
 * Lay out dest netFn/LUN chk1 src seq/LUN cmd body... chk2 with correct checksums. body is a
 * request's data or a response's cc + data. Returns the frame length.
 */
static size_t build_frame(uint8_t *buf, uint8_t dest, uint8_t netfn_lun, uint8_t src,
                          uint8_t seq_lun, uint8_t cmd, const uint8_t *body, size_t body_len) {
        size_t n = 0;

        assert_true(IPMB_REQUEST_MIN_LEN + body_len <= FRAME_BUF_MAX);
        buf[n++] = dest;
        buf[n++] = netfn_lun;
        buf[n] = ref_checksum(buf, 2);
        n++;
        buf[n++] = src;
        buf[n++] = seq_lun;
        buf[n++] = cmd;
        if (body_len > 0)
                memcpy(buf + n, body, body_len);
        n += body_len;
        buf[n] = ref_checksum(buf + 3, n - 3);
        return n + 1;
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

/* A valid request (Get Device ID shaped, to OWN_SA) whose whole frame is len bytes. */
static size_t build_request_of_len(uint8_t *buf, size_t len, uint8_t dest) {
        uint8_t body[FRAME_BUF_MAX];

        assert_true(len >= IPMB_REQUEST_MIN_LEN);
        fill_pattern(body, len - IPMB_REQUEST_MIN_LEN, (unsigned) len);
        return build_frame(buf, dest, 0x06 << 2, BMC_SA, 1 << 2, 0x01, body,
                           len - IPMB_REQUEST_MIN_LEN);
}

/* A valid response (cc 0, to OWN_SA as requester) whose whole frame is len bytes. */
static size_t build_response_of_len(uint8_t *buf, size_t len, uint8_t dest) {
        uint8_t body[FRAME_BUF_MAX];

        assert_true(len >= IPMB_RESPONSE_MIN_LEN);
        fill_pattern(body, len - IPMB_REQUEST_MIN_LEN, (unsigned) len);
        body[0] = 0x00;
        return build_frame(buf, dest, 0x07 << 2, BMC_SA, 1 << 2, 0x01, body,
                           len - IPMB_REQUEST_MIN_LEN);
}

/* A heap copy of exactly len bytes: valgrind flags any read past the end of the frame. */
static uint8_t *dup_exact(const uint8_t *p, size_t len) {
        uint8_t *d = malloc(len > 0 ? len : 1);

        assert_non_null(d);
        if (len > 0)
                memcpy(d, p, len);
        return d;
}

static void assert_reason_valid(int r) {
        assert_true(r >= 0);
        assert_true(r < _IPMB_REJECT_MAX);
}

/*
 * Decode a heap copy; on rejection check *out was not written (it was filled with SENTINEL).
 * The copy is returned through *owned so a decoded out->data stays valid until it is freed.
 */
static int decode_request_checked(const uint8_t *frame, size_t len, uint8_t own, size_t max,
                                  struct ipmb_request *out, uint8_t **owned) {
        struct ipmb_request pristine;
        uint8_t *copy = dup_exact(frame, len);
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = ipmb_decode_request(copy, len, own, max, out);
        assert_reason_valid(r);
        if (r != IPMB_OK)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        else {
                /* data lies inside the frame, and ends just before chk2 */
                assert_ptr_equal(out->data + out->data_len, copy + len - 1);
        }
        if (owned)
                *owned = copy;
        else
                free(copy);
        return r;
}

static int decode_response_checked(const uint8_t *frame, size_t len, uint8_t own, size_t max,
                                   struct ipmb_response *out, uint8_t **owned) {
        struct ipmb_response pristine;
        uint8_t *copy = dup_exact(frame, len);
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = ipmb_decode_response(copy, len, own, max, out);
        assert_reason_valid(r);
        if (r != IPMB_OK)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        else
                assert_ptr_equal(out->data + out->data_len, copy + len - 1);
        if (owned)
                *owned = copy;
        else
                free(copy);
        return r;
}

static int req_reason(const uint8_t *frame, size_t len, uint8_t own, size_t max) {
        struct ipmb_request req;
        return decode_request_checked(frame, len, own, max, &req, NULL);
}

static int rsp_reason(const uint8_t *frame, size_t len, uint8_t own, size_t max) {
        struct ipmb_response rsp;
        return decode_response_checked(frame, len, own, max, &rsp, NULL);
}

/* --- checksum --------------------------------------------------------------------------- */

static void test_checksum_vectors(void **state) {
        static const struct {
                const char *name;
                uint8_t bytes[24];
                size_t len;
                uint8_t want;
        } cases[] = {
                { "empty", { 0 }, 0, 0x00 },
                { "one zero", { 0x00 }, 1, 0x00 },
                { "one 0x01", { 0x01 }, 1, 0xFF },
                { "one 0xFF", { 0xFF }, 1, 0x01 },
                { "one 0x80", { 0x80 }, 1, 0x80 },
                { "wraps to zero", { 0x80, 0x80 }, 2, 0x00 },
                { "get device id chk1", { 0x72, 0x18 }, 2, 0x76 },
                { "get device id chk2", { 0x20, 0x04, 0x01 }, 3, 0xDB },
                { "response chk1", { 0x20, 0x1C }, 2, 0xC4 },
                { "response chk2",
                  { 0x72, 0x04, 0x01, 0x00, 0x23, 0x01, 0x01, 0x05, 0x02, 0x08, 0x15, 0xA0,
                    0x00, 0x91, 0x12, 0x00, 0x00, 0x00, 0x01 }, 19, 0xFC },
                { "many 0xFF", { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 8, 0x08 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t got = ipmb_checksum(cases[i].bytes, cases[i].len);
                if (got != cases[i].want)
                        fail_msg("%s: checksum 0x%02x, want 0x%02x", cases[i].name, got,
                                 cases[i].want);
        }
}

/* Whatever the bytes, the sum of the bytes and their checksum is zero modulo 256. */
static void test_checksum_sums_to_zero(void **state) {
        uint8_t buf[FRAME_BUF_MAX] = { 0 };

        for (size_t len = 0; len <= sizeof(buf); len++) {
                unsigned sum = 0;

                fill_pattern(buf, len, (unsigned) len);
                for (size_t i = 0; i < len; i++)
                        sum += buf[i];
                sum += ipmb_checksum(buf, len);
                assert_int_equal(sum % 256, 0);
                assert_int_equal(ipmb_checksum(buf, len), ref_checksum(buf, len));
        }
}

/*
 * The sum runs eight bytes at a time in 16-bit lanes: all-0xFF input is the largest a lane can
 * hold, past the 1,024-byte block after which the lanes must be folded, at every start
 * alignment and every tail length.
 */
static void test_checksum_long_and_unaligned(void **state) {
        static uint8_t buf[4096 + 8];

        memset(buf, 0xFF, sizeof(buf));
        for (size_t off = 0; off < 8; off++)
                for (size_t len = 0; len + off <= sizeof(buf); len += len < 64 ? 1 : 61)
                        assert_int_equal(ipmb_checksum(buf + off, len),
                                         ref_checksum(buf + off, len));
        fill_pattern(buf, sizeof(buf), 7);
        for (size_t off = 0; off < 8; off++)
                for (size_t len = 1000; len + off <= sizeof(buf); len += 13)
                        assert_int_equal(ipmb_checksum(buf + off, len),
                                         ref_checksum(buf + off, len));
}

/* --- known frames ----------------------------------------------------------------------- */

static void test_decode_get_device_id_request(void **state) {
        static const uint8_t frame[] = { 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };
        struct ipmb_request req;
        uint8_t *copy;

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                assert_int_equal(decode_request_checked(frame, sizeof(frame), OWN_SA, max_lens[m],
                                                        &req, &copy), IPMB_OK);
                assert_int_equal(req.rs_sa, 0x72);
                assert_int_equal(req.netfn, 0x06);
                assert_int_equal(req.rs_lun, 0);
                assert_int_equal(req.rq_sa, 0x20);
                assert_int_equal(req.seq, 1);
                assert_int_equal(req.rq_lun, 0);
                assert_int_equal(req.cmd, 0x01);
                assert_false(req.broadcast);
                assert_int_equal(req.data_len, 0);
                assert_ptr_equal(req.data, copy + 6);
                free(copy);
        }
}

static void test_decode_get_device_id_response(void **state) {
        static const uint8_t frame[] = {
                0x20, 0x1C, 0xC4, 0x72, 0x04, 0x01, 0x00, 0x23, 0x01, 0x01, 0x05, 0x02,
                0x08, 0x15, 0xA0, 0x00, 0x91, 0x12, 0x00, 0x00, 0x00, 0x01, 0xFC,
        };
        struct ipmb_response rsp;
        uint8_t *copy;

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                assert_int_equal(decode_response_checked(frame, sizeof(frame), BMC_SA,
                                                         max_lens[m], &rsp, &copy), IPMB_OK);
                assert_int_equal(rsp.rq_sa, 0x20);
                assert_int_equal(rsp.netfn, 0x07);
                assert_int_equal(rsp.rq_lun, 0);
                assert_int_equal(rsp.rs_sa, 0x72);
                assert_int_equal(rsp.seq, 1);
                assert_int_equal(rsp.rs_lun, 0);
                assert_int_equal(rsp.cmd, 0x01);
                assert_int_equal(rsp.cc, 0x00);
                assert_int_equal(rsp.data_len, 15);
                assert_ptr_equal(rsp.data, copy + 7);
                assert_memory_equal(rsp.data, frame + 7, 15);
                free(copy);
        }

        /* The same bytes are not a request (odd netFn) and not for the responder itself. */
        assert_int_equal(req_reason(frame, sizeof(frame), BMC_SA, 32), IPMB_REJECT_NOT_A_REQUEST);
        assert_int_equal(rsp_reason(frame, sizeof(frame), OWN_SA, 32), IPMB_REJECT_NOT_FOR_US);
}

/* --- every length ----------------------------------------------------------------------- */

static void test_decode_request_every_length(void **state) {
        uint8_t frame[FRAME_BUF_MAX];

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                size_t max = max_lens[m];

                for (size_t len = 0; len <= max + 1; len++) {
                        struct ipmb_request req;
                        uint8_t *copy;
                        int want, r;

                        /* Below the minimum: a valid 7-byte frame cut short. */
                        build_request_of_len(frame, len < IPMB_REQUEST_MIN_LEN ?
                                             IPMB_REQUEST_MIN_LEN : len, OWN_SA);
                        want = len < IPMB_REQUEST_MIN_LEN ? IPMB_REJECT_SHORT :
                               len > max ? IPMB_REJECT_LONG : IPMB_OK;

                        r = decode_request_checked(frame, len, OWN_SA, max, &req, &copy);
                        if (r != want)
                                fail_msg("max %zu len %zu: %s, want %s", max, len,
                                         ipmb_reject_to_string(r), ipmb_reject_to_string(want));
                        if (r == IPMB_OK) {
                                assert_int_equal(req.rs_sa, OWN_SA);
                                assert_int_equal(req.netfn, 0x06);
                                assert_int_equal(req.rq_sa, BMC_SA);
                                assert_int_equal(req.seq, 1);
                                assert_int_equal(req.cmd, 0x01);
                                assert_false(req.broadcast);
                                assert_int_equal(req.data_len, len - IPMB_REQUEST_MIN_LEN);
                                assert_ptr_equal(req.data, copy + 6);
                                assert_memory_equal(req.data, frame + 6, req.data_len);
                        }
                        free(copy);
                }

                /* Far beyond the limit, and the largest a length byte can claim. */
                build_request_of_len(frame, 255, OWN_SA);
                assert_int_equal(req_reason(frame, 255, OWN_SA, max), IPMB_REJECT_LONG);
        }
}

static void test_decode_response_every_length(void **state) {
        uint8_t frame[FRAME_BUF_MAX];

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                size_t max = max_lens[m];

                for (size_t len = 0; len <= max + 1; len++) {
                        struct ipmb_response rsp;
                        uint8_t *copy;
                        int want, r;

                        build_response_of_len(frame, len < IPMB_RESPONSE_MIN_LEN ?
                                              IPMB_RESPONSE_MIN_LEN : len, OWN_SA);
                        want = len < IPMB_RESPONSE_MIN_LEN ? IPMB_REJECT_SHORT :
                               len > max ? IPMB_REJECT_LONG : IPMB_OK;

                        r = decode_response_checked(frame, len, OWN_SA, max, &rsp, &copy);
                        if (r != want)
                                fail_msg("max %zu len %zu: %s, want %s", max, len,
                                         ipmb_reject_to_string(r), ipmb_reject_to_string(want));
                        if (r == IPMB_OK) {
                                assert_int_equal(rsp.rq_sa, OWN_SA);
                                assert_int_equal(rsp.netfn, 0x07);
                                assert_int_equal(rsp.rs_sa, BMC_SA);
                                assert_int_equal(rsp.cc, 0x00);
                                assert_int_equal(rsp.data_len, len - IPMB_RESPONSE_MIN_LEN);
                                assert_ptr_equal(rsp.data, copy + 7);
                                assert_memory_equal(rsp.data, frame + 7, rsp.data_len);
                        }
                        free(copy);
                }
        }
}

/* At the smallest legal limit a request of 7 bytes fits and no response ever does. */
static void test_decode_min_max_msg_len(void **state) {
        uint8_t frame[FRAME_BUF_MAX];
        size_t n;

        n = build_request_of_len(frame, 7, OWN_SA);
        assert_int_equal(req_reason(frame, n, OWN_SA, 7), IPMB_OK);
        n = build_request_of_len(frame, 8, OWN_SA);
        assert_int_equal(req_reason(frame, n, OWN_SA, 7), IPMB_REJECT_LONG);
        n = build_response_of_len(frame, 8, OWN_SA);
        assert_int_equal(rsp_reason(frame, n, OWN_SA, 7), IPMB_REJECT_LONG);
        assert_int_equal(rsp_reason(frame, n, OWN_SA, 8), IPMB_OK);
}

/* --- checksums and corruption ----------------------------------------------------------- */

/*
 * Any change to one byte changes a modulo-256 sum, so it must be caught, and by the right
 * checksum: chk1 covers bytes 0..2, chk2 covers 3..end.
 */
static void test_decode_every_single_byte_corruption(void **state) {
        static const size_t req_lens[] = { 7, 8, 16, 31, 32 };
        static const size_t rsp_lens[] = { 8, 9, 23, 32 };
        uint8_t frame[FRAME_BUF_MAX], bad[FRAME_BUF_MAX];

        for (size_t k = 0; k < ELEMENTSOF(req_lens); k++) {
                size_t len = build_request_of_len(frame, req_lens[k], OWN_SA);

                for (size_t i = 0; i < len; i++)
                        for (unsigned x = 1; x < 256; x++) {
                                int r;

                                memcpy(bad, frame, len);
                                bad[i] ^= (uint8_t) x;
                                r = req_reason(bad, len, OWN_SA, 32);
                                /* rsSA turned into 0x00 reads as a broadcast prefix instead. */
                                if (i == 0 && bad[0] == IPMB_BROADCAST_ADDR) {
                                        assert_int_not_equal(r, IPMB_OK);
                                        continue;
                                }
                                if (r != (i < 3 ? IPMB_REJECT_HEADER_CHECKSUM :
                                                  IPMB_REJECT_DATA_CHECKSUM))
                                        fail_msg("request len %zu byte %zu ^0x%02x: %s", len, i,
                                                 x, ipmb_reject_to_string(r));
                        }
        }

        for (size_t k = 0; k < ELEMENTSOF(rsp_lens); k++) {
                size_t len = build_response_of_len(frame, rsp_lens[k], OWN_SA);

                for (size_t i = 0; i < len; i++)
                        for (unsigned x = 1; x < 256; x++) {
                                int r;

                                memcpy(bad, frame, len);
                                bad[i] ^= (uint8_t) x;
                                r = rsp_reason(bad, len, OWN_SA, 32);
                                /* Responses have no broadcast form: 0x00 is just a bad chk1. */
                                if (r != (i < 3 ? IPMB_REJECT_HEADER_CHECKSUM :
                                                  IPMB_REJECT_DATA_CHECKSUM))
                                        fail_msg("response len %zu byte %zu ^0x%02x: %s", len, i,
                                                 x, ipmb_reject_to_string(r));
                        }
        }
}

/* Which reason wins when several apply: length, chk1, address, chk2, netFn parity. */
static void test_decode_reason_precedence(void **state) {
        static const struct {
                const char *name;
                size_t len;             /* whole frame */
                uint8_t dest;
                uint8_t netfn_lun;
                uint8_t chk1_xor, chk2_xor;
                int want_req;           /* decode_request, own OWN_SA, max 32 */
                int want_rsp;           /* decode_response, same */
        } cases[] = {
                { "good request", 8, OWN_SA, 0x06 << 2, 0, 0, IPMB_OK, IPMB_REJECT_NOT_A_RESPONSE },
                { "good response", 8, OWN_SA, 0x07 << 2, 0, 0, IPMB_REJECT_NOT_A_REQUEST, IPMB_OK },
                { "long beats bad chk1", 33, OWN_SA, 0x06 << 2, 0x01, 0x01,
                  IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { "bad chk1 beats wrong address", 8, OTHER_SA, 0x06 << 2, 0x01, 0x01,
                  IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_HEADER_CHECKSUM },
                { "bad chk1 beats netFn", 8, OWN_SA, 0x07 << 2, 0x80, 0,
                  IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_HEADER_CHECKSUM },
                { "wrong address beats bad chk2", 8, OTHER_SA, 0x06 << 2, 0, 0x01,
                  IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { "wrong address beats netFn", 8, OTHER_SA, 0x07 << 2, 0, 0,
                  IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { "bad chk2 beats netFn (request)", 8, OWN_SA, 0x07 << 2, 0, 0x01,
                  IPMB_REJECT_DATA_CHECKSUM, IPMB_REJECT_DATA_CHECKSUM },
                { "bad chk2 beats netFn (response)", 8, OWN_SA, 0x06 << 2, 0, 0xFF,
                  IPMB_REJECT_DATA_CHECKSUM, IPMB_REJECT_DATA_CHECKSUM },
                { "our address with bit 0 set", 8, OWN_SA | 1, 0x06 << 2, 0, 0,
                  IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { "7-bit form of our address", 8, OWN_SA >> 1, 0x06 << 2, 0, 0,
                  IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { "address 0xFF", 8, 0xFF, 0x06 << 2, 0, 0,
                  IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
        };
        uint8_t frame[FRAME_BUF_MAX], body[FRAME_BUF_MAX] = { 0 };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t len = build_frame(frame, cases[i].dest, cases[i].netfn_lun, BMC_SA, 0x04,
                                         0x01, body, cases[i].len - IPMB_REQUEST_MIN_LEN);
                int r;

                assert_int_equal(len, cases[i].len);
                frame[2] ^= cases[i].chk1_xor;
                frame[len - 1] ^= cases[i].chk2_xor;

                r = req_reason(frame, len, OWN_SA, 32);
                if (r != cases[i].want_req)
                        fail_msg("%s: request %s, want %s", cases[i].name,
                                 ipmb_reject_to_string(r), ipmb_reject_to_string(cases[i].want_req));
                r = rsp_reason(frame, len, OWN_SA, 32);
                if (r != cases[i].want_rsp)
                        fail_msg("%s: response %s, want %s", cases[i].name,
                                 ipmb_reject_to_string(r), ipmb_reject_to_string(cases[i].want_rsp));
        }
}

/*
 * Line noise: an idle-low bus reads as zeros, an idle-high one as 0xFF. A run of zeros starts
 * with what looks like a broadcast prefix, so the request decoder sees one byte fewer.
 */
static void test_decode_all_zero_and_all_ff(void **state) {
        static const struct {
                uint8_t fill;
                size_t len, max;
                int want_req, want_rsp;
        } cases[] = {
                { 0x00, 0, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0x00, 1, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0x00, 6, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0x00, 7, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0x00, 8, 32, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { 0x00, 16, 32, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { 0x00, 32, 32, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { 0x00, 33, 32, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_LONG },
                { 0x00, 34, 32, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { 0x00, 128, 128, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_NOT_FOR_US },
                { 0x00, 129, 128, IPMB_REJECT_NOT_FOR_US, IPMB_REJECT_LONG },
                { 0x00, 130, 128, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { 0x00, 255, 128, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { 0xFF, 0, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0xFF, 1, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0xFF, 6, 32, IPMB_REJECT_SHORT, IPMB_REJECT_SHORT },
                { 0xFF, 7, 32, IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_SHORT },
                { 0xFF, 8, 32, IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_HEADER_CHECKSUM },
                { 0xFF, 32, 32, IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_HEADER_CHECKSUM },
                { 0xFF, 33, 32, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { 0xFF, 128, 128, IPMB_REJECT_HEADER_CHECKSUM, IPMB_REJECT_HEADER_CHECKSUM },
                { 0xFF, 129, 128, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
                { 0xFF, 255, 128, IPMB_REJECT_LONG, IPMB_REJECT_LONG },
        };
        static const uint8_t owns[] = { OWN_SA, BMC_SA, 0xFE };
        uint8_t frame[FRAME_BUF_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                for (size_t o = 0; o < ELEMENTSOF(owns); o++) {
                        int r;

                        memset(frame, cases[i].fill, sizeof(frame));
                        r = req_reason(frame, cases[i].len, owns[o], cases[i].max);
                        if (r != cases[i].want_req)
                                fail_msg("0x%02x x %zu (max %zu, own 0x%02x): request %s, want %s",
                                         cases[i].fill, cases[i].len, cases[i].max, owns[o],
                                         ipmb_reject_to_string(r),
                                         ipmb_reject_to_string(cases[i].want_req));
                        r = rsp_reason(frame, cases[i].len, owns[o], cases[i].max);
                        if (r != cases[i].want_rsp)
                                fail_msg("0x%02x x %zu (max %zu, own 0x%02x): response %s, want %s",
                                         cases[i].fill, cases[i].len, cases[i].max, owns[o],
                                         ipmb_reject_to_string(r),
                                         ipmb_reject_to_string(cases[i].want_rsp));
                }
}

/* --- broadcast -------------------------------------------------------------------------- */

static void test_decode_broadcast(void **state) {
        uint8_t frame[FRAME_BUF_MAX], bcast[FRAME_BUF_MAX];

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                size_t max = max_lens[m];

                /* Every length up to max: same fields as unicast, plus the flag. */
                for (size_t len = IPMB_REQUEST_MIN_LEN; len <= max + 1; len++) {
                        struct ipmb_request uni, bc;
                        uint8_t *ucopy, *bcopy;
                        int ru, rb;

                        build_request_of_len(frame, len, OWN_SA);
                        bcast[0] = IPMB_BROADCAST_ADDR;
                        memcpy(bcast + 1, frame, len);

                        ru = decode_request_checked(frame, len, OWN_SA, max, &uni, &ucopy);
                        rb = decode_request_checked(bcast, len + 1, OWN_SA, max, &bc, &bcopy);
                        /* The prefix does not count against the limit: max + 1 bytes is fine. */
                        assert_int_equal(rb, len > max ? IPMB_REJECT_LONG : IPMB_OK);
                        assert_int_equal(ru, rb);
                        if (rb == IPMB_OK) {
                                assert_true(bc.broadcast);
                                assert_false(uni.broadcast);
                                assert_int_equal(bc.rs_sa, OWN_SA);
                                assert_int_equal(bc.netfn, uni.netfn);
                                assert_int_equal(bc.rs_lun, uni.rs_lun);
                                assert_int_equal(bc.rq_sa, uni.rq_sa);
                                assert_int_equal(bc.seq, uni.seq);
                                assert_int_equal(bc.rq_lun, uni.rq_lun);
                                assert_int_equal(bc.cmd, uni.cmd);
                                assert_int_equal(bc.data_len, uni.data_len);
                                assert_ptr_equal(bc.data, bcopy + 7);
                                assert_memory_equal(bc.data, uni.data, uni.data_len);
                        }
                        free(ucopy);
                        free(bcopy);
                }
        }

        /* A broadcast frame for someone else, and one that is too short once unwrapped. */
        {
                size_t len = build_request_of_len(frame, 7, OTHER_SA);

                bcast[0] = IPMB_BROADCAST_ADDR;
                memcpy(bcast + 1, frame, len);
                assert_int_equal(req_reason(bcast, len + 1, OWN_SA, 32), IPMB_REJECT_NOT_FOR_US);
                assert_int_equal(req_reason(bcast, len + 1, OTHER_SA, 32), IPMB_OK);
                assert_int_equal(req_reason(bcast, len, OTHER_SA, 32), IPMB_REJECT_SHORT);
                assert_int_equal(req_reason(bcast, 1, OTHER_SA, 32), IPMB_REJECT_SHORT);

                /* A broadcast with a broken data checksum is still broken. */
                bcast[len] ^= 0x01;
                assert_int_equal(req_reason(bcast, len + 1, OTHER_SA, 32),
                                 IPMB_REJECT_DATA_CHECKSUM);
        }

        /* Two prefixes: only one is stripped; the second is rsSA 0x00, and chk1 fails. */
        {
                static const uint8_t twice[] = { 0x00, 0x00, 0x72, 0x18, 0x76, 0x20, 0x04, 0x01,
                                                 0xDB };
                assert_int_equal(req_reason(twice, sizeof(twice), OWN_SA, 32),
                                 IPMB_REJECT_HEADER_CHECKSUM);
        }

        /* Responses are never broadcast: the prefix is read as rqSA 0x00. */
        {
                size_t len = build_response_of_len(frame, 8, OWN_SA);

                bcast[0] = IPMB_BROADCAST_ADDR;
                memcpy(bcast + 1, frame, len);
                assert_int_equal(rsp_reason(bcast, len + 1, OWN_SA, 32),
                                 IPMB_REJECT_HEADER_CHECKSUM);
        }
}

/* --- netFn parity ----------------------------------------------------------------------- */

static void test_decode_netfn_parity(void **state) {
        uint8_t frame[FRAME_BUF_MAX], body[4] = { 0xC1, 0x01, 0x02, 0x03 };

        for (unsigned netfn = 0; netfn < 64; netfn++)
                for (unsigned lun = 0; lun < 4; lun++) {
                        size_t len = build_frame(frame, OWN_SA, (uint8_t) (netfn << 2 | lun),
                                                 BMC_SA, (uint8_t) (netfn << 2 | (3 - lun)),
                                                 (uint8_t) netfn, body, sizeof(body));
                        struct ipmb_request req;
                        struct ipmb_response rsp;
                        uint8_t *copy;
                        int r;

                        r = decode_request_checked(frame, len, OWN_SA, 32, &req, &copy);
                        if (netfn & 1)
                                assert_int_equal(r, IPMB_REJECT_NOT_A_REQUEST);
                        else {
                                assert_int_equal(r, IPMB_OK);
                                assert_int_equal(req.netfn, netfn);
                                assert_int_equal(req.rs_lun, lun);
                                assert_int_equal(req.seq, netfn);
                                assert_int_equal(req.rq_lun, 3 - lun);
                                assert_int_equal(req.data_len, sizeof(body));
                        }
                        free(copy);

                        r = decode_response_checked(frame, len, OWN_SA, 32, &rsp, &copy);
                        if (!(netfn & 1))
                                assert_int_equal(r, IPMB_REJECT_NOT_A_RESPONSE);
                        else {
                                assert_int_equal(r, IPMB_OK);
                                assert_int_equal(rsp.netfn, netfn);
                                assert_int_equal(rsp.rq_lun, lun);
                                assert_int_equal(rsp.seq, netfn);
                                assert_int_equal(rsp.rs_lun, 3 - lun);
                                assert_int_equal(rsp.cc, 0xC1);
                                assert_int_equal(rsp.data_len, sizeof(body) - 1);
                        }
                        free(copy);
                }
}

/* --- bad limits ------------------------------------------------------------------------- */

static void test_bad_max_msg_len(void **state) {
        static const size_t bad[] = { 0, 1, 6, 129, 130, 255, 256, 4096, SIZE_MAX };
        static const uint8_t req_frame[] = { 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };
        uint8_t rsp_frame[FRAME_BUF_MAX], buf[FRAME_BUF_MAX];
        size_t rsp_len = build_response_of_len(rsp_frame, 8, OWN_SA);
        const struct ipmb_request req = { .rs_sa = OWN_SA, .netfn = 0x06, .rq_sa = BMC_SA, .cmd = 1 };
        const struct ipmb_response rsp = { .rq_sa = BMC_SA, .netfn = 0x07, .rs_sa = OWN_SA, .cmd = 1 };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct ipmb_request dreq, pristine_req;
                struct ipmb_response drsp, pristine_rsp;

                memset(&dreq, SENTINEL, sizeof(dreq));
                memset(&pristine_req, SENTINEL, sizeof(pristine_req));
                memset(&drsp, SENTINEL, sizeof(drsp));
                memset(&pristine_rsp, SENTINEL, sizeof(pristine_rsp));
                memset(buf, SENTINEL, sizeof(buf));

                assert_int_equal(ipmb_decode_request(req_frame, sizeof(req_frame), OWN_SA, bad[i],
                                                     &dreq), -EINVAL);
                assert_int_equal(ipmb_decode_response(rsp_frame, rsp_len, OWN_SA, bad[i], &drsp),
                                 -EINVAL);
                /* Even with nothing to decode the limit is checked first. */
                assert_int_equal(ipmb_decode_request(req_frame, 0, OWN_SA, bad[i], &dreq), -EINVAL);
                assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), bad[i]), -EINVAL);
                assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), bad[i]), -EINVAL);

                assert_memory_equal(&dreq, &pristine_req, sizeof(dreq));
                assert_memory_equal(&drsp, &pristine_rsp, sizeof(drsp));
                for (size_t k = 0; k < sizeof(buf); k++)
                        assert_int_equal(buf[k], SENTINEL);
        }

        /* The boundaries themselves are valid. */
        assert_int_equal(ipmb_decode_request(req_frame, sizeof(req_frame), OWN_SA,
                                             IPMB_REQUEST_MIN_LEN, &(struct ipmb_request) {}),
                         IPMB_OK);
        assert_int_equal(ipmb_decode_request(req_frame, sizeof(req_frame), OWN_SA,
                                             IPMB_KERNEL_MAX_MSG_LEN, &(struct ipmb_request) {}),
                         IPMB_OK);
}

/* --- encode ----------------------------------------------------------------------------- */

static void test_encode_request_round_trip(void **state) {
        uint8_t data[FRAME_BUF_MAX], buf[FRAME_BUF_MAX];

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                size_t max = max_lens[m];

                for (unsigned seq = 0; seq <= IPMB_SEQ_MAX; seq++)
                        for (unsigned rs_lun = 0; rs_lun < 4; rs_lun++)
                                for (unsigned rq_lun = 0; rq_lun < 4; rq_lun++) {
                                        size_t dlen = (seq * 7 + rs_lun * 3 + rq_lun) %
                                                      (max - IPMB_REQUEST_MIN_LEN + 1);
                                        struct ipmb_request in = {
                                                .rs_sa = OWN_SA,
                                                .netfn = (uint8_t) ((seq * 2) & 0x3E),
                                                .rs_lun = (uint8_t) rs_lun,
                                                .rq_sa = (uint8_t) (BMC_SA + 2 * rq_lun),
                                                .seq = (uint8_t) seq,
                                                .rq_lun = (uint8_t) rq_lun,
                                                .cmd = (uint8_t) (seq * 4 + rs_lun),
                                                .data = data,
                                                .data_len = dlen,
                                        }, out;
                                        uint8_t *copy;
                                        int n;

                                        fill_pattern(data, dlen, seq);
                                        memset(buf, SENTINEL, sizeof(buf));
                                        n = ipmb_encode_request(&in, buf, sizeof(buf), max);
                                        assert_int_equal(n, IPMB_REQUEST_MIN_LEN + dlen);

                                        /* Bit-exact layout. */
                                        assert_int_equal(buf[0], in.rs_sa);
                                        assert_int_equal(buf[1], in.netfn << 2 | rs_lun);
                                        assert_int_equal(buf[2], ref_checksum(buf, 2));
                                        assert_int_equal(buf[3], in.rq_sa);
                                        assert_int_equal(buf[4], seq << 2 | rq_lun);
                                        assert_int_equal(buf[5], in.cmd);
                                        assert_memory_equal(buf + 6, data, dlen);
                                        assert_int_equal(buf[n - 1], ref_checksum(buf + 3, (size_t) n - 4));
                                        /* Nothing written past the frame. */
                                        assert_int_equal(buf[n], SENTINEL);

                                        assert_int_equal(decode_request_checked(buf, (size_t) n,
                                                                                OWN_SA, max, &out,
                                                                                &copy), IPMB_OK);
                                        assert_int_equal(out.rs_sa, in.rs_sa);
                                        assert_int_equal(out.netfn, in.netfn);
                                        assert_int_equal(out.rs_lun, in.rs_lun);
                                        assert_int_equal(out.rq_sa, in.rq_sa);
                                        assert_int_equal(out.seq, in.seq);
                                        assert_int_equal(out.rq_lun, in.rq_lun);
                                        assert_int_equal(out.cmd, in.cmd);
                                        assert_false(out.broadcast);
                                        assert_int_equal(out.data_len, dlen);
                                        assert_memory_equal(out.data, data, dlen);
                                        free(copy);
                                }
        }
}

static void test_encode_response_round_trip(void **state) {
        uint8_t data[FRAME_BUF_MAX], buf[FRAME_BUF_MAX];

        for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                size_t max = max_lens[m];

                for (unsigned seq = 0; seq <= IPMB_SEQ_MAX; seq++)
                        for (unsigned rq_lun = 0; rq_lun < 4; rq_lun++)
                                for (unsigned rs_lun = 0; rs_lun < 4; rs_lun++) {
                                        size_t dlen = (seq * 5 + rq_lun * 3 + rs_lun) %
                                                      (ipmb_response_data_max(max) + 1);
                                        struct ipmb_response in = {
                                                .rq_sa = BMC_SA,
                                                .netfn = (uint8_t) ((seq * 2 + 1) & 0x3F),
                                                .rq_lun = (uint8_t) rq_lun,
                                                .rs_sa = (uint8_t) (OWN_SA + 2 * rs_lun),
                                                .seq = (uint8_t) seq,
                                                .rs_lun = (uint8_t) rs_lun,
                                                .cmd = (uint8_t) (seq * 4 + rq_lun),
                                                .cc = (uint8_t) (seq * 3 + 0xC0),
                                                .data = data,
                                                .data_len = dlen,
                                        }, out;
                                        uint8_t *copy;
                                        int n;

                                        fill_pattern(data, dlen, seq + 1);
                                        memset(buf, SENTINEL, sizeof(buf));
                                        n = ipmb_encode_response(&in, buf, sizeof(buf), max);
                                        assert_int_equal(n, IPMB_RESPONSE_MIN_LEN + dlen);

                                        assert_int_equal(buf[0], in.rq_sa);
                                        assert_int_equal(buf[1], in.netfn << 2 | rq_lun);
                                        assert_int_equal(buf[2], ref_checksum(buf, 2));
                                        assert_int_equal(buf[3], in.rs_sa);
                                        assert_int_equal(buf[4], seq << 2 | rs_lun);
                                        assert_int_equal(buf[5], in.cmd);
                                        assert_int_equal(buf[6], in.cc);
                                        assert_memory_equal(buf + 7, data, dlen);
                                        assert_int_equal(buf[n - 1], ref_checksum(buf + 3, (size_t) n - 4));
                                        assert_int_equal(buf[n], SENTINEL);

                                        assert_int_equal(decode_response_checked(buf, (size_t) n,
                                                                                 BMC_SA, max, &out,
                                                                                 &copy), IPMB_OK);
                                        assert_int_equal(out.rq_sa, in.rq_sa);
                                        assert_int_equal(out.netfn, in.netfn);
                                        assert_int_equal(out.rq_lun, in.rq_lun);
                                        assert_int_equal(out.rs_sa, in.rs_sa);
                                        assert_int_equal(out.seq, in.seq);
                                        assert_int_equal(out.rs_lun, in.rs_lun);
                                        assert_int_equal(out.cmd, in.cmd);
                                        assert_int_equal(out.cc, in.cc);
                                        assert_int_equal(out.data_len, dlen);
                                        assert_memory_equal(out.data, data, dlen);
                                        free(copy);
                                }
        }
}

/* The brief's Get Device ID request and response, byte for byte, from the encoder. */
static void test_encode_known_frames(void **state) {
        static const uint8_t want_req[] = { 0x72, 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };
        static const uint8_t want_rsp[] = {
                0x20, 0x1C, 0xC4, 0x72, 0x04, 0x01, 0x00, 0x23, 0x01, 0x01, 0x05, 0x02,
                0x08, 0x15, 0xA0, 0x00, 0x91, 0x12, 0x00, 0x00, 0x00, 0x01, 0xFC,
        };
        const struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = 0x06, .rq_sa = 0x20, .seq = 1, .cmd = 0x01,
        };
        const struct ipmb_response rsp = {
                .rq_sa = 0x20, .netfn = 0x07, .rs_sa = 0x72, .seq = 1, .cmd = 0x01, .cc = 0,
                .data = want_rsp + 7, .data_len = 15,
        };
        uint8_t buf[FRAME_BUF_MAX];

        assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), 32), sizeof(want_req));
        assert_memory_equal(buf, want_req, sizeof(want_req));
        assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), 32), sizeof(want_rsp));
        assert_memory_equal(buf, want_rsp, sizeof(want_rsp));
}

static void test_encode_invalid_fields(void **state) {
        static const uint8_t one = 0x42;
        static const struct {
                const char *name;
                struct ipmb_request req;
        } bad_req[] = {
                { "odd netFn", { .rs_sa = OWN_SA, .netfn = 0x07 } },
                { "odd netFn 0x3F", { .rs_sa = OWN_SA, .netfn = 0x3F } },
                { "netFn over 6 bits", { .rs_sa = OWN_SA, .netfn = 0x40 } },
                { "netFn 0xFE", { .rs_sa = OWN_SA, .netfn = 0xFE } },
                { "seq 64", { .rs_sa = OWN_SA, .netfn = 0x06, .seq = 64 } },
                { "seq 255", { .rs_sa = OWN_SA, .netfn = 0x06, .seq = 255 } },
                { "rsLUN 4", { .rs_sa = OWN_SA, .netfn = 0x06, .rs_lun = 4 } },
                { "rqLUN 4", { .rs_sa = OWN_SA, .netfn = 0x06, .rq_lun = 4 } },
                { "rqLUN 255", { .rs_sa = OWN_SA, .netfn = 0x06, .rq_lun = 255 } },
                { "data NULL with length", { .rs_sa = OWN_SA, .netfn = 0x06, .data_len = 1 } },
        };
        static const struct {
                const char *name;
                struct ipmb_response rsp;
        } bad_rsp[] = {
                { "even netFn", { .rq_sa = BMC_SA, .netfn = 0x06 } },
                { "netFn 0", { .rq_sa = BMC_SA, .netfn = 0x00 } },
                { "netFn over 6 bits", { .rq_sa = BMC_SA, .netfn = 0x41 } },
                { "netFn 0xFF", { .rq_sa = BMC_SA, .netfn = 0xFF } },
                { "seq 64", { .rq_sa = BMC_SA, .netfn = 0x07, .seq = 64 } },
                { "rqLUN 4", { .rq_sa = BMC_SA, .netfn = 0x07, .rq_lun = 4 } },
                { "rsLUN 4", { .rq_sa = BMC_SA, .netfn = 0x07, .rs_lun = 4 } },
                { "data NULL with length", { .rq_sa = BMC_SA, .netfn = 0x07, .data_len = 3 } },
        };
        uint8_t buf[FRAME_BUF_MAX];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(bad_req); i++)
                for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                        memset(buf, SENTINEL, sizeof(buf));
                        r = ipmb_encode_request(&bad_req[i].req, buf, sizeof(buf), max_lens[m]);
                        if (r != -EINVAL)
                                fail_msg("request %s: %d, want -EINVAL", bad_req[i].name, r);
                        for (size_t k = 0; k < sizeof(buf); k++)
                                assert_int_equal(buf[k], SENTINEL);
                }

        for (size_t i = 0; i < ELEMENTSOF(bad_rsp); i++)
                for (size_t m = 0; m < ELEMENTSOF(max_lens); m++) {
                        memset(buf, SENTINEL, sizeof(buf));
                        r = ipmb_encode_response(&bad_rsp[i].rsp, buf, sizeof(buf), max_lens[m]);
                        if (r != -EINVAL)
                                fail_msg("response %s: %d, want -EINVAL", bad_rsp[i].name, r);
                        for (size_t k = 0; k < sizeof(buf); k++)
                                assert_int_equal(buf[k], SENTINEL);
                }

        /* The same fields at their largest legal values encode. */
        {
                struct ipmb_request req = { .rs_sa = OWN_SA, .netfn = 0x3E, .seq = 63,
                                            .rs_lun = 3, .rq_lun = 3, .data = &one, .data_len = 1 };
                struct ipmb_response rsp = { .rq_sa = BMC_SA, .netfn = 0x3F, .seq = 63,
                                             .rs_lun = 3, .rq_lun = 3, .data = &one, .data_len = 1 };

                assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), 32), 8);
                assert_int_equal(buf[1], 0xFB);
                assert_int_equal(buf[4], 0xFF);
                assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), 32), 9);
                assert_int_equal(buf[1], 0xFF);
                assert_int_equal(buf[4], 0xFF);
                /* No data with a NULL pointer is fine. */
                req.data = NULL;
                req.data_len = 0;
                assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), 32), 7);
        }
}

/*
 * Every legal limit against every data length: the frame is written only when it fits both
 * the limit and the buffer, and the buffer is exactly as large as asked (a heap block, so
 * valgrind sees any write beyond it).
 */
static void test_encode_size_limits(void **state) {
        uint8_t data[FRAME_BUF_MAX];

        fill_pattern(data, sizeof(data), 9);

        for (size_t max = IPMB_REQUEST_MIN_LEN; max <= IPMB_KERNEL_MAX_MSG_LEN; max++)
                for (size_t dlen = 0; dlen <= IPMB_KERNEL_MAX_MSG_LEN + 2; dlen++) {
                        const struct ipmb_request req = {
                                .rs_sa = OWN_SA, .netfn = 0x06, .rq_sa = BMC_SA,
                                .data = data, .data_len = dlen,
                        };
                        const struct ipmb_response rsp = {
                                .rq_sa = BMC_SA, .netfn = 0x07, .rs_sa = OWN_SA,
                                .data = data, .data_len = dlen,
                        };
                        uint8_t buf[FRAME_BUF_MAX];
                        size_t req_len = IPMB_REQUEST_MIN_LEN + dlen;
                        size_t rsp_len = IPMB_RESPONSE_MIN_LEN + dlen;

                        assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), max),
                                         req_len <= max ? (int) req_len : -EMSGSIZE);
                        assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), max),
                                         rsp_len <= max ? (int) rsp_len : -EMSGSIZE);
                }

        /* Buffer smaller than the frame, limit generous. */
        for (size_t dlen = 0; dlen <= 40; dlen++) {
                const struct ipmb_request req = {
                        .rs_sa = OWN_SA, .netfn = 0x06, .rq_sa = BMC_SA,
                        .data = data, .data_len = dlen,
                };
                const struct ipmb_response rsp = {
                        .rq_sa = BMC_SA, .netfn = 0x07, .rs_sa = OWN_SA,
                        .data = data, .data_len = dlen,
                };
                size_t req_len = IPMB_REQUEST_MIN_LEN + dlen;
                size_t rsp_len = IPMB_RESPONSE_MIN_LEN + dlen;

                for (size_t size = 0; size <= rsp_len; size++) {
                        uint8_t *buf = malloc(size > 0 ? size : 1);

                        assert_non_null(buf);
                        memset(buf, SENTINEL, size > 0 ? size : 1);
                        assert_int_equal(ipmb_encode_request(&req, buf, size, 128),
                                         size >= req_len ? (int) req_len : -EMSGSIZE);
                        if (size < req_len)
                                for (size_t k = 0; k < size; k++)
                                        assert_int_equal(buf[k], SENTINEL);
                        memset(buf, SENTINEL, size > 0 ? size : 1);
                        assert_int_equal(ipmb_encode_response(&rsp, buf, size, 128),
                                         size >= rsp_len ? (int) rsp_len : -EMSGSIZE);
                        if (size < rsp_len)
                                for (size_t k = 0; k < size; k++)
                                        assert_int_equal(buf[k], SENTINEL);
                        free(buf);
                }
        }

        /* An absurd data_len must not wrap the length arithmetic into "fits". */
        {
                static const size_t huge[] = { SIZE_MAX, SIZE_MAX - 6, SIZE_MAX - 7, SIZE_MAX / 2 };
                uint8_t buf[FRAME_BUF_MAX];

                for (size_t i = 0; i < ELEMENTSOF(huge); i++) {
                        const struct ipmb_request req = {
                                .rs_sa = OWN_SA, .netfn = 0x06, .data = data, .data_len = huge[i],
                        };
                        const struct ipmb_response rsp = {
                                .rq_sa = BMC_SA, .netfn = 0x07, .data = data, .data_len = huge[i],
                        };

                        assert_int_equal(ipmb_encode_request(&req, buf, sizeof(buf), 128), -EMSGSIZE);
                        assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), 128), -EMSGSIZE);
                }
        }
}

/* --- helpers ---------------------------------------------------------------------------- */

static void test_response_init(void **state) {
        static const uint8_t data[] = { 1, 2, 3 };
        static const struct ipmb_request reqs[] = {
                { .rs_sa = 0x72, .netfn = 0x06, .rs_lun = 0, .rq_sa = 0x20, .seq = 1,
                  .rq_lun = 0, .cmd = 0x01 },
                { .rs_sa = 0x72, .netfn = 0x0A, .rs_lun = 3, .rq_sa = 0x82, .seq = 63,
                  .rq_lun = 2, .cmd = 0xFF, .data = data, .data_len = 3 },
                { .rs_sa = 0x74, .netfn = 0x3E, .rs_lun = 1, .rq_sa = 0x20, .seq = 0,
                  .rq_lun = 3, .cmd = 0x00, .broadcast = true },
                /* An odd netFn is forced odd, not bumped to the next even one. */
                { .rs_sa = 0x72, .netfn = 0x07, .rq_sa = 0x20, .seq = 5, .cmd = 0x02 },
        };
        uint8_t buf[FRAME_BUF_MAX];

        for (size_t i = 0; i < ELEMENTSOF(reqs); i++) {
                const struct ipmb_request *q = &reqs[i];
                struct ipmb_response rsp, back;
                int n;

                memset(&rsp, SENTINEL, sizeof(rsp));
                ipmb_response_init(&rsp, q);
                assert_int_equal(rsp.rq_sa, q->rq_sa);
                assert_int_equal(rsp.netfn, q->netfn | 1);
                assert_int_equal(rsp.rq_lun, q->rq_lun);
                assert_int_equal(rsp.rs_sa, q->rs_sa);
                assert_int_equal(rsp.seq, q->seq);
                assert_int_equal(rsp.rs_lun, q->rs_lun);
                assert_int_equal(rsp.cmd, q->cmd);
                /* Nothing carried over from the request's payload or from old contents. */
                assert_int_equal(rsp.cc, 0);
                assert_null(rsp.data);
                assert_int_equal(rsp.data_len, 0);

                /* What it builds is a response the requester accepts as the answer. */
                n = ipmb_encode_response(&rsp, buf, sizeof(buf), 32);
                assert_int_equal(n, IPMB_RESPONSE_MIN_LEN);
                assert_int_equal(ipmb_decode_response(buf, (size_t) n, q->rq_sa, 32, &back), IPMB_OK);
                assert_int_equal(back.rs_sa, q->rs_sa);
                assert_int_equal(back.seq, q->seq);
                assert_int_equal(back.cmd, q->cmd);
                assert_int_equal(back.netfn, q->netfn | 1);
        }
}

/*
 * ipmb_encode_reply(), the frame path's encoder, answers a request frame exactly as
 * ipmb_response_init() + ipmb_encode_response() answer the request decoded from it, with the
 * data already in place, and fails alike: every netFn, LUN and seq, plain and broadcast.
 */
static void test_encode_reply_matches_encode_response(void **state) {
        static const uint8_t body[] = { 1, 2, 3 };
        static const struct ipmb_request reqs[] = {
                { .rs_sa = 0x72, .netfn = 0x06, .rq_sa = 0x20, .seq = 1, .cmd = 0x01 },
                { .rs_sa = 0x72, .netfn = 0x0A, .rs_lun = 3, .rq_sa = 0x82, .seq = 63,
                  .rq_lun = 2, .cmd = 0xFF },
                { .rs_sa = 0x74, .netfn = 0x3E, .rs_lun = 1, .rq_sa = 0x20, .rq_lun = 3 },
                { .rs_sa = 0x72, .netfn = 0x2C, .rs_lun = 2, .rq_sa = 0xEE, .seq = 32,
                  .rq_lun = 1, .cmd = 0x80, .data = body,
                  .data_len = sizeof(body) },
        };
        static const size_t maxes[] = { 0, 7, 8, 9, 32, 128, 129 };
        static const size_t sizes[] = { 8, 20, FRAME_BUF_MAX };
        uint8_t data[FRAME_BUF_MAX], a[FRAME_BUF_MAX], b[FRAME_BUF_MAX];

        fill_pattern(data, sizeof(data), 3);
        for (size_t i = 0; i < ELEMENTSOF(reqs); i++)
                for (int broadcast = 0; broadcast <= 1; broadcast++) {
                        uint8_t frame[FRAME_BUF_MAX];
                        struct ipmb_request q;
                        int n = ipmb_encode_request(&reqs[i], frame + 1, sizeof(frame) - 1,
                                                    IPMB_KERNEL_MAX_MSG_LEN);
                        const uint8_t *f = frame + 1 - broadcast;

                        assert_true(n > 0);
                        frame[0] = IPMB_BROADCAST_ADDR;
                        n += broadcast;
                        assert_int_equal(ipmb_decode_request(f, (size_t) n, reqs[i].rs_sa,
                                                             IPMB_KERNEL_MAX_MSG_LEN, &q),
                                         IPMB_OK);
                        for (size_t m = 0; m < ELEMENTSOF(maxes); m++)
                                for (size_t z = 0; z < ELEMENTSOF(sizes); z++)
                                        for (size_t len = 0; len <= 130; len++) {
                                                struct ipmb_response rsp;
                                                size_t room = sizes[z] - IPMB_RESPONSE_DATA_OFFSET;
                                                int ra, rb;

                                                ipmb_response_init(&rsp, &q);
                                                rsp.cc = (uint8_t) (len * 7);
                                                rsp.data = data;
                                                rsp.data_len = len;
                                                memset(a, SENTINEL, sizeof(a));
                                                ra = ipmb_encode_response(&rsp, a, sizes[z],
                                                                          maxes[m]);
                                                memset(b, SENTINEL, sizeof(b));
                                                memcpy(b + IPMB_RESPONSE_DATA_OFFSET, data,
                                                       len < room ? len : room);
                                                rb = ipmb_encode_reply(f, (size_t) n, rsp.cc,
                                                                       len, b, sizes[z],
                                                                       maxes[m]);
                                                assert_int_equal(ra, rb);
                                                if (ra > 0)
                                                        assert_memory_equal(a, b, (size_t) ra);
                                        }
                }
}

/* What no accepted request is: too short to have a header, or a response's netFn. Nothing is
 * read past the frame (the fuzzer's ASan run checks that on any bytes). */
static void test_encode_reply_refuses_non_requests(void **state) {
        static const uint8_t response[] = { 0x20, 0x1C, 0xC4, 0x72, 0x04, 0x01, 0x00, 0x89 };
        uint8_t buf[FRAME_BUF_MAX];

        for (size_t n = 0; n < IPMB_REQUEST_MIN_LEN; n++)
                assert_int_equal(ipmb_encode_reply(response, n, 0, 0, buf, sizeof(buf), 32),
                                 -EINVAL);
        /* A broadcast prefix does not count towards the header. */
        assert_int_equal(ipmb_encode_reply((const uint8_t[]) { 0, 0x72, 0x18, 0x76, 0x20, 0,
                                                               1 }, 7, 0, 0, buf, sizeof(buf),
                                           32), -EINVAL);
        assert_int_equal(ipmb_encode_reply(response, sizeof(response), 0, 0, buf, sizeof(buf),
                                           32), -EINVAL);
}

static void test_response_data_max(void **state) {
        static const struct { size_t max, want; } cases[] = {
                { 0, 0 }, { 1, 0 }, { 7, 0 }, { 8, 0 }, { 9, 1 }, { 32, 24 }, { 128, 120 },
                { 129, 121 }, { SIZE_MAX, SIZE_MAX - 8 },
        };
        uint8_t data[FRAME_BUF_MAX] = { 0 }, buf[FRAME_BUF_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(ipmb_response_data_max(cases[i].max), cases[i].want);

        /* It is exactly the boundary the encoder enforces. */
        for (size_t max = IPMB_RESPONSE_MIN_LEN; max <= IPMB_KERNEL_MAX_MSG_LEN; max++) {
                struct ipmb_response rsp = { .rq_sa = BMC_SA, .netfn = 0x07, .data = data };

                rsp.data_len = ipmb_response_data_max(max);
                assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), max), (int) max);
                rsp.data_len++;
                assert_int_equal(ipmb_encode_response(&rsp, buf, sizeof(buf), max), -EMSGSIZE);
        }
}

static void test_reject_to_string(void **state) {
        static const struct { int reason; const char *want; } cases[] = {
                { IPMB_OK, "ok" },
                { IPMB_REJECT_SHORT, "short" },
                { IPMB_REJECT_LONG, "long" },
                { IPMB_REJECT_HEADER_CHECKSUM, "header-checksum" },
                { IPMB_REJECT_DATA_CHECKSUM, "data-checksum" },
                { IPMB_REJECT_NOT_FOR_US, "not-for-us" },
                { IPMB_REJECT_NOT_A_REQUEST, "not-a-request" },
                { IPMB_REJECT_NOT_A_RESPONSE, "not-a-response" },
                { _IPMB_REJECT_MAX, "invalid" },
                { _IPMB_REJECT_MAX + 1, "invalid" },
                { 100, "invalid" },
                { -1, "invalid" },
                { -EINVAL, "invalid" },
                { INT_MAX, "invalid" },
                { INT_MIN, "invalid" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                assert_string_equal(ipmb_reject_to_string(cases[i].reason), cases[i].want);

        /* The table above names every enum value: none is missing a name, no two share one. */
        assert_int_equal(_IPMB_REJECT_MAX, 8);
        for (int a = 0; a < _IPMB_REJECT_MAX; a++) {
                assert_non_null(ipmb_reject_to_string(a));
                assert_string_not_equal(ipmb_reject_to_string(a), "invalid");
                for (int b = a + 1; b < _IPMB_REJECT_MAX; b++)
                        assert_string_not_equal(ipmb_reject_to_string(a), ipmb_reject_to_string(b));
        }
}

/* IPMB nodes: even 8-bit addresses outside the I2C reserved 7-bit 0x00-0x07 and 0x78-0x7F. */
static void test_addr_is_node(void **state) {
        unsigned nodes = 0;

        for (unsigned sa = 0; sa <= 0xFF; sa++) {
                unsigned addr7 = sa >> 1;
                bool want = !(sa & 1) && addr7 >= 0x08 && addr7 <= 0x77;

                assert_int_equal(ipmb_addr_is_node((uint8_t) sa), want);
                nodes += want;
        }
        assert_int_equal(nodes, 0x70);
        assert_false(ipmb_addr_is_node(IPMB_BROADCAST_ADDR));
        assert_false(ipmb_addr_is_node(0x0E));
        assert_true(ipmb_addr_is_node(0x10));
        assert_true(ipmb_addr_is_node(0x20));
        assert_false(ipmb_addr_is_node(0x21));
        assert_true(ipmb_addr_is_node(0xEE));
        assert_false(ipmb_addr_is_node(0xF0));
        assert_false(ipmb_addr_is_node(0xFF));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_checksum_vectors),
                cmocka_unit_test(test_addr_is_node),
                cmocka_unit_test(test_checksum_sums_to_zero),
                cmocka_unit_test(test_checksum_long_and_unaligned),
                cmocka_unit_test(test_encode_reply_matches_encode_response),
                cmocka_unit_test(test_encode_reply_refuses_non_requests),
                cmocka_unit_test(test_decode_get_device_id_request),
                cmocka_unit_test(test_decode_get_device_id_response),
                cmocka_unit_test(test_decode_request_every_length),
                cmocka_unit_test(test_decode_response_every_length),
                cmocka_unit_test(test_decode_min_max_msg_len),
                cmocka_unit_test(test_decode_every_single_byte_corruption),
                cmocka_unit_test(test_decode_reason_precedence),
                cmocka_unit_test(test_decode_all_zero_and_all_ff),
                cmocka_unit_test(test_decode_broadcast),
                cmocka_unit_test(test_decode_netfn_parity),
                cmocka_unit_test(test_bad_max_msg_len),
                cmocka_unit_test(test_encode_request_round_trip),
                cmocka_unit_test(test_encode_response_round_trip),
                cmocka_unit_test(test_encode_known_frames),
                cmocka_unit_test(test_encode_invalid_fields),
                cmocka_unit_test(test_encode_size_limits),
                cmocka_unit_test(test_response_init),
                cmocka_unit_test(test_response_data_max),
                cmocka_unit_test(test_reject_to_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
