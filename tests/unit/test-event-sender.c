/* SPDX-License-Identifier: MIT */
/*
 * Platform Event Messages: the body encoder (lengths follow the event data flags), and the
 * sender's delivery rules on a real sd-event loop with short timeouts: exact request bytes, one
 * event in flight in order, retries with the same sequence number, back-off rounds until the
 * receiver answers, busy and refusing receivers, the bounded queue dropping the oldest waiting
 * event, and a new receiver.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/log.h"
#include "daemon/event-sender.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"

#define OWN_SA  0x72
#define BMC_SA  0x20

struct sent {
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN];
        size_t len;
};

struct fixture {
        sd_event *event;
        struct counters counters;
        struct event_sender *es;
        struct sent sent[64];
        size_t n_sent;
        int send_result;
        struct event_sender_config cfg;
        unsigned reachable_calls;
        bool reachable;
};

static int fake_send(void *userdata, const uint8_t *frame, size_t len) {
        struct fixture *f = userdata;

        assert_true(f->n_sent < 64);
        assert_true(len <= IPMB_KERNEL_MAX_MSG_LEN);
        memcpy(f->sent[f->n_sent].frame, frame, len);
        f->sent[f->n_sent].len = len;
        f->n_sent++;
        return f->send_result;
}

static struct fixture *fixture_new(unsigned queue_max) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct event_sender_config cfg = {
                .own_sa = OWN_SA,
                .max_msg_len = 32,
                .receiver_sa = BMC_SA,
                .receiver_lun = 0,
                .queue_max = queue_max,
                .timeout_ms = 5,
                .tries = 3,
                .backoff_first_ms = 20,
                .backoff_max_ms = 40,
        };

        assert_non_null(f);
        f->cfg = cfg;
        log_set_max_level(LOG_CRIT);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(event_sender_new(f->event, &cfg, fake_send, f, &f->counters, &f->es), 0);
        return f;
}

static int setup(void **state) {
        *state = fixture_new(4);
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        event_sender_free(f->es);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static struct platform_event event_of(uint8_t number, bool deassertion) {
        struct platform_event ev;

        platform_event_threshold(0x01, number, 4 /* UCR */, deassertion, 0x90, 0x85, &ev);
        return ev;
}

/* Decode sent frame i as the request it must be. */
static struct ipmb_request request_of(struct fixture *f, size_t i) {
        struct ipmb_request req;

        assert_true(i < f->n_sent);
        assert_int_equal(ipmb_decode_request(f->sent[i].frame, f->sent[i].len, BMC_SA, 32, &req),
                         IPMB_OK);
        return req;
}

/* The receiver's answer to sent frame i. */
static int answer(struct fixture *f, size_t i, uint8_t cc) {
        struct ipmb_request req = request_of(f, i);
        struct ipmb_response rsp;

        ipmb_response_init(&rsp, &req);
        rsp.cc = cc;
        return event_sender_on_response(f->es, &rsp);
}

/* How long run_until_sent() waits for frames that must come: a hang guard, not a latency
 * claim (the tries are 5 ms apart; a loaded machine or valgrind stretches them, and the loop
 * returns as soon as they are sent). */
#define HANG_GUARD_MS 10000

/* Run the loop until `want` frames were sent or `ms` passed. */
static void run_until_sent(struct fixture *f, size_t want, unsigned ms) {
        struct timespec start, now;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                /* int64_t: time_t and long are 32 bits on armhf. */
                if (f->n_sent >= want || (int64_t) (now.tv_sec - start.tv_sec) * 1000 +
                    (now.tv_nsec - start.tv_nsec) / 1000000 >= (int64_t) ms)
                        return;
                assert_true(sd_event_run(f->event, 5000) >= 0);
        }
}

