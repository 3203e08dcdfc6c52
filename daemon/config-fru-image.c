/* SPDX-License-Identifier: MIT */
/*
 * The one place a [fru.N] section built from fields becomes a FRU image
 * (config_fru_build_image()): the store at start, --rebuild-fru, reload and the load-time size
 * check all call it, so they cannot build different bytes from the same section.
 */
#include <errno.h>
#include <stdlib.h>

#include "config-fru.h"
#include "macro.h"

/* The builder's view of a section built from fields (f->file unset): the strings stay owned
 * by f, the records by recs. An area is present when any of its keys has a value. */
static void config_fru_info(const struct fru_config *f, const struct config_fru_records *recs,
                            struct fru_info *ret) {
        struct fru_info info = {
                .chassis = {
                        .type = f->chassis_type >= 0 ? (uint8_t) f->chassis_type : 0x02,
                        .part_number = f->chassis_part_number,
                        .serial_number = f->chassis_serial_number,
                        .n_custom = f->chassis_custom.n,
                },
                .board = {
                        .mfg_minutes = f->board_mfg_minutes >= 0 ? (uint32_t) f->board_mfg_minutes
                                                                 : 0,
                        .manufacturer = f->board_manufacturer,
                        .product_name = f->board_product_name,
                        .serial_number = f->board_serial_number,
                        .part_number = f->board_part_number,
                        .file_id = f->board_file_id,
                        .n_custom = f->board_custom.n,
                },
                .product = {
                        .manufacturer = f->product_manufacturer,
                        .name = f->product_name,
                        .part_number = f->product_part_number,
                        .version = f->product_version,
                        .serial_number = f->product_serial_number,
                        .asset_tag = f->product_asset_tag,
                        .file_id = f->product_file_id,
                        .n_custom = f->product_custom.n,
                },
        };

        /* 0x02 is "Unknown" in the SMBIOS chassis type list, for a chassis area without one. */
        for (size_t i = 0; i < f->chassis_custom.n; i++)
                info.chassis.custom[i] = f->chassis_custom.items[i];
        for (size_t i = 0; i < f->board_custom.n; i++)
                info.board.custom[i] = f->board_custom.items[i];
        for (size_t i = 0; i < f->product_custom.n; i++)
                info.product.custom[i] = f->product_custom.items[i];
        info.chassis.present = f->chassis_type >= 0 || f->chassis_part_number ||
                               f->chassis_serial_number || f->chassis_custom.n > 0;
        info.board.present = f->board_mfg_minutes >= 0 || f->board_manufacturer ||
                             f->board_product_name || f->board_serial_number ||
                             f->board_part_number || f->board_file_id || f->board_custom.n > 0;
        info.product.present = f->product_manufacturer || f->product_name ||
                               f->product_part_number || f->product_version ||
                               f->product_serial_number || f->product_asset_tag ||
                               f->product_file_id || f->product_custom.n > 0;
        info.records = recs->records;
        info.n_records = recs->n;
        *ret = info;
}

int config_fru_build_image(const struct fru_config *f, uint8_t **ret, size_t *ret_len) {
        _cleanup_free_ struct config_fru_records *recs = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        struct fru_info info;
        size_t cap;
        ssize_t n;
        int r;

        recs = malloc(sizeof(*recs));
        if (!recs)
                return -ENOMEM;
        r = config_fru_records(f, recs);
        if (r < 0)
                return r;
        config_fru_info(f, recs, &info);
        /* The areas fit FRU_BUILD_MAX; multirecord records come on top. */
        cap = FRU_BUILD_MAX + fru_multirecord_size(recs->records, recs->n);
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        n = fru_build(&info, buf, cap);
        if (n < 0)
                return (int) n;
        *ret = TAKE_PTR(buf);
        *ret_len = (size_t) n;
        return 0;
}
