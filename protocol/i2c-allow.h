/* SPDX-License-Identifier: MIT */
/*
 * The [i2c] allow list: which private-bus targets Master Write-Read may reach. Pure parser and
 * lookup, fuzzed by tests/fuzz/fuzz-i2c-allow.c.
 *
 * Text form: entries separated by spaces, tabs or commas, each BUS:ADDR, BUS:FIRST-LAST or
 * BUS:*, with BUS the IPMI private bus ID 0..7 (Master Write-Read byte 1 bits 3:1, opened as
 * /dev/i2c-BUS) and addresses in 7-bit form, as i2cdetect prints them, 0x08..0x77 (the rest is
 * reserved by the I2C specification). "none" is the empty list.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define I2C_ALLOW_MAX 32                /* entries */
#define I2C_ALLOW_BUS_MAX 7             /* three bits of bus ID */
#define I2C_ALLOW_ADDR_MIN 0x08
#define I2C_ALLOW_ADDR_MAX 0x77

struct i2c_allow_entry {
        uint8_t bus;
        uint8_t first, last;            /* 7-bit, inclusive */
};

struct i2c_allow {
        struct i2c_allow_entry entries[I2C_ALLOW_MAX];
        size_t n;
};

/*
 * Parse s into *ret. Returns 0, or -EINVAL with a one-line reason in reason[reason_size]
 * naming the offending entry; *ret is untouched on error.
 */
int i2c_allow_parse(const char *s, struct i2c_allow *ret, char *reason, size_t reason_size);

/* Whether bus:addr7 is in the list. */
bool i2c_allow_contains(const struct i2c_allow *a, unsigned bus, uint8_t addr7);

/* The canonical text form ("none" when empty), which parses back to the same list. Returns
 * the length, or -ENOBUFS if it does not fit (nothing useful in buf then). */
int i2c_allow_format(const struct i2c_allow *a, char *buf, size_t size);
