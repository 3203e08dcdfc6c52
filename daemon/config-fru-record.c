/* SPDX-License-Identifier: MIT */
/*
 * Typed multirecords of a FRU device: [fru.N.power-supply.M] (M 0..3), [fru.N.dc-output.M]
 * and [fru.N.dc-load.M] (M = the output number, 0..15) and [fru.N.management-access]. Their
 * key tables, the quantity parsers (a number and its unit: "12.05 V", "550 W", "16 ms"), the
 * checks across keys, and the records the image is built with (config-fru-image.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-fru.h"
#include "config-parse.h"
#include "guid.h"
#include "macro.h"

#define LIVE CONFIG_RELOAD_LIVE

/* ---- quantities ---- */

/* A unit a key accepts, and how many thousandths of the base unit (V, A, W, s, Hz) it is. */
struct unit {
        const char *name;
        long milli;
};

static const struct unit volts[] = { { "V", 1000 }, { "mV", 1 }, { NULL, 0 } };
static const struct unit millivolts[] = { { "mV", 1 }, { "V", 1000 }, { NULL, 0 } };
static const struct unit amps[] = { { "A", 1000 }, { "mA", 1 }, { NULL, 0 } };
static const struct unit watts[] = { { "W", 1000 }, { NULL, 0 } };
static const struct unit volt_amps[] = { { "VA", 1000 }, { NULL, 0 } };
static const struct unit millis[] = { { "ms", 1 }, { "s", 1000 }, { NULL, 0 } };
static const struct unit seconds[] = { { "s", 1000 }, { "ms", 1 }, { NULL, 0 } };
static const struct unit hertz[] = { { "Hz", 1000 }, { NULL, 0 } };
static const struct unit rps[] = { { "RPS", 1000 }, { NULL, 0 } };

/* What a quantity key stores: in steps of step_milli thousandths of the base unit. */
struct quantity {
        const struct unit *units;       /* the first is the one messages use */
        long step_milli;                /* 10 for 10 mV, 1 for mA, 1000 for W */
        const char *step_text;          /* "10 mV" */
};

static const struct quantity q_10mv = { volts, 10, "10 mV" };
static const struct quantity q_mv = { millivolts, 1, "1 mV" };
static const struct quantity q_ma = { amps, 1, "1 mA" };
static const struct quantity q_amp = { amps, 1000, "1 A" };
static const struct quantity q_watt = { watts, 1000, "1 W" };
static const struct quantity q_va = { volt_amps, 1000, "1 VA" };
static const struct quantity q_ms = { millis, 1, "1 ms" };
static const struct quantity q_s = { seconds, 1000, "1 s" };
static const struct quantity q_hz = { hertz, 1000, "1 Hz" };
static const struct quantity q_rps = { rps, 1000, "1 RPS" };

/* The row's limits are signed (a voltage may be negative), stored in its unsigned columns. */
#define LIM(x) ((unsigned long) (long) (x))

/* "12.05 V" or "-0.5V" or, with implied, "12.05" -> steps. *end: the text after it. Returns 0,
 * -EINVAL (not a number with a unit of q's), -EDOM (not a whole number of steps), -ERANGE. */
static int parse_quantity(const char *s, const char **end, const struct quantity *q,
                          const struct unit *implied, long *ret) {
        const struct unit *u = NULL;
        long long whole = 0, thousandths = 0, total;
        int frac_digits = 0, digits = 0;
        bool negative = false;
        size_t best = 0;

        while (*s == ' ' || *s == '\t')
                s++;
        if (*s == '-' || *s == '+')
                negative = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
                if (whole > 1000000000LL)
                        return -ERANGE;
                whole = whole * 10 + (*s - '0');
        }
        if (*s == '.' && s[1] != '.') {
                for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
                        if (++frac_digits > 3) {
                                if (*s != '0')
                                        return -EDOM;   /* finer than a thousandth */
                                continue;
                        }
                        thousandths = thousandths * 10 + (*s - '0');
                }
        }
        if (digits == 0)
                return -EINVAL;
        for (; frac_digits < 3; frac_digits++)
                thousandths *= 10;
        while (*s == ' ' || *s == '\t')
                s++;
        for (const struct unit *c = q->units; c->name; c++) {
                size_t n = strlen(c->name);

                if (n > best && strncmp(s, c->name, n) == 0 &&
                    !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) {
                        u = c;
                        best = n;
                }
        }
        if (u)
                s += best;
        else if (implied)
                u = implied;
        else
                return -EINVAL;
        /* whole.thousandths of u, in thousandths of a thousandth of the base unit */
        total = (whole * 1000 + thousandths) * u->milli;
        if (total % (1000LL * q->step_milli) != 0)
                return -EDOM;
        total /= 1000LL * q->step_milli;
        if (total > 0x7FFFFFFFLL)
                return -ERANGE;         /* beyond every field, and beyond a 32-bit long */
        *ret = negative ? -(long) total : (long) total;
        *end = s;
        return 0;
}

