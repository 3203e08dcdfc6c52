/* SPDX-License-Identifier: MIT */
/* Human-readable names for netFns and completion codes, for logs and tools. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "protocol/ipmi.h"

const char *ipmi_netfn_name(uint8_t netfn) {
        switch (netfn & ~1u) {
        case IPMI_NETFN_CHASSIS:        return "chassis";
        case IPMI_NETFN_BRIDGE:         return "bridge";
        case IPMI_NETFN_SENSOR_EVENT:   return "sensor-event";
        case IPMI_NETFN_APP:            return "app";
        case IPMI_NETFN_FIRMWARE:       return "firmware";
        case IPMI_NETFN_STORAGE:        return "storage";
        case IPMI_NETFN_TRANSPORT:      return "transport";
        case IPMI_NETFN_GROUP_EXT:      return "group-extension";
        case IPMI_NETFN_OEM_GROUP:      return "oem-group";
        default:
                return (netfn & ~1u) >= 0x30 ? "oem" : "reserved";
        }
}

const char *ipmi_cc_name(uint8_t cc) {
        switch (cc) {
        case IPMI_CC_OK:                        return "ok";
        case IPMI_CC_FRU_WRITE_PROTECTED:       return "write-protected";
        case IPMI_CC_FRU_DEVICE_BUSY:           return "fru-device-busy";
        case IPMI_CC_NODE_BUSY:                 return "node-busy";
        case IPMI_CC_INVALID_COMMAND:           return "invalid-command";
        case IPMI_CC_INVALID_FOR_LUN:           return "invalid-for-lun";
        case IPMI_CC_TIMEOUT:                   return "timeout";
        case IPMI_CC_OUT_OF_SPACE:              return "out-of-space";
        case IPMI_CC_RESERVATION_INVALID:       return "reservation-invalid";
        case IPMI_CC_DATA_TRUNCATED:            return "data-truncated";
        case IPMI_CC_REQ_DATA_LEN_INVALID:      return "request-length-invalid";
        case IPMI_CC_REQ_DATA_LEN_EXCEEDED:     return "request-length-exceeded";
        case IPMI_CC_PARAM_OUT_OF_RANGE:        return "parameter-out-of-range";
        case IPMI_CC_CANT_RETURN_REQ_BYTES:     return "cannot-return-bytes";
        case IPMI_CC_NOT_PRESENT:               return "not-present";
        case IPMI_CC_INVALID_DATA_FIELD:        return "invalid-data-field";
        case IPMI_CC_ILLEGAL_FOR_SENSOR:        return "illegal-for-sensor";
        case IPMI_CC_RESPONSE_UNAVAILABLE:      return "response-unavailable";
        case IPMI_CC_DUPLICATE_REQUEST:         return "duplicate-request";
        case IPMI_CC_SDR_IN_UPDATE:             return "sdr-in-update";
        case IPMI_CC_FIRMWARE_IN_UPDATE:        return "firmware-in-update";
        case IPMI_CC_INIT_IN_PROGRESS:          return "init-in-progress";
        case IPMI_CC_DEST_UNAVAILABLE:          return "destination-unavailable";
        case IPMI_CC_INSUFFICIENT_PRIVILEGE:    return "insufficient-privilege";
        case IPMI_CC_NOT_SUPPORTED_IN_STATE:    return "not-supported-in-state";
        case IPMI_CC_UNSPECIFIED:               return "unspecified";
        default:                                return "unknown";
        }
}

/* IPMI v2.0 table 42-3: the sensor types a satellite's power, cooling and presence use. */
const char *ipmi_sensor_type_name(uint8_t type) {
        switch (type) {
        case 0x01: return "temperature";
        case 0x02: return "voltage";
        case 0x03: return "current";
        case 0x04: return "fan";
        case 0x05: return "physical security";
        case 0x07: return "processor";
        case 0x08: return "power supply";
        case 0x09: return "power unit";
        case 0x0A: return "cooling device";
        case 0x0B: return "other units-based sensor";
        case 0x0C: return "memory";
        case 0x10: return "event logging disabled";
        case 0x12: return "system event";
        case 0x15: return "module/board";
        case 0x21: return "slot/connector";
        case 0x25: return "entity presence";
        default:   return NULL;
        }
}

/* Table 42-2 (threshold, event type 0x01) and table 42-3's sensor-specific offsets (event type
 * 0x6F) of the types above that have them; NULL for an offset without a name here. */