static void test_encode(void **state) {
        struct platform_event ev = event_of(3, false);
        uint8_t buf[PLATFORM_EVENT_MAX_LEN];

        /* Threshold: trigger reading and threshold follow, so 7 bytes; offset 9 = UCR high. */
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), 7);
        assert_memory_equal(buf, ((uint8_t[]) { 0x04, 0x01, 3, 0x01, 0x59, 0x90, 0x85 }), 7);
        ev.deassertion = true;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), 7);
        assert_int_equal(buf[3], 0x81);

        /* Sensor-specific state, nothing in data 2/3: 5 bytes. Data 2 only: 6. */
        ev = (struct platform_event) { .sensor_type = 0x25, .sensor_number = 9,
                                       .event_type = EVENT_TYPE_SENSOR_SPECIFIC, .offset = 1 };
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), 5);
        assert_memory_equal(buf, ((uint8_t[]) { 0x04, 0x25, 9, 0x6F, 0x01 }), 5);
        ev.data2_kind = PLATFORM_EVENT_DATA_OEM;
        ev.data2 = 0x33;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), 6);
        assert_int_equal(buf[4], 0x81);
        assert_int_equal(buf[5], 0x33);
        /* Data 3 without data 2: data 2 goes as unspecified 0xFF. */
        ev.data2_kind = PLATFORM_EVENT_DATA_UNSPECIFIED;
        ev.data3_kind = PLATFORM_EVENT_DATA_SPECIFIC;
        ev.data3 = 0x44;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), 7);
        assert_memory_equal(buf + 4, ((uint8_t[]) { 0x31, 0xFF, 0x44 }), 3);

        /* Hostile fields and a short buffer. */
        assert_int_equal(platform_event_encode(&ev, buf, 6), -EMSGSIZE);
        ev.offset = 15;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), -EINVAL);
        ev.offset = 0;
        ev.event_type = 0x80;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), -EINVAL);
        ev.event_type = 0x6F;
        ev.data2_kind = 4;
        assert_int_equal(platform_event_encode(&ev, buf, sizeof(buf)), -EINVAL);

        for (unsigned t = 0; t < 6; t++)
                assert_int_equal(platform_event_threshold_offset(t),
                                 ((uint8_t[]) { 0, 2, 4, 7, 9, 11 })[t]);
}

static void assert_same_event(const struct platform_event *a, const struct platform_event *b) {
        assert_int_equal(a->sensor_type, b->sensor_type);
        assert_int_equal(a->sensor_number, b->sensor_number);
        assert_int_equal(a->event_type, b->event_type);
        assert_int_equal(a->deassertion, b->deassertion);
        assert_int_equal(a->offset, b->offset);
        assert_int_equal(a->data2_kind, b->data2_kind);
        assert_int_equal(a->data3_kind, b->data3_kind);
        if (a->data2_kind)
                assert_int_equal(a->data2, b->data2);
        if (a->data3_kind)
                assert_int_equal(a->data3, b->data3);
}

/* What the receiver side decodes: round trips and hostile bodies. */
static void test_decode(void **state) {
        struct platform_event ev = event_of(3, true), back;
        uint8_t buf[PLATFORM_EVENT_MAX_LEN];
        int n;

        n = platform_event_encode(&ev, buf, sizeof(buf));
        assert_int_equal(platform_event_decode(buf, (size_t) n, &back), 0);
        assert_same_event(&back, &ev);
        ev = (struct platform_event) { .sensor_type = 0x25, .sensor_number = 8,
                                       .event_type = EVENT_TYPE_SENSOR_SPECIFIC, .offset = 1 };
        n = platform_event_encode(&ev, buf, sizeof(buf));
        assert_int_equal(platform_event_decode(buf, (size_t) n, &back), 0);
        assert_same_event(&back, &ev);
        /* Unspecified bytes sent anyway (0xFF) are accepted. */
        assert_int_equal(platform_event_decode((uint8_t[]) { 4, 0x25, 8, 0x6F, 1, 0xFF, 0xFF },
                                               7, &back), 0);
        assert_int_equal(back.data2_kind, PLATFORM_EVENT_DATA_UNSPECIFIED);

        /* Hostile: lengths, revision, offset 15, flags announcing missing bytes. */
        for (size_t len = 0; len < 5; len++)
                assert_int_equal(platform_event_decode(buf, len, &back), -EBADMSG);
        assert_int_equal(platform_event_decode((uint8_t[]) { 4, 1, 1, 1, 0x57, 0, 0, 0 }, 8,
                                               &back), -EBADMSG);
        assert_int_equal(platform_event_decode((uint8_t[]) { 3, 1, 1, 1, 0x07 }, 5, &back),
                         -EBADMSG);
        assert_int_equal(platform_event_decode((uint8_t[]) { 4, 1, 1, 1, 0x0F }, 5, &back),
                         -EBADMSG);
        assert_int_equal(platform_event_decode((uint8_t[]) { 4, 1, 1, 1, 0x57, 0x20 }, 6, &back),
                         -EBADMSG);
        assert_int_equal(platform_event_decode((uint8_t[]) { 4, 1, 1, 1, 0x47 }, 5, &back),
                         -EBADMSG);
}

