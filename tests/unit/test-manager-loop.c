/* SPDX-License-Identifier: MIT */
/*
 * Who watches the bus in manager_loop() (daemon/manager-loop.c). The loop waits on the bus
 * beside sd-event's own fd, so polled requests are answered without sd-event; but while only
 * sd-event has work (an NBD client reading at full speed) that nesting costs a second
 * epoll_wait() per wake-up, so after MANAGER_LOOP_ONLY_WAKEUPS such wake-ups the bus is given
 * back to sd-event until a frame comes.
 *
 * A source that is always ready (an eventfd never read) stands for the NBD client. Its handler
 * drives the test: with no frame on the bus, the bus must pass to sd-event (transport_source
 * enabled) within a few more wake-ups than MANAGER_LOOP_ONLY_WAKEUPS; a Get Device ID then
 * sent is answered by sd-event's transport source and takes the bus back (transport_source
 * off); a second one sent right then is answered without sd-event (transport_dispatches does
 * not move). Every frame is answered in both modes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "manager-bare-config.h"
#include "temp-dir.h"

#include "common/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

/* Busy wake-ups allowed beyond the threshold before a step counts as failed. */
#define SLACK 16

enum step {
        WAIT_FOR_HANDOVER,      /* only the busy source: the bus must go to sd-event */
        WAIT_FOR_TAKEBACK,      /* a frame sent: answered, and the bus taken back */
        WAIT_FOR_FAST_ANSWER,   /* a frame sent on the fast path: answered without sd-event */
        DONE,
};

struct rig {
        struct manager *m;
        int bus;                        /* our end of the transport's socketpair */
        enum step step;
        unsigned busy_runs, runs_in_step;
        uint64_t dispatches_before;
        uint8_t seq;
        const char *failure;
};

static void send_get_device_id(struct rig *r) {
        struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = IPMI_NETFN_APP, .rq_sa = 0x20, .seq = ++r->seq,
                .cmd = IPMI_CMD_GET_DEVICE_ID,
        };

        bare_send_request(r->bus, &req);
}

/* The answer to our last request, if it came: [len][rqSA][netFn][chk1][rsSA][seq]... */
static bool answered(struct rig *r) {
        uint8_t raw[256];
        ssize_t n = recv(r->bus, raw, sizeof(raw), MSG_DONTWAIT);

        return n > 8 && raw[4] == 0x72 && raw[5] >> 2 == r->seq;
}

static bool bus_in_sd_event(struct rig *r) {
        return sd_event_source_get_enabled(r->m->transport_source, NULL) > 0;
}

static void next_step(struct rig *r, enum step s) {
        r->step = s;
        r->runs_in_step = 0;
}

static int on_busy(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct rig *r = userdata;

        r->busy_runs++;
        r->runs_in_step++;
        switch (r->step) {
        case WAIT_FOR_HANDOVER:
                if (bus_in_sd_event(r)) {
                        r->dispatches_before = r->m->transport_dispatches;
                        send_get_device_id(r);
                        next_step(r, WAIT_FOR_TAKEBACK);
                } else if (r->runs_in_step > MANAGER_LOOP_ONLY_WAKEUPS + SLACK)
                        r->failure = "the bus stayed with the loop while only sd-event had work";
                break;
        case WAIT_FOR_TAKEBACK:
                /* Answered by sd-event's source, which then hands the bus back. */
                if (answered(r)) {
                        if (r->m->transport_dispatches == r->dispatches_before)
                                r->failure = "the frame was not answered by sd-event's source";
                        else if (bus_in_sd_event(r))
                                r->failure = "the bus stayed with sd-event after a frame";
                        else {
                                r->dispatches_before = r->m->transport_dispatches;
                                send_get_device_id(r);
                                next_step(r, WAIT_FOR_FAST_ANSWER);
                        }
                } else if (r->runs_in_step > SLACK)
                        r->failure = "the frame sent while sd-event had the bus was not answered";
                break;
        case WAIT_FOR_FAST_ANSWER:
                if (answered(r)) {
                        if (r->m->transport_dispatches != r->dispatches_before)
                                r->failure = "the frame on the fast path went through sd-event";
                        next_step(r, DONE);
                } else if (r->runs_in_step > SLACK)
                        r->failure = "the frame sent on the fast path was not answered";
                break;
        case DONE:
                break;
        }
        if (r->failure || r->step == DONE)
                (void) sd_event_exit(r->m->event, r->failure ? 1 : 0);
        return 0;
}

static void test_bus_handed_over_and_taken_back(void **state) {
        char dir[] = "/tmp/satmc-loop-XXXXXX";
        sd_event_source *busy = NULL;
        struct rig r = {};
        int efd;

        r.m = bare_manager_started(dir, &r.bus);
        efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);   /* readable until read: always */
        assert_true(efd >= 0);
        assert_int_equal(sd_event_add_io(r.m->event, &busy, efd, EPOLLIN, on_busy, &r), 0);

        assert_int_equal(manager_loop(r.m), r.failure ? 1 : 0);
        if (r.failure)
                fail_msg("%s (step %d, %u busy wake-ups)", r.failure, r.step, r.busy_runs);
        assert_int_equal(r.step, DONE);

        sd_event_source_disable_unref(busy);
        close(efd);
        bare_manager_free(r.m, r.bus, dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bus_handed_over_and_taken_back),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
