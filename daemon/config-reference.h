/* SPDX-License-Identifier: MIT */
/* The configuration reference, generated from the key tables (config-reference.c). */
#pragma once

#include <stdio.h>

/* Print every known key with its default and one-line description (for docs and man pages). */
void config_dump_reference(FILE *f);

/*
 * Print which keys a reload applies and which need a restart, one Markdown list item each, as
 * docs/configuration.md carries it (tests/unit/test-config-reload.c compares the two).
 */
void config_dump_reload(FILE *f);
