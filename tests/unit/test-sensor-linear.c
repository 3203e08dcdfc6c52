/* SPDX-License-Identifier: MIT */
/*
 * protocol/sensor-linear.c: the solver's answers for the ranges people configure (pinned, so a
 * change shows up here and in docs/sensors.md), its optimality checked by brute force over B,
 * exact raw -> value -> raw round trips for all 256 codes, value -> raw -> value within the
 * stated error bound, clamping, and the inputs it must refuse.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "protocol/sensor-linear.h"

struct range_case {
        double lo, hi;
        bool usual;             /* a range whose step must be at most span/200 */
        struct sensor_linear want;
};

#define L(m_, b_, k1_, k2_, s_) { .m = (m_), .b = (b_), .b_exp = (k1_), .r_exp = (k2_), .is_signed = (s_) }

static const struct range_case ranges[] = {
        { 0, 1, true,           L(393, 0, 0, -5, false) },
        { 0, 0.5, true,         L(197, 0, 0, -5, false) },
        { -40, 125, true,       L(65, -4, 3, -2, false) },
        { -128, 127, true,      L(1, -128, 0, 0, false) },
        { 0, 255, true,         L(1, 0, 0, 0, false) },
        { 0, 20000, true,       L(79, 0, 0, 0, false) },
        { 3.0, 3.6, true,       L(236, 3, 5, -5, false) },
        { 1e-3, 2e-3, true,     L(393, 1, 5, -8, false) },
        { 0, 1e6, true,         L(393, 0, 0, 1, false) },
        { 0, 12, true,          L(471, 0, 0, -4, false) },
        { 0, 15, true,          L(59, 0, 0, -3, false) },
        { 0, 2.55, true,        L(1, 0, 0, -2, false) },
        { -1e6, 0, true,        L(393, -1, 5, 1, false) },
        { -0.5, 0.5, true,      L(393, -5, 4, -5, false) },
        { 0, 125, true,         L(491, 0, 0, -3, false) },       /* the example board */
        { 11.4, 12.6, true,     L(471, 114, 4, -5, false) },
        { 0, 1e-6, false,       L(1, 0, 0, -8, false) },        /* finest step there is */
        { 0, 1e12, true,        L(393, 0, 0, 7, false) },       /* coarsest range there is */
};

static double brute_best_step(double lo, double hi, double found);

static void test_solve_pinned(void **state) {
        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
                const struct range_case *c = &ranges[i];
                struct sensor_linear l;
                double step, ymin, ymax, span = c->hi - c->lo;

                print_message("# %g..%g\n", c->lo, c->hi);
                assert_int_equal(sensor_linear_solve(c->lo, c->hi, &l), 0);
                assert_int_equal(sensor_linear_check(&l), 0);
                assert_int_equal(l.m, c->want.m);
                assert_int_equal(l.b, c->want.b);
                assert_int_equal(l.b_exp, c->want.b_exp);
                assert_int_equal(l.r_exp, c->want.r_exp);
                assert_int_equal(l.is_signed, c->want.is_signed);
                /* Unsigned whatever lo is (BMCs read the byte unsigned); a negative B only
                 * where lo < 0 needs one, a negative Bexp nowhere here. */
                assert_false(l.is_signed);
                assert_true(l.b >= 0 || c->lo < 0);
                assert_true(l.b_exp >= 0);

                step = sensor_linear_step(&l);
                /* 256 codes cannot do better than span/255; the usual ranges get close. */
                assert_true(step >= span / 255 * (1 - 1e-12));
                if (c->usual)
                        assert_true(step <= span / 200);

                /* The codes cover [lo, hi], so the bound is half a step. */
                sensor_linear_span(&l, &ymin, &ymax);
                assert_true(ymin <= c->lo + 1e-9 * step);
                assert_true(ymax >= c->hi - 1e-9 * step);
                assert_true(sensor_linear_error_bound(&l, c->lo, c->hi) <= step / 2 * (1 + 1e-8));

                /* No parameter set at all reaches a smaller step. */
                assert_true(brute_best_step(c->lo, c->hi, step) >= step * (1 - 1e-12));
        }
}

/*
 * Independent of the solver's window arithmetic: every (format, M, Rexp) with a step below
 * `found` that could span the range, every Bexp, every B, judged by the conversion itself.
 * Returns the smallest covering step found below `found`, or `found`.
 */
