/* SPDX-License-Identifier: MIT */
/*
 * protocol/fru.c: the builder against golden bytes written out by hand from the specification
 * (and checked with `ipmitool fru print`), the builder's refusals, round trips build -> parse,
 * every problem the validator reports (offset and message), and hostile input: every
 * truncation and a few thousand mutations of a valid image.
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

#include "protocol/fru.h"

/* 2019-06-22 09:18 UTC is minute 12345678 = 0xBC614E. */
#define GOLDEN_MINUTES 12345678u

static const uint8_t golden[] = {
        /* common header: version 1, no internal use, chassis at 8, board at 24, product at 64,
         * no multirecord, pad, checksum */
        0x01, 0x00, 0x01, 0x03, 0x08, 0x00, 0x00, 0xf3,
        /* chassis: version, 2 x 8 bytes, type 0x17, "CP", "CS", end, padding, checksum */
        0x01, 0x02, 0x17, 0xc2, 0x43, 0x50, 0xc2, 0x43,
        0x53, 0xc1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x78,
        /* board: version, 5 x 8, English, minutes 4e 61 bc, "Acme", "Widget Board", "SN01",
         * "PN01", empty FRU file ID, end, padding, checksum */
        0x01, 0x05, 0x00, 0x4e, 0x61, 0xbc, 0xc4, 0x41,
        0x63, 0x6d, 0x65, 0xcc, 0x57, 0x69, 0x64, 0x67,
        0x65, 0x74, 0x20, 0x42, 0x6f, 0x61, 0x72, 0x64,
        0xc4, 0x53, 0x4e, 0x30, 0x31, 0xc4, 0x50, 0x4e,
        0x30, 0x31, 0xc0, 0xc1, 0x00, 0x00, 0x00, 0x13,
        /* product: version, 5 x 8, English, "Acme", "Widget", "W-1", "v1", "PS01", "AT01",
         * empty file ID, custom "x1", end, padding, checksum */
        0x01, 0x05, 0x00, 0xc4, 0x41, 0x63, 0x6d, 0x65,
        0xc6, 0x57, 0x69, 0x64, 0x67, 0x65, 0x74, 0xc3,
        0x57, 0x2d, 0x31, 0xc2, 0x76, 0x31, 0xc4, 0x50,
        0x53, 0x30, 0x31, 0xc4, 0x41, 0x54, 0x30, 0x31,
        0xc0, 0xc2, 0x78, 0x31, 0xc1, 0x00, 0x00, 0x47,
};

static struct fru_info golden_info(void) {
        return (struct fru_info) {
                .chassis = { .present = true, .type = 0x17, .part_number = "CP",
                             .serial_number = "CS" },
                .board = { .present = true, .mfg_minutes = GOLDEN_MINUTES, .manufacturer = "Acme",
                           .product_name = "Widget Board", .serial_number = "SN01",
                           .part_number = "PN01" },
                .product = { .present = true, .manufacturer = "Acme", .name = "Widget",
                             .part_number = "W-1", .version = "v1", .serial_number = "PS01",
                             .asset_tag = "AT01", .custom = { "x1" }, .n_custom = 1 },
        };
}

static void test_golden(void **state) {
        struct fru_info info = golden_info();
        uint8_t buf[FRU_BUILD_MAX];
        ssize_t n = fru_build(&info, buf, sizeof(buf));

        assert_int_equal(n, sizeof(golden));
        assert_memory_equal(buf, golden, sizeof(golden));

        /* Exactly the room it needs is enough; one byte less is -ENOBUFS. */
        assert_int_equal(fru_build(&info, buf, sizeof(golden)), sizeof(golden));
        assert_int_equal(fru_build(&info, buf, sizeof(golden) - 1), -ENOBUFS);
}

static const char *text(const struct fru_parsed_area *a, size_t i) {
        assert_true(i < a->n_fields);
        assert_int_equal(a->fields[i].type, 3);
        return (const char *) a->fields[i].data;
}

