/* SPDX-License-Identifier: MIT */
/*
 * PICMG OEM multirecord data (what a FRU image or a multirecord file may hold), any bytes: the
 * check never reads past its input and gives the same verdict twice. A record the check
 * accepts re-encodes: its link descriptors (ATCA and AMC) and AMC channel descriptors decode
 * and encode back to the very bytes, and the record rebuilt from them is the input when it
 * carries no OEM GUIDs.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/picmg-fru.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINKS_MAX 64

static void board_round_trip(const uint8_t *data, size_t size) {
        struct picmg_link links[LINKS_MAX];
        uint8_t out[255], b[PICMG_LINK_DESCRIPTOR_LEN];
        size_t n = 0;
        ssize_t r;

        if (data[PICMG_RECORD_HEADER_LEN] != 0)
                return;         /* GUIDs are not re-encoded */
        for (size_t off = PICMG_RECORD_HEADER_LEN + 1; off < size;
             off += PICMG_LINK_DESCRIPTOR_LEN) {
                if (n == LINKS_MAX)
                        abort();        /* a record holds at most 62 */
                picmg_link_decode(data + off, &links[n]);
                if (picmg_link_encode(&links[n], b) < 0 || memcmp(b, data + off, sizeof(b)) != 0)
                        abort();
                n++;
        }
        r = picmg_board_p2p_record(links, n, out, sizeof(out));
        if (r != (ssize_t) size || memcmp(out, data, size) != 0)
                abort();
}

static void amc_round_trip(const uint8_t *data, size_t size) {
        struct picmg_amc_channel channels[LINKS_MAX * 2];
        struct picmg_amc_link links[LINKS_MAX];
        size_t off = PICMG_RECORD_HEADER_LEN, n_channels, n = 0;
        uint8_t out[255], b[PICMG_AMC_LINK_DESCRIPTOR_LEN];
        uint8_t type;
        ssize_t r;

        if (data[off] != 0)
                return;
        type = data[off + 1];
        n_channels = data[off + 2];
        off += 3;
        for (size_t i = 0; i < n_channels; i++, off += PICMG_AMC_CHANNEL_LEN)
                if (i >= LINKS_MAX * 2 || picmg_amc_channel_decode(data + off, &channels[i]) < 0 ||
                    picmg_amc_channel_encode(&channels[i], b) < 0 ||
                    memcmp(b, data + off, PICMG_AMC_CHANNEL_LEN) != 0)
                        abort();
        for (; off < size; off += PICMG_AMC_LINK_DESCRIPTOR_LEN) {
                if (n == LINKS_MAX || picmg_amc_link_decode(data + off, &links[n]) < 0 ||
                    picmg_amc_link_encode(&links[n], b) < 0 ||
                    memcmp(b, data + off, PICMG_AMC_LINK_DESCRIPTOR_LEN) != 0)
                        abort();
                n++;
        }
        r = picmg_amc_p2p_record(type & 0x80, type & 0x0F, channels, n_channels, links, n, out,
                                 sizeof(out));
        /* The record type's bits 3:0 are reserved for an AMC module: rebuilt as zero. */
        if (r == (ssize_t) size && !((type & 0x80) && (type & 0x0F)) &&
            memcmp(out, data, size) != 0)
                abort();
        if (size <= 255 && r != (ssize_t) size)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int r = picmg_record_check(data, size, NULL, 0);
        char reason[64];

        if (picmg_record_check(data, size, reason, sizeof(reason)) != r)
                abort();
        if (r < 0 && strnlen(reason, sizeof(reason)) >= sizeof(reason))
                abort();
        if (r < 0 || size < PICMG_RECORD_HEADER_LEN || size > 255 || data[0] != 0x5A ||
            data[1] != 0x31 || data[2] != 0x00)
                return 0;
        if (data[3] == PICMG_RECORD_BOARD_P2P)
                board_round_trip(data, size);
        else if (data[3] == PICMG_RECORD_AMC_P2P)
                amc_round_trip(data, size);
        return 0;
}
