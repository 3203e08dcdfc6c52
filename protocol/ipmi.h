/* SPDX-License-Identifier: MIT */
/*
 * IPMI network functions, command numbers and completion codes: the one place they are spelled.
 * Numbers from IPMI v2.0 (tables 5-1, 5-2 and the command appendix G) and the PICMG/IPMB
 * usage summarised in docs/protocol.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Network functions. Requests are even; a response carries netFn + 1. */
enum {
        IPMI_NETFN_CHASSIS      = 0x00,
        IPMI_NETFN_BRIDGE       = 0x02,
        IPMI_NETFN_SENSOR_EVENT = 0x04,
        IPMI_NETFN_APP          = 0x06,
        IPMI_NETFN_FIRMWARE     = 0x08,
        IPMI_NETFN_STORAGE      = 0x0A,
        IPMI_NETFN_TRANSPORT    = 0x0C,
        IPMI_NETFN_GROUP_EXT    = 0x2C,
        IPMI_NETFN_OEM_GROUP    = 0x2E,
        IPMI_NETFN_MAX          = 0x3F,
};

/* App (0x06) */
enum {
        IPMI_CMD_GET_DEVICE_ID          = 0x01,
        IPMI_CMD_COLD_RESET             = 0x02,
        IPMI_CMD_WARM_RESET             = 0x03,
        IPMI_CMD_GET_SELF_TEST_RESULTS  = 0x04,
        IPMI_CMD_GET_ACPI_POWER_STATE   = 0x07,
        IPMI_CMD_GET_DEVICE_GUID        = 0x08,
        IPMI_CMD_GET_SYSTEM_GUID        = 0x37,
        IPMI_CMD_MASTER_WRITE_READ      = 0x52,
};

/* Sensor/Event (0x04) */
enum {
        IPMI_CMD_SET_EVENT_RECEIVER          = 0x00,
        IPMI_CMD_GET_EVENT_RECEIVER          = 0x01,
        IPMI_CMD_PLATFORM_EVENT              = 0x02,
        IPMI_CMD_GET_DEVICE_SDR_INFO         = 0x20,
        IPMI_CMD_GET_DEVICE_SDR              = 0x21,
        IPMI_CMD_RESERVE_DEVICE_SDR_REPO     = 0x22,
        IPMI_CMD_SET_SENSOR_HYSTERESIS       = 0x24,
        IPMI_CMD_GET_SENSOR_HYSTERESIS       = 0x25,
        IPMI_CMD_SET_SENSOR_THRESHOLDS       = 0x26,
        IPMI_CMD_GET_SENSOR_THRESHOLDS       = 0x27,
        IPMI_CMD_SET_SENSOR_EVENT_ENABLE     = 0x28,
        IPMI_CMD_GET_SENSOR_EVENT_ENABLE     = 0x29,
        IPMI_CMD_REARM_SENSOR_EVENTS         = 0x2A,
        IPMI_CMD_GET_SENSOR_EVENT_STATUS     = 0x2B,
        IPMI_CMD_GET_SENSOR_READING          = 0x2D,
};

/* Storage (0x0A) */
enum {
        IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO = 0x10,
        IPMI_CMD_READ_FRU_DATA               = 0x11,
        IPMI_CMD_WRITE_FRU_DATA              = 0x12,
        IPMI_CMD_GET_SDR_REPOSITORY_INFO     = 0x20,
        IPMI_CMD_RESERVE_SDR_REPOSITORY      = 0x22,
        IPMI_CMD_GET_SDR                     = 0x23,
};

/* Completion codes (IPMI v2.0 table 5-2, and the FRU command-specific ones). */
enum {
        IPMI_CC_OK                      = 0x00,
        IPMI_CC_FRU_WRITE_PROTECTED     = 0x80,
        IPMI_CC_FRU_DEVICE_BUSY         = 0x81,
        IPMI_CC_NODE_BUSY               = 0xC0,
        IPMI_CC_INVALID_COMMAND         = 0xC1,
        IPMI_CC_INVALID_FOR_LUN         = 0xC2,
        IPMI_CC_TIMEOUT                 = 0xC3,
        IPMI_CC_OUT_OF_SPACE            = 0xC4,
        IPMI_CC_RESERVATION_INVALID     = 0xC5,
        IPMI_CC_DATA_TRUNCATED          = 0xC6,
        IPMI_CC_REQ_DATA_LEN_INVALID    = 0xC7,
        IPMI_CC_REQ_DATA_LEN_EXCEEDED   = 0xC8,
        IPMI_CC_PARAM_OUT_OF_RANGE      = 0xC9,
        IPMI_CC_CANT_RETURN_REQ_BYTES   = 0xCA,
        IPMI_CC_NOT_PRESENT             = 0xCB,
        IPMI_CC_INVALID_DATA_FIELD      = 0xCC,
        IPMI_CC_ILLEGAL_FOR_SENSOR      = 0xCD,
        IPMI_CC_RESPONSE_UNAVAILABLE    = 0xCE,
        IPMI_CC_DUPLICATE_REQUEST       = 0xCF,
        IPMI_CC_SDR_IN_UPDATE           = 0xD0,
        IPMI_CC_FIRMWARE_IN_UPDATE      = 0xD1,
        IPMI_CC_INIT_IN_PROGRESS        = 0xD2,
        IPMI_CC_DEST_UNAVAILABLE        = 0xD3,
        IPMI_CC_INSUFFICIENT_PRIVILEGE  = 0xD4,
        IPMI_CC_NOT_SUPPORTED_IN_STATE  = 0xD5,
        IPMI_CC_UNSPECIFIED             = 0xFF,
};

