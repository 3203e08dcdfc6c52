/* SPDX-License-Identifier: MIT */
/* Threshold sensors: polling through the sensor reader (sensor-reader.c), thresholds,
 * persistence. See sensors.h for why the reads are not on the loop. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config-sensor.h"
#include "log.h"
#include "macro.h"
#include "sdr-repo.h"
#include "sensor-discrete.h"
#include "sensor-reader.h"
#include "sensor-schedule.h"
#include "sensor-source.h"
#include "sensors.h"
#include "state-dir.h"

#define SENSORS_STATE_FILE      "sensors.state"
#define SENSORS_STATE_TMP       "sensors.state.tmp"
/* Far more than CONFIG_SENSOR_MAX lines of nine numbers: anything larger is not ours. */
#define SENSORS_STATE_MAX       (256 * 1024)
/* A read given up as hung (SENSOR_READ_HUNG_USEC, sensor-reader.h) is not tried again for
 * this long; nor while the abandoned read has not returned. */
#define SENSOR_HUNG_RETRY_USEC  (30 * 1000000ULL)
/* How precisely the reader's watchdog fires; its deadlines are heuristics. */
#define SENSOR_WATCHDOG_ACCURACY_USEC (10 * 1000ULL)

struct sensor_table {
        struct sensor *sensors;
        unsigned n;
        sensor_event_fn on_event;
        void *on_event_userdata;
        sensor_reading_fn on_reading;
        void *on_reading_userdata;
        struct state_dir *state;        /* borrowed; NULL: thresholds are not persisted */
        /* Lines of sensors.state dropped at start: what was stored there is not in effect. */
        unsigned state_lines_ignored;

        /* Reads the sources on its own threads; slot i is sensors[i]. */
        struct sensor_reader *reader;
        sd_event_source *results_source;        /* the reader's eventfd */
        sd_event_source *watchdog;              /* the reader's next deadline; off when idle */
        /* Polls every sensor that is due (sensor-schedule.h): one source for all of them. */
        sd_event_source *poll_timer;
};

/* The raw code as the number it stands for: order comparisons must respect the format. */
static int raw_int(const struct sensor *sn, uint8_t raw) {
        return sn->linear.is_signed ? (int) (int8_t) raw : (int) raw;
}

int sensor_table_new(const struct satmc_config *config, struct sensor_table **ret) {
        _cleanup_(sensor_table_freep) struct sensor_table *s = NULL;
        unsigned n = 0;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        /* As many as are configured: up to 255 sections, most boards have a handful. */
        for (unsigned i = 0; i < config->sensor_end; i++)
                n += config->sensor[i].present;
        s->sensors = calloc(n > 0 ? n : 1, sizeof(*s->sensors));
        if (!s->sensors)
                return -ENOMEM;

        for (unsigned i = 0; i < config->sensor_end; i++) {
                const struct sensor_config *c = &config->sensor[i];
                struct sensor *sn;
                double step;
                int r;

                if (!c->present)
                        continue;
                sn = &s->sensors[s->n++];
                sn->set = s;
                sn->config = c;
                sn->index = i;
                /* Resolved (auto = index + 1) and checked unique by config_load(). */
                sn->number = (uint8_t) c->number;
                sn->lun = c->lun;
                sn->discrete = config_sensor_is_discrete(c);
                if (c->name)
                        snprintf(sn->name, sizeof(sn->name), "%s", c->name);
                else
                        /* i < CONFIG_SENSOR_MAX (255): the cast tells the compiler so. */
                        snprintf(sn->name, sizeof(sn->name), "Sensor %u", (uint8_t) i);
                /* config_load() solved the same range already; failing here is a bug. */
                r = sensor_linear_solve(c->range.lo, c->range.hi, &sn->linear);
                if (r < 0)
                        return r;
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++) {
                        if (isnan(c->thresholds[t]))
                                continue;
                        /* Inside the range (checked by config_load()), so within the codes. */
                        (void) sensor_linear_to_raw(&sn->linear, c->thresholds[t],
                                                    &sn->thresholds[t]);
                        sn->defined |= (uint8_t) (1u << t);
                }
                step = sensor_linear_step(&sn->linear);
                sn->hysteresis_pos = sn->hysteresis_neg =
                        (uint8_t) fmin(255, round(c->hysteresis / step));
                sn->events_enabled = c->events;
                sn->scanning = true;
                sn->next_due = SENSOR_DUE_NEVER;        /* until sensor_table_start() */
                if (sn->discrete) {
                        sensor_discrete_init(sn);
                } else {
                        sn->assert_enable = sensor_supported_assertions(sn);
                        sn->deassert_enable = sensor_supported_deassertions(sn);
                }
        }

        *ret = TAKE_PTR(s);
        return 0;
}

struct sensor_table *sensor_table_free(struct sensor_table *s) {
        if (!s)
                return NULL;

