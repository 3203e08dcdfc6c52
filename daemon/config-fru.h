/* SPDX-License-Identifier: MIT */
/* A [fru.N] section built from fields, as the protocol/fru.h builder sees it and as an image. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "protocol/fru.h"

/* Bytes the multirecord key of one [fru.N] may carry (type and length bytes included): far
 * more than any board's MAC or OEM records. */
#define FRU_MULTIRECORD_MAX 1024

/*
 * The FRU image of a section built from fields: the only builder of configured images (store
 * start-up, --rebuild-fru, reload, the load-time size check). Returns 0 and a malloc()ed image
 * in *ret, -ENOMEM, or fru_build()'s error (-E2BIG: the areas do not fit a FRU).
 */
int config_fru_build_image(const struct fru_config *f, uint8_t **ret, size_t *ret_len);

/*
 * The multirecord area of a section built from fields, in the order it is written: the
 * [fru.N.power-supply.M] records by M, [fru.N.dc-output.M], [fru.N.dc-load.M], the
 * [fru.N.management-access] records by sub-record type, then the multirecord key's records
 * and multirecord-file's. Typed records are encoded into data[]; the others point into f.
 */
#define CONFIG_FRU_TYPED_RECORDS_MAX \
        (CONFIG_FRU_POWER_SUPPLY_MAX + 2 * CONFIG_FRU_DC_MAX + _FRU_MGMT_MAX)

struct config_fru_records {
        struct fru_record records[CONFIG_FRU_TYPED_RECORDS_MAX + FRU_MULTIRECORD_MAX];
        unsigned origin[CONFIG_FRU_TYPED_RECORDS_MAX + FRU_MULTIRECORD_MAX]; /* seen slot */
        uint8_t data[CONFIG_FRU_TYPED_RECORDS_MAX][FRU_RECORD_DATA_MAX];
        size_t n, n_typed;
};

/* 0, -EINVAL (a typed field wider than its bits: config_load() refuses it first) or -E2BIG. */
int config_fru_records(const struct fru_config *f, struct config_fru_records *out);
