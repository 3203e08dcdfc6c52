/* SPDX-License-Identifier: MIT */
/*
 * satmc-hw-shim.so's libgpiod v2 (2.x) calls, the ones satmcd's daemon/gpio-libgpiod2.c makes,
 * answered from the files of satmc-hw-shim.c's top comment, as satmc-hw-shim-gpiod1.c answers
 * the 1.6 ones: a chip is a directory DIR/gpio/CHIP, seen as the device /dev/CHIP, and a line a
 * file in it holding the physical level. Built instead of satmc-hw-shim-gpiod1.c when satmcd is
 * built with libgpiod 2.x (tests/harness/meson.build); the signatures are 2.1's gpiod.h.
 *
 * Every struct of the 2.x API is opaque, so all are ours, and every function satmcd calls on
 * one must be faked here: satmcd links the real libgpiod, and a call that is not faked would
 * reach it with one of these structs.
 *
 * As in the real library and the kernel: settings are copied into a line config when added;
 * a request holds its own file descriptor and outlives its chip; values are logical, inverted
 * from the file's level for an active-low line; a line with edge detection is an input. Edge
 * events are the v1 fakes': one per write of the line's file, taken from an inotify watch on
 * the chip directory and typed by the line's level when satmcd looks (a rising edge if it is
 * active then), so that the test makes an edge by writing the file.
 */
#include <errno.h>
#include <gpiod.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "satmc-hw-shim.h"

/* The kernel's limit on the lines of one request, and on those of a line config (libgpiod's
 * LINES_MAX, GPIO_V2_LINES_MAX). */
#define LINES_MAX               64
/* libgpiod's bounds on an edge event buffer (gpiod_edge_event_buffer_new()). */
#define EVENT_BUFFER_DEFAULT    64
#define EVENT_BUFFER_MAX        1024
/* Edge events a request queues before more are dropped, as the kernel drops what overflows its
 * buffer. More than the kernel's 16 a line: a test's burst of writes, which the v1 fakes
 * counted without a bound, is never cut short by a satmcd that drains 16 at a time. */
#define EVENTS_QUEUED           64
/* The consumer's room in the kernel's struct (GPIO_MAX_NAME_SIZE, with the NUL). */
#define CONSUMER_MAX            32

struct gpiod_chip {
        char name[NAME_MAX + 1];        /* CHIP of /dev/CHIP, the directory's name */
        char path[PATH_MAX];            /* DIR/gpio/CHIP */
};

struct gpiod_chip_info {
        char name[NAME_MAX + 1];
        char label[64];                 /* DIR/gpio/CHIP/label, or the name */
};

struct gpiod_line_settings {
        enum gpiod_line_direction direction;
        enum gpiod_line_edge edge;
        enum gpiod_line_value output_value;
        bool active_low;
};

struct gpiod_line_config {
        /* In the order first added, as the request takes them; an offset added again keeps
         * its place and gets the later settings. */
        struct {
                unsigned offset;
                struct gpiod_line_settings settings;
        } lines[LINES_MAX];
        size_t nlines;
};

struct gpiod_request_config {
        char consumer[CONSUMER_MAX];
};

struct gpiod_edge_event {
        enum gpiod_edge_event_type type;
        unsigned offset;
};

struct gpiod_edge_event_buffer {
        size_t capacity, nevents;
        struct gpiod_edge_event events[];
};

struct request_line {
        unsigned offset;
        bool active_low, output;
        enum gpiod_line_edge edge;      /* NONE, or the edges it reports (an input) */
        int value;                      /* output: the logical value last driven, for the log */
};

struct gpiod_line_request {
        char chip_name[NAME_MAX + 1];
        char chip_path[PATH_MAX];
        struct request_line lines[LINES_MAX];
        size_t nlines;
        bool edges;                     /* some line has edge detection */
        /* The request's own descriptor, as the kernel's line request fd: with edges the inotify
         * watch on the chip directory; without, an eventfd that is never readable, as the
         * kernel's fd of a request without edge detection never is. */
        int fd;
        struct gpiod_edge_event queue[EVENTS_QUEUED];   /* taken from fd, not yet read */
        size_t nqueued;
};

