/* SPDX-License-Identifier: MIT */
/* Sensor Data Records: encoders, Full Sensor Record parser, partial reads. See sdr.h. */
#include <errno.h>
#include <string.h>

#include "sdr.h"

/* Two's complement fields of the record: M and B are 10 bits, the exponents 4. */
static int sign_extend(unsigned v, unsigned bits) {
        unsigned sign = 1u << (bits - 1);

        v &= (1u << bits) - 1;
        return (int) (v ^ sign) - (int) sign;
}

size_t sdr_id_string_length(const char id[static SDR_ID_STRING_MAX + 1]) {
        return strnlen(id, SDR_ID_STRING_MAX + 1);
}

void sdr_put_header(uint8_t *p, uint16_t record_id, uint8_t type, size_t total) {
        p[0] = (uint8_t) record_id;
        p[1] = (uint8_t) (record_id >> 8);
        p[2] = SDR_VERSION;
        p[3] = type;
        p[4] = (uint8_t) (total - SDR_HEADER_LEN);
}

void sdr_put_id_string(uint8_t *p, const char *id, size_t n) {
        p[0] = (uint8_t) (SDR_ID_TYPE_ASCII8 | n);
        memcpy(p + 1, id, n);
}

int sdr_encode_mc_locator(uint16_t record_id, const struct sdr_mc_locator *mc,
                          uint8_t *buf, size_t cap) {
        size_t n = sdr_id_string_length(mc->id), total = SDR_LOCATOR_FIXED + n;

        if (record_id == SDR_RECORD_ID_LAST || n > SDR_ID_STRING_MAX || (mc->slave_address & 1) ||
            mc->channel > 0x0F || mc->power_state_notification > 0x07 || mc->global_init > 0x0F)
                return -EINVAL;
        if (cap < total)
                return -EMSGSIZE;

        memset(buf, 0, total);
        sdr_put_header(buf, record_id, SDR_TYPE_MC_LOCATOR, total);
        buf[5] = mc->slave_address;
        buf[6] = mc->channel;                   /* bits 7:4 reserved */
        buf[7] = (uint8_t) (mc->power_state_notification << 5 | mc->global_init);
        buf[8] = mc->capabilities;
        /* 9..11 reserved */
        buf[12] = mc->entity_id;
        buf[13] = mc->entity_instance;
        buf[14] = mc->oem;
        sdr_put_id_string(buf + 15, mc->id, n);
        return (int) total;
}

int sdr_encode_fru_locator(uint16_t record_id, const struct sdr_fru_locator *fru,
                           uint8_t *buf, size_t cap) {
        size_t n = sdr_id_string_length(fru->id), total = SDR_LOCATOR_FIXED + n;

        if (record_id == SDR_RECORD_ID_LAST || n > SDR_ID_STRING_MAX || (fru->access_address & 1) ||
            fru->access_lun > 3 || fru->private_bus > 7 || fru->channel > 0x0F)
                return -EINVAL;
        /* A physical FRU device is named by its 8-bit slave address, whose bit 0 is clear. */
        if (!fru->logical && (fru->fru_device_id & 1))
                return -EINVAL;
        if (cap < total)
                return -EMSGSIZE;

        memset(buf, 0, total);
        sdr_put_header(buf, record_id, SDR_TYPE_FRU_LOCATOR, total);
        buf[5] = fru->access_address;
        buf[6] = fru->fru_device_id;
        buf[7] = (uint8_t) ((fru->logical ? 0x80 : 0) | fru->access_lun << 3 | fru->private_bus);
        buf[8] = (uint8_t) (fru->channel << 4);  /* bits 3:0 reserved */
        /* 9 reserved */
        buf[10] = fru->device_type;
        buf[11] = fru->device_type_modifier;
        buf[12] = fru->entity_id;
        buf[13] = fru->entity_instance;
        buf[14] = fru->oem;
        sdr_put_id_string(buf + 15, fru->id, n);
        return (int) total;
}

/* Event bit 2i is "threshold i going low", 2i+1 "going high"; a lower threshold is crossed
 * going low, an upper one going high. */
static uint16_t threshold_event_bits(uint8_t thresholds) {
        uint16_t ev = 0;

        for (unsigned i = 0; i < 6; i++)
                if (thresholds & (1u << i))
                        ev |= (uint16_t) (1u << (2 * i + (i >= 3)));
        return ev;
}

void sdr_threshold_masks(uint8_t readable, uint8_t settable, uint8_t assert_events,
                         uint8_t deassert_events, struct sdr_full_sensor *s) {
        uint16_t assert_ev, deassert_ev;

        readable &= SDR_THR_ALL;
        settable &= SDR_THR_ALL;
        assert_ev = threshold_event_bits(assert_events & readable);
        deassert_ev = threshold_event_bits(deassert_events & readable);

        s->assert_mask = (uint16_t) (assert_ev | (readable & SDR_THR_LOWER) << 12);
        s->deassert_mask = (uint16_t) (deassert_ev | (readable & SDR_THR_UPPER) >> 3 << 12);
        s->reading_mask = (uint16_t) (readable | settable << 8);
}

