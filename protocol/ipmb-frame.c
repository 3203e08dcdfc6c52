/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "protocol/ipmb-frame.h"

uint8_t ipmb_checksum(const uint8_t *buf, size_t len) {
        uint8_t sum = 0;

        for (; len > IPMB_BYTE_SUM_MAX; len -= IPMB_BYTE_SUM_MAX, buf += IPMB_BYTE_SUM_MAX)
                sum = (uint8_t) (sum + ipmb_byte_sum(buf, IPMB_BYTE_SUM_MAX));
        return (uint8_t) -(sum + ipmb_byte_sum(buf, len));
}

int ipmb_decode_response(const uint8_t *frame, size_t len, uint8_t own_sa, size_t max_msg_len,
                         struct ipmb_response *out) {
        int r;

        if (!ipmb_max_len_valid(max_msg_len))
                return -EINVAL;

        r = ipmb_check_frame(frame, len, IPMB_RESPONSE_MIN_LEN, max_msg_len, own_sa);
        if (r != IPMB_OK)
                return r;
        if (ipmb_netfn_is_request_byte(frame[IPMB_OFF_NETFN_LUN]))
                return IPMB_REJECT_NOT_A_RESPONSE;

        *out = (struct ipmb_response) {
                .rq_sa = frame[IPMB_OFF_DEST],
                .netfn = frame[IPMB_OFF_NETFN_LUN] >> 2,
                .rq_lun = frame[IPMB_OFF_NETFN_LUN] & 3,
                .rs_sa = frame[IPMB_OFF_SRC],
                .seq = frame[IPMB_OFF_SEQ_LUN] >> 2,
                .rs_lun = frame[IPMB_OFF_SEQ_LUN] & 3,
                .cmd = frame[IPMB_OFF_CMD],
                .cc = frame[IPMB_OFF_BODY],
                .data = frame + IPMB_OFF_BODY + 1,
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

        if (!ipmb_max_len_valid(max_msg_len))
                return -EINVAL;
        if (netfn > IPMB_NETFN_MAX_VALUE || seq > IPMB_SEQ_MAX || dest_lun > 3 || src_lun > 3)
                return -EINVAL;
        if (data_len > 0 && !data)
                return -EINVAL;
        if (data_len > IPMB_KERNEL_MAX_MSG_LEN || len > max_msg_len || len > size)
                return -EMSGSIZE;

        buf[i++] = dest;
        buf[i++] = (uint8_t) (netfn << 2 | dest_lun);
        buf[i] = (uint8_t) -(buf[IPMB_OFF_DEST] + buf[IPMB_OFF_NETFN_LUN]);
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
        buf[i] = (uint8_t) -ipmb_byte_sum(buf + IPMB_OFF_SRC, i - IPMB_OFF_SRC);
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
