/* SPDX-License-Identifier: MIT */
/*
 * Each line satmcd writes to stderr arrives in one write(2) once log_stderr_whole_lines() ran,
 * so that another process sharing the terminal or the pipe cannot cut it (common/log.c). A
 * child writes with its stderr on a SOCK_SEQPACKET socket, which keeps every write(2) as one
 * message: each message the parent receives must be exactly one whole line. Without the call,
 * glibc 2.37 and later (Debian 13) send the long lines in pieces and this fails; Debian 12's
 * glibc writes them whole either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"

#define LONG_WORD_LEN 300

/* In the child: what the daemon does, a log line and a counters-style fprintf, both long. */
static void write_lines(const char *word) {
        log_info("first: %s %s %d", word, word, 1);
        fprintf(stderr, "second: %s=%u %s=%u\n", word, 2u, word, 3u);
        log_warning("third, short");
}

static void test_each_line_one_write(void **state) {
        char word[LONG_WORD_LEN + 1];
        char want[3][2048];
        int sv[2];
        pid_t pid;
        int status;

        (void) state;
        memset(word, 'w', LONG_WORD_LEN);
        word[LONG_WORD_LEN] = '\0';
        snprintf(want[0], sizeof(want[0]), "first: %s %s 1\n", word, word);
        snprintf(want[1], sizeof(want[1]), "second: %s=2 %s=3\n", word, word);
        snprintf(want[2], sizeof(want[2]), "third, short\n");

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(sv[0]);
                if (dup2(sv[1], STDERR_FILENO) < 0)
                        _exit(2);
                unsetenv("JOURNAL_STREAM");     /* plain stderr, never the journal */
                log_stderr_whole_lines();
                write_lines(word);
                exit(0);                        /* flushes: nothing may be left behind */
        }
        close(sv[1]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        for (int i = 0; i < 3; i++) {
                char got[4096];
                ssize_t n = recv(sv[0], got, sizeof(got) - 1, MSG_DONTWAIT);

                assert_true(n > 0);
                got[n] = '\0';
                /* One write(2) per line: the message is the whole line, no more, no less. */
                assert_string_equal(got, want[i]);
        }
        assert_int_equal(recv(sv[0], (char[1]) { 0 }, 1, MSG_DONTWAIT), 0);   /* then EOF */
        close(sv[0]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_each_line_one_write),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
