/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "protocol/ipmb-frame.h"

#define IPMI_NETFN_MAX_VALUE 0x3F

/* netFn lives in the top six bits of the netFn/LUN byte; requests are even. */
static bool ipmi_netfn_is_request_byte(uint8_t netfn_lun) {
        return ((netfn_lun >> 2) & 1) == 0;
}

/* Byte offsets inside a frame (after any broadcast prefix). */
enum {
        OFF_DEST        = 0,    /* rsSA of a request, rqSA of a response */
        OFF_NETFN_LUN   = 1,
        OFF_CHK1        = 2,
        OFF_SRC         = 3,
        OFF_SEQ_LUN     = 4,
        OFF_CMD         = 5,
        OFF_BODY        = 6,    /* request data, or a response's completion code */
};

/*
 * Sum of buf[0..len) modulo 256 for len <= BYTE_SUM_MAX, eight bytes per step: the even and the
 * odd bytes of a word are added into four 16-bit lanes, folded into one at the end. A lane
 * gains at most 510 per word and 1,275 from the tail, so 64 words fit; frames are at most 256
 * bytes. A byte loop was
 * the largest single cost on the frame path (callgrind). The tail is read in 4-, 2- and 1-byte
 * loads, never past len. Inlined: the lengths on the frame path are short. The empty asm keeps
 * gcc -O3 from vectorising the loop: for frames of 7 to 32 bytes a vector loop's set-up and
 * tail cost more than the two or three words it sums.
 */
#define BYTE_SUM_MAX 512
static inline __attribute__((always_inline)) uint8_t byte_sum(const uint8_t *buf, size_t len) {
        const uint64_t even = UINT64_C(0x00FF00FF00FF00FF), low16 = UINT64_C(0x0000FFFF0000FFFF);
        uint64_t lanes = 0;

        const uint8_t *end = buf + (len & ~(size_t) 7);

        for (; buf != end; buf += 8) {
                uint64_t w;

                memcpy(&w, buf, sizeof(w));
                lanes += (w & even) + ((w >> 8) & even);
                __asm__("" : "+r"(lanes));
        }
        if (len & 4) {
                uint32_t w;

                memcpy(&w, buf, sizeof(w));
                lanes += (w & 0x00FF00FFu) + ((w >> 8) & 0x00FF00FFu);
                buf += 4;
        }
        if (len & 2) {
                lanes += (uint32_t) buf[0] + buf[1];
                buf += 2;
        }
        if (len & 1)
                lanes += buf[0];
        /* Lane pairs added in 32-bit lanes (no carry between lanes), then the two. */
        lanes = (lanes & low16) + ((lanes >> 16) & low16);
        return (uint8_t) (lanes + (lanes >> 32));
}

uint8_t ipmb_checksum(const uint8_t *buf, size_t len) {
        uint8_t sum = 0;

        for (; len > BYTE_SUM_MAX; len -= BYTE_SUM_MAX, buf += BYTE_SUM_MAX)
                sum = (uint8_t) (sum + byte_sum(buf, BYTE_SUM_MAX));
        return (uint8_t) -(sum + byte_sum(buf, len));
}

static bool max_len_valid(size_t max_msg_len) {
        return max_msg_len >= IPMB_REQUEST_MIN_LEN && max_msg_len <= IPMB_KERNEL_MAX_MSG_LEN;
}

/*
 * Checks shared by requests and responses, in the order that gives the most useful reason:
 * length first (nothing else can be read safely), then the header checksum (a frame with a bad
 * chk1 has an untrustworthy address), then the address, then the data checksum.
 */
static inline __attribute__((always_inline)) int check_frame(const uint8_t *f, size_t len,
                                                             size_t min_len, size_t max_msg_len,
                                                             uint8_t own_sa) {
        if (len < min_len)
                return IPMB_REJECT_SHORT;
        if (len > max_msg_len)
                return IPMB_REJECT_LONG;
        /* A checksum is right when the bytes it covers and itself add up to 0 (mod 256). */
        if ((uint8_t) (f[OFF_DEST] + f[OFF_NETFN_LUN] + f[OFF_CHK1]) != 0)
                return IPMB_REJECT_HEADER_CHECKSUM;
        if (f[OFF_DEST] != own_sa)
                return IPMB_REJECT_NOT_FOR_US;
        if (byte_sum(f + OFF_SRC, len - OFF_SRC) != 0)
                return IPMB_REJECT_DATA_CHECKSUM;
        return IPMB_OK;
}

