/* SPDX-License-Identifier: MIT */
/*
 * The IPMB requester state machine: exact frame bytes, round-robin sequence numbers, strict
 * response matching, retry and give-up timing, cancellation. Expected frames are built here with
 * a reference checksum, not the codec's, and a randomized run checks the whole state against a
 * small reference model after every step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmb-frame.h"
#include "protocol/ipmb-requester.h"
#include "protocol/ipmi.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define OWN_SA          0x20    /* us, as the requester */
#define SAT_SA          0x72    /* a satellite controller, the usual responder */
#define OTHER_SA        0x74
#define T0              1000000 /* an arbitrary, non-zero start time */
#define SENTINEL        0xA5

/* Distinct addresses to hand out as userdata: one per "client". */
static int clients[4];
#define CLIENT(i) ((void *) &clients[(i)])

static const struct ipmb_requester_config default_cfg = {
        .own_sa = OWN_SA,
        .timeout_ms = IPMB_REQUESTER_DEFAULT_TIMEOUT_MS,
        .tries = IPMB_REQUESTER_DEFAULT_TRIES,
        .max_msg_len = IPMB_DEFAULT_MAX_MSG_LEN,
};

/* Independent of ipmb_checksum(), so a wrong codec checksum cannot agree with itself. */
static uint8_t ref_checksum(const uint8_t *p, size_t n) {
        unsigned sum = 0;

        for (size_t i = 0; i < n; i++)
                sum += p[i];
        return (uint8_t) ((256 - sum % 256) % 256);
}

/* The request frame the requester must produce, laid out byte by byte. Returns its length. */
static size_t ref_request(uint8_t *buf, uint8_t rs_sa, uint8_t netfn, uint8_t rs_lun,
                          uint8_t rq_sa, uint8_t seq, uint8_t cmd, const uint8_t *data,
                          size_t data_len) {
        size_t n = 0;

        buf[n++] = rs_sa;
        buf[n++] = (uint8_t) (netfn << 2 | rs_lun);
        buf[n] = ref_checksum(buf, 2);
        n++;
        buf[n++] = rq_sa;
        buf[n++] = (uint8_t) (seq << 2);        /* rqLUN 0 */
        buf[n++] = cmd;
        if (data_len > 0)
                memcpy(buf + n, data, data_len);
        n += data_len;
        buf[n] = ref_checksum(buf + 3, n - 3);
        return n + 1;
}

/* The response a well-behaved responder sends back for a request. */
static struct ipmb_response response_for(uint8_t rs_sa, uint8_t netfn, uint8_t cmd, uint8_t seq) {
        return (struct ipmb_response) {
                .rq_sa = OWN_SA,
                .netfn = (uint8_t) (netfn + 1),
                .rq_lun = 0,
                .rs_sa = rs_sa,
                .seq = seq,
                .rs_lun = 0,
                .cmd = cmd,
                .cc = IPMI_CC_OK,
        };
}

/* The slots of every test's requester: all 64 unless a test says otherwise. */
static struct ipmb_pending slots[IPMB_REQUESTER_MAX_SLOTS];

static int init_cfg(struct ipmb_requester *r, const struct ipmb_requester_config *cfg) {
        return ipmb_requester_init(r, cfg, slots, ELEMENTSOF(slots));
}

static void init_default(struct ipmb_requester *r) {
        assert_int_equal(init_cfg(r, &default_cfg), 0);
}

/* The outstanding request with this seq, in whichever slot it is; NULL when there is none. */
static const struct ipmb_pending *pending_seq(const struct ipmb_requester *r, unsigned seq) {
        const struct ipmb_pending *found = NULL;

        for (size_t i = 0; i < r->n_slots; i++)
                if (r->slots[i].used && r->slots[i].seq == seq) {
                        assert_null(found);     /* one seq names one request */
                        found = &r->slots[i];
                }
        return found;
}

/* The requester and its slots, byte for byte, so that "nothing changed" covers both. */
struct snapshot {
        struct ipmb_requester r;
        struct ipmb_pending slots[IPMB_REQUESTER_MAX_SLOTS];
};

static void snapshot_take(const struct ipmb_requester *r, struct snapshot *s) {
        memcpy(&s->r, r, sizeof(*r));
        memcpy(s->slots, r->slots, r->n_slots * sizeof(*r->slots));
}

static void assert_unchanged(const struct ipmb_requester *r, const struct snapshot *s) {
        assert_memory_equal(r, &s->r, sizeof(*r));
        assert_memory_equal(r->slots, s->slots, r->n_slots * sizeof(*r->slots));
}

/* Start a Get Device ID to SAT_SA for client; returns the seq. */
static int start_gdid(struct ipmb_requester *r, uint64_t now, void *client) {
        const uint8_t *frame = NULL;
        size_t len = 0;
        int seq;

        seq = ipmb_requester_start(r, SAT_SA, IPMI_NETFN_APP, 0, IPMI_CMD_GET_DEVICE_ID, NULL, 0,
                                   now, client, &frame, &len);
        assert_true(seq >= 0 && seq <= IPMB_SEQ_MAX);
        assert_non_null(frame);
        assert_int_equal(len, IPMB_REQUEST_MIN_LEN);
        assert_int_equal(frame[4] >> 2, seq);
        return seq;
}

static int match_gdid(struct ipmb_requester *r, uint8_t seq, void **userdata) {
        struct ipmb_response rsp = response_for(SAT_SA, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, seq);

        return ipmb_requester_match(r, &rsp, userdata);
}

static size_t count_used(const struct ipmb_requester *r) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_slots; i++)
                n += r->slots[i].used;
        return n;
}