/* "/dev/CHIP" -> CHIP in name and DIR/gpio/CHIP in path. 0, or -ENOENT for any other path and
 * for a chip the test has not made, -ENOTTY for a DIR/gpio/CHIP that is not a directory (a
 * file that is not a GPIO chip, as libgpiod says). Never the machine's own /dev: the tests see
 * the same chips on every machine, and no real line is touched. */
static int chip_lookup(const char *path, char *name, size_t name_size, char *dir,
                       size_t dir_size) {
        const char *top = shim_dir();
        struct stat st;

        if (!top || !path || strncmp(path, "/dev/", 5) != 0 || !path[5] ||
            strchr(path + 5, '/') || strcmp(path + 5, ".") == 0 || strcmp(path + 5, "..") == 0)
                return -ENOENT;
        if ((size_t) snprintf(name, name_size, "%s", path + 5) >= name_size ||
            (size_t) snprintf(dir, dir_size, "%s/gpio/%s", top, path + 5) >= dir_size ||
            stat(dir, &st) < 0)
                return -ENOENT;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTTY;
}

bool gpiod_is_gpiochip_device(const char *path) {
        char name[NAME_MAX + 1], dir[PATH_MAX];

        if (chip_lookup(path, name, sizeof(name), dir, sizeof(dir)) == 0)
                return true;
        /* libgpiod 2.1 leaves errno 0 when the answer is no. */
        errno = 0;
        return false;
}

struct gpiod_chip *gpiod_chip_open(const char *path) {
        struct gpiod_chip *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return NULL;
        r = chip_lookup(path, c->name, sizeof(c->name), c->path, sizeof(c->path));
        if (r < 0) {
                free(c);
                errno = -r;
                return NULL;
        }
        return c;
}

void gpiod_chip_close(struct gpiod_chip *chip) {
        free(chip);
}

struct gpiod_chip_info *gpiod_chip_get_info(struct gpiod_chip *chip) {
        struct gpiod_chip_info *info = calloc(1, sizeof(*info));

        if (info) {
                snprintf(info->name, sizeof(info->name), "%s", chip->name);
                shim_gpio_chip_label(chip->name, info->label, sizeof(info->label));
        }
        return info;
}

const char *gpiod_chip_info_get_name(struct gpiod_chip_info *info) {
        return info->name;
}

const char *gpiod_chip_info_get_label(struct gpiod_chip_info *info) {
        return info->label;
}

void gpiod_chip_info_free(struct gpiod_chip_info *info) {
        free(info);
}

/* libgpiod's defaults (those a real line config gives an offset added with NULL settings). */
static const struct gpiod_line_settings settings_default = {
        .direction = GPIOD_LINE_DIRECTION_AS_IS,
        .edge = GPIOD_LINE_EDGE_NONE,
        .output_value = GPIOD_LINE_VALUE_INACTIVE,
};

struct gpiod_line_settings *gpiod_line_settings_new(void) {
        struct gpiod_line_settings *s = malloc(sizeof(*s));

        if (s)
                *s = settings_default;
        return s;
}

void gpiod_line_settings_free(struct gpiod_line_settings *settings) {
        free(settings);
}

/* The mutators as libgpiod's: a value it does not know is EINVAL and leaves the default. */
int gpiod_line_settings_set_direction(struct gpiod_line_settings *settings,
                                      enum gpiod_line_direction direction) {
        switch (direction) {
        case GPIOD_LINE_DIRECTION_AS_IS:
        case GPIOD_LINE_DIRECTION_INPUT:
        case GPIOD_LINE_DIRECTION_OUTPUT:
                settings->direction = direction;
                return 0;
        default:
                settings->direction = settings_default.direction;
                errno = EINVAL;
                return -1;
        }
}

int gpiod_line_settings_set_edge_detection(struct gpiod_line_settings *settings,
                                           enum gpiod_line_edge edge) {
        switch (edge) {
        case GPIOD_LINE_EDGE_NONE:
        case GPIOD_LINE_EDGE_RISING:
        case GPIOD_LINE_EDGE_FALLING:
        case GPIOD_LINE_EDGE_BOTH:
                settings->edge = edge;
                return 0;
        default:
                settings->edge = settings_default.edge;
                errno = EINVAL;
                return -1;
        }
}

