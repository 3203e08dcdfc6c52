/* SPDX-License-Identifier: MIT */
/*
 * satmcd configuration: an INI file parsed with libinih through one table of
 * {section, key, parser, destination, default, reload} rows (config-parse.h: config-keys.c,
 * config-fru.c, config-sensor.c), so the parser, the defaults, reload and the reference in docs/
 * cannot drift. Loading is config-load.c, the checks across keys config-check.c. Every error is
 * reported as "file:line: reason"; all of them are reported before the load fails.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config-actuators.h"
#include "config-picmg.h"
#include "config-picmg-led.h"
#include "config-picmg-power.h"
#include "config-hpm.h"
#include "protocol/fru.h"
#include "protocol/hw-address.h"
#include "protocol/i2c-allow.h"
#include "protocol/pmbus.h"
#include "protocol/nbd-tls-policy.h"

#define CONFIG_FRU_MAX 8                /* [fru.0] .. [fru.7] */
/* [sensor.0] .. [sensor.254]. One per sensor number a LUN can hold (0xFF is reserved): enough
 * for any satellite, and the arrays sized by it (struct satmc_config, the load state) stay tens
 * of KiB. Beyond 254 sensor numbers a board needs LUNs 1 and 3 (the number key). */
#define CONFIG_SENSOR_MAX 255
#define CONFIG_SENSOR_NUMBER_AUTO (-1)  /* number = section index + 1 */
#define CONFIG_ENTITY_INSTANCE_AUTO (-1)
#define CONFIG_SENSOR_NAME_MAX 16       /* an SDR ID string */

/* Thresholds in the order of SDR_THR_* bits (protocol/sdr.h): LNC, LCR, LNR, UNC, UCR, UNR. */
enum {
        SENSOR_THR_LNC,
        SENSOR_THR_LCR,
        SENSOR_THR_LNR,
        SENSOR_THR_UNC,
        SENSOR_THR_UCR,
        SENSOR_THR_UNR,
        _SENSOR_THR_MAX,
};

enum transport_kind {
        TRANSPORT_KIND_CHARDEV,         /* Linux ipmb-dev-int, /dev/ipmb-N */
        TRANSPORT_KIND_EMULATED,        /* the emulated I2C bus, docs/emulated-bus.md */
};

struct satmc_identity {
        uint8_t device_id;
        uint8_t device_revision;        /* 0..15; bit 7 of the wire byte is added by handlers */
        uint8_t fw_major;               /* 0..127 */
        uint8_t fw_minor;               /* 0..99, sent as BCD */
        uint8_t ipmi_version;           /* BCD, minor in the high nibble: 2.0 = 0x02, 1.5 = 0x51 */
        uint32_t manufacturer_id;       /* IANA enterprise number, 20 bits */
        uint16_t product_id;
        uint8_t guid[16];               /* in IPMI wire order (least significant byte first) */
        uint8_t device_support;         /* IPMI_DEVSUP_* bits */
        bool has_aux_fw_rev;
        uint8_t aux_fw_rev[4];
};

/* Custom fields of one FRU area, from a comma-separated list. */
struct fru_custom_list {
        char *items[FRU_CUSTOM_MAX];
        size_t n;
};

/* Typed multirecords of a [fru.N]: sections [fru.N.power-supply.M], [fru.N.dc-output.M],
 * [fru.N.dc-load.M] and [fru.N.management-access] (config-fru-record.c). */
#define CONFIG_FRU_POWER_SUPPLY_MAX 4
#define CONFIG_FRU_DC_MAX 16            /* output numbers 0..15 */

enum fru_predictive_fail {
        FRU_PREDICTIVE_FAIL_NONE,
        FRU_PREDICTIVE_FAIL_PIN_ASSERTION,      /* a pass/fail pin: asserted = failure */
        FRU_PREDICTIVE_FAIL_PIN_DEASSERTION,
        FRU_PREDICTIVE_FAIL_TACH_1_PULSE,       /* a tachometer output, pulses per rotation */
        FRU_PREDICTIVE_FAIL_TACH_2_PULSES,
};

struct fru_power_supply_config {
        bool present;
        unsigned line;                  /* of its first key */
        struct fru_power_supply ps;     /* its flag bits 0 and 4 come from predictive_fail */
        uint8_t predictive_fail;        /* enum fru_predictive_fail */
        bool has_combined;              /* combined-voltages given */
};

struct fru_dc_output_config {
        bool present;
        unsigned line;
        struct fru_dc_output dc;        /* dc.number is the section's M */
};

struct fru_dc_load_config {
        bool present;
        unsigned line;
        struct fru_dc_load dl;
};

