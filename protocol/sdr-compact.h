/* SPDX-License-Identifier: MIT */
/*
 * Compact Sensor Record, type 0x02 (IPMI v2.0 section 43.2, table 43-2): the record of a
 * discrete sensor, which has states rather than a value to linearise. Byte offsets count from
 * the start of the record, as in sdr.h, and agree with ipmitool's struct
 * sdr_record_compact_sensor (include/ipmitool/ipmi_sdr.h).
 *
 * Pure bytes: no I/O, no allocation, no globals. The parser is safe on any input.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sdr.h"

#define SDR_COMPACT_SENSOR_FIXED 32     /* bytes before the ID string */
#define SDR_COMPACT_SENSOR_MAX  (SDR_COMPACT_SENSOR_FIXED + SDR_ID_STRING_MAX)

struct sdr_compact_sensor {
        uint8_t owner_id;               /* 8-bit IPMB address (bit 0 clear) or software ID */
        uint8_t owner_lun;              /* 0..3 */
        uint8_t channel;                /* 0..15 */
        uint8_t number;                 /* 0..254 */
        uint8_t entity_id;
        uint8_t entity_instance;
        uint8_t init;                   /* SDR_INIT_* */
        uint8_t capabilities;           /* SDR_CAP_* */
        uint8_t sensor_type;
        uint8_t event_type;             /* event/reading type, e.g. 0x6F sensor-specific */
        uint16_t assert_mask;           /* offsets 14:0 that generate assertion events */
        uint16_t deassert_mask;         /* offsets 14:0 that generate deassertion events */
        uint16_t reading_mask;          /* offsets 14:0 that Get Sensor Reading can return */
        uint8_t units1, base_unit, modifier_unit;
        uint8_t direction;              /* 0..3 */
        uint8_t share_count;            /* 0..15; 0 and 1 both mean "this sensor only" */
        uint8_t hysteresis_pos, hysteresis_neg;
        uint8_t oem;
        char id[SDR_ID_STRING_MAX + 1];
        uint8_t id_code;                /* parser only: the type/length byte as found */
};

/*
 * Write the whole record into buf. Returns its length, -EINVAL (record ID 0xFFFF, sensor
 * number 0xFF, a field beyond its width, bit 15 of a mask set, an ID string over 16 bytes) or
 * -EMSGSIZE (cap too small; buf untouched). SDR_COMPACT_SENSOR_MAX always suffices.
 */
int sdr_encode_compact_sensor(uint16_t record_id, const struct sdr_compact_sensor *s,
                              uint8_t *buf, size_t cap);

/*
 * Parse one: its total length, the errors of sdr_parse_header(), -ENOMSG for another record
 * type, -EBADMSG when it is too short or its ID string runs past it. *ret only on success.
 */
int sdr_parse_compact_sensor(const uint8_t *buf, size_t len, struct sdr_header *ret_hdr,
                             struct sdr_compact_sensor *ret);
