/* SPDX-License-Identifier: MIT */
/*
 * ipmitool's "dummy" interface (-I dummy, ipmitool 1.8.19 src/plugins/dummy/): a UNIX stream
 * socket ($IPMI_DUMMY_SOCK, default /tmp/.ipmi_dummy) over which ipmitool writes, per request,
 * the raw bytes of its struct dummy_rq in the host's native layout followed by data_len data
 * bytes, and reads back the raw bytes of its struct dummy_rs followed by data_len data bytes:
 *
 *   struct dummy_rq { struct { uint8_t netfn; uint8_t lun; uint8_t cmd; uint8_t target_cmd;
 *                              uint16_t data_len; uint8_t *data; } msg; };
 *   struct dummy_rs { struct { uint8_t netfn; uint8_t cmd; uint8_t seq; uint8_t lun; } msg;
 *                     uint8_t ccode; int data_len; uint8_t *data; };
 *
 * Because the structs travel as they lie in memory, the wire format is the platform ABI's:
 * sizes, padding, the width of int and pointers, and byte order are the host's. The codec
 * derives all of it from mirror structs with offsetof()/sizeof(), so it matches an ipmitool
 * built for the same ABI, and only that. On x86-64 the request header is 16 bytes (data_len
 * at offset 4, the pointer at 8) and the response header 24 bytes (ccode at 4, data_len at 8,
 * the pointer at 16). Pointers and padding mean nothing across the socket: they are ignored
 * when parsing and sent as zeros.
 *
 * The completion code travels in ccode; the response data excludes it. When ipmitool closes
 * the interface it sends a "BYE" request: netFn 0x3f, cmd 0xff, no data.
 *
 * Two quirks of ipmitool's socket loops that a server must respect:
 *  - Its read loop does not advance the buffer pointer after a short read; a second read()
 *    lands at the start of the buffer again. A server must therefore write a response's header
 *    and data with ONE write() (ipmi_dummy_encode_response() builds exactly that buffer), so
 *    each of ipmitool's two reads finds everything it asks for already queued.
 *  - Its read loop retries forever when read() returns 0, so closing the socket while
 *    ipmitool waits for a response makes it spin rather than fail. Answer every request.
 *
 * Requests arrive as a byte stream, typically header and data in separate writes, so the
 * parser takes a buffer that may hold part of a request or several, and says how much it used.
 *
 * Pure byte-level code: no I/O, no allocation, no globals; safe on any input.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPMI_DUMMY_BYE_NETFN 0x3f
#define IPMI_DUMMY_BYE_CMD   0xff

/* Bytes of ipmitool's struct dummy_rq on this ABI (16 on x86-64). */
size_t ipmi_dummy_request_header_size(void);

/* Bytes of ipmitool's struct dummy_rs on this ABI (24 on x86-64). */
size_t ipmi_dummy_response_header_size(void);

/* One request. After parsing, data points into the caller's buffer. */
struct ipmi_dummy_request {
        uint8_t netfn;          /* 6 bits */
        uint8_t lun;            /* 2 bits */
        uint8_t cmd;
        uint8_t target_cmd;     /* ipmitool's bridging hint; carried, not interpreted */
        const uint8_t *data;    /* may be NULL when data_len is 0 */
        size_t data_len;        /* at most IPMI_MAX_DATA_LEN */
        bool bye;               /* netFn 0x3f cmd 0xff: the client is closing */
};

/*
 * Parse one request at the start of buf, a stream that may hold a partial request or several.
 * Returns the bytes it occupies (header + data, > 0) and fills *out (data points into buf),
 * 0 when more bytes are needed, or -EBADMSG when the header can never be valid: data_len over
 * IPMI_MAX_DATA_LEN (255, from protocol/ipmi.h), netfn > 0x3f, lun > 3, a BYE with data.
 * A header is judged only once it is complete. *out is written only on success. After
 * -EBADMSG the stream has lost its framing for good: the caller should drop the connection.
 */
int ipmi_dummy_parse_request(const uint8_t *buf, size_t len, struct ipmi_dummy_request *out);

/* One response. data excludes the completion code. */
struct ipmi_dummy_response {
        uint8_t netfn;          /* ipmitool does not check these four; echo the request's, */
        uint8_t cmd;            /* with netfn + 1 as on any other interface */
        uint8_t seq;
        uint8_t lun;
        uint8_t ccode;
        const uint8_t *data;    /* may be NULL when data_len is 0 */
        size_t data_len;        /* at most IPMI_MAX_DATA_LEN */
};

/*
 * Header + data into buf, ready for a single write(). Returns the length, -EMSGSIZE if size
 * is too small or data_len > IPMI_MAX_DATA_LEN, or -EINVAL if data is NULL with data_len > 0.
 */
int ipmi_dummy_encode_response(const struct ipmi_dummy_response *rsp, uint8_t *buf, size_t size);

/*
 * The client side (the tests, and tools that speak to satmcd).
 *
 * Header + data into buf. bye set, or netfn 0x3f with cmd 0xff, encodes a BYE (netfn and cmd
 * forced to the BYE values, lun and target_cmd as given). Returns the length, -EMSGSIZE if
 * size is too small, -EINVAL for netfn > 0x3f, lun > 3, data_len > IPMI_MAX_DATA_LEN, a BYE
 * with data, or data NULL with data_len > 0: whatever ipmi_dummy_parse_request() would refuse.
 */
int ipmi_dummy_encode_request(const struct ipmi_dummy_request *req, uint8_t *buf, size_t size);

/*
 * Parse one response at the start of buf, a stream. Returns bytes consumed (header + data),
 * 0 if more are needed, -EBADMSG if data_len is negative or > IPMI_MAX_DATA_LEN. The other
 * header fields are taken as they are. *out is written only on success.
 */
int ipmi_dummy_parse_response(const uint8_t *buf, size_t len, struct ipmi_dummy_response *out);
