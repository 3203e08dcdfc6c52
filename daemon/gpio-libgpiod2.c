/* SPDX-License-Identifier: MIT */
/*
 * satmcd's three uses of libgpiod, on its 2.x API (Debian 13, Yocto scarthgap, Buildroot's
 * libgpiod2): an output line held for a fan or an LED (gpio_output_ops), input lines read once
 * (gpio_reader_ops: the hardware address pins, GPIO sensors) and the handle switch, an input
 * watched for edges (picmg_handle_ops). gpio-libgpiod1.c is the same on the 1.6 API; meson
 * builds the one that matches the library. Consumer "satmcd" on every line.
 *
 * In 2.x a request is a set of lines with their settings, made once and held by its own file
 * descriptor; the chip is only needed to make it, so each back end closes the chip at once.
 */
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpio-output.h"
#include "hw-address.h"
#include "picmg.h"

/* The kernel's limit on the lines of one request (GPIO_V2_LINES_MAX). */
#define REQUEST_LINES_MAX 64

static int errno_or(int fallback) {
        return errno > 0 ? -errno : fallback;
}

static int is_gpiochip_entry(const struct dirent *d) {
        return strncmp(d->d_name, "gpiochip", 8) == 0;
}

/* The chip whose label is label, by looking at every /dev/gpiochipN: NULL and ENOENT when none
 * has it, or the error of a chip satmcd could not open (EACCES: the service's user is not in
 * the group that owns the chips), which may be the one. */
static struct gpiod_chip *open_by_label(const char *label) {
        struct gpiod_chip *found = NULL;
        struct dirent **names;
        int n, unopened = 0;

        n = scandir("/dev", &names, is_gpiochip_entry, alphasort);
        if (n < 0)
                return NULL;
        for (int i = 0; i < n && !found; i++) {
                char path[sizeof("/dev/") + sizeof(names[i]->d_name)];
                struct gpiod_chip_info *info;
                struct gpiod_chip *c;

                snprintf(path, sizeof(path), "/dev/%s", names[i]->d_name);
                if (!gpiod_is_gpiochip_device(path))
                        continue;
                c = gpiod_chip_open(path);
                if (!c) {
                        unopened = unopened ?: errno;
                        continue;
                }
                info = gpiod_chip_get_info(c);
                if (info && strcmp(gpiod_chip_info_get_label(info), label) == 0)
                        found = c;
                else
                        gpiod_chip_close(c);
                if (info)
                        gpiod_chip_info_free(info);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (!found)
                errno = unopened > 0 ? unopened : ENOENT;
        return found;
}

/* A chip as the configuration names it, the way libgpiod 1.6's gpiod_chip_open_lookup() took
 * it, so one file works with either library: a number N (/dev/gpiochipN), a path, a name
 * ("gpiochip0", looked for in /dev) or a label ("pca9555", asked of every chip). NULL and errno
 * when there is no such chip. */
static struct gpiod_chip *chip_open_lookup(const char *descr) {
        char path[PATH_MAX];

        if (descr[0] && descr[strspn(descr, "0123456789")] == '\0') {   /* a number */
                snprintf(path, sizeof(path), "/dev/gpiochip%s", descr);
                return gpiod_chip_open(path);
        }
        if (descr[0] == '/')
                return gpiod_chip_open(descr);
        if ((size_t) snprintf(path, sizeof(path), "/dev/%s", descr) < sizeof(path) &&
            gpiod_is_gpiochip_device(path))
                return gpiod_chip_open(path);
        return open_by_label(descr);
}

/* Request the n lines at offsets of chip, all with settings s. NULL and errno on failure. */
static struct gpiod_line_request *request_lines(const char *chip, const unsigned *offsets,
                                                size_t n, struct gpiod_line_settings *s) {
        struct gpiod_request_config *rc = NULL;
        struct gpiod_line_request *req = NULL;
        struct gpiod_line_config *lc = NULL;
        struct gpiod_chip *c;
        int saved;

        c = chip_open_lookup(chip);
        if (!c) {
                if (errno <= 0)
                        errno = ENODEV;
                return NULL;
        }
        lc = gpiod_line_config_new();
        rc = gpiod_request_config_new();
        if (!lc || !rc) {
                errno = ENOMEM;
                goto finish;
        }
        gpiod_request_config_set_consumer(rc, "satmcd");
        if (gpiod_line_config_add_line_settings(lc, offsets, n, s) < 0)
                goto finish;
        req = gpiod_chip_request_lines(c, rc, lc);
finish:
        saved = errno;
        gpiod_request_config_free(rc);
        gpiod_line_config_free(lc);
        gpiod_chip_close(c);    /* the request holds its own descriptor */
        errno = saved;
        return req;
}

/* Settings for a direction, with the kernel inverting levels when active_low (values are
 * logical everywhere in satmcd). NULL on ENOMEM. */
static struct gpiod_line_settings *settings_new(enum gpiod_line_direction dir, bool active_low) {
        struct gpiod_line_settings *s = gpiod_line_settings_new();

