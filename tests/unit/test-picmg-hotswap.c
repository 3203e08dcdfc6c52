/* SPDX-License-Identifier: MIT */
/*
 * The PICMG hot-swap state machine (protocol/picmg-hotswap.c) state by state against PICMG 3.0
 * R3.0 figure 3-5 and the causes of table 3-23, including every input a state refuses (the
 * machine is then unchanged); the event data bytes; and the PICMG request parsers
 * (protocol/picmg-request.c) on exact, short, long and hostile bodies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmi.h"
#include "protocol/picmg.h"
#include "protocol/picmg-hotswap.h"
#include "protocol/picmg-request.h"

/* A machine put in state s the way a FRU gets there: inserted with the handle closed. */
static struct hotswap_machine machine_in(uint8_t s, bool amc) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        struct hotswap_machine m;

        hotswap_init(&m, amc, 0);
        if (s == HOTSWAP_M0)
                return m;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_INSERTED, 0, t), 1);      /* M0 -> M1 */
        assert_int_equal(m.state, HOTSWAP_M1);
        if (s == HOTSWAP_M1)
                return m;
        if (s == HOTSWAP_M7) {
                assert_int_equal(hotswap_step(&m, HOTSWAP_IN_COMMUNICATION_LOST, 0, t), 1);
                return m;
        }
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_HANDLE_CLOSED, 0, t), 1);  /* M1 -> M2 */
        assert_int_equal(m.state, HOTSWAP_M2);
        if (s == HOTSWAP_M2)
                return m;
        (void) hotswap_step(&m, HOTSWAP_IN_ACTIVATE, 0, t);
        if (s == HOTSWAP_M3) {
                assert_int_equal(m.state, HOTSWAP_M3);
                return m;
        }
        (void) hotswap_step(&m, HOTSWAP_IN_POWER_GRANTED, 0, t);
        assert_int_equal(m.state, HOTSWAP_M4);
        if (s == HOTSWAP_M4)
                return m;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_HANDLE_OPENED, 0, t), 1);
        assert_int_equal(m.state, HOTSWAP_M5);
        if (s == HOTSWAP_M5)
                return m;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_DEACTIVATE, 0, t), 1);
        assert_int_equal(m.state, HOTSWAP_M6);
        return m;
}

static void expect_one(struct hotswap_machine *m, enum hotswap_input in, uint8_t policy,
                       uint8_t from, uint8_t to, uint8_t cause) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];

        assert_int_equal(m->state, from);
        assert_int_equal(hotswap_step(m, in, policy, t), 1);
        assert_int_equal(t[0].from, from);
        assert_int_equal(t[0].to, to);
        assert_int_equal(t[0].cause, cause);
        assert_int_equal(m->state, to);
}

static void expect_none(struct hotswap_machine *m, enum hotswap_input in) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        struct hotswap_machine before = *m;

        assert_int_equal(hotswap_step(m, in, 0, t), 0);
        assert_int_equal(m->state, before.state);
}

static void expect_refused(struct hotswap_machine *m, enum hotswap_input in) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        struct hotswap_machine before = *m;

        assert_int_equal(hotswap_step(m, in, 0, t), -EOPNOTSUPP);
        assert_memory_equal(m, &before, sizeof(before));
}

static void test_insertion_and_activation(void **state) {
        struct hotswap_machine m;

        (void) state;
        hotswap_init(&m, false, 0);
        expect_one(&m, HOTSWAP_IN_INSERTED, 0, HOTSWAP_M0, HOTSWAP_M1, HOTSWAP_CAUSE_NORMAL);
        expect_one(&m, HOTSWAP_IN_HANDLE_CLOSED, 0, HOTSWAP_M1, HOTSWAP_M2,
                   HOTSWAP_CAUSE_HANDLE_SWITCH);
        expect_one(&m, HOTSWAP_IN_ACTIVATE, 0, HOTSWAP_M2, HOTSWAP_M3,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        expect_one(&m, HOTSWAP_IN_POWER_GRANTED, 0, HOTSWAP_M3, HOTSWAP_M4, HOTSWAP_CAUSE_NORMAL);
        /* Already active: a second activate and power grant change nothing. */
        expect_none(&m, HOTSWAP_IN_ACTIVATE);
        expect_none(&m, HOTSWAP_IN_POWER_GRANTED);
}

/* Inserted with the handle already closed (no handle switch): M0 -> M1 -> M2 in one input. */
static void test_inserted_closed(void **state) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        struct hotswap_machine m;

        (void) state;
        hotswap_init(&m, false, 0);
        m.handle_closed = true;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_INSERTED, 0, t), 2);
        assert_int_equal(t[0].to, HOTSWAP_M1);
        assert_int_equal(t[1].from, HOTSWAP_M1);
        assert_int_equal(t[1].to, HOTSWAP_M2);
        assert_int_equal(t[1].cause, HOTSWAP_CAUSE_NORMAL);
}