/* steps as text in the quantity's first unit: "327.67 V", "4095 W". */
static void format_quantity(const struct quantity *q, long steps, char *buf, size_t len) {
        long long milli = (long long) steps * q->step_milli;
        long long whole = (milli < 0 ? -milli : milli) / q->units[0].milli;
        long long rest = (milli < 0 ? -milli : milli) % q->units[0].milli;
        int places = q->units[0].milli == 1000 ? 3 : 0;

        if (places && rest) {
                char frac[8];

                snprintf(frac, sizeof(frac), "%03lld", rest);
                for (int i = 2; i > 0 && frac[i] == '0'; i--)
                        frac[i] = '\0';
                snprintf(buf, len, "%s%lld.%s %s", milli < 0 ? "-" : "", whole, frac,
                         q->units[0].name);
        } else
                snprintf(buf, len, "%s%lld %s", milli < 0 ? "-" : "", whole, q->units[0].name);
}

static void unit_list(const struct quantity *q, char *buf, size_t len) {
        buf[0] = '\0';
        for (const struct unit *u = q->units; u->name; u++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
                         u == q->units ? "" : u[1].name ? ", " : " or ", u->name);
}

/* What a single value and a range report alike, once parse_quantity() said r: a value finer
 * than the record's resolution (-EDOM), or one outside the row's limits (-ERANGE, or lo..hi
 * beyond them). Returns 0 when neither, else -EINVAL with reason filled. */
static int check_step_and_limits(const struct config_key *k, const char *value,
                                 const struct quantity *q, int r, long lo, long hi,
                                 char *reason) {
        char lo_text[32], hi_text[32];

        if (r == -EDOM) {
                snprintf(reason, REASON_MAX, "%s \"%s\" is not a whole number of %s, the "
                         "record's resolution", k->name, value, q->step_text);
                return -EINVAL;
        }
        if (r != -ERANGE && lo >= (long) k->min && hi <= (long) k->max)
                return 0;
        format_quantity(q, (long) k->min, lo_text, sizeof(lo_text));
        format_quantity(q, (long) k->max, hi_text, sizeof(hi_text));
        snprintf(reason, REASON_MAX, "%s \"%s\" is outside %s..%s", k->name, value, lo_text,
                 hi_text);
        return -EINVAL;
}

