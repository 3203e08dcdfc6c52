/* SPDX-License-Identifier: MIT */
/*
 * The Manager's side of [oem.N] (oem-hook.h): requests whose answer comes later. The dispatch
 * path answers at once; an OEM program answers when it ends, so the request is kept here (the
 * IPMB frame itself, or the local client) and answered from the loop when it does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

struct oem_pending {
        struct manager *m;
        bool local;
        struct ipmitool_client *client;         /* local; NULL once it went away */
        uint8_t netfn, cmd, lun;
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN]; /* IPMB: the request as received */
        size_t frame_len;
        unsigned bus;                           /* IPMB: the bus it came on, answered there */
};

/* Answer an IPMB request frame (decoded again: it was valid when it came) and keep the answer
 * for the replay cache, as manager_handle_frame() does for dispatched requests. */
static void answer_frame(struct manager *m, unsigned bus, const uint8_t *frame, size_t len,
                         uint8_t cc, const uint8_t *data, size_t data_len) {
        const struct satmc_config *c = m->config;
        uint8_t buf[IPMB_KERNEL_MAX_MSG_LEN];
        struct ipmb_request req;
        struct ipmb_response rsp;
        int r;

        if (ipmb_decode_request(frame, len, c->address, c->max_msg_len, &req) != IPMB_OK)
                return;
        ipmb_response_init(&rsp, &req);
        rsp.cc = cc;
        rsp.data = cc == IPMI_CC_OK ? data : NULL;
        rsp.data_len = cc == IPMI_CC_OK ? data_len : 0;
        r = ipmb_encode_response(&rsp, buf, sizeof(buf), c->max_msg_len);
        if (r < 0) {
                counter_inc(&m->counters, COUNTER_SEND_FAILED);
                log_error_errno(r, "Failed to encode OEM response to netfn 0x%02x cmd 0x%02x: %m",
                                req.netfn, req.cmd);
                return;
        }
        log_frame_debug(req.netfn, req.cmd, ipmi_cc_name(cc),
                        "0x%02x seq %u: netfn 0x%02x cmd 0x%02x -> cc 0x%02x, %zu bytes (OEM)",
                        req.rq_sa, req.seq, req.netfn, req.cmd, cc, rsp.data_len);
        if (cc != IPMI_CC_OK)
                counter_inc(&m->counters, COUNTER_CC_ERROR);
        manager_send_on(m, bus, buf, (size_t) r);
        if (response_cache_keeps(cc))
                response_cache_store(&m->cache, frame, len, buf, (size_t) r,
                                     loop_now_usec(m->event));
}

static void answer_local(struct ipmitool_client *client, uint8_t netfn, uint8_t cmd, uint8_t lun,
                         uint8_t cc, const uint8_t *data, size_t len) {
        struct ipmi_dummy_response rsp = {
                .netfn = (uint8_t) (netfn | 1),
                .cmd = cmd,
                .lun = lun,
                .ccode = cc,
                .data = cc == IPMI_CC_OK ? data : NULL,
                .data_len = cc == IPMI_CC_OK ? len : 0,
        };

        (void) ipmitool_client_reply(client, &rsp);
}

static void on_oem_done(void *userdata, uint8_t cc, const uint8_t *data, size_t len) {
        struct oem_pending *p = userdata;

        if (!p->local)
                answer_frame(p->m, p->bus, p->frame, p->frame_len, cc, data, len);
        else if (p->client)
                answer_local(p->client, p->netfn, p->cmd, p->lun, cc, data, len);
        free(p);
}

/* Start section index for p; on failure answer 0xFF at once (nothing was done). */
static void oem_start(struct manager *m, int index, struct oem_pending *p,
                      const struct oem_request *req, size_t cap) {
        int r = oem_table_run(m->oem, index, req, cap, on_oem_done, p);

        if (r >= 0)
                return;
        on_oem_done(p, IPMI_CC_UNSPECIFIED, NULL, 0);
}