/* AMC.0: the carrier grants power, M2 -> M3 -> M4 on one activate. */
static void test_amc_activation(void **state) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        struct hotswap_machine m = machine_in(HOTSWAP_M2, true);

        (void) state;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_ACTIVATE, 0, t), 2);
        assert_int_equal(t[0].to, HOTSWAP_M3);
        assert_int_equal(t[0].cause, HOTSWAP_CAUSE_SHELF_MANAGER);
        assert_int_equal(t[1].from, HOTSWAP_M3);
        assert_int_equal(t[1].to, HOTSWAP_M4);
        assert_int_equal(t[1].cause, HOTSWAP_CAUSE_NORMAL);
}

static void test_deactivation_by_handle(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M4, false);

        (void) state;
        expect_one(&m, HOTSWAP_IN_HANDLE_OPENED, 0, HOTSWAP_M4, HOTSWAP_M5,
                   HOTSWAP_CAUSE_HANDLE_SWITCH);
        expect_one(&m, HOTSWAP_IN_DEACTIVATE, 0, HOTSWAP_M5, HOTSWAP_M6,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        expect_one(&m, HOTSWAP_IN_PAYLOAD_OFF, 0, HOTSWAP_M6, HOTSWAP_M1, HOTSWAP_CAUSE_NORMAL);
        assert_true(m.policy & PICMG_POLICY_LOCKED);
        /* Closing the handle again clears Locked and asks for activation. */
        expect_one(&m, HOTSWAP_IN_HANDLE_CLOSED, 0, HOTSWAP_M1, HOTSWAP_M2,
                   HOTSWAP_CAUSE_HANDLE_SWITCH);
        assert_false(m.policy & PICMG_POLICY_LOCKED);
}

/* The shelf manager refuses a deactivation request: M5 -> M4. */
static void test_deactivation_refused(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M5, false);

        (void) state;
        expect_one(&m, HOTSWAP_IN_ACTIVATE, 0, HOTSWAP_M5, HOTSWAP_M4,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        /* The handle is still open: back in M4 it stays there until it moves again. */
        assert_false(m.handle_closed);
        assert_int_equal(m.state, HOTSWAP_M4);
}

