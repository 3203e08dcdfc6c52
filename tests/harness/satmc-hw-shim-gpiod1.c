/* SPDX-License-Identifier: MIT */
/*
 * satmc-hw-shim.so's libgpiod v1 (1.6) calls, the ones satmcd's daemon/gpio-libgpiod1.c makes,
 * answered from the files of satmc-hw-shim.c's top comment: a chip is a directory DIR/gpio/CHIP,
 * a line a file in it holding the physical level. Built instead of satmc-hw-shim-gpiod2.c when
 * satmcd is built with libgpiod 1.x (tests/harness/meson.build). The structs are ours
 * (libgpiod's are opaque to its callers); struct gpiod_line_bulk is the public one of gpiod.h.
 */
/* gpiod_line_event_wait() and gpiod_line_event_read() pass a struct timespec: laid out as the
 * library this file stands in for lays it out, 32-bit on a 32-bit Debian 12 (meson.build's
 * _TIME_BITS=64 is satmcd's, not libgpiod's; docs/cross-builds.md, "2038"). */
#undef _TIME_BITS
#include <errno.h>
#include <gpiod.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "satmc-hw-shim.h"

struct gpiod_line {
        struct gpiod_chip *chip;
        unsigned offset;
        bool active_low, requested, output, events;
        int value;              /* the logical value last driven, for the log's changes */
        int event_fd;           /* events: inotify on the chip directory */
        unsigned pending;       /* events: writes of the line's file not yet read */
};

struct gpiod_chip {
        char name[64];
        char path[PATH_MAX];
        struct gpiod_line lines[64];
        size_t nlines;
};

/* One line of SATMC_HW_SHIM_GPIO_LOG (see the top of satmc-hw-shim.c). */
static void gpio_log(const struct gpiod_line *l, int64_t ns, const char *what) {
        shim_gpio_log(l->chip->name, l->offset, ns, what);
}

/* stat() of DIR/gpio/NAME for the chip's name, its path set on the way. */
static int stat_chip(const char *dir, struct gpiod_chip *c, struct stat *st) {
        if ((size_t) snprintf(c->path, sizeof(c->path), "%s/gpio/%s", dir, c->name) >=
            sizeof(c->path))
                return -1;
        return stat(c->path, st);
}

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr) {
        const char *dir = shim_dir();
        struct gpiod_chip *c;
        struct stat st;

        if (!dir) {
                errno = ENOENT;
                return NULL;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        /* "/dev/gpiochip0" and "gpiochip0" name the same chip. */
        if (strncmp(descr, "/dev/", 5) == 0)
                descr += 5;
        snprintf(c->name, sizeof(c->name), "%s", descr);
        /* Not a chip's name: a label, as libgpiod 1.6 takes one too. */
        if ((stat_chip(dir, c, &st) < 0 || !S_ISDIR(st.st_mode)) &&
            (shim_gpio_chip_by_label(descr, c->name, sizeof(c->name)) < 0 ||
             stat_chip(dir, c, &st) < 0 || !S_ISDIR(st.st_mode))) {
                free(c);
                errno = ENOENT;
                return NULL;
        }
        return c;
}

void gpiod_chip_close(struct gpiod_chip *chip) {
        free(chip);
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned offset) {
        struct gpiod_line *l;

        if (!shim_gpio_line_exists(chip->path, offset) ||
            chip->nlines == sizeof(chip->lines) / sizeof(chip->lines[0])) {
                errno = EINVAL;
                return NULL;
        }
        l = &chip->lines[chip->nlines++];
        *l = (struct gpiod_line) { .chip = chip, .offset = offset };
        return l;
}

int gpiod_chip_get_lines(struct gpiod_chip *chip, unsigned *offsets, unsigned num,
                         struct gpiod_line_bulk *bulk) {
        if (num > GPIOD_LINE_BULK_MAX_LINES) {
                errno = EINVAL;
                return -1;
        }
        bulk->num_lines = 0;
        for (unsigned i = 0; i < num; i++) {
                struct gpiod_line *l = gpiod_chip_get_line(chip, offsets[i]);

                if (!l)
                        return -1;
                bulk->lines[bulk->num_lines++] = l;
        }
        return 0;
}

struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line) {
        return line->chip;
}

/* The logical level of the line: the file's, inverted when active-low. */
static int line_read(struct gpiod_line *l) {
        int level = shim_gpio_level(l->chip->path, l->offset);

        return level < 0 ? -1 : level != l->active_low;
}

/* Drive the logical value: the file gets the physical level. */
static int line_write(struct gpiod_line *l, int value) {
        return shim_gpio_drive(l->chip->path, l->offset, (value != 0) != l->active_low);
}