/* What a BMC-side receiver (satmc-ipmb-bridge) prints: names for the sensor type and offset,
 * and the reading and threshold when event data carries them. */
static void test_describe(void **state) {
        struct platform_event ev;
        char text[160];

        (void) state;
        /* Temperature, UNC (threshold 3) going high, reading 0x5a against threshold 0x50. */
        platform_event_threshold(0x01, 1, 3, false, 0x5a, 0x50, &ev);
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "temperature, upper non-critical going high asserted, "
                                  "reading 0x5a, threshold 0x50");
        ev.deassertion = true;
        ev.offset = 0;
        ev.sensor_type = 0x02;
        ev.data3_kind = PLATFORM_EVENT_DATA_UNSPECIFIED;
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "voltage, lower non-critical going low deasserted, reading 0x5a");

        /* Sensor-specific presence (entity presence 0x25): offset 1 is absent. */
        ev = (struct platform_event) { .sensor_type = 0x25, .event_type = EVENT_TYPE_SENSOR_SPECIFIC,
                                       .offset = 1 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "entity presence, entity absent asserted");

        /* What has no name is still said, in hex, and a short buffer is cut, not overrun. */
        ev = (struct platform_event) { .sensor_type = 0xC3, .event_type = 0x70, .offset = 14 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "sensor type 0xc3 (OEM), event type 0x70 offset 14 asserted");
        platform_event_describe(&ev, text, 8);
        assert_string_equal(text, "sensor ");
}

static void test_delivery(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = event_of(3, false);
        struct ipmb_request req;
        struct ipmb_response stray;

        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        assert_int_equal(f->n_sent, 1);
        req = request_of(f, 0);
        assert_int_equal(req.netfn, IPMI_NETFN_SENSOR_EVENT);
        assert_int_equal(req.cmd, IPMI_CMD_PLATFORM_EVENT);
        assert_int_equal(req.rq_sa, OWN_SA);
        assert_int_equal(req.rs_lun, 0);
        assert_int_equal(req.data_len, 7);
        assert_memory_equal(req.data, ((uint8_t[]) { 0x04, 0x01, 3, 0x01, 0x59, 0x90, 0x85 }), 7);

        /* A response for another seq or command is not ours. */
        ipmb_response_init(&stray, &req);
        stray.seq = (uint8_t) ((req.seq + 1) & 63);
        assert_int_equal(event_sender_on_response(f->es, &stray), -ENOENT);
        stray.seq = req.seq;
        stray.cmd = 0x01;
        assert_int_equal(event_sender_on_response(f->es, &stray), -ENOENT);

        assert_int_equal(answer(f, 0, IPMI_CC_OK), 0);
        assert_int_equal(event_sender_pending(f->es), 0);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_QUEUED], 1);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_SENT], 1);
        /* A duplicate answer finds nothing. */
        assert_int_equal(answer(f, 0, IPMI_CC_OK), -ENOENT);
}

/* One in flight; the next goes when the first is answered, in queue order. */
static void test_in_order(void **state) {
        struct fixture *f = *state;

        for (uint8_t n = 1; n <= 3; n++) {
                struct platform_event ev = event_of(n, false);
                assert_int_equal(event_sender_queue(f->es, &ev), 0);
        }
        assert_int_equal(f->n_sent, 1);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(f->n_sent, i + 1);
                assert_int_equal(request_of(f, i).data[2], i + 1);
                assert_int_equal(answer(f, i, IPMI_CC_OK), 0);
        }
        assert_int_equal(f->n_sent, 3);
        /* Sequence numbers are not reused back to back. */
        assert_int_not_equal(request_of(f, 0).seq, request_of(f, 1).seq);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_SENT], 3);
}

/* One event in flight and one requester slot, yet the seqs go round all 64: the receiver sees
 * a seq again only after 63 other events, however long its duplicate detection remembers. */
static void test_seqs_go_round(void **state) {
        struct fixture *f = *state;

        for (unsigned i = 0; i < 2 * 64 + 2; i++) {
                struct platform_event ev = event_of((uint8_t) (i % 64 + 1), false);

                f->n_sent = 0;
                assert_int_equal(event_sender_queue(f->es, &ev), 0);
                assert_int_equal(f->n_sent, 1);
                assert_int_equal(request_of(f, 0).seq, i % 64);
                assert_int_equal(answer(f, 0, IPMI_CC_OK), 0);
        }
        assert_int_equal(f->counters.v[COUNTER_EVENTS_SENT], 2 * 64 + 2);
}

