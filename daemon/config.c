/* SPDX-License-Identifier: MIT */
/*
 * Configuration: one table of keys drives parsing, defaults, validation and the reference
 * (satmcd --dump-config-reference, docs/configuration.md). libinih splits the file; a line
 * counting reader around it gives every error its line number, because Debian's libinih is
 * built without INI_HANDLER_LINENO.
 */
#include <errno.h>
#include <limits.h>
#include <ini.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "config-sensor-source.h"
#include "log.h"
#include "macro.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "protocol/sensor-linear.h"

#define REASON_MAX 160

struct config_key;
typedef int (*config_parser)(const struct config_key *k, const char *value, void *dest,
                             char *reason);

struct config_key {
        const char *section;
        const char *name;
        config_parser parse;
        size_t offset;                  /* into struct satmc_config */
        const char *default_value;      /* as it would be written in the file; NULL = required */
        unsigned long min, max;         /* for the integer parsers */
        const char *description;
};

/* ---- value parsers: 0, or -EINVAL with a reason ---- */

/* Unsigned integer: "0x" hex or plain decimal (never octal: "010" means ten). */
static int parse_number(const char *value, unsigned long *ret) {
        const char *digits = value;
        int base = 10;
        char *end;
        unsigned long v;

        if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
                digits = value + 2;
                base = 16;
        }
        if (digits[0] == '\0' || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoul(digits, &end, base);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_ranged(const struct config_key *k, const char *value, unsigned long *v,
                        char *reason) {
        if (parse_number(value, v) < 0) {
                snprintf(reason, REASON_MAX, "\"%s\" is not a number", value);
                return -EINVAL;
        }
        if (*v < k->min || *v > k->max) {
                snprintf(reason, REASON_MAX, "%s must be between %lu and %lu (0x%lx..0x%lx), not %s",
                         k->name, k->min, k->max, k->min, k->max, value);
                return -EINVAL;
        }
        return 0;
}

static int parse_u8(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

static int parse_u16(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint16_t *) dest = (uint16_t) v;
        return 0;
}

static int parse_u32(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint32_t *) dest = (uint32_t) v;
        return 0;
}

/* An IPMB slave address in 8-bit form: even, and outside the reserved I2C ranges. */
static int parse_ipmb_address(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        unsigned long v;

        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        if (v & 1) {
                /* Suggest the 8-bit form only if it is a valid address itself (not for 0xd9). */
                if (v << 1 <= k->max)
                        snprintf(reason, REASON_MAX, "%s %s is odd: IPMB addresses are 8-bit "
                                 "(7-bit << 1); did you mean 0x%02lx?", k->name, value, v << 1);
                else
                        snprintf(reason, REASON_MAX, "%s %s is odd: IPMB addresses are 8-bit "
                                 "(7-bit << 1)", k->name, value);
                return -EINVAL;
        }
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

/* The event receiver: an IPMB address, or 0xFF / "none" for no events (IPMI's own value). */
static int parse_event_receiver(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        if (strcmp(value, "none") == 0 || strcasecmp(value, "0xff") == 0 ||
            strcmp(value, "255") == 0) {
                *(uint8_t *) dest = 0xFF;
                return 0;
        }
        return parse_ipmb_address(k, value, dest, reason);
}

static int parse_string(const struct config_key *k, const char *value, void *dest, char *reason) {
        char **s = dest, *copy;

        if (value[0] == '\0') {
                snprintf(reason, REASON_MAX, "%s must not be empty", k->name);
                return -EINVAL;
        }
        copy = strdup(value);
        if (!copy) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        free(*s);
        *s = copy;
        return 0;
}

/* A UNIX socket path, or "none" for no socket at all. */
static int parse_socket_path(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        /* sockaddr_un's sun_path is 108 bytes on Linux, including the NUL. */
        if (value[0] != '/' || strlen(value) > 107) {
                snprintf(reason, REASON_MAX, "%s must be an absolute path of at most 107 "
                         "characters, or none", k->name);
                return -EINVAL;
        }
        return parse_string(k, value, dest, reason);
}

/* Permission bits of a socket file, in octal as chmod takes them: 0660, 660, 0600. */
static int parse_socket_mode(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        unsigned long v;
        char *end;

        errno = 0;
        v = value[0] >= '0' && value[0] <= '7' ? strtoul(value, &end, 8) : ULONG_MAX;
        if (errno || v == ULONG_MAX || *end || v > 0777) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be permission bits in octal, "
                         "0000..0777 (e.g. 0660)", k->name, value);
                return -EINVAL;
        }
        *(uint32_t *) dest = (uint32_t) v;
        return 0;
}

/* HOST:PORT for a TCP listener, or "none". The port is checked here, the host when it binds. */
static int parse_tcp_address(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        char **s = dest;
        const char *colon = strrchr(value, ':');
        unsigned long port;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (!colon || parse_number(colon + 1, &port) < 0 || port == 0 || port > 65535) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be HOST:PORT with a port of 1..65535, "
                         "or none", k->name, value);
                return -EINVAL;
        }
        return parse_string(k, value, dest, reason);
}

static int parse_log_level(const struct config_key *k, const char *value, void *dest, char *reason) {
        int level = log_level_from_string(value);

        if (level < 0) {
                snprintf(reason, REASON_MAX, "unknown log level \"%s\" (err, warning, notice, info, debug)",
                         value);
                return -EINVAL;
        }
        *(int *) dest = level;
        return 0;
}

static int parse_transport(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (strcmp(value, "chardev") == 0)
                *(enum transport_kind *) dest = TRANSPORT_KIND_CHARDEV;
        else if (strcmp(value, "emulated") == 0)
                *(enum transport_kind *) dest = TRANSPORT_KIND_EMULATED;
        else {
                snprintf(reason, REASON_MAX, "unknown transport \"%s\" (chardev or emulated)", value);
                return -EINVAL;
        }
        return 0;
}

/* "MAJOR.MM": major 0..127 (7 bits), minor exactly two decimal digits, sent as BCD. */
static int parse_firmware_version(const struct config_key *k, const char *value, void *dest,
                                  char *reason) {
        struct satmc_identity *id = dest;
        const char *dot = strchr(value, '.');
        unsigned long major;
        char buf[8];

        if (!dot || (size_t) (dot - value) >= sizeof(buf) || strlen(dot + 1) != 2 ||
            dot[1] < '0' || dot[1] > '9' || dot[2] < '0' || dot[2] > '9')
                goto bad;
        memcpy(buf, value, (size_t) (dot - value));
        buf[dot - value] = '\0';
        if (parse_number(buf, &major) < 0 || major > 127)
                goto bad;
        id->fw_major = (uint8_t) major;
        id->fw_minor = (uint8_t) ((dot[1] - '0') * 10 + (dot[2] - '0'));
        return 0;
bad:
        snprintf(reason, REASON_MAX, "firmware-version \"%s\" must be MAJOR.MM (major 0..127, two "
                 "minor digits, e.g. 1.05)", value);
        return -EINVAL;
}

static int parse_ipmi_version(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        /* Get Device ID byte 5: BCD, major in the low nibble, minor in the high nibble. */
        if (strcmp(value, "1.0") == 0)
                *(uint8_t *) dest = 0x01;
        else if (strcmp(value, "1.5") == 0)
                *(uint8_t *) dest = 0x51;
        else if (strcmp(value, "2.0") == 0)
                *(uint8_t *) dest = 0x02;
        else {
                snprintf(reason, REASON_MAX, "ipmi-version \"%s\" must be 1.0, 1.5 or 2.0", value);
                return -EINVAL;
        }
        return 0;
}

static int parse_guid(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (guid_from_string(value, dest) < 0) {
                snprintf(reason, REASON_MAX, "guid \"%s\" must look like "
                         "01234567-89ab-cdef-0123-456789abcdef", value);
                return -EINVAL;
        }
        return 0;
}

static const char *const device_support_names[8] = {
        "sensor", "sdr-repository", "sel", "fru-inventory",
        "event-receiver", "event-generator", "bridge", "chassis",
};