/* One quantity within the row's limits: the value of k, in steps, or an error in reason. */
static int quantity_value(const struct config_key *k, const char *value, const struct quantity *q,
                          long *ret, char *reason) {
        char units[32];
        const char *end;
        long v = 0;
        int r;

        r = parse_quantity(value, &end, q, NULL, &v);
        if (r == 0 && *end != '\0')
                r = -EINVAL;
        if (r == -EINVAL) {
                unit_list(q, units, sizeof(units));
                snprintf(reason, REASON_MAX, "%s \"%s\" must be a number and its unit (%s)",
                         k->name, value, units);
                return -EINVAL;
        }
        if (check_step_and_limits(k, value, q, r, v, v, reason) < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Unsigned fields of 1 or 2 bytes (k->size), and int16 voltages. */
static void store(const struct config_key *k, void *dest, long v) {
        if (k->size == 1)
                *(uint8_t *) dest = (uint8_t) v;
        else
                *(uint16_t *) dest = (uint16_t) v;      /* int16 fields: two's complement */
}

#define QUANTITY_PARSER(fn, q, none_value)                                                     \
        static int fn(const struct config_key *k, const char *value, void *dest,               \
                      char *reason) {                                                           \
                long v;                                                                         \
                if ((none_value) >= 0 && strcmp(value, "none") == 0) {                          \
                        store(k, dest, (none_value));                                           \
                        return 0;                                                               \
                }                                                                               \
                if (quantity_value(k, value, &(q), &v, reason) < 0)                            \
                        return -EINVAL;                                                         \
                store(k, dest, v);                                                              \
                return 0;                                                                       \
        }

QUANTITY_PARSER(parse_volts, q_10mv, -1)
QUANTITY_PARSER(parse_millivolts, q_mv, -1)
QUANTITY_PARSER(parse_milliamps, q_ma, -1)
QUANTITY_PARSER(parse_inrush_amps, q_amp, 0xFF)
QUANTITY_PARSER(parse_watts, q_watt, -1)
QUANTITY_PARSER(parse_peak_va, q_va, 0xFFFF)
QUANTITY_PARSER(parse_millis, q_ms, -1)
QUANTITY_PARSER(parse_seconds, q_s, -1)
QUANTITY_PARSER(parse_rps, q_rps, -1)

/* "LOW..HIGH UNIT" (each end may carry its own unit), low <= high, both within the row's
 * limits: two fields of k->size / 2 bytes. "none" for 0..0 where k->min is 0. */
static int parse_range(const struct config_key *k, const char *value, void *dest, char *reason,
                       const struct quantity *q) {
        char units[32];
        const char *dots = strstr(value, ".."), *end;
        size_t half = k->size / 2;
        long lo = 0, hi = 0;
        int r;

        if (strcmp(value, "none") == 0 && k->min == 0) {
                memset(dest, 0, k->size);
                return 0;
        }
        unit_list(q, units, sizeof(units));
        if (!dots)
                goto bad;
        r = parse_quantity(dots + 2, &end, q, NULL, &hi);
        if (r == 0 && *end != '\0')
                r = -EINVAL;
        if (r == 0) {
                /* The low end's unit, if it has none: the high end's (the longest unit name
                 * the high end ends with). */
                const struct unit *implied = NULL;
                char left[64];
                size_t n = (size_t) (dots - value);

                for (const struct unit *u = q->units; u->name; u++) {
                        size_t un = strlen(u->name), hl = strlen(dots + 2);

                        if (hl >= un && strcmp(dots + 2 + hl - un, u->name) == 0 &&
                            (!implied || un > strlen(implied->name)))
                                implied = u;
                }
                if (n >= sizeof(left))
                        goto bad;
                memcpy(left, value, n);
                left[n] = '\0';
                r = parse_quantity(left, &end, q, implied, &lo);
                if (r == 0 && *end != '\0')
                        r = -EINVAL;
        }
        if (r < 0 && r != -ERANGE && r != -EDOM)
                goto bad;
        if (check_step_and_limits(k, value, q, r, lo, hi, reason) < 0)
                return -EINVAL;
        if (lo > hi) {
                snprintf(reason, REASON_MAX, "%s \"%s\": the low end is above the high end",
                         k->name, value);
                return -EINVAL;
        }
        if (half == 1) {
                ((uint8_t *) dest)[0] = (uint8_t) lo;
                ((uint8_t *) dest)[1] = (uint8_t) hi;
        } else {
                ((uint16_t *) dest)[0] = (uint16_t) lo;
                ((uint16_t *) dest)[1] = (uint16_t) hi;
        }
        return 0;
bad:
        snprintf(reason, REASON_MAX, "%s \"%s\" must be LOW..HIGH and a unit (%s), e.g. "
                 "\"90..264 V\"%s", k->name, value, units, k->min == 0 ? ", or none" : "");
        return -EINVAL;
}

static int parse_volt_range(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        return parse_range(k, value, dest, reason, &q_10mv);
}

static int parse_hertz_range(const struct config_key *k, const char *value, void *dest,
                             char *reason) {
        return parse_range(k, value, dest, reason, &q_hz);
}

/* ---- the other value kinds ---- */

static int parse_predictive_fail(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        static const char *const names[] = {
                [FRU_PREDICTIVE_FAIL_NONE] = "none",
                [FRU_PREDICTIVE_FAIL_PIN_ASSERTION] = "pin-assertion",
                [FRU_PREDICTIVE_FAIL_PIN_DEASSERTION] = "pin-deassertion",
                [FRU_PREDICTIVE_FAIL_TACH_1_PULSE] = "tachometer-1-pulse",
                [FRU_PREDICTIVE_FAIL_TACH_2_PULSES] = "tachometer-2-pulses",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(value, names[i]) == 0) {
                        *(uint8_t *) dest = (uint8_t) i;
                        return 0;
                }
        snprintf(reason, REASON_MAX, "%s \"%s\" must be none, pin-assertion, pin-deassertion, "
                 "tachometer-1-pulse or tachometer-2-pulses", k->name, value);
        return -EINVAL;
}

/* "12 V, 5 V": the two outputs whose combined wattage the record states (table 18-1). The
 * destination is combined_voltage[2], followed by has_combined in the config struct. */
static int parse_combined_voltages(const struct config_key *k, const char *value, void *dest,
                                   char *reason) {
        static const char *const names[] = {
                [FRU_COMBINED_12V] = "12 V", [FRU_COMBINED_MINUS_12V] = "-12 V",
                [FRU_COMBINED_5V] = "5 V", [FRU_COMBINED_3V3] = "3.3 V",
        };
        uint8_t *codes = dest;
        bool *has = (bool *) ((uint8_t *) dest + k->size - sizeof(bool));
        const char *p = value;

        if (strcmp(value, "none") == 0) {
                codes[0] = codes[1] = 0;
                *has = false;
                return 0;
        }
        for (unsigned i = 0; i < 2; i++) {
                const char *end = i == 0 ? strchr(p, ',') : p + strlen(p);
                size_t n;
                bool found = false;

                if (!end)
                        goto bad;
                while (*p == ' ')
                        p++;
                n = (size_t) (end - p);
                while (n > 0 && p[n - 1] == ' ')
                        n--;
                for (size_t c = 0; c < ELEMENTSOF(names); c++)
                        if (strlen(names[c]) == n && strncmp(p, names[c], n) == 0) {
                                codes[i] = (uint8_t) c;
                                found = true;
                        }
                if (!found)
                        goto bad;
                p = end + (i == 0);
        }
        if (codes[0] == codes[1])
                goto bad;
        *has = true;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "%s \"%s\" must be two different outputs of 12 V, -12 V, "
                 "5 V, 3.3 V separated by a comma (e.g. \"12 V, 5 V\"), or none", k->name, value);
        return -EINVAL;
}

/* A Management Access string; k->min is its sub-record type, which sets its length limits. */
static int parse_management_text(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        size_t n = strlen(value), min, max;

        if (strcmp(value, "none") == 0) {
                free(*(char **) dest);
                *(char **) dest = NULL;
                return 0;
        }
        if (!fru_management_access_limits((uint8_t) k->min, &min, &max))
                return -EINVAL;
        if (n < min || n > max) {
                snprintf(reason, REASON_MAX, "%s is %zu characters; the FRU spec's management "
                         "access record holds %zu..%zu", k->name, n, min, max);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (value[i] < 0x20 || value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "%s must be printable ASCII", k->name);
                        return -EINVAL;
                }
        return config_parse_string(k, value, dest, reason);
}

/* A GUID, written as [identity] guid is; the destination is unique_id[16] after has_unique_id. */
static int parse_unique_id(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        bool *has = dest;
        uint8_t *id = (uint8_t *) dest + offsetof(struct fru_management_config, unique_id) -
                      offsetof(struct fru_management_config, has_unique_id);

        if (strcmp(value, "none") == 0) {
                *has = false;
                return 0;
        }
        if (guid_from_string(value, id) < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must look like "
                         "01234567-89ab-cdef-0123-456789abcdef, or none", k->name, value);
                return -EINVAL;
        }
        *has = true;
        return 0;
}

