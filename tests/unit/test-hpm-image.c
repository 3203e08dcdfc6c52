/* SPDX-License-Identifier: MIT */
/*
 * protocol/hpm-image.c: the encoder against a golden image written out from the layout by an
 * independent encoder (a few lines of Python; python-ipmi's UpgradeImage reads the same bytes,
 * its MD5 is hashlib's), round trips, every reason the validator gives (with its offset), the
 * target checks ipmitool makes, the version syntax, and hostile input: every truncation and
 * every single-byte change of the golden image, none accepted unless the digest was skipped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/hpm-image.h"

/* Device 0x23, manufacturer 0x007ED9, product 0x1291, time 1600000000, capabilities 0,
 * components 0 and 1, timeouts 6/12/4, earliest 1.00, revision 1.42 0A0B0C0D, OEM data "OK";
 * a backup of component 0, component 0 "bootloader" 1.43 00000001 = "ABCDEFGH", component 1
 * "rootfs" 2.05 DEADBEEF = 00 ff 10 20 30; then the MD5 of all that. */
static const uint8_t golden[] = {
        0x50, 0x49, 0x43, 0x4d, 0x47, 0x46, 0x57, 0x55, 0x00, 0x23, 0xd9, 0x7e,
        0x00, 0x91, 0x12, 0x00, 0x10, 0x5e, 0x5f, 0x00, 0x03, 0x06, 0x0c, 0x04,
        0x01, 0x00, 0x01, 0x42, 0x0a, 0x0b, 0x0c, 0x0d, 0x02, 0x00, 0x4f, 0x4b,
        0x8d, 0x00, 0x01, 0xff, 0x02, 0x01, 0xfd, 0x01, 0x43, 0x00, 0x00, 0x00,
        0x01, 0x62, 0x6f, 0x6f, 0x74, 0x6c, 0x6f, 0x61, 0x64, 0x65, 0x72, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
        0x00, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x02, 0x02,
        0xfc, 0x02, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x72, 0x6f, 0x6f, 0x74, 0x66,
        0x73, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xff, 0x10, 0x20,
        0x30, 0x74, 0x48, 0xa0, 0x34, 0x3d, 0x9b, 0x0d, 0x58, 0x26, 0xbe, 0x07,
        0xdb, 0x21, 0xb2, 0x5b, 0x54,
};
#define GOLDEN_LEN sizeof(golden)
#define DIGEST (golden + GOLDEN_LEN - HPM_IMAGE_MD5_LEN)

static const uint8_t data0[] = "ABCDEFGH";
static const uint8_t data1[] = { 0x00, 0xff, 0x10, 0x20, 0x30 };

static void golden_spec(struct hpm_image *img) {
        memset(img, 0, sizeof(*img));
        img->device_id = 0x23;
        img->manufacturer_id = 0x007ED9;
        img->product_id = 0x1291;
        img->time = 1600000000;
        img->components = 0x03;
        img->selftest_timeout = 6;
        img->rollback_timeout = 12;
        img->inaccess_timeout = 4;
        img->earliest_compatible[0] = 1;
        memcpy(img->firmware_revision, (uint8_t[]) { 1, 0x42, 0x0a, 0x0b, 0x0c, 0x0d }, 6);
        img->oem_data = (const uint8_t *) "OK";
        img->oem_len = 2;
        img->actions[0] = (struct hpm_action) { .type = HPM_ACTION_BACKUP, .components = 0x01 };
        img->actions[1] = (struct hpm_action) {
                .type = HPM_ACTION_UPLOAD, .components = 0x01,
                .version = { 1, 0x43, 0, 0, 0, 1 }, .description = "bootloader",
                .length = 8, .data = data0 };
        img->actions[2] = (struct hpm_action) {
                .type = HPM_ACTION_UPLOAD, .components = 0x02,
                .version = { 2, 0x05, 0xde, 0xad, 0xbe, 0xef }, .description = "rootfs",
                .length = sizeof(data1), .data = data1 };
        img->n_actions = 3;
}

