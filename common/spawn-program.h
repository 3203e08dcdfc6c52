/* SPDX-License-Identifier: MIT */
/*
 * Starting a configured program the one way satmcd starts them all (OEM hooks, PICMG FRU Control
 * and E-keying actions): posix_spawn() with no signal blocked and every signal at its default
 * (satmcd itself blocks the ones sd-event handles, and a child would inherit that), in a process
 * group of its own so that a timeout can kill it whole.
 */
#pragma once

#include <sys/types.h>

/* stdin_fd: >= 0 is dup'ed onto the program's stdin, SPAWN_STDIN_DEV_NULL opens /dev/null there,
 * SPAWN_INHERIT keeps satmcd's; stdout_fd: >= 0 or SPAWN_INHERIT. 0 and *ret_pid, or -errno. */
#define SPAWN_INHERIT (-1)
#define SPAWN_STDIN_DEV_NULL (-2)
int spawn_program(const char *path, char *const argv[], char *const envp[], int stdin_fd,
                  int stdout_fd, pid_t *ret_pid);
