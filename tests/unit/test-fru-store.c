/* SPDX-License-Identifier: MIT */
/*
 * daemon/fru-store.c against a real temporary state directory: build and persist, the backing
 * file winning over the configuration, a backing file that does not parse served as stored (a
 * FRU device is storage), wrong-sized or unreadable backing files refusing the start instead of
 * being replaced, the operator's rebuild, the state directory lock, a torn .tmp from a crash
 * cleaned up, and crash safety with renameat()/fsync() failing on demand (through -Wl,--wrap):
 * the old image stays intact, no .tmp is left behind, and a durable write that fails leaves
 * memory as it was. Also write-protect, bounds, images from `file`, and a NULL store.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp-dir.h"
#include "test-config-text.h"

#include "common/log.h"
#include "common/state-dir.h"
#include "daemon/config.h"
#include "daemon/fru-store.h"
#include "protocol/fru.h"

/* ---- failure injection ---- */

int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __real_fsync(int fd);
int __wrap_fsync(int fd);

static int fail_rename, fail_fsync;     /* errno to fail with, 0 = pass through */
static unsigned n_renames, n_fsyncs;

int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
        n_renames++;
        if (fail_rename) {
                errno = fail_rename;
                return -1;
        }
        return __real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

int __wrap_fsync(int fd) {
        n_fsyncs++;
        if (fail_fsync) {
                errno = fail_fsync;
                return -1;
        }
        return __real_fsync(fd);
}

/* ---- fixtures ---- */

static char dir[64];
static char path0[128], tmp0[128];

static struct satmc_config *load(const char *extra) {
        return test_config_load(dir, extra);
}

static const char fru_sections[] =
        "[fru.0]\nboard-manufacturer = Acme\nboard-product-name = Widget\n"
        "product-name = Widget Pro\n"
        "[fru.2]\nboard-manufacturer = Acme\nwrite-protect = yes\nsize = 64\n";

struct fixture {
        struct satmc_config *config;
        struct fru_store *store;
        struct state_dir *state;        /* what the Manager opens and lends the store */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        snprintf(dir, sizeof(dir), "/tmp/satmc-fru-store-XXXXXX");
        assert_non_null(mkdtemp(dir));
        /* A subdirectory, so that state_dir_open() has to create it. */
        strcat(dir, "/state");
        snprintf(path0, sizeof(path0), "%s/fru0.bin", dir);
        snprintf(tmp0, sizeof(tmp0), "%s/fru0.bin.tmp", dir);
        fail_rename = fail_fsync = 0;
        f->config = load(fru_sections);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        char parent[64];

        fru_store_free(f->store);
        state_dir_free(f->state);
        config_free(f->config);
        free(f);
        remove_temp_dir(dir);
        snprintf(parent, sizeof(parent), "%s", dir);
        *strrchr(parent, '/') = '\0';
        remove_temp_dir(parent);
        return 0;
}

static struct fru_store *open_store(struct fixture *f) {
        fru_store_free(f->store);
        f->store = NULL;
        f->state = state_dir_free(f->state);
        assert_int_equal(state_dir_open(dir, &f->state), 0);
        assert_int_equal(state_dir_lock(f->state), 0);
        assert_int_equal(fru_store_new(f->config, &f->store), 0);
        assert_non_null(f->store);
        assert_int_equal(fru_store_open(f->store, f->state), 0);
        return f->store;
}

static size_t file_read(const char *p, uint8_t *buf, size_t cap) {
        FILE *in = fopen(p, "re");
        size_t n;

        assert_non_null(in);
        n = fread(buf, 1, cap, in);
        fclose(in);
        return n;
}

static void file_write(const char *p, const void *buf, size_t len) {
        FILE *out = fopen(p, "we");

        assert_non_null(out);
        assert_int_equal(fwrite(buf, 1, len, out), len);
        assert_int_equal(fclose(out), 0);
}

static bool exists(const char *p) {
        return access(p, F_OK) == 0;
}

/* What the configuration builds for [fru.0], padded to the device size. */
static size_t expected_image(const struct fixture *f, uint8_t *buf, size_t size) {
        uint8_t *image = NULL;
        size_t n;

        memset(buf, 0, size);
        assert_int_equal(config_fru_build_image(&f->config->fru[0], &image, &n), 0);
        assert_true(n > 0 && n <= size);
        memcpy(buf, image, n);
        free(image);
        return n;
}

/* ---- tests ---- */