/* One record per key set: the strings by sub-record type, the system unique ID apart. */
struct fru_management_config {
        bool present;
        unsigned line;
        char *text[_FRU_MGMT_MAX];      /* [FRU_MGMT_SYSTEM_URL .. COMPONENT_PING_ADDRESS] */
        bool has_unique_id;
        uint8_t unique_id[16];          /* wire order, as [identity] guid */
};

/* One [fru.N] section: a FRU device, built from fields or loaded from file. */
struct fru_config {
        bool present;                   /* the section has at least one key */
        unsigned line;                  /* of its first key, for messages */
        char *file;                     /* binary image instead of fields; NULL = fields */
        uint32_t size;                  /* device bytes; 0 = the image rounded up to 512 */
        bool write_protect;
        bool nbd_writable;

        int chassis_type;               /* SMBIOS chassis type, -1 = none */
        char *chassis_part_number, *chassis_serial_number;
        struct fru_custom_list chassis_custom;

        int32_t board_mfg_minutes;      /* since 1996-01-01 00:00 UTC, -1 = none */
        char *board_manufacturer, *board_product_name, *board_serial_number, *board_part_number;
        char *board_file_id;
        struct fru_custom_list board_custom;

        char *product_manufacturer, *product_name, *product_part_number, *product_version;
        char *product_serial_number, *product_asset_tag, *product_file_id;
        struct fru_custom_list product_custom;

        /* Multirecord area, the multirecord key's records: type, length, data, one after the
         * other (protocol/fru.c writes the headers). They follow the typed records below. */
        uint8_t *multirecord;
        size_t multirecord_len;
        /* multirecord-file: its path, and its records stored the same way (after the key's). */
        char *multirecord_file;
        uint8_t *file_records;
        size_t file_records_len;

        struct fru_power_supply_config power_supply[CONFIG_FRU_POWER_SUPPLY_MAX];
        struct fru_dc_output_config dc_output[CONFIG_FRU_DC_MAX];
        struct fru_dc_load_config dc_load[CONFIG_FRU_DC_MAX];
        struct fru_management_config management;

        /* The FRU Device Locator's entity (IPMI table 43-13); instance -1: the FRU device ID. */
        uint8_t entity_id;
        int entity_instance;

        /* PICMG FRU Control: what each option runs (config-picmg.h). */
        struct picmg_action picmg_action[_PICMG_ACTIONS];
        /* Its handle switch input: kind NONE or GPIO (FRU 0's may be [picmg]'s instead). */
        struct picmg_action handle_switch;
        /* The PICMG records [picmg-power.N] and [picmg-link.N] make for this device (type,
         * length, data, one after the other), encoded by config_check_picmg_power(). */
        uint8_t picmg_records[3 * (2 + 255)];
        size_t picmg_records_len;
};

/* Where a sensor's reading comes from (source = ..., daemon/config-sensor-source.c). */
enum sensor_source_kind {
        SENSOR_SOURCE_NONE,             /* reading always unavailable */
        SENSOR_SOURCE_FILE,             /* a number in a file (sysfs hwmon) */
        SENSOR_SOURCE_GPIO,             /* one GPIO line's logical level, 0 or 1 */
        SENSOR_SOURCE_SMBUS,            /* an SMBus register: Read Byte/Word Data */
        SENSOR_SOURCE_PMBUS,            /* a PMBus command: PAGE, then a read, decoded */
};

enum smbus_width {
        SMBUS_WIDTH_BYTE,               /* Read Byte Data */
        SMBUS_WIDTH_WORD,               /* Read Word Data, low byte first (as SMBus sends it) */
        SMBUS_WIDTH_WORD_BE,            /* Read Word Data, high byte first (LM75, TMP102, ...) */
};

/* Only the member of kind is meaningful; the others keep their defaults. */
struct sensor_source_config {
        enum sensor_source_kind kind;
        struct {
                char *path;
                double scale;           /* value = number in the file * scale */
        } file;
        struct {
                char *chip;             /* name, path, label or number (gpiod_chip_open_lookup) */
                unsigned line;          /* offset on the chip */
                bool active_low;        /* value = 1 when the line is low */
        } gpio;
        struct {
                unsigned bus;           /* /dev/i2c-BUS */
                uint8_t address;        /* 7-bit, 0x08..0x77 */
                uint8_t reg;
                enum smbus_width width;
                bool is_signed;         /* two's complement of the width */
                double scale;           /* value = register * scale */
        } smbus;
        struct {
                unsigned bus;           /* /dev/i2c-BUS */
                uint8_t address;        /* 7-bit, 0x08..0x77 */
                int page;               /* written to PAGE before each read; -1 = none */
                uint8_t command;
                enum pmbus_format format;
                struct pmbus_direct direct;     /* when format is PMBUS_FORMAT_DIRECT */
                bool pec;               /* every transaction carries a PEC byte */
                double scale;           /* value = decoded value * scale */
        } pmbus;
        /* smbus: and pmbus: (byte and word): not 0 turns the source into a status bit,
         * value = (register & mask) != 0, for discrete sensor offsets. */
        uint16_t mask;
};

