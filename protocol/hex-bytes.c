/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>

#include "hex-bytes.h"

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hex_bytes_parse(const char *text, size_t len, uint8_t *out, size_t cap) {
        size_t n = 0, i = 0;

        while (i < len) {
                int hi, lo;

                if (is_blank(text[i])) {
                        i++;
                        continue;
                }
                if (i + 1 >= len)
                        return -EBADMSG;        /* one digit alone at the end */
                hi = hex_digit(text[i]);
                lo = hex_digit(text[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EBADMSG;
                if (n == cap)
                        return -EMSGSIZE;
                out[n++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        return (int) n;
}

size_t hex_bytes_format(const uint8_t *data, size_t n, char *buf, size_t size) {
        static const char digits[] = "0123456789abcdef";
        size_t pos = 0, total = n ? 3 * n - 1 : 0;

        for (size_t i = 0; i < n; i++) {
                char c[3] = { digits[data[i] >> 4], digits[data[i] & 15], ' ' };

                for (size_t k = 0; k < (i + 1 < n ? 3u : 2u); k++, pos++)
                        if (pos + 1 < size)
                                buf[pos] = c[k];
        }
        if (size > 0)
                buf[pos < size ? pos : size - 1] = '\0';
        return total;
}
