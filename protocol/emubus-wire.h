/* SPDX-License-Identifier: MIT */
/*
 * The emulated I2C bus wire format (docs/emulated-bus.md): messages on a UNIX SOCK_SEQPACKET
 * socket, one bus message per packet, byte 0 the type. Pure encode/decode, shared by the bus
 * server, the daemon's bus transport and the command-line client, and fuzzed.
 *
 *   ATTACH    client -> bus  [0x01][addr7]...          answer these 7-bit addresses
 *   ATTACHED  bus -> client  [0x81][status]            0 or a positive errno
 *   WRITE     client -> bus  [0x02][tag][addr7][data]  one I2C master write
 *   WRITTEN   bus -> client  [0x82][tag][ack]          EMUBUS_ACK or EMUBUS_NAK
 *   DELIVER   bus -> client  [0x03][addr7][data]       a write to one of our addresses
 *                                                      (addr7 0: a general call)
 *   FAULT     client -> bus  [0x04][text]              fault rule, see emubus_fault_parse()
 *   FAULTED   bus -> client  [0x84][status]
 *   IPMBDEV   client -> bus  [0x05][addr7][mode]     become an ipmb-dev-int device at addr7
 *   IPMBDEV_OK bus -> client [0x85][status]          0 or a positive errno; from then on every
 *                                                    packet is a read() or write() buffer
 *   DEVWRITE  client -> bus  [0x06][tag][mode][buf]  one write() to /dev/ipmb-N, buf as given
 *   DEVWRITTEN bus -> client [0x86][tag][status]     0 or the errno write() fails with
 *
 * data is what follows the address byte on the wire; it is never empty. A DEVWRITE buf may be
 * empty or malformed: it is what a program handed write(), judged as the kernel driver does
 * (protocol/ipmb-dev-abi.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum emubus_type {
        EMUBUS_ATTACH   = 0x01,
        EMUBUS_WRITE    = 0x02,
        EMUBUS_DELIVER  = 0x03,
        EMUBUS_FAULT    = 0x04,
        EMUBUS_IPMBDEV  = 0x05,
        EMUBUS_DEVWRITE = 0x06,
        EMUBUS_ATTACHED = 0x81,
        EMUBUS_WRITTEN  = 0x82,
        EMUBUS_FAULTED  = 0x84,
        EMUBUS_IPMBDEV_OK  = 0x85,
        EMUBUS_DEVWRITTEN  = 0x86,
};

/* How an ipmb-dev-int device puts a write() on the wire: the device tree's "i2c-protocol". */
enum emubus_ipmbdev_mode {
        EMUBUS_IPMBDEV_I2C   = 0,       /* i2c-protocol: a plain I2C write */
        EMUBUS_IPMBDEV_SMBUS = 1,       /* the driver's default: an SMBus block write */
};

enum {
        EMUBUS_ACK = 0,
        EMUBUS_NAK = 1,
};

#define EMUBUS_DATA_MAX         255     /* bytes after the address byte in one write */
#define EMUBUS_ATTACH_MAX       16      /* addresses one endpoint may own */
#define EMUBUS_FAULT_TEXT_MAX   128
#define EMUBUS_PACKET_MAX       (3 + EMUBUS_DATA_MAX)
#define EMUBUS_DEVWRITE_MAX     EMUBUS_DATA_MAX /* write() bytes one DEVWRITE carries */
#define EMUBUS_GENERAL_CALL     0x00

struct emubus_msg {
        uint8_t type;
        uint8_t tag;            /* WRITE, WRITTEN */
        uint8_t addr7;          /* WRITE, DELIVER */
        uint8_t status;         /* ATTACHED, WRITTEN (ack), FAULTED, IPMBDEV_OK, DEVWRITTEN */
        uint8_t mode;           /* IPMBDEV, DEVWRITE: enum emubus_ipmbdev_mode */
        const uint8_t *data;    /* WRITE, DELIVER: bytes; ATTACH: addresses; FAULT: text;
                                 * DEVWRITE: the write() buffer (may be empty) */
        size_t len;
};

/* Valid 7-bit addresses an endpoint may attach: the I2C range minus the reserved blocks. */
static inline bool emubus_addr7_attachable(uint8_t a) {
        return a >= 0x08 && a <= 0x77;
}

/*
 * Decode one packet. Returns 0 and fills *out (data points into buf), or -EBADMSG for an
 * unknown type, a wrong length, or an address out of range.
 */
int emubus_decode(const uint8_t *buf, size_t len, struct emubus_msg *out);

/* Encode *m into buf. Returns the packet length, -EMSGSIZE if it does not fit, -EINVAL. */
int emubus_encode(const struct emubus_msg *m, uint8_t *buf, size_t size);

enum emubus_fault_kind {
        EMUBUS_FAULT_DROP,      /* ACK the write, deliver nothing (a lost frame) */
        EMUBUS_FAULT_CORRUPT,   /* flip bits in one data byte, then deliver */
        EMUBUS_FAULT_NAK,       /* NAK the write, deliver nothing */
        EMUBUS_FAULT_DELAY,     /* hold delivery and the writer's ACK for ms milliseconds */
};

struct emubus_fault {
        bool clear;                     /* "clear": remove every rule */
        enum emubus_fault_kind kind;
        int addr7;                      /* -1: every address */
        double probability;             /* 0 < p <= 1 */
        unsigned count;                 /* times it fires, 0 = unlimited */
        unsigned delay_ms;              /* DELAY only */
};

/*
 * Parse "KIND[@ADDR7][:p=P][:n=N][:ms=MS]" or "clear" (text need not be NUL-terminated).
 * KIND is drop, corrupt, nak or delay; ADDR7 in hex (0x..) or decimal. Returns 0 or -EINVAL.
 */
int emubus_fault_parse(const char *text, size_t len, struct emubus_fault *out);