static void test_encode_golden(void **state) {
        struct hpm_image img;
        uint8_t buf[GOLDEN_LEN + 8];

        (void) state;
        golden_spec(&img);
        assert_int_equal(hpm_image_encoded_len(&img), GOLDEN_LEN);
        memset(buf, 0xAA, sizeof(buf));
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), GOLDEN_LEN);
        /* Everything but the digest, which is the caller's; that is left zero. */
        assert_memory_equal(buf, golden, GOLDEN_LEN - HPM_IMAGE_MD5_LEN);
        for (size_t i = GOLDEN_LEN - HPM_IMAGE_MD5_LEN; i < GOLDEN_LEN; i++)
                assert_int_equal(buf[i], 0);
        assert_int_equal(buf[GOLDEN_LEN], 0xAA);
        /* One byte short: refused, nothing written. */
        memset(buf, 0xAA, sizeof(buf));
        assert_int_equal(hpm_image_encode(&img, buf, GOLDEN_LEN - 1), -ENOBUFS);
        assert_int_equal(buf[0], 0xAA);
}

static void test_parse_golden(void **state) {
        struct hpm_image img;
        size_t where = 999;

        (void) state;
        assert_int_equal(hpm_image_digest_len(GOLDEN_LEN), GOLDEN_LEN - 16);
        assert_int_equal(hpm_image_parse(golden, GOLDEN_LEN, DIGEST, &img, &where), HPM_IMAGE_OK);
        assert_int_equal(where, 999);
        assert_int_equal(img.device_id, 0x23);
        assert_int_equal(img.manufacturer_id, 0x007ED9);
        assert_int_equal(img.product_id, 0x1291);
        assert_int_equal(img.time, 1600000000);
        assert_int_equal(img.components, 0x03);
        assert_int_equal(img.selftest_timeout, 6);
        assert_int_equal(img.rollback_timeout, 12);
        assert_int_equal(img.inaccess_timeout, 4);
        assert_int_equal(img.oem_len, 2);
        assert_memory_equal(img.oem_data, "OK", 2);
        assert_int_equal(img.n_actions, 3);
        assert_int_equal(img.actions[0].type, HPM_ACTION_BACKUP);
        assert_int_equal(img.actions[0].offset, 37);
        assert_int_equal(img.actions[1].type, HPM_ACTION_UPLOAD);
        assert_string_equal(img.actions[1].description, "bootloader");
        assert_int_equal(img.actions[1].length, 8);
        assert_memory_equal(img.actions[1].data, "ABCDEFGH", 8);
        assert_int_equal(img.actions[2].components, 0x02);
        assert_string_equal(img.actions[2].description, "rootfs");
        assert_memory_equal(img.actions[2].data, data1, sizeof(data1));
        assert_memory_equal(img.actions[2].version, ((uint8_t[]) { 2, 5, 0xde, 0xad, 0xbe, 0xef }), 6);
}

/* parse -> encode gives the same bytes back. */
static void test_round_trip(void **state) {
        struct hpm_image img;
        uint8_t buf[GOLDEN_LEN];

        (void) state;
        assert_int_equal(hpm_image_parse(golden, GOLDEN_LEN, DIGEST, &img, NULL), HPM_IMAGE_OK);
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), GOLDEN_LEN);
        memcpy(buf + GOLDEN_LEN - 16, DIGEST, 16);
        assert_memory_equal(buf, golden, GOLDEN_LEN);
}

/* A copy of golden with bytes changed, and the header/record checksums put right again where
 * asked, so the check under test is the one that fails. */
static void fix_header_checksum(uint8_t *b) {
        uint8_t s = 0;

        for (size_t i = 0; i < 36; i++)
                s = (uint8_t) (s + b[i]);
        b[36] = (uint8_t) -s;
}

static void expect(const uint8_t *b, size_t len, const uint8_t *digest, int reason, size_t at) {
        struct hpm_image img;
        size_t where = 12345;

        memset(&img, 0x5A, sizeof(img));
        assert_int_equal(hpm_image_parse(b, len, digest, &img, &where), reason);
        assert_int_equal(where, at);
        /* Untouched on error. */
        assert_int_equal(img.device_id, 0x5A);
        assert_int_equal(img.n_actions, (size_t) 0x5A5A5A5A5A5A5A5Aull);
}

