/* SPDX-License-Identifier: MIT */
/*
 * The [i2c] allow list parser on any text. A parse either fails with a reason and leaves the
 * output alone, or gives entries inside the documented bounds whose canonical text parses
 * back to the same list (parse -> format -> parse agree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/i2c-allow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct i2c_allow a, b, untouched;
        char text[1024], reason[160], formatted[I2C_ALLOW_MAX * 20 + 8];
        int r;

        /* A configuration value is one line of at most ~200 bytes; more proves nothing. */
        if (size >= sizeof(text))
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        memset(&a, 0x5A, sizeof(a));
        untouched = a;
        reason[0] = '\0';
        r = i2c_allow_parse(text, &a, reason, sizeof(reason));
        if (r < 0) {
                if (reason[0] == '\0' || memcmp(&a, &untouched, sizeof(a)) != 0)
                        abort();
                return 0;
        }
        if (a.n > I2C_ALLOW_MAX)
                abort();
        for (size_t i = 0; i < a.n; i++) {
                const struct i2c_allow_entry *e = &a.entries[i];

                if (e->bus > I2C_ALLOW_BUS_MAX || e->first < I2C_ALLOW_ADDR_MIN ||
                    e->last > I2C_ALLOW_ADDR_MAX || e->first > e->last)
                        abort();
                if (!i2c_allow_contains(&a, e->bus, e->first) ||
                    !i2c_allow_contains(&a, e->bus, e->last))
                        abort();
        }
        /* Reserved addresses are never allowed, whatever the text said. */
        for (unsigned bus = 0; bus <= I2C_ALLOW_BUS_MAX; bus++)
                if (i2c_allow_contains(&a, bus, 0x07) || i2c_allow_contains(&a, bus, 0x78))
                        abort();

        if (i2c_allow_format(&a, formatted, sizeof(formatted)) < 0)
                abort();
        if (i2c_allow_parse(formatted, &b, reason, sizeof(reason)) < 0 || b.n != a.n)
                abort();
        for (size_t i = 0; i < a.n; i++)
                if (a.entries[i].bus != b.entries[i].bus ||
                    a.entries[i].first != b.entries[i].first ||
                    a.entries[i].last != b.entries[i].last)
                        abort();
        return 0;
}
