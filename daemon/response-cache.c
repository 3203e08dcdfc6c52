/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "response-cache.h"

void response_cache_init(struct response_cache *c, uint64_t window_usec) {
        *c = (struct response_cache) { .window_usec = window_usec };
}

void response_cache_clear(struct response_cache *c) {
        response_cache_init(c, c->window_usec);
}

size_t response_cache_lookup(struct response_cache *c, const uint8_t *req, size_t req_len,
                             uint64_t now_usec, const uint8_t **rsp) {
        uint8_t *found;
        size_t n;

        n = response_cache_find(c, response_cache_hash(req, req_len), req, req_len, now_usec,
                                &found);
        if (n > 0)
                *rsp = found;
        return n;
}

void response_cache_store(struct response_cache *c, const uint8_t *req, size_t req_len,
                          const uint8_t *rsp, size_t rsp_len, uint64_t now_usec) {
        uint8_t *slot = response_cache_next_response(c);

        if (rsp_len > RESPONSE_CACHE_FRAME_MAX)
                return;
        if (rsp != slot)
                memcpy(slot, rsp, rsp_len);
        response_cache_commit(c, response_cache_hash(req, req_len), req, req_len, rsp_len,
                              now_usec);
}
