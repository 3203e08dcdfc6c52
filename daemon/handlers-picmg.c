/* SPDX-License-Identifier: MIT */
/*
 * PICMG group extension (netFn 0x2C), the core commands: properties, addresses, activation and
 * its policy, FRU Control and the device locator (docs/picmg.md). Answered only with a [picmg]
 * profile; without one each is 0xC1, as before PICMG support. Every request starts with the
 * PICMG identifier (0xCC otherwise) and names a FRU the profile manages (0xCC otherwise):
 * picmg_preamble() checks all three. The request bodies are parsed by protocol/picmg-request.c.
 */
#include <errno.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "picmg.h"
#include "picmg-preamble.h"
#include "sdr-repo.h"
#include "protocol/ipmi.h"
#include "protocol/picmg.h"
#include "protocol/picmg-request.h"
#include "protocol/sdr.h"

static int reply_identifier(struct ipmi_msg_out *out) {
        if (out->cap < 1)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

static int handle_get_properties(struct manager *m, const struct ipmi_msg_in *in,
                                 struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);
        if (r != 0)
                return r;
        if (out->cap < 4)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = picmg_config(p)->picmg.profile == PICMG_PROFILE_AMC_MMC
                       ? PICMG_EXTENSION_AMC : PICMG_EXTENSION_ATCA;
        out->data[2] = picmg_max_fru(p);
        out->data[3] = 0;       /* the controller itself is FRU 0 */
        out->len = 4;
        return IPMI_CC_OK;
}

static int handle_get_address_info(struct manager *m, const struct ipmi_msg_in *in,
                                   struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        const struct satmc_config *c;
        struct picmg_address_query q;
        uint8_t fru;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);
        if (r == 0)
                r = picmg_request_address_info(in->data, in->len, &q);
        if (r != 0)
                return r;
        c = picmg_config(p);
        fru = q.fru;
        switch (q.key_type) {
        case PICMG_ADDRESS_KEY_NONE:
                if (!picmg_manages(p, fru))
                        return IPMI_CC_INVALID_DATA_FIELD;
                break;
        case PICMG_ADDRESS_KEY_HARDWARE:
        case PICMG_ADDRESS_KEY_IPMB0:
        case PICMG_ADDRESS_KEY_PHYSICAL:
                /* An IPM controller knows only its own addresses; any other is the shelf
                 * manager's to answer. The key names the controller: FRU 0. */
                if ((q.key_type == PICMG_ADDRESS_KEY_HARDWARE && q.key != c->address >> 1) ||
                    (q.key_type == PICMG_ADDRESS_KEY_IPMB0 && q.key != c->address) ||
                    (q.key_type == PICMG_ADDRESS_KEY_PHYSICAL &&
                     (q.key != picmg_site_number(p) || q.site_type != picmg_site_type(p))))
                        return IPMI_CC_NOT_PRESENT;
                fru = 0;
                break;
        default:
                return IPMI_CC_INVALID_DATA_FIELD;
        }
        if (out->cap < 7)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = c->address >> 1;         /* hardware address: IPMB-0 address / 2 */
        out->data[2] = c->address;              /* IPMB-0 address */
        out->data[3] = 0xFF;                    /* reserved */
        out->data[4] = fru;
        out->data[5] = picmg_site_number(p);
        out->data[6] = picmg_site_type(p);
        out->len = 7;
        return IPMI_CC_OK;
}

static int handle_fru_control(struct manager *m, const struct ipmi_msg_in *in,
                              struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        uint8_t fru, option;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == 0)
                r = picmg_request_fru_control(in->data, in->len, &fru, &option);
        if (r != 0)
                return r;
        r = picmg_fru_control(p, fru, option);
        if (r == -EOPNOTSUPP)
                return IPMI_CC_INVALID_DATA_FIELD;      /* an option this FRU does not offer */
        if (r < 0)
                return r;                               /* -EBUSY: 0xC0, try again */
        return reply_identifier(out);
}

static int handle_fru_control_capabilities(struct manager *m, const struct ipmi_msg_in *in,
                                           struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        uint8_t fru;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == 0)
                r = picmg_request_fru(in->data, in->len, &fru);
        if (r != 0)
                return r;
        if (out->cap < 2)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = picmg_fru_control_capabilities(p, fru);
        out->len = 2;
        return IPMI_CC_OK;
}

static int handle_set_activation_policy(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        uint8_t fru, mask, bits;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == 0)
                r = picmg_request_activation_policy(in->data, in->len, &fru, &mask, &bits);
        if (r != 0)
                return r;
        r = picmg_set_policy(p, fru, mask, bits);
        if (r < 0)
                return r;
        return reply_identifier(out);
}

static int handle_get_activation_policy(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        uint8_t fru, policy;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r != 0)
                return r;
        r = picmg_get_policy(p, fru, &policy);
        if (r < 0)
                return r;
        if (out->cap < 2)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = policy;
        out->len = 2;
        return IPMI_CC_OK;
}

