/* SPDX-License-Identifier: MIT */
/*
 * One I2C_RDWR ioctl per transfer: the kernel ABI for a combined write-read (libi2c's
 * <i2c/smbus.h> only covers SMBus transactions, which cap a block at 32 bytes and always send
 * a command byte). The bus is opened per request: Master Write-Read is rare, and holding
 * /dev/i2c-N open would keep a hot-unplugged adapter's device alive.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "i2c-dev.h"
#include "macro.h"

static int linux_transfer(void *userdata, unsigned bus, uint8_t addr7, const uint8_t *w,
                          size_t wlen, uint8_t *r, size_t rlen) {
        _cleanup_close_ int fd = -EBADF;
        struct i2c_msg msgs[2];
        struct i2c_rdwr_ioctl_data data = { .msgs = msgs, .nmsgs = 0 };
        char path[32];
        int k;

        if ((wlen == 0 && rlen == 0) || wlen > UINT16_MAX || rlen > UINT16_MAX)
                return -EINVAL;

        snprintf(path, sizeof(path), "/dev/i2c-%u", bus);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        /* The kernel never writes to a write message's buffer; the cast is its ABI's. */
        if (wlen > 0)
                msgs[data.nmsgs++] = (struct i2c_msg) {
                        .addr = addr7, .flags = 0, .len = (uint16_t) wlen, .buf = (uint8_t *) w,
                };
        if (rlen > 0)
                msgs[data.nmsgs++] = (struct i2c_msg) {
                        .addr = addr7, .flags = I2C_M_RD, .len = (uint16_t) rlen, .buf = r,
                };

        k = ioctl(fd, I2C_RDWR, &data);
        if (k < 0)
                return -errno;
        /* It returns the number of messages done: fewer means the read did not happen. */
        if ((unsigned) k < data.nmsgs)
                return -ENODATA;
        return 0;
}

const struct i2c_ops i2c_ops_linux = {
        .transfer = linux_transfer,
};
