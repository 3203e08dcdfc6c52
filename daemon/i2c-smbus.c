/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "i2c-smbus.h"
#include "macro.h"

/* /dev/i2c-BUS with addr7 as the target: an fd, or -errno. */
static int open_target(unsigned bus, uint8_t addr7) {
        _cleanup_close_ int fd = -EBADF;
        char path[32];

        snprintf(path, sizeof(path), "/dev/i2c-%u", bus);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* I2C_SLAVE, not I2C_SLAVE_FORCE: a kernel driver bound to the device keeps it. */
        if (ioctl(fd, I2C_SLAVE, (unsigned long) addr7) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* libi2c (i2c-tools >= 4.0) returns -errno itself on failure; older ones -1 and errno. */
static int32_t libi2c_result(int32_t v) {
        return v < 0 ? (v == -1 ? -errno : v) : v;
}

static int32_t linux_read(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg, bool word) {
        _cleanup_close_ int fd = open_target(bus, addr7);

        if (fd < 0)
                return fd;
        return libi2c_result(word ? i2c_smbus_read_word_data(fd, reg) :
                             i2c_smbus_read_byte_data(fd, reg));
}

static int linux_write(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                       const uint8_t *data, size_t len) {
        _cleanup_close_ int fd = open_target(bus, addr7);
        int32_t r;

        if (fd < 0)
                return fd;
        r = len == 1 ? i2c_smbus_write_byte_data(fd, reg, data[0]) :
            i2c_smbus_write_word_data(fd, reg, (uint16_t) (data[0] | data[1] << 8));
        r = libi2c_result(r);
        return r < 0 ? r : 0;
}

static int linux_read_block(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                            uint8_t *data, size_t len) {
        _cleanup_close_ int fd = open_target(bus, addr7);

        if (fd < 0)
                return fd;
        return libi2c_result(i2c_smbus_read_i2c_block_data(fd, reg, (uint8_t) len, data));
}

const struct smbus_ops smbus_ops_linux = {
        .read = linux_read,
        .write = linux_write,
        .read_block = linux_read_block,
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

int smbus_write(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
                uint8_t reg, const uint8_t *data, size_t len) {
        ops = ops ?: &smbus_ops_linux;
        if (addr7 < 0x08 || addr7 > 0x77 || len < 1 || len > 2)
                return -EINVAL;
        if (!ops->write)
                return -EOPNOTSUPP;
        return ops->write(userdata, bus, addr7, reg, data, len);
}

int smbus_read_block(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
                     uint8_t reg, uint8_t *data, size_t len) {
        int r;

        ops = ops ?: &smbus_ops_linux;
        if (addr7 < 0x08 || addr7 > 0x77 || len < 1 || len > 32)
                return -EINVAL;
        if (!ops->read_block)
                return -EOPNOTSUPP;
        r = ops->read_block(userdata, bus, addr7, reg, data, len);
        if (r < 0)
                return r;
        return (size_t) r == len ? 0 : -EBADMSG;
}
