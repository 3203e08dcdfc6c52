/* SPDX-License-Identifier: MIT */
/*
 * SDRs and the linear solver on any bytes.
 *
 * The bytes as one record: sdr_parse_header() and sdr_parse_full_sensor() stay inside the
 * input and agree with each other; a parsed sensor that the encoder accepts re-encodes to a
 * record that parses back to the same bytes (parse -> build -> parse). The bytes as a
 * repository: a walk from ID 0 along the "next" IDs ends at 0xFFFF after exactly the records
 * sdr_repo_check() counted. The first 16 bytes as two doubles lo, hi: whatever the solver
 * returns has every field in its width, a positive M, a step no wider than the span, codes
 * covering [lo, hi], all 256 codes surviving raw -> value -> raw and values in [lo, hi]
 * surviving value -> raw -> value within sensor_linear_error_bound().
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sdr.h"
#include "protocol/sensor-linear.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const uint8_t *data, size_t size) {
        struct sdr_header h;
        struct sdr_full_sensor s, s2;
        uint8_t a[SDR_FULL_SENSOR_MAX], b[SDR_FULL_SENSOR_MAX];
        int r, n, n2;

        r = sdr_parse_header(data, size, &h);
        if (r >= 0 && ((size_t) r > size || r != SDR_HEADER_LEN + h.length))
                abort();

        n = sdr_parse_full_sensor(data, size, NULL, &s);
        if (n < 0) {
                /* The full parser fails wherever the header parser does. */
                if (r < 0 && n != r)
                        abort();
                return;
        }
        if (n != r || h.type != SDR_TYPE_FULL_SENSOR || n < SDR_FULL_SENSOR_FIXED ||
            strlen(s.id) > SDR_ID_STRING_MAX || (s.linear.m != 0 && sensor_linear_check(&s.linear) < 0))
                abort();

        /* Build from what was parsed; when that is accepted, it must be a fixed point. */
        n = sdr_encode_full_sensor(h.record_id, &s, a, sizeof(a));
        if (n < 0)
                return;
        if (sdr_parse_full_sensor(a, (size_t) n, NULL, &s2) != n)
                abort();
        n2 = sdr_encode_full_sensor(h.record_id, &s2, b, sizeof(b));
        if (n2 != n || memcmp(a, b, (size_t) n) != 0)
                abort();
        /* The same conversion parameters come out as went in. */
        if (s.linear.m != s2.linear.m || s.linear.b != s2.linear.b || s.linear.b_exp != s2.linear.b_exp ||
            s.linear.r_exp != s2.linear.r_exp || s.linear.is_signed != s2.linear.is_signed)
                abort();
}

static void check_repo(const uint8_t *data, size_t size) {
        struct sdr_repo repo = { .buf = data, .len = size };
        uint8_t out[SDR_HEADER_LEN + 255];   /* the longest record there can be */
        uint16_t id = 0, next;
        int count = sdr_repo_check(&repo), seen = 0;

        if (count <= 0)
                return;
        while (id != SDR_RECORD_ID_LAST) {
                int r = sdr_repo_get(&repo, id, 0, SDR_READ_WHOLE, out, sizeof(out), &next);

                if (r < SDR_HEADER_LEN || ++seen > count)
                        abort();
                /* Offsets: the last byte is readable, the one past it is not (where a one-byte
                 * offset can name them). */
                if (r <= 256 && sdr_repo_get(&repo, id, (uint8_t) (r - 1), 1, out, sizeof(out), &next) != 1)
                        abort();
                if (r <= 255 && sdr_repo_get(&repo, id, (uint8_t) r, 1, out, sizeof(out), &next) != -EINVAL)
                        abort();
                /* A count past the end is answered in full: the last byte, then zeros. */
                if (r <= 256) {
                        uint8_t last = data[0];
                        int q;

                        (void) sdr_repo_get(&repo, id, (uint8_t) (r - 1), 1, &last, 1, &next);
                        q = sdr_repo_get(&repo, id, (uint8_t) (r - 1), 16, out, sizeof(out), &next);
                        if (q != 16 || out[0] != last)
                                abort();
                        for (unsigned i = 1; i < 16; i++)
                                if (out[i] != 0)
                                        abort();
                }
                id = next;
        }
        if (seen != count)
                abort();
}

static void check_solver(const uint8_t *data, size_t size) {
        struct sensor_linear l;
        double lo, hi, step, ymin, ymax, bound;

        if (size < 2 * sizeof(double))
                return;
        memcpy(&lo, data, sizeof(lo));
        memcpy(&hi, data + sizeof(lo), sizeof(hi));

        if (sensor_linear_solve(lo, hi, &l) < 0)
                return;
        if (!isfinite(lo) || !isfinite(hi) || !(lo < hi) || sensor_linear_check(&l) < 0 || l.m <= 0)
                abort();
        step = sensor_linear_step(&l);
        if (step > (hi - lo) * (1 + 1e-12))
                abort();
        sensor_linear_span(&l, &ymin, &ymax);
        if (ymin > lo + 1e-9 * step || ymax < hi - 1e-9 * step)
                abort();
        bound = sensor_linear_error_bound(&l, lo, hi);
        if (!(bound <= step / 2 * (1 + 1e-8)))
                abort();

        for (unsigned raw = 0; raw < 256; raw++) {
                uint8_t back;

                if (sensor_linear_to_raw(&l, sensor_linear_to_value(&l, (uint8_t) raw), &back) != 0 ||
                    back != raw)
                        abort();
        }
        for (unsigned k = 0; k <= 64; k++) {
                double v = k == 64 ? hi : lo + (hi - lo) * k / 64;
                uint8_t raw;

                if (sensor_linear_to_raw(&l, v, &raw) != 0 ||
                    !(fabs(v - sensor_linear_to_value(&l, raw)) <= bound + 1e-12 * fmax(fabs(v), bound)))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check_record(data, size);
        check_repo(data, size);
        check_solver(data, size);
        return 0;
}
