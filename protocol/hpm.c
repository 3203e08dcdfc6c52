/* SPDX-License-Identifier: MIT */
/*
 * HPM.1 target side, pure: see hpm.h. Layouts checked against ipmitool's
 * include/ipmitool/ipmi_hpmfwupg.h and python-ipmi's pyipmi/msgs/hpm.py.
 */
#include "hpm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC_OUT_OF_SPACE 0xC4
#define CC_INVALID_LENGTH 0xC7
#define CC_INVALID_FIELD 0xCC
#define CC_NODE_BUSY 0xC0
#define CC_WRONG_STATE 0xD5

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
               (uint32_t) p[3] << 24;
}

static int check_id(const uint8_t *d, size_t len, size_t min, size_t max) {
        if (len < min || len > max)
                return CC_INVALID_LENGTH;
        if (d[0] != HPM_PICMG_ID)
                return CC_INVALID_FIELD;
        return 0;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Decimal digits only, at most max_digits, value at most max. */
static int parse_decimal(const char **p, unsigned max_digits, unsigned max, uint8_t *ret) {
        unsigned v = 0, n = 0;

        while (isdigit((unsigned char) **p) && n < max_digits) {
                v = v * 10 + (unsigned) (**p - '0');
                (*p)++;
                n++;
        }
        if (n == 0 || isdigit((unsigned char) **p) || v > max)
                return -EINVAL;
        *ret = (uint8_t) v;
        return 0;
}

int hpm_version_parse(const char *text, struct hpm_version *ret) {
        struct hpm_version v = { 0 };
        const char *p = text;

        while (*p == ' ' || *p == '\t')
                p++;
        if (parse_decimal(&p, 3, 127, &v.major) < 0 || *p++ != '.' ||
            parse_decimal(&p, 2, 99, &v.minor) < 0)
                return -EINVAL;
        if (*p == ' ' || *p == '\t') {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p != '\0') {
                        for (size_t i = 0; i < 4; i++) {
                                int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);

                                if (hi < 0 || lo < 0)
                                        return -EINVAL;
                                v.aux[i] = (uint8_t) (hi << 4 | lo);
                                p += 2;
                        }
                }
        }
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        if (*p != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

void hpm_version_encode(const struct hpm_version *v, uint8_t out[HPM_VERSION_LEN]) {
        out[0] = v->major & 0x7F;
        out[1] = (uint8_t) ((v->minor / 10) << 4 | (v->minor % 10));
        memcpy(out + 2, v->aux, 4);
}

int hpm_parse_plain(const uint8_t *d, size_t len) {
        return check_id(d, len, 1, 1);
}

int hpm_parse_get_properties(const uint8_t *d, size_t len, uint8_t *ret_component,
                             uint8_t *ret_selector) {
        int r = check_id(d, len, 3, 3);

        if (r)
                return r;
        *ret_component = d[1];
        *ret_selector = d[2];
        return 0;
}

int hpm_parse_initiate(const uint8_t *d, size_t len, uint8_t *ret_mask, uint8_t *ret_action) {
        int r = check_id(d, len, 3, 3);

        if (r)
                return r;
        if (d[2] > HPM_ACTION_UPLOAD_COMPARE)
                return CC_INVALID_FIELD;
        *ret_mask = d[1];
        *ret_action = d[2];
        return 0;
}

int hpm_parse_upload(const uint8_t *d, size_t len, uint8_t *ret_block, const uint8_t **ret_data,
                     size_t *ret_data_len) {
        int r = check_id(d, len, 3, SIZE_MAX);

        if (r)
                return r;
        *ret_block = d[1];
        *ret_data = d + 2;
        *ret_data_len = len - 2;
        return 0;
}

int hpm_parse_finish(const uint8_t *d, size_t len, uint8_t *ret_component, uint32_t *ret_size) {
        int r = check_id(d, len, 6, 6);

        if (r)
                return r;
        *ret_component = d[1];
        *ret_size = le32(d + 2);
        return 0;
}

int hpm_parse_activate(const uint8_t *d, size_t len, int *ret_override) {
        int r = check_id(d, len, 1, 2);

        if (r)
                return r;
        if (len == 2 && d[1] > 1)
                return CC_INVALID_FIELD;
        *ret_override = len == 2 ? d[1] : -1;
        return 0;
}

size_t hpm_encode_plain(uint8_t *out, size_t cap) {
        if (cap < 1)
                return 0;
        out[0] = HPM_PICMG_ID;
        return 1;
}

size_t hpm_encode_target_caps(const struct hpm_target_caps *c, uint8_t *out, size_t cap) {
        if (cap < 8)
                return 0;
        out[0] = HPM_PICMG_ID;
        out[1] = HPM_VERSION;
        out[2] = c->capabilities;
        out[3] = c->upgrade_timeout;
        out[4] = c->self_test_timeout;
        out[5] = c->rollback_timeout;
        out[6] = c->inaccessibility_timeout;
        out[7] = c->components;
        return 8;
}

size_t hpm_encode_general_properties(uint8_t properties, uint8_t *out, size_t cap) {
        if (cap < 2)
                return 0;
        out[0] = HPM_PICMG_ID;
        out[1] = properties;
        return 2;
}

size_t hpm_encode_version_property(const struct hpm_version *v, uint8_t *out, size_t cap) {
        if (cap < 1 + HPM_VERSION_LEN)
                return 0;
        out[0] = HPM_PICMG_ID;
        hpm_version_encode(v, out + 1);
        return 1 + HPM_VERSION_LEN;
}

size_t hpm_encode_description(const char *text, uint8_t *out, size_t cap) {
        size_t n = strnlen(text, HPM_DESCRIPTION_LEN);

        if (cap < 1 + HPM_DESCRIPTION_LEN)
                return 0;
        out[0] = HPM_PICMG_ID;
        memset(out + 1, 0, HPM_DESCRIPTION_LEN);
        memcpy(out + 1, text, n);
        return 1 + HPM_DESCRIPTION_LEN;
}

size_t hpm_encode_upgrade_status(uint8_t cmd, uint8_t last_cc, uint8_t *out, size_t cap) {
        if (cap < 3)
                return 0;
        out[0] = HPM_PICMG_ID;
        out[1] = cmd;
        out[2] = last_cc;
        return 3;
}

size_t hpm_encode_self_test(uint8_t result1, uint8_t result2, uint8_t *out, size_t cap) {
        if (cap < 3)
                return 0;
        out[0] = HPM_PICMG_ID;
        out[1] = result1;
        out[2] = result2;
        return 3;
}

size_t hpm_encode_rollback_status(uint8_t mask, uint8_t *out, size_t cap) {
        if (cap < 2)
                return 0;
        out[0] = HPM_PICMG_ID;
        out[1] = mask;
        return 2;
}

/* ---- state machine ---- */

void hpm_upgrade_init(struct hpm_upgrade *u, uint8_t present) {
        *u = (struct hpm_upgrade) { .state = HPM_STATE_IDLE, .present = present };
}

int hpm_upgrade_may_start(const struct hpm_upgrade *u) {
        return u->busy ? CC_NODE_BUSY : 0;
}

static bool one_bit(uint8_t m) {
        return m != 0 && (m & (m - 1)) == 0;
}

static uint8_t bit_index(uint8_t m) {
        uint8_t i = 0;

        while (m > 1) {
                m >>= 1;
                i++;
        }
        return i;
}

int hpm_upgrade_initiate(struct hpm_upgrade *u, uint8_t mask, uint8_t action, uint32_t max_size) {
        if (u->busy)
                return CC_NODE_BUSY;
        if (mask == 0 || (mask & ~u->present))
                return HPM_CC_INVALID_COMPONENTS;
        switch (action) {
        case HPM_ACTION_BACKUP:
        case HPM_ACTION_PREPARE:
                if (u->state == HPM_STATE_UPLOADING)
                        return CC_WRONG_STATE;
                /* A prepare starts a new upgrade: earlier uploads not activated are dropped by
                 * the daemon for these components. */
                u->uploaded &= (uint8_t) ~mask;
                u->prepared |= mask;
                u->state = u->uploaded ? HPM_STATE_UPLOADED : HPM_STATE_PREPARED;
                return 0;
        case HPM_ACTION_UPLOAD_UPGRADE:
        case HPM_ACTION_UPLOAD_COMPARE:
                if (!one_bit(mask))
                        return HPM_CC_INVALID_COMPONENTS;
                if (u->state == HPM_STATE_UPLOADING)
                        return CC_WRONG_STATE;
                u->state = HPM_STATE_UPLOADING;
                u->component = bit_index(mask);
                u->compare = action == HPM_ACTION_UPLOAD_COMPARE;
                u->uploaded &= (uint8_t) ~mask;
                u->max_size = max_size;
                u->received = 0;
                u->any_block = false;
                u->last_block = 0;
                u->last_offset = u->last_len = 0;
                return 0;
        default:
                return CC_INVALID_FIELD;
        }
}

int hpm_upgrade_block(struct hpm_upgrade *u, uint8_t block, size_t len, uint32_t *ret_offset,
                      bool *ret_repeat) {
        if (u->busy)
                return CC_NODE_BUSY;
        if (u->state != HPM_STATE_UPLOADING)
                return CC_WRONG_STATE;
        if (len == 0)
                return CC_INVALID_LENGTH;
        if (u->any_block && block == u->last_block && len == u->last_len) {
                *ret_offset = u->last_offset;
                *ret_repeat = true;
                return 0;
        }
        if (block != (u->any_block ? (uint8_t) (u->last_block + 1) : 0))
                return CC_INVALID_FIELD;
        if (len > u->max_size - u->received)
                return CC_OUT_OF_SPACE;
        *ret_offset = u->received;
        *ret_repeat = false;
        u->last_offset = u->received;
        u->last_len = (uint32_t) len;
        u->last_block = block;
        u->any_block = true;
        u->received += (uint32_t) len;
        return 0;
}

void hpm_upgrade_block_failed(struct hpm_upgrade *u) {
        if (!u->any_block)
                return;
        u->received = u->last_offset;
        if (u->last_offset == 0)
                u->any_block = false;
        else
                u->last_block--;
        /* The block before is no longer repeatable: only its number is known. */
        u->last_len = 0;
}

int hpm_upgrade_finish(struct hpm_upgrade *u, uint8_t component, uint32_t size) {
        if (u->busy)
                return CC_NODE_BUSY;
        if (u->state != HPM_STATE_UPLOADING)
                return CC_WRONG_STATE;
        if (component != u->component)
                return HPM_CC_INVALID_COMPONENT_ID;
        if (size != u->received)
                return HPM_CC_SIZE_MISMATCH;
        return 0;
}

void hpm_upgrade_finished(struct hpm_upgrade *u, uint8_t cc) {
        if (u->state != HPM_STATE_UPLOADING)
                return;
        if (cc == 0 && !u->compare)
                u->uploaded |= (uint8_t) (1u << u->component);
        u->state = u->uploaded ? HPM_STATE_UPLOADED :
                   u->prepared ? HPM_STATE_PREPARED : HPM_STATE_IDLE;
}

int hpm_upgrade_activate(struct hpm_upgrade *u, uint8_t *ret_mask) {
        if (u->busy)
                return CC_NODE_BUSY;
        if (u->state != HPM_STATE_UPLOADED || u->uploaded == 0)
                return CC_WRONG_STATE;
        *ret_mask = u->uploaded;
        u->uploaded = 0;
        u->prepared = 0;
        u->state = HPM_STATE_IDLE;
        return 0;
}

int hpm_upgrade_abort(struct hpm_upgrade *u) {
        if (u->busy)
                return HPM_CC_CANNOT_ABORT;
        u->state = HPM_STATE_IDLE;
        u->uploaded = 0;
        u->prepared = 0;
        u->received = 0;
        u->any_block = false;
        return 0;
}

void hpm_upgrade_note(struct hpm_upgrade *u, uint8_t cmd, uint8_t cc) {
        if (u->busy)
                return;
        u->last_cmd = cmd;
        u->last_cc = cc;
}

void hpm_upgrade_begin(struct hpm_upgrade *u, uint8_t cmd) {
        u->busy = true;
        u->last_cmd = cmd;
        u->last_cc = HPM_CC_IN_PROGRESS;
}

void hpm_upgrade_end(struct hpm_upgrade *u, uint8_t cc) {
        u->busy = false;
        u->last_cc = cc;
}

/* ---- journal ---- */

static const char *const phase_names[] = {
        [HPM_JOURNAL_IDLE] = "idle",
        [HPM_JOURNAL_ACTIVATING] = "activating",
        [HPM_JOURNAL_ROLLING_BACK] = "rolling-back",
};

size_t hpm_journal_encode(const struct hpm_journal *j, char *out, size_t cap) {
        size_t n = 0;

        if (cap == 0)
                return 0;
        out[0] = '\0';
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                const struct hpm_journal_entry *e = &j->component[i];
                char version[32] = "-";
                int w;

                if (e->has_rollback_version)
                        snprintf(version, sizeof(version), "%u.%02u:%02x%02x%02x%02x",
                                 e->rollback_version.major & 0x7F, e->rollback_version.minor % 100,
                                 e->rollback_version.aux[0], e->rollback_version.aux[1],
                                 e->rollback_version.aux[2], e->rollback_version.aux[3]);
                w = snprintf(out + n, cap - n, "%u %s %u %u %u %s %08x %u\n", i,
                             phase_names[e->phase <= HPM_JOURNAL_ROLLING_BACK ? e->phase : 0],
                             e->slot & 1, e->rolled_back, e->has_rollback, version,
                             (unsigned) e->checksum, (unsigned) e->size);
                if (w < 0 || (size_t) w >= cap - n) {
                        out[n] = '\0';
                        return n;
                }
                n += (size_t) w;
        }
        return n;
}

