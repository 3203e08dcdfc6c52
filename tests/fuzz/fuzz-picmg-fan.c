/* SPDX-License-Identifier: MIT */
/*
 * Set Fan Level's request body (protocol/picmg-fan.c), any bytes: 0 or a completion code
 * 0xC7/0xCC; on success the values are the body's and the local control byte 0 or 1 or absent,
 * on refusal the outputs are untouched.
 */
#include <stdlib.h>

#include "protocol/ipmi.h"
#include "protocol/picmg-fan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t fru = 0xEE, level = 0xEE;
        int local = -7;
        int r = picmg_request_set_fan_level(data, size, &fru, &level, &local);

        if (r != 0 && r != IPMI_CC_REQ_DATA_LEN_INVALID && r != IPMI_CC_INVALID_DATA_FIELD)
                abort();
        if (r != 0 && (fru != 0xEE || level != 0xEE || local != -7))
                abort();
        if (r == 0 && (size < 3 || size > 4 || data[0] != 0 || fru != data[1] ||
                       level != data[2] || local != (size == 4 ? data[3] : -1) || local > 1))
                abort();
        return 0;
}
