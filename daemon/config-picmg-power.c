/* SPDX-License-Identifier: MIT */
/*
 * [picmg-power.N] and [picmg-link.N]: their key tables and value parsers. The checks across
 * keys and the FRU records they make are in config-check-picmg-power.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor-source.h"
#include "macro.h"
#include "protocol/picmg-fru.h"

#define RESTART CONFIG_RELOAD_RESTART

static int fail(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *reason, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, REASON_MAX, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* "12", "12.5", "12.5 W" (unit optional, as given): tenths, at most max. *end after it. */
static int parse_tenths(const char *s, const char **end, const char *unit, unsigned long max,
                        unsigned long *ret) {
        unsigned long v = 0;
        int digits = 0;

        while (*s == ' ' || *s == '\t')
                s++;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > max)
                        return -ERANGE;
        }
        if (digits == 0)
                return -EINVAL;
        v *= 10;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v += (unsigned long) (*s++ - '0');
                while (*s == '0')
                        s++;
                if (*s >= '1' && *s <= '9')
                        return -EDOM;   /* finer than a tenth */
        }
        if (v > max)
                return -ERANGE;
        while (*s == ' ' || *s == '\t')
                s++;
        if (strncmp(s, unit, strlen(unit)) == 0)
                s += strlen(unit);
        *end = s;
        *ret = v;
        return 0;
}

static int tenths_error(const struct config_key *k, const char *value, int r, const char *unit,
                        char *reason) {
        if (r == -EDOM)
                return fail(reason, "%s \"%s\": steps of 0.1 %s", k->name, value, unit);
        if (r == -ERANGE)
                return fail(reason, "%s \"%s\": at most %lu.%lu %s", k->name, value,
                            k->max / 10, k->max % 10, unit);
        return fail(reason, "%s \"%s\" must be a number of %s, e.g. \"12.5 %s\"", k->name, value,
                    unit, unit);
}

