/* SPDX-License-Identifier: MIT */
/*
 * The Manager's side of a redundant IPMB-0 (protocol/ipmb-links.h for the policy): IPMB-B's
 * transport and I/O source, our events on the bus the policy picks with failover on a NAK at
 * once and on a timeout at the next try, and the IPMB-0 link sensor (type F1h): its reading
 * and an event whenever its state changes. Requests are answered on the bus they came on by
 * manager.c; nothing here touches that path.
 */
#include <errno.h>

#include "log.h"
#include "manager.h"
#include "protocol/ipmi.h"
#include "protocol/platform-event.h"

static const char *bus_name(unsigned bus) {
        return bus == IPMB_BUS_B ? "IPMB-B" : "IPMB-A";
}

static struct transport *bus_transport(struct manager *m, unsigned bus) {
        return bus == IPMB_BUS_B ? m->transport_b : m->transport;
}

/* The sensor's state moved from `before`: tell the event receiver (an assertion of the new
 * state offset, event data 2 the channel, 0 = IPMB-0, event data 3 override state and local
 * status of both buses). */
static void link_sensor_update(struct manager *m, uint8_t before) {
        uint8_t now = ipmb_links_sensor_offset(&m->links);
        struct platform_event ev = {
                .sensor_type = IPMB_LINK_SENSOR_TYPE,
                .sensor_number = m->config->link_sensor_number,
                .event_type = EVENT_TYPE_SENSOR_SPECIFIC,
                .offset = now,
                .data2_kind = PLATFORM_EVENT_DATA_OEM,
                .data2 = 0x00,
                .data3_kind = PLATFORM_EVENT_DATA_OEM,
                .data3 = ipmb_links_event_data3(&m->links),
        };

        if (now == before)
                return;
        log_info("IPMB-0: IPMB-A %s, IPMB-B %s.", now & 1 ? "enabled" : "disabled",
                 now & 2 ? "enabled" : "disabled");
        if (own_sensor_reports(&m->link_enables))
                (void) event_sender_queue(m->events, &ev);
}

void manager_ipmb_ok(struct manager *m, unsigned bus) {
        uint8_t before = ipmb_links_sensor_offset(&m->links);

        ipmb_links_ok(&m->links, bus);
        link_sensor_update(m, before);
}

/* A try on bus was lost: failing, maybe a failover. Said once per episode: with both buses
 * failing, tries alternate every 250 ms and the counter tells the rest. */
static void lost(struct manager *m, unsigned bus) {
        uint8_t before = ipmb_links_sensor_offset(&m->links);
        bool was_failing = bus < m->links.n_buses && m->links.failing[bus];

        if (ipmb_links_lost(&m->links, bus)) {
                counter_inc(&m->counters, COUNTER_IPMB_FAILOVERS);
                if (was_failing)
                        log_debug("IPMB-0: %s lost a request again; now on %s.", bus_name(bus),
                                  bus_name(m->links.preferred));
                else
                        log_warning("IPMB-0: %s lost a request; sending on %s from now on.",
                                    bus_name(bus), bus_name(m->links.preferred));
        }
        link_sensor_update(m, before);
}

int manager_send_event_frame(struct manager *m, const uint8_t *frame, size_t len) {
        int r = -ENETDOWN;

        /* At most once on each bus: a NAK costs no time, so the other bus is tried at once. */
        for (unsigned attempt = 0; attempt < m->links.n_buses; attempt++) {
                int bus = ipmb_links_pick(&m->links);

                if (bus < 0)
                        return bus;
                m->event_bus = (uint8_t) bus;
                r = transport_send(bus_transport(m, (unsigned) bus), frame, len);
                if (r >= 0) {
                        counter_inc(&m->counters, bus == IPMB_BUS_B ? COUNTER_IPMB_B_REQUESTS_SENT :
                                                                      COUNTER_IPMB_A_REQUESTS_SENT);
                        return 0;
                }
                log_debug_errno(r, "%s: request to 0x%02x not sent: %m", bus_name((unsigned) bus),
                                frame[0]);
                lost(m, (unsigned) bus);
                if (ipmb_links_pick(&m->links) == bus)
                        break;          /* no other bus to try */
        }
        return r;
}