/* ---- the key tables ---- */

#define PS(field) offsetof(struct fru_power_supply_config, field), \
        sizeof(((struct fru_power_supply_config *) 0)->field)
#define DCO(field) offsetof(struct fru_dc_output_config, field), \
        sizeof(((struct fru_dc_output_config *) 0)->field)
#define DCL(field) offsetof(struct fru_dc_load_config, field), \
        sizeof(((struct fru_dc_load_config *) 0)->field)
#define MA(field) offsetof(struct fru_management_config, field), \
        sizeof(((struct fru_management_config *) 0)->field)

const struct config_key config_fru_power_supply_keys[] = {
        { "fru.0.power-supply.0", "capacity", parse_watts, PS(ps.capacity_w), NULL, 1, 4095,
          "overall capacity, in W (12 bits)", LIVE },
        { "fru.0.power-supply.0", "peak-va", parse_peak_va, PS(ps.peak_va), "none", 0, 65534,
          "peak apparent power, in VA, or none", LIVE },
        { "fru.0.power-supply.0", "inrush-current", parse_inrush_amps, PS(ps.inrush_current_a),
          "none", 0, 254, "maximum inrush current, in A, or none", LIVE },
        { "fru.0.power-supply.0", "inrush-interval", parse_millis, PS(ps.inrush_interval_ms),
          "0 ms", 0, 255, "inrush interval, in ms", LIVE },
        { "fru.0.power-supply.0", "input-voltage-1", parse_volt_range, PS(ps.input[0]), NULL,
          LIM(1), 65535, "first input voltage range, LOW..HIGH in V (10 mV steps)", LIVE },
        { "fru.0.power-supply.0", "input-voltage-2", parse_volt_range, PS(ps.input[1]), "none",
          0, 65535, "second input voltage range (a dual-range supply), or none", LIVE },
        { "fru.0.power-supply.0", "input-frequency", parse_hertz_range,
          offsetof(struct fru_power_supply_config, ps.frequency_low_hz), 2, "none", 0, 255,
          "input frequency range, LOW..HIGH in Hz, or none (DC input)", LIVE },
        { "fru.0.power-supply.0", "ac-dropout-tolerance", parse_millis,
          PS(ps.dropout_tolerance_ms), "0 ms", 0, 255,
          "how long an AC dropout the output rides through, in ms", LIVE },
        { "fru.0.power-supply.0", "predictive-fail", parse_predictive_fail, PS(predictive_fail),
          "none", 0, 0, "predictive fail signal: none, pin-assertion or pin-deassertion (a "
          "pass/fail pin), tachometer-1-pulse or tachometer-2-pulses (a tachometer)", LIVE },
        { "fru.0.power-supply.0", "tachometer-lower-threshold", parse_rps, PS(ps.tach_lower_rps),
          "0 RPS", 0, 255, "with a tachometer predictive fail signal: the speed below which the "
          "supply is failing, in RPS (rotations per second)", LIVE },
        { "fru.0.power-supply.0", "power-factor-correction", config_parse_bool,
          PS(ps.power_factor_correction), "no", 0, 0, "has power factor correction", LIVE },
        { "fru.0.power-supply.0", "autoswitch", config_parse_bool, PS(ps.autoswitch), "no", 0, 0,
          "switches between its input voltage ranges by itself", LIVE },
        { "fru.0.power-supply.0", "hot-swap", config_parse_bool, PS(ps.hot_swap), "no", 0, 0,
          "can be replaced while the system runs", LIVE },
        { "fru.0.power-supply.0", "peak-capacity", parse_watts, PS(ps.peak_w), "0 W", 0, 4095,
          "peak capacity, in W (12 bits)", LIVE },
        { "fru.0.power-supply.0", "hold-up-time", parse_seconds, PS(ps.hold_up_s), "0 s", 0, 15,
          "how long it holds the peak capacity, in s (4 bits)", LIVE },
        { "fru.0.power-supply.0", "combined-voltages", parse_combined_voltages,
          offsetof(struct fru_power_supply_config, ps.combined_voltage),
          offsetof(struct fru_power_supply_config, has_combined) + sizeof(bool) -
          offsetof(struct fru_power_supply_config, ps.combined_voltage), "none", 0, 0,
          "the two outputs of 12 V, -12 V, 5 V, 3.3 V that share combined-wattage, e.g. "
          "\"12 V, 5 V\", or none", LIVE },
        { "fru.0.power-supply.0", "combined-wattage", parse_watts, PS(ps.combined_w), "0 W", 0,
          65535, "total wattage the two combined-voltages outputs can deliver together, in W",
          LIVE },
};
const size_t config_fru_power_supply_keys_n = ELEMENTSOF(config_fru_power_supply_keys);

