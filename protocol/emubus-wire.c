/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/emubus-wire.h"

int emubus_decode(const uint8_t *buf, size_t len, struct emubus_msg *out) {
        struct emubus_msg m = {};

        if (len < 1)
                return -EBADMSG;
        m.type = buf[0];

        switch (m.type) {
        case EMUBUS_ATTACH:
                if (len < 2 || len - 1 > EMUBUS_ATTACH_MAX)
                        return -EBADMSG;
                for (size_t i = 1; i < len; i++)
                        if (!emubus_addr7_attachable(buf[i]))
                                return -EBADMSG;
                m.data = buf + 1;
                m.len = len - 1;
                break;

        case EMUBUS_WRITE:
                if (len < 4 || len - 3 > EMUBUS_DATA_MAX || buf[2] > 0x7F)
                        return -EBADMSG;
                m.tag = buf[1];
                m.addr7 = buf[2];
                m.data = buf + 3;
                m.len = len - 3;
                break;

        case EMUBUS_DELIVER:
                if (len < 3 || len - 2 > EMUBUS_DATA_MAX || buf[1] > 0x7F)
                        return -EBADMSG;
                m.addr7 = buf[1];
                m.data = buf + 2;
                m.len = len - 2;
                break;

        case EMUBUS_FAULT:
                if (len < 2 || len - 1 > EMUBUS_FAULT_TEXT_MAX)
                        return -EBADMSG;
                m.data = buf + 1;
                m.len = len - 1;
                break;

        case EMUBUS_IPMBDEV:
                if (len != 3 || !emubus_addr7_attachable(buf[1]) || buf[2] > EMUBUS_IPMBDEV_SMBUS)
                        return -EBADMSG;
                m.addr7 = buf[1];
                m.mode = buf[2];
                break;

        case EMUBUS_DEVWRITE:
                if (len < 3 || len - 3 > EMUBUS_DEVWRITE_MAX || buf[2] > EMUBUS_IPMBDEV_SMBUS)
                        return -EBADMSG;
                m.tag = buf[1];
                m.mode = buf[2];
                m.data = buf + 3;
                m.len = len - 3;
                break;

        case EMUBUS_ATTACHED:
        case EMUBUS_FAULTED:
        case EMUBUS_IPMBDEV_OK:
                if (len != 2)
                        return -EBADMSG;
                m.status = buf[1];
                break;

        case EMUBUS_DEVWRITTEN:
                if (len != 3)
                        return -EBADMSG;
                m.tag = buf[1];
                m.status = buf[2];
                break;

        case EMUBUS_WRITTEN:
                if (len != 3 || buf[2] > EMUBUS_NAK)
                        return -EBADMSG;
                m.tag = buf[1];
                m.status = buf[2];
                break;

        default:
                return -EBADMSG;
        }

        *out = m;
        return 0;
}

int emubus_encode(const struct emubus_msg *m, uint8_t *buf, size_t size) {
        size_t n = 0, need;

        /* Refuse what emubus_decode() would refuse, so both ends agree on what is valid. */
        switch (m->type) {
        case EMUBUS_ATTACH:
                if (m->len < 1 || m->len > EMUBUS_ATTACH_MAX)
                        return -EINVAL;
                for (size_t i = 0; i < m->len; i++)
                        if (!emubus_addr7_attachable(m->data[i]))
                                return -EINVAL;
                need = 1 + m->len;
                break;
        case EMUBUS_FAULT:
                if (m->len < 1 || m->len > EMUBUS_FAULT_TEXT_MAX)
                        return -EINVAL;
                need = 1 + m->len;
                break;
        case EMUBUS_WRITE:
        case EMUBUS_DELIVER:
                if (m->len < 1 || m->addr7 > 0x7F)
                        return -EINVAL;
                if (m->len > EMUBUS_DATA_MAX)
                        return -EMSGSIZE;
                need = (m->type == EMUBUS_WRITE ? 3 : 2) + m->len;
                break;
        case EMUBUS_IPMBDEV:
                if (!emubus_addr7_attachable(m->addr7) || m->mode > EMUBUS_IPMBDEV_SMBUS)
                        return -EINVAL;
                need = 3;
                break;
        case EMUBUS_DEVWRITE:
                if (m->mode > EMUBUS_IPMBDEV_SMBUS)
                        return -EINVAL;
                if (m->len > EMUBUS_DEVWRITE_MAX)
                        return -EMSGSIZE;
                need = 3 + m->len;
                break;
        case EMUBUS_ATTACHED:
        case EMUBUS_FAULTED:
        case EMUBUS_IPMBDEV_OK:
                need = 2;
                break;
        case EMUBUS_DEVWRITTEN:
                need = 3;
                break;
        case EMUBUS_WRITTEN:
                if (m->status > EMUBUS_NAK)
                        return -EINVAL;
                need = 3;
                break;
        default:
                return -EINVAL;
        }
        if (need > size)
                return -EMSGSIZE;

        buf[n++] = m->type;
        switch (m->type) {
        case EMUBUS_WRITE:
                buf[n++] = m->tag;
                buf[n++] = m->addr7;
                break;
        case EMUBUS_DELIVER:
                buf[n++] = m->addr7;
                break;
        case EMUBUS_IPMBDEV:
                buf[n++] = m->addr7;
                buf[n++] = m->mode;
                return (int) n;
        case EMUBUS_DEVWRITE:
                buf[n++] = m->tag;
                buf[n++] = m->mode;
                break;
        case EMUBUS_ATTACHED:
        case EMUBUS_FAULTED:
        case EMUBUS_IPMBDEV_OK:
                buf[n++] = m->status;
                return (int) n;
        case EMUBUS_WRITTEN:
        case EMUBUS_DEVWRITTEN:
                buf[n++] = m->tag;
                buf[n++] = m->status;
                return (int) n;
        }
        if (m->len > 0)
                memcpy(buf + n, m->data, m->len);
        return (int) (n + m->len);
}

