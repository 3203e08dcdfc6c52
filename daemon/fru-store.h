/* SPDX-License-Identifier: MIT */
/*
 * FRU devices and their crash-safe backing files: the one store both front ends (IPMI Read/Write
 * FRU Data, and the NBD server) read and write.
 *
 * Each configured [fru.N] is a device of `size` bytes, kept in memory and backed by
 * <state-directory>/fru<N>.bin, which holds the whole device. A FRU device is storage: at start-up
 * an existing backing file of the device's size is served as it is, whether or not it parses as a
 * FRU image (a chunked `ipmitool fru write` is invalid half-way through; an image that does not
 * parse is logged and reported by Get Self Test Results, never replaced). Only a missing file is
 * built from the configuration (or read from `file`) and written out: the first start. A backing
 * file that cannot be read or has another size stops the start-up; fru_store_rebuild()
 * (satmcd --rebuild-fru=N) is the operator's way to replace it. docs/durability.md.
 *
 * Persistence is "write a new copy, fsync it, rename it over the old one, fsync the directory"
 * (fru<N>.bin.tmp -> fru<N>.bin). rename() replaces the name atomically, so after a crash at any
 * point the backing file is either the complete old image or the complete new one; a .tmp left
 * behind by a crash is deleted at the next start. Why not two slots (A/B files with sequence
 * numbers)? They buy the same guarantee with more state to get wrong: a slot header, a sequence
 * number, a rule for picking the newer valid slot, and a torn slot that is still "there". The
 * device is at most 64 KiB, so writing a whole new copy per flush costs little, and the
 * atomic-rename pattern is the one filesystems are built to honour (ext4's auto_da_alloc, XFS,
 * btrfs all order the data before the rename once the file is fsync'ed, which we do anyway).
 *
 * Threading: none. The daemon is one sd-event loop; callers are its handlers.
 *
 * API for front ends (IPMI handlers, NBD server):
 *
 *     for (unsigned id = 0; id < fru_store_count(m->fru); id++) {
 *             struct fru_device *d = fru_store_get(m->fru, id);    // NULL: no [fru.<id>]
 *             ...
 *     }
 *
 * fru_store_read()/fru_store_write() change only memory; fru_store_flush() persists (a no-op
 * when nothing changed). The IPMI front end uses fru_store_write_durable() (on disk before the
 * answer, or memory unchanged); an NBD server flushes on NBD_CMD_FLUSH, on FUA writes and when a
 * client disconnects, and the Manager flushes every device before the process ends or is
 * replaced. Errors are negative errno: -EINVAL out of bounds, -EROFS write-protected,
 * -EIO/-ENOSPC/... from flush.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct fru_device;
struct fru_store;
struct state_dir;

/*
 * Set up a store for the configuration's [fru.N] sections, without I/O. *ret is NULL when no
 * FRU device is configured: every function below accepts a NULL store. The store borrows
 * config, which must outlive it.
 */
int fru_store_new(const struct satmc_config *config, struct fru_store **ret);

/*
 * Load every device in dir (the Manager's open and locked state directory, borrowed: it must
 * outlive the store): serve each backing file as stored, build and persist the ones without
 * one, logging each problem found. -errno if any device could not be set up, -EINVAL for a
 * backing file of the wrong size, or if something that is not a file of ours sits at
 * fru<N>.bin or fru<N>.bin.tmp.
 */
int fru_store_open(struct fru_store *s, struct state_dir *dir);

/*
 * The operator's rebuild (satmcd --rebuild-fru=N): replace fru<id>.bin in dir (opened and
 * locked by the caller: state_dir_lock() fails while a satmcd runs on it) crash-safely with the
 * configuration's image, whatever it holds now, without reading it. -ENOENT if there is no
 * [fru.<id>].
 */
int fru_store_rebuild(struct fru_store *s, struct state_dir *dir, unsigned id);

/* Flushes nothing: call fru_store_flush_all() first if unwritten changes matter. */
struct fru_store *fru_store_free(struct fru_store *s);
static inline void fru_store_freep(struct fru_store **s) {
        fru_store_free(*s);
}

/* One more than the highest configured FRU device ID (0 for none/NULL). IDs can have gaps. */
size_t fru_store_count(const struct fru_store *s);
/* The device with this FRU device ID, or NULL if there is none. */
struct fru_device *fru_store_get(struct fru_store *s, unsigned id);
/* Flush every dirty device; returns the first error, after trying all. */
int fru_store_flush_all(struct fru_store *s);

/* Copy len bytes at off. 0, or -EINVAL when [off, off + len) is not inside the device. */
int fru_store_read(struct fru_device *d, uint64_t off, void *buf, size_t len);
/* Where [off, off + len) is in memory, to read without a copy (the NBD export's replies); valid
 * until the device is next written or freed. NULL when the range is not inside the device. */
const void *fru_store_map(const struct fru_device *d, uint64_t off, size_t len);
/* Change memory and mark the device dirty. 0, -EROFS if write-protected, -EINVAL if out of
 * bounds (nothing is written then). */
int fru_store_write(struct fru_device *d, uint64_t off, const void *buf, size_t len);
/* Persist the device if it is dirty. 0 or -errno; the device stays dirty on failure. */
int fru_store_flush(struct fru_device *d);
/* fru_store_write() then fru_store_flush(), all or nothing: if persisting fails, memory and the
 * dirty flag are put back as they were (earlier unflushed changes stay) and -errno returned. */
int fru_store_write_durable(struct fru_device *d, uint64_t off, const void *buf, size_t len);
/* Replace the whole device with image, zero-padded, and persist it, all or nothing like
 * fru_store_write_durable() (configuration reload: the configuration owns the inventory, so
 * write-protect, which guards against IPMI and NBD writers, does not apply). -EFBIG if image
 * is larger than the device. */
int fru_store_replace_durable(struct fru_device *d, const void *image, size_t len);

uint64_t fru_device_size(const struct fru_device *d);
const char *fru_device_name(const struct fru_device *d);        /* "fru0" */
unsigned fru_device_id(const struct fru_device *d);
bool fru_device_write_protected(const struct fru_device *d);
/* [fru.N] nbd-writable: policy for the NBD front end; the store itself only enforces
 * write-protect. */
bool fru_device_nbd_writable(const struct fru_device *d);
bool fru_device_dirty(const struct fru_device *d);
/* Whether the bytes held now parse as a FRU image (protocol/fru.h fru_parse()). */
bool fru_device_image_valid(const struct fru_device *d);
