/* SPDX-License-Identifier: MIT */
/*
 * E-keying ([picmg-link.N], docs/picmg-power.md): the state of each configured link, and the
 * action that enabling or disabling it runs. Set Port State / Set AMC Port State run the
 * link's action and only then report the new state; a failed action leaves the state.
 *
 * The exec action runs PATH ARGS... enable|disable with posix_spawn() (no shell; nothing of
 * the request reaches it but the state word satmcd picks) and is waited for on the loop
 * thread, at most timeout-ms: a link action is a GPIO write or a short register poke, and
 * the requester must not hear "enabled" before it is.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gpio-output.h"

struct picmg_ekeying;

/* *ret is NULL when c has no [picmg-link.N]: the commands then know no link. */
int picmg_ekeying_new(const struct satmc_config *c, struct picmg_ekeying **ret);
struct picmg_ekeying *picmg_ekeying_free(struct picmg_ekeying *e);

/* Request the GPIO lines of gpio actions at their initial state (gpio NULL: libgpiod). 0 or
 * -errno (logged). NULL-safe. */
int picmg_ekeying_start(struct picmg_ekeying *e, const struct gpio_output_ops *gpio,
                        void *userdata);

/* Enable or disable link index (the N of [picmg-link.N]): runs its action, then records the
 * state. 0; -ENOENT for no such link; -ETIMEDOUT, -EIO (the program failed) or another
 * -errno when the action failed, the state unchanged. */
int picmg_ekeying_set(struct picmg_ekeying *e, unsigned index, bool enable);
bool picmg_ekeying_enabled(const struct picmg_ekeying *e, unsigned index);