/* One unsigned decimal or hex (hex = true) field ending in a blank or newline. */
static int field_number(const char **p, const char *end, bool hex, unsigned long max,
                        unsigned long *ret) {
        uint64_t v = 0;                 /* 10 decimal digits overflow a 32-bit long */
        size_t n = 0;

        while (*p < end && **p != ' ' && **p != '\n') {
                int d = hex ? hex_value(**p) : (isdigit((unsigned char) **p) ? **p - '0' : -1);

                if (d < 0 || n >= (hex ? 8 : 10))
                        return -EINVAL;
                v = v * (hex ? 16 : 10) + (uint64_t) d;
                (*p)++;
                n++;
        }
        if (n == 0 || v > max)
                return -EINVAL;
        *ret = (unsigned long) v;
        return 0;
}

static int expect(const char **p, const char *end, char c) {
        if (*p >= end || **p != c)
                return -EINVAL;
        (*p)++;
        return 0;
}

static int field_phase(const char **p, const char *end, enum hpm_journal_phase *ret) {
        for (size_t i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++) {
                size_t n = strlen(phase_names[i]);

                if ((size_t) (end - *p) > n && memcmp(*p, phase_names[i], n) == 0 &&
                    (*p)[n] == ' ') {
                        *p += n;
                        *ret = (enum hpm_journal_phase) i;
                        return 0;
                }
        }
        return -EINVAL;
}

