/* SPDX-License-Identifier: MIT */
/*
 * protocol/picmg-fru.c: link descriptors, AMC channel descriptors and the PICMG records byte
 * for byte (the bytes stock ipmitool sends for the same link in `picmg portstate set`, and
 * frugy's AMC.0 layouts), fields too wide refused with the output untouched, and the record
 * check on good, truncated, reserved-bit and random records.
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

#include "protocol/picmg-fru.h"

/* Fabric channel 1, ports 0..3, Ethernet (0x02) 10GBASE-KX4 (4), group 0: ipmitool packs it as
 * 41 2f 40 00 (lib/ipmi_picmg.c, ipmi_picmg_portstate_set). */
static const struct picmg_link kx4 = {
        .channel = 1, .interface = PICMG_LINK_FABRIC, .ports = 0xF, .type = 0x02,
        .extension = 4, .group = 0,
};
static const uint8_t kx4_bytes[4] = { 0x41, 0x2F, 0x40, 0x00 };

/* An AMC PCIe x4 (type 0x02, Gen 2 no SSC = 2) on channel 0, group 1. */
static const struct picmg_amc_link pcie = {
        .channel = 0, .lanes = 0xF, .type = 0x02, .extension = 2, .group = 1,
};
static const uint8_t pcie_bytes[5] = { 0x00, 0x2F, 0x20, 0x01, 0xFC };
static const struct picmg_amc_channel ports4567 = { .lane_port = { 4, 5, 6, 7 } };
static const uint8_t ports4567_bytes[3] = { 0xA4, 0x98, 0xF3 };

static void test_link_bytes(void **state) {
        uint8_t b[4];
        struct picmg_link l;

        (void) state;
        assert_int_equal(picmg_link_encode(&kx4, b), 0);
        assert_memory_equal(b, kx4_bytes, 4);
        picmg_link_decode(b, &l);
        assert_memory_equal(&l, &kx4, sizeof(l));
        /* A type above 0x0F spans two bytes. */
        l = (struct picmg_link) { .channel = 63, .interface = 2, .ports = 1, .type = 0xF1,
                                  .extension = 0xF, .group = 0xAB };
        assert_int_equal(picmg_link_encode(&l, b), 0);
        assert_memory_equal(b, ((uint8_t[]) { 0xBF, 0x11, 0xFF, 0xAB }), 4);
}

static void test_link_too_wide(void **state) {
        static const struct picmg_link bad[] = {
                { .channel = 64 }, { .interface = 4 }, { .ports = 0x10 }, { .extension = 16 },
        };
        uint8_t b[4] = { 1, 2, 3, 4 };

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(picmg_link_encode(&bad[i], b), -EINVAL);
                assert_memory_equal(b, ((uint8_t[]) { 1, 2, 3, 4 }), 4);
        }
}

static void test_amc_bytes(void **state) {
        uint8_t b[5], info[3];
        struct picmg_amc_link l;
        struct picmg_amc_channel c;

        (void) state;
        assert_int_equal(picmg_amc_link_encode(&pcie, b), 0);
        assert_memory_equal(b, pcie_bytes, 5);
        assert_int_equal(picmg_amc_link_decode(b, &l), 0);
        assert_memory_equal(&l, &pcie, sizeof(l));
        /* The port state commands' Link Info is bytes 1..3 of the descriptor. */
        assert_int_equal(picmg_amc_link_info_encode(&pcie, info), 0);
        assert_memory_equal(info, pcie_bytes + 1, 3);
        memset(&l, 0, sizeof(l));
        picmg_amc_link_info_decode(info, &l);
        assert_int_equal(l.lanes, 0xF);
        assert_int_equal(l.type, 0x02);
        assert_int_equal(l.extension, 2);
        assert_int_equal(l.group, 1);
        /* Reserved bits 39:34 must be ones. */
        b[4] = 0x7C;
        memset(&l, 0x55, sizeof(l));
        assert_int_equal(picmg_amc_link_decode(b, &l), -EINVAL);
        assert_int_equal(l.channel, 0x55);
        assert_int_equal(picmg_amc_link_encode(&(struct picmg_amc_link) { .asymmetric_match = 4 },
                                               b), -EINVAL);

        assert_int_equal(picmg_amc_channel_encode(&ports4567, b), 0);
        assert_memory_equal(b, ports4567_bytes, 3);
        assert_int_equal(picmg_amc_channel_decode(b, &c), 0);
        assert_memory_equal(&c, &ports4567, sizeof(c));
        b[2] = 0x73;            /* reserved bits 23:20 not 1111b */
        assert_int_equal(picmg_amc_channel_decode(b, &c), -EINVAL);
        assert_int_equal(picmg_amc_channel_encode(&(struct picmg_amc_channel) {
                                 .lane_port = { 32, 0, 0, 0 } }, b), -EINVAL);
}

