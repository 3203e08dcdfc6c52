/* SPDX-License-Identifier: MIT */
/*
 * IPMB is served before the loop's other work (bench/mixed-load-p99.py, docs/performance.md
 * "p99 under mixed load"): with an NBD client reading at full speed and ipmitool looping on the
 * local socket, an IPMB frame used to wait behind whatever became ready before it, 50-60 µs
 * on average and over 100 µs for 4-6 % of the frames under that load. The transport source now
 * has a higher priority than every default one, so a frame ready at the same time as other
 * work is answered in the loop's next dispatch.
 *
 * The test makes a default-priority source pending first (a defer source: pending from the
 * moment it exists, so it is the older of the two and would win a tie), then puts a Get Device
 * ID on the bus, and runs one dispatch: the answer must be written and the other source not
 * yet run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static int on_other(sd_event_source *s, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_ipmb_frame_dispatched_before_default_work(void **state) {
        char dir[] = "/tmp/satmc-prio-XXXXXX";
        int bus;
        struct manager *m = bare_manager_started(dir, &bus);
        sd_event_source *other = NULL;
        uint8_t raw[256];
        struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = IPMI_NETFN_APP, .rq_sa = 0x20, .seq = 1,
                .cmd = IPMI_CMD_GET_DEVICE_ID,
        };
        unsigned other_runs = 0;
        ssize_t n;

        /* Let start-up's own pending work (if any) run first: the race is the frame's. */
        while (sd_event_run(m->event, 0) > 0)
                ;
        assert_int_equal(sd_event_add_defer(m->event, &other, on_other, &other_runs), 0);
        bare_send_request(bus, &req);

        assert_int_equal(sd_event_run(m->event, 1000 * 1000), 1);
        n = recv(bus, raw, sizeof(raw), MSG_DONTWAIT);
        assert_true(n > 8);                     /* the answer went out in that dispatch */
        assert_int_equal(raw[4], 0x72);         /* [len][rqSA][netFn][chk1][rsSA]: ours */
        assert_int_equal(other_runs, 0);        /* the older default-priority work waited */

        assert_int_equal(sd_event_run(m->event, 0), 1);
        assert_int_equal(other_runs, 1);        /* and then ran */

        sd_event_source_unref(other);
        bare_manager_free(m, bus, dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipmb_frame_dispatched_before_default_work),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
