/* SPDX-License-Identifier: MIT */
/*
 * PICMG HPM.1 (IPM Controller Firmware Upgrade) on the target side, as bytes and rules only:
 * the command numbers, a parser for each request and an encoder for each response, and the
 * upgrade state machine (which command is valid when, the long-duration bookkeeping that Get
 * Upgrade Status reports). No I/O: the daemon (daemon/hpm*.c) does the writing, fsyncing and
 * renaming, and tells the machine how it went.
 *
 * Layouts as stock ipmitool (lib/ipmi_hpmfwupg.c) and python-ipmi (pyipmi/msgs/hpm.py) send and
 * read them. Every request and response begins with the PICMG Identifier 0x00; a request with
 * another one is answered 0xCC. Multi-byte numbers are least significant byte first.
 *
 * Parsers return 0 or the completion code to answer (positive), never read past len, and leave
 * their outputs untouched unless they return 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HPM_NETFN 0x2C                  /* PICMG (Group Extension), requests */
#define HPM_PICMG_ID 0x00
#define HPM_VERSION 0x00                /* HPM.1 revision 1.0, as Get Target Upgrade Capabilities says */
#define HPM_COMPONENTS_MAX 8
#define HPM_DESCRIPTION_LEN 12          /* Get Component Properties, selector 2: no terminator */
#define HPM_VERSION_LEN 6               /* major, minor (BCD), 4 auxiliary bytes */

enum hpm_cmd {
        HPM_CMD_GET_TARGET_UPGRADE_CAPABILITIES = 0x2E,
        HPM_CMD_GET_COMPONENT_PROPERTIES = 0x2F,
        HPM_CMD_ABORT_FIRMWARE_UPGRADE = 0x30,
        HPM_CMD_INITIATE_UPGRADE_ACTION = 0x31,
        HPM_CMD_UPLOAD_FIRMWARE_BLOCK = 0x32,
        HPM_CMD_FINISH_FIRMWARE_UPLOAD = 0x33,
        HPM_CMD_GET_UPGRADE_STATUS = 0x34,
        HPM_CMD_ACTIVATE_FIRMWARE = 0x35,
        HPM_CMD_QUERY_SELF_TEST_RESULTS = 0x36,
        HPM_CMD_QUERY_ROLLBACK_STATUS = 0x37,
        HPM_CMD_INITIATE_MANUAL_ROLLBACK = 0x38,
};

/* Completion codes HPM.1 gives its commands (the same numbers mean different things per
 * command; named here for the use satmc makes of them). */
enum {
        HPM_CC_IN_PROGRESS = 0x80,      /* long-duration command running: poll Get Upgrade Status */
        HPM_CC_INVALID_COMPONENTS = 0x81,       /* Initiate: mask empty, unknown, or >1 for upload */
        HPM_CC_SIZE_MISMATCH = 0x81,    /* Finish: the length is not what was uploaded */
        HPM_CC_ROLLBACK_FAILURE = 0x81, /* Query Rollback Status / Manual Rollback */
        HPM_CC_CANNOT_ABORT = 0x81,     /* Abort while an activation is running */
        HPM_CC_INVALID_COMPONENT_ID = 0x82,     /* Get Component Properties / Finish */
        HPM_CC_CHECKSUM_ERROR = 0x82,   /* Finish: what was stored does not read back the same */
        HPM_CC_INVALID_SELECTOR = 0x83, /* Get Component Properties */
        HPM_CC_MISMATCH = 0x83,         /* Finish after upload for compare: differs */
        HPM_CC_ROLLBACK_DENIED = 0x83,  /* Manual rollback with no rollback image */
};

/* Self-test result byte 1 (IPMI Get Self Test Results, which HPM.1 reuses). */
#define HPM_SELF_TEST_PASSED 0x55
#define HPM_SELF_TEST_CORRUPTED 0x57

enum hpm_action {
        HPM_ACTION_BACKUP = 0x00,
        HPM_ACTION_PREPARE = 0x01,
        HPM_ACTION_UPLOAD_UPGRADE = 0x02,
        HPM_ACTION_UPLOAD_COMPARE = 0x03,
};

enum hpm_property {
        HPM_PROPERTY_GENERAL = 0,
        HPM_PROPERTY_CURRENT_VERSION = 1,
        HPM_PROPERTY_DESCRIPTION = 2,
        HPM_PROPERTY_ROLLBACK_VERSION = 3,
        HPM_PROPERTY_DEFERRED_VERSION = 4,
};

/* Get Target Upgrade Capabilities, global capability bits (HPM.1 table 3-3). */
#define HPM_CAP_SELF_TEST               0x01
#define HPM_CAP_AUTO_ROLLBACK           0x02
#define HPM_CAP_MANUAL_ROLLBACK         0x04
#define HPM_CAP_SERVICES_AFFECTED       0x08
#define HPM_CAP_DEFERRED_ACTIVATION     0x10
#define HPM_CAP_IPMC_DEGRADED           0x20

