/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <gpiod.h>

#include "gpio-output.h"

static int libgpiod_open(void *userdata, const char *chip, unsigned line, bool active_low,
                         int value, void **ret_handle) {
        struct gpiod_chip *c;
        struct gpiod_line *l;
        int r;

        (void) userdata;
        c = gpiod_chip_open_lookup(chip);
        if (!c)
                return errno > 0 ? -errno : -ENODEV;
        l = gpiod_chip_get_line(c, line);
        if (!l) {
                r = errno > 0 ? -errno : -EINVAL;
                gpiod_chip_close(c);
                return r;
        }
        if (gpiod_line_request_output_flags(l, "satmcd",
                                            active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0,
                                            value) < 0) {
                r = errno > 0 ? -errno : -EIO;
                gpiod_chip_close(c);
                return r;
        }
        /* The line keeps its chip: gpiod_line_get_chip() finds it again at close. */
        *ret_handle = l;
        return 0;
}

static int libgpiod_set(void *userdata, void *handle, int value) {
        (void) userdata;
        return gpiod_line_set_value(handle, value) < 0 ? (errno > 0 ? -errno : -EIO) : 0;
}

static void libgpiod_close(void *userdata, void *handle) {
        struct gpiod_chip *c = gpiod_line_get_chip(handle);

        (void) userdata;
        gpiod_line_release(handle);
        gpiod_chip_close(c);
}

const struct gpio_output_ops gpio_output_libgpiod = {
        .open = libgpiod_open,
        .set = libgpiod_set,
        .close = libgpiod_close,
};