static double brute_best_step(double lo, double hi, double found) {
        double best = found;

        for (int sgn = 0; sgn < 2; sgn++)
                for (int k2 = SENSOR_LINEAR_EXP_MIN; k2 <= SENSOR_LINEAR_EXP_MAX; k2++)
                        for (int m = 1; m <= SENSOR_LINEAR_MB_MAX; m++) {
                                double s = m * pow(10, k2);

                                if (s >= best * (1 - 1e-12) || 255 * s < (hi - lo) * (1 - 1e-12))
                                        continue;
                                for (int k1 = SENSOR_LINEAR_EXP_MIN; k1 <= SENSOR_LINEAR_EXP_MAX; k1++)
                                        for (int b = SENSOR_LINEAR_MB_MIN; b <= SENSOR_LINEAR_MB_MAX; b++) {
                                                struct sensor_linear l = {
                                                        .m = (int16_t) m, .b = (int16_t) b,
                                                        .b_exp = (int8_t) k1, .r_exp = (int8_t) k2,
                                                        .is_signed = sgn,
                                                };
                                                double ymin, ymax;

                                                sensor_linear_span(&l, &ymin, &ymax);
                                                if (ymin <= lo && ymax >= hi) {
                                                        best = s;
                                                        goto next_m;
                                                }
                                        }
                        next_m:
                                ;
                        }
        return best;
}

/* Every raw code survives raw -> value -> raw, and agrees with the formula written out. */
static void test_raw_round_trip(void **state) {
        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
                struct sensor_linear l;

                assert_int_equal(sensor_linear_solve(ranges[i].lo, ranges[i].hi, &l), 0);
                for (unsigned raw = 0; raw < 256; raw++) {
                        int x = l.is_signed ? (int) (int8_t) raw : (int) raw;
                        double v = sensor_linear_to_value(&l, (uint8_t) raw);
                        double f = (l.m * x + l.b * pow(10, l.b_exp)) * pow(10, l.r_exp);
                        uint8_t back = 0xAA;

                        assert_true(fabs(v - f) <= 1e-12 * fmax(fabs(f), sensor_linear_step(&l)));
                        assert_int_equal(sensor_linear_to_raw(&l, v, &back), 0);
                        assert_int_equal(back, raw);
                }
        }
}

/* value -> raw -> value stays within the bound across the range, ends included. */
static void test_value_round_trip(void **state) {
        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
                double lo = ranges[i].lo, hi = ranges[i].hi, bound;
                struct sensor_linear l;

                assert_int_equal(sensor_linear_solve(lo, hi, &l), 0);
                bound = sensor_linear_error_bound(&l, lo, hi);
                for (unsigned k = 0; k <= 20000; k++) {
                        double v = k == 20000 ? hi : lo + (hi - lo) * k / 20000;
                        uint8_t raw;
                        double back;

                        assert_int_equal(sensor_linear_to_raw(&l, v, &raw), 0);
                        back = sensor_linear_to_value(&l, raw);
                        if (!(fabs(v - back) <= bound + 1e-12 * fmax(fabs(v), bound)))
                                fail_msg("%g..%g: %.17g -> %u -> %.17g, bound %g", lo, hi, v, raw,
                                         back, bound);
                }
        }
}

/* Negative values: unsigned codes with a negative offset; two's complement codes still
 * convert both ways (foreign SDRs, and ranges where they reach a finer step). */