static void test_golden_parses(void **state) {
        struct fru_parsed p;
        struct fru_report rep;

        assert_int_equal(fru_parse(golden, sizeof(golden), &p, &rep), 0);
        assert_int_equal(rep.n_problems, 0);
        assert_false(p.areas[FRU_AREA_INTERNAL].present);
        assert_false(p.areas[FRU_AREA_MULTIRECORD].present);

        assert_true(p.areas[FRU_AREA_CHASSIS].valid);
        assert_int_equal(p.areas[FRU_AREA_CHASSIS].offset, 8);
        assert_int_equal(p.areas[FRU_AREA_CHASSIS].length, 16);
        assert_int_equal(p.areas[FRU_AREA_CHASSIS].type_or_language, 0x17);
        assert_string_equal(text(&p.areas[FRU_AREA_CHASSIS], 1), "CS");

        assert_true(p.areas[FRU_AREA_BOARD].valid);
        assert_int_equal(p.areas[FRU_AREA_BOARD].mfg_minutes, GOLDEN_MINUTES);
        assert_int_equal(p.areas[FRU_AREA_BOARD].n_fields, 5);
        assert_string_equal(text(&p.areas[FRU_AREA_BOARD], 1), "Widget Board");
        assert_int_equal(p.areas[FRU_AREA_BOARD].fields[4].len, 0);

        assert_true(p.areas[FRU_AREA_PRODUCT].valid);
        assert_int_equal(p.areas[FRU_AREA_PRODUCT].n_fields, 8);
        assert_string_equal(text(&p.areas[FRU_AREA_PRODUCT], 7), "x1");
}

static void test_minutes(void **state) {
        static const struct {
                const char *s;
                int r;
                uint32_t minutes;
        } cases[] = {
                { "1996-01-01 00:00", 0, 0 },
                { "1996-01-01 00:01", 0, 1 },
                { "1996-03-01 00:00", 0, 60 * 1440 },           /* 1996 is a leap year */
                { "2019-06-22 09:18", 0, GOLDEN_MINUTES },
                { "2027-11-24 20:15", 0, 0xFFFFFF },
                { "2027-11-24 20:16", -ERANGE, 0 },
                { "1995-12-31 23:59", -ERANGE, 0 },
                { "2000-02-29 00:00", 0, 1520u * 1440 },        /* divisible by 400: leap */
                { "2100-02-29 00:00", -EINVAL, 0 },             /* by 100: not leap */
                { "2023-02-29 00:00", -EINVAL, 0 },
                { "2023-04-31 00:00", -EINVAL, 0 },
                { "2023-13-01 00:00", -EINVAL, 0 },
                { "2023-00-01 00:00", -EINVAL, 0 },
                { "2023-01-01 24:00", -EINVAL, 0 },
                { "2023-01-01 23:60", -EINVAL, 0 },
                { "2023-01-01T10:00", -EINVAL, 0 },
                { "2023-01-01 10:00 ", -EINVAL, 0 },
                { "2023-1-01 10:00", -EINVAL, 0 },
                { "+023-01-01 10:00", -EINVAL, 0 },
                { "", -EINVAL, 0 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t m = 0xAAAAAAAA;
                int r = fru_minutes_from_string(cases[i].s, &m);

                if (r != cases[i].r)
                        fail_msg("\"%s\": %d, expected %d", cases[i].s, r, cases[i].r);
                assert_int_equal(m, r == 0 ? cases[i].minutes : 0xAAAAAAAA);
        }
}

static void test_build_refuses(void **state) {
        static const char long64[] =
                "0123456789012345678901234567890123456789012345678901234567890123";
        uint8_t buf[FRU_BUILD_MAX];
        struct fru_info info;

        info = golden_info();
        info.board.serial_number = "X";         /* would be 0xC1, the end marker */
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -EINVAL);

        info = golden_info();
        info.product.asset_tag = long64;
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -EINVAL);
        info.product.asset_tag = long64 + 1;    /* 63: the most a field holds */
        assert_true(fru_build(&info, buf, sizeof(buf)) > 0);

        info = golden_info();
        info.chassis.n_custom = FRU_CUSTOM_MAX + 1;
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -EINVAL);

        info = golden_info();
        info.board.mfg_minutes = FRU_MINUTES_MAX + 1;
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -EINVAL);

        /* Three areas full to the brim push a multirecord area past offset 255 * 8. */
        info = (struct fru_info) { .chassis.present = true, .board.present = true,
                                   .product.present = true };
        info.chassis.part_number = info.chassis.serial_number = long64 + 1;
        info.board.manufacturer = info.board.product_name = info.board.serial_number =
                info.board.part_number = info.board.file_id = long64 + 1;
        info.product.manufacturer = info.product.name = info.product.part_number =
                info.product.version = info.product.serial_number = info.product.asset_tag =
                info.product.file_id = long64 + 1;
        for (size_t i = 0; i < FRU_CUSTOM_MAX; i++)
                info.chassis.custom[i] = info.board.custom[i] = info.product.custom[i] = long64 + 1;
        info.chassis.n_custom = info.board.n_custom = info.product.n_custom = FRU_CUSTOM_MAX;
        assert_true(fru_build(&info, buf, sizeof(buf)) > 0);
        info.records = &(const struct fru_record) { .type = 0xC0, .len = 0 };
        info.n_records = 1;
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -E2BIG);

        /* A record of a known type that does not have its layout is not built. */
        info = golden_info();
        info.records = &(const struct fru_record) { .type = FRU_RECORD_POWER_SUPPLY, .len = 23,
                                                    .data = (const uint8_t *) long64 };
        info.n_records = 1;
        assert_int_equal(fru_build(&info, buf, sizeof(buf)), -EINVAL);
}

