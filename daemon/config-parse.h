/* SPDX-License-Identifier: MIT */
/*
 * Inside the configuration module (daemon/config-*.c): the shape of a key row, the value
 * parsers the rows name, and the three key tables. One table of {section, key, parser,
 * destination, default, reload} rows drives parsing, defaults, validation, reload and the
 * reference (satmcd --dump-config-reference, satmcd.conf(5)), so none of them can drift.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define REASON_MAX 160

/*
 * What a reload (SIGHUP, daemon/manager-reload.c) does when a key's value changed. Every row
 * must say: 0 is not a valid value, and tests/unit/test-config-reload.c checks every table.
 */
enum config_reload {
        CONFIG_RELOAD_UNSET,            /* invalid: a row that forgot to say */
        CONFIG_RELOAD_LIVE,             /* the new value is applied in place */
        CONFIG_RELOAD_RESTART,          /* needs a restart: warned about, the running value stays */
};

struct config_key;
typedef int (*config_parser)(const struct config_key *k, const char *value, void *dest,
                             char *reason);

/* A row whose name ends in ".*" (state.*) is a pattern: it takes every key with that prefix
 * (state.failure), and its parser gets a copy of the row with the key's own name and, in min,
 * the key's line (on_indexed_key(), config-load.c). */
struct config_key {
        const char *section;
        const char *name;
        config_parser parse;
        size_t offset;                  /* into struct satmc_config, fru_config or sensor_config */
        size_t size;                    /* bytes at offset that the parser writes */
        const char *default_value;      /* as it would be written in the file; NULL = required */
        unsigned long min, max;         /* for the integer parsers */
        const char *description;
        enum config_reload reload;
};

/* The key tables: [mc] .. [storage]; one [fru.N]; one [sensor.N]. */
extern const struct config_key config_keys[];
extern const size_t config_keys_n;
extern const struct config_key config_fru_keys[];
extern const size_t config_fru_keys_n;
/* The record sections of a FRU device (config-fru-record.c): one of each kind. */
extern const struct config_key config_fru_power_supply_keys[];
extern const size_t config_fru_power_supply_keys_n;
extern const struct config_key config_fru_dc_output_keys[];
extern const size_t config_fru_dc_output_keys_n;
extern const struct config_key config_fru_dc_load_keys[];
extern const size_t config_fru_dc_load_keys_n;
extern const struct config_key config_fru_management_keys[];
extern const size_t config_fru_management_keys_n;
extern const struct config_key config_sensor_keys[];
extern const size_t config_sensor_keys_n;
/* Older names of [sensor.N] keys that still parse: { alias, key, ..., NULL }. */
extern const char *const config_sensor_key_aliases[];
/* [fan.N] (config-fan.c) and [oem.N] (config-oem.c) */
extern const struct config_key config_fan_keys[];
extern const size_t config_fan_keys_n;
extern const struct config_key config_oem_keys[];
extern const size_t config_oem_keys_n;
/* [picmg-led.N] (config-picmg-led.c) */
extern const struct config_key config_picmg_led_keys[];
extern const size_t config_picmg_led_keys_n;
/* [picmg-power.N] and [picmg-link.N] (config-picmg-power.c) */
extern const struct config_key config_picmg_power_keys[];
extern const size_t config_picmg_power_keys_n;
extern const struct config_key config_picmg_link_keys[];
extern const size_t config_picmg_link_keys_n;
/* [hpm] and one [hpm.component.N] (config-hpm.c; the same rows serve all eight) */
extern const struct config_key config_hpm_keys[];
extern const size_t config_hpm_keys_n;
extern const struct config_key config_hpm_component_keys[];
extern const size_t config_hpm_component_keys_n;

/* The name in keys (of section, or any section for NULL) closest to a misspelt name, or NULL
 * when none is close enough to be a likely typo (config-suggest.c). */
const char *config_suggest_key(const struct config_key *keys, size_t n_keys, const char *section,
                               const char *name);

/* Whether two configurations hold the same value for k (base = the struct k's offset is in). */
bool config_key_equal(const struct config_key *k, const void *a_base, const void *b_base);

/* A [fru.N] key that builds the image (chassis-*, board-*, product-*, multirecord). */
bool config_fru_key_is_field(const struct config_key *k);
void config_fru_custom_clear(struct fru_custom_list *l);

/* ---- value parsers (config-parse.c): 0, or -EINVAL / -ENOMEM with a reason ---- */
/* -EINVAL if not a number (or past 64 bits), -ERANGE if past unsigned long (32-bit ABIs). */
int config_parse_number(const char *value, unsigned long *ret);
int config_parse_double(const char *value, double *ret);
int config_parse_hex_digit(char c);
int config_parse_ranged(const struct config_key *k, const char *value, unsigned long *v,
                        char *reason);
