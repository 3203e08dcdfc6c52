/* SPDX-License-Identifier: MIT */
/*
 * Configuration reload on SIGHUP. The bus, the sockets, the FRU store, the SDR repository and
 * the sensor table stay the same objects: the NBD exports and the sensor thread point into them,
 * and dropping the bus would be exactly what a reload exists to avoid. So the new file is only
 * read and compared with the running configuration key by key, as the key tables say
 * (config-parse.h): a key marked live is taken into the running configuration, one marked
 * restart is warned about and keeps its running value. [fru.N] and [sensor.N] are taken per
 * device or sensor, and only when none of their restart keys changed, so nothing is half new.
 * The service manager is told (RELOADING=1 ... READY=1, sd_notify(3)), as for Type=notify-reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config-fru.h"
#include "config-parse.h"
#include "config-sensor-source.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "nbd-tls-setup.h"
#include "protocol/fru.h"

/* NaN means "no threshold": two NaNs are the same setting. */
static bool double_same(double a, double b) {
        return (isnan(a) && isnan(b)) || a == b;
}

/* With hardware address pins the running address came from the slot, not from the file: the
 * pin keys are compared instead. */
static bool address_from_pins(const struct config_key *k, const struct satmc_config *o,
                              const struct satmc_config *n) {
        return strcmp(k->section, "mc") == 0 && strcmp(k->name, "address") == 0 &&
                (o->hw_address_lines.n > 0 || n->hw_address_lines.n > 0);
}

static void swap_bytes(void *a, void *b, size_t n) {
        uint8_t *x = a, *y = b;

        for (size_t i = 0; i < n; i++) {
                uint8_t t = x[i];

                x[i] = y[i];
                y[i] = t;
        }
}

/*
 * The single sections [mc] .. [storage], key by key: a live key's new value is swapped into the
 * running configuration (the old one is freed with new), a restart key is warned about and
 * keeps its value. Returns how many keys were applied; their names go to applied[].
 */
static unsigned reload_single_keys(struct satmc_config *c, struct satmc_config *new,
                                   char *applied, size_t applied_size) {
        unsigned n = 0;

        for (size_t i = 0; i < config_keys_n; i++) {
                const struct config_key *k = &config_keys[i];

                if (address_from_pins(k, c, new) || config_key_equal(k, c, new))
                        continue;
                if (k->reload != CONFIG_RELOAD_LIVE) {
                        log_warning("[%s] %s changed: needs a restart; keeping the running "
                                    "value.", k->section, k->name);
                        continue;
                }
                swap_bytes((uint8_t *) c + k->offset, (uint8_t *) new + k->offset, k->size);
                size_t used = strlen(applied);
                snprintf(applied + used, applied_size - used, "%s%s", n ? ", " : "", k->name);
                n++;
        }
        return n;
}

/*
 * Whether a numbered section ([fru.N] or [sensor.N]) changed in a way that needs a restart: it
 * appeared or went, or one of its restart keys changed (each warned about).
 */
static bool section_needs_restart(const char *kind, unsigned index, bool o_present,
                                  bool n_present, const struct config_key *keys, size_t n_keys,
                                  const void *o, const void *n) {
        bool restart = false;

        if (o_present != n_present) {
                log_warning("[%s.%u] %s: needs a restart.", kind, index,
                            n_present ? "added" : "removed");
                return true;
        }
        if (!o_present)
                return false;
        for (size_t i = 0; i < n_keys; i++)
                if (keys[i].reload != CONFIG_RELOAD_LIVE && !config_key_equal(&keys[i], o, n)) {
                        log_warning("[%s.%u] %s changed: needs a restart.", kind, index,
                                    keys[i].name);
                        restart = true;
                }
        return restart;
}

/* Live keys of a numbered section that still differ after the reload: not in effect (their
 * handler failed and said why, or none handles them); say so rather than pretend. */
