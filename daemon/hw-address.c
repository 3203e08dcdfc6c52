/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw-address.h"
#include "log.h"
#include "protocol/hw-address.h"

/* "10=1 11=0 ... parity 17=1", for messages: what was read, line by line. */
static void describe_levels(const struct satmc_config *c, const int *levels, int parity,
                            char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < c->hw_address_lines.n && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%u=%d", i ? " " : "",
                                         c->hw_address_lines.offsets[i], levels[i]);
        if (c->hw_address_parity_line >= 0 && len < size)
                (void) snprintf(buf + len, size - len, " parity %d=%d", c->hw_address_parity_line,
                                parity);
}

int hw_address_read(const struct satmc_config *c, const struct gpio_reader_ops *ops,
                    void *userdata, uint8_t *ret, char *msg, size_t msg_size) {
        unsigned offsets[HW_ADDRESS_LINES_MAX + 1];
        int levels[HW_ADDRESS_LINES_MAX + 1], parity = -1;
        size_t n = c->hw_address_lines.n;
        enum hw_address_status s;
        char what[160];
        uint8_t ipmb = 0, ha = 0;
        int r;

        if (n == 0 || n > HW_ADDRESS_LINES_MAX) {
                snprintf(msg, msg_size, "no hardware-address-lines configured");
                return -EINVAL;
        }
        ops = ops ?: &gpio_reader_libgpiod;

        /* One request for address and parity lines together: one consistent sample. */
        memcpy(offsets, c->hw_address_lines.offsets, n * sizeof(offsets[0]));
        if (c->hw_address_parity_line >= 0)
                offsets[n] = (unsigned) c->hw_address_parity_line;
        r = ops->read_lines(userdata, c->hw_address_chip, offsets,
                            n + (c->hw_address_parity_line >= 0), c->hw_address_active_low,
                            levels);
        if (r < 0) {
                size_t len = 0;

                what[0] = '\0';
                for (size_t i = 0; i < n + (c->hw_address_parity_line >= 0) && len < sizeof(what); i++)
                        len += (size_t) snprintf(what + len, sizeof(what) - len, "%s%u",
                                                 i ? " " : "", offsets[i]);
                snprintf(msg, msg_size, "Failed to read hardware address lines %s of %s: %s",
                         what, c->hw_address_chip, strerror(-r));
                return r;
        }
        if (c->hw_address_parity_line >= 0)
                parity = levels[n];

        describe_levels(c, levels, parity, what, sizeof(what));
        s = hw_address_decode(levels, n, parity, &ipmb, &ha);
        switch (s) {
        case HW_ADDRESS_OK:
                snprintf(msg, msg_size, "Hardware address 0x%02x from %s lines %s%s: IPMB address "
                         "0x%02x", ha, c->hw_address_chip, what,
                         c->hw_address_active_low ? " (active low)" : "", ipmb);
                *ret = ipmb;
                return 0;
        case HW_ADDRESS_OUT_OF_RANGE:
                snprintf(msg, msg_size, "Hardware address 0x%02x from %s lines %s%s gives IPMB "
                         "address 0x%02x, outside 0x10..0xee", ha, c->hw_address_chip, what,
                         c->hw_address_active_low ? " (active low)" : "", ha << 1);
                return -EINVAL;
        default:
                snprintf(msg, msg_size, "Hardware address from %s lines %s%s: %s",
                         c->hw_address_chip, what,
                         c->hw_address_active_low ? " (active low)" : "",
                         hw_address_status_to_string(s));
                return -EINVAL;
        }
}

int hw_address_apply(struct satmc_config *c, const struct gpio_reader_ops *ops, void *userdata) {
        char msg[320];
        uint8_t address;
        int r;

        if (c->hw_address_lines.n == 0)
                return 0;
        r = hw_address_read(c, ops, userdata, &address, msg, sizeof(msg));
        if (r < 0) {
                log_error("%s; refusing to start.", msg);
                return r;
        }
        log_info("%s.", msg);
        c->address = address;
        return 0;
}
