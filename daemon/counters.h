/* SPDX-License-Identifier: MIT */
/* What happened to every frame, by reason; printed on SIGUSR1 and at exit. */
#pragma once

#include <stdint.h>
#include <stdio.h>

enum counter {
        COUNTER_FRAMES_RECEIVED,        /* every frame the transport handed us */
        COUNTER_REQUESTS_HANDLED,       /* decoded requests that reached the dispatcher */
        COUNTER_RESPONSES_SENT,
        COUNTER_RESPONSES_REPLAYED,     /* retried requests answered from the response cache */
        COUNTER_SEND_FAILED,
        COUNTER_RECV_FAILED,
        COUNTER_REJECT_OVERSIZE,        /* did not fit our receive buffer */
        COUNTER_REJECT_SHORT,
        COUNTER_REJECT_LONG,
        COUNTER_REJECT_HEADER_CHECKSUM,
        COUNTER_REJECT_DATA_CHECKSUM,
        COUNTER_REJECT_NOT_FOR_US,
        COUNTER_REJECT_NOT_A_REQUEST,
        COUNTER_REJECT_BROADCAST,       /* broadcast of anything but Get Device ID */
        COUNTER_REJECT_REQUESTER,       /* from an rqSA we must not answer (reserved, odd, ours) */
        COUNTER_CC_INVALID_COMMAND,     /* answered 0xC1 by the dispatcher */
        COUNTER_CC_INVALID_LENGTH,      /* answered 0xC7 by the dispatcher */
        COUNTER_CC_ERROR,               /* a handler answered a non-zero completion code */
        COUNTER_LOCAL_REQUESTS,         /* requests from the local ipmitool socket */
        COUNTER_RESPONSES_UNMATCHED,    /* a response to no request of ours (late, stray) */
        COUNTER_EVENTS_QUEUED,          /* Platform Event Messages queued for the receiver */
        COUNTER_EVENTS_SENT,            /* ... and acknowledged by it (cc 0x00) */
        COUNTER_EVENTS_RETRIED,         /* re-sends after a response timeout */
        COUNTER_EVENTS_TIMED_OUT,       /* rounds of tries that all went unanswered */
        COUNTER_EVENTS_REJECTED,        /* answered with an error: dropped */
        COUNTER_EVENTS_DROPPED,         /* pushed out of a full queue, oldest first */
        COUNTER_FRU_IMAGES_INVALID,     /* FRU devices loaded at start that do not parse */
        /* Redundant IPMB-0 (manager-ipmb-b.c); frames-received and responses-sent count both
         * buses, these say what went over IPMB-B and how our own requests fared. */
        COUNTER_IPMB_B_FRAMES_RECEIVED,
        COUNTER_IPMB_B_RESPONSES_SENT,
        COUNTER_IPMB_A_REQUESTS_SENT,   /* tries of our requests (events) ACKed on IPMB-A */
        COUNTER_IPMB_B_REQUESTS_SENT,   /* ... on IPMB-B */
        COUNTER_IPMB_FAILOVERS,         /* our requests moved to the other bus (NAK, timeout) */
        COUNTER_REJECT_ISOLATED,        /* frames from a bus Set IPMB State isolated */
        _COUNTER_MAX,
};

struct counters {
        uint64_t v[_COUNTER_MAX];
};

static inline void counter_inc(struct counters *c, enum counter which) {
        c->v[which]++;
}

/* One line, "name=value ...", for logs and tests. */
void counters_print(const struct counters *c, FILE *f);
