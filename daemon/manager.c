/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "dispatch.h"
#include "fru-nbd.h"
#include "listen-fds.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "nbd-tls-setup.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "sensor-discrete.h"

/* The event sender's way onto the bus. Before manager_start() there is none (unit tests). */
static int manager_send_request(void *userdata, const uint8_t *frame, size_t len) {
        struct manager *m = userdata;

        if (!m->transport)
                return -ENOTCONN;
        if (m->transport_b)
                return manager_send_event_frame(m, frame, len);
        return transport_send(m->transport, frame, len);
}

static void on_sensor_event(void *userdata, const struct platform_event *ev) {
        struct manager *m = userdata;

        log_debug("Sensor %u: %s offset %u", ev->sensor_number,
                  ev->deassertion ? "deassertion" : "assertion", ev->offset);
        (void) event_sender_queue(m->events, ev);
}

/* The fan policy follows readings in the sensor's units, as the SDR converts them. */
static void on_sensor_reading(void *userdata, const struct sensor *sn) {
        struct manager *m = userdata;

        fan_table_on_reading(m->fans, sn->index, sn->available && !sn->discrete,
                             sensor_linear_to_value(&sn->linear, sn->raw));
}

int manager_new(struct satmc_config *config, struct manager **ret) {
        _cleanup_(manager_freep) struct manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m) {
                config_free(config);
                return -ENOMEM;
        }
        m->config = config;

        r = sd_event_new(&m->event);
        if (r < 0)
                return r;

        r = fru_store_new(config, &m->fru);
        if (r < 0)
                return r;

        /* From the configuration alone, like the FRU store: the address is final here
         * (hardware-address pins were read before). */
        r = sdr_repository_new(config, (uint32_t) time(NULL), &m->sdr);
        if (r < 0)
                return r;

        /* One Full Sensor Record per sensor after the locators, numbered like the sections. */
        r = sensor_table_new(config, &m->sensors);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < sensor_table_count(m->sensors); i++) {
                struct sensor *sn = sensor_table_get(m->sensors, i);
                struct sdr_full_sensor rec;
                struct sdr_compact_sensor compact;

                if (sn->compact) {
                        /* A discrete sensor with its states: no linearisation to publish. */
                        sensor_compact_record(sn, config->address, &compact);
                        r = sdr_repository_add_compact_sensor(m->sdr, &compact);
                } else {
                        sensor_sdr_record(sn, config->address, &rec);
                        r = sdr_repository_add_full_sensor(m->sdr, &rec);
                }
                if (r < 0)
                        return r;
        }

        struct event_sender_config ec = {
                .own_sa = config->address,
                .max_msg_len = config->max_msg_len,
                .receiver_sa = config->event_receiver,
                .receiver_lun = config->event_receiver_lun,
                .queue_max = config->event_queue_length,
                .try_lost = config_ipmb_b_path(config) ? manager_event_try_lost : NULL,
                .reachable = manager_event_receiver_reachable,
        };
        r = event_sender_new(m->event, &ec, manager_send_request, m, &m->counters, &m->events);
        if (r < 0)
                return r;
        sensor_table_on_event(m->sensors, on_sensor_event, m);

        r = fan_table_new(config, &m->fans);
        if (r < 0)
                return r;
        if (fan_table_count(m->fans) > 0)
                sensor_table_on_reading(m->sensors, on_sensor_reading, m);
        r = oem_table_new(m->event, config, &m->oem);
        if (r < 0)
                return r;
        r = picmg_new(m->event, config, &m->picmg);
        if (r < 0)
                return r;
        if (m->picmg) {
                r = picmg_add_sdrs(m->picmg, m->sdr);
                if (r < 0)
                        return r;
        }
        r = picmg_led_table_new(config, &m->picmg_leds);
        if (r < 0)
                return r;
        r = picmg_power_new(config, &m->picmg_power);
        if (r < 0)
                return r;
        r = picmg_ekeying_new(m->event, config, &m->picmg_ekeying);
        if (r < 0)
                return r;
        manager_picmg_connect(m);

        r = ipmb_links_init(&m->links, config_ipmb_b_path(config) ? 2 : 1);
        if (r < 0)
                return r;
        m->link_enables = (struct own_sensor_enables) OWN_SENSOR_ENABLES_INIT;
        if (m->links.n_buses > 1) {
                /* The IPMB-0 sensor: its SDR, so that a shelf manager finds it. */
                struct sdr_compact_sensor link = {
                        .owner_id = config->address,
                        .number = config->link_sensor_number,
                        .entity_id = config->entity_id,
                        .entity_instance = config->entity_instance,
                        .init = SDR_INIT_SCANNING_ENABLED | SDR_INIT_EVENTS_ENABLED,
                        /* Events for the whole sensor (Set Sensor Event Enable turns them
                         * on and off, own-sensor.h): its state changes, nothing to set. */
                        .capabilities = SDR_CAP_EVENTS_ENTIRE_SENSOR | SDR_CAP_AUTO_REARM,
                        .sensor_type = IPMB_LINK_SENSOR_TYPE,
                        .event_type = EVENT_TYPE_SENSOR_SPECIFIC,
                        .assert_mask = 0x000F,
                        .reading_mask = 0x000F,
                        .id = "IPMB-0 link",
                };
                r = sdr_repository_add_compact_sensor(m->sdr, &link);
                if (r < 0)
                        return r;
        }
        r = hpm_new(m->event, config, &m->hpm);
        if (r < 0)
                return r;

        response_cache_init(&m->cache, (uint64_t) config->duplicate_window_ms * 1000);
        manager_refresh_device_id(m);
        *ret = TAKE_PTR(m);
        return 0;
}

