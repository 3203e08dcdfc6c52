/* SPDX-License-Identifier: MIT */
/*
 * Sensors from [sensor.N]: threshold sensors (a value with linear conversion, raw thresholds
 * and hysteresis) and presence sensors (discrete: present or absent), the latest reading, the
 * events it implies, and the polling that produces it.
 *
 * Polling never blocks the event loop: a read of sysfs (or of a FIFO nobody writes, or a GPIO
 * or SMBus device, daemon/sensor-source.c) can take any time, so the table's one poll timer
 * only queues the sensors that are due (daemon/sensor-schedule.h) for the sensor reader
 * (daemon/sensor-reader.h), whose worker thread reads each source and hands the result back
 * through an eventfd watched by the loop. All sensor state is touched on the loop thread only.
 * A read that hangs is given up after 2 s without waiting for its thread (the sensor reads as
 * unavailable), and the sensors queued behind a slow read get a fresh worker after 250 ms.
 * A sensor whose read is still in flight, or whose abandoned read has not returned yet, is not
 * queued again.
 *
 * Events: each reading is turned into the set of event offsets asserted now; the difference
 * from the previous set is reported through the callback given to sensor_table_on_event() (the
 * manager queues them as Platform Event Messages, daemon/event-sender.c).
 *
 * Set Sensor Thresholds / Hysteresis persist the whole set to <state-directory>/sensors.state
 * (write a copy, fsync, rename, fsync the directory, as the FRU store does), read back at start.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "protocol/platform-event.h"
#include "protocol/sdr.h"
#include "protocol/sensor-linear.h"
#include "sensor-source.h"

struct sensor_table;
struct sensor;
struct state_dir;

/* Called on the loop thread for every event a sensor generates (enables already applied). */
typedef void (*sensor_event_fn)(void *userdata, const struct platform_event *ev);

struct sensor {
        struct sensor_table *set;
        const struct sensor_config *config;
        unsigned index;                 /* [sensor.N] */
        /* Its address: the sensor commands find it by (LUN, number), its SDR and its events
         * carry both (number and lun keys; number defaults to index + 1 on LUN 0). */
        uint8_t number;
        uint8_t lun;
        bool discrete;                  /* states (event_type below), not a value */
        char name[SDR_ID_STRING_MAX + 1];
        struct sensor_linear linear;
        uint8_t thresholds[6];          /* raw, SDR_THR_* bit order */
        uint8_t defined;                /* SDR_THR_* bits with a threshold value */
        uint8_t hysteresis_pos, hysteresis_neg;         /* raw counts */

        bool available;                 /* raw holds a reading */
        uint8_t raw;
        uint8_t status;                 /* SDR_THR_* bits asserted (with hysteresis) */
        bool failed;                    /* the last read failed and that was logged */

        /* Events, by event offset bit (threshold i: offset 2i going low for a lower
         * threshold, 2i + 1 going high for an upper one). */
        bool events_enabled;            /* event messages for the whole sensor */
        bool scanning;                  /* polled; off: the reading stays as it was */
        uint16_t assert_enable, deassert_enable;
        uint16_t event_state;           /* offsets asserted at the last available reading */

        /* Discrete sensors (sensor-discrete.c): states instead of a value. */
        uint8_t event_type;             /* event/reading type: 0x01 threshold, else discrete */
        uint16_t states_read;           /* offsets read from a source of their own */
        uint16_t states_supported;      /* those, and the opposite of a paired one */
        uint16_t assert_mask, deassert_mask;    /* configured events (the SDR's masks) */
        uint16_t deasserted;            /* offsets deasserted since their last assertion or
                                         * re-arm: Get Sensor Event Status */
        bool compact;                   /* published as a Compact Sensor Record */

        bool in_flight;                 /* queued for or being read by the worker */
        uint64_t retry_after;           /* CLOCK_MONOTONIC usec; a hung read backs off */
        /* CLOCK_MONOTONIC usec of its next poll, on the table's one poll timer
         * (sensor-schedule.h); SENSOR_DUE_NEVER: nothing to read, no schedule. */
        uint64_t next_due;
};

/* From the configuration alone (no I/O, no thread). Sensors are in section order. */
int sensor_table_new(const struct satmc_config *config, struct sensor_table **ret);
struct sensor_table *sensor_table_free(struct sensor_table *s);
static inline void sensor_table_freep(struct sensor_table **s) {
        sensor_table_free(*s);
}

unsigned sensor_table_count(const struct sensor_table *s);
struct sensor *sensor_table_get(struct sensor_table *s, unsigned i);
/* By owner LUN and IPMI sensor number; NULL if there is none. */
struct sensor *sensor_table_find(struct sensor_table *s, uint8_t lun, uint8_t number);

/* The Full Sensor Record for sensor i, owned by address on the sensor's LUN. */
void sensor_sdr_record(const struct sensor *sn, uint8_t address, struct sdr_full_sensor *ret);

/*
 * Read persisted thresholds from state (the Manager's open state directory, borrowed: it must
 * outlive the set; NULL: nothing persisted), start the reader (reading GPIO and SMBus sources
 * through hw, see sensor_reader_new(); NULL: the real hardware) and the timers. -errno when
 * something that is not a file of ours sits at sensors.state or sensors.state.tmp (logged). A
 * sensor without a source stays "reading unavailable".
 */
