/* SPDX-License-Identifier: MIT */
/*
 * common/state-dir.c against a real temporary directory, one trick per test: a symlinked
 * fru0.bin pointing outside, a FIFO as fru0.bin and as sensors.state (under a deadline: a
 * blocking open would hang here forever), a device node, a hard-linked fru0.bin and
 * fru0.bin.tmp whose target outside must stay untouched after a write (with O_TMPFILE and with
 * the O_EXCL fallback, forced through -Wl,--wrap=openat64, and linked through /proc/self/fd as
 * without CAP_DAC_READ_SEARCH, through --wrap=linkat), a state directory that is a symlink,
 * is group- or world-writable or foreign-owned (root only: skipped visibly otherwise), and what
 * must still work: a missing directory created 0750, a stale .tmp of ours removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/state-dir.h"
#include "daemon/config.h"
#include "daemon/fru-store.h"
#include "daemon/sensors.h"
#include "test-config-text.h"

/* ---- O_TMPFILE on demand (the fallback path) ---- */

/* With -D_FILE_OFFSET_BITS=64 glibc's <fcntl.h> sends openat() calls to openat64. */

int __real_openat64(int dirfd, const char *path, int flags, ...);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);

static bool no_tmpfile;                 /* O_TMPFILE fails with EOPNOTSUPP, as on old filesystems */
static unsigned n_tmpfile_opens, n_excl_opens;

int __wrap_openat64(int dirfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
                va_list ap;

                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        if ((flags & O_TMPFILE) == O_TMPFILE) {
                n_tmpfile_opens++;
                if (no_tmpfile) {
                        errno = EOPNOTSUPP;
                        return -1;
                }
        }
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                n_excl_opens++;
        return __real_openat64(dirfd, path, flags, mode);
}

/* linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which satmcd under its unit
 * does not have: fail it as the kernel does then (ENOENT), so that /proc/self/fd is used. */
int __real_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                  int flags);
int __wrap_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                  int flags);

static bool no_empty_path;
static unsigned n_proc_links;

int __wrap_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                  int flags) {
        if ((flags & AT_EMPTY_PATH) && no_empty_path) {
                errno = ENOENT;
                return -1;
        }
        if (strncmp(oldpath, "/proc/self/fd/", 14) == 0)
                n_proc_links++;
        return __real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* ---- a deadline for what must not block ---- */

static void on_deadline(int sig) {
        static const char msg[] = "deadline passed: blocked opening a planted file\n";

        (void) sig;
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(2);
}

static void deadline_start(void) {
        signal(SIGALRM, on_deadline);
        alarm(20);                      /* an open that does not block returns in microseconds */
}

static void deadline_end(void) {
        alarm(0);
}

/* ---- fixtures ---- */

static char top[64], dir[96], outside[96];
static const char outside_bytes[] = "not satmcd's: must never change\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void file_write(const char *p, const void *buf, size_t len) {
        FILE *out = fopen(p, "we");

        assert_non_null(out);
        assert_int_equal(fwrite(buf, 1, len, out), len);
        assert_int_equal(fclose(out), 0);
}

static size_t file_read(const char *p, void *buf, size_t cap) {
        FILE *in = fopen(p, "re");
        size_t n;

        assert_non_null(in);
        n = fread(buf, 1, cap, in);
        fclose(in);
        return n;
}

static void assert_outside_untouched(void) {
        char got[256];
        struct stat st;

        assert_int_equal(file_read(outside, got, sizeof(got)), sizeof(outside_bytes) - 1);
        assert_memory_equal(got, outside_bytes, sizeof(outside_bytes) - 1);
        assert_int_equal(lstat(outside, &st), 0);
        assert_true(S_ISREG(st.st_mode));
}

static char *in_dir(const char *name) {
        static char buf[2][160];
        static unsigned i;

        i ^= 1;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
        return buf[i];
}

