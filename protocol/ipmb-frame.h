/* SPDX-License-Identifier: MIT */
/*
 * IPMB frame codec: pure byte-level encode and decode of IPMB requests and responses (IPMB v1.0
 * section 2, IPMI v2.0 section 7). No I/O, no allocation, no globals; safe on any input.
 *
 * A "frame" here is the whole IPMB message as it crosses the wire after the I2C start condition:
 * the 8-bit destination slave address first, then netFn/LUN, chk1, source address, seq/LUN,
 * cmd, [completion code,] data, chk2. A broadcast (IPMI v2.0 section 20.9) is the same frame
 * with one extra 0x00 byte in front.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPMB_BROADCAST_ADDR        0x00
#define IPMB_REQUEST_MIN_LEN       7       /* rsSA netFn chk1 rqSA seq cmd chk2 */
#define IPMB_RESPONSE_MIN_LEN      8       /* ... plus the completion code */
#define IPMB_DEFAULT_MAX_MSG_LEN   32      /* IPMB v1.0: whole message, rsSA..chk2 */
#define IPMB_KERNEL_MAX_MSG_LEN    128     /* ipmb-dev-int's IPMB_MAX_MSG_LEN */
#define IPMB_SEQ_MAX               63      /* 6-bit sequence number */

/* Why a frame was rejected. Positive values, so they never collide with -errno. */
enum ipmb_reject {
        IPMB_OK = 0,
        IPMB_REJECT_SHORT,             /* fewer bytes than the smallest message */
        IPMB_REJECT_LONG,              /* more than the configured message length limit */
        IPMB_REJECT_HEADER_CHECKSUM,   /* chk1 does not cover rsSA + netFn/LUN */
        IPMB_REJECT_DATA_CHECKSUM,     /* chk2 does not cover rqSA .. data */
        IPMB_REJECT_NOT_FOR_US,        /* rsSA (or the broadcast target) is not our address */
        IPMB_REJECT_NOT_A_REQUEST,     /* odd netFn where a request was expected */
        IPMB_REJECT_NOT_A_RESPONSE,    /* even netFn where a response was expected */
        _IPMB_REJECT_MAX,
};

/* A decoded request. data points into the caller's frame buffer. */
struct ipmb_request {
        uint8_t rs_sa;          /* responder (destination) 8-bit address */
        uint8_t netfn;          /* 6 bits, even */
        uint8_t rs_lun;         /* 2 bits */
        uint8_t rq_sa;          /* requester (source) 8-bit address */
        uint8_t seq;            /* 6 bits */
        uint8_t rq_lun;         /* 2 bits */
        uint8_t cmd;
        bool broadcast;         /* arrived with the 0x00 broadcast prefix */
        const uint8_t *data;
        size_t data_len;
};

/* A decoded response. data points into the caller's frame buffer and excludes cc. */
struct ipmb_response {
        uint8_t rq_sa;          /* requester (destination) 8-bit address */
        uint8_t netfn;          /* 6 bits, odd */
        uint8_t rq_lun;
        uint8_t rs_sa;          /* responder (source) 8-bit address */
        uint8_t seq;
        uint8_t rs_lun;
        uint8_t cmd;
        uint8_t cc;
        const uint8_t *data;
        size_t data_len;
};

/*
 * Whether sa (8-bit form) can be an IPMB node's address: one we may answer or send a request to.
 * IPMB addresses are I2C slave addresses written 7-bit << 1, so bit 0 is 0 (an odd rqSA would
 * be an IPMI software ID, which belongs to system interfaces, not to IPMB: IPMI v2.0 section
 * 5.5). The I2C specification (NXP UM10204 rev. 7, section 3.1.12, table 4 "Reserved
 * addresses") reserves 7-bit 0x00-0x07 (general call and START byte, CBUS, other bus formats,
 * future use, Hs-mode master codes) and 0x78-0x7F (10-bit addressing, device ID): 8-bit
 * 0x00-0x0F and 0xF0-0xFF. IPMI's I2C address allocation leaves the same two ranges out, and
 * 0x00 is the general call: a frame written to it reaches every device on the bus.
 * A fact about the address only; whether to drop a frame for it is the caller's policy.
 */
