/* SPDX-License-Identifier: MIT */
/*
 * One read of a pmbus: source (sensor-source.c hands it over): PAGE written when the source
 * has one, VOUT_MODE read for LINEAR16, the command read, each with its PEC when configured,
 * then decoded by protocol/pmbus.c. The transactions of one read run under a lock of the
 * device (bus and address), so two reads of different pages never interleave.
 */
#pragma once

#include "config.h"
#include "i2c-smbus.h"

/* How long a read waits for another read of the same device (one hung in the kernel) before
 * giving up with -EBUSY: as long as the sensor reader waits before it calls a read hung. */
#define PMBUS_DEVICE_WAIT_USEC  (2 * 1000000ULL)

/*
 * Read src (SENSOR_SOURCE_PMBUS) through ops (NULL: libi2c), which get userdata. Returns 0 and
 * *ret (decoded, scaled; 0 or 1 with a mask), or -errno with *ret untouched: the bus's error
 * (-ENXIO, -EREMOTEIO: the device NAKed; -EIO, -ETIMEDOUT, -EAGAIN: the bus), -EPROTO for a
 * wrong PEC or an answer outside the ops' contract, -EOPNOTSUPP when VOUT_MODE is not linear
 * (VID, DIRECT, IEEE half: give the format explicitly), -EBUSY when the device stayed locked.
 */
int sensor_source_read_pmbus(const struct smbus_ops *ops, void *userdata,
                             const struct sensor_source_config *src, double *ret);