void manager_sensor_changed(struct manager *m, struct sensor *sn) {
        struct sdr_full_sensor rec;
        struct sdr_compact_sensor compact;
        int r;

        if (sn->compact) {
                sensor_compact_record(sn, m->config->address, &compact);
                r = sdr_repository_update_compact_sensor(m->sdr, &compact);
        } else {
                sensor_sdr_record(sn, m->config->address, &rec);
                r = sdr_repository_update_full_sensor(m->sdr, &rec);
        }
        if (r < 0)
                log_error_errno(r, "Sensor %u: cannot update its SDR: %m", sn->number);
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;

        ipmitool_socket_free(m->ipmitool);
        nbd_server_free(m->nbd);        /* flushes what its clients wrote, before the store goes */
        free(m->nbd_exports);
        sd_event_source_disable_unref(m->transport_source);
        sd_event_source_disable_unref(m->transport_b_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sigusr1_source);
        sd_event_source_disable_unref(m->sighup_source);
        sensor_table_free(m->sensors);    /* stops its thread; drops its sources in the loop */
        manager_oem_free(m);            /* kills what still runs: no answers after this */
        fan_table_free(m->fans);        /* full speed, then the pwm modes saved at start */
        picmg_free(m->picmg);           /* kills FRU Control programs still running */
        picmg_led_table_free(m->picmg_leds);    /* dark, lines released; before the loop goes */
        picmg_ekeying_free(m->picmg_ekeying);
        picmg_power_free(m->picmg_power);
        event_sender_free(m->events);
        hpm_free(m->hpm);               /* waits for its worker; borrows the state directory */
        sd_event_unref(m->event);
        transport_free(m->transport);
        transport_free(m->transport_b);
        fru_store_free(m->fru);         /* manager_run() flushed it */
        state_dir_free(m->state);       /* after the store and the sensors that borrow it */
        sdr_repository_free(m->sdr);
        config_free(m->config);
        free(m);
        return NULL;
}

static enum counter counter_for_reject(int reason) {
        switch (reason) {
        case IPMB_REJECT_SHORT:           return COUNTER_REJECT_SHORT;
        case IPMB_REJECT_LONG:            return COUNTER_REJECT_LONG;
        case IPMB_REJECT_HEADER_CHECKSUM: return COUNTER_REJECT_HEADER_CHECKSUM;
        case IPMB_REJECT_DATA_CHECKSUM:   return COUNTER_REJECT_DATA_CHECKSUM;
        case IPMB_REJECT_NOT_FOR_US:      return COUNTER_REJECT_NOT_FOR_US;
        default:                          return COUNTER_REJECT_NOT_A_REQUEST;
        }
}

static struct transport *transport_of(struct manager *m, unsigned bus) {
        return bus == IPMB_BUS_B && m->transport_b ? m->transport_b : m->transport;
}

static void count_sent(struct manager *m, const struct transport *t, int r, uint8_t dest) {
        if (r < 0) {
                /* A responder does not retry: the requester resends and the replay cache
                 * answers it. Per-frame detail stays at debug level; the counter tells. */
                counter_inc(&m->counters, COUNTER_SEND_FAILED);
                log_debug_errno(r, "Failed to send response to 0x%02x: %m", dest);
                return;
        }
        counter_inc(&m->counters, COUNTER_RESPONSES_SENT);
        if (t == m->transport_b)
                counter_inc(&m->counters, COUNTER_IPMB_B_RESPONSES_SENT);
}