const struct config_key config_fru_dc_output_keys[] = {
        { "fru.0.dc-output.0", "standby", config_parse_bool, DCO(dc.standby), "no", 0, 0,
          "a standby output (on while the supply is off)", LIVE },
        { "fru.0.dc-output.0", "nominal-voltage", parse_volts, DCO(dc.nominal_10mv), NULL,
          LIM(-32768), 32767, "nominal voltage, in V or mV (signed, 10 mV steps)", LIVE },
        { "fru.0.dc-output.0", "max-negative-deviation", parse_volts,
          DCO(dc.negative_deviation_10mv), "0 V", LIM(-32768), 0,
          "how far below nominal the output may go, as a negative voltage (e.g. -0.6 V)", LIVE },
        { "fru.0.dc-output.0", "max-positive-deviation", parse_volts,
          DCO(dc.positive_deviation_10mv), "0 V", 0, 32767,
          "how far above nominal the output may go (e.g. 0.6 V)", LIVE },
        { "fru.0.dc-output.0", "ripple-noise", parse_millivolts, DCO(dc.ripple_mv), "0 mV", 0,
          65535, "ripple and noise peak to peak, 10 Hz to 30 MHz, in mV", LIVE },
        { "fru.0.dc-output.0", "min-current", parse_milliamps, DCO(dc.min_current_ma), "0 mA",
          0, 65535, "minimum current draw, in A or mA", LIVE },
        { "fru.0.dc-output.0", "max-current", parse_milliamps, DCO(dc.max_current_ma), NULL, 0,
          65535, "maximum current draw, in A or mA (at most 65.535 A)", LIVE },
};
const size_t config_fru_dc_output_keys_n = ELEMENTSOF(config_fru_dc_output_keys);

const struct config_key config_fru_dc_load_keys[] = {
        { "fru.0.dc-load.0", "nominal-voltage", parse_volts, DCL(dl.nominal_10mv), NULL,
          LIM(-32768), 32767, "nominal voltage the board needs, in V or mV (10 mV steps)",
          LIVE },
        { "fru.0.dc-load.0", "min-voltage", parse_volts, DCL(dl.min_10mv), NULL, LIM(-32768),
          32767, "the lowest voltage the board works with", LIVE },
        { "fru.0.dc-load.0", "max-voltage", parse_volts, DCL(dl.max_10mv), NULL, LIM(-32768),
          32767, "the highest voltage the board works with", LIVE },
        { "fru.0.dc-load.0", "ripple-noise", parse_millivolts, DCL(dl.ripple_mv), "0 mV", 0,
          65535, "ripple and noise peak to peak the board tolerates, in mV", LIVE },
        { "fru.0.dc-load.0", "min-current", parse_milliamps, DCL(dl.min_current_ma), "0 mA", 0,
          65535, "minimum current load, in A or mA", LIVE },
        { "fru.0.dc-load.0", "max-current", parse_milliamps, DCL(dl.max_current_ma), NULL, 0,
          65535, "maximum current load, in A or mA (at most 65.535 A)", LIVE },
};
const size_t config_fru_dc_load_keys_n = ELEMENTSOF(config_fru_dc_load_keys);

/* min is the sub-record type (parse_management_text() takes its limits from it). */
const struct config_key config_fru_management_keys[] = {
        { "fru.0.management-access", "system-url", parse_management_text,
          MA(text[FRU_MGMT_SYSTEM_URL]), "none", FRU_MGMT_SYSTEM_URL, 0,
          "system management URL (16..254 characters), or none", LIVE },
        { "fru.0.management-access", "system-name", parse_management_text,
          MA(text[FRU_MGMT_SYSTEM_NAME]), "none", FRU_MGMT_SYSTEM_NAME, 0,
          "system name (8..64 characters), or none", LIVE },
        { "fru.0.management-access", "system-ping-address", parse_management_text,
          MA(text[FRU_MGMT_SYSTEM_PING_ADDRESS]), "none", FRU_MGMT_SYSTEM_PING_ADDRESS, 0,
          "system ping address (8..64 characters), or none", LIVE },
        { "fru.0.management-access", "component-url", parse_management_text,
          MA(text[FRU_MGMT_COMPONENT_URL]), "none", FRU_MGMT_COMPONENT_URL, 0,
          "component management URL (16..254 characters), or none", LIVE },
        { "fru.0.management-access", "component-name", parse_management_text,
          MA(text[FRU_MGMT_COMPONENT_NAME]), "none", FRU_MGMT_COMPONENT_NAME, 0,
          "component name (8..64 characters), or none", LIVE },
        { "fru.0.management-access", "component-ping-address", parse_management_text,
          MA(text[FRU_MGMT_COMPONENT_PING_ADDRESS]), "none", FRU_MGMT_COMPONENT_PING_ADDRESS, 0,
          "component ping address (8..64 characters), or none", LIVE },
        { "fru.0.management-access", "system-unique-id", parse_unique_id,
          offsetof(struct fru_management_config, has_unique_id),
          offsetof(struct fru_management_config, unique_id) + 16 -
          offsetof(struct fru_management_config, has_unique_id), "none", 0, 0,
          "system unique ID, a GUID written as [identity] guid, or none", LIVE },
};
const size_t config_fru_management_keys_n = ELEMENTSOF(config_fru_management_keys);