void gpiod_line_settings_set_active_low(struct gpiod_line_settings *settings, bool active_low) {
        settings->active_low = active_low;
}

int gpiod_line_settings_set_output_value(struct gpiod_line_settings *settings,
                                         enum gpiod_line_value value) {
        switch (value) {
        case GPIOD_LINE_VALUE_INACTIVE:
        case GPIOD_LINE_VALUE_ACTIVE:
                settings->output_value = value;
                return 0;
        default:
                settings->output_value = settings_default.output_value;
                errno = EINVAL;
                return -1;
        }
}

struct gpiod_line_config *gpiod_line_config_new(void) {
        return calloc(1, sizeof(struct gpiod_line_config));
}

void gpiod_line_config_free(struct gpiod_line_config *config) {
        free(config);
}

int gpiod_line_config_add_line_settings(struct gpiod_line_config *config,
                                        const unsigned int *offsets, size_t num_offsets,
                                        struct gpiod_line_settings *settings) {
        /* A copy, as libgpiod keeps: a later change of settings is not this config's. */
        const struct gpiod_line_settings s = settings ? *settings : settings_default;

        if (!offsets || num_offsets == 0) {
                errno = EINVAL;
                return -1;
        }
        /* libgpiod's check counts the offsets given, whether or not some are there already. */
        if (config->nlines + num_offsets > LINES_MAX) {
                errno = E2BIG;
                return -1;
        }
        for (size_t i = 0; i < num_offsets; i++) {
                size_t k = 0;

                while (k < config->nlines && config->lines[k].offset != offsets[i])
                        k++;
                if (k == config->nlines)
                        config->lines[config->nlines++].offset = offsets[i];
                config->lines[k].settings = s;
        }
        return 0;
}

struct gpiod_request_config *gpiod_request_config_new(void) {
        return calloc(1, sizeof(struct gpiod_request_config));
}

void gpiod_request_config_free(struct gpiod_request_config *config) {
        free(config);
}

void gpiod_request_config_set_consumer(struct gpiod_request_config *config,
                                       const char *consumer) {
        /* Truncated, as libgpiod does, to what the kernel keeps. */
        snprintf(config->consumer, sizeof(config->consumer), "%s", consumer ? consumer : "");
}

/* The request's line at offset, or NULL and EINVAL (not one of its lines, as libgpiod says). */
static struct request_line *request_line(struct gpiod_line_request *req, unsigned offset) {
        for (size_t i = 0; i < req->nlines; i++)
                if (req->lines[i].offset == offset)
                        return &req->lines[i];
        errno = EINVAL;
        return NULL;
}

static int line_value(struct gpiod_line_request *req, const struct request_line *l) {
        int level = shim_gpio_level(req->chip_path, l->offset);

        return level < 0 ? -1 : level != l->active_low;
}