        sd_event_source_disable_unref(s->poll_timer);
        sd_event_source_disable_unref(s->watchdog);
        sd_event_source_disable_unref(s->results_source);
        /* Never waits long for a read: see sensor_reader_stop(). */
        sensor_reader_stop(s->reader);
        free(s->sensors);
        free(s);
        return NULL;
}

unsigned sensor_table_count(const struct sensor_table *s) {
        return s->n;
}

struct sensor *sensor_table_get(struct sensor_table *s, unsigned i) {
        return i < s->n ? &s->sensors[i] : NULL;
}

struct sensor *sensor_table_find(struct sensor_table *s, uint8_t lun, uint8_t number) {
        for (unsigned i = 0; i < s->n; i++)
                if (s->sensors[i].number == number && s->sensors[i].lun == lun)
                        return &s->sensors[i];
        return NULL;
}

/* An engineering value as the SDR's raw byte, with its "specified" flag if it has one. */
static void sdr_reading(const struct sensor *sn, double v, uint8_t flag, uint8_t *ret,
                        uint8_t *flags) {
        if (isnan(v))
                return;
        /* Inside the range (checked by config_load()), so within the codes. */
        (void) sensor_linear_to_raw(&sn->linear, v, ret);
        *flags |= flag;
}

/* Threshold access (SDR byte 12, bits 3:2): settable if any threshold is, else readable if
 * any has a value, else none. */
static enum sdr_access sensor_threshold_access(const struct sensor *sn) {
        if (sensor_settable_thresholds(sn))
                return SDR_ACCESS_SETTABLE;
        return sn->defined ? SDR_ACCESS_READABLE : SDR_ACCESS_NONE;
}

void sensor_sdr_record(const struct sensor *sn, uint8_t address, struct sdr_full_sensor *ret) {
        const struct sensor_config *c = sn->config;
        struct sdr_full_sensor rec = {
                .owner_id = address,
                .owner_lun = sn->lun,
                .channel = 0,
                .number = sn->number,
                .entity_id = c->entity_id,
                .entity_instance = c->entity_instance,
                .init = SDR_INIT_SCANNING_ENABLED | (c->events ? SDR_INIT_EVENTS_ENABLED : 0),
                /* Each event offset can be enabled on its own (Set Sensor Event Enable). */
                .capabilities = SDR_CAP_EVENTS_PER_THRESHOLD |
                                SDR_CAP_THRESHOLDS(sensor_threshold_access(sn)) |
                                SDR_CAP_HYSTERESIS(SDR_ACCESS_SETTABLE) | SDR_CAP_AUTO_REARM,
                .sensor_type = c->sensor_type,
                .event_type = SDR_EVENT_TYPE_THRESHOLD,
                .base_unit = config_sensor_unit(c),
                .linearization = 0x00,
                .linear = sn->linear,
                .lnc = sensor_threshold_raw(sn, SENSOR_THR_LNC),
                .lcr = sensor_threshold_raw(sn, SENSOR_THR_LCR),
                .lnr = sensor_threshold_raw(sn, SENSOR_THR_LNR),
                .unc = sensor_threshold_raw(sn, SENSOR_THR_UNC),
                .ucr = sensor_threshold_raw(sn, SENSOR_THR_UCR),
                .unr = sensor_threshold_raw(sn, SENSOR_THR_UNR),
                .hysteresis_pos = sn->hysteresis_pos,
                .hysteresis_neg = sn->hysteresis_neg,
        };

        if (sn->discrete) {
                /* States instead of a value: no thresholds, no hysteresis, no unit. Full
                 * record all the same, so that every sensor has the same kind of record. */
                rec.event_type = sn->event_type;
                rec.capabilities = SDR_CAP_EVENTS_PER_THRESHOLD | SDR_CAP_AUTO_REARM;
                rec.base_unit = 0;
                rec.assert_mask = sn->assert_mask;
                rec.deassert_mask = sn->deassert_mask;
                rec.reading_mask = sensor_supported_events(sn);
                snprintf(rec.id, sizeof(rec.id), "%s", sn->name);
                *ret = rec;
                return;
        }

        (void) sensor_linear_to_raw(&sn->linear, c->range.hi, &rec.sensor_max);
        (void) sensor_linear_to_raw(&sn->linear, c->range.lo, &rec.sensor_min);
        sdr_reading(sn, c->nominal, SDR_ANALOG_NOMINAL, &rec.nominal, &rec.analog_flags);
        sdr_reading(sn, c->normal_max, SDR_ANALOG_NORMAL_MAX, &rec.normal_max, &rec.analog_flags);
        sdr_reading(sn, c->normal_min, SDR_ANALOG_NORMAL_MIN, &rec.normal_min, &rec.analog_flags);
        /* What Get Sensor Thresholds and Get Sensor Event Enable answer: readable are the
         * thresholds with a value, and only they generate events, those of the event keys;
         * the settable ones may be set (Set Sensor Thresholds gives an unset one a value, and
         * this record is rewritten). */
        sdr_threshold_masks(sn->defined, sensor_settable_thresholds(sn),
                            sn->config->assertion_events, sn->config->deassertion_events, &rec);
        snprintf(rec.id, sizeof(rec.id), "%s", sn->name);
        *ret = rec;
}

