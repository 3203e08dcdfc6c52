/* SPDX-License-Identifier: MIT */
/*
 * Sensor Data Records (IPMI v2.0 section 43): encoders for the records a satellite publishes
 * (Full Sensor 0x01, FRU Device Locator 0x11, Management Controller Device Locator 0x12), a
 * decoder for the header and the Full Sensor Record, and the byte-range read behind Get
 * Device SDR / Get SDR.
 *
 * Every record starts with the same 5 bytes: record ID (2, LE), SDR version 0x51, record type,
 * and the number of bytes that follow. Byte offsets below count from the start of the record
 * (offset = the spec's 1-based byte number - 1) and agree with ipmitool's packed structs
 * (include/ipmitool/ipmi_sdr.h: struct sdr_record_full_sensor, sdr_record_fru_locator,
 * sdr_record_mc_locator, each starting at offset 5).
 *
 * Pure bytes: no I/O, no allocation, no globals. The parsers are safe on any input of any
 * length. Multi-bit fields are given unshifted (a LUN is 0..3) and checked against their width.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor-linear.h"

#define SDR_VERSION             0x51
#define SDR_HEADER_LEN          5
#define SDR_ID_STRING_MAX       16
#define SDR_ID_TYPE_ASCII8      0xC0    /* type/length byte: 11b = 8-bit ASCII + Latin-1 */
#define SDR_RECORD_ID_LAST      0xFFFF  /* "next record ID" after the last record; never a record's */
#define SDR_READ_WHOLE          0xFF    /* Get SDR byte count: the rest of the record */

#define SDR_FULL_SENSOR_FIXED   48      /* bytes before the ID string */
#define SDR_FULL_SENSOR_MAX     (SDR_FULL_SENSOR_FIXED + SDR_ID_STRING_MAX)
#define SDR_LOCATOR_FIXED       16      /* FRU and MC locators alike */
#define SDR_LOCATOR_MAX         (SDR_LOCATOR_FIXED + SDR_ID_STRING_MAX)

enum sdr_record_type {
        SDR_TYPE_FULL_SENSOR    = 0x01,
        SDR_TYPE_COMPACT_SENSOR = 0x02,
        SDR_TYPE_FRU_LOCATOR    = 0x11,
        SDR_TYPE_MC_LOCATOR     = 0x12,
};

/* Thresholds as bits, in the order of the reading mask and of Get/Set Sensor Thresholds. */
enum {
        SDR_THR_LNC = 1 << 0,
        SDR_THR_LCR = 1 << 1,
        SDR_THR_LNR = 1 << 2,
        SDR_THR_UNC = 1 << 3,
        SDR_THR_UCR = 1 << 4,
        SDR_THR_UNR = 1 << 5,
        SDR_THR_LOWER = SDR_THR_LNC | SDR_THR_LCR | SDR_THR_LNR,
        SDR_THR_UPPER = SDR_THR_UNC | SDR_THR_UCR | SDR_THR_UNR,
        SDR_THR_ALL = SDR_THR_LOWER | SDR_THR_UPPER,
};

/* Sensor Initialization (offset 10). */
enum {
        SDR_INIT_SCANNING_ENABLED = 1 << 0,     /* sensor scanning enabled at start */
        SDR_INIT_EVENTS_ENABLED   = 1 << 1,     /* event generation enabled at start */
        SDR_INIT_SENSOR_TYPE      = 1 << 2,     /* the init agent sets these from the SDR: */
        SDR_INIT_HYSTERESIS       = 1 << 3,
        SDR_INIT_THRESHOLDS       = 1 << 4,
        SDR_INIT_EVENTS           = 1 << 5,
        SDR_INIT_SCANNING         = 1 << 6,
        SDR_INIT_SETTABLE         = 1 << 7,     /* sensor accepts Set Sensor Reading */
};