int sensor_table_start(struct sensor_table *s, sd_event *event, struct state_dir *state,
                       const struct sensor_source_hw *hw);

/* How many lines of sensors.state sensor_table_start() dropped (they did not parse, or a
 * threshold no longer fits its sensor's range): the configured values are served instead of
 * what was stored. 0 again once the thresholds are saved anew (the file then holds what is in
 * effect). Get Self Test Results reports it. */
unsigned sensor_table_state_lines_ignored(const struct sensor_table *s);

/* Where generated events go; NULL = nowhere. */
void sensor_table_on_event(struct sensor_table *s, sensor_event_fn fn, void *userdata);

/* Called on the loop thread after every sensor_set_reading(), available or not (the fan
 * policy, daemon/fan-control.h); NULL = nobody. */
typedef void (*sensor_reading_fn)(void *userdata, const struct sensor *sn);
void sensor_table_on_reading(struct sensor_table *s, sensor_reading_fn fn, void *userdata);

/*
 * A new reading (tests, and the worker's results): raw or unavailable; updates the status and
 * generates an assertion event for each offset that became asserted and a deassertion event for
 * each that no longer is, if enabled. An unavailable reading changes no event state: whether a
 * threshold is crossed is unknown then, not over.
 */
void sensor_set_reading(struct sensor *sn, bool available, uint8_t raw);

/*
 * A new reading of a discrete sensor: the offsets whose sources read non-zero (a subset of
 * states_read), or unavailable. Events as sensor_set_reading(). For a discrete sensor,
 * sensor_set_reading() takes raw != 0 as "the one state read is asserted" (presence).
 */
void sensor_set_states(struct sensor *sn, bool available, uint16_t read);

/* Sensor scanning on or off (Set Sensor Event Enable): off stops polling, and so events, and
 * the reading is unavailable until a poll after scanning is back on. */
void sensor_set_scanning(struct sensor *sn, bool on);

/* The event offsets this sensor can generate: those of its thresholds that have a value
 * (a threshold given one later adds its offsets, enabled). */
uint16_t sensor_supported_events(const struct sensor *sn);

/* The same, as assertions and as deassertions: a threshold sensor's assertion-events and
 * deassertion-events keys narrow them (the SDR's event masks, where Set Sensor Event Enable
 * starts from and which it cannot go beyond). */
uint16_t sensor_supported_assertions(const struct sensor *sn);
uint16_t sensor_supported_deassertions(const struct sensor *sn);

/* The thresholds (SDR_THR_* bits) Set Sensor Thresholds may change (settable-thresholds). */
uint8_t sensor_settable_thresholds(const struct sensor *sn);

/*
 * Threshold t's byte in Get Sensor Thresholds and in the Full Sensor Record: its raw value if
 * it has one, else the far end of the codes on its side (0x00/0xFF unsigned, 0x80/0x7F
 * two's complement), which no reading inside the range crosses.
 */
uint8_t sensor_threshold_raw(const struct sensor *sn, unsigned t);

/* Generate the assertion events again for the offsets in mask that are asserted now (Re-arm
 * Sensor Events; a new event receiver). Enables apply. */
void sensor_rearm(struct sensor *sn, uint16_t mask);
void sensor_table_rearm_all(struct sensor_table *s);

/*
 * Change thresholds (mask of SDR_THR_* bits, values raw in bit order) or hysteresis. -EINVAL
 * when the result would not be ordered LNR <= LCR <= LNC <= UNC <= UCR <= UNR, -EPERM when
 * mask names a threshold that is not settable (nothing changes then). Persisted when a
 * state directory was given to sensor_table_start(); -errno if that write fails (the change is
 * then undone).
 */
int sensor_set_thresholds(struct sensor_table *s, struct sensor *sn, uint8_t mask,
                          const uint8_t raw[6]);
int sensor_set_hysteresis(struct sensor_table *s, struct sensor *sn, uint8_t pos, uint8_t neg);

/* One sensor's part of a configuration reload, for sensor_table_reload(). */
struct sensor_reload {
        struct sensor *sensor;
        bool thresholds;                /* replace the set with defined and raw[] */
        uint8_t defined;                /* SDR_THR_* bits with a value afterwards */
        uint8_t raw[6];                 /* raw, bit order */
        bool hysteresis;                /* take hysteresis_pos and hysteresis_neg */
        uint8_t hysteresis_pos, hysteresis_neg;
        int result;                     /* out: 0, or -EINVAL: thresholds out of order, not
                                         * applied (its hysteresis still is) */
};

/*
 * Apply a reload's threshold sets and hysteresis to n sensors with one write of the state file:
 * a set replaces the sensor's whole set (exactly the bits in defined have values afterwards, so
 * a threshold the file no longer names is removed, its events disabled). One write, not one per
 * sensor, because each write is two fsync()s on the loop: a reload of 22 changed sensors took
 * 77-432 ms with a busy disk. A set out of order is left out (its result -EINVAL), the others
 * go on. If the write fails, no sensor changes and -errno is returned.
 */
int sensor_table_reload(struct sensor_table *s, struct sensor_reload *changes, size_t n);

/* sensor_table_reload() of one sensor's threshold set: 0, -EINVAL or the write's -errno. */
int sensor_replace_thresholds(struct sensor_table *s, struct sensor *sn, uint8_t defined,
                              const uint8_t raw[6]);
