/* SPDX-License-Identifier: MIT */
#include "ipmi.h"
#include "picmg-fan.h"
#include "picmg.h"

int picmg_request_set_fan_level(const uint8_t *d, size_t len, uint8_t *ret_fru,
                                uint8_t *ret_level, int *ret_local_enable) {
        if (len < 3 || len > 4)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        if (d[0] != PICMG_IDENTIFIER || (len == 4 && d[3] > 1))
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = d[1];
        *ret_level = d[2];
        *ret_local_enable = len == 4 ? d[3] : -1;
        return 0;
}
