/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "i2c-smbus.h"
#include "macro.h"

static int32_t linux_read(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg, bool word) {
        _cleanup_close_ int fd = -EBADF;
        char path[32];
        int32_t v;

        snprintf(path, sizeof(path), "/dev/i2c-%u", bus);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* I2C_SLAVE, not I2C_SLAVE_FORCE: a kernel driver bound to the device keeps it. */
        if (ioctl(fd, I2C_SLAVE, (unsigned long) addr7) < 0)
                return -errno;
        /* libi2c (i2c-tools >= 4.0) returns -errno itself on failure. */
        v = word ? i2c_smbus_read_word_data(fd, reg) : i2c_smbus_read_byte_data(fd, reg);
        return v < 0 ? (v == -1 ? -errno : v) : v;
}

const struct smbus_ops smbus_ops_linux = {
        .read = linux_read,
};

int smbus_read(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
               uint8_t reg, bool word, uint16_t *value) {
        int32_t v;

        if (addr7 < 0x08 || addr7 > 0x77)
                return -EINVAL;
        v = (ops ?: &smbus_ops_linux)->read(userdata, bus, addr7, reg, word);
        if (v < 0)
                return (int) v;
        if ((uint32_t) v > (word ? 0xFFFFu : 0xFFu))
                return -EBADMSG;
        *value = (uint16_t) v;
        return 0;
}
