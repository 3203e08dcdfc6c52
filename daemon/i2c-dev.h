/* SPDX-License-Identifier: MIT */
/*
 * Plain I2C write-then-read on /dev/i2c-N, behind a seam so the Master Write-Read handler is
 * tested against a fake bus (tests/unit/test-master-write-read.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct i2c_ops {
        /*
         * Write wlen bytes to addr7 on bus, then read rlen bytes, as one combined transfer
         * (repeated start, no stop in between). Either length may be 0, not both. Returns 0,
         * or -errno: -ENXIO/-EREMOTEIO the target did not acknowledge, -EAGAIN arbitration
         * lost, -EIO/-ETIMEDOUT a bus error, -ENODATA the read came back short, or any other
         * -errno (e.g. -ENOENT: no such bus).
         */
        int (*transfer)(void *userdata, unsigned bus, uint8_t addr7, const uint8_t *w,
                        size_t wlen, uint8_t *r, size_t rlen);
};

/* The real thing: open("/dev/i2c-N"), ioctl(I2C_RDWR), close. */
extern const struct i2c_ops i2c_ops_linux;