static void test_build_and_persist(void **state) {
        struct fixture *f = *state;
        uint8_t want[512], got[1024], buf[512];
        struct fru_device *d;

        open_store(f);
        assert_int_equal(fru_store_count(f->store), 3);
        assert_null(fru_store_get(f->store, 1));
        assert_null(fru_store_get(f->store, 8));
        d = fru_store_get(f->store, 0);
        assert_non_null(d);
        assert_string_equal(fru_device_name(d), "fru0");
        assert_int_equal(fru_device_id(d), 0);
        assert_int_equal(fru_device_size(d), 512);      /* auto: the image rounded up */
        assert_false(fru_device_nbd_writable(d));
        assert_false(fru_device_write_protected(d));
        assert_false(fru_device_dirty(d));
        assert_int_equal(fru_device_size(fru_store_get(f->store, 2)), 64);

        expected_image(f, want, sizeof(want));
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, want, 512);
        assert_true(fru_image_valid(got, 512));
        assert_int_equal(fru_store_read(d, 0, buf, 512), 0);
        assert_memory_equal(buf, want, 512);
        assert_false(exists(tmp0));
}

/* Writes survive a restart: the backing file wins over the configuration. */
static void test_backing_file_wins(void **state) {
        struct fixture *f = *state;
        uint8_t got[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(fru_store_write(d, 300, "written", 7), 0);
        assert_true(fru_device_dirty(d));
        assert_int_equal(fru_store_flush(d), 0);
        assert_false(fru_device_dirty(d));
        assert_int_equal(fru_store_flush(d), 0);        /* clean: no I/O at all */

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(fru_store_read(d, 300, got, 7), 0);
        assert_memory_equal(got, "written", 7);
}

/* Bug: an image that did not parse (half-way through a chunked `ipmitool fru write`, say) was
 * replaced by the configuration's at the next start, losing acknowledged writes. */
static void test_invalid_backing_kept(void **state) {
        struct fixture *f = *state;
        uint8_t want[512], got[512], stored[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_true(fru_device_image_valid(d));
        assert_int_equal(file_read(path0, stored, sizeof(stored)), 512);
        stored[7] ^= 0xFF;                      /* header checksum */
        stored[300] = 0x5A;
        file_write(path0, stored, 512);

        d = fru_store_get(open_store(f), 0);
        assert_false(fru_device_image_valid(d));
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got, stored, 512);  /* served as stored */
        assert_false(fru_device_dirty(d));
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, stored, 512);  /* and not rewritten */

        /* Writing the valid header back makes it a valid image again. */
        expected_image(f, want, sizeof(want));
        assert_int_equal(fru_store_write_durable(d, 7, want + 7, 1), 0);
        assert_true(fru_device_image_valid(d));
}

/* A backing file of another size, empty, or unreadable is not replaced: the start fails. */
static void test_wrong_size_refused(void **state) {
        struct fixture *f = *state;
        uint8_t want[512], got[1024];
        struct fru_store *s = NULL;
        char sub[160];

        open_store(f);
        fru_store_free(f->store);
        f->store = NULL;
        expected_image(f, want, sizeof(want));

        file_write(path0, want, 100);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_int_equal(fru_store_open(s, f->state), -EINVAL);
        s = fru_store_free(s);
        assert_int_equal(file_read(path0, got, sizeof(got)), 100);
        assert_memory_equal(got, want, 100);

        file_write(path0, "", 0);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_int_equal(fru_store_open(s, f->state), -EINVAL);
        s = fru_store_free(s);
        assert_int_equal(file_read(path0, got, sizeof(got)), 0);

        /* Not a regular file: refused, left alone. */
        assert_int_equal(unlink(path0), 0);
        assert_int_equal(mkdir(path0, 0755), 0);
        snprintf(sub, sizeof(sub), "%s/keep", path0);
        file_write(sub, "x", 1);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_true(fru_store_open(s, f->state) < 0);
        s = fru_store_free(s);
        assert_true(exists(sub));
        assert_int_equal(unlink(sub), 0);
        assert_int_equal(rmdir(path0), 0);
}

/* The operator's way out: fru_store_rebuild() (satmcd --rebuild-fru=N). */
static void test_rebuild(void **state) {
        struct fixture *f = *state;
        uint8_t want[512], got[1024];
        struct fru_store *s = NULL;
        struct state_dir *d = NULL;

        open_store(f);
        expected_image(f, want, sizeof(want));

        /* Not while a running satmcd (f->state) holds the directory. */
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(state_dir_lock(d), -EBUSY);
        d = state_dir_free(d);
        fru_store_free(f->store);
        f->store = NULL;
        f->state = state_dir_free(f->state);

        file_write(path0, "garbage", 7);
        file_write(tmp0, "torn", 4);
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(state_dir_lock(d), 0);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_int_equal(fru_store_rebuild(s, d, 1), -ENOENT);
        assert_int_equal(fru_store_rebuild(s, d, 0), 0);
        s = fru_store_free(s);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, want, 512);
        assert_false(exists(tmp0));

        /* Rebuilt into a directory with no fru0.bin too (the first start, by hand). */
        assert_int_equal(unlink(path0), 0);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_int_equal(fru_store_rebuild(s, d, 0), 0);
        s = fru_store_free(s);
        d = state_dir_free(d);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, want, 512);

        /* And a running store can then be opened on it again. */
        open_store(f);
}

