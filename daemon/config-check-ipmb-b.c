/* SPDX-License-Identifier: MIT */
/*
 * [transport] IPMB-B (a redundant IPMB-0): the second bus (of the type `type` chooses, like
 * the first) is not the first one, and the IPMB-0 link sensor's number is free on LUN 0. After
 * config_check_sensor_sdr(), which resolved the sensors' auto numbers.
 */
#include <string.h>

#include "config.h"
#include "config-check.h"

static unsigned line_of(const struct load_state *s, const char *name) {
        size_t i;

        return config_find_key("transport", name, &i) ? s->seen_line[i] : 0;
}

void config_check_ipmb_b(struct load_state *s) {
        const struct satmc_config *c = s->config;
        bool chardev = c->transport == TRANSPORT_KIND_CHARDEV;
        const char *mine = chardev ? "device-b" : "bus-socket-b";
        const char *a = chardev ? c->device : c->bus_socket;
        const char *b = config_ipmb_b_path(c);
        unsigned line;

        if (!b)
                return;
        if (a && strcmp(a, b) == 0)
                config_report(s, line_of(s, mine), "%s %s is IPMB-A's own bus: IPMB-B must be "
                              "the other one", mine, b);
        line = line_of(s, "link-sensor-number") ?: line_of(s, mine);
        for (unsigned i = 0; i < c->sensor_end; i++) {
                const struct sensor_config *sc = &c->sensor[i];

                if (sc->present && sc->lun == 0 && sc->number == c->link_sensor_number)
                        config_report(s, line, "link-sensor-number %u is [sensor.%u]'s number on "
                                      "LUN 0: the IPMB-0 link sensor needs a number of its own",
                                      c->link_sensor_number, i);
        }
}
