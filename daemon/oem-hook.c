/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "spawn-program.h"
#include "macro.h"
#include "oem-hook.h"
#include "protocol/hex-bytes.h"
#include "protocol/ipmi.h"

#define OEM_ARGS_MAX 16
#define OEM_IANA_LEN 3
/* "SATMC_REQUEST_DATA=" and 255 bytes as "xx " */
#define OEM_ENV_DATA_MAX (32 + 3 * IPMI_MAX_DATA_LEN)

struct oem_slot {
        struct oem_table *table;
        const struct oem_config *config;
        unsigned index;
        char *argv_buf;                 /* args, split in place */
        char *argv[OEM_ARGS_MAX + 2];

        /* The run under way: pid > 0. */
        pid_t pid;
        int pidfd, out_fd;
        sd_event_source *exit_source, *out_source, *timer;
        char out[OEM_OUTPUT_MAX];
        size_t out_len;
        bool overflow;                  /* printed more than OEM_OUTPUT_MAX */
        bool answered;                  /* done was called (a timeout answers before the exit) */
        bool timed_out;                 /* the answer is the timeout's */
        size_t cap;
        oem_done_fn done;
        void *userdata;

        struct oem_counters counters;   /* since start, across reloads of nothing else */
};

struct oem_table {
        sd_event *event;
        struct oem_slot slots[CONFIG_OEM_MAX];
        unsigned n;
};

static int slot_prepare_argv(struct oem_slot *s) {
        size_t n = 0;
        char *save = NULL;

        s->argv[n++] = s->config->exec;
        if (s->config->args[0]) {
                s->argv_buf = strdup(s->config->args);
                if (!s->argv_buf)
                        return -ENOMEM;
                for (char *w = strtok_r(s->argv_buf, " \t", &save); w;
                     w = strtok_r(NULL, " \t", &save)) {
                        if (n > OEM_ARGS_MAX)
                                return log_error_errno(-E2BIG, "[oem.%u] more than %d args.",
                                                       s->index, OEM_ARGS_MAX);
                        s->argv[n++] = w;
                }
        }
        s->argv[n] = NULL;
        return 0;
}

int oem_table_new(sd_event *event, const struct satmc_config *c, struct oem_table **ret) {
        _cleanup_(oem_table_freep) struct oem_table *t = NULL;
        int r;

        *ret = NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->event = event;
        for (unsigned i = 0; i < CONFIG_OEM_MAX; i++) {
                const struct oem_config *o = &c->oem[i];

                if (!o->present)
                        continue;
                struct oem_slot *s = &t->slots[t->n++];
                s->table = t;
                s->config = o;
                s->index = i;
                s->pidfd = s->out_fd = -EBADF;
                r = slot_prepare_argv(s);
                if (r < 0)
                        return r;
                if (access(o->exec, X_OK) < 0)
                        log_warning_errno(errno, "[oem.%u] %s is not executable now (%m): netfn "
                                          "0x%02X cmd 0x%02X will answer 0x%02X until it is.",
                                          i, o->exec, o->netfn, o->cmd, IPMI_CC_UNSPECIFIED);
        }
        if (t->n > 0)
                *ret = TAKE_PTR(t);
        return 0;
}

/* Close what the run holds; the slot is free again. */
static void slot_clear(struct oem_slot *s) {
        s->exit_source = sd_event_source_disable_unref(s->exit_source);
        s->out_source = sd_event_source_disable_unref(s->out_source);
        s->timer = sd_event_source_disable_unref(s->timer);
        s->pidfd = safe_close(s->pidfd);
        s->out_fd = safe_close(s->out_fd);
        s->pid = 0;
        s->out_len = 0;
        s->overflow = false;
        s->answered = false;
        s->timed_out = false;
        s->done = NULL;
        s->userdata = NULL;
}

struct oem_table *oem_table_free(struct oem_table *t) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < t->n; i++) {
                struct oem_slot *s = &t->slots[i];

                if (s->pid > 0) {
                        (void) kill(-s->pid, SIGKILL);
                        /* Dies at once: SIGKILL cannot be caught. */
                        (void) waitpid(s->pid, NULL, 0);
                }
                slot_clear(s);
                free(s->argv_buf);
        }
        free(t);
        return NULL;
}

unsigned oem_table_count(const struct oem_table *t) {
        return t ? t->n : 0;
}

