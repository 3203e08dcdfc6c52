/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "picmg-hotswap.h"
#include "picmg.h"

void hotswap_init(struct hotswap_machine *m, bool power_by_carrier, uint8_t policy) {
        *m = (struct hotswap_machine) {
                .state = HOTSWAP_M0,
                .state_before_m7 = HOTSWAP_M0,
                .policy = policy & (PICMG_POLICY_LOCKED | PICMG_POLICY_DEACTIVATION_LOCKED),
                .power_by_carrier = power_by_carrier,
        };
}

struct step {
        struct hotswap_machine m;       /* a copy: the caller's is written only on success */
        struct hotswap_transition *out;
        int n;
};

static void move(struct step *s, uint8_t to, uint8_t cause) {
        /* Bounded by construction (at most three moves per input); the check keeps it so. */
        if (s->n >= HOTSWAP_TRANSITIONS_MAX)
                return;
        s->out[s->n++] = (struct hotswap_transition) { .from = s->m.state, .to = to, .cause = cause };
        if (to == HOTSWAP_M7)
                s->m.state_before_m7 = s->m.state;
        s->m.state = to;
}

/* Back in M1 because the shelf manager or the payload ended the activation: the Locked bit
 * keeps it there until the handle is cycled or the shelf manager clears it, so a board with
 * a closed handle does not ask to be activated again at once. */
static void move_to_m1_locked(struct step *s, uint8_t cause) {
        move(s, HOTSWAP_M1, cause);
        s->m.policy |= PICMG_POLICY_LOCKED;
}

/* The moves no input names: M1 -> M2 once the handle is closed and the FRU not locked
 * (PICMG 3.0 3.2.4.2.2), and on an AMC module M3 -> M4 at once (the carrier grants power). */
static void settle(struct step *s, uint8_t cause) {
        if (s->m.state == HOTSWAP_M1 && s->m.handle_closed && !(s->m.policy & PICMG_POLICY_LOCKED))
                move(s, HOTSWAP_M2, cause);
        if (s->m.state == HOTSWAP_M3 && s->m.power_by_carrier)
                move(s, HOTSWAP_M4, HOTSWAP_CAUSE_NORMAL);
}

/* Handle opened while active: ask to be deactivated, unless the shelf manager locked that. */
static void handle_open_in_m4(struct step *s, uint8_t cause) {
        if (s->m.state == HOTSWAP_M4 && !s->m.handle_closed &&
            !(s->m.policy & PICMG_POLICY_DEACTIVATION_LOCKED))
                move(s, HOTSWAP_M5, cause);
}

static int on_activate(struct step *s) {
        switch (s->m.state) {
        case HOTSWAP_M2:
                move(s, HOTSWAP_M3, HOTSWAP_CAUSE_SHELF_MANAGER);
                return 0;
        case HOTSWAP_M5:
                move(s, HOTSWAP_M4, HOTSWAP_CAUSE_SHELF_MANAGER);
                return 0;
        case HOTSWAP_M3:
        case HOTSWAP_M4:
                return 0;       /* already on its way: nothing to do */
        default:
                return -EOPNOTSUPP;
        }
}