/* Bug: a write whose flush failed stayed in memory, to be persisted by a later flush although
 * its requester was told it failed. */
static void test_write_durable_failure_restores(void **state) {
        struct fixture *f = *state;
        uint8_t before[512], got[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(fru_store_read(d, 0, before, 512), 0);

        fail_rename = ENOSPC;
        assert_int_equal(fru_store_write_durable(d, 400, "new", 3), -ENOSPC);
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got, before, 512);
        assert_false(fru_device_dirty(d));
        fail_fsync = EIO;
        fail_rename = 0;
        assert_int_equal(fru_store_write_durable(d, 400, "new", 3), -EIO);
        assert_false(fru_device_dirty(d));
        fail_fsync = 0;
        assert_int_equal(fru_store_flush(d), 0);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, before, 512);

        /* An earlier unflushed change (an NBD write) stays, dirty; only the failed one goes. */
        assert_int_equal(fru_store_write(d, 100, "nbd", 3), 0);
        fail_rename = EIO;
        assert_int_equal(fru_store_write_durable(d, 400, "new", 3), -EIO);
        assert_true(fru_device_dirty(d));
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got + 100, "nbd", 3);
        assert_memory_equal(got + 400, before + 400, 3);
        fail_rename = 0;

        /* Refused before any I/O: write-protect and bounds. */
        assert_int_equal(fru_store_write_durable(d, 511, "ab", 2), -EINVAL);
        assert_int_equal(fru_store_write_durable(fru_store_get(f->store, 2), 0, "a", 1), -EROFS);

        assert_int_equal(fru_store_write_durable(d, 400, "new", 3), 0);
        assert_false(fru_device_dirty(d));
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got + 100, "nbd", 3);
        assert_memory_equal(got + 400, "new", 3);
}

static void test_replace_durable(void **state) {
        struct fixture *f = *state;
        uint8_t before[512], got[512], img[600];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(fru_store_read(d, 0, before, 512), 0);
        memset(img, 0x11, sizeof(img));

        assert_int_equal(fru_store_replace_durable(d, img, 513), -EFBIG);
        fail_rename = ENOSPC;
        assert_int_equal(fru_store_replace_durable(d, img, 100), -ENOSPC);
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got, before, 512);
        assert_false(fru_device_dirty(d));
        fail_rename = 0;

        /* Write-protect guards against IPMI and NBD writers, not the configuration. */
        assert_int_equal(fru_store_replace_durable(fru_store_get(f->store, 2), img, 10), 0);
        assert_int_equal(fru_store_replace_durable(d, img, 100), 0);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, img, 100);
        memset(before, 0, sizeof(before));
        assert_memory_equal(got + 100, before, 412);
}

/* A crash after the copy was written but before the rename: the .tmp is dropped. */
static void test_torn_tmp_ignored(void **state) {
        struct fixture *f = *state;
        uint8_t want[512], got[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(fru_store_read(d, 0, want, 512), 0);
        file_write(tmp0, "\x01\x00\x01", 3);    /* torn copy */
        fru_store_free(f->store);
        f->store = NULL;

        d = fru_store_get(open_store(f), 0);
        assert_false(exists(tmp0));
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got, want, 512);
}

/* The failure between writing the copy and renaming it: old image intact, nothing left. */
static void test_rename_fails(void **state) {
        struct fixture *f = *state;
        uint8_t before[512], got[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(file_read(path0, before, sizeof(before)), 512);

        assert_int_equal(fru_store_write(d, 400, "new", 3), 0);
        fail_rename = EIO;
        n_renames = 0;
        assert_int_equal(fru_store_flush(d), -EIO);
        assert_int_equal(n_renames, 1);
        assert_true(fru_device_dirty(d));       /* still to be written */
        assert_false(exists(tmp0));
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, before, 512);

        /* Once the disk is back, the next flush persists it. */
        fail_rename = 0;
        assert_int_equal(fru_store_flush(d), 0);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got + 400, "new", 3);
}

