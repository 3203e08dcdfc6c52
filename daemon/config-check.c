/* SPDX-License-Identifier: MIT */
/*
 * After parsing: what no single key can see (config-check.h). Errors carry the line of the key
 * at fault, or of its section when the default is in force.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-fru.h"
#include "config-sensor.h"
#include "macro.h"
#include "protocol/sensor-linear.h"

/* [fru.N]: file excludes the fields; the image the fields build must fit size. */
static void check_fru(struct load_state *s, unsigned index) {
        const struct fru_config *f = &s->config->fru[index];
        const unsigned *seen = s->fru_seen_line[index];
        _cleanup_free_ uint8_t *image = NULL;
        unsigned size_line = 0;
        size_t n;
        int r;

        for (size_t i = 0; i < config_fru_keys_n; i++)
                if (strcmp(config_fru_keys[i].name, "size") == 0)
                        size_line = seen[i];

        if (f->file) {
                for (size_t i = 0; i < config_fru_keys_n; i++)
                        if (seen[i] && config_fru_key_is_field(&config_fru_keys[i]))
                                config_report(s, seen[i], "%s cannot be combined with file: "
                                              "the image comes from the file",
                                              config_fru_keys[i].name);
                return;         /* the file itself is read and checked at start-up */
        }

        r = config_fru_build_image(f, &image, &n);
        if (r == -ENOMEM) {
                s->oom = true;
                return;
        }
        if (r == -EINVAL)
                return;         /* a record refused: config_fru_records_check() says which */
        if (r < 0) {
                /* The keys were checked one by one, so only the total can be too large. */
                config_report(s, f->line, "[fru.%u]: the FRU image would be too large (%s)",
                              index, strerror(-r));
                return;
        }
        if (f->size != 0 && f->size < (uint64_t) n)
                config_report(s, size_line, "size %" PRIu32 " is smaller than the %zu-byte FRU "
                              "image of [fru.%u]", f->size, n, index);
}

/* The line of [sensor.N]'s key, or the section's first line when the default is in force. */
static unsigned sensor_key_line(const struct load_state *s, unsigned index, const char *name) {
        for (size_t i = 0; i < config_sensor_keys_n; i++)
                if (strcmp(config_sensor_keys[i].name, name) == 0 && s->sensor_seen_line[index][i])
                        return s->sensor_seen_line[index][i];
        return s->config->sensor[index].line;
}

static size_t sensor_key_index(const char *name) {
        for (size_t i = 0; i < config_sensor_keys_n; i++)
                if (strcmp(config_sensor_keys[i].name, name) == 0)
                        return i;
        abort();        /* only called with names of the table */
}

/* Bit o set: rising position o is in the set; later positions count less, so that of two
 * equally large sets the one keeping the earlier thresholds wins. */
static unsigned order_preference(unsigned set) {
        unsigned p = 0;

        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++)
                if (set & (1u << o))
                        p |= 1u << (_SENSOR_THR_MAX - 1 - o);
        return p;
}

static bool rising(const struct sensor_config *sc, unsigned set) {
        double prev = -INFINITY;

        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++) {
                double v = sc->thresholds[sensor_thresholds_rising[o].index];

                if (!(set & (1u << o)))
                        continue;
                if (v < prev)
                        return false;
                prev = v;
        }
        return true;
}

/*
 * Thresholds must not decrease from LNR to UNR. The ones in error are those outside the largest
 * non-decreasing subset (at most 2^6 subsets): one value out of place is one error, whatever
 * its neighbours, and it is named beside the kept neighbour it contradicts.
 */
static void check_threshold_order(struct load_state *s, unsigned index, unsigned present) {
        const struct sensor_config *sc = &s->config->sensor[index];
        unsigned keep = 0;

        for (unsigned set = present; ; set = (set - 1) & present) {
                if (rising(sc, set) &&
                    (__builtin_popcount(set) > __builtin_popcount(keep) ||
                     (__builtin_popcount(set) == __builtin_popcount(keep) &&
                      order_preference(set) > order_preference(keep))))
                        keep = set;
                if (set == 0)
                        break;
        }
        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++) {
                const char *name = sensor_thresholds_rising[o].key;
                double v = sc->thresholds[sensor_thresholds_rising[o].index];
                int before = -1, after = -1;

                if (!(present & (1u << o)) || (keep & (1u << o)))
                        continue;
                for (int b = (int) o - 1; b >= 0 && before < 0; b--)
                        if (keep & (1u << b))
                                before = b;
                for (unsigned a = o + 1; a < _SENSOR_THR_MAX && after < 0; a++)
                        if (keep & (1u << a))
                                after = (int) a;
                if (before >= 0 && v < sc->thresholds[sensor_thresholds_rising[before].index])
                        config_report(s, sensor_key_line(s, index, name), "%s %g is below %s %g: "
                                      "thresholds must not decrease from lower-non-recoverable to "
                                      "upper-non-recoverable", name, v,
                                      sensor_thresholds_rising[before].key,
                                      sc->thresholds[sensor_thresholds_rising[before].index]);
                else if (after >= 0)
                        config_report(s, sensor_key_line(s, index, name), "%s %g is above %s %g: "
                                      "thresholds must not decrease from lower-non-recoverable to "
                                      "upper-non-recoverable", name, v,
                                      sensor_thresholds_rising[after].key,
                                      sc->thresholds[sensor_thresholds_rising[after].index]);
        }
}

