/* SPDX-License-Identifier: MIT */
/*
 * satmcd's main loop: sd-event's, with IPMB bus A waited on beside it.
 *
 * One sd_event_run() iteration costs about 1,150 user-space instructions (callgrind, one request
 * in flight: sd_event_wait() 755, sd_event_prepare() 300), twice what answering Get Device ID
 * does (docs/performance.md, issue 15 item 1). A BMC polls Get Device ID, sensor readings, SDRs
 * and FRU data all day, and none of them changes an event source. So sd-event is prepared,
 * its epoll fd is waited on in an epoll of ours beside the bus, and such a request is answered
 * straight from that wait. sd-event runs again (wait, dispatch, prepare) when one of its own
 * sources is ready, or when a frame comes that may change one: a timer set now would only be
 * armed by the next sd_event_prepare(), and the loop's time (sd_event_now()) is that of its
 * last wake-up. That frame is held, and handled right after sd_event_wait() has brought the
 * loop's time up to date: exactly as the I/O source would have handled it. The bus keeps its
 * place first in line: while sd-event works through sources that were ready together, one a
 * dispatch, a frame that came meanwhile is taken before the next one, as the I/O source's
 * priority (SD_EVENT_PRIORITY_IMPORTANT) had it.
 *
 * Answered beside the loop: requests whose command is marked loop_neutral (dispatch.h; held to
 * it by test-dispatch-loop-neutral), on a board with one IPMB, no OEM commands and the event
 * receiver reachable (a request from it then restarts the events' round, event-sender.h).
 * Everything else, and every board with IPMB-B, goes through sd-event as before.
 *
 * Nesting has a price when the bus is quiet and sd-event is busy (an NBD client reading at full
 * speed): every wake-up is two epoll_wait() calls, ours and sd_event_wait()'s, where sd-event
 * alone makes one, a third more system calls per NBD read. So after MANAGER_LOOP_ONLY_WAKEUPS
 * wake-ups in a row that were sd-event's alone, the bus goes back to sd-event (its I/O source,
 * first in line at SD_EVENT_PRIORITY_IMPORTANT) and sd_event_run() blocks by itself; the first
 * frame it dispatches brings the bus back here.
 */
#include <errno.h>
#include <sys/epoll.h>

#include "clock.h"
#include "dispatch.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmb-frame.h"

/* What epoll found ready, as bits: one test per wake-up. */
enum {
        WAKE_BUS = 1 << 0,
        WAKE_LOOP = 1 << 1,
};

/* A transport_recv_view() result that sd-event has to see first. */
struct held {
        int r;                          /* 0: none */
        const uint8_t *frame;           /* r > 0: the frame, in the transport's buffer */
};

static bool fast_path_usable(const struct manager *m) {
        return m->links.n_buses == 1 && m->transport_source && transport_fd(m->transport) >= 0;
}

/* A request that can be answered without sd-event: see the top of this file. Any frame whose
 * netFn and command name such a request qualifies, also one with a bad checksum: rejecting it
 * only counts it. */
static bool frame_is_loop_neutral(const struct manager *m, const uint8_t *f, size_t len) {
        if (m->oem || m->receiver_unreachable)
                return false;
        if (len < IPMB_REQUEST_MIN_LEN || f[0] == IPMB_BROADCAST_ADDR)
                return false;
        return dispatch_loop_neutral((uint8_t) (f[IPMB_OFF_NETFN_LUN] >> 2), f[IPMB_OFF_CMD]);
}

/* Answer what bus A has queued while it is loop-neutral. false when a frame or failure that
 * sd-event must see first stopped it: then it is in *held. */
static bool answer_queued(struct manager *m, uint8_t *scratch, struct held *held) {
        uint64_t now = monotonic_usec();

        for (unsigned k = 0; k < MANAGER_RECV_BURST; k++) {
                const uint8_t *frame;
                int r = transport_recv_view(m->transport, scratch, &frame);

                if (r == -EAGAIN || r == -EINTR)
                        break;
                if (r <= 0 || !frame_is_loop_neutral(m, frame, (size_t) r)) {
                        *held = (struct held) { .r = r, .frame = frame };
                        return false;
                }
                manager_handle_bus_frame(m, IPMB_BUS_A, frame, (size_t) r, now);
        }
        return true;
}

