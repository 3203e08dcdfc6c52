/* SPDX-License-Identifier: MIT */
/*
 * Redundant IPMB-0 (PICMG 3.0, "IPMB-0"): the two buses of an ATCA shelf, IPMB-A and
 * IPMB-B, as one controller sees them. Pure state: which bus satmcd's own requests (Platform
 * Event Messages) go out on, when they fail over to the other bus, and what the IPMB-0 link
 * sensor (sensor type F1h) reports. No I/O, no clock, no logging.
 *
 * The policy, and why:
 *  - Requests addressed to us may arrive on either bus and are answered on the bus they came
 *    on (the Manager does that; nothing here): the requester is evidently listening there.
 *  - Our own requests go out on the preferred bus. A try that is NAKed or goes unanswered marks
 *    that bus failing and, when the other bus is usable, makes the other one preferred: the
 *    next try (same sequence number, same bytes) goes there. The receiver's replay cache turns
 *    a duplicate that did arrive on both buses into one event.
 *  - The preference is sticky: a bus that works again does not take the traffic back (no
 *    flapping between a good bus and a marginal one); it only becomes the fallback again.
 *  - A bus is usable unless the shelf manager isolated it (Set IPMB State, "override state")
 *    or its transport went away (down). A failing bus is still usable: when both fail, tries
 *    alternate between them, since either may come back first.
 *  - Any frame received on a bus, or sent on it with an ACK, proves it works: failing is
 *    cleared.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPMB_LINKS_MAX 2

enum ipmb_bus {
        IPMB_BUS_A = 0,
        IPMB_BUS_B = 1,
};

/* PICMG 3.0 "Set IPMB State" (netFn 2Ch cmd 09h): one request byte per bus. */
#define IPMB_STATE_NO_CHANGE    0xFF    /* leave this bus as it is */
#define IPMB_STATE_ENABLE_BIT   0x01    /* bit 0: 1 = enable (local control), 0 = isolate */

/* IPMB-0 sensor (sensor type F1h, event/reading type 6Fh): local status, event data 3 (PICMG
 * 3.0 "IPMB-0 sensor event message"; the values as Wireshark's IPMI dissector decodes them). */
enum ipmb_link_status {
        IPMB_LINK_NO_FAILURE    = 0,
        IPMB_LINK_UNDIAGNOSED   = 7,    /* undiagnosed communications failure */
};

#define IPMB_LINK_SENSOR_TYPE   0xF1

struct ipmb_links {
        unsigned n_buses;               /* 1 or 2 */
        bool isolated[IPMB_LINKS_MAX];  /* disabled by Set IPMB State: override state */
        bool down[IPMB_LINKS_MAX];      /* its transport went away */
        bool failing[IPMB_LINKS_MAX];   /* the last try sent on it was NAKed or unanswered */
        uint8_t preferred;              /* where our next request goes */
};

/* n_buses 1 or 2 (else -EINVAL, *l untouched): both enabled, IPMB-A preferred. */
int ipmb_links_init(struct ipmb_links *l, unsigned n_buses);

/* Neither isolated nor down. */
bool ipmb_links_usable(const struct ipmb_links *l, unsigned bus);

/* The bus for our next request: the preferred one if usable, else the other if usable, else
 * -ENETDOWN. */
int ipmb_links_pick(const struct ipmb_links *l);

/*
 * A try on bus was NAKed or went unanswered: bus is failing, and if it was the preferred one
 * and the other is usable, the other becomes preferred. Returns true if the preference moved
 * (a failover, for the counters); false otherwise (also for a bus number out of range).
 */
bool ipmb_links_lost(struct ipmb_links *l, unsigned bus);

/* A frame came in on bus, or one we sent was ACKed there: it works. */
void ipmb_links_ok(struct ipmb_links *l, unsigned bus);

/* The transport of bus went away for good. A preferred bus hands over to the other. */
void ipmb_links_set_down(struct ipmb_links *l, unsigned bus);

/*
 * Set IPMB State's two bytes (IPMB-A, IPMB-B): 0xFF leaves a bus alone; otherwise bits 7:1
 * are the link ID, which must be 0 on a bused IPMB-0 (radial links belong to the shelf
 * manager), and bit 0 enables (1) or isolates (0) the bus. Both bytes are checked before
 * either is applied: -ERANGE for a link ID other than 0, -ENODEV for a change to IPMB-B when
 * there is one bus; *l is unchanged then. Isolating the preferred bus hands over to the other.
 */
int ipmb_links_set_state(struct ipmb_links *l, uint8_t a, uint8_t b);

/* The IPMB-0 sensor's state offset (PICMG 3.0 "IPMB-0 sensor" offsets): bit 0 = IPMB-A
 * enabled, bit 1 = IPMB-B enabled; a bus is enabled when usable and not failing. */
uint8_t ipmb_links_sensor_offset(const struct ipmb_links *l);

/* Event data 3 of an IPMB-0 sensor event: bit 7 / 3 the IPMB-B / IPMB-A override state (0 =
 * isolated by override, 1 = local control), bits 6:4 / 2:0 their local status. */
uint8_t ipmb_links_event_data3(const struct ipmb_links *l);
