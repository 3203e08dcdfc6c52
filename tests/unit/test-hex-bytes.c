/* SPDX-License-Identifier: MIT */
/* protocol/hex-bytes.c: what an OEM program may print, and hostile text it must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/hex-bytes.h"

static int parse(const char *text, uint8_t *out, size_t cap) {
        return hex_bytes_parse(text, strlen(text), out, cap);
}

static void test_forms(void **state) {
        uint8_t b[8];

        (void) state;
        assert_int_equal(parse("01 0a FF\n", b, sizeof(b)), 3);
        assert_memory_equal(b, "\x01\x0a\xff", 3);
        assert_int_equal(parse("010aff", b, sizeof(b)), 3);
        assert_memory_equal(b, "\x01\x0a\xff", 3);
        assert_int_equal(parse("\t 7e\r\n\n", b, sizeof(b)), 1);
        assert_int_equal(b[0], 0x7e);
        assert_int_equal(parse("", b, sizeof(b)), 0);
        assert_int_equal(parse(" \n", b, 0), 0);
}

static void test_hostile(void **state) {
        uint8_t b[4];

        (void) state;
        assert_int_equal(parse("0", b, sizeof(b)), -EBADMSG);          /* half a byte */
        assert_int_equal(parse("01 2", b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse("0 1", b, sizeof(b)), -EBADMSG);        /* blank inside */
        assert_int_equal(parse("0x01", b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse("gg", b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse("01,02", b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse("-1", b, sizeof(b)), -EBADMSG);
        assert_int_equal(hex_bytes_parse("01\0" "02", 5, b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse("01 02 03 04 05", b, sizeof(b)), -EMSGSIZE);
        assert_int_equal(parse("01 02 03 04", b, sizeof(b)), 4);
}

static void test_format(void **state) {
        char buf[16];

        (void) state;
        assert_int_equal(hex_bytes_format((const uint8_t *) "\x01\xab\xff", 3, buf, sizeof(buf)), 8);
        assert_string_equal(buf, "01 ab ff");
        assert_int_equal(hex_bytes_format(NULL, 0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        /* Cut to the buffer, still terminated. */
        assert_int_equal(hex_bytes_format((const uint8_t *) "\x01\xab\xff", 3, buf, 5), 8);
        assert_string_equal(buf, "01 a");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forms),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