int oem_table_find(const struct oem_table *t, uint8_t netfn, uint8_t cmd, uint8_t lun,
                   const uint8_t *data, size_t len) {
        for (unsigned i = 0; i < t->n; i++) {
                const struct oem_config *o = t->slots[i].config;

                if (o->netfn != netfn || o->cmd != cmd || o->lun != lun)
                        continue;
                if (o->iana >= 0 &&
                    (len < OEM_IANA_LEN || data[0] != (o->iana & 0xFF) ||
                     data[1] != ((o->iana >> 8) & 0xFF) || data[2] != ((o->iana >> 16) & 0xFF)))
                        continue;
                return (int) i;
        }
        return -1;
}

bool oem_table_busy(const struct oem_table *t, int index, void **ret_userdata) {
        const struct oem_slot *s = &t->slots[index];

        if (ret_userdata)
                *ret_userdata = s->userdata;
        return s->pid > 0;
}

static void slot_answer(struct oem_slot *s, uint8_t cc, const uint8_t *data, size_t len) {
        if (s->answered)
                return;
        s->answered = true;
        if (s->timed_out)
                s->counters.timed_out++;
        else if (cc == IPMI_CC_OK)
                s->counters.ok++;
        else
                s->counters.failed++;
        s->done(s->userdata, cc, data, len);
        s->userdata = NULL;     /* the caller's, and answered: maybe freed by now */
}

/* Read what the program printed so far; false once the pipe is at its end. */
static bool slot_read_output(struct oem_slot *s) {
        for (;;) {
                char buf[256];
                ssize_t n = read(s->out_fd, buf, sizeof(buf));

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR;
                if (n == 0)
                        return false;
                if (s->out_len + (size_t) n > sizeof(s->out)) {
                        s->overflow = true;
                        n = (ssize_t) (sizeof(s->out) - s->out_len);
                }
                memcpy(s->out + s->out_len, buf, (size_t) n);
                s->out_len += (size_t) n;
        }
}

static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct oem_slot *s = userdata;

        if (!slot_read_output(s))
                s->out_source = sd_event_source_disable_unref(s->out_source);
        return 0;
}

/* The program's answer from its exit status and what it printed. */
static void slot_finish(struct oem_slot *s, int status) {
        const struct oem_config *o = s->config;
        uint8_t data[OEM_IANA_LEN + IPMI_MAX_DATA_LEN];
        size_t prefix = o->iana >= 0 ? OEM_IANA_LEN : 0;
        int n;

        if (s->answered)
                return;
        if (WIFSIGNALED(status)) {
                log_warning("[oem.%u] %s killed by signal %d: answering 0x%02X.", s->index,
                            o->exec, WTERMSIG(status), IPMI_CC_UNSPECIFIED);
                slot_answer(s, IPMI_CC_UNSPECIFIED, NULL, 0);
                return;
        }
        if (WEXITSTATUS(status) != 0) {
                /* The exit status is the completion code; a failed command carries no data. */
                slot_answer(s, (uint8_t) WEXITSTATUS(status), NULL, 0);
                return;
        }
        if (s->overflow) {
                log_warning("[oem.%u] %s printed more than %d characters: answering 0x%02X.",
                            s->index, o->exec, OEM_OUTPUT_MAX, IPMI_CC_UNSPECIFIED);
                slot_answer(s, IPMI_CC_UNSPECIFIED, NULL, 0);
                return;
        }
        n = hex_bytes_parse(s->out, s->out_len, data + prefix,
                            s->cap > prefix ? MIN(s->cap - prefix, IPMI_MAX_DATA_LEN) : 0);
        if (n < 0) {
                log_warning("[oem.%u] %s: %s: answering 0x%02X.", s->index, o->exec,
                            n == -EMSGSIZE ? "more response bytes than fit the response"
                                           : "output is not hex bytes",
                            IPMI_CC_UNSPECIFIED);
                slot_answer(s, IPMI_CC_UNSPECIFIED, NULL, 0);
                return;
        }
        if (prefix) {
                data[0] = (uint8_t) (o->iana & 0xFF);
                data[1] = (uint8_t) ((o->iana >> 8) & 0xFF);
                data[2] = (uint8_t) ((o->iana >> 16) & 0xFF);
        }
        slot_answer(s, IPMI_CC_OK, data, prefix + (size_t) n);
}

