/* SPDX-License-Identifier: MIT */
/* Platform Event Messages: a bounded FIFO, one request in flight, rounds of retries with
 * back-off. See event-sender.h for the policy and why. */
#include <errno.h>
#include <stdlib.h>

#include "clock.h"
#include "event-sender.h"
#include "log.h"
#include "macro.h"
#include "protocol/ipmb-requester.h"
#include "protocol/ipmi.h"

#define BACKOFF_FIRST_MS        1000
#define BACKOFF_MAX_MS          8000

struct event_sender {
        sd_event *event;
        sd_event_source *timer;
        struct event_sender_config cfg;
        event_sender_send_t send;
        void *userdata;
        struct counters *counters;

        struct ipmb_requester requester;
        /* One slot: kick() starts a request only while !in_flight, and in_flight is cleared only
         * once the requester is done with it (matched, given up, cancelled), so it never holds
         * two. Round robin still runs over all 64 seqs, so the receiver's duplicate detection
         * sees a seq again only after 63 other events. The 63 other slots were 10.5 KiB. */
        struct ipmb_pending request_slot[1];
        bool in_flight;                 /* the head has a request outstanding */

        struct platform_event *queue;   /* ring of cfg.queue_max */
        unsigned head, len;

        uint64_t retry_at_ms;           /* no new round before this; 0 = at once */
        uint64_t backoff_ms;
        bool silent;                    /* the receiver stopped answering, and we said so */
        bool overflowing;               /* we said the queue overflowed */
        bool rejected;                  /* we said the receiver refuses events */
        bool unreachable;               /* a round went unanswered, none answered since */
};

