/* SPDX-License-Identifier: MIT */
/*
 * HPM.1 firmware upgrade of the [hpm.component.N] components (handlers-hpm.c answers the
 * commands; the rules are protocol/hpm.c's).
 *
 * Nothing is ever half written where it counts:
 *  - an upload goes to a staging file in the state directory (hpm<N>.upload), or for A/B slots
 *    to the idle slot, never to what runs;
 *  - Finish Firmware Upload answers 0x80 and a worker thread fsyncs and reads the upload back
 *    against the checksum of what was received; Get Upgrade Status then says how it went;
 *  - activation is one atomic step per component, in the worker too: rename a complete, fsynced
 *    copy over the component and fsync its directory, or replace the slot marker through
 *    atomic-file.c, or run the configured command;
 *  - a journal (hpm.journal in the state directory, replaced atomically) records each step
 *    before it is taken, so a satmcd killed at any point finds at start whether the old
 *    component is intact (the step did not happen: reported by Query Rollback Status) or the
 *    new one fully in place.
 * The loop thread never waits for a disk: only pwrite() of a block is done there.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "state-dir.h"
#include "protocol/hpm.h"

enum hpm_job_kind {
        HPM_JOB_NONE,
        HPM_JOB_FINISH,                 /* fsync + read back (or compare) one upload */
        HPM_JOB_ACTIVATE,               /* the atomic step for each component of mask */
        HPM_JOB_ROLLBACK,               /* back to the kept previous version */
};

struct hpm_component {
        bool present;
        const struct hpm_component_config *config;      /* in struct hpm's own config copy */
        /* The upload under way or complete: where it is written. */
        int upload_fd;
        bool upload_complete;           /* finished, verified, waiting for activation */
        uint32_t upload_size;
        uint32_t upload_sum;            /* checksum of the bytes received */
        uint32_t sum_before_last;       /* ... before the last block (a resent block) */
        uint8_t upload_slot;            /* slot components: the idle slot written, 0 = a */
};

/* One job for the worker thread, filled by the loop, results read by the loop after join. */
struct hpm_job {
        enum hpm_job_kind kind;
        uint8_t mask;
        uint8_t cc;                     /* result: 0 or the completion code */
        uint8_t self_test_failed;       /* ACTIVATE: components whose content does not read back */
        struct hpm_journal journal;     /* the worker's copy, taken back by the loop */
        char message[256];              /* what went wrong, logged by the loop */
};

struct hpm {
        sd_event *event;
        struct hpm_config config;       /* a private deep copy: reload swaps the Manager's */
        struct state_dir *dir;          /* borrowed from the Manager */
        struct hpm_upgrade upgrade;
        struct hpm_journal journal;
        struct hpm_component component[HPM_COMPONENTS_MAX];
        uint8_t self_test_failed;       /* components whose last activation did not read back */

        pthread_t thread;
        bool thread_running;
        int done_fd;                    /* eventfd the worker signals */
        sd_event_source *done_source;
        struct hpm_job job;
};

/* *ret is NULL (and 0 returned) when HPM.1 is not configured. No I/O. */
int hpm_new(sd_event *e, const struct satmc_config *c, struct hpm **ret);
/* Read the journal and finish what a killed satmcd left: after the state directory is open,
 * before the bus. NULL-safe. */
int hpm_start(struct hpm *h, struct state_dir *dir);
/* Waits for a running job (the atomic steps are short; a command is killed). NULL-safe. */
struct hpm *hpm_free(struct hpm *h);

/* ---- used by handlers-hpm.c ---- */

/* The running version of component i (from version-file or version); -errno (logged) if the
 * file cannot be read or parsed. */
int hpm_current_version(struct hpm *h, unsigned i, struct hpm_version *ret);
/* Open where component i's upload goes; 0 or -errno (logged). compare: nothing is written. */
int hpm_upload_open(struct hpm *h, unsigned i, bool compare, uint32_t *ret_max_size);
/* Write one block at offset. 0 or -errno (-ENOSPC when the disk is full). */
int hpm_upload_write(struct hpm *h, unsigned i, uint32_t offset, const uint8_t *d, size_t len,
                     bool repeat);
/* Drop component i's upload (abort, a new initiate, a failed finish). */
void hpm_upload_drop(struct hpm *h, unsigned i);
/* Start a job in the worker thread: 0, or -errno. */
int hpm_job_start(struct hpm *h, enum hpm_job_kind kind, uint8_t mask);
