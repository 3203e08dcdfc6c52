/* SPDX-License-Identifier: MIT */
/* IPMI linear sensor conversion and the M/B/exponent solver. See sensor-linear.h. */
#include <errno.h>
#include <math.h>

#include "sensor-linear.h"

/* Relative slack for comparisons that double rounding could otherwise tip the wrong way. */
#define COVER_SLACK     1e-9
#define STEP_SLACK      1e-12

/* 10^k for the exponents that can occur: K1 + K2 is -16..14. The literals are correctly
 * rounded, which pow() does not promise for negative powers. */
static double p10(int k) {
        static const double table[] = {
                1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6,
                1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
        };

        if (k < -16)
                k = -16;
        if (k > 14)
                k = 14;
        return table[k + 16];
}

int sensor_linear_check(const struct sensor_linear *l) {
        if (l->m == 0 || l->m < SENSOR_LINEAR_MB_MIN || l->m > SENSOR_LINEAR_MB_MAX ||
            l->b < SENSOR_LINEAR_MB_MIN || l->b > SENSOR_LINEAR_MB_MAX ||
            l->b_exp < SENSOR_LINEAR_EXP_MIN || l->b_exp > SENSOR_LINEAR_EXP_MAX ||
            l->r_exp < SENSOR_LINEAR_EXP_MIN || l->r_exp > SENSOR_LINEAR_EXP_MAX)
                return -EINVAL;
        return 0;
}

static int raw_min(const struct sensor_linear *l) {
        return l->is_signed ? -128 : 0;
}

static int raw_max(const struct sensor_linear *l) {
        return l->is_signed ? 127 : 255;
}

static double value_of(const struct sensor_linear *l, int x) {
        return ((double) l->m * x + (double) l->b * p10(l->b_exp)) * p10(l->r_exp);
}

double sensor_linear_to_value(const struct sensor_linear *l, uint8_t raw) {
        return value_of(l, l->is_signed ? (int) (int8_t) raw : (int) raw);
}

int sensor_linear_to_raw(const struct sensor_linear *l, double value, uint8_t *raw) {
        double t;
        int lo = raw_min(l), hi = raw_max(l), r = 0;
        long x;

        if (isnan(value) || sensor_linear_check(l) < 0)
                return -EINVAL;

        t = (value / p10(l->r_exp) - (double) l->b * p10(l->b_exp)) / l->m;
        t = round(t);                   /* ties away from zero */
        if (isnan(t))                   /* cannot happen for a checked struct; keep the cast defined */
                return -EINVAL;
        /* Compare as doubles: t may be far beyond what a long holds, or infinite. */
        if (t < lo) {
                x = lo;
                r = -ERANGE;
        } else if (t > hi) {
                x = hi;
                r = -ERANGE;
        } else
                x = (long) t;

        *raw = (uint8_t) (x & 0xFF);
        return r;
}

double sensor_linear_step(const struct sensor_linear *l) {
        return fabs((double) l->m) * p10(l->r_exp);
}

void sensor_linear_span(const struct sensor_linear *l, double *ret_min, double *ret_max) {
        double a = value_of(l, raw_min(l)), b = value_of(l, raw_max(l));

        *ret_min = fmin(a, b);
        *ret_max = fmax(a, b);
}

double sensor_linear_error_bound(const struct sensor_linear *l, double lo, double hi) {
        double ymin, ymax, overhang = 0;

        sensor_linear_span(l, &ymin, &ymax);
        if (ymin - lo > overhang)
                overhang = ymin - lo;
        if (hi - ymax > overhang)
                overhang = hi - ymax;
        return sensor_linear_step(l) / 2 + overhang;
}

/* ---- solving ---- */

static bool covers(const struct sensor_linear *l, double lo, double hi, double eps) {
        return value_of(l, raw_min(l)) <= lo + eps && value_of(l, raw_max(l)) >= hi - eps;
}

/*
 * Place the offset for a given M and Rexp: find B and Bexp so that the codes cover [lo, hi].
 * The offset y(0) must lie in [hi - s*xmax, lo - s*xmin], a window as wide as the slack
 * 255*s - span. Preference order as documented in sensor_linear_solve().
 */
