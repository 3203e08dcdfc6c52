/* SPDX-License-Identifier: MIT */
/*
 * Whether the page holding an address is in the process's page tables (mincore(2)): for the
 * tests that hold satmcd to leaving the unused slots of its configuration untouched. A read of
 * an untouched anonymous page maps the kernel's shared zero page (or, on a kernel without one,
 * a page of its own): resident either way, and config_drop_zero_pages() takes both back.
 * Include after cmocka.h.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"

static inline bool page_resident(const void *p) {
        uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
        unsigned char v = 0;

        assert_int_equal(mincore((void *) ((uintptr_t) p & ~(page - 1)), page, &v), 0);
        return v & 1;
}

/* Under meson's exe wrapper (qemu-user, the armhf suite) madvise() and mincore() are the
 * emulator's, not the kernel's: there only the values can be checked, not the residency. */
static inline bool residency_observable(void) {
        return !getenv("MESON_EXE_WRAPPER");
}

/* The configuration's all-zero pages given back, as satmcd does once started, the page holding
 * slot among them. False where residency cannot be seen: the caller then checks only what the
 * handlers answer. (Not cmocka's skip(): in the TAP output meson reads, a skipped test is a
 * "not ok", which meson counts as failed.) */
static inline bool config_pages_dropped(struct satmc_config *c, const void *slot) {
        if (!residency_observable()) {
                printf("# under %s: answers checked, residency not\n",
                       getenv("MESON_EXE_WRAPPER"));
                return false;
        }
        assert_true(config_drop_zero_pages(c) >= 1);
        assert_false(page_resident(slot));
        return true;
}
