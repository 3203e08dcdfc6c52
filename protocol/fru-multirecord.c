/* SPDX-License-Identifier: MIT */
/* Multirecord area records: typed encoders and the layout check. See fru-multirecord.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fru-multirecord.h"
#include "fru.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

int fru_encode_power_supply(const struct fru_power_supply *ps, uint8_t out[FRU_POWER_SUPPLY_LEN]) {
        if (ps->capacity_w > 0x0FFF || ps->peak_w > 0x0FFF || ps->hold_up_s > 0x0F ||
            ps->combined_voltage[0] > 0x0F || ps->combined_voltage[1] > 0x0F)
                return -EINVAL;
        put16(out + 0, ps->capacity_w);         /* bits 15:12 reserved, 0 */
        put16(out + 2, ps->peak_va);
        out[4] = ps->inrush_current_a;
        out[5] = ps->inrush_interval_ms;
        put16(out + 6, ps->input[0].low_10mv);
        put16(out + 8, ps->input[0].high_10mv);
        put16(out + 10, ps->input[1].low_10mv);
        put16(out + 12, ps->input[1].high_10mv);
        out[14] = ps->frequency_low_hz;
        out[15] = ps->frequency_high_hz;
        out[16] = ps->dropout_tolerance_ms;
        out[17] = (uint8_t) (ps->predictive_fail | ps->power_factor_correction << 1 |
                             ps->autoswitch << 2 | ps->hot_swap << 3 | ps->tach_or_polarity << 4);
        put16(out + 18, (uint16_t) (ps->hold_up_s << 12 | ps->peak_w));
        out[20] = (uint8_t) (ps->combined_voltage[0] << 4 | ps->combined_voltage[1]);
        put16(out + 21, ps->combined_w);
        out[23] = ps->tach_lower_rps;
        return 0;
}

int fru_encode_dc_output(const struct fru_dc_output *dc, uint8_t out[FRU_DC_OUTPUT_LEN]) {
        if (dc->number > 0x0F)
                return -EINVAL;
        out[0] = (uint8_t) (dc->standby << 7 | dc->number);
        put16(out + 1, (uint16_t) dc->nominal_10mv);
        put16(out + 3, (uint16_t) dc->negative_deviation_10mv);
        put16(out + 5, (uint16_t) dc->positive_deviation_10mv);
        put16(out + 7, dc->ripple_mv);
        put16(out + 9, dc->min_current_ma);
        put16(out + 11, dc->max_current_ma);
        return 0;
}

int fru_encode_dc_load(const struct fru_dc_load *dl, uint8_t out[FRU_DC_LOAD_LEN]) {
        if (dl->number > 0x0F)
                return -EINVAL;
        out[0] = dl->number;
        put16(out + 1, (uint16_t) dl->nominal_10mv);
        put16(out + 3, (uint16_t) dl->min_10mv);
        put16(out + 5, (uint16_t) dl->max_10mv);
        put16(out + 7, dl->ripple_mv);
        put16(out + 9, dl->min_current_ma);
        put16(out + 11, dl->max_current_ma);
        return 0;
}

bool fru_management_access_limits(uint8_t subtype, size_t *min, size_t *max) {
        switch (subtype) {
        case FRU_MGMT_SYSTEM_URL:
        case FRU_MGMT_COMPONENT_URL:
                /* The spec says 16..256; one length byte leaves 254 after the sub-type. */
                *min = 16;
                *max = FRU_RECORD_DATA_MAX - 1;
                return true;
        case FRU_MGMT_SYSTEM_NAME:
        case FRU_MGMT_SYSTEM_PING_ADDRESS:
        case FRU_MGMT_COMPONENT_NAME:
        case FRU_MGMT_COMPONENT_PING_ADDRESS:
                *min = 8;
                *max = 64;
                return true;
        case FRU_MGMT_SYSTEM_UNIQUE_ID:
                *min = *max = 16;
                return true;
        default:
                return false;
        }
}