static uint64_t now_ms(struct event_sender *es) {
        return loop_now_usec(es->event) / 1000;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int requester_init(struct event_sender *es, const struct event_sender_config *cfg) {
        struct ipmb_requester_config rc = {
                .own_sa = cfg->own_sa,
                .timeout_ms = cfg->timeout_ms ?: IPMB_REQUESTER_DEFAULT_TIMEOUT_MS,
                .tries = cfg->tries ?: IPMB_REQUESTER_DEFAULT_TRIES,
                .max_msg_len = cfg->max_msg_len,
        };

        return ipmb_requester_init(&es->requester, &rc, es->request_slot,
                                   ELEMENTSOF(es->request_slot));
}

int event_sender_new(sd_event *event, const struct event_sender_config *cfg,
                     event_sender_send_t send, void *userdata, struct counters *counters,
                     struct event_sender **ret) {
        _cleanup_(event_sender_freep) struct event_sender *es = NULL;
        int r;

        if (cfg->queue_max < 2 || cfg->receiver_lun > 3)
                return -EINVAL;
        es = calloc(1, sizeof(*es));
        if (!es)
                return -ENOMEM;
        es->event = sd_event_ref(event);
        es->cfg = *cfg;
        es->send = send;
        es->userdata = userdata;
        es->counters = counters;
        es->cfg.backoff_first_ms = cfg->backoff_first_ms ?: BACKOFF_FIRST_MS;
        es->cfg.backoff_max_ms = cfg->backoff_max_ms ?: BACKOFF_MAX_MS;
        es->backoff_ms = es->cfg.backoff_first_ms;
        r = requester_init(es, cfg);
        if (r < 0)
                return r;
        es->queue = calloc(cfg->queue_max, sizeof(*es->queue));
        if (!es->queue)
                return -ENOMEM;

        r = sd_event_add_time(event, &es->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, es);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(es->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(es->timer, "event-sender");

        *ret = TAKE_PTR(es);
        return 0;
}

struct event_sender *event_sender_free(struct event_sender *es) {
        if (!es)
                return NULL;
        sd_event_source_disable_unref(es->timer);
        sd_event_unref(es->event);
        free(es->queue);
        free(es);
        return NULL;
}

bool event_sender_enabled(const struct event_sender *es) {
        return es->cfg.receiver_sa != EVENT_RECEIVER_DISABLED;
}

size_t event_sender_pending(const struct event_sender *es) {
        return es->len;
}

void event_sender_get_receiver(const struct event_sender *es, uint8_t *sa, uint8_t *lun) {
        *sa = es->cfg.receiver_sa;
        *lun = es->cfg.receiver_lun;
}

static void arm(struct event_sender *es, uint64_t at_ms) {
        int r;

        r = sd_event_source_set_time(es->timer, at_ms * 1000);
        if (r >= 0)
                r = sd_event_source_set_enabled(es->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the event retry timer: %m");
}

static void pop(struct event_sender *es) {
        es->head = (es->head + 1) % es->cfg.queue_max;
        es->len--;
}

static void send_frame(struct event_sender *es, const uint8_t *frame, size_t len) {
        int r = es->send(es->userdata, frame, len);

        /* A NAK or a bus error is a lost try like any other: the retry timer covers it. */
        if (r < 0)
                log_debug_errno(r, "Failed to send event to 0x%02x: %m", es->cfg.receiver_sa);
}

/* Start delivering the head if nothing is in flight and no back-off is running. */
static void kick(struct event_sender *es) {
        while (!es->in_flight && es->len > 0 && event_sender_enabled(es)) {
                uint8_t body[PLATFORM_EVENT_MAX_LEN];
                const uint8_t *frame;
                size_t frame_len;
                uint64_t now = now_ms(es);
                int n, seq;

                if (es->retry_at_ms > now) {
                        arm(es, es->retry_at_ms);
                        return;
                }
                n = platform_event_encode(&es->queue[es->head], body, sizeof(body));
                if (n >= 0)
                        seq = ipmb_requester_start_from_lun(
                                &es->requester, es->cfg.receiver_sa, IPMI_NETFN_SENSOR_EVENT,
                                es->cfg.receiver_lun, es->queue[es->head].generator_lun,
                                IPMI_CMD_PLATFORM_EVENT, body, (size_t) n, now, NULL, &frame,
                                &frame_len);
                else
                        seq = n;
                if (seq < 0) {
                        /* Sensors only queue what encodes, within any message limit. A bug. */
                        log_error_errno(seq, "Cannot send event of sensor %u: %m",
                                        es->queue[es->head].sensor_number);
                        counter_inc(es->counters, COUNTER_EVENTS_REJECTED);
                        pop(es);
                        continue;
                }
                es->in_flight = true;
                send_frame(es, frame, frame_len);
                arm(es, ipmb_requester_next_deadline(&es->requester));
        }
}

/* A round went unanswered (or the receiver was busy): keep the event, try again later. */
static void back_off(struct event_sender *es, uint64_t now, const char *why) {
        counter_inc(es->counters, COUNTER_EVENTS_TIMED_OUT);
        es->retry_at_ms = now + es->backoff_ms;
        if (!es->silent)
                log_warning("Event receiver 0x%02x %s; %zu event%s queued, trying again "
                            "every %u ms at most.", es->cfg.receiver_sa, why, (size_t) es->len,
                            es->len == 1 ? "" : "s", es->cfg.backoff_max_ms);
        es->silent = true;
        if (es->backoff_ms < es->cfg.backoff_max_ms)
                es->backoff_ms = MIN(es->backoff_ms * 2, (uint64_t) es->cfg.backoff_max_ms);
}

/* Tell cfg.reachable when the receiver's reachability changed: last, so that the events the
 * callback queues follow the sender's settled state. */
static void set_reachable(struct event_sender *es, bool reachable) {
        if (es->unreachable == !reachable)
                return;
        es->unreachable = !reachable;
        if (es->cfg.reachable)
                es->cfg.reachable(es->userdata, reachable);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct event_sender *es = userdata;
        uint64_t now = now_ms(es);
        enum ipmb_requester_action a;
        const uint8_t *frame;
        size_t len;
        bool gave_up = false;

        while ((a = ipmb_requester_expire(&es->requester, now, &frame, &len, NULL)) !=
               IPMB_REQUESTER_IDLE) {
                if (es->cfg.try_lost)
                        es->cfg.try_lost(es->userdata);
                if (a == IPMB_REQUESTER_RESEND) {
                        counter_inc(es->counters, COUNTER_EVENTS_RETRIED);
                        send_frame(es, frame, len);
                } else {
                        es->in_flight = false;
                        back_off(es, now, "does not answer");
                        gave_up = true;
                }
        }
        if (es->in_flight)
                arm(es, ipmb_requester_next_deadline(&es->requester));
        else
                kick(es);
        if (gave_up)
                set_reachable(es, false);
        return 0;
}

int event_sender_on_response(struct event_sender *es, const struct ipmb_response *rsp) {
        if (ipmb_requester_match(&es->requester, rsp, NULL) < 0)
                return -ENOENT;
        es->in_flight = false;
        (void) sd_event_source_set_enabled(es->timer, SD_EVENT_OFF);

        if (rsp->cc == IPMI_CC_NODE_BUSY) {
                back_off(es, now_ms(es), "is busy");
                kick(es);
                set_reachable(es, true);        /* busy, but there */
                return 0;
        }
        if (es->silent)
                log_info("Event receiver 0x%02x answers again; %zu event%s to deliver.",
                         es->cfg.receiver_sa, (size_t) es->len, es->len == 1 ? "" : "s");
        es->silent = false;
        es->backoff_ms = es->cfg.backoff_first_ms;
        es->retry_at_ms = 0;

        if (rsp->cc == IPMI_CC_OK) {
                counter_inc(es->counters, COUNTER_EVENTS_SENT);
                es->rejected = false;
        } else {
                counter_inc(es->counters, COUNTER_EVENTS_REJECTED);
                /* Once until an event gets through: a receiver refusing all would flood. */
                if (!es->rejected)
                        log_warning("Event receiver 0x%02x refused an event of sensor %u with "
                                    "0x%02x (%s); dropping it.", es->cfg.receiver_sa,
                                    es->queue[es->head].sensor_number, rsp->cc,
                                    ipmi_cc_name(rsp->cc));
                es->rejected = true;
        }
        pop(es);
        if (es->len == 0)
                es->overflowing = false;
        kick(es);
        set_reachable(es, true);
        return 0;
}

void event_sender_heard_from(struct event_sender *es, uint8_t rq_sa) {
        if (!es->unreachable || rq_sa != es->cfg.receiver_sa || es->in_flight || es->len == 0)
                return;
        es->retry_at_ms = 0;
        es->backoff_ms = es->cfg.backoff_first_ms;
        kick(es);
}

int event_sender_queue(struct event_sender *es, const struct platform_event *ev) {
        if (!event_sender_enabled(es))
                return 0;

        if (es->len == es->cfg.queue_max) {
                /* Drop the oldest event not being sent: the one in flight must stay at the
                 * head until it is answered or its request could match the wrong event. */
                unsigned victim = es->in_flight ? 1 : 0;

                counter_inc(es->counters, COUNTER_EVENTS_DROPPED);
                if (!es->overflowing)
                        log_warning("Event queue full (%u events for 0x%02x): dropping the "
                                    "oldest ones until the receiver catches up.",
                                    es->cfg.queue_max, es->cfg.receiver_sa);
                es->overflowing = true;
                for (unsigned i = victim; i + 1 < es->len; i++)
                        es->queue[(es->head + i) % es->cfg.queue_max] =
                                es->queue[(es->head + i + 1) % es->cfg.queue_max];
                es->len--;
        }
        es->queue[(es->head + es->len) % es->cfg.queue_max] = *ev;
        es->len++;
        counter_inc(es->counters, COUNTER_EVENTS_QUEUED);
        kick(es);
        return 0;
}

void event_sender_set_receiver(struct event_sender *es, uint8_t sa, uint8_t lun) {
        (void) ipmb_requester_cancel(&es->requester, NULL);
        es->in_flight = false;
        es->head = es->len = 0;
        es->retry_at_ms = 0;
        es->backoff_ms = es->cfg.backoff_first_ms;
        es->silent = es->overflowing = es->rejected = false;
        es->cfg.receiver_sa = sa;
        es->cfg.receiver_lun = lun & 3;
        (void) sd_event_source_set_enabled(es->timer, SD_EVENT_OFF);
        /* Nothing is known of the new receiver yet: not unreachable. */
        set_reachable(es, true);
}