/* Sensor Capabilities (offset 11): hysteresis and threshold access are 2-bit fields. */
enum sdr_access {
        SDR_ACCESS_NONE     = 0,
        SDR_ACCESS_READABLE = 1,
        SDR_ACCESS_SETTABLE = 2,                /* readable and settable */
        SDR_ACCESS_FIXED    = 3,                /* fixed, unreadable */
};
#define SDR_CAP_EVENTS_PER_THRESHOLD    0x00
#define SDR_CAP_EVENTS_ENTIRE_SENSOR    0x01
#define SDR_CAP_EVENTS_GLOBAL_ONLY      0x02
#define SDR_CAP_EVENTS_NONE             0x03
#define SDR_CAP_THRESHOLDS(access)      ((uint8_t) ((access) << 2))
#define SDR_CAP_HYSTERESIS(access)      ((uint8_t) ((access) << 4))
#define SDR_CAP_AUTO_REARM              0x40
#define SDR_CAP_IGNORE                  0x80

/* Analog characteristic flags (offset 30). */
enum {
        SDR_ANALOG_NOMINAL    = 1 << 0,
        SDR_ANALOG_NORMAL_MAX = 1 << 1,
        SDR_ANALOG_NORMAL_MIN = 1 << 2,
};

#define SDR_EVENT_TYPE_THRESHOLD        0x01
#define SDR_DEVICE_TYPE_FRU_INVENTORY   0x10

struct sdr_header {
        uint16_t record_id;
        uint8_t version;
        uint8_t type;
        uint8_t length;                 /* bytes after the header */
};

/* Management Controller Device Locator, type 0x12. */
struct sdr_mc_locator {
        uint8_t slave_address;          /* 8-bit form, bit 0 clear */
        uint8_t channel;                /* 0..15 */
        uint8_t power_state_notification;       /* 0..7, bits 7:5 of offset 7 (ACPI) */
        uint8_t global_init;            /* 0..15, bits 3:0: init agent logging, event generation */
        uint8_t capabilities;           /* IPMI_DEVSUP_* bits, as in Get Device ID */
        uint8_t entity_id;
        uint8_t entity_instance;
        uint8_t oem;
        char id[SDR_ID_STRING_MAX + 1]; /* NUL-terminated, at most 16 bytes */
};

/* FRU Device Locator, type 0x11. */
struct sdr_fru_locator {
        uint8_t access_address;         /* controller's 8-bit address, bit 0 clear */
        uint8_t fru_device_id;          /* logical device: FRU device ID; else 8-bit slave address */
        bool logical;                   /* reached with Read FRU Data on the controller */
        uint8_t access_lun;             /* 0..3 */
        uint8_t private_bus;            /* 0..7 */
        uint8_t channel;                /* 0..15 */
        uint8_t device_type;            /* SDR_DEVICE_TYPE_FRU_INVENTORY */
        uint8_t device_type_modifier;
        uint8_t entity_id;
        uint8_t entity_instance;
        uint8_t oem;
        char id[SDR_ID_STRING_MAX + 1];
};

/*
 * Full Sensor Record, type 0x01. Readings, thresholds and nominal values are raw codes (use
 * sensor_linear_to_raw()), hysteresis and tolerance are counts of raw steps.
 */
