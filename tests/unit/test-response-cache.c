/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/response-cache.h"

#define WINDOW 5000000ULL

static const uint8_t req_a[] = { 0x72, 0x18, 0x76, 0x20, 0x14, 0x01, 0xcb };
static const uint8_t rsp_a[] = { 0x20, 0x1c, 0xc4, 0x72, 0x14, 0x01, 0x00, 0x55 };

static void test_hit_within_window(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;

        response_cache_init(&c, WINDOW);
        response_cache_store(&c, req_a, sizeof(req_a), rsp_a, sizeof(rsp_a), 1000);
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a), 1000 + WINDOW, &rsp),
                         sizeof(rsp_a));
        assert_memory_equal(rsp, rsp_a, sizeof(rsp_a));
}

static void test_miss_after_window(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;

        response_cache_init(&c, WINDOW);
        response_cache_store(&c, req_a, sizeof(req_a), rsp_a, sizeof(rsp_a), 1000);
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a), 1001 + WINDOW, &rsp), 0);
        assert_null(rsp);
}

/* Same seq but any other byte different: a new request after the seq wrapped, not a retry. */
static void test_any_byte_differs_is_a_miss(void **state) {
        struct response_cache c;

        response_cache_init(&c, WINDOW);
        response_cache_store(&c, req_a, sizeof(req_a), rsp_a, sizeof(rsp_a), 1000);
        for (size_t i = 0; i < sizeof(req_a); i++) {
                uint8_t req[sizeof(req_a)];
                const uint8_t *rsp = NULL;

                memcpy(req, req_a, sizeof(req));
                req[i] ^= 0x04;
                assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp), 0);
        }
        /* A prefix of the request is not the request. */
        const uint8_t *rsp = NULL;
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a) - 1, 2000, &rsp), 0);
}

/*
 * Every length the inlined comparison and copy treat apart (short moves for 4 to 16 bytes, the
 * library beyond): a copy in a buffer of exactly its length is a hit, any one byte changed is
 * a miss, wherever it is (bytes 4 to len - 5 do not reach the hash, so the comparison decides).
 */
static void test_every_length_compares_every_byte(void **state) {
        for (size_t len = 1; len <= RESPONSE_CACHE_FRAME_MAX; len++) {
                struct response_cache c;
                uint8_t *req = malloc(len), *probe = malloc(len);
                const uint8_t *rsp = NULL;

                assert_non_null(req);
                assert_non_null(probe);
                for (size_t i = 0; i < len; i++)
                        req[i] = (uint8_t) (len * 7 + i * 13);
                response_cache_init(&c, WINDOW);
                response_cache_store(&c, req, len, rsp_a, sizeof(rsp_a), 1000);
                memcpy(probe, req, len);
                assert_int_equal(response_cache_lookup(&c, probe, len, 2000, &rsp),
                                 sizeof(rsp_a));
                for (size_t i = 0; i < len; i++) {
                        probe[i] ^= 0x40;
                        rsp = NULL;
                        assert_int_equal(response_cache_lookup(&c, probe, len, 2000, &rsp), 0);
                        assert_null(rsp);
                        probe[i] ^= 0x40;
                }
                free(probe);
                free(req);
        }
}

static void test_disabled(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;

        response_cache_init(&c, 0);
        response_cache_store(&c, req_a, sizeof(req_a), rsp_a, sizeof(rsp_a), 1000);
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a), 1000, &rsp), 0);
}

static void test_oldest_evicted(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;
        uint8_t req[sizeof(req_a)];

        response_cache_init(&c, WINDOW);
        for (unsigned i = 0; i <= RESPONSE_CACHE_SLOTS; i++) {
                memcpy(req, req_a, sizeof(req));
                req[4] = (uint8_t) (i << 2);
                response_cache_store(&c, req, sizeof(req), rsp_a, sizeof(rsp_a), 1000 + i);
        }
        /* Entry 0 was overwritten by entry 16; entries 1..16 remain. */
        memcpy(req, req_a, sizeof(req));
        req[4] = 0;
        assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp), 0);
        for (unsigned i = 1; i <= RESPONSE_CACHE_SLOTS; i++) {
                req[4] = (uint8_t) (i << 2);
                assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp),
                                 sizeof(rsp_a));
        }
}

static void test_clear_and_oversize(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;
        uint8_t big[RESPONSE_CACHE_FRAME_MAX + 1] = { 0 };

        response_cache_init(&c, WINDOW);
        response_cache_store(&c, big, sizeof(big), rsp_a, sizeof(rsp_a), 1000);
        assert_int_equal(response_cache_lookup(&c, big, sizeof(big), 1000, &rsp), 0);
        response_cache_store(&c, req_a, sizeof(req_a), big, sizeof(big), 1000);
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a), 1000, &rsp), 0);
        response_cache_store(&c, req_a, sizeof(req_a), rsp_a, sizeof(rsp_a), 1000);
        response_cache_clear(&c);
        assert_int_equal(response_cache_lookup(&c, req_a, sizeof(req_a), 1000, &rsp), 0);
        assert_int_equal(c.window_usec, WINDOW);
}

