/* SPDX-License-Identifier: MIT */
/*
 * Every command marked loop_neutral (dispatch.h) leaves the event loop alone: manager-loop.c
 * answers such a request while sd-event is prepared and waits, so a handler that armed a timer
 * would have it armed late, and one that read the loop's time would read a stale one. Each such
 * handler runs here on boards with sensors, FRU devices and the ATCA profile, with every first
 * data byte and the shortest and longest request its table entry allows, while the sd-event calls
 * satmcd makes that change a source or read the loop's time are counted (-Wl,--wrap): none may
 * happen. A command that does change the loop (Set Event Receiver re-arms the sensors' events)
 * shows the counting works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "manager-rig.h"

#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/ipmi.h"

/* ---- the loop's calls, counted ---- */

static unsigned loop_calls;

#define WRAP(ret, name, params, args)                                                           \
        ret __real_##name params;                                                               \
        ret __wrap_##name params;                                                               \
        ret __wrap_##name params {                                                              \
                loop_calls++;                                                                   \
                return __real_##name args;                                                      \
        }

WRAP(int, sd_event_add_io, (sd_event *e, sd_event_source **s, int fd, uint32_t events,
                            sd_event_io_handler_t cb, void *u), (e, s, fd, events, cb, u))
WRAP(int, sd_event_add_time, (sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec,
                              uint64_t accuracy, sd_event_time_handler_t cb, void *u),
     (e, s, clock, usec, accuracy, cb, u))
WRAP(int, sd_event_add_time_relative, (sd_event *e, sd_event_source **s, clockid_t clock,
                                       uint64_t usec, uint64_t accuracy,
                                       sd_event_time_handler_t cb, void *u),
     (e, s, clock, usec, accuracy, cb, u))
WRAP(int, sd_event_add_signal, (sd_event *e, sd_event_source **s, int sig,
                                sd_event_signal_handler_t cb, void *u), (e, s, sig, cb, u))
WRAP(int, sd_event_source_set_time, (sd_event_source *s, uint64_t usec), (s, usec))
WRAP(int, sd_event_source_set_time_relative, (sd_event_source *s, uint64_t usec), (s, usec))
WRAP(int, sd_event_source_set_enabled, (sd_event_source *s, int enabled), (s, enabled))
WRAP(int, sd_event_source_set_io_events, (sd_event_source *s, uint32_t events), (s, events))
WRAP(int, sd_event_source_set_priority, (sd_event_source *s, int64_t priority), (s, priority))
WRAP(sd_event_source *, sd_event_source_disable_unref, (sd_event_source *s), (s))
WRAP(int, sd_event_exit, (sd_event *e, int code), (e, code))
WRAP(int, sd_event_now, (sd_event *e, clockid_t clock, uint64_t *usec), (e, clock, usec))

/* ---- boards ---- */

#define SENSORS_AND_FRUS                                                                        \
        "[sensor.0]\nname = Board Temp\ntype = temperature\nrange = -40..125\n"                  \
        "[sensor.4]\nname = Fan 1\ntype = fan\nrange = 0..20000\n"                               \
        "[sensor.7]\nname = PSU Present\ntype = presence\n"                                     \
        "[fru.0]\nboard-manufacturer = Acme\n"                                                  \
        "[fru.1]\nproduct-name = Widget\n"

#define ATCA                                                                                    \
        "[picmg]\nprofile = atca-ipmc\n"                                                        \
        "[fru.0]\nboard-manufacturer = Acme\n"                                                  \
        "[fru.1]\nboard-manufacturer = Bolt\n"

/* Every request netFn and command, and the neutral ones among them. */
static unsigned count_neutral(void) {
        unsigned n = 0;

        for (unsigned netfn = 0; netfn < 0x40; netfn += 2)
                for (unsigned cmd = 0; cmd < 256; cmd++)
                        n += dispatch_loop_neutral((uint8_t) netfn, (uint8_t) cmd);
        return n;
}

