/* SPDX-License-Identifier: MIT */
/*
 * The ipmb-dev-int ABI (protocol/ipmb-dev-abi.h) against what drivers/char/ipmi/ipmb_dev_int.c
 * does: write() length rules (count > 240, count < len byte, count == len byte), an odd
 * destination address, SMBus block writes cut at 32 bytes; received writes checked for length
 * and chk1 only, cut at 237 bytes. Inputs are heap copies of exactly their length so valgrind
 * sees any read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmb-dev-abi.h"

static uint8_t *dup_exact(const uint8_t *p, size_t len) {
        uint8_t *d = malloc(len > 0 ? len : 1);

        assert_non_null(d);
        if (len > 0)
                memcpy(d, p, len);
        return d;
}

static int write_exact(const uint8_t *buf, size_t count, enum emubus_ipmbdev_mode mode,
                       struct ipmbdev_wire_write *out) {
        uint8_t *copy = dup_exact(buf, count);
        int r = ipmbdev_write_to_wire(copy, count, mode, out);

        free(copy);
        return r;
}

static int read_exact(uint8_t own7, const uint8_t *data, size_t len, uint8_t *out) {
        uint8_t *copy = dup_exact(data, len);
        int r = ipmbdev_read_message(own7, copy, len, out);

        free(copy);
        return r;
}

/* A Get Device ID response from 0x72 to the BMC (0x20) as satmcd writes it: len byte first. */
static const uint8_t response[] = { 0x09, 0x20, 0x1C, 0xC4, 0x72, 0x04, 0x01, 0x00, 0x23, 0x66 };

