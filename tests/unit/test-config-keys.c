/* SPDX-License-Identifier: MIT */
/*
 * The key tables as reload and the docs use them (daemon/config-parse.h):
 *  - every row of every table says how reload treats it (CONFIG_RELOAD_UNSET, 0, is what a
 *    row that forgot gets) and has a value size that matches its parser;
 *  - config_key_equal(): two loads of the same file agree on every key, and a changed key
 *    differs (only that one);
 *  - docs/configuration.md carries exactly what config_dump_reload() prints;
 *  - [mc] event-receiver equal to our own address is refused with file:line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/config-parse.h"
#include "daemon/config-reference.h"

static const char base_text[] =
        "[mc]\n"
        "address = 0x72\n"
        "[identity]\n"
        "firmware-version = 1.05\n"
        "manufacturer-id = 0x007ED9\n"
        "product-id = 0x1291\n"
        "guid = 01234567-89ab-cdef-0011-223344556677\n"
        "[fru.0]\n"
        "board-manufacturer = Acme\n"
        "board-custom = aa, bb\n"
        "multirecord = 0xC0:0102\n"
        "[sensor.0]\n"
        "name = Temp\n"
        "type = temperature\n"
        "range = -40..125\n"
        "source = file:/sys/x:0.001\n"
        "upper-critical = 85\n"
        "[fan.0]\n"
        "output = pwm:/sys/class/hwmon/hwmon3/pwm1\n"
        "follow = Temp\n"
        "curve = 30:4 50:8 70:15\n"
        "[oem.0]\n"
        "netfn = 0x30\n"
        "cmd = 0x01\n"
        "exec = /usr/lib/satmc/oem-fan-test\n"
        "args = --quiet\n"
        "[hpm]\n"
        "requesters = 0x20 0x82\n"
        "[hpm.component.0]\n"
        "name = boot\n"
        "version = 1.02\n"
        "path = /var/lib/boot.bin\n";

/* Load text; err gets what config_load() printed (caller frees). */
static int load(const char *text, struct satmc_config **ret, char **err) {
        size_t len = 0;
        FILE *out = open_memstream(err, &len);
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(out);
        assert_non_null(in);
        r = config_load_from_file(in, "mem.ini", out, ret);
        fclose(in);
        fclose(out);
        return r;
}

static struct satmc_config *load_ok(const char *text) {
        struct satmc_config *c = NULL;
        char *err = NULL;
        int r = load(text, &c, &err);

        if (r != 0)
                fail_msg("load failed (%d): %s", r, err);
        free(err);
        return c;
}

static const struct {
        const struct config_key *keys;
        const size_t *n;
} tables[] = {
        { config_keys, &config_keys_n },
        { config_fru_keys, &config_fru_keys_n },
        { config_sensor_keys, &config_sensor_keys_n },
        { config_fan_keys, &config_fan_keys_n },
        { config_oem_keys, &config_oem_keys_n },
        { config_picmg_led_keys, &config_picmg_led_keys_n },
        { config_picmg_power_keys, &config_picmg_power_keys_n },
        { config_picmg_link_keys, &config_picmg_link_keys_n },
        { config_hpm_keys, &config_hpm_keys_n },
        { config_hpm_component_keys, &config_hpm_component_keys_n },
};

static void test_every_row_says_how_reload_treats_it(void **state) {
        (void) state;
        for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
                for (size_t i = 0; i < *tables[t].n; i++) {
                        const struct config_key *k = &tables[t].keys[i];

                        if (k->reload != CONFIG_RELOAD_LIVE && k->reload != CONFIG_RELOAD_RESTART)
                                fail_msg("[%s] %s: reload is %d; say CONFIG_RELOAD_LIVE or "
                                         "CONFIG_RELOAD_RESTART", k->section, k->name,
                                         (int) k->reload);
                        if (k->size == 0)
                                fail_msg("[%s] %s: no value size", k->section, k->name);
                        if ((k->parse == config_parse_string ||
                             k->parse == config_parse_socket_path ||
                             k->parse == config_parse_fru_text) && k->size != sizeof(char *))
                                fail_msg("[%s] %s: a string key of %zu bytes", k->section,
                                         k->name, k->size);
                }
}

/* The sentinel really is what a row without the column gets (a positional row without it
 * does not even compile under -Wextra -Werror: missing-field-initializers). */
static void test_unset_is_zero(void **state) {
        const struct config_key forgot = { .section = "mc", .name = "x" };

        (void) state;
        assert_int_equal(forgot.reload, CONFIG_RELOAD_UNSET);
        assert_int_equal(CONFIG_RELOAD_UNSET, 0);
}

