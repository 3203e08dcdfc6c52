/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
/* Without this, sd_journal_send() is a macro adding CODE_FILE/CODE_LINE/CODE_FUNC of emit()
 * itself, next to the caller's location we send: two of each, and CODE_FUNC=emit everywhere. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

int log_max_level_ = LOG_INFO;

/*
 * An unbuffered stderr is written in pieces by glibc 2.37 and later (Debian 13): a 260-byte
 * line is three write(2)s there, one on Debian 12. Where satmcd shares its stderr with other
 * processes (a terminal, scripts/bmc-in-a-box.sh, an init script's log pipe), another
 * process's line then lands in the middle of ours. Line-buffered, a line is one write, and a
 * pipe keeps one of up to PIPE_BUF bytes whole. The buffer is static: no allocation at start.
 */
void log_stderr_whole_lines(void) {
        static char buf[PIPE_BUF];

        (void) setvbuf(stderr, buf, _IOLBF, sizeof(buf));
}

void log_set_max_level(int level) {
        log_max_level_ = level;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };
        for (int i = 0; i <= LOG_DEBUG; i++)
                if (strcasecmp(s, names[i]) == 0)
                        return i;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        return -EINVAL;
}

/*
 * Is stderr the journal? systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected;
 * comparing with stderr's own tells a service from a shell that merely inherited the variable.
 */
static bool stderr_is_journal(void) {
        static int cached = -1;

        if (cached < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                unsigned long long dev, ino;
                struct stat st;

                cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
                         fstat(STDERR_FILENO, &st) == 0 &&
                         (unsigned long long) st.st_dev == dev &&
                         (unsigned long long) st.st_ino == ino;
        }
        return cached;
}

static struct {
        char bus[128];
        int address;                    /* own 8-bit address, -1 until known */
} context = { .address = -1 };

void log_set_context(const char *bus, int address) {
        snprintf(context.bus, sizeof(context.bus), "%s", bus ?: "");
        context.address = address;
}

static void emit(int level, int error, const char *file, int line, const char *func,
                 const struct log_frame *f, const char *msg) {
        if (stderr_is_journal()) {
                /* Structured: journalctl -u satmcd@ipmb-0 SATMC_NETFN=0x06 finds them. Fields
                 * that do not apply are sent empty, so every entry has the same shape. ERRNO is
                 * the exception: journal-fields(7) has it only when there is an error, and
                 * ERRNO=0 on every entry would make "journalctl ERRNO=0" match them all. */
                char netfn[8] = "", cmd[8] = "", addr[8] = "";

                if (f && f->netfn >= 0)
                        snprintf(netfn, sizeof(netfn), "0x%02x", (unsigned) f->netfn & 0xFF);
                if (f && f->cmd >= 0)
                        snprintf(cmd, sizeof(cmd), "0x%02x", (unsigned) f->cmd & 0xFF);
                if (context.address >= 0)
                        snprintf(addr, sizeof(addr), "0x%02x", (unsigned) context.address & 0xFF);
                (void) sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
                                       "CODE_FILE=%s", file, "CODE_LINE=%d", line,
                                       "CODE_FUNC=%s", func,
                                       "SATMC_BUS=%s", context.bus,
                                       "SATMC_ADDRESS=%s", addr,
                                       "SATMC_NETFN=%s", netfn,
                                       "SATMC_CMD=%s", cmd,
                                       "SATMC_REASON=%s", f && f->reason ? f->reason : "",
                                       /* Last: a NULL format here ends the list. */
                                       error > 0 ? "ERRNO=%d" : NULL, error,
                                       NULL);
                return;
        }
        if (log_max_level_ >= LOG_DEBUG)
                fprintf(stderr, "%s:%d: %s\n", file, line, msg);
        else
                fprintf(stderr, "%s\n", msg);
}

__attribute__((format(printf, 7, 0)))
static int log_valist(int level, int error, const char *file, int line, const char *func,
                      const struct log_frame *f, const char *fmt, va_list ap) {
        int e = error < 0 ? -error : error;
        char buf[1024];

        /* Make %m print the error we were given, not whatever errno happens to be. */
        errno = e;
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        emit(level, e, file, line, func, f, buf);
        return -e;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_valist(level, error, file, line, func, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int log_frame_internal(int level, const struct log_frame *f, const char *file, int line,
                       const char *func, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_valist(level, 0, file, line, func, f, fmt, ap);
        va_end(ap);
        return r;
}