static bool place_offset(struct sensor_linear *l, double lo, double hi) {
        double s = sensor_linear_step(l), eps = s * COVER_SLACK;
        double w_lo = hi - s * raw_max(l) - eps, w_hi = lo - s * raw_min(l) + eps;
        double mid = (w_lo + w_hi) / 2;

        if (w_lo <= 0 && w_hi >= 0) {
                l->b = 0;
                l->b_exp = 0;
                if (covers(l, lo, hi, eps))
                        return true;
        }

        for (int k1 = SENSOR_LINEAR_EXP_MAX; k1 >= SENSOR_LINEAR_EXP_MIN; k1--) {
                double q = p10(k1 + l->r_exp);
                double bmin = ceil(w_lo / q), bmax = floor(w_hi / q), b;

                if (bmin < SENSOR_LINEAR_MB_MIN)
                        bmin = SENSOR_LINEAR_MB_MIN;
                if (bmax > SENSOR_LINEAR_MB_MAX)
                        bmax = SENSOR_LINEAR_MB_MAX;
                if (!(bmin <= bmax))    /* also when w_lo/w_hi overflowed to NaN */
                        continue;

                b = round(mid / q);
                if (isnan(b))
                        continue;
                if (b < bmin)
                        b = bmin;
                if (b > bmax)
                        b = bmax;

                l->b = (int16_t) b;
                l->b_exp = (int8_t) k1;
                /* The window test above used B*q; the conversion computes (B*10^K1)*10^K2,
                 * which may differ in the last bit. Judge by what the conversion yields. */
                if (covers(l, lo, hi, eps))
                        return true;
        }
        return false;
}

/*
 * How awkward parameters are for a BMC, lowest best, for choosing among parameters of the
 * same step. OpenBMC's IpmbSDRSensor decodes B as unsigned and loses the sign of Bexp, and
 * IpmbSensor reads the raw byte as unsigned (docs/sensors.md): signed raw codes cost most, then
 * a negative B, then a negative Bexp.
 */
static int awkwardness(const struct sensor_linear *l) {
        return (l->is_signed ? 4 : 0) + (l->b < 0 ? 2 : 0) + (l->b_exp < 0 ? 1 : 0);
}

/* Whether a candidate of step s beats the best so far: a strictly smaller step, or the same
 * step with less awkward parameters. */
static bool better(const struct sensor_linear *l, double s, double best_step,
                   const struct sensor_linear *best) {
        if (s < best_step * (1 - STEP_SLACK))
                return true;
        return s <= best_step * (1 + STEP_SLACK) && awkwardness(l) < awkwardness(best);
}

/* Best parameters for one raw format; *best_step is the step to beat (INFINITY for none). */
static bool solve_format(double lo, double hi, bool is_signed, double *best_step,
                         struct sensor_linear *best) {
        double span = hi - lo;
        bool found = false;

        for (int k2 = SENSOR_LINEAR_EXP_MAX; k2 >= SENSOR_LINEAR_EXP_MIN; k2--) {
                double p = p10(k2), m_need = span / (255 * p);

                if (!(m_need <= SENSOR_LINEAR_MB_MAX))  /* NaN-safe */
                        continue;

                for (int m = m_need < 1 ? 1 : (int) floor(m_need); m <= SENSOR_LINEAR_MB_MAX; m++) {
                        struct sensor_linear l = {
                                .m = (int16_t) m,
                                .r_exp = (int8_t) k2,
                                .is_signed = is_signed,
                        };
                        double s = m * p;

                        /* Larger steps than the best cannot win, whatever their B. */
                        if (isfinite(*best_step) && s > *best_step * (1 + STEP_SLACK))
                                break;
                        if (255 * s < span * (1 - STEP_SLACK))
                                continue;
                        if (place_offset(&l, lo, hi)) {
                                if (!isfinite(*best_step) || better(&l, s, *best_step, best)) {
                                        *best = l;
                                        *best_step = s;
                                        found = true;
                                }
                                break;  /* larger M for this Rexp only widens the step */
                        }
                }
        }
        return found;
}

int sensor_linear_solve(double lo, double hi, struct sensor_linear *ret) {
        struct sensor_linear best;
        double best_step = INFINITY;
        bool found;

        if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
                return -EINVAL;

        /* Unsigned codes first, whatever the sign of lo: two's complement only wins with a
         * strictly smaller step (better() counts it as the more awkward). */
        found = solve_format(lo, hi, false, &best_step, &best);
        found = solve_format(lo, hi, true, &best_step, &best) || found;
        if (!found)
                return -ERANGE;
        /* A step wider than the span leaves lo and hi without distinct codes. */
        if (best_step > (hi - lo) * (1 + STEP_SLACK))
                return -ERANGE;

        *ret = best;
        return 0;
}
