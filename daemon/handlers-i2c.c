/* SPDX-License-Identifier: MIT */
/*
 * App Master Write-Read (netFn 0x06, cmd 0x52; IPMI v2.0 section 22.11) on the board's private
 * I2C buses, limited to the targets in [i2c] allow.
 *
 * Request: byte 1 bus ID (bits 3:1 bus number, bit 0 bus type: 1 = private; bits 7:4 the
 * channel, ignored for a private bus), byte 2 slave address in 8-bit form (bit 0 reserved),
 * byte 3 read count, then the bytes to write. Response: the bytes read.
 *
 * Completion codes, as docs/configuration.md ("Master Write-Read") lists them:
 *   0xCC  byte 2 bit 0 set, or nothing to write and nothing to read;
 *   0xD4  the target is not in [i2c] allow, which includes every public bus (IPMB): the IPMB
 *         link belongs to the transport, and satmcd never drives it as a master. The request
 *         is well formed but refused by policy, which is 0xD4's "security-based restriction";
 *   0xCA  the read count does not fit one response on the path the request came in by;
 *   0x81  lost arbitration (-EAGAIN), 0x82 bus error (-EIO, -ETIMEDOUT), 0x83 NAK on write
 *         (-ENXIO, -EREMOTEIO), 0x84 truncated read (-ENODATA): the codes IPMI defines for
 *         this command. They are command specific (0x81 means "busy" for FRU commands), hence
 *         this mapping before the general ipmi_cc_from_errno(), which handles the rest
 *         (e.g. -ENOENT for an allowed bus without /dev/i2c-N: 0xCB).
 */
#include <errno.h>

#include "dispatch.h"
#include "i2c-dev.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/i2c-allow.h"
#include "protocol/ipmi.h"

#define MWR_CC_LOST_ARBITRATION 0x81
#define MWR_CC_BUS_ERROR        0x82
#define MWR_CC_NAK_ON_WRITE     0x83
#define MWR_CC_TRUNCATED_READ   0x84

static uint8_t mwr_cc_from_errno(int r) {
        switch (r) {
        case -EAGAIN:
                return MWR_CC_LOST_ARBITRATION;
        case -EIO:
        case -ETIMEDOUT:
                return MWR_CC_BUS_ERROR;
        case -ENXIO:
        case -EREMOTEIO:
                return MWR_CC_NAK_ON_WRITE;
        case -ENODATA:
                return MWR_CC_TRUNCATED_READ;
        default:
                return ipmi_cc_from_errno(r);
        }
}

static int handle_master_write_read(struct manager *m, const struct ipmi_msg_in *in,
                                    struct ipmi_msg_out *out) {
        const struct i2c_ops *ops = m->i2c_ops ?: &i2c_ops_linux;
        bool private_bus = in->data[0] & 0x01;
        unsigned bus = (in->data[0] >> 1) & 0x07;
        uint8_t addr7 = in->data[1] >> 1, rlen = in->data[2];
        size_t wlen = in->len - 3;
        int r;

        if (in->data[1] & 0x01)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (!private_bus || !i2c_allow_contains(&m->config->i2c_allow, bus, addr7)) {
                log_debug("Master Write-Read to %s bus %u address 0x%02x refused: not in "
                          "[i2c] allow.", private_bus ? "private" : "public", bus, in->data[1]);
                return IPMI_CC_INSUFFICIENT_PRIVILEGE;
        }
        if (rlen > out->cap)
                return IPMI_CC_CANT_RETURN_REQ_BYTES;
        if (rlen == 0 && wlen == 0)
                return IPMI_CC_INVALID_DATA_FIELD;

        r = ops->transfer(m->i2c_userdata, bus, addr7, in->data + 3, wlen, out->data, rlen);
        if (r < 0) {
                log_debug_errno(r, "Master Write-Read on bus %u to 0x%02x failed: %m", bus,
                                addr7);
                return mwr_cc_from_errno(r);
        }
        out->len = rlen;
        return IPMI_CC_OK;
}

const struct ipmi_command i2c_commands[] = {
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_MASTER_WRITE_READ,
                .min_len = 3, .max_len = IPMI_MAX_DATA_LEN,
                .name = "Master Write-Read", .handler = handle_master_write_read,
        },
};
const size_t i2c_commands_count = ELEMENTSOF(i2c_commands);
