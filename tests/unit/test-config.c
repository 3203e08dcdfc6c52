/* SPDX-License-Identifier: MIT */
/*
 * The configuration parser, table driven:
 *
 *  - golden files in tests/unit/config/: every good-*.ini loads silently into the values listed
 *    in good_cases[]; every bad-*.ini fails with -EINVAL and prints exactly bad-*.expected. The
 *    test chdir()s into that directory and loads files by bare name, so messages read
 *    "bad-x.ini:3: reason". A file in the directory that no table names is itself a failure.
 *  - the shipped examples/board.ini and tests/integration/board-test.ini;
 *  - one key = value at a time from memory (value_cases[]), accepted or with its exact message;
 *  - guid_from_string() / guid_to_string();
 *  - config_dump_reference(): its format, that it parses back into the built-in defaults, and
 *    that docs/configuration.md has a row for every key it lists, so neither can drift.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/config-parse.h"
#include "daemon/config-sensor-source.h"
#include "macro.h"
#include "protocol/ipmi.h"

#define CONFIG_DIR "tests/unit/config"

static const char *source_root;

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;
        FILE *out;
        int c;

        if (!f)
                fail_msg("cannot open %s: %s", path, strerror(errno));
        out = open_memstream(&buf, &len);
        assert_non_null(out);
        while ((c = fgetc(f)) != EOF)
                fputc(c, out);
        assert_false(ferror(f));
        fclose(f);
        assert_int_equal(fclose(out), 0);
        if (ret_len)
                *ret_len = len;
        return buf;
}

static char *source_path(const char *rel) {
        char *p = NULL;

        assert_true(asprintf(&p, "%s/%s", source_root, rel) > 0);
        return p;
}

/* Everything config_load() prints goes into a memory buffer. */
struct capture {
        char *buf;
        size_t len;
        FILE *f;
};

static void capture_open(struct capture *c) {
        *c = (struct capture) { 0 };
        c->f = open_memstream(&c->buf, &c->len);
        assert_non_null(c->f);
}

static void capture_close(struct capture *c) {
        assert_int_equal(fclose(c->f), 0);
        c->f = NULL;
}

/* Load text from memory under the given name, as the fuzzer does. */
static int load_string(const char *text, const char *name, struct capture *cap,
                       struct satmc_config **ret) {
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(in);
        capture_open(cap);
        r = config_load_from_file(in, name, cap->f, ret);
        capture_close(cap);
        fclose(in);
        return r;
}

/* ---- expected values ---- */

struct expect_config {
        uint8_t address;
        uint32_t max_msg_len;
        uint32_t duplicate_window_ms;
        int log_level;
        enum transport_kind transport;
        const char *device;
        const char *bus_socket;
        uint8_t device_id;
        uint8_t device_revision;
        uint8_t fw_major;
        uint8_t fw_minor;
        uint8_t ipmi_version;
        uint32_t manufacturer_id;
        uint16_t product_id;
        const char *guid;               /* text form, lowercase */
        uint8_t device_support;
        bool has_aux_fw_rev;
        uint8_t aux_fw_rev[4];
        const char *ipmitool_socket;    /* NULL: the default path ("none" is a value case) */
        uint32_t ipmitool_max_clients;  /* 0: the default, 16 */
};

static void check_config(const struct satmc_config *c, const struct expect_config *e) {
        char guid[37];

        assert_int_equal(c->address, e->address);
        assert_int_equal(c->max_msg_len, e->max_msg_len);
        assert_int_equal(c->duplicate_window_ms, e->duplicate_window_ms);
        assert_int_equal(c->log_level, e->log_level);
        assert_int_equal(c->transport, e->transport);
        assert_non_null(c->device);
        assert_string_equal(c->device, e->device);
        assert_non_null(c->bus_socket);
        assert_string_equal(c->bus_socket, e->bus_socket);
        assert_int_equal(c->identity.device_id, e->device_id);
        assert_int_equal(c->identity.device_revision, e->device_revision);
        assert_int_equal(c->identity.fw_major, e->fw_major);
        assert_int_equal(c->identity.fw_minor, e->fw_minor);
        assert_int_equal(c->identity.ipmi_version, e->ipmi_version);
        assert_int_equal(c->identity.manufacturer_id, e->manufacturer_id);
        assert_int_equal(c->identity.product_id, e->product_id);
        guid_to_string(c->identity.guid, guid);
        assert_string_equal(guid, e->guid);
        assert_int_equal(c->identity.device_support, e->device_support);
        assert_int_equal(c->identity.has_aux_fw_rev, e->has_aux_fw_rev);
        assert_memory_equal(c->identity.aux_fw_rev, e->aux_fw_rev, 4);
        assert_string_equal(c->ipmitool_socket,
                            e->ipmitool_socket ? e->ipmitool_socket : "/run/satmc/ipmitool.sock");
        assert_int_equal(c->ipmitool_max_clients,
                         e->ipmitool_max_clients ? e->ipmitool_max_clients : 16);
}

/* The required keys as good-minimal.ini sets them; everything else is a default. */
static const struct {
        const char *section, *key, *value;
} required_values[] = {
        { "mc",       "address",          "0x72" },
        { "identity", "firmware-version", "1.05" },
        { "identity", "manufacturer-id",  "0x007ED9" },
        { "identity", "product-id",       "0x1291" },
        { "identity", "guid",             "01234567-89ab-cdef-0011-223344556677" },
        { "fan.0",    "output",           "pwm:/sys/class/hwmon/hwmon0/pwm1" },
        { "oem.0",    "netfn",            "0x30" },
        { "oem.0",    "cmd",              "0x01" },
        { "oem.0",    "exec",             "/usr/lib/satmc/oem-test" },
        { "picmg-led.0", "led",           "1" },
        { "picmg-led.0", "gpio",          "red=gpiochip0:5" },
        { "picmg-power.0", "levels",      "20 W, 40 W" },
        { "picmg-link.0", "channel",      "1" },
        { "picmg-link.0", "ports",        "0" },
        { "picmg-link.0", "link-type",    "base" },
        { "hpm.component.0", "name",      "bootloader" },
        { "hpm.component.0", "version",   "1.00" },
        { "hpm.component.0", "path",      "/var/lib/satmc-boot/boot.bin" },
};

/* Not required, but what the PICMG sections above need: a profile, and the profile its
 * controller's FRU (config-check-picmg-profile.c). */
static const struct {
        const char *section, *key, *value;
} companion_values[] = {
        { "picmg",    "profile",            "atca-ipmc" },
        { "fru.0",    "board-product-name", "Blade" },
};

/* The required keys of the FRU record sections the reference lists, one of each kind
 * (config-fru-record.c): only a file with that section needs them. */
static const struct {
        const char *section, *key, *value;
} record_required_values[] = {
        { "fru.0.power-supply.0", "capacity",        "550 W" },
        { "fru.0.power-supply.0", "input-voltage-1", "90..264 V" },
        { "fru.0.dc-output.0",    "nominal-voltage", "12 V" },
        { "fru.0.dc-output.0",    "max-current",     "45.8 A" },
        { "fru.0.dc-load.0",      "nominal-voltage", "12 V" },
        { "fru.0.dc-load.0",      "min-voltage",     "11.4 V" },
        { "fru.0.dc-load.0",      "max-voltage",     "12.6 V" },
        { "fru.0.dc-load.0",      "max-current",     "10 A" },
};

static const struct expect_config minimal_expect = {
        .address = 0x72,
        .max_msg_len = 32,
        .duplicate_window_ms = 5000,
        .log_level = LOG_INFO,
        .transport = TRANSPORT_KIND_CHARDEV,
        .device = "/dev/ipmb-0",
        .bus_socket = "/run/satmc/i2c-bus.sock",
        .device_id = 0,
        .device_revision = 0,
        .fw_major = 1,
        .fw_minor = 5,
        .ipmi_version = 0x02,
        .manufacturer_id = 0x007ED9,
        .product_id = 0x1291,
        .guid = "01234567-89ab-cdef-0011-223344556677",
        .device_support = 0,
        .has_aux_fw_rev = false,
        .aux_fw_rev = { 0, 0, 0, 0 },
};

/* ---- good files ---- */

struct good_case {
        const char *path;               /* relative to CONFIG_DIR, as passed to config_load() */
        const char *raw;                /* bytes the file must contain, or NULL: keeps e.g. */
        size_t raw_len;                 /* the CRLF line endings from being "fixed" away */
        struct expect_config expect;
};