static void test_init_rejects_bad_configs(void **state) {
        static const struct {
                uint8_t own_sa;
                uint32_t timeout_ms;
                unsigned tries;
                size_t max_msg_len;
                int expect;
        } cases[] = {
                { 0x20, 250, 6, 32, 0 },
                { 0x20, 1, 1, IPMB_REQUEST_MIN_LEN, 0 },
                { 0x20, UINT32_MAX, 1000, IPMB_KERNEL_MAX_MSG_LEN, 0 },
                { 0x21, 250, 6, 32, -EINVAL },          /* odd: a 7-bit address slipped in */
                { 0xFF, 250, 6, 32, -EINVAL },
                { 0x20, 0, 6, 32, -EINVAL },            /* would resend in a tight loop */
                { 0x20, 250, 0, 32, -EINVAL },          /* would never send at all */
                { 0x20, 250, 6, 0, -EINVAL },
                { 0x20, 250, 6, IPMB_REQUEST_MIN_LEN - 1, -EINVAL },
                { 0x20, 250, 6, IPMB_KERNEL_MAX_MSG_LEN + 1, -EINVAL },
                { 0x20, 250, 6, SIZE_MAX, -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct ipmb_requester_config cfg = {
                        .own_sa = cases[i].own_sa,
                        .timeout_ms = cases[i].timeout_ms,
                        .tries = cases[i].tries,
                        .max_msg_len = cases[i].max_msg_len,
                };
                struct ipmb_requester r, pristine;

                memset(&r, SENTINEL, sizeof(r));
                memset(&pristine, SENTINEL, sizeof(pristine));
                memset(slots, SENTINEL, sizeof(slots));
                assert_int_equal(init_cfg(&r, &cfg), cases[i].expect);
                if (cases[i].expect < 0) {
                        /* Rejected: not a byte written. */
                        assert_memory_equal(&r, &pristine, sizeof(r));
                        for (size_t b = 0; b < sizeof(slots); b++)
                                assert_int_equal(((uint8_t *) slots)[b], SENTINEL);
                        continue;
                }
                assert_ptr_equal(r.slots, slots);
                assert_int_equal(r.n_slots, ELEMENTSOF(slots));
                assert_int_equal(r.n_pending, 0);
                assert_int_equal(r.next_seq, 0);
                assert_int_equal(count_used(&r), 0);
                assert_int_equal(ipmb_requester_next_deadline(&r), UINT64_MAX);
                assert_int_equal(r.cfg.own_sa, cfg.own_sa);
                assert_int_equal(r.cfg.timeout_ms, cfg.timeout_ms);
                assert_int_equal(r.cfg.tries, cfg.tries);
                assert_int_equal(r.cfg.max_msg_len, cfg.max_msg_len);
        }
}

static void test_start_frame_bytes(void **state) {
        static const uint8_t gdid[] = { 0x72, 0x18, 0x76, 0x20, 0x00, 0x01, 0xdf };
        /* A Platform Event Message from a satellite (0x72) to the BMC, seq 5, LUN 0. */
        static const uint8_t pem_data[] = { 0x04, 0x01, 0x30, 0x01, 0x01, 0xff, 0xff };
        static const uint8_t pem[] = { 0x20, 0x10, 0xd0, 0x72, 0x14, 0x02,
                                       0x04, 0x01, 0x30, 0x01, 0x01, 0xff, 0xff, 0x43 };
        struct ipmb_requester r;
        const uint8_t *frame = NULL;
        size_t len = 0;
        struct ipmb_request req;
        int seq;

        init_default(&r);
        seq = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, IPMI_CMD_GET_DEVICE_ID, NULL, 0,
                                   T0, CLIENT(0), &frame, &len);
        assert_int_equal(seq, 0);
        assert_int_equal(len, sizeof(gdid));
        assert_memory_equal(frame, gdid, sizeof(gdid));
        /* The frame is kept in the slot for retries, with everything needed to match. */
        const struct ipmb_pending *p = pending_seq(&r, 0);
        assert_non_null(p);
        assert_ptr_equal(frame, p->frame);
        assert_true(p->used);
        assert_int_equal(p->rs_sa, SAT_SA);
        assert_int_equal(p->netfn, IPMI_NETFN_APP);
        assert_int_equal(p->cmd, IPMI_CMD_GET_DEVICE_ID);
        assert_int_equal(p->seq, 0);
        assert_int_equal(p->deadline_ms, T0 + IPMB_REQUESTER_DEFAULT_TIMEOUT_MS);
        assert_int_equal(p->tries_left, IPMB_REQUESTER_DEFAULT_TRIES - 1);
        assert_ptr_equal(p->userdata, CLIENT(0));
        assert_int_equal(r.n_pending, 1);
        assert_int_equal(r.next_seq, 1);

        /* The responder's codec reads back what we meant. */
        assert_int_equal(ipmb_decode_request(frame, len, SAT_SA, IPMB_DEFAULT_MAX_MSG_LEN, &req),
                         IPMB_OK);
        assert_int_equal(req.rq_sa, OWN_SA);
        assert_int_equal(req.rq_lun, 0);
        assert_int_equal(req.seq, 0);
        assert_int_equal(req.netfn, IPMI_NETFN_APP);
        assert_int_equal(req.cmd, IPMI_CMD_GET_DEVICE_ID);

        /* Data, and the satellite as requester, at seq 5. */
        struct ipmb_requester_config cfg = default_cfg;
        cfg.own_sa = SAT_SA;
        assert_int_equal(init_cfg(&r, &cfg), 0);
        r.next_seq = 5;
        seq = ipmb_requester_start(&r, 0x20, IPMI_NETFN_SENSOR_EVENT, 0, IPMI_CMD_PLATFORM_EVENT,
                                   pem_data, sizeof(pem_data), T0, NULL, &frame, &len);
        assert_int_equal(seq, 5);
        assert_int_equal(len, sizeof(pem));
        assert_memory_equal(frame, pem, sizeof(pem));

        /* A non-zero rsLUN goes into the netFn/LUN byte; rqLUN stays 0. */
        uint8_t expect[IPMB_KERNEL_MAX_MSG_LEN];
        size_t n;
        seq = ipmb_requester_start(&r, OTHER_SA, IPMI_NETFN_STORAGE, 3, IPMI_CMD_READ_FRU_DATA,
                                   pem_data, 4, T0, NULL, &frame, &len);
        assert_int_equal(seq, 6);
        n = ref_request(expect, OTHER_SA, IPMI_NETFN_STORAGE, 3, SAT_SA, 6,
                        IPMI_CMD_READ_FRU_DATA, pem_data, 4);
        assert_int_equal(len, n);
        assert_memory_equal(frame, expect, n);

        /* From LUN 1 (a sensor's events): rqLUN in the seq/LUN byte, under the second
         * checksum; the decoder reads it back. LUN 4 does not exist. */
        struct ipmb_request back;
        seq = ipmb_requester_start_from_lun(&r, 0x20, IPMI_NETFN_SENSOR_EVENT, 0, 1,
                                            IPMI_CMD_PLATFORM_EVENT, pem_data, sizeof(pem_data),
                                            T0, NULL, &frame, &len);
        assert_int_equal(seq, 7);
        assert_int_equal(frame[4], 7 << 2 | 1);
        assert_int_equal(ipmb_decode_request(frame, len, 0x20, IPMB_DEFAULT_MAX_MSG_LEN, &back), 0);
        assert_int_equal(back.rq_lun, 1);
        assert_int_equal(back.rq_sa, SAT_SA);
        assert_int_equal(ipmb_requester_start_from_lun(&r, 0x20, IPMI_NETFN_SENSOR_EVENT, 0, 4,
                                                       IPMI_CMD_PLATFORM_EVENT, pem_data,
                                                       sizeof(pem_data), T0, NULL, &frame, &len),
                         -EINVAL);
}

/* The largest request the configured limit allows is accepted; one more byte is not. */
static void test_start_max_len(void **state) {
        static const size_t limits[] = { IPMB_REQUEST_MIN_LEN, IPMB_DEFAULT_MAX_MSG_LEN,
                                         IPMB_KERNEL_MAX_MSG_LEN };
        uint8_t data[IPMB_KERNEL_MAX_MSG_LEN];

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t) (i * 7 + 3);

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                struct ipmb_requester_config cfg = default_cfg;
                struct ipmb_requester r;
                uint8_t expect[IPMB_KERNEL_MAX_MSG_LEN];
                const uint8_t *frame = NULL;
                size_t len = 0, dmax = limits[i] - IPMB_REQUEST_MIN_LEN, n;
                int seq;

                cfg.max_msg_len = limits[i];
                assert_int_equal(init_cfg(&r, &cfg), 0);
                seq = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_OEM_GROUP, 0, 0x42, data, dmax,
                                           T0, NULL, &frame, &len);
                assert_int_equal(seq, 0);
                n = ref_request(expect, SAT_SA, IPMI_NETFN_OEM_GROUP, 0, OWN_SA, 0, 0x42, data,
                                dmax);
                assert_int_equal(len, limits[i]);
                assert_int_equal(n, limits[i]);
                assert_memory_equal(frame, expect, n);

                frame = (const uint8_t *) &frame;
                assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_OEM_GROUP, 0, 0x42,
                                                      data, dmax + 1, T0, NULL, &frame, &len),
                                 -EMSGSIZE);
                assert_int_equal(r.n_pending, 1);
                assert_int_equal(r.next_seq, 1);
        }
}

