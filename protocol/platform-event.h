/* SPDX-License-Identifier: MIT */
/*
 * Platform Event Message request bodies (IPMI v2.0 section 29.3, table 29-5 for the event data):
 * what a sensor's state change looks like on the wire when satmcd reports it to the event
 * receiver as Sensor/Event netFn 0x04, cmd 0x02. Pure: no I/O, no globals.
 *
 * Over IPMB the Generator ID is not in the body: the receiver takes it from the request's rqSA
 * and rqLUN. The body is EvMRev (0x04), sensor type, sensor number, event direction | event
 * type, then event data 1..3. Event data 1 says in bits 7:6 and 5:4 what event data 2 and 3
 * hold; a byte the flags call unspecified is not sent, so the body is 5, 6 or 7 bytes and its
 * length always matches its flags (a receiver that stores 0xFF for a missing byte sees the
 * same thing either way).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLATFORM_EVENT_EVMREV           0x04    /* IPMI v2.0 event message format */
#define PLATFORM_EVENT_MAX_LEN          7
#define PLATFORM_EVENT_OFFSET_MAX       14      /* 15 event offsets per sensor, 0..14 */

/* Event/Reading Type codes (IPMI v2.0 table 42-1) satmcd generates. */
enum {
        EVENT_TYPE_THRESHOLD            = 0x01,
        EVENT_TYPE_SENSOR_SPECIFIC      = 0x6F,
};

/* What event data 2 / 3 hold: event data 1 bits 7:6 / 5:4 for threshold sensors. */
enum platform_event_data {
        PLATFORM_EVENT_DATA_UNSPECIFIED = 0,    /* byte not sent */
        PLATFORM_EVENT_DATA_TRIGGER     = 1,    /* ed2: trigger reading, ed3: trigger threshold */
        PLATFORM_EVENT_DATA_OEM         = 2,
        PLATFORM_EVENT_DATA_SPECIFIC    = 3,    /* sensor-specific extension */
};

struct platform_event {
        uint8_t sensor_type;            /* table 42-3 */
        uint8_t sensor_number;
        uint8_t event_type;             /* 7 bits, table 42-1 */
        bool deassertion;
        uint8_t offset;                 /* 0..14 */
        enum platform_event_data data2_kind, data3_kind;
        uint8_t data2, data3;
        /* The sensor owner's LUN (0..3): not in the body, but half of the generator ID, so
         * the request is sent from it (rqLUN). Ignored by encode; decode leaves it 0. */
        uint8_t generator_lun;
};

/*
 * The event offset of a threshold crossing (table 42-2): threshold i (SDR_THR_* bit index:
 * LNC, LCR, LNR, UNC, UCR, UNR) going low is offset 2i, going high 2i + 1. A lower threshold is
 * crossed going low and an upper one going high, so this picks the one that matters.
 */
static inline uint8_t platform_event_threshold_offset(unsigned threshold) {
        return (uint8_t) (2 * threshold + (threshold >= 3));
}

/* The event a threshold sensor reports when threshold (0..5) is crossed (or, with deassertion,
 * no longer is) at raw reading `reading`, the threshold being raw `threshold_raw`. */
void platform_event_threshold(uint8_t sensor_type, uint8_t sensor_number, unsigned threshold,
                              bool deassertion, uint8_t reading, uint8_t threshold_raw,
                              struct platform_event *ret);

/*
 * Decode a request body (what an event receiver gets): 5..7 bytes starting with EvMRev 0x04.
 * The data kinds come from event data 1 bits 7:6 and 5:4. Returns 0, or -EBADMSG (wrong
 * length, EvMRev not 0x04, offset nibble 15, flags announcing a byte that is not there).
 * A byte sent although its flags call it unspecified is kept (0xFF by convention).
 */
int platform_event_decode(const uint8_t *buf, size_t len, struct platform_event *ret);

/*
 * Encode the request body into buf (cap bytes). Returns its length (5..7), -EINVAL for a field
 * out of range (event type > 0x7F, offset > 14, a data kind > 3), -EMSGSIZE if cap is short.
 */
int platform_event_encode(const struct platform_event *ev, uint8_t *buf, size_t cap);

/*
 * One line for a person (an event receiver's log): "temperature, upper non-critical going high
 * asserted, reading 0x5a, threshold 0x50". Names from ipmi-names.c, hex for what has none; the
 * reading and threshold when event data 2 / 3 carry the trigger values. Cut to cap - 1 bytes.
 */
void platform_event_describe(const struct platform_event *ev, char *buf, size_t cap);
