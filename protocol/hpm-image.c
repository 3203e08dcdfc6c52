/* SPDX-License-Identifier: MIT */
/*
 * HPM.1 upgrade images: parse/validate and encode (hpm-image.h has the layout).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hpm-image.h"

/* Offsets in the fixed header. */
enum {
        OFF_FORMAT = 8,
        OFF_DEVICE = 9,
        OFF_MANUFACTURER = 10,
        OFF_PRODUCT = 13,
        OFF_TIME = 15,
        OFF_CAPABILITIES = 19,
        OFF_COMPONENTS = 20,
        OFF_SELFTEST = 21,
        OFF_ROLLBACK = 22,
        OFF_INACCESS = 23,
        OFF_EARLIEST = 24,
        OFF_REVISION = 26,
        OFF_OEM_LEN = 32,
};

static uint8_t sum8(const uint8_t *p, size_t len) {
        uint8_t s = 0;

        for (size_t i = 0; i < len; i++)
                s = (uint8_t) (s + p[i]);
        return s;
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void put_le(uint8_t *p, uint32_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static bool one_bit(uint8_t mask) {
        return mask && !(mask & (mask - 1));
}

static unsigned bit_index(uint8_t mask) {
        unsigned i = 0;

        while (mask >>= 1)
                i++;
        return i;
}

size_t hpm_image_digest_len(size_t len) {
        return len >= HPM_IMAGE_MD5_LEN ? len - HPM_IMAGE_MD5_LEN : 0;
}

static int fail(size_t *where, size_t at, int reason) {
        if (where)
                *where = at;
        return reason;
}

/* One action record at buf[off], with end the start of the digest. Fills *a and advances *off. */
static int parse_action(const uint8_t *buf, size_t end, size_t *off, uint8_t header_mask,
                        struct hpm_action *a, size_t *where) {
        size_t at = *off;
        const uint8_t *r = buf + at;

        if (end - at < HPM_IMAGE_ACTION_LEN)
                return fail(where, at, HPM_IMAGE_TRUNCATED);
        memset(a, 0, sizeof(*a));
        a->type = r[0];
        a->components = r[1];
        a->offset = at;
        /* HPM.1 leaves open whether an upload record's checksum covers its first 2 bytes or its
         * whole 34-byte header; ipmitool accepts either, and so do we. */
        if (sum8(r, HPM_IMAGE_ACTION_LEN) != 0 &&
            (a->type != HPM_ACTION_UPLOAD || end - at < HPM_IMAGE_UPLOAD_LEN ||
             sum8(r, HPM_IMAGE_UPLOAD_LEN) != 0))
                return fail(where, at + 2, HPM_IMAGE_BAD_ACTION_CHECKSUM);
        if (a->type > HPM_ACTION_UPLOAD)
                return fail(where, at, HPM_IMAGE_BAD_ACTION_TYPE);
        if (a->type == HPM_ACTION_UPLOAD && end - at < HPM_IMAGE_UPLOAD_LEN)
                return fail(where, at, HPM_IMAGE_TRUNCATED);
        if (!a->components || (a->components & ~header_mask) ||
            (a->type == HPM_ACTION_UPLOAD && !one_bit(a->components)))
                return fail(where, at + 1, HPM_IMAGE_BAD_ACTION_COMPONENTS);
        if (a->type != HPM_ACTION_UPLOAD) {
                *off = at + HPM_IMAGE_ACTION_LEN;
                return HPM_IMAGE_OK;
        }
        memcpy(a->version, r + HPM_IMAGE_ACTION_LEN, HPM_IMAGE_VERSION_LEN);
        memcpy(a->description, r + HPM_IMAGE_ACTION_LEN + HPM_IMAGE_VERSION_LEN, HPM_IMAGE_DESC_LEN);
        a->description[HPM_IMAGE_DESC_LEN] = '\0';
        a->length = le32(r + HPM_IMAGE_UPLOAD_LEN - 4);
        if (a->length > end - at - HPM_IMAGE_UPLOAD_LEN)
                return fail(where, at + HPM_IMAGE_UPLOAD_LEN - 4, HPM_IMAGE_TRUNCATED);
        a->data = r + HPM_IMAGE_UPLOAD_LEN;
        *off = at + HPM_IMAGE_UPLOAD_LEN + a->length;
        return HPM_IMAGE_OK;
}

int hpm_image_parse(const uint8_t *buf, size_t len, const uint8_t *digest,
                    struct hpm_image *out, size_t *where) {
        struct hpm_image img;
        uint8_t uploaded = 0;
        size_t off, end;
        int r;

        if (!buf || len < HPM_IMAGE_MIN_LEN)
                return fail(where, len, HPM_IMAGE_TRUNCATED);
        end = hpm_image_digest_len(len);
        if (digest && memcmp(digest, buf + end, HPM_IMAGE_MD5_LEN) != 0)
                return fail(where, end, HPM_IMAGE_BAD_MD5);
        if (memcmp(buf, HPM_IMAGE_SIGNATURE, HPM_IMAGE_SIGNATURE_LEN) != 0)
                return fail(where, 0, HPM_IMAGE_BAD_SIGNATURE);
        if (buf[OFF_FORMAT] != HPM_IMAGE_FORMAT_VERSION)
                return fail(where, OFF_FORMAT, HPM_IMAGE_BAD_FORMAT_VERSION);

        memset(&img, 0, sizeof(img));
        img.oem_len = (uint16_t) (buf[OFF_OEM_LEN] | buf[OFF_OEM_LEN + 1] << 8);
        /* Header, OEM data and the checksum byte must end before the digest. */
        if ((size_t) HPM_IMAGE_HEADER_LEN + img.oem_len + 1 > end)
                return fail(where, OFF_OEM_LEN, HPM_IMAGE_TRUNCATED);
        if (sum8(buf, HPM_IMAGE_HEADER_LEN + img.oem_len + 1) != 0)
                return fail(where, HPM_IMAGE_HEADER_LEN + img.oem_len, HPM_IMAGE_BAD_HEADER_CHECKSUM);
        img.device_id = buf[OFF_DEVICE];
        img.manufacturer_id = buf[OFF_MANUFACTURER] | buf[OFF_MANUFACTURER + 1] << 8 |
                              (uint32_t) buf[OFF_MANUFACTURER + 2] << 16;
        img.product_id = (uint16_t) (buf[OFF_PRODUCT] | buf[OFF_PRODUCT + 1] << 8);
        img.time = le32(buf + OFF_TIME);
        img.capabilities = buf[OFF_CAPABILITIES];
        img.components = buf[OFF_COMPONENTS];
        img.selftest_timeout = buf[OFF_SELFTEST];
        img.rollback_timeout = buf[OFF_ROLLBACK];
        img.inaccess_timeout = buf[OFF_INACCESS];
        memcpy(img.earliest_compatible, buf + OFF_EARLIEST, 2);
        memcpy(img.firmware_revision, buf + OFF_REVISION, HPM_IMAGE_VERSION_LEN);
        img.oem_data = img.oem_len ? buf + HPM_IMAGE_HEADER_LEN : NULL;
        if (!img.components)
                return fail(where, OFF_COMPONENTS, HPM_IMAGE_NO_COMPONENTS);

        off = HPM_IMAGE_HEADER_LEN + img.oem_len + 1;
        while (off < end) {
                struct hpm_action *a;

                if (img.n_actions == HPM_IMAGE_ACTIONS_MAX)
                        return fail(where, off, HPM_IMAGE_TOO_MANY_ACTIONS);
                a = &img.actions[img.n_actions];
                r = parse_action(buf, end, &off, img.components, a, where);
                if (r != HPM_IMAGE_OK)
                        return r;
                if (a->type == HPM_ACTION_UPLOAD) {
                        if (uploaded & a->components)
                                return fail(where, a->offset + 1, HPM_IMAGE_DUPLICATE_UPLOAD);
                        uploaded |= a->components;
                }
                img.n_actions++;
        }
        if (uploaded != img.components)
                return fail(where, OFF_COMPONENTS, HPM_IMAGE_NO_UPLOAD);
        if (out)
                *out = img;
        return HPM_IMAGE_OK;
}

static int check_actions(const struct hpm_image *img, uint64_t *total) {
        uint8_t uploaded = 0;
        uint64_t n = HPM_IMAGE_HEADER_LEN + (uint64_t) img->oem_len + 1 + HPM_IMAGE_MD5_LEN;

        if (!img->components || img->n_actions > HPM_IMAGE_ACTIONS_MAX)
                return -EINVAL;
        if (img->oem_len && !img->oem_data)
                return -EINVAL;
        for (size_t i = 0; i < img->n_actions; i++) {
                const struct hpm_action *a = &img->actions[i];

                if (a->type > HPM_ACTION_UPLOAD || !a->components ||
                    (a->components & ~img->components))
                        return -EINVAL;
                if (a->type != HPM_ACTION_UPLOAD) {
                        n += HPM_IMAGE_ACTION_LEN;
                        continue;
                }
                if (!one_bit(a->components) || (uploaded & a->components) ||
                    (a->length && !a->data) ||
                    !memchr(a->description, '\0', HPM_IMAGE_DESC_LEN))
                        return -EINVAL;
                uploaded |= a->components;
                n += HPM_IMAGE_UPLOAD_LEN + (uint64_t) a->length;
        }
        if (uploaded != img->components)
                return -EINVAL;
        if (n > SIZE_MAX || n > (uint64_t) SSIZE_MAX)
                return -E2BIG;
        *total = n;
        return 0;
}

ssize_t hpm_image_encoded_len(const struct hpm_image *img) {
        uint64_t n;
        int r = check_actions(img, &n);

        return r < 0 ? r : (ssize_t) n;
}

ssize_t hpm_image_encode(const struct hpm_image *img, uint8_t *buf, size_t cap) {
        ssize_t total = hpm_image_encoded_len(img);
        size_t off, hlen;

        if (total < 0)
                return total;
        if ((size_t) total > cap)
                return -ENOBUFS;

        memset(buf, 0, HPM_IMAGE_HEADER_LEN);
        memcpy(buf, HPM_IMAGE_SIGNATURE, HPM_IMAGE_SIGNATURE_LEN);
        buf[OFF_FORMAT] = HPM_IMAGE_FORMAT_VERSION;
        buf[OFF_DEVICE] = img->device_id;
        put_le(buf + OFF_MANUFACTURER, img->manufacturer_id, 3);
        put_le(buf + OFF_PRODUCT, img->product_id, 2);
        put_le(buf + OFF_TIME, img->time, 4);
        buf[OFF_CAPABILITIES] = img->capabilities;
        buf[OFF_COMPONENTS] = img->components;
        buf[OFF_SELFTEST] = img->selftest_timeout;
        buf[OFF_ROLLBACK] = img->rollback_timeout;
        buf[OFF_INACCESS] = img->inaccess_timeout;
        memcpy(buf + OFF_EARLIEST, img->earliest_compatible, 2);
        memcpy(buf + OFF_REVISION, img->firmware_revision, HPM_IMAGE_VERSION_LEN);
        put_le(buf + OFF_OEM_LEN, img->oem_len, 2);
        if (img->oem_len)
                memcpy(buf + HPM_IMAGE_HEADER_LEN, img->oem_data, img->oem_len);
        hlen = HPM_IMAGE_HEADER_LEN + (size_t) img->oem_len;
        buf[hlen] = (uint8_t) -sum8(buf, hlen);
        off = hlen + 1;

        for (size_t i = 0; i < img->n_actions; i++) {
                const struct hpm_action *a = &img->actions[i];
                uint8_t *r = buf + off;

                r[0] = a->type;
                r[1] = a->components;
                /* The 2-byte reading of the record checksum: what HPM.1's table shows and
                 * what every reader accepts. */
                r[2] = (uint8_t) -sum8(r, 2);
                off += HPM_IMAGE_ACTION_LEN;
                if (a->type != HPM_ACTION_UPLOAD)
                        continue;
                memcpy(buf + off, a->version, HPM_IMAGE_VERSION_LEN);
                off += HPM_IMAGE_VERSION_LEN;
                memset(buf + off, 0, HPM_IMAGE_DESC_LEN);
                memcpy(buf + off, a->description, strnlen(a->description, HPM_IMAGE_DESC_LEN - 1));
                off += HPM_IMAGE_DESC_LEN;
                put_le(buf + off, a->length, 4);
                off += 4;
                if (a->length)
                        memcpy(buf + off, a->data, a->length);
                off += a->length;
        }
        memset(buf + off, 0, HPM_IMAGE_MD5_LEN);
        return total;
}

int hpm_image_check_target(const struct hpm_image *img, const struct hpm_target *t,
                           uint8_t *component) {
        uint8_t unknown;

        if (img->device_id != t->device_id)
                return HPM_IMAGE_WRONG_DEVICE;
        if (img->manufacturer_id != t->manufacturer_id)
                return HPM_IMAGE_WRONG_MANUFACTURER;
        if (img->product_id != t->product_id)
                return HPM_IMAGE_WRONG_PRODUCT;
        if (img->earliest_compatible[0] > t->fw_major ||
            (img->earliest_compatible[0] == t->fw_major && img->earliest_compatible[1] > t->fw_minor))
                return HPM_IMAGE_INCOMPATIBLE_REVISION;
        unknown = img->components & ~t->components;
        if (unknown) {
                if (component)
                        *component = (uint8_t) bit_index(unknown & (uint8_t) -unknown);
                return HPM_IMAGE_UNKNOWN_COMPONENT;
        }
        return HPM_IMAGE_OK;
}

static const char *const error_names[_HPM_IMAGE_ERROR_MAX] = {
        [HPM_IMAGE_OK] = "valid",
        [HPM_IMAGE_TRUNCATED] = "truncated",
        [HPM_IMAGE_BAD_MD5] = "MD5 digest does not match the image",
        [HPM_IMAGE_BAD_SIGNATURE] = "not an HPM.1 image (no PICMGFWU signature)",
        [HPM_IMAGE_BAD_FORMAT_VERSION] = "unknown image format version",
        [HPM_IMAGE_BAD_HEADER_CHECKSUM] = "bad header checksum",
        [HPM_IMAGE_NO_COMPONENTS] = "the header names no components",
        [HPM_IMAGE_BAD_ACTION_CHECKSUM] = "bad action record checksum",
        [HPM_IMAGE_BAD_ACTION_TYPE] = "unknown action type",
        [HPM_IMAGE_BAD_ACTION_COMPONENTS] = "action record components not in the header, "
                                            "or an upload for other than one component",
        [HPM_IMAGE_DUPLICATE_UPLOAD] = "a component is uploaded twice",
        [HPM_IMAGE_NO_UPLOAD] = "a component in the header has no upload record",
        [HPM_IMAGE_TOO_MANY_ACTIONS] = "too many action records",
        [HPM_IMAGE_WRONG_DEVICE] = "image is for another device ID",
        [HPM_IMAGE_WRONG_MANUFACTURER] = "image is for another manufacturer",
        [HPM_IMAGE_WRONG_PRODUCT] = "image is for another product",
        [HPM_IMAGE_INCOMPATIBLE_REVISION] = "target firmware older than the image's earliest "
                                            "compatible revision",
        [HPM_IMAGE_UNKNOWN_COMPONENT] = "image holds a component the target does not have",
};

const char *hpm_image_error_to_string(int error) {
        if (error < 0 || error >= _HPM_IMAGE_ERROR_MAX)
                return "unknown error";
        return error_names[error];
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int hpm_version_from_string(const char *s, uint8_t out[HPM_IMAGE_VERSION_LEN]) {
        uint8_t v[HPM_IMAGE_VERSION_LEN] = { 0 };
        unsigned major = 0;
        size_t i = 0;

        if (!s)
                return -EINVAL;
        /* MAJOR: 1 to 3 decimal digits, at most 127 (Get Device ID's 7 bits). */
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
                if (i == 3)
                        return -EINVAL;
                major = major * 10 + (unsigned) (s[i] - '0');
        }
        if (i == 0 || major > 127 || s[i] != '.')
                return -EINVAL;
        s += i + 1;
        if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'))
                return -EINVAL;
        v[0] = (uint8_t) major;
        v[1] = (uint8_t) ((s[0] - '0') << 4 | (s[1] - '0'));
        s += 2;
        /* AUX after a dot, or after a blank as satmcd.conf's component versions write it. */
        if (*s == '.' || *s == ' ') {
                s++;
                for (i = 0; i < 8; i++) {
                        int d = hex_digit(s[i]);

                        if (d < 0)
                                return -EINVAL;
                        v[2 + i / 2] = (uint8_t) (v[2 + i / 2] << 4 | d);
                }
                s += 8;
        }
        if (*s)
                return -EINVAL;
        memcpy(out, v, sizeof(v));
        return 0;
}

int hpm_version_to_string(const uint8_t v[HPM_IMAGE_VERSION_LEN], char *buf, size_t cap) {
        return snprintf(buf, cap, "%u.%02x %02X%02X%02X%02X", v[0], v[1], v[2], v[3], v[4], v[5]);
}
