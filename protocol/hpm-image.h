/* SPDX-License-Identifier: MIT */
/*
 * PICMG HPM.1 upgrade images (".hpm" files), byte for byte as ipmitool's lib/ipmi_hpmfwupg.c
 * and python-ipmi's pyipmi/hpm.py read them:
 *
 *   header      "PICMGFWU", format version 0, device ID, manufacturer ID (3 bytes, LS first),
 *               product ID (2, LS first), time (4, LS first, seconds since 1970), image
 *               capabilities, components mask, self-test / rollback / inaccessibility timeouts
 *               (units of 5 s), earliest compatible revision (major, BCD minor), firmware
 *               revision (major, BCD minor, 4 aux bytes), OEM data length (2, LS first) = 34
 *               bytes, then the OEM data, then a checksum byte making all of it sum to 0;
 *   actions     each: type (0 backup, 1 prepare, 2 upload firmware), components mask, checksum
 *               of those two bytes; an upload then carries the component's version (6 bytes),
 *               a description (21 bytes, NUL padded), the data length (4, LS first), the data;
 *   MD5         16 bytes: the MD5 digest of everything before them.
 *
 * Pure bytes: no I/O, no allocation, no MD5 (the caller computes the digest with its crypto
 * library and passes it in, or fills it into an encoded image). Safe on any input of any length.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HPM_IMAGE_SIGNATURE             "PICMGFWU"
#define HPM_IMAGE_SIGNATURE_LEN         8
#define HPM_IMAGE_FORMAT_VERSION        0
#define HPM_IMAGE_HEADER_LEN            34      /* the fixed part, before the OEM data */
#define HPM_IMAGE_MD5_LEN               16
#define HPM_IMAGE_VERSION_LEN           6       /* major, BCD minor, 4 aux bytes */
#define HPM_IMAGE_DESC_LEN              21      /* upload record description, NUL padded */
#define HPM_IMAGE_ACTION_LEN            3       /* type, components, checksum */
#define HPM_IMAGE_UPLOAD_LEN            (HPM_IMAGE_ACTION_LEN + HPM_IMAGE_VERSION_LEN + \
                                         HPM_IMAGE_DESC_LEN + 4)        /* before the data */
#define HPM_IMAGE_COMPONENTS            8
/* Backup and prepare records plus one upload per component fit many times over; a longer list
 * is refused rather than walked without bound. */
#define HPM_IMAGE_ACTIONS_MAX           32
/* The smallest file that can be an image: header, its checksum, the digest. */
#define HPM_IMAGE_MIN_LEN               (HPM_IMAGE_HEADER_LEN + 1 + HPM_IMAGE_MD5_LEN)

/* Image capabilities, at the bit positions ipmitool 1.8.19 reads them from (struct
 * HpmfwupgImageHeader on a little-endian host): bits 0-3 reserved. */
#define HPM_IMAGE_CAP_SERVICE_AFFECTED  0x10    /* ipmitool asks the operator to confirm */
#define HPM_IMAGE_CAP_MANUAL_ROLLBACK   0x20
#define HPM_IMAGE_CAP_AUTO_ROLLBACK     0x40
#define HPM_IMAGE_CAP_SELF_TEST         0x80    /* ipmitool queries self-test results */

enum hpm_action_type {
        HPM_ACTION_BACKUP = 0,
        HPM_ACTION_PREPARE = 1,
        HPM_ACTION_UPLOAD = 2,
};

struct hpm_action {
        uint8_t type;                           /* enum hpm_action_type */
        uint8_t components;                     /* mask; exactly one bit for an upload */
        /* Upload only: */
        uint8_t version[HPM_IMAGE_VERSION_LEN];
        char description[HPM_IMAGE_DESC_LEN + 1];       /* NUL terminated */
        uint32_t length;
        const uint8_t *data;                    /* length bytes; parsed: points into the image */
        size_t offset;                          /* parsed: where the record starts in the image */
};

struct hpm_image {
        uint8_t device_id;
        uint32_t manufacturer_id;               /* 20-bit IANA enterprise number */
        uint16_t product_id;
        uint32_t time;                          /* seconds since 1970-01-01 00:00 UTC */
        uint8_t capabilities;                   /* HPM_IMAGE_CAP_* */
        uint8_t components;                     /* mask of the components the image holds */
        uint8_t selftest_timeout;               /* units of 5 seconds */
        uint8_t rollback_timeout;
        uint8_t inaccess_timeout;
        uint8_t earliest_compatible[2];         /* major, BCD minor */
        uint8_t firmware_revision[HPM_IMAGE_VERSION_LEN];
        const uint8_t *oem_data;
        uint16_t oem_len;
        struct hpm_action actions[HPM_IMAGE_ACTIONS_MAX];
        size_t n_actions;
};

