/* SPDX-License-Identifier: MIT */
/*
 * IPMI linear sensor conversion (IPMI v2.0 section 36.3):
 *
 *         y = (M * x + B * 10^Bexp) * 10^Rexp
 *
 * x is the raw 8-bit reading, unsigned 0..255 or two's complement -128..127 (the "analog data
 * format" bits of Sensor Units 1); M and B are 10-bit two's complement (-512..511), Bexp (K1)
 * and Rexp (K2) 4-bit two's complement (-8..7). One raw count is worth
 *
 *         step = |M| * 10^Rexp
 *
 * and the offset B can only be placed on a grid of 10^(Bexp + Rexp) with |B| <= 512, which is
 * why a narrow range far from zero (3.0..3.6 V) may need a coarser step than span/255: the
 * solver takes the next coarser step whose wider raw span lets a representable B cover it.
 *
 * Error bound of a round trip value -> raw -> value for any value v in [lo, hi]:
 *
 *         |v - to_value(to_raw(v))| <= step / 2 + overhang
 *         overhang = max(0, ymin - lo, hi - ymax)
 *
 * where [ymin, ymax] is the range the 256 raw codes reach. Inside it, rounding to the nearest
 * code costs at most half a step; outside it, to_raw() clamps to the end code, which costs the
 * distance to that end. The overhang is where B quantisation shows up: a B that cannot be
 * placed so that [ymin, ymax] covers [lo, hi] leaves part of the range outside. The solver
 * only returns parameters that cover [lo, hi], so for its results the overhang is 0 (up to
 * 1e-9 of a step, allowed so that double rounding cannot push the solver to a coarser step)
 * and the bound is half a step. Double arithmetic adds about 1e-15 relative on top.
 *
 * Pure arithmetic: no I/O, no allocation, no globals. Needs libm.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SENSOR_LINEAR_MB_MIN    (-512)  /* 10-bit two's complement */
#define SENSOR_LINEAR_MB_MAX    511
#define SENSOR_LINEAR_EXP_MIN   (-8)    /* 4-bit two's complement */
#define SENSOR_LINEAR_EXP_MAX   7

struct sensor_linear {
        int16_t m;              /* -512..511, not 0 */
        int16_t b;              /* -512..511 */
        int8_t b_exp;           /* K1, -8..7 */
        int8_t r_exp;           /* K2, -8..7 */
        bool is_signed;         /* raw is two's complement -128..127, else unsigned 0..255 */
};

/*
 * Choose parameters for a sensor whose readings lie in [lo, hi] (engineering units): the
 * smallest step for which some representable B makes the 256 raw codes cover [lo, hi]. M is
 * positive (raw grows with the value). The raw format is unsigned, the offset carried by B
 * (so -40..125 starts at raw 0 = -40), unless two's complement reaches a strictly smaller step
 * (only possible when B is the limit): BMCs read the raw byte as unsigned (OpenBMC's
 * IpmbSensor). Among parameters of the same step, those with B >= 0 and Bexp >= 0 win, which
 * OpenBMC's IpmbSDRSensor decodes right (it reads B as unsigned and drops Bexp's sign; a range
 * with lo < 0 needs a negative B and cannot be shown right there, docs/sensors.md). Among
 * offsets that work: B = 0 if possible (value 0 is raw 0), else the coarsest B grid (round
 * numbers: -40 rather than -40.3), else the B nearest the middle (equal margins).
 *
 * Returns 0, or
 *   -EINVAL  lo or hi not finite, or lo >= hi;
 *   -ERANGE  no parameters cover [lo, hi] (too wide: above about 1.3e12; too far from zero:
 *            beyond B's reach), or the best step is wider than the span itself, so lo and hi
 *            would not even get distinct codes (e.g. 1000.5..1000.501).
 * *ret is untouched on error.
 */
int sensor_linear_solve(double lo, double hi, struct sensor_linear *ret);

/* 0 if every field is within its bit width and M != 0, else -EINVAL. */
int sensor_linear_check(const struct sensor_linear *l);

/* The raw code (interpreted per is_signed) in engineering units. */
double sensor_linear_to_value(const struct sensor_linear *l, uint8_t raw);

/*
 * The raw code nearest to value (ties away from zero). Returns 0; -ERANGE when the nearest
 * code lies outside the raw range and *raw was clamped to the end code nearest to it (also for
 * +-infinity); -EINVAL for NaN or a struct that fails sensor_linear_check() (*raw untouched).
 */
int sensor_linear_to_raw(const struct sensor_linear *l, double value, uint8_t *raw);

/* One raw count in engineering units: |M| * 10^Rexp. Hysteresis and tolerance are counts. */
double sensor_linear_step(const struct sensor_linear *l);

/* The values of the lowest and the highest raw code (whatever the sign of M). */
void sensor_linear_span(const struct sensor_linear *l, double *ret_min, double *ret_max);

/* step / 2 + overhang for [lo, hi], as described at the top of this file. */
double sensor_linear_error_bound(const struct sensor_linear *l, double lo, double hi);
