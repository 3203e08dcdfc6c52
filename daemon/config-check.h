/* SPDX-License-Identifier: MIT */
/*
 * Inside the configuration module: the state of one load (config-load.c), how errors are
 * reported ("file:line: reason", all of them), and the checks after parsing (config-check.c)
 * of what no single key can see.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config-parse.h"

/* Upper bounds of the key tables, for the per-key line arrays (checked where they are). */
#define CONFIG_KEYS_MAX 64
#define CONFIG_FRU_KEYS_MAX 32
#define CONFIG_SENSOR_KEYS_MAX 32
#define CONFIG_FRU_RECORD_KEYS_MAX 20
/* Record sections per FRU device: power supplies, DC outputs, DC loads, management access. */
#define CONFIG_FRU_RECORD_SLOTS 37
#define CONFIG_FAN_KEYS_MAX 16
#define CONFIG_OEM_KEYS_MAX 16
#define CONFIG_PICMG_LED_KEYS_MAX 16
#define CONFIG_PICMG_KEYS_MAX 16
#define CONFIG_HPM_KEYS_MAX 16

struct load_state {
        struct satmc_config *config;
        const char *name;
        FILE *err;
        FILE *in;
        unsigned line;                          /* of the line inih is looking at */
        unsigned n_errors;
        unsigned seen_line[CONFIG_KEYS_MAX];    /* 0 = not set in the file */
        unsigned fru_seen_line[CONFIG_FRU_MAX][CONFIG_FRU_KEYS_MAX];
        unsigned fru_record_seen_line[CONFIG_FRU_MAX][CONFIG_FRU_RECORD_SLOTS]
                                     [CONFIG_FRU_RECORD_KEYS_MAX];
        /* Per [sensor.N] key, allocated at the section's first key (NULL before: 255 sections
         * of them would be 40 KiB of stack): the line it was set on, and whether its value was
         * refused. Indexed as arrays, [N][key]. */
        unsigned *sensor_seen_line[CONFIG_SENSOR_MAX];
        bool *sensor_failed[CONFIG_SENSOR_MAX];
        unsigned sensor_end;                    /* 1 + the highest [sensor.N] seen */
        unsigned fan_seen_line[CONFIG_FAN_MAX][CONFIG_FAN_KEYS_MAX];
        unsigned oem_seen_line[CONFIG_OEM_MAX][CONFIG_OEM_KEYS_MAX];
        unsigned picmg_power_seen_line[CONFIG_FRU_MAX][CONFIG_PICMG_KEYS_MAX];
        unsigned picmg_link_seen_line[CONFIG_PICMG_LINK_MAX][CONFIG_PICMG_KEYS_MAX];
        unsigned picmg_link_end;                /* 1 + the highest [picmg-link.N] seen */
        /* [hpm.component.0..7], then [hpm] */
        unsigned hpm_seen_line[CONFIG_HPM_COMPONENTS + 1][CONFIG_HPM_KEYS_MAX];
        unsigned last_syntax_error_line;
        unsigned section_line;                  /* of the [section] header now in effect */
        unsigned unknown_section_line;          /* of the last unknown section reported */
        int read_errno;                         /* fgets() failed, e.g. EISDIR */
        bool oom;
        unsigned picmg_led_seen_line[CONFIG_PICMG_LED_MAX][CONFIG_PICMG_LED_KEYS_MAX];
};

/* "name:line: reason" (or "name: reason" for line 0) on s->err, and one more error counted. */
void config_report(struct load_state *s, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The row of [section] name in the table of single sections, and its index; NULL if none. */
const struct config_key *config_find_key(const char *section, const char *name, size_t *index);

/* After parsing: required keys, [mc] address sources, event receiver, FRU images, sensors. */
void config_check(struct load_state *s);

/* One numbered section's slot: its key table, its struct, and where its keys were seen. */
struct indexed_section {
        const struct config_key *keys;
        size_t n_keys;
        void *base;                     /* the struct fru_config / sensor_config / ... */
        bool *present;
        unsigned *first_line;
        unsigned *seen_line;            /* [n_keys] */
        bool *failed;                   /* [n_keys], or NULL: whose value was refused */
        /* Older names that still parse: { alias, key, alias, key, ..., NULL }, or NULL. */
        const char *const *aliases;
};

/* A key of a numbered section: the slot comes to life with its defaults at its first key. */
void config_on_indexed_key(struct load_state *s, const struct indexed_section *x,
                           const char *section, const char *name, const char *value);

/* "unknown section [section] (what)", once per section header. */
void config_report_unknown_section_text(struct load_state *s, const char *section,
                                        const char *what);

/* A key in [fru.N.<record>...] (config-fru-record.c): 0 if the section is one of those or
 * looks like one (then reported as unknown), -1 if it is not. */
int config_fru_record_key(struct load_state *s, const char *section, const char *name,
                          const char *value);

/* The record sections of [fru.N]: required keys, keys that go together, the bytes against
 * the spec's layout, and none without [fru.N] itself or with its file. */
void config_fru_records_check(struct load_state *s, unsigned n);

/* Sensor numbers (auto resolved to index + 1, then unique per LUN), nominal and normal
 * readings (config-sensor-sdr.c). */
void config_check_sensor_sdr(struct load_state *s);

/* [fan.N] and [oem.N] (config-check-actuators.c); sets each fan's follow_index. */
void config_check_actuators(struct load_state *s);

/* [nbd] TLS: files present and private, the modes' needs, secure by default (config-nbd-tls.c). */
void config_check_nbd_tls(struct load_state *s);

/* [picmg]: the profile's needs, its FRU devices, no PICMG key without it (config-picmg.c). */
void config_check_picmg(struct load_state *s);
/* [picmg-led.N], [picmg-power.N], [picmg-link.N] and IPMB-B against the profile: none without
 * one, the parts of the other profile refused (config-check-picmg-profile.c). */
void config_check_picmg_profile(struct load_state *s);
/* [picmg-led.N] (config-picmg-led.c): required keys, colors against lines, one LED per FRU and
 * LED ID; resolves the auto colors. */
void config_check_picmg_leds(struct load_state *s);
/* [picmg-power.N] and [picmg-link.N] (config-check-picmg-power.c): checks across keys, and
 * the PICMG records they add to their FRU devices. */
void config_check_picmg_power(struct load_state *s);
/* [fan.N] fru and normal-level (config-check-picmg-fan.c): a profile, the FRU, and one set of
 * fan properties per fan tray FRU. After config_check_actuators() (follow resolved). */
void config_check_picmg_fans(struct load_state *s);
/* [transport] device-b / bus-socket-b and the IPMB-0 link sensor's number
 * (config-check-ipmb-b.c), after config_check_sensor_sdr(). */
void config_check_ipmb_b(struct load_state *s);
