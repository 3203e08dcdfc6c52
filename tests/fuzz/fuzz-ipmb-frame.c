/* SPDX-License-Identifier: MIT */
/*
 * The IPMB frame decoder on any bytes. Byte 0 picks the message limit and our address; the
 * rest is the frame. Properties checked beyond "does not crash": whatever decodes must encode
 * back to exactly the same bytes, and the decoded data must lie inside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/ipmb-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *frame, size_t len, uint8_t own, size_t max) {
        struct ipmb_request req;
        uint8_t buf[IPMB_KERNEL_MAX_MSG_LEN];
        int r = ipmb_decode_request(frame, len, own, max, &req);

        if (r < 0 || r >= _IPMB_REJECT_MAX)
                abort();
        if (r != IPMB_OK)
                return;
        if (req.data < frame || req.data + req.data_len > frame + len)
                abort();
        /* The frame path's encoder answers it as ipmb_encode_response() would. */
        struct ipmb_response rsp;
        uint8_t a[IPMB_KERNEL_MAX_MSG_LEN], b[IPMB_KERNEL_MAX_MSG_LEN];
        size_t n = req.data_len <= sizeof(a) - IPMB_RESPONSE_DATA_OFFSET ?
                   req.data_len : sizeof(a) - IPMB_RESPONSE_DATA_OFFSET;
        int ra, rb;

        ipmb_response_init(&rsp, &req);
        rsp.cc = req.cmd;
        rsp.data = req.data;
        rsp.data_len = req.data_len;
        ra = ipmb_encode_response(&rsp, a, sizeof(a), max);
        memcpy(b + IPMB_RESPONSE_DATA_OFFSET, req.data, n);
        rb = ipmb_encode_reply(frame, len, rsp.cc, req.data_len, b, sizeof(b), max);
        if (ra != rb || (ra > 0 && memcmp(a, b, (size_t) ra) != 0))
                abort();

        r = ipmb_encode_request(&req, buf, sizeof(buf), max);
        /* A broadcast's prefix is not part of the frame the encoder builds. */
        if (req.broadcast) {
                frame++;
                len--;
        }
        if (r < 0 || (size_t) r != len || memcmp(buf, frame, len) != 0)
                abort();
}

static void check_response(const uint8_t *frame, size_t len, uint8_t own, size_t max) {
        struct ipmb_response rsp;
        uint8_t buf[IPMB_KERNEL_MAX_MSG_LEN];
        int r = ipmb_decode_response(frame, len, own, max, &rsp);

        if (r < 0 || r >= _IPMB_REJECT_MAX)
                abort();
        if (r != IPMB_OK)
                return;
        r = ipmb_encode_response(&rsp, buf, sizeof(buf), max);
        if (r < 0 || (size_t) r != len || memcmp(buf, frame, len) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t max;
        uint8_t own;

        if (size < 1)
                return 0;
        max = data[0] & 1 ? IPMB_KERNEL_MAX_MSG_LEN : IPMB_DEFAULT_MAX_MSG_LEN;
        /* Mostly the address the corpus uses, sometimes whatever the frame claims. */
        own = data[0] & 2 || size < 2 ? 0x72 : data[1];
        check_request(data + 1, size - 1, own, max);
        check_response(data + 1, size - 1, own, max);
        return 0;
}
