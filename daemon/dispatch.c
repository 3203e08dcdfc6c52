/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmi.h"
#include "sdr-repo.h"

/* Every command group's table, in the order --list-commands prints them. */
static const struct {
        const struct ipmi_command *commands;
        const size_t *count;
} command_groups[] = {
        { app_commands, &app_commands_count },
        { storage_commands, &storage_commands_count },
        { sdr_commands, &sdr_commands_count },
        { event_commands, &event_commands_count },
        { sensor_commands, &sensor_commands_count },
        { i2c_commands, &i2c_commands_count },
        { picmg_commands, &picmg_commands_count },
        { picmg_led_commands, &picmg_led_commands_count },
        { picmg_power_commands, &picmg_power_commands_count },
        { picmg_ekeying_commands, &picmg_ekeying_commands_count },
        { picmg_ipmb_commands, &picmg_ipmb_commands_count },
        { picmg_fan_commands, &picmg_fan_commands_count },
        { hpm_commands, &hpm_commands_count },
};

/*
 * The tables are spread over the handler files, so the index is built on first use. Two
 * levels: a byte per netFn naming its row, and in a row a byte per cmd naming the command.
 * Rows exist only for the netFns that have commands (4 of the 32 request netFns), where a
 * 256-byte row for every netFn pair was 8 KiB of .bss, most of it written at start. A linear
 * scan over every table was a tenth of satmcd's instructions per request (callgrind, Get
 * Device ID); the second level costs one load and saves the netFn range checks.
 */
#define DISPATCH_NETFNS 32              /* request netFns: the even values 0x00..0x3E */
#define DISPATCH_ROWS_MAX 8             /* row 0 (no commands) and up to 7 netFns' rows */
#define DISPATCH_COMMANDS_MAX 127       /* row bytes name command 1..127; 0 = none */
#define DISPATCH_SLOT_COMMAND 0x7F
#define DISPATCH_SLOT_LOOP_NEUTRAL 0x80 /* the command's loop_neutral, read without it */

static struct {
        pthread_once_t once;
        bool built;                     /* set last by dispatch_index_build() */
        uint8_t rows_used;              /* rows given to a netFn: 1..rows_used */
        /* Indexed by the netFn byte as received, so odd netFns and those past 0x3E need no
         * check: they stay 0 and name row 0, which stays all zeros. */
        uint8_t row_of_netfn[256];
        /* command[] index + 1, with DISPATCH_SLOT_LOOP_NEUTRAL */
        uint8_t row[DISPATCH_ROWS_MAX][256];
        const struct ipmi_command *command[DISPATCH_COMMANDS_MAX];
} dispatch_index = { .once = PTHREAD_ONCE_INIT };

unsigned long dispatch_entries_examined;

/* The row of netFn's commands, given the next free row on first use. */
static uint8_t *dispatch_index_row(uint8_t netfn) {
        uint8_t *row = &dispatch_index.row_of_netfn[netfn];

        if (*row == 0) {
                /* More netFns than rows: raise DISPATCH_ROWS_MAX (test-dispatch catches it). */
                if (dispatch_index.rows_used + 1 >= DISPATCH_ROWS_MAX)
                        abort();
                *row = ++dispatch_index.rows_used;
        }
        return dispatch_index.row[*row];
}

static void dispatch_index_build(void) {
        unsigned n = 0;

        for (size_t g = 0; g < ELEMENTSOF(command_groups); g++)
                for (size_t i = 0; i < *command_groups[g].count; i++) {
                        const struct ipmi_command *c = &command_groups[g].commands[i];
                        uint8_t *slot;

                        /* A table bug (caught by test-dispatch), not a runtime condition. */
                        if (c->netfn >= 2 * DISPATCH_NETFNS || (c->netfn & 1) ||
                            n >= DISPATCH_COMMANDS_MAX)
                                abort();
                        slot = &dispatch_index_row(c->netfn)[c->cmd];
                        if (*slot != 0)
                                continue;       /* the first entry wins, as in the tables */
                        dispatch_index.command[n] = c;
                        *slot = (uint8_t) (++n | (c->loop_neutral ? DISPATCH_SLOT_LOOP_NEUTRAL : 0));
                }
        __atomic_store_n(&dispatch_index.built, true, __ATOMIC_RELEASE);
}

/* Out of line, so that the lookup itself stays a leaf without a stack frame. */
static __attribute__((noinline, cold)) void dispatch_index_ensure(void) {
        (void) pthread_once(&dispatch_index.once, dispatch_index_build);
}

/* The index byte of (netfn, cmd): 0 when there is no such command. */
static inline uint8_t index_slot(uint8_t netfn, uint8_t cmd) {
        /* Built once; after that one load instead of a pthread_once() call per request. */
        if (!__atomic_load_n(&dispatch_index.built, __ATOMIC_ACQUIRE))
                dispatch_index_ensure();
        return dispatch_index.row[dispatch_index.row_of_netfn[netfn]][cmd];
}

/* Inline in dispatch_request(): a call for one indexed load cost as much as the load. */
static inline const struct ipmi_command *index_lookup(uint8_t netfn, uint8_t cmd) {
        uint8_t slot = index_slot(netfn, cmd) & DISPATCH_SLOT_COMMAND;

        if (slot == 0)
                return NULL;
        dispatch_entries_examined++;
        return dispatch_index.command[slot - 1];
}

