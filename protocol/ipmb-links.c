/* SPDX-License-Identifier: MIT */
/* Redundant IPMB-0: bus choice and failover, the IPMB-0 sensor's state (ipmb-links.h). */
#include <errno.h>

#include "protocol/ipmb-links.h"

int ipmb_links_init(struct ipmb_links *l, unsigned n_buses) {
        if (n_buses < 1 || n_buses > IPMB_LINKS_MAX)
                return -EINVAL;
        *l = (struct ipmb_links) { .n_buses = n_buses, .preferred = IPMB_BUS_A };
        return 0;
}

bool ipmb_links_usable(const struct ipmb_links *l, unsigned bus) {
        return bus < l->n_buses && !l->isolated[bus] && !l->down[bus];
}

static unsigned other(unsigned bus) {
        return bus ^ 1;
}

int ipmb_links_pick(const struct ipmb_links *l) {
        if (ipmb_links_usable(l, l->preferred))
                return l->preferred;
        if (ipmb_links_usable(l, other(l->preferred)))
                return (int) other(l->preferred);
        return -ENETDOWN;
}

/* The preferred bus cannot carry traffic any more: hand over to the other if it can. */
static bool hand_over(struct ipmb_links *l, unsigned bus) {
        if (bus != l->preferred || !ipmb_links_usable(l, other(bus)))
                return false;
        l->preferred = (uint8_t) other(bus);
        return true;
}

bool ipmb_links_lost(struct ipmb_links *l, unsigned bus) {
        if (bus >= l->n_buses)
                return false;
        l->failing[bus] = true;
        return hand_over(l, bus);
}

void ipmb_links_ok(struct ipmb_links *l, unsigned bus) {
        if (bus < l->n_buses)
                l->failing[bus] = false;
}

void ipmb_links_set_down(struct ipmb_links *l, unsigned bus) {
        if (bus >= l->n_buses)
                return;
        l->down[bus] = true;
        (void) hand_over(l, bus);
}

static int check_state_byte(const struct ipmb_links *l, unsigned bus, uint8_t v) {
        if (v == IPMB_STATE_NO_CHANGE)
                return 0;
        if (v >> 1 != 0)
                return -ERANGE;
        if (bus >= l->n_buses)
                return -ENODEV;
        return 0;
}

static void apply_state_byte(struct ipmb_links *l, unsigned bus, uint8_t v) {
        if (v == IPMB_STATE_NO_CHANGE)
                return;
        l->isolated[bus] = !(v & IPMB_STATE_ENABLE_BIT);
        if (l->isolated[bus])
                (void) hand_over(l, bus);
}

int ipmb_links_set_state(struct ipmb_links *l, uint8_t a, uint8_t b) {
        int r;

        r = check_state_byte(l, IPMB_BUS_A, a);
        if (r == 0)
                r = check_state_byte(l, IPMB_BUS_B, b);
        if (r < 0)
                return r;
        apply_state_byte(l, IPMB_BUS_A, a);
        apply_state_byte(l, IPMB_BUS_B, b);
        /* Enabling the other bus while the preferred one is isolated: use it. */
        if (!ipmb_links_usable(l, l->preferred))
                (void) hand_over(l, l->preferred);
        return 0;
}

static bool enabled(const struct ipmb_links *l, unsigned bus) {
        return ipmb_links_usable(l, bus) && !l->failing[bus];
}

uint8_t ipmb_links_sensor_offset(const struct ipmb_links *l) {
        return (uint8_t) ((enabled(l, IPMB_BUS_A) ? 1 : 0) | (enabled(l, IPMB_BUS_B) ? 2 : 0));
}

/* One bus's nibble of event data 3: override state in bit 3, local status in bits 2:0. */
static uint8_t status_nibble(const struct ipmb_links *l, unsigned bus) {
        uint8_t local_control = bus < l->n_buses && !l->isolated[bus] ? 0x08 : 0;
        bool failed = bus >= l->n_buses || l->down[bus] || l->failing[bus];

        return (uint8_t) (local_control | (failed ? IPMB_LINK_UNDIAGNOSED : IPMB_LINK_NO_FAILURE));
}

uint8_t ipmb_links_event_data3(const struct ipmb_links *l) {
        return (uint8_t) (status_nibble(l, IPMB_BUS_B) << 4 | status_nibble(l, IPMB_BUS_A));
}