/* Build, parse, and find every field again, for a spread of shapes. */
static void check_round_trip(const struct fru_info *info, const uint8_t *mr, size_t mr_len) {
        uint8_t buf[FRU_BUILD_MAX + 64];
        struct fru_parsed p;
        struct fru_report rep;
        ssize_t n = fru_build(info, buf, sizeof(buf));
        const char *expect[3][7 + FRU_CUSTOM_MAX];
        const struct { enum fru_area_kind k; bool present; size_t n; } areas[3] = {
                { FRU_AREA_CHASSIS, info->chassis.present, 2 + info->chassis.n_custom },
                { FRU_AREA_BOARD, info->board.present, 5 + info->board.n_custom },
                { FRU_AREA_PRODUCT, info->product.present, 7 + info->product.n_custom },
        };

        assert_true(n >= FRU_HEADER_LEN);
        assert_int_equal(n % 8, 0);
        if (fru_parse(buf, (size_t) n, &p, &rep) != 0)
                fail_msg("round trip: %s at %zu", rep.problems[0].message, rep.problems[0].offset);

        expect[0][0] = info->chassis.part_number;
        expect[0][1] = info->chassis.serial_number;
        memcpy(expect[0] + 2, info->chassis.custom, sizeof(info->chassis.custom));
        expect[1][0] = info->board.manufacturer;
        expect[1][1] = info->board.product_name;
        expect[1][2] = info->board.serial_number;
        expect[1][3] = info->board.part_number;
        expect[1][4] = info->board.file_id;
        memcpy(expect[1] + 5, info->board.custom, sizeof(info->board.custom));
        expect[2][0] = info->product.manufacturer;
        expect[2][1] = info->product.name;
        expect[2][2] = info->product.part_number;
        expect[2][3] = info->product.version;
        expect[2][4] = info->product.serial_number;
        expect[2][5] = info->product.asset_tag;
        expect[2][6] = info->product.file_id;
        memcpy(expect[2] + 7, info->product.custom, sizeof(info->product.custom));

        for (size_t a = 0; a < 3; a++) {
                const struct fru_parsed_area *pa = &p.areas[areas[a].k];

                assert_int_equal(pa->present, areas[a].present);
                if (!areas[a].present)
                        continue;
                assert_int_equal(pa->n_fields, areas[a].n);
                for (size_t i = 0; i < areas[a].n; i++)
                        assert_string_equal(text(pa, i), expect[a][i] ? expect[a][i] : "");
        }
        if (info->board.present)
                assert_int_equal(p.areas[FRU_AREA_BOARD].mfg_minutes, info->board.mfg_minutes);
        if (info->chassis.present)
                assert_int_equal(p.areas[FRU_AREA_CHASSIS].type_or_language, info->chassis.type);
        assert_int_equal(p.areas[FRU_AREA_MULTIRECORD].present, mr_len > 0);
        if (mr_len > 0) {
                assert_int_equal(p.areas[FRU_AREA_MULTIRECORD].length, mr_len);
                assert_int_equal(p.areas[FRU_AREA_MULTIRECORD].n_records, info->n_records);
                assert_memory_equal(buf + p.areas[FRU_AREA_MULTIRECORD].offset, mr, mr_len);
        }
}