/* One [sensor.N] section: a threshold sensor read from a source. */
struct sensor_config {
        bool present;                   /* the section has at least one key */
        unsigned line;                  /* of its first key, for messages */
        char *name;                     /* SDR ID string; NULL = "Sensor N" */
        uint8_t sensor_type;            /* IPMI sensor type code (table 42-3) */
        int unit;                       /* IPMI base unit code (table 43-15); -1 = from type */
        struct {
                double lo, hi;          /* engineering units */
        } range;
        struct sensor_source_config source;
        double thresholds[_SENSOR_THR_MAX];     /* engineering units; NaN = none */
        double hysteresis;              /* engineering units, >= 0 */
        uint32_t poll_ms;
        bool events;                    /* event messages enabled at start */

        /* Discrete sensors (config-sensor-discrete.h). */
        uint8_t reading_type;           /* event/reading type, table 42-1; 0 = from the type */
        struct sensor_states_config *states;    /* the state.NAME keys; NULL: none */
        char *assertions, *deassertions;        /* state names, all or none; NULL = all */

        /* SDR control (config-sensor-sdr.c). Threshold sets are SENSOR_THR_* bits. */
        int number;                     /* 0..254, unique per LUN; AUTO until config_check() */
        uint8_t lun;                    /* owner LUN: 0, 1 or 3 */
        uint8_t entity_id;              /* IPMI table 43-13 */
        uint8_t entity_instance;        /* 0..127; bit 7 (logical container) stays clear */
        double nominal, normal_min, normal_max;         /* engineering units; NaN = none */
        uint8_t assertion_events;       /* thresholds whose crossing is an assertion event */
        uint8_t deassertion_events;     /* ... whose return is a deassertion event */
        uint8_t settable_thresholds;    /* thresholds Set Sensor Thresholds may change */
};

struct satmc_config {
        char *path;                     /* file it was read from */

        /* [mc] */
        uint8_t address;                /* own 8-bit IPMB slave address */
        uint32_t max_msg_len;           /* whole IPMB message limit, 32..128 */
        uint32_t duplicate_window_ms;   /* replay window for retried requests, 0 = off */
        int log_level;                  /* LOG_* */
        uint8_t event_receiver;         /* 8-bit address; 0xFF = no events */
        uint8_t event_receiver_lun;
        uint32_t event_queue_length;
        /* Hardware address pins instead of a fixed address (daemon/hw-address.c): */
        char *hw_address_chip;          /* gpiochip name, path, label or number */
        struct {
                unsigned offsets[HW_ADDRESS_LINES_MAX]; /* LSB first */
                size_t n;               /* 0 = no pins: address is fixed */
        } hw_address_lines;
        int hw_address_parity_line;     /* -1 = none */
        bool hw_address_active_low;
        uint8_t entity_id;              /* of the MC Device Locator (IPMI table 43-13) */
        uint8_t entity_instance;

        /* [transport] */
        enum transport_kind transport;
        char *device;                   /* TRANSPORT_KIND_CHARDEV */
        char *bus_socket;               /* TRANSPORT_KIND_EMULATED */

        /* [nbd] */
        char *nbd_socket;               /* UNIX socket for the NBD exports; NULL = none */
        char *nbd_tcp;                  /* "host:port", or NULL (the default): no TCP */
        uint32_t nbd_max_clients;       /* UNIX (or passed) listener */
        uint32_t nbd_tcp_max_clients;   /* TCP listener: a limit of its own */
        uint32_t nbd_socket_mode;       /* permission bits of the socket created */
        uint32_t nbd_handshake_timeout_ms, nbd_request_timeout_ms;
        uint32_t nbd_idle_timeout_ms;   /* 0 = never */
        /* TLS (config-nbd-tls.c): per listener, the files (NULL = none), and the one way to
         * serve writable exports on TCP without TLS. */
        enum nbd_tls_mode nbd_tls;              /* the TCP listener (or a passed TCP socket) */
        enum nbd_tls_mode nbd_socket_tls;       /* the UNIX socket */
        char *nbd_tls_psk_file, *nbd_tls_certificate, *nbd_tls_key, *nbd_tls_ca;
        bool nbd_tls_verify_peer;
        char *nbd_tls_public_exports;           /* names, space or comma separated; NULL = none */
        bool nbd_insecure_tcp_writable;

        /* [ipmitool] */
        char *ipmitool_socket;          /* local ipmitool -I dummy socket; NULL = none */
        uint32_t ipmitool_max_clients;
        uint32_t ipmitool_request_timeout_ms;
        uint32_t ipmitool_socket_mode;  /* permission bits of the socket created */

