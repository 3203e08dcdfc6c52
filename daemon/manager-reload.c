/* SPDX-License-Identifier: MIT */
/*
 * Configuration reload on SIGHUP. The bus, the sockets, the FRU store, the SDR repository and
 * the sensor set stay the same objects: the NBD exports and the sensor thread point into them,
 * and dropping the bus would be exactly what a reload exists to avoid. So the new file is only
 * read, compared with the running configuration, and the parts that can change in place are
 * copied into it; the rest waits for a restart, with a warning.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config-fru.h"
#include "config-sensor-source.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/fru.h"

static bool streq_null(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* NaN means "no threshold": two NaNs are the same setting. */
static bool double_same(double a, double b) {
        return (isnan(a) && isnan(b)) || a == b;
}

static bool address_changed(const struct satmc_config *o, const struct satmc_config *n) {
        /* With pins, the running address came from the slot, not from the file: compare the
         * pin settings, which are what the file controls. */
        if (o->hw_address_lines.n == 0 && n->hw_address_lines.n == 0)
                return o->address != n->address;
        return o->hw_address_lines.n != n->hw_address_lines.n ||
                memcmp(o->hw_address_lines.offsets, n->hw_address_lines.offsets,
                       o->hw_address_lines.n * sizeof(o->hw_address_lines.offsets[0])) != 0 ||
                !streq_null(o->hw_address_chip, n->hw_address_chip) ||
                o->hw_address_parity_line != n->hw_address_parity_line ||
                o->hw_address_active_low != n->hw_address_active_low;
}

static bool transport_changed(const struct satmc_config *o, const struct satmc_config *n) {
        return o->transport != n->transport || !streq_null(o->device, n->device) ||
                !streq_null(o->bus_socket, n->bus_socket) || o->max_msg_len != n->max_msg_len;
}

static bool sockets_changed(const struct satmc_config *o, const struct satmc_config *n) {
        return !streq_null(o->ipmitool_socket, n->ipmitool_socket) ||
                o->ipmitool_max_clients != n->ipmitool_max_clients ||
                !streq_null(o->nbd_socket, n->nbd_socket) || !streq_null(o->nbd_tcp, n->nbd_tcp) ||
                o->nbd_max_clients != n->nbd_max_clients ||
                o->nbd_tcp_max_clients != n->nbd_tcp_max_clients ||
                o->nbd_socket_mode != n->nbd_socket_mode ||
                o->nbd_handshake_timeout_ms != n->nbd_handshake_timeout_ms ||
                o->nbd_request_timeout_ms != n->nbd_request_timeout_ms ||
                o->nbd_idle_timeout_ms != n->nbd_idle_timeout_ms ||
                o->ipmitool_request_timeout_ms != n->ipmitool_request_timeout_ms ||
                o->ipmitool_socket_mode != n->ipmitool_socket_mode;
}

/* What the store was set up with: a device of another size, origin or policy is a new device. */
static bool fru_layout_changed(const struct satmc_config *o, const struct satmc_config *n) {
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++) {
                const struct fru_config *a = &o->fru[i], *b = &n->fru[i];

                if (a->present != b->present)
                        return true;
                if (!a->present)
                        continue;
                if (!streq_null(a->file, b->file) || a->size != b->size ||
                    a->write_protect != b->write_protect || a->nbd_writable != b->nbd_writable)
                        return true;
        }
        return false;
}

/* What the sensor set and its SDRs were built from; only thresholds and hysteresis may change.
 * Which thresholds exist is part of that too: Set Sensor Thresholds can add one, never remove
 * one, and a reload should not be able to do what the command cannot. */
static bool sensors_layout_changed(const struct satmc_config *o, const struct satmc_config *n) {
        for (unsigned i = 0; i < CONFIG_SENSOR_MAX; i++) {
                const struct sensor_config *a = &o->sensor[i], *b = &n->sensor[i];

                if (a->present != b->present)
                        return true;
                if (!a->present)
                        continue;
                if (!streq_null(a->name, b->name) || a->sensor_type != b->sensor_type ||
                    a->unit != b->unit || a->range.lo != b->range.lo ||
                    a->range.hi != b->range.hi ||
                    !sensor_source_config_equal(&a->source, &b->source) || a->poll_ms != b->poll_ms)
                        return true;
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                        if (isnan(a->thresholds[t]) != isnan(b->thresholds[t]))
                                return true;
        }
        return false;
}