static const void *base_of(const struct satmc_config *c, size_t table) {
        switch (table) {
        case 0: return c;
        case 1: return &c->fru[0];
        case 2: return &c->sensor[0];
        case 3: return &c->fan[0];
        case 4: return &c->oem[0];
        case 5: return &c->picmg_led[0];
        case 6: return &c->picmg_power[0];
        case 7: return &c->picmg_link[0];
        case 8: return &c->hpm;
        default: return &c->hpm.component[0];
        }
}

static void test_equal_on_same_file(void **state) {
        struct satmc_config *a = load_ok(base_text), *b = load_ok(base_text);

        (void) state;
        for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
                for (size_t i = 0; i < *tables[t].n; i++)
                        if (!config_key_equal(&tables[t].keys[i], base_of(a, t), base_of(b, t)))
                                fail_msg("[%s] %s differs between two loads of one file",
                                         tables[t].keys[i].section, tables[t].keys[i].name);
        config_free(a);
        config_free(b);
}

/* Replace the first occurrence of from in base_text, load, and return which keys differ. */
static void check_only_changed(const char *from, const char *to, size_t table, const char *key) {
        char text[2048];
        const char *at = strstr(base_text, from);
        struct satmc_config *a = load_ok(base_text), *b;

        assert_non_null(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int) (at - base_text), base_text, to,
                 at + strlen(from));
        b = load_ok(text);
        for (size_t i = 0; i < *tables[table].n; i++) {
                const struct config_key *k = &tables[table].keys[i];
                bool same = config_key_equal(k, base_of(a, table), base_of(b, table));

                if (strcmp(k->name, key) == 0 ? same : !same)
                        fail_msg("after \"%s\" -> \"%s\": [%s] %s %s", from, to, k->section,
                                 k->name, same ? "compares equal" : "differs");
        }
        config_free(a);
        config_free(b);
}

static void test_changed_key_differs(void **state) {
        (void) state;
        check_only_changed("address = 0x72", "address = 0x74", 0, "address");
        check_only_changed("firmware-version = 1.05", "firmware-version = 1.06", 0,
                           "firmware-version");
        check_only_changed("[identity]\n", "[identity]\ndevice-support = sensor\n", 0,
                           "device-support");
        check_only_changed("[mc]\n", "[mc]\nlog-level = debug\n", 0, "log-level");
        check_only_changed("Acme", "Acme Corp", 1, "board-manufacturer");
        check_only_changed("aa, bb", "aa, cc", 1, "board-custom");
        check_only_changed("0xC0:0102", "0xC0:0103", 1, "multirecord");
        check_only_changed("x:0.001", "y:0.001", 2, "source");
        check_only_changed("upper-critical = 85", "upper-critical = 86", 2, "upper-critical");
        check_only_changed("upper-critical = 85\n", "", 2, "upper-critical");
        check_only_changed("hwmon3/pwm1", "hwmon3/pwm2", 3, "output");
        check_only_changed("30:4 50:8", "30:5 50:8", 3, "curve");
        check_only_changed("follow = Temp", "follow = sensor.0", 3, "follow");
        check_only_changed("oem-fan-test", "oem-fan-set", 4, "exec");
        check_only_changed("--quiet", "--verbose", 4, "args");
        check_only_changed("cmd = 0x01", "cmd = 0x02", 4, "cmd");
        check_only_changed("0x20 0x82", "0x20", 5, "requesters");
        check_only_changed("version = 1.02", "version = 1.03", 6, "version");
        check_only_changed("name = boot", "name = bootloader", 6, "name");
}

/* A discrete sensor's keys: a changed state source, a state gone, a mask, the reading type
 * each differ alone (reload then asks for a restart), and two loads of it are equal. */
