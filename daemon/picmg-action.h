/* SPDX-License-Identifier: MIT */
/*
 * The FRU Control actions of the [fru.N] sections (cold-reset-action, ...): a GPIO line pulsed
 * for [picmg] pulse-ms, or a program run without a shell. The request never reaches a command
 * line: the program gets fixed arguments from the configuration, and the FRU device ID and the
 * option's name (validated values, not request bytes) in SATMC_FRU and SATMC_FRU_CONTROL. The
 * loop never waits: a pulse ends on a timer, a program's end is watched through a pidfd (polled
 * where there is none, as under valgrind) and it is killed with its process group after
 * action-timeout-ms. FRU Control is answered as soon as the action has started (PICMG 3.0
 * 3.2.4.5: the IPMC answers, then carries it out).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "gpio-output.h"

struct picmg_actions;

int picmg_actions_new(sd_event *event, const struct satmc_config *c, struct picmg_actions **ret);
/* Kills what still runs (its process group) and reaps it; a pulse in progress is ended. */
struct picmg_actions *picmg_actions_free(struct picmg_actions *a);

/* Request the GPIO lines of the gpio: actions, inactive (NULL ops: libgpiod). 0 or -errno. */
int picmg_actions_start(struct picmg_actions *a, const struct gpio_output_ops *gpio,
                        void *userdata);

/* Whether fru has an action for option (enum picmg_fru_control, below _PICMG_ACTIONS). */
bool picmg_actions_has(const struct picmg_actions *a, uint8_t fru, uint8_t option);

/* Start it: 0, -EOPNOTSUPP (none configured), -EBUSY (still running or pulsing), -errno. */
int picmg_actions_run(struct picmg_actions *a, uint8_t fru, uint8_t option);
