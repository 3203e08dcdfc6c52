/* SPDX-License-Identifier: MIT */
#include "ipmi.h"
#include "picmg.h"
#include "picmg-request.h"

int picmg_request_identifier(const uint8_t *d, size_t len) {
        if (len < 1)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        return d[0] == PICMG_IDENTIFIER ? 0 : IPMI_CC_INVALID_DATA_FIELD;
}

int picmg_request_fru(const uint8_t *d, size_t len, uint8_t *ret_fru) {
        int r;

        if (len != 2)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        r = picmg_request_identifier(d, len);
        if (r != 0)
                return r;
        *ret_fru = d[1];
        return 0;
}

int picmg_request_address_info(const uint8_t *d, size_t len, struct picmg_address_query *ret) {
        struct picmg_address_query q = { .key_type = PICMG_ADDRESS_KEY_NONE };
        int r;

        if (len < 1 || len > 5)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        r = picmg_request_identifier(d, len);
        if (r != 0)
                return r;
        if (len >= 2)
                q.fru = d[1];
        if (len >= 3) {
                /* A key type needs its key; a physical address also its site type. */
                if (d[2] != PICMG_ADDRESS_KEY_HARDWARE && d[2] != PICMG_ADDRESS_KEY_IPMB0 &&
                    d[2] != PICMG_ADDRESS_KEY_PHYSICAL)
                        return IPMI_CC_INVALID_DATA_FIELD;
                if (len != (d[2] == PICMG_ADDRESS_KEY_PHYSICAL ? 5u : 4u))
                        return IPMI_CC_REQ_DATA_LEN_INVALID;
                q.key_type = d[2];
                q.key = d[3];
                if (len == 5)
                        q.site_type = d[4];
        }
        *ret = q;
        return 0;
}

int picmg_request_fru_control(const uint8_t *d, size_t len, uint8_t *ret_fru, uint8_t *ret_option) {
        int r;

        if (len != 3)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        r = picmg_request_identifier(d, len);
        if (r != 0)
                return r;
        if (d[2] >= _PICMG_FRU_CONTROL_MAX)
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = d[1];
        *ret_option = d[2];
        return 0;
}

int picmg_request_activation_policy(const uint8_t *d, size_t len, uint8_t *ret_fru,
                                    uint8_t *ret_mask, uint8_t *ret_bits) {
        const uint8_t valid = PICMG_POLICY_LOCKED | PICMG_POLICY_DEACTIVATION_LOCKED;
        int r;

        if (len != 4)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        r = picmg_request_identifier(d, len);
        if (r != 0)
                return r;
        if ((d[2] & (uint8_t) ~valid) || (d[3] & (uint8_t) ~valid))
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = d[1];
        *ret_mask = d[2];
        *ret_bits = d[3];
        return 0;
}

int picmg_request_activation(const uint8_t *d, size_t len, uint8_t *ret_fru, bool *ret_activate) {
        int r;

        if (len != 3)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        r = picmg_request_identifier(d, len);
        if (r != 0)
                return r;
        if (d[2] != PICMG_ACTIVATE_FRU && d[2] != PICMG_DEACTIVATE_FRU)
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = d[1];
        *ret_activate = d[2] == PICMG_ACTIVATE_FRU;
        return 0;
}