static void test_records(void **state) {
        static const uint8_t board_want[] = {
                0x5A, 0x31, 0x00, 0x14, 0x00, 0x00, 0x41, 0x2F, 0x40, 0x00,
        };
        static const uint8_t amc_want[] = {
                0x5A, 0x31, 0x00, 0x19, 0x00,
                0x00,                           /* no OEM GUIDs */
                0x80,                           /* AMC module */
                0x01, 0xA4, 0x98, 0xF3,         /* one channel: ports 4..7 */
                0x00, 0x2F, 0x20, 0x01, 0xFC,   /* its PCIe x4 link */
        };
        uint8_t b[255], cur[PICMG_MODULE_CURRENT_LEN];
        struct picmg_link many[63];
        char reason[160];

        (void) state;
        assert_int_equal(picmg_board_p2p_record(&kx4, 1, b, sizeof(b)), sizeof(board_want));
        assert_memory_equal(b, board_want, sizeof(board_want));
        assert_int_equal(picmg_record_check(b, sizeof(board_want), reason, sizeof(reason)), 0);
        assert_int_equal(picmg_board_p2p_record(&kx4, 1, b, sizeof(board_want) - 1), -ENOBUFS);
        for (size_t i = 0; i < 63; i++)
                many[i] = kx4;
        /* 62 descriptors fill 254 bytes; 63 do not fit a record. */
        assert_int_equal(picmg_board_p2p_record(many, 62, b, sizeof(b)), 6 + 62 * 4);
        assert_int_equal(picmg_board_p2p_record(many, 63, b, sizeof(b)), -EINVAL);

        assert_int_equal(picmg_amc_p2p_record(true, 0, &ports4567, 1, &pcie, 1, b, sizeof(b)),
                         sizeof(amc_want));
        assert_memory_equal(b, amc_want, sizeof(amc_want));
        assert_int_equal(picmg_record_check(b, sizeof(amc_want), reason, sizeof(reason)), 0);
        /* A link on a channel the record does not describe. */
        assert_int_equal(picmg_amc_p2p_record(true, 0, &ports4567, 0, &pcie, 1, b, sizeof(b)),
                         -EINVAL);
        assert_int_equal(picmg_amc_p2p_record(false, 16, NULL, 0, NULL, 0, b, sizeof(b)),
                         -EINVAL);

        picmg_module_current_record(65, cur);
        assert_memory_equal(cur, ((uint8_t[]) { 0x5A, 0x31, 0x00, 0x16, 0x00, 65 }), 6);
        assert_int_equal(picmg_record_check(cur, sizeof(cur), reason, sizeof(reason)), 0);
}

static void expect_refused(const uint8_t *b, size_t len, const char *words) {
        char reason[160] = "";

        assert_int_equal(picmg_record_check(b, len, reason, sizeof(reason)), -EINVAL);
        if (!strstr(reason, words))
                fail_msg("reason \"%s\" lacks \"%s\"", reason, words);
}

