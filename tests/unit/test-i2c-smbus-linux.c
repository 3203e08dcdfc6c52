/* SPDX-License-Identifier: MIT */
/*
 * daemon/i2c-smbus.c's real ops (smbus_ops_linux) through the real libi2c, down to the
 * ioctl(): this executable defines open() and ioctl(), so "/dev/i2c-3" is the emulated PMBus
 * device of fake-pmbus.h. The executable's definitions take precedence over libc's for the
 * daemon code linked in and, exported because libi2c.so refers to ioctl, for libi2c's calls
 * too. What it proves: Write Byte/Word Data, Read Byte/Word Data and I2C Block Read are the
 * transactions satmcd asks the kernel for, with the bytes where SMBus puts them; a pmbus:
 * source with pages and PEC reads right on the real path; errors come back as -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-pmbus.h"

#include "daemon/config-sensor-source.h"
#include "daemon/i2c-smbus.h"
#include "daemon/sensor-source.h"

#define BUS 3

static struct fake_pmbus device;
static int slave_error;                 /* what I2C_SLAVE fails with, 0: it works */
static int fake_fd = -1;                /* the fd our open() gave out for /dev/i2c-3 */
static uint8_t slave;                   /* the address I2C_SLAVE set */
static unsigned smbus_calls;

/* With _FILE_OFFSET_BITS=64 glibc's header names this open64: one definition covers both. */
int open(const char *path, int flags, ...);
int ioctl(int fd, unsigned long request, ...);

