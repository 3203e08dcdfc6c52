/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "protocol/ipmb-requester.h"

#define SEQ_MASK IPMB_SEQ_MAX   /* 63 = 0x3F: seq arithmetic modulo 64 */

/* Saturating, so a caller's clock near the top of uint64_t cannot wrap a deadline into the past. */
static uint64_t deadline_after(uint64_t now_ms, uint32_t timeout_ms) {
        if (now_ms > UINT64_MAX - timeout_ms)
                return UINT64_MAX;
        return now_ms + timeout_ms;
}

static uint64_t seq_bit(uint8_t seq) {
        return UINT64_C(1) << (seq & SEQ_MASK);
}

static bool seq_pending(const struct ipmb_requester *r, uint8_t seq) {
        return r->seqs_pending & seq_bit(seq);
}

/* How many seqs after next_seq this one is: 0 = allocated longest ago, 63 = most recently. */
static unsigned seq_age_rank(const struct ipmb_requester *r, uint8_t seq) {
        return ((unsigned) seq - r->next_seq) & SEQ_MASK;
}

static void slot_free(struct ipmb_requester *r, struct ipmb_pending *p) {
        r->seqs_pending &= ~seq_bit(p->seq);
        /* Zeroed, not just marked unused: a stale frame or userdata must never leak out again. */
        *p = (struct ipmb_pending) { .used = false };
        r->n_pending--;
}

/* The used slot holding seq, or NULL. */
static struct ipmb_pending *slot_of_seq(const struct ipmb_requester *r, uint8_t seq) {
        if (seq > IPMB_SEQ_MAX || !seq_pending(r, seq))
                return NULL;
        for (size_t i = 0; i < r->n_slots; i++)
                if (r->slots[i].used && r->slots[i].seq == seq)
                        return &r->slots[i];
        return NULL;
}

static struct ipmb_pending *slot_unused(const struct ipmb_requester *r) {
        for (size_t i = 0; i < r->n_slots; i++)
                if (!r->slots[i].used)
                        return &r->slots[i];
        return NULL;
}

int ipmb_requester_init(struct ipmb_requester *r, const struct ipmb_requester_config *cfg,
                        struct ipmb_pending *slots, size_t n_slots) {
        if (cfg->own_sa & 1)
                return -EINVAL;
        if (cfg->tries == 0 || cfg->timeout_ms == 0)
                return -EINVAL;
        if (cfg->max_msg_len < IPMB_REQUEST_MIN_LEN || cfg->max_msg_len > IPMB_KERNEL_MAX_MSG_LEN)
                return -EINVAL;
        /* More slots than seqs could never be used: a seq names one outstanding request. */
        if (!slots || n_slots == 0 || n_slots > IPMB_REQUESTER_MAX_SLOTS)
                return -EINVAL;

        memset(slots, 0, n_slots * sizeof(*slots));
        *r = (struct ipmb_requester) {
                .cfg = *cfg,
                .slots = slots,
                .n_slots = n_slots,
        };
        return 0;
}

int ipmb_requester_start(struct ipmb_requester *r, uint8_t rs_sa, uint8_t netfn, uint8_t rs_lun,
                         uint8_t cmd, const uint8_t *data, size_t data_len, uint64_t now_ms,
                         void *userdata, const uint8_t **frame, size_t *frame_len) {
        return ipmb_requester_start_from_lun(r, rs_sa, netfn, rs_lun, 0, cmd, data, data_len,
                                             now_ms, userdata, frame, frame_len);
}

