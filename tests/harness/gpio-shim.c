/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD stand-in for the libgpiod v1 output calls satmcd makes (daemon/gpio-output.c):
 * on a machine without a gpiochip (or gpio-sim), a test still sees every level satmcd drives.
 * Each request and each change of a line's logical value is appended to $SATMC_GPIO_SHIM_LOG
 * as one line, "<CLOCK_MONOTONIC ns> <chip> <offset> <value>" (value "req" + the flags for a
 * request, "rel" for a release), with one write() so lines never interleave. Only the calls
 * gpio-output.c makes are replaced: a configuration that also reads GPIO lines (sensors,
 * hardware address pins) must not run under it. Test-only, never installed; never sanitized
 * (it is loaded before an ASan satmcd's runtime).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* libgpiod v1.6's ABI for the calls replaced, declared here rather than from <gpiod.h>: only
 * daemon/ builds against libgpiod (tests/check-layering.py), and a stand-in needs its symbol
 * names and argument types, not the library. */
struct gpiod_chip;
struct gpiod_line;
#define SHIM_FLAG_ACTIVE_LOW (1 << 2)   /* GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW */

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr);
struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset);
int gpiod_line_request_output_flags(struct gpiod_line *line, const char *consumer, int flags,
                                    int default_val);
int gpiod_line_set_value(struct gpiod_line *line, int value);
struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line);
void gpiod_line_release(struct gpiod_line *line);
void gpiod_chip_close(struct gpiod_chip *chip);

struct shim_chip {
        char name[64];
};

struct shim_line {
        struct shim_chip *chip;
        unsigned offset;
        int value;
};

static void emit(const struct shim_line *l, const char *what) {
        const char *path = getenv("SATMC_GPIO_SHIM_LOG");
        struct timespec ts;
        char buf[160];
        int fd, n;

        if (!path)
                return;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        n = snprintf(buf, sizeof(buf), "%lld %s %u %s\n",
                     (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec, l->chip->name,
                     l->offset, what);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        if (n > 0)
                (void) !write(fd, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
        close(fd);
}

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr) {
        struct shim_chip *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        snprintf(c->name, sizeof(c->name), "%s", descr);
        return (struct gpiod_chip *) c;
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset) {
        struct shim_line *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->chip = (struct shim_chip *) chip;
        l->offset = offset;
        return (struct gpiod_line *) l;
}

int gpiod_line_request_output_flags(struct gpiod_line *line, const char *consumer, int flags,
                                    int default_val) {
        struct shim_line *l = (struct shim_line *) line;
        char what[48];

        (void) consumer;
        l->value = default_val;
        snprintf(what, sizeof(what), "req %d%s", default_val,
                 flags & SHIM_FLAG_ACTIVE_LOW ? " active-low" : "");
        emit(l, what);
        return 0;
}

int gpiod_line_set_value(struct gpiod_line *line, int value) {
        struct shim_line *l = (struct shim_line *) line;

        if (l->value != value) {
                l->value = value;
                emit(l, value ? "1" : "0");
        }
        return 0;
}

struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line) {
        return (struct gpiod_chip *) ((struct shim_line *) line)->chip;
}

void gpiod_line_release(struct gpiod_line *line) {
        struct shim_line *l = (struct shim_line *) line;

        emit(l, "rel");
        /* The chip is closed next (gpio-output.c); the line goes with this call. */
        l->chip = NULL;
        free(l);
}

void gpiod_chip_close(struct gpiod_chip *chip) {
        free(chip);
}