/* ---- readings and threshold status ---- */

static void sensor_update_status(struct sensor *sn) {
        uint8_t status = 0;
        int v;

        if (!sn->available || sn->discrete) {
                sn->status = 0;
                return;
        }
        v = raw_int(sn, sn->raw);
        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++) {
                uint8_t bit = (uint8_t) (1u << t);
                int th = raw_int(sn, sn->thresholds[t]);
                bool was = sn->status & bit, now;

                if (!(sn->defined & bit))
                        continue;
                /* Asserted on reaching the threshold; deasserted only once the reading has
                 * moved back by the hysteresis, so a value sitting on it does not flap. */
                if (t < SENSOR_THR_UNC)
                        now = v <= th || (was && v <= th + sn->hysteresis_neg);
                else
                        now = v >= th || (was && v >= th - sn->hysteresis_pos);
                if (now)
                        status |= bit;
        }
        sn->status = status;
}

/* ---- events ---- */

/* Event offsets as a mask, from threshold status bits. */
static uint16_t threshold_offsets(uint8_t status) {
        uint16_t mask = 0;

        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                if (status & (1u << t))
                        mask |= (uint16_t) (1u << platform_event_threshold_offset(t));
        return mask;
}

uint16_t sensor_supported_events(const struct sensor *sn) {
        if (sn->discrete)
                return sn->states_supported;
        return threshold_offsets(sn->defined);
}

uint16_t sensor_supported_assertions(const struct sensor *sn) {
        if (sn->discrete)
                return sn->assert_mask;
        return threshold_offsets(sn->defined & sn->config->assertion_events);
}

uint16_t sensor_supported_deassertions(const struct sensor *sn) {
        if (sn->discrete)
                return sn->deassert_mask;
        return threshold_offsets(sn->defined & sn->config->deassertion_events);
}

uint8_t sensor_settable_thresholds(const struct sensor *sn) {
        return sn->discrete ? 0 : sn->config->settable_thresholds;
}

/* Thresholds were given values (Set Sensor Thresholds, the state file): their events start
 * enabled, as those of the configured thresholds did, so that Get Sensor Event Enable and the
 * SDR's event masks still agree until someone changes the enables. */
static void sensor_enable_new_thresholds(struct sensor *sn, uint8_t old_defined) {
        uint8_t added = (uint8_t) (sn->defined & ~old_defined);

        sn->assert_enable |= threshold_offsets(added & sn->config->assertion_events);
        sn->deassert_enable |= threshold_offsets(added & sn->config->deassertion_events);
}

uint8_t sensor_threshold_raw(const struct sensor *sn, unsigned t) {
        bool upper = t >= SENSOR_THR_UNC;

        if (sn->defined & (1u << t))
                return sn->thresholds[t];
        /* The far end of the codes: beyond every reading in the range, so a BMC that ignores
         * the readable mask (OpenBMC's IpmbSDRSensor) sees no crossing. */
        if (sn->linear.is_signed)
                return upper ? 0x7F : 0x80;
        return upper ? 0xFF : 0x00;
}

void sensor_table_on_event(struct sensor_table *s, sensor_event_fn fn, void *userdata) {
        s->on_event = fn;
        s->on_event_userdata = userdata;
}

void sensor_table_on_reading(struct sensor_table *s, sensor_reading_fn fn, void *userdata) {
        s->on_reading = fn;
        s->on_reading_userdata = userdata;
}

static void sensor_emit(struct sensor *sn, unsigned offset, bool deassertion) {
        struct sensor_table *s = sn->set;
        uint16_t enable = deassertion ? sn->deassert_enable : sn->assert_enable;
        /* Offset 2i or 2i + 1 belongs to threshold i. */
        unsigned t = offset / 2;
        struct platform_event ev;

        if (!s->on_event || !sn->events_enabled || !(enable & (1u << offset)))
                return;
        if (sn->discrete)
                /* The offset says it all: event data 2 and 3 unspecified, not sent. */
                ev = (struct platform_event) {
                        .sensor_type = sn->config->sensor_type,
                        .sensor_number = sn->number,
                        .event_type = sn->event_type,
                        .deassertion = deassertion,
                        .offset = (uint8_t) offset,
                };
        else
                platform_event_threshold(sn->config->sensor_type, sn->number, t, deassertion,
                                         sn->raw, sn->thresholds[t], &ev);
        ev.generator_lun = sn->lun;
        s->on_event(s->on_event_userdata, &ev);
}

/*
 * Compare the offsets asserted now with those before and report the difference: assertions in
 * rising offset order (for each side that is rising severity: non-critical, critical,
 * non-recoverable), deassertions the other way round, as a reading moving back passes them.
 */