static void warn_not_applied(const char *kind, unsigned index, const struct config_key *keys,
                             size_t n_keys, const void *o, const void *n) {
        for (size_t i = 0; i < n_keys; i++)
                if (keys[i].reload == CONFIG_RELOAD_LIVE && !config_key_equal(&keys[i], o, n))
                        log_warning("[%s.%u] %s: the new value is not in effect; keeping the "
                                    "running one.", kind, index, keys[i].name);
}

/* Write [fru.id]'s new image if it differs from what the old section built: the operator
 * changed the inventory, so the configuration wins over writes made since (an operator action,
 * like satmcd --rebuild-fru; docs/durability.md). On disk before it is served, or not at all:
 * if it cannot be persisted the device keeps its contents and the running section stays, so
 * the next reload tries again. Returns 1 if the device was rewritten. On success the new
 * section replaces the old one in the running configuration, so that the next reload compares
 * against what the device now holds. */
static int reload_fru(struct manager *m, struct satmc_config *new, unsigned id) {
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

        /* [picmg-power.N] and [picmg-link.N] need a restart: the image keeps the records of
         * the links and levels the commands serve. */
        memcpy(n->picmg_records, o->picmg_records, sizeof(n->picmg_records));
        n->picmg_records_len = o->picmg_records_len;
        r = config_fru_build_image(o, &old_image, &old_len);
        if (r < 0)
                return log_error_errno(r, "fru%u: failed to build the running image: %m", id);
        r = config_fru_build_image(n, &new_image, &new_len);
        if (r < 0)
                return log_error_errno(r, "fru%u: failed to build the new image: %m", id);
        if (old_len == new_len && memcmp(old_image, new_image, old_len) == 0) {
                /* Other words for the same contents: the new section is the running one. */
                struct fru_config same = *o;

                *o = *n;
                *n = same;
                return 0;
        }

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

/* What the new section changes of one sensor's thresholds and hysteresis: filled into ch,
 * true if anything. Applied for all sensors at once by reload_sensors(). */
static bool plan_sensor(struct manager *m, const struct satmc_config *new, struct sensor *sn,
                        struct sensor_reload *ch) {
        const struct sensor_config *o = &m->config->sensor[sn->index];
        const struct sensor_config *n = &new->sensor[sn->index];

        *ch = (struct sensor_reload) { .sensor = sn };
        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                ch->thresholds = ch->thresholds || !double_same(o->thresholds[t], n->thresholds[t]);
        if (ch->thresholds) {
                uint8_t in_old = 0, in_new = 0;

                /* The file's thresholds take their new values, one the file no longer names is
                 * removed; one set only over IPMI (never in the file) stays, as at a restart. */
                memcpy(ch->raw, sn->thresholds, sizeof(ch->raw));
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++) {
                        if (!isnan(o->thresholds[t]))
                                in_old |= (uint8_t) (1u << t);
                        if (isnan(n->thresholds[t]))
                                continue;
                        /* Inside the range, which config_load() checked and is unchanged. */
                        (void) sensor_linear_to_raw(&sn->linear, n->thresholds[t], &ch->raw[t]);
                        in_new |= (uint8_t) (1u << t);
                }
                ch->defined = (uint8_t) ((sn->defined & ~(in_old & ~in_new)) | in_new);
        }
        if (!double_same(o->hysteresis, n->hysteresis)) {
                uint8_t h = (uint8_t) fmin(255, round(n->hysteresis /
                                                      sensor_linear_step(&sn->linear)));

                ch->hysteresis = true;
                ch->hysteresis_pos = ch->hysteresis_neg = h;
        }
        return ch->thresholds || ch->hysteresis;
}

/* Thresholds, hysteresis and event enables of every sensor from the new sections: the first
 * two persisted like Set Sensor Thresholds/Hysteresis, with one write of the state file for
 * all sensors (sensor_table_reload()). Returns how many sensors changed. */