/* "10 W, 20 W, 35.5 W" (the W and the commas optional): 1..20 levels, in tenths of a watt. */
static int parse_power_levels(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        struct picmg_power_levels *ret = dest, l = { .n = 0 };
        const char *s = value;

        if (strcmp(value, "same") == 0 && k->default_value &&
            strcmp(k->default_value, "same") == 0) {
                ret->n = 0;
                return 0;
        }
        for (;;) {
                unsigned long v;
                int r;

                while (*s == ' ' || *s == '\t' || *s == ',')
                        s++;
                if (*s == '\0')
                        break;
                if (l.n == PICMG_POWER_LEVELS_MAX)
                        return fail(reason, "%s: at most %d power levels", k->name,
                                    PICMG_POWER_LEVELS_MAX);
                r = parse_tenths(s, &s, "W", 255UL * 2550, &v);
                if (r < 0)
                        return tenths_error(&(struct config_key) { .name = k->name,
                                                                   .max = 255UL * 2550 },
                                            value, r, "W", reason);
                if (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t')
                        return fail(reason, "%s \"%s\": expected watts separated by commas",
                                    k->name, value);
                l.deciwatts[l.n++] = (uint32_t) v;
        }
        if (l.n == 0)
                return fail(reason, "%s: at least one power level (watts)", k->name);
        for (unsigned i = 1; i < l.n; i++)
                if (l.deciwatts[i] <= l.deciwatts[i - 1])
                        return fail(reason, "%s: level %u (%u.%u W) is not above level %u; "
                                    "levels rise", k->name, i + 1, l.deciwatts[i] / 10,
                                    l.deciwatts[i] % 10, i);
        *ret = l;
        return 0;
}

/* A number of tenths of unit (k->max the largest, k->min the smallest), stored in a u8. */
static int parse_tenths_u8(const struct config_key *k, const char *value, void *dest,
                           const char *unit, char *reason) {
        unsigned long v;
        const char *end;
        int r;

        r = parse_tenths(value, &end, unit, k->max, &v);
        if (r == 0 && *end != '\0')
                r = -EINVAL;
        if (r == 0 && v < k->min)
                r = -ERANGE;
        if (r < 0)
                return tenths_error(k, value, r, unit, reason);
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

static int parse_watts(const struct config_key *k, const char *value, void *dest,
                       char *reason) {
        return parse_tenths_u8(k, value, dest, "W", reason);
}

static int parse_seconds(const struct config_key *k, const char *value, void *dest,
                         char *reason) {
        return parse_tenths_u8(k, value, dest, "s", reason);
}

/* "6.5 A" -> 65 (tenths), or none (-1). */
static int parse_current(const struct config_key *k, const char *value, void *dest,
                         char *reason) {
        uint8_t v = 0;
        int r;

        if (strcmp(value, "none") == 0) {
                *(int *) dest = -1;
                return 0;
        }
        r = parse_tenths_u8(k, value, &v, "A", reason);
        if (r < 0)
                return r;
        *(int *) dest = v;
        return 0;
}

static int parse_link_kind(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        if (strcmp(value, "atca") == 0)
                *(enum picmg_link_kind *) dest = PICMG_LINK_KIND_ATCA;
        else if (strcmp(value, "amc") == 0)
                *(enum picmg_link_kind *) dest = PICMG_LINK_KIND_AMC;
        else
                return fail(reason, "%s \"%s\" must be atca or amc", k->name, value);
        return 0;
}

static int parse_link_interface(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        static const char *const names[] = { "base", "fabric", "update-channel" };

        for (uint8_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(value, names[i]) == 0) {
                        *(uint8_t *) dest = i;
                        return 0;
                }
        return fail(reason, "%s \"%s\" must be base, fabric or update-channel", k->name, value);
}

/* "0 1 2 3" or "0,1": up to 4 port numbers, each at most k->max, none twice. */
static int parse_ports(const struct config_key *k, const char *value, void *dest,
                       char *reason) {
        struct picmg_port_list l = { .n = 0 };
        const char *s = value;

        for (;;) {
                unsigned long v = 0;
                int digits = 0;

                while (*s == ' ' || *s == '\t' || *s == ',')
                        s++;
                if (*s == '\0')
                        break;
                for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
                        v = v * 10 + (unsigned long) (*s - '0');
                if (digits == 0 || (*s != '\0' && *s != ' ' && *s != ',' && *s != '\t'))
                        return fail(reason, "%s \"%s\": expected port numbers", k->name, value);
                if (v > k->max)
                        return fail(reason, "%s: port %lu is above %lu", k->name, v, k->max);
                if (l.n == 4)
                        return fail(reason, "%s: at most 4 ports", k->name);
                for (unsigned i = 0; i < l.n; i++)
                        if (l.port[i] == v)
                                return fail(reason, "%s: port %lu twice", k->name, v);
                l.port[l.n++] = (uint8_t) v;
        }
        if (l.n == 0)
                return fail(reason, "%s: at least one port", k->name);
        *(struct picmg_port_list *) dest = l;
        return 0;
}

/* A number 1..255, or a name of PICMG 3.x (base, infiniband, star-fabric) or AMC.x (pcie-as,
 * serial-rapidio, storage); pcie and ethernet wait for the kind. */
static int parse_link_type(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        static const struct {
                const char *name;
                int type;
        } names[] = {
                { "base", 0x01 }, { "infiniband", 0x03 }, { "star-fabric", 0x04 },
                { "pcie-as", 0x03 }, { "serial-rapidio", 0x06 }, { "storage", 0x07 },
                { "pcie", PICMG_LINK_TYPE_PCIE }, { "ethernet", PICMG_LINK_TYPE_ETHERNET },
        };
        unsigned long v;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(value, names[i].name) == 0) {
                        *(int *) dest = names[i].type;
                        return 0;
                }
        if (config_parse_number(value, &v) < 0 || v < 1 || v > 0xFF)
                return fail(reason, "%s \"%s\" must be a link type 0x01..0xFF or one of base, "
                            "ethernet, infiniband, star-fabric, pcie, pcie-as, serial-rapidio, "
                            "storage", k->name, value);
        *(int *) dest = (int) v;
        return 0;
}

/* none, gpio:CHIP:LINE[:active-low] or exec:/ABSOLUTE/PATH. */
static int parse_link_action(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        struct picmg_link_action a;
        int r;

        memset(&a, 0, sizeof(a));       /* padding too: compared with memcmp() */
        if (strcmp(value, "none") == 0)
                a.kind = PICMG_LINK_ACTION_NONE;
        else if (strncmp(value, "exec:", 5) == 0) {
                if (value[5] != '/')
                        return fail(reason, "%s \"%s\": the program must be an absolute path",
                                    k->name, value);
                if (strlen(value + 5) >= sizeof(a.exec))
                        return fail(reason, "%s: path too long", k->name);
                a.kind = PICMG_LINK_ACTION_EXEC;
                strcpy(a.exec, value + 5);
        } else if (strncmp(value, "gpio:", 5) == 0) {
                struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };

                r = sensor_source_parse(value, &src, reason, REASON_MAX);
                if (r < 0) {
                        sensor_source_config_clear(&src);
                        return r;
                }
                if (strlen(src.gpio.chip) >= sizeof(a.chip)) {
                        sensor_source_config_clear(&src);
                        return fail(reason, "%s \"%.60s\": gpio chip name too long", k->name,
                                    value);
                }
                a.kind = PICMG_LINK_ACTION_GPIO;
                strcpy(a.chip, src.gpio.chip);
                a.line = src.gpio.line;
                a.active_low = src.gpio.active_low;
                sensor_source_config_clear(&src);
        } else
                return fail(reason, "%s \"%.80s\" must be none, gpio:CHIP:LINE[:active-low] or "
                            "exec:/PATH", k->name, value);
        memcpy(dest, &a, sizeof(a));
        return 0;
}