static void sensor_change_events(struct sensor *sn, uint16_t now) {
        uint16_t old = sn->event_state;

        sn->event_state = now;
        /* Get Sensor Event Status of a discrete sensor: a state that went away stays reported
         * as deasserted until it is asserted again or re-armed. */
        if (sn->discrete)
                sn->deasserted = (uint16_t) ((sn->deasserted | (old & ~now)) & ~now);
        for (unsigned o = PLATFORM_EVENT_OFFSET_MAX + 1; o-- > 0;)
                if ((old & ~now) & (1u << o))
                        sensor_emit(sn, o, true);
        for (unsigned o = 0; o <= PLATFORM_EVENT_OFFSET_MAX; o++)
                if ((now & ~old) & (1u << o))
                        sensor_emit(sn, o, false);
}

static void sensor_update_events(struct sensor *sn) {
        if (!sn->available || sn->discrete)
                return;         /* discrete: sensor_set_states() */
        sensor_change_events(sn, threshold_offsets(sn->status));
}

void sensor_rearm(struct sensor *sn, uint16_t mask) {
        sn->deasserted &= (uint16_t) ~mask;
        for (unsigned o = 0; o <= PLATFORM_EVENT_OFFSET_MAX; o++)
                if (sn->event_state & mask & (1u << o))
                        sensor_emit(sn, o, false);
}

void sensor_table_rearm_all(struct sensor_table *s) {
        for (unsigned i = 0; i < s->n; i++)
                sensor_rearm(&s->sensors[i], UINT16_MAX);
}

void sensor_set_scanning(struct sensor *sn, bool on) {
        sn->scanning = on;
        /* Off: the last reading would go stale, and a BMC that checks only "reading
         * unavailable" (OpenBMC's IpmbSensor) would go on using it. On: unavailable until
         * the next poll reads it. The event state stays: nothing is known to have changed. */
        if (!on && sn->available)
                sensor_set_reading(sn, false, 0);
}

void sensor_set_states(struct sensor *sn, bool available, uint16_t read) {
        sn->available = available;
        sn->raw = 0;
        sn->status = 0;
        /* Unavailable changes no event state: whether a state holds is unknown, not over. */
        if (available)
                sensor_change_events(sn, sensor_discrete_states(sn, read));
}

void sensor_set_reading(struct sensor *sn, bool available, uint8_t raw) {
        if (sn->discrete) {
                sensor_set_states(sn, available, raw ? sn->states_read : 0);
                return;
        }
        sn->available = available;
        sn->raw = available ? raw : 0;
        sensor_update_status(sn);
        sensor_update_events(sn);
        if (sn->set->on_reading)
                sn->set->on_reading(sn->set->on_reading_userdata, sn);
}

/* ---- polling through the reader ---- */

/* What a result was read from, for messages: the source, or the state whose source failed
 * (failed_state beyond the states: all of them, a read given up as hung). */
static const char *sensor_describe_result(const struct sensor *sn, const struct sensor_reading *res,
                                          char *buf, size_t size) {
        const struct sensor_states_config *st = sn->config->states;
        char source[128];

        if (!st)
                return sensor_source_describe(&sn->config->source, buf, size);
        if (res->failed_state >= st->n) {
                snprintf(buf, size, "its state sources");
                return buf;
        }
        snprintf(buf, size, "state.%s (%s)", st->state[res->failed_state].name,
                 sensor_source_describe(&st->state[res->failed_state].source, source,
                                        sizeof(source)));
        return buf;
}

static void sensor_apply_result(struct sensor *sn, const struct sensor_reading *res) {
        char what[200];                 /* the source, for messages: a path, a line, a register */
        uint8_t raw;

        sn->in_flight = false;
        if (!sn->scanning)
                return;         /* read before scanning was turned off: stale by now */
        if (res->error < 0) {
                /* Once per failure, not per poll: a missing file would flood the log. */
                (void) sensor_describe_result(sn, res, what, sizeof(what));
                if (!sn->failed && res->error == -EBADMSG)
                        log_warning("Sensor %u \"%s\": %s does not hold a number; reading "
                                    "unavailable until it does.", sn->number, sn->name, what);
                else if (!sn->failed)
                        log_warning_errno(res->error, "Sensor %u \"%s\": cannot read %s (%m); "
                                          "reading unavailable until it can.", sn->number,
                                          sn->name, what);
                sn->failed = true;
                sensor_set_reading(sn, false, 0);
                return;
        }
        if (sn->failed)
                log_info("Sensor %u \"%s\": %s readable again.", sn->number, sn->name,
                         sn->config->states ? "its state sources are" :
                         sensor_source_describe(&sn->config->source, what, sizeof(what)));
        sn->failed = false;
        if (sn->config->states) {
                sensor_set_states(sn, true, res->states);
                return;
        }
        /* A value outside the range reads as the end code: the sensor is pinned, not absent.
         * A presence source reads non-zero for "present". */
        if (sn->discrete)
                raw = res->value != 0;
        else
                (void) sensor_linear_to_raw(&sn->linear, res->value, &raw);
        sensor_set_reading(sn, true, raw);
}

