/* SPDX-License-Identifier: MIT */
/*
 * PICMG OEM multirecords (FRU multirecord type 0xC0 with the PICMG manufacturer ID 0x00315A)
 * that describe a board's power and its E-keyed links, and the link descriptors the port
 * state commands carry:
 *
 *   0x14 Board Point-to-Point Connectivity   PICMG 3.0 R3.0, E-keying (ATCA links)
 *   0x16 Module Current Requirements         AMC.0 R2.0 table 3-10
 *   0x19 AMC Point-to-Point Connectivity     AMC.0 R2.0 tables 3-16 (record), 3-17 (channel
 *                                            descriptor), 3-19 (link descriptor)
 *
 * Pure bytes: no I/O, no allocation, no globals. Multi-byte fields least significant byte
 * first, bit fields numbered from bit 0 of the first byte, as the specifications lay them out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The commands these records serve (netFn 0x2C, PICMG identifier 0x00 first): PICMG 3.0
 * R3.0 Set/Get Port State, Compute Power Properties (table 3-82), Set/Get Power Level, AMC.0
 * R2.0 tables 3-27, 3-28 (Set/Get AMC Port State). */
#define PICMG_IDENTIFIER                0x00
#define PICMG_CMD_SET_PORT_STATE        0x0E
#define PICMG_CMD_GET_PORT_STATE        0x0F
#define PICMG_CMD_COMPUTE_POWER_PROPERTIES 0x10
#define PICMG_CMD_SET_POWER_LEVEL       0x11
#define PICMG_CMD_GET_POWER_LEVEL       0x12
#define PICMG_CMD_SET_AMC_PORT_STATE    0x19
#define PICMG_CMD_GET_AMC_PORT_STATE    0x1A
#define PICMG_CMD_SET_SIGNALING_CLASS   0x3B    /* PICMG 3.1 R2.0: Set Channel Signaling Class */
#define PICMG_CMD_GET_SIGNALING_CLASS   0x3C
#define PICMG_LINKS_PER_ANSWER          4       /* Get (AMC) Port State: at most 4 links */

/* Get Power Level's power types (PICMG 3.0 R3.0). */
enum picmg_power_type {
        PICMG_POWER_STEADY = 0,
        PICMG_POWER_DESIRED_STEADY = 1,
        PICMG_POWER_EARLY = 2,
        PICMG_POWER_DESIRED_EARLY = 3,
};

#define PICMG_MANUFACTURER_ID           0x00315Au
#define PICMG_FRU_RECORD_TYPE           0xC0    /* OEM multirecord type */
#define PICMG_RECORD_BOARD_P2P          0x14
#define PICMG_RECORD_MODULE_CURRENT     0x16
#define PICMG_RECORD_AMC_P2P            0x19
#define PICMG_RECORD_FORMAT_VERSION     0x00
/* Manufacturer ID (3), PICMG record ID, record format version. */
#define PICMG_RECORD_HEADER_LEN         5
#define PICMG_OEM_GUID_LEN              16
#define PICMG_MODULE_CURRENT_LEN        (PICMG_RECORD_HEADER_LEN + 1)

#define PICMG_LINK_DESCRIPTOR_LEN       4       /* ATCA link descriptor / Link Info */
#define PICMG_AMC_LINK_DESCRIPTOR_LEN   5       /* AMC.0 table 3-19 */
#define PICMG_AMC_LINK_INFO_LEN         3       /* AMC port state commands: table 3-19 bits 8..31 */
#define PICMG_AMC_CHANNEL_LEN           3       /* AMC.0 table 3-17 */
#define PICMG_AMC_LANE_UNUSED           0x1F    /* a channel descriptor lane without a port */

/* Link Designator interface (PICMG 3.0 link descriptor bits 7:6). */
enum picmg_link_interface {
        PICMG_LINK_BASE = 0,
        PICMG_LINK_FABRIC = 1,
        PICMG_LINK_UPDATE_CHANNEL = 2,
};

