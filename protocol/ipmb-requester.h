/* SPDX-License-Identifier: MIT */
/*
 * IPMB requester state machine: sequence number allocation, response matching, retries and
 * give-up for requests this controller sends on IPMB (the ipmitool bridge, Platform Event
 * Messages). Pure state: no I/O, no clock reads (every call that needs the time is handed
 * now_ms, any monotonic millisecond clock), no allocation, no globals, no logging. The caller
 * owns the socket and the timer; this only says what to send and when.
 *
 * Typical loop:
 *
 *     seq = ipmb_requester_start(r, ..., now, client, &frame, &len);   -> write frame
 *     arm the timer for ipmb_requester_next_deadline(r)
 *     on a received response: ipmb_decode_response(), then ipmb_requester_match()
 *     on the timer: while ((a = ipmb_requester_expire(r, now, ...)) != IPMB_REQUESTER_IDLE)
 *             RESEND -> write frame again; GIVE_UP -> answer the client with cc 0xC3
 *
 * Why these rules (IPMB v1.0 section 2, IPMI v2.0 section 7, OpenBMC ipmbbridge):
 *  - A response is matched on (responder address, netFn + 1, cmd, seq), and on being addressed
 *    to us; the seq alone is only 6 bits and a stray or late frame must not complete the wrong
 *    request.
 *  - A retry reuses the same frame, same seq: a responder that did execute the request but
 *    whose response was lost answers the retry from its response cache instead of executing a
 *    non-idempotent command twice.
 *  - Because of that cache (5 s), a *new* request must not reuse a seq that was recently used
 *    for an identical request, or it would get the stale cached answer. Sequence numbers are
 *    therefore handed out round robin over all 64, so one is reused as late as possible, however
 *    few requests the caller keeps outstanding: with n slots, a seq comes back only after at
 *    least 64 - n starts of other seqs (with one slot, every other seq once).
 *  - The slots are the caller's storage, as many as it keeps outstanding (1..64): a slot keeps a
 *    whole frame for retries, so 64 of them (10.5 KiB) for a caller with one request in flight
 *    is memory spent on nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/ipmb-frame.h"

#define IPMB_REQUESTER_DEFAULT_TIMEOUT_MS 250   /* ipmbbridge's retry interval */
#define IPMB_REQUESTER_DEFAULT_TRIES      6     /* ipmbbridge: the first send plus five retries */
#define IPMB_REQUESTER_MAX_SLOTS          (IPMB_SEQ_MAX + 1)     /* one per seq, no more */

struct ipmb_requester_config {
        uint8_t own_sa;         /* our 8-bit slave address: rqSA of every request we send */
        uint32_t timeout_ms;    /* wait this long for a response before each retry / give-up */
        unsigned tries;         /* sends in all, including the first; >= 1 */
        size_t max_msg_len;     /* whole-frame limit handed to the encoder, 7..128 */
};

/* One outstanding request, in any of the caller's slots; seq says which request it is. */
struct ipmb_pending {
        bool used;
        uint8_t rs_sa, netfn, cmd, seq;         /* netfn is the request's (even) netFn */
        uint64_t deadline_ms;                   /* when to retry or give up */
        unsigned tries_left;                    /* retries still allowed after this send */
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN]; /* kept for retries, sent byte for byte again */
        size_t frame_len;
        void *userdata;                         /* the caller's, never dereferenced here */
};

struct ipmb_requester {
        struct ipmb_requester_config cfg;
        uint8_t next_seq;                       /* round robin: reuse a seq as late as possible */
        uint64_t seqs_pending;                  /* bit s set: seq s is in a used slot */
        struct ipmb_pending *slots;             /* the caller's, n_slots of them */
        size_t n_slots;
        size_t n_pending;
};

/*
 * Reset *r to no outstanding requests, next seq 0, with the caller's n_slots slots (zeroed here;
 * they must outlive *r) as its room for outstanding requests. Returns 0, or -EINVAL (own_sa
 * odd, tries 0, timeout 0, max_msg_len outside IPMB_REQUEST_MIN_LEN..IPMB_KERNEL_MAX_MSG_LEN,
 * slots NULL, n_slots outside 1..IPMB_REQUESTER_MAX_SLOTS); *r and the slots are left untouched
 * then.
 */
int ipmb_requester_init(struct ipmb_requester *r, const struct ipmb_requester_config *cfg,
                        struct ipmb_pending *slots, size_t n_slots);

