/* SPDX-License-Identifier: MIT */
/*
 * The request bodies of the ATCA fan tray commands (PICMG 3.0 R3.0 cooling management: the Get
 * Fan Speed Properties, Set Fan Level and Get Fan Level commands). Pure, no I/O:
 * each returns 0, or a positive IPMI completion code (0xC7 for a length the layout does not
 * allow, 0xCC for the PICMG identifier or a reserved value), and writes its outputs only on
 * success.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PICMG_CMD_GET_FAN_SPEED_PROPERTIES      0x14
#define PICMG_CMD_SET_FAN_LEVEL                 0x15
#define PICMG_CMD_GET_FAN_LEVEL                 0x16

/* Fan Level values beyond the levels (Set Fan Level, Get Fan Level's Override Fan Level). */
#define PICMG_FAN_SHUT_DOWN                     0xFE    /* emergency shut down */
#define PICMG_FAN_LOCAL_CONTROL                 0xFF

/* Get Fan Speed Properties' Fan Tray Properties byte. */
#define PICMG_FAN_LOCAL_CONTROL_SUPPORTED       0x80

/* Set Fan Level: identifier, FRU device ID, fan level, optional Local Control Enable State
 * (0 disable, 1 enable, others reserved). *ret_local_enable is -1 when the byte is absent. */
int picmg_request_set_fan_level(const uint8_t *d, size_t len, uint8_t *ret_fru,
                                uint8_t *ret_level, int *ret_local_enable);
