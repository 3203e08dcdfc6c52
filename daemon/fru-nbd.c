/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "fru-nbd.h"

static uint64_t export_size(void *d) {
        return fru_device_size(d);
}

static int export_read(void *d, uint64_t off, void *buf, size_t len) {
        return fru_store_read(d, off, buf, len);
}

static const void *export_map(void *d, uint64_t off, size_t len) {
        return fru_store_map(d, off, len);
}

static int export_write(void *d, uint64_t off, const void *buf, size_t len) {
        int r = fru_store_write(d, off, buf, len);

        /* The server checked the range and the export's writability; EROFS cannot happen
         * unless the two disagree, and NBD says EPERM for it. */
        return r == -EROFS ? -EPERM : r;
}

static int export_flush(void *d) {
        return fru_store_flush(d);
}

static const struct nbd_export_ops fru_export_ops = {
        .size = export_size,
        .read = export_read,
        .write = export_write,
        .flush = export_flush,
        .map = export_map,
};

int fru_nbd_exports(struct fru_store *s, struct nbd_export **ret, size_t *n) {
        struct nbd_export *e;
        size_t count = 0;

        e = calloc(fru_store_count(s) + 1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        for (unsigned id = 0; id < fru_store_count(s); id++) {
                struct fru_device *d = fru_store_get(s, id);

                if (!d)
                        continue;
                e[count++] = (struct nbd_export) {
                        .name = fru_device_name(d),
                        .description = "FRU inventory device",
                        .writable = fru_device_nbd_writable(d) && !fru_device_write_protected(d),
                        .ops = &fru_export_ops,
                        .userdata = d,
                };
        }
        *ret = e;
        *n = count;
        return 0;
}
