/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-sensor-source.h"
#include "macro.h"

#define GPIO_GRAMMAR    "gpio:CHIP:LINE[:active-low]"
#define SMBUS_GRAMMAR   "smbus:BUS:ADDR:REG[:byte|word|word-be][:bit=N|:mask=M][:signed][:SCALE]"
#define PMBUS_GRAMMAR   "pmbus:BUS:ADDR:COMMAND[:page=N][:FORMAT][:pec][:bit=N|:mask=M][:SCALE]"
#define PMBUS_FORMATS   "linear11, linear16, direct=M,B,R, byte or word"
#define GPIO_CHIP_MAX   127             /* a name, /dev path or label; labels are short */
#define GPIO_LINE_MAX   65535           /* as [mc] hardware-address-lines */
#define SMBUS_BUS_MAX   INT_MAX         /* the kernel numbers adapters with an int */
#define SMBUS_FIELDS_MAX 7              /* BUS ADDR REG width select signed SCALE */
#define PMBUS_FIELDS_MAX 8              /* BUS ADDR COMMAND page format pec select SCALE */

static int fail(char *reason, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(reason, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static int oom(char *reason, size_t size) {
        (void) snprintf(reason, size, "out of memory");
        return -ENOMEM;
}

/* "0x" hex or plain decimal, never octal, no sign or blanks: the rules of the rest of the file.
 * -EINVAL: not a number; -ERANGE: above max (also when it does not fit an unsigned long). */
static int parse_field_number(const char *text, unsigned long max, unsigned long *ret) {
        const char *digits = text;
        int base = 10;
        unsigned long v;
        char *end;

        if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
                digits = text + 2;
                base = 16;
        }
        if (digits[0] == '\0' || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoul(digits, &end, base);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* A finite number without blanks around it; 0 is refused by the callers, not here. */
static int parse_scale(const char *text, double *ret) {
        char *end;
        double v;

        if (text[0] == '\0' || text[0] == ' ')
                return -EINVAL;
        errno = 0;
        v = strtod(text, &end);
        if (errno || *end || !isfinite(v))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "file:/PATH[:SCALE]": a last ":" followed by a number is the scale, so a path that itself
 * ends in ":<number>" needs an explicit ":1". */
static int parse_file(const char *value, const char *spec, struct sensor_source_config *ret,
                      char *reason, size_t size) {
        char *colon;
        double scale = 1.0;

        if (spec[0] != '/' || spec[1] == '\0')
                return fail(reason, size, "source \"%s\" must be file:/ABSOLUTE/PATH[:SCALE] or "
                            "none", value);
        ret->file.path = strdup(spec);
        if (!ret->file.path)
                return oom(reason, size);
        colon = strrchr(ret->file.path, ':');
        if (colon && parse_scale(colon + 1, &scale) == 0) {
                if (scale == 0)
                        return fail(reason, size, "source \"%s\": the scale must not be 0", value);
                *colon = '\0';
        }
        if (ret->file.path[1] == '\0')
                return fail(reason, size, "source \"%s\" must be file:/ABSOLUTE/PATH[:SCALE] or "
                            "none", value);
        ret->file.scale = scale;
        return 0;
}

static int check_gpio_chip(const char *chip, char *reason, size_t size) {
        size_t n = strlen(chip);

        if (n == 0)
                return fail(reason, size, "gpio chip is empty: " GPIO_GRAMMAR);
        if (n > GPIO_CHIP_MAX)
                return fail(reason, size, "gpio chip is %zu characters, at most %d", n,
                            GPIO_CHIP_MAX);
        for (size_t i = 0; i < n; i++)
                if (chip[i] < 0x20 || chip[i] > 0x7E)
                        return fail(reason, size, "gpio chip must be printable ASCII");
        return 0;
}

/* "gpio:CHIP:LINE[:active-low]", taken apart from the right: a chip label may hold colons
 * itself (ACPI labels such as "INT34C5:00"), a line offset never does. */
static int parse_gpio(const char *value, const char *spec, struct sensor_source_config *ret,
                      char *reason, size_t size) {
        unsigned long line;
        char *colon;
        int r;

        ret->gpio.chip = strdup(spec);
        if (!ret->gpio.chip)
                return oom(reason, size);
        colon = strrchr(ret->gpio.chip, ':');
        if (colon && strcmp(colon + 1, "active-low") == 0) {
                ret->gpio.active_low = true;
                *colon = '\0';
                colon = strrchr(ret->gpio.chip, ':');
        }
        if (!colon)
                return fail(reason, size, "source \"%s\" must be " GPIO_GRAMMAR, value);
        *colon = '\0';
        r = parse_field_number(colon + 1, GPIO_LINE_MAX, &line);
        if (r == -ERANGE)
                return fail(reason, size, "gpio line %s outside 0..%d", colon + 1, GPIO_LINE_MAX);
        if (r < 0)
                return fail(reason, size, "source \"%s\" must end in :LINE or :LINE:active-low, "
                            "not \":%s\"", value, colon + 1);
        ret->gpio.line = (unsigned) line;
        return check_gpio_chip(ret->gpio.chip, reason, size);
}

/* BUS and ADDR, the first two fields of smbus: (kind "smbus") and pmbus: ("pmbus"). */
static int parse_bus_address(const char *kind, char **f, unsigned *bus, uint8_t *address,
                             char *reason, size_t size) {
        unsigned long v = 0;
        int r;

        r = parse_field_number(f[0], SMBUS_BUS_MAX, &v);
        if (r == -ERANGE)
                return fail(reason, size, "%s bus %s outside 0..%d", kind, f[0], SMBUS_BUS_MAX);
        if (r < 0)
                return fail(reason, size, "%s bus \"%s\" is not a number", kind, f[0]);
        *bus = (unsigned) v;

        r = parse_field_number(f[1], ULONG_MAX, &v);
        if (r == -EINVAL)
                return fail(reason, size, "%s address \"%s\" is not a number", kind, f[1]);
        /* Above 0x7f it cannot be 7-bit: most likely the 8-bit form (7-bit << 1) from a
         * datasheet, so name the 7-bit one. */
        if (r == 0 && v >= 0x80 && v <= 0xFF && !(v & 1) && v >> 1 <= 0x77)
                return fail(reason, size, "%s address %s outside 0x08..0x77; addresses are "
                            "7-bit: did you mean 0x%02lx?", kind, f[1], v >> 1);
        if (r < 0 || v < 0x08 || v > 0x77)
                return fail(reason, size, "%s address %s outside 0x08..0x77", kind, f[1]);
        *address = (uint8_t) v;
        return 0;
}

/* "bit=N" or "mask=M": 1 and *mask (a register of `bits` bits); 0 when field is neither. */
static int parse_select(const char *kind, const char *field, unsigned bits, uint16_t *mask,
                        char *reason, size_t size) {
        unsigned long v;
        int r;

        if (strncmp(field, "bit=", 4) == 0) {
                r = parse_field_number(field + 4, bits - 1, &v);
                if (r < 0)
                        return fail(reason, size, "%s %s outside the register's bits 0..%u",
                                    kind, field, bits - 1);
                *mask = (uint16_t) (1u << v);
                return 1;
        }
        if (strncmp(field, "mask=", 5) == 0) {
                r = parse_field_number(field + 5, (1ul << bits) - 1, &v);
                if (r < 0 || v == 0)
                        return fail(reason, size, "%s %s outside the register's 0x1..0x%lx",
                                    kind, field, (1ul << bits) - 1);
                *mask = (uint16_t) v;
                return 1;
        }
        return 0;
}

/* BUS, ADDR and REG: the three fields every smbus: source has. */
static int parse_smbus_target(char **f, struct sensor_source_config *ret, char *reason,
                              size_t size) {
        unsigned long v = 0;
        int r;

        r = parse_bus_address("smbus", f, &ret->smbus.bus, &ret->smbus.address, reason, size);
        if (r < 0)
                return r;

        r = parse_field_number(f[2], 0xFF, &v);
        if (r == -ERANGE)
                return fail(reason, size, "smbus register %s outside 0x00..0xff", f[2]);
        if (r < 0)
                return fail(reason, size, "smbus register \"%s\" is not a number", f[2]);
        ret->smbus.reg = (uint8_t) v;
        return 0;
}

/* The optional fields, each at most once and in grammar order: width, select, signed, scale;
 * a select (bit= or mask=) gives 0 or 1, so neither signed nor a scale goes with it. */
static int parse_smbus_options(char **f, size_t n, struct sensor_source_config *ret,
                               char *reason, size_t size) {
        static const char *const widths[] = {
                [SMBUS_WIDTH_BYTE] = "byte",
                [SMBUS_WIDTH_WORD] = "word",
                [SMBUS_WIDTH_WORD_BE] = "word-be",
        };
        enum { WIDTH, SELECT, SIGNED, SCALE, END } next = WIDTH, got;
        double scale;
        int r;

        for (size_t i = 0; i < n; i++) {
                got = END;
                r = parse_select("smbus", f[i], ret->smbus.width == SMBUS_WIDTH_BYTE ? 8 : 16,
                                 &ret->mask, reason, size);
                if (r < 0)
                        return r;
                if (r > 0)
                        got = SELECT;
                for (size_t w = 0; w < ELEMENTSOF(widths); w++)
                        if (strcmp(f[i], widths[w]) == 0) {
                                ret->smbus.width = (enum smbus_width) w;
                                got = WIDTH;
                        }
                if (strcmp(f[i], "signed") == 0) {
                        ret->smbus.is_signed = true;
                        got = SIGNED;
                } else if (got == END && parse_scale(f[i], &scale) == 0) {
                        if (scale == 0)
                                return fail(reason, size, "smbus scale must not be 0");
                        ret->smbus.scale = scale;
                        got = SCALE;
                }
                if (got == END)
                        return fail(reason, size, "smbus field \"%s\" is not byte, word, word-be, "
                                    "bit=, mask=, signed or a scale", f[i]);
                if (got < next)
                        return fail(reason, size, "smbus field \"%s\" repeated or out of order: "
                                    SMBUS_GRAMMAR, f[i]);
                if (ret->mask && got > SELECT)
                        return fail(reason, size, "smbus field \"%s\": bit= and mask= read 0 or 1, "
                                    "without signed or a scale", f[i]);
                next = got + 1;
        }
        return 0;
}

static int parse_smbus(const char *value, const char *spec, struct sensor_source_config *ret,
                       char *reason, size_t size) {
        _cleanup_free_ char *copy = strdup(spec);
        char *f[SMBUS_FIELDS_MAX], *rest = copy;
        size_t n = 0;
        int r;

        if (!copy)
                return oom(reason, size);
        while (rest) {
                if (n == SMBUS_FIELDS_MAX)
                        return fail(reason, size, "source \"%s\" has too many fields: "
                                    SMBUS_GRAMMAR, value);
                f[n++] = strsep(&rest, ":");
        }
        if (n < 3)
                return fail(reason, size, "source \"%s\" must be " SMBUS_GRAMMAR, value);
        for (size_t i = 0; i < n; i++)
                if (f[i][0] == '\0')
                        return fail(reason, size, "source \"%s\" has an empty field: "
                                    SMBUS_GRAMMAR, value);
        r = parse_smbus_target(f, ret, reason, size);
        if (r < 0)
                return r;
        return parse_smbus_options(f + 3, n - 3, ret, reason, size);
}

/* A decimal integer in min..max, sign allowed: a DIRECT coefficient. */
static int parse_signed(const char *text, long min, long max, int32_t *ret) {
        char *end;
        long v;

        if (text[0] == '\0' || text[0] == ' ' || text[0] == '+')
                return -EINVAL;
        errno = 0;
        v = strtol(text, &end, 10);
        if (*end || errno || v < min || v > max)
                return -EINVAL;
        *ret = (int32_t) v;
        return 0;
}

/* "direct=M,B,R" as the device's datasheet (or COEFFICIENTS) gives them. */
static int parse_direct(const char *field, struct pmbus_direct *ret, char *reason, size_t size) {
        _cleanup_free_ char *copy = strdup(field + strlen("direct="));
        char *rest = copy, *m, *b, *r;

        if (!copy)
                return oom(reason, size);
        m = strsep(&rest, ",");
        b = strsep(&rest, ",");
        r = strsep(&rest, ",");
        if (!r || rest || parse_signed(m, PMBUS_DIRECT_MB_MIN, PMBUS_DIRECT_MB_MAX, &ret->m) < 0 ||
            parse_signed(b, PMBUS_DIRECT_MB_MIN, PMBUS_DIRECT_MB_MAX, &ret->b) < 0 ||
            parse_signed(r, PMBUS_DIRECT_R_MIN, PMBUS_DIRECT_R_MAX, &ret->r) < 0)
                return fail(reason, size, "pmbus %s must be direct=M,B,R with M and B in "
                            "-32768..32767 and R in -128..127", field);
        if (ret->m == 0)
                return fail(reason, size, "pmbus %s: M must not be 0", field);
        return 0;
}

/* A format field: 1 and ret->pmbus.format (and .direct); 0 when field is no format. */
static int parse_pmbus_format(const char *field, struct sensor_source_config *ret,
                              char *reason, size_t size) {
        static const enum pmbus_format plain[] = {
                PMBUS_FORMAT_BYTE, PMBUS_FORMAT_WORD, PMBUS_FORMAT_LINEAR11, PMBUS_FORMAT_LINEAR16,
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                if (strcmp(field, pmbus_format_name(plain[i])) == 0) {
                        ret->pmbus.format = plain[i];
                        return 1;
                }
        if (strncmp(field, "direct=", 7) != 0)
                return 0;
        r = parse_direct(field, &ret->pmbus.direct, reason, size);
        if (r < 0)
                return r;
        ret->pmbus.format = PMBUS_FORMAT_DIRECT;
        return 1;
}

/* COMMAND: a standard name (its format is the default) or a code (a standard one's format, or
 * none: *known false, and the format field is required). */
static int parse_pmbus_command(const char *field, struct sensor_source_config *ret, bool *known,
                               char *reason, size_t size) {
        const struct pmbus_command *c = pmbus_command_by_name(field);
        unsigned long v;
        int r;

        if (!c) {
                r = parse_field_number(field, 0xFF, &v);
                if (r == -ERANGE)
                        return fail(reason, size, "pmbus command %s outside 0x00..0xff", field);
                if (r < 0)
                        return fail(reason, size, "pmbus command \"%s\" is neither a standard "
                                    "command name (READ_VIN, READ_VOUT, STATUS_WORD, ...) nor a "
                                    "code", field);
                c = pmbus_command_by_code((uint8_t) v);
                ret->pmbus.command = (uint8_t) v;
        } else
                ret->pmbus.command = c->code;
        *known = c != NULL;
        if (c)
                ret->pmbus.format = c->format;
        return 0;
}

/* The optional fields, each at most once and in grammar order: page, format, pec, select,
 * scale. */
static int parse_pmbus_options(char **f, size_t n, bool known, struct sensor_source_config *ret,
                               char *reason, size_t size) {
        enum { PAGE, FORMAT, PEC, SELECT, SCALE, END } next = PAGE, got;
        const char *select = NULL;
        unsigned long page;
        double scale;
        int r;

        for (size_t i = 0; i < n; i++) {
                got = END;
                if (strncmp(f[i], "page=", 5) == 0) {
                        if (parse_field_number(f[i] + 5, PMBUS_PAGE_MAX, &page) < 0)
                                return fail(reason, size, "pmbus %s outside 0..%d (0xff, all "
                                            "pages, cannot be read)", f[i], PMBUS_PAGE_MAX);
                        ret->pmbus.page = (int) page;
                        got = PAGE;
                } else if ((r = parse_pmbus_format(f[i], ret, reason, size)) != 0) {
                        if (r < 0)
                                return r;
                        known = true;
                        got = FORMAT;
                } else if (strcmp(f[i], "pec") == 0) {
                        ret->pmbus.pec = true;
                        got = PEC;
                } else if (strncmp(f[i], "bit=", 4) == 0 || strncmp(f[i], "mask=", 5) == 0) {
                        select = f[i];
                        got = SELECT;
                } else if (parse_scale(f[i], &scale) == 0) {
                        if (scale == 0)
                                return fail(reason, size, "pmbus scale must not be 0");
                        ret->pmbus.scale = scale;
                        got = SCALE;
                }
                if (got == END)
                        return fail(reason, size, "pmbus field \"%s\" is not page=, a format (%s), "
                                    "pec, bit=, mask= or a scale", f[i], PMBUS_FORMATS);
                if (got < next)
                        return fail(reason, size, "pmbus field \"%s\" repeated or out of order: "
                                    PMBUS_GRAMMAR, f[i]);
                if (select && got == SCALE)
                        return fail(reason, size, "pmbus field \"%s\": bit= and mask= read 0 or 1, "
                                    "without a scale", f[i]);
                next = got + 1;
        }
        if (!known)
                return fail(reason, size, "pmbus command 0x%02x is not a standard command: give "
                            "its format (%s)", ret->pmbus.command, PMBUS_FORMATS);
        if (!select)
                return 0;
        if (ret->pmbus.format != PMBUS_FORMAT_BYTE && ret->pmbus.format != PMBUS_FORMAT_WORD)
                return fail(reason, size, "pmbus %s selects from a status register, read as "
                            "byte or word, not from a %s value", select,
                            pmbus_format_name(ret->pmbus.format));
        r = parse_select("pmbus", select, ret->pmbus.format == PMBUS_FORMAT_BYTE ? 8 : 16,
                         &ret->mask, reason, size);
        return r < 0 ? r : 0;
}

static int parse_pmbus(const char *value, const char *spec, struct sensor_source_config *ret,
                       char *reason, size_t size) {
        _cleanup_free_ char *copy = strdup(spec);
        char *f[PMBUS_FIELDS_MAX], *rest = copy;
        bool known = false;
        size_t n = 0;
        int r;

        if (!copy)
                return oom(reason, size);
        while (rest) {
                if (n == PMBUS_FIELDS_MAX)
                        return fail(reason, size, "source \"%s\" has too many fields: "
                                    PMBUS_GRAMMAR, value);
                f[n++] = strsep(&rest, ":");
        }
        if (n < 3)
                return fail(reason, size, "source \"%s\" must be " PMBUS_GRAMMAR, value);
        for (size_t i = 0; i < n; i++)
                if (f[i][0] == '\0')
                        return fail(reason, size, "source \"%s\" has an empty field: "
                                    PMBUS_GRAMMAR, value);
        r = parse_bus_address("pmbus", f, &ret->pmbus.bus, &ret->pmbus.address, reason, size);
        if (r < 0)
                return r;
        r = parse_pmbus_command(f[2], ret, &known, reason, size);
        if (r < 0)
                return r;
        return parse_pmbus_options(f + 3, n - 3, known, ret, reason, size);
}

int sensor_source_parse(const char *value, struct sensor_source_config *src, char *reason,
                        size_t reason_size) {
        struct sensor_source_config new = {
                .file.scale = 1.0,
                .smbus.scale = 1.0,
                .pmbus.page = -1,
                .pmbus.scale = 1.0,
        };
        int r;

        if (strcmp(value, "none") == 0)
                r = 0;
        else if (strncmp(value, "file:", 5) == 0) {
                new.kind = SENSOR_SOURCE_FILE;
                r = parse_file(value, value + 5, &new, reason, reason_size);
        } else if (strncmp(value, "gpio:", 5) == 0) {
                new.kind = SENSOR_SOURCE_GPIO;
                r = parse_gpio(value, value + 5, &new, reason, reason_size);
        } else if (strncmp(value, "smbus:", 6) == 0) {
                new.kind = SENSOR_SOURCE_SMBUS;
                r = parse_smbus(value, value + 6, &new, reason, reason_size);
        } else if (strncmp(value, "pmbus:", 6) == 0) {
                new.kind = SENSOR_SOURCE_PMBUS;
                r = parse_pmbus(value, value + 6, &new, reason, reason_size);
        } else
                r = fail(reason, reason_size, "unknown source \"%s\" (file:, gpio:, smbus:, "
                         "pmbus: or none)", value);
        if (r < 0) {
                sensor_source_config_clear(&new);
                return r;
        }
        sensor_source_config_clear(src);
        *src = new;
        return 0;
}

void sensor_source_config_clear(struct sensor_source_config *src) {
        free(src->file.path);
        free(src->gpio.chip);
        *src = (struct sensor_source_config) {
                .kind = SENSOR_SOURCE_NONE,
                .file.scale = 1.0,
                .smbus.scale = 1.0,
                .pmbus.page = -1,
                .pmbus.scale = 1.0,
        };
}

int sensor_source_config_copy(struct sensor_source_config *dst,
                              const struct sensor_source_config *src) {
        *dst = *src;
        dst->file.path = NULL;
        dst->gpio.chip = NULL;
        if (src->file.path && !(dst->file.path = strdup(src->file.path)))
                goto nomem;
        if (src->gpio.chip && !(dst->gpio.chip = strdup(src->gpio.chip)))
                goto nomem;
        return 0;
nomem:
        sensor_source_config_clear(dst);
        return -ENOMEM;
}

static bool streq_null(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

bool sensor_source_config_equal(const struct sensor_source_config *a,
                                const struct sensor_source_config *b) {
        if (a->kind != b->kind || a->mask != b->mask)
                return false;
        switch (a->kind) {
        case SENSOR_SOURCE_FILE:
                return streq_null(a->file.path, b->file.path) && a->file.scale == b->file.scale;
        case SENSOR_SOURCE_GPIO:
                return streq_null(a->gpio.chip, b->gpio.chip) && a->gpio.line == b->gpio.line &&
                       a->gpio.active_low == b->gpio.active_low;
        case SENSOR_SOURCE_SMBUS:
                return a->smbus.bus == b->smbus.bus && a->smbus.address == b->smbus.address &&
                       a->smbus.reg == b->smbus.reg && a->smbus.width == b->smbus.width &&
                       a->smbus.is_signed == b->smbus.is_signed &&
                       a->smbus.scale == b->smbus.scale;
        case SENSOR_SOURCE_PMBUS:
                return a->pmbus.bus == b->pmbus.bus && a->pmbus.address == b->pmbus.address &&
                       a->pmbus.page == b->pmbus.page && a->pmbus.command == b->pmbus.command &&
                       a->pmbus.format == b->pmbus.format &&
                       (a->pmbus.format != PMBUS_FORMAT_DIRECT ||
                        (a->pmbus.direct.m == b->pmbus.direct.m &&
                         a->pmbus.direct.b == b->pmbus.direct.b &&
                         a->pmbus.direct.r == b->pmbus.direct.r)) &&
                       a->pmbus.pec == b->pmbus.pec && a->pmbus.scale == b->pmbus.scale;
        case SENSOR_SOURCE_NONE:
        default:
                return true;
        }
}
