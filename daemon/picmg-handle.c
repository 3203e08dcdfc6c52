/* SPDX-License-Identifier: MIT */
/* The handle switch through libgpiod v1.6: one input line with edge events on both edges. */
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <time.h>

#include "picmg.h"

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
