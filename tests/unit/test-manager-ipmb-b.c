/* SPDX-License-Identifier: MIT */
/*
 * The Manager with a redundant IPMB-0 (manager-ipmb-b.c): each bus a transport whose other end
 * the test holds, byte for byte. A request is answered on the bus it came on, a retry on the
 * other bus from the replay cache there; an event NAKed on IPMB-A goes out on IPMB-B at once;
 * Set IPMB State isolates a bus (its frames refused) and the IPMB-0 sensor reads the state;
 * with one bus, Set IPMB State refuses what would cut satmcd off.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "manager-bare-config.h"

#include "common/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"

/* A bus the test plays the other end of: what satmcd sent, and whether the bus ACKs. */
struct fake_bus {
        struct transport t;
        uint8_t sent[8][IPMB_KERNEL_MAX_MSG_LEN];
        size_t sent_len[8];
        unsigned n_sent;
        int fail;                       /* 0: ACK; else the -errno every send returns */
};

static int fake_recv(struct transport *t, uint8_t *buf, size_t size) {
        return -EAGAIN;
}

static int fake_send(struct transport *t, const uint8_t *frame, size_t len) {
        struct fake_bus *b = (struct fake_bus *) t;

        if (b->fail)
                return b->fail;
        assert_true(b->n_sent < 8 && len <= IPMB_KERNEL_MAX_MSG_LEN);
        memcpy(b->sent[b->n_sent], frame, len);
        b->sent_len[b->n_sent++] = len;
        return 0;
}

static int fake_fd(struct transport *t) {
        return -1;
}

static void fake_free(struct transport *t) {
}

static const struct transport_ops fake_ops = {
        .name = "fake", .recv = fake_recv, .send = fake_send, .fd = fake_fd, .free = fake_free,
};

struct fixture {
        struct manager *m;
        struct fake_bus a, b;
};

static struct fixture *fixture(bool two_buses) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct satmc_config *c = bare_config_new();

        assert_non_null(f);
        c->link_sensor_number = 0xF1;
        /* A redundant IPMB-0 is an ATCA IPM controller's (PICMG 3.0 section 3.8); Set IPMB
         * State is a PICMG command, answered with a profile only. */
        c->picmg.profile = PICMG_PROFILE_ATCA_IPMC;
        if (two_buses)
                c->device_b = strdup("/dev/ipmb-1");
        assert_int_equal(manager_new(c, &f->m), 0);
        f->a.t.ops = f->b.t.ops = &fake_ops;
        f->m->transport = &f->a.t;
        if (two_buses)
                f->m->transport_b = &f->b.t;
        return f;
}

static int setup(void **state) {
        *state = fixture(true);
        return 0;
}

static int setup_one_bus(void **state) {
        *state = fixture(false);
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        manager_free(f->m);             /* the fake buses are the fixture's */
        free(f);
        return 0;
}

static size_t request(uint8_t *buf, uint8_t netfn, uint8_t cmd, uint8_t seq, const uint8_t *data,
                      size_t len) {
        struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = netfn, .rq_sa = 0x20, .seq = seq, .cmd = cmd,
                .data = data, .data_len = len,
        };
        int r = ipmb_encode_request(&req, buf, IPMB_KERNEL_MAX_MSG_LEN, IPMB_KERNEL_MAX_MSG_LEN);

        assert_true(r > 0);
        return (size_t) r;
}

/* Responses among what a bus was sent since `from` (our events are requests); the last one. */
static unsigned responses(const struct fake_bus *b, unsigned from, const uint8_t **last) {
        unsigned n = 0;

        for (unsigned i = from; i < b->n_sent; i++)
                if ((b->sent[i][1] >> 2) & 1) {
                        n++;
                        *last = b->sent[i];
                }
        return n;
}

/* Send a request in on bus; the completion code of the one answer, which must come on that
 * bus; -1 if none came. */