static unsigned reload_sensors(struct manager *m, struct satmc_config *new) {
        size_t count = sensor_table_count(m->sensors);
        _cleanup_free_ struct sensor_reload *ch = NULL;        /* ch[i]: sensor_table_get(i) */
        unsigned sensors = 0;
        bool any = false;
        int r = 0;

        ch = calloc(count ?: 1, sizeof(*ch));
        if (!ch) {
                log_error("[sensor.N]: out of memory; keeping every sensor as it is.");
                return 0;
        }
        for (size_t i = 0; i < count; i++)
                any |= plan_sensor(m, new, sensor_table_get(m->sensors, (unsigned) i), &ch[i]);
        if (any)
                r = sensor_table_reload(m->sensors, ch, count);
        if (r < 0)
                log_warning("[sensor.N]: keeping every sensor's thresholds and hysteresis.");

        for (size_t i = 0; i < count; i++) {
                struct sensor *sn = ch[i].sensor;
                struct sensor_config *o = &m->config->sensor[sn->index];
                const struct sensor_config *n = &new->sensor[sn->index];
                bool changed = false;

                if (r >= 0 && ch[i].thresholds && ch[i].result < 0)
                        log_warning_errno(ch[i].result, "%s: failed to apply the new "
                                          "thresholds, keeping the current ones: %m", sn->name);
                else if (r >= 0 && ch[i].thresholds) {
                        memcpy(o->thresholds, n->thresholds, sizeof(o->thresholds));
                        changed = true;
                }
                if (r >= 0 && ch[i].hysteresis) {
                        o->hysteresis = n->hysteresis;
                        changed = true;
                }
                if (o->events != n->events) {
                        o->events = n->events;
                        sn->events_enabled = n->events;
                        changed = true;
                }
                if (changed) {
                        manager_sensor_changed(m, sn);
                        sensors++;
                }
        }
        return sensors;
}