/* An ATCA link descriptor (Board P2P record) = the Link Info of Set/Get Port State. */
struct picmg_link {
        uint8_t channel;                /* 6 bits; 0 is reserved in the record */
        uint8_t interface;              /* enum picmg_link_interface, 2 bits */
        uint8_t ports;                  /* port flags, bit n = port n, 4 bits */
        uint8_t type;                   /* link type, 8 bits */
        uint8_t extension;              /* link type extension, 4 bits */
        uint8_t group;                  /* link grouping ID */
};

/* An AMC link descriptor (AMC P2P record); its Link Info (the port state commands) is the
 * same without the channel ID and asymmetric match. */
struct picmg_amc_link {
        uint8_t channel;                /* AMC channel ID: index of a channel descriptor */
        uint8_t lanes;                  /* lane flags, bit n = lane n, 4 bits */
        uint8_t type;
        uint8_t extension;              /* 4 bits */
        uint8_t group;
        uint8_t asymmetric_match;       /* 2 bits */
};

/* An AMC channel: the AMC port of each lane, PICMG_AMC_LANE_UNUSED for none. */
struct picmg_amc_channel {
        uint8_t lane_port[4];           /* 5 bits each */
};

/* 0, or -EINVAL for a field wider than its bits (out untouched). */
int picmg_link_encode(const struct picmg_link *l, uint8_t out[PICMG_LINK_DESCRIPTOR_LEN]);
void picmg_link_decode(const uint8_t in[PICMG_LINK_DESCRIPTOR_LEN], struct picmg_link *ret);

/* The 5-byte descriptor, reserved bits 39:34 written as ones. 0 or -EINVAL. */
int picmg_amc_link_encode(const struct picmg_amc_link *l,
                          uint8_t out[PICMG_AMC_LINK_DESCRIPTOR_LEN]);
/* 0, or -EINVAL when the reserved bits are not all ones (ret untouched). */
int picmg_amc_link_decode(const uint8_t in[PICMG_AMC_LINK_DESCRIPTOR_LEN],
                          struct picmg_amc_link *ret);
/* The 3-byte Link Info of Set/Get AMC Port State (lanes, type, extension, group). */
int picmg_amc_link_info_encode(const struct picmg_amc_link *l,
                               uint8_t out[PICMG_AMC_LINK_INFO_LEN]);
void picmg_amc_link_info_decode(const uint8_t in[PICMG_AMC_LINK_INFO_LEN],
                                struct picmg_amc_link *ret);

/* Reserved bits 23:20 written as ones. 0, or -EINVAL for a port above 31. */
int picmg_amc_channel_encode(const struct picmg_amc_channel *c,
                             uint8_t out[PICMG_AMC_CHANNEL_LEN]);
/* 0, or -EINVAL when the reserved bits are not all ones. */
int picmg_amc_channel_decode(const uint8_t in[PICMG_AMC_CHANNEL_LEN],
                             struct picmg_amc_channel *ret);

/* Record data (what follows the 5-byte multirecord header), no OEM GUIDs. Each returns the
 * length written, -ENOBUFS when cap is too small, or -EINVAL (a field too wide, too many
 * descriptors for one record). */
ssize_t picmg_board_p2p_record(const struct picmg_link *links, size_t n, uint8_t *out,
                               size_t cap);
ssize_t picmg_amc_p2p_record(bool amc_module, uint8_t device_id,
                             const struct picmg_amc_channel *channels, size_t n_channels,
                             const struct picmg_amc_link *links, size_t n_links, uint8_t *out,
                             size_t cap);
/* current in units of 0.1 A at 12 V. */
void picmg_module_current_record(uint8_t current_100ma, uint8_t out[PICMG_MODULE_CURRENT_LEN]);

/*
 * Check the data of a type 0xC0 multirecord. Records of another manufacturer, and PICMG
 * records of an ID this file does not lay out, pass. Of the three above: the format version,
 * the length (GUID count, descriptor counts and sizes), reserved bits, and for AMC links a
 * channel ID that names a channel descriptor. 0, or -EINVAL with the first problem in reason
 * (a NUL-terminated sentence).
 */
int picmg_record_check(const uint8_t *data, size_t len, char *reason, size_t reason_len);
