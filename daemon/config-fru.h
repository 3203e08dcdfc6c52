/* SPDX-License-Identifier: MIT */
/* A [fru.N] section built from fields, as the protocol/fru.h builder sees it and as an image. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "protocol/fru.h"

/*
 * The builder's view of a [fru.N] section built from fields (f->file unset). The strings stay
 * owned by f. An area is present when any of its keys has a value.
 */
void config_fru_info(const struct fru_config *f, struct fru_info *ret);

/*
 * The FRU image of a section built from fields: the only builder of configured images (store
 * start-up, --rebuild-fru, reload, the load-time size check). Returns 0 and a malloc()ed image
 * in *ret, -ENOMEM, or fru_build()'s error (-E2BIG: the areas do not fit a FRU).
 */
int config_fru_build_image(const struct fru_config *f, uint8_t **ret, size_t *ret_len);
