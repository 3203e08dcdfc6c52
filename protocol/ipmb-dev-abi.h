/* SPDX-License-Identifier: MIT */
/*
 * The Linux ipmb-dev-int character device (/dev/ipmb-N, drivers/char/ipmi/ipmb_dev_int.c) as
 * bytes: what one write() puts on the I2C wire and what one received I2C write becomes for
 * read(). Pure, so the emulated bus (tools/satmc-i2c-bus.c) serves the device's ABI
 * byte for byte and the rules are unit-tested and fuzzed. docs/emulated-bus.md lists where the
 * kernel's behaviour depends on uninitialized memory and what we do instead.
 *
 *   read()  gives [len][own 8-bit addr][netFn/LUN][chk1][rqSA][seq/LUN][cmd][data..][chk2]
 *   write() takes [len][dest 8-bit addr][netFn/LUN][chk1][rsSA][seq/LUN][cmd][data..][chk2]
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "protocol/emubus-wire.h"

#define IPMBDEV_MAX_MSG_LEN     240     /* the driver's MAX_MSG_LEN: largest write() count */
#define IPMBDEV_MIN_RECEIVED    7       /* IPMB_REQUEST_LEN_MIN: own address + 6 bytes */
#define IPMBDEV_READ_MAX        239     /* sizeof(struct ipmb_msg): the len byte + 238 */
#define IPMBDEV_QUEUE_MAX       256     /* REQUEST_QUEUE_MAX_LEN: more are dropped */
#define IPMBDEV_SMBUS_BLOCK_MAX 32      /* I2C_SMBUS_BLOCK_MAX */

/* One I2C master write, as it leaves the device. */
struct ipmbdev_wire_write {
        uint8_t addr7;                  /* destination: the 8-bit address shifted, bit 0 lost */
        size_t len;                     /* bytes after the address byte, 0 .. 239 */
        uint8_t data[IPMBDEV_MAX_MSG_LEN];
};

/*
 * What write(fd, buf, count) sends. Returns 0 and fills *out, or -EINVAL where the driver
 * returns -EINVAL (count > 240, count < buf[0]) and where it would read memory the caller
 * never gave it (count 0; buf[0] < 2, i.e. no netFn byte): those we refuse rather than guess.
 * In I2C mode the wire gets buf[2 .. buf[0]] (buf[0] - 1 bytes); in SMBus mode a block write:
 * command byte buf[2], byte count min(buf[0] - 2, 32), then that many bytes from buf[3]. A byte
 * the caller did not supply (count == buf[0] leaves the last one out; the driver sends a stale
 * stack byte there) is sent as 0.
 */
int ipmbdev_write_to_wire(const uint8_t *buf, size_t count, enum emubus_ipmbdev_mode mode,
                          struct ipmbdev_wire_write *out);

/*
 * What the device at own_addr7 queues for read() when an I2C write with data[0..len) reaches
 * it: [len][own 8-bit addr][data...], the data cut at 237 bytes as the driver cuts it. Returns
 * the message's length (what read() returns with a large enough buffer), or -EBADMSG when the
 * driver drops it: fewer than 6 bytes, or netFn/LUN and chk1 not summing to 0 with the own
 * address. chk2 is not checked, as the driver does not check it. out must hold
 * IPMBDEV_READ_MAX bytes.
 */
int ipmbdev_read_message(uint8_t own_addr7, const uint8_t *data, size_t len, uint8_t *out);