static void test_round_trip(void **state) {
        /* Two records: a 3-byte one, then an empty one with end-of-list set. Each header is
         * type, end/version, length, data checksum, header checksum: written by the builder. */
        static const uint8_t mr[] = {
                0xC0, 0x02, 0x03, 0xFA, 0x41, 0x01, 0x02, 0x03,
                0xC1, 0x82, 0x00, 0x00, 0xBD,
        };
        static const struct fru_record records[] = {
                { .type = 0xC0, .len = 3, .data = (const uint8_t *) "\x01\x02\x03" },
                { .type = 0xC1, .len = 0, .data = NULL },
        };
        struct fru_info info = { .records = NULL };

        check_round_trip(&info, NULL, 0);       /* header only */

        info = golden_info();
        check_round_trip(&info, NULL, 0);

        info = (struct fru_info) { .board = { .present = true, .mfg_minutes = FRU_MINUTES_MAX } };
        check_round_trip(&info, NULL, 0);       /* every field empty */

        info = golden_info();
        info.chassis.present = false;
        info.product.custom[1] = "second custom field";
        info.product.custom[2] = "third";
        info.product.n_custom = 3;
        info.board.custom[0] = "HW rev B";
        info.board.n_custom = 1;
        info.records = records;
        info.n_records = sizeof(records) / sizeof(records[0]);
        check_round_trip(&info, mr, sizeof(mr));
}

/* ---- every problem the validator reports ---- */

static uint8_t img[sizeof(golden) + 64];
static size_t img_len;

static void reset(void) {
        memset(img, 0, sizeof(img));
        memcpy(img, golden, sizeof(golden));
        img_len = sizeof(golden);
}

static void fix_header(void) {
        img[7] = fru_checksum(img, 7);
}

static void fix_area(size_t off) {
        size_t len = (size_t) img[off + 1] * 8;
        img[off + len - 1] = fru_checksum(img + off, len - 1);
}

/* The report has exactly one problem, at offset, whose message contains want. */
static void expect_one(size_t offset, const char *want) {
        struct fru_report rep;
        size_t n = fru_parse(img, img_len, NULL, &rep);

        if (n != 1 || rep.n_problems != 1) {
                for (size_t i = 0; i < rep.n_problems; i++)
                        print_message("  %zu: %s\n", rep.problems[i].offset, rep.problems[i].message);
                fail_msg("%zu problems, expected one: \"%s\"", n, want);
        }
        if (!strstr(rep.problems[0].message, want))
                fail_msg("\"%s\" lacks \"%s\"", rep.problems[0].message, want);
        assert_int_equal(rep.problems[0].offset, offset);
}

