/* SPDX-License-Identifier: MIT */
/*
 * Replay cache for retried IPMB requests. A requester that missed our answer resends the same
 * request with the same sequence number (OpenBMC: after 250 ms, up to 6 tries). Within the
 * window, a byte-identical request from the same rqSA is answered with the stored response
 * instead of being executed twice. Expiry is checked on lookup: no timers, no idle wake-ups.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESPONSE_CACHE_SLOTS 16
#define RESPONSE_CACHE_FRAME_MAX 129
/* Hash buckets over the slots: a lookup compares the bytes of the entries whose header hash
 * matches (normally none on a miss, one on a hit), never all 16 (the benchmark's hot spot). */
#define RESPONSE_CACHE_BUCKETS 64
/* Bytes in front of every stored response that its sender may overwrite: the transport puts
 * its own header there (transport_send_in_place()) instead of copying the response. */
#define RESPONSE_CACHE_HEADROOM 1

struct response_cache_entry {
        uint64_t stamp_usec;            /* when the response was sent; 0 = empty slot */
        uint32_t hash;                  /* response_cache_hash() of req */
        uint8_t chain;                  /* next slot + 1 in the same bucket; 0 = end */
        uint8_t req_len;
        uint8_t rsp_len;
        uint8_t req[RESPONSE_CACHE_FRAME_MAX];
        uint8_t rsp_room[RESPONSE_CACHE_HEADROOM + RESPONSE_CACHE_FRAME_MAX];  /* headroom, rsp */
};

/*
 * One slot more than the cache holds: the spare, where the frame path builds its next response
 * in place (response_cache_next_response()). Storing it makes it the newest entry and the
 * oldest entry the new spare, so a response is never copied into the cache.
 */
struct response_cache {
        uint64_t window_usec;           /* 0 disables the cache */
        unsigned next;                  /* age[] position to overwrite next (oldest first) */
        uint8_t spare;                  /* the slot outside age[] */
        uint8_t age[RESPONSE_CACHE_SLOTS];       /* slots, oldest at next */
        uint8_t bucket[RESPONSE_CACHE_BUCKETS];  /* first slot + 1 of each chain; 0 = empty */
        unsigned compared;              /* entries whose bytes the last lookup compared (tests) */
        struct response_cache_entry e[RESPONSE_CACHE_SLOTS + 1];
};

void response_cache_init(struct response_cache *c, uint64_t window_usec);
void response_cache_clear(struct response_cache *c);

/* The key of a request frame for response_cache_find() and response_cache_commit(): computed
 * once per frame by the caller. */
uint32_t response_cache_hash(const uint8_t *req, size_t req_len);

/* response_cache_lookup() with the hash already computed; the response it finds has
 * RESPONSE_CACHE_HEADROOM writable bytes in front of it. */
size_t response_cache_find(struct response_cache *c, uint32_t hash, const uint8_t *req,
                           size_t req_len, uint64_t now_usec, uint8_t **rsp);

/* Where to build the next response (RESPONSE_CACHE_FRAME_MAX bytes, RESPONSE_CACHE_HEADROOM
 * writable bytes in front): valid until the next commit, store, clear or init. */
static inline uint8_t *response_cache_next_response(struct response_cache *c) {
        return c->e[c->spare].rsp_room + RESPONSE_CACHE_HEADROOM;
}

/* Keep the rsp_len bytes built at response_cache_next_response() as the response to req
 * (hash = response_cache_hash(req)): response_cache_store() without the copy. */
void response_cache_commit(struct response_cache *c, uint32_t hash, const uint8_t *req,
                           size_t req_len, size_t rsp_len, uint64_t now_usec);

/*
 * Look for a stored response to a request frame identical to req[0..req_len) seen at most
 * window_usec before now. Returns the response length and sets *rsp, or 0 if none.
 */
size_t response_cache_lookup(struct response_cache *c, const uint8_t *req, size_t req_len,
                             uint64_t now_usec, const uint8_t **rsp);

/*
 * Whether a response with this completion code may be replayed. The cache exists so that a
 * request is not executed twice; a response that says "nothing was done, this may work later"
 * (0xFF unspecified, e.g. a write that could not be persisted; 0xC0 node busy; 0xC3 timeout;
 * 0xCE cannot provide response; 0x81 FRU device busy; 0xD0-0xD2 SDR/firmware update or
 * initialisation in progress) must not stand in for the retry, which should be tried again.
 */
bool response_cache_keeps(uint8_t cc);

/* Remember the response sent for req. Frames longer than the slot are not cached; callers
 * store only responses for which response_cache_keeps() holds. */
void response_cache_store(struct response_cache *c, const uint8_t *req, size_t req_len,
                          const uint8_t *rsp, size_t rsp_len, uint64_t now_usec);