/*
 * A read that hangs (a FIFO nobody writes, a wedged I2C hwmon, an SMBus transfer that does not
 * end) must neither stall the loop nor starve the other sensors: the reader gives it up after
 * SENSOR_READ_HUNG_USEC without waiting for its thread. The hung sensor reads as unavailable
 * (logged once) and is tried again after SENSOR_HUNG_RETRY_USEC, once the abandoned read has
 * returned. Runs whenever reads were queued or finished, and at the reader's next deadline.
 */
static void sensor_table_watchdog(struct sensor_table *s) {
        unsigned hung[CONFIG_SENSOR_MAX], n;
        uint64_t next;
        int r;

        n = sensor_reader_watchdog(s->reader, hung, ELEMENTSOF(hung), &next);
        for (unsigned i = 0; i < n; i++) {
                struct sensor *sn = &s->sensors[hung[i]];
                const struct sensor_reading res = { .slot = hung[i], .error = -ETIMEDOUT,
                                                    .failed_state = UINT_MAX };

                sensor_apply_result(sn, &res);
                sn->retry_after = monotonic_usec() + SENSOR_HUNG_RETRY_USEC;
        }
        if (next == UINT64_MAX) {
                r = sd_event_source_set_enabled(s->watchdog, SD_EVENT_OFF);
                if (r < 0)
                        log_error_errno(r, "Failed to stop the sensor watchdog: %m");
                return;
        }
        r = sd_event_source_set_time(s->watchdog, next);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->watchdog, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the sensor watchdog: %m");
}

static int on_watchdog(sd_event_source *source, uint64_t usec, void *userdata) {
        sensor_table_watchdog(userdata);
        return 0;
}

static int on_results(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct sensor_table *s = userdata;
        struct sensor_reading batch[CONFIG_SENSOR_MAX];
        unsigned n;

        n = sensor_reader_take(s->reader, batch, ELEMENTSOF(batch));
        for (unsigned i = 0; i < n; i++)
                sensor_apply_result(&s->sensors[batch[i].slot], &batch[i]);
        /* Nothing outstanding any more turns the watchdog off before it wakes the loop. */
        sensor_table_watchdog(s);
        return 0;
}

/* Queue sn's read unless one is still in flight (a slow or hung source is not queued twice:
 * its answer, when it comes, is the reading). Whether it was queued. */
static bool sensor_poll(struct sensor *sn) {
        struct sensor_table *s = sn->set;
        uint64_t now = monotonic_usec();
        int r;

        if (!sn->scanning || sn->in_flight || now < sn->retry_after)
                return false;
        r = sensor_reader_queue(s->reader, (unsigned) (sn - s->sensors));
        if (r == -EBUSY) {
                /* The read abandoned as hung has still not returned: the sensor stays
                 * unavailable (logged when it was abandoned), and no second thread is stuck. */
                sn->retry_after = now + SENSOR_HUNG_RETRY_USEC;
                return false;
        }
        if (r < 0) {
                log_error_errno(r, "Sensor %u: cannot queue its read: %m", sn->number);
                return false;
        }
        sn->in_flight = true;
        return true;
}

/* The poll timer for the sensors due next (sensor-schedule.h); off when none is scheduled. */
static int sensor_table_arm_polls(struct sensor_table *s) {
        uint64_t earliest, latest;
        int r;

        if (!sensor_schedule_window(s->sensors, s->n, &earliest, &latest))
                return sd_event_source_set_enabled(s->poll_timer, SD_EVENT_OFF);
        r = sd_event_source_set_time(s->poll_timer, earliest);
        /* An accuracy of 0 would be sd-event's default, 250 ms: at least 1 usec. */
        if (r >= 0)
                r = sd_event_source_set_time_accuracy(s->poll_timer, MAX(latest - earliest, 1));
        if (r >= 0)
                r = sd_event_source_set_enabled(s->poll_timer, SD_EVENT_ONESHOT);
        return r;
}

/* Every sensor due by this fire is queued in it: one wake-up of the reader for all of them. */
static int on_poll_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        struct sensor_table *s = userdata;
        uint64_t now = loop_now_usec(sd_event_source_get_event(source));
        bool queued = false;
        int r;

        for (unsigned i = 0; i < s->n; i++) {
                struct sensor *sn = &s->sensors[i];

                /* Its schedule moves on whether it is read now or not (in flight, hung,
                 * scanning off): the next chance is a period later, as for any poll. */
                if (sensor_schedule_take_due(sn, now))
                        queued = sensor_poll(sn) || queued;
        }
        if (queued)
                sensor_table_watchdog(s);
        r = sensor_table_arm_polls(s);
        if (r < 0)
                log_error_errno(r, "Cannot re-arm the sensor poll timer: %m");
        return 0;
}