static void test_errors(void **state) {
        reset();
        img_len = 5;
        expect_one(0, "image is 5 bytes, shorter than the 8-byte common header");

        reset();
        img[0] = 0x02;
        fix_header();
        expect_one(0, "common header format version 0x02, expected 0x01");

        reset();
        img[7] ^= 0x01;
        expect_one(7, "common header checksum 0xf2, expected 0xf3");

        reset();
        img[4] = 0x20;                          /* product at 256 in a 104-byte image */
        fix_header();
        expect_one(4, "product info area offset 256 is beyond the 104-byte image");

        reset();
        img[25] = 0x20;                         /* board length 256 */
        expect_one(25, "board info area length 256 runs past the end of the 104-byte image");

        reset();
        img[25] = 0;
        expect_one(25, "board info area length is 0");

        reset();
        img[70] ^= 0x20;                        /* "Acme" -> "ACme" in the product area */
        expect_one(103, "product info area checksum 0x47, expected 0x67");

        reset();
        img[8] = 0x02;
        fix_area(8);
        expect_one(8, "chassis info area format version 0x02, expected 0x01");

        reset();
        img[14] = 0xCF;                         /* "CS" claims 15 bytes; 8 are left */
        fix_area(8);
        expect_one(14, "chassis info area field 2: type/length 0xcf needs 15 bytes, the area has 8 left");

        reset();
        img[17] = 0x00;                         /* no 0xC1: zero-length binary fields to the end */
        fix_area(8);
        expect_one(23, "chassis info area has no end-of-fields marker 0xC1 before its checksum");

        reset();
        img[14] = 0xC1;                         /* ends after the part number */
        img[15] = img[16] = img[17] = 0;
        fix_area(8);
        expect_one(14, "chassis info area ends after 1 of its 2 required fields");

        reset();
        img[58] = 0xC1;                         /* board: the FRU file ID is required too */
        img[59] = 0;
        fix_area(24);
        expect_one(58, "board info area ends after 4 of its 5 required fields");

        reset();
        img[1] = 13;                            /* internal use area at 104, after the rest */
        img_len = 112;
        fix_header();
        expect_one(104, "internal use area format version 0x00, expected 0x01");

        reset();
        img[3] = 0x02;                          /* board at 16: inside the chassis area */
        fix_header();
        {
                struct fru_report rep;
                bool overlap = false;

                assert_true(fru_parse(img, img_len, NULL, &rep) >= 1);
                for (size_t i = 0; i < rep.n_problems; i++)
                        overlap |= strstr(rep.problems[i].message, "overlaps the board info area at 16") != NULL;
                assert_true(overlap);
        }
}

static void test_multirecord_errors(void **state) {
        static const uint8_t good_mr[] = {
                0xC0, 0x82, 0x03, 0xFA, 0xC1, 0x01, 0x02, 0x03,
        };

        reset();
        memcpy(img + 104, good_mr, sizeof(good_mr));
        img_len = 112;
        img[5] = 13;
        fix_header();
        assert_int_equal(fru_parse(img, img_len, NULL, NULL), 0);

        img[104 + 4] ^= 0xFF;
        expect_one(108, "multirecord record 1: header checksum 0x3e, expected 0xc1");

        img[104 + 4] ^= 0xFF;
        img[104 + 7] = 0x04;
        expect_one(107, "multirecord record 1: data checksum 0xfa, expected 0xf9");

        img[104 + 7] = 0x03;
        img[104 + 1] = 0x81;
        img[104 + 4] = fru_checksum(img + 104, 4);
        expect_one(105, "multirecord record 1: format version 1, expected 2");

        img[104 + 1] = 0x82;
        img[104 + 2] = 0x04;                    /* 4 data bytes, 3 in the image */
        img[104 + 4] = fru_checksum(img + 104, 4);
        expect_one(106, "multirecord record 1: 4 data bytes run past the end of the 112-byte image");

        img[104 + 2] = 0x03;
        img[104 + 1] = 0x02;                    /* no end of list: the next header is missing */
        img[104 + 4] = fru_checksum(img + 104, 4);
        expect_one(112, "multirecord record 2: header runs past the end of the 112-byte image");
}