void manager_send_on(struct manager *m, unsigned bus, const uint8_t *frame, size_t len) {
        struct transport *t = transport_of(m, bus);

        count_sent(m, t, transport_send(t, frame, len), frame[0]);
}

/* A response in a cache slot, whose headroom takes the transport's header: not copied.
 * Inline: a call with its saved registers cost as much as the rest of it. */
static inline __attribute__((always_inline)) void send_cached_on(struct manager *m, unsigned bus, uint8_t *frame, size_t len) {
        struct transport *t = transport_of(m, bus);

        _Static_assert(RESPONSE_CACHE_HEADROOM >= TRANSPORT_HEADROOM,
                       "a cache slot has room for the transport's header");
        count_sent(m, t, transport_send_in_place(t, frame, len), frame[0]);
}

void manager_handle_frame(struct manager *m, const uint8_t *frame, size_t len) {
        manager_handle_frame_at(m, frame, len, loop_now_usec(m->event));
}

void manager_handle_frame_at(struct manager *m, const uint8_t *frame, size_t len, uint64_t now) {
        manager_handle_bus_frame(m, IPMB_BUS_A, frame, len, now);
}

void manager_handle_bus_frame(struct manager *m, unsigned bus, const uint8_t *frame, size_t len,
                              uint64_t now) {
        const struct satmc_config *c = m->config;
        struct ipmb_request req;
        struct ipmb_response rsp;
        uint8_t *cached, *buf;
        uint32_t hash;
        size_t n;
        int r;

        counter_inc(&m->counters, COUNTER_FRAMES_RECEIVED);
        if (bus >= m->links.n_buses)
                bus = IPMB_BUS_A;       /* no such bus: the only one there is */
        if (m->links.n_buses > 1) {
                if (bus == IPMB_BUS_B)
                        counter_inc(&m->counters, COUNTER_IPMB_B_FRAMES_RECEIVED);
                /* An isolated bus is cut off (Set IPMB State): what it carries is not ours. */
                if (m->links.isolated[bus]) {
                        counter_inc(&m->counters, COUNTER_REJECT_ISOLATED);
                        return;
                }
                if (m->links.failing[bus])
                        manager_ipmb_ok(m, bus);
        }

        r = ipmb_decode_request(frame, len, c->address, c->max_msg_len, &req);
        if (r == IPMB_REJECT_NOT_A_REQUEST &&
            ipmb_decode_response(frame, len, c->address, c->max_msg_len, &rsp) == IPMB_OK) {
                /* The only requests satmcd sends are events. */
                if (event_sender_on_response(m->events, &rsp) < 0) {
                        counter_inc(&m->counters, COUNTER_RESPONSES_UNMATCHED);
                        log_frame_debug(rsp.netfn, rsp.cmd, "unmatched",
                                        "Dropped response from 0x%02x seq %u: no such request",
                                        rsp.rs_sa, rsp.seq);
                }
                return;
        }
        if (r != IPMB_OK) {
                counter_inc(&m->counters, counter_for_reject(r));
                log_frame_debug(-1, -1, ipmb_reject_to_string(r), "Dropped %zu-byte frame: %s",
                                len, ipmb_reject_to_string(r));
                return;
        }

        /*
         * The response goes to rqSA as a new master write, so a requester that is not an IPMB
         * node (ipmb_addr_is_node(): odd, or in the I2C reserved ranges 0x00-0x0F / 0xF0-0xFF)
         * cannot be answered: an answer to 0x00 would be a general call to every device on the
         * bus. Nor is our own address a requester: that frame is our own echo or a forgery, and
         * its answer would come back to us. Such a request is not executed either: a command
         * whose answer cannot be delivered must not take effect unseen.
         */
        if (!ipmb_addr_is_node(req.rq_sa) || req.rq_sa == c->address) {
                counter_inc(&m->counters, COUNTER_REJECT_REQUESTER);
                log_frame_debug(req.netfn, req.cmd, "requester",
                                "Dropped request from 0x%02x: not an address we answer",
                                req.rq_sa);
                return;
        }

        /* A request from the event receiver while its events go unanswered: it is there
         * again, so the queued events go now, not after the back-off (event-sender.h). */
        if (__builtin_expect(m->receiver_unreachable, 0))
                event_sender_heard_from(m->events, req.rq_sa);

        /* IPMI v2.0 section 20.9 defines a broadcast form for Get Device ID only. */
        if (req.broadcast && !(req.netfn == IPMI_NETFN_APP && req.cmd == IPMI_CMD_GET_DEVICE_ID)) {
                counter_inc(&m->counters, COUNTER_REJECT_BROADCAST);
                log_frame_debug(req.netfn, req.cmd, "broadcast",
                                "Dropped broadcast netfn 0x%02x cmd 0x%02x", req.netfn, req.cmd);
                return;
        }

        /* Hashed once: the same key finds a retry now and stores the answer below. */
        hash = response_cache_hash(frame, len);
        n = response_cache_find(&m->cache, hash, frame, len, now, &cached);
        if (n > 0) {
                counter_inc(&m->counters, COUNTER_RESPONSES_REPLAYED);
                log_frame_debug(req.netfn, req.cmd, "replayed",
                                "Replaying response to retried request from 0x%02x seq %u",
                                req.rq_sa, req.seq);
                send_cached_on(m, bus, cached, n);
                return;
        }

        /* The dispatch message straight from the decoded frame; req itself never leaves this
         * function, so the compiler keeps it in registers (callgrind, Get Device ID). */
        struct ipmi_msg_in in = {
                .netfn = req.netfn,
                .cmd = req.cmd,
                .lun = req.rs_lun,
                .rq_sa = req.rq_sa,
                .broadcast = req.broadcast,
                .data = req.data,
                .len = req.data_len,
                .bus = (uint8_t) bus,
        };

        /* Configured OEM commands are answered when their program ends (manager-oem.c). */
        if (m->oem && manager_oem_frame(m, &in, frame, len))
                return;

        counter_inc(&m->counters, COUNTER_REQUESTS_HANDLED);

        /* The handler writes its answer where it goes: in the frame that is sent, which is the
         * cache's next entry. Nothing is copied after it. */
        buf = response_cache_next_response(&m->cache);
        _Static_assert(RESPONSE_CACHE_FRAME_MAX >= IPMB_KERNEL_MAX_MSG_LEN,
                       "a cache slot holds any response");
        struct ipmi_msg_out out = {
                .data = buf + IPMB_RESPONSE_DATA_OFFSET,
                .cap = ipmb_response_data_max(c->max_msg_len),
        };
        dispatch_request(m, &in, &out);
        log_frame_debug(in.netfn, in.cmd, ipmi_cc_name(out.cc),
                        "0x%02x seq %u: netfn 0x%02x cmd 0x%02x -> cc 0x%02x, %zu bytes",
                        in.rq_sa, req.seq, in.netfn, in.cmd, out.cc, out.len);

        r = ipmb_encode_reply(frame, len, out.cc, out.len, buf, RESPONSE_CACHE_FRAME_MAX,
                              c->max_msg_len);
        if (r < 0) {
                /* dispatch_request() keeps out.len within out.cap, so this is a bug. */
                counter_inc(&m->counters, COUNTER_SEND_FAILED);
                log_error_errno(r, "Failed to encode response to netfn 0x%02x cmd 0x%02x: %m",
                                in.netfn, in.cmd);
                return;
        }

        send_cached_on(m, bus, buf, (size_t) r);
        /* A failure that may pass (0xFF: not persisted, 0xC0 busy, ...) changed nothing: its
         * retry must run again, not be told the same failure. */
        if (response_cache_keeps(out.cc))
                response_cache_commit(&m->cache, hash, frame, len, (size_t) r, now);

        if (m->pending_reset != MANAGER_RESET_NONE)
                (void) manager_apply_reset(m);
}

