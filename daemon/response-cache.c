/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "protocol/ipmi.h"
#include "response-cache.h"

void response_cache_init(struct response_cache *c, uint64_t window_usec) {
        *c = (struct response_cache) { .window_usec = window_usec, .spare = RESPONSE_CACHE_SLOTS };
        for (unsigned s = 0; s < RESPONSE_CACHE_SLOTS; s++)
                c->age[s] = (uint8_t) s;
}

void response_cache_clear(struct response_cache *c) {
        response_cache_init(c, c->window_usec);
}

/*
 * Hash of what tells requests apart, in two loads: the length, the first four bytes (rsSA,
 * netFn/LUN, header checksum, rqSA; or the broadcast byte first) and the last four, whose
 * checksum covers rqSA, seq, cmd and data, so that a new seq changes them. A retry is
 * byte-identical, so it hashes alike; the exact-bytes comparison below still decides.
 */
uint32_t response_cache_hash(const uint8_t *req, size_t req_len) {
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
#define FRAME_MOVE(T, dst, src, len) do {                                              \
                T a_, b_;                                                               \
                memcpy(&a_, (src), sizeof(T));                                          \
                memcpy(&b_, (src) + (len) - sizeof(T), sizeof(T));                      \
                memcpy((dst), &a_, sizeof(T));                                          \
                memcpy((dst) + (len) - sizeof(T), &b_, sizeof(T));                      \
        } while (0)

static inline void frame_copy(uint8_t *dst, const uint8_t *src, size_t len) {
        if (len >= 8 && len <= 16)
                FRAME_MOVE(uint64_t, dst, src, len);
        else if (len >= 4 && len < 8)
                FRAME_MOVE(uint32_t, dst, src, len);
        else
                memcpy(dst, src, len);
}

#define FRAME_DIFF(T, x, y, len) __extension__ ({                                     \
                T a_, b_, c_, d_;                                                       \
                memcpy(&a_, (x), sizeof(T));                                            \
                memcpy(&b_, (y), sizeof(T));                                            \
                memcpy(&c_, (x) + (len) - sizeof(T), sizeof(T));                        \
                memcpy(&d_, (y) + (len) - sizeof(T), sizeof(T));                        \
                (a_ ^ b_) | (c_ ^ d_);                                                  \
        })

static inline bool frame_equal(const uint8_t *x, const uint8_t *y, size_t len) {
        if (len >= 8 && len <= 16)
                return FRAME_DIFF(uint64_t, x, y, len) == 0;
        if (len >= 4 && len < 8)
                return FRAME_DIFF(uint32_t, x, y, len) == 0;
        return memcmp(x, y, len) == 0;
}

static unsigned bucket_of(uint32_t hash) {
        _Static_assert(RESPONSE_CACHE_BUCKETS == 64, "bucket_of() takes the top 6 bits");
        return hash >> 26;
}

/*
 * The whole request frame is the key. A genuine retry is byte-identical (same rqSA, netFn, LUNs,
 * seq, cmd and data); a requester whose 6-bit seq wrapped around and who now asks something
 * different must be executed, not answered from the cache.
 */
size_t response_cache_find(struct response_cache *c, uint32_t hash, const uint8_t *req,
                           size_t req_len, uint64_t now_usec, uint8_t **rsp) {
        c->compared = 0;
        if (c->window_usec == 0 || req_len > RESPONSE_CACHE_FRAME_MAX)
                return 0;

        for (unsigned s = c->bucket[bucket_of(hash)]; s != 0; s = c->e[s - 1].chain) {
                const struct response_cache_entry *e = &c->e[s - 1];

                if (e->hash != hash || e->req_len != req_len ||
                    now_usec - e->stamp_usec > c->window_usec)
                        continue;
                c->compared++;
                if (!frame_equal(e->req, req, req_len))
                        continue;
                *rsp = c->e[s - 1].rsp_room + RESPONSE_CACHE_HEADROOM;
                return e->rsp_len;
        }
        return 0;
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

/* Take slot s (0-based) out of its bucket's chain. */
static void unlink_slot(struct response_cache *c, unsigned s) {
        uint8_t *link = &c->bucket[bucket_of(c->e[s].hash)];

        while (*link != 0 && *link != s + 1)
                link = &c->e[*link - 1].chain;
        if (*link != 0)
                *link = c->e[s].chain;
        c->e[s].chain = 0;
}

void response_cache_commit(struct response_cache *c, uint32_t hash, const uint8_t *req,
                           size_t req_len, size_t rsp_len, uint64_t now_usec) {
        struct response_cache_entry *e;
        unsigned s, victim, b;

        if (c->window_usec == 0 || req_len > RESPONSE_CACHE_FRAME_MAX ||
            rsp_len > RESPONSE_CACHE_FRAME_MAX || now_usec == 0)
                return;

        /* Round robin overwrites the oldest entry: with 16 slots and one request at a time
         * from a BMC, an entry lives far longer than any requester's retry schedule. The spare
         * holding the new response takes the oldest's place; the oldest becomes the spare. */
        s = c->spare;
        victim = c->age[c->next];
        if (c->e[victim].stamp_usec != 0) {
                unlink_slot(c, victim);
                c->e[victim].stamp_usec = 0;
        }
        c->age[c->next] = (uint8_t) s;
        c->spare = (uint8_t) victim;
        c->next = (c->next + 1) % RESPONSE_CACHE_SLOTS;

        e = &c->e[s];
        e->stamp_usec = now_usec;
        e->hash = hash;
        e->req_len = (uint8_t) req_len;
        e->rsp_len = (uint8_t) rsp_len;
        frame_copy(e->req, req, req_len);

        /* Newest first: a retry asks soon after its original. */
        b = bucket_of(hash);
        e->chain = c->bucket[b];
        c->bucket[b] = (uint8_t) (s + 1);
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