static int setup(void **state) {
        (void) state;
        snprintf(top, sizeof(top), "/tmp/satmc-state-dir-XXXXXX");
        assert_non_null(mkdtemp(top));
        snprintf(dir, sizeof(dir), "%s/state", top);
        snprintf(outside, sizeof(outside), "%s/outside", top);
        file_write(outside, outside_bytes, sizeof(outside_bytes) - 1);
        assert_int_equal(mkdir(dir, 0750), 0);
        assert_int_equal(chmod(dir, 0750), 0);
        no_tmpfile = no_empty_path = false;
        n_tmpfile_opens = n_excl_opens = n_proc_links = 0;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        (void) nftw(top, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static struct satmc_config *load(const char *extra) {
        return test_config_load(dir, extra);
}

#define FRU0 "[fru.0]\nboard-manufacturer = Acme\nboard-product-name = Widget\n"
#define SENSOR0 "[sensor.0]\nname = Board Temp\ntype = temperature\nrange = -40..125\n" \
                "upper-critical = 85\n"

/* fru_store_open() on dir as the Manager does it: its result. */
static int open_fru_store(void) {
        struct satmc_config *c = load(FRU0);
        struct fru_store *s = NULL;
        struct state_dir *d = NULL;
        int r;

        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(fru_store_new(c, &s), 0);
        r = fru_store_open(s, d);
        fru_store_free(s);
        state_dir_free(d);
        config_free(c);
        return r;
}

/* sensor_table_start() on dir: its result. */
static int start_sensors(void) {
        struct satmc_config *c = load(SENSOR0);
        struct sensor_table *s = NULL;
        struct state_dir *d = NULL;
        sd_event *event = NULL;
        int r;

        assert_int_equal(sd_event_new(&event), 0);
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(sensor_table_new(c, &s), 0);
        r = sensor_table_start(s, event, d, NULL);
        sensor_table_free(s);
        state_dir_free(d);
        sd_event_unref(event);
        config_free(c);
        return r;
}

/* ---- the directory ---- */

static void test_dir_created_0750(void **state) {
        struct state_dir *d = NULL;
        struct stat st;

        (void) state;
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_string_equal(state_dir_path(d), dir);
        assert_true(state_dir_fd(d) >= 0);
        state_dir_free(d);
        /* And what satmcd made, satmcd accepts again. */
        assert_int_equal(state_dir_open(dir, &d), 0);
        state_dir_free(d);
}

static void test_dir_symlink(void **state) {
        struct state_dir *d = NULL;
        char link[128];

        (void) state;
        snprintf(link, sizeof(link), "%s/link", top);
        assert_int_equal(symlink(dir, link), 0);
        assert_int_equal(state_dir_open(link, &d), -ELOOP);
        assert_null(d);
        /* A dangling one is not created through either. */
        assert_int_equal(unlink(link), 0);
        assert_int_equal(symlink("/nonexistent/satmc-elsewhere", link), 0);
        assert_int_equal(state_dir_open(link, &d), -ELOOP);
        assert_int_equal(access("/nonexistent/satmc-elsewhere", F_OK), -1);
}

static void test_dir_writable_by_others(void **state) {
        struct state_dir *d = NULL;

        (void) state;
        assert_int_equal(chmod(dir, 0770), 0);
        assert_int_equal(state_dir_open(dir, &d), -EPERM);
        assert_int_equal(chmod(dir, 0757), 0);
        assert_int_equal(state_dir_open(dir, &d), -EPERM);
        assert_int_equal(chmod(dir, 01777), 0);         /* sticky does not make it ours */
        assert_int_equal(state_dir_open(dir, &d), -EPERM);
        assert_null(d);
        assert_int_equal(chmod(dir, 0755), 0);          /* readable by all is fine */
        assert_int_equal(state_dir_open(dir, &d), 0);
        state_dir_free(d);
}

static void test_dir_not_a_directory(void **state) {
        struct state_dir *d = NULL;

        (void) state;
        assert_int_equal(rmdir(dir), 0);
        file_write(dir, "x", 1);
        assert_int_equal(state_dir_open(dir, &d), -ENOTDIR);
        assert_null(d);
}

static void test_foreign_owner(void **state) {
        struct state_dir *d = NULL;
        int fd = -1;

        (void) state;
        if (geteuid() != 0) {
                print_message("needs root to chown to 65534\n");
                skip();
        }
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(state_dir_open(dir, &d), -EPERM);
        assert_int_equal(chown(dir, 0, 0), 0);

        file_write(in_dir("fru0.bin"), "x", 1);
        assert_int_equal(chown(in_dir("fru0.bin"), 65534, 65534), 0);
        assert_int_equal(open_fru_store(), -EPERM);
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(state_dir_open_file(d, "fru0.bin", &fd), -EPERM);
        /* Nor is a foreign stale copy removed: it is not ours to judge. */
        file_write(in_dir("fru0.bin.tmp"), "x", 1);
        assert_int_equal(chown(in_dir("fru0.bin.tmp"), 65534, 65534), 0);
        assert_int_equal(state_dir_remove_stale(d, "fru0.bin.tmp"), -EPERM);
        assert_int_equal(access(in_dir("fru0.bin.tmp"), F_OK), 0);
        state_dir_free(d);
}

/* ---- files in it ---- */

static void test_symlinked_fru_outside(void **state) {
        (void) state;
        assert_int_equal(symlink(outside, in_dir("fru0.bin")), 0);
        assert_int_equal(open_fru_store(), -ELOOP);
        assert_outside_untouched();
}

static void test_fifo_fru(void **state) {
        (void) state;
        assert_int_equal(mkfifo(in_dir("fru0.bin"), 0600), 0);
        deadline_start();
        assert_int_equal(open_fru_store(), -EBADFD);
        deadline_end();
}

static void test_fifo_sensors_state(void **state) {
        (void) state;
        assert_int_equal(mkfifo(in_dir("sensors.state"), 0600), 0);
        deadline_start();
        assert_int_equal(start_sensors(), -EBADFD);
        deadline_end();
        /* And as the tmp name: not removed as a leftover, refused. */
        assert_int_equal(rename(in_dir("sensors.state"), in_dir("sensors.state.tmp")), 0);
        deadline_start();
        assert_int_equal(start_sensors(), -EBADFD);
        deadline_end();
}

static void test_device_node(void **state) {
        (void) state;
        if (geteuid() != 0) {
                print_message("needs root to mknod\n");
                skip();
        }
        assert_int_equal(mknod(in_dir("fru0.bin"), S_IFCHR | 0600, makedev(1, 3)), 0);
        assert_int_equal(open_fru_store(), -EBADFD);
}

static void test_directory_as_files(void **state) {
        (void) state;
        assert_int_equal(mkdir(in_dir("fru0.bin"), 0700), 0);
        assert_int_equal(open_fru_store(), -EISDIR);
        assert_int_equal(rmdir(in_dir("fru0.bin")), 0);
        assert_int_equal(mkdir(in_dir("fru0.bin.tmp"), 0700), 0);
        assert_int_equal(open_fru_store(), -EISDIR);
        assert_int_equal(mkdir(in_dir("sensors.state"), 0700), 0);
        assert_int_equal(start_sensors(), -EISDIR);
}

static void test_hardlinked_fru(void **state) {
        (void) state;
        assert_int_equal(link(outside, in_dir("fru0.bin")), 0);
        assert_int_equal(open_fru_store(), -EMLINK);
        assert_outside_untouched();
}

/* The planted tmp name is unlinked, never written through; fru0.bin gets the new bytes. */
static void check_replace_through_hardlinked_tmp(void) {
        struct state_dir *d = NULL;
        char got[64];
        struct stat st;

        assert_int_equal(state_dir_open(dir, &d), 0);
        file_write(in_dir("fru0.bin"), "old", 3);
        assert_int_equal(link(outside, in_dir("fru0.bin.tmp")), 0);
        assert_int_equal(state_dir_replace(d, "fru0.bin", "fru0.bin.tmp", "new image", 9), 0);
        assert_outside_untouched();
        assert_int_equal(file_read(in_dir("fru0.bin"), got, sizeof(got)), 9);
        assert_memory_equal(got, "new image", 9);
        assert_int_equal(stat(in_dir("fru0.bin"), &st), 0);
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(access(in_dir("fru0.bin.tmp"), F_OK), -1);
        /* A symlink in the way is no different. */
        assert_int_equal(symlink(outside, in_dir("fru0.bin.tmp")), 0);
        assert_int_equal(state_dir_replace(d, "fru0.bin", "fru0.bin.tmp", "newer", 5), 0);
        assert_outside_untouched();
        assert_int_equal(file_read(in_dir("fru0.bin"), got, sizeof(got)), 5);
        state_dir_free(d);
}

static void test_hardlinked_tmp_tmpfile(void **state) {
        (void) state;
        check_replace_through_hardlinked_tmp();
        assert_true(n_tmpfile_opens > 0);
        assert_int_equal(n_excl_opens, 0);
}

static void test_hardlinked_tmp_unprivileged(void **state) {
        (void) state;
        no_empty_path = true;
        check_replace_through_hardlinked_tmp();
        assert_true(n_proc_links > 0);
        assert_int_equal(n_excl_opens, 0);
}

static void test_hardlinked_tmp_excl(void **state) {
        (void) state;
        no_tmpfile = true;
        check_replace_through_hardlinked_tmp();
        assert_true(n_excl_opens > 0);
}

/* The same trick through the FRU store: planted while it runs, before a flush. */
static void test_hardlinked_tmp_fru_store(void **state) {
        struct satmc_config *c = load(FRU0);
        struct fru_store *s = NULL;
        struct state_dir *d = NULL;
        struct fru_device *dev;
        uint8_t got[512];

        (void) state;
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(fru_store_new(c, &s), 0);
        assert_int_equal(fru_store_open(s, d), 0);
        dev = fru_store_get(s, 0);
        assert_int_equal(link(outside, in_dir("fru0.bin.tmp")), 0);
        assert_int_equal(fru_store_write(dev, 300, "written", 7), 0);
        assert_int_equal(fru_store_flush(dev), 0);
        assert_outside_untouched();
        assert_int_equal(file_read(in_dir("fru0.bin"), got, sizeof(got)), 512);
        assert_memory_equal(got + 300, "written", 7);
        fru_store_free(s);
        state_dir_free(d);
        config_free(c);
}

static void test_stale_tmp_removed(void **state) {
        struct state_dir *d = NULL;

        (void) state;
        file_write(in_dir("fru0.bin.tmp"), "\x01\x00\x01", 3);
        assert_int_equal(open_fru_store(), 0);
        assert_int_equal(access(in_dir("fru0.bin.tmp"), F_OK), -1);
        file_write(in_dir("sensors.state.tmp"), "0 none", 6);
        assert_int_equal(start_sensors(), 0);
        assert_int_equal(access(in_dir("sensors.state.tmp"), F_OK), -1);
        /* A hard-linked leftover: only the name goes. */
        assert_int_equal(link(outside, in_dir("fru0.bin.tmp")), 0);
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(state_dir_remove_stale(d, "fru0.bin.tmp"), 1);
        assert_int_equal(state_dir_remove_stale(d, "fru0.bin.tmp"), 0);
        assert_outside_untouched();
        /* A symlink is refused and left for the operator to look at. */
        assert_int_equal(symlink(outside, in_dir("fru0.bin.tmp")), 0);
        assert_int_equal(state_dir_remove_stale(d, "fru0.bin.tmp"), -ELOOP);
        state_dir_free(d);
        assert_int_equal(open_fru_store(), -ELOOP);
}

static void test_read_file(void **state) {
        struct state_dir *d = NULL;
        uint8_t *buf = NULL;
        size_t len = 99;

        (void) state;
        assert_int_equal(state_dir_open(dir, &d), 0);
        assert_int_equal(state_dir_read_file(d, "missing", 100, &buf, &len), -ENOENT);
        file_write(in_dir("f"), "hello", 5);
        assert_int_equal(state_dir_read_file(d, "f", 4, &buf, &len), -EFBIG);
        assert_null(buf);
        assert_int_equal(state_dir_read_file(d, "f", 5, &buf, &len), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(buf, "hello", 5);
        free(buf);
        file_write(in_dir("empty"), "", 0);
        assert_int_equal(state_dir_read_file(d, "empty", 5, &buf, &len), 0);
        assert_non_null(buf);
        assert_int_equal(len, 0);
        free(buf);
        state_dir_free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_dir_created_0750, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_writable_by_others, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_not_a_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_foreign_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlinked_fru_outside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fifo_fru, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fifo_sensors_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_node, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory_as_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hardlinked_fru, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hardlinked_tmp_tmpfile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hardlinked_tmp_unprivileged, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hardlinked_tmp_excl, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hardlinked_tmp_fru_store, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_tmp_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
        };

        log_set_max_level(LOG_CRIT);            /* the refusals log what these tests provoke */
        umask(022);                             /* the modes asserted are satmcd's own */
        return cmocka_run_group_tests_name("state-dir", tests, NULL, NULL);
}
