/* SPDX-License-Identifier: MIT */
/*
 * Inside the configuration module: the state of one load (config-load.c), how errors are
 * reported ("file:line: reason", all of them), and the checks after parsing (config-check.c)
 * of what no single key can see.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config-parse.h"

/* Upper bounds of the key tables, for the per-key line arrays (checked where they are). */
#define CONFIG_KEYS_MAX 64
#define CONFIG_FRU_KEYS_MAX 32
#define CONFIG_SENSOR_KEYS_MAX 32

struct load_state {
        struct satmc_config *config;
        const char *name;
        FILE *err;
        FILE *in;
        unsigned line;                          /* of the line inih is looking at */
        unsigned n_errors;
        unsigned seen_line[CONFIG_KEYS_MAX];    /* 0 = not set in the file */
        unsigned fru_seen_line[CONFIG_FRU_MAX][CONFIG_FRU_KEYS_MAX];
        unsigned sensor_seen_line[CONFIG_SENSOR_MAX][CONFIG_SENSOR_KEYS_MAX];
        bool sensor_failed[CONFIG_SENSOR_MAX][CONFIG_SENSOR_KEYS_MAX];  /* its value was refused */
        unsigned last_syntax_error_line;
        unsigned section_line;                  /* of the [section] header now in effect */
        unsigned unknown_section_line;          /* of the last unknown section reported */
        int read_errno;                         /* fgets() failed, e.g. EISDIR */
        bool oom;
};

/* "name:line: reason" (or "name: reason" for line 0) on s->err, and one more error counted. */
void config_report(struct load_state *s, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The row of [section] name in the table of single sections, and its index; NULL if none. */
const struct config_key *config_find_key(const char *section, const char *name, size_t *index);

/* After parsing: required keys, [mc] address sources, event receiver, FRU images, sensors. */
void config_check(struct load_state *s);
/* [nbd] TLS: files present and private, the modes' needs, secure by default (config-nbd-tls.c). */
void config_check_nbd_tls(struct load_state *s);
