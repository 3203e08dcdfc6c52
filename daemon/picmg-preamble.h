/* SPDX-License-Identifier: MIT */
/*
 * The checks every PICMG command handler (netFn 0x2C, group extension 0x00) makes before its
 * own: one place for them, so that every command answers the same code for the same fault.
 */
#pragma once

#include <stdint.h>

struct manager;
struct ipmi_msg_in;

/* Whether the request names a FRU device: PICMG 3.0 puts its ID in byte 2 (data[1]), right
 * after the PICMG identifier, in every command that has one. */
enum picmg_preamble_fru {
        PICMG_PREAMBLE_NO_FRU,          /* no FRU device ID (properties, port state, ...) */
        PICMG_PREAMBLE_FRU,             /* data[1]: a FRU device ID the profile must manage */
};

/* In order: no [picmg] profile -> 0xC1 (the command is not there, as before PICMG support);
 * no PICMG identifier 0x00 in data[0] -> 0xCC; with PICMG_PREAMBLE_FRU, a FRU device ID the
 * profile does not manage (no [fru.N]) -> 0xCC, as openMMC and OpenIPMI's lanserv answer an
 * unknown FRU. Returns IPMI_CC_OK (0) to go on, *ret_fru set when fru is PICMG_PREAMBLE_FRU
 * (ret_fru may be NULL otherwise), or the completion code to answer; nothing is changed. */
int picmg_preamble(struct manager *m, const struct ipmi_msg_in *in, enum picmg_preamble_fru fru,
                   uint8_t *ret_fru);
