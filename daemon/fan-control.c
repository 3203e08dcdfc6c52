/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fan-control.h"
#include "log.h"
#include "macro.h"

struct fan {
        struct fan_table *table;
        const struct fan_config *config;
        unsigned index;                 /* [fan.N] */

        uint8_t override_level;
        uint8_t local_level;
        bool local_level_from_reading;  /* else the safe level: the next reading sets it */
        bool local_enabled;
        int written;                    /* level at the output; -1 = unknown (not yet, failed) */
        bool write_failed;              /* logged once until a write works again */

        int saved_enable;               /* pwmN_enable at start; -1 = none (no file, GPIO) */
        void *gpio;                     /* the requested line */
};

struct fan_table {
        const struct gpio_output_ops *gpio;
        void *gpio_userdata;
        struct fan fans[CONFIG_FAN_MAX];
        bool present[CONFIG_FAN_MAX];
        unsigned n;
};

int fan_table_new(const struct satmc_config *c, struct fan_table **ret) {
        struct fan_table *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++) {
                const struct fan_config *fc = &c->fan[i];
                struct fan *f = &t->fans[i];

                if (!fc->present)
                        continue;
                t->present[i] = true;
                t->n++;
                *f = (struct fan) {
                        .table = t,
                        .config = fc,
                        .index = i,
                        /* No reading yet, no command yet: the safe level either way. */
                        .override_level = fc->follow_index >= 0 ? FAN_LEVEL_LOCAL_CONTROL
                                                                : fc->max_level,
                        .local_level = fc->max_level,
                        .local_enabled = fc->follow_index >= 0,
                        .written = -1,
                        .saved_enable = -1,
                };
        }
        *ret = t;
        return 0;
}

unsigned fan_table_count(const struct fan_table *t) {
        return t ? t->n : 0;
}

struct fan *fan_table_get(struct fan_table *t, unsigned index) {
        if (!t || index >= CONFIG_FAN_MAX || !t->present[index])
                return NULL;
        return &t->fans[index];
}

static uint8_t clamp_level(const struct fan_config *fc, long level) {
        if (level < fc->min_level)
                return fc->min_level;
        if (level > fc->max_level)
                return fc->max_level;
        return (uint8_t) level;
}

uint8_t fan_curve_level(const struct fan_config *fc, double reading) {
        const struct fan_curve *c = &fc->curve;
        unsigned i;

        if (c->n == 0 || isnan(reading))
                return fc->max_level;
        if (reading <= c->reading[0])
                return clamp_level(fc, c->level[0]);
        for (i = 1; i < c->n; i++)
                if (reading < c->reading[i]) {
                        double x = (reading - c->reading[i - 1]) /
                                   (c->reading[i] - c->reading[i - 1]);
                        double l = c->level[i - 1] + x * (c->level[i] - c->level[i - 1]);

                        /* Up: between two levels the fan takes the faster one. */
                        return clamp_level(fc, (long) ceil(l - 1e-9));
                }
        return clamp_level(fc, c->level[c->n - 1]);
}

/* The level in effect: PICMG's "greater of" while local control is enabled. */
static uint8_t fan_level(const struct fan *f) {
        const struct fan_config *fc = f->config;
        uint8_t level;

        if (f->override_level == FAN_LEVEL_LOCAL_CONTROL)
                level = f->local_level;
        else if (f->local_enabled)
                level = f->override_level > f->local_level ? f->override_level : f->local_level;
        else
                level = f->override_level;
        return clamp_level(fc, level);
}

static uint8_t pwm_value(const struct fan_config *fc, uint8_t level) {
        unsigned span = (unsigned) fc->pwm.hi - fc->pwm.lo;

        return (uint8_t) (fc->pwm.lo + (span * level + fc->max_level / 2) / fc->max_level);
}

/* Write "value\n" to path: one write, as sysfs attributes want. */
static int write_number(const char *path, int value) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d\n", value);
        ssize_t w;

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        w = write(fd, buf, (size_t) n);
        if (w < 0)
                return -errno;
        return w == n ? 0 : -EIO;
}

static int read_number(const char *path, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16];
        ssize_t n;
        char *end;
        long v;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        errno = 0;
        v = strtol(buf, &end, 10);
        if (end == buf || errno || (*end != '\0' && *end != '\n') || v < 0 || v > 255)
                return -EBADMSG;
        *ret = (int) v;
        return 0;
}

static void enable_path(const struct fan *f, char *buf, size_t size) {
        snprintf(buf, size, "%s_enable", f->config->output.path);
}

/* Put the level in effect on the output if it is not there already. */
static void fan_apply(struct fan *f) {
        const struct fan_output_config *o = &f->config->output;
        uint8_t level = fan_level(f);
        int r;

        if (f->written == level)
                return;
        if (o->kind == FAN_OUTPUT_PWM)
                r = write_number(o->path, pwm_value(f->config, level));
        else if (f->gpio)
                r = f->table->gpio->set(f->table->gpio_userdata, f->gpio, level > 0);
        else
                r = -ENODEV;    /* not started */
        if (r < 0) {
                if (!f->write_failed)
                        log_warning_errno(r, "Fan %u: cannot set level %u: %m; trying again at "
                                          "the next change.", f->index, level);
                f->write_failed = true;
                f->written = -1;
                return;
        }
        if (f->write_failed)
                log_info("Fan %u: output writable again.", f->index);
        f->write_failed = false;
        log_debug("Fan %u: level %u.", f->index, level);
        f->written = level;
}