static void test_fsync_fails(void **state) {
        struct fixture *f = *state;
        uint8_t before[512], got[512];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        assert_int_equal(file_read(path0, before, sizeof(before)), 512);
        assert_int_equal(fru_store_write(d, 400, "new", 3), 0);
        fail_fsync = ENOSPC;
        n_renames = 0;
        assert_int_equal(fru_store_flush(d), -ENOSPC);
        assert_int_equal(n_renames, 0);         /* never renamed an unsynced copy */
        assert_false(exists(tmp0));
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, before, 512);
        fail_fsync = 0;

        /* And a flush syncs the file and then the directory: two fsyncs. */
        n_fsyncs = 0;
        assert_int_equal(fru_store_flush(d), 0);
        assert_int_equal(n_fsyncs, 2);
}

static void test_write_protect(void **state) {
        struct fixture *f = *state;
        uint8_t a[64], b[64];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 2);
        assert_true(fru_device_write_protected(d));
        assert_int_equal(fru_store_read(d, 0, a, 64), 0);
        assert_int_equal(fru_store_write(d, 0, "xx", 2), -EROFS);
        assert_int_equal(fru_store_write(d, 1000, "xx", 2), -EROFS);
        assert_false(fru_device_dirty(d));
        assert_int_equal(fru_store_read(d, 0, b, 64), 0);
        assert_memory_equal(a, b, 64);
}

static void test_bounds(void **state) {
        struct fixture *f = *state;
        uint8_t buf[600];
        struct fru_device *d;

        d = fru_store_get(open_store(f), 0);
        memset(buf, 0xAA, sizeof(buf));
        assert_int_equal(fru_store_read(d, 511, buf, 1), 0);
        assert_int_equal(fru_store_read(d, 511, buf, 2), -EINVAL);
        assert_int_equal(fru_store_read(d, 0, buf, 513), -EINVAL);
        assert_int_equal(fru_store_read(d, 512, buf, 0), 0);
        assert_int_equal(fru_store_read(d, 513, buf, 0), -EINVAL);
        assert_int_equal(fru_store_read(d, UINT64_MAX, buf, 2), -EINVAL);

        assert_int_equal(fru_store_write(d, 511, "ab", 2), -EINVAL);
        assert_int_equal(fru_store_write(d, UINT64_MAX, "ab", 2), -EINVAL);
        assert_int_equal(fru_store_write(d, 512, "", 0), 0);
        assert_false(fru_device_dirty(d));      /* refused and empty writes change nothing */
        assert_int_equal(fru_store_write(d, 510, "ab", 2), 0);
        assert_true(fru_device_dirty(d));
}

static void test_file_image(void **state) {
        struct fixture *f = *state;
        struct fru_info info = { .board = { .present = true, .manufacturer = "From File" } };
        uint8_t img[FRU_BUILD_MAX], got[1024];
        char *extra = NULL, image_path[128];
        struct fru_store *s = NULL;
        ssize_t n = fru_build(&info, img, sizeof(img));

        assert_true(n > 0);
        snprintf(image_path, sizeof(image_path), "%s.image", dir);
        file_write(image_path, img, (size_t) n);
        config_free(f->config);
        assert_true(asprintf(&extra, "[fru.0]\nfile = %s\n", image_path) > 0);
        f->config = load(extra);
        free(extra);

        open_store(f);
        assert_int_equal(fru_device_size(fru_store_get(f->store, 0)), 512);
        assert_int_equal(file_read(path0, got, sizeof(got)), 512);
        assert_memory_equal(got, img, (size_t) n);

        /* A broken image is refused at start-up, and satmcd with it. */
        f->store = fru_store_free(f->store);
        img[7] ^= 1;
        file_write(image_path, img, (size_t) n);
        (void) unlink(path0);
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_int_equal(fru_store_open(s, f->state), -EINVAL);
        fru_store_free(s);
        (void) unlink(image_path);
}

static void test_no_fru(void **state) {
        struct fixture *f = *state;
        struct fru_store *s = (struct fru_store *) 0x1;

        config_free(f->config);
        f->config = load("");
        assert_int_equal(fru_store_new(f->config, &s), 0);
        assert_null(s);
        assert_int_equal(fru_store_open(s, NULL), 0);
        assert_int_equal(fru_store_count(s), 0);
        assert_null(fru_store_get(s, 0));
        assert_int_equal(fru_store_flush_all(s), 0);
        assert_null(fru_store_free(s));
        assert_false(exists(dir));              /* no FRU, no state directory */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_build_and_persist, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backing_file_wins, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_backing_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_size_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_durable_failure_restores, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace_durable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_torn_tmp_ignored, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rename_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fsync_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_protect, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_fru, setup, teardown),
        };

        log_set_max_level(LOG_CRIT);            /* the store logs what these tests provoke */
        return cmocka_run_group_tests_name("fru-store", tests, NULL, NULL);
}