_Static_assert(ELEMENTSOF(config_fru_power_supply_keys) <= CONFIG_FRU_RECORD_KEYS_MAX &&
               ELEMENTSOF(config_fru_dc_output_keys) <= CONFIG_FRU_RECORD_KEYS_MAX &&
               ELEMENTSOF(config_fru_dc_load_keys) <= CONFIG_FRU_RECORD_KEYS_MAX &&
               ELEMENTSOF(config_fru_management_keys) <= CONFIG_FRU_RECORD_KEYS_MAX,
               "raise CONFIG_FRU_RECORD_KEYS_MAX in config-check.h");

/* ---- sections ---- */

/* The kinds of record section, and where slot numbers for their seen lines start. */
static const struct record_kind {
        const char *name;
        const struct config_key *keys;
        const size_t *n_keys;
        unsigned max_index;             /* M in [fru.N.name.M] is 0..max_index-1; 0: no M */
        unsigned slot;
} record_kinds[] = {
        { "power-supply", config_fru_power_supply_keys, &config_fru_power_supply_keys_n,
          CONFIG_FRU_POWER_SUPPLY_MAX, 0 },
        { "dc-output", config_fru_dc_output_keys, &config_fru_dc_output_keys_n,
          CONFIG_FRU_DC_MAX, CONFIG_FRU_POWER_SUPPLY_MAX },
        { "dc-load", config_fru_dc_load_keys, &config_fru_dc_load_keys_n, CONFIG_FRU_DC_MAX,
          CONFIG_FRU_POWER_SUPPLY_MAX + CONFIG_FRU_DC_MAX },
        { "management-access", config_fru_management_keys, &config_fru_management_keys_n, 0,
          CONFIG_FRU_POWER_SUPPLY_MAX + 2 * CONFIG_FRU_DC_MAX },
};
_Static_assert(CONFIG_FRU_POWER_SUPPLY_MAX + 2 * CONFIG_FRU_DC_MAX + 1 <= CONFIG_FRU_RECORD_SLOTS,
               "raise CONFIG_FRU_RECORD_SLOTS in config-check.h");

static void *record_base(struct fru_config *f, const struct record_kind *kind, unsigned m,
                         bool **present, unsigned **line) {
        switch (kind - record_kinds) {
        case 0:
                *present = &f->power_supply[m].present;
                *line = &f->power_supply[m].line;
                return &f->power_supply[m];
        case 1:
                *present = &f->dc_output[m].present;
                *line = &f->dc_output[m].line;
                return &f->dc_output[m];
        case 2:
                *present = &f->dc_load[m].present;
                *line = &f->dc_load[m].line;
                return &f->dc_load[m];
        default:
                *present = &f->management.present;
                *line = &f->management.line;
                return &f->management;
        }
}

int config_fru_record_key(struct load_state *s, const char *section, const char *name,
                          const char *value) {
        const struct record_kind *kind = NULL;
        const char *p;
        unsigned n, m = 0;
        bool *present;
        unsigned *first_line;
        void *base;

        /* "fru.N." and a kind: ours. Anything else: not ours (-1). */
        if (strncmp(section, "fru.", 4) != 0 || section[4] < '0' || section[4] > '9' ||
            section[5] != '.')
                return -1;
        n = (unsigned) (section[4] - '0');
        p = section + 6;
        for (size_t i = 0; i < ELEMENTSOF(record_kinds); i++) {
                size_t len = strlen(record_kinds[i].name);

                if (strncmp(p, record_kinds[i].name, len) == 0 &&
                    (p[len] == '\0' || p[len] == '.')) {
                        kind = &record_kinds[i];
                        p += len;
                        break;
                }
        }
        if (n >= CONFIG_FRU_MAX || !kind)
                goto unknown;
        if (kind->max_index == 0) {
                if (*p != '\0')
                        goto unknown;
        } else if (*p == '.') {
                unsigned long v;

                /* decimal only, no leading zeros: one section has one name */
                if (p[1] < '0' || p[1] > '9' || (p[1] == '0' && p[2] != '\0') ||
                    config_parse_number(p + 1, &v) < 0 || v >= kind->max_index)
                        goto unknown;
                m = (unsigned) v;
        } else if (*p != '\0' || kind != &record_kinds[0])
                goto unknown;           /* [fru.N.power-supply] is [fru.N.power-supply.0] */

        base = record_base(&s->config->fru[n], kind, m, &present, &first_line);
        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = kind->keys, .n_keys = *kind->n_keys, .base = base,
                .present = present, .first_line = first_line,
                .seen_line = s->fru_record_seen_line[n][kind->slot + m],
        }, section, name, value);
        return 0;