static int parse_link_args(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        char *d = dest;

        if (strlen(value) >= sizeof(((struct picmg_link_config *) NULL)->args))
                return fail(reason, "%s: at most %zu characters", k->name,
                            sizeof(((struct picmg_link_config *) NULL)->args) - 1);
        memset(d, 0, sizeof(((struct picmg_link_config *) NULL)->args));
        if (strcmp(value, "none") != 0)
                strcpy(d, value);
        return 0;
}

/* "0" or "0 4": the channel signaling classes (0..15) the link supports, as a bit mask. */
static int parse_signaling_classes(const struct config_key *k, const char *value, void *dest,
                                   char *reason) {
        uint16_t mask = 0;
        const char *s = value;

        for (;;) {
                unsigned long v = 0;
                int digits = 0;

                while (*s == ' ' || *s == '\t' || *s == ',')
                        s++;
                if (*s == '\0')
                        break;
                for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
                        v = v * 10 + (unsigned long) (*s - '0');
                if (digits == 0 || v > 15 || (*s != '\0' && *s != ' ' && *s != ',' && *s != '\t'))
                        return fail(reason, "%s \"%s\" must be signaling classes 0..15 separated "
                                    "by blanks", k->name, value);
                mask |= (uint16_t) (1u << v);
        }
        if (!(mask & 1))
                return fail(reason, "%s \"%s\": every link supports class 0 (basic)", k->name,
                            value);
        *(uint16_t *) dest = mask;
        return 0;
}

static int parse_link_state(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        if (strcmp(value, "enabled") == 0)
                *(bool *) dest = true;
        else if (strcmp(value, "disabled") == 0)
                *(bool *) dest = false;
        else
                return fail(reason, "%s \"%s\" must be enabled or disabled", k->name, value);
        return 0;
}

#define P(field) offsetof(struct picmg_power_config, field), \
        sizeof(((struct picmg_power_config *) 0)->field)

const struct config_key config_picmg_power_keys[] = {
        { "picmg-power.0", "levels", parse_power_levels, P(levels), NULL, 0, 0,
          "steady-state power draw of each power level 1..20 in watts, rising, separated by "
          "commas (\"20 W, 40 W, 60 W\"); Get Power Level type 0 and Set Power Level's range",
          RESTART },
        { "picmg-power.0", "early-levels", parse_power_levels, P(early_levels),
          "same", 0, 0,
          "early power draw of each level (Get Power Level type 2), or same as levels",
          RESTART },
        { "picmg-power.0", "multiplier", parse_watts, P(multiplier), "1 W", 1, 255,
          "watts per unit of the power draw bytes, 0.1 W .. 25.5 W in steps of 0.1 W; every "
          "level must be a multiple, at most 255 of them",
          RESTART },
        { "picmg-power.0", "dynamic", config_parse_bool, P(dynamic), "no", 0, 0,
          "yes when the FRU can change its power level while in M4 (Dynamic Power "
          "Configuration)",
          RESTART },
        { "picmg-power.0", "delay-to-stable", parse_seconds, P(delay), "0 s", 0, 255,
          "time the FRU takes to draw its new level's power, 0 .. 25.5 s in steps of 0.1 s",
          RESTART },
        { "picmg-power.0", "desired-level", config_parse_u8, P(desired_level), "0", 0,
          PICMG_POWER_LEVELS_MAX,
          "the level the FRU asks for (Get Power Level types 1 and 3); 0 = the highest",
          RESTART },
        { "picmg-power.0", "module-current", parse_current, P(module_current),
          "none", 0, 255,
          "an AMC's current draw at 12 V for the Module Current Requirements record (0.1 A "
          "steps, e.g. 6.5 A), or none",
          RESTART },
        { "picmg-power.0", "spanned-slots", config_parse_u8, P(spanned_slots), "1", 1, 16,
          "how many ATCA slots the board covers (Compute Power Properties); the shelf manager "
          "budgets the power of each",
          RESTART },
        { "picmg-power.0", "ipmc-location", config_parse_u8, P(ipmc_location), "0", 0, 15,
          "which of the spanned slots, counted from 0, holds the IPMC's connector (Compute "
          "Power Properties); below spanned-slots",
          RESTART },
};
const size_t config_picmg_power_keys_n = ELEMENTSOF(config_picmg_power_keys);
_Static_assert(ELEMENTSOF(config_picmg_power_keys) <= CONFIG_PICMG_KEYS_MAX,
               "raise CONFIG_PICMG_KEYS_MAX in config-check.h");
