/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "protocol/ipmi-dummy.h"
#include "protocol/ipmi.h"

/*
 * Mirrors of ipmitool's struct dummy_rq and struct dummy_rs (src/plugins/dummy/dummy.h), member
 * for member and type for type. They are never instantiated: they exist so the compiler lays
 * them out exactly as it lays out ipmitool's, and every offset and size below comes from them.
 * Hard-coding the x86-64 numbers would silently break on i386 or arm, where int and pointers
 * differ in width or alignment.
 */
struct dummy_rq_abi {
        struct {
                uint8_t netfn;
                uint8_t lun;
                uint8_t cmd;
                uint8_t target_cmd;
                uint16_t data_len;
                uint8_t *data;
        } msg;
};

struct dummy_rs_abi {
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

#define RQ_OFF(m) offsetof(struct dummy_rq_abi, msg.m)
#define RS_OFF(m) offsetof(struct dummy_rs_abi, m)

#define RQ_HDR sizeof(struct dummy_rq_abi)
#define RS_HDR sizeof(struct dummy_rs_abi)

/* Results are returned as int; make sure the largest message fits. */
_Static_assert(RQ_HDR + IPMI_MAX_DATA_LEN <= INT_MAX, "request does not fit an int");
_Static_assert(RS_HDR + IPMI_MAX_DATA_LEN <= INT_MAX, "response does not fit an int");
/* data_len fields must be able to carry the largest message at all. */
_Static_assert(IPMI_MAX_DATA_LEN <= UINT16_MAX, "request data_len too narrow");
_Static_assert(IPMI_MAX_DATA_LEN <= INT_MAX, "response data_len too narrow");

size_t ipmi_dummy_request_header_size(void) {
        return RQ_HDR;
}

size_t ipmi_dummy_response_header_size(void) {
        return RS_HDR;
}

static bool is_bye(uint8_t netfn, uint8_t cmd) {
        return netfn == IPMI_DUMMY_BYE_NETFN && cmd == IPMI_DUMMY_BYE_CMD;
}

int ipmi_dummy_parse_request(const uint8_t *buf, size_t len, struct ipmi_dummy_request *out) {
        struct ipmi_dummy_request req = {};
        uint16_t data_len;

        /* Everything that decides validity is in the header: judge nothing until it is whole. */
        if (len < RQ_HDR)
                return 0;

        req.netfn = buf[RQ_OFF(netfn)];
        req.lun = buf[RQ_OFF(lun)];
        req.cmd = buf[RQ_OFF(cmd)];
        req.target_cmd = buf[RQ_OFF(target_cmd)];
        /* Host byte order, as ipmitool wrote it; memcpy because buf has no alignment. */
        memcpy(&data_len, buf + RQ_OFF(data_len), sizeof(data_len));
        req.bye = is_bye(req.netfn, req.cmd);

        /*
         * ipmitool's own data_len is a uint16_t, but no interface carries more than
         * IPMI_MAX_DATA_LEN; a larger value is garbage or a desynchronised stream.
         */
        if (data_len > IPMI_MAX_DATA_LEN || req.netfn > IPMI_NETFN_MAX || req.lun > 3)
                return -EBADMSG;
        if (req.bye && data_len > 0)
                return -EBADMSG;

        if (len - RQ_HDR < data_len)
                return 0;

        req.data = buf + RQ_HDR;
        req.data_len = data_len;
        *out = req;
        return (int) (RQ_HDR + data_len);
}

int ipmi_dummy_encode_request(const struct ipmi_dummy_request *req, uint8_t *buf, size_t size) {
        bool bye = req->bye || is_bye(req->netfn, req->cmd);
        uint16_t data_len;

        /* Refuse what ipmi_dummy_parse_request() would refuse, so both ends agree. */
        if (req->netfn > IPMI_NETFN_MAX || req->lun > 3 || req->data_len > IPMI_MAX_DATA_LEN)
                return -EINVAL;
        if (bye && req->data_len > 0)
                return -EINVAL;
        if (!req->data && req->data_len > 0)
                return -EINVAL;
        if (size < RQ_HDR || size - RQ_HDR < req->data_len)
                return -EMSGSIZE;

        /* Padding and the pointer go out as zeros, as after ipmitool's own memset(). */
        memset(buf, 0, RQ_HDR);
        buf[RQ_OFF(netfn)] = bye ? IPMI_DUMMY_BYE_NETFN : req->netfn;
        buf[RQ_OFF(lun)] = req->lun;
        buf[RQ_OFF(cmd)] = bye ? IPMI_DUMMY_BYE_CMD : req->cmd;
        buf[RQ_OFF(target_cmd)] = req->target_cmd;
        data_len = (uint16_t) req->data_len;
        memcpy(buf + RQ_OFF(data_len), &data_len, sizeof(data_len));
        if (req->data_len > 0)
                memcpy(buf + RQ_HDR, req->data, req->data_len);
        return (int) (RQ_HDR + req->data_len);
}

int ipmi_dummy_encode_response(const struct ipmi_dummy_response *rsp, uint8_t *buf, size_t size) {
        int data_len;

        if (rsp->data_len > IPMI_MAX_DATA_LEN)
                return -EMSGSIZE;
        if (!rsp->data && rsp->data_len > 0)
                return -EINVAL;
        if (size < RS_HDR || size - RS_HDR < rsp->data_len)
                return -EMSGSIZE;

        memset(buf, 0, RS_HDR);
        buf[RS_OFF(msg.netfn)] = rsp->netfn;
        buf[RS_OFF(msg.cmd)] = rsp->cmd;
        buf[RS_OFF(msg.seq)] = rsp->seq;
        buf[RS_OFF(msg.lun)] = rsp->lun;
        buf[RS_OFF(ccode)] = rsp->ccode;
        data_len = (int) rsp->data_len;
        memcpy(buf + RS_OFF(data_len), &data_len, sizeof(data_len));
        if (rsp->data_len > 0)
                memcpy(buf + RS_HDR, rsp->data, rsp->data_len);
        return (int) (RS_HDR + rsp->data_len);
}

int ipmi_dummy_parse_response(const uint8_t *buf, size_t len, struct ipmi_dummy_response *out) {
        struct ipmi_dummy_response rsp = {};
        int data_len;

        if (len < RS_HDR)
                return 0;

        memcpy(&data_len, buf + RS_OFF(data_len), sizeof(data_len));
        /* ipmitool would skip the data of a negative data_len yet pass the length on: refuse. */
        if (data_len < 0 || data_len > IPMI_MAX_DATA_LEN)
                return -EBADMSG;
        if (len - RS_HDR < (size_t) data_len)
                return 0;

        rsp.netfn = buf[RS_OFF(msg.netfn)];
        rsp.cmd = buf[RS_OFF(msg.cmd)];
        rsp.seq = buf[RS_OFF(msg.seq)];
        rsp.lun = buf[RS_OFF(msg.lun)];
        rsp.ccode = buf[RS_OFF(ccode)];
        rsp.data = buf + RS_HDR;
        rsp.data_len = (size_t) data_len;
        *out = rsp;
        return (int) (RS_HDR + rsp.data_len);
}