static const struct good_case good_cases[] = {
        { "good-minimal.ini", NULL, 0, {
                .address = 0x72, .max_msg_len = 32, .duplicate_window_ms = 5000,
                .log_level = LOG_INFO, .transport = TRANSPORT_KIND_CHARDEV,
                .device = "/dev/ipmb-0", .bus_socket = "/run/satmc/i2c-bus.sock",
                .device_id = 0, .device_revision = 0, .fw_major = 1, .fw_minor = 5,
                .ipmi_version = 0x02, .manufacturer_id = 0x007ED9, .product_id = 0x1291,
                .guid = "01234567-89ab-cdef-0011-223344556677", .device_support = 0,
                .has_aux_fw_rev = false,
        } },
        /* address 0: good-full.ini takes it from the hardware address pins, read at start-up
         * (tests/unit/test-hw-address.c checks those keys' values). */
        { "good-full.ini", "\r\n", 2, {
                .address = 0x00, .max_msg_len = 64, .duplicate_window_ms = 250,
                .log_level = LOG_WARNING, .transport = TRANSPORT_KIND_EMULATED,
                .device = "/dev/ipmb-3", .bus_socket = "/tmp/satmc test/bus.sock",
                .device_id = 0x81, .device_revision = 9, .fw_major = 12, .fw_minor = 34,
                .ipmi_version = 0x51, .manufacturer_id = 0x12345, .product_id = 0x1234,
                .guid = "fedcba98-7654-3210-0f1e-2d3c4b5a6978", .device_support = 0xFF,
                .has_aux_fw_rev = true, .aux_fw_rev = { 0xDE, 0xAD, 0xBE, 0xEF },
                .ipmitool_socket = "/tmp/satmc test/ipmitool.sock", .ipmitool_max_clients = 3,
        } },
        { "good-bounds-high.ini", NULL, 0, {
                .address = 0xEE, .max_msg_len = 128, .duplicate_window_ms = 60000,
                .log_level = LOG_DEBUG, .transport = TRANSPORT_KIND_CHARDEV,
                .device = "/dev/ipmb-15", .bus_socket = "/run/satmc/i2c-bus.sock",
                .device_id = 255, .device_revision = 15, .fw_major = 127, .fw_minor = 99,
                .ipmi_version = 0x02, .manufacturer_id = 0xFFFFF, .product_id = 0xFFFF,
                .guid = "ffffffff-ffff-ffff-ffff-ffffffffffff",
                .device_support = IPMI_DEVSUP_CHASSIS,
                .has_aux_fw_rev = true, .aux_fw_rev = { 0xFF, 0xFF, 0xFF, 0xFF },
        } },
        { "good-bounds-low.ini", NULL, 0, {
                .address = 0x10, .max_msg_len = 32, .duplicate_window_ms = 0,
                .log_level = LOG_ERR, .transport = TRANSPORT_KIND_CHARDEV,
                .device = "/dev/ipmb-0", .bus_socket = "/run/satmc/i2c-bus.sock",
                .device_id = 0, .device_revision = 0, .fw_major = 0, .fw_minor = 0,
                .ipmi_version = 0x01, .manufacturer_id = 0, .product_id = 0,
                .guid = "00000000-0000-0000-0000-000000000000", .device_support = 0,
                .has_aux_fw_rev = true, .aux_fw_rev = { 0, 0, 0, 0 },
        } },
        { "good-layout.ini", "\xEF\xBB\xBF", 3, {
                .address = 0x72, .max_msg_len = 64, .duplicate_window_ms = 5000,
                .log_level = LOG_DEBUG, .transport = TRANSPORT_KIND_EMULATED,
                .device = "/dev/ipmb-0", .bus_socket = "/run/satmc/i2c-bus.sock",
                .device_id = 0, .device_revision = 0, .fw_major = 10, .fw_minor = 7,
                .ipmi_version = 0x51, .manufacturer_id = 10, .product_id = 0x42,
                .guid = "0123abcd-ef01-2345-6789-abcdef012345",
                .device_support = IPMI_DEVSUP_SENSOR | IPMI_DEVSUP_SEL | IPMI_DEVSUP_FRU_INVENTORY,
                .has_aux_fw_rev = false,
        } },
        /* The shipped files, seen from CONFIG_DIR. */
        { "../../../examples/board.ini", NULL, 0, {
                .address = 0x72, .max_msg_len = 32, .duplicate_window_ms = 5000,
                .log_level = LOG_INFO, .transport = TRANSPORT_KIND_CHARDEV,
                .device = "/dev/ipmb-0", .bus_socket = "/run/satmc/i2c-bus.sock",
                .device_id = 0x23, .device_revision = 1, .fw_major = 1, .fw_minor = 5,
                .ipmi_version = 0x02, .manufacturer_id = 0x007ED9, .product_id = 0x1291,
                .guid = "2a5f3c1e-8b7d-4e2a-9c61-0b3d5e7f9a12",
                .device_support = IPMI_DEVSUP_FRU_INVENTORY,
                .has_aux_fw_rev = true, .aux_fw_rev = { 0x00, 0x00, 0x00, 0x01 },
        } },
        { "../../../tests/integration/board-test.ini", NULL, 0, {
                .address = 0x72, .max_msg_len = 32, .duplicate_window_ms = 5000,
                .log_level = LOG_INFO, .transport = TRANSPORT_KIND_EMULATED,
                .device = "/dev/ipmb-0", .bus_socket = "/nonexistent/overridden-by-the-test.sock",
                .device_id = 0x23, .device_revision = 3, .fw_major = 1, .fw_minor = 42,
                .ipmi_version = 0x02, .manufacturer_id = 0x007ED9, .product_id = 0x1291,
                .guid = "01234567-89ab-cdef-0011-223344556677",
                .device_support = IPMI_DEVSUP_FRU_INVENTORY,
                .has_aux_fw_rev = true, .aux_fw_rev = { 0x0a, 0x0b, 0x0c, 0x0d },
        } },
};

static void test_good(void **state) {
        const struct good_case *t = *state;
        struct satmc_config *c = NULL;
        struct capture cap;
        int r;

        capture_open(&cap);
        r = config_load(t->path, cap.f, &c);
        capture_close(&cap);

        assert_string_equal(cap.buf, "");
        assert_int_equal(r, 0);
        assert_non_null(c);
        assert_string_equal(c->path, t->path);
        check_config(c, &t->expect);
        config_free(c);
        free(cap.buf);

        if (t->raw) {
                size_t len;
                char *text = read_file(t->path, &len);

                if (!memmem(text, len, t->raw, t->raw_len))
                        fail_msg("%s lost the bytes it exists to test", t->path);
                free(text);
        }
}

/* board-test.ini: the wire order the integration tests check byte by byte. */
static void test_board_test_wire_guid(void **state) {
        static const uint8_t wire[16] = {
                0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
                0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
        };
        struct satmc_config *c = NULL;
        struct capture cap;

        capture_open(&cap);
        assert_int_equal(config_load("../../../tests/integration/board-test.ini", cap.f, &c), 0);
        capture_close(&cap);
        assert_string_equal(cap.buf, "");
        assert_int_equal(c->identity.guid[0], 0x77);
        assert_memory_equal(c->identity.guid, wire, sizeof(wire));
        config_free(c);
        free(cap.buf);
}

/* ---- bad files ---- */

static const char *const bad_cases[] = {
        "bad-address-odd",
        "bad-address-odd-high",
        "bad-address-low",
        "bad-address-high",
        "bad-not-a-number",
        "bad-negative",
        "bad-max-message-length-31",
        "bad-max-message-length-129",
        "bad-unknown-key",
        "bad-unknown-section",
        "bad-outside-section",
        "bad-duplicate-key",
        "bad-firmware-version-one-digit-minor",
        "bad-firmware-version-letter-minor",
        "bad-firmware-version-major-128",
        "bad-firmware-version-letter-major",
        "bad-ipmi-version",
        "bad-guid-length",
        "bad-guid-hex",
        "bad-guid-dash",
        "bad-device-support",
        "bad-aux-firmware-revision",
        "bad-transport-type",
        "bad-log-level",
        "bad-empty-value",
        "bad-inline-hash",
        "bad-no-equals",
        "bad-colon",
        "bad-section-unterminated",
        "bad-indented",
        "bad-long-line",
        "bad-crlf",
        "bad-many-errors",
        "bad-empty",
        "bad-only-comments",
        "bad-fru",
        "bad-fan",
        "bad-oem",
        "bad-sensor",
        "bad-sensor-source",
        "bad-sensor-sdr",
        "bad-presence",
        "bad-discrete",
        "bad-no-cascade",
        "bad-picmg",
        "bad-picmg-profile",
        "bad-picmg-atca",
        "bad-picmg-led",
        "bad-picmg-handle",
        "bad-picmg-handle-none",
        "bad-ipmb-b",
        "bad-ipmb-b-range",
        "bad-picmg-no-profile",
        "bad-picmg-atca-mix",
        "bad-picmg-mmc-mix",
};

static void test_bad(void **state) {
        const char *name = *state;
        struct satmc_config *c = NULL;
        char ini[PATH_MAX], expected_path[PATH_MAX];
        struct capture cap;
        char *expected;
        int r;

        snprintf(ini, sizeof(ini), "%s.ini", name);
        snprintf(expected_path, sizeof(expected_path), "%s.expected", name);
        expected = read_file(expected_path, NULL);

        capture_open(&cap);
        r = config_load(ini, cap.f, &c);
        capture_close(&cap);

        assert_string_equal(cap.buf, expected);
        assert_int_equal(r, -EINVAL);
        assert_null(c);
        free(cap.buf);
        free(expected);
}

static bool has_prefix_suffix(const char *s, const char *prefix, const char *suffix) {
        size_t ls = strlen(s), lp = strlen(prefix), lx = strlen(suffix);

        return ls >= lp + lx && strncmp(s, prefix, lp) == 0 && strcmp(s + ls - lx, suffix) == 0;
}

static bool named_bad(const char *file, const char *suffix) {
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
                if (strlen(file) == strlen(bad_cases[i]) + strlen(suffix) &&
                    has_prefix_suffix(file, bad_cases[i], suffix))
                        return true;
        return false;
}

static bool named_good(const char *file) {
        for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++)
                if (strcmp(file, good_cases[i].path) == 0)
                        return true;
        return false;
}

/* Every golden file is run by some table entry: none can be added and silently ignored. */
static void test_golden_files_all_listed(void **state) {
        DIR *d = opendir(".");
        struct dirent *de;
        unsigned n_good = 0, n_bad = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                const char *f = de->d_name;

                if (f[0] == '.')
                        continue;
                if (has_prefix_suffix(f, "good-", ".ini")) {
                        if (!named_good(f))
                                fail_msg("%s is not in good_cases[]", f);
                        n_good++;
                } else if (has_prefix_suffix(f, "bad-", ".ini")) {
                        if (!named_bad(f, ".ini"))
                                fail_msg("%s is not in bad_cases[]", f);
                        n_bad++;
                } else if (has_prefix_suffix(f, "bad-", ".expected")) {
                        if (!named_bad(f, ".expected"))
                                fail_msg("%s has no bad-*.ini in bad_cases[]", f);
                } else
                        fail_msg("%s: golden files are good-*.ini, bad-*.ini and bad-*.expected", f);
        }
        closedir(d);
        assert_int_equal(n_bad, sizeof(bad_cases) / sizeof(bad_cases[0]));
        assert_true(n_good >= 5);
}

static void test_nonexistent_file(void **state) {
        struct satmc_config *c = NULL;
        struct capture cap;

        capture_open(&cap);
        assert_int_equal(config_load("does-not-exist.ini", cap.f, &c), -ENOENT);
        capture_close(&cap);
        assert_string_equal(cap.buf, "");
        assert_null(c);
        free(cap.buf);
}

/* A directory opens fine and then fails to read: an errno, not five "required" lines. */
static void test_directory(void **state) {
        struct satmc_config *c = NULL;
        struct capture cap;

        capture_open(&cap);
        assert_int_equal(config_load(".", cap.f, &c), -EISDIR);
        capture_close(&cap);
        assert_string_equal(cap.buf, "");
        assert_null(c);
        free(cap.buf);
}

/* ---- one key at a time, from memory ---- */

static uint64_t get_address(const struct satmc_config *c) { return c->address; }
static uint64_t get_max_msg_len(const struct satmc_config *c) { return c->max_msg_len; }
static uint64_t get_dup(const struct satmc_config *c) { return c->duplicate_window_ms; }
static uint64_t get_receiver(const struct satmc_config *c) { return c->event_receiver; }
static uint64_t get_log_level(const struct satmc_config *c) { return (uint64_t) c->log_level; }
static uint64_t get_transport(const struct satmc_config *c) { return c->transport; }
static uint64_t get_device_id(const struct satmc_config *c) { return c->identity.device_id; }
static uint64_t get_revision(const struct satmc_config *c) { return c->identity.device_revision; }
static uint64_t get_ipmi(const struct satmc_config *c) { return c->identity.ipmi_version; }
static uint64_t get_manuf(const struct satmc_config *c) { return c->identity.manufacturer_id; }
static uint64_t get_product(const struct satmc_config *c) { return c->identity.product_id; }
static uint64_t get_devsup(const struct satmc_config *c) { return c->identity.device_support; }
static uint64_t get_guid0(const struct satmc_config *c) { return c->identity.guid[0]; }

static uint64_t get_fw(const struct satmc_config *c) {
        return (uint64_t) c->identity.fw_major << 8 | c->identity.fw_minor;
}