/* A list of capability names separated by spaces or commas; "none" or empty for no bits. */
static int parse_device_support(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        _cleanup_(freep) char *copy = strdup(value);
        uint8_t bits = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
                size_t i;

                if (strcmp(w, "none") == 0)
                        continue;
                for (i = 0; i < ELEMENTSOF(device_support_names); i++)
                        if (strcmp(w, device_support_names[i]) == 0)
                                break;
                if (i == ELEMENTSOF(device_support_names)) {
                        snprintf(reason, REASON_MAX, "unknown device-support \"%s\" (sensor, "
                                 "sdr-repository, sel, fru-inventory, event-receiver, "
                                 "event-generator, bridge, chassis)", w);
                        return -EINVAL;
                }
                bits |= (uint8_t) (1u << i);
        }
        *(uint8_t *) dest = bits;
        return 0;
}

/* 0xAABBCCDD, sent as four bytes in that order (Get Device ID bytes 12..15); "none" omits them. */
static int parse_aux_firmware(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        struct satmc_identity *id = dest;
        unsigned long v;

        if (strcmp(value, "none") == 0) {
                id->has_aux_fw_rev = false;
                return 0;
        }
        if (parse_number(value, &v) < 0 || v > 0xFFFFFFFFul) {
                snprintf(reason, REASON_MAX, "aux-firmware-revision \"%s\" must be a 32-bit number "
                         "such as 0x01020304, or none", value);
                return -EINVAL;
        }
        id->has_aux_fw_rev = true;
        id->aux_fw_rev[0] = (uint8_t) (v >> 24);
        id->aux_fw_rev[1] = (uint8_t) (v >> 16);
        id->aux_fw_rev[2] = (uint8_t) (v >> 8);
        id->aux_fw_rev[3] = (uint8_t) v;
        return 0;
}

static int parse_bool(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
            strcmp(value, "1") == 0)
                *(bool *) dest = true;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
                 strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
                *(bool *) dest = false;
        else {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be yes or no (true/false, on/off, "
                         "1/0)", k->name, value);
                return -EINVAL;
        }
        return 0;
}

static int parse_absolute_path(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        if (value[0] != '/') {
                snprintf(reason, REASON_MAX, "%s must be an absolute path", k->name);
                return -EINVAL;
        }
        return parse_string(k, value, dest, reason);
}

/* GPIO line offsets for the hardware address, LSB first: "10 11 12" (or commas), or none. */
static int parse_gpio_lines(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        __typeof__(((struct satmc_config *) NULL)->hw_address_lines) *l = dest, new = { .n = 0 };
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (strcmp(value, "none") == 0) {
                l->n = 0;
                return 0;
        }
        copy = strdup(value);
        if (!copy) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                unsigned long v;

                if (new.n >= HW_ADDRESS_LINES_MAX) {
                        snprintf(reason, REASON_MAX, "%s: at most %d lines (HA0..HA6)", k->name,
                                 HW_ADDRESS_LINES_MAX);
                        return -EINVAL;
                }
                if (parse_number(w, &v) < 0 || v > k->max) {
                        snprintf(reason, REASON_MAX, "%s: \"%s\" is not a line offset (0..%lu)",
                                 k->name, w, k->max);
                        return -EINVAL;
                }
                for (size_t i = 0; i < new.n; i++)
                        if (new.offsets[i] == v) {
                                snprintf(reason, REASON_MAX, "%s: line %lu is named twice",
                                         k->name, v);
                                return -EINVAL;
                        }
                new.offsets[new.n++] = (unsigned) v;
        }
        if (new.n == 0) {
                snprintf(reason, REASON_MAX, "%s: name 1..%d line offsets, or none", k->name,
                         HW_ADDRESS_LINES_MAX);
                return -EINVAL;
        }
        *l = new;
        return 0;
}

