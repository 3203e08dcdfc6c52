/* SPDX-License-Identifier: MIT */
/*
 * The ipmitool "dummy" interface codec on any bytes, read the way the daemon reads its socket:
 * as a stream of requests, parsed one after another until one is incomplete or invalid. The
 * same bytes are then read as a stream of responses, the way a client would. Properties checked
 * beyond "does not crash":
 *  - a parse either wants more (0), refuses a complete header (-EBADMSG), or consumes exactly
 *    header + data_len with data_len <= IPMI_MAX_DATA_LEN and data right after the header;
 *  - one byte less of a parsed message is "need more", never an error or a different message;
 *  - re-encoding reproduces the consumed bytes, except that pointer and padding bytes, which
 *    mean nothing on the wire, come out as zero; and the re-encoding parses to the same fields.
 * Which header bytes are fields comes from a local copy of ipmitool's structs, not the codec's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ipmi-dummy.h"
#include "protocol/ipmi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ipmitool 1.8.19 src/plugins/dummy/dummy.h */
struct fz_dummy_rq {
        struct {
                uint8_t netfn;
                uint8_t lun;
                uint8_t cmd;
                uint8_t target_cmd;
                uint16_t data_len;
                uint8_t *data;
        } msg;
};

struct fz_dummy_rs {
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

#define RQ_HDR sizeof(struct fz_dummy_rq)
#define RS_HDR sizeof(struct fz_dummy_rs)

#define MARK(mask, type, member) \
        memset((mask) + offsetof(type, member), 1, sizeof(((type *) NULL)->member))

/* Header bytes that carry a field; the rest is padding or the pointer. */
static void request_field_mask(bool mask[static RQ_HDR]) {
        memset(mask, 0, RQ_HDR);
        MARK(mask, struct fz_dummy_rq, msg.netfn);
        MARK(mask, struct fz_dummy_rq, msg.lun);
        MARK(mask, struct fz_dummy_rq, msg.cmd);
        MARK(mask, struct fz_dummy_rq, msg.target_cmd);
        MARK(mask, struct fz_dummy_rq, msg.data_len);
}

static void response_field_mask(bool mask[static RS_HDR]) {
        memset(mask, 0, RS_HDR);
        MARK(mask, struct fz_dummy_rs, msg.netfn);
        MARK(mask, struct fz_dummy_rs, msg.cmd);
        MARK(mask, struct fz_dummy_rs, msg.seq);
        MARK(mask, struct fz_dummy_rs, msg.lun);
        MARK(mask, struct fz_dummy_rs, ccode);
        MARK(mask, struct fz_dummy_rs, data_len);
}

/* Re-encoded bytes equal the input's on fields and data, and are zero elsewhere. */
static void check_image(const uint8_t *in, const uint8_t *out, size_t len, const bool *mask,
                        size_t hdr) {
        for (size_t i = 0; i < hdr; i++)
                if (out[i] != (mask[i] ? in[i] : 0))
                        abort();
        if (memcmp(out + hdr, in + hdr, len - hdr) != 0)
                abort();
}

static void check_request(const uint8_t *in, size_t len, const struct ipmi_dummy_request *req,
                          int n) {
        uint8_t buf[RQ_HDR + IPMI_MAX_DATA_LEN];
        struct ipmi_dummy_request again;
        bool mask[RQ_HDR];
        int r;

        if (ipmi_dummy_request_header_size() != RQ_HDR)
                abort();
        if ((size_t) n > len || req->data_len > IPMI_MAX_DATA_LEN ||
            (size_t) n != RQ_HDR + req->data_len || req->data != in + RQ_HDR)
                abort();
        if (req->netfn > IPMI_NETFN_MAX || req->lun > 3)
                abort();
        if (req->bye != (req->netfn == IPMI_DUMMY_BYE_NETFN && req->cmd == IPMI_DUMMY_BYE_CMD))
                abort();
        if (ipmi_dummy_parse_request(in, (size_t) n - 1, &again) != 0)
                abort();

        r = ipmi_dummy_encode_request(req, buf, sizeof(buf));
        if (r != n)
                abort();
        request_field_mask(mask);
        check_image(in, buf, (size_t) n, mask, RQ_HDR);

        if (ipmi_dummy_parse_request(buf, (size_t) r, &again) != r)
                abort();
        if (again.netfn != req->netfn || again.lun != req->lun || again.cmd != req->cmd ||
            again.target_cmd != req->target_cmd || again.data_len != req->data_len ||
            again.bye != req->bye || again.data != buf + RQ_HDR)
                abort();
}

static void check_response(const uint8_t *in, size_t len, const struct ipmi_dummy_response *rsp,
                           int n) {
        uint8_t buf[RS_HDR + IPMI_MAX_DATA_LEN];
        struct ipmi_dummy_response again;
        bool mask[RS_HDR];
        int r;

        if (ipmi_dummy_response_header_size() != RS_HDR)
                abort();
        if ((size_t) n > len || rsp->data_len > IPMI_MAX_DATA_LEN ||
            (size_t) n != RS_HDR + rsp->data_len || rsp->data != in + RS_HDR)
                abort();
        if (ipmi_dummy_parse_response(in, (size_t) n - 1, &again) != 0)
                abort();

        r = ipmi_dummy_encode_response(rsp, buf, sizeof(buf));
        if (r != n)
                abort();
        response_field_mask(mask);
        check_image(in, buf, (size_t) n, mask, RS_HDR);

        if (ipmi_dummy_parse_response(buf, (size_t) r, &again) != r)
                abort();
        if (again.netfn != rsp->netfn || again.cmd != rsp->cmd || again.seq != rsp->seq ||
            again.lun != rsp->lun || again.ccode != rsp->ccode ||
            again.data_len != rsp->data_len || again.data != buf + RS_HDR)
                abort();
}

/* How the stream ended: "need more" or a refusal, and a refusal only of a whole header. */
static void check_end(int r, size_t left, size_t hdr) {
        if (r != 0 && r != -EBADMSG)
                abort();
        if (r == -EBADMSG && left < hdr)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t off;
        int r;

        for (off = 0;; off += (size_t) r) {
                struct ipmi_dummy_request req;

                r = ipmi_dummy_parse_request(data + off, size - off, &req);
                if (r <= 0)
                        break;
                check_request(data + off, size - off, &req, r);
        }
        check_end(r, size - off, RQ_HDR);

        for (off = 0;; off += (size_t) r) {
                struct ipmi_dummy_response rsp;

                r = ipmi_dummy_parse_response(data + off, size - off, &rsp);
                if (r <= 0)
                        break;
                check_response(data + off, size - off, &rsp, r);
        }
        check_end(r, size - off, RS_HDR);
        return 0;
}
