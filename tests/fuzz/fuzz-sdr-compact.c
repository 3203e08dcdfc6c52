/* SPDX-License-Identifier: MIT */
/*
 * Compact Sensor Records on any bytes: sdr_parse_compact_sensor() stays inside the input and
 * agrees with sdr_parse_header(); a parsed record that the encoder accepts re-encodes to a
 * record that parses back to the same fields and encodes to the same bytes (parse -> build ->
 * parse -> build).
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/sdr-compact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sdr_header h;
        struct sdr_compact_sensor s, s2;
        uint8_t a[SDR_COMPACT_SENSOR_MAX], b[SDR_COMPACT_SENSOR_MAX];
        int r, n, n2;

        r = sdr_parse_header(data, size, &h);
        n = sdr_parse_compact_sensor(data, size, NULL, &s);
        if (n < 0) {
                if (r < 0 && n != r)
                        abort();
                return 0;
        }
        if (n != r || (size_t) n > size || h.type != SDR_TYPE_COMPACT_SENSOR ||
            n < SDR_COMPACT_SENSOR_FIXED || strlen(s.id) > SDR_ID_STRING_MAX ||
            s.owner_lun > 3 || s.channel > 15 || s.direction > 3 || s.share_count > 15)
                abort();

        n = sdr_encode_compact_sensor(h.record_id, &s, a, sizeof(a));
        if (n < 0)
                return 0;
        if (sdr_parse_compact_sensor(a, (size_t) n, NULL, &s2) != n)
                abort();
        if (s2.number != s.number || s2.event_type != s.event_type ||
            s2.assert_mask != s.assert_mask || s2.reading_mask != s.reading_mask ||
            strcmp(s2.id, s.id) != 0)
                abort();
        n2 = sdr_encode_compact_sensor(h.record_id, &s2, b, sizeof(b));
        if (n2 != n || memcmp(a, b, (size_t) n) != 0)
                abort();
        return 0;
}
