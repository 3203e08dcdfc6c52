/* SPDX-License-Identifier: MIT */
#include "hw-address.h"

enum hw_address_status hw_address_decode(const int *levels, size_t n, int parity,
                                         uint8_t *ret_ipmb, uint8_t *ret_ha) {
        unsigned ha = 0, ones = 0;

        if (n == 0 || n > HW_ADDRESS_LINES_MAX)
                return HW_ADDRESS_BAD_COUNT;
        for (size_t i = 0; i < n; i++) {
                if (levels[i] != 0 && levels[i] != 1)
                        return HW_ADDRESS_BAD_LEVEL;
                ha |= (unsigned) levels[i] << i;
                ones += (unsigned) levels[i];
        }
        if (parity != -1 && parity != 0 && parity != 1)
                return HW_ADDRESS_BAD_LEVEL;
        if (ret_ha)
                *ret_ha = (uint8_t) ha;

        /* Odd parity: a backplane with a pin left open (or shorted) flips one bit, and the
         * count of ones over address and parity pins becomes even. */
        if (parity >= 0 && (ones + (unsigned) parity) % 2 == 0)
                return HW_ADDRESS_PARITY;

        /* 2 x HA: the IPMB address is the 7-bit I2C address HA in 8-bit form. */
        if (ha << 1 < HW_ADDRESS_IPMB_MIN || ha << 1 > HW_ADDRESS_IPMB_MAX)
                return HW_ADDRESS_OUT_OF_RANGE;
        *ret_ipmb = (uint8_t) (ha << 1);
        return HW_ADDRESS_OK;
}

const char *hw_address_status_to_string(enum hw_address_status s) {
        switch (s) {
        case HW_ADDRESS_OK:           return "ok";
        case HW_ADDRESS_BAD_COUNT:    return "between 1 and 7 address lines are needed";
        case HW_ADDRESS_BAD_LEVEL:    return "a line level is neither 0 nor 1";
        case HW_ADDRESS_PARITY:       return "parity error (odd parity expected)";
        case HW_ADDRESS_OUT_OF_RANGE: return "address outside 0x10..0xee";
        default:                      return "unknown";
        }
}
