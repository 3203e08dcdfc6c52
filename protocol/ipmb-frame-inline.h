/* SPDX-License-Identifier: MIT */
/*
 * The two IPMB codec calls on satmcd's frame path, inline: ipmb_decode_request() of every frame
 * that arrives and ipmb_encode_reply() of every answer. Out of line, the request was packed into
 * struct ipmb_request by one function and unpacked by two others, with a call and five saved
 * registers each; inline, the compiler keeps the fields in registers (callgrind, Get Device
 * ID: the two were 200 of satmcd's 740 instructions per request). Include ipmb-frame.h, not this.
 */
#pragma once

#include <errno.h>
#include <string.h>

#define IPMB_NETFN_MAX_VALUE 0x3F

/* Byte offsets inside a frame (after any broadcast prefix). */
enum {
        IPMB_OFF_DEST           = 0,    /* rsSA of a request, rqSA of a response */
        IPMB_OFF_NETFN_LUN      = 1,
        IPMB_OFF_CHK1           = 2,
        IPMB_OFF_SRC            = 3,
        IPMB_OFF_SEQ_LUN        = 4,
        IPMB_OFF_CMD            = 5,
        IPMB_OFF_BODY           = 6,    /* request data, or a response's completion code */
};

/* netFn lives in the top six bits of the netFn/LUN byte; requests are even. */
static inline bool ipmb_netfn_is_request_byte(uint8_t netfn_lun) {
        return ((netfn_lun >> 2) & 1) == 0;
}

/* The even and the odd bytes of a word added pairwise into four 16-bit lanes (<= 510 each). */
static inline uint64_t ipmb_byte_lanes(uint64_t w) {
        const uint64_t even = UINT64_C(0x00FF00FF00FF00FF);

        return (w & even) + ((w >> 8) & even);
}

/* A word as loaded from memory without its first n bytes in memory order (n < 8), which are
 * zero after this: the low-order bytes on a little-endian machine, the high-order ones on a
 * big-endian one. */
static inline uint64_t ipmb_drop_leading_bytes(uint64_t w, size_t n) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return w >> (8 * n);
#else
        return w << (8 * n);
#endif
}

/*
 * Sum of buf[0..len) modulo 256 for len <= IPMB_BYTE_SUM_MAX, eight bytes per step, never
 * reading outside buf: whole words, then the last eight bytes of buf again as one word without
 * the bytes already summed (two 4-byte loads the same way below eight bytes). Each word's bytes
 * go into four 16-bit lanes; one multiplication adds the lanes into the top one. A lane gains
 * at most 510 a word, so over 33 words the lower three lanes' sum stays below 65,536 and never
 * carries into the top lane: hence the 256-byte bound (frames are at most 129 bytes). A byte
 * loop was the largest single cost on the frame path, and a tail of 4-, 2- and 1-byte steps
 * the next (callgrind, Get Device ID). The empty asm keeps gcc -O3 from vectorising the loop:
 * for frames of 7 to 32 bytes a vector loop's set-up costs more than the words it sums.
 */
