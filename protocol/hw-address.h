/* SPDX-License-Identifier: MIT */
/*
 * Hardware address pins -> IPMB slave address, PICMG style. Pure: the levels come from
 * whoever read the pins (daemon/hw-address.c), this only decides what they mean.
 *
 * PICMG 3.0 (AdvancedTCA) gives every slot a hardware address on pins HA[6:0] with HA[7] as
 * odd parity over all eight, and defines the board's IPMB-0 address as the hardware address
 * shifted left by one (2 x HA): slot HA 0x41 answers at 0x82. Boards with fewer pins use the
 * low ones; the parity pin is optional.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HW_ADDRESS_LINES_MAX 7          /* HA[6:0] */

/* The IPMB slave addresses a controller may take (8-bit form), as for [mc] address. */
#define HW_ADDRESS_IPMB_MIN 0x10
#define HW_ADDRESS_IPMB_MAX 0xEE

enum hw_address_status {
        HW_ADDRESS_OK = 0,
        HW_ADDRESS_BAD_COUNT,           /* no lines, or more than HW_ADDRESS_LINES_MAX */
        HW_ADDRESS_BAD_LEVEL,           /* a level other than 0 or 1 */
        HW_ADDRESS_PARITY,              /* the number of ones, parity pin included, is even */
        HW_ADDRESS_OUT_OF_RANGE,        /* 2 x HA outside 0x10..0xEE */
};

/*
 * levels[i] is the logical level (0 or 1) of address bit i, least significant first;
 * parity is the parity pin's logical level, or -1 when the board has none. On HW_ADDRESS_OK
 * *ret_ipmb is the 8-bit IPMB address; *ret_ha (may be NULL) is always the hardware address
 * the levels spell when they are valid 0/1 levels, so a message can show it.
 */
enum hw_address_status hw_address_decode(const int *levels, size_t n, int parity,
                                         uint8_t *ret_ipmb, uint8_t *ret_ha);

const char *hw_address_status_to_string(enum hw_address_status s);
