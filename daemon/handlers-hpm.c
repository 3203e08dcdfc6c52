/* SPDX-License-Identifier: MIT */
/*
 * PICMG HPM.1 firmware upgrade commands (netFn 0x2C, 0x2E..0x38): the bytes and rules are
 * protocol/hpm.c's, the disk work daemon/hpm.c's. Without [hpm.component.N] every one answers
 * 0xC1, as a command not implemented. Commands that change a component are accepted only from
 * [hpm] requesters (and the local ipmitool socket when [hpm] local-socket allows): 0xD4
 * otherwise. Finish, Activate and Initiate Manual Rollback answer 0x80 and go on in the worker
 * thread; Get Upgrade Status reports how they ended.
 */
#include <string.h>

#include "dispatch.h"
#include "hpm.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/hpm.h"
#include "protocol/ipmi.h"

#define CC_INSUFFICIENT_PRIVILEGE 0xD4

static size_t done(struct ipmi_msg_out *out, size_t n) {
        out->len = n;
        return n;
}

/* 0xC1 without HPM.1, else 0 once the PICMG Identifier is checked (the plain requests). */
static int usable(struct manager *m, const struct ipmi_msg_in *in) {
        if (!m->hpm)
                return IPMI_CC_INVALID_COMMAND;
        if (in->len < 1)
                return IPMI_CC_REQ_DATA_LEN_INVALID;
        return in->data[0] == HPM_PICMG_ID ? 0 : IPMI_CC_INVALID_DATA_FIELD;
}

static bool may_change(const struct hpm *h, const struct ipmi_msg_in *in) {
        if (in->rq_sa == 0)
                return h->config.local_trusted;
        for (unsigned i = 0; i < h->config.requesters.n; i++)
                if (h->config.requesters.address[i] == in->rq_sa)
                        return true;
        return false;
}

/* The checks every changing command begins with; 0 to go on. */
static int changing(struct manager *m, const struct ipmi_msg_in *in) {
        int r = usable(m, in);

        if (r)
                return r;
        if (!may_change(m->hpm, in)) {
                log_warning("HPM.1: refused command 0x%02x from 0x%02x: not in [hpm] requesters",
                            in->cmd, in->rq_sa);
                return CC_INSUFFICIENT_PRIVILEGE;
        }
        return hpm_upgrade_may_start(&m->hpm->upgrade);
}

static uint8_t timeout_units(uint32_t seconds) {
        return (uint8_t) MIN((seconds + 4) / 5, 255u);
}

