/* SPDX-License-Identifier: MIT */
/*
 * The ipmb-dev-int ABI on any bytes: as a write() buffer in both modes and as a received I2C
 * write. What is accepted must stay inside the driver's limits.
 */
#include <stdlib.h>

#include "protocol/ipmb-dev-abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ipmbdev_wire_write w;
        uint8_t out[IPMBDEV_READ_MAX];
        int r;

        if (ipmbdev_write_to_wire(data, size, EMUBUS_IPMBDEV_I2C, &w) == 0 &&
            (w.len + 1 != data[0] || w.addr7 > 0x7F || size > IPMBDEV_MAX_MSG_LEN))
                abort();
        if (ipmbdev_write_to_wire(data, size, EMUBUS_IPMBDEV_SMBUS, &w) == 0 &&
            (w.len > 2 + IPMBDEV_SMBUS_BLOCK_MAX || w.data[1] != w.len - 2))
                abort();
        if (size > 0) {
                r = ipmbdev_read_message((uint8_t) (data[0] & 0x7F), data + 1, size - 1, out);
                if (r >= 0 && (r < 1 + IPMBDEV_MIN_RECEIVED || r > IPMBDEV_READ_MAX ||
                               out[0] != r - 1 || (uint8_t) (out[1] + out[2] + out[3]) != 0))
                        abort();
        }
        return 0;
}