int sdr_encode_full_sensor(uint16_t record_id, const struct sdr_full_sensor *s,
                           uint8_t *buf, size_t cap) {
        const struct sensor_linear *l = &s->linear;
        size_t n = sdr_id_string_length(s->id), total = SDR_FULL_SENSOR_FIXED + n;
        uint8_t format = l->is_signed ? 0x80 : 0x00;    /* 10b two's complement, 00b unsigned */
        unsigned m, b;

        if (record_id == SDR_RECORD_ID_LAST || n > SDR_ID_STRING_MAX || s->owner_lun > 3 ||
            s->channel > 0x0F || s->number == 0xFF || sensor_linear_check(l) < 0 ||
            s->tolerance > 0x3F || s->accuracy > 0x3FF || s->accuracy_exp > 3 || s->direction > 3 ||
            s->analog_flags > 0x07 || (s->assert_mask & 0x8000) || (s->deassert_mask & 0x8000))
                return -EINVAL;
        if ((s->units1 & 0xC0) != 0 && (s->units1 & 0xC0) != format)
                return -EINVAL;
        if (cap < total)
                return -EMSGSIZE;

        m = (unsigned) l->m & 0x3FF;
        b = (unsigned) l->b & 0x3FF;

        memset(buf, 0, total);
        sdr_put_header(buf, record_id, SDR_TYPE_FULL_SENSOR, total);
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
        buf[20] = (uint8_t) ((s->units1 & 0x3F) | format);
        buf[21] = s->base_unit;
        buf[22] = s->modifier_unit;
        buf[23] = s->linearization;
        /* M: low 8 bits, then bits 9:8 above the 6-bit tolerance. */
        buf[24] = (uint8_t) m;
        buf[25] = (uint8_t) ((m >> 8) << 6 | s->tolerance);
        /* B likewise above the low 6 bits of accuracy; then accuracy 9:6, its exponent and
         * the direction; then Rexp (K2) in the high nibble, Bexp (K1) in the low one. */
        buf[26] = (uint8_t) b;
        buf[27] = (uint8_t) ((b >> 8) << 6 | (s->accuracy & 0x3F));
        buf[28] = (uint8_t) ((s->accuracy >> 6) << 4 | s->accuracy_exp << 2 | s->direction);
        buf[29] = (uint8_t) (((unsigned) l->r_exp & 0x0F) << 4 | ((unsigned) l->b_exp & 0x0F));
        buf[30] = s->analog_flags;
        buf[31] = s->nominal;
        buf[32] = s->normal_max;
        buf[33] = s->normal_min;
        buf[34] = s->sensor_max;
        buf[35] = s->sensor_min;
        buf[36] = s->unr;
        buf[37] = s->ucr;
        buf[38] = s->unc;
        buf[39] = s->lnr;
        buf[40] = s->lcr;
        buf[41] = s->lnc;
        buf[42] = s->hysteresis_pos;
        buf[43] = s->hysteresis_neg;
        /* 44, 45 reserved */
        buf[46] = s->oem;
        sdr_put_id_string(buf + 47, s->id, n);
        return (int) total;
}

/* ---- parsing ---- */

int sdr_parse_header(const uint8_t *buf, size_t len, struct sdr_header *ret) {
        struct sdr_header h;

        if (len < SDR_HEADER_LEN)
                return -EBADMSG;
        h = (struct sdr_header) {
                .record_id = (uint16_t) (buf[0] | buf[1] << 8),
                .version = buf[2],
                .type = buf[3],
                .length = buf[4],
        };
        if (ret)
                *ret = h;
        if ((size_t) SDR_HEADER_LEN + h.length > len)
                return -EBADMSG;
        if (h.version != SDR_VERSION)
                return -EPROTONOSUPPORT;
        return SDR_HEADER_LEN + h.length;
}

int sdr_parse_record(const uint8_t *buf, size_t len, uint8_t type, size_t fixed,
                     struct sdr_header *ret_hdr) {
        struct sdr_header h;
        size_t total, n;
        int r;

        r = sdr_parse_header(buf, len, &h);
        if (r < 0)
                return r;
        if (h.type != type)
                return -ENOMSG;
        total = (size_t) r;
        if (total < fixed)
                return -EBADMSG;
        /* Any type/length byte: the length is its low 5 bits, at most 16 of them ours. */
        n = buf[fixed - 1] & 0x1F;
        if (n > SDR_ID_STRING_MAX || fixed + n > total)
                return -EBADMSG;
        *ret_hdr = h;
        return r;
}

void sdr_parse_id_string(const uint8_t *buf, size_t fixed, char id[static SDR_ID_STRING_MAX + 1],
                         uint8_t *ret_id_code) {
        size_t n = buf[fixed - 1] & 0x1F;

        *ret_id_code = buf[fixed - 1];
        memcpy(id, buf + fixed, n);
        id[n] = '\0';
}