        /* [identity] */
        struct satmc_identity identity;

        /* [i2c] */
        struct i2c_allow i2c_allow;     /* Master Write-Read targets; empty = none */

        /* [storage] */
        char *state_directory;          /* FRU backing files live here */

        /* [sensor.0] .. [sensor.254], by section index (their number and LUN are keys):
         * CONFIG_SENSOR_MAX entries, allocated apart (config_new()) so that the sections a
         * board does not use cost no resident memory. */
        struct sensor_config *sensor;
        /* 1 + the highest N of a [sensor.N] in the file: the slots worth looking at (all of
         * them, CONFIG_SENSOR_MAX, in a configuration built by hand from config_new()). */
        unsigned sensor_end;
        /* The same for [picmg-link.N] (CONFIG_PICMG_LINK_MAX from config_new()): the E-Keying
         * handlers look at no slot past it, so a board's unused slots stay untouched pages. */
        unsigned picmg_link_end;

        /* [picmg] (config-picmg.h) */
        struct picmg_config picmg;

        /* [transport] IPMB-B of a redundant IPMB-0 (PICMG 3.0), of the same type as the
         * first bus (IPMB-A); NULL = one bus. */
        char *device_b;                 /* TRANSPORT_KIND_CHARDEV */
        char *bus_socket_b;             /* TRANSPORT_KIND_EMULATED */
        uint8_t link_sensor_number;     /* the IPMB-0 sensor (type F1h) on LUN 0, with IPMB-B */
        /* [hpm] and [hpm.component.0] .. [hpm.component.7] (config-hpm.h) */
        struct hpm_config hpm;

        /* The sections a board has several of, or none: each array's pages become resident
         * only where a key is written (config_new()), so they come after every member that
         * start-up always writes (the defaults, the sensor slots' address), and a fan or an
         * LED left out costs nothing. */
        /* [fru.0] .. [fru.7], indexed by FRU device ID */
        struct fru_config fru[CONFIG_FRU_MAX];

        /* [fan.0] .. [fan.7] and [oem.0] .. [oem.15] (config-actuators.h) */
        struct fan_config fan[CONFIG_FAN_MAX];
        struct oem_config oem[CONFIG_OEM_MAX];

        /* [picmg-led.0] .. [picmg-led.31] (config-picmg-led.h), by section index */
        struct picmg_led_config picmg_led[CONFIG_PICMG_LED_MAX];
        /* [picmg-power.N] by FRU device ID and [picmg-link.N] (config-picmg-power.h) */
        struct picmg_power_config picmg_power[CONFIG_FRU_MAX];
        struct picmg_link_config picmg_link[CONFIG_PICMG_LINK_MAX];
};

/* An empty configuration, every field zero and no default applied, with room for every
 * section; NULL when out of memory. Free it with config_free(). */
struct satmc_config *config_new(void);

/*
 * Load and validate path. Errors go to err (stderr if NULL) as "path:line: reason", one per
 * line, all of them. Returns 0 and *ret, -EINVAL if the file had errors, or another -errno
 * (e.g. -ENOENT) if it could not be read.
 */
int config_load(const char *path, FILE *err, struct satmc_config **ret);

/* The same, from an open stream; name is used in messages (the fuzzer feeds memory). */
int config_load_from_file(FILE *in, const char *name, FILE *err, struct satmc_config **ret);

/* IPMB-B's path for the configured type (device-b or bus-socket-b), or NULL: one bus. */
static inline const char *config_ipmb_b_path(const struct satmc_config *c) {
        return c->transport == TRANSPORT_KIND_CHARDEV ? c->device_b : c->bus_socket_b;
}

struct satmc_config *config_free(struct satmc_config *c);
static inline void config_freep(struct satmc_config **c) {
        config_free(*c);
}

/*
 * Give back to the kernel the pages of c that hold nothing but zeros, once what reads the
 * absent sections' slots at start-up (the checks, the stores, the PICMG tables) has run. Most
 * kernels map one shared zero page where untouched memory is only read, so this changes
 * nothing there; kernels without it (s390 KVM guests, some VMs: "pvm_no_zero_page") give each
 * such read a page of its own: 84 of the configuration's 116 resident KiB on a board with 64
 * sensors and one FRU. A dropped page reads as zeros again. The configuration is read-only
 * once loaded, so no write can be lost. Returns the number of pages dropped.
 */
size_t config_drop_zero_pages(struct satmc_config *c);

/* The other public parts of the configuration module, each in a header of its own. */
#include "config-fru.h"
#include "config-reference.h"
#include "config-sensor.h"
#include "config-sensor-discrete.h"
#include "guid.h"
