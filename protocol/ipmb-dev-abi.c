/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "protocol/ipmb-dev-abi.h"

int ipmbdev_write_to_wire(const uint8_t *buf, size_t count, enum emubus_ipmbdev_mode mode,
                          struct ipmbdev_wire_write *out) {
        /* The driver's own stack copy, zeroed where it would hold stale bytes. */
        uint8_t msg[IPMBDEV_MAX_MSG_LEN + 1] = { 0 };
        size_t n;

        if (count == 0 || count > IPMBDEV_MAX_MSG_LEN)
                return -EINVAL;
        memcpy(msg, buf, count);
        if (count < msg[0] || msg[0] < 2)
                return -EINVAL;

        out->addr7 = msg[1] >> 1;
        if (mode == EMUBUS_IPMBDEV_SMBUS) {
                n = (size_t) msg[0] - 2;
                if (n > IPMBDEV_SMBUS_BLOCK_MAX)
                        n = IPMBDEV_SMBUS_BLOCK_MAX;
                out->data[0] = msg[2];                  /* SMBus command byte */
                out->data[1] = (uint8_t) n;             /* block byte count */
                memcpy(out->data + 2, msg + 3, n);
                out->len = 2 + n;
        } else {
                out->len = (size_t) msg[0] - 1;
                memcpy(out->data, msg + 2, out->len);
        }
        return 0;
}

int ipmbdev_read_message(uint8_t own_addr7, const uint8_t *data, size_t len, uint8_t *out) {
        uint8_t own8 = (uint8_t) (own_addr7 << 1);

        /* The driver stores bytes until its struct is full and silently drops the rest. */
        if (len > IPMBDEV_READ_MAX - 2)
                len = IPMBDEV_READ_MAX - 2;
        if (1 + len < IPMBDEV_MIN_RECEIVED)
                return -EBADMSG;
        if ((uint8_t) (own8 + data[0] + data[1]) != 0)
                return -EBADMSG;
        out[0] = (uint8_t) (1 + len);
        out[1] = own8;
        memcpy(out + 2, data, len);
        return (int) (2 + len);
}
