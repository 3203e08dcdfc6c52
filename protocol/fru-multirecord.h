/* SPDX-License-Identifier: MIT */
/*
 * Multirecord area records (Platform Management FRU Information Storage Definition v1.0
 * rev 1.3, section 16 and 18): the typed records a power supply describes itself with, encoded
 * from fields, and a check of any record of a known type against its layout.
 *
 * Pure bytes: no I/O, no allocation, no globals. fru_record_check() is safe on any input.
 * Multi-byte fields are least significant byte first, as everywhere in the FRU spec.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRU_RECORD_HEADER_LEN           5
#define FRU_RECORD_DATA_MAX             255     /* one length byte */

#define FRU_RECORD_POWER_SUPPLY         0x00    /* 18.1 Power Supply Information */
#define FRU_RECORD_DC_OUTPUT            0x01    /* 18.2 DC Output */
#define FRU_RECORD_DC_LOAD              0x02    /* 18.3 DC Load */
#define FRU_RECORD_MANAGEMENT_ACCESS    0x03    /* 18.4 Management Access */

#define FRU_POWER_SUPPLY_LEN            24
#define FRU_DC_OUTPUT_LEN               13
#define FRU_DC_LOAD_LEN                 13

/* Management Access sub-record types (table 18-6), 0x01..0x07. */
enum fru_management_access {
        FRU_MGMT_SYSTEM_URL = 0x01,
        FRU_MGMT_SYSTEM_NAME = 0x02,
        FRU_MGMT_SYSTEM_PING_ADDRESS = 0x03,
        FRU_MGMT_COMPONENT_URL = 0x04,
        FRU_MGMT_COMPONENT_NAME = 0x05,
        FRU_MGMT_COMPONENT_PING_ADDRESS = 0x06,
        FRU_MGMT_SYSTEM_UNIQUE_ID = 0x07,
        _FRU_MGMT_MAX,
};

/* Combined-wattage voltages (table 18-1, byte 20 nibbles). */
enum fru_combined_voltage {
        FRU_COMBINED_12V = 0,
        FRU_COMBINED_MINUS_12V = 1,
        FRU_COMBINED_5V = 2,
        FRU_COMBINED_3V3 = 3,
};

/* One record as the builder takes it: the data, without the 5-byte header. */
struct fru_record {
        uint8_t type;
        uint8_t len;
        const uint8_t *data;
};

/* 18.1: every field in the unit the record stores it in. */
struct fru_power_supply {
        uint16_t capacity_w;                    /* overall capacity, 12 bits */
        uint16_t peak_va;                       /* 0xFFFF: not specified */
        uint8_t inrush_current_a;               /* 0xFF: not specified */
        uint8_t inrush_interval_ms;
        struct {
                uint16_t low_10mv, high_10mv;
        } input[2];                             /* input voltage ranges; the second 0..0 if none */
        uint8_t frequency_low_hz, frequency_high_hz;
        uint8_t dropout_tolerance_ms;           /* AC dropout tolerance */
        bool predictive_fail;                   /* flag bit 0: a predictive fail pin */
        bool power_factor_correction;           /* bit 1 */
        bool autoswitch;                        /* bit 2: input voltage autoswitch */
        bool hot_swap;                          /* bit 3 */
        /* Bit 4: with a tachometer output (tach_lower_rps > 0), 1 = two pulses per rotation;
         * with a pass/fail pin, 1 = failure when the pin is de-asserted (active high). */
        bool tach_or_polarity;
        uint16_t peak_w;                        /* peak capacity, 12 bits */
        uint8_t hold_up_s;                      /* hold-up time at peak, 4 bits */
        uint8_t combined_voltage[2];            /* enum fru_combined_voltage, 4 bits each */
        uint16_t combined_w;                    /* total combined wattage; 0 = none */
        uint8_t tach_lower_rps;                 /* predictive fail tachometer threshold, RPS */
};

/* 18.2: voltages signed in 10 mV, ripple in mV, currents in mA. */
struct fru_dc_output {
        uint8_t number;                         /* 0..15 */
        bool standby;
        int16_t nominal_10mv;
        int16_t negative_deviation_10mv;        /* maximum negative voltage deviation */
        int16_t positive_deviation_10mv;
        uint16_t ripple_mv;                     /* ripple and noise pk-pk, 10 Hz to 30 MHz */
        uint16_t min_current_ma, max_current_ma;
};

/* 18.3: the load a board's rail puts on its supply. */
struct fru_dc_load {
        uint8_t number;                         /* 0..15 */
        int16_t nominal_10mv;
        int16_t min_10mv, max_10mv;             /* specified minimum and maximum voltage */
        uint16_t ripple_mv;
        uint16_t min_current_ma, max_current_ma;
};

/* The record data, FRU_POWER_SUPPLY_LEN bytes. 0, or -EINVAL for a field wider than its bits
 * (out untouched). */
int fru_encode_power_supply(const struct fru_power_supply *ps, uint8_t out[FRU_POWER_SUPPLY_LEN]);
/* FRU_DC_OUTPUT_LEN bytes. 0, or -EINVAL for an output number above 15. */
int fru_encode_dc_output(const struct fru_dc_output *dc, uint8_t out[FRU_DC_OUTPUT_LEN]);
/* FRU_DC_LOAD_LEN bytes. 0, or -EINVAL for an output number above 15. */
int fru_encode_dc_load(const struct fru_dc_load *dl, uint8_t out[FRU_DC_LOAD_LEN]);

/* The smallest and largest data length (after the sub-record type byte) of a Management
 * Access sub-record type; false for a type outside 0x01..0x07. */
bool fru_management_access_limits(uint8_t subtype, size_t *min, size_t *max);

/*
 * Check one record's data against its type's layout: the length of types 0x00..0x03 (24, 13,
 * 13, sub-record type + 8..64 / 16..254 / 16 bytes), reserved bits zero, ranges that are
 * low..high in that order, combined-wattage voltages 0..3, a Management Access sub-record
 * type 0x01..0x07. Types the spec leaves open (0x04..0x0F, OEM 0xC0..0xFF) pass. 0, or -EINVAL
 * with the first problem in reason (a sentence naming the field, NUL-terminated).
 */
int fru_record_check(uint8_t type, const uint8_t *data, size_t len, char *reason,
                     size_t reason_len);

/* Bytes of the multirecord area these records make: headers and data. */
size_t fru_multirecord_size(const struct fru_record *records, size_t n);

/*
 * The multirecord area: every record with its header (type, format version 2, end-of-list on
 * the last, length, data checksum, header checksum). Returns its length, -ENOBUFS if cap is
 * smaller than fru_multirecord_size(), or -EINVAL for a record fru_record_check() refuses.
 */
ssize_t fru_multirecord_build(const struct fru_record *records, size_t n, uint8_t *buf, size_t cap);