static void test_negative(void **state) {
        struct sensor_linear l;
        uint8_t raw;

        /* -40..125: raw 0 is -40, one count 0.65, at the same step two's complement had. */
        assert_int_equal(sensor_linear_solve(-40, 125, &l), 0);
        assert_false(l.is_signed);
        assert_true(sensor_linear_step(&l) == 0.65);
        assert_int_equal(sensor_linear_to_raw(&l, -40, &raw), 0);
        assert_int_equal(raw, 0);
        assert_true(fabs(sensor_linear_to_value(&l, raw) - -40) < 1e-12);
        assert_int_equal(sensor_linear_to_raw(&l, 0, &raw), 0);
        assert_int_equal(raw, 62);      /* -40 + 62 * 0.65 = 0.3 */
        assert_int_equal(sensor_linear_to_raw(&l, 125, &raw), 0);
        assert_int_equal(raw, 254);

        /* -128..127: unsigned with B = -128, never two's complement at the same step. */
        assert_int_equal(sensor_linear_solve(-128, 127, &l), 0);
        assert_false(l.is_signed);
        assert_int_equal(sensor_linear_to_raw(&l, -1, &raw), 0);
        assert_int_equal(raw, 0x7F);
        assert_true(sensor_linear_to_value(&l, 0x00) == -128);
        assert_true(sensor_linear_to_value(&l, 0xFF) == 127);

        /* Two's complement codes, as a foreign SDR has them. */
        l = (struct sensor_linear) { .m = 1, .b = 0, .b_exp = 0, .r_exp = 0, .is_signed = true };
        assert_int_equal(sensor_linear_to_raw(&l, -1, &raw), 0);
        assert_int_equal(raw, 0xFF);
        assert_int_equal(sensor_linear_to_raw(&l, -128, &raw), 0);
        assert_int_equal(raw, 0x80);
        assert_true(sensor_linear_to_value(&l, 0x80) == -128);
        assert_true(sensor_linear_to_value(&l, 0x7F) == 127);

        /* A decreasing conversion (negative M, as a foreign SDR may have) works both ways. */
        l = (struct sensor_linear) { .m = -2, .b = 100, .b_exp = 0, .r_exp = 0 };
        assert_true(sensor_linear_to_value(&l, 10) == 80);
        assert_int_equal(sensor_linear_to_raw(&l, 80.9, &raw), 0);
        assert_int_equal(raw, 10);
        assert_int_equal(sensor_linear_to_raw(&l, 200, &raw), -ERANGE);
        assert_int_equal(raw, 0);
        assert_true(sensor_linear_step(&l) == 2);
}

static void test_clamp(void **state) {
        struct sensor_linear l;
        uint8_t raw;

        assert_int_equal(sensor_linear_solve(0, 255, &l), 0);
        /* Within half a step of the ends is still in range. */
        assert_int_equal(sensor_linear_to_raw(&l, -0.49, &raw), 0);
        assert_int_equal(raw, 0);
        assert_int_equal(sensor_linear_to_raw(&l, 255.49, &raw), 0);
        assert_int_equal(raw, 255);
        /* Beyond: clamped and reported. */
        assert_int_equal(sensor_linear_to_raw(&l, -0.5, &raw), -ERANGE);
        assert_int_equal(raw, 0);
        assert_int_equal(sensor_linear_to_raw(&l, 255.5, &raw), -ERANGE);
        assert_int_equal(raw, 255);
        assert_int_equal(sensor_linear_to_raw(&l, 1e300, &raw), -ERANGE);
        assert_int_equal(raw, 255);
        assert_int_equal(sensor_linear_to_raw(&l, INFINITY, &raw), -ERANGE);
        assert_int_equal(raw, 255);
        assert_int_equal(sensor_linear_to_raw(&l, -INFINITY, &raw), -ERANGE);
        assert_int_equal(raw, 0);
        /* Ties go away from zero, as round() does. */
        assert_int_equal(sensor_linear_to_raw(&l, 2.5, &raw), 0);
        assert_int_equal(raw, 3);

        l = (struct sensor_linear) { .m = 1, .b = 0, .b_exp = 0, .r_exp = 0, .is_signed = true };
        assert_int_equal(sensor_linear_to_raw(&l, -1000, &raw), -ERANGE);
        assert_int_equal(raw, 0x80);
        assert_int_equal(sensor_linear_to_raw(&l, 1000, &raw), -ERANGE);
        assert_int_equal(raw, 0x7F);

        /* NaN: refused, output untouched. */
        raw = 0x5A;
        assert_int_equal(sensor_linear_to_raw(&l, NAN, &raw), -EINVAL);
        assert_int_equal(raw, 0x5A);
}

