/* SPDX-License-Identifier: MIT */
/*
 * SMBus register reads through libi2c, for a future SMBus sensor source. The same seam style as
 * i2c-dev.h: the default ops talk to /dev/i2c-N, tests inject a fake.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct smbus_ops {
        /*
         * SMBus Read Byte Data (word = false) or Read Word Data (word = true, low byte first
         * on the wire, as SMBus defines it) of register reg. Returns the value (0..0xFF or
         * 0..0xFFFF) or -errno.
         */
        int32_t (*read)(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg, bool word);
};

extern const struct smbus_ops smbus_ops_linux;

/*
 * Read register reg of addr7 (7-bit, 0x08..0x77) on /dev/i2c-BUS through ops (NULL:
 * smbus_ops_linux), which get userdata. Returns 0 and *value, or -EINVAL for an address outside
 * that range, -EBADMSG if the ops return more bits than asked for, or the ops' -errno; *value
 * is untouched on error.
 */
int smbus_read(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
               uint8_t reg, bool word, uint16_t *value);