void manager_handle_local(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        counter_inc(&m->counters, COUNTER_LOCAL_REQUESTS);
        dispatch_request(m, in, out);
}

static void on_ipmitool_request(struct ipmitool_client *c, const struct ipmi_dummy_request *req,
                                void *userdata) {
        struct manager *m = userdata;
        uint8_t data[IPMI_MAX_DATA_LEN];
        struct ipmi_msg_in in = {
                .netfn = req->netfn,
                .cmd = req->cmd,
                .lun = req->lun,
                .data = req->data,
                .len = req->data_len,
        };
        /* A local client is not limited by IPMB's frame size; ipmitool accepts up to 255. */
        struct ipmi_msg_out out = { .data = data, .cap = sizeof(data) };

        log_debug("ipmitool: netfn 0x%02x cmd 0x%02x, %zu bytes", req->netfn, req->cmd,
                  req->data_len);
        if (m->oem && manager_oem_local(m, c, req))
                return;
        manager_handle_local(m, &in, &out);

        struct ipmi_dummy_response rsp = {
                .netfn = (uint8_t) (req->netfn | 1),
                .cmd = req->cmd,
                .lun = req->lun,
                .ccode = out.cc,
                .data = out.data,
                .data_len = out.len,
        };
        (void) ipmitool_client_reply(c, &rsp);

        if (m->pending_reset != MANAGER_RESET_NONE)
                (void) manager_apply_reset(m);
}