/* Reap the program if it ended and answer; false while it still runs. */
static bool slot_try_reap(struct oem_slot *s) {
        int status = 0;
        pid_t r;

        r = waitpid(s->pid, &status, WNOHANG);
        if (r == 0)
                return false;
        if (r < 0) {
                log_warning_errno(-errno, "[oem.%u] cannot reap pid %d: %m", s->index,
                                  (int) s->pid);
                status = SIGKILL;       /* reads as "killed" */
        }
        /* Everything it wrote is in the pipe now; a grandchild holding the pipe is not
         * waited for. */
        (void) slot_read_output(s);
        slot_finish(s, status);
        slot_clear(s);
        return true;
}

static int on_exit_ready(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        (void) slot_try_reap(userdata);         /* false: a spurious wake-up */
        return 0;
}

/* Without a pidfd (a kernel before 5.3, valgrind before 3.20): look every 10 ms while the
 * program runs, and nothing when none does. */
#define OEM_EXIT_POLL_USEC (10 * 1000ULL)

static int on_exit_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        if (!slot_try_reap(userdata)) {
                (void) sd_event_source_set_time_relative(src, OEM_EXIT_POLL_USEC);
                (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        }
        return 0;
}

static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        struct oem_slot *s = userdata;

        log_warning("[oem.%u] %s still running after %u ms: killing it, answering 0x%02X.",
                    s->index, s->config->exec, s->config->timeout_ms, IPMI_CC_TIMEOUT);
        (void) kill(-s->pid, SIGKILL);
        s->timed_out = true;
        slot_answer(s, IPMI_CC_TIMEOUT, NULL, 0);
        /* Reaped by on_exit_ready(); the section stays busy until then. */
        return 0;
}

