/* SPDX-License-Identifier: MIT */
/*
 * PMBus data formats and command codes (PMBus 1.3, Part II), pure arithmetic on the bytes a
 * device sends; daemon/sensor-source-pmbus.c does the bus transactions.
 *
 * - LINEAR11: a word of 5-bit two's complement exponent N (bits 15:11) and 11-bit two's
 *   complement mantissa Y (bits 10:0): X = Y * 2^N. Every READ_* command but READ_VOUT.
 * - LINEAR16: an unsigned 16-bit mantissa V whose exponent N sits in VOUT_MODE (bits 4:0, two's
 *   complement, when bits 7:5 say "linear"): X = V * 2^N. READ_VOUT and the other VOUT_*.
 * - DIRECT: a 16-bit two's complement Y and the device's coefficients m, b, R (its datasheet,
 *   or COEFFICIENTS): X = (Y * 10^-R - b) / m.
 * - PEC: SMBus Packet Error Code, CRC-8 with polynomial x^8 + x^2 + x + 1 (0x07), initial 0,
 *   over every byte of the transaction including the address bytes (SMBus 3.1, 6.4).
 *
 * No I/O, no allocation, no globals.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Command codes used by name here (PMBus 1.3 Part II, Table 31). */
#define PMBUS_PAGE                      0x00
#define PMBUS_VOUT_MODE                 0x20
#define PMBUS_STATUS_BYTE               0x78
#define PMBUS_STATUS_WORD               0x79
#define PMBUS_STATUS_VOUT               0x7A
#define PMBUS_STATUS_IOUT               0x7B
#define PMBUS_STATUS_INPUT              0x7C
#define PMBUS_STATUS_TEMPERATURE        0x7D
#define PMBUS_STATUS_CML                0x7E
#define PMBUS_STATUS_OTHER              0x7F
#define PMBUS_STATUS_MFR_SPECIFIC       0x80
#define PMBUS_STATUS_FANS_1_2           0x81
#define PMBUS_STATUS_FANS_3_4           0x82
#define PMBUS_READ_VIN                  0x88
#define PMBUS_READ_IIN                  0x89
#define PMBUS_READ_VCAP                 0x8A
#define PMBUS_READ_VOUT                 0x8B
#define PMBUS_READ_IOUT                 0x8C
#define PMBUS_READ_TEMPERATURE_1        0x8D
#define PMBUS_READ_TEMPERATURE_2        0x8E
#define PMBUS_READ_TEMPERATURE_3        0x8F
#define PMBUS_READ_FAN_SPEED_1          0x90
#define PMBUS_READ_FAN_SPEED_2          0x91
#define PMBUS_READ_FAN_SPEED_3          0x92
#define PMBUS_READ_FAN_SPEED_4          0x93
#define PMBUS_READ_DUTY_CYCLE           0x94
#define PMBUS_READ_FREQUENCY            0x95
#define PMBUS_READ_POUT                 0x96
#define PMBUS_READ_PIN                  0x97
#define PMBUS_REVISION                  0x98

#define PMBUS_PAGE_MAX                  0xFE    /* 0xFF selects all pages: writes only */

/* DIRECT coefficients as COEFFICIENTS (0x30) returns them: m and b 16-bit, R 8-bit signed. */
#define PMBUS_DIRECT_MB_MIN             (-32768)
#define PMBUS_DIRECT_MB_MAX             32767
#define PMBUS_DIRECT_R_MIN              (-128)
#define PMBUS_DIRECT_R_MAX              127

/* How a command's data is read and what it means. */
enum pmbus_format {
        PMBUS_FORMAT_BYTE,              /* Read Byte: the unsigned byte (STATUS_*, VOUT_MODE) */
        PMBUS_FORMAT_WORD,              /* Read Word: the unsigned word (STATUS_WORD) */
        PMBUS_FORMAT_LINEAR11,
        PMBUS_FORMAT_LINEAR16,          /* the exponent from VOUT_MODE of the same page */
        PMBUS_FORMAT_DIRECT,
};

/* VOUT_MODE bits 7:5. */
enum pmbus_vout_mode {
        PMBUS_VOUT_MODE_LINEAR = 0,
        PMBUS_VOUT_MODE_VID = 1,
        PMBUS_VOUT_MODE_DIRECT = 2,
        PMBUS_VOUT_MODE_IEEE_HALF = 3,  /* PMBus 1.3 */
};

struct pmbus_command {
        uint8_t code;
        const char *name;               /* as the specification writes it: "READ_VIN" */
        enum pmbus_format format;       /* the one a device in linear mode uses */
};

struct pmbus_direct {
        int32_t m, b, r;                /* within PMBUS_DIRECT_*; m != 0 */
};

/* The standard command named name (case-insensitive, "-" taken as "_"), or NULL. */
const struct pmbus_command *pmbus_command_by_name(const char *name);

/* The standard command with this code, or NULL (manufacturer-specific and unknown ones). */
const struct pmbus_command *pmbus_command_by_code(uint8_t code);

/* Whether format is read with Read Word (true) or Read Byte (false). */
bool pmbus_format_is_word(enum pmbus_format format);

/* The format's name in the source grammar: "byte", "word", "linear11", "linear16", "direct". */
const char *pmbus_format_name(enum pmbus_format format);

/* LINEAR11 word -> value. Every one of the 65536 words is a finite number. */
double pmbus_linear11_decode(uint16_t word);

/*
 * The LINEAR16 exponent in VOUT_MODE: 0 and *exponent (-16..15), or -EOPNOTSUPP when its mode
 * (bits 7:5, returned in *mode if not NULL) is VID, DIRECT, IEEE half or reserved: the word
 * then is not LINEAR16 at all.
 */
int pmbus_vout_mode_exponent(uint8_t vout_mode, int *exponent, unsigned *mode);

/* LINEAR16 mantissa with the exponent of pmbus_vout_mode_exponent() -> value. */
double pmbus_linear16_decode(uint16_t word, int exponent);

/* DIRECT word (two's complement) with coefficients c -> 0 and *value, or -EINVAL (m == 0 or
 * a coefficient out of range) with *value untouched. */
int pmbus_direct_decode(uint16_t word, const struct pmbus_direct *c, double *value);

/* CRC-8 (0x07) of len bytes, continuing from crc (0 to start). */
uint8_t pmbus_crc8(uint8_t crc, const uint8_t *data, size_t len);

/*
 * The PEC of a read (Read Byte/Word: addr7+W, command, addr7+R, then len data bytes) or, with
 * read false, of a write (addr7+W, command, len data bytes).
 */
uint8_t pmbus_pec(uint8_t addr7, uint8_t command, bool read, const uint8_t *data, size_t len);

/* The name of STATUS_WORD bit 0..15 ("VIN_UV", "POWER_GOOD#", ...), NULL above 15. */
const char *pmbus_status_word_bit_name(unsigned bit);
