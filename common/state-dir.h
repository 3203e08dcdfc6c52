/* SPDX-License-Identifier: MIT */
/*
 * The state directory ([storage] state-directory): opened once, by the Manager, before satmcd
 * attaches to the bus, and trusted for nothing it holds.
 *
 * Everything in it is worked relative to the one directory fd, never by path, so a directory
 * swapped or symlinked after the start is not followed. The directory must be a real directory
 * (not a symlink), owned by satmcd's effective user or root, and writable by nobody else: whoever
 * can write to it can plant names in it. Files are opened with O_NOFOLLOW | O_NONBLOCK (a FIFO
 * must not hang the daemon) and then checked with fstat(): a regular file, owned by us or root,
 * with one link. Anything else where satmcd's files belong (fru<N>.bin, sensors.state and their
 * .tmp names) is refused with a message naming the file and what it is.
 *
 * Replacing a file never opens an existing name for writing: the new copy is created unnamed
 * (O_TMPFILE) and linked in, or created with O_EXCL, so a name planted in the way (a hard link
 * to a file elsewhere, a symlink) is unlinked, never written through. atomic-file.h has the
 * crash-safety argument.
 *
 * Per instance, no globals. What is refused is logged here, with the path and the reason (the
 * callers add what they were doing); state_dir_replace() leaves its -errno to the caller to log.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct state_dir;

/*
 * Create path if it is missing (one level, mode 0750: only satmcd and its group read it; the BMC
 * reads nothing there directly), open it (O_DIRECTORY | O_NOFOLLOW) and check it: a directory,
 * owned by our euid or root, not group- or world-writable. Logs and returns -errno when it is
 * not fit (-ELOOP symlink, -ENOTDIR, -EPERM owner or mode).
 */
int state_dir_open(const char *path, struct state_dir **ret);
/*
 * One satmcd (or satmcd --rebuild-fru) per state directory: a rebuild under a running daemon
 * would be overwritten by its next flush. An flock on the directory, held until state_dir_free()
 * or the end of the process (SIGKILL included) and dropped at exec (Cold Reset: the fd is
 * O_CLOEXEC). -EBUSY (logged) if another process holds it.
 */
int state_dir_lock(struct state_dir *d);
struct state_dir *state_dir_free(struct state_dir *d);
static inline void state_dir_freep(struct state_dir **d) {
        state_dir_free(*d);
}

const char *state_dir_path(const struct state_dir *d);
int state_dir_fd(const struct state_dir *d);

/*
 * Open name for reading (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) and check it
 * is a regular file owned by us or root with a single link. The fd in *ret_fd. -ENOENT (not
 * logged) when there is none; otherwise logged: -ELOOP symlink, -EISDIR directory, -EBADFD FIFO,
 * device or socket, -EPERM foreign owner, -EMLINK more than one link.
 */
int state_dir_open_file(struct state_dir *d, const char *name, int *ret_fd);

/*
 * The whole of name, checked as state_dir_open_file(). -EFBIG (not logged: the caller knows
 * what the limit means) when it is larger than max bytes. *ret is never NULL on success, also
 * for an empty file (*ret_len 0).
 */
int state_dir_read_file(struct state_dir *d, const char *name, size_t max, uint8_t **ret,
                        size_t *ret_len);

/*
 * A stale copy left by a crash (a .tmp name): removed if it is a regular file owned by us or root
 * (a hard link included: unlinking only drops the name). 0 none, 1 removed, -errno (logged) when
 * it is anything else (a symlink, FIFO, device, directory, foreign file): refuse to start.
 */
int state_dir_remove_stale(struct state_dir *d, const char *name);

/* Replace name with buf crash-safely through tmp_name (atomic-file.h). 0 or -errno. */
int state_dir_replace(struct state_dir *d, const char *name, const char *tmp_name,
                      const void *buf, size_t len);