        if (!s)
                return NULL;
        if (gpiod_line_settings_set_direction(s, dir) < 0) {
                gpiod_line_settings_free(s);
                return NULL;
        }
        gpiod_line_settings_set_active_low(s, active_low);
        return s;
}

/* ---- an output line (gpio-output.h) ---- */

struct output_line {
        struct gpiod_line_request *req;
        unsigned offset;
};

static int output_open(void *userdata, const char *chip, unsigned line, bool active_low,
                       int value, void **ret_handle) {
        struct gpiod_line_settings *s;
        struct output_line *o;
        int r;

        (void) userdata;
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->offset = line;
        s = settings_new(GPIOD_LINE_DIRECTION_OUTPUT, active_low);
        if (!s) {
                free(o);
                return -ENOMEM;
        }
        /* Driven at value from the request on: no glitch through the other level. */
        r = gpiod_line_settings_set_output_value(s, value ? GPIOD_LINE_VALUE_ACTIVE
                                                          : GPIOD_LINE_VALUE_INACTIVE);
        if (r == 0)
                o->req = request_lines(chip, &o->offset, 1, s);
        r = o->req ? 0 : errno_or(-EIO);
        gpiod_line_settings_free(s);
        if (r < 0) {
                free(o);
                return r;
        }
        *ret_handle = o;
        return 0;
}

static int output_set(void *userdata, void *handle, int value) {
        struct output_line *o = handle;

        (void) userdata;
        if (gpiod_line_request_set_value(o->req, o->offset, value ? GPIOD_LINE_VALUE_ACTIVE
                                                                  : GPIOD_LINE_VALUE_INACTIVE) < 0)
                return errno_or(-EIO);
        return 0;
}

static void output_close(void *userdata, void *handle) {
        struct output_line *o = handle;

        (void) userdata;
        gpiod_line_request_release(o->req);
        free(o);
}

const struct gpio_output_ops gpio_output_libgpiod = {
        .open = output_open,
        .set = output_set,
        .close = output_close,
};

/* ---- input lines read once (hw-address.h) ---- */

static int reader_read_lines(void *userdata, const char *chip, const unsigned *offsets,
                             size_t n, bool active_low, int *values) {
        enum gpiod_line_value v[REQUEST_LINES_MAX];
        struct gpiod_line_settings *s;
        struct gpiod_line_request *req;
        int r;

        (void) userdata;
        if (n == 0 || n > REQUEST_LINES_MAX)
                return -EINVAL;
        s = settings_new(GPIOD_LINE_DIRECTION_INPUT, active_low);
        if (!s)
                return -ENOMEM;
        /* One request for all: one consistent sample. */
        req = request_lines(chip, offsets, n, s);
        r = req ? 0 : errno_or(-EIO);
        gpiod_line_settings_free(s);
        if (r < 0)
                return r;
        if (gpiod_line_request_get_values_subset(req, n, offsets, v) < 0)
                r = errno_or(-EIO);
        else
                for (size_t i = 0; i < n; i++)
                        values[i] = v[i] == GPIOD_LINE_VALUE_ACTIVE;
        /* Released at once: the pins are strapped, read once; another tool may look too. */
        gpiod_line_request_release(req);
        return r;
}

const struct gpio_reader_ops gpio_reader_libgpiod = {
        .read_lines = reader_read_lines,
};

/* ---- the handle switch (picmg.h) ---- */

/* Edges queued at most per drain: a bouncing contact queues a handful; the debounce timer
 * reads the level, the events themselves say nothing more. */
#define HANDLE_EVENTS 16

struct handle_line {
        struct gpiod_line_request *req;
        struct gpiod_edge_event_buffer *events;
        unsigned offset;
};

static void handle_close(void *userdata, void *handle) {
        struct handle_line *h = handle;

        (void) userdata;
        if (!h)
                return;
        if (h->req)
                gpiod_line_request_release(h->req);
        if (h->events)
                gpiod_edge_event_buffer_free(h->events);
        free(h);
}

static int handle_open(void *userdata, const char *chip, unsigned line, bool active_low,
                       void **ret_handle, int *ret_fd) {
        struct gpiod_line_settings *s = NULL;
        struct handle_line *h;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->offset = line;
        h->events = gpiod_edge_event_buffer_new(HANDLE_EVENTS);
        s = settings_new(GPIOD_LINE_DIRECTION_INPUT, active_low);
        if (!h->events || !s) {
                r = -ENOMEM;
                goto fail;
        }
        if (gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH) < 0) {
                r = errno_or(-EINVAL);
                goto fail;
        }
        h->req = request_lines(chip, &h->offset, 1, s);
        if (!h->req) {
                r = errno_or(-EIO);
                goto fail;
        }
        gpiod_line_settings_free(s);
        *ret_fd = gpiod_line_request_get_fd(h->req);
        *ret_handle = h;
        return 0;
fail:
        gpiod_line_settings_free(s);
        handle_close(userdata, h);
        return r;
}

static int handle_drain(void *userdata, void *handle) {
        struct handle_line *h = handle;

        (void) userdata;
        /* Bounded, like the 1.6 back end: at most 64 events per wake-up. */
        for (unsigned i = 0; i < 4; i++) {
                int r = gpiod_line_request_wait_edge_events(h->req, 0);

                if (r < 0)
                        return errno_or(-EIO);
                if (r == 0)
                        return 0;
                if (gpiod_line_request_read_edge_events(h->req, h->events, HANDLE_EVENTS) < 0)
                        return errno_or(-EIO);
        }
        return 0;
}

static int handle_get(void *userdata, void *handle) {
        struct handle_line *h = handle;
        enum gpiod_line_value v;

        (void) userdata;
        v = gpiod_line_request_get_value(h->req, h->offset);
        if (v == GPIOD_LINE_VALUE_ERROR)
                return errno_or(-EIO);
        return v == GPIOD_LINE_VALUE_ACTIVE;
}

const struct picmg_handle_ops picmg_handle_libgpiod = {
        .open = handle_open,
        .drain = handle_drain,
        .get = handle_get,
        .close = handle_close,
};