bool manager_oem_frame(struct manager *m, const struct ipmi_msg_in *in, const uint8_t *frame,
                       size_t len) {
        struct oem_pending *p, *busy;
        unsigned bus = in->bus;
        int index;

        index = oem_table_find(m->oem, in->netfn, in->cmd, in->lun, in->data, in->len);
        if (index < 0)
                return false;
        if (oem_table_busy(m->oem, index, (void **) &busy)) {
                /* The requester's retry of what runs now: its answer follows. Not a second
                 * run, whatever the program does. */
                if (busy && !busy->local && busy->frame_len == len &&
                    memcmp(busy->frame, frame, len) == 0) {
                        counter_inc(&m->counters, COUNTER_RESPONSES_REPLAYED);
                        log_frame_debug(in->netfn, in->cmd, "in-progress",
                                        "Retry from 0x%02x of an OEM request in progress: "
                                        "answered when it ends", in->rq_sa);
                        return true;
                }
                oem_table_count_busy(m->oem, index);
                answer_frame(m, bus, frame, len, IPMI_CC_NODE_BUSY, NULL, 0);
                return true;
        }

        counter_inc(&m->counters, COUNTER_REQUESTS_HANDLED);
        p = calloc(1, sizeof(*p));
        if (!p) {
                answer_frame(m, bus, frame, len, IPMI_CC_UNSPECIFIED, NULL, 0);
                return true;
        }
        *p = (struct oem_pending) { .m = m, .frame_len = len, .bus = bus };
        memcpy(p->frame, frame, len);
        oem_start(m, index, p, &(const struct oem_request) {
                        .netfn = in->netfn, .cmd = in->cmd, .lun = in->lun,
                        .rq_sa = in->rq_sa, .data = in->data, .len = in->len,
                }, ipmb_response_data_max(m->config->max_msg_len));
        return true;
}

bool manager_oem_local(struct manager *m, struct ipmitool_client *c,
                       const struct ipmi_dummy_request *req) {
        struct oem_pending *p;
        int index;

        index = oem_table_find(m->oem, req->netfn, req->cmd, req->lun, req->data, req->data_len);
        if (index < 0)
                return false;
        counter_inc(&m->counters, COUNTER_LOCAL_REQUESTS);
        if (oem_table_busy(m->oem, index, NULL)) {
                oem_table_count_busy(m->oem, index);
                answer_local(c, req->netfn, req->cmd, req->lun, IPMI_CC_NODE_BUSY, NULL, 0);
                return true;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                answer_local(c, req->netfn, req->cmd, req->lun, IPMI_CC_UNSPECIFIED, NULL, 0);
                return true;
        }
        *p = (struct oem_pending) {
                .m = m, .local = true, .client = c,
                .netfn = req->netfn, .cmd = req->cmd, .lun = req->lun,
        };
        oem_start(m, index, p, &(const struct oem_request) {
                        .netfn = req->netfn, .cmd = req->cmd, .lun = req->lun, .rq_sa = -1,
                        .data = req->data, .len = req->data_len,
                }, IPMI_MAX_DATA_LEN);
        return true;
}

void manager_oem_free(struct manager *m) {
        struct oem_pending *p;

        if (!m->oem)
                return;
        /* Requests still running are not answered: the program is killed at exit. */
        for (unsigned i = 0; i < oem_table_count(m->oem); i++)
                if (oem_table_busy(m->oem, (int) i, (void **) &p))
                        free(p);
        m->oem = oem_table_free(m->oem);
}

void manager_oem_disconnect(struct manager *m, struct ipmitool_client *c) {
        struct oem_pending *p;

        if (!m->oem)
                return;
        for (unsigned i = 0; i < oem_table_count(m->oem); i++)
                if (oem_table_busy(m->oem, (int) i, (void **) &p) && p && p->local &&
                    p->client == c)
                        p->client = NULL;
}