/* A silent receiver: retries with the same bytes, then rounds after a back-off, and the event
 * is delivered once the receiver answers. */
static void test_silent_receiver(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = event_of(5, false);

        f->send_result = -ENXIO;        /* a NAK is a lost try, nothing more */
        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        run_until_sent(f, 3, HANG_GUARD_MS);
        assert_int_equal(f->n_sent, 3);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_RETRIED], 2);
        for (size_t i = 1; i < 3; i++) {
                assert_int_equal(f->sent[i].len, f->sent[0].len);
                assert_memory_equal(f->sent[i].frame, f->sent[0].frame, f->sent[0].len);
        }
        /* The round gives up after its last timeout, and a new round starts later. */
        run_until_sent(f, 4, HANG_GUARD_MS);
        assert_int_equal(f->n_sent, 4);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_TIMED_OUT], 1);
        assert_int_equal(event_sender_pending(f->es), 1);
        assert_int_equal(request_of(f, 3).data[2], 5);
        /* An answer to the first round is late: ignored. */
        assert_int_equal(answer(f, 0, IPMI_CC_OK), -ENOENT);

        f->send_result = 0;
        assert_int_equal(answer(f, 3, IPMI_CC_OK), 0);
        assert_int_equal(event_sender_pending(f->es), 0);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_SENT], 1);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_DROPPED], 0);
}

static void on_reachable(void *userdata, bool reachable) {
        struct fixture *f = userdata;

        f->reachable_calls++;
        f->reachable = reachable;
}

/* The reachability callback: once when a whole round goes unanswered (not on a lost try),
 * once when an answer comes again, and a new receiver is not unreachable. */
static void test_reachable(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = event_of(5, false);

        event_sender_free(f->es);
        f->cfg.reachable = on_reachable;
        assert_int_equal(event_sender_new(f->event, &f->cfg, fake_send, f, &f->counters,
                                          &f->es), 0);
        f->send_result = -ENXIO;
        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        run_until_sent(f, 3, 1000);
        assert_int_equal(f->reachable_calls, 0);        /* tries lost, the round not over */
        run_until_sent(f, 7, 2000);                     /* the next round, and its retries */
        assert_true(f->n_sent >= 4);
        assert_int_equal(f->reachable_calls, 1);        /* once, not once per round */
        assert_false(f->reachable);
        f->send_result = 0;
        assert_int_equal(answer(f, f->n_sent - 1, IPMI_CC_NODE_BUSY), 0);
        assert_int_equal(f->reachable_calls, 2);
        assert_true(f->reachable);
        event_sender_set_receiver(f->es, 0x24, 0);
        assert_int_equal(f->reachable_calls, 2);        /* no change */
}

/* A request from the receiver while it is unreachable starts the next round at once, however
 * long the back-off; one from anyone else, or while reachable, changes nothing. */
static void test_heard_from(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = event_of(6, false);
        size_t before;

        event_sender_free(f->es);
        f->cfg.reachable = on_reachable;
        f->cfg.backoff_first_ms = f->cfg.backoff_max_ms = 600000;      /* never, in this test */
        assert_int_equal(event_sender_new(f->event, &f->cfg, fake_send, f, &f->counters,
                                          &f->es), 0);
        event_sender_heard_from(f->es, BMC_SA);        /* reachable, nothing queued: nothing */
        assert_int_equal(f->n_sent, 0);
        f->send_result = -ENXIO;
        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        run_until_sent(f, 3, HANG_GUARD_MS);
        for (unsigned i = 0; i < HANG_GUARD_MS / 5 && f->reachable_calls == 0; i++)
                assert_true(sd_event_run(f->event, 5000) >= 0);
        assert_int_equal(f->reachable_calls, 1);
        assert_false(f->reachable);
        before = f->n_sent;
        event_sender_heard_from(f->es, 0x24);          /* not the receiver */
        assert_int_equal(f->n_sent, before);
        f->send_result = 0;
        event_sender_heard_from(f->es, BMC_SA);        /* the receiver: a try, now */
        assert_int_equal(f->n_sent, before + 1);
        assert_int_equal(request_of(f, before).cmd, IPMI_CMD_PLATFORM_EVENT);
        event_sender_heard_from(f->es, BMC_SA);        /* in flight: no second try */
        assert_int_equal(f->n_sent, before + 1);
        assert_int_equal(answer(f, before, IPMI_CC_OK), 0);
        assert_true(f->reachable);
        assert_int_equal(event_sender_pending(f->es), 0);
}