/*
 * Start a request to rs_sa/rs_lun. Picks the first seq at or after next_seq (round robin) that
 * is not outstanding, encodes the frame with own_sa as rqSA and rqLUN 0 into a free slot, and
 * arms deadline = now_ms + timeout with tries - 1 retries left. Returns the seq (0..63) and
 * points *frame, *frame_len at the bytes to send now (inside the slot: valid until the request
 * is matched, given up, or cancelled).
 * Returns -EBUSY when all n_slots slots are outstanding, or -EMSGSIZE/-EINVAL from
 * ipmb_encode_request() (odd netFn, rs_lun > 3, too much data for max_msg_len); nothing is
 * armed and next_seq does not move then.
 */
int ipmb_requester_start(struct ipmb_requester *r, uint8_t rs_sa, uint8_t netfn, uint8_t rs_lun,
                         uint8_t cmd, const uint8_t *data, size_t data_len, uint64_t now_ms,
                         void *userdata, const uint8_t **frame, size_t *frame_len);

/* The same from our LUN rq_lun (0..3, else -EINVAL) instead of 0: a Platform Event Message's
 * generator ID is its rqSA and rqLUN, so a sensor on LUN 1 sends its events from LUN 1
 * (IPMI v2.0 table 29-5). The answer comes back to that LUN; matching ignores LUNs. */
int ipmb_requester_start_from_lun(struct ipmb_requester *r, uint8_t rs_sa, uint8_t netfn,
                                  uint8_t rs_lun, uint8_t rq_lun, uint8_t cmd,
                                  const uint8_t *data, size_t data_len, uint64_t now_ms,
                                  void *userdata, const uint8_t **frame, size_t *frame_len);

/*
 * Match a response decoded by ipmb_decode_response(): the outstanding request with
 * seq == rsp->seq, rs_sa == rsp->rs_sa, netfn + 1 == rsp->netfn, cmd == rsp->cmd, and
 * rsp->rq_sa == own_sa. On a match frees the slot, returns 0 and sets *userdata (if userdata is
 * not NULL). Returns -ENOENT otherwise (a late duplicate, a response to a given-up or cancelled
 * request, a stranger); the outstanding requests are untouched then. LUNs are not compared.
 */
int ipmb_requester_match(struct ipmb_requester *r, const struct ipmb_response *rsp, void **userdata);

/*
 * Earliest deadline of any outstanding request, or UINT64_MAX when none: when to call expire.
 * (A deadline saturated at UINT64_MAX by a clock near its end reads the same; it never fires.)
 */
/* Replace the userdata of the outstanding request with sequence number seq (for callers that
 * key their own context by the seq that ipmb_requester_start() picked). 0 or -ENOENT. */
int ipmb_requester_set_userdata(struct ipmb_requester *r, uint8_t seq, void *userdata);

uint64_t ipmb_requester_next_deadline(const struct ipmb_requester *r);

enum ipmb_requester_action {
        IPMB_REQUESTER_IDLE,            /* nothing (more) expired at now_ms */
        IPMB_REQUESTER_RESEND,          /* send *frame again; still outstanding */
        IPMB_REQUESTER_GIVE_UP,         /* out of tries; slot freed, answer the client */
};

/*
 * Call after the timer fires, repeatedly until it returns IDLE. Handles one expired request
 * (deadline_ms <= now_ms) per call, the earliest deadline first (ties: the oldest seq in round
 * robin order). If it has tries left, re-arms its deadline to now_ms + timeout, decrements
 * tries_left and returns RESEND with the same frame (same seq) in *frame, *frame_len and its
 * *userdata. Otherwise frees the slot and returns GIVE_UP with *userdata (*frame NULL,
 * *frame_len 0): the caller answers its client, e.g. completion code 0xC3 (timeout).
 * IDLE sets all three outputs to NULL/0. Any output pointer may be NULL.
 * Terminates: each RESEND consumes a try and moves the deadline past now_ms.
 */
enum ipmb_requester_action ipmb_requester_expire(struct ipmb_requester *r, uint64_t now_ms,
                                                 const uint8_t **frame, size_t *frame_len,
                                                 void **userdata);

/*
 * Forget every outstanding request whose userdata == userdata (a client went away); a response
 * arriving for one later gets -ENOENT from match. Returns how many were forgotten.
 */
size_t ipmb_requester_cancel(struct ipmb_requester *r, void *userdata);