int ipmb_decode_request(const uint8_t *frame, size_t len, uint8_t own_sa, size_t max_msg_len,
                        struct ipmb_request *out) {
        bool broadcast = false;
        int r;

        if (!max_len_valid(max_msg_len))
                return -EINVAL;

        /*
         * A broadcast is a general-call write: an extra 0x00 ahead of an ordinary frame whose
         * rsSA is the target's own address. A lone 0x00 destination byte is never a valid own
         * address (0x00 is reserved), so the prefix is unambiguous.
         */
        if (len > 0 && frame[0] == IPMB_BROADCAST_ADDR) {
                broadcast = true;
                frame++;
                len--;
        }

        r = check_frame(frame, len, IPMB_REQUEST_MIN_LEN, max_msg_len, own_sa);
        if (r != IPMB_OK)
                return r;
        if (!ipmi_netfn_is_request_byte(frame[OFF_NETFN_LUN]))
                return IPMB_REJECT_NOT_A_REQUEST;

        *out = (struct ipmb_request) {
                .rs_sa = frame[OFF_DEST],
                .netfn = frame[OFF_NETFN_LUN] >> 2,
                .rs_lun = frame[OFF_NETFN_LUN] & 3,
                .rq_sa = frame[OFF_SRC],
                .seq = frame[OFF_SEQ_LUN] >> 2,
                .rq_lun = frame[OFF_SEQ_LUN] & 3,
                .cmd = frame[OFF_CMD],
                .broadcast = broadcast,
                .data = frame + OFF_BODY,
                .data_len = len - IPMB_REQUEST_MIN_LEN,
        };
        return IPMB_OK;
}

int ipmb_decode_response(const uint8_t *frame, size_t len, uint8_t own_sa, size_t max_msg_len,
                         struct ipmb_response *out) {
        int r;

        if (!max_len_valid(max_msg_len))
                return -EINVAL;

        r = check_frame(frame, len, IPMB_RESPONSE_MIN_LEN, max_msg_len, own_sa);
        if (r != IPMB_OK)
                return r;
        if (ipmi_netfn_is_request_byte(frame[OFF_NETFN_LUN]))
                return IPMB_REJECT_NOT_A_RESPONSE;

        *out = (struct ipmb_response) {
                .rq_sa = frame[OFF_DEST],
                .netfn = frame[OFF_NETFN_LUN] >> 2,
                .rq_lun = frame[OFF_NETFN_LUN] & 3,
                .rs_sa = frame[OFF_SRC],
                .seq = frame[OFF_SEQ_LUN] >> 2,
                .rs_lun = frame[OFF_SEQ_LUN] & 3,
                .cmd = frame[OFF_CMD],
                .cc = frame[OFF_BODY],
                .data = frame + OFF_BODY + 1,
                .data_len = len - IPMB_RESPONSE_MIN_LEN,
        };
        return IPMB_OK;
}

/* Header, body and both checksums; body is [cc,] data. Returns the length or -errno. */
static int encode(uint8_t dest, uint8_t netfn, uint8_t dest_lun, uint8_t src, uint8_t seq,
                  uint8_t src_lun, uint8_t cmd, const uint8_t *cc, const uint8_t *data,
                  size_t data_len, uint8_t *buf, size_t size, size_t max_msg_len) {
        size_t len = IPMB_REQUEST_MIN_LEN + (cc ? 1 : 0) + data_len;
        size_t i = 0;

        if (!max_len_valid(max_msg_len))
                return -EINVAL;
        if (netfn > IPMI_NETFN_MAX_VALUE || seq > IPMB_SEQ_MAX || dest_lun > 3 || src_lun > 3)
                return -EINVAL;
        if (data_len > 0 && !data)
                return -EINVAL;
        if (data_len > IPMB_KERNEL_MAX_MSG_LEN || len > max_msg_len || len > size)
                return -EMSGSIZE;

        buf[i++] = dest;
        buf[i++] = (uint8_t) (netfn << 2 | dest_lun);
        buf[i] = (uint8_t) -(buf[OFF_DEST] + buf[OFF_NETFN_LUN]);
        i++;
        buf[i++] = src;
        buf[i++] = (uint8_t) (seq << 2 | src_lun);
        buf[i++] = cmd;
        if (cc)
                buf[i++] = *cc;
        /* A caller that built the data in place (at IPMB_RESPONSE_DATA_OFFSET of a response)
         * has nothing to copy. */
        if (data_len > 0 && data != buf + i)
                memcpy(buf + i, data, data_len);
        i += data_len;
        buf[i] = (uint8_t) -byte_sum(buf + OFF_SRC, i - OFF_SRC);
        i++;
        return (int) i;
}

