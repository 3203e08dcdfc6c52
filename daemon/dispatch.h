/* SPDX-License-Identifier: MIT */
/*
 * IPMI command dispatch: one static const table of {netfn, cmd, min_len, max_len, name,
 * handler}. The dispatcher answers 0xC1 for a command not in the table and 0xC7 for a request
 * length outside [min_len, max_len] before any handler runs, so no handler can read past its
 * request. The same table prints `satmcd --list-commands`.
 *
 * Transport-neutral: IPMB frames and the local ipmitool socket (ipmitool-socket.h) feed the same
 * function.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct manager;

struct ipmi_msg_in {
        uint8_t netfn;                  /* request netFn (even) */
        uint8_t cmd;
        uint8_t lun;                    /* responder LUN the request was sent to */
        uint8_t rq_sa;                  /* requester address, 0 when not over IPMB */
        bool broadcast;
        const uint8_t *data;
        size_t len;
        uint8_t bus;                    /* IPMB-A (0) or IPMB-B (1) it came on; 0 when local */
};

struct ipmi_msg_out {
        uint8_t cc;
        uint8_t *data;                  /* response data after the completion code */
        size_t len;
        size_t cap;                     /* room in data: what fits one response on this path */
};

/*
 * A handler fills out->data/out->len and returns a completion code (>= 0), or -errno, which the
 * dispatcher maps with ipmi_cc_from_errno(). It may assume in->len is within its table bounds.
 */
typedef int (*ipmi_handler_t)(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out);

struct ipmi_command {
        uint8_t netfn;
        uint8_t cmd;
        uint8_t min_len;
        uint8_t max_len;
        const char *name;
        ipmi_handler_t handler;
        /* The handler reads state and answers, nothing else: no event source added or changed,
         * not the loop's time read. Such a request is answered beside sd-event, not through it
         * (manager-loop.c); test-dispatch-loop-neutral holds every marked handler to it. */
        bool loop_neutral;
};

/* Look up (netfn, cmd) in one indexed step; NULL if not implemented. */
const struct ipmi_command *dispatch_lookup(uint8_t netfn, uint8_t cmd);

/* Whether (netfn, cmd) is a command marked loop_neutral; false when it is not implemented. */
bool dispatch_loop_neutral(uint8_t netfn, uint8_t cmd);

/* Table entries dispatch_lookup() has looked at, ever: at most one per lookup. For tests. */
extern unsigned long dispatch_entries_examined;

/* Run one request through the table. Always produces an answer in *out (cc, maybe data). */
void dispatch_request(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out);

/* The one mapping from internal -errno results to IPMI completion codes. */
uint8_t ipmi_cc_from_errno(int r);

/* Print the table as `satmcd --list-commands` shows it. */
void dispatch_list_commands(FILE *f);

/* Handler tables, one per command group, concatenated by dispatch.c. */
extern const struct ipmi_command app_commands[];
extern const size_t app_commands_count;
extern const struct ipmi_command storage_commands[];
extern const size_t storage_commands_count;
extern const struct ipmi_command i2c_commands[];
extern const size_t i2c_commands_count;
extern const struct ipmi_command sdr_commands[];
extern const size_t sdr_commands_count;
extern const struct ipmi_command event_commands[];
extern const size_t event_commands_count;
extern const struct ipmi_command sensor_commands[];
extern const size_t sensor_commands_count;
extern const struct ipmi_command picmg_commands[];
extern const size_t picmg_commands_count;
extern const struct ipmi_command picmg_led_commands[];
extern const size_t picmg_led_commands_count;
extern const struct ipmi_command picmg_power_commands[];
extern const size_t picmg_power_commands_count;
extern const struct ipmi_command picmg_ekeying_commands[];
extern const size_t picmg_ekeying_commands_count;
/* PICMG redundant IPMB-0 (handlers-picmg-ipmb.c): Set IPMB State. */
extern const struct ipmi_command picmg_ipmb_commands[];
extern const size_t picmg_ipmb_commands_count;
/* PICMG ATCA fan tray (handlers-picmg-fan.c): fan speed properties, Set/Get Fan Level. */
extern const struct ipmi_command picmg_fan_commands[];
extern const size_t picmg_fan_commands_count;
extern const struct ipmi_command hpm_commands[];
extern const size_t hpm_commands_count;
