/* SPDX-License-Identifier: MIT */
/*
 * What satmc-hw-shim.c shares with its GPIO half, satmc-hw-shim-gpiod1.c or -gpiod2.c (the one
 * for the libgpiod API satmcd is built with): the shim's directory and complaints, the real
 * openat(), and the GPIO file model both APIs are answered from (the top comment of
 * satmc-hw-shim.c). Nothing here includes gpiod.h, so the shared code is the same for both.
 *
 * Hidden: the shim exports only the calls it stands in for, so that no name of its own can
 * interpose on a function of satmcd or of a library it loads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHIM_HIDDEN __attribute__((visibility("hidden")))

/* SATMC_HW_SHIM_DIR, or NULL when unset or empty (then there is no hardware at all). */
SHIM_HIDDEN const char *shim_dir(void);

/* A line on stderr, "satmc-hw-shim: " first: what the shim cannot answer is seen. */
SHIM_HIDDEN void shim_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* openat() past the shim's own (which maps /dev/i2c-N). */
SHIM_HIDDEN int real_openat(int dirfd, const char *path, int flags, mode_t mode);

/* CLOCK_MONOTONIC in nanoseconds: the time of a GPIO call, for the log. Taken before the line's
 * file is written, which a busy file system may hold up, so that the log times satmcd's timers
 * and not the disk. A plain integer, not a struct timespec: this file and the GPIO halves may
 * disagree on its size (satmc-hw-shim.c undefines _TIME_BITS). */
SHIM_HIDDEN int64_t shim_gpio_now(void);

/* Append "<ns> <chip> <offset> <what>" to SATMC_HW_SHIM_GPIO_LOG if set, with one write(). */
SHIM_HIDDEN void shim_gpio_log(const char *chip, unsigned offset, int64_t ns, const char *what);

/* Chip CHIP's label in buf: the first line of DIR/gpio/CHIP/label, or the directory's name where
 * the test wrote none (a real chip's label is its driver's name for it, "pca9555" say). */
SHIM_HIDDEN void shim_gpio_chip_label(const char *chip, char *buf, size_t size);

/* The chip labelled label: its directory's name in chip. 0, or -1 with errno ENOENT. */
SHIM_HIDDEN int shim_gpio_chip_by_label(const char *label, char *chip, size_t size);

/* Whether chip_dir (DIR/gpio/CHIP) has a file for line offset. */
SHIM_HIDDEN bool shim_gpio_line_exists(const char *chip_dir, unsigned offset);

/* The physical level of the line, 0 or 1; -1 with errno (EIO: the file holds neither). */
SHIM_HIDDEN int shim_gpio_level(const char *chip_dir, unsigned offset);

/* Write the physical level (non-zero: 1) to the line's file, a copy renamed over it so that
 * the test never reads half a write. 0, or -1 with errno. */
SHIM_HIDDEN int shim_gpio_drive(const char *chip_dir, unsigned offset, int level);

/* An inotify fd (non-blocking, close-on-exec) readable when a file of chip_dir is written,
 * in place or by a copy renamed over it: the edge events of its lines. -1 with errno. */
SHIM_HIDDEN int shim_gpio_watch(const char *chip_dir);

/* Read all that the watch fd has and add to writes[i] one for each write of line offsets[i]'s
 * file; other files' writes are dropped. 0, or -1 with errno. */
SHIM_HIDDEN int shim_gpio_take_writes(int fd, const unsigned *offsets, unsigned *writes,
                                      size_t n);