static int fan_start(struct fan *f) {
        const struct fan_output_config *o = &f->config->output;
        char path[FAN_OUTPUT_PATH_MAX + 8];
        int r;

        if (o->kind == FAN_OUTPUT_GPIO) {
                r = f->table->gpio->open(f->table->gpio_userdata, o->chip, o->line,
                                         o->active_low, 1, &f->gpio);
                if (r < 0)
                        return log_error_errno(r, "Fan %u: cannot take gpio %s line %u as an "
                                               "output: %m", f->index, o->chip, o->line);
                /* Requested on, and every fan starts at max-level (>= 1): on. */
                f->written = fan_level(f);
                log_info("Fan %u: gpio %s line %u on.", f->index, o->chip, o->line);
                return 0;
        }

        enable_path(f, path, sizeof(path));
        r = read_number(path, &f->saved_enable);
        if (r == -ENOENT)
                f->saved_enable = -1;   /* a driver without a mode: the pwm file is all */
        else if (r < 0)
                return log_error_errno(r, "Fan %u: cannot read %s: %m", f->index, path);
        else {
                r = write_number(path, 1);
                if (r < 0) {
                        f->saved_enable = -1;
                        return log_error_errno(r, "Fan %u: cannot set %s to 1 (manual): %m",
                                               f->index, path);
                }
        }
        fan_apply(f);
        if (f->written < 0)
                return log_error_errno(-EIO, "Fan %u: cannot write %s.", f->index, o->path);
        log_info("Fan %u: %s at level %u%s.", f->index, o->path, f->written,
                 f->config->follow_index >= 0 ? ", following a sensor" : "");
        return 0;
}

int fan_table_start(struct fan_table *t, const struct gpio_output_ops *gpio, void *userdata) {
        int r;

        t->gpio = gpio ?: &gpio_output_libgpiod;
        t->gpio_userdata = userdata;
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++)
                if (t->present[i]) {
                        r = fan_start(&t->fans[i]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static void fan_stop(struct fan *f) {
        const struct fan_output_config *o = &f->config->output;
        char path[FAN_OUTPUT_PATH_MAX + 8];
        int r, enable;

        /* Full speed first: whoever has the fan next starts from the safe side. */
        f->override_level = f->config->max_level;
        f->local_enabled = false;
        if (o->kind == FAN_OUTPUT_GPIO) {
                if (f->gpio) {
                        fan_apply(f);
                        f->table->gpio->close(f->table->gpio_userdata, f->gpio);
                        f->gpio = NULL;
                }
                return;
        }
        if (f->written >= 0 || f->saved_enable >= 0)
                fan_apply(f);
        if (f->saved_enable < 0)
                return;
        enable = f->config->pwm_enable_at_exit >= 0 ? f->config->pwm_enable_at_exit
                                                    : f->saved_enable;
        enable_path(f, path, sizeof(path));
        r = write_number(path, enable);
        if (r < 0)
                log_warning_errno(r, "Fan %u: cannot restore %s to %d: %m", f->index, path,
                                  enable);
        f->saved_enable = -1;
}

struct fan_table *fan_table_free(struct fan_table *t) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++)
                if (t->present[i])
                        fan_stop(&t->fans[i]);
        free(t);
        return NULL;
}

/* The policy: up at once, down only when the reading is hysteresis below the level's point. */
static void fan_follow(struct fan *f, bool available, double value) {
        const struct fan_config *fc = f->config;
        uint8_t target;

        if (!available) {
                f->local_level = fc->max_level;
                f->local_level_from_reading = false;
                return;
        }
        target = fan_curve_level(fc, value);
        if (target >= f->local_level || !f->local_level_from_reading) {
                f->local_level_from_reading = true;
                f->local_level = target;
                return;
        }
        /* Lower, but only as far as a reading hysteresis higher would also allow: the level
         * comes back up only once the reading rose by the hysteresis again. */
        target = fan_curve_level(fc, value + fc->hysteresis);
        if (target < f->local_level)
                f->local_level = target;
}

void fan_table_on_reading(struct fan_table *t, unsigned sensor_index, bool available,
                          double value) {
        if (!t)
                return;
        for (unsigned i = 0; i < CONFIG_FAN_MAX; i++) {
                struct fan *f = &t->fans[i];

                if (!t->present[i] || f->config->follow_index != (int) sensor_index)
                        continue;
                fan_follow(f, available, value);
                fan_apply(f);
        }
}

int fan_control_set_level(struct fan *f, uint8_t level, int local_enable) {
        const struct fan_config *fc = f->config;
        bool policy = fc->follow_index >= 0;

        if (level == FAN_LEVEL_LOCAL_CONTROL) {
                if (!policy)
                        return -EOPNOTSUPP;
        } else if (level < fc->min_level || level > fc->max_level)
                return -ERANGE;
        if (local_enable > 0 && !policy)
                return -EOPNOTSUPP;
        f->override_level = level;
        if (local_enable >= 0)
                f->local_enabled = local_enable > 0;
        fan_apply(f);
        return 0;
}

void fan_control_get_level(const struct fan *f, struct fan_level_state *ret) {
        *ret = (struct fan_level_state) {
                .override_level = f->override_level,
                .local_level = f->local_level,
                .local_control = f->config->follow_index >= 0,
                .local_enabled = f->local_enabled,
                .level = fan_level(f),
                .min_level = f->config->min_level,
                .max_level = f->config->max_level,
        };
}