/* The four bytes big-endian, or 1 << 32 for "none". */
static uint64_t get_aux(const struct satmc_config *c) {
        const uint8_t *b = c->identity.aux_fw_rev;

        if (!c->identity.has_aux_fw_rev)
                return UINT64_C(1) << 32;
        return (uint64_t) b[0] << 24 | (uint64_t) b[1] << 16 | (uint64_t) b[2] << 8 | b[3];
}

static uint64_t get_ipmitool_socket_none(const struct satmc_config *c) {
        return c->ipmitool_socket == NULL;
}

static uint64_t get_ipmitool_max_clients(const struct satmc_config *c) {
        return c->ipmitool_max_clients;
}

static uint64_t get_ipmitool_request_timeout(const struct satmc_config *c) {
        return c->ipmitool_request_timeout_ms;
}

static uint64_t get_ipmitool_socket_mode(const struct satmc_config *c) {
        return c->ipmitool_socket_mode;
}

static uint64_t get_nbd_socket_mode(const struct satmc_config *c) {
        return c->nbd_socket_mode;
}

static uint64_t get_nbd_tcp_max_clients(const struct satmc_config *c) {
        return c->nbd_tcp_max_clients;
}

static uint64_t get_nbd_handshake_timeout(const struct satmc_config *c) {
        return c->nbd_handshake_timeout_ms;
}

static uint64_t get_nbd_idle_timeout(const struct satmc_config *c) {
        return c->nbd_idle_timeout_ms;
}

static uint64_t get_state_directory_is_x(const struct satmc_config *c) {
        return strcmp(c->state_directory, "/x") == 0;
}
static uint64_t get_fru0_mfg(const struct satmc_config *c) {
        return (uint64_t) c->fru[0].board_mfg_minutes;
}
/* fru.0's multirecord records as stored (type, length, data, ...): up to 8 bytes as a
 * big-endian number; longer, its length << 8 | the number of records. */
static uint64_t get_fru0_multirecord(const struct satmc_config *c) {
        const struct fru_config *f = &c->fru[0];
        uint64_t v = 0, n = 0;

        if (f->multirecord_len > 8) {
                for (size_t p = 0; p + 2 <= f->multirecord_len; p += 2 + f->multirecord[p + 1])
                        n++;
                return (uint64_t) f->multirecord_len << 8 | n;
        }
        for (size_t i = 0; i < f->multirecord_len; i++)
                v = v << 8 | f->multirecord[i];
        return v;
}

static uint64_t get_fru0_size(const struct satmc_config *c) { return c->fru[0].size; }
static uint64_t get_fru0_wp(const struct satmc_config *c) { return c->fru[0].write_protect; }
static uint64_t get_fru0_chassis_type(const struct satmc_config *c) {
        return (uint64_t) (int64_t) c->fru[0].chassis_type;
}
static uint64_t get_fru0_board_custom(const struct satmc_config *c) {
        const struct fru_custom_list *l = &c->fru[0].board_custom;
        return l->n == 2 && strcmp(l->items[0], "ab") == 0 && strcmp(l->items[1], "c d") == 0;
}
static uint64_t get_fru0_name_none(const struct satmc_config *c) {
        return c->fru[0].present && !c->fru[0].board_product_name;
}

static uint64_t get_s0_type(const struct satmc_config *c) { return c->sensor[0].sensor_type; }
static uint64_t get_s0_unit(const struct satmc_config *c) {
        return config_sensor_unit(&c->sensor[0]);
}
/* The file's scale in millionths, or 0 for no file source. */
static uint64_t get_s0_scale(const struct satmc_config *c) {
        const struct sensor_source_config *src = &c->sensor[0].source;

        return src->kind == SENSOR_SOURCE_FILE ? (uint64_t) (src->file.scale * 1e6 + 0.5) : 0;
}
static uint64_t get_s0_path_len(const struct satmc_config *c) {
        const struct sensor_source_config *src = &c->sensor[0].source;

        return src->kind == SENSOR_SOURCE_FILE ? strlen(src->file.path) : 0;
}
static uint64_t get_s0_kind(const struct satmc_config *c) { return c->sensor[0].source.kind; }
/* A GPIO source as line | active-low << 16 | chip length << 20; 0 for another kind. */
static uint64_t get_s0_gpio(const struct satmc_config *c) {
        const struct sensor_source_config *src = &c->sensor[0].source;

        if (src->kind != SENSOR_SOURCE_GPIO)
                return 0;
        return src->gpio.line | (uint64_t) src->gpio.active_low << 16 |
               (uint64_t) strlen(src->gpio.chip) << 20;
}
/* "gpio:INT34C5:00:5": the chip keeps its colon. */
static uint64_t get_s0_gpio_chip_is_acpi(const struct satmc_config *c) {
        return c->sensor[0].source.kind == SENSOR_SOURCE_GPIO &&
               strcmp(c->sensor[0].source.gpio.chip, "INT34C5:00") == 0;
}
/* An SMBus source as bus << 32 | address << 24 | register << 16 | width << 8 | signed. */
static uint64_t get_s0_smbus(const struct satmc_config *c) {
        const struct sensor_source_config *src = &c->sensor[0].source;

        if (src->kind != SENSOR_SOURCE_SMBUS)
                return 0;
        return (uint64_t) src->smbus.bus << 32 | (uint64_t) src->smbus.address << 24 |
               (uint64_t) src->smbus.reg << 16 | (uint64_t) src->smbus.width << 8 |
               src->smbus.is_signed;
}
/* The SMBus scale in units of 1e-8 (1/256 = 390625), two's complement when negative. */
static uint64_t get_s0_smbus_scale(const struct satmc_config *c) {
        return (uint64_t) (int64_t) llround(c->sensor[0].source.smbus.scale * 1e8);
}

static uint64_t get_s0_ucr_none(const struct satmc_config *c) {
        return isnan(c->sensor[0].thresholds[SENSOR_THR_UCR]);
}
static uint64_t get_s0_range_hi(const struct satmc_config *c) {
        return (uint64_t) c->sensor[0].range.hi;
}
static uint64_t get_s0_name_len(const struct satmc_config *c) {
        return c->sensor[0].name ? strlen(c->sensor[0].name) : 0;
}
static uint64_t get_s63_poll(const struct satmc_config *c) {
        return c->sensor[63].present ? c->sensor[63].poll_ms : 0;
}
static uint64_t get_s0_entity(const struct satmc_config *c) {
        return (uint64_t) c->sensor[0].entity_id << 8 | c->sensor[0].entity_instance;
}
/* LUN << 8 | number, after config_load() resolved auto. */
static uint64_t get_s0_address(const struct satmc_config *c) {
        return (uint64_t) c->sensor[0].lun << 8 | (uint64_t) c->sensor[0].number;
}
static uint64_t get_s254_number(const struct satmc_config *c) {
        return c->sensor[254].present ? (uint64_t) c->sensor[254].number : 0;
}
static uint64_t get_s0_nominal(const struct satmc_config *c) {
        return isnan(c->sensor[0].nominal) ? UINT64_MAX : (uint64_t) c->sensor[0].nominal;
}
/* assertion << 16 | deassertion << 8 | settable, SENSOR_THR_* bits. */
static uint64_t get_s0_threshold_sets(const struct satmc_config *c) {
        const struct sensor_config *s = &c->sensor[0];

        return (uint64_t) s->assertion_events << 16 | (uint64_t) s->deassertion_events << 8 |
               s->settable_thresholds;
}
static uint64_t get_mc_entity(const struct satmc_config *c) {
        return (uint64_t) c->entity_id << 8 | c->entity_instance;
}
/* entity << 8 | instance + 1 (0: auto). */
static uint64_t get_fru0_entity(const struct satmc_config *c) {
        return (uint64_t) c->fru[0].entity_id << 8 | (uint64_t) (c->fru[0].entity_instance + 1);
}

struct value_case {
        const char *section, *key, *value;
        const char *reason;                     /* the message after "mem.ini:2: "; NULL: accepted */
        uint64_t (*get)(const struct satmc_config *c);
        uint64_t expect;
};

#define OK(s, k, v, get, e)     { s, k, v, NULL, get, e }
#define BAD(s, k, v, reason)    { s, k, v, reason, NULL, 0 }
#define NOT_NUM(s, k, v)            BAD(s, k, v, "\"" v "\" is not a number")
#define RANGE(s, k, v, lo, hi)  BAD(s, k, v, k " must be between " lo " and " hi ", not " v)
#define ODD(v, more)            BAD("mc", "address", v, "address " v " is odd: IPMB addresses " \
                                    "are 8-bit (7-bit << 1)" more)
#define FW_OK(v, e)             OK("identity", "firmware-version", v, get_fw, e)
#define FW_BAD(v)               BAD("identity", "firmware-version", v, "firmware-version \"" v \
                                    "\" must be MAJOR.MM (major 0..127, two minor digits, e.g. 1.05)")
#define IPMI_BAD(v)             BAD("identity", "ipmi-version", v, "ipmi-version \"" v \
                                    "\" must be 1.0, 1.5 or 2.0")
#define GUID_BAD(v)             BAD("identity", "guid", v, "guid \"" v "\" must look like " \
                                    "01234567-89ab-cdef-0123-456789abcdef")
#define LOG_BAD(v)              BAD("mc", "log-level", v, "unknown log level \"" v \
                                    "\" (err, warning, notice, info, debug)")
#define DEVSUP_BAD(v, w)        BAD("identity", "device-support", v, "unknown device-support \"" \
                                    w "\" (sensor, sdr-repository, sel, fru-inventory, " \
                                    "event-receiver, event-generator, bridge, chassis)")
#define AUX_BAD(v)              BAD("identity", "aux-firmware-revision", v, \
                                    "aux-firmware-revision \"" v "\" must be a 32-bit number " \
                                    "such as 0x01020304, or none")

#define SRC_BAD(v, reason)      BAD("sensor.0", "source", v, reason)
#define GPIO_FORM(v)            SRC_BAD(v, "source \"" v "\" must be gpio:CHIP:LINE[:active-low]")
#define GPIO_END(v, last)       SRC_BAD(v, "source \"" v "\" must end in :LINE or " \
                                        ":LINE:active-low, not \":" last "\"")
#define SMBUS_GRAMMAR           "smbus:BUS:ADDR:REG[:byte|word|word-be][:bit=N|:mask=M][:signed][:SCALE]"
#define SMBUS_FORM(v)           SRC_BAD(v, "source \"" v "\" must be " SMBUS_GRAMMAR)
#define SMBUS_ORDER(v, field)   SRC_BAD(v, "smbus field \"" field "\" repeated or out of " \
                                        "order: " SMBUS_GRAMMAR)
#define SMBUS_FIELD(field)      SRC_BAD("smbus:3:0x48:0:" field, "smbus field \"" field "\" is " \
                                        "not byte, word, word-be, bit=, mask=, signed or a " \
                                        "scale")
#define SMBUS_V(bus, addr, reg, width, sign) \
        ((uint64_t) (bus) << 32 | (uint64_t) (addr) << 24 | (uint64_t) (reg) << 16 | \
         (uint64_t) (width) << 8 | (sign))
