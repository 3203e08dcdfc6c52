/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "macro.h"
#include "sensor-source-pmbus.h"

/*
 * Why a lock, and why one of the process: the sensor reader runs one read at a time per
 * worker, but hands its queue to a new worker when a read is slow (sensor-reader.h), and a
 * reload starts a new reader while the old one's abandoned worker may still be in a read. Any
 * of these could write PAGE between another read's PAGE and its command. Devices are spread
 * over a few locks by bus and address: an unrelated device only shares one when its read
 * would hang anyway (a hung adapter), and then waits PMBUS_DEVICE_WAIT_USEC at most.
 */
#define DEVICE_LOCKS    32
static pthread_mutex_t device_locks[DEVICE_LOCKS] = {
        [0 ... DEVICE_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_mutex_t *device_lock(unsigned bus, uint8_t addr7) {
        return &device_locks[(bus * 131u + addr7) % DEVICE_LOCKS];
}

static int lock_device(pthread_mutex_t *lock) {
        struct timespec deadline;
        int r;

        /* CLOCK_REALTIME, as pthread_mutex_timedlock() wants (pthread_mutex_clocklock() is
         * glibc's alone, and musl builds matter): a clock step only moves this guard. */
        if (clock_gettime(CLOCK_REALTIME, &deadline) < 0)
                return -errno;
        deadline.tv_sec += (time_t) (PMBUS_DEVICE_WAIT_USEC / 1000000);
        deadline.tv_nsec += (long) (PMBUS_DEVICE_WAIT_USEC % 1000000) * 1000;
        if (deadline.tv_nsec >= 1000000000) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000;
        }
        r = pthread_mutex_timedlock(lock, &deadline);
        return r == ETIMEDOUT ? -EBUSY : -r;
}

static void unlock_devicep(pthread_mutex_t **lock) {
        if (*lock)
                (void) pthread_mutex_unlock(*lock);
}

/* Read Byte (word false) or Read Word of command; with pec, the same bytes plus the PEC as an
 * I2C block read, checked here. */
static int read_command(const struct smbus_ops *ops, void *userdata, unsigned bus,
                        uint8_t addr7, uint8_t command, bool word, bool pec, uint16_t *ret) {
        size_t n = word ? 2 : 1;
        uint8_t buf[3];
        int r;

        if (!pec) {
                r = smbus_read(ops, userdata, bus, addr7, command, word, ret);
                /* More bits than asked for is the driver's fault (as in sensor-source.c). */
                return r == -EBADMSG ? -EPROTO : r;
        }
        r = smbus_read_block(ops, userdata, bus, addr7, command, buf, n + 1);
        if (r == -EBADMSG)
                return -EPROTO;
        if (r < 0)
                return r;
        if (pmbus_pec(addr7, command, true, buf, n) != buf[n])
                return -EPROTO;
        *ret = word ? (uint16_t) (buf[0] | buf[1] << 8) : buf[0];
        return 0;
}

/* Write Byte of PAGE; with pec, its PEC as a second byte (a Write Word on the wire). */
static int write_page(const struct smbus_ops *ops, void *userdata, unsigned bus, uint8_t addr7,
                      uint8_t page, bool pec) {
        uint8_t buf[2] = { page, 0 };

        buf[1] = pmbus_pec(addr7, PMBUS_PAGE, false, buf, 1);
        return smbus_write(ops, userdata, bus, addr7, PMBUS_PAGE, buf, pec ? 2 : 1);
}

/* The transactions of one read, under the device's lock: the raw word and, for LINEAR16,
 * VOUT_MODE of the same page. VOUT_MODE is read again every time: a hot-swapped supply of
 * another model, or a host that reprogrammed it, may have another exponent now. */
static int read_locked(const struct smbus_ops *ops, void *userdata,
                       const struct sensor_source_config *src, uint16_t *raw,
                       uint16_t *vout_mode) {
        _cleanup_(unlock_devicep) pthread_mutex_t *locked = NULL;
        pthread_mutex_t *lock = device_lock(src->pmbus.bus, src->pmbus.address);
        int r;

        r = lock_device(lock);
        if (r < 0)
                return r;
        locked = lock;
        if (src->pmbus.page >= 0) {
                r = write_page(ops, userdata, src->pmbus.bus, src->pmbus.address,
                               (uint8_t) src->pmbus.page, src->pmbus.pec);
                if (r < 0)
                        return r;
        }
        if (src->pmbus.format == PMBUS_FORMAT_LINEAR16) {
                r = read_command(ops, userdata, src->pmbus.bus, src->pmbus.address,
                                 PMBUS_VOUT_MODE, false, src->pmbus.pec, vout_mode);
                if (r < 0)
                        return r;
        }
        return read_command(ops, userdata, src->pmbus.bus, src->pmbus.address,
                            src->pmbus.command, pmbus_format_is_word(src->pmbus.format),
                            src->pmbus.pec, raw);
}

int sensor_source_read_pmbus(const struct smbus_ops *ops, void *userdata,
                             const struct sensor_source_config *src, double *ret) {
        uint16_t raw = 0, vout_mode = 0;
        int exponent, r;
        double v;

        r = read_locked(ops, userdata, src, &raw, &vout_mode);
        if (r < 0)
                return r;
        switch (src->pmbus.format) {
        case PMBUS_FORMAT_BYTE:
        case PMBUS_FORMAT_WORD:
                if (src->mask) {
                        *ret = (raw & src->mask) != 0;
                        return 0;
                }
                v = raw;
                break;
        case PMBUS_FORMAT_LINEAR11:
                v = pmbus_linear11_decode(raw);
                break;
        case PMBUS_FORMAT_LINEAR16:
                r = pmbus_vout_mode_exponent((uint8_t) vout_mode, &exponent, NULL);
                if (r < 0)
                        return r;
                v = pmbus_linear16_decode(raw, exponent);
                break;
        case PMBUS_FORMAT_DIRECT:
                r = pmbus_direct_decode(raw, &src->pmbus.direct, &v);
                if (r < 0)
                        return r;
                break;
        default:
                return -EINVAL;
        }
        *ret = v * src->pmbus.scale;
        return 0;
}
