/* SPDX-License-Identifier: MIT */
/*
 * satmcd --print-bmc-config=openbmc (daemon/bmc-config-openbmc.c): the Entity-Manager JSON is
 * read back with json-c and checked against what dbus-sensors' IpmbSensor parses, and the
 * notes name every sensor left out or shown wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/bmc-config-openbmc.h"
#include "daemon/config.h"

#define HEADER \
        "[mc]\naddress = 0x72\n" \
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 0x007ED9\nproduct-id = 2\n" \
        "guid = 01234567-89ab-cdef-0011-223344556677\n"

static struct satmc_config *load(const char *sensors) {
        struct satmc_config *c = NULL;
        char *text = NULL;
        FILE *in;

        assert_true(asprintf(&text, HEADER "%s", sensors) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "mem.ini", NULL, &c), 0);
        fclose(in);
        free(text);
        return c;
}

/* Print c; returns the parsed JSON, the notes in *notes (caller frees). */
static struct json_object *print(const struct satmc_config *c, char **notes) {
        char *out = NULL;
        size_t out_len = 0, notes_len = 0;
        FILE *o = open_memstream(&out, &out_len), *n = open_memstream(notes, &notes_len);
        struct json_object *j;

        assert_non_null(o);
        assert_non_null(n);
        assert_int_equal(bmc_config_print_openbmc(c, o, n), 0);
        fclose(o);
        fclose(n);
        j = json_tokener_parse(out);
        assert_non_null(j);
        free(out);
        return j;
}

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no key %s", key);
        return v;
}

static void test_exposes(void **state) {
        struct satmc_config *c = load(
                "[sensor.0]\nname = Board Temp\ntype = temperature\nrange = 0..127.5\n"
                "lower-critical = 5\nupper-critical = 85\nupper-non-recoverable = 100\n"
                "hysteresis = 2\npoll-ms = 500\n"
                "[sensor.2]\nname = 12V Rail\ntype = voltage\nrange = 11.4..12.6\n"
                "upper-non-critical = 12.3\n"
                "[sensor.3]\nname = Fan 1\ntype = fan\nrange = 0..20000\n"
                "[sensor.4]\nname = PSU Present\ntype = presence\n");
        char *notes = NULL;
        struct json_object *j = print(c, &notes), *exposes = get(j, "Exposes"), *e, *t;

        assert_string_equal(json_object_get_string(get(j, "Type")), "Board");
        assert_int_equal(json_object_array_length(exposes), 2);

        /* Board Temp: sensor 1, raw * 0.5 + 0. */
        e = json_object_array_get_idx(exposes, 0);
        assert_string_equal(json_object_get_string(get(e, "Type")), "IpmbSensor");
        assert_string_equal(json_object_get_string(get(e, "Class")), "MESensor");
        assert_string_equal(json_object_get_string(get(e, "Name")), "Board Temp");
        assert_string_equal(json_object_get_string(get(e, "SensorType")), "temperature");
        assert_int_equal(json_object_get_int(get(e, "Address")), 1);
        assert_true(json_object_get_double(get(e, "ScaleValue")) == 0.5);
        assert_true(json_object_get_double(get(e, "OffsetValue")) == 0);
        assert_true(json_object_get_double(get(e, "PollRate")) == 0.5);
        /* Most severe first: UNR (hard shutdown), UCR (critical), LCR (critical). */
        t = get(e, "Thresholds");
        assert_int_equal(json_object_array_length(t), 3);
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(t, 0), "Direction")),
                            "greater than");
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(t, 0), "Severity")), 4);
        assert_true(json_object_get_double(get(json_object_array_get_idx(t, 0), "Value")) == 100);
        assert_true(json_object_get_double(get(json_object_array_get_idx(t, 0), "Hysteresis")) == 2);
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(t, 1), "Severity")), 1);
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(t, 2), "Direction")),
                            "less than");
        assert_true(json_object_get_double(get(json_object_array_get_idx(t, 2), "Value")) == 5);

        /* 12V Rail: sensor 3, the offset carried by B: raw * 0.00471 + 11.4; the numbers are
         * printed as short as they are exact. */
        e = json_object_array_get_idx(exposes, 1);
        assert_int_equal(json_object_get_int(get(e, "Address")), 3);
        assert_string_equal(json_object_get_string(get(e, "SensorType")), "voltage");
        assert_string_equal(json_object_to_json_string(get(e, "ScaleValue")), "0.00471");
        assert_string_equal(json_object_to_json_string(get(e, "OffsetValue")), "11.4");
        t = get(e, "Thresholds");
        assert_int_equal(json_object_array_length(t), 1);
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(t, 0), "Severity")), 0);
        assert_false(json_object_object_get_ex(json_object_array_get_idx(t, 0), "Hysteresis", NULL));

        /* The fan and the presence sensor are left out, and said so. */
        assert_non_null(strstr(notes, "[sensor.3] Fan 1: left out"));
        assert_non_null(strstr(notes, "[sensor.4] PSU Present: left out"));
        assert_null(strstr(notes, "Board Temp"));

        json_object_put(j);
        free(notes);
        config_free(c);
}

/* What OpenBMC shows wrong is named: a negative offset, a short ID string. */
static void test_notes(void **state) {
        struct satmc_config *c = load(
                "[sensor.0]\nname = Ambient\ntype = temperature\nrange = -40..125\n"
                "[sensor.1]\nname = Vin\ntype = voltage\nrange = 0..15\n"
                "[sensor.2]\nname = \"Quoted\" \\ name\ntype = current\nrange = 0..10\n");
        char *notes = NULL;
        struct json_object *j = print(c, &notes), *exposes = get(j, "Exposes");

        assert_int_equal(json_object_array_length(exposes), 3);
        /* -40..125: raw * 0.65 - 40. */
        assert_true(json_object_get_double(get(json_object_array_get_idx(exposes, 0), "OffsetValue"))
                    == -40);
        assert_non_null(strstr(notes, "[sensor.0] Ambient: range -40..125 needs B = -4"));
        assert_non_null(strstr(notes, "[sensor.1] Vin: IpmbSDRSensor reads ID strings shorter"));
        /* Names with JSON's special characters come back as they were. */
        assert_string_equal(json_object_get_string(get(json_object_array_get_idx(exposes, 2), "Name")),
                            "\"Quoted\" \\ name");

        json_object_put(j);
        free(notes);
        config_free(c);
}

/* Address is the sensor number (the number key), and IpmbSensor, which reads LUN 0 only, is
 * not given a sensor of another LUN. */
static void test_numbers_and_luns(void **state) {
        struct satmc_config *c = load(
                "[sensor.0]\nname = PSU Temp\ntype = temperature\nnumber = 0x40\n"
                "[sensor.1]\nname = PSU Vin\ntype = voltage\nnumber = 0x40\nlun = 1\n");
        char *notes = NULL;
        struct json_object *j = print(c, &notes), *exposes = get(j, "Exposes");

        assert_int_equal(json_object_array_length(exposes), 1);
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(exposes, 0), "Address")),
                         0x40);
        assert_non_null(strstr(notes, "[sensor.1] PSU Vin: left out, IpmbSensor reads sensors on "
                                      "LUN 0 only (this one is on LUN 1)."));

        json_object_put(j);
        free(notes);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exposes),
                cmocka_unit_test(test_notes),
                cmocka_unit_test(test_numbers_and_luns),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