static void test_check_refuses(void **state) {
        uint8_t b[64];
        char reason[8];

        (void) state;
        expect_refused((const uint8_t[]) { 0x5A, 0x31 }, 2, "manufacturer ID");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14 }, 4, "too short");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x16, 0x01, 10 }, 6,
                       "format version");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x16, 0x00 }, 5, "not 5");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14, 0x00 }, 5, "GUID count");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14, 0x00, 0x01, 0, 0 }, 8,
                       "OEM GUIDs do not fit");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14, 0x00, 0x00, 0x41, 0x2F, 0x40 },
                       9, "multiple of 4");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14, 0x00, 0x00, 0x00, 0x2F, 0x40,
                                           0x00 }, 10, "channel 0");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x14, 0x00, 0x00, 0xC1, 0x2F, 0x40,
                                           0x00 }, 10, "interface 3");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80 }, 7,
                       "channel descriptor count");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0xF0, 0x00 }, 8,
                       "bits 6:4");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x02, 0xA4,
                                           0x98, 0xF3 }, 11, "do not fit");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x01, 0xA4,
                                           0x98, 0x03 }, 11, "23:20");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x01, 0xA4,
                                           0x98, 0xF3, 0x00 }, 12, "multiple of 5");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x01, 0xA4,
                                           0x98, 0xF3, 0x00, 0x2F, 0x20, 0x01, 0x00 }, 16,
                       "39:34");
        expect_refused((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x01, 0xA4,
                                           0x98, 0xF3, 0x01, 0x2F, 0x20, 0x01, 0xFC }, 16,
                       "channel 1 of 1");
        /* Other manufacturers and PICMG records not laid out here pass; a tiny reason buffer
         * is cut, not overrun. */
        assert_int_equal(picmg_record_check((const uint8_t[]) { 0xD9, 0x7E, 0x00 }, 3, NULL, 0),
                         0);
        assert_int_equal(picmg_record_check((const uint8_t[]) { 0x5A, 0x31, 0x00, 0x2D, 0x07 }, 5,
                                            NULL, 0), 0);
        memset(b, 0, sizeof(b));
        assert_int_equal(picmg_record_check(b, 1, reason, sizeof(reason)), -EINVAL);
        assert_int_equal(strlen(reason), sizeof(reason) - 1);
}

/* Every prefix of a good record and random records: no crash, no read past len (ASan), and
 * the verdict agrees with a second call. */
static void test_check_hostile(void **state) {
        uint8_t good[64], b[255];
        struct picmg_amc_link links[2] = { pcie, pcie };
        ssize_t n;
        unsigned seed = 7;

        (void) state;
        links[1].lanes = 1;
        n = picmg_amc_p2p_record(true, 0, &ports4567, 1, links, 2, good, sizeof(good));
        assert_true(n > 0);
        for (ssize_t len = 0; len < n; len++) {
                uint8_t *copy = malloc((size_t) len ?: 1);

                memcpy(copy, good, (size_t) len);
                /* Only the whole record, and the header-plus-GUID-count prefixes that happen
                 * to be complete layouts, may pass; a cut descriptor never does. */
                if (len > 8 && len < n)
                        assert_int_equal(picmg_record_check(copy, (size_t) len, NULL, 0),
                                         (len - 11) % 5 == 0 && len >= 11 ? 0 : -EINVAL);
                else
                        (void) picmg_record_check(copy, (size_t) len, NULL, 0);
                free(copy);
        }
        for (unsigned round = 0; round < 20000; round++) {
                size_t len = (size_t) (rand_r(&seed) % 40);

                for (size_t i = 0; i < len; i++)
                        b[i] = (uint8_t) rand_r(&seed);
                if (len >= 3) {
                        b[0] = 0x5A;
                        b[1] = 0x31;
                        b[2] = 0x00;
                }
                if (len >= 5) {
                        b[3] = (uint8_t[]) { 0x14, 0x16, 0x19 }[round % 3];
                        b[4] = round % 7 ? 0 : b[4];
                }
                assert_int_equal(picmg_record_check(b, len, NULL, 0),
                                 picmg_record_check(b, len, NULL, 0));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_link_bytes),
                cmocka_unit_test(test_link_too_wide),
                cmocka_unit_test(test_amc_bytes),
                cmocka_unit_test(test_records),
                cmocka_unit_test(test_check_refuses),
                cmocka_unit_test(test_check_hostile),
        };

        return cmocka_run_group_tests_name("picmg-fru", tests, NULL, NULL);
}
