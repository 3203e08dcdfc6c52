/* SPDX-License-Identifier: MIT */
/*
 * A PSK file's lines (protocol/psk-line.c) as satmcd splits them: each line parsed with its
 * own length. Beyond "does not crash": a parsed entry has a name of 1..128 bytes without ':' or
 * controls, a key of 16..64 bytes, and the key encodes back to the line's hex digits; a
 * refusal always has a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/psk-line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *line, size_t len) {
        struct psk_entry e;
        const char *reason = NULL;
        int r = psk_parse_line(line, len, &e, &reason);
        size_t ulen;

        if (r < 0) {
                if (!reason)
                        abort();
                return;
        }
        if (r == 0)
                return;
        ulen = strlen(e.username);
        if (ulen == 0 || ulen > PSK_USERNAME_MAX || strchr(e.username, ':') ||
            e.key_len < PSK_KEY_MIN || e.key_len > PSK_KEY_MAX || memcmp(line, e.username, ulen) != 0)
                abort();
        for (size_t i = 0; i < ulen; i++)
                if ((unsigned char) e.username[i] < 0x20)
                        abort();
        for (size_t i = 0; i < e.key_len; i++) {
                char hex[3];
                unsigned v;

                memcpy(hex, line + ulen + 1 + 2 * i, 2);
                hex[2] = '\0';
                if (sscanf(hex, "%2x", &v) != 1 || v != e.key[i])
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data;

        while (size > 0) {
                const char *nl = memchr(p, '\n', size);
                size_t len = nl ? (size_t) (nl - p) : size;

                check_line(p, len);
                if (!nl)
                        break;
                size -= len + 1;
                p = nl + 1;
        }
        return 0;
}
