/* SPDX-License-Identifier: MIT */
/*
 * One line of a TLS pre-shared key file as GnuTLS's psktool writes it and nbdkit and libnbd
 * read it: "username:hexkey". Blank lines and lines starting with '#' carry nothing. Pure: the
 * caller reads the file and splits it into lines (without the '\n').
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PSK_USERNAME_MAX        128     /* bytes; GnuTLS accepts longer, nobody writes them */
#define PSK_KEY_MIN             16      /* bytes: 128 bits, below that a PSK is guessable */
#define PSK_KEY_MAX             64      /* bytes; psktool writes 32 by default */

struct psk_entry {
        char username[PSK_USERNAME_MAX + 1];    /* NUL-terminated, no ':' and no controls */
        uint8_t key[PSK_KEY_MAX];
        size_t key_len;
};

/*
 * Parse line[0..len). Returns 1 with *ret filled, 0 for a blank or comment line, or -EINVAL
 * with a reason (static text that never quotes the key) in *reason. A trailing '\r' is
 * allowed. *ret may hold part of a key on failure: the caller wipes it.
 */
int psk_parse_line(const char *line, size_t len, struct psk_entry *ret, const char **reason);