/* Parse an unsigned number ("0x" hex or plain decimal, never octal) spanning exactly s..s+len. */
static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret) {
        char tmp[24], *end;
        bool hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        unsigned long v;

        if (len == 0 || len >= sizeof(tmp) || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        if (hex && !isxdigit((unsigned char) s[2]))
                return -EINVAL;
        memcpy(tmp, s, len);
        tmp[len] = 0;
        errno = 0;
        v = strtoul(tmp, &end, hex ? 16 : 10);
        if (errno || end != tmp + len || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_probability(const char *s, size_t len, double *ret) {
        char tmp[24], *end;
        double v;

        if (len == 0 || len >= sizeof(tmp) || !(isdigit((unsigned char) s[0]) || s[0] == '.'))
                return -EINVAL;
        memcpy(tmp, s, len);
        tmp[len] = 0;
        errno = 0;
        v = strtod(tmp, &end);
        if (errno || end != tmp + len || !(v > 0.0 && v <= 1.0))
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool token_is(const char *s, size_t len, const char *word) {
        return len == strlen(word) && memcmp(s, word, len) == 0;
}

int emubus_fault_parse(const char *text, size_t len, struct emubus_fault *out) {
        static const struct { const char *name; enum emubus_fault_kind kind; } kinds[] = {
                { "drop", EMUBUS_FAULT_DROP },
                { "corrupt", EMUBUS_FAULT_CORRUPT },
                { "nak", EMUBUS_FAULT_NAK },
                { "delay", EMUBUS_FAULT_DELAY },
        };
        struct emubus_fault f = { .addr7 = -1, .probability = 1.0, .delay_ms = 50 };
        const char *p = text, *end = text + len;
        const char *tok;
        unsigned long v;
        bool known = false;

        if (token_is(text, len, "clear")) {
                *out = (struct emubus_fault) { .clear = true };
                return 0;
        }

        /* KIND, up to '@', ':' or the end */
        tok = p;
        while (p < end && *p != '@' && *p != ':')
                p++;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (token_is(tok, (size_t) (p - tok), kinds[i].name)) {
                        f.kind = kinds[i].kind;
                        known = true;
                }
        if (!known)
                return -EINVAL;

        if (p < end && *p == '@') {
                tok = ++p;
                while (p < end && *p != ':')
                        p++;
                if (parse_uint(tok, (size_t) (p - tok), 0x7F, &v) < 0)
                        return -EINVAL;
                f.addr7 = (int) v;
        }

        while (p < end) {
                const char *key, *val;
                size_t klen;

                if (*p != ':')
                        return -EINVAL;
                key = ++p;
                while (p < end && *p != '=' && *p != ':')
                        p++;
                if (p >= end || *p != '=')
                        return -EINVAL;
                klen = (size_t) (p - key);
                val = ++p;
                while (p < end && *p != ':')
                        p++;

                if (token_is(key, klen, "p")) {
                        if (parse_probability(val, (size_t) (p - val), &f.probability) < 0)
                                return -EINVAL;
                } else if (token_is(key, klen, "n")) {
                        if (parse_uint(val, (size_t) (p - val), 1000000, &v) < 0)
                                return -EINVAL;
                        f.count = (unsigned) v;
                } else if (token_is(key, klen, "ms")) {
                        if (parse_uint(val, (size_t) (p - val), 60000, &v) < 0)
                                return -EINVAL;
                        f.delay_ms = (unsigned) v;
                } else
                        return -EINVAL;
        }

        *out = f;
        return 0;
}
