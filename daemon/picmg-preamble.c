/* SPDX-License-Identifier: MIT */
/*
 * The common start of the PICMG command handlers (picmg-preamble.h).
 */
#include "dispatch.h"
#include "manager.h"
#include "picmg.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"
#include "protocol/picmg.h"

int picmg_preamble(struct manager *m, const struct ipmi_msg_in *in, enum picmg_preamble_fru fru,
                   uint8_t *ret_fru) {
        if (!m->picmg)
                return IPMI_CC_INVALID_COMMAND;
        /* The command tables' minimum lengths cover these bytes; checked again so that a table
         * row with a wrong minimum cannot make this read past the request. */
        if (in->len < (fru == PICMG_PREAMBLE_FRU ? 2u : 1u))
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        if (in->data[0] != PICMG_IDENTIFIER)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (fru == PICMG_PREAMBLE_NO_FRU)
                return IPMI_CC_OK;
        if (!picmg_manages(m->picmg, in->data[1]))
                return IPMI_CC_INVALID_DATA_FIELD;
        *ret_fru = in->data[1];
        return IPMI_CC_OK;
}
