/* SPDX-License-Identifier: MIT */
/*
 * E-keying ([picmg-link.N], docs/picmg-power.md): the state of each configured link, and the
 * action that enabling or disabling it runs. A link's state is what its action made it: a
 * failed action leaves the state as it was.
 *
 * A GPIO action is a line write, done before the answer. The exec action runs PATH ARGS...
 * enable|disable through spawn_program() (no shell; nothing of the request reaches it but the
 * state word satmcd picks) and is watched by the event loop (a pidfd, polled without one), at
 * most timeout-ms, its process group killed past that: Set Port State is answered as soon as
 * it started, other requests are served meanwhile, and the link's state changes when the
 * program exits 0. Get Port State never reports a state the link has not reached yet.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "gpio-output.h"

struct picmg_ekeying;

/* *ret is NULL when c has no [picmg-link.N]: the commands then know no link. */
int picmg_ekeying_new(sd_event *event, const struct satmc_config *c, struct picmg_ekeying **ret);
struct picmg_ekeying *picmg_ekeying_free(struct picmg_ekeying *e);

/* Request the GPIO lines of gpio actions at their initial state (gpio NULL: libgpiod). 0 or
 * -errno (logged). NULL-safe. */
int picmg_ekeying_start(struct picmg_ekeying *e, const struct gpio_output_ops *gpio,
                        void *userdata);

/* Enable or disable link index (the N of [picmg-link.N]). 0: done (no action, a GPIO line
 * written, or the link already in that state); PICMG_EKEYING_STARTED: its program runs (or
 * already ran towards that state), the state follows when it exits 0; -EBUSY: its program
 * runs towards the other state; -ENOENT: no such link; another -errno: the action could not
 * be done or started, the state unchanged. */
#define PICMG_EKEYING_STARTED 1
int picmg_ekeying_set(struct picmg_ekeying *e, unsigned index, bool enable);
/* The state the link has (not the one a running program is switching it to). */
bool picmg_ekeying_enabled(const struct picmg_ekeying *e, unsigned index);
/* Its program is running. */
bool picmg_ekeying_busy(const struct picmg_ekeying *e, unsigned index);
