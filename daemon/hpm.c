/* SPDX-License-Identifier: MIT */
/*
 * HPM.1 components on disk: uploads, the worker thread's jobs (verify, activate, roll back),
 * the journal and the recovery at start. The crash-safety argument is in hpm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "atomic-file.h"
#include "clock.h"
#include "hpm.h"
#include "log.h"
#include "macro.h"
#include "spawn-program.h"

#define JOURNAL_NAME "hpm.journal"
#define JOURNAL_TMP ".hpm.journal.tmp"
#define COPY_CHUNK 65536

extern char **environ;

/* ---- names ---- */

static void upload_name(unsigned i, char *buf, size_t n) {
        snprintf(buf, n, "hpm%u.upload", i);
}

/* dir/.base<suffix> for a component path: the copies kept beside it. */
static int sibling_path(const char *path, const char *suffix, char *buf, size_t n) {
        _cleanup_free_ char *d = strdup(path), *b = strdup(path);
        int w;

        if (!d || !b)
                return -ENOMEM;
        w = snprintf(buf, n, "%s/.%s%s", dirname(d), basename(b), suffix);
        return w < 0 || (size_t) w >= n ? -ENAMETOOLONG : 0;
}

static int fsync_parent(const char *path) {
        _cleanup_free_ char *d = strdup(path);
        _cleanup_close_ int fd = -EBADF;

        if (!d)
                return -ENOMEM;
        fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

static const char *slot_path(const struct hpm_component_config *c, unsigned slot) {
        return slot ? c->slot_b : c->slot_a;
}

/* The marker's slot: 0 (a) or 1 (b); a missing marker means a. -errno on anything else. */
static int read_marker(const struct hpm_component_config *c) {
        _cleanup_close_ int fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[8] = "";
        ssize_t n;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        if (buf[0] == 'a' && (n == 1 || buf[1] == '\n'))
                return 0;
        if (buf[0] == 'b' && (n == 1 || buf[1] == '\n'))
                return 1;
        return -EBADMSG;
}

static int write_marker(const struct hpm_component_config *c, unsigned slot) {
        _cleanup_free_ char *d = strdup(c->path), *b = strdup(c->path);
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];

        if (!d || !b)
                return -ENOMEM;
        fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        snprintf(tmp, sizeof(tmp), ".%.200s.tmp", basename(b));
        return atomic_file_replace(fd, basename(b), tmp, slot ? "b\n" : "a\n", 2);
}