static int handle_get_target_caps(struct manager *m, const struct ipmi_msg_in *in,
                                  struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        struct hpm_target_caps caps;
        int r = usable(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        caps = (struct hpm_target_caps) {
                .capabilities = HPM_CAP_SELF_TEST | HPM_CAP_MANUAL_ROLLBACK |
                                HPM_CAP_DEFERRED_ACTIVATION,
                .upgrade_timeout = timeout_units(h->config.upgrade_timeout_s),
                .self_test_timeout = timeout_units(h->config.self_test_timeout_s),
                .rollback_timeout = timeout_units(h->config.rollback_timeout_s),
                .inaccessibility_timeout = timeout_units(h->config.inaccessibility_timeout_s),
                .components = h->upgrade.present,
        };
        return done(out, hpm_encode_target_caps(&caps, out->data, out->cap)) ? 0 : 0xFF;
}

static uint8_t general_properties(const struct hpm_component_config *c) {
        uint8_t p = HPM_PROP_PREPARATION | HPM_PROP_COMPARISON;

        if (c->rollback)
                p |= HPM_PROP_ROLLBACK_MANUAL;
        if (c->cold_reset)
                p |= HPM_PROP_PAYLOAD_COLD_RESET;
        if (c->activate == HPM_ACTIVATE_COMMAND)
                p &= (uint8_t) ~HPM_PROP_COMPARISON;    /* the active copy is not ours to read */
        return p;
}

static int handle_get_component_properties(struct manager *m, const struct ipmi_msg_in *in,
                                           struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        const struct hpm_journal_entry *e;
        const struct hpm_component_config *c;
        struct hpm_version v;
        uint8_t id, selector;
        int r = usable(m, in);

        if (r || (r = hpm_parse_get_properties(in->data, in->len, &id, &selector)))
                return r;
        if (id >= HPM_COMPONENTS_MAX || !h->component[id].present)
                return HPM_CC_INVALID_COMPONENT_ID;
        c = h->component[id].config;
        e = &h->journal.component[id];
        switch (selector) {
        case HPM_PROPERTY_GENERAL:
                return done(out, hpm_encode_general_properties(general_properties(c), out->data,
                                                               out->cap)) ? 0 : 0xFF;
        case HPM_PROPERTY_CURRENT_VERSION:
                r = hpm_current_version(h, id, &v);
                if (r < 0) {
                        log_error("HPM.1: component %u: cannot read the version from %s: %s",
                                  id, c->version_file, strerror(-r));
                        return 0xFF;
                }
                return done(out, hpm_encode_version_property(&v, out->data, out->cap)) ? 0 : 0xFF;
        case HPM_PROPERTY_DESCRIPTION:
                return done(out, hpm_encode_description(c->name, out->data, out->cap)) ? 0 : 0xFF;
        case HPM_PROPERTY_ROLLBACK_VERSION:
                if (!c->rollback)
                        return HPM_CC_INVALID_SELECTOR;
                /* No previous version kept: all zeros, as ipmitool shows "---" for none. */
                v = e->has_rollback && e->has_rollback_version ? e->rollback_version :
                    (struct hpm_version) { 0 };
                return done(out, hpm_encode_version_property(&v, out->data, out->cap)) ? 0 : 0xFF;
        default:
                /* Deferred version: the upload's version is inside the image, which HPM.1
                 * does not send; satmc does not claim per-component deferred activation. */
                return HPM_CC_INVALID_SELECTOR;
        }
}

static void drop_all_uploads(struct hpm *h) {
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                if (h->component[i].present)
                        hpm_upload_drop(h, i);
}

static int handle_abort(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        int r = usable(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        if (!may_change(m->hpm, in))
                return CC_INSUFFICIENT_PRIVILEGE;
        r = hpm_upgrade_abort(&m->hpm->upgrade);
        if (r == 0)
                drop_all_uploads(m->hpm);
        hpm_upgrade_note(&m->hpm->upgrade, in->cmd, (uint8_t) r);
        return r ? r : (done(out, hpm_encode_plain(out->data, out->cap)) ? 0 : 0xFF);
}

static int handle_initiate(struct manager *m, const struct ipmi_msg_in *in,
                           struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        uint8_t mask, action;
        uint32_t max = 0;
        int r = changing(m, in);

        if (r || (r = hpm_parse_initiate(in->data, in->len, &mask, &action)))
                return r;
        if (action == HPM_ACTION_UPLOAD_COMPARE && mask && !(mask & (mask - 1)) &&
            (mask & h->upgrade.present) &&
            h->component[__builtin_ctz(mask)].config->activate == HPM_ACTIVATE_COMMAND)
                return HPM_CC_INVALID_COMPONENTS;       /* no comparison for these */
        if (action == HPM_ACTION_UPLOAD_UPGRADE || action == HPM_ACTION_UPLOAD_COMPARE) {
                /* Checked by the machine first, so a refused request changes nothing. */
                struct hpm_upgrade probe = h->upgrade;

                r = hpm_upgrade_initiate(&probe, mask, action, UINT32_MAX);
                if (r == 0) {
                        unsigned i = (unsigned) __builtin_ctz(mask);

                        r = hpm_upload_open(h, i, action == HPM_ACTION_UPLOAD_COMPARE, &max);
                        if (r < 0)
                                r = 0xFF;
                        else
                                r = hpm_upgrade_initiate(&h->upgrade, mask, action, max);
                }
        } else {
                r = hpm_upgrade_initiate(&h->upgrade, mask, action, 0);
                /* Prepare starts afresh: earlier uploads of these components are dropped. A
                 * backup needs no work here: every activation keeps the previous version of a
                 * component with rollback = yes. */
                if (r == 0)
                        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                                if (mask & (1u << i))
                                        hpm_upload_drop(h, i);
        }
        hpm_upgrade_note(&h->upgrade, in->cmd, (uint8_t) r);
        return r ? r : (done(out, hpm_encode_plain(out->data, out->cap)) ? 0 : 0xFF);
}

static int handle_upload(struct manager *m, const struct ipmi_msg_in *in,
                         struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        const uint8_t *data;
        size_t len;
        uint32_t offset;
        uint8_t block;
        bool repeat;
        int r = changing(m, in);

        if (r || (r = hpm_parse_upload(in->data, in->len, &block, &data, &len)))
                return r;
        r = hpm_upgrade_block(&h->upgrade, block, len, &offset, &repeat);
        if (r == 0) {
                r = hpm_upload_write(h, h->upgrade.component, offset, data, len, repeat);
                if (r < 0) {
                        log_error("HPM.1: writing the upload of component %u: %s",
                                  h->upgrade.component, strerror(-r));
                        if (!repeat)
                                hpm_upgrade_block_failed(&h->upgrade);
                        r = r == -ENOSPC || r == -EDQUOT ? IPMI_CC_OUT_OF_SPACE : 0xFF;
                }
        }
        hpm_upgrade_note(&h->upgrade, in->cmd, (uint8_t) r);
        return r ? r : (done(out, hpm_encode_plain(out->data, out->cap)) ? 0 : 0xFF);
}

/* Start a job that answers 0x80 now and reports through Get Upgrade Status. */
static int long_running(struct hpm *h, uint8_t cmd, enum hpm_job_kind kind, uint8_t mask,
                        struct ipmi_msg_out *out) {
        int r = hpm_job_start(h, kind, mask);

        if (r < 0) {
                log_error("HPM.1: cannot start the worker: %s", strerror(-r));
                return 0xFF;
        }
        hpm_upgrade_begin(&h->upgrade, cmd);
        done(out, hpm_encode_plain(out->data, out->cap));
        return HPM_CC_IN_PROGRESS;
}

static int handle_finish(struct manager *m, const struct ipmi_msg_in *in,
                         struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        uint8_t id;
        uint32_t size;
        int r = changing(m, in);

        if (r || (r = hpm_parse_finish(in->data, in->len, &id, &size)))
                return r;
        r = hpm_upgrade_finish(&h->upgrade, id, size);
        if (r) {
                hpm_upgrade_note(&h->upgrade, in->cmd, (uint8_t) r);
                return r;
        }
        return long_running(h, in->cmd, HPM_JOB_FINISH, (uint8_t) (1u << id), out);
}

static int handle_get_upgrade_status(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        const struct hpm_upgrade *u;
        int r = usable(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        u = &m->hpm->upgrade;
        return done(out, hpm_encode_upgrade_status(u->last_cmd, u->last_cc, out->data,
                                                   out->cap)) ? 0 : 0xFF;
}

static int handle_activate(struct manager *m, const struct ipmi_msg_in *in,
                           struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        struct hpm_upgrade saved;
        uint8_t mask;
        int override;
        int r = changing(m, in);

        if (r || (r = hpm_parse_activate(in->data, in->len, &override)))
                return r;
        /* The machine moves first (once the job runs it is busy and would refuse), and
         * goes back if the job cannot start: the uploads then still wait for activation. */
        saved = h->upgrade;
        r = hpm_upgrade_activate(&h->upgrade, &mask);
        if (r) {
                hpm_upgrade_note(&h->upgrade, in->cmd, (uint8_t) r);
                return r;
        }
        r = long_running(h, in->cmd, HPM_JOB_ACTIVATE, mask, out);
        if (r != HPM_CC_IN_PROGRESS)
                h->upgrade = saved;
        return r;
}

static int handle_query_self_test(struct manager *m, const struct ipmi_msg_in *in,
                                  struct ipmi_msg_out *out) {
        uint8_t failed;
        int r = usable(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        if (m->hpm->upgrade.busy && m->hpm->upgrade.last_cmd == HPM_CMD_ACTIVATE_FIRMWARE)
                return HPM_CC_IN_PROGRESS;
        failed = m->hpm->self_test_failed;
        return done(out, hpm_encode_self_test(failed ? HPM_SELF_TEST_CORRUPTED :
                                              HPM_SELF_TEST_PASSED, failed, out->data,
                                              out->cap)) ? 0 : 0xFF;
}

static uint8_t rolled_back_mask(const struct hpm *h) {
        uint8_t mask = 0;

        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                if (h->component[i].present && h->journal.component[i].rolled_back)
                        mask |= (uint8_t) (1u << i);
        return mask;
}

static int handle_query_rollback_status(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        const struct hpm_upgrade *u;
        int r = usable(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        u = &m->hpm->upgrade;
        if (u->busy && u->last_cmd == HPM_CMD_INITIATE_MANUAL_ROLLBACK)
                return HPM_CC_IN_PROGRESS;
        if (u->last_cmd == HPM_CMD_INITIATE_MANUAL_ROLLBACK && u->last_cc != 0)
                return HPM_CC_ROLLBACK_FAILURE;
        return done(out, hpm_encode_rollback_status(rolled_back_mask(m->hpm), out->data,
                                                    out->cap)) ? 0 : 0xFF;
}

static int handle_manual_rollback(struct manager *m, const struct ipmi_msg_in *in,
                                  struct ipmi_msg_out *out) {
        struct hpm *h = m->hpm;
        uint8_t mask = 0;
        int r = changing(m, in);

        if (r || (r = hpm_parse_plain(in->data, in->len)))
                return r;
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++)
                if (h->component[i].present && h->journal.component[i].has_rollback)
                        mask |= (uint8_t) (1u << i);
        if (!mask || h->upgrade.state == HPM_STATE_UPLOADING) {
                r = mask ? 0xD5 : HPM_CC_ROLLBACK_DENIED;
                hpm_upgrade_note(&h->upgrade, in->cmd, (uint8_t) r);
                return r;
        }
        return long_running(h, in->cmd, HPM_JOB_ROLLBACK, mask, out);
}

#define HPM_COMMAND(c, lo, hi, n, h) { \
        .netfn = HPM_NETFN, .cmd = (c), .min_len = (lo), .max_len = (hi), .name = (n), \
        .handler = (h) }

const struct ipmi_command hpm_commands[] = {
        HPM_COMMAND(HPM_CMD_GET_TARGET_UPGRADE_CAPABILITIES, 1, 1,
                    "HPM.1 Get Target Upgrade Capabilities", handle_get_target_caps),
        HPM_COMMAND(HPM_CMD_GET_COMPONENT_PROPERTIES, 3, 3, "HPM.1 Get Component Properties",
                    handle_get_component_properties),
        HPM_COMMAND(HPM_CMD_ABORT_FIRMWARE_UPGRADE, 1, 1, "HPM.1 Abort Firmware Upgrade",
                    handle_abort),
        HPM_COMMAND(HPM_CMD_INITIATE_UPGRADE_ACTION, 3, 3, "HPM.1 Initiate Upgrade Action",
                    handle_initiate),
        HPM_COMMAND(HPM_CMD_UPLOAD_FIRMWARE_BLOCK, 3, 255, "HPM.1 Upload Firmware Block",
                    handle_upload),
        HPM_COMMAND(HPM_CMD_FINISH_FIRMWARE_UPLOAD, 6, 6, "HPM.1 Finish Firmware Upload",
                    handle_finish),
        HPM_COMMAND(HPM_CMD_GET_UPGRADE_STATUS, 1, 1, "HPM.1 Get Upgrade Status",
                    handle_get_upgrade_status),
        HPM_COMMAND(HPM_CMD_ACTIVATE_FIRMWARE, 1, 2, "HPM.1 Activate Firmware",
                    handle_activate),
        HPM_COMMAND(HPM_CMD_QUERY_SELF_TEST_RESULTS, 1, 1, "HPM.1 Query Self-test Results",
                    handle_query_self_test),
        HPM_COMMAND(HPM_CMD_QUERY_ROLLBACK_STATUS, 1, 1, "HPM.1 Query Rollback Status",
                    handle_query_rollback_status),
        HPM_COMMAND(HPM_CMD_INITIATE_MANUAL_ROLLBACK, 1, 1, "HPM.1 Initiate Manual Rollback",
                    handle_manual_rollback),
};

const size_t hpm_commands_count = ELEMENTSOF(hpm_commands);