static void test_encoder_errors_arm_nothing(void **state) {
        static const uint8_t data[IPMB_KERNEL_MAX_MSG_LEN + 1];
        static const struct {
                uint8_t netfn, rs_lun;
                const uint8_t *data;
                size_t data_len;
                int expect;
        } cases[] = {
                { IPMI_NETFN_APP + 1, 0, NULL, 0, -EINVAL },    /* a response netFn */
                { 0x40, 0, NULL, 0, -EINVAL },                  /* netFn is 6 bits */
                { IPMI_NETFN_APP, 4, NULL, 0, -EINVAL },        /* LUN is 2 bits */
                { IPMI_NETFN_APP, 0, NULL, 1, -EINVAL },        /* length without data */
                { IPMI_NETFN_APP, 0, data, IPMB_DEFAULT_MAX_MSG_LEN - IPMB_REQUEST_MIN_LEN + 1,
                  -EMSGSIZE },
                { IPMI_NETFN_APP, 0, data, sizeof(data), -EMSGSIZE },
                { IPMI_NETFN_APP, 0, data, SIZE_MAX, -EMSGSIZE },
        };
        struct ipmb_requester r;
        struct snapshot before;

        init_default(&r);
        /* Something outstanding and next_seq off zero, so "unchanged" means something. */
        assert_int_equal(start_gdid(&r, T0, CLIENT(0)), 0);
        assert_int_equal(start_gdid(&r, T0, CLIENT(0)), 1);
        assert_int_equal(match_gdid(&r, 1, NULL), 0);
        snapshot_take(&r, &before);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const uint8_t *frame = data;
                size_t len = 12345;

                assert_int_equal(ipmb_requester_start(&r, SAT_SA, cases[i].netfn, cases[i].rs_lun,
                                                      0x01, cases[i].data, cases[i].data_len,
                                                      T0 + 1, CLIENT(1), &frame, &len),
                                 cases[i].expect);
                /* Outputs untouched, the state byte for byte as before. */
                assert_ptr_equal(frame, data);
                assert_int_equal(len, 12345);
                assert_unchanged(&r, &before);
        }

        /* And the next good start takes the seq the failed ones would have. */
        assert_int_equal(start_gdid(&r, T0, CLIENT(1)), 2);
}

static void test_seq_round_robin(void **state) {
        struct ipmb_requester r;
        void *ud;

        init_default(&r);
        for (int i = 0; i < 10; i++) {
                assert_int_equal(start_gdid(&r, T0, CLIENT(0)), i);
                assert_int_equal(match_gdid(&r, (uint8_t) i, NULL), 0);
        }
        /* All free again, but seq 0 is not reused yet: a responder may still cache its answer. */
        assert_int_equal(r.n_pending, 0);
        assert_int_equal(start_gdid(&r, T0, CLIENT(0)), 10);

        /* Keep 10, 11, 13 and 20 outstanding; free the rest as they are used, up to 63. */
        for (int i = 11; i <= IPMB_SEQ_MAX; i++)
                assert_int_equal(start_gdid(&r, T0, CLIENT(0)), i);
        for (int i = 14; i <= IPMB_SEQ_MAX; i++)
                if (i != 20)
                        assert_int_equal(match_gdid(&r, (uint8_t) i, NULL), 0);
        assert_int_equal(match_gdid(&r, 12, NULL), 0);
        assert_int_equal(r.n_pending, 4);

        /* Wrap to 0 after 63, then skip what is still outstanding. */
        for (int i = 0; i < 10; i++)
                assert_int_equal(start_gdid(&r, T0, CLIENT(1)), i);
        assert_int_equal(start_gdid(&r, T0, CLIENT(1)), 12);
        assert_int_equal(start_gdid(&r, T0, CLIENT(1)), 14);
        for (int i = 15; i <= 19; i++)
                assert_int_equal(start_gdid(&r, T0, CLIENT(1)), i);
        assert_int_equal(start_gdid(&r, T0, CLIENT(1)), 21);

        /* The long-outstanding ones are still there, still for client 0. */
        assert_int_equal(match_gdid(&r, 10, &ud), 0);
        assert_ptr_equal(ud, CLIENT(0));
        assert_int_equal(match_gdid(&r, 20, &ud), 0);
        assert_ptr_equal(ud, CLIENT(0));
        assert_int_equal(r.n_pending, 2 + 10 + 1 + 1 + 5 + 1);
        assert_int_equal(r.n_pending, count_used(&r));
}

static void test_busy_when_all_outstanding(void **state) {
        struct ipmb_requester r;
        struct snapshot before;
        const uint8_t *frame = NULL;
        size_t len = 0;
        void *ud = NULL;

        init_default(&r);
        r.next_seq = 40;        /* start mid-way: the wrap must not matter */
        for (int i = 0; i <= IPMB_SEQ_MAX; i++)
                assert_int_equal(start_gdid(&r, T0 + (uint64_t) i, CLIENT(i % 2)), (40 + i) % 64);
        assert_int_equal(r.n_pending, 64);

        snapshot_take(&r, &before);
        assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL, 0, T0,
                                              NULL, &frame, &len),
                         -EBUSY);
        assert_null(frame);
        assert_unchanged(&r, &before);

        /* One answered: exactly that seq is free, and the next start gets it. */
        assert_int_equal(match_gdid(&r, 17, &ud), 0);
        assert_ptr_equal(ud, CLIENT((17 + 64 - 40) % 2));
        assert_int_equal(start_gdid(&r, T0, CLIENT(3)), 17);
        assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL, 0, T0,
                                              NULL, &frame, &len),
                         -EBUSY);

        /* A give-up frees one too. */
        assert_int_equal(init_cfg(&r, &(struct ipmb_requester_config) {
                                .own_sa = OWN_SA, .timeout_ms = 10, .tries = 1,
                                .max_msg_len = IPMB_DEFAULT_MAX_MSG_LEN }), 0);
        for (int i = 0; i <= IPMB_SEQ_MAX; i++)
                assert_int_equal(start_gdid(&r, T0 + (uint64_t) i, NULL), i);
        assert_int_equal(ipmb_requester_expire(&r, T0 + 10, NULL, NULL, NULL),
                         IPMB_REQUESTER_GIVE_UP);
        assert_int_equal(ipmb_requester_expire(&r, T0 + 10, NULL, NULL, NULL), IPMB_REQUESTER_IDLE);
        assert_int_equal(start_gdid(&r, T0 + 10, NULL), 0);
}

