/* SPDX-License-Identifier: MIT */
/*
 * Logging for the policy layer (daemon/ only: protocol/ and transport/ never log).
 * Plain stderr; under systemd each line carries a "<N>" syslog priority prefix that journald
 * understands. log_*_errno() log with strerror and return -abs(error), so a caller can write
 * "return log_error_errno(r, "Failed to open %s: %m", path);".
 */
#pragma once

#include <errno.h>
#include <syslog.h>

void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "err", "warning", "notice", "info", "debug" (or 0-7). Returns the level or -EINVAL. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

#define log_full_errno(level, error, ...)                                               \
        ({                                                                              \
                int _l = (level), _e = (error);                                         \
                (_l <= log_get_max_level())                                             \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __VA_ARGS__)         \
                        : -(_e < 0 ? -_e : _e);                                         \
        })

#define log_debug(...)   ((void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__))
#define log_info(...)    ((void) log_full_errno(LOG_INFO, 0, __VA_ARGS__))
#define log_notice(...)  ((void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__))
#define log_error(...)   ((void) log_full_errno(LOG_ERR, 0, __VA_ARGS__))

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
