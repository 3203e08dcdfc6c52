/* SPDX-License-Identifier: MIT */
/* Human-readable names for netFns and completion codes, for logs and tools. */
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
