/* SPDX-License-Identifier: MIT */
/*
 * PICMG group extension (IPMI netFn 0x2C, group extension identifier 0x00): the command
 * numbers and the constants every PICMG part of satmc shares. Numbers from PICMG 3.0 R3.0
 * (AdvancedTCA) table 3-10 and AMC.0 R2.0 table 3-1; LED, power and E-keying lanes keep their
 * own constants in their own headers (picmg-led.h, picmg-fru.h).
 */
#pragma once

#include <stdint.h>

#define PICMG_IDENTIFIER                0x00    /* data[0] of every request and response */

/* PICMG Extension Version as Get PICMG Properties sends it: minor in bits 7:4, major in 3:0
 * (ipmitool's picmg_discover() takes major 2 = ATCA, 4 = AMC, 5 = MicroTCA). */
#define PICMG_EXTENSION_ATCA            0x32    /* 2.3: PICMG 3.0 R3.0 */
#define PICMG_EXTENSION_AMC             0x14    /* 4.1: AMC.0 R2.0 */

enum picmg_cmd {
        PICMG_CMD_GET_PROPERTIES                = 0x00,
        PICMG_CMD_GET_ADDRESS_INFO              = 0x01,
        PICMG_CMD_GET_SHELF_ADDRESS_INFO        = 0x02,
        PICMG_CMD_SET_SHELF_ADDRESS_INFO        = 0x03,
        PICMG_CMD_FRU_CONTROL                   = 0x04,
        PICMG_CMD_GET_FRU_LED_PROPERTIES        = 0x05,
        PICMG_CMD_GET_LED_COLOR_CAPABILITIES    = 0x06,
        PICMG_CMD_SET_FRU_LED_STATE             = 0x07,
        PICMG_CMD_GET_FRU_LED_STATE             = 0x08,
        PICMG_CMD_SET_IPMB_STATE                = 0x09,
        PICMG_CMD_SET_FRU_ACTIVATION_POLICY     = 0x0A,
        PICMG_CMD_GET_FRU_ACTIVATION_POLICY     = 0x0B,
        PICMG_CMD_SET_FRU_ACTIVATION            = 0x0C,
        PICMG_CMD_GET_DEVICE_LOCATOR_RECORD_ID  = 0x0D,
        PICMG_CMD_SET_PORT_STATE                = 0x0E,
        PICMG_CMD_GET_PORT_STATE                = 0x0F,
        PICMG_CMD_COMPUTE_POWER_PROPERTIES      = 0x10,
        PICMG_CMD_SET_POWER_LEVEL               = 0x11,
        PICMG_CMD_GET_POWER_LEVEL               = 0x12,
        PICMG_CMD_SET_AMC_PORT_STATE            = 0x19,
        PICMG_CMD_GET_AMC_PORT_STATE            = 0x1A,
        PICMG_CMD_FRU_CONTROL_CAPABILITIES      = 0x1E,
};

/* Site types of Get Address Info (PICMG 3.0 table 3-12). */
enum picmg_site_type {
        PICMG_SITE_ATCA_BOARD           = 0x00,
        PICMG_SITE_POWER_ENTRY          = 0x01,
        PICMG_SITE_SHELF_FRU            = 0x02,
        PICMG_SITE_DEDICATED_SHMC       = 0x03,
        PICMG_SITE_FAN_TRAY             = 0x04,
        PICMG_SITE_FAN_FILTER_TRAY      = 0x05,
        PICMG_SITE_ALARM                = 0x06,
        PICMG_SITE_AMC                  = 0x07,
        PICMG_SITE_PMC                  = 0x08,
        PICMG_SITE_RTM                  = 0x09,
};

/* FRU Control options (PICMG 3.0 table 3-25; quiesce is AMC.0 table 3-5's). */
enum picmg_fru_control {
        PICMG_FRU_CONTROL_COLD_RESET            = 0x00,
        PICMG_FRU_CONTROL_WARM_RESET            = 0x01,
        PICMG_FRU_CONTROL_GRACEFUL_REBOOT       = 0x02,
        PICMG_FRU_CONTROL_DIAGNOSTIC_INTERRUPT  = 0x03,
        PICMG_FRU_CONTROL_QUIESCE               = 0x04,
        _PICMG_FRU_CONTROL_MAX,
};

/* FRU Activation Policy bits (PICMG 3.0 tables 3-19, 3-20). */
#define PICMG_POLICY_LOCKED             0x01
#define PICMG_POLICY_DEACTIVATION_LOCKED 0x02

/* Set FRU Activation's FRU activation/deactivation field (table 3-21). */
enum picmg_activation {
        PICMG_DEACTIVATE_FRU    = 0x00,
        PICMG_ACTIVATE_FRU      = 0x01,
};

/* Sensor type of the FRU Hot Swap sensor (PICMG 3.0 table 3-22). */
#define PICMG_SENSOR_TYPE_HOT_SWAP      0xF0