/* ---- persistence ---- */

/* v as the shortest %.Ng (N = 1..17) that strtod() reads back as exactly v: a person reads
 * 60.1, not 60.100000000000001; 17 digits always round-trip, so the loop always ends. */
static void fprint_shortest_double(FILE *f, double v) {
        char text[32];

        for (int digits = 1; digits <= 17; digits++) {
                snprintf(text, sizeof(text), "%.*g", digits, v);
                if (strtod(text, NULL) == v)
                        break;
        }
        fprintf(f, " %s", text);
}

/*
 * One line per sensor: the section index, then LNC LCR LNR UNC UCR UNR and the positive and
 * negative hysteresis, in engineering units ("none" for an unset threshold). Engineering units
 * rather than raw codes, so that a changed range in the configuration re-converts them.
 */
static int sensor_table_save(struct sensor_table *s) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!s->state)
                return 0;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# satmcd sensor thresholds: N LNC LCR LNR UNC UCR UNR HYST+ HYST-\n");
        for (unsigned i = 0; i < s->n; i++) {
                const struct sensor *sn = &s->sensors[i];
                double step = sensor_linear_step(&sn->linear);

                fprintf(f, "%u", sn->index);
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                        if (sn->defined & (1u << t))
                                fprint_shortest_double(f, sensor_linear_to_value(&sn->linear,
                                                                                 sn->thresholds[t]));
                        else
                                fprintf(f, " none");
                fprint_shortest_double(f, sn->hysteresis_pos * step);
                fprint_shortest_double(f, sn->hysteresis_neg * step);
                fputc('\n', f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        r = state_dir_replace(s->state, SENSORS_STATE_FILE, SENSORS_STATE_TMP, text, len);
        if (r < 0)
                return r;
        /* The file now holds exactly what is in effect: nothing stored is being ignored. */
        s->state_lines_ignored = 0;
        return 0;
}

unsigned sensor_table_state_lines_ignored(const struct sensor_table *s) {
        return s->state_lines_ignored;
}

/* Whether thresholds (raw, bit order) with the bits in defined rise as they must. */
static bool thresholds_ordered(const struct sensor *sn, uint8_t defined, const uint8_t raw[6]) {
        bool have_prev = false;
        int prev = 0;

        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++) {
                unsigned t = sensor_thresholds_rising[o].index;
                int v;

                if (!(defined & (1u << t)))
                        continue;
                v = raw_int(sn, raw[t]);
                if (have_prev && v < prev)
                        return false;
                prev = v;
                have_prev = true;
        }
        return true;
}

/* Apply one line of sensors.state; a line that does not parse, or no longer fits the
 * configuration, is dropped with a warning, and the configured values stay: false. A comment, a
 * blank line or one of a sensor no longer configured (nothing configured is lost) count as
 * read: true. */
static bool sensor_table_load_line(struct sensor_table *s, const char *path, unsigned lineno,
                                   char *line) {
        char *save = NULL, *w;
        uint8_t raw[6] = { 0 }, defined = 0;
        double hyst[2];
        struct sensor *sn = NULL;
        unsigned long index;
        char *end;

        w = strtok_r(line, " \t\n", &save);
        if (!w || w[0] == '#')
                return true;
        index = strtoul(w, &end, 10);
        if (*end || index >= CONFIG_SENSOR_MAX)
                goto bad;
        for (unsigned i = 0; i < s->n; i++)
                if (s->sensors[i].index == index)
                        sn = &s->sensors[i];
        if (!sn) {
                log_info("%s:%u: no [sensor.%lu] any more, ignoring.", path, lineno, index);
                return true;
        }
        for (unsigned t = 0; t < _SENSOR_THR_MAX + 2; t++) {
                double v;

                w = strtok_r(NULL, " \t\n", &save);
                if (!w)
                        goto bad;
                if (t < _SENSOR_THR_MAX && strcmp(w, "none") == 0)
                        continue;
                errno = 0;
                v = strtod(w, &end);
                if (*end || errno || !isfinite(v))
                        goto bad;
                if (t >= _SENSOR_THR_MAX) {
                        hyst[t - _SENSOR_THR_MAX] = v;
                        continue;
                }
                if (sensor_linear_to_raw(&sn->linear, v, &raw[t]) < 0) {
                        log_warning("%s:%u: threshold %g is outside [sensor.%lu]'s range now, "
                                    "keeping the configured thresholds.", path, lineno, v, index);
                        return false;
                }
                defined |= (uint8_t) (1u << t);
        }
        /* A threshold the configuration now makes read-only has its configured value: only a
         * settable one can have been changed for a reason satmcd must remember. */
        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++) {
                uint8_t bit = (uint8_t) (1u << t);

                if (sensor_settable_thresholds(sn) & bit)
                        continue;
                raw[t] = sn->thresholds[t];
                defined = (uint8_t) ((defined & ~bit) | (sn->defined & bit));
        }
        if (!thresholds_ordered(sn, defined, raw) || hyst[0] < 0 || hyst[1] < 0)
                goto bad;
        memcpy(sn->thresholds, raw, sizeof(raw));
        sn->defined = defined;
        sn->hysteresis_pos = (uint8_t) fmin(255, round(hyst[0] / sensor_linear_step(&sn->linear)));
        sn->hysteresis_neg = (uint8_t) fmin(255, round(hyst[1] / sensor_linear_step(&sn->linear)));
        return true;
