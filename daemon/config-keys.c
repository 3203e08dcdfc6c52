/* SPDX-License-Identifier: MIT */
/*
 * The key table of the single sections [mc] .. [storage]: parser, destination, default (as
 * text, through the same parser), description (the reference and satmcd.conf(5)) and what a
 * reload does with a change (config-parse.h).
 */
#include <stddef.h>

#include "config-check.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/ipmb-frame.h"

#define LIVE CONFIG_RELOAD_LIVE
#define RESTART CONFIG_RELOAD_RESTART

/* Where a value lives: its offset and size. IR spans adjacent fields that one key sets. */
#define C(field) offsetof(struct satmc_config, field), sizeof(((struct satmc_config *) 0)->field)
#define I(field) C(identity.field)
#define IR(first, last) offsetof(struct satmc_config, identity.first),                    \
        offsetof(struct satmc_identity, last) + sizeof(((struct satmc_identity *) 0)->last) -    \
        offsetof(struct satmc_identity, first)

const struct config_key config_keys[] = {
        { "mc", "address", config_parse_ipmb_address, C(address), NULL, 0x10, 0xEE,
          "own IPMB slave address, 8-bit form (7-bit address << 1), e.g. 0x72",
          RESTART },
        { "mc", "max-message-length", config_parse_u32, C(max_msg_len), "32",
          IPMB_REQUEST_MIN_LEN + 25, IPMB_KERNEL_MAX_MSG_LEN,
          "largest IPMB message, rsSA..chk2: 32 on a standard IPMB, up to 128 (ipmb-dev-int)",
          RESTART },
        { "mc", "duplicate-window-ms", config_parse_u32, C(duplicate_window_ms), "5000", 0, 60000,
          "a request repeated (same rqSA, netFn, cmd, seq) within this time is answered from the "
          "response cache, not executed again; 0 turns the cache off",
          LIVE },
        { "mc", "event-receiver", config_parse_event_receiver,
          C(event_receiver), "0x20", 0x10, 0xEE,
          "where Platform Event Messages go (8-bit IPMB address, 0x10..0xEE; Set Event Receiver "
          "changes it at run time), or none (0xFF) for no events",
          LIVE },
        { "mc", "event-receiver-lun", config_parse_u8, C(event_receiver_lun), "0", 0, 3,
          "LUN of the event receiver",
          LIVE },
        { "mc", "event-queue-length", config_parse_u32, C(event_queue_length), "64", 2, 4096,
          "events kept for a receiver that does not answer; when full the oldest is dropped",
          RESTART },
        { "mc", "log-level", config_parse_log_level, C(log_level), "info", 0, 0,
          "err, warning, notice, info or debug (debug logs every frame)",
          LIVE },
        { "mc", "hardware-address-chip", config_parse_string, C(hw_address_chip), "gpiochip0", 0, 0,
          "GPIO chip of the hardware address pins (name, path, label or number)",
          RESTART },
        { "mc", "hardware-address-lines", config_parse_gpio_lines,
          C(hw_address_lines), "none", 0, 65535,
          "GPIO line offsets of hardware address bits HA0, HA1, ... (LSB first, up to 7); the "
          "address is then 2 x HA, read at start-up, instead of address; or none",
          RESTART },
        { "mc", "hardware-address-parity-line", config_parse_int_or_none,
          C(hw_address_parity_line), "none", 0, 65535, "GPIO line offset of the odd parity bit (HA7) over the address "
          "lines, or none",
          RESTART },
        { "mc", "hardware-address-active-low", config_parse_bool,
          C(hw_address_active_low), "no", 0, 0,
          "yes when a grounded hardware address pin means 1",
          RESTART },
        /* The MC Device Locator's entity: config-sensor-sdr.c parses it. */
        { "mc", "entity", config_parse_entity, C(entity_id), "system-board", 0, 0,
          "entity the controller belongs to: a name of IPMI's entity table (power-supply, "
          "fan-cooling-device, ...) or a number",
          RESTART },
        { "mc", "entity-instance", config_parse_entity_instance, C(entity_instance), "0", 0, 0,
          "instance of the entity, 0..127 (96..127: device-relative)",
          RESTART },

        { "transport", "type", config_parse_transport, C(transport), "chardev", 0, 0,
          "chardev (Linux ipmb-dev-int, /dev/ipmb-N) or emulated (satmc-i2c-bus)",
          RESTART },
        { "transport", "device", config_parse_string, C(device), "/dev/ipmb-0", 0, 0,
          "the ipmb-dev-int character device, for type = chardev",
          RESTART },
        { "transport", "bus-socket", config_parse_string,
          C(bus_socket), "/run/satmc/i2c-bus.sock", 0, 0,
          "the emulated bus socket, for type = emulated",
          RESTART },
        { "transport", "device-b", config_parse_string_or_none, C(device_b), "none", 0, 0,
          "IPMB-B of a redundant IPMB-0 (ATCA): a second ipmb-dev-int character device, for "
          "type = chardev, or none (one bus)",
          RESTART },
        { "transport", "bus-socket-b", config_parse_string_or_none, C(bus_socket_b), "none", 0, 0,
          "IPMB-B of a redundant IPMB-0: a second emulated bus socket, for type = emulated, or "
          "none (one bus)",
          RESTART },
        { "transport", "link-sensor-number", config_parse_u8, C(link_sensor_number), "241", 0, 254,
          "sensor number (LUN 0) of the IPMB-0 link sensor (type F1h) that reports IPMB-A and "
          "IPMB-B, with device-b or bus-socket-b",
          RESTART },

        { "nbd", "socket", config_parse_socket_path, C(nbd_socket), "/run/satmc/nbd.sock", 0, 0,
          "UNIX socket serving the FRU devices (fru0, ...) as NBD exports, or none",
          RESTART },
        { "nbd", "tcp", config_parse_tcp_address, C(nbd_tcp), "none", 0, 0,
          "also serve NBD on TCP at HOST:PORT ([V6]:PORT, :PORT for every address), or none",
          RESTART },
        { "nbd", "max-clients", config_parse_u32, C(nbd_max_clients), "16", 1, 256,
          "NBD connections served at once on the UNIX socket (or the passed one); more are "
          "refused. TCP has its own limit, tcp-max-clients, so neither can lock the other out",
          RESTART },
        { "nbd", "tcp-max-clients", config_parse_u32, C(nbd_tcp_max_clients), "16", 1, 256,
          "NBD connections served at once on TCP; more are refused",
          RESTART },
        { "nbd", "socket-mode", config_parse_socket_mode, C(nbd_socket_mode), "0660", 0, 0777,
          "permission bits (octal) of the socket satmcd creates, whatever its umask; a socket "
          "passed by the service manager keeps its unit's SocketMode=",
          RESTART },
        { "nbd", "handshake-timeout-ms", config_parse_u32, C(nbd_handshake_timeout_ms), "10000",
          100, 600000, "a connection must finish the NBD handshake (select an export) within "
          "this time of connecting, or it is closed",
          RESTART },
        { "nbd", "request-timeout-ms", config_parse_u32, C(nbd_request_timeout_ms), "30000", 100,
          3600000, "once a request has begun to arrive it must be complete within this time, "
          "and a reply begun must be taken by the client within it, or the connection is closed",
          RESTART },
        { "nbd", "idle-timeout-ms", config_parse_u32, C(nbd_idle_timeout_ms), "0", 0, 0xFFFFFFFF,
          "close a connection in transmission after this long with no request; 0 (the "
          "default) never does: a BMC's kernel nbd-client may rightly sit idle for days",
          RESTART },
        { "nbd", "tls", config_parse_nbd_tls_mode, C(nbd_tls), "off", 0, 0,
          "TLS on TCP (and a passed TCP socket): off, on (plain clients see only "
          "tls-public-exports) or require (STARTTLS first). Writable exports on TCP need "
          "require or insecure-tcp-writable",
          RESTART },
        { "nbd", "socket-tls", config_parse_nbd_tls_mode, C(nbd_socket_tls), "off", 0, 0,
          "TLS on the UNIX socket, as tls; its file mode is usually boundary enough",
          RESTART },
        { "nbd", "tls-psk-file", config_parse_path_or_none, C(nbd_tls_psk_file), "none", 0, 0,
          "pre-shared keys, username:hexkey lines as psktool writes them (nbdkit's and "
          "libnbd's tls-psk-file); must be readable by its owner only. Read at start and reload",
          LIVE },
        { "nbd", "tls-certificate", config_parse_path_or_none, C(nbd_tls_certificate), "none", 0,
          0, "PEM X.509 server certificate (chain), with tls-key; read at start and reload",
          LIVE },
        { "nbd", "tls-key", config_parse_path_or_none, C(nbd_tls_key), "none", 0, 0,
          "PEM private key of tls-certificate; must be readable by its owner only",
          LIVE },
        { "nbd", "tls-ca", config_parse_path_or_none, C(nbd_tls_ca), "none", 0, 0,
          "PEM CA certificates that client certificates must chain to (tls-verify-peer)",
          LIVE },
        { "nbd", "tls-verify-peer", config_parse_bool, C(nbd_tls_verify_peer), "no", 0, 0,
          "X.509: accept only clients with a certificate signed by tls-ca (PSK clients are "
          "authenticated by their key anyway)",
          LIVE },
        { "nbd", "tls-public-exports", config_parse_string_or_none, C(nbd_tls_public_exports),
          "none", 0, 0, "exports (e.g. sdr fru1) that a tls = on listener also serves without "
          "TLS; read-only ones only",
          RESTART },
        { "nbd", "insecure-tcp-writable", config_parse_bool, C(nbd_insecure_tcp_writable), "no",
          0, 0, "INSECURE: let the TCP listener serve writable exports (nbd-writable) without "
          "tls = require, to anyone on the network",
          RESTART },

        { "ipmitool", "socket", config_parse_socket_path,
          C(ipmitool_socket), "/run/satmc/ipmitool.sock",
          0, 0, "UNIX socket for local ipmitool (-I dummy, IPMI_DUMMY_SOCK), or none",
          RESTART },
        { "ipmitool", "max-clients", config_parse_u32, C(ipmitool_max_clients), "16", 1, 256,
          "ipmitool connections at once; a newcomer beyond that closes the one idle the "
          "longest, refused only while all are mid-request",
          RESTART },
        { "ipmitool", "request-timeout-ms", config_parse_u32,
          C(ipmitool_request_timeout_ms), "5000",
          100, 600000, "a request must be complete this long after its first byte arrived, or "
          "the connection is closed (ipmitool sends a request in one write)",
          RESTART },
        { "ipmitool", "socket-mode", config_parse_socket_mode,
          C(ipmitool_socket_mode), "0660", 0, 0777,
          "permission bits (octal) of the socket satmcd creates, whatever its umask; a socket "
          "passed by the service manager keeps its unit's SocketMode=",
          RESTART },

        { "identity", "device-id", config_parse_u8, I(device_id), "0", 0, 255,
          "Get Device ID: device ID",
          LIVE },
        { "identity", "device-revision", config_parse_u8, I(device_revision), "0", 0, 15,
          "Get Device ID: device revision",
          LIVE },
        { "identity", "firmware-version", config_parse_firmware_version,
          IR(fw_major, fw_minor), NULL, 0, 0,
          "Get Device ID: firmware revision, MAJOR.MM (e.g. 1.05)",
          LIVE },
        { "identity", "ipmi-version", config_parse_ipmi_version, I(ipmi_version), "2.0", 0, 0,
          "Get Device ID: IPMI version, 1.0, 1.5 or 2.0",
          LIVE },
        { "identity", "manufacturer-id", config_parse_u32, I(manufacturer_id), NULL, 0, 0xFFFFF,
          "Get Device ID: IANA enterprise number of the manufacturer (20 bits)",
          LIVE },
        { "identity", "product-id", config_parse_u16, I(product_id), NULL, 0, 0xFFFF,
          "Get Device ID: product ID",
          LIVE },
        { "identity", "guid", config_parse_guid, I(guid), NULL, 0, 0,
          "Get Device GUID / Get System GUID, as 01234567-89ab-cdef-0123-456789abcdef",
          LIVE },
        { "identity", "device-support", config_parse_device_support,
          I(device_support), "none", 0, 0,
          "Get Device ID: additional device support, names separated by spaces (sensor, "
          "sdr-repository, sel, fru-inventory, event-receiver, event-generator, bridge, chassis)",
          RESTART },
        { "identity", "aux-firmware-revision", config_parse_aux_firmware,
          IR(has_aux_fw_rev, aux_fw_rev), "none", 0, 0,
          "Get Device ID: auxiliary firmware revision, 4 bytes as 0xAABBCCDD, or none",
          LIVE },

        { "i2c", "allow", config_parse_i2c_allow, C(i2c_allow), "none", 0, 0,
          "Master Write-Read targets, BUS:ADDR, BUS:FIRST-LAST or BUS:* (private bus 0..7, "
          "7-bit addresses), separated by spaces; none allows nothing",
          LIVE },

        { "storage", "state-directory", config_parse_absolute_path,
          C(state_directory), "/var/lib/satmc",
          0, 0, "directory for persistent state, owned by satmcd's user or root and writable by "
          "nobody else: the FRU backing files fru0.bin .. fru7.bin and sensors.state "
          "(thresholds set over IPMI)",
          RESTART },

        { "picmg", "profile", config_parse_picmg_profile, C(picmg.profile), "none", 0, 0,
          "none (no PICMG commands), atca-ipmc (PICMG 3.0 IPM controller, needs [fru.0]) or "
          "amc-mmc (AMC.0 module management controller, FRU 0 only); docs/picmg.md",
          RESTART },
        { "picmg", "site-type", config_parse_picmg_site_type, C(picmg.site_type), "auto", 0, 0,
          "Get Address Info's site type: atca-board, power-entry, shelf-fru, fan-tray, amc, rtm, "
          "... or a number; auto: atca-board for atca-ipmc, amc for amc-mmc",
          RESTART },
        { "picmg", "site-number", config_parse_int_or_auto, C(picmg.site_number), "auto",
          0, 255, "Get Address Info's site number (the slot); auto: the hardware address for "
          "atca-ipmc, the AMC bay from the IPMB-L address (0x72 = 1 .. 0x80 = 8) for amc-mmc",
          RESTART },
        { "picmg", "handle-switch-chip", config_parse_picmg_name, C(picmg.handle_chip), "none",
          0, 0, "GPIO chip of the handle switch of FRU 0 (name, path, label or number), or none: "
          "no handle, FRU 0 counts as latched",
          RESTART },
        { "picmg", "handle-switch-line", config_parse_int_or_none, C(picmg.handle_line), "none",
          0, 65535, "GPIO line offset of the handle switch, 1 = handle closed (latched), or none",
          RESTART },
        { "picmg", "handle-switch-active-low", config_parse_bool, C(picmg.handle_active_low),
          "no", 0, 0, "yes when a low handle switch line means closed",
          RESTART },
        { "picmg", "handle-switch-debounce-ms", config_parse_u32,
          C(picmg.handle_debounce_ms), "50", 1, 5000,
          "the handle switch must hold a new position this long before it counts",
          RESTART },
        { "picmg", "pulse-ms", config_parse_u32, C(picmg.pulse_ms), "100", 1, 10000,
          "how long a gpio: FRU Control action holds its line active",
          RESTART },
        { "picmg", "action-timeout-ms", config_parse_u32, C(picmg.action_timeout_ms), "30000",
          100, 600000, "an exec: FRU Control action still running after this long is killed "
          "(with its process group)",
          RESTART },
};

#undef C
#undef I
#undef IR

const size_t config_keys_n = ELEMENTSOF(config_keys);
_Static_assert(ELEMENTSOF(config_keys) <= CONFIG_KEYS_MAX,
               "raise CONFIG_KEYS_MAX in config-check.h");

