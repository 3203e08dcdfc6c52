/* SPDX-License-Identifier: MIT */
/*
 * PICMG power levels ([picmg-power.N], docs/picmg-power.md): Get Power Level answers from the
 * configuration, Set Power Level remembers the level granted to each FRU and tells the
 * hot-swap machine through a hook (picmg_power_set_hook(); none until one is connected).
 */
#pragma once

#include <stdint.h>

#include "config.h"

struct picmg_power;

/* Called when Set Power Level grants level (0 = off) to fru. A negative -errno refuses it: the
 * level stays and the requester gets the errno's completion code. */
typedef int (*picmg_power_granted_fn)(void *userdata, uint8_t fru, uint8_t level);

/* *ret is NULL when c has no [picmg-power.N]: the commands then answer 0xCC for every FRU. */
int picmg_power_new(const struct satmc_config *c, struct picmg_power **ret);
struct picmg_power *picmg_power_free(struct picmg_power *p);

void picmg_power_set_hook(struct picmg_power *p, picmg_power_granted_fn fn, void *userdata);

/* The level last granted to fru (0 = off, also for a FRU without levels). */
uint8_t picmg_power_level(const struct picmg_power *p, uint8_t fru);