/* One GPIO line offset, or none (-1). */
static int parse_gpio_line(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        unsigned long v;

        if (strcmp(value, "none") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(int *) dest = (int) v;
        return 0;
}

static int parse_i2c_allow(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        char why[REASON_MAX - 16];     /* room for the key's name in front */

        if (i2c_allow_parse(value, dest, why, sizeof(why)) < 0) {
                snprintf(reason, REASON_MAX, "%.10s: %s", k->name, why);
                return -EINVAL;
        }
        return 0;
}

/* ---- [fru.N] value parsers ---- */

/* One FRU text field: 8-bit ASCII, 2..63 bytes (a single byte would read as the 0xC1 end
 * marker), printable, so that what ipmitool prints is what the file says. */
static int check_fru_text(const struct config_key *k, const char *value, char *reason) {
        size_t n = strlen(value);

        if (n > FRU_FIELD_MAX) {
                snprintf(reason, REASON_MAX, "%s is %zu characters; a FRU field holds at most %d",
                         k->name, n, FRU_FIELD_MAX);
                return -EINVAL;
        }
        if (n == 1) {
                snprintf(reason, REASON_MAX, "%s \"%s\" is one character; a FRU text field needs "
                         "two or more (0xC1 would read as the end marker)", k->name, value);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (value[i] < 0x20 || value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "%s must be printable ASCII", k->name);
                        return -EINVAL;
                }
        return 0;
}

/* A text field, or "none" for an empty one. */
static int parse_fru_text(const struct config_key *k, const char *value, void *dest, char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (check_fru_text(k, value, reason) < 0)
                return -EINVAL;
        return parse_string(k, value, dest, reason);
}

static void fru_custom_clear(struct fru_custom_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        *l = (struct fru_custom_list) { .n = 0 };
}

/* Custom fields: "a, b, c" (each trimmed, each a text field), or "none". */
static int parse_fru_custom(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        struct fru_custom_list *l = dest, new = { .n = 0 };
        const char *p = value;

        if (strcmp(value, "none") == 0) {
                fru_custom_clear(l);
                return 0;
        }
        for (;;) {
                const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
                char item[REASON_MAX];
                size_t n;

                while (*p == ' ' || *p == '\t')
                        p++;
                while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                n = (size_t) (end - p);
                if (n == 0 || n >= sizeof(item)) {
                        snprintf(reason, REASON_MAX, "%s: %s custom field %zu", k->name,
                                 n == 0 ? "empty" : "overlong", new.n + 1);
                        goto fail;
                }
                if (new.n >= FRU_CUSTOM_MAX) {
                        snprintf(reason, REASON_MAX, "%s: at most %d custom fields", k->name,
                                 FRU_CUSTOM_MAX);
                        goto fail;
                }
                memcpy(item, p, n);
                item[n] = '\0';
                if (check_fru_text(k, item, reason) < 0)
                        goto fail;
                new.items[new.n] = strdup(item);
                if (!new.items[new.n]) {
                        fru_custom_clear(&new);
                        snprintf(reason, REASON_MAX, "out of memory");
                        return -ENOMEM;
                }
                new.n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        fru_custom_clear(l);
        *l = new;
        return 0;
fail:
        fru_custom_clear(&new);
        return -EINVAL;
}

/* Multirecord bytes one [fru.N] may carry: far more than any board's MAC or power records. */
#define FRU_MULTIRECORD_MAX 1024

static int hex_digit(char c);

/*
 * Multirecord area records, "TYPE:HEXDATA, TYPE:HEXDATA" (e.g. "0xC0:5a31 0102"), or "none":
 * the record data is given as raw bytes and the 5-byte record headers — type, format version
 * 2 with end-of-list on the last, length, record checksum, header checksum — are built here,
 * so a board file states what a person knows and not checksums.
 */
static int parse_fru_multirecord(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        struct fru_config *f = dest;
        uint8_t buf[FRU_MULTIRECORD_MAX], *rec = NULL;
        size_t len = 0;
        const char *p = value;

        if (strcmp(value, "none") == 0) {
                free(f->multirecord);
                f->multirecord = NULL;
                f->multirecord_len = 0;
                return 0;
        }
        for (;;) {
                unsigned long type;
                char typebuf[8];
                const char *colon, *end;
                size_t tl, n = 0;

                while (*p == ' ' || *p == '\t')
                        p++;
                colon = strchr(p, ':');
                end = strchr(p, ',');
                if (!end)
                        end = p + strlen(p);
                tl = colon ? (size_t) (colon - p) : 0;
                if (!colon || colon > end || tl == 0 || tl >= sizeof(typebuf))
                        goto bad;
                memcpy(typebuf, p, tl);
                typebuf[tl] = '\0';
                if (parse_number(typebuf, &type) < 0 || type > 0xFF)
                        goto bad;
                if (len + 5 > sizeof(buf))
                        goto too_big;
                rec = buf + len;
                len += 5;
                for (const char *h = colon + 1; h < end; h++) {
                        int hi, lo;

                        if (*h == ' ' || *h == '\t')
                                continue;
                        if (h + 1 >= end || (hi = hex_digit(h[0])) < 0 || (lo = hex_digit(h[1])) < 0)
                                goto bad;
                        if (len >= sizeof(buf) || n >= 255)
                                goto too_big;
                        buf[len++] = (uint8_t) (hi << 4 | lo);
                        n++;
                        h++;
                }
                rec[0] = (uint8_t) type;
                rec[1] = 0x02;                          /* record format version 2 */
                rec[2] = (uint8_t) n;
                rec[3] = ipmb_checksum(rec + 5, n);     /* the FRU spec's zero checksum */
                rec[4] = ipmb_checksum(rec, 4);
                if (*end != ',')
                        break;
                p = end + 1;
        }
        if (rec) {
                rec[1] |= 0x80;                         /* end of list */
                rec[4] = ipmb_checksum(rec, 4);
        }
        free(f->multirecord);
        f->multirecord = malloc(len);
        if (!f->multirecord) {
                f->multirecord_len = 0;
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        memcpy(f->multirecord, buf, len);
        f->multirecord_len = len;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "%s \"%s\" must be TYPE:HEXBYTES records separated by "
                 "commas (e.g. 0xC0:5a3101), or none", k->name, value);
        return -EINVAL;
too_big:
        snprintf(reason, REASON_MAX, "%s: records longer than %d bytes in all", k->name,
                 FRU_MULTIRECORD_MAX);
        return -EINVAL;
}

static int parse_chassis_type(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        unsigned long v;

        if (strcmp(value, "none") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        if (parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(int *) dest = (int) v;
        return 0;
}

static int parse_mfg_date(const struct config_key *k, const char *value, void *dest, char *reason) {
        uint32_t minutes;
        int r;

        if (strcmp(value, "none") == 0) {
                *(int32_t *) dest = -1;
                return 0;
        }
        r = fru_minutes_from_string(value, &minutes);
        if (r == -ERANGE) {
                snprintf(reason, REASON_MAX, "%s \"%s\" is outside 1996-01-01 00:00 .. "
                         "2027-11-24 20:15 (3 bytes of minutes)", k->name, value);
                return -EINVAL;
        }
        if (r < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be YYYY-MM-DD HH:MM (UTC), or none",
                         k->name, value);
                return -EINVAL;
        }
        *(int32_t *) dest = (int32_t) minutes;
        return 0;
}

/* "auto" (0): the image rounded up to 512 bytes. */
static int parse_fru_size(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (strcmp(value, "auto") == 0) {
                *(uint32_t *) dest = 0;
                return 0;
        }
        return parse_u32(k, value, dest, reason);
}

static int parse_fru_file(const struct config_key *k, const char *value, void *dest, char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        return parse_string(k, value, dest, reason);
}

/* ---- [sensor.N] value parsers ---- */

/* A finite decimal number ("42", "-0.5", "1e3"); NaN and infinities are not values. */
static int parse_double(const char *value, double *ret) {
        char *end;
        double v;

        if (value[0] == '\0' || value[0] == ' ')
                return -EINVAL;
        errno = 0;
        v = strtod(value, &end);
        if (errno || *end || !isfinite(v))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The SDR ID string: at most 16 printable ASCII characters, or auto for "Sensor N". */
static int parse_sensor_name(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        char **s = dest;
        size_t n = strlen(value);

        if (strcmp(value, "auto") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (n > CONFIG_SENSOR_NAME_MAX) {
                snprintf(reason, REASON_MAX, "name \"%s\" is %zu characters; an SDR ID string "
                         "holds at most %d", value, n, CONFIG_SENSOR_NAME_MAX);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (value[i] < 0x20 || value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "name must be printable ASCII");
                        return -EINVAL;
                }
        return parse_string(k, value, dest, reason);
}

/*
 * IPMI v2.0 table 42-3. power is "Other Units-based Sensor" (0x0B), not "Power Supply"
 * (0x08): that type carries discrete power-supply states, and a board's power reading is
 * often not a power supply at all. presence is "Entity Presence" (0x25), a discrete sensor
 * whose source reads non-zero when the entity (a module, a cable, a fan) is there.
 */
static const struct {
        const char *name;
        uint8_t code;
        uint8_t unit;                   /* the usual base unit, table 43-15 */
        bool discrete;                  /* states, not a value against thresholds */
} sensor_types[] = {
        { "temperature", 0x01, 0x01, false },
        { "voltage",     0x02, 0x04, false },
        { "current",     0x03, 0x05, false },
        { "fan",         0x04, 0x12, false },
        { "power",       0x0B, 0x06, false },
        { "other",       0x0B, 0x00, false },
        { "presence",    0x25, 0x00, true },
};

static const struct {
        const char *name;
        uint8_t code;
} sensor_units[] = {
        { "unspecified", 0x00 },
        { "degrees-c",   0x01 },
        { "degrees-f",   0x02 },
        { "kelvin",      0x03 },
        { "volts",       0x04 },
        { "amps",        0x05 },
        { "watts",       0x06 },
        { "rpm",         0x12 },
};

static int parse_sensor_type(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        for (size_t i = 0; i < ELEMENTSOF(sensor_types); i++)
                if (strcmp(value, sensor_types[i].name) == 0) {
                        *(uint8_t *) dest = sensor_types[i].code;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "unknown sensor type \"%s\" (temperature, voltage, current, "
                 "fan, power, other, presence)", value);
        return -EINVAL;
}

static int parse_sensor_unit(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        if (strcmp(value, "auto") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(sensor_units); i++)
                if (strcmp(value, sensor_units[i].name) == 0) {
                        *(int *) dest = sensor_units[i].code;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "unknown unit \"%s\" (auto, unspecified, degrees-c, "
                 "degrees-f, kelvin, volts, amps, watts, rpm)", value);
        return -EINVAL;
}

bool config_sensor_is_discrete(const struct sensor_config *s) {
        for (size_t i = 0; i < ELEMENTSOF(sensor_types); i++)
                if (sensor_types[i].code == s->sensor_type)
                        return sensor_types[i].discrete;
        return false;
}

uint8_t config_sensor_unit(const struct sensor_config *s) {
        if (s->unit >= 0)
                return (uint8_t) s->unit;
        for (size_t i = 0; i < ELEMENTSOF(sensor_types); i++)
                if (sensor_types[i].code == s->sensor_type)
                        return sensor_types[i].unit;
        return 0;
}

/* "LO..HI": the readings the 256 raw codes must cover; the solver decides here whether they
 * can, so a range IPMI cannot express is a configuration error with its line. */
static int parse_sensor_range(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        __typeof__(((struct sensor_config *) NULL)->range) *range = dest;
        const char *dots = strstr(value, "..");
        struct sensor_linear l;
        char lo_text[64];
        double lo, hi;
        int r;

        if (!dots || (size_t) (dots - value) >= sizeof(lo_text))
                goto bad;
        memcpy(lo_text, value, (size_t) (dots - value));
        lo_text[dots - value] = '\0';
        if (parse_double(lo_text, &lo) < 0 || parse_double(dots + 2, &hi) < 0)
                goto bad;
        if (lo >= hi) {
                snprintf(reason, REASON_MAX, "range \"%s\": LO must be below HI", value);
                return -EINVAL;
        }
        r = sensor_linear_solve(lo, hi, &l);
        if (r < 0) {
                snprintf(reason, REASON_MAX, "range \"%s\" cannot be expressed with 256 raw codes "
                         "(too wide, or too narrow this far from zero)", value);
                return -EINVAL;
        }
        range->lo = lo;
        range->hi = hi;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "range \"%s\" must be LO..HI in engineering units, e.g. "
                 "-40..125", value);
        return -EINVAL;
}

/* none, file:, gpio: or smbus: (daemon/config-sensor-source.c has the grammars). */
static int parse_sensor_source(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        return sensor_source_parse(value, dest, reason, REASON_MAX);
}

static int parse_threshold(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        if (strcmp(value, "none") == 0) {
                *(double *) dest = NAN;
                return 0;
        }
        if (parse_double(value, dest) < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be a number in the sensor's units, "
                         "or none", k->name, value);
                return -EINVAL;
        }
        return 0;
}

static int parse_hysteresis(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        double v;

        if (parse_double(value, &v) < 0 || v < 0) {
                snprintf(reason, REASON_MAX, "hysteresis \"%s\" must be a number >= 0 in the "
                         "sensor's units", value);
                return -EINVAL;
        }
        *(double *) dest = v;
        return 0;
}

#define C(field) offsetof(struct satmc_config, field)
#define I(field) offsetof(struct satmc_config, identity.field)

static const struct config_key config_keys[] = {
        { "mc", "address", parse_ipmb_address, C(address), NULL, 0x10, 0xEE,
          "own IPMB slave address, 8-bit form (7-bit address << 1), e.g. 0x72" },
        { "mc", "max-message-length", parse_u32, C(max_msg_len), "32",
          IPMB_REQUEST_MIN_LEN + 25, IPMB_KERNEL_MAX_MSG_LEN,
          "largest IPMB message, rsSA..chk2: 32 on a standard IPMB, up to 128 (ipmb-dev-int)" },
        { "mc", "duplicate-window-ms", parse_u32, C(duplicate_window_ms), "5000", 0, 60000,
          "a request repeated (same rqSA, netFn, cmd, seq) within this time is answered from the "
          "response cache, not executed again; 0 turns the cache off" },
        { "mc", "event-receiver", parse_event_receiver, C(event_receiver), "0x20", 0x10, 0xEE,
          "where Platform Event Messages go (8-bit IPMB address, 0x10..0xEE; Set Event Receiver "
          "changes it at run time), or none (0xFF) for no events" },
        { "mc", "event-receiver-lun", parse_u8, C(event_receiver_lun), "0", 0, 3,
          "LUN of the event receiver" },
        { "mc", "event-queue-length", parse_u32, C(event_queue_length), "64", 2, 4096,
          "events kept for a receiver that does not answer; when full the oldest is dropped" },
        { "mc", "log-level", parse_log_level, C(log_level), "info", 0, 0,
          "err, warning, notice, info or debug (debug logs every frame)" },
        { "mc", "hardware-address-chip", parse_string, C(hw_address_chip), "gpiochip0", 0, 0,
          "GPIO chip of the hardware address pins (name, path, label or number)" },
        { "mc", "hardware-address-lines", parse_gpio_lines, C(hw_address_lines), "none", 0, 65535,
          "GPIO line offsets of hardware address bits HA0, HA1, ... (LSB first, up to 7); the "
          "address is then 2 x HA, read at start-up, instead of address; or none" },
        { "mc", "hardware-address-parity-line", parse_gpio_line, C(hw_address_parity_line),
          "none", 0, 65535, "GPIO line offset of the odd parity bit (HA7) over the address "
          "lines, or none" },
        { "mc", "hardware-address-active-low", parse_bool, C(hw_address_active_low), "no", 0, 0,
          "yes when a grounded hardware address pin means 1" },

        { "transport", "type", parse_transport, C(transport), "chardev", 0, 0,
          "chardev (Linux ipmb-dev-int, /dev/ipmb-N) or emulated (satmc-i2c-bus)" },
        { "transport", "device", parse_string, C(device), "/dev/ipmb-0", 0, 0,
          "the ipmb-dev-int character device, for type = chardev" },
        { "transport", "bus-socket", parse_string, C(bus_socket), "/run/satmc/i2c-bus.sock", 0, 0,
          "the emulated bus socket, for type = emulated" },

        { "nbd", "socket", parse_socket_path, C(nbd_socket), "/run/satmc/nbd.sock", 0, 0,
          "UNIX socket serving the FRU devices (fru0, ...) as NBD exports, or none" },
        { "nbd", "tcp", parse_tcp_address, C(nbd_tcp), "none", 0, 0,
          "also serve NBD on TCP at HOST:PORT ([V6]:PORT, :PORT for every address), or none" },
        { "nbd", "max-clients", parse_u32, C(nbd_max_clients), "16", 1, 256,
          "NBD connections served at once on the UNIX socket (or the passed one); more are "
          "refused. TCP has its own limit, tcp-max-clients, so neither can lock the other out" },
        { "nbd", "tcp-max-clients", parse_u32, C(nbd_tcp_max_clients), "16", 1, 256,
          "NBD connections served at once on TCP; more are refused" },
        { "nbd", "socket-mode", parse_socket_mode, C(nbd_socket_mode), "0660", 0, 0777,
          "permission bits (octal) of the socket satmcd creates, whatever its umask; a socket "
          "passed by the service manager keeps its unit's SocketMode=" },
        { "nbd", "handshake-timeout-ms", parse_u32, C(nbd_handshake_timeout_ms), "10000",
          100, 600000, "a connection must finish the NBD handshake (select an export) within "
          "this time of connecting, or it is closed" },
        { "nbd", "request-timeout-ms", parse_u32, C(nbd_request_timeout_ms), "30000", 100,
          3600000, "once a request has begun to arrive it must be complete within this time, "
          "and a reply begun must be taken by the client within it, or the connection is closed" },
        { "nbd", "idle-timeout-ms", parse_u32, C(nbd_idle_timeout_ms), "0", 0, 0xFFFFFFFF,
          "close a connection in transmission after this long with no request; 0 (the "
          "default) never does: a BMC's kernel nbd-client may rightly sit idle for days" },

        { "ipmitool", "socket", parse_socket_path, C(ipmitool_socket), "/run/satmc/ipmitool.sock",
          0, 0, "UNIX socket for local ipmitool (-I dummy, IPMI_DUMMY_SOCK), or none" },
        { "ipmitool", "max-clients", parse_u32, C(ipmitool_max_clients), "16", 1, 256,
          "ipmitool connections at once; a newcomer beyond that closes the one idle the "
          "longest, refused only while all are mid-request" },
        { "ipmitool", "request-timeout-ms", parse_u32, C(ipmitool_request_timeout_ms), "5000",
          100, 600000, "a request must be complete this long after its first byte arrived, or "
          "the connection is closed (ipmitool sends a request in one write)" },
        { "ipmitool", "socket-mode", parse_socket_mode, C(ipmitool_socket_mode), "0660", 0, 0777,
          "permission bits (octal) of the socket satmcd creates, whatever its umask; a socket "
          "passed by the service manager keeps its unit's SocketMode=" },

        { "identity", "device-id", parse_u8, I(device_id), "0", 0, 255,
          "Get Device ID: device ID" },
        { "identity", "device-revision", parse_u8, I(device_revision), "0", 0, 15,
          "Get Device ID: device revision" },
        { "identity", "firmware-version", parse_firmware_version, C(identity), NULL, 0, 0,
          "Get Device ID: firmware revision, MAJOR.MM (e.g. 1.05)" },
        { "identity", "ipmi-version", parse_ipmi_version, I(ipmi_version), "2.0", 0, 0,
          "Get Device ID: IPMI version, 1.0, 1.5 or 2.0" },
        { "identity", "manufacturer-id", parse_u32, I(manufacturer_id), NULL, 0, 0xFFFFF,
          "Get Device ID: IANA enterprise number of the manufacturer (20 bits)" },
        { "identity", "product-id", parse_u16, I(product_id), NULL, 0, 0xFFFF,
          "Get Device ID: product ID" },
        { "identity", "guid", parse_guid, I(guid), NULL, 0, 0,
          "Get Device GUID / Get System GUID, as 01234567-89ab-cdef-0123-456789abcdef" },
        { "identity", "device-support", parse_device_support, I(device_support), "none", 0, 0,
          "Get Device ID: additional device support, names separated by spaces (sensor, "
          "sdr-repository, sel, fru-inventory, event-receiver, event-generator, bridge, chassis)" },
        { "identity", "aux-firmware-revision", parse_aux_firmware, C(identity), "none", 0, 0,
          "Get Device ID: auxiliary firmware revision, 4 bytes as 0xAABBCCDD, or none" },

        { "i2c", "allow", parse_i2c_allow, C(i2c_allow), "none", 0, 0,
          "Master Write-Read targets, BUS:ADDR, BUS:FIRST-LAST or BUS:* (private bus 0..7, "
          "7-bit addresses), separated by spaces; none allows nothing" },

        { "storage", "state-directory", parse_absolute_path, C(state_directory), "/var/lib/satmc",
          0, 0, "directory for persistent state, owned by satmcd's user or root and writable by "
          "nobody else: the FRU backing files fru0.bin .. fru7.bin and sensors.state "
          "(thresholds set over IPMI)" },
};

#undef C
#undef I

/*
 * [fru.0] .. [fru.7]: the same key table shape, with offsets into struct fru_config. Keys
 * starting with chassis-, board- or product- are "field" keys: they build the image, so they
 * cannot be combined with file.
 */
#define F(field) offsetof(struct fru_config, field)

static const struct config_key fru_keys[] = {
        { "fru.0", "file", parse_fru_file, F(file), "none", 0, 0,
          "serve this binary FRU image instead of one built from the keys below; checked at "
          "start-up, or none" },
        { "fru.0", "size", parse_fru_size, F(size), "auto", FRU_HEADER_LEN, 65535,
          "FRU device size in bytes (at least the image), or auto: the image rounded up to 512" },
        { "fru.0", "write-protect", parse_bool, F(write_protect), "no", 0, 0,
          "refuse writes (Write FRU Data answers 0x80, NBD writes fail)" },
        { "fru.0", "nbd-writable", parse_bool, F(nbd_writable), "no", 0, 0,
          "let NBD clients write the device (IPMI writes only need write-protect = no)" },
        { "fru.0", "chassis-type", parse_chassis_type, F(chassis_type), "none", 0, 255,
          "chassis info area: SMBIOS chassis type, e.g. 0x17 (rack mount chassis), or none" },
        { "fru.0", "chassis-part-number", parse_fru_text, F(chassis_part_number), "none", 0, 0,
          "chassis info area: part number" },
        { "fru.0", "chassis-serial-number", parse_fru_text, F(chassis_serial_number), "none", 0,
          0, "chassis info area: serial number" },
        { "fru.0", "chassis-custom", parse_fru_custom, F(chassis_custom), "none", 0, 0,
          "chassis info area: custom fields, separated by commas" },
        { "fru.0", "board-manufacturing-date", parse_mfg_date, F(board_mfg_minutes), "none", 0,
          0, "board info area: manufacturing date and time, YYYY-MM-DD HH:MM in UTC" },
        { "fru.0", "board-manufacturer", parse_fru_text, F(board_manufacturer), "none", 0, 0,
          "board info area: manufacturer" },
        { "fru.0", "board-product-name", parse_fru_text, F(board_product_name), "none", 0, 0,
          "board info area: product name" },
        { "fru.0", "board-serial-number", parse_fru_text, F(board_serial_number), "none", 0, 0,
          "board info area: serial number" },
        { "fru.0", "board-part-number", parse_fru_text, F(board_part_number), "none", 0, 0,
          "board info area: part number" },
        { "fru.0", "board-fru-file-id", parse_fru_text, F(board_file_id), "none", 0, 0,
          "board info area: FRU file ID" },
        { "fru.0", "board-custom", parse_fru_custom, F(board_custom), "none", 0, 0,
          "board info area: custom fields, separated by commas" },
        { "fru.0", "product-manufacturer", parse_fru_text, F(product_manufacturer), "none", 0, 0,
          "product info area: manufacturer" },
        { "fru.0", "product-name", parse_fru_text, F(product_name), "none", 0, 0,
          "product info area: product name" },
        { "fru.0", "product-part-number", parse_fru_text, F(product_part_number), "none", 0, 0,
          "product info area: part/model number" },
        { "fru.0", "product-version", parse_fru_text, F(product_version), "none", 0, 0,
          "product info area: version" },
        { "fru.0", "product-serial-number", parse_fru_text, F(product_serial_number), "none", 0,
          0, "product info area: serial number" },
        { "fru.0", "product-asset-tag", parse_fru_text, F(product_asset_tag), "none", 0, 0,
          "product info area: asset tag" },
        { "fru.0", "product-fru-file-id", parse_fru_text, F(product_file_id), "none", 0, 0,
          "product info area: FRU file ID" },
        { "fru.0", "product-custom", parse_fru_custom, F(product_custom), "none", 0, 0,
          "product info area: custom fields, separated by commas" },
        { "fru.0", "multirecord", parse_fru_multirecord, 0, "none", 0, 0,
          "multirecord area: TYPE:HEXBYTES records separated by commas (headers and checksums "
          "are added), or none" },
};

#undef F

/*
 * [sensor.0] .. [sensor.63]: threshold sensors. Offsets into struct sensor_config; the
 * threshold keys come in SDR_THR_* bit order, as in the Get Sensor Thresholds response.
 */
#define S(field) offsetof(struct sensor_config, field)

static const struct config_key sensor_keys[] = {
        { "sensor.0", "name", parse_sensor_name, S(name), "auto", 0, 0,
          "SDR ID string, at most 16 characters; auto: Sensor N" },
        { "sensor.0", "type", parse_sensor_type, S(sensor_type), "other", 0, 0,
          "temperature (0x01), voltage (0x02), current (0x03), fan (0x04), power or other "
          "(0x0B, other units-based), or presence (0x25, discrete: present/absent)" },
        { "sensor.0", "unit", parse_sensor_unit, S(unit), "auto", 0, 0,
          "unspecified, degrees-c, degrees-f, kelvin, volts, amps, watts or rpm; auto: the "
          "type's usual unit" },
        { "sensor.0", "range", parse_sensor_range, S(range), "0..255", 0, 0,
          "LO..HI in engineering units that the raw byte covers (M, B and exponents are solved "
          "for it)" },
        { "sensor.0", "source", parse_sensor_source, S(source), "none", 0, 0,
          "file:/PATH[:SCALE] (a number in the file, times SCALE), gpio:CHIP:LINE[:active-low] "
          "(level 0 or 1), smbus:BUS:ADDR:REG[:WIDTH][:signed][:SCALE] (WIDTH byte, word or "
          "word-be), or none" },
        { "sensor.0", "lower-non-critical", parse_threshold, S(thresholds[SENSOR_THR_LNC]),
          "none", 0, 0, "lower non-critical threshold, engineering units, or none" },
        { "sensor.0", "lower-critical", parse_threshold, S(thresholds[SENSOR_THR_LCR]),
          "none", 0, 0, "lower critical threshold, engineering units, or none" },
        { "sensor.0", "lower-non-recoverable", parse_threshold, S(thresholds[SENSOR_THR_LNR]),
          "none", 0, 0, "lower non-recoverable threshold, engineering units, or none" },
        { "sensor.0", "upper-non-critical", parse_threshold, S(thresholds[SENSOR_THR_UNC]),
          "none", 0, 0, "upper non-critical threshold, engineering units, or none" },
        { "sensor.0", "upper-critical", parse_threshold, S(thresholds[SENSOR_THR_UCR]),
          "none", 0, 0, "upper critical threshold, engineering units, or none" },
        { "sensor.0", "upper-non-recoverable", parse_threshold, S(thresholds[SENSOR_THR_UNR]),
          "none", 0, 0, "upper non-recoverable threshold, engineering units, or none" },
        { "sensor.0", "hysteresis", parse_hysteresis, S(hysteresis), "0", 0, 0,
          "threshold hysteresis both ways, engineering units (rounded to raw steps)" },
        { "sensor.0", "poll-ms", parse_u32, S(poll_ms), "1000", 100, 60000,
          "how often the source is read, in milliseconds" },
        { "sensor.0", "events", parse_bool, S(events), "yes", 0, 0,
          "send Platform Event Messages for threshold crossings (Set Sensor Event Enable "
          "changes it at run time)" },
};

#undef S

static bool fru_key_is_field(const struct config_key *k) {
        return strncmp(k->name, "chassis-", 8) == 0 || strncmp(k->name, "board-", 6) == 0 ||
               strncmp(k->name, "product-", 8) == 0 || strcmp(k->name, "multirecord") == 0;
}

/* ---- loading ---- */

struct load_state {
        struct satmc_config *config;
        const char *name;
        FILE *err;
        FILE *in;
        unsigned line;                          /* of the line inih is looking at */
        unsigned n_errors;
        unsigned seen_line[ELEMENTSOF(config_keys)];    /* 0 = not set in the file */
        unsigned fru_seen_line[CONFIG_FRU_MAX][ELEMENTSOF(fru_keys)];
        unsigned sensor_seen_line[CONFIG_SENSOR_MAX][ELEMENTSOF(sensor_keys)];
        unsigned last_syntax_error_line;
        int read_errno;                         /* fgets() failed, e.g. EISDIR */
        bool oom;
};

static void report(struct load_state *s, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void report(struct load_state *s, unsigned line, const char *fmt, ...) {
        va_list ap;

        if (line > 0)
                fprintf(s->err, "%s:%u: ", s->name, line);
        else
                fprintf(s->err, "%s: ", s->name);
        va_start(ap, fmt);
        vfprintf(s->err, fmt, ap);
        va_end(ap);
        fputc('\n', s->err);
        s->n_errors++;
}

static const struct config_key *find_key(const char *section, const char *name, size_t *index) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, section) == 0 &&
                    strcmp(config_keys[i].name, name) == 0) {
                        *index = i;
                        return &config_keys[i];
                }
        return NULL;
}

static bool section_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, section) == 0)
                        return true;
        return false;
}