unknown:
        config_report_unknown_section_text(s, section, "FRU records are [fru.N.power-supply.M] "
                                           "(M 0..3), [fru.N.dc-output.M], [fru.N.dc-load.M] "
                                           "(M: the output number, 0..15) and "
                                           "[fru.N.management-access]");
        return 0;
}

/* ---- after loading ---- */

/* The line of a record section's key, or the section's first line when it was not set. */
static unsigned key_line(const struct load_state *s, unsigned n, const struct record_kind *kind,
                         unsigned m, unsigned section_line, const char *name) {
        for (size_t i = 0; i < *kind->n_keys; i++)
                if (strcmp(kind->keys[i].name, name) == 0 &&
                    s->fru_record_seen_line[n][kind->slot + m][i])
                        return s->fru_record_seen_line[n][kind->slot + m][i];
        return section_line;
}

static const char *kind_section(const struct record_kind *kind, unsigned n, unsigned m,
                                char *buf, size_t len) {
        if (kind->max_index == 0)
                snprintf(buf, len, "fru.%u.%s", n, kind->name);
        else
                snprintf(buf, len, "fru.%u.%s.%u", n, kind->name, m);
        return buf;
}

/* Required keys of one record section, and whether its record is acceptable as a whole. */
static void check_record(struct load_state *s, unsigned n, const struct record_kind *kind,
                         unsigned m, unsigned line, const struct fru_config *f) {
        const unsigned *seen = s->fru_record_seen_line[n][kind->slot + m];
        char section[48], why[REASON_MAX];
        struct config_fru_records *recs;
        bool missing = false;

        kind_section(kind, n, m, section, sizeof(section));
        for (size_t i = 0; i < *kind->n_keys; i++)
                if (!kind->keys[i].default_value && !seen[i]) {
                        config_report(s, line, "[%s] %s is required (%s)", section,
                                      kind->keys[i].name, kind->keys[i].description);
                        missing = true;
                }
        if (f->file)
                config_report(s, line, "[%s] cannot be combined with [fru.%u] file: the image "
                              "comes from the file", section, n);
        if (missing || f->file)
                return;

        if (kind == &record_kinds[0]) {
                const struct fru_power_supply_config *p = &f->power_supply[m];
                bool tach = p->predictive_fail == FRU_PREDICTIVE_FAIL_TACH_1_PULSE ||
                            p->predictive_fail == FRU_PREDICTIVE_FAIL_TACH_2_PULSES;

                if (tach != (p->ps.tach_lower_rps > 0))
                        config_report(s, key_line(s, n, kind, m, line, "predictive-fail"),
                                      "[%s]: tachometer-lower-threshold is %s: it %s", section,
                                      tach ? "0" : "set", tach ? "is required with a "
                                      "tachometer predictive-fail signal" : "goes with "
                                      "predictive-fail = tachometer-1-pulse or -2-pulses");
                if (p->has_combined != (p->ps.combined_w > 0))
                        config_report(s, key_line(s, n, kind, m, line, "combined-wattage"),
                                      "[%s]: combined-voltages and combined-wattage go "
                                      "together: give both or neither", section);
        }
        if (kind == &record_kinds[2]) {
                const struct fru_dc_load *d = &f->dc_load[m].dl;

                if (d->nominal_10mv < d->min_10mv || d->nominal_10mv > d->max_10mv)
                        config_report(s, key_line(s, n, kind, m, line, "nominal-voltage"),
                                      "[%s]: nominal-voltage is outside min-voltage.."
                                      "max-voltage", section);
        }

        /* The bytes as they will be written, against the spec's layout. */
        recs = calloc(1, sizeof(*recs));
        if (!recs) {
                s->oom = true;
                return;
        }
        if (config_fru_records(f, recs) < 0)
                config_report(s, line, "[%s]: a field does not fit its bits", section);
        else
                for (size_t i = 0; i < recs->n; i++)
                        if (recs->origin[i] == (unsigned) (kind->slot + m) &&
                            fru_record_check(recs->records[i].type, recs->records[i].data,
                                             recs->records[i].len, why, sizeof(why)) < 0)
                                config_report(s, line, "[%s]: %s", section, why);
        free(recs);
}

void config_fru_records_check(struct load_state *s, unsigned n) {
        const struct fru_config *f = &s->config->fru[n];

        if (!f->present) {
                /* The device is made by [fru.N]; its records alone would be lost silently. */
                unsigned line = 0;

                for (unsigned m = 0; m < CONFIG_FRU_POWER_SUPPLY_MAX && !line; m++)
                        line = f->power_supply[m].present ? f->power_supply[m].line : 0;
                for (unsigned m = 0; m < CONFIG_FRU_DC_MAX && !line; m++)
                        line = f->dc_output[m].present ? f->dc_output[m].line :
                               f->dc_load[m].present ? f->dc_load[m].line : 0;
                if (!line && f->management.present)
                        line = f->management.line;
                if (line)
                        config_report(s, line, "FRU records of device %u, but no [fru.%u] "
                                      "section with its keys", n, n);
                return;
        }

        for (unsigned m = 0; m < CONFIG_FRU_POWER_SUPPLY_MAX; m++)
                if (f->power_supply[m].present)
                        check_record(s, n, &record_kinds[0], m, f->power_supply[m].line, f);
        for (unsigned m = 0; m < CONFIG_FRU_DC_MAX; m++)
                if (f->dc_output[m].present)
                        check_record(s, n, &record_kinds[1], m, f->dc_output[m].line, f);
        for (unsigned m = 0; m < CONFIG_FRU_DC_MAX; m++)
                if (f->dc_load[m].present)
                        check_record(s, n, &record_kinds[2], m, f->dc_load[m].line, f);
        if (f->management.present)
                check_record(s, n, &record_kinds[3], 0, f->management.line, f);
}

