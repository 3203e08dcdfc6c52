/* SPDX-License-Identifier: MIT */
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "i2c-smbus.h"
#include "macro.h"
#include "sensor-source.h"
#include "sensor-source-pmbus.h"

#define SENSOR_READ_MAX         64      /* a number in a sysfs file is far shorter */

/* Open, read, parse. Either may block for good (a FIFO nobody writes, a hung driver); the
 * sensor reader gives up on it without cancelling this thread (sensor-reader.h). */
static int read_file(const char *path, double scale, double *ret) {
        char buf[SENSOR_READ_MAX + 1], *end;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        double v;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, SENSOR_READ_MAX);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        errno = 0;
        v = strtod(buf, &end);
        if (end == buf || errno || !isfinite(v))
                return -EBADMSG;
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
                end++;
        if (*end)
                return -EBADMSG;
        *ret = v * scale;
        return 0;
}

/* The reader requests the line as an input with the ACTIVE_LOW flag when asked, reads it and
 * releases it again: another tool (gpioget, a second sensor) may want it between polls. */
static int read_gpio(const struct sensor_source_hw *hw, const struct sensor_source_config *src,
                     double *ret) {
        const struct gpio_reader_ops *ops = hw->gpio ?: &gpio_reader_libgpiod;
        int level = -1, r;

        r = ops->read_lines(hw->gpio_userdata, src->gpio.chip, &src->gpio.line, 1,
                            src->gpio.active_low, &level);
        if (r < 0)
                return r;
        if (level != 0 && level != 1)
                return -EPROTO;
        *ret = level;
        return 0;
}

static int read_smbus(const struct sensor_source_hw *hw, const struct sensor_source_config *src,
                      double *ret) {
        bool word = src->smbus.width != SMBUS_WIDTH_BYTE;
        uint16_t v;
        long n;
        int r;

        r = smbus_read(hw->smbus, hw->smbus_userdata, src->smbus.bus, src->smbus.address,
                       src->smbus.reg, word, &v);
        /* More bits than asked for is the driver's fault, not a register that is "not a
         * number" (-EBADMSG's meaning in sensors.c). */
        if (r == -EBADMSG)
                return -EPROTO;
        if (r < 0)
                return r;
        /* SMBus sends a word low byte first; LM75-style chips put the high byte first. */
        if (src->smbus.width == SMBUS_WIDTH_WORD_BE)
                v = bswap_16(v);
        /* A status bit (bit=, mask=): 0 or 1, for a discrete sensor's offset. */
        if (src->mask) {
                *ret = (v & src->mask) != 0;
                return 0;
        }
        if (!src->smbus.is_signed)
                n = v;
        else if (word)
                n = v >= 0x8000 ? (long) v - 0x10000 : v;
        else
                n = v >= 0x80 ? (long) v - 0x100 : v;
        *ret = (double) n * src->smbus.scale;
        return 0;
}

int sensor_source_read(const struct sensor_source_hw *hw, const struct sensor_source_config *src,
                       double *ret) {
        static const struct sensor_source_hw real_hardware = { 0 };

        if (!hw)
                hw = &real_hardware;
        switch (src->kind) {
        case SENSOR_SOURCE_FILE:
                return read_file(src->file.path, src->file.scale, ret);
        case SENSOR_SOURCE_GPIO:
                return read_gpio(hw, src, ret);
        case SENSOR_SOURCE_SMBUS:
                return read_smbus(hw, src, ret);
        case SENSOR_SOURCE_PMBUS:
                return sensor_source_read_pmbus(hw->smbus, hw->smbus_userdata, src, ret);
        case SENSOR_SOURCE_NONE:
        default:
                return -EINVAL;
        }
}

const char *sensor_source_describe(const struct sensor_source_config *src, char *buf,
                                   size_t size) {
        static const char *const widths[] = {
                [SMBUS_WIDTH_BYTE] = "byte",
                [SMBUS_WIDTH_WORD] = "word",
                [SMBUS_WIDTH_WORD_BE] = "word-be",
        };

        const struct pmbus_command *command;
        char select[24] = "", page[24] = "", code[32];

        if (src->mask & (src->mask - 1))
                (void) snprintf(select, sizeof(select), " mask 0x%x", src->mask);
        else if (src->mask)
                (void) snprintf(select, sizeof(select), " bit %d", __builtin_ctz(src->mask));
        switch (src->kind) {
        case SENSOR_SOURCE_FILE:
                (void) snprintf(buf, size, "%s", src->file.path);
                break;
        case SENSOR_SOURCE_GPIO:
                (void) snprintf(buf, size, "gpio %s line %u%s", src->gpio.chip, src->gpio.line,
                                src->gpio.active_low ? " (active-low)" : "");
                break;
        case SENSOR_SOURCE_SMBUS:
                (void) snprintf(buf, size, "smbus bus %u 0x%02x reg 0x%02x %s%s%s", src->smbus.bus,
                                src->smbus.address, src->smbus.reg,
                                src->smbus.width < ELEMENTSOF(widths) ?
                                widths[src->smbus.width] : "?",
                                src->smbus.is_signed ? " signed" : "", select);
                break;
        case SENSOR_SOURCE_PMBUS:
                /* "pmbus bus 3 0x58 page 1 READ_VOUT linear16 pec", "pmbus bus 3 0x58 0xd0
                 * direct" */
                command = pmbus_command_by_code(src->pmbus.command);
                if (command)
                        (void) snprintf(code, sizeof(code), "%s", command->name);
                else
                        (void) snprintf(code, sizeof(code), "0x%02x", src->pmbus.command);
                if (src->pmbus.page >= 0)
                        (void) snprintf(page, sizeof(page), " page %d", src->pmbus.page);
                (void) snprintf(buf, size, "pmbus bus %u 0x%02x%s %s %s%s%s", src->pmbus.bus,
                                src->pmbus.address, page, code,
                                pmbus_format_name(src->pmbus.format),
                                src->pmbus.pec ? " pec" : "", select);
                break;
        case SENSOR_SOURCE_NONE:
        default:
                (void) snprintf(buf, size, "no source");
                break;
        }
        return buf;
}
