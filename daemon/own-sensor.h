/* SPDX-License-Identifier: MIT */
/*
 * Sensors satmcd makes itself rather than from a [sensor.N] section: the FRU Hot Swap sensor
 * (type F0h) of each managed PICMG FRU (picmg.c) and the IPMB-0 link sensor (type F1h) of a
 * redundant IPMB-0 (manager-ipmb-b.c). Their SDRs announce event control for the entire
 * sensor (capabilities 01b, IPMI v2.0 table 43-1): Set Sensor Event Enable's event-messages
 * and scanning bits act on them, as on every other satmcd sensor; its per-state masks do not
 * (ignored, as enables for states a [sensor.N] cannot generate are), and Get Sensor Event
 * Enable reports the SDR's assertion mask. handlers-sensor-own.c answers the sensor commands
 * for them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* What Set Sensor Event Enable changes: both on at start (the SDRs' init flags). */
struct own_sensor_enables {
        bool events;                    /* Platform Event Messages for the sensor */
        bool scanning;                  /* off: the reading is "unavailable", no events */
};

#define OWN_SENSOR_ENABLES_INIT { .events = true, .scanning = true }

/* One own sensor as the sensor commands see it. */
struct own_sensor {
        struct own_sensor_enables *enables;
        uint16_t state;                 /* the asserted state offsets now, bit n = offset n */
        uint16_t assertions;            /* the SDR's assertion event mask */
};

static inline bool own_sensor_reports(const struct own_sensor_enables *e) {
        return e->events && e->scanning;
}