static int refuse(char *reason, size_t reason_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int refuse(char *reason, size_t reason_len, const char *fmt, ...) {
        va_list ap;

        if (reason && reason_len > 0) {
                va_start(ap, fmt);
                vsnprintf(reason, reason_len, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int check_power_supply(const uint8_t *d, char *reason, size_t rl) {
        if (d[1] & 0xF0)
                return refuse(reason, rl, "power supply record: overall capacity uses reserved "
                              "bits 15:12 (0x%04x)", get16(d));
        if (d[17] & 0xE0)
                return refuse(reason, rl, "power supply record: reserved flag bits 7:5 set "
                              "(0x%02x)", d[17]);
        for (unsigned r = 0; r < 2; r++) {
                uint16_t lo = get16(d + 6 + 4 * r), hi = get16(d + 8 + 4 * r);

                if (lo > hi)
                        return refuse(reason, rl, "power supply record: input voltage range %u "
                                      "runs from %u.%02u V down to %u.%02u V", r + 1, lo / 100,
                                      lo % 100, hi / 100, hi % 100);
        }
        if (d[14] > d[15])
                return refuse(reason, rl, "power supply record: input frequency range runs "
                              "from %u Hz down to %u Hz", d[14], d[15]);
        if (get16(d + 21) != 0 && ((d[20] >> 4) > FRU_COMBINED_3V3 ||
                                   (d[20] & 0x0F) > FRU_COMBINED_3V3))
                return refuse(reason, rl, "power supply record: combined-wattage voltage codes "
                              "0x%02x, each must be 0..3 (12 V, -12 V, 5 V, 3.3 V)", d[20]);
        return 0;
}

static int check_currents(const char *what, const uint8_t *d, char *reason, size_t rl) {
        uint16_t lo = get16(d + 9), hi = get16(d + 11);

        if (lo > hi)
                return refuse(reason, rl, "%s record: minimum current %u mA is above the "
                              "maximum %u mA", what, lo, hi);
        return 0;
}

static int check_dc_load(const uint8_t *d, char *reason, size_t rl) {
        int16_t lo = (int16_t) get16(d + 3), hi = (int16_t) get16(d + 5);

        if (d[0] & 0xF0)
                return refuse(reason, rl, "DC load record: reserved bits 7:4 of the output "
                              "number byte set (0x%02x)", d[0]);
        if (lo > hi)
                return refuse(reason, rl, "DC load record: minimum voltage %d0 mV is above the "
                              "maximum %d0 mV", lo, hi);
        return check_currents("DC load", d, reason, rl);
}

static int check_management_access(const uint8_t *d, size_t len, char *reason, size_t rl) {
        size_t min, max;

        if (len < 1)
                return refuse(reason, rl, "management access record: empty, a sub-record type "
                              "byte is required");
        if (!fru_management_access_limits(d[0], &min, &max))
                return refuse(reason, rl, "management access record: sub-record type 0x%02x, "
                              "must be 0x01..0x07", d[0]);
        if (len - 1 < min || len - 1 > max)
                return refuse(reason, rl, "management access record: sub-record type 0x%02x "
                              "holds %zu bytes, must be %zu..%zu", d[0], len - 1, min, max);
        return 0;
}

int fru_record_check(uint8_t type, const uint8_t *data, size_t len, char *reason,
                     size_t reason_len) {
        static const size_t fixed[] = {
                [FRU_RECORD_POWER_SUPPLY] = FRU_POWER_SUPPLY_LEN,
                [FRU_RECORD_DC_OUTPUT] = FRU_DC_OUTPUT_LEN,
                [FRU_RECORD_DC_LOAD] = FRU_DC_LOAD_LEN,
        };
        static const char *const names[] = {
                [FRU_RECORD_POWER_SUPPLY] = "power supply",
                [FRU_RECORD_DC_OUTPUT] = "DC output",
                [FRU_RECORD_DC_LOAD] = "DC load",
        };

        if (len > FRU_RECORD_DATA_MAX)
                return refuse(reason, reason_len, "record type 0x%02x: %zu data bytes, at most "
                              "%d", type, len, FRU_RECORD_DATA_MAX);
        if (type < sizeof(fixed) / sizeof(fixed[0]) && len != fixed[type])
                return refuse(reason, reason_len, "%s record (type 0x%02x) is %zu byte%s, the "
                              "spec's layout is %zu", names[type], type, len, len == 1 ? "" : "s",
                              fixed[type]);
        switch (type) {
        case FRU_RECORD_POWER_SUPPLY:
                return check_power_supply(data, reason, reason_len);
        case FRU_RECORD_DC_OUTPUT:
                if (data[0] & 0x70)
                        return refuse(reason, reason_len, "DC output record: reserved bits 6:4 "
                                      "of the output number byte set (0x%02x)", data[0]);
                return check_currents("DC output", data, reason, reason_len);
        case FRU_RECORD_DC_LOAD:
                return check_dc_load(data, reason, reason_len);
        case FRU_RECORD_MANAGEMENT_ACCESS:
                return check_management_access(data, len, reason, reason_len);
        default:
                return 0;
        }
}

size_t fru_multirecord_size(const struct fru_record *records, size_t n) {
        size_t total = 0;

        for (size_t i = 0; i < n; i++)
                total += FRU_RECORD_HEADER_LEN + records[i].len;
        return total;
}

ssize_t fru_multirecord_build(const struct fru_record *records, size_t n, uint8_t *buf,
                              size_t cap) {
        size_t pos = 0;

        if (fru_multirecord_size(records, n) > cap)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++) {
                const struct fru_record *r = &records[i];
                uint8_t *h = buf + pos;

                if (fru_record_check(r->type, r->data, r->len, NULL, 0) < 0)
                        return -EINVAL;
                h[0] = r->type;
                h[1] = (uint8_t) (0x02 | (i + 1 == n ? 0x80 : 0));   /* version 2, end of list */
                h[2] = r->len;
                h[3] = fru_checksum(r->data, r->len);
                h[4] = fru_checksum(h, 4);
                if (r->len > 0)
                        memcpy(h + FRU_RECORD_HEADER_LEN, r->data, r->len);
                pos += FRU_RECORD_HEADER_LEN + r->len;
        }
        return (ssize_t) pos;
}
