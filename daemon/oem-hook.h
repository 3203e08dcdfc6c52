/* SPDX-License-Identifier: MIT */
/*
 * [oem.N]: vendor commands routed to configured programs (docs/actuators.md has the contract).
 *
 * Only the configured (netFn, cmd, LUN[, IANA]) are routed; the lookup is a scan of the
 * configured sections and is not made at all when there are none (the manager holds NULL).
 * A request runs its section's program with posix_spawn(), never through a shell: the path and
 * the arguments are fixed in the configuration, the request reaches the program only as hex on
 * its stdin and in SATMC_REQUEST_DATA. The program runs in a process group of its own with a
 * clean environment; its stdout (hex) is the response data, its exit status the completion
 * code. The loop never waits for it: its exit is watched through a pidfd (polled every 10 ms
 * where there is none: Linux < 5.3, valgrind < 3.20), its stdout through a
 * non-blocking pipe, and a timer kills its process group at timeout-ms and answers 0xC3
 * (IPMI v2.0 table 5-2, "timeout while processing command").
 *
 * One request per section at a time: another one for a section whose program still runs is
 * the caller's to answer (0xC0, node busy; or, for a retry of the same IPMB request, nothing:
 * the answer follows when the program ends).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "config.h"

/* What the program may print: a full IPMI response's data as hex, with room for blanks. */
#define OEM_OUTPUT_MAX 1024

struct oem_table;

/* What happened to one section's requests since start (SIGUSR1 and exit print them). */
struct oem_counters {
        uint64_t runs;                  /* programs started */
        uint64_t ok;                    /* ... that answered 0x00 with their output */
        uint64_t failed;                /* ... answered another code: exit status, killed,
                                         * output not hex or too long */
        uint64_t timed_out;             /* ... killed at timeout-ms, answered 0xC3 */
        uint64_t busy;                  /* requests answered 0xC0: the program still ran */
        uint64_t not_started;           /* requests answered 0xFF: it could not be run */
};

struct oem_request {
        uint8_t netfn, cmd, lun;
        int rq_sa;                      /* IPMB requester, 8-bit; -1 for the local socket */
        const uint8_t *data;            /* the whole request data (with the IANA for 0x2E) */
        size_t len;
};

/* The answer, on the loop thread: cc and, for 0x00, the response data (with the IANA first
 * for netFn 0x2E), at most the cap given to oem_table_run(). Called exactly once per run,
 * also when the requester went away meanwhile (the callback then drops the answer). */
typedef void (*oem_done_fn)(void *userdata, uint8_t cc, const uint8_t *data, size_t len);

/* *ret is NULL when c has no [oem.N]: nothing is routed then. Warns about programs that are
 * not executable now (they may be installed later; a request then answers 0xFF). */
int oem_table_new(sd_event *event, const struct satmc_config *c, struct oem_table **ret);

/* Kills (SIGKILL, the whole process group) and reaps what still runs; no answers follow. */
struct oem_table *oem_table_free(struct oem_table *t);
static inline void oem_table_freep(struct oem_table **t) {
        oem_table_free(*t);
}

/* Sections configured: the indexes oem_table_find() returns are 0 .. count - 1. */
unsigned oem_table_count(const struct oem_table *t);

/* The index (not N) of the section routing this request, or -1. For netFn 0x2E the first 3 data bytes must be
 * the section's IANA number. */
int oem_table_find(const struct oem_table *t, uint8_t netfn, uint8_t cmd, uint8_t lun,
                   const uint8_t *data, size_t len);

/* Whether section index's program still runs (answered by a timeout or not), and the
 * userdata of that run. */
bool oem_table_busy(const struct oem_table *t, int index, void **ret_userdata);

/*
 * Start section index's program for req. cap is the room for response data on the requester's
 * path. Returns 0 (done follows), -EBUSY while the section's previous program runs, or -errno
 * when it could not be started (logged; no callback).
 */
int oem_table_run(struct oem_table *t, int index, const struct oem_request *req, size_t cap,
                  oem_done_fn done, void *userdata);

/* The caller answered a request for section index 0xC0 (its program still runs): counted. */
void oem_table_count_busy(struct oem_table *t, int index);

/* Section index's counters; -ENOENT for no such index. */
int oem_table_get_counters(const struct oem_table *t, int index, struct oem_counters *ret);

/* One line per section, "oem.N netfn=... cmd=... runs=... ok=... ...". Nothing for NULL. */
void oem_table_print_counters(const struct oem_table *t, FILE *f);

/* The configured [oem.N] commands in `satmcd --list-commands` columns, one line each. */
void oem_list_commands(const struct satmc_config *c, FILE *f);