static void test_match_requires_every_field(void **state) {
        static const struct {
                const char *what;
                uint8_t rq_sa, netfn, rs_sa, seq, cmd;
        } near[] = {
                { "wrong seq",           OWN_SA,   IPMI_NETFN_APP + 1,  SAT_SA,   4, 0x01 },
                { "seq past 63",         OWN_SA,   IPMI_NETFN_APP + 1,  SAT_SA,   3 + 64, 0x01 },
                { "wrong responder",     OWN_SA,   IPMI_NETFN_APP + 1,  OTHER_SA, 3, 0x01 },
                { "request netFn",       OWN_SA,   IPMI_NETFN_APP,      SAT_SA,   3, 0x01 },
                { "other netFn",         OWN_SA,   IPMI_NETFN_STORAGE + 1, SAT_SA, 3, 0x01 },
                { "netFn + 3",           OWN_SA,   IPMI_NETFN_APP + 3,  SAT_SA,   3, 0x01 },
                { "wrong cmd",           OWN_SA,   IPMI_NETFN_APP + 1,  SAT_SA,   3, 0x02 },
                { "not to us",           OTHER_SA, IPMI_NETFN_APP + 1,  SAT_SA,   3, 0x01 },
                { "to us as 7-bit",      OWN_SA >> 1, IPMI_NETFN_APP + 1, SAT_SA, 3, 0x01 },
                { "to us, but odd",      OWN_SA | 1, IPMI_NETFN_APP + 1, SAT_SA,  3, 0x01 },
                { "from ourselves",      OWN_SA,   IPMI_NETFN_APP + 1,  OWN_SA,   3, 0x01 },
        };
        struct ipmb_requester r;
        struct snapshot before;
        struct ipmb_response rsp;
        void *ud;

        init_default(&r);
        r.next_seq = 3;
        assert_int_equal(start_gdid(&r, T0, CLIENT(2)), 3);
        snapshot_take(&r, &before);

        for (size_t i = 0; i < ELEMENTSOF(near); i++) {
                rsp = (struct ipmb_response) {
                        .rq_sa = near[i].rq_sa,
                        .netfn = near[i].netfn,
                        .rs_sa = near[i].rs_sa,
                        .seq = near[i].seq,
                        .cmd = near[i].cmd,
                };
                ud = (void *) near;
                if (ipmb_requester_match(&r, &rsp, &ud) != -ENOENT)
                        fail_msg("near miss \"%s\" matched", near[i].what);
                assert_ptr_equal(ud, (void *) near);
                assert_unchanged(&r, &before);
        }

        /* LUNs and cc do not take part: the response is the one we waited for, whatever it says. */
        rsp = response_for(SAT_SA, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 3);
        rsp.rq_lun = 2;
        rsp.rs_lun = 1;
        rsp.cc = IPMI_CC_INVALID_COMMAND;
        assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), 0);
        assert_ptr_equal(ud, CLIENT(2));
        assert_null(pending_seq(&r, 3));
        assert_int_equal(r.n_pending, 0);
        assert_int_equal(ipmb_requester_next_deadline(&r), UINT64_MAX);

        /* A duplicate (the responder answered a retry too) finds nothing. */
        ud = NULL;
        assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), -ENOENT);
        assert_null(ud);

        /* Nothing outstanding at all: every seq is a stranger. */
        for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++)
                assert_int_equal(match_gdid(&r, (uint8_t) s, NULL), -ENOENT);
}

/* Two requests with the same netFn/cmd to different responders: each answer finds its own. */
static void test_match_distinguishes_requests(void **state) {
        struct ipmb_requester r;
        const uint8_t *frame;
        size_t len;
        struct ipmb_response rsp;
        void *ud;

        init_default(&r);
        assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL, 0, T0,
                                              CLIENT(0), &frame, &len), 0);
        assert_int_equal(ipmb_requester_start(&r, OTHER_SA, IPMI_NETFN_APP, 0, 0x01, NULL, 0, T0,
                                              CLIENT(1), &frame, &len), 1);

        /* OTHER_SA answering with SAT_SA's seq is not SAT_SA's answer. */
        rsp = response_for(OTHER_SA, IPMI_NETFN_APP, 0x01, 0);
        assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), -ENOENT);
        rsp = response_for(OTHER_SA, IPMI_NETFN_APP, 0x01, 1);
        assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), 0);
        assert_ptr_equal(ud, CLIENT(1));
        rsp = response_for(SAT_SA, IPMI_NETFN_APP, 0x01, 0);
        assert_int_equal(ipmb_requester_match(&r, &rsp, NULL), 0);
        assert_int_equal(r.n_pending, 0);
}

/* Request out, the responder's codec builds the answer, ours decodes it, match completes. */
static void test_match_round_trip_through_codec(void **state) {
        static const uint8_t rsp_data[] = { 0x12, 0x81, 0x01, 0x02, 0x51 };
        struct ipmb_requester r;
        struct ipmb_request req;
        struct ipmb_response rsp;
        uint8_t wire[IPMB_KERNEL_MAX_MSG_LEN];
        const uint8_t *frame;
        size_t len;
        void *ud = NULL;
        int seq, n;

        init_default(&r);
        r.next_seq = 62;
        for (int i = 0; i < 3; i++) {
                seq = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, IPMI_CMD_GET_DEVICE_ID,
                                           NULL, 0, T0, CLIENT(i), &frame, &len);
                assert_int_equal(seq, (62 + i) % 64);

                assert_int_equal(ipmb_decode_request(frame, len, SAT_SA, IPMB_DEFAULT_MAX_MSG_LEN,
                                                     &req), IPMB_OK);
                ipmb_response_init(&rsp, &req);
                rsp.cc = IPMI_CC_OK;
                rsp.data = rsp_data;
                rsp.data_len = sizeof(rsp_data);
                n = ipmb_encode_response(&rsp, wire, sizeof(wire), IPMB_DEFAULT_MAX_MSG_LEN);
                assert_true(n > 0);

                memset(&rsp, 0, sizeof(rsp));
                assert_int_equal(ipmb_decode_response(wire, (size_t) n, OWN_SA,
                                                      IPMB_DEFAULT_MAX_MSG_LEN, &rsp), IPMB_OK);
                assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), 0);
                assert_ptr_equal(ud, CLIENT(i));
                assert_int_equal(ipmb_requester_match(&r, &rsp, &ud), -ENOENT);
        }
        assert_int_equal(r.n_pending, 0);
}

static void test_expire_retries_then_gives_up(void **state) {
        static const unsigned tries[] = { 1, 2, IPMB_REQUESTER_DEFAULT_TRIES };

        for (size_t t = 0; t < ELEMENTSOF(tries); t++) {
                struct ipmb_requester_config cfg = default_cfg;
                struct ipmb_requester r;
                uint8_t first[IPMB_KERNEL_MAX_MSG_LEN];
                const uint8_t *frame;
                size_t len, first_len;
                uint64_t now = T0, deadline;
                unsigned resends = 0;
                void *ud;
                int seq;

                cfg.tries = tries[t];
                assert_int_equal(init_cfg(&r, &cfg), 0);
                r.next_seq = 9;
                seq = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, IPMI_CMD_GET_DEVICE_ID,
                                           NULL, 0, now, CLIENT(1), &frame, &len);
                assert_int_equal(seq, 9);
                memcpy(first, frame, len);
                first_len = len;

                for (;;) {
                        deadline = ipmb_requester_next_deadline(&r);
                        assert_int_equal(deadline, now + cfg.timeout_ms);

                        /* One millisecond early: nothing, and the outputs say so. */
                        frame = first;
                        len = 99;
                        ud = CLIENT(3);
                        assert_int_equal(ipmb_requester_expire(&r, deadline - 1, &frame, &len, &ud),
                                         IPMB_REQUESTER_IDLE);
                        assert_null(frame);
                        assert_int_equal(len, 0);
                        assert_null(ud);

                        now = deadline;
                        enum ipmb_requester_action a = ipmb_requester_expire(&r, now, &frame, &len,
                                                                             &ud);
                        assert_ptr_equal(ud, CLIENT(1));
                        if (a == IPMB_REQUESTER_GIVE_UP) {
                                assert_null(frame);
                                assert_int_equal(len, 0);
                                break;
                        }
                        assert_int_equal(a, IPMB_REQUESTER_RESEND);
                        resends++;
                        /* Same bytes, same seq: the responder answers a retry from its cache. */
                        assert_int_equal(len, first_len);
                        assert_memory_equal(frame, first, first_len);
                        assert_int_equal(pending_seq(&r, 9)->tries_left, cfg.tries - 1 - resends);
                        /* Handled for now: a second call at the same time has nothing to do. */
                        assert_int_equal(ipmb_requester_expire(&r, now, &frame, &len, &ud),
                                         IPMB_REQUESTER_IDLE);
                        assert_true(resends < cfg.tries);
                }

                assert_int_equal(resends, cfg.tries - 1);
                assert_int_equal(now, T0 + (uint64_t) cfg.tries * cfg.timeout_ms);
                assert_int_equal(r.n_pending, 0);
                assert_null(pending_seq(&r, 9));
                assert_int_equal(ipmb_requester_next_deadline(&r), UINT64_MAX);
                assert_int_equal(ipmb_requester_expire(&r, UINT64_MAX, NULL, NULL, NULL),
                                 IPMB_REQUESTER_IDLE);
                /* The answer that finally turns up after the give-up is a stranger. */
                assert_int_equal(match_gdid(&r, 9, NULL), -ENOENT);
        }
}

