/* SPDX-License-Identifier: MIT */
/*
 * Platform Event Messages to the event receiver (IPMI v2.0 section 29): a bounded FIFO of events
 * and the IPMB requests that deliver them, one at a time, in order.
 *
 * Delivery: the event at the head is sent as a Sensor/Event netFn request (cmd 0x02) with a
 * sequence number from protocol/ipmb-requester.c, re-sent with the same sequence number every
 * 250 ms up to 6 times (the same policy a BMC uses towards us, so a receiver that got it but
 * whose answer was lost answers the retry from its cache). When a whole round goes unanswered
 * the event stays at the head and a new round starts after a back-off that doubles from 1 s to
 * 8 s: a receiver that is silent for a while gets every queued event, in order, once it answers
 * again. One event in flight at a time keeps the order an assertion and its deassertion
 * happened in, at the cost of one round trip per event; sensors change far more slowly.
 *
 * Answers: cc 0x00 delivers the event; 0xC0 (busy) counts as unanswered and backs off; any other
 * completion code means the receiver will never take this event (it is dropped, logged, counted).
 *
 * Overflow: the queue holds queue_max events; queueing into a full one drops the oldest
 * (counted as events-dropped, logged once per episode). The newest events describe the present;
 * Set Event Receiver and Re-arm re-send the asserted states anyway.
 *
 * Receiver 0xFF disables events: nothing is queued, and the queue is emptied.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "counters.h"
#include "protocol/ipmb-frame.h"
#include "protocol/platform-event.h"

#define EVENT_RECEIVER_DISABLED 0xFF

struct event_sender;

struct event_sender_config {
        uint8_t own_sa;                 /* rqSA of our requests */
        size_t max_msg_len;             /* whole IPMB message limit */
        uint8_t receiver_sa;            /* 8-bit address, or EVENT_RECEIVER_DISABLED */
        uint8_t receiver_lun;
        unsigned queue_max;             /* >= 1 */
        uint32_t timeout_ms;            /* per try; 0 = IPMB_REQUESTER_DEFAULT_TIMEOUT_MS */
        unsigned tries;                 /* per round; 0 = IPMB_REQUESTER_DEFAULT_TRIES */
        uint32_t backoff_first_ms;      /* 0 = 1000 */
        uint32_t backoff_max_ms;        /* 0 = 8000 */
        /* Called with the sender's userdata when a try went unanswered, before its retry is
         * sent (or the round given up): a redundant IPMB-0 moves the retry to the other bus.
         * NULL = nothing to do. */
        void (*try_lost)(void *userdata);
        /* Called with the sender's userdata when the receiver is found unreachable (a whole
         * round of tries went unanswered: reachable = false) and when it is reachable again
         * (any answer, or a new receiver set: true), once per change, after the sender's own
         * state is settled, so it may queue events. NULL = nothing to do. */
        void (*reachable)(void *userdata, bool reachable);
};

/* Sends one frame; 0 or -errno (a failed send is a lost try: the retry timer covers it). */
typedef int (*event_sender_send_t)(void *userdata, const uint8_t *frame, size_t len);

int event_sender_new(sd_event *event, const struct event_sender_config *cfg,
                     event_sender_send_t send, void *userdata, struct counters *counters,
                     struct event_sender **ret);
struct event_sender *event_sender_free(struct event_sender *es);
static inline void event_sender_freep(struct event_sender **es) {
        event_sender_free(*es);
}

/* Queue one event for the receiver (a no-op while events are disabled). 0 or -errno. */
int event_sender_queue(struct event_sender *es, const struct platform_event *ev);

/*
 * A decoded IPMB response: if it answers our outstanding event request, take it and return 0;
 * otherwise -ENOENT (the caller counts a stray).
 */
int event_sender_on_response(struct event_sender *es, const struct ipmb_response *rsp);

/*
 * A request arrived from rq_sa. If that is the receiver while it counts as unreachable and a
 * back-off holds the next round, the round starts now: the receiver just showed it is there,
 * so the events (and, with PICMG, the way out of M7) need not wait up to backoff_max_ms.
 * Otherwise nothing. Cheap enough for every request, but the manager calls it only while the
 * reachability callback said unreachable.
 */
void event_sender_heard_from(struct event_sender *es, uint8_t rq_sa);

/*
 * Set Event Receiver: a new destination. The queue and the request in flight are dropped (they
 * were history for the old receiver); the caller re-queues the states asserted now.
 */
void event_sender_set_receiver(struct event_sender *es, uint8_t sa, uint8_t lun);
void event_sender_get_receiver(const struct event_sender *es, uint8_t *sa, uint8_t *lun);
bool event_sender_enabled(const struct event_sender *es);

/* Events waiting, including the one in flight. */
size_t event_sender_pending(const struct event_sender *es);