/* Get Component Properties, general properties bits (HPM.1 table 3-6). */
#define HPM_PROP_ROLLBACK_MANUAL        0x02    /* bits 1:0 = 10b: backup/manual rollback */
#define HPM_PROP_PREPARATION            0x04
#define HPM_PROP_COMPARISON             0x08
#define HPM_PROP_DEFERRED_ACTIVATION    0x10
#define HPM_PROP_PAYLOAD_COLD_RESET     0x20

struct hpm_version {
        uint8_t major;                  /* 0..127 */
        uint8_t minor;                  /* 0..99, sent as BCD */
        uint8_t aux[4];
};

/* "MAJOR.MINOR" or "MAJOR.MINOR AUX" (AUX: 8 hex digits, the 4 auxiliary bytes in order),
 * blanks around it ignored: 0, or -EINVAL. */
int hpm_version_parse(const char *text, struct hpm_version *ret);
/* The 6 bytes of a version field: major, minor as BCD, aux. */
void hpm_version_encode(const struct hpm_version *v, uint8_t out[HPM_VERSION_LEN]);

struct hpm_target_caps {
        uint8_t capabilities;           /* HPM_CAP_* */
        uint8_t upgrade_timeout;        /* the four timeouts in units of 5 seconds */
        uint8_t self_test_timeout;
        uint8_t rollback_timeout;
        uint8_t inaccessibility_timeout;
        uint8_t components;             /* mask of the components present */
};

/* ---- request parsers: 0 or the completion code to answer ---- */

/* A request that is the PICMG Identifier alone (Get Target Upgrade Capabilities, Abort, Get
 * Upgrade Status, Query Self-test Results, Query Rollback Status, Initiate Manual Rollback). */
int hpm_parse_plain(const uint8_t *d, size_t len);
int hpm_parse_get_properties(const uint8_t *d, size_t len, uint8_t *ret_component,
                             uint8_t *ret_selector);
int hpm_parse_initiate(const uint8_t *d, size_t len, uint8_t *ret_mask, uint8_t *ret_action);
/* The block's bytes stay in d: *ret_data points into it. At least one byte of data. */
int hpm_parse_upload(const uint8_t *d, size_t len, uint8_t *ret_block, const uint8_t **ret_data,
                     size_t *ret_data_len);
int hpm_parse_finish(const uint8_t *d, size_t len, uint8_t *ret_component, uint32_t *ret_size);
/* The rollback override policy byte is optional (ipmitool leaves it out when it is 0): *ret is
 * -1 when absent. */
int hpm_parse_activate(const uint8_t *d, size_t len, int *ret_override);

/* ---- response encoders: the bytes written to out (PICMG Identifier first), or 0 when cap
 * is too small (nothing written then) ---- */
size_t hpm_encode_target_caps(const struct hpm_target_caps *c, uint8_t *out, size_t cap);
size_t hpm_encode_general_properties(uint8_t properties, uint8_t *out, size_t cap);
size_t hpm_encode_version_property(const struct hpm_version *v, uint8_t *out, size_t cap);
/* text shorter than HPM_DESCRIPTION_LEN is padded with NUL bytes; longer is cut. */
size_t hpm_encode_description(const char *text, uint8_t *out, size_t cap);
size_t hpm_encode_upgrade_status(uint8_t cmd, uint8_t last_cc, uint8_t *out, size_t cap);
size_t hpm_encode_self_test(uint8_t result1, uint8_t result2, uint8_t *out, size_t cap);
size_t hpm_encode_rollback_status(uint8_t mask, uint8_t *out, size_t cap);
/* A response that is the PICMG Identifier alone. */
size_t hpm_encode_plain(uint8_t *out, size_t cap);

/* ---- the upgrade state machine ---- */

enum hpm_state {
        HPM_STATE_IDLE,                 /* nothing under way */
        HPM_STATE_PREPARED,             /* backup or prepare done for the components in prepared */
        HPM_STATE_UPLOADING,            /* Initiate upload done: blocks for one component */
        HPM_STATE_UPLOADED,             /* Finish done: components in uploaded wait for Activate */
};

struct hpm_upgrade {
        enum hpm_state state;
        uint8_t present;                /* components that exist */
        uint8_t prepared;
        uint8_t uploaded;               /* complete uploads waiting for activation */
        uint8_t component;              /* HPM_STATE_UPLOADING: which one */
        bool compare;                   /* ... and whether the upload is for compare */
        uint32_t max_size;              /* ... and how many bytes it may take */
        uint32_t received;              /* bytes accepted so far */
        bool any_block;
        uint8_t last_block;             /* number, offset and length of the last accepted block */
        uint32_t last_offset, last_len;
        /* Long-duration bookkeeping for Get Upgrade Status. */
        bool busy;                      /* a command answered 0x80 is still running */
        uint8_t last_cmd;               /* the last upgrade command (running or done) */
        uint8_t last_cc;                /* its completion code; 0x80 while busy */
};

