/* SPDX-License-Identifier: MIT */
/*
 * The request bodies of the PICMG core commands (PICMG 3.0 R3.0 section 3): parsed into values
 * or refused with the completion code the spec calls for. Pure, no I/O; the dispatcher has
 * checked the length against the command table already, and these check it again so that they
 * can be fuzzed on their own. Each returns 0, or a positive IPMI completion code: 0xC7 for a
 * length the layout does not allow, 0xCC for the PICMG identifier or a field out of range.
 * Outputs are written only on success.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every PICMG request starts with the PICMG identifier 0x00. */
int picmg_request_identifier(const uint8_t *d, size_t len);

/* Requests that are the identifier and a FRU device ID (Get FRU Activation Policy, Get Device
 * Locator Record ID, FRU Control Capabilities). */
int picmg_request_fru(const uint8_t *d, size_t len, uint8_t *ret_fru);

/* Get Address Info ("Get Address Info command" table): the FRU asked about, or an address key. */
enum picmg_address_key {
        PICMG_ADDRESS_KEY_NONE          = -1,   /* by FRU device ID (default 0) */
        PICMG_ADDRESS_KEY_HARDWARE      = 0x00,
        PICMG_ADDRESS_KEY_IPMB0         = 0x01,
        PICMG_ADDRESS_KEY_PHYSICAL      = 0x03, /* site number and site type */
};

struct picmg_address_query {
        uint8_t fru;
        int key_type;                   /* enum picmg_address_key */
        uint8_t key;
        uint8_t site_type;              /* PICMG_ADDRESS_KEY_PHYSICAL only */
};

int picmg_request_address_info(const uint8_t *d, size_t len, struct picmg_address_query *ret);

/* FRU Control ("FRU Control command" table): FRU and option (enum picmg_fru_control, quiesce
 * included). */
int picmg_request_fru_control(const uint8_t *d, size_t len, uint8_t *ret_fru, uint8_t *ret_option);

/* Set FRU Activation Policy ("Set FRU Activation Policy command" table): which bits to change
 * and their new values, bits 0..1 only (a reserved bit set is 0xCC). */
int picmg_request_activation_policy(const uint8_t *d, size_t len, uint8_t *ret_fru,
                                    uint8_t *ret_mask, uint8_t *ret_bits);

/* Set FRU Activation ("Set FRU Activation command"): true to activate, false to deactivate. */
int picmg_request_activation(const uint8_t *d, size_t len, uint8_t *ret_fru, bool *ret_activate);