static int ask(struct fixture *f, unsigned bus, uint8_t netfn, uint8_t cmd, uint8_t seq,
               const uint8_t *data, size_t len) {
        struct fake_bus *on = bus ? &f->b : &f->a, *off = bus ? &f->a : &f->b;
        unsigned before_on = on->n_sent, before_off = off->n_sent;
        const uint8_t *rsp = NULL;
        uint8_t req[64];
        size_t n = request(req, netfn, cmd, seq, data, len);

        manager_handle_bus_frame(f->m, bus, req, n, 1000000);
        assert_int_equal(responses(off, before_off, &rsp), 0);
        switch (responses(on, before_on, &rsp)) {
        case 0:
                return -1;
        case 1:
                return rsp[6];
        default:
                fail_msg("more than one answer");
                return -1;
        }
}

/* The last response a bus was sent. */
static const uint8_t *last_response(const struct fake_bus *b) {
        const uint8_t *rsp = NULL;

        assert_true(responses(b, 0, &rsp) > 0);
        return rsp;
}

static void test_answer_on_bus_asked(void **state) {
        struct fixture *f = *state;

        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 1, NULL, 0),
                         0);
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 2, NULL, 0),
                         0);
        assert_int_equal(f->m->counters.v[COUNTER_IPMB_B_FRAMES_RECEIVED], 1);
        assert_int_equal(f->m->counters.v[COUNTER_IPMB_B_RESPONSES_SENT], 1);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_SENT], 2);
}

/* The same bytes again on the other bus: one request, retried; answered from the cache, on
 * the bus of the retry, with the same bytes. */
static void test_retry_across_buses(void **state) {
        struct fixture *f = *state;

        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 9, NULL, 0),
                         0);
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 9, NULL, 0),
                         0);
        assert_int_equal(f->a.sent_len[0], f->b.sent_len[0]);
        assert_memory_equal(f->a.sent[0], f->b.sent[0], f->a.sent_len[0]);
        assert_int_equal(f->m->counters.v[COUNTER_REQUESTS_HANDLED], 1);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_REPLAYED], 1);
}

/* A NAK on IPMB-A costs no time: the same frame goes out on IPMB-B at once, and the IPMB-0
 * sensor's change (IPMB-A disabled) is queued behind it. */
static void test_event_failover_on_nak(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = {
                .sensor_type = 0x25, .sensor_number = 1, .event_type = 0x6F, .offset = 0,
        };
        uint8_t body[PLATFORM_EVENT_MAX_LEN];

        f->a.fail = -ENXIO;
        assert_int_equal(event_sender_queue(f->m->events, &ev), 0);
        assert_int_equal(f->a.n_sent, 0);
        assert_int_equal(f->b.n_sent, 1);
        assert_int_equal(platform_event_encode(&ev, body, sizeof(body)), 5);
        assert_int_equal(f->b.sent_len[0], 7 + 5);
        assert_int_equal(f->b.sent[0][0], 0x20);
        assert_int_equal(f->b.sent[0][5], IPMI_CMD_PLATFORM_EVENT);
        assert_memory_equal(f->b.sent[0] + 6, body, 5);
        assert_int_equal(f->m->counters.v[COUNTER_IPMB_FAILOVERS], 1);
        assert_int_equal(f->m->counters.v[COUNTER_IPMB_B_REQUESTS_SENT], 1);
        assert_int_equal(event_sender_pending(f->m->events), 2);       /* + the link event */
        assert_int_equal(f->m->links.preferred, IPMB_BUS_B);
}

/* Both buses NAK: the try is lost on both, counted, and the retry timer covers it. */
static void test_event_both_nak(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = { .sensor_type = 0x25, .sensor_number = 1, .event_type = 0x6F };

        f->a.fail = f->b.fail = -ENXIO;
        assert_int_equal(event_sender_queue(f->m->events, &ev), 0);
        assert_int_equal(f->a.n_sent + f->b.n_sent, 0);
        assert_int_equal(ipmb_links_sensor_offset(&f->m->links), 0);
        assert_true(event_sender_pending(f->m->events) >= 1);
}

