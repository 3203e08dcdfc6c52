/* SPDX-License-Identifier: MIT */
/* A configuration for unit tests that need a whole one: a fixed [mc] and [identity], the state
 * directory given, and extra sections (FRU devices, sensors) appended. Fails the test if it does
 * not load. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static inline struct satmc_config *test_config_load(const char *state_directory,
                                                     const char *extra) {
        struct satmc_config *c = NULL;
        char *text = NULL;
        FILE *in;

        assert_true(asprintf(&text,
                             "[mc]\naddress = 0x72\n"
                             "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\n"
                             "product-id = 2\nguid = 01234567-89ab-cdef-0011-223344556677\n"
                             "[storage]\nstate-directory = %s\n%s", state_directory, extra) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "mem.ini", NULL, &c), 0);
        fclose(in);
        free(text);
        return c;
}
