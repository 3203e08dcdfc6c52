/* SPDX-License-Identifier: MIT */
/* GUID text (01234567-89ab-cdef-0123-456789abcdef) <-> IPMI wire order (config-identity.c). */
#pragma once

#include <stdint.h>

/* Return 0 or -EINVAL. */
int guid_from_string(const char *s, uint8_t wire[16]);
void guid_to_string(const uint8_t wire[16], char buf[37]);
