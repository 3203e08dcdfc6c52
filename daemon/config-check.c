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
                                config_report(s, sensor_key_line(s, index, sensor_threshold_key(t)),
                                              "%s does not apply to [sensor.%u]: a presence "
                                              "sensor has states (present, absent), not "
                                              "thresholds", sensor_threshold_key(t), index);
                if (sc->hysteresis != 0)
                        config_report(s, sensor_key_line(s, index, "hysteresis"),
                                      "hysteresis does not apply to [sensor.%u]: a presence "
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
                if (prev_name && v < prev)
                        config_report(s, sensor_key_line(s, index, name), "%s %g is below %s %g: "
                                      "thresholds must not decrease from lower-non-recoverable to "
                                      "upper-non-recoverable", name, v, prev_name, prev);
                prev_name = name;
                prev = v;
        }
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
        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                if (c->fru[i].present)
                        check_fru(s, i);
        for (unsigned i = 0; i < CONFIG_SENSOR_MAX; i++)
                if (c->sensor[i].present)
                        check_sensor(s, i);
}
