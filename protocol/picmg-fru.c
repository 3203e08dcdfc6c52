/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "picmg-fru.h"

#define RECORD_DATA_MAX 255             /* one multirecord length byte */

int picmg_link_encode(const struct picmg_link *l, uint8_t out[PICMG_LINK_DESCRIPTOR_LEN]) {
        if (l->channel > 0x3F || l->interface > 3 || l->ports > 0xF || l->extension > 0xF)
                return -EINVAL;
        /* bits 5:0 channel, 7:6 interface, 11:8 ports, 19:12 type, 23:20 extension,
         * 31:24 grouping ID */
        out[0] = (uint8_t) (l->channel | l->interface << 6);
        out[1] = (uint8_t) (l->ports | (l->type & 0x0F) << 4);
        out[2] = (uint8_t) (l->type >> 4 | l->extension << 4);
        out[3] = l->group;
        return 0;
}

void picmg_link_decode(const uint8_t in[PICMG_LINK_DESCRIPTOR_LEN], struct picmg_link *ret) {
        *ret = (struct picmg_link) {
                .channel = in[0] & 0x3F,
                .interface = in[0] >> 6,
                .ports = in[1] & 0x0F,
                .type = (uint8_t) (in[1] >> 4 | (in[2] & 0x0F) << 4),
                .extension = in[2] >> 4,
                .group = in[3],
        };
}

int picmg_amc_link_info_encode(const struct picmg_amc_link *l,
                               uint8_t out[PICMG_AMC_LINK_INFO_LEN]) {
        if (l->lanes > 0xF || l->extension > 0xF || l->asymmetric_match > 3)
                return -EINVAL;
        /* Table 3-19 bits 11:8 lanes, 19:12 type, 23:20 extension, 31:24 grouping ID */
        out[0] = (uint8_t) (l->lanes | (l->type & 0x0F) << 4);
        out[1] = (uint8_t) (l->type >> 4 | l->extension << 4);
        out[2] = l->group;
        return 0;
}

void picmg_amc_link_info_decode(const uint8_t in[PICMG_AMC_LINK_INFO_LEN],
                                struct picmg_amc_link *ret) {
        ret->lanes = in[0] & 0x0F;
        ret->type = (uint8_t) (in[0] >> 4 | (in[1] & 0x0F) << 4);
        ret->extension = in[1] >> 4;
        ret->group = in[2];
}

int picmg_amc_link_encode(const struct picmg_amc_link *l,
                          uint8_t out[PICMG_AMC_LINK_DESCRIPTOR_LEN]) {
        uint8_t info[PICMG_AMC_LINK_INFO_LEN];

        if (picmg_amc_link_info_encode(l, info) < 0)
                return -EINVAL;
        out[0] = l->channel;
        memcpy(out + 1, info, sizeof(info));
        out[4] = (uint8_t) (0xFC | l->asymmetric_match);        /* bits 39:34 reserved, ones */
        return 0;
}

int picmg_amc_link_decode(const uint8_t in[PICMG_AMC_LINK_DESCRIPTOR_LEN],
                          struct picmg_amc_link *ret) {
        struct picmg_amc_link l = { .channel = in[0], .asymmetric_match = in[4] & 3 };

        if ((in[4] & 0xFC) != 0xFC)
                return -EINVAL;
        picmg_amc_link_info_decode(in + 1, &l);
        *ret = l;
        return 0;
}

int picmg_amc_channel_encode(const struct picmg_amc_channel *c,
                             uint8_t out[PICMG_AMC_CHANNEL_LEN]) {
        uint32_t v = 0xFu << 20;        /* bits 23:20 reserved, ones */

        for (unsigned i = 0; i < 4; i++) {
                if (c->lane_port[i] > 0x1F)
                        return -EINVAL;
                v |= (uint32_t) c->lane_port[i] << (5 * i);
        }
        out[0] = (uint8_t) v;
        out[1] = (uint8_t) (v >> 8);
        out[2] = (uint8_t) (v >> 16);
        return 0;
}

int picmg_amc_channel_decode(const uint8_t in[PICMG_AMC_CHANNEL_LEN],
                             struct picmg_amc_channel *ret) {
        uint32_t v = in[0] | (uint32_t) in[1] << 8 | (uint32_t) in[2] << 16;

        if ((v >> 20) != 0xF)
                return -EINVAL;
        for (unsigned i = 0; i < 4; i++)
                ret->lane_port[i] = (v >> (5 * i)) & 0x1F;
        return 0;
}