struct gpiod_line_request *gpiod_chip_request_lines(struct gpiod_chip *chip,
                                                    struct gpiod_request_config *req_cfg,
                                                    struct gpiod_line_config *line_cfg) {
        struct gpiod_line_request *req;
        int64_t ns = shim_gpio_now();
        char what[48];

        (void) req_cfg;         /* the consumer: nobody asks the shim for it */
        if (!line_cfg || line_cfg->nlines == 0) {
                errno = EINVAL;
                return NULL;
        }
        req = calloc(1, sizeof(*req));
        if (!req)
                return NULL;
        snprintf(req->chip_name, sizeof(req->chip_name), "%s", chip->name);
        snprintf(req->chip_path, sizeof(req->chip_path), "%s", chip->path);
        for (size_t i = 0; i < line_cfg->nlines; i++) {
                const struct gpiod_line_settings *s = &line_cfg->lines[i].settings;
                struct request_line *l = &req->lines[i];

                *l = (struct request_line) {
                        .offset = line_cfg->lines[i].offset,
                        .active_low = s->active_low,
                        .output = s->direction == GPIOD_LINE_DIRECTION_OUTPUT,
                        .edge = s->edge,
                        .value = s->output_value == GPIOD_LINE_VALUE_ACTIVE,
                };
                /* Past the chip's lines (no such file), or an output with edge detection,
                 * which the kernel refuses: EINVAL, before any line is driven. */
                if (!shim_gpio_line_exists(req->chip_path, l->offset) ||
                    (l->output && l->edge != GPIOD_LINE_EDGE_NONE)) {
                        free(req);
                        errno = EINVAL;
                        return NULL;
                }
                req->edges |= l->edge != GPIOD_LINE_EDGE_NONE;
        }
        req->nlines = line_cfg->nlines;
        req->fd = req->edges ? shim_gpio_watch(req->chip_path) : eventfd(0, EFD_CLOEXEC);
        if (req->fd < 0) {
                int e = errno;

                free(req);
                errno = e;
                return NULL;
        }
        for (size_t i = 0; i < req->nlines; i++) {
                struct request_line *l = &req->lines[i];

                if (!l->output)
                        continue;
                if (shim_gpio_drive(req->chip_path, l->offset, l->value != l->active_low) < 0) {
                        int e = errno;

                        close(req->fd);
                        free(req);
                        errno = e;
                        return NULL;
                }
                snprintf(what, sizeof(what), "req %d%s", l->value,
                         l->active_low ? " active-low" : "");
                shim_gpio_log(req->chip_name, l->offset, ns, what);
        }
        return req;
}

void gpiod_line_request_release(struct gpiod_line_request *request) {
        int64_t ns = shim_gpio_now();

        if (!request)
                return;
        for (size_t i = 0; i < request->nlines; i++)
                if (request->lines[i].output)
                        shim_gpio_log(request->chip_name, request->lines[i].offset, ns, "rel");
        close(request->fd);
        free(request);
}

/* The logical value of the request's line at offset; ERROR and errno. */
static enum gpiod_line_value value_at(struct gpiod_line_request *req, unsigned offset) {
        const struct request_line *l = request_line(req, offset);
        int v = l ? line_value(req, l) : -1;

        return v < 0 ? GPIOD_LINE_VALUE_ERROR
                     : v ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

enum gpiod_line_value gpiod_line_request_get_value(struct gpiod_line_request *request,
                                                   unsigned int offset) {
        return value_at(request, offset);
}

int gpiod_line_request_get_values_subset(struct gpiod_line_request *request, size_t num_values,
                                         const unsigned int *offsets,
                                         enum gpiod_line_value *values) {
        for (size_t i = 0; i < num_values; i++) {
                enum gpiod_line_value v = value_at(request, offsets[i]);

                if (v == GPIOD_LINE_VALUE_ERROR)
                        return -1;
                values[i] = v;
        }
        return 0;
}

int gpiod_line_request_set_value(struct gpiod_line_request *request, unsigned int offset,
                                 enum gpiod_line_value value) {
        int64_t ns = shim_gpio_now();
        struct request_line *l = request_line(request, offset);
        /* libgpiod sets the bit for any value but INACTIVE. */
        int v = value != GPIOD_LINE_VALUE_INACTIVE;