static void test_set_ipmb_state(void **state) {
        struct fixture *f = *state;
        static const uint8_t isolate_a[] = { 0x00, 0x00, 0xFF }, enable_a[] = { 0x00, 0x01, 0xFF };
        static const uint8_t bad_id[] = { 0x01, 0x00, 0xFF }, bad_link[] = { 0x00, 0x04, 0xFF };
        uint8_t link = 0xF1;

        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_GROUP_EXT, 0x09, 1, bad_id, 3), 0xCC);
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_GROUP_EXT, 0x09, 2, bad_link, 3), 0xCC);
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_GROUP_EXT, 0x09, 3, isolate_a, 2), 0xC7);
        assert_false(f->m->links.isolated[IPMB_BUS_A]);
        /* Isolating IPMB-A over IPMB-A: the answer still goes out there. */
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_GROUP_EXT, 0x09, 4, isolate_a, 3), 0);
        assert_int_equal(last_response(&f->a)[7], 0x00);         /* PICMG Identifier */
        assert_true(f->m->links.isolated[IPMB_BUS_A]);
        /* ... and the IPMB-0 sensor's event, on IPMB-B: offset 2, IPMB-A in override state. */
        static const uint8_t link_event[] = { 0x04, 0xF1, 0xF1, 0x6F, 0xA2, 0x00, 0x80 };
        assert_int_equal(f->b.n_sent, 4);
        assert_int_equal(f->b.sent_len[3], 7 + sizeof(link_event));
        assert_memory_equal(f->b.sent[3] + 6, link_event, sizeof(link_event));
        /* From now on IPMB-A's frames are refused. */
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 5, NULL, 0),
                         -1);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_ISOLATED], 1);
        /* The IPMB-0 sensor: offset 2, IPMB-A disabled. */
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_SENSOR_READING, 6,
                             &link, 1), 0);
        assert_int_equal(last_response(&f->b)[9], 0x04);
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_GROUP_EXT, 0x09, 7, enable_a, 3), 0);
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 8, NULL, 0), 0);
        link = 0xF2;
        assert_int_equal(ask(f, IPMB_BUS_B, IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_SENSOR_READING, 9,
                             &link, 1), IPMI_CC_NOT_PRESENT);
}

/* One bus: Set IPMB State is not there (0xC1, as without IPMB-B support), and the Manager's
 * side refuses what would cut satmcd off or name a bus it does not have, changing nothing. */
static void test_one_bus_set_ipmb_state(void **state) {
        struct fixture *f = *state;
        static const uint8_t enable_a[] = { 0x00, 0x01, 0xFF };
        uint8_t link = 0xF1;

        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_GROUP_EXT, 0x09, 1, enable_a, 3),
                         IPMI_CC_INVALID_COMMAND);
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_GROUP_EXT, 0x09, 2, enable_a, 2),
                         IPMI_CC_REQ_DATA_LEN_INVALID);     /* the length check comes first */
        assert_int_equal(manager_set_ipmb_state(f->m, 0x00, 0xFF), -EOPNOTSUPP);
        assert_int_equal(manager_set_ipmb_state(f->m, 0xFF, 0x01), -ENODEV);
        assert_int_equal(manager_set_ipmb_state(f->m, 0x00, 0x06), -ERANGE);
        assert_false(f->m->links.isolated[IPMB_BUS_A]);
        assert_int_equal(manager_set_ipmb_state(f->m, 0x01, 0xFF), 0);
        assert_int_equal(manager_set_ipmb_state(f->m, 0xFF, 0xFF), 0);
        /* No IPMB-B, no IPMB-0 sensor. */
        assert_int_equal(ask(f, IPMB_BUS_A, IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_SENSOR_READING, 5,
                             &link, 1), IPMI_CC_NOT_PRESENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_answer_on_bus_asked, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry_across_buses, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_failover_on_nak, setup, teardown),
                cmocka_unit_test_setup_teardown(test_event_both_nak, setup, teardown),
                cmocka_unit_test_setup_teardown(test_set_ipmb_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_one_bus_set_ipmb_state, setup_one_bus,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