/* ---- the records of the image ---- */

static uint8_t *next_data(struct config_fru_records *out, uint8_t type, size_t len,
                          unsigned origin) {
        uint8_t *d = out->data[out->n_typed++];

        out->records[out->n] = (struct fru_record) { .type = type, .len = (uint8_t) len, .data = d };
        out->origin[out->n++] = origin;
        return d;
}

int config_fru_records(const struct fru_config *f, struct config_fru_records *out) {
        out->n = out->n_typed = 0;

        for (unsigned m = 0; m < CONFIG_FRU_POWER_SUPPLY_MAX; m++) {
                const struct fru_power_supply_config *p = &f->power_supply[m];
                struct fru_power_supply ps = p->ps;

                if (!p->present)
                        continue;
                ps.predictive_fail = p->predictive_fail != FRU_PREDICTIVE_FAIL_NONE;
                ps.tach_or_polarity = p->predictive_fail == FRU_PREDICTIVE_FAIL_PIN_DEASSERTION ||
                                      p->predictive_fail == FRU_PREDICTIVE_FAIL_TACH_2_PULSES;
                if (fru_encode_power_supply(&ps, next_data(out, FRU_RECORD_POWER_SUPPLY,
                                                           FRU_POWER_SUPPLY_LEN, m)) < 0)
                        return -EINVAL;
        }
        for (unsigned m = 0; m < CONFIG_FRU_DC_MAX; m++) {
                struct fru_dc_output dc = f->dc_output[m].dc;

                if (!f->dc_output[m].present)
                        continue;
                dc.number = (uint8_t) m;
                if (fru_encode_dc_output(&dc, next_data(out, FRU_RECORD_DC_OUTPUT,
                                                        FRU_DC_OUTPUT_LEN,
                                                        CONFIG_FRU_POWER_SUPPLY_MAX + m)) < 0)
                        return -EINVAL;
        }
        for (unsigned m = 0; m < CONFIG_FRU_DC_MAX; m++) {
                struct fru_dc_load dl = f->dc_load[m].dl;

                if (!f->dc_load[m].present)
                        continue;
                dl.number = (uint8_t) m;
                if (fru_encode_dc_load(&dl, next_data(out, FRU_RECORD_DC_LOAD, FRU_DC_LOAD_LEN,
                                                      CONFIG_FRU_POWER_SUPPLY_MAX +
                                                      CONFIG_FRU_DC_MAX + m)) < 0)
                        return -EINVAL;
        }
        if (f->management.present) {
                const struct fru_management_config *ma = &f->management;
                unsigned origin = CONFIG_FRU_POWER_SUPPLY_MAX + 2 * CONFIG_FRU_DC_MAX;

                for (unsigned t = FRU_MGMT_SYSTEM_URL; t < _FRU_MGMT_MAX; t++) {
                        const uint8_t *src = t == FRU_MGMT_SYSTEM_UNIQUE_ID ? ma->unique_id
                                             : (const uint8_t *) ma->text[t];
                        size_t len = t == FRU_MGMT_SYSTEM_UNIQUE_ID ? 16 : src ? strlen(ma->text[t]) : 0;
                        uint8_t *d;

                        if (t == FRU_MGMT_SYSTEM_UNIQUE_ID ? !ma->has_unique_id : !src)
                                continue;
                        if (len + 1 > FRU_RECORD_DATA_MAX)
                                return -EINVAL;
                        d = next_data(out, FRU_RECORD_MANAGEMENT_ACCESS, len + 1, origin);
                        d[0] = (uint8_t) t;
                        memcpy(d + 1, src, len);
                }
        }
        /* The multirecord key's records, then multirecord-file's, then the PICMG records of
         * [picmg-power.N] and [picmg-link.N], as they are: type, length, data. */
        for (unsigned src = 0; src < 3; src++) {
                const uint8_t *b = src == 0 ? f->multirecord : src == 1 ? f->file_records
                                                                        : f->picmg_records;
                size_t len = src == 0 ? f->multirecord_len : src == 1 ? f->file_records_len
                                                                      : f->picmg_records_len;

                for (size_t p = 0; p + 2 <= len; p += 2 + b[p + 1]) {
                        if (out->n >= ELEMENTSOF(out->records))
                                return -E2BIG;
                        out->records[out->n] = (struct fru_record) {
                                .type = b[p], .len = b[p + 1], .data = b + p + 2,
                        };
                        out->origin[out->n++] = CONFIG_FRU_RECORD_SLOTS;
                }
        }
        return 0;
}
