/* SPDX-License-Identifier: MIT */
/*
 * Value parsers shared by the key tables: numbers, addresses, paths, booleans, GPIO lines, the
 * [i2c] allow list. Each takes the text as written in the file and either stores the value at
 * dest or writes a reason for "file:line: reason" and returns -EINVAL.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-parse.h"
#include "config-sensor-source.h"
#include "log.h"
#include "macro.h"

/* ---- value parsers: 0, or -EINVAL with a reason ---- */

/* Unsigned integer: "0x" hex or plain decimal (never octal: "010" means ten). */
int config_parse_number(const char *value, unsigned long *ret) {
        const char *digits = value;
        int base = 10;
        char *end;
        unsigned long long v;

        if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
                digits = value + 2;
                base = 16;
        }
        if (digits[0] == '\0' || digits[0] == '-' || digits[0] == '+' || digits[0] == ' ')
                return -EINVAL;
        /* 64 bits on every ABI, so a value means the same on armhf as on x86-64: past 64
         * bits it is not a number, past unsigned long (2^32 on 32-bit) it is out of range. */
        errno = 0;
        v = strtoull(digits, &end, base);
        if (errno || *end)
                return -EINVAL;
        if (v > ULONG_MAX)
                return -ERANGE;
        *ret = (unsigned long) v;
        return 0;
}