struct sdr_full_sensor {
        uint8_t owner_id;               /* 8-bit IPMB address (bit 0 clear) or software ID */
        uint8_t owner_lun;              /* 0..3 */
        uint8_t channel;                /* 0..15 */
        uint8_t number;                 /* 0..254; 0xFF is reserved */
        uint8_t entity_id;
        uint8_t entity_instance;        /* bit 7: device-relative */
        uint8_t init;                   /* SDR_INIT_* */
        uint8_t capabilities;           /* SDR_CAP_* */
        uint8_t sensor_type;            /* 0x01 temperature, 0x02 voltage, 0x04 fan, ... */
        uint8_t event_type;             /* event/reading type code, 0x01 threshold */
        uint16_t assert_mask;           /* bits 11:0 events; thresholds: 14:12 lower reading mask */
        uint16_t deassert_mask;         /* thresholds: 14:12 upper reading mask */
        uint16_t reading_mask;          /* thresholds: readable SDR_THR_* | settable << 8 */
        /* Sensor Units 1: rate (5:3), modifier unit (2:1), percentage (0). Bits 7:6, the
         * analog data format, follow linear.is_signed: the encoder takes 00b and fills them
         * in, or takes them as they are when they agree. The parser fills all 8 bits. */
        uint8_t units1;
        uint8_t base_unit;              /* Sensor Units 2, e.g. 0x01 degrees C, 0x04 volts */
        uint8_t modifier_unit;          /* Sensor Units 3 */
        uint8_t linearization;          /* 0x00 linear; the encoder writes what is given */
        struct sensor_linear linear;
        uint8_t tolerance;              /* 0..63, +- half raw counts */
        uint16_t accuracy;              /* 0..1023, units of 0.01 % */
        uint8_t accuracy_exp;           /* 0..3 */
        uint8_t direction;              /* 0..3: unspecified, input, output */
        uint8_t analog_flags;           /* SDR_ANALOG_* */
        uint8_t nominal;
        uint8_t normal_max;
        uint8_t normal_min;
        uint8_t sensor_max;
        uint8_t sensor_min;
        uint8_t unr, ucr, unc;          /* upper thresholds */
        uint8_t lnr, lcr, lnc;          /* lower thresholds */
        uint8_t hysteresis_pos;         /* positive-going threshold hysteresis */
        uint8_t hysteresis_neg;
        uint8_t oem;
        /* The encoder writes 8-bit ASCII, type/length 0xC0 | strlen(id). The parser copies the
         * bytes as found (any type; id_code holds the type/length byte) and adds a NUL. */
        char id[SDR_ID_STRING_MAX + 1];
        uint8_t id_code;                /* parser only */
};

/*
 * Encoders: write the whole record (header included) for record_id into buf. Return its
 * length, or -EINVAL (record_id 0xFFFF, a field beyond its bit width, an ID string longer than
 * 16 bytes, sensor number 0xFF, linear parameters failing sensor_linear_check(), reserved
 * mask bits set, units1 bits 7:6 contradicting linear.is_signed) or -EMSGSIZE (cap is smaller
 * than the record; buf untouched). SDR_FULL_SENSOR_MAX / SDR_LOCATOR_MAX is always enough.
 */
int sdr_encode_mc_locator(uint16_t record_id, const struct sdr_mc_locator *mc,
                          uint8_t *buf, size_t cap);
int sdr_encode_fru_locator(uint16_t record_id, const struct sdr_fru_locator *fru,
                           uint8_t *buf, size_t cap);
int sdr_encode_full_sensor(uint16_t record_id, const struct sdr_full_sensor *s,
                           uint8_t *buf, size_t cap);

/*
 * Masks of a threshold sensor from four SDR_THR_* sets: the thresholds it compares against
 * (readable), those Set Sensor Thresholds may change (settable), and those that generate
 * assertion and deassertion events - going low for lower thresholds, going high for upper
 * ones (only readable ones do). Sets assert_mask, deassert_mask and reading_mask.
 */
void sdr_threshold_masks(uint8_t readable, uint8_t settable, uint8_t assert_events,
                         uint8_t deassert_events, struct sdr_full_sensor *s);

/*
 * The header at buf. Returns the record's total length (header included), or
 *   -EBADMSG           fewer than 5 bytes, or the length byte claims more than len holds;
 *   -EPROTONOSUPPORT   SDR version is not 0x51.
 * *ret (if non-NULL) is filled whenever 5 bytes are there.
 */
int sdr_parse_header(const uint8_t *buf, size_t len, struct sdr_header *ret);