#define CHIP16                  "abcdefghijklmnop"
#define CHIP127                 CHIP16 CHIP16 CHIP16 CHIP16 CHIP16 CHIP16 CHIP16 \
                                "abcdefghijklmno"

static const struct value_case value_cases[] = {
        OK("mc", "address", "0x10", get_address, 0x10),
        OK("mc", "address", "0xee", get_address, 0xEE),
        OK("mc", "address", "114", get_address, 0x72),
        OK("mc", "address", "0X72", get_address, 0x72),
        OK("mc", "address", "0x0072", get_address, 0x72),
        OK("mc", "address", "  0x72  ", get_address, 0x72),
        ODD("0x21", "; did you mean 0x42?"),
        ODD("0x77", "; did you mean 0xee?"),
        ODD("0x79", ""),
        RANGE("mc", "address", "0x0e", "16", "238 (0x10..0xee)"),
        RANGE("mc", "address", "256", "16", "238 (0x10..0xee)"),
        NOT_NUM("mc", "address", "0x"),
        NOT_NUM("mc", "address", "72h"),
        NOT_NUM("mc", "address", "0x1g"),
        NOT_NUM("mc", "address", ""),

        /* Events go to an IPMB node: never into the I2C reserved ranges (0x00 is the general
         * call), whose addresses ipmb_addr_is_node() refuses as requesters too. */
        OK("mc", "event-receiver", "0x10", get_receiver, 0x10),
        OK("mc", "event-receiver", "0xee", get_receiver, 0xEE),
        OK("mc", "event-receiver", "none", get_receiver, 0xFF),
        OK("mc", "event-receiver", "0xff", get_receiver, 0xFF),
        RANGE("mc", "event-receiver", "0x02", "16", "238 (0x10..0xee)"),
        RANGE("mc", "event-receiver", "0x0e", "16", "238 (0x10..0xee)"),
        RANGE("mc", "event-receiver", "0xf0", "16", "238 (0x10..0xee)"),
        RANGE("mc", "event-receiver", "0xfe", "16", "238 (0x10..0xee)"),

        OK("mc", "max-message-length", "32", get_max_msg_len, 32),
        OK("mc", "max-message-length", "128", get_max_msg_len, 128),
        OK("mc", "max-message-length", "0x80", get_max_msg_len, 128),
        NOT_NUM("mc", "max-message-length", "+64"),
        NOT_NUM("mc", "max-message-length", "64.0"),
        NOT_NUM("mc", "max-message-length", "1e2"),

        OK("mc", "duplicate-window-ms", "0", get_dup, 0),
        OK("mc", "duplicate-window-ms", "60000", get_dup, 60000),
        OK("mc", "duplicate-window-ms", "010", get_dup, 10),
        RANGE("mc", "duplicate-window-ms", "60001", "0", "60000 (0x0..0xea60)"),
        RANGE("mc", "duplicate-window-ms", "4294967296", "0", "60000 (0x0..0xea60)"),
        NOT_NUM("mc", "duplicate-window-ms", "99999999999999999999999"),
        NOT_NUM("mc", "duplicate-window-ms", "1 000"),

        OK("mc", "log-level", "err", get_log_level, LOG_ERR),
        OK("mc", "log-level", "warning", get_log_level, LOG_WARNING),
        OK("mc", "log-level", "notice", get_log_level, LOG_NOTICE),
        OK("mc", "log-level", "info", get_log_level, LOG_INFO),
        OK("mc", "log-level", "debug", get_log_level, LOG_DEBUG),
        OK("mc", "log-level", "Debug", get_log_level, LOG_DEBUG),
        OK("mc", "log-level", "emerg", get_log_level, LOG_EMERG),
        OK("mc", "log-level", "crit", get_log_level, LOG_CRIT),
        OK("mc", "log-level", "0", get_log_level, 0),
        OK("mc", "log-level", "7", get_log_level, 7),
        LOG_BAD("8"),
        LOG_BAD("warn"),
        LOG_BAD(""),

        OK("transport", "type", "chardev", get_transport, TRANSPORT_KIND_CHARDEV),
        OK("transport", "type", "emulated", get_transport, TRANSPORT_KIND_EMULATED),
        BAD("transport", "type", "Emulated", "unknown transport \"Emulated\" (chardev or emulated)"),
        BAD("transport", "type", "", "unknown transport \"\" (chardev or emulated)"),
        BAD("transport", "device", "", "device must not be empty"),
        BAD("transport", "bus-socket", "", "bus-socket must not be empty"),

        OK("identity", "device-id", "0xff", get_device_id, 255),
        RANGE("identity", "device-id", "256", "0", "255 (0x0..0xff)"),
        OK("identity", "device-revision", "15", get_revision, 15),
        RANGE("identity", "device-revision", "16", "0", "15 (0x0..0xf)"),

        FW_OK("0.00", 0x0000),
        FW_OK("127.99", 0x7F63),
        FW_OK("01.05", 0x0105),
        FW_OK("1.50", 0x0132),
        FW_OK("10.01", 0x0A01),
        FW_BAD("1"),
        FW_BAD("1."),
        FW_BAD("1.005"),
        FW_BAD(".05"),
        FW_BAD("-1.05"),
        FW_BAD("+1.05"),
        FW_BAD("1,05"),
        FW_BAD("1.0x"),
        FW_BAD("200.00"),
        FW_BAD("99999999.00"),

        OK("identity", "ipmi-version", "1.0", get_ipmi, 0x01),
        OK("identity", "ipmi-version", "1.5", get_ipmi, 0x51),
        OK("identity", "ipmi-version", "2.0", get_ipmi, 0x02),
        IPMI_BAD("2.00"),
        IPMI_BAD("v2.0"),
        IPMI_BAD("1.50"),

        OK("identity", "manufacturer-id", "0xFFFFF", get_manuf, 0xFFFFF),
        RANGE("identity", "manufacturer-id", "1048576", "0", "1048575 (0x0..0xfffff)"),
        OK("identity", "product-id", "65535", get_product, 0xFFFF),
        RANGE("identity", "product-id", "0x10000", "0", "65535 (0x0..0xffff)"),

        OK("identity", "guid", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFF00", get_guid0, 0x00),
        OK("identity", "guid", "00000000-0000-0000-0000-0000000000aB", get_guid0, 0xAB),
        GUID_BAD("{01234567-89ab-cdef-0011-223344556677}"),
        GUID_BAD("01234567-89ab-cdef-0011-223344556677-"),
        GUID_BAD("0123456789abcdef0011223344556677"),
        GUID_BAD("01234567 89ab cdef 0011 223344556677"),

        OK("identity", "device-support", "", get_devsup, 0),
        OK("identity", "device-support", "none", get_devsup, 0),
        OK("identity", "device-support", "none sel", get_devsup, IPMI_DEVSUP_SEL),
        OK("identity", "device-support", "sensor,sensor", get_devsup, IPMI_DEVSUP_SENSOR),
        OK("identity", "device-support", "sensor, sdr-repository,sel", get_devsup, 0x07),
        OK("identity", "device-support", "event-receiver event-generator", get_devsup, 0x30),
        OK("identity", "device-support", "chassis bridge", get_devsup,
           IPMI_DEVSUP_CHASSIS | IPMI_DEVSUP_BRIDGE),
        DEVSUP_BAD("Sensor", "Sensor"),
        DEVSUP_BAD("sel fru", "fru"),

        OK("identity", "aux-firmware-revision", "none", get_aux, UINT64_C(1) << 32),
        OK("identity", "aux-firmware-revision", "0x0a0b0c0d", get_aux, 0x0a0b0c0d),
        OK("identity", "aux-firmware-revision", "16909060", get_aux, 0x01020304),
        OK("identity", "aux-firmware-revision", "0", get_aux, 0),
        AUX_BAD("1.2.3.4"),
        AUX_BAD("-1"),
        AUX_BAD("0x1 0x2"),
        AUX_BAD(""),

        OK("ipmitool", "socket", "none", get_ipmitool_socket_none, 1),
        OK("ipmitool", "socket", "/run/x.sock", get_ipmitool_socket_none, 0),
        BAD("ipmitool", "socket", "relative.sock",
            "socket must be an absolute path of at most 107 characters, or none"),
        OK("ipmitool", "max-clients", "1", get_ipmitool_max_clients, 1),
        OK("ipmitool", "max-clients", "256", get_ipmitool_max_clients, 256),
        RANGE("ipmitool", "max-clients", "0", "1", "256 (0x1..0x100)"),
        OK("ipmitool", "request-timeout-ms", "100", get_ipmitool_request_timeout, 100),
        RANGE("ipmitool", "request-timeout-ms", "0", "100", "600000 (0x64..0x927c0)"),
        OK("ipmitool", "socket-mode", "0660", get_ipmitool_socket_mode, 0660),
        OK("ipmitool", "socket-mode", "600", get_ipmitool_socket_mode, 0600),
        OK("ipmitool", "socket-mode", "0", get_ipmitool_socket_mode, 0),
        OK("ipmitool", "socket-mode", "0777", get_ipmitool_socket_mode, 0777),
        BAD("ipmitool", "socket-mode", "0778", "socket-mode \"0778\" must be permission bits in "
            "octal, 0000..0777 (e.g. 0660)"),
        BAD("ipmitool", "socket-mode", "1777", "socket-mode \"1777\" must be permission bits in "
            "octal, 0000..0777 (e.g. 0660)"),
        BAD("ipmitool", "socket-mode", "rw-rw----", "socket-mode \"rw-rw----\" must be "
            "permission bits in octal, 0000..0777 (e.g. 0660)"),
        BAD("ipmitool", "socket-mode", "-660", "socket-mode \"-660\" must be permission bits in "
            "octal, 0000..0777 (e.g. 0660)"),
        BAD("ipmitool", "socket-mode", "0x1b0", "socket-mode \"0x1b0\" must be permission bits "
            "in octal, 0000..0777 (e.g. 0660)"),
        OK("nbd", "socket-mode", "0640", get_nbd_socket_mode, 0640),
        OK("nbd", "tcp-max-clients", "256", get_nbd_tcp_max_clients, 256),
        RANGE("nbd", "tcp-max-clients", "0", "1", "256 (0x1..0x100)"),
        OK("nbd", "handshake-timeout-ms", "600000", get_nbd_handshake_timeout, 600000),
        RANGE("nbd", "handshake-timeout-ms", "99", "100", "600000 (0x64..0x927c0)"),
        OK("nbd", "idle-timeout-ms", "0", get_nbd_idle_timeout, 0),
        OK("nbd", "idle-timeout-ms", "4294967295", get_nbd_idle_timeout, 4294967295u),

        OK("storage", "state-directory", "/x", get_state_directory_is_x, 1),
        BAD("storage", "state-directory", "var/lib", "state-directory must be an absolute path"),

        OK("fru.0", "board-manufacturing-date", "1996-01-01 00:00", get_fru0_mfg, 0),
        OK("fru.0", "board-manufacturing-date", "1996-01-02 00:01", get_fru0_mfg, 1441),
        OK("fru.0", "board-manufacturing-date", "2027-11-24 20:15", get_fru0_mfg, 0xFFFFFF),
        OK("fru.0", "board-manufacturing-date", "none", get_fru0_mfg, (uint64_t) -1),
        BAD("fru.0", "board-manufacturing-date", "2027-11-24 20:16",
            "board-manufacturing-date \"2027-11-24 20:16\" is outside 1996-01-01 00:00 .. "
            "2027-11-24 20:15 (3 bytes of minutes)"),
        BAD("fru.0", "board-manufacturing-date", "1995-12-31 23:59",
            "board-manufacturing-date \"1995-12-31 23:59\" is outside 1996-01-01 00:00 .. "
            "2027-11-24 20:15 (3 bytes of minutes)"),
        BAD("fru.0", "board-manufacturing-date", "2023-02-29 10:00",
            "board-manufacturing-date \"2023-02-29 10:00\" must be YYYY-MM-DD HH:MM (UTC), or none"),
        BAD("fru.0", "board-manufacturing-date", "2024-1-05 10:00",
            "board-manufacturing-date \"2024-1-05 10:00\" must be YYYY-MM-DD HH:MM (UTC), or none"),
        OK("fru.0", "board-manufacturing-date", "2024-02-29 23:59", get_fru0_mfg, 14813279),
        OK("fru.0", "size", "auto", get_fru0_size, 0),
        /* Type, length, data; protocol/fru.c writes the headers. */
        OK("fru.0", "multirecord", "0xC0:5a31 01", get_fru0_multirecord, 0xc0035a3101),
        OK("fru.0", "multirecord", "0xC0:5a31, 0xC1:00, 0x04:", get_fru0_multirecord, 0x0903),
        /* Types the spec lays out are held to their layout (a 23-byte power supply record). */
        OK("fru.0", "multirecord", "0x01:01 b004 c4ff 3c00 7800 0000 a00f", get_fru0_multirecord,
           0x0f01),
        BAD("fru.0", "multirecord", "0x00:" "0000000000000000000000000000000000000000000000",
            "multirecord record 1: power supply record (type 0x00) is 23 bytes, the spec's "
            "layout is 24"),
        BAD("fru.0", "multirecord", "0xC0:00, 0x01:00", "multirecord record 2: DC output record "
            "(type 0x01) is 1 byte, the spec's layout is 13"),
        BAD("fru.0", "multirecord", "0x03:08 6c6f6e67", "multirecord record 1: management "
            "access record: sub-record type 0x08, must be 0x01..0x07"),
        OK("fru.0", "multirecord", "none", get_fru0_multirecord, 0),
        BAD("fru.0", "multirecord", "5a31", "multirecord \"5a31\" must be TYPE:HEXBYTES records "
            "separated by commas (e.g. 0xC0:5a3101), or none"),
        BAD("fru.0", "multirecord", "0x100:00", "multirecord \"0x100:00\" must be TYPE:HEXBYTES "
            "records separated by commas (e.g. 0xC0:5a3101), or none"),
        BAD("fru.0", "multirecord", "0xC0:5a3", "multirecord \"0xC0:5a3\" must be TYPE:HEXBYTES "
            "records separated by commas (e.g. 0xC0:5a3101), or none"),
        OK("fru.0", "size", "65535", get_fru0_size, 65535),
        RANGE("fru.0", "size", "65536", "8", "65535 (0x8..0xffff)"),
        OK("fru.0", "write-protect", "yes", get_fru0_wp, 1),
        OK("fru.0", "write-protect", "off", get_fru0_wp, 0),
        BAD("fru.0", "write-protect", "maybe",
            "write-protect \"maybe\" must be yes or no (true/false, on/off, 1/0)"),
        OK("fru.0", "chassis-type", "0x17", get_fru0_chassis_type, 0x17),
        OK("fru.0", "chassis-type", "none", get_fru0_chassis_type, (uint64_t) -1),
        OK("fru.0", "board-custom", " ab ,c d", get_fru0_board_custom, 1),
        BAD("fru.0", "board-custom", "ab,,cd", "board-custom: empty custom field 2"),
        BAD("fru.0", "board-custom", "a1,b2,c3,d4,e5,f6,g7,h8,i9",
            "board-custom: at most 8 custom fields"),
        OK("fru.0", "board-product-name", "none", get_fru0_name_none, 1),
        BAD("fru.0", "board-product-name", "X", "board-product-name \"X\" is one character; "
            "a FRU text field needs two or more (0xC1 would read as the end marker)"),
        BAD("fru.0", "board-product-name",
            "0123456789012345678901234567890123456789012345678901234567890123",
            "board-product-name is 64 characters; a FRU field holds at most 63"),
        BAD("fru.0", "product-name", "tab\there", "product-name must be printable ASCII"),
        OK("sensor.0", "type", "fan", get_s0_type, 0x04),
        OK("sensor.0", "type", "power", get_s0_type, 0x0B),
        OK("sensor.0", "type", "temperature", get_s0_unit, 0x01),    /* unit auto */
        OK("sensor.0", "unit", "rpm", get_s0_unit, 0x12),
        OK("sensor.0", "source", "file:/sys/x/temp1_input:0.001", get_s0_scale, 1000),
        OK("sensor.0", "source", "file:/sys/x/temp1_input", get_s0_scale, 1000000),
        OK("sensor.0", "source", "file:/a:b/c", get_s0_path_len, 6),
        OK("sensor.0", "source", "none", get_s0_scale, 0),
        BAD("sensor.0", "source", "file:/x:0", "source \"file:/x:0\": the scale must not be 0"),
        BAD("sensor.0", "source", "file:relative",
            "source \"file:relative\" must be file:/ABSOLUTE/PATH[:SCALE] or none"),
        BAD("sensor.0", "source", "file:", "source \"file:\" must be file:/ABSOLUTE/PATH[:SCALE] "
            "or none"),
        BAD("sensor.0", "source", "file:/:2", "source \"file:/:2\" must be "
            "file:/ABSOLUTE/PATH[:SCALE] or none"),
        OK("sensor.0", "source", "file:/x", get_s0_kind, SENSOR_SOURCE_FILE),
        OK("sensor.0", "source", "none", get_s0_kind, SENSOR_SOURCE_NONE),
        SRC_BAD("hwmon:temp1", "unknown source \"hwmon:temp1\" (file:, gpio:, smbus:, pmbus: or "
                "none)"),
        SRC_BAD("gpio", "unknown source \"gpio\" (file:, gpio:, smbus:, pmbus: or none)"),
        SRC_BAD("GPIO:gpiochip0:1", "unknown source \"GPIO:gpiochip0:1\" (file:, gpio:, smbus:, pmbus: "
                "or none)"),

        /* gpio:CHIP:LINE[:active-low] */
        OK("sensor.0", "source", "gpio:gpiochip0:17", get_s0_kind, SENSOR_SOURCE_GPIO),
        OK("sensor.0", "source", "gpio:gpiochip0:17", get_s0_gpio, 17 | 9 << 20),
        OK("sensor.0", "source", "gpio:gpiochip0:17:active-low", get_s0_gpio,
           17 | 1 << 16 | 9 << 20),
        OK("sensor.0", "source", "gpio:/dev/gpiochip2:0x1f", get_s0_gpio, 31 | 14 << 20),
        OK("sensor.0", "source", "gpio:0:017", get_s0_gpio, 17 | 1 << 20),     /* not octal */
        OK("sensor.0", "source", "gpio:0:65535", get_s0_gpio, 65535 | 1 << 20),
        OK("sensor.0", "source", "gpio:INT34C5:00:5:active-low", get_s0_gpio,
           5 | 1 << 16 | 10 << 20),
        OK("sensor.0", "source", "gpio:INT34C5:00:5", get_s0_gpio_chip_is_acpi, 1),
        OK("sensor.0", "source", "gpio:" CHIP127 ":1", get_s0_gpio, 1 | 127 << 20),
        GPIO_FORM("gpio:"),
        GPIO_FORM("gpio:gpiochip0"),
        GPIO_FORM("gpio:17"),
        GPIO_FORM("gpio:gpiochip0:active-low"),
        GPIO_FORM("gpio:active-low"),
        SRC_BAD("gpio::17", "gpio chip is empty: gpio:CHIP:LINE[:active-low]"),
        SRC_BAD("gpio::17:active-low", "gpio chip is empty: gpio:CHIP:LINE[:active-low]"),
        GPIO_END("gpio:gpiochip0:", ""),
        GPIO_END("gpio:gpiochip0:17:active-high", "active-high"),
        GPIO_END("gpio:gpiochip0:17:active-low:x", "x"),
        GPIO_END("gpio:gpiochip0:1 7", "1 7"),
        GPIO_END("gpio:gpiochip0:-1", "-1"),
        GPIO_END("gpio:gpiochip0:+1", "+1"),
        GPIO_END("gpio:gpiochip0:0x", "0x"),
        GPIO_END("gpio:gpiochip0:1.5", "1.5"),
        SRC_BAD("gpio:gpiochip0:65536", "gpio line 65536 outside 0..65535"),
        SRC_BAD("gpio:gpiochip0:99999999999999999999999", "gpio line 99999999999999999999999 "
                "outside 0..65535"),
        SRC_BAD("gpio:" CHIP127 "x:1", "gpio chip is 128 characters, at most 127"),
        SRC_BAD("gpio:chip\x01:1", "gpio chip must be printable ASCII"),

        /* smbus:BUS:ADDR:REG[:byte|word|word-be][:signed][:SCALE] */
        OK("sensor.0", "source", "smbus:3:0x48:0x00:word:signed:0.00390625", get_s0_kind,
           SENSOR_SOURCE_SMBUS),
        OK("sensor.0", "source", "smbus:3:0x48:0x00:word:signed:0.00390625", get_s0_smbus,
           SMBUS_V(3, 0x48, 0, SMBUS_WIDTH_WORD, 1)),
        OK("sensor.0", "source", "smbus:3:0x48:0x00:word:signed:0.00390625", get_s0_smbus_scale,
           390625),
        OK("sensor.0", "source", "smbus:3:0x48:0", get_s0_smbus,
           SMBUS_V(3, 0x48, 0, SMBUS_WIDTH_BYTE, 0)),
        OK("sensor.0", "source", "smbus:3:0x48:0", get_s0_smbus_scale, 100000000),
        OK("sensor.0", "source", "smbus:0:8:255", get_s0_smbus,
           SMBUS_V(0, 0x08, 0xFF, SMBUS_WIDTH_BYTE, 0)),
        OK("sensor.0", "source", "smbus:1:0x77:0xff:word-be", get_s0_smbus,
           SMBUS_V(1, 0x77, 0xFF, SMBUS_WIDTH_WORD_BE, 0)),
        OK("sensor.0", "source", "smbus:1:0x50:2:byte", get_s0_smbus,
           SMBUS_V(1, 0x50, 2, SMBUS_WIDTH_BYTE, 0)),
        OK("sensor.0", "source", "smbus:1:0x50:2:signed", get_s0_smbus,
           SMBUS_V(1, 0x50, 2, SMBUS_WIDTH_BYTE, 1)),
        OK("sensor.0", "source", "smbus:1:0x50:2:0.5", get_s0_smbus_scale, 50000000),
        OK("sensor.0", "source", "smbus:1:0x50:2:signed:1e-3", get_s0_smbus_scale, 100000),
        OK("sensor.0", "source", "smbus:1:0x50:2:byte:-2", get_s0_smbus_scale,
           (uint64_t) -200000000),
        OK("sensor.0", "source", "smbus:2147483647:0x50:0", get_s0_smbus,
           SMBUS_V(2147483647, 0x50, 0, SMBUS_WIDTH_BYTE, 0)),
        SMBUS_FORM("smbus:"),
        SMBUS_FORM("smbus:3"),
        SMBUS_FORM("smbus:3:0x48"),
        SRC_BAD("smbus:3::0", "source \"smbus:3::0\" has an empty field: " SMBUS_GRAMMAR),
        SRC_BAD("smbus:3:0x48:0:", "source \"smbus:3:0x48:0:\" has an empty field: "
                SMBUS_GRAMMAR),
        SRC_BAD("smbus:3:0x48:0::word", "source \"smbus:3:0x48:0::word\" has an empty field: "
                SMBUS_GRAMMAR),
        SRC_BAD("smbus:3:0x48:0:word:bit=1:signed:1:x", "source "
                "\"smbus:3:0x48:0:word:bit=1:signed:1:x\" has too many fields: " SMBUS_GRAMMAR),
        SRC_BAD("smbus:-1:0x48:0", "smbus bus \"-1\" is not a number"),
        SRC_BAD("smbus:i2c-3:0x48:0", "smbus bus \"i2c-3\" is not a number"),
        SRC_BAD("smbus:2147483648:0x48:0", "smbus bus 2147483648 outside 0..2147483647"),
        SRC_BAD("smbus:99999999999999999999999:0x48:0", "smbus bus 99999999999999999999999 "
                "outside 0..2147483647"),
        SRC_BAD("smbus:3:0x05:0", "smbus address 0x05 outside 0x08..0x77"),
        SRC_BAD("smbus:3:7:0", "smbus address 7 outside 0x08..0x77"),
        SRC_BAD("smbus:3:0x78:0", "smbus address 0x78 outside 0x08..0x77"),
        SRC_BAD("smbus:3:0xee:0", "smbus address 0xee outside 0x08..0x77; addresses are 7-bit: "
                "did you mean 0x77?"),
        SRC_BAD("smbus:3:0xf0:0", "smbus address 0xf0 outside 0x08..0x77"),
        SRC_BAD("smbus:3:0x91:0", "smbus address 0x91 outside 0x08..0x77"),
        SRC_BAD("smbus:3:0x90:0", "smbus address 0x90 outside 0x08..0x77; addresses are 7-bit: "
                "did you mean 0x48?"),
        SRC_BAD("smbus:3:0x1000000000000000000:0", "smbus address 0x1000000000000000000 outside "
                "0x08..0x77"),
        SRC_BAD("smbus:3:x48:0", "smbus address \"x48\" is not a number"),
        SRC_BAD("smbus:3:0x48:256", "smbus register 256 outside 0x00..0xff"),
        SRC_BAD("smbus:3:0x48:0x100", "smbus register 0x100 outside 0x00..0xff"),
        SRC_BAD("smbus:3:0x48:r0", "smbus register \"r0\" is not a number"),
        SMBUS_FIELD("dword"),
        SMBUS_FIELD("Word"),
        SMBUS_FIELD("nan"),
        SMBUS_FIELD("inf"),
        SMBUS_FIELD("1e999"),
        SRC_BAD("smbus:3:0x48:0:0", "smbus scale must not be 0"),
        SRC_BAD("smbus:3:0x48:0:word:-0.0", "smbus scale must not be 0"),
        SMBUS_ORDER("smbus:3:0x48:0:signed:word", "word"),
        SMBUS_ORDER("smbus:3:0x48:0:word:byte", "byte"),
        SMBUS_ORDER("smbus:3:0x48:0:signed:signed", "signed"),
        SMBUS_ORDER("smbus:3:0x48:0:2:signed", "signed"),
        SMBUS_ORDER("smbus:3:0x48:0:2:word", "word"),
        SMBUS_ORDER("smbus:3:0x48:0:2:3", "3"),

        OK("sensor.0", "range", "-1e6..0", get_s0_range_hi, 0),
        OK("sensor.0", "range", "0..20000", get_s0_range_hi, 20000),
        BAD("sensor.0", "range", "0..1e13", "range \"0..1e13\" cannot be expressed with 256 raw "
            "codes (too wide, or too narrow this far from zero)"),
        BAD("sensor.0", "range", "1000.5..1000.501", "range \"1000.5..1000.501\" cannot be "
            "expressed with 256 raw codes (too wide, or too narrow this far from zero)"),
        BAD("sensor.0", "range", "nan..1", "range \"nan..1\" must be LO..HI in engineering "
            "units, e.g. -40..125"),
        BAD("sensor.0", "range", "5", "range \"5\" must be LO..HI in engineering units, e.g. "
            "-40..125"),
        OK("sensor.0", "upper-critical", "none", get_s0_ucr_none, 1),
        OK("sensor.0", "upper-critical", "200", get_s0_ucr_none, 0),
        BAD("sensor.0", "upper-critical", "hot", "upper-critical \"hot\" must be a number in the "
            "sensor's units, or none"),
        BAD("sensor.0", "upper-critical", "300", "upper-critical 300 is outside range 0..255 of "
            "[sensor.0]"),
        OK("sensor.0", "name", "0123456789abcdef", get_s0_name_len, 16),
        OK("sensor.0", "name", "auto", get_s0_name_len, 0),
        BAD("sensor.0", "name", "0123456789abcdefg", "name \"0123456789abcdefg\" is 17 "
            "characters; an SDR ID string holds at most 16"),
        OK("sensor.63", "poll-ms", "60000", get_s63_poll, 60000),
        RANGE("sensor.63", "poll-ms", "99", "100", "60000 (0x64..0xea60)"),

        /* Entities: names of IPMI's table, numbers, reserved numbers refused. */
        OK("sensor.0", "entity", "power-supply", get_s0_entity, 0x0A00),
        OK("sensor.0", "entity", "fan-cooling-device", get_s0_entity, 0x1D00),
        OK("sensor.0", "entity", "0x1d", get_s0_entity, 0x1D00),
        OK("sensor.0", "entity", "208", get_s0_entity, 0xD000),
        OK("sensor.0", "entity", "dcmi-baseboard", get_s0_entity, 0x4200),
        BAD("sensor.0", "entity", "0x36", "entity 0x36 is reserved: IPMI's entity table defines "
            "0x00..0x35, 0x37, 0x40..0x42 and leaves 0x90..0xFF to chassis, board-set and OEM use"),
        BAD("sensor.0", "entity", "256", "entity 256 is above 255: IPMI's entity table defines "
            "0x00..0x35, 0x37, 0x40..0x42 and leaves 0x90..0xFF to chassis, board-set and OEM use"),
        BAD("sensor.0", "entity", "Power-Supply", "unknown entity \"Power-Supply\": a name of "
            "IPMI's entity table (system-board, power-supply, fan-cooling-device, ...; "
            "docs/configuration.md) or a number 0..255"),
        BAD("sensor.0", "entity", "-1", "unknown entity \"-1\": a name of IPMI's entity table "
            "(system-board, power-supply, fan-cooling-device, ...; docs/configuration.md) or a "
            "number 0..255"),
        OK("sensor.0", "entity-instance", "127", get_s0_entity, 0x077F),
        BAD("sensor.0", "entity-instance", "128", "entity-instance \"128\" must be 0..127 (0..95 "
            "system-relative, 96..127 device-relative)"),
        BAD("sensor.0", "entity-instance", "auto", "entity-instance \"auto\" must be 0..127 "
            "(0..95 system-relative, 96..127 device-relative)"),
        OK("mc", "entity", "power-unit", get_mc_entity, 0x1300),
        OK("mc", "entity-instance", "96", get_mc_entity, 0x0760),
        OK("fru.0", "entity", "power-supply", get_fru0_entity, 0x0A00),
        OK("fru.0", "entity-instance", "auto", get_fru0_entity, 0x0700),
        OK("fru.0", "entity-instance", "5", get_fru0_entity, 0x0706),
        BAD("fru.0", "entity-instance", "-1", "entity-instance \"-1\" must be 0..127 or auto "
            "(0..95 system-relative, 96..127 device-relative)"),

        /* Sensor numbers and LUNs. */
        OK("sensor.0", "number", "auto", get_s0_address, 1),
        OK("sensor.0", "number", "0", get_s0_address, 0),
        OK("sensor.0", "number", "254", get_s0_address, 254),
        BAD("sensor.0", "number", "255", "number \"255\" must be 0..254 (0xFF is reserved) or auto"),
        BAD("sensor.0", "number", "0x1ff", "number \"0x1ff\" must be 0..254 (0xFF is reserved) "
            "or auto"),
        OK("sensor.0", "lun", "1", get_s0_address, 0x101),
        OK("sensor.0", "lun", "3", get_s0_address, 0x301),
        BAD("sensor.0", "lun", "2", "lun \"2\" must be 0, 1 or 3 (LUN 2 is the SMS message LUN)"),
        BAD("sensor.0", "lun", "4", "lun \"4\" must be 0, 1 or 3 (LUN 2 is the SMS message LUN)"),
        /* The last section exists; its default number would be 255, so it needs one. */
        OK("sensor.254", "number", "7", get_s254_number, 7),
        BAD("sensor.254", "type", "fan", "[sensor.254] needs a number: the default, index + 1 = "
            "255, is past 254"),

        /* Nominal and normal readings. */
        OK("sensor.0", "nominal", "25", get_s0_nominal, 25),
        OK("sensor.0", "nominal", "none", get_s0_nominal, UINT64_MAX),
        BAD("sensor.0", "nominal", "256", "nominal 256 is outside range 0..255 of [sensor.0]"),
        BAD("sensor.0", "normal-max", "warm", "normal-max \"warm\" must be a number in the "
            "sensor's units, or none"),

        /* Threshold sets. */
        OK("sensor.0", "assertion-events", "none", get_s0_threshold_sets, 0x003F3F),
        OK("sensor.0", "assertion-events", "lcr,upper-critical", get_s0_threshold_sets, 0x123F3F),
        OK("sensor.0", "deassertion-events", " unr , lnc ", get_s0_threshold_sets, 0x3F213F),
        OK("sensor.0", "settable-thresholds", "ucr", get_s0_threshold_sets, 0x3F3F10),
        BAD("sensor.0", "settable-thresholds", "ucr,", "settable-thresholds \"ucr,\" must be all, "
            "none, or thresholds separated by commas (lower-critical or lcr, ...)"),
        BAD("sensor.0", "assertion-events", "ucr,,lcr", "assertion-events \"ucr,,lcr\" must be "
            "all, none, or thresholds separated by commas (lower-critical or lcr, ...)"),
        BAD("sensor.0", "assertion-events", "hot", "assertion-events \"hot\" must be all, none, "
            "or thresholds separated by commas (lower-critical or lcr, ...)"),
        /* The older name parses as the key, for threshold sensors too. */
        OK("sensor.0", "assertions", "lcr,upper-critical", get_s0_threshold_sets, 0x123F3F),
        OK("sensor.0", "deassertions", "none", get_s0_threshold_sets, 0x3F003F),
        BAD("sensor.0", "assertions", "presence", "assertion-events \"presence\" must be all, "
            "none, or thresholds separated by commas (lower-critical or lcr, ...)"),
};

static void test_value(void **state) {
        const struct value_case *t = *state;
        struct satmc_config *c = NULL;
        struct capture cap;
        char *text = NULL, *expected = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        /* The key under test on line 2, then every required key it does not replace. */
        assert_non_null(f);
        fprintf(f, "[%s]\n%s = %s\n", t->section, t->key, t->value);
        for (size_t i = 0; i < sizeof(required_values) / sizeof(required_values[0]); i++)
                if (strcmp(required_values[i].key, t->key) != 0 ||
                    strcmp(required_values[i].section, t->section) != 0)
                        fprintf(f, "[%s]\n%s = %s\n", required_values[i].section,
                                required_values[i].key, required_values[i].value);
        for (size_t i = 0; i < sizeof(companion_values) / sizeof(companion_values[0]); i++)
                if (strcmp(companion_values[i].section, t->section) != 0)
                        fprintf(f, "[%s]\n%s = %s\n", companion_values[i].section,
                                companion_values[i].key, companion_values[i].value);
        assert_int_equal(fclose(f), 0);

        r = load_string(text, "mem.ini", &cap, &c);
        if (t->reason) {
                assert_true(asprintf(&expected, "mem.ini:2: %s\n", t->reason) > 0);
                assert_string_equal(cap.buf, expected);
                assert_int_equal(r, -EINVAL);
                assert_null(c);
        } else {
                assert_string_equal(cap.buf, "");
                assert_int_equal(r, 0);
                assert_string_equal(c->path, "mem.ini");
                assert_int_equal(t->get(c), t->expect);
        }
        config_free(c);
        free(expected);
        free(cap.buf);
        free(text);
}

/* ---- GUIDs ---- */

static void test_guid_wire_order(void **state) {
        static const uint8_t wire[16] = {
                0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
                0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
        };
        uint8_t got[16];
        char text[37];

        assert_int_equal(guid_from_string("01234567-89ab-cdef-0011-223344556677", got), 0);
        assert_memory_equal(got, wire, 16);
        guid_to_string(got, text);
        assert_string_equal(text, "01234567-89ab-cdef-0011-223344556677");

        /* Uppercase is accepted and comes back lowercase. */
        memset(got, 0, sizeof(got));
        assert_int_equal(guid_from_string("01234567-89AB-CDEF-0011-223344556677", got), 0);
        assert_memory_equal(got, wire, 16);
        guid_to_string(got, text);
        assert_string_equal(text, "01234567-89ab-cdef-0011-223344556677");
}

static void test_guid_round_trip(void **state) {
        for (unsigned seed = 0; seed < 64; seed++) {
                uint8_t wire[16], back[16];
                char text[37];

                for (size_t i = 0; i < 16; i++)
                        wire[i] = (uint8_t) (seed * 37u + i * 101u + (seed >> 3) * i);
                guid_to_string(wire, text);
                assert_int_equal(strlen(text), 36);
                assert_int_equal(guid_from_string(text, back), 0);
                assert_memory_equal(back, wire, 16);
        }
}

static void test_guid_rejects(void **state) {
        static const char *const bad[] = {
                "",
                "01234567-89ab-cdef-0011-22334455667",          /* 35 characters */
                "01234567-89ab-cdef-0011-2233445566778",        /* 37 */
                "01234567-89ab-cdef-0011-22334455667g",         /* not hex */
                "01234567-89ab-cdef-0011-22334455667\n",
                "0123456789ab-cdef-0011-2233-44556677",         /* dashes misplaced */
                "01234567089ab-cdef-0011-223344556677",         /* first dash missing */
                "01234567-89ab-cdef-0011+223344556677",
                "-01234567-89ab-cdef-0011-22334455667",
                " 1234567-89ab-cdef-0011-223344556677",
                "0x234567-89ab-cdef-0011-223344556677",
                "{1234567-89ab-cdef-0011-22334455667}",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                uint8_t wire[16];

                memset(wire, 0xAA, sizeof(wire));
                if (guid_from_string(bad[i], wire) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
                for (size_t j = 0; j < 16; j++)
                        assert_int_equal(wire[j], 0xAA);        /* untouched on failure */
        }
}

/* ---- the reference dump ---- */

struct dump_key {
        char section[32];
        char name[48];
        char def[128];                  /* "" when required */
        bool required;
        char description[256];
};

#define MAX_DUMP_KEYS 320

static bool is_name(const char *s, size_t n) {
        if (n == 0 || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                /* '.' for the indexed sections, [fru.0]; '*' for pattern keys, state.* */
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
                      s[i] == '.' || s[i] == '*'))
                        return false;
        return true;
}

static void copy(char *dst, size_t size, const char *src, size_t n) {
        assert_true(n < size);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static char *dump_reference(void) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        config_dump_reference(f);
        assert_int_equal(fclose(f), 0);
        assert_true(len > 0);
        assert_int_equal(text[len - 1], '\n');
        return text;
}

/*
 * Parse the dump, failing on any line that is not: a blank line before a [section]; a
 * [section]; "# description"; then "key = default" or "#key =   (required)".
 */
static size_t parse_dump(const char *text, struct dump_key keys[], size_t max) {
        char section[32] = "";
        const char *description = NULL;
        size_t n = 0, line = 0;
        bool prev_blank = false;

        for (const char *p = text; *p; ) {
                const char *start = p, *nl = strchr(p, '\n');
                size_t len = (size_t) (nl - p);
                char l[512];

                assert_non_null(nl);
                copy(l, sizeof(l), p, len);
                p = nl + 1;
                line++;

                if (len == 0) {
                        if (line == 1 || prev_blank || description || *p != '[')
                                fail_msg("dump line %zu: a blank line only separates sections", line);
                        prev_blank = true;
                        continue;
                }
                prev_blank = false;

                if (l[0] == '[') {
                        if (l[len - 1] != ']' || !is_name(l + 1, len - 2))
                                fail_msg("dump line %zu: bad section header \"%s\"", line, l);
                        if (description)
                                fail_msg("dump line %zu: description without a key", line);
                        for (size_t i = 0; i < n; i++)
                                if (strncmp(keys[i].section, l + 1, len - 2) == 0 &&
                                    strlen(keys[i].section) == len - 2)
                                        fail_msg("dump line %zu: [%s] twice", line, keys[i].section);
                        copy(section, sizeof(section), l + 1, len - 2);
                        continue;
                }
                if (section[0] == '\0')
                        fail_msg("dump line %zu: \"%s\" before any [section]", line, l);

                if (strncmp(l, "# ", 2) == 0) {
                        if (description || len < 3)
                                fail_msg("dump line %zu: a key needs exactly one description", line);
                        description = start + 2;
                        continue;
                }
                if (!description)
                        fail_msg("dump line %zu: \"%s\" has no description before it", line, l);
                assert_true(n < max);

                if (l[0] == '#') {
                        static const char tail[] = " =   (required)";
                        size_t name_len = len - 1 - (sizeof(tail) - 1);

                        if (len <= sizeof(tail) || strcmp(l + len - (sizeof(tail) - 1), tail) != 0 ||
                            !is_name(l + 1, name_len))
                                fail_msg("dump line %zu: \"%s\" is not \"#key =   (required)\"", line, l);
                        copy(keys[n].name, sizeof(keys[n].name), l + 1, name_len);
                        keys[n].def[0] = '\0';
                        keys[n].required = true;
                } else {
                        const char *eq = strstr(l, " = ");

                        if (!eq || !is_name(l, (size_t) (eq - l)) || eq[3] == '\0' ||
                            eq[3] == ' ' || l[len - 1] == ' ')
                                fail_msg("dump line %zu: \"%s\" is not \"key = default\"", line, l);
                        copy(keys[n].name, sizeof(keys[n].name), l, (size_t) (eq - l));
                        copy(keys[n].def, sizeof(keys[n].def), eq + 3, strlen(eq + 3));
                        keys[n].required = false;
                }
                copy(keys[n].section, sizeof(keys[n].section), section, strlen(section));
                copy(keys[n].description, sizeof(keys[n].description), description,
                     (size_t) (strchr(description, '\n') - description));
                description = NULL;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(keys[i].name, keys[n].name) == 0 &&
                            strcmp(keys[i].section, keys[n].section) == 0)
                                fail_msg("dump line %zu: %s listed twice", line, keys[n].name);
                n++;
        }
        if (description)
                fail_msg("the dump ends with a description and no key");
        return n;
}

