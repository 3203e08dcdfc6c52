/* SPDX-License-Identifier: MIT */
/*
 * [picmg]: which PICMG controller satmcd is (none, an ATCA IPMC or an AMC/MicroTCA MMC), the
 * site it reports, its handle switch, and per [fru.N] what FRU Control runs (config-picmg.c;
 * docs/picmg.md). Included by config.h, whose struct satmc_config holds it as c->picmg. Fixed
 * size, no pointers, so that two loads compare with memcmp() (config_key_equal()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum picmg_profile {
        PICMG_PROFILE_NONE = 0,         /* no PICMG commands: Get PICMG Properties is 0xC1 */
        PICMG_PROFILE_ATCA_IPMC,        /* PICMG 3.0 IPM controller of an ATCA board */
        PICMG_PROFILE_AMC_MMC,          /* AMC.0 / MTCA.0 module management controller */
};

#define PICMG_SITE_AUTO (-1)
#define PICMG_NAME_MAX 64               /* a GPIO chip name */
#define PICMG_PATH_MAX 256

/* FRU Control options with an action (PICMG 3.0 table 3-25), in option order. */
enum {
        PICMG_ACTION_COLD_RESET,
        PICMG_ACTION_WARM_RESET,
        PICMG_ACTION_GRACEFUL_REBOOT,
        PICMG_ACTION_DIAGNOSTIC_INTERRUPT,
        _PICMG_ACTIONS,
};

enum picmg_action_kind {
        PICMG_ACTION_NONE,              /* not supported: FRU Control answers 0xCC */
        PICMG_ACTION_GPIO,              /* pulse a GPIO line for [picmg] pulse-ms */
        PICMG_ACTION_EXEC,              /* run a program, no shell, fixed arguments */
};

struct picmg_action {
        enum picmg_action_kind kind;
        char chip[PICMG_NAME_MAX];      /* GPIO: chip name, path, label or number */
        unsigned line;
        bool active_low;
        char exec[PICMG_PATH_MAX];      /* EXEC: absolute path */
        char args[PICMG_PATH_MAX];      /* EXEC: fixed arguments, blank separated; "" = none */
};

struct picmg_config {
        enum picmg_profile profile;
        int site_type;                  /* PICMG 3.0 table 3-12; AUTO: from the profile */
        int site_number;                /* AUTO: from the IPMB address */
        char handle_chip[PICMG_NAME_MAX];
        int handle_line;                /* -1: no handle switch, FRU 0 counts as closed */
        bool handle_active_low;
        uint32_t handle_debounce_ms;
        uint32_t pulse_ms;              /* GPIO actions */
        uint32_t action_timeout_ms;     /* EXEC actions are killed after it */
};
