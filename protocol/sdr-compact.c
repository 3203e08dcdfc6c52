/* SPDX-License-Identifier: MIT */
/* Compact Sensor Record encoder and parser; see sdr-compact.h. */
#include <errno.h>
#include <string.h>

#include "sdr-compact.h"

int sdr_encode_compact_sensor(uint16_t record_id, const struct sdr_compact_sensor *s,
                              uint8_t *buf, size_t cap) {
        size_t n = sdr_id_string_length(s->id), total = SDR_COMPACT_SENSOR_FIXED + n;

        if (record_id == SDR_RECORD_ID_LAST || n > SDR_ID_STRING_MAX || s->owner_lun > 3 ||
            s->channel > 0x0F || s->number == 0xFF || s->direction > 3 || s->share_count > 0x0F ||
            ((s->assert_mask | s->deassert_mask | s->reading_mask) & 0x8000))
                return -EINVAL;
        if (cap < total)
                return -EMSGSIZE;

        memset(buf, 0, total);
        sdr_put_header(buf, record_id, SDR_TYPE_COMPACT_SENSOR, total);
        buf[5] = s->owner_id;
        buf[6] = (uint8_t) (s->channel << 4 | s->owner_lun);
        buf[7] = s->number;
        buf[8] = s->entity_id;
        buf[9] = s->entity_instance;
        buf[10] = s->init;
        buf[11] = s->capabilities;
        buf[12] = s->sensor_type;
        buf[13] = s->event_type;
        buf[14] = (uint8_t) s->assert_mask;
        buf[15] = (uint8_t) (s->assert_mask >> 8);
        buf[16] = (uint8_t) s->deassert_mask;
        buf[17] = (uint8_t) (s->deassert_mask >> 8);
        buf[18] = (uint8_t) s->reading_mask;
        buf[19] = (uint8_t) (s->reading_mask >> 8);
        buf[20] = s->units1;
        buf[21] = s->base_unit;
        buf[22] = s->modifier_unit;
        /* Record sharing: direction 7:6, ID instance modifier type 5:4 (numeric, unused with
         * a count of 1), share count 3:0; then entity instance sharing and modifier offset. */
        buf[23] = (uint8_t) (s->direction << 6 | s->share_count);
        buf[24] = 0;
        buf[25] = s->hysteresis_pos;
        buf[26] = s->hysteresis_neg;
        /* 27..29 reserved */
        buf[30] = s->oem;
        sdr_put_id_string(buf + 31, s->id, n);
        return (int) total;
}

int sdr_parse_compact_sensor(const uint8_t *buf, size_t len, struct sdr_header *ret_hdr,
                             struct sdr_compact_sensor *ret) {
        struct sdr_header h;
        struct sdr_compact_sensor s = { 0 };
        int total;

        total = sdr_parse_record(buf, len, SDR_TYPE_COMPACT_SENSOR, SDR_COMPACT_SENSOR_FIXED, &h);
        if (total < 0)
                return total;

        s.owner_id = buf[5];
        s.owner_lun = buf[6] & 0x03;
        s.channel = buf[6] >> 4;
        s.number = buf[7];
        s.entity_id = buf[8];
        s.entity_instance = buf[9];
        s.init = buf[10];
        s.capabilities = buf[11];
        s.sensor_type = buf[12];
        s.event_type = buf[13];
        s.assert_mask = (uint16_t) (buf[14] | buf[15] << 8);
        s.deassert_mask = (uint16_t) (buf[16] | buf[17] << 8);
        s.reading_mask = (uint16_t) (buf[18] | buf[19] << 8);
        s.units1 = buf[20];
        s.base_unit = buf[21];
        s.modifier_unit = buf[22];
        s.direction = buf[23] >> 6;
        s.share_count = buf[23] & 0x0F;
        s.hysteresis_pos = buf[25];
        s.hysteresis_neg = buf[26];
        s.oem = buf[30];
        sdr_parse_id_string(buf, SDR_COMPACT_SENSOR_FIXED, s.id, &s.id_code);
        if (ret_hdr)
                *ret_hdr = h;
        if (ret)
                *ret = s;
        return total;
}