int config_parse_u8(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_u16(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_u32(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_ipmb_address(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_event_receiver(const struct config_key *k, const char *value, void *dest,
                                char *reason);
int config_parse_string(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_socket_path(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_socket_mode(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_tcp_address(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_log_level(const struct config_key *k, const char *value, void *dest,
                           char *reason);
int config_parse_transport(const struct config_key *k, const char *value, void *dest,
                           char *reason);
int config_parse_bool(const struct config_key *k, const char *value, void *dest, char *reason);
/* config-nbd-tls.c */
int config_parse_nbd_tls_mode(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_path_or_none(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_string_or_none(const struct config_key *k, const char *value, void *dest,
                                char *reason);
int config_parse_absolute_path(const struct config_key *k, const char *value, void *dest,
                               char *reason);
int config_parse_gpio_lines(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_int_or_none(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_int_or_auto(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_i2c_allow(const struct config_key *k, const char *value, void *dest,
                           char *reason);

/* [identity] (config-identity.c) */
int config_parse_firmware_version(const struct config_key *k, const char *value, void *dest,
                                  char *reason);
int config_parse_ipmi_version(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_guid(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_device_support(const struct config_key *k, const char *value, void *dest,
                                char *reason);
int config_parse_aux_firmware(const struct config_key *k, const char *value, void *dest,
                              char *reason);

/* [fru.N] (config-fru.c) */
int config_parse_fru_text(const struct config_key *k, const char *value, void *dest,
                          char *reason);
int config_parse_fru_custom(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_fru_multirecord(const struct config_key *k, const char *value, void *dest,
                                 char *reason);
int config_parse_fru_multirecord_file(const struct config_key *k, const char *value, void *dest,
                                      char *reason);
int config_parse_mfg_date(const struct config_key *k, const char *value, void *dest,
                          char *reason);
int config_parse_fru_size(const struct config_key *k, const char *value, void *dest,
                          char *reason);
int config_parse_fru_file(const struct config_key *k, const char *value, void *dest,
                          char *reason);

/* [sensor.N] (config-sensor.c) */
int config_parse_sensor_name(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_sensor_type(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_sensor_unit(const struct config_key *k, const char *value, void *dest,
                             char *reason);
int config_parse_sensor_range(const struct config_key *k, const char *value, void *dest,
                              char *reason);
int config_parse_sensor_source(const struct config_key *k, const char *value, void *dest,
                               char *reason);
int config_parse_threshold(const struct config_key *k, const char *value, void *dest,
                           char *reason);
int config_parse_hysteresis(const struct config_key *k, const char *value, void *dest,
                            char *reason);

/* Entities, sensor numbers, LUNs and threshold sets (config-sensor-sdr.c) */
int config_parse_entity(const struct config_key *k, const char *value, void *dest, char *reason);
int config_parse_entity_instance(const struct config_key *k, const char *value, void *dest,
                                 char *reason);
int config_parse_entity_instance_or_auto(const struct config_key *k, const char *value,
                                         void *dest, char *reason);
int config_parse_sensor_number(const struct config_key *k, const char *value, void *dest,
                               char *reason);
int config_parse_sensor_lun(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_threshold_set(const struct config_key *k, const char *value, void *dest,
                               char *reason);

/* [fan.N] (config-fan.c) */
int config_parse_fan_output(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_fan_pwm_range(const struct config_key *k, const char *value, void *dest,
                               char *reason);
int config_parse_fan_enable_at_exit(const struct config_key *k, const char *value, void *dest,
                                    char *reason);
int config_parse_fan_follow(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_fan_curve(const struct config_key *k, const char *value, void *dest,
                           char *reason);

/* [oem.N] (config-oem.c) */
int config_parse_oem_netfn(const struct config_key *k, const char *value, void *dest,
                           char *reason);
int config_parse_oem_args(const struct config_key *k, const char *value, void *dest,
                          char *reason);

/* [picmg] and [fru.N] FRU Control actions (config-picmg.c) */
int config_parse_picmg_profile(const struct config_key *k, const char *value, void *dest,
                               char *reason);
int config_parse_picmg_site_type(const struct config_key *k, const char *value, void *dest,
                                 char *reason);
int config_parse_picmg_name(const struct config_key *k, const char *value, void *dest,
                            char *reason);
int config_parse_picmg_action(const struct config_key *k, const char *value, void *dest,
                              char *reason);
/* none | gpio:CHIP:LINE[:active-low]: a handle switch input ([fru.N] handle-switch). */
int config_parse_picmg_handle(const struct config_key *k, const char *value, void *dest,
                              char *reason);
/* [picmg-led.N] (config-picmg-led.c) */
int config_parse_picmg_led_color(const struct config_key *k, const char *value, void *dest,
                                 char *reason);
int config_parse_picmg_led_pattern(const struct config_key *k, const char *value, void *dest,
                                   char *reason);
int config_parse_picmg_led_lines(const struct config_key *k, const char *value, void *dest,
                                 char *reason);