static void test_discrete_keys_differ(void **state) {
        static const char discrete[] =
                "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.05\n"
                "manufacturer-id = 1\nproduct-id = 2\n"
                "guid = 01234567-89ab-cdef-0011-223344556677\n"
                "[sensor.0]\nname = PSU\ntype = power-supply\nstate.presence = file:/a\n"
                "state.failure = file:/b\nassertions = presence\n";
        static const struct {
                const char *from, *to, *key;
        } cases[] = {
                { "file:/b", "file:/c", "state.*" },
                { "state.failure = file:/b\n", "", "state.*" },
                { "state.failure = file:/b\n", "state.failure = file:/b\nstate.inactive = file:/b\n",
                  "state.*" },
                { "assertions = presence", "assertions = presence, failure", "assertion-events" },
                { "type = power-supply\n", "type = power-supply\nreading-type = sensor-specific\n",
                  "reading-type" },
        };

        (void) state;
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                const char *at = strstr(discrete, cases[c].from);
                struct satmc_config *a = load_ok(discrete), *b, *same = load_ok(discrete);
                char text[1024];

                assert_non_null(at);
                snprintf(text, sizeof(text), "%.*s%s%s", (int) (at - discrete), discrete,
                         cases[c].to, at + strlen(cases[c].from));
                b = load_ok(text);
                for (size_t i = 0; i < config_sensor_keys_n; i++) {
                        const struct config_key *k = &config_sensor_keys[i];
                        bool eq = config_key_equal(k, &a->sensor[0], &b->sensor[0]);

                        if (!config_key_equal(k, &a->sensor[0], &same->sensor[0]))
                                fail_msg("[sensor.0] %s differs between two loads", k->name);
                        if (strcmp(k->name, cases[c].key) == 0 ? eq : !eq)
                                fail_msg("after \"%s\" -> \"%s\": %s %s", cases[c].from,
                                         cases[c].to, k->name, eq ? "compares equal" : "differs");
                }
                config_free(a);
                config_free(b);
                config_free(same);
        }
}

static void test_docs_carry_the_reload_list(void **state) {
        const char *root = getenv("SATMC_SOURCE_ROOT");
        char *list = NULL, *doc = NULL, path[4096];
        size_t list_len = 0, doc_len = 0;
        FILE *f;
        int c;

        (void) state;
        assert_non_null(root);
        f = open_memstream(&list, &list_len);
        assert_non_null(f);
        config_dump_reload(f);
        fclose(f);

        snprintf(path, sizeof(path), "%s/docs/configuration.md", root);
        FILE *in = fopen(path, "re");
        assert_non_null(in);
        f = open_memstream(&doc, &doc_len);
        assert_non_null(f);
        while ((c = fgetc(in)) != EOF)
                fputc(c, f);
        fclose(in);
        fclose(f);
        if (!strstr(doc, list))
                fail_msg("docs/configuration.md does not carry satmcd --dump-config-reload "
                         "verbatim; it prints:\n%s", list);
        free(list);
        free(doc);
}

/* The reference (and so satmcd.conf(5) and docs/configuration.md) states an integer key's limits
 * from its row, not from hand-written text that could drift: poll-ms is 100..60000. */
static void test_reference_names_limits(void **state) {
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        (void) state;
        f = open_memstream(&text, &len);
        assert_non_null(f);
        config_dump_reference(f);
        fclose(f);
        assert_non_null(strstr(text, "\n# how often the source is read, in milliseconds "
                                     "(100..60000)\npoll-ms = 1000\n"));
        assert_non_null(strstr(text, "(2..4096)\nevent-queue-length = 64\n"));
        /* Not for a key whose parser is not a plain integer. */
        assert_null(strstr(text, "(0..0)"));
        free(text);
}

/* Our own address as the event receiver: refused at the key that made them equal. */
static void test_event_receiver_own_address(void **state) {
        struct satmc_config *c = NULL;
        char text[2048], *err = NULL;

        (void) state;
        /* Set in the file: the event-receiver line (3), naming the address line (2). */
        snprintf(text, sizeof(text), "[mc]\naddress = 0x72\nevent-receiver = 0x72\n%s",
                 strstr(base_text, "[identity]"));
        assert_int_equal(load(text, &c, &err), -EINVAL);
        assert_string_equal(err, "mem.ini:3: event-receiver 0x72 is our own address (line 2): "
                            "events go to the BMC, e.g. 0x20, or set none\n");
        free(err);
        err = NULL;

        /* By default (0x20): the address line. */
        snprintf(text, sizeof(text), "[mc]\naddress = 0x20\n%s", strstr(base_text, "[identity]"));
        assert_int_equal(load(text, &c, &err), -EINVAL);
        assert_string_equal(err, "mem.ini:2: address 0x20 is also the event receiver (the "
                            "default of event-receiver): set event-receiver to the BMC's "
                            "address, or none\n");
        free(err);

        /* Another receiver, or none, is fine. */
        snprintf(text, sizeof(text), "[mc]\naddress = 0x20\nevent-receiver = none\n%s",
                 strstr(base_text, "[identity]"));
        c = load_ok(text);
        assert_int_equal(c->event_receiver, 0xFF);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_row_says_how_reload_treats_it),
                cmocka_unit_test(test_unset_is_zero),
                cmocka_unit_test(test_equal_on_same_file),
                cmocka_unit_test(test_changed_key_differs),
                cmocka_unit_test(test_discrete_keys_differ),
                cmocka_unit_test(test_docs_carry_the_reload_list),
                cmocka_unit_test(test_event_receiver_own_address),
                cmocka_unit_test(test_reference_names_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