/* Asked of every frame manager-loop.c takes (issue 15 item 1): the index byte alone. */
bool dispatch_loop_neutral(uint8_t netfn, uint8_t cmd) {
        return index_slot(netfn, cmd) & DISPATCH_SLOT_LOOP_NEUTRAL;
}

const struct ipmi_command *dispatch_lookup(uint8_t netfn, uint8_t cmd) {
        return index_lookup(netfn, cmd);
}

uint8_t ipmi_cc_from_errno(int r) {
        switch (r) {
        case 0:
                return IPMI_CC_OK;
        case -EBUSY:
        case -EAGAIN:
                return IPMI_CC_NODE_BUSY;
        case -ETIMEDOUT:
                return IPMI_CC_TIMEOUT;
        case -ENOSPC:
                return IPMI_CC_OUT_OF_SPACE;
        case -ESTALE:
                return IPMI_CC_RESERVATION_INVALID;
        case -EMSGSIZE:
        case -ENOBUFS:
                return IPMI_CC_CANT_RETURN_REQ_BYTES;
        case -ERANGE:
                return IPMI_CC_PARAM_OUT_OF_RANGE;
        case -ENOENT:
        case -ENODEV:
                return IPMI_CC_NOT_PRESENT;
        case -EINVAL:
                return IPMI_CC_INVALID_DATA_FIELD;
        case -EROFS:
                return IPMI_CC_FRU_WRITE_PROTECTED;
        case -EPERM:
        case -EACCES:
                return IPMI_CC_INSUFFICIENT_PRIVILEGE;
        case -EOPNOTSUPP:
                return IPMI_CC_NOT_SUPPORTED_IN_STATE;
        case -EHOSTUNREACH:
                return IPMI_CC_DEST_UNAVAILABLE;
        default:
                return IPMI_CC_UNSPECIFIED;
        }
}

/* A Sensor/Event command on a LUN that owns sensors (Get Device SDR Info counts that LUN's). */
static bool dispatch_lun_has_sensors(struct manager *m, const struct ipmi_msg_in *in) {
        return in->netfn == IPMI_NETFN_SENSOR_EVENT &&
               (sdr_repository_sensor_luns(m->sdr) & (1u << (in->lun & 3)));
}

void dispatch_request(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        const struct ipmi_command *c;
        int r;

        out->len = 0;

        /* Everything satmcd implements lives on LUN 0, except that sensors may be owned by
         * LUNs 1 and 3 (the lun key): there the Sensor/Event commands answer. Any other LUN
         * is reserved for OEM use and a requester addressing it must learn that, not get
         * LUN 0's answer. */
        c = index_lookup(in->netfn, in->cmd);
        if (c && in->lun != 0 && !dispatch_lun_has_sensors(m, in)) {
                counter_inc(&m->counters, COUNTER_CC_INVALID_COMMAND);
                out->cc = IPMI_CC_INVALID_FOR_LUN;
                return;
        }
        if (!c) {
                counter_inc(&m->counters, COUNTER_CC_INVALID_COMMAND);
                out->cc = IPMI_CC_INVALID_COMMAND;
                return;
        }
        if (in->len < c->min_len || in->len > c->max_len) {
                counter_inc(&m->counters, COUNTER_CC_INVALID_LENGTH);
                out->cc = IPMI_CC_REQ_DATA_LEN_INVALID;
                return;
        }

        r = c->handler(m, in, out);
        if (r < 0)
                out->cc = ipmi_cc_from_errno(r);
        else if (r > 0xFF)
                out->cc = IPMI_CC_UNSPECIFIED;
        else
                out->cc = (uint8_t) r;

        /* A failed command carries no data: IPMI responses with a non-zero completion code
         * are the code alone, whatever the handler left in the buffer. */
        if (out->cc != IPMI_CC_OK) {
                out->len = 0;
                /* A handler answering 0xC1 says the command does not exist in this
                 * configuration (the PICMG commands without a [picmg] profile): counted as the
                 * commands that are in no table. */
                counter_inc(&m->counters, out->cc == IPMI_CC_INVALID_COMMAND
                                          ? COUNTER_CC_INVALID_COMMAND : COUNTER_CC_ERROR);
        } else if (out->len > out->cap) {
                /* A handler bug, not the requester's fault; never send past the buffer. */
                out->len = 0;
                out->cc = IPMI_CC_UNSPECIFIED;
                counter_inc(&m->counters, COUNTER_CC_ERROR);
        }
}

void dispatch_list_commands(FILE *f) {
        fprintf(f, "%-14s %-6s %-10s %s\n", "NETFN", "CMD", "REQ-BYTES", "NAME");
        for (size_t g = 0; g < ELEMENTSOF(command_groups); g++)
                for (size_t i = 0; i < *command_groups[g].count; i++) {
                        const struct ipmi_command *c = &command_groups[g].commands[i];
                        char range[16];

                        if (c->min_len == c->max_len)
                                snprintf(range, sizeof(range), "%u", c->min_len);
                        else
                                snprintf(range, sizeof(range), "%u-%u", c->min_len, c->max_len);
                        fprintf(f, "0x%02x %-9s 0x%02x   %-10s %s\n", c->netfn,
                                ipmi_netfn_name(c->netfn), c->cmd, range, c->name);
                }
        fprintf(f, "Any other command is answered 0x%02x (invalid command).\n",
                IPMI_CC_INVALID_COMMAND);
}