bad:
        log_warning("%s:%u: not a valid sensor threshold line, ignoring it.", path, lineno);
        return false;
}

/* Read through the state directory (state-dir.h): never by path, never a FIFO or a symlink. */
static int sensor_table_load(struct sensor_table *s) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_free_ uint8_t *text = NULL;
        size_t cap = 0, len = 0;
        unsigned lineno = 0;
        FILE *f;
        int r;

        if (asprintf(&path, "%s/%s", state_dir_path(s->state), SENSORS_STATE_FILE) < 0)
                return -ENOMEM;
        /* A copy whose rename never happened (a crash): the file it was to replace holds. */
        r = state_dir_remove_stale(s->state, SENSORS_STATE_TMP);
        if (r < 0)
                return r;
        if (r > 0)
                log_notice("Removed %s/%s left behind by an interrupted write.",
                           state_dir_path(s->state), SENSORS_STATE_TMP);
        r = state_dir_read_file(s->state, SENSORS_STATE_FILE, SENSORS_STATE_MAX, &text, &len);
        if (r == -ENOENT)
                return 0;       /* nothing was ever set */
        if (r == -EFBIG)
                return log_error_errno(r, "%s is larger than %d bytes: not a file satmcd wrote.",
                                       path, SENSORS_STATE_MAX);
        if (r < 0)
                return r;       /* logged */
        if (len == 0)
                return 0;
        f = fmemopen(text, len, "r");
        if (!f)
                return log_error_errno(errno, "Failed to read %s: %m", path);
        while (getline(&line, &cap, f) >= 0)
                if (!sensor_table_load_line(s, path, ++lineno, line))
                        s->state_lines_ignored++;
        fclose(f);
        return 0;
}