int open(const char *path, int flags, ...) {
        mode_t mode = 0;
        va_list ap;

        va_start(ap, flags);
        if (flags & O_CREAT)
                mode = (mode_t) va_arg(ap, int);
        va_end(ap);

        if (strcmp(path, "/dev/i2c-3") == 0) {
                fake_fd = (int) syscall(SYS_openat, AT_FDCWD, "/dev/null", flags, mode);
                return fake_fd;
        }
        if (strncmp(path, "/dev/i2c-", 9) == 0) {
                errno = ENOENT;
                return -1;
        }
        return (int) syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static int fail_errno(int r) {
        errno = -r;
        return -1;
}

/* One SMBus transaction of struct i2c_smbus_ioctl_data against the emulated device. */
static int smbus_ioctl(const struct i2c_smbus_ioctl_data *a) {
        union i2c_smbus_data *d = a->data;
        uint8_t bytes[2];
        int32_t v;
        int r;

        smbus_calls++;
        if (a->read_write == I2C_SMBUS_READ &&
            (a->size == I2C_SMBUS_BYTE_DATA || a->size == I2C_SMBUS_WORD_DATA)) {
                v = fake_pmbus_read(&device, BUS, slave, a->command,
                                    a->size == I2C_SMBUS_WORD_DATA);
                if (v < 0)
                        return fail_errno(v);
                if (a->size == I2C_SMBUS_WORD_DATA)
                        d->word = (uint16_t) v;
                else
                        d->byte = (uint8_t) v;
                return 0;
        }
        if (a->read_write == I2C_SMBUS_WRITE &&
            (a->size == I2C_SMBUS_BYTE_DATA || a->size == I2C_SMBUS_WORD_DATA)) {
                bytes[0] = a->size == I2C_SMBUS_WORD_DATA ? (uint8_t) d->word : d->byte;
                bytes[1] = (uint8_t) (d->word >> 8);
                r = fake_pmbus_write(&device, BUS, slave, a->command, bytes,
                                     a->size == I2C_SMBUS_WORD_DATA ? 2 : 1);
                return r < 0 ? fail_errno(r) : 0;
        }
        if (a->read_write == I2C_SMBUS_READ && a->size == I2C_SMBUS_I2C_BLOCK_DATA) {
                /* The length asked for is in block[0]; the kernel leaves it there. */
                r = fake_pmbus_read_block(&device, BUS, slave, a->command, d->block + 1,
                                          d->block[0]);
                return r < 0 ? fail_errno(r) : 0;
        }
        return fail_errno(-EOPNOTSUPP);
}

int ioctl(int fd, unsigned long request, ...) {
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (fd != fake_fd || fake_fd < 0)
                return (int) syscall(SYS_ioctl, fd, request, arg);
        if (request == I2C_SLAVE) {
                if (slave_error)
                        return fail_errno(-slave_error);
                slave = (uint8_t) (unsigned long) arg;
                return 0;
        }
        if (request == I2C_SMBUS)
                return smbus_ioctl(arg);
        return fail_errno(-ENOTTY);
}

#if defined(__USE_TIME_BITS64) && __TIMESIZE == 32
/* 64-bit time_t on a 32-bit ABI (armhf, -D_TIME_BITS=64): glibc's header names the ioctl above
 * __ioctl_time64, the one satmcd's code calls; Debian's libi2c, built without it, calls plain
 * ioctl. This is that symbol, for the same fake. */
int ioctl_time32(int fd, unsigned long request, ...) __asm__("ioctl");
int ioctl_time32(int fd, unsigned long request, ...) {
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        return ioctl(fd, request, arg);
}
#endif

static int setup(void **state) {
        fake_pmbus_init(&device, BUS, 0x58, 2);
        device.pec = true;
        device.regs[0][PMBUS_READ_VIN] = 0xD280;        /* LTC2978: 10 V */
        device.regs[0][PMBUS_VOUT_MODE] = 0x13;
        device.regs[0][PMBUS_READ_VOUT] = 0x9800;       /* 4.75 V */
        device.regs[1][PMBUS_VOUT_MODE] = 0x14;
        device.regs[1][PMBUS_READ_VOUT] = 0xC000;       /* 12 V */
        device.regs[0][PMBUS_STATUS_INPUT] = 0x08;
        slave_error = 0;
        smbus_calls = 0;
        return 0;
}

static void test_transactions(void **state) {
        uint8_t page1[2] = { 1, 0 }, buf[3];
        uint16_t v = 0;

        /* Read Word Data, low byte first as the device sends it. */
        assert_int_equal(smbus_read(NULL, NULL, BUS, 0x58, PMBUS_READ_VIN, true, &v), 0);
        assert_int_equal(v, 0xD280);
        assert_int_equal(slave, 0x58);
        /* Write Byte Data: PAGE = 1. */
        assert_int_equal(smbus_write(NULL, NULL, BUS, 0x58, PMBUS_PAGE, page1, 1), 0);
        assert_int_equal(device.page, 1);
        assert_int_equal(device.log[1].len, 1);
        /* Write Word Data: PAGE = 0 with its PEC as the second byte. */
        page1[0] = 0;
        page1[1] = fake_pmbus_crc((const uint8_t[]) { 0xB0, 0x00, 0x00 }, 3);
        assert_int_equal(smbus_write(NULL, NULL, BUS, 0x58, PMBUS_PAGE, page1, 2), 0);
        assert_int_equal(device.page, 0);
        assert_memory_equal(device.log[2].data, page1, 2);
        /* I2C Block Read of 3: the word and its PEC. */
        assert_int_equal(smbus_read_block(NULL, NULL, BUS, 0x58, PMBUS_READ_VOUT, buf, 3), 0);
        assert_int_equal(buf[0], 0x00);
        assert_int_equal(buf[1], 0x98);
        assert_int_equal(buf[2], fake_pmbus_crc((const uint8_t[]) { 0xB0, 0x8B, 0xB1, 0x00,
                                                                    0x98 }, 5));
        assert_int_equal(smbus_calls, 4);
}

/* pmbus: sources on the real path: hw NULL is smbus_ops_linux. */
static void test_sources(void **state) {
        static const struct {
                const char *text;
                double value;
        } cases[] = {
                { "pmbus:3:0x58:READ_VIN", 10 },
                { "pmbus:3:0x58:READ_VOUT:page=1:pec", 12 },
                { "pmbus:3:0x58:READ_VOUT:page=0:pec", 4.75 },
                { "pmbus:3:0x58:STATUS_INPUT:page=0:pec:bit=3", 1 },
                { "pmbus:3:0x58:STATUS_INPUT:page=0:bit=4", 0 },
                { "smbus:3:0x58:0x7c:bit=3", 1 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
                char reason[160];
                double v = -1;

                assert_int_equal(sensor_source_parse(cases[i].text, &src, reason, sizeof(reason)),
                                 0);
                if (sensor_source_read(NULL, &src, &v) != 0 || v != cases[i].value)
                        fail_msg("%s: read %g, expected %g", cases[i].text, v, cases[i].value);
                sensor_source_config_clear(&src);
        }
}

static void test_errors(void **state) {
        struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
        char reason[160];
        double v = -1;

        assert_int_equal(sensor_source_parse("pmbus:3:0x58:READ_VOUT:page=1:pec", &src, reason,
                                             sizeof(reason)), 0);
        /* A NAK, a wrong PEC, a driver bound to the address, a bus that is not there. */
        device.nak = -ENXIO;
        assert_int_equal(sensor_source_read(NULL, &src, &v), -ENXIO);
        device.nak = 0;
        device.corrupt_pec = true;
        assert_int_equal(sensor_source_read(NULL, &src, &v), -EPROTO);
        device.corrupt_pec = false;
        slave_error = EBUSY;
        assert_int_equal(sensor_source_read(NULL, &src, &v), -EBUSY);
        slave_error = 0;
        src.pmbus.bus = 4;
        assert_int_equal(sensor_source_read(NULL, &src, &v), -ENOENT);
        assert_true(v == -1);
        sensor_source_config_clear(&src);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_transactions, setup),
                cmocka_unit_test_setup(test_sources, setup),
                cmocka_unit_test_setup(test_errors, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