static int handle_set_activation(struct manager *m, const struct ipmi_msg_in *in,
                                 struct ipmi_msg_out *out) {
        struct picmg *p = m->picmg;
        uint8_t fru;
        bool activate;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == 0)
                r = picmg_request_activation(in->data, in->len, &fru, &activate);
        if (r != 0)
                return r;
        r = picmg_set_activation(p, fru, activate);
        if (r < 0)
                return r;                       /* -EOPNOTSUPP: 0xD5, not in this state */
        return reply_identifier(out);
}

/* The record ID of fru's locator: FRU 0 is the controller's Management Controller Device
 * Locator, any other its FRU Device Locator (type 0x11, FRU device ID in byte 7). */
static int find_locator(struct manager *m, uint8_t fru, uint16_t *ret) {
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint16_t id = 0x0000, next;

        /* Bounded by the repository: every step moves to a later record or ends. */
        for (unsigned n = 0; n < 0xFFFF; n++) {
                uint8_t head[8] = { 0 };
                int r = sdr_repo_get(&repo, id, 0, sizeof(head), head, sizeof(head), &next);

                if (r < 0)
                        return -ENOENT;
                if ((fru == 0 && head[3] == SDR_TYPE_MC_LOCATOR) ||
                    (fru != 0 && head[3] == SDR_TYPE_FRU_LOCATOR && head[6] == fru)) {
                        *ret = (uint16_t) (head[0] | head[1] << 8);
                        return 0;
                }
                if (next == SDR_RECORD_ID_LAST)
                        break;
                id = next;
        }
        return -ENOENT;
}

static int handle_get_device_locator_record_id(struct manager *m, const struct ipmi_msg_in *in,
                                               struct ipmi_msg_out *out) {
        uint16_t id;
        uint8_t fru;
        int r;

        r = picmg_preamble(m, in, PICMG_PREAMBLE_FRU, &fru);
        if (r == 0)
                r = picmg_request_fru(in->data, in->len, &fru);
        if (r != 0)
                return r;
        if (find_locator(m, fru, &id) < 0)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 3)
                return -EMSGSIZE;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = (uint8_t) (id & 0xFF);
        out->data[2] = (uint8_t) (id >> 8);
        out->len = 3;
        return IPMI_CC_OK;
}

#define PICMG(cmd_, min_, max_, name_, handler_) {                                      \
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = (cmd_), .min_len = (min_),        \
                .max_len = (max_), .name = (name_), .handler = (handler_) }

/* PICMG 3.0 R3.0 (ATCA) chapter 3: each row names the spec table of its command by the table's
 * title, not its number (the numbers move between revisions of PICMG 3.0, and no public source
 * pins the R3.0 ones: docs/picmg.md, "Spec tables"). An MMC answers the same requests; AMC.0
 * R2.0 table 3-1 is Get PICMG Properties for an MMC. Lengths: the request data, PICMG
 * identifier included; the dispatcher answers 0xC7 outside them. */
const struct ipmi_command picmg_commands[] = {
        /* "Get PICMG Properties command"; for an MMC AMC.0 R2.0 table 3-1 */
        PICMG(PICMG_CMD_GET_PROPERTIES, 1, 1, "Get PICMG Properties", handle_get_properties),
        /* "Get Address Info command", its "Address Key Type" and "Site Type" tables */
        PICMG(PICMG_CMD_GET_ADDRESS_INFO, 1, 5, "Get Address Info", handle_get_address_info),
        /* "FRU Control command"; option 4 (quiesce) is AMC.0's FRU Control extension */
        PICMG(PICMG_CMD_FRU_CONTROL, 3, 3, "FRU Control", handle_fru_control),
        /* "Set FRU Activation Policy command" */
        PICMG(PICMG_CMD_SET_FRU_ACTIVATION_POLICY, 4, 4, "Set FRU Activation Policy",
              handle_set_activation_policy),
        /* "Get FRU Activation Policy command" */
        PICMG(PICMG_CMD_GET_FRU_ACTIVATION_POLICY, 2, 2, "Get FRU Activation Policy",
              handle_get_activation_policy),
        /* "Set FRU Activation command" */
        PICMG(PICMG_CMD_SET_FRU_ACTIVATION, 3, 3, "Set FRU Activation", handle_set_activation),
        /* "Get Device Locator Record ID command" */
        PICMG(PICMG_CMD_GET_DEVICE_LOCATOR_RECORD_ID, 2, 2, "Get Device Locator Record ID",
              handle_get_device_locator_record_id),
        /* "FRU Control Capabilities command" */
        PICMG(PICMG_CMD_FRU_CONTROL_CAPABILITIES, 2, 2, "FRU Control Capabilities",
              handle_fru_control_capabilities),
};

const size_t picmg_commands_count = ELEMENTSOF(picmg_commands);