void manager_event_try_lost(void *userdata) {
        struct manager *m = userdata;

        lost(m, m->event_bus);
}

int manager_set_ipmb_state(struct manager *m, uint8_t a, uint8_t b) {
        uint8_t before = ipmb_links_sensor_offset(&m->links);
        struct ipmb_links next = m->links;
        int r;

        /* Worked out on a copy: a request that is refused changes nothing. */
        r = ipmb_links_set_state(&next, a, b);
        if (r < 0)
                return r;
        /* One bus: isolating it would cut satmcd off for good (nothing could enable it). */
        if (next.n_buses == 1 && next.isolated[IPMB_BUS_A])
                return -EOPNOTSUPP;
        m->links = next;
        if (m->links.n_buses > 1)
                link_sensor_update(m, before);
        return 0;
}

bool manager_link_sensor(struct manager *m, uint8_t lun, uint8_t number, struct own_sensor *ret) {
        if (m->links.n_buses < 2 || lun != 0 || number != m->config->link_sensor_number)
                return false;
        *ret = (struct own_sensor) {
                .enables = &m->link_enables,
                .state = (uint16_t) (1u << ipmb_links_sensor_offset(&m->links)),
                .assertions = 0x000F,           /* as its SDR (manager.c) */
        };
        return true;
}

void manager_link_sensor_rearm(struct manager *m) {
        if (m->links.n_buses < 2)
                return;                 /* one bus: there is no IPMB-0 link sensor */
        /* "Before" differs from now in every bit: the state now goes out as a fresh event. */
        link_sensor_update(m, (uint8_t) ~ipmb_links_sensor_offset(&m->links));
}

static int on_transport_b(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return manager_receive(userdata, IPMB_BUS_B);
}

bool manager_ipmb_down(struct manager *m, unsigned bus) {
        uint8_t before = ipmb_links_sensor_offset(&m->links);
        sd_event_source *src = bus == IPMB_BUS_B ? m->transport_b_source : m->transport_source;

        (void) sd_event_source_set_enabled(src, SD_EVENT_OFF);
        ipmb_links_set_down(&m->links, bus);
        if (m->links.down[IPMB_BUS_A] && m->links.down[IPMB_BUS_B])
                return false;
        log_error("IPMB-0: %s (%s) closed by its peer; serving on %s alone.", bus_name(bus),
                  transport_name(bus_transport(m, bus)), bus_name(bus ^ 1));
        link_sensor_update(m, before);
        return true;
}

int manager_open_ipmb_b(struct manager *m) {
        const struct satmc_config *c = m->config;
        uint8_t addr7 = c->address >> 1;
        const char *path;
        int r;

        if (m->links.n_buses < 2)
                return 0;
        path = config_ipmb_b_path(c);
        if (!m->transport_b) {
                if (c->transport == TRANSPORT_KIND_CHARDEV)
                        r = transport_chardev_open(path, &m->transport_b);
                else
                        r = transport_emubus_open(path, &addr7, 1, &m->transport_b);
                if (r < 0)
                        return log_error_errno(r, "Failed to open IPMB-B %s: %m", path);
        }
        r = sd_event_add_io(m->event, &m->transport_b_source, transport_fd(m->transport_b),
                            EPOLLIN, on_transport_b, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch IPMB-B: %m");
        (void) sd_event_source_set_description(m->transport_b_source, "transport-b");
        /* Served before NBD, ipmitool and sensor work, as IPMB-A is (manager_start()). */
        (void) sd_event_source_set_priority(m->transport_b_source, SD_EVENT_PRIORITY_IMPORTANT);
        log_info("Redundant IPMB-0: IPMB-B on %s, IPMB-0 sensor number %u.", path,
                 c->link_sensor_number);
        return 0;
}