#define IPMB_BYTE_SUM_MAX 256
static inline __attribute__((always_inline)) uint8_t ipmb_byte_sum(const uint8_t *buf,
                                                                   size_t len) {
        uint64_t lanes = 0, w;

        if (len >= sizeof(w)) {
                size_t i;

                for (i = 0; i + sizeof(w) <= len; i += sizeof(w)) {
                        memcpy(&w, buf + i, sizeof(w));
                        lanes += ipmb_byte_lanes(w);
                        __asm__("" : "+r"(lanes));
                }
                if (i < len) {
                        memcpy(&w, buf + len - sizeof(w), sizeof(w));
                        lanes += ipmb_byte_lanes(ipmb_drop_leading_bytes(w, i + sizeof(w) - len));
                }
        } else if (len >= sizeof(uint32_t)) {
                uint32_t head, tail;

                memcpy(&head, buf, sizeof(head));
                memcpy(&tail, buf + len - sizeof(tail), sizeof(tail));
                /* tail's first 8 - len bytes are head's last ones: dropped from the word that
                 * holds tail in the bytes that come first in memory, head after it. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                w = (uint64_t) tail | (uint64_t) head << 32;
#else
                w = (uint64_t) tail << 32 | head;
#endif
                lanes = ipmb_byte_lanes(ipmb_drop_leading_bytes(w, 2 * sizeof(tail) - len));
        } else
                for (size_t i = 0; i < len; i++)
                        lanes += buf[i];
        return (uint8_t) ((lanes * UINT64_C(0x0001000100010001)) >> 48);
}

static inline bool ipmb_max_len_valid(size_t max_msg_len) {
        return max_msg_len >= IPMB_REQUEST_MIN_LEN && max_msg_len <= IPMB_KERNEL_MAX_MSG_LEN;
}

/*
 * Checks shared by requests and responses, in the order that gives the most useful reason:
 * length first (nothing else can be read safely), then the header checksum (a frame with a bad
 * chk1 has an untrustworthy address), then the address, then the data checksum.
 */
static inline __attribute__((always_inline)) int ipmb_check_frame(const uint8_t *f, size_t len,
                                                                  size_t min_len,
                                                                  size_t max_msg_len,
                                                                  uint8_t own_sa) {
        if (len < min_len)
                return IPMB_REJECT_SHORT;
        if (len > max_msg_len)
                return IPMB_REJECT_LONG;
        /* A checksum is right when the bytes it covers and itself add up to 0 (mod 256). */
        if ((uint8_t) (f[IPMB_OFF_DEST] + f[IPMB_OFF_NETFN_LUN] + f[IPMB_OFF_CHK1]) != 0)
                return IPMB_REJECT_HEADER_CHECKSUM;
        if (f[IPMB_OFF_DEST] != own_sa)
                return IPMB_REJECT_NOT_FOR_US;
        if (ipmb_byte_sum(f + IPMB_OFF_SRC, len - IPMB_OFF_SRC) != 0)
                return IPMB_REJECT_DATA_CHECKSUM;
        return IPMB_OK;
}

static inline int ipmb_decode_request(const uint8_t *frame, size_t len, uint8_t own_sa,
                                      size_t max_msg_len, struct ipmb_request *out) {
        bool broadcast = false;
        int r;

        if (!ipmb_max_len_valid(max_msg_len))
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

        r = ipmb_check_frame(frame, len, IPMB_REQUEST_MIN_LEN, max_msg_len, own_sa);
        if (r != IPMB_OK)
                return r;
        if (!ipmb_netfn_is_request_byte(frame[IPMB_OFF_NETFN_LUN]))
                return IPMB_REJECT_NOT_A_REQUEST;

        *out = (struct ipmb_request) {
                .rs_sa = frame[IPMB_OFF_DEST],
                .netfn = frame[IPMB_OFF_NETFN_LUN] >> 2,
                .rs_lun = frame[IPMB_OFF_NETFN_LUN] & 3,
                .rq_sa = frame[IPMB_OFF_SRC],
                .seq = frame[IPMB_OFF_SEQ_LUN] >> 2,
                .rq_lun = frame[IPMB_OFF_SEQ_LUN] & 3,
                .cmd = frame[IPMB_OFF_CMD],
                .broadcast = broadcast,
                .data = frame + IPMB_OFF_BODY,
                .data_len = len - IPMB_REQUEST_MIN_LEN,
        };
        return IPMB_OK;
}

static inline int ipmb_encode_reply(const uint8_t *request, size_t request_len, uint8_t cc,
                                    size_t data_len, uint8_t *buf, size_t size,
                                    size_t max_msg_len) {
        size_t len = IPMB_RESPONSE_MIN_LEN + data_len;
        const uint8_t *q = request;

        if (request_len > 0 && q[0] == IPMB_BROADCAST_ADDR) {
                q++;
                request_len--;
        }
        if (!ipmb_max_len_valid(max_msg_len))
                return -EINVAL;
        /* The two things a frame that ipmb_decode_request() accepted cannot fail: anything else
         * about its header is in range by construction (6-bit fields, 2-bit LUNs). */
        if (request_len < IPMB_REQUEST_MIN_LEN ||
            !ipmb_netfn_is_request_byte(q[IPMB_OFF_NETFN_LUN]))
                return -EINVAL;
        if (data_len > IPMB_KERNEL_MAX_MSG_LEN || len > max_msg_len || len > size)
                return -EMSGSIZE;

        /* The request's header with the two ends swapped: rqSA and rsSA, rqLUN and rsLUN; the
         * netFn one up (odd: a response), seq and cmd kept. */
        buf[IPMB_OFF_DEST] = q[IPMB_OFF_SRC];
        buf[IPMB_OFF_NETFN_LUN] = (uint8_t) ((q[IPMB_OFF_NETFN_LUN] & 0xFC) | 0x04 |
                                             (q[IPMB_OFF_SEQ_LUN] & 3));
        buf[IPMB_OFF_CHK1] = (uint8_t) -(buf[IPMB_OFF_DEST] + buf[IPMB_OFF_NETFN_LUN]);
        buf[IPMB_OFF_SRC] = q[IPMB_OFF_DEST];
        buf[IPMB_OFF_SEQ_LUN] = (uint8_t) ((q[IPMB_OFF_SEQ_LUN] & 0xFC) |
                                           (q[IPMB_OFF_NETFN_LUN] & 3));
        buf[IPMB_OFF_CMD] = q[IPMB_OFF_CMD];
        buf[IPMB_OFF_BODY] = cc;
        buf[len - 1] = (uint8_t) -ipmb_byte_sum(buf + IPMB_OFF_SRC, len - 1 - IPMB_OFF_SRC);
        return (int) len;
}
