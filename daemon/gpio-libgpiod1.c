/* SPDX-License-Identifier: MIT */
/*
 * satmcd's three uses of libgpiod, on its 1.6 API (Debian 12, Yocto kirkstone, Buildroot's
 * libgpiod): an output line held for a fan or an LED (gpio_output_ops), input lines read once
 * (gpio_reader_ops: the hardware address pins, GPIO sensors) and the handle switch, an input
 * watched for edges (picmg_handle_ops). gpio-libgpiod2.c is the same on the 2.x API; meson
 * builds the one that matches the library. Consumer "satmcd" on every line.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <time.h>

#include "gpio-output.h"
#include "hw-address.h"
#include "picmg.h"

/* ---- an output line (gpio-output.h) ---- */

static int output_open(void *userdata, const char *chip, unsigned line, bool active_low,
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

static int output_set(void *userdata, void *handle, int value) {
        (void) userdata;
        return gpiod_line_set_value(handle, value) < 0 ? (errno > 0 ? -errno : -EIO) : 0;
}

static void output_close(void *userdata, void *handle) {
        struct gpiod_chip *c = gpiod_line_get_chip(handle);

        (void) userdata;
        gpiod_line_release(handle);
        gpiod_chip_close(c);
}

const struct gpio_output_ops gpio_output_libgpiod = {
        .open = output_open,
        .set = output_set,
        .close = output_close,
};

/* ---- input lines read once (hw-address.h) ---- */

static int reader_read_lines(void *userdata, const char *chip, const unsigned *offsets,
                             size_t n, bool active_low, int *values) {
        struct gpiod_line_bulk bulk;
        struct gpiod_chip *c;
        int r;

        if (n == 0 || n > GPIOD_LINE_BULK_MAX_LINES)
                return -EINVAL;
        c = gpiod_chip_open_lookup(chip);
        if (!c)
                return errno > 0 ? -errno : -ENODEV;
        if (gpiod_chip_get_lines(c, (unsigned *) offsets, (unsigned) n, &bulk) < 0) {
                r = -errno;
                goto finish;
        }
        /* The ACTIVE_LOW flag makes the kernel invert the levels: values are logical. */
        if (gpiod_line_request_bulk_input_flags(&bulk, "satmcd",
                                                active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) < 0) {
                r = -errno;
                goto finish;
        }
        r = gpiod_line_get_value_bulk(&bulk, values) < 0 ? -errno : 0;
        /* Released at once: the pins are strapped, read once; another tool may look too. */
        gpiod_line_release_bulk(&bulk);
finish:
        gpiod_chip_close(c);
        return r;
}

const struct gpio_reader_ops gpio_reader_libgpiod = {
        .read_lines = reader_read_lines,
};

/* ---- the handle switch (picmg.h) ---- */

struct handle_line {
        struct gpiod_chip *chip;
        struct gpiod_line *line;
};

static void handle_close(void *userdata, void *handle) {
        struct handle_line *h = handle;

        (void) userdata;
        if (!h)
                return;
        if (h->line)
                gpiod_line_release(h->line);
        if (h->chip)
                gpiod_chip_close(h->chip);
        free(h);
}

static int handle_open(void *userdata, const char *chip, unsigned line, bool active_low,
                       void **ret_handle, int *ret_fd) {
        struct gpiod_line_request_config cfg = {
                .consumer = "satmcd",
                .request_type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES,
                .flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0,
        };
        struct handle_line *h = calloc(1, sizeof(*h));
        int r;

        if (!h)
                return -ENOMEM;
        h->chip = gpiod_chip_open_lookup(chip);
        if (!h->chip) {
                r = -errno;
                goto fail;
        }
        h->line = gpiod_chip_get_line(h->chip, line);
        if (!h->line || gpiod_line_request(h->line, &cfg, 0) < 0) {
                r = -errno;
                h->line = NULL;         /* not requested: nothing to release */
                goto fail;
        }
        *ret_fd = gpiod_line_event_get_fd(h->line);
        if (*ret_fd < 0) {
                r = -errno;
                goto fail;
        }
        *ret_handle = h;
        return 0;
fail:
        handle_close(userdata, h);
        return r < 0 ? r : -EIO;
}

static int handle_drain(void *userdata, void *handle) {
        struct handle_line *h = handle;
        const struct timespec now = { 0, 0 };

        (void) userdata;
        /* Bounded: a bouncing contact queues a handful; the debounce timer reads the level.
         * Both calls pass a struct timespec, which a 32-bit time_t library (Debian 12 armhf)
         * lays out differently from satmcd (_TIME_BITS=64): right only because the timeout
         * is all zeros and the event, which the library fills with its smaller layout, is
         * never read (docs/cross-builds.md, "2038"). */
        for (unsigned i = 0; i < 64; i++) {
                struct gpiod_line_event ev;
                int r = gpiod_line_event_wait(h->line, &now);

                if (r < 0)
                        return -errno;
                if (r == 0)
                        return 0;
                if (gpiod_line_event_read(h->line, &ev) < 0)
                        return -errno;
        }
        return 0;
}

static int handle_get(void *userdata, void *handle) {
        struct handle_line *h = handle;
        int v;

        (void) userdata;
        v = gpiod_line_get_value(h->line);
        return v < 0 ? -errno : v;
}

const struct picmg_handle_ops picmg_handle_libgpiod = {
        .open = handle_open,
        .drain = handle_drain,
        .get = handle_get,
        .close = handle_close,
};
