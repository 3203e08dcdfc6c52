/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i2c-allow.h"

#define ENTRY_TEXT_MAX 32

static bool is_separator(char c) {
        return c == ' ' || c == '\t' || c == ',';
}

/* "0x" hex or decimal, digits only, at most max. No strtoul: it accepts signs and spaces. */
static int parse_uint(const char *s, size_t n, unsigned max, unsigned *ret) {
        unsigned base = 10, v = 0;
        size_t i = 0;

        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                i = 2;
        }
        if (i == n)
                return -EINVAL;
        for (; i < n; i++) {
                unsigned d;

                if (s[i] >= '0' && s[i] <= '9')
                        d = (unsigned) (s[i] - '0');
                else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
                        d = (unsigned) (s[i] - 'a' + 10);
                else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
                        d = (unsigned) (s[i] - 'A' + 10);
                else
                        return -EINVAL;
                v = v * base + d;
                if (v > max)
                        return -ERANGE;        /* also stops any overflow */
        }
        *ret = v;
        return 0;
}

static int parse_address(const char *s, size_t n, unsigned *ret) {
        unsigned v;
        int r = parse_uint(s, n, 0xFF, &v);

        if (r == 0 && (v < I2C_ALLOW_ADDR_MIN || v > I2C_ALLOW_ADDR_MAX))
                r = -ERANGE;
        if (r == 0)
                *ret = v;
        return r;
}

static int parse_entry(const char *s, size_t n, struct i2c_allow_entry *e, char *reason,
                       size_t reason_size) {
        const char *colon = memchr(s, ':', n), *a, *dash;
        unsigned bus, first = 0, last = 0;
        size_t an;

        if (!colon) {
                snprintf(reason, reason_size, "\"%.*s\" must be BUS:ADDRESS, BUS:FIRST-LAST or "
                         "BUS:*", (int) n, s);
                return -EINVAL;
        }
        if (parse_uint(s, (size_t) (colon - s), I2C_ALLOW_BUS_MAX, &bus) < 0) {
                snprintf(reason, reason_size, "\"%.*s\": bus must be 0..%d (the IPMI private bus "
                         "ID)", (int) n, s, I2C_ALLOW_BUS_MAX);
                return -EINVAL;
        }
        a = colon + 1;
        an = n - (size_t) (a - s);
        if (an == 1 && a[0] == '*') {
                first = I2C_ALLOW_ADDR_MIN;
                last = I2C_ALLOW_ADDR_MAX;
        } else {
                dash = memchr(a, '-', an);
                if (parse_address(a, dash ? (size_t) (dash - a) : an, &first) < 0 ||
                    (dash && parse_address(dash + 1, an - (size_t) (dash + 1 - a), &last) < 0))
                        goto bad_address;
                if (!dash)
                        last = first;
                if (first > last) {
                        snprintf(reason, reason_size, "\"%.*s\": the range is backwards",
                                 (int) n, s);
                        return -EINVAL;
                }
        }
        *e = (struct i2c_allow_entry) {
                .bus = (uint8_t) bus, .first = (uint8_t) first, .last = (uint8_t) last,
        };
        return 0;

bad_address:
        snprintf(reason, reason_size, "\"%.*s\": addresses are 7-bit, 0x%02x..0x%02x, or *",
                 (int) n, s, I2C_ALLOW_ADDR_MIN, I2C_ALLOW_ADDR_MAX);
        return -EINVAL;
}

int i2c_allow_parse(const char *s, struct i2c_allow *ret, char *reason, size_t reason_size) {
        struct i2c_allow a = { .n = 0 };
        const char *p = s;

        if (strcmp(s, "none") == 0) {
                *ret = a;
                return 0;
        }
        for (;;) {
                const char *start;
                size_t n;

                while (is_separator(*p))
                        p++;
                if (*p == '\0')
                        break;
                start = p;
                while (*p != '\0' && !is_separator(*p))
                        p++;
                n = (size_t) (p - start);
                if (n > ENTRY_TEXT_MAX) {
                        snprintf(reason, reason_size, "entry %zu is too long", a.n + 1);
                        return -EINVAL;
                }
                if (a.n >= I2C_ALLOW_MAX) {
                        snprintf(reason, reason_size, "at most %d entries", I2C_ALLOW_MAX);
                        return -EINVAL;
                }
                if (parse_entry(start, n, &a.entries[a.n], reason, reason_size) < 0)
                        return -EINVAL;
                a.n++;
        }
        if (a.n == 0) {
                snprintf(reason, reason_size, "an empty list must be written none");
                return -EINVAL;
        }
        *ret = a;
        return 0;
}

bool i2c_allow_contains(const struct i2c_allow *a, unsigned bus, uint8_t addr7) {
        for (size_t i = 0; i < a->n; i++) {
                const struct i2c_allow_entry *e = &a->entries[i];

                if (e->bus == bus && addr7 >= e->first && addr7 <= e->last)
                        return true;
        }
        return false;
}

int i2c_allow_format(const struct i2c_allow *a, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        if (a->n == 0) {
                if (size < 5)
                        return -ENOBUFS;
                memcpy(buf, "none", 5);
                return 4;
        }
        for (size_t i = 0; i < a->n; i++) {
                const struct i2c_allow_entry *e = &a->entries[i];
                int k;

                if (e->first == I2C_ALLOW_ADDR_MIN && e->last == I2C_ALLOW_ADDR_MAX)
                        k = snprintf(buf + len, size - len, "%s%u:*", i ? " " : "", e->bus);
                else if (e->first == e->last)
                        k = snprintf(buf + len, size - len, "%s%u:0x%02x", i ? " " : "", e->bus,
                                     e->first);
                else
                        k = snprintf(buf + len, size - len, "%s%u:0x%02x-0x%02x", i ? " " : "",
                                     e->bus, e->first, e->last);
                if (k < 0 || (size_t) k >= size - len)
                        return -ENOBUFS;
                len += (size_t) k;
        }
        return (int) len;
}