static void on_ipmitool_disconnect(struct ipmitool_client *c, void *userdata) {
        manager_oem_disconnect(userdata, c);
}

static const struct ipmitool_socket_ops ipmitool_ops = {
        .request = on_ipmitool_request,
        .disconnect = on_ipmitool_disconnect,
};

int manager_apply_reset(struct manager *m) {
        enum manager_reset what = m->pending_reset;
        int r;

        m->pending_reset = MANAGER_RESET_NONE;
        switch (what) {
        case MANAGER_RESET_WARM:
                log_info("Warm Reset: dropping volatile protocol state.");
                response_cache_clear(&m->cache);
                sdr_repository_cancel_reservation(m->sdr);
                return 0;
        case MANAGER_RESET_COLD:
                if (!m->argv)
                        return -EOPNOTSUPP;
                /* The new process starts from the files: what NBD clients wrote and were told
                 * is in memory goes to disk first, as at any other end of the process. If it
                 * cannot, this process stays and keeps it (handle_cold_reset() flushed already,
                 * so this only fails if an NBD write came in between and the disk failed). */
                r = fru_store_flush_all(m->fru);
                if (r < 0)
                        return log_error_errno(r, "Cold Reset refused: unwritten FRU data could "
                                               "not be persisted: %m");
                log_info("Cold Reset: re-executing satmcd.");
                counters_print(&m->counters, stderr);
                /* Every fd we own is O_CLOEXEC; the new image starts from the config on disk.
                 * The path is resolved now rather than exec'ing /proc/self/exe, so that tools
                 * that virtualise it (valgrind) re-execute satmcd and not themselves. */
                char exe[4096];
                ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
                if (n < 0)
                        return log_error_errno(errno, "Failed to find own executable: %m");
                exe[n] = '\0';
                execv(exe, m->argv);
                return log_error_errno(errno, "Failed to re-execute %s for Cold Reset: %m", exe);
        default:
                return 0;
        }
}

static int on_transport(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct manager *m = userdata;

        m->transport_dispatches++;
        return manager_receive(m, IPMB_BUS_A);
}

bool manager_take_received(struct manager *m, unsigned bus, int r, const uint8_t *frame,
                           uint64_t now) {
        struct transport *t = bus == IPMB_BUS_B ? m->transport_b : m->transport;

        if (r > 0) {
                manager_handle_bus_frame(m, bus, frame, (size_t) r, now);
                return true;
        }
        if (r == -EAGAIN || r == -EINTR)
                return false;
        if (r == -EMSGSIZE) {
                counter_inc(&m->counters, COUNTER_REJECT_OVERSIZE);
                return true;
        }
        if (r == -EPIPE || r == -ECONNRESET) {
                /* With IPMB-B, one bus going away leaves the other one serving. */
                if (m->links.n_buses > 1 && manager_ipmb_down(m, bus))
                        return false;
                log_error("Transport %s closed by its peer, exiting.", transport_name(t));
                (void) sd_event_exit(m->event, EXIT_FAILURE);
                return false;
        }
        counter_inc(&m->counters, COUNTER_RECV_FAILED);
        log_debug_errno(r, "Failed to receive frame: %m");
        return true;
}

int manager_receive(struct manager *m, unsigned bus) {
        struct transport *t = bus == IPMB_BUS_B ? m->transport_b : m->transport;
        uint8_t scratch[TRANSPORT_FRAME_MAX];
        const uint8_t *frame;
        /* The loop's time of this wake-up, the same for every frame of the burst. */
        uint64_t now = loop_now_usec(m->event);

        for (unsigned i = 0; i < MANAGER_RECV_BURST; i++) {
                /* Decoded where the transport read it (chardev): the frame is not copied. */
                int r = transport_recv_view(t, scratch, &frame);

                if (!manager_take_received(m, bus, r, frame, now))
                        break;
        }
        return 0;
}

