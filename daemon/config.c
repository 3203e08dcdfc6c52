/* SPDX-License-Identifier: MIT */
/*
 * Configuration: one table of keys drives parsing, defaults, validation and the reference
 * (satmcd --dump-config-reference, docs/configuration.md). libinih splits the file; a line
 * counting reader around it gives every error its line number, because Debian's libinih is
 * built without INI_HANDLER_LINENO.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

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
        { "mc", "log-level", parse_log_level, C(log_level), "info", 0, 0,
          "err, warning, notice, info or debug (debug logs every frame)" },

        { "transport", "type", parse_transport, C(transport), "chardev", 0, 0,
          "chardev (Linux ipmb-dev-int, /dev/ipmb-N) or emulated (satmc-i2c-bus)" },
        { "transport", "device", parse_string, C(device), "/dev/ipmb-0", 0, 0,
          "the ipmb-dev-int character device, for type = chardev" },
        { "transport", "bus-socket", parse_string, C(bus_socket), "/run/satmc/i2c-bus.sock", 0, 0,
          "the emulated bus socket, for type = emulated" },

        { "ipmitool", "socket", parse_socket_path, C(ipmitool_socket), "/run/satmc/ipmitool.sock",
          0, 0, "UNIX socket for local ipmitool (-I dummy, IPMI_DUMMY_SOCK), or none" },
        { "ipmitool", "max-clients", parse_u32, C(ipmitool_max_clients), "16", 1, 256,
          "ipmitool processes served at once; more are refused" },

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
};

#undef C
#undef I

/* ---- loading ---- */

struct load_state {
        struct satmc_config *config;
        const char *name;
        FILE *err;
        FILE *in;
        unsigned line;                          /* of the line inih is looking at */
        unsigned n_errors;
        unsigned seen_line[ELEMENTSOF(config_keys)];    /* 0 = not set in the file */
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
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                const struct config_key *k = &config_keys[i];
                char reason[REASON_MAX];

                if (!k->default_value)
                        continue;
                /* The defaults are in the table as text and go through the same parsers. */
                if (k->parse(k, k->default_value, (uint8_t *) c + k->offset, reason) < 0)
                        return -ENOMEM;
        }
        return 0;
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

        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (!config_keys[i].default_value && !s.seen_line[i])
                        report(&s, 0, "[%s] %s is required (%s)", config_keys[i].section,
                               config_keys[i].name, config_keys[i].description);

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
        free(c->ipmitool_socket);
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