/* After parsing: thresholds inside the range and in order, hysteresis within a raw byte. */
static void check_sensor(struct load_state *s, unsigned index) {
        const struct sensor_config *sc = &s->config->sensor[index];
        struct sensor_linear l;
        unsigned in_range = 0;         /* bit o: rising threshold o is set and inside the range */

        /* A refused range left the default in place: checking against it would only cascade. */
        if (s->sensor_failed[index][sensor_key_index("range")])
                return;
        if (sensor_linear_solve(sc->range.lo, sc->range.hi, &l) < 0)
                return;         /* the range key reported it */

        if (config_sensor_is_discrete(sc)) {
                for (unsigned t = 0; t < _SENSOR_THR_MAX; t++)
                        if (!isnan(sc->thresholds[t]))
                                config_report(s, sensor_key_line(s, index, sensor_threshold_key(t)),
                                              "%s does not apply to [sensor.%u]: a discrete "
                                              "sensor has states, not thresholds", sensor_threshold_key(t), index);
                if (sc->hysteresis != 0)
                        config_report(s, sensor_key_line(s, index, "hysteresis"),
                                      "hysteresis does not apply to [sensor.%u]: a discrete "
                                      "sensor has no thresholds", index);
                return;
        }

        for (unsigned o = 0; o < _SENSOR_THR_MAX; o++) {
                unsigned t = sensor_thresholds_rising[o].index;
                const char *name = sensor_thresholds_rising[o].key;
                double v = sc->thresholds[t];

                if (isnan(v))
                        continue;
                if (v < sc->range.lo || v > sc->range.hi) {
                        config_report(s, sensor_key_line(s, index, name), "%s %g is outside range "
                                      "%g..%g of [sensor.%u]", name, v, sc->range.lo, sc->range.hi,
                                      index);
                        continue;
                }
                in_range |= 1u << o;
        }
        check_threshold_order(s, index, in_range);
        if (sc->hysteresis / sensor_linear_step(&l) > 255.5)
                config_report(s, sensor_key_line(s, index, "hysteresis"),
                              "hysteresis %g is more than "
                              "255 raw steps of %g in [sensor.%u]", sc->hysteresis,
                              sensor_linear_step(&l), index);
}

static const struct config_key *address_key(void) {
        size_t i;

        return config_find_key("mc", "address", &i);
}

static unsigned seen_line_of(const struct load_state *s, const char *section, const char *name) {
        size_t i;

        return config_find_key(section, name, &i) ? s->seen_line[i] : 0;
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
                                config_report(s, l, "%s needs hardware-address-lines",
                                              needs_lines[i].name);
                }
                return;
        }
        if (seen_line_of(s, "mc", "address"))
                config_report(s, seen_line_of(s, "mc", "address"),
                              "address cannot be combined with "
                              "hardware-address-lines (line %u): the address comes from one or the "
                              "other", lines);
        for (size_t i = 0; i < c->hw_address_lines.n; i++)
                if (c->hw_address_parity_line == (int) c->hw_address_lines.offsets[i])
                        config_report(s, seen_line_of(s, "mc", "hardware-address-parity-line"),
                                      "hardware-address-parity-line %d is also an address line",
                                      c->hw_address_parity_line);
}

/*
 * [mc] event-receiver equal to our own address: Set Event Receiver refuses that value, and the
 * events we sent would come back to us as requests from ourselves, dropped as a rejected
 * requester. Only a fixed address is known here; one from the hardware address pins is read
 * at start-up (hw-address.c), after the file, and is not checked against the receiver.
 */
static void check_event_receiver(struct load_state *s) {
        const struct satmc_config *c = s->config;
        unsigned receiver_line = seen_line_of(s, "mc", "event-receiver");
        unsigned address_line = seen_line_of(s, "mc", "address");

        if (c->hw_address_lines.n > 0 || !address_line || c->event_receiver != c->address)
                return;
        if (receiver_line)
                config_report(s, receiver_line, "event-receiver 0x%02x is our own address "
                              "(line %u): events go to the BMC, e.g. 0x20, or set none",
                              c->event_receiver, address_line);
        else
                config_report(s, address_line, "address 0x%02x is also the event receiver (the "
                              "default of event-receiver): set event-receiver to the BMC's "
                              "address, or none", c->address);
}

void config_check(struct load_state *s) {
        const struct satmc_config *c = s->config;

        check_hw_address(s);
        for (size_t i = 0; i < config_keys_n; i++)
                if (!config_keys[i].default_value && !s->seen_line[i] &&
                    !(&config_keys[i] == address_key() && c->hw_address_lines.n > 0))
                        config_report(s, 0, "[%s] %s is required (%s)", config_keys[i].section,
                                      config_keys[i].name, config_keys[i].description);
        check_event_receiver(s);
        config_check_nbd_tls(s);
        config_check_picmg_power(s);
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++) {
                if (c->fru[i].present)
                        check_fru(s, i);
                config_fru_records_check(s, i);
        }
        for (unsigned i = 0; i < c->sensor_end; i++)
                if (c->sensor[i].present) {
                        check_sensor(s, i);
                        config_check_sensor_states(s, i);
                }
        config_check_sensor_sdr(s);
        config_check_actuators(s);
        config_check_picmg(s);
        config_check_picmg_leds(s);
        config_check_picmg_fans(s);
        config_check_ipmb_b(s);
        config_hpm_check(s);
}
