/* SPDX-License-Identifier: MIT */
/*
 * What an OEM program prints (protocol/hex-bytes.c), any bytes: a parse either fails with
 * -EBADMSG or -EMSGSIZE, or gives at most cap bytes whose formatted text parses back to the
 * same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/hex-bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t out[64], again[64];
        char text[3 * sizeof(out) + 1];
        /* The first byte picks the room, as the response path would: 0..63 bytes. */
        size_t cap = size ? data[0] % sizeof(out) : 0;
        int n, m;

        if (size == 0)
                return 0;
        n = hex_bytes_parse((const char *) data + 1, size - 1, out, cap);
        if (n < 0) {
                if (n != -EBADMSG && n != -EMSGSIZE)
                        abort();
                return 0;
        }
        if ((size_t) n > cap)
                abort();
        if (hex_bytes_format(out, (size_t) n, text, sizeof(text)) != (n ? 3 * (size_t) n - 1 : 0))
                abort();
        m = hex_bytes_parse(text, strlen(text), again, sizeof(again));
        if (m != n || memcmp(out, again, (size_t) n) != 0)
                abort();
        return 0;
}
