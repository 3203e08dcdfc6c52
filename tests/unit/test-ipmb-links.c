/* SPDX-License-Identifier: MIT */
/* protocol/ipmb-links.c: which bus our requests use, failover, Set IPMB State, the IPMB-0
 * sensor's state and event data, state by state, with hostile Set IPMB State bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmb-links.h"

static struct ipmb_links two(void) {
        struct ipmb_links l;

        assert_int_equal(ipmb_links_init(&l, 2), 0);
        return l;
}

static void test_init(void **state) {
        struct ipmb_links l, keep;

        (void) state;
        memset(&keep, 0x5a, sizeof(keep));
        l = keep;
        assert_int_equal(ipmb_links_init(&l, 0), -EINVAL);
        assert_int_equal(ipmb_links_init(&l, 3), -EINVAL);
        assert_memory_equal(&l, &keep, sizeof(l));      /* untouched on error */
        l = two();
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_A);
        assert_int_equal(ipmb_links_sensor_offset(&l), 3);     /* both enabled */
        assert_int_equal(ipmb_links_event_data3(&l), 0x88);    /* local control, no failure */
}

/* A lost try on the preferred bus moves the next one to the other bus; the preference
 * sticks when the first bus works again. */
static void test_failover(void **state) {
        struct ipmb_links l = two();

        (void) state;
        assert_true(ipmb_links_lost(&l, IPMB_BUS_A));
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
        assert_int_equal(ipmb_links_sensor_offset(&l), 2);     /* A disabled (failing) */
        assert_int_equal(ipmb_links_event_data3(&l), 0x8F);    /* A: local control, failure 7 */
        ipmb_links_ok(&l, IPMB_BUS_A);
        assert_int_equal(ipmb_links_sensor_offset(&l), 3);
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);     /* sticky */
        /* A loss on the bus that is not preferred moves nothing. */
        assert_false(ipmb_links_lost(&l, IPMB_BUS_A));
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
        /* Both failing: tries alternate, either may come back first. */
        assert_true(ipmb_links_lost(&l, IPMB_BUS_B));
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_A);
        assert_true(ipmb_links_lost(&l, IPMB_BUS_A));
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
        assert_int_equal(ipmb_links_sensor_offset(&l), 0);
        assert_int_equal(ipmb_links_event_data3(&l), 0xFF);
        /* Out of range: nothing happens. */
        assert_false(ipmb_links_lost(&l, 2));
        ipmb_links_ok(&l, 7);
        ipmb_links_set_down(&l, 9);
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
}

static void test_one_bus(void **state) {
        struct ipmb_links l;

        (void) state;
        assert_int_equal(ipmb_links_init(&l, 1), 0);
        assert_false(ipmb_links_lost(&l, IPMB_BUS_A));         /* nowhere to go */
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_A);     /* failing is still usable */
        assert_false(ipmb_links_usable(&l, IPMB_BUS_B));
        assert_int_equal(ipmb_links_set_state(&l, 0xFF, 0x01), -ENODEV);
        assert_int_equal(ipmb_links_set_state(&l, 0x01, 0xFF), 0);
        ipmb_links_set_down(&l, IPMB_BUS_A);
        assert_int_equal(ipmb_links_pick(&l), -ENETDOWN);
}

static void test_down(void **state) {
        struct ipmb_links l = two();

        (void) state;
        ipmb_links_set_down(&l, IPMB_BUS_A);
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
        assert_int_equal(ipmb_links_sensor_offset(&l), 2);
        /* A down bus stays down: a late "ok" does not make it usable. */
        ipmb_links_ok(&l, IPMB_BUS_A);
        assert_false(ipmb_links_usable(&l, IPMB_BUS_A));
        assert_int_equal(ipmb_links_sensor_offset(&l), 2);
        ipmb_links_set_down(&l, IPMB_BUS_B);
        assert_int_equal(ipmb_links_pick(&l), -ENETDOWN);
        assert_int_equal(ipmb_links_sensor_offset(&l), 0);
}

static void test_set_state(void **state) {
        struct ipmb_links l = two();

        (void) state;
        /* Isolate A: override state, traffic on B, the sensor says A disabled. */
        assert_int_equal(ipmb_links_set_state(&l, 0x00, 0xFF), 0);
        assert_true(l.isolated[IPMB_BUS_A]);
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_B);
        assert_int_equal(ipmb_links_sensor_offset(&l), 2);
        assert_int_equal(ipmb_links_event_data3(&l), 0x80);    /* A override, no failure */
        /* Isolate B too: nothing to send on. */
        assert_int_equal(ipmb_links_set_state(&l, 0xFF, 0x00), 0);
        assert_int_equal(ipmb_links_pick(&l), -ENETDOWN);
        assert_int_equal(ipmb_links_sensor_offset(&l), 0);
        assert_int_equal(ipmb_links_event_data3(&l), 0x00);
        /* Enable A again: the preferred bus (B) is isolated, so A carries the traffic. */
        assert_int_equal(ipmb_links_set_state(&l, 0x01, 0xFF), 0);
        assert_int_equal(ipmb_links_pick(&l), IPMB_BUS_A);
        assert_int_equal(l.preferred, IPMB_BUS_A);
        assert_int_equal(ipmb_links_sensor_offset(&l), 1);
        /* Both enabled in one request. */
        assert_int_equal(ipmb_links_set_state(&l, 0x01, 0x01), 0);
        assert_int_equal(ipmb_links_sensor_offset(&l), 3);
        assert_int_equal(ipmb_links_set_state(&l, 0xFF, 0xFF), 0);
        assert_int_equal(ipmb_links_sensor_offset(&l), 3);
}

/* A link ID other than 0 (radial IPMB-0 is the shelf manager's) refuses the whole request:
 * the other byte, valid or not, is not applied either. */
static void test_set_state_hostile(void **state) {
        static const uint8_t bad[] = { 0x02, 0x03, 0x80, 0xFE, 0x7F, 0x10 };

        (void) state;
        for (size_t i = 0; i < sizeof(bad); i++) {
                struct ipmb_links l = two(), keep = l;

                assert_int_equal(ipmb_links_set_state(&l, 0x00, bad[i]), -ERANGE);
                assert_memory_equal(&l, &keep, sizeof(l));
                assert_int_equal(ipmb_links_set_state(&l, bad[i], 0x00), -ERANGE);
                assert_memory_equal(&l, &keep, sizeof(l));
        }
        /* Every byte pair: refused with l unchanged, or applied with the invariants. */
        for (unsigned a = 0; a < 256; a++)
                for (unsigned b = 0; b < 256; b++) {
                        struct ipmb_links l = two(), keep = l;
                        int r = ipmb_links_set_state(&l, (uint8_t) a, (uint8_t) b);
                        bool ok_a = a == 0xFF || a >> 1 == 0, ok_b = b == 0xFF || b >> 1 == 0;

                        assert_int_equal(r, ok_a && ok_b ? 0 : -ERANGE);
                        if (r < 0)
                                assert_memory_equal(&l, &keep, sizeof(l));
                        assert_true(l.preferred < 2);
                        assert_true(ipmb_links_sensor_offset(&l) < 4);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_init),
                cmocka_unit_test(test_failover),
                cmocka_unit_test(test_one_bus),
                cmocka_unit_test(test_down),
                cmocka_unit_test(test_set_state),
                cmocka_unit_test(test_set_state_hostile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
