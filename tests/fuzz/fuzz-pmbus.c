/* SPDX-License-Identifier: MIT */
/*
 * protocol/pmbus.c on any bytes: the first two are a data word, the third VOUT_MODE, the next
 * five DIRECT coefficients (m and b 16-bit, R 8-bit), the rest a transaction for the PEC and a
 * command name. Every decode is finite or refused with the output untouched; a PEC appended
 * to its message makes the CRC of the whole 0 (what a receiver checks); a name that finds a
 * command finds the same one by its code and by its own name.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/pmbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t message[64 + 1];
        char name[64];
        int exponent = 1000;
        unsigned mode;
        double v;

        if (size < 8 || size > 8 + 64)
                return 0;
        uint16_t word = (uint16_t) (data[0] | data[1] << 8);

        if (!isfinite(pmbus_linear11_decode(word)))
                abort();
        if (pmbus_vout_mode_exponent(data[2], &exponent, &mode) == 0) {
                if (mode != 0 || exponent < -16 || exponent > 15)
                        abort();
                if (!isfinite(pmbus_linear16_decode(word, exponent)))
                        abort();
        } else if (exponent != 1000 || mode == 0 || mode > 7)
                abort();

        struct pmbus_direct c = {
                .m = (int16_t) (data[3] | data[4] << 8),
                .b = (int16_t) (data[5] | data[6] << 8),
                .r = (int8_t) data[7],
        };
        v = 12345;
        if (pmbus_direct_decode(word, &c, &v) < 0) {
                if (c.m != 0 || v != 12345)
                        abort();
        } else if (!isfinite(v))
                abort();

        size -= 8;
        data += 8;
        memcpy(message, data, size);
        message[size] = pmbus_crc8(0, message, size);
        if (pmbus_crc8(0, message, size + 1) != 0)
                abort();
        if (size >= 2 && pmbus_pec(data[0] >> 1, data[1], false, data + 2, size - 2) !=
            pmbus_crc8(0, data, size) && (data[0] & 1) == 0)
                abort();

        memcpy(name, data, size < sizeof(name) ? size : sizeof(name) - 1);
        name[size < sizeof(name) ? size : sizeof(name) - 1] = '\0';
        const struct pmbus_command *cmd = pmbus_command_by_name(name);
        if (cmd && (pmbus_command_by_code(cmd->code) != cmd ||
                    pmbus_command_by_name(cmd->name) != cmd))
                abort();
        return 0;
}
