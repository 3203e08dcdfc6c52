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
#include <string.h>

#include "protocol/ipmi.h"

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
        uint8_t chain;                  /* next (older) slot + 1 in the same bucket; 0 = end */
        uint8_t newer;                  /* slot + 1 whose chain names this one; 0 = the bucket */
        uint8_t req_len;
        uint8_t rsp_len;
        uint8_t req[RESPONSE_CACHE_FRAME_MAX];
        uint8_t rsp_room[RESPONSE_CACHE_HEADROOM + RESPONSE_CACHE_FRAME_MAX];  /* headroom, rsp */
};

/*
 * A ring of one slot more than the cache holds. The slot at next is the spare, where the frame
 * path builds its next response in place (response_cache_next_response()); storing it makes it
 * the newest entry and the slot after it, the oldest entry, the new spare. So a response is
 * never copied into the cache, and the entry evicted is always the last of its bucket's chain
 * (chains run newest first), unlinked through its newer neighbour without a walk.
 */
struct response_cache {
        uint64_t window_usec;           /* 0 disables the cache */
        uint8_t next;                   /* the spare slot */
        uint8_t bucket[RESPONSE_CACHE_BUCKETS];  /* first slot + 1 of each chain; 0 = empty */
        unsigned compared;              /* entries whose bytes the last lookup compared (tests) */
        struct response_cache_entry e[RESPONSE_CACHE_SLOTS + 1];
};

void response_cache_init(struct response_cache *c, uint64_t window_usec);
void response_cache_clear(struct response_cache *c);

/* Where to build the next response (RESPONSE_CACHE_FRAME_MAX bytes, RESPONSE_CACHE_HEADROOM
 * writable bytes in front): valid until the next commit, store, clear or init. */
static inline uint8_t *response_cache_next_response(struct response_cache *c) {
        return c->e[c->next].rsp_room + RESPONSE_CACHE_HEADROOM;
}

/*
 * Look for a stored response to a request frame identical to req[0..req_len) seen at most
 * window_usec before now. Returns the response length and sets *rsp, or 0 if none.
 */
size_t response_cache_lookup(struct response_cache *c, const uint8_t *req, size_t req_len,
                             uint64_t now_usec, const uint8_t **rsp);

/* Remember the response sent for req. Frames longer than the slot are not cached; callers
 * store only responses for which response_cache_keeps() holds. */
void response_cache_store(struct response_cache *c, const uint8_t *req, size_t req_len,
                          const uint8_t *rsp, size_t rsp_len, uint64_t now_usec);

/*
 * The frame path's calls, inline: called once per request each, they cost more in calls and
 * saved registers than in work when out of line (callgrind, Get Device ID, release build).
 */

/* The key of a request frame for response_cache_find() and response_cache_commit(): computed
 * once per frame by the caller. */
/*
 * Hash of what tells requests apart, in two loads: the length, the first four bytes (rsSA,
 * netFn/LUN, header checksum, rqSA; or the broadcast byte first) and the last four, whose
 * checksum covers rqSA, seq, cmd and data, so that a new seq changes them. A retry is
 * byte-identical, so it hashes alike; the exact-bytes comparison below still decides.
 */
static inline uint32_t response_cache_hash(const uint8_t *req, size_t req_len) {
        uint32_t head = 0, tail = 0;

        if (req_len >= sizeof(head)) {
                memcpy(&head, req, sizeof(head));
                memcpy(&tail, req + req_len - sizeof(tail), sizeof(tail));
        } else
                memcpy(&head, req, req_len);
        /* Fibonacci hashing: the high bits of the product depend on every input bit. */
        return (uint32_t) (((((uint64_t) head << 32) | tail) ^ req_len) *
                           UINT64_C(0x9E3779B97F4A7C15) >> 32);
}

/*
 * memcpy() and memcmp() of a request frame (7 to 129 bytes), inlined for the common short ones:
 * two overlapping 8-byte moves cover 8 to 16 bytes, two 4-byte ones 4 to 8 (a Get Device ID is
 * 7), where the library call's dispatch cost more than the copy (callgrind, Get Device ID).
 */
#define RESPONSE_CACHE_MOVE(T, dst, src, len) do {                                             \
                T a_, b_;                                                                      \
                memcpy(&a_, (src), sizeof(T));                                                 \
                memcpy(&b_, (src) + (len) - sizeof(T), sizeof(T));                             \
                memcpy((dst), &a_, sizeof(T));                                                 \
                memcpy((dst) + (len) - sizeof(T), &b_, sizeof(T));                             \
        } while (0)

static inline void response_cache_frame_copy(uint8_t *dst, const uint8_t *src, size_t len) {
        if (len >= 8 && len <= 16)
                RESPONSE_CACHE_MOVE(uint64_t, dst, src, len);
        else if (len >= 4 && len < 8)
                RESPONSE_CACHE_MOVE(uint32_t, dst, src, len);
        else
                memcpy(dst, src, len);
}