int ipmb_requester_start_from_lun(struct ipmb_requester *r, uint8_t rs_sa, uint8_t netfn,
                                  uint8_t rs_lun, uint8_t rq_lun, uint8_t cmd,
                                  const uint8_t *data, size_t data_len, uint64_t now_ms,
                                  void *userdata, const uint8_t **frame, size_t *frame_len) {
        struct ipmb_pending *p = NULL;
        uint8_t seq = 0;
        int n;

        if (r->n_pending >= r->n_slots)
                return -EBUSY;
        p = slot_unused(r);
        if (!p)
                return -EBUSY;  /* n_pending out of step with the slots; refuse, do not corrupt */

        /*
         * First seq at or after next_seq that is not outstanding. Skipping a busy one (a
         * long-outstanding request) rather than waiting keeps the others flowing; the search is
         * bounded by 64 and always succeeds since n_pending < n_slots <= 64.
         */
        for (unsigned i = 0; i <= IPMB_SEQ_MAX; i++) {
                seq = (uint8_t) ((r->next_seq + i) & SEQ_MASK);
                if (!seq_pending(r, seq))
                        break;
        }
        if (seq_pending(r, seq))
                return -EBUSY;  /* seqs_pending out of step with n_pending; as above */

        /* Encode straight into the slot: it stays unused (nothing armed) if the encoder refuses. */
        n = ipmb_encode_request(&(const struct ipmb_request) {
                                        .rs_sa = rs_sa,
                                        .netfn = netfn,
                                        .rs_lun = rs_lun,
                                        .rq_sa = r->cfg.own_sa,
                                        .seq = seq,
                                        .rq_lun = rq_lun,
                                        .cmd = cmd,
                                        .data = data,
                                        .data_len = data_len,
                                },
                                p->frame, sizeof(p->frame), r->cfg.max_msg_len);
        if (n < 0) {
                memset(p->frame, 0, sizeof(p->frame));
                return n;
        }

        p->used = true;
        p->rs_sa = rs_sa;
        p->netfn = netfn;
        p->cmd = cmd;
        p->seq = seq;
        p->deadline_ms = deadline_after(now_ms, r->cfg.timeout_ms);
        p->tries_left = r->cfg.tries - 1;
        p->frame_len = (size_t) n;
        p->userdata = userdata;
        r->n_pending++;
        r->seqs_pending |= seq_bit(seq);
        r->next_seq = (uint8_t) ((seq + 1) & SEQ_MASK);

        if (frame)
                *frame = p->frame;
        if (frame_len)
                *frame_len = p->frame_len;
        return seq;
}

int ipmb_requester_match(struct ipmb_requester *r, const struct ipmb_response *rsp, void **userdata) {
        struct ipmb_pending *p;

        /* The codec never yields seq > 63, but this may be handed a hand-built response:
         * slot_of_seq() finds nothing for one. */
        p = slot_of_seq(r, rsp->seq);
        if (!p ||
            rsp->rq_sa != r->cfg.own_sa ||
            rsp->rs_sa != p->rs_sa ||
            rsp->netfn != p->netfn + 1 ||
            rsp->cmd != p->cmd)
                return -ENOENT;

        if (userdata)
                *userdata = p->userdata;
        slot_free(r, p);
        return 0;
}

uint64_t ipmb_requester_next_deadline(const struct ipmb_requester *r) {
        uint64_t min = UINT64_MAX;

        if (r->n_pending == 0)
                return UINT64_MAX;
        for (size_t i = 0; i < r->n_slots; i++)
                if (r->slots[i].used && r->slots[i].deadline_ms < min)
                        min = r->slots[i].deadline_ms;
        return min;
}

enum ipmb_requester_action ipmb_requester_expire(struct ipmb_requester *r, uint64_t now_ms,
                                                 const uint8_t **frame, size_t *frame_len,
                                                 void **userdata) {
        struct ipmb_pending *p = NULL;

        if (frame)
                *frame = NULL;
        if (frame_len)
                *frame_len = 0;
        if (userdata)
                *userdata = NULL;

        if (r->n_pending == 0)
                return IPMB_REQUESTER_IDLE;

        /*
         * The earliest expired deadline first, so a late timer call still retries requests in the
         * order they fell due. Ties go to the seq allocated longest ago, which round robin order
         * from next_seq tells without any extra bookkeeping.
         */
        for (size_t i = 0; i < r->n_slots; i++) {
                struct ipmb_pending *q = &r->slots[i];

                if (!q->used || q->deadline_ms > now_ms)
                        continue;
                if (!p || q->deadline_ms < p->deadline_ms ||
                    (q->deadline_ms == p->deadline_ms &&
                     seq_age_rank(r, q->seq) < seq_age_rank(r, p->seq)))
                        p = q;
        }
        if (!p)
                return IPMB_REQUESTER_IDLE;

        if (userdata)
                *userdata = p->userdata;

        if (p->tries_left > 0) {
                p->tries_left--;
                p->deadline_ms = deadline_after(now_ms, r->cfg.timeout_ms);
                if (frame)
                        *frame = p->frame;
                if (frame_len)
                        *frame_len = p->frame_len;
                return IPMB_REQUESTER_RESEND;
        }

        slot_free(r, p);
        return IPMB_REQUESTER_GIVE_UP;
}

size_t ipmb_requester_cancel(struct ipmb_requester *r, void *userdata) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_slots && r->n_pending > 0; i++) {
                struct ipmb_pending *p = &r->slots[i];

                if (p->used && p->userdata == userdata) {
                        slot_free(r, p);
                        n++;
                }
        }
        return n;
}

int ipmb_requester_set_userdata(struct ipmb_requester *r, uint8_t seq, void *userdata) {
        struct ipmb_pending *p = slot_of_seq(r, seq);

        if (!p)
                return -ENOENT;
        p->userdata = userdata;
        return 0;
}