        if (!l)
                return -1;
        if (!l->output) {
                errno = EPERM;  /* the kernel's answer for a line that is not an output */
                return -1;
        }
        if (shim_gpio_drive(request->chip_path, offset, v != l->active_low) < 0)
                return -1;
        if (l->value != v) {
                l->value = v;
                shim_gpio_log(request->chip_name, offset, ns, v ? "1" : "0");
        }
        return 0;
}

int gpiod_line_request_get_fd(struct gpiod_line_request *request) {
        return request->fd;
}

/* Queue an event for each write of an edge line's file that inotify has, typed by the line's
 * level now. 0, or -1 with errno. */
static int take_events(struct gpiod_line_request *req) {
        unsigned offsets[LINES_MAX], writes[LINES_MAX] = { 0 };

        if (!req->edges)
                return 0;
        for (size_t i = 0; i < req->nlines; i++)
                offsets[i] = req->lines[i].offset;
        if (shim_gpio_take_writes(req->fd, offsets, writes, req->nlines) < 0)
                return -1;
        for (size_t i = 0; i < req->nlines; i++) {
                const struct request_line *l = &req->lines[i];
                enum gpiod_edge_event_type type;
                int v;

                if (writes[i] == 0 || l->edge == GPIOD_LINE_EDGE_NONE)
                        continue;
                v = line_value(req, l);
                if (v < 0)
                        return -1;
                type = v ? GPIOD_EDGE_EVENT_RISING_EDGE : GPIOD_EDGE_EVENT_FALLING_EDGE;
                /* A line that reports one edge only sees nothing of the other. */
                if ((l->edge == GPIOD_LINE_EDGE_RISING && !v) ||
                    (l->edge == GPIOD_LINE_EDGE_FALLING && v))
                        continue;
                for (unsigned k = 0; k < writes[i] && req->nqueued < EVENTS_QUEUED; k++)
                        req->queue[req->nqueued++] = (struct gpiod_edge_event) {
                                .type = type, .offset = l->offset,
                        };
        }
        return 0;
}

/* Calls between the fakes stay inside this file, not through the exported names. */
static int wait_events(struct gpiod_line_request *request, int64_t timeout_ns) {
        struct pollfd pfd = { .fd = request->fd, .events = POLLIN };
        int64_t deadline = timeout_ns >= 0 ? shim_gpio_now() + timeout_ns : 0;

        /* Until an event is queued: a write of another file of the chip directory wakes the
         * watch too, and is no event of this request. */
        while (request->nqueued == 0) {
                int64_t left = timeout_ns >= 0 ? deadline - shim_gpio_now() : 0;
                struct timespec ts = {
                        .tv_sec = left > 0 ? left / 1000000000LL : 0,
                        .tv_nsec = left > 0 ? left % 1000000000LL : 0,
                };
                int r = ppoll(&pfd, 1, timeout_ns >= 0 ? &ts : NULL, NULL);

                if (r <= 0)
                        return r;       /* timed out, or -1 and errno */
                if (take_events(request) < 0)
                        return -1;
        }
        return 1;
}

int gpiod_line_request_wait_edge_events(struct gpiod_line_request *request,
                                        int64_t timeout_ns) {
        return wait_events(request, timeout_ns);
}

struct gpiod_edge_event_buffer *gpiod_edge_event_buffer_new(size_t capacity) {
        struct gpiod_edge_event_buffer *b;

        if (capacity == 0)
                capacity = EVENT_BUFFER_DEFAULT;
        if (capacity > EVENT_BUFFER_MAX)
                capacity = EVENT_BUFFER_MAX;
        b = calloc(1, sizeof(*b) + capacity * sizeof(b->events[0]));
        if (b)
                b->capacity = capacity;
        return b;
}

void gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *buffer) {
        free(buffer);
}

int gpiod_line_request_read_edge_events(struct gpiod_line_request *request,
                                        struct gpiod_edge_event_buffer *buffer,
                                        size_t max_events) {
        size_t n;

        if (max_events > buffer->capacity)
                max_events = buffer->capacity;
        if (max_events == 0) {
                errno = EINVAL;         /* the kernel's read() of less than one event */
                return -1;
        }
        /* The events the watch has now too, then, as the kernel's read() of the request, a
         * wait for one if there is none. */
        if (take_events(request) < 0)
                return -1;
        if (request->nqueued == 0 && wait_events(request, -1) < 0)
                return -1;
        n = request->nqueued < max_events ? request->nqueued : max_events;
        memcpy(buffer->events, request->queue, n * sizeof(request->queue[0]));
        buffer->nevents = n;
        request->nqueued -= n;
        memmove(request->queue, request->queue + n, request->nqueued * sizeof(request->queue[0]));
        return (int) n;
}

struct gpiod_edge_event *gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *buffer,
                                                           unsigned long index) {
        if (index >= buffer->nevents) {
                errno = EINVAL;
                return NULL;
        }
        return &buffer->events[index];
}

enum gpiod_edge_event_type gpiod_edge_event_get_event_type(struct gpiod_edge_event *event) {
        return event->type;
}

unsigned int gpiod_edge_event_get_line_offset(struct gpiod_edge_event *event) {
        return event->offset;
}
