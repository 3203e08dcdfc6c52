/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "psk-line.h"

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int fail(const char **reason, const char *why) {
        if (reason)
                *reason = why;
        return -EINVAL;
}

int psk_parse_line(const char *line, size_t len, struct psk_entry *ret, const char **reason) {
        const char *colon;
        size_t ulen, hlen;

        if (len > 0 && line[len - 1] == '\r')
                len--;
        if (len == 0 || line[0] == '#')
                return 0;
        colon = memchr(line, ':', len);
        if (!colon)
                return fail(reason, "expected username:hexkey");
        ulen = (size_t) (colon - line);
        if (ulen == 0)
                return fail(reason, "empty username");
        if (ulen > PSK_USERNAME_MAX)
                return fail(reason, "username longer than 128 bytes");
        for (size_t i = 0; i < ulen; i++)
                if ((unsigned char) line[i] < 0x20 || line[i] == 0x7f)
                        return fail(reason, "control character in the username");

        hlen = len - ulen - 1;
        if (hlen == 0)
                return fail(reason, "empty key");
        if (hlen % 2 != 0)
                return fail(reason, "key is not whole bytes of hex (odd number of digits)");
        if (hlen / 2 > PSK_KEY_MAX)
                return fail(reason, "key longer than 64 bytes");
        if (hlen / 2 < PSK_KEY_MIN)
                return fail(reason, "key shorter than 16 bytes (128 bits)");
        for (size_t i = 0; i < hlen / 2; i++) {
                int hi = hex_value(colon[1 + 2 * i]), lo = hex_value(colon[2 + 2 * i]);

                if (hi < 0 || lo < 0)
                        return fail(reason, "key is not hexadecimal");
                ret->key[i] = (uint8_t) (hi << 4 | lo);
        }
        ret->key_len = hlen / 2;
        memcpy(ret->username, line, ulen);
        ret->username[ulen] = '\0';
        return 1;
}