static void notify_reloading(void) {
        struct timespec ts;

        /* systemd matches RELOADING=1 to the reload it asked for by this timestamp. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=Reloading",
                          (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000);
}

static void notify_ready(const struct satmc_config *c) {
        (void) sd_notifyf(false, "READY=1\nSTATUS=Answering IPMB at 0x%02x", c->address);
}

int manager_reload(struct manager *m) {
        _cleanup_(config_freep) struct satmc_config *new = NULL;
        struct satmc_config *c = m->config;
        uint8_t receiver = c->event_receiver, receiver_lun = c->event_receiver_lun;
        unsigned frus = 0, sensors = 0, keys;
        bool fru_restart = false, sensor_restart = false;
        char applied[512] = "";
        int r;

        notify_reloading();
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
                notify_ready(c);
                return r;
        }

        /* [mc] .. [storage]: live keys are now in c, restart keys were warned about. */
        keys = reload_single_keys(c, new, applied, sizeof(applied));
        /* Keys and certificates are read anew even when their paths stayed: that is how a
         * rotated key takes effect. */
        nbd_tls_setup_reload(m->nbd, c);
        log_set_max_level(c->log_level);
        /* Entries stored under the old window are judged by the new one: harmless either way,
         * a replay is only an answer the requester already had. */
        m->cache.window_usec = (uint64_t) c->duplicate_window_ms * 1000;
        /* A change in the file acts like Set Event Receiver. One set by the BMC at run time
         * stays while the file says what it said before. */
        if (c->event_receiver != receiver || c->event_receiver_lun != receiver_lun) {
                event_sender_set_receiver(m->events, c->event_receiver, c->event_receiver_lun);
                if (event_sender_enabled(m->events))
                        sensor_table_rearm_all(m->sensors);
        }

        /* Per device or sensor only as a whole, and none of them when any needs a restart. */
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                fru_restart |= section_needs_restart("fru", i, c->fru[i].present,
                                                     new->fru[i].present, config_fru_keys,
                                                     config_fru_keys_n, &c->fru[i],
                                                     &new->fru[i]);
        if (fru_restart)
                log_warning("[fru.N]: keeping the FRU devices and their contents until a "
                            "restart.");
        else
                for (unsigned i = 0; i < CONFIG_FRU_MAX; i++) {
                        if (reload_fru(m, new, i) > 0)
                                frus++;
                        if (c->fru[i].present && !c->fru[i].file)
                                warn_not_applied("fru", i, config_fru_keys, config_fru_keys_n,
                                                 &c->fru[i], &new->fru[i]);
                }

        for (unsigned i = 0; i < MAX(c->sensor_end, new->sensor_end); i++)
                sensor_restart |= section_needs_restart("sensor", i, c->sensor[i].present,
                                                        new->sensor[i].present,
                                                        config_sensor_keys, config_sensor_keys_n,
                                                        &c->sensor[i], &new->sensor[i]);
        if (sensor_restart)
                log_warning("[sensor.N]: keeping the sensors and their thresholds until a "
                            "restart.");
        else
        {
                sensors = reload_sensors(m, new);
                for (unsigned i = 0; i < sensor_table_count(m->sensors); i++) {
                        const struct sensor *sn = sensor_table_get(m->sensors, i);

                        warn_not_applied("sensor", sn->index, config_sensor_keys,
                                         config_sensor_keys_n, &c->sensor[sn->index],
                                         &new->sensor[sn->index]);
                }
        }

        /* Fan outputs and OEM commands are set up at start only (docs/actuators.md). */
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++)
                (void) section_needs_restart("fan", i, c->fan[i].present, new->fan[i].present,
                                             config_fan_keys, config_fan_keys_n, &c->fan[i],
                                             &new->fan[i]);
        for (unsigned i = 0; i < CONFIG_OEM_MAX; i++)
                (void) section_needs_restart("oem", i, c->oem[i].present, new->oem[i].present,
                                             config_oem_keys, config_oem_keys_n, &c->oem[i],
                                             &new->oem[i]);
        for (unsigned i = 0; i < CONFIG_PICMG_LED_MAX; i++)
                (void) section_needs_restart("picmg-led", i, c->picmg_led[i].present,
                                             new->picmg_led[i].present, config_picmg_led_keys,
                                             config_picmg_led_keys_n, &c->picmg_led[i],
                                             &new->picmg_led[i]);
        /* PICMG power levels and links are set up at start only (docs/picmg-power.md). */
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                (void) section_needs_restart("picmg-power", i, c->picmg_power[i].present,
                                             new->picmg_power[i].present,
                                             config_picmg_power_keys, config_picmg_power_keys_n,
                                             &c->picmg_power[i], &new->picmg_power[i]);
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++)
                (void) section_needs_restart("picmg-link", i, c->picmg_link[i].present,
                                             new->picmg_link[i].present,
                                             config_picmg_link_keys, config_picmg_link_keys_n,
                                             &c->picmg_link[i], &new->picmg_link[i]);
        /* HPM.1 keeps a copy of its configuration from the start (daemon/hpm.h). */
        for (unsigned i = 0; i < CONFIG_HPM_COMPONENTS; i++)
                (void) section_needs_restart("hpm.component", i, c->hpm.component[i].present,
                                             new->hpm.component[i].present,
                                             config_hpm_component_keys,
                                             config_hpm_component_keys_n, &c->hpm.component[i],
                                             &new->hpm.component[i]);
        for (size_t i = 0; i < config_hpm_keys_n; i++)
                if (!config_key_equal(&config_hpm_keys[i], &c->hpm, &new->hpm))
                        log_warning("[hpm] %s changed: needs a restart.", config_hpm_keys[i].name);

        /* Whatever a requester reserved was read under the old configuration. */
        sdr_repository_changed(m->sdr);
        manager_refresh_device_id(m);

        log_info("Reloaded %s: keys applied %u%s%s%s, FRU devices rewritten %u, sensors with new "
                 "thresholds or enables %u, event receiver %s.", c->path, keys,
                 keys ? " (" : "", applied, keys ? ")" : "", frus, sensors,
                 c->event_receiver != receiver || c->event_receiver_lun != receiver_lun ?
                 "changed" : "unchanged");
        /* As after start-up (satmcd.c): the new configuration parsed, compared and freed
         * leaves holes in the heap that would stay resident; the comparisons above read every
         * slot of the running configuration. Freed here, not on return, so that READY=1 comes
         * when the reload's memory is back. */
        new = config_free(new);
        (void) malloc_trim(0);
        (void) config_drop_zero_pages(c);
        notify_ready(c);
        return 0;
}