static int on_deactivate(struct step *s) {
        switch (s->m.state) {
        case HOTSWAP_M2:
                move_to_m1_locked(s, HOTSWAP_CAUSE_SHELF_MANAGER);
                return 0;
        case HOTSWAP_M3:
        case HOTSWAP_M4:
        case HOTSWAP_M5:
                move(s, HOTSWAP_M6, HOTSWAP_CAUSE_SHELF_MANAGER);
                return 0;
        case HOTSWAP_M1:
        case HOTSWAP_M6:
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}

static int on_input(struct step *s, enum hotswap_input in, uint8_t policy) {
        uint8_t settle_cause = HOTSWAP_CAUSE_NORMAL;
        int r = 0;

        switch (in) {
        case HOTSWAP_IN_INSERTED:
                if (s->m.state == HOTSWAP_M0)
                        move(s, HOTSWAP_M1, HOTSWAP_CAUSE_NORMAL);
                break;
        case HOTSWAP_IN_EXTRACTED:
                if (s->m.state != HOTSWAP_M0)
                        move(s, HOTSWAP_M0, s->m.state == HOTSWAP_M1 ? HOTSWAP_CAUSE_NORMAL
                                                                    : HOTSWAP_CAUSE_SURPRISE);
                return 0;       /* nothing follows from M0 */
        case HOTSWAP_IN_HANDLE_CLOSED:
                if (s->m.handle_closed)
                        return 0;
                s->m.handle_closed = true;
                s->m.policy &= (uint8_t) ~PICMG_POLICY_LOCKED;  /* PICMG 3.0 3.2.4.2.2 */
                settle_cause = HOTSWAP_CAUSE_HANDLE_SWITCH;
                break;
        case HOTSWAP_IN_HANDLE_OPENED:
                if (!s->m.handle_closed)
                        return 0;
                s->m.handle_closed = false;
                if (s->m.state == HOTSWAP_M2)
                        move(s, HOTSWAP_M1, HOTSWAP_CAUSE_HANDLE_SWITCH);
                else if (s->m.state == HOTSWAP_M3)
                        move(s, HOTSWAP_M6, HOTSWAP_CAUSE_HANDLE_SWITCH);
                else
                        handle_open_in_m4(s, HOTSWAP_CAUSE_HANDLE_SWITCH);
                break;
        case HOTSWAP_IN_ACTIVATE:
                r = on_activate(s);
                settle_cause = HOTSWAP_CAUSE_SHELF_MANAGER;
                break;
        case HOTSWAP_IN_DEACTIVATE:
                r = on_deactivate(s);
                break;
        case HOTSWAP_IN_POLICY:
                if (policy & (uint8_t) ~(PICMG_POLICY_LOCKED | PICMG_POLICY_DEACTIVATION_LOCKED))
                        return -EINVAL;
                s->m.policy = policy;
                handle_open_in_m4(s, HOTSWAP_CAUSE_SHELF_MANAGER);
                settle_cause = HOTSWAP_CAUSE_SHELF_MANAGER;
                break;
        case HOTSWAP_IN_POWER_GRANTED:
                if (s->m.state == HOTSWAP_M3)
                        move(s, HOTSWAP_M4, HOTSWAP_CAUSE_NORMAL);
                break;
        case HOTSWAP_IN_POWER_REMOVED:
                if (s->m.state == HOTSWAP_M4 || s->m.state == HOTSWAP_M5)
                        move(s, HOTSWAP_M6, HOTSWAP_CAUSE_SHELF_MANAGER);
                break;
        case HOTSWAP_IN_PAYLOAD_OFF:
                if (s->m.state == HOTSWAP_M6)
                        move_to_m1_locked(s, HOTSWAP_CAUSE_NORMAL);
                break;
        case HOTSWAP_IN_REQUEST_DEACTIVATION:
                if (s->m.state == HOTSWAP_M4)
                        move(s, HOTSWAP_M5, HOTSWAP_CAUSE_PROGRAMMATIC);
                else if (s->m.state != HOTSWAP_M5)
                        r = -EOPNOTSUPP;
                break;
        case HOTSWAP_IN_COMMUNICATION_LOST:
                if (s->m.state != HOTSWAP_M0 && s->m.state != HOTSWAP_M7)
                        move(s, HOTSWAP_M7, HOTSWAP_CAUSE_COMMUNICATION_LOCAL);
                return 0;
        case HOTSWAP_IN_COMMUNICATION_REGAINED:
                if (s->m.state == HOTSWAP_M7)
                        move(s, s->m.state_before_m7, HOTSWAP_CAUSE_COMMUNICATION_LOCAL);
                return 0;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        settle(s, settle_cause);
        return 0;
}

int hotswap_step(struct hotswap_machine *m, enum hotswap_input in, uint8_t policy,
                 struct hotswap_transition out[static HOTSWAP_TRANSITIONS_MAX]) {
        struct step s = { .m = *m, .out = out };
        int r;

        if (m->state >= _HOTSWAP_STATE_MAX)
                return -EINVAL;
        r = on_input(&s, in, policy);
        if (r < 0)
                return r;
        *m = s.m;
        return s.n;
}

void hotswap_event_data(const struct hotswap_transition *t, uint8_t fru, uint8_t ret[3]) {
        ret[0] = (uint8_t) (0xA0 | (t->to & 0x0F));
        ret[1] = (uint8_t) ((t->cause & 0x0F) << 4 | (t->from & 0x0F));
        ret[2] = fru;
}

enum hotswap_led_hint hotswap_led_for_state(uint8_t state) {
        switch (state) {
        case HOTSWAP_M1:
                return HOTSWAP_LED_ON;
        case HOTSWAP_M2:
                return HOTSWAP_LED_LONG_BLINK;
        case HOTSWAP_M3:
        case HOTSWAP_M4:
                return HOTSWAP_LED_OFF;
        case HOTSWAP_M5:
        case HOTSWAP_M6:
                return HOTSWAP_LED_SHORT_BLINK;
        default:
                return HOTSWAP_LED_UNCHANGED;
        }
}

const char *hotswap_state_name(uint8_t state) {
        static const char *const names[_HOTSWAP_STATE_MAX] = {
                [HOTSWAP_M0] = "M0 (not installed)",
                [HOTSWAP_M1] = "M1 (inactive)",
                [HOTSWAP_M2] = "M2 (activation request)",
                [HOTSWAP_M3] = "M3 (activation in progress)",
                [HOTSWAP_M4] = "M4 (active)",
                [HOTSWAP_M5] = "M5 (deactivation request)",
                [HOTSWAP_M6] = "M6 (deactivation in progress)",
                [HOTSWAP_M7] = "M7 (communication lost)",
        };

        return state < _HOTSWAP_STATE_MAX ? names[state] : "invalid";
}