/* Write [fru.id]'s new image if it differs from what the old section built: the operator
 * changed the inventory, so the configuration wins over writes made since (an operator action,
 * like satmcd --rebuild-fru; docs/durability.md). On disk before it is served, or not at all:
 * if it cannot be persisted the device keeps its contents and the running section stays, so
 * the next reload tries again. Returns 1 if the device was rewritten. On success the new
 * section replaces the old one in the running configuration, so that the next reload compares
 * against what the device now holds. */
static int reload_fru(Manager *m, struct satmc_config *new, unsigned id) {
        struct fru_config *o = &m->config->fru[id], *n = &new->fru[id];
        _cleanup_free_ uint8_t *old_image = NULL, *new_image = NULL;
        size_t old_len, new_len;
        struct fru_device *d;
        int r;

        /* A `file` image is read at start only: its contents are not compared here. */
        if (!o->present || o->file)
                return 0;
        d = fru_store_get(m->fru, id);
        if (!d)
                return 0;

        r = config_fru_build_image(o, &old_image, &old_len);
        if (r < 0)
                return log_error_errno(r, "fru%u: failed to build the running image: %m", id);
        r = config_fru_build_image(n, &new_image, &new_len);
        if (r < 0)
                return log_error_errno(r, "fru%u: failed to build the new image: %m", id);
        if (old_len == new_len && memcmp(old_image, new_image, old_len) == 0)
                return 0;

        r = fru_store_replace_durable(d, new_image, new_len);
        if (r == -EFBIG) {
                log_warning("fru%u: the new image (%zu bytes) does not fit the %llu-byte device; "
                            "keeping the current contents.", id, new_len,
                            (unsigned long long) fru_device_size(d));
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "fru%u: failed to persist the new image, keeping the "
                                       "current contents: %m", id);

        struct fru_config tmp = *o;
        *o = *n;
        *n = tmp;
        return 1;
}

/* Thresholds and hysteresis of one sensor from the new section, persisted like Set Sensor
 * Thresholds/Hysteresis. Returns 1 if anything changed. */
static int reload_sensor(Manager *m, struct satmc_config *new, struct sensor *sn) {
        struct sensor_config *o = &m->config->sensor[sn->index];
        const struct sensor_config *n = &new->sensor[sn->index];
        bool thr = false;
        int r, changed = 0;

        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                thr = thr || !double_same(o->thresholds[t], n->thresholds[t]);

        if (thr) {
                uint8_t raw[6] = {}, mask = 0;

                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++) {
                        if (isnan(n->thresholds[t]))
                                continue;
                        /* Inside the range, which config_load() checked and is unchanged. */
                        (void) sensor_linear_to_raw(&sn->linear, n->thresholds[t], &raw[t]);
                        mask |= (uint8_t) (1u << t);
                }
                r = sensor_set_thresholds(m->sensors, sn, mask, raw);
                if (r < 0)
                        log_warning_errno(r, "%s: failed to apply the new thresholds, keeping the "
                                          "current ones: %m", sn->name);
                else {
                        memcpy(o->thresholds, n->thresholds, sizeof(o->thresholds));
                        changed = 1;
                }
        }

        if (!double_same(o->hysteresis, n->hysteresis)) {
                uint8_t h = (uint8_t) fmin(255, round(n->hysteresis /
                                                      sensor_linear_step(&sn->linear)));

                r = sensor_set_hysteresis(m->sensors, sn, h, h);
                if (r < 0)
                        log_warning_errno(r, "%s: failed to apply the new hysteresis, keeping "
                                          "the current one: %m", sn->name);
                else {
                        o->hysteresis = n->hysteresis;
                        changed = 1;
                }
        }

        if (o->events != n->events) {
                o->events = n->events;
                sn->events_enabled = n->events;
                changed = 1;
        }
        if (changed)
                manager_sensor_changed(m, sn);
        return changed;
}

/* [mc] event-receiver: a change in the file acts like Set Event Receiver. One set by the BMC
 * at run time stays while the file says what it said before. */
static bool reload_event_receiver(Manager *m, const struct satmc_config *new) {
        struct satmc_config *c = m->config;

        if (c->event_receiver == new->event_receiver &&
            c->event_receiver_lun == new->event_receiver_lun)
                return false;
        c->event_receiver = new->event_receiver;
        c->event_receiver_lun = new->event_receiver_lun;
        event_sender_set_receiver(m->events, c->event_receiver, c->event_receiver_lun);
        if (event_sender_enabled(m->events))
                sensor_set_rearm_all(m->sensors);
        return true;
}

