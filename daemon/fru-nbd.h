/* SPDX-License-Identifier: MIT */
/*
 * The FRU devices as NBD exports: one truth. An NBD write lands in the same in-memory image
 * the FRU commands read, and a Write FRU Data is what the next NBD read returns; NBD FLUSH,
 * FUA and a disconnect persist through the store's crash-safe flush.
 */
#pragma once

#include <stddef.h>

#include "fru-store.h"
#include "nbd-server.h"

/* One export per FRU device ("fru0", ...), in device ID order. Writable only where the config
 * says nbd-writable and the device is not write-protected. *ret is malloc'd; the names and
 * userdata point into the store, which must outlive the server. The array has room for one
 * more export after the n filled in (satmcd's "sdr"). */
int fru_nbd_exports(struct fru_store *s, struct nbd_export **ret, size_t *n);
