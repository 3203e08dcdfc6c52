/* SPDX-License-Identifier: MIT */
/*
 * FRU information images (IPMI Platform Management FRU Information Storage Definition v1.0):
 * build one from fields, and walk one, reporting every problem with its byte offset.
 *
 * Pure bytes: no I/O, no allocation, no globals. fru_parse() is safe on any input of any
 * length: every index is checked against the image and area bounds before use, and every loop
 * is bounded by the image length.
 *
 * The builder writes 8-bit ASCII (type 11b) fields only, which is what a configuration file
 * holds. The parser accepts every type and hands back raw bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fru-multirecord.h"

#define FRU_FORMAT_VERSION      0x01
#define FRU_HEADER_LEN          8
#define FRU_FIELD_MAX           63      /* 6-bit length in the type/length byte */
#define FRU_END_OF_FIELDS       0xC1    /* type 11b, length 1: "no more fields" */
#define FRU_CUSTOM_MAX          8       /* custom fields per area the builder takes */
#define FRU_AREA_MAX            (255 * 8)       /* an area's length is one byte of 8s */
/* Offsets are one byte of 8s, so the last area starts below 2048 and ends below 4096; the
 * multirecord area is the exception (its length is its records'). */
#define FRU_BUILD_MAX           4096
#define FRU_MINUTES_MAX         0xFFFFFF        /* 3 bytes of minutes since 1996-01-01 */

/* Chassis info area (spec section 10). */
struct fru_chassis {
        bool present;
        uint8_t type;                   /* SMBIOS chassis type, e.g. 0x17 rack mount */
        const char *part_number;        /* NULL or "" = an empty field */
        const char *serial_number;
        const char *custom[FRU_CUSTOM_MAX];
        size_t n_custom;
};

/* Board info area (spec section 11). */
struct fru_board {
        bool present;
        uint8_t language;               /* 0 = English */
        uint32_t mfg_minutes;           /* since 1996-01-01 00:00 UTC; 0 = unspecified */
        const char *manufacturer;
        const char *product_name;
        const char *serial_number;
        const char *part_number;
        const char *file_id;
        const char *custom[FRU_CUSTOM_MAX];
        size_t n_custom;
};

/* Product info area (spec section 12). */
struct fru_product {
        bool present;
        uint8_t language;
        const char *manufacturer;
        const char *name;
        const char *part_number;        /* "part/model number" */
        const char *version;
        const char *serial_number;
        const char *asset_tag;
        const char *file_id;
        const char *custom[FRU_CUSTOM_MAX];
        size_t n_custom;
};

struct fru_info {
        struct fru_chassis chassis;
        struct fru_board board;
        struct fru_product product;
        /* Multirecord area records, data only: the builder writes their headers, checksums
         * and the end-of-list bit. NULL/0 for no multirecord area. */
        const struct fru_record *records;
        size_t n_records;
};

/*
 * Build the image into buf. Returns its length (a multiple of 8), or
 *   -EINVAL  a field longer than 63 bytes, exactly 1 byte long (0xC1 would read as the end
 *            marker; the spec requires two or more bytes of 8-bit ASCII), more than
 *            FRU_CUSTOM_MAX custom fields, mfg_minutes above 0xFFFFFF, or a record that
 *            fru_record_check() refuses;
 *   -E2BIG   an area longer than 2040 bytes, or an area starting beyond offset 2040;
 *   -ENOBUFS cap too small (buf untouched beyond cap; call with cap FRU_BUILD_MAX +
 *            fru_multirecord_size() to be sure).
 */
ssize_t fru_build(const struct fru_info *info, uint8_t *buf, size_t cap);

/* The zero-sum checksum byte for len bytes: what makes them add up to 0 mod 256. */
uint8_t fru_checksum(const uint8_t *p, size_t len);

/* "YYYY-MM-DD HH:MM" (UTC) to minutes since 1996-01-01 00:00. 0 or -EINVAL/-ERANGE. */
int fru_minutes_from_string(const char *s, uint32_t *ret);

/* ---- parsing and validation ---- */

#define FRU_PROBLEMS_MAX        32
#define FRU_MESSAGE_MAX         96
#define FRU_PARSED_FIELDS_MAX   24      /* fixed + custom fields kept per area; more are counted */

struct fru_problem {
        size_t offset;                  /* byte in the image the problem is about */
        char message[FRU_MESSAGE_MAX];
};

struct fru_report {
        struct fru_problem problems[FRU_PROBLEMS_MAX];
        size_t n_problems;              /* kept in problems[] */
        size_t n_dropped;               /* found after problems[] was full */
};

struct fru_parsed_field {
        uint8_t type;                   /* bits 7-6 of the type/length byte: 0 binary .. 3 ASCII */
        uint8_t len;
        uint8_t data[FRU_FIELD_MAX + 1];        /* len bytes, then a NUL for text use */
};

enum fru_area_kind {
        FRU_AREA_INTERNAL,
        FRU_AREA_CHASSIS,
        FRU_AREA_BOARD,
        FRU_AREA_PRODUCT,
        FRU_AREA_MULTIRECORD,
        _FRU_AREA_MAX,
};

struct fru_parsed_area {
        bool present;                   /* the header points at it */
        bool valid;                     /* and it had no problems */
        size_t offset;                  /* bytes from the start of the image */
        size_t length;                  /* bytes (info areas: from the length byte) */
        uint8_t type_or_language;       /* chassis: type; board/product: language */
        uint32_t mfg_minutes;           /* board only */
        struct fru_parsed_field fields[FRU_PARSED_FIELDS_MAX];
        size_t n_fields;                /* kept in fields[], fixed fields first */
        size_t n_fields_total;          /* found, kept or not */
        size_t n_records;               /* multirecord only */
};

struct fru_parsed {
        struct fru_parsed_area areas[_FRU_AREA_MAX];
};

/*
 * Walk the image: common header, every area it points at, every field and multirecord record
 * (a record of a known type is held to its layout, fru_record_check()).
 * Every problem found goes into *report (if non-NULL) with its offset; parsing goes on where
 * it safely can, so one pass reports them all. *out (if non-NULL) receives what could be read.
 * Returns the number of problems (0 = a valid image). Never fails otherwise.
 */
size_t fru_parse(const uint8_t *img, size_t len, struct fru_parsed *out, struct fru_report *report);

static inline bool fru_image_valid(const uint8_t *img, size_t len) {
        return fru_parse(img, len, NULL, NULL) == 0;
}

const char *fru_area_name(enum fru_area_kind k);