/* Checksum and length of the first max bytes of fd (all of it for max = UINT32_MAX). */
static int sum_fd(int fd, uint32_t max, uint32_t *ret_sum, uint32_t *ret_len) {
        _cleanup_free_ uint8_t *buf = malloc(COPY_CHUNK);
        uint32_t sum = HPM_CHECKSUM_INIT, len = 0;

        *ret_sum = *ret_len = 0;        /* on every path: see sum_path() */
        if (!buf)
                return -ENOMEM;
        while (len < max) {
                ssize_t n = pread(fd, buf, MIN((uint32_t) COPY_CHUNK, max - len), len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                sum = hpm_checksum_update(sum, buf, (size_t) n);
                len += (uint32_t) n;
        }
        *ret_sum = sum;
        *ret_len = len;
        return 0;
}

static int sum_path(const char *path, uint32_t max, uint32_t *ret_sum, uint32_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        /* Set on every path: gcc -O3 cannot prove a failed call leaves errno non-zero (so
         * that "return -errno" is < 0), and -Werror=maybe-uninitialized then fails the
         * release build at the callers. */
        *ret_sum = *ret_len = 0;
        if (fd < 0)
                return -errno;
        return sum_fd(fd, max, ret_sum, ret_len);
}

/* The content that runs now: the file, or the active slot. */
static const char *active_path(const struct hpm_component_config *c, int *ret_error) {
        int slot;

        *ret_error = 0;
        if (c->activate == HPM_ACTIVATE_RENAME)
                return c->path;
        if (c->activate != HPM_ACTIVATE_SLOT) {
                *ret_error = -EOPNOTSUPP;
                return NULL;
        }
        slot = read_marker(c);
        if (slot < 0) {
                *ret_error = slot;
                return NULL;
        }
        return slot_path(c, (unsigned) slot);
}

/* ---- the journal ---- */

static int journal_write(struct state_dir *d, const struct hpm_journal *j) {
        char text[HPM_JOURNAL_MAX];
        size_t n = hpm_journal_encode(j, text, sizeof(text));

        return state_dir_replace(d, JOURNAL_NAME, JOURNAL_TMP, text, n);
}

/* ---- jobs, in the worker thread: no logging, no loop state; results in the job ---- */

static void job_fail(struct hpm_job *job, uint8_t cc, int error, const char *what, unsigned i) {
        if (job->cc == 0) {
                job->cc = cc;
                snprintf(job->message, sizeof(job->message), "component %u: %s: %s", i, what,
                         strerror(error < 0 ? -error : error));
        }
}

static uint8_t cc_from_io(int r) {
        return r == -ENOSPC || r == -EDQUOT ? 0xC4 : 0xFF;
}

static void job_finish(struct hpm *h, struct hpm_job *job, unsigned i) {
        struct hpm_component *c = &h->component[i];
        uint32_t sum, len;
        int r;

        if (c->upload_fd < 0) {
                /* Upload for compare: nothing was stored; compare with what runs. */
                const char *path = active_path(c->config, &r);

                if (!path || (r = sum_path(path, UINT32_MAX, &sum, &len)) < 0) {
                        job_fail(job, 0xFF, r, "reading the active copy to compare", i);
                        return;
                }
                if (sum != c->upload_sum || len != c->upload_size)
                        job->cc = HPM_CC_MISMATCH;
                return;
        }
        if (fsync(c->upload_fd) < 0) {
                r = -errno;
                job_fail(job, cc_from_io(r), r, "fsync of the upload", i);
                return;
        }
        r = sum_fd(c->upload_fd, c->upload_size, &sum, &len);
        if (r < 0) {
                job_fail(job, 0xFF, r, "reading the upload back", i);
                return;
        }
        if (sum != c->upload_sum || len != c->upload_size) {
                job_fail(job, HPM_CC_CHECKSUM_ERROR, EIO, "the upload does not read back as sent",
                         i);
                return;
        }
}

/* Copy the staged upload to dir/.base.hpm-new, complete and fsynced. */
static int stage_beside(struct hpm *h, unsigned i, const char *new_path) {
        struct hpm_component *c = &h->component[i];
        _cleanup_free_ uint8_t *buf = malloc(COPY_CHUNK);
        _cleanup_close_ int out = -EBADF;
        struct stat st;
        mode_t mode = 0644;
        uint32_t off = 0;

        if (!buf)
                return -ENOMEM;
        if (stat(c->config->path, &st) == 0)
                mode = st.st_mode & 07777;
        (void) unlink(new_path);
        out = open(new_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (out < 0)
                return -errno;
        while (off < c->upload_size) {
                ssize_t n = pread(c->upload_fd, buf, MIN((uint32_t) COPY_CHUNK,
                                                         c->upload_size - off), off);
                int r;

                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
                off += (uint32_t) n;
        }
        if (fsync(out) < 0)
                return -errno;
        return 0;
}

/* The command starts like every program satmcd runs (spawn_program(): no signal blocked, its own
 * process group), so that an installer that waits for a signal gets it and a timeout kills the
 * installer with whatever it started. */
static int run_command(const struct hpm_component_config *c, const char *upload_path) {
        char *argv[] = { c->command, (char *) upload_path, c->path, NULL };
        uint64_t deadline;
        pid_t pid;
        int status, r;

        r = spawn_program(c->command, argv, environ, SPAWN_STDIN_DEV_NULL, SPAWN_INHERIT, &pid);
        if (r < 0)
                return r;
        /* In microseconds of CLOCK_MONOTONIC: a difference of timespecs taken field by field
         * wraps when the nanoseconds go backwards across a second, and read as a timeout. */
        deadline = monotonic_usec() + (uint64_t) c->command_timeout_ms * 1000;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (monotonic_usec() > deadline) {
                        (void) kill(-pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

static void activate_one(struct hpm *h, struct hpm_job *job, unsigned i) {
        struct hpm_component *c = &h->component[i];
        const struct hpm_component_config *cc = c->config;
        struct hpm_journal_entry *e = &job->journal.component[i];
        struct hpm_journal_entry before = *e;
        struct hpm_version old;
        bool have_old = hpm_current_version(h, i, &old) >= 0;
        char new_path[PATH_MAX], rollback_path[PATH_MAX], upload[32];
        int r;

        e->checksum = c->upload_sum;
        e->size = c->upload_size;
        switch (cc->activate) {
        case HPM_ACTIVATE_RENAME:
                if ((r = sibling_path(cc->path, ".hpm-new", new_path, sizeof(new_path))) < 0 ||
                    (r = sibling_path(cc->path, ".hpm-rollback", rollback_path,
                                      sizeof(rollback_path))) < 0 ||
                    (r = stage_beside(h, i, new_path)) < 0) {
                        job_fail(job, cc_from_io(r), r, "copying the upload beside the component",
                                 i);
                        (void) unlink(new_path);
                        return;
                }
                e->phase = HPM_JOURNAL_ACTIVATING;
                if ((r = journal_write(h->dir, &job->journal)) < 0) {
                        *e = before;
                        (void) unlink(new_path);
                        job_fail(job, cc_from_io(r), r, "writing the journal", i);
                        return;
                }
                e->has_rollback = false;
                if (cc->rollback && access(cc->path, F_OK) == 0) {
                        (void) unlink(rollback_path);
                        e->has_rollback = link(cc->path, rollback_path) == 0;
                }
                /* The atomic step: before it the old component, after it the new one. */
                if (rename(new_path, cc->path) < 0) {
                        r = -errno;
                        (void) unlink(new_path);
                        *e = before;
                        (void) journal_write(h->dir, &job->journal);
                        job_fail(job, 0xFF, r, "renaming the new copy into place", i);
                        return;
                }
                (void) fsync_parent(cc->path);
                break;
        case HPM_ACTIVATE_SLOT:
                e->phase = HPM_JOURNAL_ACTIVATING;
                e->slot = c->upload_slot;
                if ((r = journal_write(h->dir, &job->journal)) < 0) {
                        *e = before;
                        job_fail(job, cc_from_io(r), r, "writing the journal", i);
                        return;
                }
                /* The atomic step: the marker names the other slot. */
                r = write_marker(cc, c->upload_slot);
                if (r < 0) {
                        *e = before;
                        (void) journal_write(h->dir, &job->journal);
                        job_fail(job, cc_from_io(r), r, "switching the slot marker", i);
                        return;
                }
                e->has_rollback = cc->rollback;
                break;
        case HPM_ACTIVATE_COMMAND:
                e->phase = HPM_JOURNAL_ACTIVATING;
                if ((r = journal_write(h->dir, &job->journal)) < 0) {
                        *e = before;
                        job_fail(job, cc_from_io(r), r, "writing the journal", i);
                        return;
                }
                upload_name(i, upload, sizeof(upload));
                snprintf(new_path, sizeof(new_path), "%s/%s", state_dir_path(h->dir), upload);
                r = run_command(cc, new_path);
                e->has_rollback = false;
                if (r < 0) {
                        e->phase = HPM_JOURNAL_IDLE;
                        e->rolled_back = true;
                        (void) journal_write(h->dir, &job->journal);
                        job_fail(job, 0xFF, r, "the activation command", i);
                        return;
                }
                break;
        }
        e->phase = HPM_JOURNAL_IDLE;
        e->rolled_back = false;
        e->has_rollback_version = e->has_rollback && have_old;
        if (have_old)
                e->rollback_version = old;
        r = journal_write(h->dir, &job->journal);
        if (r < 0)
                job_fail(job, cc_from_io(r), r, "writing the journal after the step", i);
}

/* Self-test: what now runs reads back as what was uploaded. */
static void self_test_one(struct hpm *h, struct hpm_job *job, unsigned i) {
        const struct hpm_component_config *cc = h->component[i].config;
        uint32_t sum, len;
        const char *path;
        int r;

        if (cc->activate == HPM_ACTIVATE_COMMAND)
                return;         /* the installer put it wherever it goes */
        path = active_path(cc, &r);
        if (!path || sum_path(path, job->journal.component[i].size, &sum, &len) < 0 ||
            sum != job->journal.component[i].checksum || len != job->journal.component[i].size)
                job->self_test_failed |= (uint8_t) (1u << i);
}

static void rollback_one(struct hpm *h, struct hpm_job *job, unsigned i) {
        const struct hpm_component_config *cc = h->component[i].config;
        struct hpm_journal_entry *e = &job->journal.component[i];
        char rollback_path[PATH_MAX];
        int r, slot;

        if (!e->has_rollback)
                return;
        e->phase = HPM_JOURNAL_ROLLING_BACK;
        if (cc->activate == HPM_ACTIVATE_SLOT) {
                slot = read_marker(cc);
                if (slot < 0) {
                        job_fail(job, HPM_CC_ROLLBACK_FAILURE, slot, "reading the slot marker", i);
                        e->phase = HPM_JOURNAL_IDLE;
                        return;
                }
                e->slot = (uint8_t) !slot;
        }
        if ((r = journal_write(h->dir, &job->journal)) < 0) {
                e->phase = HPM_JOURNAL_IDLE;
                job_fail(job, HPM_CC_ROLLBACK_FAILURE, r, "writing the journal", i);
                return;
        }
        if (cc->activate == HPM_ACTIVATE_SLOT)
                r = write_marker(cc, e->slot);
        else if ((r = sibling_path(cc->path, ".hpm-rollback", rollback_path,
                                   sizeof(rollback_path))) >= 0) {
                r = rename(rollback_path, cc->path) < 0 ? -errno : 0;
                if (r >= 0)
                        (void) fsync_parent(cc->path);
        }
        e->phase = HPM_JOURNAL_IDLE;
        if (r < 0) {
                (void) journal_write(h->dir, &job->journal);
                job_fail(job, HPM_CC_ROLLBACK_FAILURE, r, "the rollback step", i);
                return;
        }
        e->rolled_back = true;
        e->has_rollback = false;
        e->has_rollback_version = false;
        r = journal_write(h->dir, &job->journal);
        if (r < 0)
                job_fail(job, HPM_CC_ROLLBACK_FAILURE, r, "writing the journal after the step",
                         i);
}

static void *worker(void *userdata) {
        struct hpm *h = userdata;
        struct hpm_job *job = &h->job;
        uint64_t one = 1;

        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                if (!(job->mask & (1u << i)))
                        continue;
                switch (job->kind) {
                case HPM_JOB_FINISH:
                        job_finish(h, job, i);
                        break;
                case HPM_JOB_ACTIVATE:
                        activate_one(h, job, i);
                        if (job->cc == 0)
                                self_test_one(h, job, i);
                        break;
                case HPM_JOB_ROLLBACK:
                        rollback_one(h, job, i);
                        break;
                case HPM_JOB_NONE:
                        break;
                }
                if (job->cc != 0)
                        break;
        }
        (void) write(h->done_fd, &one, sizeof(one));
        return NULL;
}

static void job_join(struct hpm *h) {
        if (!h->thread_running)
                return;
        (void) pthread_join(h->thread, NULL);
        h->thread_running = false;
}

/* ---- on the loop thread ---- */

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct hpm *h = userdata;
        struct hpm_job *job = &h->job;
        uint64_t v;

        (void) read(fd, &v, sizeof(v));
        job_join(h);
        if (job->cc != 0)
                log_error("HPM.1: %s (answered 0x%02x)", job->message, job->cc);
        h->journal = job->journal;
        switch (job->kind) {
        case HPM_JOB_FINISH:
                for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                        if (job->mask & (1u << i)) {
                                if (job->cc == 0 && !h->upgrade.compare)
                                        h->component[i].upload_complete = true;
                                else
                                        hpm_upload_drop(h, i);
                        }
                hpm_upgrade_finished(&h->upgrade, job->cc);
                break;
        case HPM_JOB_ACTIVATE:
                h->self_test_failed = job->self_test_failed;
                for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                        if (job->mask & (1u << i)) {
                                hpm_upload_drop(h, i);
                                if (job->self_test_failed & (1u << i))
                                        log_error("HPM.1: component %u does not read back as "
                                                  "uploaded after activation", i);
                                else if (job->cc == 0)
                                        log_notice("HPM.1: component %u (%s) activated", i,
                                                   h->component[i].config->name);
                        }
                break;
        case HPM_JOB_ROLLBACK:
                if (job->cc == 0)
                        log_notice("HPM.1: rolled back (components 0x%02x)", job->mask);
                break;
        case HPM_JOB_NONE:
                break;
        }
        hpm_upgrade_end(&h->upgrade, job->cc);
        job->kind = HPM_JOB_NONE;
        return 0;
}

int hpm_job_start(struct hpm *h, enum hpm_job_kind kind, uint8_t mask) {
        int r;

        if (h->thread_running)
                return -EBUSY;
        h->job = (struct hpm_job) { .kind = kind, .mask = mask, .journal = h->journal };
        r = pthread_create(&h->thread, NULL, worker, h);
        if (r != 0) {
                h->job.kind = HPM_JOB_NONE;
                return -r;
        }
        h->thread_running = true;
        return 0;
}

int hpm_current_version(struct hpm *h, unsigned i, struct hpm_version *ret) {
        const struct hpm_component_config *c = h->component[i].config;
        _cleanup_close_ int fd = -EBADF;
        char buf[64] = "";
        ssize_t n;

        *ret = c->version.v;
        if (!c->version_file)
                return 0;
        fd = open(c->version_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) >= 0) {
                buf[n] = '\0';
                if (hpm_version_parse(buf, ret) == 0)
                        return 0;
        }
        /* The configured version stands in; a version-file being rewritten is no error. */
        *ret = c->version.v;
        return 0;
}

void hpm_upload_drop(struct hpm *h, unsigned i) {
        struct hpm_component *c = &h->component[i];
        char name[32];

        c->upload_fd = safe_close(c->upload_fd);
        c->upload_complete = false;
        c->upload_size = 0;
        c->upload_sum = c->sum_before_last = HPM_CHECKSUM_INIT;
        if (c->config->activate != HPM_ACTIVATE_SLOT && h->dir) {
                upload_name(i, name, sizeof(name));
                (void) unlinkat(state_dir_fd(h->dir), name, 0);
        }
}

int hpm_upload_open(struct hpm *h, unsigned i, bool compare, uint32_t *ret_max_size) {
        struct hpm_component *c = &h->component[i];
        const struct hpm_component_config *cc = c->config;
        uint32_t max = cc->max_size;
        struct stat st;
        char name[32];
        int fd, slot;

        hpm_upload_drop(h, i);
        if (compare) {
                *ret_max_size = max;
                return 0;
        }
        if (cc->activate == HPM_ACTIVATE_SLOT) {
                slot = read_marker(cc);
                if (slot < 0)
                        return log_error_errno(slot, "HPM.1: cannot read %s: %m", cc->path);
                c->upload_slot = (uint8_t) !slot;
                fd = open(slot_path(cc, c->upload_slot), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        return log_error_errno(-errno, "HPM.1: cannot open %s: %m",
                                               slot_path(cc, c->upload_slot));
                if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (ftruncate(fd, 0) < 0) {
                                int r = -errno;

                                safe_close(fd);
                                return log_error_errno(r, "HPM.1: cannot truncate %s: %m",
                                                       slot_path(cc, c->upload_slot));
                        }
                } else if (S_ISBLK(st.st_mode)) {
                        uint64_t bytes = 0;

                        if (ioctl(fd, BLKGETSIZE64, &bytes) == 0 && bytes < max)
                                max = (uint32_t) bytes;
                }
        } else {
                upload_name(i, name, sizeof(name));
                (void) unlinkat(state_dir_fd(h->dir), name, 0);
                fd = openat(state_dir_fd(h->dir), name,
                            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return log_error_errno(-errno, "HPM.1: cannot create %s/%s: %m",
                                               state_dir_path(h->dir), name);
        }
        c->upload_fd = fd;
        *ret_max_size = max;
        return 0;
}

int hpm_upload_write(struct hpm *h, unsigned i, uint32_t offset, const uint8_t *d, size_t len,
                     bool repeat) {
        struct hpm_component *c = &h->component[i];
        size_t done = 0;

        while (c->upload_fd >= 0 && done < len) {
                ssize_t n = pwrite(c->upload_fd, d + done, len - done, (off_t) offset + done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        if (repeat)
                c->upload_sum = hpm_checksum_update(c->sum_before_last, d, len);
        else {
                c->sum_before_last = c->upload_sum;
                c->upload_sum = hpm_checksum_update(c->upload_sum, d, len);
        }
        c->upload_size = offset + (uint32_t) len;
        return 0;
}

/* ---- lifecycle ---- */

/* *dst = a copy of src (NULL stays NULL); -ENOMEM leaves *dst NULL. */
static int copy_string(const char *src, char **dst) {
        *dst = src ? strdup(src) : NULL;
        return src && !*dst ? -ENOMEM : 0;
}

int hpm_new(sd_event *e, const struct satmc_config *c, struct hpm **ret) {
        _cleanup_free_ struct hpm *h = NULL;
        uint8_t present = 0;
        int r;

        *ret = NULL;
        if (!hpm_config_enabled(&c->hpm))
                return 0;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->event = sd_event_ref(e);
        h->done_fd = -EBADF;
        h->config = c->hpm;
        /* Nothing borrowed: the strings are copied below, so hpm_free() frees only ours. */
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                struct hpm_component_config *cc = &h->config.component[i];

                cc->version_file = cc->path = cc->slot_a = cc->slot_b = NULL;
                cc->path = cc->command = NULL;
        }
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                struct hpm_component_config *cc = &h->config.component[i];

                h->component[i].upload_fd = -EBADF;
                h->component[i].config = cc;
                h->component[i].upload_sum = HPM_CHECKSUM_INIT;
                if (!cc->present) {
                        memset(cc, 0, sizeof(*cc));
                        continue;
                }
                h->component[i].present = true;
                present |= (uint8_t) (1u << i);
                {
                        const struct hpm_component_config *src = &c->hpm.component[i];

                        r = copy_string(src->version_file, &cc->version_file) |
                            copy_string(src->path, &cc->path) |
                            copy_string(src->slot_a, &cc->slot_a) |
                            copy_string(src->slot_b, &cc->slot_b) |
                            copy_string(src->command, &cc->command);
                }
                if (r < 0) {
                        hpm_free(TAKE_PTR(h));
                        return -ENOMEM;
                }
        }
        hpm_upgrade_init(&h->upgrade, present);
        h->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (h->done_fd < 0) {
                r = -errno;
                hpm_free(TAKE_PTR(h));
                return r;
        }
        r = sd_event_add_io(e, &h->done_source, h->done_fd, EPOLLIN, on_job_done, h);
        if (r < 0) {
                hpm_free(TAKE_PTR(h));
                return r;
        }
        (void) sd_event_source_set_description(h->done_source, "hpm-job");
        *ret = TAKE_PTR(h);
        return 0;
}

/* What a killed satmcd left for component i: finish the bookkeeping of its last step. */
static void recover_one(struct hpm *h, unsigned i) {
        const struct hpm_component_config *cc = h->component[i].config;
        struct hpm_journal_entry *e = &h->journal.component[i];
        char new_path[PATH_MAX], rollback_path[PATH_MAX];
        bool happened;
        int slot;

        if (cc->activate == HPM_ACTIVATE_RENAME &&
            sibling_path(cc->path, ".hpm-new", new_path, sizeof(new_path)) == 0 &&
            sibling_path(cc->path, ".hpm-rollback", rollback_path, sizeof(rollback_path)) == 0) {
                /* The new copy still beside the component: the rename did not happen. */
                happened = access(new_path, F_OK) != 0;
                if (e->phase == HPM_JOURNAL_ROLLING_BACK)
                        happened = access(rollback_path, F_OK) != 0;
                (void) unlink(new_path);
        } else if (cc->activate == HPM_ACTIVATE_SLOT) {
                slot = read_marker(cc);
                happened = slot >= 0 && (unsigned) slot == e->slot;
        } else
                happened = false;       /* the command's outcome is unknown: not counted as done */

        if (e->phase == HPM_JOURNAL_IDLE)
                return;
        if (e->phase == HPM_JOURNAL_ACTIVATING) {
                log_warning("HPM.1: satmcd stopped while activating component %u (%s): %s", i,
                            cc->name, happened ? "the new version is in place" :
                            "the previous version is intact");
                e->rolled_back = !happened;
                if (happened && cc->activate == HPM_ACTIVATE_RENAME)
                        e->has_rollback = cc->rollback && access(rollback_path, F_OK) == 0;
                else if (happened)
                        e->has_rollback = cc->rollback;
        } else {
                log_warning("HPM.1: satmcd stopped while rolling back component %u (%s): %s", i,
                            cc->name, happened ? "rolled back" : "not rolled back");
                if (happened) {
                        e->rolled_back = true;
                        e->has_rollback = false;
                        e->has_rollback_version = false;
                }
        }
        e->phase = HPM_JOURNAL_IDLE;
}

int hpm_start(struct hpm *h, struct state_dir *dir) {
        _cleanup_free_ uint8_t *text = NULL;
        size_t len = 0;
        char name[32];
        int r;

        if (!h)
                return 0;
        h->dir = dir;
        r = state_dir_remove_stale(dir, JOURNAL_TMP);
        if (r < 0)
                return r;
        r = state_dir_read_file(dir, JOURNAL_NAME, HPM_JOURNAL_MAX, &text, &len);
        if (r == -ENOENT)
                memset(&h->journal, 0, sizeof(h->journal));
        else if (r < 0)
                return log_error_errno(r, "HPM.1: cannot read %s/%s: %m", state_dir_path(dir),
                                       JOURNAL_NAME);
        else if (hpm_journal_parse((const char *) text, len, &h->journal) < 0)
                return log_error_errno(-EBADMSG, "HPM.1: %s/%s is damaged; satmcd wrote it "
                                       "atomically, so someone else changed it",
                                       state_dir_path(dir), JOURNAL_NAME);
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                if (!h->component[i].present) {
                        memset(&h->journal.component[i], 0, sizeof(h->journal.component[i]));
                        continue;
                }
                recover_one(h, i);
                /* A staged upload does not survive a restart: the requester starts again. */
                upload_name(i, name, sizeof(name));
                r = state_dir_remove_stale(dir, name);
                if (r < 0)
                        return r;
        }
        r = journal_write(dir, &h->journal);
        if (r < 0)
                return log_error_errno(r, "HPM.1: cannot write %s/%s: %m", state_dir_path(dir),
                                       JOURNAL_NAME);
        return 0;
}

struct hpm *hpm_free(struct hpm *h) {
        if (!h)
                return NULL;
        job_join(h);
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                safe_close(h->component[i].upload_fd);
        sd_event_source_disable_unref(h->done_source);
        safe_close(h->done_fd);
        config_hpm_free(&h->config);
        sd_event_unref(h->event);
        free(h);
        return NULL;
}