#define RESPONSE_CACHE_DIFF(T, x, y, len) __extension__ ({                                     \
                T a_, b_, c_, d_;                                                              \
                memcpy(&a_, (x), sizeof(T));                                                   \
                memcpy(&b_, (y), sizeof(T));                                                   \
                memcpy(&c_, (x) + (len) - sizeof(T), sizeof(T));                               \
                memcpy(&d_, (y) + (len) - sizeof(T), sizeof(T));                               \
                (a_ ^ b_) | (c_ ^ d_);                                                         \
        })

static inline bool response_cache_frame_equal(const uint8_t *x, const uint8_t *y,
                                              size_t len) {
        if (len >= 8 && len <= 16)
                return RESPONSE_CACHE_DIFF(uint64_t, x, y, len) == 0;
        if (len >= 4 && len < 8)
                return RESPONSE_CACHE_DIFF(uint32_t, x, y, len) == 0;
        return memcmp(x, y, len) == 0;
}

static inline unsigned response_cache_bucket(uint32_t hash) {
        _Static_assert(RESPONSE_CACHE_BUCKETS == 64, "the bucket is the top 6 bits");
        return hash >> 26;
}

/*
 * response_cache_lookup() with the hash already computed; the response it finds has
 * RESPONSE_CACHE_HEADROOM writable bytes in front of it. The whole request frame is the key.
 * A genuine retry is byte-identical (same rqSA, netFn, LUNs, seq, cmd and data); a requester
 * whose 6-bit seq wrapped around and who now asks something different must be executed, not
 * answered from the cache.
 */
static inline size_t response_cache_find(struct response_cache *c, uint32_t hash,
                                         const uint8_t *req, size_t req_len,
                                         uint64_t now_usec, uint8_t **rsp) {
        /* No test of window_usec == 0 or req_len > RESPONSE_CACHE_FRAME_MAX: commit stores
         * nothing then, so the chains are empty or hold no entry of that length. */
        c->compared = 0;
        for (unsigned s = c->bucket[response_cache_bucket(hash)]; s != 0;
             s = c->e[s - 1].chain) {
                const struct response_cache_entry *e = &c->e[s - 1];

                if (e->hash != hash || e->req_len != req_len ||
                    now_usec - e->stamp_usec > c->window_usec)
                        continue;
                c->compared++;
                if (!response_cache_frame_equal(e->req, req, req_len))
                        continue;
                *rsp = c->e[s - 1].rsp_room + RESPONSE_CACHE_HEADROOM;
                return e->rsp_len;
        }
        return 0;
}

/*
 * Whether a response with this completion code may be replayed. The cache exists so that a
 * request is not executed twice; a response that says "nothing was done, this may work later"
 * (0xFF unspecified, e.g. a write that could not be persisted; 0xC0 node busy; 0xC3 timeout;
 * 0xCE cannot provide response; 0x81 FRU device busy; 0xD0-0xD2 SDR/firmware update or
 * initialisation in progress) must not stand in for the retry, which should be tried again.
 */
static inline bool response_cache_keeps(uint8_t cc) {
        if (cc == IPMI_CC_OK)
                return true;    /* nearly every answer: one test, not the switch's range */
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

/* Take the oldest entry, e (the last of its chain), out of its bucket. */
static inline void response_cache_evict(struct response_cache *c,
                                        struct response_cache_entry *e) {
        if (e->newer != 0)
                c->e[e->newer - 1].chain = 0;
        else
                c->bucket[response_cache_bucket(e->hash)] = 0;
        e->stamp_usec = 0;
}

/* Keep the rsp_len bytes built at response_cache_next_response() as the response to req
 * (hash = response_cache_hash(req)): response_cache_store() without the copy. */
static inline void response_cache_commit(struct response_cache *c, uint32_t hash,
                                         const uint8_t *req, size_t req_len, size_t rsp_len,
                                         uint64_t now_usec) {
        unsigned s = c->next, b = response_cache_bucket(hash), head = c->bucket[b];
        struct response_cache_entry *e = &c->e[s], *oldest;

        if (c->window_usec == 0 || req_len > RESPONSE_CACHE_FRAME_MAX ||
            rsp_len > RESPONSE_CACHE_FRAME_MAX || now_usec == 0)
                return;

        /* Round robin: with 16 slots and one request at a time from a BMC, an entry lives far
         * longer than any requester's retry schedule. */
        e->stamp_usec = now_usec;
        e->hash = hash;
        e->req_len = (uint8_t) req_len;
        e->rsp_len = (uint8_t) rsp_len;
        response_cache_frame_copy(e->req, req, req_len);

        /* Newest first: a retry asks soon after its original. */
        e->chain = (uint8_t) head;
        e->newer = 0;
        if (head != 0)
                c->e[head - 1].newer = (uint8_t) (s + 1);
        c->bucket[b] = (uint8_t) (s + 1);

        /* The slot after it holds the oldest entry: it becomes the spare. */
        c->next = (uint8_t) (s == RESPONSE_CACHE_SLOTS ? 0 : s + 1);
        oldest = &c->e[c->next];
        if (oldest->stamp_usec != 0)
                response_cache_evict(c, oldest);
}