static void test_deactivate_command(void **state) {
        struct hotswap_machine m;

        (void) state;
        m = machine_in(HOTSWAP_M4, false);
        expect_one(&m, HOTSWAP_IN_DEACTIVATE, 0, HOTSWAP_M4, HOTSWAP_M6,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        m = machine_in(HOTSWAP_M3, false);
        expect_one(&m, HOTSWAP_IN_DEACTIVATE, 0, HOTSWAP_M3, HOTSWAP_M6,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        /* M2 -> M1 and locked there, although the handle is closed. */
        m = machine_in(HOTSWAP_M2, false);
        expect_one(&m, HOTSWAP_IN_DEACTIVATE, 0, HOTSWAP_M2, HOTSWAP_M1,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        assert_true(m.policy & PICMG_POLICY_LOCKED);
        expect_none(&m, HOTSWAP_IN_DEACTIVATE);
        /* Clearing Locked is the shelf manager's way back to M2. */
        expect_one(&m, HOTSWAP_IN_POLICY, 0, HOTSWAP_M1, HOTSWAP_M2,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
}

static void test_handle_in_m2_m3(void **state) {
        struct hotswap_machine m;

        (void) state;
        m = machine_in(HOTSWAP_M2, false);
        expect_one(&m, HOTSWAP_IN_HANDLE_OPENED, 0, HOTSWAP_M2, HOTSWAP_M1,
                   HOTSWAP_CAUSE_HANDLE_SWITCH);
        m = machine_in(HOTSWAP_M3, false);
        expect_one(&m, HOTSWAP_IN_HANDLE_OPENED, 0, HOTSWAP_M3, HOTSWAP_M6,
                   HOTSWAP_CAUSE_HANDLE_SWITCH);
        /* The same position twice is no edge. */
        expect_none(&m, HOTSWAP_IN_HANDLE_OPENED);
}

static void test_locked_policy(void **state) {
        struct hotswap_machine m;

        (void) state;
        hotswap_init(&m, false, PICMG_POLICY_LOCKED);
        m.handle_closed = true;
        expect_one(&m, HOTSWAP_IN_INSERTED, 0, HOTSWAP_M0, HOTSWAP_M1, HOTSWAP_CAUSE_NORMAL);
        /* Locked: stays in M1 (keeping the bit) until the shelf manager clears it. */
        assert_int_equal(m.state, HOTSWAP_M1);
        assert_true(m.policy & PICMG_POLICY_LOCKED);
        expect_none(&m, HOTSWAP_IN_INSERTED);
        expect_one(&m, HOTSWAP_IN_POLICY, 0, HOTSWAP_M1, HOTSWAP_M2, HOTSWAP_CAUSE_SHELF_MANAGER);
}

static void test_deactivation_locked(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M4, false);
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];

        (void) state;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_POLICY, PICMG_POLICY_DEACTIVATION_LOCKED, t),
                         0);
        expect_none(&m, HOTSWAP_IN_HANDLE_OPENED);
        assert_int_equal(m.state, HOTSWAP_M4);
        /* Unlocked while the handle is open: the request follows now. */
        expect_one(&m, HOTSWAP_IN_POLICY, 0, HOTSWAP_M4, HOTSWAP_M5,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
}

static void test_policy_reserved_bits(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M1, false), before = m;
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];

        (void) state;
        assert_int_equal(hotswap_step(&m, HOTSWAP_IN_POLICY, 0x04, t), -EINVAL);
        assert_memory_equal(&m, &before, sizeof(m));
        assert_int_equal(hotswap_step(&m, _HOTSWAP_IN_MAX, 0, t), -EINVAL);
        assert_int_equal(hotswap_step(&m, (enum hotswap_input) 200, 0, t), -EINVAL);
        assert_memory_equal(&m, &before, sizeof(m));
}

/* Every state against Set FRU Activation: which refuse, and that a refusal changes nothing. */
static void test_activation_refusals(void **state) {
        static const struct {
                uint8_t s;
                bool activate_ok, deactivate_ok;
        } rows[] = {
                { HOTSWAP_M0, false, false },
                { HOTSWAP_M1, false, true },
                { HOTSWAP_M2, true, true },
                { HOTSWAP_M3, true, true },
                { HOTSWAP_M4, true, true },
                { HOTSWAP_M5, true, true },
                { HOTSWAP_M6, false, true },
                { HOTSWAP_M7, false, false },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct hotswap_machine m = machine_in(rows[i].s, false);
                struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];

                if (rows[i].activate_ok)
                        assert_true(hotswap_step(&m, HOTSWAP_IN_ACTIVATE, 0, t) >= 0);
                else
                        expect_refused(&m, HOTSWAP_IN_ACTIVATE);
                m = machine_in(rows[i].s, false);
                if (rows[i].deactivate_ok)
                        assert_true(hotswap_step(&m, HOTSWAP_IN_DEACTIVATE, 0, t) >= 0);
                else
                        expect_refused(&m, HOTSWAP_IN_DEACTIVATE);
        }
}

static void test_request_deactivation(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M4, false);

        (void) state;
        expect_one(&m, HOTSWAP_IN_REQUEST_DEACTIVATION, 0, HOTSWAP_M4, HOTSWAP_M5,
                   HOTSWAP_CAUSE_PROGRAMMATIC);
        expect_none(&m, HOTSWAP_IN_REQUEST_DEACTIVATION);
        m = machine_in(HOTSWAP_M2, false);
        expect_refused(&m, HOTSWAP_IN_REQUEST_DEACTIVATION);
}

