/* SPDX-License-Identifier: MIT */
/*
 * [mc] hardware-address-*: read the slot's hardware address pins at start-up and set the IPMB
 * address from them (protocol/hw-address.h decides what the levels mean). The pins are read
 * through a seam, so tests inject a fake gpiochip.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gpio_reader_ops {
        /*
         * Read the n lines at offsets of chip (a name, path, label or number, as libgpiod's
         * gpiod_chip_open_lookup() takes it) as inputs and store their logical levels, 0 or 1,
         * in values (inverted when active_low). Returns 0 or -errno.
         */
        int (*read_lines)(void *userdata, const char *chip, const unsigned *offsets, size_t n,
                          bool active_low, int *values);
};

/* libgpiod, consumer "satmcd" (gpio-libgpiod1.c or gpio-libgpiod2.c, as built); the lines
 * are released before it returns. */
extern const struct gpio_reader_ops gpio_reader_libgpiod;

/*
 * The IPMB address the pins configured in c give. Returns 0 and *ret; -EINVAL if the levels
 * give no valid address (parity, range); or the reader's -errno. Either error leaves a
 * one-line message in msg naming the chip, every line and the level read.
 */
int hw_address_read(const struct satmc_config *c, const struct gpio_reader_ops *ops,
                    void *userdata, uint8_t *ret, char *msg, size_t msg_size);

/*
 * At start-up, before the transport opens: when c names hardware-address lines, read them
 * (ops NULL: libgpiod) and set c->address; log the result, or the reason for refusing to start.
 * Returns 0 (also when c has a fixed address) or the negative error from hw_address_read().
 */
int hw_address_apply(struct satmc_config *c, const struct gpio_reader_ops *ops, void *userdata);