static void print_nbd_listener(struct nbd_server *nbd, bool tcp) {
        const struct nbd_listener_stats *st = nbd_server_get_listener_stats(nbd, tcp);

        if (st)
                fprintf(stderr, "nbd-%s: clients=%u accepted=%llu refused=%llu "
                        "handshake-timeouts=%llu request-timeouts=%llu idle-timeouts=%llu "
                        "tls-sessions=%llu tls-failures=%llu tls-required=%llu\n",
                        tcp ? "tcp" : "unix", st->clients, st->accepted, st->refused,
                        st->handshake_timeouts, st->request_timeouts, st->idle_timeouts,
                        st->tls_sessions, st->tls_failures, st->tls_required);
}

/* The counters line comes last: tools read the final line of satmcd's output. */
static void manager_print_counters(struct manager *m) {
        if (m->nbd) {
                print_nbd_listener(m->nbd, false);
                print_nbd_listener(m->nbd, true);
        }
        if (m->ipmitool)
                ipmitool_socket_print_stats(m->ipmitool, NULL, stderr);
        counters_print(&m->counters, stderr);
        oem_table_print_counters(m->oem, stderr);
}

static int on_sigusr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager_print_counters(userdata);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        /* A refused reload is logged and leaves everything running: never fatal. */
        (void) manager_reload(userdata);
        return 0;
}

static int manager_open_transport(struct manager *m) {
        const struct satmc_config *c = m->config;
        uint8_t addr7 = c->address >> 1;

        switch (c->transport) {
        case TRANSPORT_KIND_CHARDEV:
                return transport_chardev_open(c->device, &m->transport);
        case TRANSPORT_KIND_EMULATED:
                return transport_emubus_open(c->bus_socket, &addr7, 1, &m->transport);
        default:
                return -EINVAL;
        }
}

static const char *transport_path(const struct satmc_config *c) {
        return c->transport == TRANSPORT_KIND_CHARDEV ? c->device : c->bus_socket;
}

