/* SPDX-License-Identifier: MIT */
/*
 * The Compact Sensor Record codec (protocol/sdr-compact.c) byte by byte against IPMI v2.0
 * table 43-2 (ipmitool's struct sdr_record_compact_sensor), its refusals, the parser on
 * hostile input; and the state names of protocol/ipmi-states.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmi-states.h"
#include "protocol/platform-event.h"
#include "protocol/sdr-compact.h"

static const struct sdr_compact_sensor psu = {
        .owner_id = 0x72, .owner_lun = 1, .channel = 2, .number = 9,
        .entity_id = 0x0A, .entity_instance = 0x01, .init = 0x03, .capabilities = 0x40,
        .sensor_type = 0x08, .event_type = 0x6F,
        .assert_mask = 0x004F, .deassert_mask = 0x000F, .reading_mask = 0x404F,
        .share_count = 1, .direction = 1, .oem = 0x5A, .id = "PSU1",
};

static void test_encode_layout(void **state) {
        uint8_t buf[SDR_COMPACT_SENSOR_MAX];
        const uint8_t want[] = {
                0x34, 0x12, 0x51, 0x02, 31,             /* ID 0x1234, v1.5, compact, length */
                0x72, 0x21, 0x09,                       /* owner, channel 2 | LUN 1, number */
                0x0A, 0x01, 0x03, 0x40, 0x08, 0x6F,     /* entity, init, caps, types */
                0x4F, 0x00, 0x0F, 0x00, 0x4F, 0x40,     /* assertion, deassertion, reading */
                0x00, 0x00, 0x00,                       /* units */
                0x41, 0x00,                             /* direction 1 | share count 1 */
                0x00, 0x00,                             /* hysteresis */
                0x00, 0x00, 0x00,                       /* reserved */
                0x5A,                                   /* OEM */
                0xC4, 'P', 'S', 'U', '1',
        };

        (void) state;
        assert_int_equal(sdr_encode_compact_sensor(0x1234, &psu, buf, sizeof(buf)), sizeof(want));
        assert_memory_equal(buf, want, sizeof(want));
        /* One byte short: refused, nothing written. */
        memset(buf, 0xEE, sizeof(buf));
        assert_int_equal(sdr_encode_compact_sensor(1, &psu, buf, sizeof(want) - 1), -EMSGSIZE);
        assert_int_equal(buf[0], 0xEE);
}

static void test_encode_refuses(void **state) {
        uint8_t buf[SDR_COMPACT_SENSOR_MAX];
        struct sdr_compact_sensor s;

        (void) state;
        assert_int_equal(sdr_encode_compact_sensor(0xFFFF, &psu, buf, sizeof(buf)), -EINVAL);
        s = psu; s.number = 0xFF;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
        s = psu; s.owner_lun = 4;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
        s = psu; s.channel = 16;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
        s = psu; s.assert_mask = 0x8000;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
        s = psu; s.reading_mask = 0x8001;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
        s = psu; s.share_count = 16;
        assert_int_equal(sdr_encode_compact_sensor(1, &s, buf, sizeof(buf)), -EINVAL);
}

