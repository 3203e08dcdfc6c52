/* SPDX-License-Identifier: MIT */
#include "counters.h"
#include "macro.h"

static const char *const counter_names[_COUNTER_MAX] = {
        [COUNTER_FRAMES_RECEIVED]        = "frames-received",
        [COUNTER_REQUESTS_HANDLED]       = "requests-handled",
        [COUNTER_RESPONSES_SENT]         = "responses-sent",
        [COUNTER_RESPONSES_REPLAYED]     = "responses-replayed",
        [COUNTER_SEND_FAILED]            = "send-failed",
        [COUNTER_RECV_FAILED]            = "recv-failed",
        [COUNTER_REJECT_OVERSIZE]        = "rejected-oversize",
        [COUNTER_REJECT_SHORT]           = "rejected-short",
        [COUNTER_REJECT_LONG]            = "rejected-long",
        [COUNTER_REJECT_HEADER_CHECKSUM] = "rejected-header-checksum",
        [COUNTER_REJECT_DATA_CHECKSUM]   = "rejected-data-checksum",
        [COUNTER_REJECT_NOT_FOR_US]      = "rejected-not-for-us",
        [COUNTER_REJECT_NOT_A_REQUEST]   = "rejected-not-a-request",
        [COUNTER_REJECT_BROADCAST]       = "rejected-broadcast",
        [COUNTER_REJECT_REQUESTER]       = "rejected-requester",
        [COUNTER_CC_INVALID_COMMAND]     = "answered-invalid-command",
        [COUNTER_CC_INVALID_LENGTH]      = "answered-invalid-length",
        [COUNTER_CC_ERROR]               = "answered-error",
        [COUNTER_LOCAL_REQUESTS]         = "ipmitool-requests",
        [COUNTER_RESPONSES_UNMATCHED]    = "responses-unmatched",
        [COUNTER_EVENTS_QUEUED]          = "events-queued",
        [COUNTER_EVENTS_SENT]            = "events-sent",
        [COUNTER_EVENTS_RETRIED]         = "events-retried",
        [COUNTER_EVENTS_TIMED_OUT]       = "events-timed-out",
        [COUNTER_EVENTS_REJECTED]        = "events-rejected",
        [COUNTER_EVENTS_DROPPED]         = "events-dropped",
        [COUNTER_FRU_IMAGES_INVALID]     = "fru-images-invalid",
        [COUNTER_IPMB_B_FRAMES_RECEIVED] = "ipmb-b-frames-received",
        [COUNTER_IPMB_B_RESPONSES_SENT]  = "ipmb-b-responses-sent",
        [COUNTER_IPMB_A_REQUESTS_SENT]   = "ipmb-a-requests-sent",
        [COUNTER_IPMB_B_REQUESTS_SENT]   = "ipmb-b-requests-sent",
        [COUNTER_IPMB_FAILOVERS]         = "ipmb-failovers",
        [COUNTER_REJECT_ISOLATED]        = "rejected-isolated",
};

void counters_print(const struct counters *c, FILE *f) {
        char line[2048];
        size_t n = 0;

        /* One write for the whole line, built here and flushed at once, whatever f's
         * buffering: a reader (a test, a log collector) must never see half of it. */
        n += (size_t) snprintf(line, sizeof(line), "counters:");
        for (unsigned i = 0; i < _COUNTER_MAX && n < sizeof(line); i++)
                n += (size_t) snprintf(line + n, sizeof(line) - n, " %s=%llu", counter_names[i],
                                       (unsigned long long) c->v[i]);
        if (n < sizeof(line) - 1) {
                line[n++] = '\n';
                line[n] = '\0';
        }
        fputs(line, f);
        fflush(f);
}