/* The reader, its results on the loop and its watchdog timer (armed when reads are queued). */
static int sensor_table_start_reader(struct sensor_table *s, sd_event *event,
                                     const struct sensor_source_hw *hw) {
        const struct sensor_source_config *sources[CONFIG_SENSOR_MAX];
        const struct sensor_states_config *states[CONFIG_SENSOR_MAX];
        int r;

        for (unsigned i = 0; i < s->n; i++) {
                sources[i] = &s->sensors[i].config->source;
                states[i] = s->sensors[i].config->states;
        }
        r = sensor_reader_new(sources, states, s->n, hw, &s->reader);
        if (r < 0)
                return log_error_errno(r, "Failed to start the sensor reader: %m");
        r = sd_event_add_io(event, &s->results_source, sensor_reader_fd(s->reader), EPOLLIN,
                            on_results, s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the sensor reader: %m");
        (void) sd_event_source_set_description(s->results_source, "sensor-results");
        r = sd_event_add_time(event, &s->watchdog, CLOCK_MONOTONIC, 0,
                              SENSOR_WATCHDOG_ACCURACY_USEC, on_watchdog, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the sensor watchdog: %m");
        (void) sd_event_source_set_description(s->watchdog, "sensor-watchdog");
        return sd_event_source_set_enabled(s->watchdog, SD_EVENT_OFF);
}

/* Whether sn has anything to read: a source, or states with theirs. */
static bool sensor_polled(const struct sensor *sn) {
        return sn->config->source.kind != SENSOR_SOURCE_NONE || sn->config->states;
}

/* First reading at once for every sensor that has a source; the others have no schedule. */
static int sensor_table_start_polls(struct sensor_table *s, sd_event *event) {
        uint64_t now = loop_now_usec(event);
        int r;

        for (unsigned i = 0; i < s->n; i++)
                s->sensors[i].next_due = sensor_polled(&s->sensors[i]) ? now : SENSOR_DUE_NEVER;
        /* Time and accuracy are the window's (sensor_table_arm_polls()). */
        r = sd_event_add_time(event, &s->poll_timer, CLOCK_MONOTONIC, now, 1, on_poll_timer, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the sensor poll timer: %m");
        (void) sd_event_source_set_description(s->poll_timer, "sensor-poll");
        r = sensor_table_arm_polls(s);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the sensor poll timer: %m");
        return 0;
}

int sensor_table_start(struct sensor_table *s, sd_event *event, struct state_dir *state,
                       const struct sensor_source_hw *hw) {
        unsigned polled = 0;
        int r;

        if (state) {
                uint8_t defined[CONFIG_SENSOR_MAX];

                s->state = state;
                for (unsigned i = 0; i < s->n; i++)
                        defined[i] = s->sensors[i].defined;
                r = sensor_table_load(s);
                if (r < 0)
                        return r;
                for (unsigned i = 0; i < s->n; i++)
                        sensor_enable_new_thresholds(&s->sensors[i], defined[i]);
        }
        for (unsigned i = 0; i < s->n; i++)
                polled += sensor_polled(&s->sensors[i]);
        if (polled == 0)
                return 0;       /* nothing to read: no thread, no timer to wake the loop */

        r = sensor_table_start_reader(s, event, hw);
        if (r < 0)
                return r;

        r = sensor_table_start_polls(s, event);
        if (r < 0)
                return r;
        log_info("Sensors: %u, %u of them polled through the reader thread.", s->n, polled);
        return 0;
}

/* ---- changes by command ---- */

/* sn's new set (saved) takes effect: events of new thresholds on, of removed ones off. */
static void thresholds_took_effect(struct sensor *sn, uint8_t old_defined) {
        uint16_t removed;

        sensor_enable_new_thresholds(sn, old_defined);
        /* A threshold without a value generates no events: Get Sensor Event Enable and the
         * SDR's masks must not claim one. */
        removed = threshold_offsets((uint8_t) (old_defined & ~sn->defined));
        sn->assert_enable &= (uint16_t) ~removed;
        sn->deassert_enable &= (uint16_t) ~removed;
        /* Judged afresh against the new set, without the old set's hysteresis memory. */
        sn->status = 0;
        sensor_update_status(sn);
        sensor_update_events(sn);
}

int sensor_set_thresholds(struct sensor_table *s, struct sensor *sn, uint8_t mask,
                          const uint8_t raw[6]) {
        uint8_t new[6];

        if (mask & ~sensor_settable_thresholds(sn))
                return -EPERM;
        memcpy(new, sn->thresholds, sizeof(new));
        for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                if (mask & (1u << t))
                        new[t] = raw[t];
        /* Set Sensor Thresholds gives values; it never takes one away. */
        return sensor_replace_thresholds(s, sn, (uint8_t) (sn->defined | mask), new);
}

int sensor_table_reload(struct sensor_table *s, struct sensor_reload *changes, size_t n) {
        struct was {
                uint8_t thresholds[6], defined, hysteresis_pos, hysteresis_neg;
        };
        _cleanup_free_ struct was *was = NULL;
        bool any = false;
        int r;

        was = calloc(n ?: 1, sizeof(*was));
        if (!was)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct sensor_reload *c = &changes[i];
                struct sensor *sn = c->sensor;

                memcpy(was[i].thresholds, sn->thresholds, sizeof(was[i].thresholds));
                was[i].defined = sn->defined;
                was[i].hysteresis_pos = sn->hysteresis_pos;
                was[i].hysteresis_neg = sn->hysteresis_neg;
                c->result = 0;
                if (c->thresholds && !thresholds_ordered(sn, c->defined, c->raw))
                        c->result = -EINVAL;
                else if (c->thresholds) {
                        memcpy(sn->thresholds, c->raw, sizeof(sn->thresholds));
                        sn->defined = c->defined;
                        any = true;
                }
                if (c->hysteresis) {
                        sn->hysteresis_pos = c->hysteresis_pos;
                        sn->hysteresis_neg = c->hysteresis_neg;
                        any = true;
                }
        }
        if (!any)
                return 0;
        r = sensor_table_save(s);
        if (r < 0) {
                /* Not on disk, so in effect for no sensor: a restart would read the old file. */
                for (size_t i = 0; i < n; i++) {
                        struct sensor *sn = changes[i].sensor;

                        memcpy(sn->thresholds, was[i].thresholds, sizeof(sn->thresholds));
                        sn->defined = was[i].defined;
                        sn->hysteresis_pos = was[i].hysteresis_pos;
                        sn->hysteresis_neg = was[i].hysteresis_neg;
                }
                return log_error_errno(r, "Failed to save sensor thresholds and hysteresis in "
                                       "%s: %m", state_dir_path(s->state));
        }
        for (size_t i = 0; i < n; i++)
                if (changes[i].thresholds && changes[i].result == 0)
                        thresholds_took_effect(changes[i].sensor, was[i].defined);
        return 0;
}

int sensor_replace_thresholds(struct sensor_table *s, struct sensor *sn, uint8_t defined,
                              const uint8_t raw[6]) {
        struct sensor_reload c = { .sensor = sn, .thresholds = true, .defined = defined };
        int r;

        memcpy(c.raw, raw, sizeof(c.raw));
        r = sensor_table_reload(s, &c, 1);
        return r < 0 ? r : c.result;
}

int sensor_set_hysteresis(struct sensor_table *s, struct sensor *sn, uint8_t pos, uint8_t neg) {
        struct sensor_reload c = { .sensor = sn, .hysteresis = true, .hysteresis_pos = pos,
                                   .hysteresis_neg = neg };

        return sensor_table_reload(s, &c, 1);
}