/* "-" or "M.mm:aabbccdd" */
static int field_version(const char **p, const char *end, struct hpm_journal_entry *e) {
        unsigned long major, minor, aux;
        const char *q;

        if (*p < end && **p == '-') {
                (*p)++;
                e->has_rollback_version = false;
                return 0;
        }
        q = memchr(*p, '.', (size_t) (end - *p));
        if (!q)
                return -EINVAL;
        if (field_number(p, q, false, 127, &major) < 0 || expect(p, end, '.') < 0)
                return -EINVAL;
        q = memchr(*p, ':', (size_t) (end - *p));
        if (!q || field_number(p, q, false, 99, &minor) < 0 || expect(p, end, ':') < 0 ||
            field_number(p, end, true, 0xFFFFFFFFul, &aux) < 0)
                return -EINVAL;
        e->has_rollback_version = true;
        e->rollback_version.major = (uint8_t) major;
        e->rollback_version.minor = (uint8_t) minor;
        for (int i = 0; i < 4; i++)
                e->rollback_version.aux[i] = (uint8_t) (aux >> (24 - 8 * i));
        return 0;
}

int hpm_journal_parse(const char *text, size_t len, struct hpm_journal *ret) {
        struct hpm_journal j = { 0 };
        const char *p = text, *end = text + len;

        if (len > HPM_JOURNAL_MAX)
                return -EINVAL;
        for (unsigned i = 0; i < HPM_COMPONENTS_MAX; i++) {
                struct hpm_journal_entry *e = &j.component[i];
                unsigned long v;

                if (field_number(&p, end, false, HPM_COMPONENTS_MAX - 1, &v) < 0 || v != i ||
                    expect(&p, end, ' ') < 0 || field_phase(&p, end, &e->phase) < 0 ||
                    expect(&p, end, ' ') < 0 || field_number(&p, end, false, 1, &v) < 0)
                        return -EINVAL;
                e->slot = (uint8_t) v;
                if (expect(&p, end, ' ') < 0 || field_number(&p, end, false, 1, &v) < 0)
                        return -EINVAL;
                e->rolled_back = v;
                if (expect(&p, end, ' ') < 0 || field_number(&p, end, false, 1, &v) < 0)
                        return -EINVAL;
                e->has_rollback = v;
                if (expect(&p, end, ' ') < 0 || field_version(&p, end, e) < 0 ||
                    expect(&p, end, ' ') < 0 ||
                    field_number(&p, end, true, 0xFFFFFFFFul, &v) < 0)
                        return -EINVAL;
                e->checksum = (uint32_t) v;
                if (expect(&p, end, ' ') < 0 ||
                    field_number(&p, end, false, 0xFFFFFFFFul, &v) < 0 ||
                    expect(&p, end, '\n') < 0)
                        return -EINVAL;
                e->size = (uint32_t) v;
        }
        if (p != end)
                return -EINVAL;
        *ret = j;
        return 0;
}

uint32_t hpm_checksum_update(uint32_t sum, const uint8_t *d, size_t len) {
        for (size_t i = 0; i < len; i++) {
                sum ^= d[i];
                sum *= 0x01000193u;
        }
        return sum;
}
