/* SPDX-License-Identifier: MIT */
/*
 * Logging for the policy layer (daemon/ only: protocol/ and transport/ never log).
 * Plain stderr from a shell; under systemd (stderr is the journal stream) structured journal
 * entries with the bus, our address and, for per-frame messages, netFn, cmd and reason as
 * fields (SATMC_BUS, SATMC_ADDRESS, SATMC_NETFN, SATMC_CMD, SATMC_REASON). log_*_errno() log with strerror and return -abs(error), so a caller can write
 * "return log_error_errno(r, "Failed to open %s: %m", path);".
 */
#pragma once

#include <errno.h>
#include <syslog.h>

/* Make stderr line-buffered, so that each line reaches it in one write(2). Call first in main(),
 * before anything is written to stderr. */
void log_stderr_whole_lines(void);

void log_set_max_level(int level);
/* Read inline: the per-frame debug messages test it on every frame, and a call for one load
 * made the frame path keep its values on the stack around it (callgrind, Get Device ID). */
extern int log_max_level_;
static inline int log_get_max_level(void) {
        return log_max_level_;
}
/* Parse "err", "warning", "notice", "info", "debug" (or 0-7). Returns the level or -EINVAL. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define log_full_errno(level, error, ...)                                               \
        ({                                                                              \
                int _l = (level), _e = (error);                                         \
                (_l <= log_get_max_level())                                             \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__)         \
                        : -(_e < 0 ? -_e : _e);                                         \
        })

#define log_debug(...)   ((void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__))
#define log_info(...)    ((void) log_full_errno(LOG_INFO, 0, __VA_ARGS__))
#define log_notice(...)  ((void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__))
#define log_error(...)   ((void) log_full_errno(LOG_ERR, 0, __VA_ARGS__))

/* Per-frame detail: fields for the journal; -1 / NULL where not known. */
struct log_frame {
        int netfn;
        int cmd;
        const char *reason;
};

/* Bus (device or socket path) and own address, attached to every entry from now on. */
void log_set_context(const char *bus, int address);

int log_frame_internal(int level, const struct log_frame *f, const char *file, int line,
                       const char *func, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

/* Per-frame messages are debug level: a busy bus must not flood the journal. */
#define log_frame_debug(netfn_, cmd_, reason_, ...)                                     \
        ((void) (__builtin_expect(LOG_DEBUG <= log_get_max_level(), 0)                 \
                 ? log_frame_internal(LOG_DEBUG,                                        \
                                      &(const struct log_frame) { (netfn_), (cmd_), (reason_) }, \
                                      __FILE__, __LINE__, __func__, __VA_ARGS__)        \
                 : 0))

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