static void test_reasons(void **state) {
        uint8_t b[GOLDEN_LEN];
        uint8_t wrong[16];

        (void) state;
        /* Too short for anything. */
        expect(golden, HPM_IMAGE_MIN_LEN - 1, NULL, HPM_IMAGE_TRUNCATED, HPM_IMAGE_MIN_LEN - 1);
        expect(NULL, 0, NULL, HPM_IMAGE_TRUNCATED, 0);
        /* A digest that is not the image's. */
        memcpy(wrong, DIGEST, 16);
        wrong[15] ^= 1;
        expect(golden, GOLDEN_LEN, wrong, HPM_IMAGE_BAD_MD5, GOLDEN_LEN - 16);

        memcpy(b, golden, GOLDEN_LEN);
        b[0] = 'X';
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_SIGNATURE, 0);

        memcpy(b, golden, GOLDEN_LEN);
        b[8] = 1;
        fix_header_checksum(b);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_FORMAT_VERSION, 8);

        memcpy(b, golden, GOLDEN_LEN);
        b[9] = 0x24;                    /* device ID changed, checksum not */
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_HEADER_CHECKSUM, 36);

        memcpy(b, golden, GOLDEN_LEN);
        b[32] = 0xFF;                   /* OEM data running past the digest */
        b[33] = 0xFF;
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_TRUNCATED, 32);

        memcpy(b, golden, GOLDEN_LEN);
        b[20] = 0;
        fix_header_checksum(b);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_NO_COMPONENTS, 20);

        memcpy(b, golden, GOLDEN_LEN);
        b[39] ^= 1;                     /* backup record's checksum */
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_ACTION_CHECKSUM, 39);

        memcpy(b, golden, GOLDEN_LEN);
        b[37] = 3;                      /* "upload for compare" is a command, not a record */
        b[39] = (uint8_t) -(3 + 1);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_ACTION_TYPE, 37);

        memcpy(b, golden, GOLDEN_LEN);
        b[38] = 0x04;                   /* backup of component 2, not in the header */
        b[39] = (uint8_t) -(0 + 4);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_ACTION_COMPONENTS, 38);

        memcpy(b, golden, GOLDEN_LEN);
        b[41] = 0x03;                   /* one upload for two components */
        b[42] = (uint8_t) -(2 + 3);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_BAD_ACTION_COMPONENTS, 41);

        memcpy(b, golden, GOLDEN_LEN);
        b[83] = 0x01;                   /* the second upload is component 0 again */
        b[84] = (uint8_t) -(2 + 1);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_DUPLICATE_UPLOAD, 83);

        memcpy(b, golden, GOLDEN_LEN);
        b[70] = 8 + 39 + 1;             /* component 0's data running into the digest */
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_TRUNCATED, 70);

        memcpy(b, golden, GOLDEN_LEN);
        b[20] = 0x07;                   /* component 2 named, never uploaded */
        fix_header_checksum(b);
        expect(b, GOLDEN_LEN, NULL, HPM_IMAGE_NO_UPLOAD, 20);
}

/* The upload record's checksum over its whole 34-byte header: the other reading of HPM.1,
 * which ipmitool accepts, is accepted too. */
static void test_long_upload_checksum(void **state) {
        uint8_t b[GOLDEN_LEN];
        uint8_t s = 0;
        struct hpm_image img;

        (void) state;
        memcpy(b, golden, GOLDEN_LEN);
        b[42] = 0;
        for (size_t i = 40; i < 40 + HPM_IMAGE_UPLOAD_LEN; i++)
                s = (uint8_t) (s + b[i]);
        b[42] = (uint8_t) -s;
        assert_int_equal(hpm_image_parse(b, GOLDEN_LEN, NULL, &img, NULL), HPM_IMAGE_OK);
        assert_int_equal(img.actions[1].length, 8);
        /* The long reading is for upload records only. */
        memcpy(b, golden, GOLDEN_LEN);
        b[39] ^= 0x10;
        assert_int_equal(hpm_image_parse(b, GOLDEN_LEN, NULL, NULL, NULL), HPM_IMAGE_BAD_ACTION_CHECKSUM);
}

