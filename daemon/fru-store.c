/* SPDX-License-Identifier: MIT */
/* FRU devices and their crash-safe backing files. Why rename-over and not two slots: fru-store.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-fru.h"
#include "fru-store.h"
#include "log.h"
#include "macro.h"
#include "protocol/fru.h"
#include "state-dir.h"

#define FRU_DEVICE_SIZE_MAX 65535       /* Get FRU Inventory Area Info: a 16-bit size */
#define FRU_SIZE_ROUND 512

struct fru_device {
        struct fru_store *store;
        unsigned id;
        char name[8];                   /* "fru0" */
        char path[16];                  /* "fru0.bin", in the state directory */
        char tmp_path[24];              /* "fru0.bin.tmp" */
        uint8_t *data;
        uint64_t size;
        bool write_protect;
        bool nbd_writable;
        bool dirty;
};

struct fru_store {
        const struct satmc_config *config;
        struct state_dir *dir;          /* borrowed from the struct manager */
        struct fru_device *devices[CONFIG_FRU_MAX];
        size_t count;
};

static struct fru_device *fru_device_free(struct fru_device *d) {
        if (!d)
                return NULL;
        free(d->data);
        free(d);
        return NULL;
}

int fru_store_new(const struct satmc_config *config, struct fru_store **ret) {
        _cleanup_(fru_store_freep) struct fru_store *s = NULL;

        *ret = NULL;
        for (unsigned id = 0; id < CONFIG_FRU_MAX; id++) {
                const struct fru_config *f = &config->fru[id];
                struct fru_device *d;

                if (!f->present)
                        continue;
                if (!s) {
                        s = calloc(1, sizeof(*s));
                        if (!s)
                                return -ENOMEM;
                        s->config = config;
                }
                d = calloc(1, sizeof(*d));
                if (!d)
                        return -ENOMEM;
                d->store = s;
                d->id = id;
                snprintf(d->name, sizeof(d->name), "fru%u", id);
                snprintf(d->path, sizeof(d->path), "fru%u.bin", id);
                snprintf(d->tmp_path, sizeof(d->tmp_path), "fru%u.bin.tmp", id);
                d->write_protect = f->write_protect;
                d->nbd_writable = f->nbd_writable;
                s->devices[id] = d;
                s->count = id + 1;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

struct fru_store *fru_store_free(struct fru_store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < CONFIG_FRU_MAX; i++)
                fru_device_free(s->devices[i]);
        free(s);
        return NULL;
}

size_t fru_store_count(const struct fru_store *s) {
        return s ? s->count : 0;
}

struct fru_device *fru_store_get(struct fru_store *s, unsigned id) {
        if (!s || id >= CONFIG_FRU_MAX)
                return NULL;
        return s->devices[id];
}

static bool in_bounds(const struct fru_device *d, uint64_t off, size_t len) {
        return off <= d->size && len <= d->size - off;
}

/* ---- persistence ---- */

/* The whole device to fru<N>.bin through fru<N>.bin.tmp (atomic-file.h). */
static int fru_device_persist(struct fru_device *d) {
        return state_dir_replace(d->store->dir, d->path, d->tmp_path, d->data, d->size);
}

int fru_store_flush(struct fru_device *d) {
        int r;

        if (!d->dirty)
                return 0;
        r = fru_device_persist(d);
        if (r < 0)
                return log_error_errno(r, "%s: failed to write %s: %m", d->name, d->path);
        d->dirty = false;
        return 0;
}

int fru_store_flush_all(struct fru_store *s) {
        int ret = 0;

        for (size_t i = 0; i < fru_store_count(s); i++) {
                struct fru_device *d = s->devices[i];
                int r;

                if (!d)
                        continue;
                r = fru_store_flush(d);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/*
 * Apply a change to memory and persist it, or leave memory as it was. The bytes the change
 * overwrites are kept until the flush has succeeded; on failure they are put back and the dirty
 * flag restored, so that a refused request is not persisted later behind the requester's back,
 * while changes made before it (NBD writes not yet flushed) stay in memory and dirty.
 */
static int fru_device_commit(struct fru_device *d, uint64_t off, const void *buf, size_t len,
                             size_t zero_len) {
        _cleanup_free_ uint8_t *old = NULL;
        size_t span = len + zero_len;
        bool was_dirty = d->dirty;
        int r;

        old = malloc(span > 0 ? span : 1);
        if (!old)
                return -ENOMEM;
        memcpy(old, d->data + off, span);
        memcpy(d->data + off, buf, len);
        memset(d->data + off + len, 0, zero_len);
        d->dirty = true;
        r = fru_store_flush(d);         /* logs on failure */
        if (r < 0) {
                memcpy(d->data + off, old, span);
                d->dirty = was_dirty;
        }
        return r;
}

int fru_store_write_durable(struct fru_device *d, uint64_t off, const void *buf, size_t len) {
        if (d->write_protect)
                return -EROFS;
        if (!d->data || !in_bounds(d, off, len))
                return -EINVAL;
        return fru_device_commit(d, off, buf, len, 0);
}

int fru_store_replace_durable(struct fru_device *d, const void *image, size_t len) {
        if (!d->data)
                return -EINVAL;
        if (len > d->size)
                return -EFBIG;
        return fru_device_commit(d, 0, image, len, d->size - len);
}

/* ---- start-up ---- */

static void log_problems(const char *who, const char *what, const struct fru_report *rep,
                         int level) {
        for (size_t i = 0; i < rep->n_problems; i++)
                (void) log_full_errno(level, 0, "%s: %s: offset %zu: %s", who, what,
                                      rep->problems[i].offset, rep->problems[i].message);
        if (rep->n_dropped > 0)
                (void) log_full_errno(level, 0, "%s: %s: %zu more problems", who, what,
                                      rep->n_dropped);
}

/* Read a whole regular file of at most max bytes relative to dir_fd (or absolute). */
static int read_image(int dir_fd, const char *path, size_t max, uint8_t **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t got = 0;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > (off_t) max || st.st_size == 0)
                return -EFBIG;
        buf = malloc((size_t) st.st_size);
        if (!buf)
                return -ENOMEM;
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;    /* shrank under us */
                got += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

/* The image the configuration asks for: built from fields, or read from `file` and checked. */
static int config_image(const struct fru_config *f, const char *name, uint8_t **ret,
                        size_t *ret_len) {
        _cleanup_free_ uint8_t *buf = NULL;
        struct fru_report rep;
        size_t len = 0;
        int r;

        if (f->file) {
                r = read_image(AT_FDCWD, f->file, FRU_DEVICE_SIZE_MAX, &buf, &len);
                if (r == -EFBIG)
                        return log_error_errno(r, "%s: %s is empty or larger than %d bytes.",
                                               name, f->file, FRU_DEVICE_SIZE_MAX);
                if (r < 0)
                        return log_error_errno(r, "%s: failed to read %s: %m", name, f->file);
                if (fru_parse(buf, len, NULL, &rep) > 0) {
                        log_problems(name, f->file, &rep, LOG_ERR);
                        return log_error_errno(EINVAL, "%s: %s is not a valid FRU image.", name,
                                               f->file);
                }
        } else {
                r = config_fru_build_image(f, &buf, &len);
                if (r < 0)      /* config_load() built it once already */
                        return log_error_errno(r, "%s: failed to build the FRU image: %m", name);
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Drop a torn copy, build the configuration's image and derive the device size from it. */
static int fru_device_prepare(struct fru_device *d, const struct fru_config *f, uint8_t **ret,
                              size_t *ret_len) {
        _cleanup_free_ uint8_t *image = NULL;
        size_t image_len = 0;
        int r;

        /* A .tmp is a copy whose rename never happened: the crash came first. Anything but a
         * file of ours under that name stops the start-up (state-dir.h). */
        r = state_dir_remove_stale(d->store->dir, d->tmp_path);
        if (r < 0)
                return r;
        if (r > 0)
                log_notice("%s: removed %s left behind by an interrupted write.", d->name,
                           d->tmp_path);

        r = config_image(f, d->name, &image, &image_len);
        if (r < 0)
                return r;
        if (f->size != 0 && image_len > f->size)
                return log_error_errno(EINVAL, "%s: the %zu-byte image does not fit size = %" PRIu32
                                       ".", d->name, image_len, f->size);
        d->size = f->size != 0 ? f->size
                               : (image_len + FRU_SIZE_ROUND - 1) / FRU_SIZE_ROUND * FRU_SIZE_ROUND;
        if (d->size > FRU_DEVICE_SIZE_MAX)
                d->size = FRU_DEVICE_SIZE_MAX;
        *ret = TAKE_PTR(image);
        *ret_len = image_len;
        return 0;
}

/* The configuration's image, zero-padded to the device, written crash-safely. */
static int fru_device_build(struct fru_device *d, const uint8_t *image, size_t image_len) {
        int r;

        free(d->data);
        d->data = calloc(1, d->size);
        if (!d->data)
                return -ENOMEM;
        memcpy(d->data, image, image_len);
        d->dirty = true;
        r = fru_store_flush(d);
        if (r < 0)
                return r;
        log_info("%s: wrote %s/%s (%zu-byte image, %" PRIu64 "-byte device) from the "
                 "configuration.", d->name, state_dir_path(d->store->dir), d->path,
                 image_len, d->size);
        return 0;
}

/*
 * A FRU device is storage: once fru<N>.bin exists, what it holds is what was written and
 * acknowledged, and it is served as it is, whether or not it parses as a FRU image (a chunked
 * update is invalid half-way through). Only a missing file is built from the configuration (the
 * first start); anything else that cannot be served as it is stops the start-up, and only the
 * operator (satmcd --rebuild-fru=N, or a reload that changes [fru.N]) replaces the contents.
 */
static int fru_device_load(struct fru_device *d, const struct fru_config *f) {
        _cleanup_free_ uint8_t *image = NULL, *backing = NULL;
        const char *dir = state_dir_path(d->store->dir);
        size_t image_len = 0, backing_len = 0;
        struct fru_report rep;
        int r;

        r = fru_device_prepare(d, f, &image, &image_len);
        if (r < 0)
                return r;

        r = state_dir_read_file(d->store->dir, d->path, FRU_DEVICE_SIZE_MAX, &backing,
                                &backing_len);
        if (r == -ENOENT)
                return fru_device_build(d, image, image_len);
        if (r == -EFBIG)
                return log_error_errno(EINVAL, "%s: %s/%s is larger than %d bytes, the "
                                       "device is %" PRIu64 " bytes; refusing to start rather "
                                       "than replace it. Restore the file, or rebuild it from "
                                       "the configuration with satmcd --rebuild-fru=%u.",
                                       d->name, dir, d->path, FRU_DEVICE_SIZE_MAX, d->size,
                                       d->id);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read %s/%s (%m); refusing to start rather "
                                       "than replace it. Fix or restore the file, or rebuild it "
                                       "from the configuration with satmcd --rebuild-fru=%u.",
                                       d->name, dir, d->path, d->id);
        if (backing_len != d->size)
                return log_error_errno(EINVAL, "%s: %s/%s is %zu bytes, but the configuration "
                                       "describes a %" PRIu64 "-byte device; refusing to start "
                                       "rather than replace it. Restore the file or the "
                                       "configured size, or rebuild it from the configuration "
                                       "with satmcd --rebuild-fru=%u.", d->name, dir, d->path,
                                       backing_len, d->size, d->id);

        if (fru_parse(backing, backing_len, NULL, &rep) > 0) {
                log_problems(d->name, d->path, &rep, LOG_WARNING);
                log_warning("%s: %s/%s does not parse as a FRU image; serving it as stored "
                            "(Get Self Test Results reports it). satmcd --rebuild-fru=%u "
                            "rebuilds it from the configuration.", d->name, dir, d->path, d->id);
        } else
                log_info("%s: serving %s (%" PRIu64 " bytes), which holds earlier writes.",
                         d->name, d->path, d->size);
        d->data = TAKE_PTR(backing);
        return 0;
}

int fru_store_open(struct fru_store *s, struct state_dir *dir) {
        int r;

        if (!s)
                return 0;
        s->dir = dir;

        for (size_t i = 0; i < s->count; i++) {
                if (!s->devices[i])
                        continue;
                r = fru_device_load(s->devices[i], &s->config->fru[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int fru_store_rebuild(struct fru_store *s, struct state_dir *dir, unsigned id) {
        _cleanup_free_ uint8_t *image = NULL;
        struct fru_device *d = fru_store_get(s, id);
        size_t image_len = 0;
        int r;

        if (!d)
                return log_error_errno(ENOENT, "There is no [fru.%u] in the configuration.", id);
        s->dir = dir;
        r = fru_device_prepare(d, &s->config->fru[id], &image, &image_len);
        if (r < 0)
                return r;
        return fru_device_build(d, image, image_len);
}

bool fru_device_image_valid(const struct fru_device *d) {
        return d->data && fru_image_valid(d->data, d->size);
}

/* ---- access ---- */

int fru_store_read(struct fru_device *d, uint64_t off, void *buf, size_t len) {
        if (!d->data || !in_bounds(d, off, len))
                return -EINVAL;
        memcpy(buf, d->data + off, len);
        return 0;
}

const void *fru_store_map(const struct fru_device *d, uint64_t off, size_t len) {
        if (!d->data || !in_bounds(d, off, len))
                return NULL;
        return d->data + off;
}

int fru_store_write(struct fru_device *d, uint64_t off, const void *buf, size_t len) {
        if (d->write_protect)
                return -EROFS;
        if (!d->data || !in_bounds(d, off, len))
                return -EINVAL;
        if (len == 0)
                return 0;
        memcpy(d->data + off, buf, len);
        d->dirty = true;
        return 0;
}

uint64_t fru_device_size(const struct fru_device *d) {
        return d->size;
}

const char *fru_device_name(const struct fru_device *d) {
        return d->name;
}

unsigned fru_device_id(const struct fru_device *d) {
        return d->id;
}

bool fru_device_write_protected(const struct fru_device *d) {
        return d->write_protect;
}

bool fru_device_nbd_writable(const struct fru_device *d) {
        return d->nbd_writable;
}

bool fru_device_dirty(const struct fru_device *d) {
        return d->dirty;
}
