/* SPDX-License-Identifier: MIT */
/*
 * The PICMG hot-swap state machine of one FRU (PICMG 3.0 R3.0 section 3.2.4, figure 3-5):
 * states M0..M7, the inputs that move a FRU between them, and the cause each transition reports
 * in its FRU Hot Swap event (table 3-23). Pure: the daemon (daemon/picmg-hotswap.c) feeds it the
 * handle switch, Set FRU Activation (Policy), the power grant and the payload's end, and sends
 * one Platform Event Message per transition it returns.
 *
 * One input can make several transitions (an AMC module granted power as it is activated:
 * M2 -> M3 -> M4); they come back in order. An input the current state refuses changes nothing
 * and says so (-EOPNOTSUPP: the handler answers 0xD5, "not supported in present state").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hotswap_state {
        HOTSWAP_M0,             /* not installed */
        HOTSWAP_M1,             /* inactive */
        HOTSWAP_M2,             /* activation request */
        HOTSWAP_M3,             /* activation in progress: waiting for power */
        HOTSWAP_M4,             /* active */
        HOTSWAP_M5,             /* deactivation request */
        HOTSWAP_M6,             /* deactivation in progress: payload being shut down */
        HOTSWAP_M7,             /* communication lost */
        _HOTSWAP_STATE_MAX,
};

/* Cause of state change, event data 2 bits 7:4 (PICMG 3.0 table 3-23). */
enum hotswap_cause {
        HOTSWAP_CAUSE_NORMAL                    = 0x0,
        HOTSWAP_CAUSE_SHELF_MANAGER             = 0x1,  /* Set FRU Activation (Policy) */
        HOTSWAP_CAUSE_HANDLE_SWITCH             = 0x2,
        HOTSWAP_CAUSE_PROGRAMMATIC              = 0x3,  /* the FRU asked itself */
        HOTSWAP_CAUSE_COMMUNICATION             = 0x4,  /* lost or regained */
        HOTSWAP_CAUSE_COMMUNICATION_LOCAL       = 0x5,  /* ... locally detected */
        HOTSWAP_CAUSE_SURPRISE                  = 0x6,  /* extraction */
        HOTSWAP_CAUSE_PROVIDED_INFO             = 0x7,
        HOTSWAP_CAUSE_INVALID_HW_ADDRESS        = 0x8,
        HOTSWAP_CAUSE_UNEXPECTED_DEACTIVATION   = 0x9,
        HOTSWAP_CAUSE_UNKNOWN                   = 0xF,
};

enum hotswap_input {
        HOTSWAP_IN_INSERTED,            /* the FRU is (now) present: M0 -> M1 */
        HOTSWAP_IN_EXTRACTED,           /* gone without deactivation: -> M0 */
        HOTSWAP_IN_HANDLE_CLOSED,       /* the handle switch closed (debounced) */
        HOTSWAP_IN_HANDLE_OPENED,
        HOTSWAP_IN_ACTIVATE,            /* Set FRU Activation (activate) */
        HOTSWAP_IN_DEACTIVATE,          /* Set FRU Activation (deactivate) */
        HOTSWAP_IN_POLICY,              /* Set FRU Activation Policy changed the bits */
        HOTSWAP_IN_POWER_GRANTED,       /* Set Power Level > 0 while activating */
        HOTSWAP_IN_POWER_REMOVED,       /* Set Power Level 0 */
        HOTSWAP_IN_PAYLOAD_OFF,         /* deactivation done: payload off, links down */
        HOTSWAP_IN_REQUEST_DEACTIVATION,/* the FRU itself (payload shutdown request) */
        HOTSWAP_IN_COMMUNICATION_LOST,
        HOTSWAP_IN_COMMUNICATION_REGAINED,
        _HOTSWAP_IN_MAX,
};

struct hotswap_machine {
        uint8_t state;                  /* enum hotswap_state */
        uint8_t state_before_m7;        /* where COMMUNICATION_REGAINED goes back to */
        bool handle_closed;             /* the handle's last debounced position */
        uint8_t policy;                 /* PICMG_POLICY_* bits */
        bool power_by_carrier;          /* AMC.0: M3 -> M4 at once, the carrier grants power */
};

struct hotswap_transition {
        uint8_t from, to;               /* enum hotswap_state */
        uint8_t cause;                  /* enum hotswap_cause */
};

/* The most transitions one input makes (deactivate: M5 -> M6; activate: M2 -> M3 -> M4). */
#define HOTSWAP_TRANSITIONS_MAX 3

/* A FRU not yet installed: M0, handle open, policy bits as given. */
void hotswap_init(struct hotswap_machine *m, bool power_by_carrier, uint8_t policy);

/*
 * Feed one input (policy: the new PICMG_POLICY_* bits, for HOTSWAP_IN_POLICY; ignored
 * otherwise). Fills out[] (HOTSWAP_TRANSITIONS_MAX entries) and returns how many transitions
 * were made, 0..HOTSWAP_TRANSITIONS_MAX; -EOPNOTSUPP when the state refuses the input (the
 * machine is unchanged); -EINVAL for an input or policy out of range.
 */
int hotswap_step(struct hotswap_machine *m, enum hotswap_input in, uint8_t policy,
                 struct hotswap_transition out[static HOTSWAP_TRANSITIONS_MAX]);

/*
 * The FRU Hot Swap event's data (PICMG 3.0 table 3-23): event data 1 = 0xA0 | new state (both
 * following bytes OEM), 2 = cause << 4 | previous state, 3 = FRU device ID.
 */
void hotswap_event_data(const struct hotswap_transition *t, uint8_t fru, uint8_t ret[3]);

/* What the blue LED shows in a state (PICMG 3.0 section 3.2.5.1). */
enum hotswap_led_hint {
        HOTSWAP_LED_OFF,                /* M3, M4: in service, do not pull */
        HOTSWAP_LED_ON,                 /* M1: safe to extract */
        HOTSWAP_LED_LONG_BLINK,         /* M2: activation requested */
        HOTSWAP_LED_SHORT_BLINK,        /* M5, M6: deactivating */
        HOTSWAP_LED_UNCHANGED,          /* M0, M7: nothing to say */
};
enum hotswap_led_hint hotswap_led_for_state(uint8_t state);

const char *hotswap_state_name(uint8_t state);