void hpm_upgrade_init(struct hpm_upgrade *u, uint8_t present);

/* Initiate Upgrade Action: 0 (and the state moved) or the code to answer. For the upload
 * actions exactly one component, whose upload may take max_size bytes. */
int hpm_upgrade_initiate(struct hpm_upgrade *u, uint8_t mask, uint8_t action, uint32_t max_size);
/*
 * Upload Firmware Block: 0 and where the len bytes go (*ret_offset), or the code to answer. The
 * first block is number 0, each next one the previous + 1 (mod 256). The last accepted block
 * sent again (its answer was lost) is accepted again at the same offset (*ret_repeat): writing
 * it twice leaves the same bytes. Out of sequence: 0xCC. Past max_size: 0xC4 (out of space).
 */
int hpm_upgrade_block(struct hpm_upgrade *u, uint8_t block, size_t len, uint32_t *ret_offset,
                      bool *ret_repeat);
/* Undo the last hpm_upgrade_block() that returned 0 and was not a repeat: its bytes could
 * not be stored. */
void hpm_upgrade_block_failed(struct hpm_upgrade *u);
/* Finish Firmware Upload: 0 when component and size match what was uploaded (the daemon then
 * verifies and syncs, and reports through hpm_upgrade_finished()), or the code to answer. */
int hpm_upgrade_finish(struct hpm_upgrade *u, uint8_t component, uint32_t size);
/* The upload is stored (cc 0: an upgrade now waits for activation) or was refused (anything
 * else: the upload is gone). Compare uploads return to idle either way. */
void hpm_upgrade_finished(struct hpm_upgrade *u, uint8_t cc);
/* Activate Firmware: 0 and the components to activate (*ret_mask), or the code to answer. */
int hpm_upgrade_activate(struct hpm_upgrade *u, uint8_t *ret_mask);
/* Abort Firmware Upgrade: 0 (back to idle, uploads dropped), or the code to answer. */
int hpm_upgrade_abort(struct hpm_upgrade *u);
/* Whether a command may start now: 0, or 0xC0 (node busy) while a long-duration one runs. */
int hpm_upgrade_may_start(const struct hpm_upgrade *u);

/* A command finished at once with cc (it becomes what Get Upgrade Status reports). */
void hpm_upgrade_note(struct hpm_upgrade *u, uint8_t cmd, uint8_t cc);
/* A command answered 0x80 and goes on; hpm_upgrade_end() when it is done. */
void hpm_upgrade_begin(struct hpm_upgrade *u, uint8_t cmd);
void hpm_upgrade_end(struct hpm_upgrade *u, uint8_t cc);

/* ---- the activation journal (daemon/hpm-journal.c keeps it in the state directory) ---- */

enum hpm_journal_phase {
        HPM_JOURNAL_IDLE,               /* nothing was under way */
        HPM_JOURNAL_ACTIVATING,         /* the atomic step may or may not have happened */
        HPM_JOURNAL_ROLLING_BACK,       /* the same, for a manual rollback */
};

struct hpm_journal_entry {
        enum hpm_journal_phase phase;
        uint8_t slot;                   /* A/B components: the slot the step makes active, 0/1 */
        bool rolled_back;               /* the last activation did not stay (Query Rollback Status) */
        bool has_rollback;              /* a rollback copy / the other slot holds the previous version */
        bool has_rollback_version;
        struct hpm_version rollback_version;
        uint32_t checksum;              /* of the content the last activation put in place */
        uint32_t size;
};

struct hpm_journal {
        struct hpm_journal_entry component[HPM_COMPONENTS_MAX];
};

#define HPM_JOURNAL_MAX 1024            /* bytes of the encoded form, all entries */

/* Text, one line per component: "N phase slot rolled-back has-rollback version|- checksum
 * size\n". 0, or -EINVAL for anything else (a truncated, foreign or altered file). */
int hpm_journal_parse(const char *text, size_t len, struct hpm_journal *ret);
/* The encoded bytes (< HPM_JOURNAL_MAX) into out, NUL-terminated; the length. */
size_t hpm_journal_encode(const struct hpm_journal *j, char *out, size_t cap);

/* The running checksum of uploaded bytes (32-bit FNV-1a): start with HPM_CHECKSUM_INIT. */
#define HPM_CHECKSUM_INIT 0x811C9DC5u
uint32_t hpm_checksum_update(uint32_t sum, const uint8_t *d, size_t len);
