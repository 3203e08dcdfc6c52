/* SPDX-License-Identifier: MIT */
/*
 * One blocking read of a sensor's source, for the sensor worker thread (sensors.c): a number in
 * a file, the logical level of a GPIO line, or an SMBus register. GPIO and SMBus go through
 * seams (hw-address.h's gpio_reader_ops here, smbus_set_ops() in i2c-smbus.h), so the tests
 * need neither a gpiochip nor an I2C bus.
 */
#pragma once

#include <stddef.h>

#include "config.h"
#include "hw-address.h"

/*
 * Read src once. Returns 0 and *ret (already scaled; 0 or 1 for a GPIO line), or -errno with
 * *ret untouched: -EBADMSG when a file does not hold a number, -EPROTO when a GPIO or SMBus
 * reader answers outside its contract, -EINVAL for SENSOR_SOURCE_NONE, else the reader's error.
 *
 * It may block for as long as the source does: a FIFO nobody writes forever, an SMBus transfer
 * until the adapter gives up. Nothing here is a cancellation point the reader relies on; it
 * abandons a hung read instead (sensor-reader.h).
 */
int sensor_source_read(const struct sensor_source_config *src, double *ret);

/*
 * src for log messages, in buf, which is returned: the path of a file; "gpio gpiochip0 line 17
 * (active-low)"; "smbus bus 3 0x48 reg 0x00 word signed".
 */
const char *sensor_source_describe(const struct sensor_source_config *src, char *buf,
                                   size_t size);

/* Read GPIO lines with ops (NULL: libgpiod) from now on; for tests, before any sensor thread
 * runs. SMBus reads are redirected with smbus_set_ops(). */
void sensor_source_set_gpio_ops(const struct gpio_reader_ops *ops, void *userdata);