const char *ipmi_event_offset_name(uint8_t event_type, uint8_t sensor_type, uint8_t offset) {
        static const char *const threshold[] = {
                "lower non-critical going low", "lower non-critical going high",
                "lower critical going low", "lower critical going high",
                "lower non-recoverable going low", "lower non-recoverable going high",
                "upper non-critical going low", "upper non-critical going high",
                "upper critical going low", "upper critical going high",
                "upper non-recoverable going low", "upper non-recoverable going high",
        };
        static const char *const power_supply[] = {
                "presence detected", "power supply failure detected", "predictive failure",
                "input lost (AC/DC)", "input lost or out of range", "input out of range, present",
                "configuration error", "inactive (standby)",
        };
        static const char *const entity_presence[] = {
                "entity present", "entity absent", "entity disabled",
        };
        static const char *const power_unit[] = {
                "power off/down", "power cycle", "240VA power down", "interlock power down",
                "AC lost", "soft power control failure", "power unit failure detected",
                "predictive failure",
        };
        /* Table 42-2, the generic discrete types 02h..0Ch (satmcd's discrete sensors). */
        static const char *const generic[][9] = {
                [0x02] = { "transition to idle", "transition to active", "transition to busy" },
                [0x03] = { "state deasserted", "state asserted" },
                [0x04] = { "predictive failure deasserted", "predictive failure asserted" },
                [0x05] = { "limit not exceeded", "limit exceeded" },
                [0x06] = { "performance met", "performance lags" },
                [0x07] = { "transition to OK", "transition to non-critical from OK",
                           "transition to critical from less severe",
                           "transition to non-recoverable from less severe",
                           "transition to non-critical from more severe",
                           "transition to critical from non-recoverable",
                           "transition to non-recoverable", "monitor", "informational" },
                [0x08] = { "device absent", "device present" },
                [0x09] = { "device disabled", "device enabled" },
                [0x0A] = { "transition to running", "transition to in test",
                           "transition to power off", "transition to on line",
                           "transition to off line", "transition to off duty",
                           "transition to degraded", "transition to power save",
                           "install error" },
                [0x0B] = { "fully redundant", "redundancy lost", "redundancy degraded",
                           "non-redundant: sufficient resources from redundant",
                           "non-redundant: sufficient resources from insufficient",
                           "non-redundant: insufficient resources",
                           "redundancy degraded from fully redundant",
                           "redundancy degraded from non-redundant" },
                [0x0C] = { "D0 power state", "D1 power state", "D2 power state",
                           "D3 power state" },
        };

        if (event_type == 0x01)
                return offset < sizeof(threshold) / sizeof(threshold[0]) ? threshold[offset] : NULL;
        if (event_type < sizeof(generic) / sizeof(generic[0]))
                return offset < sizeof(generic[0]) / sizeof(generic[0][0]) ?
                        generic[event_type][offset] : NULL;
        if (event_type != 0x6F)
                return NULL;
        if (sensor_type == 0x08)
                return offset < sizeof(power_supply) / sizeof(power_supply[0]) ?
                        power_supply[offset] : NULL;
        if (sensor_type == 0x09)
                return offset < sizeof(power_unit) / sizeof(power_unit[0]) ?
                        power_unit[offset] : NULL;
        if (sensor_type == 0x25)
                return offset < sizeof(entity_presence) / sizeof(entity_presence[0]) ?
                        entity_presence[offset] : NULL;
        return NULL;
}

/* Table 43-13, by ID. 0x05 and 0x1B are both "peripheral bay" in the table, 0x37 and 0x40 both
 * "air inlet", 0x03 and 0x41 both "processor": the second of each pair gets a name of its own
 * (0x40..0x42 are the IDs DCMI asks for). 0x36 and 0x38..0x3F are reserved. */
static const char *const entity_names[] = {
        [0x00] = "unspecified",
        [0x01] = "other",
        [0x02] = "unknown",
        [0x03] = "processor",
        [0x04] = "disk-or-disk-bay",
        [0x05] = "peripheral-bay",
        [0x06] = "system-management-module",
        [0x07] = "system-board",
        [0x08] = "memory-module",
        [0x09] = "processor-module",
        [0x0A] = "power-supply",
        [0x0B] = "add-in-card",
        [0x0C] = "front-panel-board",
        [0x0D] = "back-panel-board",
        [0x0E] = "power-system-board",
        [0x0F] = "drive-backplane",
        [0x10] = "system-internal-expansion-board",
        [0x11] = "other-system-board",
        [0x12] = "processor-board",
        [0x13] = "power-unit",
        [0x14] = "power-module",
        [0x15] = "power-management",
        [0x16] = "chassis-back-panel-board",
        [0x17] = "system-chassis",
        [0x18] = "sub-chassis",
        [0x19] = "other-chassis-board",
        [0x1A] = "disk-drive-bay",
        [0x1B] = "peripheral-bay-2",
        [0x1C] = "device-bay",
        [0x1D] = "fan-cooling-device",
        [0x1E] = "cooling-unit",
        [0x1F] = "cable-interconnect",
        [0x20] = "memory-device",
        [0x21] = "system-management-software",
        [0x22] = "system-firmware",
        [0x23] = "operating-system",
        [0x24] = "system-bus",
        [0x25] = "group",
        [0x26] = "remote-management-communication-device",
        [0x27] = "external-environment",
        [0x28] = "battery",
        [0x29] = "processing-blade",
        [0x2A] = "connectivity-switch",
        [0x2B] = "processor-memory-module",
        [0x2C] = "io-module",
        [0x2D] = "processor-io-module",
        [0x2E] = "management-controller-firmware",
        [0x2F] = "ipmi-channel",
        [0x30] = "pci-bus",
        [0x31] = "pci-express-bus",
        [0x32] = "scsi-bus",
        [0x33] = "sata-sas-bus",
        [0x34] = "processor-front-side-bus",
        [0x35] = "real-time-clock",
        [0x37] = "air-inlet",
        [0x40] = "dcmi-air-inlet",
        [0x41] = "dcmi-processor",
        [0x42] = "dcmi-baseboard",
};

#define ENTITY_NAMED_MAX 0x42
#define ENTITY_FREE_FIRST 0x90          /* chassis-specific, board-set specific, OEM */

const char *ipmi_entity_name(uint8_t id) {
        return id <= ENTITY_NAMED_MAX ? entity_names[id] : NULL;
}

int ipmi_entity_from_name(const char *name) {
        for (unsigned id = 0; id <= ENTITY_NAMED_MAX; id++)
                if (entity_names[id] && strcmp(entity_names[id], name) == 0)
                        return (int) id;
        return -EINVAL;
}

bool ipmi_entity_is_reserved(uint8_t id) {
        return id < ENTITY_FREE_FIRST && !ipmi_entity_name(id);
}
