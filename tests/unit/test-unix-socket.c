/* SPDX-License-Identifier: MIT */
/*
 * unix_socket_listen(): the socket file gets exactly the mode asked for whatever the umask
 * (0660 at umask 000 and at umask 077), and only a socket file nobody listens on is ever
 * replaced: a live socket, a regular file, a symlink or a directory at the path are refused
 * and left exactly as they were.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "transport/unix-socket.h"

struct fixture {
        char dir[64], path[96], other[96];
};

static struct fixture fx;

static int setup(void **state) {
        strcpy(fx.dir, "/tmp/satmc-test-unix-XXXXXX");
        assert_non_null(mkdtemp(fx.dir));
        snprintf(fx.path, sizeof(fx.path), "%s/s.sock", fx.dir);
        snprintf(fx.other, sizeof(fx.other), "%s/other", fx.dir);
        *state = &fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        (void) unlink(f->path);
        (void) unlink(f->other);
        (void) rmdir(f->path);
        assert_int_equal(rmdir(f->dir), 0);
        return 0;
}

static mode_t mode_of(const char *path) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        return st.st_mode & 07777;
}

static void listen_under_umask(struct fixture *f, mode_t mask, mode_t mode) {
        mode_t saved = umask(mask);
        int fd = unix_socket_listen(f->path, mode);

        umask(saved);
        assert_true(fd >= 0);
        assert_int_equal(mode_of(f->path), mode);
        close(fd);
        assert_int_equal(unlink(f->path), 0);
}

static void test_mode_whatever_the_umask(void **state) {
        struct fixture *f = *state;

        listen_under_umask(f, 0000, 0660);      /* would be 0777 from the umask alone */
        listen_under_umask(f, 0077, 0660);      /* would lose the group's bits */
        listen_under_umask(f, 0022, 0600);
        listen_under_umask(f, 0000, 0666);
}

static void write_file(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

static void test_regular_file_is_left_alone(void **state) {
        struct fixture *f = *state;
        char buf[32] = {};
        int fd;

        write_file(f->path, "precious");
        assert_int_equal(unix_socket_listen(f->path, 0660), -ENOTSOCK);
        fd = open(f->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof(buf) - 1), 8);
        close(fd);
        assert_string_equal(buf, "precious");
}

static void test_symlink_is_left_alone(void **state) {
        struct fixture *f = *state;
        struct stat st;

        write_file(f->other, "target");
        assert_int_equal(symlink(f->other, f->path), 0);
        assert_int_equal(unix_socket_listen(f->path, 0660), -ENOTSOCK);
        assert_int_equal(lstat(f->path, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(lstat(f->other, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        /* A dangling symlink too: bind() must not create its target. */
        assert_int_equal(unlink(f->other), 0);
        assert_int_equal(unix_socket_listen(f->path, 0660), -ENOTSOCK);
        assert_int_equal(lstat(f->other, &st), -1);
}

static void test_directory_is_left_alone(void **state) {
        struct fixture *f = *state;
        struct stat st;

        assert_int_equal(mkdir(f->path, 0755), 0);
        assert_int_equal(unix_socket_listen(f->path, 0660), -ENOTSOCK);
        assert_int_equal(stat(f->path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void test_live_socket_is_kept(void **state) {
        struct fixture *f = *state;
        int live = unix_socket_listen(f->path, 0660);

        assert_true(live >= 0);
        assert_int_equal(unix_socket_listen(f->path, 0600), -EADDRINUSE);
        assert_int_equal(mode_of(f->path), 0660);
        /* Still the live one's: a client gets through to it. */
        int c = unix_socket_connect(f->path, SOCK_STREAM);
        assert_true(c >= 0);
        close(c);
        close(live);
}

static void test_stale_socket_is_replaced(void **state) {
        struct fixture *f = *state;
        int dead = unix_socket_listen(f->path, 0600), fd, c;

        assert_true(dead >= 0);
        close(dead);                            /* the file stays: a crashed server's */
        fd = unix_socket_listen(f->path, 0660);
        assert_true(fd >= 0);
        assert_int_equal(mode_of(f->path), 0660);
        c = unix_socket_connect(f->path, SOCK_STREAM);
        assert_true(c >= 0);
        close(c);
        close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_mode_whatever_the_umask, setup, teardown),
                cmocka_unit_test_setup_teardown(test_regular_file_is_left_alone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_is_left_alone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory_is_left_alone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_live_socket_is_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_socket_is_replaced, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