static void test_too_many_actions(void **state) {
        struct hpm_image img;
        static uint8_t buf[4096];
        ssize_t len;

        (void) state;
        golden_spec(&img);
        /* 30 backups + 2 uploads: the most there may be. */
        img.n_actions = 0;
        for (size_t i = 0; i < HPM_IMAGE_ACTIONS_MAX - 2; i++)
                img.actions[img.n_actions++] = (struct hpm_action) { .type = HPM_ACTION_BACKUP, .components = 1 };
        {
                struct hpm_image g;

                golden_spec(&g);
                img.actions[img.n_actions++] = g.actions[1];
                img.actions[img.n_actions++] = g.actions[2];
        }
        len = hpm_image_encode(&img, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(hpm_image_parse(buf, (size_t) len, NULL, NULL, NULL), HPM_IMAGE_OK);
        /* One more record, spliced in by hand before the digest. */
        memmove(buf + 37 + 3, buf + 37, (size_t) len - 37);
        buf[37] = 0;
        buf[38] = 1;
        buf[39] = 0xFF;
        assert_int_equal(hpm_image_parse(buf, (size_t) len + 3, NULL, NULL, NULL),
                         HPM_IMAGE_TOO_MANY_ACTIONS);
        img.n_actions = HPM_IMAGE_ACTIONS_MAX + 1;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
}

static void test_encode_refusals(void **state) {
        struct hpm_image img;
        uint8_t buf[512];

        (void) state;
        golden_spec(&img);
        img.actions[0].type = 3;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.actions[0].components = 0;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.actions[0].components = 0x10;       /* not in the header */
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.actions[1].components = 0x03;       /* an upload of two */
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.actions[2].components = 0x01;       /* component 0 twice, 1 never */
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.components = 0x07;                  /* component 2 without an upload */
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.components = 0;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        memset(img.actions[1].description, 'x', 21);    /* 21 characters: no room for the NUL */
        img.actions[1].description[21] = '\0';
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        memset(img.actions[1].description, 'x', 20);    /* 20: fits */
        img.actions[1].description[20] = '\0';
        assert_true(hpm_image_encode(&img, buf, sizeof(buf)) > 0);
        golden_spec(&img);
        img.actions[1].data = NULL;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
        golden_spec(&img);
        img.oem_data = NULL;
        assert_int_equal(hpm_image_encode(&img, buf, sizeof(buf)), -EINVAL);
}

static void test_target(void **state) {
        struct hpm_image img;
        struct hpm_target t = { .device_id = 0x23, .manufacturer_id = 0x007ED9,
                                .product_id = 0x1291, .fw_major = 1, .fw_minor = 0x42,
                                .components = 0x0F };
        uint8_t comp = 0xEE;

        (void) state;
        golden_spec(&img);
        assert_int_equal(hpm_image_check_target(&img, &t, &comp), HPM_IMAGE_OK);
        assert_int_equal(comp, 0xEE);
        t.device_id = 0x24;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_WRONG_DEVICE);
        t.device_id = 0x23;
        t.manufacturer_id = 0x00315A;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_WRONG_MANUFACTURER);
        t.manufacturer_id = 0x007ED9;
        t.product_id = 0x1292;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_WRONG_PRODUCT);
        t.product_id = 0x1291;
        t.fw_major = 0;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_INCOMPATIBLE_REVISION);
        t.fw_major = 1;
        img.earliest_compatible[1] = 0x43;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_INCOMPATIBLE_REVISION);
        img.earliest_compatible[1] = 0x42;
        assert_int_equal(hpm_image_check_target(&img, &t, NULL), HPM_IMAGE_OK);
        t.components = 0x01;
        assert_int_equal(hpm_image_check_target(&img, &t, &comp), HPM_IMAGE_UNKNOWN_COMPONENT);
        assert_int_equal(comp, 1);
        img.components = 0xA0;
        t.components = 0x00;
        assert_int_equal(hpm_image_check_target(&img, &t, &comp), HPM_IMAGE_UNKNOWN_COMPONENT);
        assert_int_equal(comp, 5);
}