int sdr_parse_full_sensor(const uint8_t *buf, size_t len, struct sdr_header *ret_hdr,
                          struct sdr_full_sensor *ret) {
        struct sdr_header h;
        struct sdr_full_sensor s = {};
        int total;

        /* From here on, only the record's own bytes count, not what follows it in buf. */
        total = sdr_parse_record(buf, len, SDR_TYPE_FULL_SENSOR, SDR_FULL_SENSOR_FIXED, &h);
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
        s.linearization = buf[23];
        s.linear = (struct sensor_linear) {
                .m = (int16_t) sign_extend(buf[24] | (buf[25] >> 6) << 8, 10),
                .b = (int16_t) sign_extend(buf[26] | (buf[27] >> 6) << 8, 10),
                .r_exp = (int8_t) sign_extend(buf[29] >> 4, 4),
                .b_exp = (int8_t) sign_extend(buf[29] & 0x0F, 4),
                /* 01b (one's complement) and 11b (no numeric reading) are left to the caller,
                 * who sees them in units1. */
                .is_signed = (buf[20] & 0xC0) == 0x80,
        };
        s.tolerance = buf[25] & 0x3F;
        s.accuracy = (uint16_t) ((buf[27] & 0x3F) | (buf[28] >> 4) << 6);
        s.accuracy_exp = (buf[28] >> 2) & 0x03;
        s.direction = buf[28] & 0x03;
        s.analog_flags = buf[30];
        s.nominal = buf[31];
        s.normal_max = buf[32];
        s.normal_min = buf[33];
        s.sensor_max = buf[34];
        s.sensor_min = buf[35];
        s.unr = buf[36];
        s.ucr = buf[37];
        s.unc = buf[38];
        s.lnr = buf[39];
        s.lcr = buf[40];
        s.lnc = buf[41];
        s.hysteresis_pos = buf[42];
        s.hysteresis_neg = buf[43];
        s.oem = buf[46];
        sdr_parse_id_string(buf, SDR_FULL_SENSOR_FIXED, s.id, &s.id_code);

        if (ret_hdr)
                *ret_hdr = h;
        if (ret)
                *ret = s;
        return total;
}

/* ---- repository reads ---- */

/* The record starting at pos: its total length, or -EBADMSG. */
static int record_at(const struct sdr_repo *repo, size_t pos, uint16_t *ret_id) {
        struct sdr_header h;
        int r = sdr_parse_header(repo->buf + pos, repo->len - pos, &h);

        if (r < 0)
                return -EBADMSG;
        *ret_id = h.record_id;
        return r;
}

int sdr_repo_check(const struct sdr_repo *repo) {
        size_t count = 0;

        for (size_t pos = 0; pos < repo->len; count++) {
                uint16_t id;
                int r = record_at(repo, pos, &id);

                if (r < 0 || id == SDR_RECORD_ID_LAST || (id == 0 && pos != 0) ||
                    count >= SDR_RECORD_ID_LAST - 1)
                        return -EBADMSG;
                /* Quadratic, but the repository holds tens of records and runs once. */
                for (size_t p = 0; p < pos;) {
                        uint16_t other;
                        int q = record_at(repo, p, &other);

                        if (q < 0 || other == id)
                                return -EBADMSG;
                        p += (size_t) q;
                }
                pos += (size_t) r;
        }
        return (int) count;
}

int sdr_repo_get(const struct sdr_repo *repo, uint16_t record_id, uint8_t offset, uint8_t count,
                 uint8_t *out, size_t cap, uint16_t *ret_next) {
        size_t pos = 0, n, rest;
        uint16_t id, next;
        int r;

        /* Find the record. ID 0 is "the first record", whatever its own ID. */
        for (;;) {
                if (pos >= repo->len)
                        return -ENOENT;
                r = record_at(repo, pos, &id);
                if (r < 0)
                        return r;
                if (id == record_id || record_id == 0)
                        break;
                pos += (size_t) r;
        }

        if (offset >= (size_t) r)
                return -EINVAL;
        rest = (size_t) r - offset;
        /* A count is answered in full: what runs past the record is zeros (see sdr.h). */
        n = count == SDR_READ_WHOLE ? rest : count;
        if (n > cap)
                return -EMSGSIZE;

        /* The next record's ID, read only once this one is known to be sound. */
        next = SDR_RECORD_ID_LAST;
        if (pos + (size_t) r < repo->len) {
                int q = record_at(repo, pos + (size_t) r, &next);

                if (q < 0)
                        return q;
        }

        if (n > rest) {
                memcpy(out, repo->buf + pos + offset, rest);
                memset(out + rest, 0, n - rest);
        } else
                memcpy(out, repo->buf + pos + offset, n);
        *ret_next = next;
        return (int) n;
}