/* The program's whole environment: nothing of satmcd's own is passed on. */
static void build_env(const struct oem_slot *s, const struct oem_request *req, char *hex,
                      char env[][48], char *data_env, char **envp) {
        size_t n = 0;

        snprintf(env[0], sizeof(env[0]), "SATMC_NETFN=0x%02x", req->netfn);
        snprintf(env[1], sizeof(env[1]), "SATMC_CMD=0x%02x", req->cmd);
        snprintf(env[2], sizeof(env[2]), "SATMC_LUN=%u", req->lun);
        if (req->rq_sa >= 0)
                snprintf(env[3], sizeof(env[3]), "SATMC_REQUESTER=0x%02x", req->rq_sa);
        else
                snprintf(env[3], sizeof(env[3]), "SATMC_REQUESTER=local");
        snprintf(env[4], sizeof(env[4]), "SATMC_OEM_SECTION=oem.%u", s->index);
        for (; n < 5; n++)
                envp[n] = env[n];
        envp[n++] = (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        if (s->config->iana >= 0) {
                snprintf(env[6], sizeof(env[6]), "SATMC_IANA=%d", s->config->iana);
                envp[n++] = env[6];
        }
        snprintf(data_env, OEM_ENV_DATA_MAX, "SATMC_REQUEST_DATA=%s", hex);
        envp[n++] = data_env;
        envp[n] = NULL;
}

static int slot_spawn(struct oem_slot *s, const struct oem_request *req) {
        const struct oem_config *o = s->config;
        size_t prefix = o->iana >= 0 ? OEM_IANA_LEN : 0;
        char hex[3 * IPMI_MAX_DATA_LEN + 2], env[7][48], data_env[OEM_ENV_DATA_MAX], *envp[10];
        _cleanup_close_ int in_r = -EBADF, in_w = -EBADF, out_r = -EBADF, out_w = -EBADF;
        int fds[2], r;
        size_t hex_len;
        pid_t pid;

        /* A request without data may have no buffer at all: no pointer arithmetic on NULL. */
        hex_len = hex_bytes_format(req->len > prefix ? req->data + prefix : NULL,
                                   req->len > prefix ? req->len - prefix : 0, hex,
                                   sizeof(hex) - 1);
        hex[hex_len++] = '\n';
        hex[hex_len] = '\0';
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        in_r = fds[0];
        in_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        out_r = fds[0];
        out_w = fds[1];
        /* The request goes into the pipe before the program exists: at most 766 bytes, far
         * below a pipe's buffer, so this neither blocks nor meets a reader that is gone. */
        if (write(in_w, hex, hex_len) != (ssize_t) hex_len)
                return -EIO;
        in_w = safe_close(in_w);
        if (fcntl(out_r, F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        hex[hex_len - 1] = '\0';
        build_env(s, req, hex, env, data_env, envp);

        /* The request on stdin, the answer on stdout; a process group of its own (killed
         * whole), no signal blocked (spawn-program.h). */
        r = spawn_program(o->exec, s->argv, envp, in_r, out_w, &pid);
        if (r < 0)
                return r;

        s->pid = pid;
        s->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (s->pidfd < 0)
                s->pidfd = -errno;      /* ENOSYS: watched by on_exit_poll() instead */
        s->out_fd = TAKE_FD(out_r);
        return 0;
}

int oem_table_run(struct oem_table *t, int index, const struct oem_request *req, size_t cap,
                  oem_done_fn done, void *userdata) {
        struct oem_slot *s = &t->slots[index];
        const struct oem_config *o = s->config;
        int r;

        if (s->pid > 0)
                return -EBUSY;
        /* posix_spawn() reports a failed exec only where vfork semantics hold (glibc, not
         * valgrind's emulation, where the child exits 127): ask first, the same everywhere. */
        if (access(o->exec, X_OK) < 0) {
                s->counters.not_started++;
                return log_warning_errno(-errno, "[oem.%u] cannot run %s: %m", s->index,
                                         o->exec);
        }
        r = slot_spawn(s, req);
        if (r < 0) {
                s->counters.not_started++;
                return log_warning_errno(r, "[oem.%u] cannot run %s: %m", s->index, o->exec);
        }
        s->counters.runs++;
        s->done = done;
        s->userdata = userdata;
        s->cap = cap;

        if (s->pidfd >= 0)
                r = sd_event_add_io(t->event, &s->exit_source, s->pidfd, EPOLLIN, on_exit_ready,
                                    s);
        else
                r = sd_event_add_time_relative(t->event, &s->exit_source, CLOCK_MONOTONIC,
                                               OEM_EXIT_POLL_USEC, 1000, on_exit_poll, s);
        if (r >= 0)
                r = sd_event_add_io(t->event, &s->out_source, s->out_fd, EPOLLIN, on_output, s);
        if (r >= 0)
                r = sd_event_add_time_relative(t->event, &s->timer, CLOCK_MONOTONIC,
                                               o->timeout_ms * 1000ULL, 1000, on_timeout, s);
        if (r < 0) {
                (void) kill(-s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
                slot_clear(s);
                s->counters.runs--;
                s->counters.not_started++;
                return log_warning_errno(r, "[oem.%u] cannot watch %s: %m", s->index, o->exec);
        }
        (void) sd_event_source_set_description(s->exit_source, "oem-exit");
        (void) sd_event_source_set_description(s->out_source, "oem-output");
        (void) sd_event_source_set_description(s->timer, "oem-timeout");
        log_debug("[oem.%u] %s started, pid %d.", s->index, o->exec, (int) s->pid);
        return 0;
}

void oem_table_count_busy(struct oem_table *t, int index) {
        if (t && index >= 0 && (unsigned) index < t->n)
                t->slots[index].counters.busy++;
}

int oem_table_get_counters(const struct oem_table *t, int index, struct oem_counters *ret) {
        if (!t || index < 0 || (unsigned) index >= t->n)
                return -ENOENT;
        *ret = t->slots[index].counters;
        return 0;
}

void oem_table_print_counters(const struct oem_table *t, FILE *f) {
        for (unsigned i = 0; t && i < t->n; i++) {
                const struct oem_slot *s = &t->slots[i];
                const struct oem_counters *k = &s->counters;

                fprintf(f, "oem.%u netfn=0x%02x cmd=0x%02x lun=%u runs=%" PRIu64 " ok=%" PRIu64
                        " failed=%" PRIu64 " timed-out=%" PRIu64 " busy=%" PRIu64
                        " not-started=%" PRIu64 "\n", s->index, s->config->netfn,
                        s->config->cmd, s->config->lun, k->runs, k->ok, k->failed, k->timed_out,
                        k->busy, k->not_started);
        }
}

void oem_list_commands(const struct satmc_config *c, FILE *f) {
        for (unsigned i = 0; i < CONFIG_OEM_MAX; i++) {
                const struct oem_config *o = &c->oem[i];

                if (!o->present)
                        continue;
                if (o->iana >= 0)
                        fprintf(f, "0x%02x %-9s 0x%02x   %-10s [oem.%u] LUN %u, IANA 0x%06X: %s\n",
                                o->netfn, ipmi_netfn_name(o->netfn), o->cmd, "3-255", i, o->lun,
                                (unsigned) o->iana, o->exec);
                else
                        fprintf(f, "0x%02x %-9s 0x%02x   %-10s [oem.%u] LUN %u: %s\n", o->netfn,
                                ipmi_netfn_name(o->netfn), o->cmd, "0-255", i, o->lun, o->exec);
        }
}