static bool socket_is_tcp(int fd) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);

        return getsockname(fd, (struct sockaddr *) &ss, &sl) == 0 &&
               (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

/* The FRU devices and the SDR repository as NBD exports, on the configured socket or the one
 * systemd passed. */
static int manager_start_nbd(struct manager *m) {
        const struct satmc_config *c = m->config;
        _cleanup_(nbd_tls_creds_unrefp) struct nbd_tls_creds *creds = NULL;
        int fd = listen_fds_take("nbd");
        bool writable = false;
        size_t n = 0;
        int r;

        if (!c->nbd_socket && !c->nbd_tcp && fd < 0)
                return 0;

        /* fru_nbd_exports() leaves room for one more: the SDR repository, always there. */
        r = fru_nbd_exports(m->fru, &m->nbd_exports, &n);
        if (r < 0) {
                safe_close(fd);         /* nbd_server_new() would have taken it over */
                return log_error_errno(r, "Failed to set up NBD exports: %m");
        }
        m->nbd_exports[n++] = (struct nbd_export) {
                .name = "sdr",
                .description = "device SDR repository",
                .writable = false,
                .ops = &sdr_export_ops,
                .userdata = m->sdr,
        };
        nbd_tls_setup_public(c, m->nbd_exports, n);
        for (size_t i = 0; i < n; i++)
                writable |= m->nbd_exports[i].writable;
        /* config-nbd-tls.c held [nbd] tcp to the rule; a TCP socket from the service manager
         * is held to it here, where it is known. */
        if (fd >= 0 && writable && c->nbd_tls != NBD_TLS_REQUIRE && !c->nbd_insecure_tcp_writable &&
            socket_is_tcp(fd)) {
                safe_close(fd);
                log_error("NBD: the service manager passed a TCP socket and exports are "
                          "nbd-writable: set [nbd] tls = require, or insecure-tcp-writable = yes.");
                return -EACCES;
        }
        if (writable && c->nbd_insecure_tcp_writable && c->nbd_tls != NBD_TLS_REQUIRE &&
            (c->nbd_tcp || (fd >= 0 && socket_is_tcp(fd))))
                log_warning("NBD: INSECURE: writable exports on TCP without TLS "
                            "(insecure-tcp-writable = yes): anyone who reaches the port can "
                            "rewrite the FRU inventory.");
        r = nbd_tls_setup_creds(c, &creds);
        if (r < 0) {
                safe_close(fd);
                return r;
        }

        r = nbd_server_new(m->event, c->nbd_socket ?: "(socket activation)", fd, c->nbd_tcp,
                           m->nbd_exports, n, &(struct nbd_server_settings) {
                                   .unix_max_clients = c->nbd_max_clients,
                                   .tcp_max_clients = c->nbd_tcp_max_clients,
                                   .socket_mode = (mode_t) c->nbd_socket_mode,
                                   .handshake_timeout_usec = c->nbd_handshake_timeout_ms * 1000ULL,
                                   .request_timeout_usec = c->nbd_request_timeout_ms * 1000ULL,
                                   .idle_timeout_usec = c->nbd_idle_timeout_ms * 1000ULL,
                                   .tcp_tls = c->nbd_tls,
                                   .unix_tls = c->nbd_socket_tls,
                                   .tls_creds = creds,
                           }, &m->nbd);
        if (r < 0)
                return log_error_errno(r, "Failed to serve NBD on %s: %m",
                                       fd >= 0 ? "the passed socket" :
                                       c->nbd_socket ?: c->nbd_tcp);
        log_info("NBD: %zu export%s on %s%s%s.", n, n == 1 ? "" : "s",
                 fd >= 0 ? "the socket passed by the service manager" :
                 c->nbd_socket ?: "", c->nbd_tcp ? " and TCP " : "", c->nbd_tcp ?: "");
        return 0;
}

/*
 * The state directory, opened once (state-dir.h) when anything keeps state there, and what is
 * in it: the FRU images and the sensor thresholds. Before the transport: a state directory or
 * file that is refused must stop satmcd before it is on the bus, where it would ACK frames it
 * never answers.
 */
static int manager_open_state(struct manager *m) {
        bool sensors = sensor_table_count(m->sensors) > 0;
        int r;

        if (m->fru || sensors || m->hpm) {
                r = state_dir_open(m->config->state_directory, &m->state);
                if (r < 0)
                        return r;       /* logged, with the reason */
                r = state_dir_lock(m->state);
                if (r < 0)
                        return r;
        }

        /* A board whose inventory cannot be stored must not start serving as if it had one. */
        r = fru_store_open(m->fru, m->state);
        if (r < 0)
                return log_error_errno(r, "Failed to set up FRU devices: %m");
        /* Served as stored (fru-store.h); the store logged the problems, this counts them and
         * Get Self Test Results reports them. */
        for (unsigned id = 0; id < fru_store_count(m->fru); id++) {
                struct fru_device *d = fru_store_get(m->fru, id);

                if (d && !fru_device_image_valid(d))
                        counter_inc(&m->counters, COUNTER_FRU_IMAGES_INVALID);
        }
        if ((m->config->identity.device_support & IPMI_DEVSUP_FRU_INVENTORY) &&
            !fru_store_get(m->fru, 0))
                log_warning("[identity] device-support claims fru-inventory, but there is no "
                            "[fru.0]: FRU commands for device 0 will answer 0x%02x.",
                            IPMI_CC_NOT_PRESENT);

        /* Persisted thresholds are read here, the sensor files themselves by the sensor
         * thread. */
        r = sensor_table_start(m->sensors, m->event, sensors ? m->state : NULL, &m->sensor_hw);
        if (r < 0)
                return log_error_errno(r, "Failed to start sensors: %m");
        /* HPM.1: what a killed satmcd left half done is settled before anyone can ask. */
        r = hpm_start(m->hpm, m->state);
        if (r < 0)
                return log_error_errno(r, "Failed to set up HPM.1 components: %m");
        /* Before the transport too: a fan that cannot be driven stops satmcd (logged). */
        r = fan_table_start(m->fans, m->gpio_output, m->gpio_output_userdata);
        if (r < 0)
                return r;
        /* And an LED that cannot be lit, or an E-keyed link that cannot be driven (logged). */
        r = picmg_led_table_start(m->picmg_leds, m->event, m->gpio_output,
                                  m->gpio_output_userdata);
        if (r < 0)
                return r;
        r = picmg_ekeying_start(m->picmg_ekeying, m->gpio_output, m->gpio_output_userdata);
        if (r < 0 || !m->picmg)
                return r;
        /* And the PICMG handle switch and FRU Control lines. */
        return picmg_start(m->picmg, m->picmg_handle, m->picmg_handle_userdata, m->gpio_output,
                           m->gpio_output_userdata);
}

int manager_start(struct manager *m, struct transport *transport) {
        int r;

        if (transport)
                m->transport = transport;       /* ours now, also on failure */
        r = manager_open_state(m);
        if (r < 0)
                return r;
        if (!m->transport) {
                r = manager_open_transport(m);
                if (r < 0)
                        return log_error_errno(r, "Failed to open transport %s: %m",
                                               transport_path(m->config));
        }

        r = sd_event_add_io(m->event, &m->transport_source, transport_fd(m->transport), EPOLLIN,
                            on_transport, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch transport: %m");
        (void) sd_event_source_set_description(m->transport_source, "transport");
        /* IPMB before everything else on the loop (NBD, ipmitool, sensor results and timers,
         * all at the default priority): a frame ready together with other work is answered in
         * the next dispatch instead of queueing behind it (bench/mixed-load-p99.py --stalls;
         * test-manager-priority). */
        (void) sd_event_source_set_priority(m->transport_source, SD_EVENT_PRIORITY_IMPORTANT);
        r = manager_open_ipmb_b(m);
        if (r < 0)
                return r;       /* logged */
        /* On the bus (both of them): the managed FRUs come in, their hot-swap events can go
         * out. */
        if (m->picmg)
                picmg_insert(m->picmg, m->events);

        /* NULL handlers: sd-event exits the loop on these signals. PROCMASK blocks them for us. */
        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM | SD_EVENT_SIGNAL_PROCMASK,
                                NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM: %m");
        r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT | SD_EVENT_SIGNAL_PROCMASK,
                                NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGINT: %m");
        r = sd_event_add_signal(m->event, &m->sigusr1_source, SIGUSR1 | SD_EVENT_SIGNAL_PROCMASK,
                                on_sigusr1, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGUSR1: %m");
        (void) sd_event_source_set_description(m->sigterm_source, "sigterm");
        (void) sd_event_source_set_description(m->sigint_source, "sigint");
        /* Above the transport's priority: a bus that never falls silent must not keep satmcd
         * from stopping. */
        (void) sd_event_source_set_priority(m->sigterm_source, SD_EVENT_PRIORITY_IMPORTANT - 1);
        (void) sd_event_source_set_priority(m->sigint_source, SD_EVENT_PRIORITY_IMPORTANT - 1);
        r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP | SD_EVENT_SIGNAL_PROCMASK,
                                on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");
        (void) sd_event_source_set_description(m->sigusr1_source, "sigusr1");
        (void) sd_event_source_set_description(m->sighup_source, "sighup");

        /* A socket passed by the service manager wins over the configured path. */
        int ipmitool_fd = listen_fds_take("ipmitool");
        if (m->config->ipmitool_socket || ipmitool_fd >= 0) {
                const char *path = m->config->ipmitool_socket ?: "(socket activation)";

                r = ipmitool_socket_new(m->event, path, ipmitool_fd,
                                        &(struct ipmitool_socket_settings) {
                                                .max_clients = m->config->ipmitool_max_clients,
                                                .request_timeout_usec =
                                                        m->config->ipmitool_request_timeout_ms * 1000ULL,
                                                .socket_mode = (mode_t) m->config->ipmitool_socket_mode,
                                        }, &ipmitool_ops, m, &m->ipmitool);
                if (r < 0)
                        return log_error_errno(r, "Failed to listen on ipmitool socket %s: %m", path);
                if (ipmitool_fd >= 0)
                        log_info("ipmitool front end on the socket passed by the service manager.");
                else
                        log_info("ipmitool front end on %s.", path);
        }

        r = manager_start_nbd(m);
        if (r < 0)
                return r;

        /* Pings the service manager at half of WATCHDOG_USEC; a no-op when it is unset. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to enable watchdog: %m");

        log_set_context(transport_path(m->config), m->config->address);
        log_info("satmcd answering at 0x%02x on %s %s.", m->config->address,
                 transport_name(m->transport), transport_path(m->config));
        (void) sd_notifyf(false, "READY=1\nSTATUS=Answering IPMB at 0x%02x", m->config->address);
        return 0;
}

int manager_run(struct manager *m) {
        int r, k;

        r = manager_loop(m);
        /* Every end of the loop comes here: SIGTERM, SIGINT, a transport that went away, a
         * failing loop. IPMI writes are on disk already; this persists what another front end
         * (NBD) acknowledged in memory. Failures are logged by the store and end the process
         * with a failure status. */
        k = fru_store_flush_all(m->fru);
        (void) sd_notify(false, "STOPPING=1");
        manager_print_counters(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (k < 0)
                return log_error_errno(k, "Unwritten FRU data was lost at exit: %m");
        return r;
}