int gpiod_line_request_bulk_input_flags(struct gpiod_line_bulk *bulk, const char *consumer,
                                        int flags) {
        (void) consumer;
        for (unsigned i = 0; i < bulk->num_lines; i++) {
                bulk->lines[i]->active_low = flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
                bulk->lines[i]->requested = true;
        }
        return 0;
}

int gpiod_line_get_value_bulk(struct gpiod_line_bulk *bulk, int *values) {
        for (unsigned i = 0; i < bulk->num_lines; i++) {
                if (!bulk->lines[i]->requested) {
                        errno = EPERM;
                        return -1;
                }
                values[i] = line_read(bulk->lines[i]);
                if (values[i] < 0)
                        return -1;
        }
        return 0;
}

void gpiod_line_release_bulk(struct gpiod_line_bulk *bulk) {
        for (unsigned i = 0; i < bulk->num_lines; i++)
                bulk->lines[i]->requested = false;
}

int gpiod_line_request_output_flags(struct gpiod_line *line, const char *consumer, int flags,
                                    int default_val) {
        int64_t ns = shim_gpio_now();
        char what[48];

        (void) consumer;
        line->active_low = flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
        line->requested = line->output = true;
        line->value = default_val != 0;
        if (line_write(line, default_val) < 0)
                return -1;
        snprintf(what, sizeof(what), "req %d%s", line->value,
                 line->active_low ? " active-low" : "");
        gpio_log(line, ns, what);
        return 0;
}

int gpiod_line_set_value(struct gpiod_line *line, int value) {
        int64_t ns = shim_gpio_now();

        if (!line->requested || !line->output) {
                errno = EPERM;
                return -1;
        }
        if (line_write(line, value) < 0)
                return -1;
        if (line->value != (value != 0)) {
                line->value = value != 0;
                gpio_log(line, ns, line->value ? "1" : "0");
        }
        return 0;
}

void gpiod_line_release(struct gpiod_line *line) {
        if (line->output)
                gpio_log(line, shim_gpio_now(), "rel");
        if (line->events)
                close(line->event_fd);
        line->requested = line->output = line->events = false;
}

/* gpiod_line_request() with an edge request type: watch the chip directory. */
static int line_request_events(struct gpiod_line *line, int flags) {
        line->event_fd = shim_gpio_watch(line->chip->path);
        if (line->event_fd < 0)
                return -1;
        line->active_low = flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
        line->requested = line->events = true;
        line->pending = 0;
        return 0;
}

int gpiod_line_request(struct gpiod_line *line, const struct gpiod_line_request_config *config,
                       int default_val) {
        switch (config->request_type) {
        case GPIOD_LINE_REQUEST_DIRECTION_OUTPUT:
                return gpiod_line_request_output_flags(line, config->consumer, config->flags,
                                                       default_val);
        case GPIOD_LINE_REQUEST_DIRECTION_INPUT:
                line->active_low = config->flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
                line->requested = true;
                return 0;
        case GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE:
        case GPIOD_LINE_REQUEST_EVENT_RISING_EDGE:
        case GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES:
                return line_request_events(line, config->flags);
        default:
                errno = EINVAL;
                return -1;
        }
}

int gpiod_line_get_value(struct gpiod_line *line) {
        if (!line->requested) {
                errno = EPERM;
                return -1;
        }
        return line_read(line);
}

int gpiod_line_event_get_fd(struct gpiod_line *line) {
        if (!line->events) {
                errno = EPERM;
                return -1;
        }
        return line->event_fd;
}

/* Read what inotify has: every write of this line's file is one event. */
static int line_take_writes(struct gpiod_line *line) {
        return shim_gpio_take_writes(line->event_fd, &line->offset, &line->pending, 1);
}

int gpiod_line_event_wait(struct gpiod_line *line, const struct timespec *timeout) {
        struct pollfd pfd = { .fd = line->event_fd, .events = POLLIN };
        int ms = timeout ? (int) (timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000) : -1;
        int r;

        if (!line->events) {
                errno = EPERM;
                return -1;
        }
        if (line->pending == 0) {
                r = poll(&pfd, 1, ms);
                if (r <= 0)
                        return r;
                if (line_take_writes(line) < 0)
                        return -1;
        }
        return line->pending > 0;
}

int gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event) {
        int v;

        if (line->pending == 0) {
                errno = EAGAIN;
                return -1;
        }
        v = line_read(line);
        if (v < 0)
                return -1;
        line->pending--;
        clock_gettime(CLOCK_MONOTONIC, &event->ts);
        event->event_type = v ? GPIOD_LINE_EVENT_RISING_EDGE : GPIOD_LINE_EVENT_FALLING_EDGE;
        return 0;
}