/* "fru.N" -> N; -1 for another section; -2 for a "fru." section with a bad index. */
static int fru_section_index(const char *section) {
        if (strncmp(section, "fru.", 4) != 0)
                return -1;
        if (section[4] < '0' || section[4] >= '0' + CONFIG_FRU_MAX || section[5] != '\0')
                return -2;
        return section[4] - '0';
}

/* "sensor.N" -> N; -1 for another section; -2 for a "sensor." section with a bad index. */
static int sensor_section_index(const char *section) {
        unsigned long v;

        if (strncmp(section, "sensor.", 7) != 0)
                return -1;
        /* parse_number() would take "0x1"; a section is named in decimal only. */
        if (section[7] < '0' || section[7] > '9' || (section[7] == '0' && section[8] != '\0') ||
            parse_number(section + 7, &v) < 0 || v >= CONFIG_SENSOR_MAX)
                return -2;
        return (int) v;
}

/* Every key of a table that has a default gets it, through the same parser as the file's
 * text. Returns 0 or -ENOMEM. */
static int apply_key_defaults(const struct config_key *keys, size_t n_keys, void *base) {
        for (size_t i = 0; i < n_keys; i++) {
                const struct config_key *k = &keys[i];
                char reason[REASON_MAX];

                if (!k->default_value)
                        continue;
                if (k->parse(k, k->default_value, (uint8_t *) base + k->offset, reason) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One numbered section's slot: its key table, its struct, and where its keys were seen. */
struct indexed_section {
        const struct config_key *keys;
        size_t n_keys;
        void *base;                     /* the struct fru_config / sensor_config */
        bool *present;
        unsigned *first_line;
        unsigned *seen_line;            /* [n_keys] */
};

/* A key in [fru.N] or [sensor.N]: the slot comes to life with its defaults at its first key. */
static void on_indexed_key(struct load_state *s, const struct indexed_section *x,
                           const char *section, const char *name, const char *value) {
        const struct config_key *k = NULL;
        char reason[REASON_MAX] = "";
        size_t i;
        int r;

        for (i = 0; i < x->n_keys; i++)
                if (strcmp(x->keys[i].name, name) == 0) {
                        k = &x->keys[i];
                        break;
                }
        if (!k) {
                report(s, s->line, "unknown key \"%s\" in [%s]", name, section);
                return;
        }
        if (x->seen_line[i]) {
                report(s, s->line, "%s is already set on line %u", name, x->seen_line[i]);
                return;
        }
        x->seen_line[i] = s->line;
        if (!*x->present) {
                if (apply_key_defaults(x->keys, x->n_keys, x->base) < 0) {
                        s->oom = true;
                        return;
                }
                *x->present = true;
                *x->first_line = s->line;
        }
        r = k->parse(k, value, (uint8_t *) x->base + k->offset, reason);
        if (r == -ENOMEM)
                s->oom = true;
        if (r < 0)
                report(s, s->line, "%s", reason);
}

static void on_fru_key(struct load_state *s, int index, const char *section, const char *name,
                       const char *value) {
        struct fru_config *f = &s->config->fru[index];

        on_indexed_key(s, &(const struct indexed_section) {
                .keys = fru_keys, .n_keys = ELEMENTSOF(fru_keys), .base = f,
                .present = &f->present, .first_line = &f->line,
                .seen_line = s->fru_seen_line[index],
        }, section, name, value);
}

static void on_sensor_key(struct load_state *s, int index, const char *section, const char *name,
                          const char *value) {
        struct sensor_config *sc = &s->config->sensor[index];

        on_indexed_key(s, &(const struct indexed_section) {
                .keys = sensor_keys, .n_keys = ELEMENTSOF(sensor_keys), .base = sc,
                .present = &sc->present, .first_line = &sc->line,
                .seen_line = s->sensor_seen_line[index],
        }, section, name, value);
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
        struct load_state *s = user;
        const struct config_key *k;
        char reason[REASON_MAX] = "";
        size_t i;
        int r;

        /* A line inih could not make sense of was reported by the reader already. */
        if (s->line == s->last_syntax_error_line)
                return 1;

        if (!name)
                return 1;       /* a section header on its own: checked with its first key */
        if (section[0] == '\0') {
                report(s, s->line, "\"%s\" is outside any [section]", name);
                return 1;
        }
        r = fru_section_index(section);
        if (r == -2) {
                report(s, s->line, "unknown section [%s] (FRU devices are [fru.0] to [fru.%d])",
                       section, CONFIG_FRU_MAX - 1);
                return 1;
        }
        if (r >= 0) {
                on_fru_key(s, r, section, name, value);
                return 1;
        }
        r = sensor_section_index(section);
        if (r == -2) {
                report(s, s->line, "unknown section [%s] (sensors are [sensor.0] to [sensor.%d])",
                       section, CONFIG_SENSOR_MAX - 1);
                return 1;
        }
        if (r >= 0) {
                on_sensor_key(s, r, section, name, value);
                return 1;
        }
        if (!section_known(section)) {
                report(s, s->line, "unknown section [%s]", section);
                return 1;
        }
        k = find_key(section, name, &i);
        if (!k) {
                report(s, s->line, "unknown key \"%s\" in [%s]", name, section);
                return 1;
        }
        if (s->seen_line[i]) {
                report(s, s->line, "%s is already set on line %u", name, s->seen_line[i]);
                return 1;
        }
        s->seen_line[i] = s->line;

        r = k->parse(k, value, (uint8_t *) s->config + k->offset, reason);
        if (r == -ENOMEM)
                s->oom = true;
        if (r < 0)
                report(s, s->line, "%s", reason);
        return 1;       /* keep going: every error is reported, not just the first */
}

/*
 * inih reads the file through this, one line per call, which is how we know which line a key
 * came from. Lines inih would reject are reported here, all of them (inih returns only the
 * first): anything not blank, not a comment, not a [section] and without '='.
 */
static char *read_line(char *str, int num, void *stream) {
        struct load_state *s = stream;
        const char *start, *p;

        if (!fgets(str, num, s->in)) {
                if (ferror(s->in))
                        s->read_errno = errno > 0 ? errno : EIO;
                return NULL;
        }
        s->line++;

        if (!strchr(str, '\n') && !feof(s->in)) {
                int c;

                report(s, s->line, "line too long (at most %d characters)", num - 2);
                while ((c = fgetc(s->in)) != EOF && c != '\n')
                        ;
                s->last_syntax_error_line = s->line;
                str[0] = '\0';  /* hand inih an empty line instead */
                return str;
        }

        /* inih skips a UTF-8 byte order mark at the start of the file, and so must we. */
        start = str;
        if (s->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
                start += 3;
        for (p = start; *p == ' ' || *p == '\t' || *p == '\r'; p++)
                ;
        if (*p == '\0' || *p == '\n' || *p == ';' || *p == '#')
                return str;
        if (*p == '[') {
                if (!strchr(p, ']')) {
                        report(s, s->line, "section header without ']'");
                        s->last_syntax_error_line = s->line;
                        str[0] = '\0';
                }
                return str;
        }
        if (p != start || !strchr(p, '=')) {
                /* Indented lines would be taken as continuations of the previous value. */
                report(s, s->line, p != start ? "indented line (values do not continue over lines)"
                                              : "expected \"key = value\" or \"[section]\"");
                s->last_syntax_error_line = s->line;
                str[0] = '\0';
        }
        return str;
}

static int apply_defaults(struct satmc_config *c) {
        /* The defaults are in the table as text and go through the same parsers. */
        return apply_key_defaults(config_keys, ELEMENTSOF(config_keys), c);
}

void config_fru_info(const struct fru_config *f, struct fru_info *ret) {
        struct fru_info info = {
                .chassis = {
                        .type = f->chassis_type >= 0 ? (uint8_t) f->chassis_type : 0x02,
                        .part_number = f->chassis_part_number,
                        .serial_number = f->chassis_serial_number,
                        .n_custom = f->chassis_custom.n,
                },
                .board = {
                        .mfg_minutes = f->board_mfg_minutes >= 0 ? (uint32_t) f->board_mfg_minutes : 0,
                        .manufacturer = f->board_manufacturer,
                        .product_name = f->board_product_name,
                        .serial_number = f->board_serial_number,
                        .part_number = f->board_part_number,
                        .file_id = f->board_file_id,
                        .n_custom = f->board_custom.n,
                },
                .product = {
                        .manufacturer = f->product_manufacturer,
                        .name = f->product_name,
                        .part_number = f->product_part_number,
                        .version = f->product_version,
                        .serial_number = f->product_serial_number,
                        .asset_tag = f->product_asset_tag,
                        .file_id = f->product_file_id,
                        .n_custom = f->product_custom.n,
                },
        };

        /* 0x02 is "Unknown" in the SMBIOS chassis type list, for a chassis area without one. */
        for (size_t i = 0; i < f->chassis_custom.n; i++)
                info.chassis.custom[i] = f->chassis_custom.items[i];
        for (size_t i = 0; i < f->board_custom.n; i++)
                info.board.custom[i] = f->board_custom.items[i];
        for (size_t i = 0; i < f->product_custom.n; i++)
                info.product.custom[i] = f->product_custom.items[i];
        info.chassis.present = f->chassis_type >= 0 || f->chassis_part_number ||
                               f->chassis_serial_number || f->chassis_custom.n > 0;
        info.board.present = f->board_mfg_minutes >= 0 || f->board_manufacturer ||
                             f->board_product_name || f->board_serial_number ||
                             f->board_part_number || f->board_file_id || f->board_custom.n > 0;
        info.product.present = f->product_manufacturer || f->product_name ||
                               f->product_part_number || f->product_version ||
                               f->product_serial_number || f->product_asset_tag ||
                               f->product_file_id || f->product_custom.n > 0;
        info.multirecord = f->multirecord;
        info.multirecord_len = f->multirecord_len;
        *ret = info;
}

/* After parsing: what no single key can see. Errors carry the line of the key at fault. */
static void check_fru(struct load_state *s, unsigned index) {
        const struct fru_config *f = &s->config->fru[index];
        const unsigned *seen = s->fru_seen_line[index];
        unsigned size_line = 0;
        struct fru_info info;
        uint8_t buf[FRU_BUILD_MAX + FRU_MULTIRECORD_MAX];   /* areas + multirecord records */
        ssize_t n;

        for (size_t i = 0; i < ELEMENTSOF(fru_keys); i++)
                if (strcmp(fru_keys[i].name, "size") == 0)
                        size_line = seen[i];

        if (f->file) {
                for (size_t i = 0; i < ELEMENTSOF(fru_keys); i++)
                        if (seen[i] && fru_key_is_field(&fru_keys[i]))
                                report(s, seen[i], "%s cannot be combined with file: the image "
                                       "comes from the file", fru_keys[i].name);
                return;         /* the file itself is read and checked at start-up */
        }

        config_fru_info(f, &info);
        n = fru_build(&info, buf, sizeof(buf));
        if (n < 0) {
                /* The keys were checked one by one, so only the total can be too large. */
                report(s, f->line, "[fru.%u]: the FRU image would be too large (%s)", index,
                       strerror((int) -n));
                return;
        }
        if (f->size != 0 && f->size < (uint64_t) n)
                report(s, size_line, "size %" PRIu32 " is smaller than the %zd-byte FRU image "
                       "of [fru.%u]", f->size, n, index);
}

/* The line of [sensor.N]'s key, or the section's first line when the default is in force. */
static unsigned sensor_key_line(const struct load_state *s, unsigned index, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(sensor_keys); i++)
                if (strcmp(sensor_keys[i].name, name) == 0 && s->sensor_seen_line[index][i])
                        return s->sensor_seen_line[index][i];
        return s->config->sensor[index].line;
}

/* The threshold keys by SENSOR_THR_* index, for messages. */
static const char *const threshold_key_names[_SENSOR_THR_MAX] = {
        [SENSOR_THR_LNC] = "lower-non-critical",
        [SENSOR_THR_LCR] = "lower-critical",
        [SENSOR_THR_LNR] = "lower-non-recoverable",
        [SENSOR_THR_UNC] = "upper-non-critical",
        [SENSOR_THR_UCR] = "upper-critical",
        [SENSOR_THR_UNR] = "upper-non-recoverable",
};

/* Order in which thresholds must rise: LNR <= LCR <= LNC <= UNC <= UCR <= UNR. */
static const unsigned threshold_order[_SENSOR_THR_MAX] = {
        SENSOR_THR_LNR, SENSOR_THR_LCR, SENSOR_THR_LNC,
        SENSOR_THR_UNC, SENSOR_THR_UCR, SENSOR_THR_UNR,
};

/* After parsing: thresholds inside the range and in order, hysteresis within a raw byte. */
static void check_sensor(struct load_state *s, unsigned index) {
        const struct sensor_config *sc = &s->config->sensor[index];
        const char *prev_name = NULL;
        struct sensor_linear l;
        double prev = 0;

        if (sensor_linear_solve(sc->range.lo, sc->range.hi, &l) < 0)
                return;         /* the range key reported it */

        if (config_sensor_is_discrete(sc)) {
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                        if (!isnan(sc->thresholds[t]))
                                report(s, sensor_key_line(s, index, threshold_key_names[t]),
                                       "%s does not apply to [sensor.%u]: a presence sensor "
                                       "has states (present, absent), not thresholds",
                                       threshold_key_names[t], index);
                if (sc->hysteresis != 0)
                        report(s, sensor_key_line(s, index, "hysteresis"), "hysteresis does "
                               "not apply to [sensor.%u]: a presence sensor has no thresholds",
                               index);
                return;
        }

        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++) {
                unsigned t = threshold_order[o];
                const char *name = threshold_key_names[t];
                double v = sc->thresholds[t];

                if (isnan(v))
                        continue;
                if (v < sc->range.lo || v > sc->range.hi) {
                        report(s, sensor_key_line(s, index, name), "%s %g is outside range "
                               "%g..%g of [sensor.%u]", name, v, sc->range.lo, sc->range.hi,
                               index);
                        continue;
                }
                if (prev_name && v < prev)
                        report(s, sensor_key_line(s, index, name), "%s %g is below %s %g: "
                               "thresholds must not decrease from lower-non-recoverable to "
                               "upper-non-recoverable", name, v, prev_name, prev);
                prev_name = name;
                prev = v;
        }
        if (sc->hysteresis / sensor_linear_step(&l) > 255.5)
                report(s, sensor_key_line(s, index, "hysteresis"), "hysteresis %g is more than "
                       "255 raw steps of %g in [sensor.%u]", sc->hysteresis,
                       sensor_linear_step(&l), index);
}

static const struct config_key *address_key(void) {
        size_t i;

        return find_key("mc", "address", &i);
}

static unsigned seen_line_of(const struct load_state *s, const char *section, const char *name) {
        size_t i;

        return find_key(section, name, &i) ? s->seen_line[i] : 0;
}

/*
 * [mc]: the address comes either from address or from the hardware address pins, never both;
 * the other hardware-address-* keys mean nothing without the lines, so a value other than the
 * default there is a forgotten line list (the defaults themselves are fine: the reference dump
 * sets them all and must load).
 */
static void check_hw_address(struct load_state *s) {
        const struct satmc_config *c = s->config;
        unsigned lines = seen_line_of(s, "mc", "hardware-address-lines");
        const struct {
                const char *name;
                bool changed;
        } needs_lines[] = {
                { "hardware-address-chip", strcmp(c->hw_address_chip, "gpiochip0") != 0 },
                { "hardware-address-parity-line", c->hw_address_parity_line >= 0 },
                { "hardware-address-active-low", c->hw_address_active_low },
        };

        if (c->hw_address_lines.n == 0) {
                for (size_t i = 0; i < ELEMENTSOF(needs_lines); i++) {
                        unsigned l = seen_line_of(s, "mc", needs_lines[i].name);

                        if (l && needs_lines[i].changed)
                                report(s, l, "%s needs hardware-address-lines",
                                       needs_lines[i].name);
                }
                return;
        }
        if (seen_line_of(s, "mc", "address"))
                report(s, seen_line_of(s, "mc", "address"), "address cannot be combined with "
                       "hardware-address-lines (line %u): the address comes from one or the "
                       "other", lines);
        for (size_t i = 0; i < c->hw_address_lines.n; i++)
                if (c->hw_address_parity_line == (int) c->hw_address_lines.offsets[i])
                        report(s, seen_line_of(s, "mc", "hardware-address-parity-line"),
                               "hardware-address-parity-line %d is also an address line",
                               c->hw_address_parity_line);
}

int config_load_from_file(FILE *in, const char *name, FILE *err, struct satmc_config **ret) {
        _cleanup_(config_freep) struct satmc_config *c = NULL;
        struct load_state s = { .name = name, .err = err ? err : stderr, .in = in };
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(name);
        if (!c->path)
                return -ENOMEM;
        r = apply_defaults(c);
        if (r < 0)
                return r;

        s.config = c;
        r = ini_parse_stream(read_line, &s, on_key, &s);
        if (s.read_errno)
                return -s.read_errno;   /* not a configuration error: no "required" noise */
        if (r < 0)
                return -ENOMEM;
        if (s.oom)
                return -ENOMEM;
        if (r > 0 && s.n_errors == 0)
                report(&s, (unsigned) r, "cannot parse this line");

        check_hw_address(&s);
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (!config_keys[i].default_value && !s.seen_line[i] &&
                    !(&config_keys[i] == address_key() && c->hw_address_lines.n > 0))
                        report(&s, 0, "[%s] %s is required (%s)", config_keys[i].section,
                               config_keys[i].name, config_keys[i].description);
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                if (c->fru[i].present)
                        check_fru(&s, i);
        for (unsigned i = 0; i < CONFIG_SENSOR_MAX; i++)
                if (c->sensor[i].present)
                        check_sensor(&s, i);

        if (s.n_errors > 0)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, FILE *err, struct satmc_config **ret) {
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        r = config_load_from_file(f, path, err, ret);
        fclose(f);
        return r;
}

struct satmc_config *config_free(struct satmc_config *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->device);
        free(c->bus_socket);
        free(c->hw_address_chip);
        free(c->ipmitool_socket);
        free(c->nbd_socket);
        free(c->nbd_tcp);
        free(c->state_directory);
        for (size_t i = 0; i < CONFIG_FRU_MAX; i++) {
                struct fru_config *f = &c->fru[i];

                free(f->file);
                free(f->chassis_part_number);
                free(f->chassis_serial_number);
                fru_custom_clear(&f->chassis_custom);
                free(f->multirecord);
                free(f->board_manufacturer);
                free(f->board_product_name);
                free(f->board_serial_number);
                free(f->board_part_number);
                free(f->board_file_id);
                fru_custom_clear(&f->board_custom);
                free(f->product_manufacturer);
                free(f->product_name);
                free(f->product_part_number);
                free(f->product_version);
                free(f->product_serial_number);
                free(f->product_asset_tag);
                free(f->product_file_id);
                fru_custom_clear(&f->product_custom);
        }
        for (size_t i = 0; i < CONFIG_SENSOR_MAX; i++) {
                free(c->sensor[i].name);
                sensor_source_config_clear(&c->sensor[i].source);
        }
        free(c);
        return NULL;
}

void config_dump_reference(FILE *f) {
        const char *section = NULL;

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const struct config_key *k = &config_keys[i];

                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                        section = k->section;
                }
                fprintf(f, "# %s\n", k->description);
                if (k->default_value)
                        fprintf(f, "%s = %s\n", k->name, k->default_value);
                else
                        fprintf(f, "#%s =   (required)\n", k->name);
        }

        /* One FRU device's keys; [fru.1] .. [fru.7] take the same. */
        fprintf(f, "\n[fru.0]\n");
        for (size_t i = 0; i < ELEMENTSOF(fru_keys); i++)
                fprintf(f, "# %s\n%s = %s\n", fru_keys[i].description, fru_keys[i].name,
                        fru_keys[i].default_value);

        /* One sensor's keys; [sensor.1] .. [sensor.63] take the same. */
        fprintf(f, "\n[sensor.0]\n");
        for (size_t i = 0; i < ELEMENTSOF(sensor_keys); i++)
                fprintf(f, "# %s\n%s = %s\n", sensor_keys[i].description, sensor_keys[i].name,
                        sensor_keys[i].default_value);
}

/*
 * The text form is the usual 8-4-4-4-12; IPMI sends the 16 bytes least significant first
 * (IPMI v2.0 section 20.8 with the SMBIOS byte order), i.e. the text's bytes reversed.
 */
static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int guid_from_string(const char *s, uint8_t wire[16]) {
        static const int dash_at[] = { 8, 13, 18, 23 };
        uint8_t bytes[16];
        size_t n = 0, d = 0;

        if (strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                if (d < ELEMENTSOF(dash_at) && (int) i == dash_at[d]) {
                        if (s[i] != '-')
                                return -EINVAL;
                        d++;
                        i++;
                        continue;
                }
                int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                bytes[n++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        for (size_t i = 0; i < 16; i++)
                wire[i] = bytes[15 - i];
        return 0;
}

void guid_to_string(const uint8_t wire[16], char buf[37]) {
        uint8_t b[16];

        for (size_t i = 0; i < 16; i++)
                b[i] = wire[15 - i];
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}