int ipmb_encode_request(const struct ipmb_request *req, uint8_t *buf, size_t size, size_t max_msg_len) {
        if (req->netfn & 1)
                return -EINVAL;
        return encode(req->rs_sa, req->netfn, req->rs_lun, req->rq_sa, req->seq, req->rq_lun,
                      req->cmd, NULL, req->data, req->data_len, buf, size, max_msg_len);
}

int ipmb_encode_response(const struct ipmb_response *rsp, uint8_t *buf, size_t size, size_t max_msg_len) {
        if (!(rsp->netfn & 1))
                return -EINVAL;
        return encode(rsp->rq_sa, rsp->netfn, rsp->rq_lun, rsp->rs_sa, rsp->seq, rsp->rs_lun,
                      rsp->cmd, &rsp->cc, rsp->data, rsp->data_len, buf, size, max_msg_len);
}

int ipmb_encode_reply(const struct ipmb_request *req, uint8_t cc, size_t data_len, uint8_t *buf,
                      size_t size, size_t max_msg_len) {
        size_t len = IPMB_RESPONSE_MIN_LEN + data_len;

        if (!max_len_valid(max_msg_len))
                return -EINVAL;
        /* One test for all five: netFn odd or above 0x3F, seq above 63, a LUN above 3. */
        _Static_assert(IPMI_NETFN_MAX_VALUE == 0x3F && IPMB_SEQ_MAX == 0x3F, "6-bit fields");
        if (((req->netfn & 0xC1) | (req->seq & 0xC0) | ((req->rq_lun | req->rs_lun) & 0xFC)) != 0)
                return -EINVAL;
        if (data_len > IPMB_KERNEL_MAX_MSG_LEN || len > max_msg_len || len > size)
                return -EMSGSIZE;

        buf[OFF_DEST] = req->rq_sa;
        buf[OFF_NETFN_LUN] = (uint8_t) ((req->netfn | 1) << 2 | req->rq_lun);
        buf[OFF_CHK1] = (uint8_t) -(buf[OFF_DEST] + buf[OFF_NETFN_LUN]);
        buf[OFF_SRC] = req->rs_sa;
        buf[OFF_SEQ_LUN] = (uint8_t) (req->seq << 2 | req->rs_lun);
        buf[OFF_CMD] = req->cmd;
        buf[OFF_BODY] = cc;
        buf[len - 1] = (uint8_t) -byte_sum(buf + OFF_SRC, len - 1 - OFF_SRC);
        return (int) len;
}

void ipmb_response_init(struct ipmb_response *rsp, const struct ipmb_request *req) {
        *rsp = (struct ipmb_response) {
                .rq_sa = req->rq_sa,
                .netfn = (uint8_t) (req->netfn | 1),
                .rq_lun = req->rq_lun,
                .rs_sa = req->rs_sa,
                .seq = req->seq,
                .rs_lun = req->rs_lun,
                .cmd = req->cmd,
        };
}

const char *ipmb_reject_to_string(int reason) {
        static const char *const names[_IPMB_REJECT_MAX] = {
                [IPMB_OK]                     = "ok",
                [IPMB_REJECT_SHORT]           = "short",
                [IPMB_REJECT_LONG]            = "long",
                [IPMB_REJECT_HEADER_CHECKSUM] = "header-checksum",
                [IPMB_REJECT_DATA_CHECKSUM]   = "data-checksum",
                [IPMB_REJECT_NOT_FOR_US]      = "not-for-us",
                [IPMB_REJECT_NOT_A_REQUEST]   = "not-a-request",
                [IPMB_REJECT_NOT_A_RESPONSE]  = "not-a-response",
        };

        if (reason < 0 || reason >= _IPMB_REJECT_MAX)
                return "invalid";
        return names[reason];
}