/* Why an image is refused. 0 is "valid"; everything else a positive reason. */
enum hpm_image_error {
        HPM_IMAGE_OK = 0,
        HPM_IMAGE_TRUNCATED,            /* shorter than what it declares */
        HPM_IMAGE_BAD_MD5,              /* the trailing digest is not the image's */
        HPM_IMAGE_BAD_SIGNATURE,        /* not "PICMGFWU" */
        HPM_IMAGE_BAD_FORMAT_VERSION,   /* not format version 0 */
        HPM_IMAGE_BAD_HEADER_CHECKSUM,
        HPM_IMAGE_NO_COMPONENTS,        /* the header's components mask is 0 */
        HPM_IMAGE_BAD_ACTION_CHECKSUM,
        HPM_IMAGE_BAD_ACTION_TYPE,      /* not backup, prepare or upload firmware */
        HPM_IMAGE_BAD_ACTION_COMPONENTS,        /* empty, outside the header's mask, or an
                                                 * upload naming other than one component */
        HPM_IMAGE_DUPLICATE_UPLOAD,     /* two upload records for one component */
        HPM_IMAGE_NO_UPLOAD,            /* a component in the header mask has no upload */
        HPM_IMAGE_TOO_MANY_ACTIONS,     /* more than HPM_IMAGE_ACTIONS_MAX */
        /* hpm_image_check_target(): */
        HPM_IMAGE_WRONG_DEVICE,
        HPM_IMAGE_WRONG_MANUFACTURER,
        HPM_IMAGE_WRONG_PRODUCT,
        HPM_IMAGE_INCOMPATIBLE_REVISION,        /* the target is older than the earliest
                                                 * revision the image can upgrade */
        HPM_IMAGE_UNKNOWN_COMPONENT,    /* the target has no such component */
        _HPM_IMAGE_ERROR_MAX,
};

/*
 * Walk and validate an image. digest is the MD5 of its first len - HPM_IMAGE_MD5_LEN bytes,
 * computed by the caller (hpm_image_digest_len() says how many), or NULL to skip that check.
 * Checks in ipmitool's order (length, digest, signature, format version, header checksum), then
 * every action record: its checksum (over its 3 bytes, or for an upload over its 34-byte
 * header, the two readings of HPM.1 ipmitool accepts), type, components and length, that no
 * component is uploaded twice, and that every component in the header has an upload.
 * Returns HPM_IMAGE_OK and fills *out (if non-NULL), or a reason with *out untouched and
 * *where (if non-NULL) set to the offset of the offending byte.
 */
int hpm_image_parse(const uint8_t *buf, size_t len, const uint8_t *digest,
                    struct hpm_image *out, size_t *where);

/* How many leading bytes of an image of len bytes the MD5 digest covers (0 if len is too short
 * to hold a digest). */
size_t hpm_image_digest_len(size_t len);

/* The length hpm_image_encode() needs for img, or -EINVAL/-E2BIG as it would refuse it. */
ssize_t hpm_image_encoded_len(const struct hpm_image *img);

/*
 * Encode img (header fields and its action list) into buf. Every checksum is computed here;
 * the last HPM_IMAGE_MD5_LEN bytes are left zero for the caller to fill with the MD5 of the
 * bytes before them. Returns the image's whole length, or
 *   -EINVAL  an action of unknown type, an action with no components or components outside
 *            img->components, an upload naming other than exactly one component or uploading
 *            a component twice, a component of img->components with no upload, no components,
 *            more than HPM_IMAGE_ACTIONS_MAX actions, a description longer than 20 bytes, an
 *            upload with data NULL and length non-zero;
 *   -E2BIG   an image longer than SIZE_MAX or an OEM data block over 65535 bytes;
 *   -ENOBUFS cap too small (nothing written).
 */
ssize_t hpm_image_encode(const struct hpm_image *img, uint8_t *buf, size_t cap);

/*
 * What the target said about itself (Get Device ID, Get Target Upgrade Capabilities): the
 * checks ipmitool makes in its preparation stage before it uploads anything.
 */
struct hpm_target {
        uint8_t device_id;
        uint32_t manufacturer_id;
        uint16_t product_id;
        uint8_t fw_major;                       /* Get Device ID byte 3, bit 7 masked off */
        uint8_t fw_minor;                       /* BCD */
        uint8_t components;                     /* components present */
};

/* HPM_IMAGE_OK, or the first mismatch (device, manufacturer, product, earliest compatible
 * revision, components) with *component (if non-NULL) set to the lowest unknown component. */
int hpm_image_check_target(const struct hpm_image *img, const struct hpm_target *t,
                           uint8_t *component);

const char *hpm_image_error_to_string(int error);

/* "MAJOR.MINOR", "MAJOR.MINOR.AUX" or "MAJOR.MINOR AUX": MAJOR 0-127, MINOR two decimal digits
 * (stored BCD, as Get Device ID's firmware revision), AUX 8 hex digits (4 bytes, first byte
 * first; 0 when absent). 0, or -EINVAL with out untouched. */
int hpm_version_from_string(const char *s, uint8_t out[HPM_IMAGE_VERSION_LEN]);

/* The version as ipmitool prints it ("1.42 0A0B0C0D"), NUL terminated, into buf of cap bytes;
 * returns the length that needed (snprintf's rule). */
int hpm_version_to_string(const uint8_t v[HPM_IMAGE_VERSION_LEN], char *buf, size_t cap);