int config_parse_ranged(const struct config_key *k, const char *value, unsigned long *v,
                        char *reason) {
        int r = config_parse_number(value, v);

        if (r < 0 && r != -ERANGE) {
                snprintf(reason, REASON_MAX, "\"%s\" is not a number", value);
                return -EINVAL;
        }
        /* A number past unsigned long is past every key's range. */
        if (r == -ERANGE || *v < k->min || *v > k->max) {
                snprintf(reason, REASON_MAX, "%s must be between %lu and %lu (0x%lx..0x%lx), not %s",
                         k->name, k->min, k->max, k->min, k->max, value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_u8(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (config_parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

int config_parse_u16(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (config_parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint16_t *) dest = (uint16_t) v;
        return 0;
}

int config_parse_u32(const struct config_key *k, const char *value, void *dest, char *reason) {
        unsigned long v;

        if (config_parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(uint32_t *) dest = (uint32_t) v;
        return 0;
}

/* An IPMB slave address in 8-bit form: even, and outside the reserved I2C ranges. */
int config_parse_ipmb_address(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        unsigned long v;

        if (config_parse_ranged(k, value, &v, reason) < 0)
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
int config_parse_event_receiver(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        if (strcmp(value, "none") == 0 || strcasecmp(value, "0xff") == 0 ||
            strcmp(value, "255") == 0) {
                *(uint8_t *) dest = 0xFF;
                return 0;
        }
        return config_parse_ipmb_address(k, value, dest, reason);
}

int config_parse_string(const struct config_key *k, const char *value, void *dest, char *reason) {
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
int config_parse_socket_path(const struct config_key *k, const char *value, void *dest,
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
        return config_parse_string(k, value, dest, reason);
}

/* Permission bits of a socket file, in octal as chmod takes them: 0660, 660, 0600. */
int config_parse_socket_mode(const struct config_key *k, const char *value, void *dest,
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
int config_parse_tcp_address(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        char **s = dest;
        const char *colon = strrchr(value, ':');
        unsigned long port;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (!colon || config_parse_number(colon + 1, &port) < 0 || port == 0 || port > 65535) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be HOST:PORT with a port of 1..65535, "
                         "or none", k->name, value);
                return -EINVAL;
        }
        return config_parse_string(k, value, dest, reason);
}

int config_parse_log_level(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        int level = log_level_from_string(value);

        if (level < 0) {
                snprintf(reason, REASON_MAX, "unknown log level \"%s\" (err, warning, notice, info, debug)",
                         value);
                return -EINVAL;
        }
        *(int *) dest = level;
        return 0;
}

int config_parse_transport(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
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

int config_parse_bool(const struct config_key *k, const char *value, void *dest, char *reason) {
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

int config_parse_absolute_path(const struct config_key *k, const char *value, void *dest,
                               char *reason) {
        if (value[0] != '/') {
                snprintf(reason, REASON_MAX, "%s must be an absolute path", k->name);
                return -EINVAL;
        }
        return config_parse_string(k, value, dest, reason);
}

/* GPIO line offsets for the hardware address, LSB first: "10 11 12" (or commas), or none. */
int config_parse_gpio_lines(const struct config_key *k, const char *value, void *dest,
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
                if (config_parse_number(w, &v) < 0 || v > k->max) {
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

/* An integer within the key's range into an int, or word for -1. */
static int int_or_word(const struct config_key *k, const char *value, const char *word,
                       void *dest, char *reason) {
        unsigned long v;

        if (strcmp(value, word) == 0) {
                *(int *) dest = -1;
                return 0;
        }
        if (config_parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        *(int *) dest = (int) v;
        return 0;
}

/* An integer within the key's range, or none (-1): a GPIO line offset, an SMBIOS chassis type. */
int config_parse_int_or_none(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        return int_or_word(k, value, "none", dest, reason);
}

/* An integer within the key's range, or auto (-1: the key's documented default rule): a PICMG
 * site number, a fan's normal level. */
int config_parse_int_or_auto(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        return int_or_word(k, value, "auto", dest, reason);
}

int config_parse_i2c_allow(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        char why[REASON_MAX - 16];     /* room for the key's name in front */

        if (i2c_allow_parse(value, dest, why, sizeof(why)) < 0) {
                snprintf(reason, REASON_MAX, "%.10s: %s", k->name, why);
                return -EINVAL;
        }
        return 0;
}
/* ---- [sensor.N] value parsers ---- */

/* A finite decimal number ("42", "-0.5", "1e3"); NaN and infinities are not values. */
int config_parse_double(const char *value, double *ret) {
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


int config_parse_hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parsers whose value is a char * (NULL for none): compared as strings, not as pointers. */
static const config_parser string_parsers[] = {
        config_parse_string, config_parse_socket_path, config_parse_tcp_address,
        config_parse_absolute_path, config_parse_fru_text, config_parse_fru_file,
        config_parse_fru_multirecord_file,
        config_parse_sensor_name, config_parse_state_list, config_parse_path_or_none,
        config_parse_string_or_none,
};

static bool streq_null(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool custom_list_equal(const struct fru_custom_list *a, const struct fru_custom_list *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->items[i], b->items[i]) != 0)
                        return false;
        return true;
}

bool config_key_equal(const struct config_key *k, const void *a_base, const void *b_base) {
        const uint8_t *a = (const uint8_t *) a_base + k->offset;
        const uint8_t *b = (const uint8_t *) b_base + k->offset;

        for (size_t i = 0; i < ELEMENTSOF(string_parsers); i++)
                if (k->parse == string_parsers[i])
                        return streq_null(*(char *const *) a, *(char *const *) b);
        if (k->parse == config_parse_fru_custom)
                return custom_list_equal((const void *) a, (const void *) b);
        if (k->parse == config_parse_fru_multirecord) {
                const struct fru_config *fa = a_base, *fb = b_base;

                return fa->multirecord_len == fb->multirecord_len &&
                        (fa->multirecord_len == 0 ||
                         memcmp(fa->multirecord, fb->multirecord, fa->multirecord_len) == 0);
        }
        if (k->parse == config_parse_sensor_source)
                return sensor_source_config_equal((const void *) a, (const void *) b);
        if (k->parse == config_parse_sensor_state)
                return sensor_states_config_equal(*(struct sensor_states_config *const *) a,
                                                  *(struct sensor_states_config *const *) b);
        if (k->parse == config_parse_gpio_lines) {
                /* Only the first n offsets mean anything ("none" keeps the others). */
                const struct satmc_config *ca = a_base, *cb = b_base;

                return ca->hw_address_lines.n == cb->hw_address_lines.n &&
                        memcmp(ca->hw_address_lines.offsets, cb->hw_address_lines.offsets,
                               ca->hw_address_lines.n * sizeof(unsigned)) == 0;
        }
        /* Plain values without pointers or padding: numbers, enums, fixed structs of bytes. */
        return memcmp(a, b, k->size) == 0;
}
