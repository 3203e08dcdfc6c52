/* SPDX-License-Identifier: MIT */
/*
 * Bytes as hex text, the way an OEM action (daemon/oem-hook.c) reads its request and writes its
 * response: "01 0a ff" or "010aff", either case, blanks (space, tab, newline, CR) between bytes
 * but never inside one. Pure code: the action's output is outside input, and fuzzed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Parse len characters of text (not NUL-terminated; a NUL is an error) into at most cap bytes.
 * Returns the number of bytes, -EBADMSG for anything but hex pairs and blanks (an odd digit,
 * a stray character), or -EMSGSIZE for more than cap bytes.
 */
int hex_bytes_parse(const char *text, size_t len, uint8_t *out, size_t cap);

/* "01 0a ff" (lower case, one space between bytes), NUL-terminated, cut at size - 1; returns
 * the length of the full text: 3 * n - 1 for n > 0, 0 for none. */
size_t hex_bytes_format(const uint8_t *data, size_t n, char *buf, size_t size);
