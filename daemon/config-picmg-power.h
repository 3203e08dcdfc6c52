/* SPDX-License-Identifier: MIT */
/*
 * The configuration of PICMG power levels and E-keyed links (docs/picmg-power.md):
 * [picmg-power.N] (N = the FRU device ID of a [fru.N]) and [picmg-link.N] (N = 0..31, one
 * link each). Included by config.h, whose struct satmc_config holds them. Fixed-size values
 * (no pointers), so that two loads compare with memcmp() (config_key_equal()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_PICMG_LINK_MAX 32                /* [picmg-link.0] .. [picmg-link.31] */
#define PICMG_POWER_LEVELS_MAX 20               /* PICMG 3.0: power levels 1..20 */
#define PICMG_LINK_EXEC_MAX 256
#define PICMG_LINK_GPIO_CHIP_MAX 64

/* Power draw per level, in tenths of a watt, rising. */
struct picmg_power_levels {
        unsigned n;
        uint32_t deciwatts[PICMG_POWER_LEVELS_MAX];
};

/* One [picmg-power.N]: what Get Power Level answers for FRU N and what Set Power Level
 * may grant. */
struct picmg_power_config {
        bool present;
        unsigned line;
        struct picmg_power_levels levels;       /* steady state */
        struct picmg_power_levels early_levels; /* n = 0: the steady-state levels */
        uint8_t multiplier;                     /* tenths of a watt per draw unit */
        bool dynamic;                           /* Dynamic Power Configuration */
        uint8_t delay;                          /* delay to stable power, tenths of a second */
        uint8_t desired_level;                  /* 0 = the highest level */
        int module_current;                     /* 0.1 A at 12 V (AMC.0 table 3-10); -1 none */
        uint8_t spanned_slots;                  /* Compute Power Properties: slots it covers */
        uint8_t ipmc_location;                  /* the slot of those its IPMC sits in, 0-based */
};

enum picmg_link_kind {
        PICMG_LINK_KIND_ATCA,                   /* Board P2P record, Set/Get Port State */
        PICMG_LINK_KIND_AMC,                    /* AMC P2P record, Set/Get AMC Port State */
};

enum picmg_link_action_kind {
        PICMG_LINK_ACTION_NONE,                 /* the state is only remembered */
        PICMG_LINK_ACTION_GPIO,                 /* a GPIO line: 1 while enabled */
        PICMG_LINK_ACTION_EXEC,                 /* a program: ARGS... enable|disable */
};

struct picmg_link_action {
        enum picmg_link_action_kind kind;
        char chip[PICMG_LINK_GPIO_CHIP_MAX];
        unsigned line;
        bool active_low;
        char exec[PICMG_LINK_EXEC_MAX];
};

/* Link type names whose number depends on the kind (ATCA 0x05 / AMC 0x02 for PCI Express,
 * ATCA 0x02 / AMC 0x05 for Ethernet), kept as names until the section is complete. */
#define PICMG_LINK_TYPE_PCIE (-1)
#define PICMG_LINK_TYPE_ETHERNET (-2)

/* Up to 4 ports: ATCA port numbers 0..3, or the AMC ports of lanes 0..3. */
struct picmg_port_list {
        unsigned n;
        uint8_t port[4];
};

/* One [picmg-link.N]. */
struct picmg_link_config {
        bool present;
        unsigned line;
        uint8_t fru;
        enum picmg_link_kind kind;
        uint8_t interface;                      /* ATCA: enum picmg_link_interface */
        uint8_t channel;                        /* ATCA 1..63; AMC: the channel ID */
        struct picmg_port_list ports;
        int type;                               /* link type; PICMG_LINK_TYPE_PCIE or
                                                 * _ETHERNET until the kind resolves them */
        uint8_t extension, group, asymmetric_match;
        struct picmg_link_action action;
        char args[256];                         /* fixed arguments before the state word */
        uint32_t timeout_ms;
        bool enabled;                           /* the state at start */
        uint16_t signaling_classes;             /* atca: bit n = channel signaling class n */
};