/* Get Device ID "additional device support" bits (IPMI v2.0 table 20-2). */
enum {
        IPMI_DEVSUP_SENSOR              = 0x01,
        IPMI_DEVSUP_SDR_REPOSITORY      = 0x02,
        IPMI_DEVSUP_SEL                 = 0x04,
        IPMI_DEVSUP_FRU_INVENTORY       = 0x08,
        IPMI_DEVSUP_IPMB_EVENT_RECEIVER = 0x10,
        IPMI_DEVSUP_IPMB_EVENT_GENERATOR = 0x20,
        IPMI_DEVSUP_BRIDGE              = 0x40,
        IPMI_DEVSUP_CHASSIS             = 0x80,
};

/* Get Self Test Results, byte 1 (IPMI v2.0 section 20.4). */
enum {
        IPMI_SELFTEST_PASSED            = 0x55,
        IPMI_SELFTEST_NOT_IMPLEMENTED   = 0x56,
        IPMI_SELFTEST_CORRUPTED         = 0x57,
        IPMI_SELFTEST_FATAL             = 0x58,
};

/* Get Self Test Results, byte 2 with 0x57 (IPMI v2.0 table 20-4): what is corrupted. */
enum {
        IPMI_SELFTEST_SEL_INACCESSIBLE  = 0x80,
        IPMI_SELFTEST_SDR_INACCESSIBLE  = 0x40,
        IPMI_SELFTEST_FRU_INACCESSIBLE  = 0x20,     /* cannot access BMC FRU device */
        IPMI_SELFTEST_IPMB_LINES        = 0x10,
        IPMI_SELFTEST_SDR_EMPTY         = 0x08,
        IPMI_SELFTEST_FRU_INTERNAL_USE  = 0x04,     /* internal use area of BMC FRU corrupted */
        IPMI_SELFTEST_BOOT_BLOCK        = 0x02,
        IPMI_SELFTEST_FIRMWARE          = 0x01,
};

/* Largest request/response data an IPMI message can carry on any interface we serve. */
#define IPMI_MAX_DATA_LEN 255

const char *ipmi_netfn_name(uint8_t netfn);
const char *ipmi_cc_name(uint8_t cc);
/* The name of a sensor type (table 42-3), or NULL if it has none here. */
const char *ipmi_sensor_type_name(uint8_t type);
/* The name of an event offset of event type (0x01 threshold, 0x02..0x0C generic discrete,
 * 0x6F sensor-specific with sensor_type), or NULL if it has none here. */
const char *ipmi_event_offset_name(uint8_t event_type, uint8_t sensor_type, uint8_t offset);

/*
 * Entity IDs (IPMI v2.0 table 43-13): what a sensor or FRU belongs to (a power supply 0x0A, a
 * fan 0x1D, the system board 0x07). ipmi_entity_name() is the configuration's name of id
 * ("power-supply"), or NULL for an ID without one (reserved, or in the chassis-, board-set- or
 * OEM-defined ranges); ipmi_entity_from_name() the ID of such a name, or -EINVAL.
 * ipmi_entity_is_reserved(): an ID the table reserves (0x36, 0x38..0x3F, 0x43..0x8F); IDs
 * 0x90..0xAF (chassis-specific), 0xB0..0xCF (board-set specific) and 0xD0..0xFF (OEM) are not.
 */
#define IPMI_ENTITY_SYSTEM_BOARD        0x07
const char *ipmi_entity_name(uint8_t id);
int ipmi_entity_from_name(const char *name);
bool ipmi_entity_is_reserved(uint8_t id);