/*
 * What every record of the sensor and locator types shares, for their encoders and parsers
 * (sdr.c, sdr-compact.c): the 5-byte header, and an ID string behind a type/length byte.
 *
 * sdr_put_header() writes the header of a record of total bytes (header included);
 * sdr_put_id_string() the type/length byte 0xC0 | n (8-bit ASCII) at p and the n bytes of id
 * after it. sdr_id_string_length() is the length the encoder writes (more than
 * SDR_ID_STRING_MAX: too long).
 *
 * sdr_parse_record() checks a record of type with fixed bytes before its ID string, whose
 * type/length byte is the last of them: returns its total length, the errors of
 * sdr_parse_header(), -ENOMSG for another type, or -EBADMSG (shorter than fixed, an ID string
 * over SDR_ID_STRING_MAX or past the record). Then sdr_parse_id_string() copies that string,
 * NUL-terminated, and its type/length byte.
 */
void sdr_put_header(uint8_t *buf, uint16_t record_id, uint8_t type, size_t total);
void sdr_put_id_string(uint8_t *p, const char *id, size_t n);
size_t sdr_id_string_length(const char id[static SDR_ID_STRING_MAX + 1]);
int sdr_parse_record(const uint8_t *buf, size_t len, uint8_t type, size_t fixed,
                     struct sdr_header *ret_hdr);
void sdr_parse_id_string(const uint8_t *buf, size_t fixed, char id[static SDR_ID_STRING_MAX + 1],
                         uint8_t *ret_id_code);

/*
 * A Full Sensor Record. Returns its total length, the errors of sdr_parse_header(), or
 *   -ENOMSG   another record type;
 *   -EBADMSG  the record is too short for the fixed fields, or the ID string's length is
 *             above 16 or runs past the record.
 * Bytes after the ID string (some controllers pad) are ignored. *ret (if non-NULL) is only
 * written on success.
 */
int sdr_parse_full_sensor(const uint8_t *buf, size_t len, struct sdr_header *ret_hdr,
                          struct sdr_full_sensor *ret);

/*
 * A repository: encoded records back to back, as the encoders leave them in one buffer. The
 * records are found by their own length bytes, so there is no separate index to keep in step.
 */
struct sdr_repo {
        const uint8_t *buf;
        size_t len;
};

/*
 * Validate the repository the daemon built: every header complete and version 0x51, record
 * IDs unique and not 0xFFFF, 0x0000 only for the first record (Get SDR reads ID 0 as "the
 * first record"). Returns the number of records (fewer than 0xFFFF), or -EBADMSG.
 */
int sdr_repo_check(const struct sdr_repo *repo);

/*
 * Get Device SDR / Get SDR, without the reservation: count bytes from offset in the record
 * with record_id (0x0000 = the first record; SDR_READ_WHOLE = to the end of the record) into
 * out. A count reaching past the end of the record is answered in full, the bytes past the end
 * being zeros: IPMI v2.0 33.12 answers "the requested bytes", ipmitool and OpenIPMI never ask
 * past the end and copy only what they asked for, and OpenBMC's IpmbSDRSensor asks for 16
 * bytes at a time and drops any answer shorter than that (docs/sensors.md). Returns the
 * number of bytes written (count, or the rest of the record for SDR_READ_WHOLE) and
 * sets *ret_next to the following record's ID, SDR_RECORD_ID_LAST after the last. Errors:
 *   -ENOENT    no such record (completion code 0xCB);
 *   -EINVAL    offset at or past the end of the record (0xC9);
 *   -EMSGSIZE  the bytes asked for do not fit in cap (0xCA: ipmitool then asks for less);
 *   -EBADMSG   the repository fails sdr_repo_check()'s header walk.
 * out and *ret_next are untouched on error.
 */
int sdr_repo_get(const struct sdr_repo *repo, uint16_t record_id, uint8_t offset, uint8_t count,
                 uint8_t *out, size_t cap, uint16_t *ret_next);
