/* SPDX-License-Identifier: MIT */
/*
 * The C ABI satmc is built for, on whatever architecture runs this (scripts/cross.sh runs it on
 * armhf, arm64 and s390x under qemu-user): 64-bit file offsets (the FRU and NBD backing files)
 * and a 64-bit time_t even on 32-bit glibc targets (meson.build's -D_TIME_BITS=64), so the
 * wall-clock uses (the SDR repository's timestamp, pthread_timedjoin_np() deadlines, pcap
 * times) keep working after 2038-01-19 03:14:07 UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <cmocka.h>

static void test_time_t_is_64_bit(void **state) {
        struct timespec ts;
        /* 2038-01-19 03:14:08 UTC, one second past the 32-bit limit. */
        const int64_t past_2038 = INT64_C(2147483648);
        time_t t = (time_t) past_2038;

        assert_int_equal(sizeof(time_t), 8);
        assert_true((int64_t) t == past_2038);
        assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
        assert_int_equal(sizeof(ts.tv_sec), 8);
}

static void test_off_t_is_64_bit(void **state) {
        assert_int_equal(sizeof(off_t), 8);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_time_t_is_64_bit),
                cmocka_unit_test(test_off_t_is_64_bit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
