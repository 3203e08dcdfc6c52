/* SPDX-License-Identifier: MIT */
/*
 * The emulated bus's packet decoder and fault-rule parser on any bytes: what decodes must
 * encode back to the same packet; the fault parser must either refuse or give sane fields.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/emubus-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t buf[EMUBUS_PACKET_MAX];
        struct emubus_msg m;
        struct emubus_fault f;
        int r;

        if (emubus_decode(data, size, &m) == 0) {
                r = emubus_encode(&m, buf, sizeof(buf));
                if (r < 0 || (size_t) r != size || memcmp(buf, data, size) != 0)
                        abort();
        }

        if (emubus_fault_parse((const char *) data, size, &f) == 0 && !f.clear) {
                if (f.addr7 < -1 || f.addr7 > 0x7F)
                        abort();
                if (!(f.probability > 0.0 && f.probability <= 1.0))
                        abort();
                if (f.kind > EMUBUS_FAULT_DELAY || f.delay_ms > 60000)
                        abort();
        }
        return 0;
}