/* A timer that fires late re-arms from the time it ran, not from the missed deadline. */
static void test_expire_late_timer(void **state) {
        struct ipmb_requester r;
        const uint8_t *frame;
        size_t len;

        init_default(&r);
        assert_int_equal(start_gdid(&r, T0, NULL), 0);
        assert_int_equal(ipmb_requester_expire(&r, T0 + 10000, &frame, &len, NULL),
                         IPMB_REQUESTER_RESEND);
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 10000 + 250);
        assert_int_equal(ipmb_requester_expire(&r, T0 + 10000, &frame, &len, NULL),
                         IPMB_REQUESTER_IDLE);

        /* A clock at the very top of its range saturates instead of wrapping into the past. */
        assert_int_equal(start_gdid(&r, UINT64_MAX - 100, NULL), 1);
        assert_int_equal(pending_seq(&r, 1)->deadline_ms, UINT64_MAX);
        assert_int_equal(ipmb_requester_expire(&r, UINT64_MAX - 1, NULL, NULL, NULL),
                         IPMB_REQUESTER_RESEND);        /* seq 0 */
        assert_int_equal(ipmb_requester_expire(&r, UINT64_MAX - 1, NULL, NULL, NULL),
                         IPMB_REQUESTER_IDLE);
}

static void test_expire_several_at_once(void **state) {
        struct ipmb_requester r;
        const uint8_t *frame;
        size_t len;
        void *ud;
        int seqs[4];

        init_default(&r);
        r.next_seq = 61;
        /* Started out of seq order in time: 61 last, so the deadline order is 62, 63, 0, 61. */
        seqs[0] = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL, 0, T0 + 30,
                                       CLIENT(3), &frame, &len);
        seqs[1] = start_gdid(&r, T0, CLIENT(0));
        seqs[2] = start_gdid(&r, T0 + 10, CLIENT(1));
        seqs[3] = start_gdid(&r, T0 + 20, CLIENT(2));
        assert_int_equal(seqs[0], 61);
        assert_int_equal(seqs[1], 62);
        assert_int_equal(seqs[2], 63);
        assert_int_equal(seqs[3], 0);
        /* And one that is not due yet. */
        assert_int_equal(start_gdid(&r, T0 + 500, NULL), 1);
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 250);

        const uint64_t now = T0 + 600;
        static const int order[] = { 62, 63, 0, 61 };
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                assert_int_equal(ipmb_requester_expire(&r, now, &frame, &len, &ud),
                                 IPMB_REQUESTER_RESEND);
                assert_ptr_equal(frame, pending_seq(&r, (unsigned) order[i])->frame);
                assert_int_equal(frame[4] >> 2, order[i]);
                assert_ptr_equal(ud, order[i] == 61 ? CLIENT(3) : CLIENT((order[i] + 2) % 64));
                assert_int_equal(pending_seq(&r, (unsigned) order[i])->deadline_ms, now + 250);
        }
        assert_int_equal(ipmb_requester_expire(&r, now, &frame, &len, &ud), IPMB_REQUESTER_IDLE);
        assert_int_equal(pending_seq(&r, 1)->tries_left, IPMB_REQUESTER_DEFAULT_TRIES - 1);
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 750);

        /* Equal deadlines: oldest allocated first, across the wrap (61, 62, 63, 0). */
        assert_int_equal(init_cfg(&r, &(struct ipmb_requester_config) {
                                .own_sa = OWN_SA, .timeout_ms = 100, .tries = 1,
                                .max_msg_len = IPMB_DEFAULT_MAX_MSG_LEN }), 0);
        r.next_seq = 61;
        for (int i = 0; i < 4; i++)
                assert_int_equal(start_gdid(&r, T0, CLIENT(i)), (61 + i) % 64);
        for (int i = 0; i < 4; i++) {
                assert_int_equal(ipmb_requester_expire(&r, T0 + 100, &frame, &len, &ud),
                                 IPMB_REQUESTER_GIVE_UP);
                assert_ptr_equal(ud, CLIENT(i));
                assert_null(pending_seq(&r, (61 + i) % 64));
        }
        assert_int_equal(ipmb_requester_expire(&r, T0 + 100, &frame, &len, &ud),
                         IPMB_REQUESTER_IDLE);
        assert_int_equal(r.n_pending, 0);
}

static void test_next_deadline_tracks_minimum(void **state) {
        struct ipmb_requester r;

        init_default(&r);
        assert_int_equal(ipmb_requester_next_deadline(&r), UINT64_MAX);
        assert_int_equal(start_gdid(&r, T0 + 100, NULL), 0);
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 350);
        assert_int_equal(start_gdid(&r, T0 + 50, NULL), 1);            /* earlier */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 300);
        assert_int_equal(start_gdid(&r, T0 + 200, NULL), 2);           /* later */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 300);

        assert_int_equal(match_gdid(&r, 1, NULL), 0);                   /* the minimum goes */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 350);
        assert_int_equal(match_gdid(&r, 1, NULL), -ENOENT);             /* no effect */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 350);

        assert_int_equal(ipmb_requester_expire(&r, T0 + 350, NULL, NULL, NULL),
                         IPMB_REQUESTER_RESEND);                        /* seq 0 re-armed */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 450);   /* seq 2 now */
        assert_int_equal(match_gdid(&r, 2, NULL), 0);
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 600);
        assert_int_equal(ipmb_requester_cancel(&r, NULL), 1);
        assert_int_equal(ipmb_requester_next_deadline(&r), UINT64_MAX);
}