static void test_busy_and_refused(void **state) {
        struct fixture *f = *state;
        struct platform_event a = event_of(1, false), b = event_of(2, false);

        assert_int_equal(event_sender_queue(f->es, &a), 0);
        assert_int_equal(event_sender_queue(f->es, &b), 0);
        /* Busy: kept, tried again after the back-off. */
        assert_int_equal(answer(f, 0, IPMI_CC_NODE_BUSY), 0);
        assert_int_equal(event_sender_pending(f->es), 2);
        assert_int_equal(f->n_sent, 1);
        run_until_sent(f, 2, HANG_GUARD_MS);
        assert_int_equal(request_of(f, 1).data[2], 1);
        /* Refused: dropped and counted; the next one goes at once. */
        assert_int_equal(answer(f, 1, IPMI_CC_INVALID_DATA_FIELD), 0);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_REJECTED], 1);
        assert_int_equal(f->n_sent, 3);
        assert_int_equal(request_of(f, 2).data[2], 2);
        assert_int_equal(answer(f, 2, IPMI_CC_OK), 0);
        assert_int_equal(event_sender_pending(f->es), 0);
}

/* Queue of 4 with the first in flight: the oldest waiting ones give way. */
static void test_overflow(void **state) {
        struct fixture *f = *state;

        for (uint8_t n = 1; n <= 6; n++) {
                struct platform_event ev = event_of(n, false);
                assert_int_equal(event_sender_queue(f->es, &ev), 0);
        }
        assert_int_equal(event_sender_pending(f->es), 4);
        assert_int_equal(f->counters.v[COUNTER_EVENTS_DROPPED], 2);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(request_of(f, i).data[2], ((uint8_t[]) { 1, 4, 5, 6 })[i]);
                assert_int_equal(answer(f, i, IPMI_CC_OK), 0);
        }
        assert_int_equal(event_sender_pending(f->es), 0);
}

static void test_new_receiver(void **state) {
        struct fixture *f = *state;
        struct platform_event ev = event_of(7, false);
        uint8_t sa, lun;

        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        event_sender_set_receiver(f->es, 0x24, 2);
        event_sender_get_receiver(f->es, &sa, &lun);
        assert_int_equal(sa, 0x24);
        assert_int_equal(lun, 2);
        assert_int_equal(event_sender_pending(f->es), 0);
        /* The old request's answer is not taken any more. */
        assert_int_equal(answer(f, 0, IPMI_CC_OK), -ENOENT);

        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        assert_int_equal(f->n_sent, 2);
        assert_int_equal(f->sent[1].frame[0], 0x24);
        assert_int_equal(f->sent[1].frame[1] & 0x03, 2);

        /* 0xFF: nothing is queued or sent. */
        event_sender_set_receiver(f->es, EVENT_RECEIVER_DISABLED, 0);
        assert_false(event_sender_enabled(f->es));
        assert_int_equal(event_sender_queue(f->es, &ev), 0);
        assert_int_equal(event_sender_pending(f->es), 0);
        assert_int_equal(f->n_sent, 2);
}

static void test_bad_config(void **state) {
        struct event_sender_config cfg = { .own_sa = OWN_SA, .max_msg_len = 32,
                                           .receiver_sa = BMC_SA, .queue_max = 1 };
        struct counters c = { 0 };
        struct event_sender *es = NULL;
        sd_event *e = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(event_sender_new(e, &cfg, fake_send, NULL, &c, &es), -EINVAL);
        cfg.queue_max = 2;
        cfg.own_sa = 0x73;
        assert_int_equal(event_sender_new(e, &cfg, fake_send, NULL, &c, &es), -EINVAL);
        cfg.own_sa = OWN_SA;
        cfg.receiver_lun = 4;
        assert_int_equal(event_sender_new(e, &cfg, fake_send, NULL, &c, &es), -EINVAL);
        assert_null(es);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_decode),
                cmocka_unit_test(test_describe),
                cmocka_unit_test_setup_teardown(test_delivery, setup, teardown),
                cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_seqs_go_round, setup, teardown),
                cmocka_unit_test_setup_teardown(test_silent_receiver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy_and_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reachable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heard_from, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_new_receiver, setup, teardown),
                cmocka_unit_test(test_bad_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
