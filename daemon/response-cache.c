/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "protocol/ipmi.h"
#include "response-cache.h"

void response_cache_init(struct response_cache *c, uint64_t window_usec) {
        *c = (struct response_cache) { .window_usec = window_usec };
}

void response_cache_clear(struct response_cache *c) {
        response_cache_init(c, c->window_usec);
}

/*
 * The whole request frame is the key. A genuine retry is byte-identical (same rqSA, netFn, LUNs,
 * seq, cmd and data); a requester whose 6-bit seq wrapped around and who now asks something
 * different must be executed, not answered from the cache.
 */
size_t response_cache_lookup(const struct response_cache *c, const uint8_t *req, size_t req_len,
                             uint64_t now_usec, const uint8_t **rsp) {
        if (c->window_usec == 0 || req_len > RESPONSE_CACHE_FRAME_MAX)
                return 0;

        for (unsigned i = 0; i < RESPONSE_CACHE_SLOTS; i++) {
                const struct response_cache_entry *e = &c->e[i];

                if (e->stamp_usec == 0 || now_usec - e->stamp_usec > c->window_usec)
                        continue;
                if (e->req_len != req_len || memcmp(e->req, req, req_len) != 0)
                        continue;
                *rsp = e->rsp;
                return e->rsp_len;
        }
        return 0;
}

bool response_cache_keeps(uint8_t cc) {
        switch (cc) {
        case IPMI_CC_UNSPECIFIED:
        case IPMI_CC_NODE_BUSY:
        case IPMI_CC_TIMEOUT:
        case IPMI_CC_RESPONSE_UNAVAILABLE:
        case IPMI_CC_FRU_DEVICE_BUSY:
        case IPMI_CC_SDR_IN_UPDATE:
        case IPMI_CC_FIRMWARE_IN_UPDATE:
        case IPMI_CC_INIT_IN_PROGRESS:
                return false;
        default:
                return true;
        }
}

void response_cache_store(struct response_cache *c, const uint8_t *req, size_t req_len,
                          const uint8_t *rsp, size_t rsp_len, uint64_t now_usec) {
        struct response_cache_entry *e;

        if (c->window_usec == 0 || req_len > RESPONSE_CACHE_FRAME_MAX ||
            rsp_len > RESPONSE_CACHE_FRAME_MAX || now_usec == 0)
                return;

        /* Round robin overwrites the oldest entry: with 16 slots and one request at a time
         * from a BMC, an entry lives far longer than any requester's retry schedule. */
        e = &c->e[c->next];
        c->next = (c->next + 1) % RESPONSE_CACHE_SLOTS;

        e->stamp_usec = now_usec;
        e->req_len = (uint8_t) req_len;
        e->rsp_len = (uint8_t) rsp_len;
        memcpy(e->req, req, req_len);
        memcpy(e->rsp, rsp, rsp_len);
}
