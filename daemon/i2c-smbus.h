/* SPDX-License-Identifier: MIT */
/*
 * SMBus transactions through libi2c, for the smbus: and pmbus: sensor sources. The same seam
 * style as i2c-dev.h: the default ops talk to /dev/i2c-N, tests inject a fake.
 *
 * PEC (pmbus: sources) is computed and checked by the caller, not by the kernel (I2C_PEC):
 * write and read_block carry the PEC byte as one more data byte, which is the same bytes on
 * the wire (a Write Byte with PEC is a Write Word Data; a Read Word with PEC an I2C block read
 * of 3). So a bad PEC is told apart from every other error, the check is protocol/pmbus.c's
 * tested code, and it works on adapters whose SMBus controller has no PEC support.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smbus_ops {
        /*
         * SMBus Read Byte Data (word = false) or Read Word Data (word = true, low byte first
         * on the wire, as SMBus defines it) of register reg. Returns the value (0..0xFF or
         * 0..0xFFFF) or -errno.
         */
        int32_t (*read)(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg, bool word);
        /*
         * SMBus Write Byte Data (len 1) or Write Word Data (len 2: data[0] sent first) of
         * register reg. Returns 0 or -errno. NULL: writes unsupported (-EOPNOTSUPP).
         */
        int (*write)(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                     const uint8_t *data, size_t len);
        /*
         * SMBus I2C Block Read: reg written, repeated start, len (1..32) bytes read into data.
         * Returns the number of bytes read or -errno. NULL: unsupported (-EOPNOTSUPP).
         */
        int (*read_block)(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                          uint8_t *data, size_t len);
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

/* Write len (1 or 2) bytes to register reg through ops (NULL: smbus_ops_linux). Returns 0, or
 * -EINVAL (address outside 0x08..0x77, len not 1 or 2), -EOPNOTSUPP, or the ops' -errno. */
int smbus_write(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
                uint8_t reg, const uint8_t *data, size_t len);

/* Read exactly len (1..32) bytes from register reg with an I2C Block Read. Returns 0, or
 * -EINVAL, -EOPNOTSUPP, -EBADMSG (the ops returned another length), or the ops' -errno. */
int smbus_read_block(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
                     uint8_t reg, uint8_t *data, size_t len);