/* "Nothing was done, may work later" is not an answer to replay: the retry must run. Every
 * other completion code, success and definite refusals alike, is. */
static void test_transient_failures_not_kept(void **state) {
        static const uint8_t transient[] = { 0xFF, 0xC0, 0xC3, 0xCE, 0x81, 0xD0, 0xD1, 0xD2 };

        for (unsigned cc = 0; cc < 256; cc++)
                assert_int_equal(response_cache_keeps((uint8_t) cc),
                                 memchr(transient, (int) cc, sizeof(transient)) == NULL);
        assert_true(response_cache_keeps(0x00));
        assert_true(response_cache_keeps(0xC9));
        assert_true(response_cache_keeps(0x80));
}

/*
 * A full cache answers a retry after comparing one stored request, not all of them, and a new
 * request (other seq) after comparing none: the linear scan over every slot was a third of
 * satmcd's instructions per request. Also after the ring has wrapped, so that evicted entries
 * have left their hash chains.
 */
static void test_lookup_compares_one_entry(void **state) {
        struct response_cache c;
        const uint8_t *rsp = NULL;
        uint8_t req[sizeof(req_a)];

        response_cache_init(&c, WINDOW);
        for (unsigned i = 0; i < 3 * RESPONSE_CACHE_SLOTS; i++) {
                memcpy(req, req_a, sizeof(req));
                req[4] = (uint8_t) (i << 2);
                response_cache_store(&c, req, sizeof(req), rsp_a, sizeof(rsp_a), 1000 + i);
        }
        for (unsigned i = 0; i < 64; i++) {
                bool stored = i >= 2 * RESPONSE_CACHE_SLOTS && i < 3 * RESPONSE_CACHE_SLOTS;

                memcpy(req, req_a, sizeof(req));
                req[4] = (uint8_t) (i << 2);
                assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp),
                                 stored ? sizeof(rsp_a) : 0);
                assert_int_equal(c.compared, stored ? 1 : 0);
        }
        /* A stored header with another last byte is still a miss. */
        memcpy(req, req_a, sizeof(req));
        req[4] = (uint8_t) (2 * RESPONSE_CACHE_SLOTS) << 2;
        req[6] ^= 0xFF;
        assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp), 0);
}

/*
 * The frame path builds each response in the cache's spare slot and commits it: no copy. The
 * spare must never be a slot a lookup can still return (the next response would overwrite an
 * answer the cache still gives), before or after the ring wraps, and a response built there but
 * not committed (a transient failure) must leave the cache as it was.
 */
static void test_commit_builds_in_place(void **state) {
        struct response_cache c;
        uint8_t req[sizeof(req_a)];

        response_cache_init(&c, WINDOW);
        for (unsigned i = 0; i < 3 * RESPONSE_CACHE_SLOTS; i++) {
                uint8_t *slot = response_cache_next_response(&c);
                const uint8_t *rsp = NULL;

                memcpy(req, req_a, sizeof(req));
                req[4] = (uint8_t) (i << 2);
                memcpy(slot, rsp_a, sizeof(rsp_a));
                slot[5] = (uint8_t) i;
                if (i % 5 == 4)
                        continue;       /* built, not kept */
                response_cache_commit(&c, response_cache_hash(req, sizeof(req)), req,
                                      sizeof(req), sizeof(rsp_a), 1000 + i);
                assert_int_equal(response_cache_lookup(&c, req, sizeof(req), 2000, &rsp),
                                 sizeof(rsp_a));
                assert_ptr_equal(rsp, slot);

                /* Every entry still answerable has its own bytes, and none is the spare. */
                for (unsigned j = 0; j <= i; j++) {
                        memcpy(req, req_a, sizeof(req));
                        req[4] = (uint8_t) (j << 2);
                        if (response_cache_lookup(&c, req, sizeof(req), 2000, &rsp) == 0)
                                continue;
                        assert_int_equal(rsp[5], j);
                        assert_ptr_not_equal(rsp, response_cache_next_response(&c));
                }
        }
        /* 16 kept at the end: the last 20 requests less the 4 that were not kept. */
        unsigned kept = 0;
        for (unsigned j = 0; j < 3 * RESPONSE_CACHE_SLOTS; j++) {
                const uint8_t *rsp = NULL;

                memcpy(req, req_a, sizeof(req));
                req[4] = (uint8_t) (j << 2);
                kept += response_cache_lookup(&c, req, sizeof(req), 2000, &rsp) != 0;
        }
        assert_int_equal(kept, RESPONSE_CACHE_SLOTS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hit_within_window),
                cmocka_unit_test(test_miss_after_window),
                cmocka_unit_test(test_any_byte_differs_is_a_miss),
                cmocka_unit_test(test_every_length_compares_every_byte),
                cmocka_unit_test(test_disabled),
                cmocka_unit_test(test_oldest_evicted),
                cmocka_unit_test(test_clear_and_oversize),
                cmocka_unit_test(test_transient_failures_not_kept),
                cmocka_unit_test(test_lookup_compares_one_entry),
                cmocka_unit_test(test_commit_builds_in_place),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