static void test_parse_round_trip_and_hostile(void **state) {
        uint8_t buf[SDR_COMPACT_SENSOR_MAX + 8];
        struct sdr_compact_sensor s;
        struct sdr_header h;
        int n;

        (void) state;
        n = sdr_encode_compact_sensor(7, &psu, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(sdr_parse_compact_sensor(buf, (size_t) n, &h, &s), n);
        assert_int_equal(h.record_id, 7);
        assert_int_equal(s.owner_lun, 1);
        assert_int_equal(s.channel, 2);
        assert_int_equal(s.reading_mask, 0x404F);
        assert_int_equal(s.direction, 1);
        assert_int_equal(s.id_code, 0xC4);
        assert_string_equal(s.id, "PSU1");

        /* Every truncation is refused, never read past. */
        for (int len = 0; len < n; len++)
                assert_true(sdr_parse_compact_sensor(buf, (size_t) len, NULL, &s) < 0);
        /* Another record type. */
        buf[3] = 0x01;
        assert_int_equal(sdr_parse_compact_sensor(buf, (size_t) n, NULL, &s), -ENOMSG);
        buf[3] = 0x02;
        /* An ID string longer than the record, or than 16 bytes. */
        buf[31] = 0xC5;
        assert_int_equal(sdr_parse_compact_sensor(buf, (size_t) n, NULL, &s), -EBADMSG);
        buf[4] = 27 + 17;
        buf[31] = 0xD1;
        assert_int_equal(sdr_parse_compact_sensor(buf, sizeof(buf), NULL, &s), -EBADMSG);
        /* A length byte claiming the fixed part is not there. */
        buf[4] = 20;
        assert_int_equal(sdr_parse_compact_sensor(buf, sizeof(buf), NULL, &s), -EBADMSG);
}

static void test_state_names(void **state) {
        char names[256];

        (void) state;
        /* Table 42-3, Power Supply (08h). */
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "presence"), 0);
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "failure"), 1);
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "predictive-failure"), 2);
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "input-lost"), 3);
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "input-out-of-range"), 5);
        assert_int_equal(ipmi_state_offset(0x6F, 0x08, "configuration-error"), 6);
        /* Power Unit (09h): AC lost 4, failure 6. */
        assert_int_equal(ipmi_state_offset(0x6F, 0x09, "ac-lost"), 4);
        assert_int_equal(ipmi_state_offset(0x6F, 0x09, "failure"), 6);
        /* No sensor-specific states for Module/Board (15h); the generic ones for anything. */
        assert_false(ipmi_states_defined(0x6F, 0x15));
        assert_int_equal(ipmi_state_offset(0x6F, 0x15, "ok"), -ENOENT);
        assert_int_equal(ipmi_state_offset(0x07, 0x15, "non-recoverable"), 6);
        assert_int_equal(ipmi_state_offset(0x03, 0x04, "asserted"), 1);
        assert_int_equal(ipmi_state_offset(0x0B, 0x04, "redundancy-lost"), 1);
        assert_null(ipmi_state_name(0x03, 0, 2));
        assert_string_equal(ipmi_state_name(0x08, 0, 1), "present");
        assert_true(ipmi_states_paired(0x03, 0));
        assert_true(ipmi_states_paired(0x6F, 0x25));
        assert_false(ipmi_states_paired(0x6F, 0x08));
        assert_false(ipmi_states_paired(0x07, 0));
        assert_string_equal(ipmi_state_names(0x05, 0, names, sizeof(names)),
                            "limit-not-exceeded, limit-exceeded");
        assert_string_equal(ipmi_state_names(0x6F, 0x15, names, sizeof(names)), "");
        /* Cut to the buffer, terminated. */
        assert_int_equal(strlen(ipmi_state_names(0x07, 0, names, 10)), 9);
        assert_int_equal(ipmi_reading_type_lookup("severity"), 0x07);
        assert_int_equal(ipmi_reading_type_lookup("Severity"), -ENOENT);
        assert_string_equal(ipmi_reading_type_name(0x6F), "sensor-specific");
}

/* The bridge prints discrete events by name (platform_event_describe()). */
static void test_describe_discrete(void **state) {
        struct platform_event ev = { .sensor_type = 0x08, .event_type = 0x6F, .offset = 3 };
        char text[160];

        (void) state;
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "power supply, input lost (AC/DC) asserted");
        ev = (struct platform_event) { .sensor_type = 0x09, .event_type = 0x6F, .offset = 4,
                                       .deassertion = true };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "power unit, AC lost deasserted");
        ev = (struct platform_event) { .sensor_type = 0x04, .event_type = 0x03, .offset = 1 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "fan, state asserted asserted");
        ev = (struct platform_event) { .sensor_type = 0x15, .event_type = 0x07, .offset = 6 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "module/board, transition to non-recoverable asserted");
        /* Past the names of a type: in hex. */
        ev = (struct platform_event) { .sensor_type = 0x04, .event_type = 0x03, .offset = 2 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "fan, event type 0x03 offset 2 asserted");
        ev = (struct platform_event) { .sensor_type = 0x04, .event_type = 0x07, .offset = 14 };
        platform_event_describe(&ev, text, sizeof(text));
        assert_string_equal(text, "fan, event type 0x07 offset 14 asserted");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_layout),
                cmocka_unit_test(test_encode_refuses),
                cmocka_unit_test(test_parse_round_trip_and_hostile),
                cmocka_unit_test(test_state_names),
                cmocka_unit_test(test_describe_discrete),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