#undef P

#define L(field) offsetof(struct picmg_link_config, field), \
        sizeof(((struct picmg_link_config *) 0)->field)

const struct config_key config_picmg_link_keys[] = {
        { "picmg-link.0", "fru", config_parse_u8, L(fru), "0", 0, CONFIG_FRU_MAX - 1,
          "FRU device ID of the [fru.N] whose point-to-point record lists the link",
          RESTART },
        { "picmg-link.0", "kind", parse_link_kind, L(kind), "atca", 0, 0,
          "atca (Board Point-to-Point record, Set/Get Port State) or amc (AMC Point-to-Point "
          "record, Set/Get AMC Port State)",
          RESTART },
        { "picmg-link.0", "interface", parse_link_interface, L(interface), "fabric",
          0, 0,
          "atca: base, fabric or update-channel",
          RESTART },
        { "picmg-link.0", "channel", config_parse_u8, L(channel), NULL, 0, 255,
          "atca: the channel 1..63 of the interface; amc: the AMC channel ID, numbered from 0 "
          "without gaps per FRU",
          RESTART },
        { "picmg-link.0", "ports", parse_ports, L(ports), NULL, 0, 31,
          "atca: the ports 0..3 of the channel the link uses; amc: the AMC port of lane 0, "
          "lane 1, ... (0..30, up to 4)",
          RESTART },
        { "picmg-link.0", "link-type", parse_link_type, L(type), NULL, 0, 0,
          "link type: a number 0x01..0xFF or base, ethernet, infiniband, star-fabric, pcie "
          "(atca) / pcie, pcie-as, ethernet, serial-rapidio, storage (amc)",
          RESTART },
        { "picmg-link.0", "extension", config_parse_u8, L(extension), "0", 0, 15,
          "link type extension",
          RESTART },
        { "picmg-link.0", "group", config_parse_u8, L(group), "0", 0, 255,
          "link grouping ID: links of one group are enabled together (0 = a single link)",
          RESTART },
        { "picmg-link.0", "asymmetric-match", config_parse_u8, L(asymmetric_match), "0", 0, 3,
          "amc: the asymmetric match of the link descriptor",
          RESTART },
        { "picmg-link.0", "action", parse_link_action, L(action), "none", 0, 0,
          "what enabling and disabling the link does: gpio:CHIP:LINE[:active-low] (driven 1 "
          "while enabled), exec:/PATH (run as PATH ARGS... enable|disable, no shell), or none",
          RESTART },
        { "picmg-link.0", "args", parse_link_args, L(args), "none", 0, 0,
          "fixed arguments of the exec action, split at blanks (no quoting, no expansion), "
          "before the state word; or none",
          RESTART },
        { "picmg-link.0", "timeout-ms", config_parse_u32, L(timeout_ms), "2000", 10, 60000,
          "the exec action must finish within this time, or it is killed and the link keeps "
          "its state",
          RESTART },
        { "picmg-link.0", "signaling-classes", parse_signaling_classes, L(signaling_classes),
          "0", 0, 0,
          "atca: the channel signaling classes the link supports (PICMG 3.1 R2.0), 0 = basic, "
          "e.g. \"0 4\"; Set Channel Signaling Class accepts these for its channel",
          RESTART },
        { "picmg-link.0", "initial-state", parse_link_state, L(enabled), "disabled",
          0, 0,
          "enabled or disabled: the state at start (the action is not run at start)",
          RESTART },
};
const size_t config_picmg_link_keys_n = ELEMENTSOF(config_picmg_link_keys);
_Static_assert(ELEMENTSOF(config_picmg_link_keys) <= CONFIG_PICMG_KEYS_MAX,
               "raise CONFIG_PICMG_KEYS_MAX in config-check.h");
#undef L