#define IPMB_NODE_ADDR_MIN   0x10    /* 7-bit 0x08: the first after the I2C reserved 0x00-0x07 */
#define IPMB_NODE_ADDR_MAX   0xEE    /* 7-bit 0x77: the last before the reserved 0x78-0x7F */
static inline bool ipmb_addr_is_node(uint8_t sa) {
        return (sa & 1) == 0 && sa >= IPMB_NODE_ADDR_MIN && sa <= IPMB_NODE_ADDR_MAX;
}

/* Two's-complement checksum: the byte that makes the sum of buf[0..len) plus itself zero. */
uint8_t ipmb_checksum(const uint8_t *buf, size_t len);

/*
 * Decode a request frame addressed to own_sa (8-bit). max_msg_len bounds rsSA..chk2 and must be
 * in [IPMB_REQUEST_MIN_LEN, IPMB_KERNEL_MAX_MSG_LEN]; a broadcast may be one byte longer.
 * Returns IPMB_OK and fills *out, or an enum ipmb_reject reason leaving *out untouched,
 * or -EINVAL for a bad max_msg_len.
 */
static inline int ipmb_decode_request(const uint8_t *frame, size_t len, uint8_t own_sa,
                                      size_t max_msg_len, struct ipmb_request *out);

/* Decode a response frame addressed to own_sa. Same conventions as ipmb_decode_request(). */
int ipmb_decode_response(const uint8_t *frame, size_t len, uint8_t own_sa, size_t max_msg_len,
                         struct ipmb_response *out);

/* Where a response's data starts in its frame (after rqSA netFn chk1 rsSA seq cmd cc). */
#define IPMB_RESPONSE_DATA_OFFSET  7

/*
 * Encode into buf (size bytes). The data may already be in place in buf (a response's at
 * IPMB_RESPONSE_DATA_OFFSET, a request's at 6): it is then not copied. Returns the frame length, -EMSGSIZE if the frame would exceed
 * max_msg_len or size, -EINVAL for out-of-range fields (netFn parity, seq > 63, LUN > 3).
 */
int ipmb_encode_request(const struct ipmb_request *req, uint8_t *buf, size_t size, size_t max_msg_len);
int ipmb_encode_response(const struct ipmb_response *rsp, uint8_t *buf, size_t size, size_t max_msg_len);

/*
 * Build the response to a request frame, request[0..request_len) as received (a broadcast with
 * its 0x00 prefix), that ipmb_decode_request() accepted, in buf, whose data_len data bytes the
 * caller already wrote at IPMB_RESPONSE_DATA_OFFSET: the header (rqSA, netFn+1, rqLUN, our
 * rsSA, seq, rsLUN, cmd), cc and both checksums around them, without copying the data. buf must
 * not overlap request. Same result as ipmb_response_init() + ipmb_encode_response() on the
 * decoded request; -EINVAL for a bad max_msg_len or a frame too short to be a request or with a
 * response's netFn, -EMSGSIZE as there. The frame path's one call per request: built from the
 * request's bytes, not from struct ipmb_request, whose fields would all be checked again.
 */
static inline int ipmb_encode_reply(const uint8_t *request, size_t request_len, uint8_t cc,
                                    size_t data_len, uint8_t *buf, size_t size,
                                    size_t max_msg_len);

/* Fill *rsp's addressing (rqSA, netFn+1, rqLUN, our rsSA, seq, rsLUN, cmd) from a request. */
void ipmb_response_init(struct ipmb_response *rsp, const struct ipmb_request *req);

/* Largest response data (excluding cc) that fits a message of max_msg_len bytes. */
static inline size_t ipmb_response_data_max(size_t max_msg_len) {
        return max_msg_len > IPMB_RESPONSE_MIN_LEN ? max_msg_len - IPMB_RESPONSE_MIN_LEN : 0;
}

/* Stable short names, for counters and logs: "short", "header-checksum", ... */
const char *ipmb_reject_to_string(int reason);

#include "protocol/ipmb-frame-inline.h"