/* Each neutral command with every first byte, at its shortest and longest length, the rest 0
 * or 0xFF: found, not found, out of range and refused paths alike. */
static void run_neutral_commands(struct manager *m) {
        uint8_t data[IPMI_MAX_DATA_LEN];

        for (unsigned netfn = 0; netfn < 0x40; netfn += 2)
                for (unsigned cmd = 0; cmd < 256; cmd++) {
                        const struct ipmi_command *c;

                        if (!dispatch_loop_neutral((uint8_t) netfn, (uint8_t) cmd))
                                continue;
                        c = dispatch_lookup((uint8_t) netfn, (uint8_t) cmd);
                        assert_non_null(c);
                        for (unsigned fill = 0; fill <= 0xFF; fill += 0xFF)
                                for (unsigned first = 0; first < 256; first++) {
                                        memset(data, (int) fill, sizeof(data));
                                        data[0] = (uint8_t) first;
                                        (void) rig_run(m, c->netfn, 0, c->cmd, data, c->min_len,
                                                       IPMI_MAX_DATA_LEN);
                                        (void) rig_run(m, c->netfn, 0, c->cmd, data, c->max_len,
                                                       24);
                                }
                }
}

static void check_board(const char *sections) {
        char dir[RIG_DIR_MAX];
        struct manager *m;

        rig_make_dir(dir, "loop-neutral");
        m = rig_manager_new(dir, sections);
        loop_calls = 0;
        run_neutral_commands(m);
        assert_int_equal(loop_calls, 0);
        rig_free(m, dir);
}

static void test_the_commands_a_bmc_polls_are_neutral(void **state) {
        (void) state;
        assert_true(dispatch_loop_neutral(IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID));
        assert_true(dispatch_loop_neutral(IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_SENSOR_READING));
        assert_true(dispatch_loop_neutral(IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_DEVICE_SDR));
        assert_true(dispatch_loop_neutral(IPMI_NETFN_STORAGE, IPMI_CMD_READ_FRU_DATA));
        /* Changes: never neutral. Unknown: not neutral either (0xC1 goes through the loop). */
        assert_false(dispatch_loop_neutral(IPMI_NETFN_STORAGE, IPMI_CMD_WRITE_FRU_DATA));
        assert_false(dispatch_loop_neutral(IPMI_NETFN_APP, IPMI_CMD_COLD_RESET));
        assert_false(dispatch_loop_neutral(IPMI_NETFN_APP, 0xFF));
        assert_false(dispatch_loop_neutral(IPMI_NETFN_APP | 1, IPMI_CMD_GET_DEVICE_ID));
        assert_in_range(count_neutral(), 4, 16);
}

static void test_neutral_handlers_leave_the_loop_alone_sensors_and_frus(void **state) {
        (void) state;
        check_board(SENSORS_AND_FRUS);
}

static void test_neutral_handlers_leave_the_loop_alone_atca(void **state) {
        (void) state;
        check_board(ATCA);
}

/* The counting itself: a command that does change the loop is seen doing it. */
static void test_a_loop_changing_command_is_counted(void **state) {
        static const uint8_t receiver[] = { 0x20, 0x00 };
        char dir[RIG_DIR_MAX];
        struct manager *m;

        (void) state;
        rig_make_dir(dir, "loop-neutral");
        m = rig_manager_new(dir, SENSORS_AND_FRUS);
        loop_calls = 0;
        (void) rig_run(m, IPMI_NETFN_SENSOR_EVENT, 0, IPMI_CMD_SET_EVENT_RECEIVER, receiver,
                       sizeof(receiver), IPMI_MAX_DATA_LEN);
        assert_int_not_equal(loop_calls, 0);
        rig_free(m, dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_commands_a_bmc_polls_are_neutral),
                cmocka_unit_test(test_neutral_handlers_leave_the_loop_alone_sensors_and_frus),
                cmocka_unit_test(test_neutral_handlers_leave_the_loop_alone_atca),
                cmocka_unit_test(test_a_loop_changing_command_is_counted),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
