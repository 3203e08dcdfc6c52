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

#include "protocol/fru.h"
#include "protocol/hw-address.h"
#include "protocol/i2c-allow.h"
#include "protocol/nbd-tls-policy.h"

#define CONFIG_FRU_MAX 8                /* [fru.0] .. [fru.7] */
#define CONFIG_SENSOR_MAX 64            /* [sensor.0] .. [sensor.63]: sensor numbers 1..64 */
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

        /* Multirecord area: whole records (headers with checksums built by the parser). */
        uint8_t *multirecord;
        size_t multirecord_len;
};

/* Where a sensor's reading comes from (source = ..., daemon/config-sensor-source.c). */
enum sensor_source_kind {
        SENSOR_SOURCE_NONE,             /* reading always unavailable */
        SENSOR_SOURCE_FILE,             /* a number in a file (sysfs hwmon) */
        SENSOR_SOURCE_GPIO,             /* one GPIO line's logical level, 0 or 1 */
        SENSOR_SOURCE_SMBUS,            /* an SMBus register: Read Byte/Word Data */
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

        /* [fru.0] .. [fru.7], indexed by FRU device ID */
        struct fru_config fru[CONFIG_FRU_MAX];

        /* [sensor.0] .. [sensor.63]; sensor number = index + 1 */
        struct sensor_config sensor[CONFIG_SENSOR_MAX];
};

/*
 * Load and validate path. Errors go to err (stderr if NULL) as "path:line: reason", one per
 * line, all of them. Returns 0 and *ret, -EINVAL if the file had errors, or another -errno
 * (e.g. -ENOENT) if it could not be read.
 */
int config_load(const char *path, FILE *err, struct satmc_config **ret);

/* The same, from an open stream; name is used in messages (the fuzzer feeds memory). */
int config_load_from_file(FILE *in, const char *name, FILE *err, struct satmc_config **ret);

struct satmc_config *config_free(struct satmc_config *c);
static inline void config_freep(struct satmc_config **c) {
        config_free(*c);
}

/* The other public parts of the configuration module, each in a header of its own. */
#include "config-fru.h"
#include "config-reference.h"
#include "config-sensor.h"
#include "guid.h"