static void test_impossible(void **state) {
        static const struct {
                double lo, hi;
                int r;
        } cases[] = {
                { NAN, 1, -EINVAL },
                { 0, NAN, -EINVAL },
                { -INFINITY, 0, -EINVAL },
                { 0, INFINITY, -EINVAL },
                { 1, 1, -EINVAL },
                { 2, 1, -EINVAL },
                { -0.0, 0.0, -EINVAL },
                { 0, 1e13, -ERANGE },                   /* wider than 255 * 511e7 */
                { -1e308, 1e308, -ERANGE },             /* span overflows to infinity */
                { 0, 1e-9, -ERANGE },                   /* below the finest step, 1e-8 */
                { 1000.5, 1000.501, -ERANGE },          /* B cannot reach it finely enough */
                { 1e15, 1e15 + 1e3, -ERANGE },          /* offset beyond 511 * 10^14 */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sensor_linear l = { .m = 7, .b = 7 };

                assert_int_equal(sensor_linear_solve(cases[i].lo, cases[i].hi, &l), cases[i].r);
                assert_int_equal(l.m, 7);               /* untouched */
                assert_int_equal(l.b, 7);
        }
}

static void test_check(void **state) {
        static const struct sensor_linear bad[] = {
                { .m = 0 },
                { .m = 512 },
                { .m = -513 },
                { .m = 1, .b = 512 },
                { .m = 1, .b = -513 },
                { .m = 1, .b_exp = 8 },
                { .m = 1, .b_exp = -9 },
                { .m = 1, .r_exp = 8 },
                { .m = 1, .r_exp = -9 },
        };
        static const struct sensor_linear good[] = {
                { .m = 511, .b = 511, .b_exp = 7, .r_exp = 7 },
                { .m = -512, .b = -512, .b_exp = -8, .r_exp = -8, .is_signed = true },
        };
        uint8_t raw = 0x33;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(sensor_linear_check(&bad[i]), -EINVAL);
                assert_int_equal(sensor_linear_to_raw(&bad[i], 1, &raw), -EINVAL);
                assert_int_equal(raw, 0x33);
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(sensor_linear_check(&good[i]), 0);
}

/* A parameter set that does not cover the range: the bound grows by the uncovered part. */
static void test_bound_overhang(void **state) {
        struct sensor_linear l = { .m = 1 };    /* 0..255 in steps of 1 */
        double bound = sensor_linear_error_bound(&l, -10, 300);

        assert_true(fabs(bound - (0.5 + 45)) < 1e-12);
        for (double v = -10; v <= 300; v += 0.25) {
                uint8_t raw;

                (void) sensor_linear_to_raw(&l, v, &raw);
                assert_true(fabs(v - sensor_linear_to_value(&l, raw)) <= bound);
        }
        assert_true(sensor_linear_error_bound(&l, 10, 20) == 0.5);
}

/* Random ranges: whatever the solver returns satisfies its contract. */
static void test_random_ranges(void **state) {
        uint64_t x = 0x9E3779B97F4A7C15u;
        unsigned solved = 0;

        for (unsigned i = 0; i < 3000; i++) {
                double lo, hi, bound, ymin, ymax;
                struct sensor_linear l;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                lo = ((double) (x % 2000001) - 1000000) * pow(10, (int) (x >> 32) % 9 - 6);
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                hi = lo + (double) (x % 100000 + 1) * pow(10, (int) (x >> 40) % 9 - 6);

                if (sensor_linear_solve(lo, hi, &l) < 0)
                        continue;
                solved++;
                assert_int_equal(sensor_linear_check(&l), 0);
                assert_true(l.m > 0);
                sensor_linear_span(&l, &ymin, &ymax);
                bound = sensor_linear_error_bound(&l, lo, hi);
                assert_true(bound <= sensor_linear_step(&l) / 2 * (1 + 1e-8));
                assert_true(sensor_linear_step(&l) <= (hi - lo) * (1 + 1e-12));
                for (unsigned k = 0; k <= 100; k++) {
                        double v = lo + (hi - lo) * k / 100;
                        uint8_t raw;

                        assert_int_equal(sensor_linear_to_raw(&l, v, &raw), 0);
                        assert_true(fabs(v - sensor_linear_to_value(&l, raw)) <=
                                    bound + 1e-12 * fmax(fabs(v), bound));
                }
        }
        /* Most random ranges are solvable; a solver refusing everything would pass above. */
        assert_true(solved > 2000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_solve_pinned),
                cmocka_unit_test(test_raw_round_trip),
                cmocka_unit_test(test_value_round_trip),
                cmocka_unit_test(test_negative),
                cmocka_unit_test(test_clamp),
                cmocka_unit_test(test_impossible),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_bound_overhang),
                cmocka_unit_test(test_random_ranges),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