/* Every problem, not just the first; and a full report counts what it could not keep. */
static void test_many_problems(void **state) {
        static uint8_t big[8 + 40 * 5];
        struct fru_report rep;

        reset();
        img[7] ^= 0x01;
        img[70] ^= 0x20;
        img[14] = 0xCF;
        assert_int_equal(fru_parse(img, img_len, NULL, &rep), 4);
        assert_int_equal(rep.problems[0].offset, 7);    /* header checksum */
        assert_int_equal(rep.problems[1].offset, 23);   /* chassis checksum */
        assert_int_equal(rep.problems[2].offset, 14);   /* chassis field */
        assert_int_equal(rep.problems[3].offset, 103);  /* product checksum */

        /* 40 empty OEM records with a wrong data checksum each (0x01 for no data). */
        memset(big, 0, sizeof(big));
        big[0] = 0x01;
        big[5] = 0x01;
        big[7] = fru_checksum(big, 7);
        for (size_t i = 0; i < 40; i++) {
                uint8_t *h = big + 8 + i * 5;

                h[0] = 0xC0;
                h[1] = (uint8_t) (i == 39 ? 0x82 : 0x02);
                h[3] = 0x01;
                h[4] = fru_checksum(h, 4);
        }
        assert_int_equal(fru_parse(big, sizeof(big), NULL, &rep), 40);
        assert_int_equal(rep.n_problems, FRU_PROBLEMS_MAX);
        assert_int_equal(rep.n_dropped, 40 - FRU_PROBLEMS_MAX);
}

/* ---- hostile input ---- */

static void test_truncations(void **state) {
        struct fru_parsed p;
        struct fru_report rep;

        for (size_t len = 0; len < sizeof(golden); len++) {
                uint8_t *copy = malloc(len ? len : 1);  /* exact size: valgrind sees overreads */

                memcpy(copy, golden, len);
                if (fru_parse(copy, len, &p, &rep) == 0)
                        fail_msg("a %zu-byte prefix validates", len);
                assert_true(rep.n_problems >= 1);
                free(copy);
        }
}

static void test_mutations(void **state) {
        uint32_t seed = 12345;

        for (unsigned round = 0; round < 5000; round++) {
                uint8_t *copy = malloc(sizeof(golden));
                struct fru_parsed p;
                struct fru_report rep, rep_only;
                size_t n;

                memcpy(copy, golden, sizeof(golden));
                for (unsigned k = 0; k < 1 + round % 4; k++) {
                        seed = seed * 1103515245u + 12345u;
                        copy[(seed >> 8) % sizeof(golden)] = (uint8_t) (seed >> 20);
                }
                n = fru_parse(copy, sizeof(golden), &p, &rep);
                assert_int_equal(rep.n_problems + rep.n_dropped, n);
                for (size_t i = 0; i < rep.n_problems; i++)
                        assert_true(rep.problems[i].offset <= sizeof(golden));
                /* Without fields to keep (the store's check) the report is the same one. */
                assert_int_equal(fru_parse(copy, sizeof(golden), NULL, &rep_only), n);
                assert_int_equal(rep_only.n_problems, rep.n_problems);
                for (size_t i = 0; i < rep.n_problems; i++) {
                        assert_int_equal(rep_only.problems[i].offset, rep.problems[i].offset);
                        assert_string_equal(rep_only.problems[i].message,
                                            rep.problems[i].message);
                }
                free(copy);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden),
                cmocka_unit_test(test_golden_parses),
                cmocka_unit_test(test_minutes),
                cmocka_unit_test(test_build_refuses),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_multirecord_errors),
                cmocka_unit_test(test_many_problems),
                cmocka_unit_test(test_truncations),
                cmocka_unit_test(test_mutations),
        };

        return cmocka_run_group_tests_name("fru", tests, NULL, NULL);
}