/*
 * Answer bus A's loop-neutral requests as they come until sd-event has work: one of its sources
 * is ready (*held empty) or a frame or failure came that it must see first (*held set). With
 * wait false, only what is ready now. Returns WAKE_* bits of what was ready on the way (WAKE_BUS:
 * the bus had something), or -errno if the wait itself fails.
 */
static int serve_bus(struct manager *m, int epfd, bool wait, uint8_t *scratch,
                     struct held *held) {
        int seen = 0;

        for (;;) {
                struct epoll_event ev[2];
                uint32_t ready = 0;
                int n;

                n = epoll_wait(epfd, ev, (int) ELEMENTSOF(ev), wait ? -1 : 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n; i++)
                        ready |= ev[i].data.u32;
                seen |= (int) ready;
                /* The bus first, as its I/O source ran first (SD_EVENT_PRIORITY_IMPORTANT). */
                if ((ready & WAKE_BUS) && !answer_queued(m, scratch, held))
                        return seen;
                if ((ready & WAKE_LOOP) || !wait)
                        return seen;
        }
}

/* Hand the bus to sd-event (on) or take it back (off): its I/O source enabled or not. */
static int bus_to_sd_event(struct manager *m, bool on) {
        int r = sd_event_source_set_enabled(m->transport_source, on ? SD_EVENT_ON : SD_EVENT_OFF);

        if (r < 0)
                return log_error_errno(r, "Failed to %s the bus %s the event loop: %m",
                                       on ? "give" : "take", on ? "to" : "from");
        return 0;
}

/* sd-event alone, the bus among its sources, until one frame has been handled. */
static int run_with_bus_in_sd_event(struct manager *m) {
        uint64_t before = m->transport_dispatches;
        int r;

        while (sd_event_get_state(m->event) != SD_EVENT_FINISHED &&
               m->transport_dispatches == before) {
                r = sd_event_run(m->event, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int watch(int epfd, int fd, uint32_t tag) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* sd_event_run() taken apart (prepare, wait, dispatch) with the bus served while it waits. */
static int loop_with_bus(struct manager *m) {
        _cleanup_close_ int epfd = -EBADF;
        uint8_t scratch[TRANSPORT_FRAME_MAX];
        sd_event *e = m->event;
        unsigned loop_only = 0;         /* blocking waits in a row that sd-event's fd ended */
        int r, code;

        epfd = epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0)
                return log_error_errno(-errno, "Failed to create the main loop's epoll: %m");
        r = watch(epfd, transport_fd(m->transport), WAKE_BUS);
        if (r >= 0)
                r = watch(epfd, sd_event_get_fd(e), WAKE_LOOP);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus and the event loop: %m");
        /* The bus is ours now; sd-event must not also read it. */
        r = bus_to_sd_event(m, false);
        if (r < 0)
                return r;

        while (sd_event_get_state(e) != SD_EVENT_FINISHED) {
                struct held held = {};
                int k;

                if (loop_only >= MANAGER_LOOP_ONLY_WAKEUPS) {
                        r = bus_to_sd_event(m, true);
                        if (r >= 0)
                                r = run_with_bus_in_sd_event(m);
                        if (r >= 0)
                                r = bus_to_sd_event(m, false);
                        if (r < 0)
                                return r;
                        loop_only = 0;
                        continue;
                }

                r = sd_event_prepare(e);
                if (r < 0)
                        return r;
                if (r == 0) {
                        k = serve_bus(m, epfd, true, scratch, &held);
                        if (k >= 0)
                                r = sd_event_wait(e, 0);
                        loop_only = k == WAKE_LOOP ? loop_only + 1 : 0;
                } else
                        /* sd-event has more work queued from its last wait, dispatched one
                         * source an iteration: a frame that came meanwhile still goes first,
                         * as the bus's I/O source went before the others. */
                        k = serve_bus(m, epfd, false, scratch, &held);
                if (k < 0)
                        return log_error_errno(k, "Failed to wait for work: %m");
                if (held.r != 0)
                        (void) manager_take_received(m, IPMB_BUS_A, held.r, held.frame,
                                                     loop_now_usec(e));
                if (r > 0)
                        r = sd_event_dispatch(e);
                if (r < 0)
                        return r;
        }
        r = sd_event_get_exit_code(e, &code);
        return r < 0 ? r : code;
}

int manager_loop(struct manager *m) {
        if (!fast_path_usable(m))
                return sd_event_loop(m->event);
        return loop_with_bus(m);
}