static void test_dump_format(void **state) {
        struct dump_key keys[MAX_DUMP_KEYS];
        char *text = dump_reference();
        size_t n = parse_dump(text, keys, MAX_DUMP_KEYS), n_required = 0;

        /* Sanity: the three sections and a few keys we know. */
        assert_true(n >= 16);
        assert_string_equal(keys[0].section, "mc");
        assert_string_equal(keys[0].name, "address");
        assert_true(keys[0].required);
        for (size_t i = 0; i < n; i++) {
                if (strcmp(keys[i].name, "max-message-length") == 0)
                        assert_string_equal(keys[i].def, "32");
                if (strcmp(keys[i].name, "bus-socket") == 0)
                        assert_string_equal(keys[i].def, "/run/satmc/i2c-bus.sock");
                n_required += keys[i].required;
        }
        /* The required keys are exactly those this test knows values for. */
        assert_int_equal(n_required, sizeof(required_values) / sizeof(required_values[0]) +
                         sizeof(record_required_values) / sizeof(record_required_values[0]));
        free(text);
}

static const char *required_value(const char *section, const char *key) {
        for (size_t i = 0; i < sizeof(required_values) / sizeof(required_values[0]); i++)
                if (strcmp(required_values[i].section, section) == 0 &&
                    strcmp(required_values[i].key, key) == 0)
                        return required_values[i].value;
        for (size_t i = 0; i < ELEMENTSOF(record_required_values); i++)
                if (strcmp(record_required_values[i].section, section) == 0 &&
                    strcmp(record_required_values[i].key, key) == 0)
                        return record_required_values[i].value;
        fail_msg("required key [%s] %s has no value in required_values[]", section, key);
        return NULL;
}