int manager_reload(Manager *m) {
        _cleanup_(config_freep) struct satmc_config *new = NULL;
        struct satmc_config *c = m->config;
        unsigned frus = 0, sensors = 0;
        bool identity, i2c, level, window, receiver;
        int r;

        log_info("Reloading %s.", c->path);
        /* A reload is an end of the running configuration: what NBD clients wrote and were told
         * is in memory goes to disk first, as at every end of the process (docs/durability.md).
         * Failures are logged by the store; the data stays in memory, dirty, as before. */
        (void) fru_store_flush_all(m->fru);
        r = config_load(c->path, stderr, &new);
        if (r >= 0 && m->apply_overrides)
                r = m->apply_overrides(new, m->overrides_userdata);
        if (r < 0) {
                /* config_load() has printed every error as file:line: reason. */
                if (r != -EINVAL)
                        log_error_errno(r, "Failed to read %s: %m", c->path);
                log_error("Reload of %s refused; the running configuration stays.", c->path);
                return r;
        }

        /* What needs a restart: warned about, and the running values stay. */
        if (address_changed(c, new))
                log_warning("[mc] address/hardware-address changed: needs a restart; keeping "
                            "0x%02x.", c->address);
        if (transport_changed(c, new))
                log_warning("[transport] or [mc] max-message-length changed: needs a restart; "
                            "keeping the open bus.");
        if (sockets_changed(c, new))
                log_warning("[ipmitool] or [nbd] changed: needs a restart; keeping the current "
                            "sockets.");
        if (!streq_null(c->state_directory, new->state_directory))
                log_warning("[storage] state-directory changed: needs a restart; keeping %s.",
                            c->state_directory);
        if (c->identity.device_support != new->identity.device_support)
                log_warning("[identity] device-support changed: needs a restart (it is in the "
                            "SDR repository); keeping 0x%02x.", c->identity.device_support);
        bool fru_layout = fru_layout_changed(c, new);
        if (fru_layout)
                log_warning("[fru.N] sections, file, size, write-protect or nbd-writable "
                            "changed: needs a restart; keeping the FRU devices and their "
                            "contents.");
        bool sensor_layout = sensors_layout_changed(c, new);
        if (sensor_layout)
                log_warning("[sensor.N] sections, names, types, units, ranges, sources, "
                            "poll intervals or the set of thresholds changed: needs a restart; "
                            "keeping the sensors and their thresholds.");

        if (c->event_queue_length != new->event_queue_length)
                log_warning("[mc] event-queue-length changed: needs a restart; keeping %u.",
                            c->event_queue_length);

        /* What applies now. */
        level = c->log_level != new->log_level;
        c->log_level = new->log_level;
        log_set_max_level(c->log_level);

        window = c->duplicate_window_ms != new->duplicate_window_ms;
        c->duplicate_window_ms = new->duplicate_window_ms;
        /* Entries stored under the old window are judged by the new one: harmless either way,
         * a replay is only an answer the requester already had. */
        m->cache.window_usec = (uint64_t) c->duplicate_window_ms * 1000;

        new->identity.device_support = c->identity.device_support;
        identity = memcmp(&c->identity, &new->identity, sizeof(c->identity)) != 0;
        c->identity = new->identity;

        i2c = memcmp(&c->i2c_allow, &new->i2c_allow, sizeof(c->i2c_allow)) != 0;
        c->i2c_allow = new->i2c_allow;

        /* Per device or sensor only as a whole: a layout change leaves all of them alone, so
         * nothing is half new. */
        if (!fru_layout)
                for (unsigned i = 0; i < CONFIG_FRU_MAX; i++) {
                        r = reload_fru(m, new, i);
                        if (r > 0)
                                frus++;
                }
        if (!sensor_layout)
                for (unsigned i = 0; i < sensor_set_count(m->sensors); i++) {
                        r = reload_sensor(m, new, sensor_set_get(m->sensors, i));
                        if (r > 0)
                                sensors++;
                }

        receiver = reload_event_receiver(m, new);

        /* Whatever a requester reserved was read under the old configuration. */
        sdr_repository_changed(m->sdr);

        log_info("Reloaded %s: identity %s, FRU devices rewritten %u, sensors with new "
                 "thresholds or enables %u, log-level %s, duplicate-window %s, [i2c] %s, "
                 "event receiver %s.", c->path,
                 identity ? "changed" : "unchanged", frus, sensors,
                 level ? "changed" : "unchanged", window ? "changed" : "unchanged",
                 i2c ? "changed" : "unchanged", receiver ? "changed" : "unchanged");
        return 0;
}