static void record_header(uint8_t record_id, uint8_t *out) {
        out[0] = (uint8_t) PICMG_MANUFACTURER_ID;
        out[1] = (uint8_t) (PICMG_MANUFACTURER_ID >> 8);
        out[2] = (uint8_t) (PICMG_MANUFACTURER_ID >> 16);
        out[3] = record_id;
        out[4] = PICMG_RECORD_FORMAT_VERSION;
}

ssize_t picmg_board_p2p_record(const struct picmg_link *links, size_t n, uint8_t *out,
                               size_t cap) {
        size_t len = PICMG_RECORD_HEADER_LEN + 1;
        uint8_t d[PICMG_LINK_DESCRIPTOR_LEN];

        if (n > (RECORD_DATA_MAX - len) / PICMG_LINK_DESCRIPTOR_LEN)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (picmg_link_encode(&links[i], d) < 0)
                        return -EINVAL;
        len += n * PICMG_LINK_DESCRIPTOR_LEN;
        if (cap < len)
                return -ENOBUFS;
        record_header(PICMG_RECORD_BOARD_P2P, out);
        out[PICMG_RECORD_HEADER_LEN] = 0;       /* OEM GUID count */
        for (size_t i = 0; i < n; i++)
                (void) picmg_link_encode(&links[i], out + PICMG_RECORD_HEADER_LEN + 1 +
                                                    i * PICMG_LINK_DESCRIPTOR_LEN);
        return (ssize_t) len;
}

ssize_t picmg_amc_p2p_record(bool amc_module, uint8_t device_id,
                             const struct picmg_amc_channel *channels, size_t n_channels,
                             const struct picmg_amc_link *links, size_t n_links, uint8_t *out,
                             size_t cap) {
        size_t len = PICMG_RECORD_HEADER_LEN + 3;       /* GUID count, record type, count */
        uint8_t b[PICMG_AMC_LINK_DESCRIPTOR_LEN];
        uint8_t *p;

        if (device_id > 0xF || n_channels > 0xFF ||
            n_channels * PICMG_AMC_CHANNEL_LEN + n_links * PICMG_AMC_LINK_DESCRIPTOR_LEN >
            RECORD_DATA_MAX - len)
                return -EINVAL;
        for (size_t i = 0; i < n_channels; i++)
                if (picmg_amc_channel_encode(&channels[i], b) < 0)
                        return -EINVAL;
        for (size_t i = 0; i < n_links; i++)
                if (picmg_amc_link_encode(&links[i], b) < 0 || links[i].channel >= n_channels)
                        return -EINVAL;
        len += n_channels * PICMG_AMC_CHANNEL_LEN + n_links * PICMG_AMC_LINK_DESCRIPTOR_LEN;
        if (cap < len)
                return -ENOBUFS;
        record_header(PICMG_RECORD_AMC_P2P, out);
        p = out + PICMG_RECORD_HEADER_LEN;
        *p++ = 0;                                               /* OEM GUID count */
        /* bit 7: 1 = AMC module, 0 = on-carrier device with its ID in bits 3:0 */
        *p++ = amc_module ? 0x80 : device_id;
        *p++ = (uint8_t) n_channels;
        for (size_t i = 0; i < n_channels; i++, p += PICMG_AMC_CHANNEL_LEN)
                (void) picmg_amc_channel_encode(&channels[i], p);
        for (size_t i = 0; i < n_links; i++, p += PICMG_AMC_LINK_DESCRIPTOR_LEN)
                (void) picmg_amc_link_encode(&links[i], p);
        return (ssize_t) len;
}

void picmg_module_current_record(uint8_t current_100ma,
                                 uint8_t out[PICMG_MODULE_CURRENT_LEN]) {
        record_header(PICMG_RECORD_MODULE_CURRENT, out);
        out[PICMG_RECORD_HEADER_LEN] = current_100ma;
}