/* The dump, with the required keys filled in, is a valid file that gives the defaults. */
static void test_dump_round_trip(void **state) {
        struct dump_key keys[MAX_DUMP_KEYS];
        char *text = dump_reference(), *filled = NULL;
        size_t n = parse_dump(text, keys, MAX_DUMP_KEYS), len = 0;
        struct satmc_config *c = NULL;
        struct capture cap;
        FILE *f = open_memstream(&filled, &len);
        size_t k = 0;

        assert_non_null(f);
        for (const char *p = text; *p; ) {
                const char *nl = strchr(p, '\n');
                size_t l = (size_t) (nl - p);

                if (p[0] == '#' && p[1] != ' ') {
                        assert_true(k < n && keys[k].required);
                        fprintf(f, "%s = %s\n", keys[k].name,
                                required_value(keys[k].section, keys[k].name));
                        k++;
                } else {
                        /* The PICMG sections the reference lists need a profile (every
                         * default is "none"); the ATCA one takes them all as they are. */
                        if (strncmp(p, "profile = none\n", 15) == 0)
                                fputs("profile = atca-ipmc\n", f);
                        else
                                fwrite(p, 1, l + 1, f);
                        if (p[0] != '#' && p[0] != '[' && l > 0)
                                k++;
                }
                p = nl + 1;
        }
        assert_int_equal(k, n);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(load_string(filled, "reference.ini", &cap, &c), 0);
        assert_string_equal(cap.buf, "");
        check_config(c, &minimal_expect);
        config_free(c);

        /* And each required key left out is reported as required, by name. */
        free(cap.buf);
        assert_int_equal(load_string(text, "reference.ini", &cap, &c), -EINVAL);
        for (size_t i = 0; i < n; i++) {
                char *want = NULL;

                /* A record section's required key is reported at its section's line. */
                assert_true(asprintf(&want, "[%s] %s is required (",
                                     keys[i].section, keys[i].name) > 0);
                assert_int_equal(strstr(cap.buf, want) != NULL, keys[i].required);
                free(want);
        }

        free(cap.buf);
        free(filled);
        free(text);
}