static void test_power_removed(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M4, false);

        (void) state;
        expect_one(&m, HOTSWAP_IN_POWER_REMOVED, 0, HOTSWAP_M4, HOTSWAP_M6,
                   HOTSWAP_CAUSE_SHELF_MANAGER);
        m = machine_in(HOTSWAP_M3, false);
        expect_none(&m, HOTSWAP_IN_POWER_REMOVED);
        expect_none(&m, HOTSWAP_IN_PAYLOAD_OFF);
}

static void test_communication(void **state) {
        struct hotswap_machine m = machine_in(HOTSWAP_M4, false);

        (void) state;
        expect_one(&m, HOTSWAP_IN_COMMUNICATION_LOST, 0, HOTSWAP_M4, HOTSWAP_M7,
                   HOTSWAP_CAUSE_COMMUNICATION_LOCAL);
        expect_none(&m, HOTSWAP_IN_COMMUNICATION_LOST);
        expect_refused(&m, HOTSWAP_IN_ACTIVATE);
        expect_one(&m, HOTSWAP_IN_COMMUNICATION_REGAINED, 0, HOTSWAP_M7, HOTSWAP_M4,
                   HOTSWAP_CAUSE_COMMUNICATION_LOCAL);
        expect_none(&m, HOTSWAP_IN_COMMUNICATION_REGAINED);
}

static void test_extraction(void **state) {
        struct hotswap_machine m;

        (void) state;
        m = machine_in(HOTSWAP_M4, false);
        expect_one(&m, HOTSWAP_IN_EXTRACTED, 0, HOTSWAP_M4, HOTSWAP_M0, HOTSWAP_CAUSE_SURPRISE);
        expect_none(&m, HOTSWAP_IN_EXTRACTED);
        m = machine_in(HOTSWAP_M1, false);
        expect_one(&m, HOTSWAP_IN_EXTRACTED, 0, HOTSWAP_M1, HOTSWAP_M0, HOTSWAP_CAUSE_NORMAL);
        /* In M0 nothing but insertion moves it. */
        expect_none(&m, HOTSWAP_IN_HANDLE_CLOSED);
        assert_int_equal(m.state, HOTSWAP_M0);
}

static void test_event_data(void **state) {
        const struct hotswap_transition t = {
                .from = HOTSWAP_M3, .to = HOTSWAP_M4, .cause = HOTSWAP_CAUSE_NORMAL,
        };
        const struct hotswap_transition u = {
                .from = HOTSWAP_M4, .to = HOTSWAP_M5, .cause = HOTSWAP_CAUSE_HANDLE_SWITCH,
        };
        uint8_t d[3];

        (void) state;
        hotswap_event_data(&t, 0, d);
        assert_memory_equal(d, ((uint8_t[]) { 0xA4, 0x03, 0x00 }), 3);
        hotswap_event_data(&u, 2, d);
        assert_memory_equal(d, ((uint8_t[]) { 0xA5, 0x24, 0x02 }), 3);
}

static void test_led_hints(void **state) {
        (void) state;
        assert_int_equal(hotswap_led_for_state(HOTSWAP_M1), HOTSWAP_LED_ON);
        assert_int_equal(hotswap_led_for_state(HOTSWAP_M2), HOTSWAP_LED_LONG_BLINK);
        assert_int_equal(hotswap_led_for_state(HOTSWAP_M4), HOTSWAP_LED_OFF);
        assert_int_equal(hotswap_led_for_state(HOTSWAP_M6), HOTSWAP_LED_SHORT_BLINK);
        assert_int_equal(hotswap_led_for_state(HOTSWAP_M7), HOTSWAP_LED_UNCHANGED);
        assert_string_equal(hotswap_state_name(9), "invalid");
}

