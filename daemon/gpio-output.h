/* SPDX-License-Identifier: MIT */
/*
 * One GPIO line held as an output for as long as satmcd runs (a fan's on/off, fan-control.c),
 * through a seam so that the tests need no gpiochip.
 */
#pragma once

#include <stdbool.h>

struct gpio_output_ops {
        /* Request line of chip (a name, path, label or number, as gpiod_chip_open_lookup()
         * takes it) as an output at logical value (inverted on the wire when active_low).
         * Returns 0 and a handle, or -errno. */
        int (*open)(void *userdata, const char *chip, unsigned line, bool active_low, int value,
                    void **ret_handle);
        /* Set the logical value, 0 or 1. Returns 0 or -errno. */
        int (*set)(void *userdata, void *handle, int value);
        /* Release the line (it keeps its last value or goes back to the chip's default). */
        void (*close)(void *userdata, void *handle);
};

/* libgpiod, consumer "satmcd" (gpio-libgpiod1.c or gpio-libgpiod2.c, as built). */
extern const struct gpio_output_ops gpio_output_libgpiod;