static void test_write_i2c(void **state) {
        struct ipmbdev_wire_write w;

        assert_int_equal(write_exact(response, sizeof(response), EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.addr7, 0x10);
        assert_int_equal(w.len, 8);     /* everything after the destination byte */
        assert_memory_equal(w.data, response + 2, 8);
}

/* The driver shifts the destination right: bit 0 (a read bit on the wire) is simply lost. */
static void test_write_odd_destination(void **state) {
        uint8_t odd[sizeof(response)];
        struct ipmbdev_wire_write w;

        memcpy(odd, response, sizeof(odd));
        odd[1] = 0x21;
        assert_int_equal(write_exact(odd, sizeof(odd), EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.addr7, 0x10);
        odd[1] = 0xFF;
        assert_int_equal(write_exact(odd, sizeof(odd), EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.addr7, 0x7F);
}

static void test_write_lengths(void **state) {
        uint8_t big[IPMBDEV_MAX_MSG_LEN + 1];
        struct ipmbdev_wire_write w;

        /* count > 240: EINVAL whatever the length byte says. */
        memset(big, 0x11, sizeof(big));
        big[0] = 0x10;
        assert_int_equal(write_exact(big, IPMBDEV_MAX_MSG_LEN + 1, EMUBUS_IPMBDEV_I2C, &w), -EINVAL);
        /* count 240 with len 239: the largest message the driver sends, 238 bytes on the wire. */
        big[0] = IPMBDEV_MAX_MSG_LEN - 1;
        assert_int_equal(write_exact(big, IPMBDEV_MAX_MSG_LEN, EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.len, IPMBDEV_MAX_MSG_LEN - 2);

        /* count < len byte: EINVAL (a short write). */
        assert_int_equal(write_exact(response, sizeof(response) - 2, EMUBUS_IPMBDEV_I2C, &w), -EINVAL);
        assert_int_equal(write_exact(response, 1, EMUBUS_IPMBDEV_I2C, &w), -EINVAL);

        /* count == len byte: accepted, as the driver accepts it; the byte the caller left out
         * (chk2) goes out as 0 where the driver sends stale stack memory. */
        assert_int_equal(write_exact(response, sizeof(response) - 1, EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.len, 8);
        assert_memory_equal(w.data, response + 2, 7);
        assert_int_equal(w.data[7], 0x00);

        /* count > len byte: the extra bytes are ignored. */
        memcpy(big, response, sizeof(response));
        big[sizeof(response)] = 0xEE;
        assert_int_equal(write_exact(big, sizeof(response) + 1, EMUBUS_IPMBDEV_I2C, &w), 0);
        assert_int_equal(w.len, 8);
        assert_memory_equal(w.data, response + 2, 8);
}

/* Where the driver reads memory it was never given, we refuse instead of guessing. */
static void test_write_bad_length_byte(void **state) {
        static const uint8_t zero[] = { 0x00, 0x20, 0x1C };
        static const uint8_t one[] = { 0x01, 0x20, 0x1C };
        struct ipmbdev_wire_write w;

        assert_int_equal(write_exact(zero, 0, EMUBUS_IPMBDEV_I2C, &w), -EINVAL);
        assert_int_equal(write_exact(zero, sizeof(zero), EMUBUS_IPMBDEV_I2C, &w), -EINVAL);
        assert_int_equal(write_exact(one, sizeof(one), EMUBUS_IPMBDEV_I2C, &w), -EINVAL);
        assert_int_equal(write_exact(zero, sizeof(zero), EMUBUS_IPMBDEV_SMBUS, &w), -EINVAL);
        assert_int_equal(write_exact(one, sizeof(one), EMUBUS_IPMBDEV_SMBUS, &w), -EINVAL);
}

/* SMBus mode (no i2c-protocol): command byte netFn/LUN, a byte count, at most 32 bytes. */
static void test_write_smbus(void **state) {
        uint8_t big[60];
        struct ipmbdev_wire_write w;

        assert_int_equal(write_exact(response, sizeof(response), EMUBUS_IPMBDEV_SMBUS, &w), 0);
        assert_int_equal(w.addr7, 0x10);
        assert_int_equal(w.len, 2 + 7);
        assert_int_equal(w.data[0], 0x1C);
        assert_int_equal(w.data[1], 7);
        assert_memory_equal(w.data + 2, response + 3, 7);

        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t) i;
        big[0] = sizeof(big) - 1;
        assert_int_equal(write_exact(big, sizeof(big), EMUBUS_IPMBDEV_SMBUS, &w), 0);
        assert_int_equal(w.data[1], IPMBDEV_SMBUS_BLOCK_MAX);
        assert_int_equal(w.len, 2 + IPMBDEV_SMBUS_BLOCK_MAX);
        assert_memory_equal(w.data + 2, big + 3, IPMBDEV_SMBUS_BLOCK_MAX);
}

/* Get Device ID to 0x72 as the BMC writes it (the bytes after the address byte). */
static const uint8_t request[] = { 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };

static void test_read_good(void **state) {
        uint8_t out[IPMBDEV_READ_MAX];
        int r = read_exact(0x39, request, sizeof(request), out);

        assert_int_equal(r, 1 + 1 + sizeof(request));
        assert_int_equal(out[0], 1 + sizeof(request));
        assert_int_equal(out[1], 0x72);
        assert_memory_equal(out + 2, request, sizeof(request));
}

static void test_read_checks(void **state) {
        uint8_t bad[sizeof(request)], out[IPMBDEV_READ_MAX];

        /* chk1 is computed with the device's own address: the same bytes at 0x3A fail it. */
        assert_int_equal(read_exact(0x3A, request, sizeof(request), out), -EBADMSG);

        /* A bad chk1 is dropped. */
        memcpy(bad, request, sizeof(bad));
        bad[1] ^= 0x01;
        assert_int_equal(read_exact(0x39, bad, sizeof(bad), out), -EBADMSG);

        /* A bad chk2 is not: user space must check it. */
        memcpy(bad, request, sizeof(bad));
        bad[5] ^= 0xFF;
        assert_int_equal(read_exact(0x39, bad, sizeof(bad), out), 8);
        assert_int_equal(out[7], bad[5]);

        /* Five bytes after the address are too few, six are enough (no chk2 check). */
        assert_int_equal(read_exact(0x39, request, 5, out), -EBADMSG);
        assert_int_equal(read_exact(0x39, request, 2, out), -EBADMSG);
        assert_int_equal(read_exact(0x39, request, 1, out), -EBADMSG);
        assert_int_equal(read_exact(0x39, request, 6, out), 8);
}

/* The driver keeps 237 received bytes and drops the rest of a longer write silently. */
static void test_read_too_long(void **state) {
        uint8_t big[EMUBUS_DATA_MAX], out[IPMBDEV_READ_MAX];

        memset(big, 0x5A, sizeof(big));
        memcpy(big, request, 2);
        for (size_t n = 236; n <= sizeof(big); n++) {
                int r = read_exact(0x39, big, n, out);
                size_t kept = n < 237 ? n : 237;

                assert_int_equal(r, (int) (2 + kept));
                assert_int_equal(out[0], 1 + kept);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_i2c),
                cmocka_unit_test(test_write_odd_destination),
                cmocka_unit_test(test_write_lengths),
                cmocka_unit_test(test_write_bad_length_byte),
                cmocka_unit_test(test_write_smbus),
                cmocka_unit_test(test_read_good),
                cmocka_unit_test(test_read_checks),
                cmocka_unit_test(test_read_too_long),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