static void test_cancel_only_that_client(void **state) {
        struct ipmb_requester r;
        void *ud;

        init_default(&r);
        for (int i = 0; i < 12; i++)
                assert_int_equal(start_gdid(&r, T0 + (uint64_t) i, CLIENT(i % 3)), i);

        assert_int_equal(ipmb_requester_cancel(&r, CLIENT(1)), 4);
        assert_int_equal(r.n_pending, 8);
        assert_int_equal(count_used(&r), 8);
        for (int i = 0; i < 12; i++)
                assert_int_equal(pending_seq(&r, (unsigned) i) != NULL, i % 3 != 1);
        assert_int_equal(ipmb_requester_cancel(&r, CLIENT(1)), 0);
        assert_int_equal(ipmb_requester_cancel(&r, CLIENT(3)), 0);     /* never had any */
        assert_int_equal(ipmb_requester_cancel(&r, NULL), 0);

        /* The late answer for a cancelled request is a stranger; the others still match. */
        assert_int_equal(match_gdid(&r, 4, &ud), -ENOENT);
        assert_int_equal(match_gdid(&r, 3, &ud), 0);
        assert_ptr_equal(ud, CLIENT(0));
        /* Cancelled requests are never retried nor given up on behalf of a gone client. */
        assert_int_equal(ipmb_requester_next_deadline(&r), T0 + 250);  /* seq 0 */
        for (int n = 0; n < 7; n++) {
                assert_int_equal(ipmb_requester_expire(&r, T0 + 1000, NULL, NULL, &ud),
                                 IPMB_REQUESTER_RESEND);
                assert_true(ud == CLIENT(0) || ud == CLIENT(2));
        }
        assert_int_equal(ipmb_requester_expire(&r, T0 + 1000, NULL, NULL, &ud),
                         IPMB_REQUESTER_IDLE);

        /* Cancelling does not rewind the round robin. */
        assert_int_equal(ipmb_requester_cancel(&r, CLIENT(0)), 3);
        assert_int_equal(ipmb_requester_cancel(&r, CLIENT(2)), 4);
        assert_int_equal(r.n_pending, 0);
        assert_int_equal(start_gdid(&r, T0, NULL), 12);
}

/*
 * Reference model and randomized run. The model keeps only what the API promises (which seqs are
 * outstanding, for whom, with which frame, deadline and tries); the requester's state is checked
 * against it after every step.
 */
struct model_req {
        bool used;
        uint8_t rs_sa, netfn, cmd;
        uint64_t deadline;
        unsigned tries_left;
        void *userdata;
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN];
        size_t frame_len;
};

struct model {
        struct model_req req[IPMB_SEQ_MAX + 1];
        uint8_t next_seq;
        size_t n;
};

static uint64_t rng_state;

static uint32_t rnd(void) {
        /* xorshift64*: fixed seed, same run everywhere. */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static unsigned rnd_below(unsigned n) {
        return rnd() % n;
}

static void model_check(const struct ipmb_requester *r, const struct model *m) {
        uint64_t min = UINT64_MAX;

        assert_int_equal(r->n_pending, m->n);
        assert_int_equal(r->next_seq, m->next_seq);
        assert_int_equal(count_used(r), m->n);
        for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++) {
                const struct ipmb_pending *p = pending_seq(r, s);
                const struct model_req *q = &m->req[s];

                assert_int_equal(p != NULL, q->used);
                if (!q->used)
                        continue;
                assert_int_equal(p->seq, s);
                assert_int_equal(p->rs_sa, q->rs_sa);
                assert_int_equal(p->netfn, q->netfn);
                assert_int_equal(p->cmd, q->cmd);
                assert_int_equal(p->deadline_ms, q->deadline);
                assert_int_equal(p->tries_left, q->tries_left);
                assert_ptr_equal(p->userdata, q->userdata);
                assert_int_equal(p->frame_len, q->frame_len);
                assert_memory_equal(p->frame, q->frame, q->frame_len);
                if (q->deadline < min)
                        min = q->deadline;
        }
        assert_int_equal(ipmb_requester_next_deadline(r), min);
}

static void model_step_start(struct ipmb_requester *r, struct model *m,
                             const struct ipmb_requester_config *cfg, uint64_t now) {
        static const uint8_t addrs[] = { SAT_SA, OTHER_SA, 0x82 };
        uint8_t data[IPMB_KERNEL_MAX_MSG_LEN + 2];
        const uint8_t *frame = NULL;
        size_t len = 0, data_len;
        uint8_t rs_sa = addrs[rnd_below(ELEMENTSOF(addrs))];
        /* Mostly valid; sometimes an odd or oversized netFn, a bad LUN, too much data. */
        uint8_t netfn = rnd_below(16) == 0 ? (uint8_t) rnd_below(0x50) : (uint8_t) (rnd_below(3) * 2 + 4);
        uint8_t rs_lun = rnd_below(16) == 0 ? 4 : (uint8_t) rnd_below(4);
        uint8_t cmd = (uint8_t) rnd_below(3);
        void *client = CLIENT(rnd_below(ELEMENTSOF(clients)));
        int expect, got;

        data_len = rnd_below((unsigned) (cfg->max_msg_len - IPMB_REQUEST_MIN_LEN + 2));
        for (size_t i = 0; i < data_len; i++)
                data[i] = (uint8_t) rnd();

        if (m->n == r->n_slots)
                expect = -EBUSY;
        else if ((netfn & 1) || netfn > 0x3F || rs_lun > 3)
                expect = -EINVAL;
        else if (IPMB_REQUEST_MIN_LEN + data_len > cfg->max_msg_len)
                expect = -EMSGSIZE;
        else {
                uint8_t s = m->next_seq;

                while (m->req[s].used)
                        s = (uint8_t) ((s + 1) % 64);
                expect = s;
        }

        got = ipmb_requester_start(r, rs_sa, netfn, rs_lun, cmd, data, data_len, now, client,
                                   &frame, &len);
        assert_int_equal(got, expect);
        if (expect < 0) {
                assert_null(frame);
                return;
        }

        struct model_req *q = &m->req[expect];
        *q = (struct model_req) {
                .used = true,
                .rs_sa = rs_sa,
                .netfn = netfn,
                .cmd = cmd,
                .deadline = now + cfg->timeout_ms,
                .tries_left = cfg->tries - 1,
                .userdata = client,
        };
        q->frame_len = ref_request(q->frame, rs_sa, netfn, rs_lun, cfg->own_sa, (uint8_t) expect,
                                   cmd, data, data_len);
        m->next_seq = (uint8_t) ((expect + 1) % 64);
        m->n++;
        assert_int_equal(len, q->frame_len);
        assert_memory_equal(frame, q->frame, len);
}

static void model_step_match(struct ipmb_requester *r, struct model *m,
                             const struct ipmb_requester_config *cfg) {
        struct ipmb_response rsp = {
                .rq_sa = cfg->own_sa,
                .netfn = (uint8_t) (rnd_below(3) * 2 + 5),
                .rs_sa = SAT_SA,
                .seq = (uint8_t) rnd_below(64),
                .cmd = (uint8_t) rnd_below(3),
        };
        unsigned s = rnd_below(64);
        void *ud = NULL;
        int expect;

        /* Usually the right answer to some outstanding request, perhaps spoilt in one field. */
        bool aim = rnd_below(4) != 0;
        for (unsigned i = 0; aim && i < 64; i++, s = (s + 1) % 64) {
                const struct model_req *q = &m->req[s];

                if (!q->used)
                        continue;
                rsp.rs_sa = q->rs_sa;
                rsp.netfn = (uint8_t) (q->netfn + 1);
                rsp.cmd = q->cmd;
                rsp.seq = (uint8_t) s;
                switch (rnd_below(8)) {
                case 0: rsp.rq_sa ^= 0x02; break;
                case 1: rsp.netfn ^= 0x02; break;
                case 2: rsp.cmd ^= 0x01; break;
                case 3: rsp.seq = (uint8_t) ((rsp.seq + 1) % 64); break;
                case 4: rsp.rs_sa = (uint8_t) (rsp.rs_sa == SAT_SA ? OTHER_SA : SAT_SA); break;
                default: break;
                }
                break;
        }

        const struct model_req *q = &m->req[rsp.seq];
        expect = q->used && rsp.rq_sa == cfg->own_sa && rsp.rs_sa == q->rs_sa &&
                 rsp.netfn == q->netfn + 1 && rsp.cmd == q->cmd ? 0 : -ENOENT;
        void *want = q->userdata;

        assert_int_equal(ipmb_requester_match(r, &rsp, &ud), expect);
        if (expect == 0) {
                assert_ptr_equal(ud, want);
                m->req[rsp.seq] = (struct model_req) { .used = false };
                m->n--;
                /* Answered once, the second copy is a stranger. */
                assert_int_equal(ipmb_requester_match(r, &rsp, &ud), -ENOENT);
        } else
                assert_null(ud);
}

