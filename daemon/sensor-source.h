/* SPDX-License-Identifier: MIT */
/*
 * One blocking read of a sensor's source, for the sensor worker thread (sensors.c): a number in
 * a file, the logical level of a GPIO line, or an SMBus register. GPIO and SMBus go through
 * the seams of struct sensor_source_hw (hw-address.h's gpio_reader_ops, i2c-smbus.h's
 * smbus_ops), given per call, so the tests need neither a gpiochip nor an I2C bus.
 */
#pragma once

#include <stddef.h>

#include "config.h"
#include "hw-address.h"
#include "i2c-smbus.h"

/* What GPIO and SMBus sources are read through. A NULL ops member means the real hardware
 * (gpio_reader_libgpiod, smbus_ops_linux); tests set fakes. Each userdata goes to its ops. */
struct sensor_source_hw {
        const struct gpio_reader_ops *gpio;
        void *gpio_userdata;
        const struct smbus_ops *smbus;
        void *smbus_userdata;
};

/*
 * Read src once, through hw (NULL: the real hardware). Returns 0 and *ret (already scaled; 0
 * or 1 for a GPIO line), or -errno with *ret untouched: -EBADMSG when a file does not hold a
 * number, -EPROTO when a GPIO or SMBus reader answers outside its contract, -EINVAL for
 * SENSOR_SOURCE_NONE, else the reader's error.
 *
 * It may block for as long as the source does: a FIFO nobody writes forever, an SMBus transfer
 * until the adapter gives up. Nothing here is a cancellation point the reader relies on; it
 * abandons a hung read instead (sensor-reader.h).
 */
int sensor_source_read(const struct sensor_source_hw *hw, const struct sensor_source_config *src,
                       double *ret);

/*
 * src for log messages, in buf, which is returned: the path of a file; "gpio gpiochip0 line 17
 * (active-low)"; "smbus bus 3 0x48 reg 0x00 word signed".
 */
const char *sensor_source_describe(const struct sensor_source_config *src, char *buf,
                                   size_t size);