static int fail(char *reason, size_t reason_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char *reason, size_t reason_len, const char *fmt, ...) {
        va_list ap;

        if (reason && reason_len > 0) {
                va_start(ap, fmt);
                vsnprintf(reason, reason_len, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* The OEM GUIDs after the header: their count checked against len; *off past them. */
static int skip_guids(const uint8_t *data, size_t len, size_t *off, char *reason,
                      size_t reason_len) {
        size_t n;

        if (len < *off + 1)
                return fail(reason, reason_len, "PICMG record 0x%02x ends before its OEM GUID "
                            "count", data[3]);
        n = data[*off];
        if (len - *off - 1 < n * PICMG_OEM_GUID_LEN)
                return fail(reason, reason_len, "PICMG record 0x%02x: %zu OEM GUIDs do not fit "
                            "its %zu bytes", data[3], n, len);
        *off += 1 + n * PICMG_OEM_GUID_LEN;
        return 0;
}

static int check_board_p2p(const uint8_t *data, size_t len, char *reason, size_t reason_len) {
        size_t off = PICMG_RECORD_HEADER_LEN;
        int r;

        r = skip_guids(data, len, &off, reason, reason_len);
        if (r < 0)
                return r;
        if ((len - off) % PICMG_LINK_DESCRIPTOR_LEN != 0)
                return fail(reason, reason_len, "Board Point-to-Point Connectivity: %zu bytes "
                            "of link descriptors are not a multiple of 4", len - off);
        for (; off < len; off += PICMG_LINK_DESCRIPTOR_LEN) {
                struct picmg_link l;

                picmg_link_decode(data + off, &l);
                if (l.channel == 0 || l.interface == 3)
                        return fail(reason, reason_len, "Board Point-to-Point Connectivity: "
                                    "link descriptor at byte %zu has a reserved %s", off,
                                    l.channel == 0 ? "channel 0" : "interface 3");
        }
        return 0;
}

static int check_amc_p2p(const uint8_t *data, size_t len, char *reason, size_t reason_len) {
        size_t off = PICMG_RECORD_HEADER_LEN, n_channels;
        int r;

        r = skip_guids(data, len, &off, reason, reason_len);
        if (r < 0)
                return r;
        if (len - off < 2)
                return fail(reason, reason_len, "AMC Point-to-Point Connectivity ends before "
                            "its channel descriptor count");
        if (data[off] & 0x70)
                return fail(reason, reason_len, "AMC Point-to-Point Connectivity: reserved "
                            "record type bits 6:4 set");
        n_channels = data[off + 1];
        off += 2;
        if (len - off < n_channels * PICMG_AMC_CHANNEL_LEN)
                return fail(reason, reason_len, "AMC Point-to-Point Connectivity: %zu channel "
                            "descriptors do not fit", n_channels);
        for (size_t i = 0; i < n_channels; i++, off += PICMG_AMC_CHANNEL_LEN) {
                struct picmg_amc_channel c;

                if (picmg_amc_channel_decode(data + off, &c) < 0)
                        return fail(reason, reason_len, "AMC channel descriptor %zu: reserved "
                                    "bits 23:20 are not 1111b", i);
        }
        if ((len - off) % PICMG_AMC_LINK_DESCRIPTOR_LEN != 0)
                return fail(reason, reason_len, "AMC Point-to-Point Connectivity: %zu bytes "
                            "of link descriptors are not a multiple of 5", len - off);
        for (; off < len; off += PICMG_AMC_LINK_DESCRIPTOR_LEN) {
                struct picmg_amc_link l;

                if (picmg_amc_link_decode(data + off, &l) < 0)
                        return fail(reason, reason_len, "AMC link descriptor at byte %zu: "
                                    "reserved bits 39:34 are not ones", off);
                if (l.channel >= n_channels)
                        return fail(reason, reason_len, "AMC link descriptor at byte %zu names "
                                    "channel %u of %zu", off, l.channel, n_channels);
        }
        return 0;
}

int picmg_record_check(const uint8_t *data, size_t len, char *reason, size_t reason_len) {
        uint32_t mfg;

        if (len < 3)
                return fail(reason, reason_len, "an OEM record needs its 3-byte manufacturer "
                            "ID, not %zu bytes", len);
        mfg = data[0] | (uint32_t) data[1] << 8 | (uint32_t) data[2] << 16;
        if (mfg != PICMG_MANUFACTURER_ID)
                return 0;
        if (len < PICMG_RECORD_HEADER_LEN)
                return fail(reason, reason_len, "a PICMG record needs its record ID and format "
                            "version, %zu bytes are too short", len);
        if (data[3] != PICMG_RECORD_BOARD_P2P && data[3] != PICMG_RECORD_MODULE_CURRENT &&
            data[3] != PICMG_RECORD_AMC_P2P)
                return 0;
        if (data[4] != PICMG_RECORD_FORMAT_VERSION)
                return fail(reason, reason_len, "PICMG record 0x%02x: format version 0x%02x, "
                            "expected 0x00", data[3], data[4]);
        switch (data[3]) {
        case PICMG_RECORD_MODULE_CURRENT:
                if (len != PICMG_MODULE_CURRENT_LEN)
                        return fail(reason, reason_len, "Module Current Requirements is %d "
                                    "bytes, not %zu", PICMG_MODULE_CURRENT_LEN, len);
                return 0;
        case PICMG_RECORD_BOARD_P2P:
                return check_board_p2p(data, len, reason, reason_len);
        default:
                return check_amc_p2p(data, len, reason, reason_len);
        }
}