/* The timer fired at now: drain, and compare what happened to what the model says is due. */
static void model_step_expire(struct ipmb_requester *r, struct model *m,
                              const struct ipmb_requester_config *cfg, uint64_t now) {
        bool due[IPMB_SEQ_MAX + 1] = { false };
        unsigned n_due = 0, handled = 0;
        size_t gave_up[ELEMENTSOF(clients)] = { 0 }, want_gave_up[ELEMENTSOF(clients)] = { 0 };
        uint64_t prev_deadline = 0;

        for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++)
                if (m->req[s].used && m->req[s].deadline <= now) {
                        due[s] = true;
                        n_due++;
                }

        for (;;) {
                const uint8_t *frame;
                size_t len;
                void *ud;
                enum ipmb_requester_action a = ipmb_requester_expire(r, now, &frame, &len, &ud);

                if (a == IPMB_REQUESTER_IDLE)
                        break;
                assert_true(++handled <= n_due);
                if (a == IPMB_REQUESTER_RESEND) {
                        uint8_t s = frame[4] >> 2;
                        struct model_req *q = &m->req[s];

                        assert_true(due[s]);
                        due[s] = false;
                        assert_true(q->tries_left > 0);
                        /* Earliest deadline first. */
                        assert_true(q->deadline >= prev_deadline);
                        prev_deadline = q->deadline;
                        assert_ptr_equal(ud, q->userdata);
                        assert_int_equal(len, q->frame_len);
                        assert_memory_equal(frame, q->frame, len);
                        q->tries_left--;
                        q->deadline = now + cfg->timeout_ms;
                } else {
                        assert_int_equal(a, IPMB_REQUESTER_GIVE_UP);
                        assert_null(frame);
                        gave_up[(int *) ud - clients]++;
                }
        }
        assert_int_equal(handled, n_due);

        /* Whatever was due and not resent must have been given up: it had no tries left. */
        for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++) {
                if (!due[s])
                        continue;
                assert_int_equal(m->req[s].tries_left, 0);
                want_gave_up[(int *) m->req[s].userdata - clients]++;
                m->req[s] = (struct model_req) { .used = false };
                m->n--;
        }
        assert_memory_equal(gave_up, want_gave_up, sizeof(gave_up));
}

static void model_run(uint64_t seed, const struct ipmb_requester_config *cfg, size_t n_slots,
                      unsigned steps) {
        struct ipmb_requester r;
        struct model m = { .next_seq = 0 };
        uint64_t now = T0;
        size_t peak = 0, n_match = 0, n_give_up_steps = 0;

        rng_state = seed;
        assert_int_equal(ipmb_requester_init(&r, cfg, slots, n_slots), 0);

        for (unsigned step = 0; step < steps; step++) {
                unsigned op = rnd_below(100);

                if (op < 40)
                        model_step_start(&r, &m, cfg, now);
                else if (op < 70) {
                        model_step_match(&r, &m, cfg);
                        n_match++;
                } else if (op < 95) {
                        /* Time moves on: a little, to exactly the next deadline, or a lot. */
                        unsigned how = rnd_below(4);
                        uint64_t next = ipmb_requester_next_deadline(&r);

                        if (how == 0 && next != UINT64_MAX)
                                now = next;
                        else if (how == 3)
                                now += rnd_below(cfg->timeout_ms * 3 + 1);
                        else
                                now += rnd_below(cfg->timeout_ms / 4 + 1);
                        size_t before = m.n;
                        model_step_expire(&r, &m, cfg, now);
                        n_give_up_steps += m.n < before;
                } else {
                        void *client = CLIENT(rnd_below(ELEMENTSOF(clients)));
                        size_t want = 0;

                        for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++)
                                if (m.req[s].used && m.req[s].userdata == client) {
                                        m.req[s] = (struct model_req) { .used = false };
                                        want++;
                                }
                        m.n -= want;
                        assert_int_equal(ipmb_requester_cancel(&r, client), want);
                }
                model_check(&r, &m);
                if (m.n > peak)
                        peak = m.n;
        }
        /* The run is only worth something if it went through give-ups and some concurrency. */
        if (n_give_up_steps == 0 || peak < (n_slots < 4 ? n_slots : 4) || n_match == 0)
                fail_msg("seed %#llx: peak %zu outstanding, %zu match attempts, %zu give-up steps",
                         (unsigned long long) seed, peak, n_match, n_give_up_steps);
}

/* The slot count is the caller's: init refuses none, more than one per seq, and no storage,
 * and writes only the slots it was given. */
static void test_init_rejects_bad_slots(void **state) {
        static const size_t bad[] = { 0, IPMB_REQUESTER_MAX_SLOTS + 1, SIZE_MAX };
        struct ipmb_requester r, pristine;

        memset(&r, SENTINEL, sizeof(r));
        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(slots, SENTINEL, sizeof(slots));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(ipmb_requester_init(&r, &default_cfg, slots, bad[i]), -EINVAL);
        assert_int_equal(ipmb_requester_init(&r, &default_cfg, NULL, 1), -EINVAL);
        assert_memory_equal(&r, &pristine, sizeof(r));
        for (size_t b = 0; b < sizeof(slots); b++)
                assert_int_equal(((uint8_t *) slots)[b], SENTINEL);

        assert_int_equal(ipmb_requester_init(&r, &default_cfg, slots, 1), 0);
        assert_int_equal(r.n_slots, 1);
        for (size_t b = 0; b < sizeof(slots[0]); b++)
                assert_int_equal(((uint8_t *) &slots[0])[b], 0);
        for (size_t b = sizeof(slots[0]); b < sizeof(slots); b++)
                assert_int_equal(((uint8_t *) slots)[b], SENTINEL);
}

/*
 * Fewer slots than seqs: full when every slot is used, though seqs are free. Then -EBUSY and
 * nothing changed, outputs included; a slot freed by an answer or a cancel takes the next seq
 * in turn, not the one just freed.
 */