static void test_request_parsers(void **state) {
        struct picmg_address_query q = { .fru = 0x55 };
        uint8_t fru = 0x55, opt = 0x55, mask = 0x55, bits = 0x55;
        bool act = false;

        (void) state;
        assert_int_equal(picmg_request_identifier((const uint8_t[]) { 0x00 }, 1), 0);
        assert_int_equal(picmg_request_identifier((const uint8_t[]) { 0x01 }, 1),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(picmg_request_identifier(NULL, 0), IPMI_CC_REQ_DATA_LEN_INVALID);

        assert_int_equal(picmg_request_fru((const uint8_t[]) { 0, 3 }, 2, &fru), 0);
        assert_int_equal(fru, 3);
        assert_int_equal(picmg_request_fru((const uint8_t[]) { 0, 3, 4 }, 3, &fru),
                         IPMI_CC_REQ_DATA_LEN_INVALID);

        /* Get Address Info: every length 1..5 the layout allows, and those it does not. */
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0 }, 1, &q), 0);
        assert_int_equal(q.fru, 0);
        assert_int_equal(q.key_type, PICMG_ADDRESS_KEY_NONE);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 2 }, 2, &q), 0);
        assert_int_equal(q.fru, 2);
        q.fru = 0x55;
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 0 }, 3, &q),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(q.fru, 0x55);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 1, 0x82 }, 4, &q), 0);
        assert_int_equal(q.key_type, PICMG_ADDRESS_KEY_IPMB0);
        assert_int_equal(q.key, 0x82);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 3, 5 }, 4, &q),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 3, 5, 0 }, 5, &q), 0);
        assert_int_equal(q.site_type, 0);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 2, 5 }, 4, &q),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 1, 5, 0 }, 5, &q),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 0, 0, 3, 5, 0, 0 }, 6, &q),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(picmg_request_address_info((const uint8_t[]) { 7 }, 1, &q),
                         IPMI_CC_INVALID_DATA_FIELD);

        assert_int_equal(picmg_request_fru_control((const uint8_t[]) { 0, 1, 2 }, 3, &fru, &opt), 0);
        assert_int_equal(fru, 1);
        assert_int_equal(opt, PICMG_FRU_CONTROL_GRACEFUL_REBOOT);
        fru = opt = 0x55;
        assert_int_equal(picmg_request_fru_control((const uint8_t[]) { 0, 1, 5 }, 3, &fru, &opt),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(picmg_request_fru_control((const uint8_t[]) { 1, 1, 0 }, 3, &fru, &opt),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(fru, 0x55);
        assert_int_equal(opt, 0x55);

        assert_int_equal(picmg_request_activation_policy((const uint8_t[]) { 0, 0, 3, 1 }, 4, &fru,
                                                         &mask, &bits), 0);
        assert_int_equal(mask, 3);
        assert_int_equal(bits, 1);
        assert_int_equal(picmg_request_activation_policy((const uint8_t[]) { 0, 0, 4, 0 }, 4, &fru,
                                                         &mask, &bits), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(picmg_request_activation_policy((const uint8_t[]) { 0, 0, 1, 0x81 }, 4,
                                                         &fru, &mask, &bits),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(picmg_request_activation_policy((const uint8_t[]) { 0, 0, 1 }, 3, &fru,
                                                         &mask, &bits), IPMI_CC_REQ_DATA_LEN_INVALID);

        assert_int_equal(picmg_request_activation((const uint8_t[]) { 0, 0, 1 }, 3, &fru, &act), 0);
        assert_true(act);
        assert_int_equal(picmg_request_activation((const uint8_t[]) { 0, 0, 0 }, 3, &fru, &act), 0);
        assert_false(act);
        assert_int_equal(picmg_request_activation((const uint8_t[]) { 0, 0, 2 }, 3, &fru, &act),
                         IPMI_CC_INVALID_DATA_FIELD);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_insertion_and_activation),
                cmocka_unit_test(test_inserted_closed),
                cmocka_unit_test(test_amc_activation),
                cmocka_unit_test(test_deactivation_by_handle),
                cmocka_unit_test(test_deactivation_refused),
                cmocka_unit_test(test_deactivate_command),
                cmocka_unit_test(test_handle_in_m2_m3),
                cmocka_unit_test(test_locked_policy),
                cmocka_unit_test(test_deactivation_locked),
                cmocka_unit_test(test_policy_reserved_bits),
                cmocka_unit_test(test_activation_refusals),
                cmocka_unit_test(test_request_deactivation),
                cmocka_unit_test(test_power_removed),
                cmocka_unit_test(test_communication),
                cmocka_unit_test(test_extraction),
                cmocka_unit_test(test_event_data),
                cmocka_unit_test(test_led_hints),
                cmocka_unit_test(test_request_parsers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
