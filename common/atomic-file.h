/* SPDX-License-Identifier: MIT */
/*
 * Replacing a file so that a crash or power cut at any moment leaves either the old content or
 * the new, whole: write a copy beside it, fsync it, rename it over the file, fsync the
 * directory. Until the rename the old file is untouched; the directory fsync makes the rename
 * itself durable. Used through the state directory (state-dir.h) by the FRU store and the sensor
 * thresholds.
 *
 * The copy is never written through a name that was already there: it is created unnamed
 * (O_TMPFILE) and linked in as tmp_name once it is complete, or, where the filesystem has no
 * O_TMPFILE, created with O_CREAT | O_EXCL | O_NOFOLLOW. A name in the way (a crash leftover, or
 * a hard link or symlink someone planted) is unlinked, which only drops the name, and the link
 * or create retried once.
 */
#pragma once

#include <stddef.h>

/* write() all of buf, retrying on EINTR and short writes. 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Replace name (relative to dir_fd) with buf through tmp_name in the same directory. A
 * successful return means the new content survives a power cut. On failure name is untouched
 * and no tmp_name is left behind (unless only the final directory fsync failed: then the
 * rename happened but may not be durable). Returns 0 or -errno.
 */
int atomic_file_replace(int dir_fd, const char *name, const char *tmp_name, const void *buf,
                        size_t len);