static void test_versions(void **state) {
        static const struct {
                const char *s;
                int r;
                uint8_t v[6];
        } cases[] = {
                { "1.42", 0, { 1, 0x42, 0, 0, 0, 0 } },
                { "0.00", 0, { 0 } },
                { "127.99", 0, { 127, 0x99, 0, 0, 0, 0 } },
                { "2.05.DEADbeef", 0, { 2, 0x05, 0xde, 0xad, 0xbe, 0xef } },
                { "2.05 0000002a", 0, { 2, 0x05, 0, 0, 0, 0x2a } },
                { "2.05  0000002a", -EINVAL, { 0 } },
                { "2.05 ", -EINVAL, { 0 } },
                { "128.00", -EINVAL, { 0 } },
                { "1.5", -EINVAL, { 0 } },
                { "1.055", -EINVAL, { 0 } },
                { "1.05.1234567", -EINVAL, { 0 } },
                { "1.05.123456789", -EINVAL, { 0 } },
                { "1.05.12345g78", -EINVAL, { 0 } },
                { "1.05.", -EINVAL, { 0 } },
                { ".05", -EINVAL, { 0 } },
                { "0001.05", -EINVAL, { 0 } },
                { "1,05", -EINVAL, { 0 } },
                { "", -EINVAL, { 0 } },
                { "1.0a", -EINVAL, { 0 } },
                { " 1.05", -EINVAL, { 0 } },
                { "1.05 ", -EINVAL, { 0 } },
        };
        char text[32];

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t v[6];

                memset(v, 0x77, sizeof(v));
                assert_int_equal(hpm_version_from_string(cases[i].s, v), cases[i].r);
                if (cases[i].r == 0)
                        assert_memory_equal(v, cases[i].v, 6);
                else
                        for (size_t k = 0; k < 6; k++)
                                assert_int_equal(v[k], 0x77);
        }
        assert_int_equal(hpm_version_from_string(NULL, (uint8_t[6]) { 0 }), -EINVAL);
        assert_int_equal(hpm_version_to_string((uint8_t[]) { 1, 0x42, 0x0a, 0x0b, 0x0c, 0x0d },
                                               text, sizeof(text)), 13);
        assert_string_equal(text, "1.42 0A0B0C0D");
        assert_int_equal(hpm_version_to_string((uint8_t[]) { 1, 0x42, 0, 0, 0, 0 }, text, 5), 13);
        assert_string_equal(text, "1.42");
}

static void test_error_strings(void **state) {
        (void) state;
        for (int e = 0; e < _HPM_IMAGE_ERROR_MAX; e++)
                assert_non_null(hpm_image_error_to_string(e));
        assert_string_equal(hpm_image_error_to_string(-1), "unknown error");
        assert_string_equal(hpm_image_error_to_string(_HPM_IMAGE_ERROR_MAX), "unknown error");
}

/* Every truncation is refused (with the digest skipped too: the walk itself notices). */
static void test_truncations(void **state) {
        (void) state;
        for (size_t len = 0; len < GOLDEN_LEN; len++) {
                size_t where = 0;
                int r = hpm_image_parse(golden, len, NULL, NULL, &where);

                assert_int_not_equal(r, HPM_IMAGE_OK);
                assert_true(where <= len);
        }
}

/* Every single-byte change. With the trailing digest taken as the image's own (the digest
 * skipped), a change in the header, its OEM data or its checksum is always refused (the header
 * checksum), and whatever is accepted still has its uploads inside the image; handed the
 * original's digest while the trailing one is changed, all are refused. */
static void test_mutations(void **state) {
        uint8_t b[GOLDEN_LEN];
        struct hpm_image img;

        (void) state;
        for (size_t i = 0; i < GOLDEN_LEN; i++)
                for (unsigned x = 1; x < 256; x += 37) {
                        memcpy(b, golden, GOLDEN_LEN);
                        b[i] ^= (uint8_t) x;
                        if (i >= GOLDEN_LEN - HPM_IMAGE_MD5_LEN) {
                                assert_int_equal(hpm_image_parse(b, GOLDEN_LEN, DIGEST, NULL, NULL),
                                                 HPM_IMAGE_BAD_MD5);
                                continue;
                        }
                        if (hpm_image_parse(b, GOLDEN_LEN, NULL, &img, NULL) != HPM_IMAGE_OK)
                                continue;
                        assert_true(i > 36);
                        for (size_t k = 0; k < img.n_actions; k++)
                                if (img.actions[k].type == HPM_ACTION_UPLOAD)
                                        assert_true(img.actions[k].data + img.actions[k].length <=
                                                    b + GOLDEN_LEN - HPM_IMAGE_MD5_LEN);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_golden),
                cmocka_unit_test(test_parse_golden),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_reasons),
                cmocka_unit_test(test_long_upload_checksum),
                cmocka_unit_test(test_too_many_actions),
                cmocka_unit_test(test_encode_refusals),
                cmocka_unit_test(test_target),
                cmocka_unit_test(test_versions),
                cmocka_unit_test(test_error_strings),
                cmocka_unit_test(test_truncations),
                cmocka_unit_test(test_mutations),
        };

        return cmocka_run_group_tests_name("hpm-image", tests, NULL, NULL);
}
