/* SPDX-License-Identifier: MIT */
/*
 * The redundant IPMB-0 policy (protocol/ipmb-links.c) driven by any sequence of events: each
 * input byte pair is one step (Set IPMB State's two bytes from the wire, or a try lost, a bus
 * proven to work, a bus gone). Whatever happens: the preferred bus exists, pick() returns a
 * usable bus or -ENETDOWN (and -ENETDOWN only when none is usable), a refused Set IPMB State
 * changes nothing, and the sensor offset and event data stay in range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/ipmb-links.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ipmb_links *l) {
        int bus = ipmb_links_pick(l);

        if (l->preferred >= l->n_buses)
                abort();
        if (bus >= 0 ? !ipmb_links_usable(l, (unsigned) bus) : bus != -ENETDOWN)
                abort();
        if (bus < 0 && (ipmb_links_usable(l, 0) || ipmb_links_usable(l, 1)))
                abort();
        if (ipmb_links_sensor_offset(l) > 3)
                abort();
        if (l->n_buses == 1 && (ipmb_links_sensor_offset(l) & 2))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ipmb_links l;

        if (size == 0)
                return 0;
        if (ipmb_links_init(&l, 1 + (data[0] & 1)) < 0)
                abort();
        for (size_t i = 1; i + 1 < size; i += 2) {
                uint8_t op = data[i], arg = data[i + 1];

                switch (op & 3) {
                case 0: {
                        struct ipmb_links keep = l;
                        /* Set IPMB State with op's upper bits as IPMB-A's byte. */
                        if (ipmb_links_set_state(&l, (uint8_t) (op | 3) == 0xFF ? 0xFF : op >> 2,
                                                 arg) < 0 && memcmp(&l, &keep, sizeof(l)) != 0)
                                abort();
                        break;
                }
                case 1:
                        (void) ipmb_links_lost(&l, arg & 3);
                        break;
                case 2:
                        ipmb_links_ok(&l, arg & 3);
                        break;
                default:
                        if ((arg & 0xF0) == 0xD0)       /* rarely: a bus goes away */
                                ipmb_links_set_down(&l, arg & 1);
                        break;
                }
                check(&l);
        }
        return 0;
}