static void test_busy_when_all_slots_used(void **state) {
        static const size_t n_slots[] = { 1, 2, 5, IPMB_SEQ_MAX };

        for (size_t k = 0; k < ELEMENTSOF(n_slots); k++) {
                const int n = (int) n_slots[k];
                struct ipmb_requester r;
                struct snapshot before;
                const uint8_t *frame = (const uint8_t *) &before;
                size_t len = 12345;

                assert_int_equal(ipmb_requester_init(&r, &default_cfg, slots, n_slots[k]), 0);
                for (int i = 0; i < n; i++)
                        assert_int_equal(start_gdid(&r, T0, CLIENT(0)), i);

                snapshot_take(&r, &before);
                assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL,
                                                      0, T0, NULL, &frame, &len),
                                 -EBUSY);
                assert_int_equal(ipmb_requester_start_from_lun(&r, SAT_SA, IPMI_NETFN_APP, 0, 1,
                                                               0x01, NULL, 0, T0, NULL, &frame,
                                                               &len),
                                 -EBUSY);
                assert_ptr_equal(frame, (const uint8_t *) &before);
                assert_int_equal(len, 12345);
                assert_unchanged(&r, &before);

                assert_int_equal(match_gdid(&r, 0, NULL), 0);
                assert_int_equal(start_gdid(&r, T0, CLIENT(1)), n);
                assert_int_equal(ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0, 0x01, NULL,
                                                      0, T0, NULL, &frame, &len),
                                 -EBUSY);
                assert_int_equal(ipmb_requester_cancel(&r, CLIENT(1)), 1);
                assert_int_equal(start_gdid(&r, T0, CLIENT(1)), (n + 1) % 64);
                assert_int_equal(r.n_pending, n_slots[k]);
        }
}

/*
 * However few slots, seqs go round all 64: one comes back only after at least 64 - n_slots
 * starts of other seqs, so a responder's cache of recent answers never answers a new request
 * with an old one; with one slot, exactly every 64th start. Answers, give-ups, cancels and
 * refused starts at random in between must not rewind the round robin.
 */
static void test_seq_not_reused_early(void **state) {
        static const size_t n_slots[] = { 1, 2, 4, IPMB_REQUESTER_MAX_SLOTS };
        static const struct ipmb_requester_config cfg = {
                .own_sa = OWN_SA, .timeout_ms = 10, .tries = 2, .max_msg_len = 32,
        };

        for (size_t k = 0; k < ELEMENTSOF(n_slots); k++) {
                struct ipmb_requester r;
                long last_start[IPMB_SEQ_MAX + 1];
                unsigned seqs_seen = 0;
                long starts = 0;
                uint64_t now = T0;

                rng_state = 0x5E9ULL + k;
                for (unsigned s = 0; s <= IPMB_SEQ_MAX; s++)
                        last_start[s] = -1;
                assert_int_equal(ipmb_requester_init(&r, &cfg, slots, n_slots[k]), 0);

                for (unsigned step = 0; step < 6000; step++) {
                        unsigned op = rnd_below(10);

                        if (op < 5) {
                                size_t was = r.n_pending;
                                int seq = ipmb_requester_start(&r, SAT_SA, IPMI_NETFN_APP, 0,
                                                               IPMI_CMD_GET_DEVICE_ID, NULL, 0,
                                                               now, CLIENT(rnd_below(2)), NULL,
                                                               NULL);

                                if (was == n_slots[k]) {
                                        assert_int_equal(seq, -EBUSY);
                                        continue;
                                }
                                assert_true(seq >= 0 && seq <= IPMB_SEQ_MAX);
                                if (last_start[seq] < 0)
                                        seqs_seen++;
                                else if (starts - last_start[seq] < 65 - (long) n_slots[k])
                                        fail_msg("%zu slots: seq %d again after %ld starts",
                                                 n_slots[k], seq, starts - last_start[seq]);
                                if (n_slots[k] == 1)
                                        assert_int_equal(seq, starts % 64);
                                last_start[seq] = starts++;
                        } else if (op < 8) {
                                /* Answer one outstanding request, whichever slot it is in. */
                                size_t i = rnd_below((unsigned) n_slots[k]);

                                for (size_t j = 0; j < n_slots[k]; j++, i = (i + 1) % n_slots[k])
                                        if (r.slots[i].used) {
                                                assert_int_equal(match_gdid(&r, r.slots[i].seq,
                                                                            NULL), 0);
                                                break;
                                        }
                        } else if (op < 9) {
                                now += rnd_below(3 * cfg.timeout_ms);
                                while (ipmb_requester_expire(&r, now, NULL, NULL, NULL) !=
                                       IPMB_REQUESTER_IDLE)
                                        ;
                        } else
                                (void) ipmb_requester_cancel(&r, CLIENT(rnd_below(2)));
                }
                assert_int_equal(seqs_seen, IPMB_SEQ_MAX + 1);
                assert_true(starts > 10 * 64);
        }
}

static void test_model_random(void **state) {
        static const struct ipmb_requester_config cfgs[] = {
                { .own_sa = OWN_SA, .timeout_ms = 250, .tries = 6, .max_msg_len = 32 },
                { .own_sa = 0x72, .timeout_ms = 7, .tries = 1, .max_msg_len = 7 },
                { .own_sa = 0x82, .timeout_ms = 1000, .tries = 3, .max_msg_len = 128 },
        };

        /* All 64 slots as the ipmitool bridge has them, one as the event sender, and a few. */
        static const size_t n_slots[] = { IPMB_REQUESTER_MAX_SLOTS, 1, 3 };

        for (size_t i = 0; i < ELEMENTSOF(cfgs); i++)
                for (size_t n = 0; n < ELEMENTSOF(n_slots); n++)
                        model_run(0x5A7C0FFEEULL + i + 16 * n, &cfgs[i], n_slots[n], 4000);
}

/* With starts much more frequent than answers, the table fills and -EBUSY is exercised. */
static void model_run_saturated(size_t n_slots) {
        static const struct ipmb_requester_config cfg = {
                .own_sa = OWN_SA, .timeout_ms = 5000, .tries = 2, .max_msg_len = 32,
        };
        struct ipmb_requester r;
        struct model m = { .next_seq = 0 };
        uint64_t now = T0;
        unsigned busy = 0;

        rng_state = 0xB05EULL + n_slots;
        assert_int_equal(ipmb_requester_init(&r, &cfg, slots, n_slots), 0);
        for (unsigned step = 0; step < 3000; step++) {
                unsigned op = rnd_below(100);

                if (op < 80) {
                        busy += m.n == n_slots;
                        model_step_start(&r, &m, &cfg, now);
                } else if (op < 95)
                        model_step_match(&r, &m, &cfg);
                else {
                        now += rnd_below(3000);
                        model_step_expire(&r, &m, &cfg, now);
                }
                model_check(&r, &m);
        }
        assert_true(busy > 0);
}

static void test_model_random_saturated(void **state) {
        model_run_saturated(IPMB_REQUESTER_MAX_SLOTS);
        model_run_saturated(2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_init_rejects_bad_configs),
                cmocka_unit_test(test_start_frame_bytes),
                cmocka_unit_test(test_start_max_len),
                cmocka_unit_test(test_encoder_errors_arm_nothing),
                cmocka_unit_test(test_seq_round_robin),
                cmocka_unit_test(test_busy_when_all_outstanding),
                cmocka_unit_test(test_init_rejects_bad_slots),
                cmocka_unit_test(test_busy_when_all_slots_used),
                cmocka_unit_test(test_seq_not_reused_early),
                cmocka_unit_test(test_match_requires_every_field),
                cmocka_unit_test(test_match_distinguishes_requests),
                cmocka_unit_test(test_match_round_trip_through_codec),
                cmocka_unit_test(test_expire_retries_then_gives_up),
                cmocka_unit_test(test_expire_late_timer),
                cmocka_unit_test(test_expire_several_at_once),
                cmocka_unit_test(test_next_deadline_tracks_minimum),
                cmocka_unit_test(test_cancel_only_that_client),
                cmocka_unit_test(test_model_random),
                cmocka_unit_test(test_model_random_saturated),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