/*
 * Keys good-full.ini cannot set, because a key it does set excludes them; each is set by
 * every other good file.
 */
static const char *const full_exempt[] = {
        "address",      /* good-full.ini uses hardware-address-lines; naming both is an error */
        "multirecord-file",     /* good-full.ini uses multirecord, which it excludes; read in
                                 * test-config-fru-record.c */
        "module-current",       /* an AMC module's record: good-full.ini is an ATCA IPMC, which
                                 * refuses it; set in test-picmg-power.c's amc-mmc fixture */
};

/* good-full.ini really sets every key the reference lists. */
static void test_full_sets_every_key(void **state) {
        struct dump_key keys[MAX_DUMP_KEYS];
        char *text = dump_reference();
        size_t n = parse_dump(text, keys, MAX_DUMP_KEYS);
        char *full = read_file("good-full.ini", NULL);

        for (size_t i = 0; i < n; i++) {
                bool exempt = false;
                char want[64];
                int len;

                for (size_t j = 0; j < sizeof(full_exempt) / sizeof(full_exempt[0]); j++)
                        exempt = exempt || strcmp(keys[i].name, full_exempt[j]) == 0;
                if (exempt)
                        continue;
                /* A pattern key (state.*) is set by any key it matches (state.failure). */
                if (strlen(keys[i].name) > 2 &&
                    strcmp(keys[i].name + strlen(keys[i].name) - 2, ".*") == 0)
                        len = snprintf(want, sizeof(want), "\n%.*s",
                                       (int) strlen(keys[i].name) - 1, keys[i].name);
                else
                        len = snprintf(want, sizeof(want), "\n%s = ", keys[i].name);
                /* A cut pattern would match keys it should not (and gcc 14 warns of it). */
                assert_true(len > 0 && (size_t) len < sizeof(want));
                if (!strstr(full, want))
                        fail_msg("good-full.ini does not set %s", keys[i].name);
        }
        free(full);
        free(text);
}

/*
 * docs/configuration.md and docs/sensors.md each carry the table of hwmon attribute units
 * (Documentation/hwmon/sysfs-interface), and the scale given for each is one the source parser
 * takes as file:PATH:SCALE and the one its unit needs: milli 0.001, micro 0.000001, RPM 1.
 */
static void test_docs_hwmon_scales(void **state) {
        static const struct {
                const char *attribute, *unit;
                double scale;
        } rows[] = {
                { "in*_input", "millivolts", 1e-3 },
                { "temp*_input", "millidegrees Celsius", 1e-3 },
                { "curr*_input", "milliamps", 1e-3 },
                { "power*_input", "microwatts", 1e-6 },
                { "fan*_input", "RPM", 1 },
        };
        static const char *const docs[] = { "docs/configuration.md", "docs/sensors.md" };

        (void) state;
        for (size_t d = 0; d < ELEMENTSOF(docs); d++) {
                char *path = source_path(docs[d]);
                char *doc = read_file(path, NULL);

                for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                        _cleanup_free_ char *start = NULL, *value = NULL;
                        struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE };
                        char reason[REASON_MAX], scale[32];
                        const char *row, *cell;

                        assert_true(asprintf(&start, "\n| %s | `%s` |", rows[i].unit,
                                             rows[i].attribute) > 0);
                        row = strstr(doc, start);
                        if (!row)
                                fail_msg("%s has no hwmon row%s", docs[d], start);
                        /* The scale is the first `number` cell after the unit. */
                        cell = strstr(row + strlen(start) - 1, "| `");
                        while (cell && !(cell[3] >= '0' && cell[3] <= '9'))
                                cell = strstr(cell + 3, "| `");
                        assert_non_null(cell);
                        assert_true(sscanf(cell, "| `%31[0-9.]`", scale) == 1);
                        assert_true(asprintf(&value, "file:/sys/class/hwmon/hwmon0/x:%s", scale) > 0);
                        assert_int_equal(sensor_source_parse(value, &src, reason, sizeof(reason)), 0);
                        assert_int_equal(src.kind, SENSOR_SOURCE_FILE);
                        if (fabs(src.file.scale - rows[i].scale) > 1e-12 * rows[i].scale)
                                fail_msg("%s: %s scale %s reads as %g, not %g", docs[d],
                                         rows[i].attribute, scale, src.file.scale, rows[i].scale);
                        sensor_source_config_clear(&src);
                }
                free(doc);
                free(path);
        }
}

/*
 * docs/configuration.md has, under a "### `[section]`" heading, a table row
 * "| `key` | `default` | description |" (or "| `key` | required | ... |") for every key in the
 * dump, word for word, and no row for a key the dump does not have.
 */
static void test_docs_match_reference(void **state) {
        struct dump_key keys[MAX_DUMP_KEYS];
        char *text = dump_reference();
        size_t n = parse_dump(text, keys, MAX_DUMP_KEYS);
        char *doc_path = source_path("docs/configuration.md");
        char *doc = read_file(doc_path, NULL);
        char section[32] = "";

        for (size_t i = 0; i < n; i++) {
                char *heading = NULL, *row = NULL;

                assert_true(asprintf(&heading, "\n### `[%s]`\n", keys[i].section) > 0);
                if (!strstr(doc, heading))
                        fail_msg("docs/configuration.md has no heading ### `[%s]`", keys[i].section);
                if (keys[i].required)
                        assert_true(asprintf(&row, "\n| `%s` | required | %s |\n", keys[i].name,
                                             keys[i].description) > 0);
                else
                        assert_true(asprintf(&row, "\n| `%s` | `%s` | %s |\n", keys[i].name,
                                             keys[i].def, keys[i].description) > 0);
                if (!strstr(doc, row))
                        fail_msg("docs/configuration.md lacks the row%s", row);
                free(heading);
                free(row);
        }

        /* Every key row under a section heading names a key of that section. */
        for (const char *p = doc; *p; ) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);

                if (strncmp(p, "### `[", 6) == 0 && len > 8 && strncmp(p + len - 2, "]`", 2) == 0)
                        copy(section, sizeof(section), p + 6, len - 8);
                else if (p[0] == '#')
                        section[0] = '\0';
                else if (section[0] && strncmp(p, "| `", 3) == 0) {
                        const char *end = memchr(p + 3, '`', len - 3);
                        bool found = false;

                        assert_non_null(end);
                        for (size_t i = 0; i < n; i++)
                                if (strcmp(keys[i].section, section) == 0 &&
                                    strlen(keys[i].name) == (size_t) (end - p - 3) &&
                                    strncmp(keys[i].name, p + 3, (size_t) (end - p - 3)) == 0)
                                        found = true;
                        if (!found)
                                fail_msg("docs/configuration.md: [%s] has a row for %.*s, which "
                                         "satmcd does not know", section, (int) (end - p - 3), p + 3);
                }
                p = nl ? nl + 1 : p + len;
        }
        free(doc);
        free(doc_path);
        free(text);
}

/* ---- main ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void) {
        static const struct CMUnitTest fixed[] = {
                cmocka_unit_test(test_golden_files_all_listed),
                cmocka_unit_test(test_nonexistent_file),
                cmocka_unit_test(test_directory),
                cmocka_unit_test(test_board_test_wire_guid),
                cmocka_unit_test(test_guid_wire_order),
                cmocka_unit_test(test_guid_round_trip),
                cmocka_unit_test(test_guid_rejects),
                cmocka_unit_test(test_dump_format),
                cmocka_unit_test(test_dump_round_trip),
                cmocka_unit_test(test_full_sets_every_key),
                cmocka_unit_test(test_docs_match_reference),
                cmocka_unit_test(test_docs_hwmon_scales),
        };
        size_t n_tests = N(fixed) + N(good_cases) + N(bad_cases) + N(value_cases), n = 0;
        struct CMUnitTest *tests = calloc(n_tests, sizeof(*tests));
        char **names = calloc(N(value_cases), sizeof(*names));
        char dir[PATH_MAX];
        int r;

        source_root = getenv("SATMC_SOURCE_ROOT");
        if (!source_root) {
                fprintf(stderr, "SATMC_SOURCE_ROOT must point at the source tree (meson test sets it)\n");
                return 1;
        }
        snprintf(dir, sizeof(dir), "%s/%s", source_root, CONFIG_DIR);
        if (chdir(dir) < 0) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return 1;
        }
        if (!tests || !names)
                return 1;

        for (size_t i = 0; i < N(fixed); i++)
                tests[n++] = fixed[i];
        for (size_t i = 0; i < N(good_cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = good_cases[i].path, .test_func = test_good,
                        .initial_state = (void *) &good_cases[i],
                };
        for (size_t i = 0; i < N(bad_cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = bad_cases[i], .test_func = test_bad,
                        .initial_state = (void *) bad_cases[i],
                };
        for (size_t i = 0; i < N(value_cases); i++) {
                if (asprintf(&names[i], "[%s] %s = \"%s\"", value_cases[i].section,
                             value_cases[i].key, value_cases[i].value) < 0)
                        return 1;
                tests[n++] = (struct CMUnitTest) {
                        .name = names[i], .test_func = test_value,
                        .initial_state = (void *) &value_cases[i],
                };
        }

        r = _cmocka_run_group_tests("config", tests, n, NULL, NULL);

        for (size_t i = 0; i < N(value_cases); i++)
                free(names[i]);
        free(names);
        free(tests);
        return r;
}
