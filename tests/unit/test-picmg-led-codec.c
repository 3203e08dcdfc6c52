/* SPDX-License-Identifier: MIT */
/*
 * protocol/picmg-led.c: the four LED requests with hostile bytes (every length, every PICMG
 * Identifier, every function and color byte), the state rules (lamp test over override over
 * local control, restore, lamp test expiry, "don't change" and "default" colors) and the
 * exact response layouts python-ipmi and ipmitool decode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmi.h"
#include "protocol/picmg-led.h"

/* A red/green LED, green by default locally, red in override. */
static const struct picmg_led_caps rg = {
        .colors = (1u << PICMG_LED_COLOR_RED) | (1u << PICMG_LED_COLOR_GREEN),
        .local_color = PICMG_LED_COLOR_GREEN,
        .override_color = PICMG_LED_COLOR_RED,
};
static const struct picmg_led_pattern off = { .kind = PICMG_LED_PATTERN_OFF };

static int set(struct picmg_led_state *s, const struct picmg_led_caps *caps, uint8_t fn,
               uint8_t on, uint8_t color) {
        const uint8_t req[6] = { 0x00, 0x00, 0x01, fn, on, color };
        struct picmg_led_request r;
        int cc = picmg_led_parse_set(req, sizeof(req), &r);

        if (cc != IPMI_CC_OK)
                return cc;
        cc = picmg_led_check_set(s, caps, &r);
        if (cc == IPMI_CC_OK)
                picmg_led_apply_set(s, caps, &r);
        return cc;
}

static void test_parse_lengths_and_identifier(void **state) {
        uint8_t buf[16] = { 0 };
        struct picmg_led_request r, untouched;
        uint8_t fru = 0x55, led = 0x66;

        (void) state;
        for (size_t len = 0; len < sizeof(buf); len++) {
                if (len != 2)
                        assert_int_equal(picmg_led_parse_fru(buf, len, &fru),
                                         IPMI_CC_REQ_DATA_LEN_INVALID);
                if (len != 3)
                        assert_int_equal(picmg_led_parse_led(buf, len, &fru, &led),
                                         IPMI_CC_REQ_DATA_LEN_INVALID);
                if (len != 6) {
                        memset(&r, 0xA5, sizeof(r));
                        untouched = r;
                        assert_int_equal(picmg_led_parse_set(buf, len, &r),
                                         IPMI_CC_REQ_DATA_LEN_INVALID);
                        assert_memory_equal(&r, &untouched, sizeof(r));
                }
        }
        assert_int_equal(fru, 0x55);
        assert_int_equal(led, 0x66);
        for (unsigned id = 1; id < 256; id++) {
                uint8_t req[6] = { (uint8_t) id, 0, 0, 0, 0, 1 };

                assert_int_equal(picmg_led_parse_fru(req, 2, &fru), IPMI_CC_INVALID_DATA_FIELD);
                assert_int_equal(picmg_led_parse_led(req, 3, &fru, &led),
                                 IPMI_CC_INVALID_DATA_FIELD);
                assert_int_equal(picmg_led_parse_set(req, 6, &r), IPMI_CC_INVALID_DATA_FIELD);
        }
        assert_int_equal(picmg_led_parse_fru((const uint8_t[]) { 0, 7 }, 2, &fru), 0);
        assert_int_equal(fru, 7);
        assert_int_equal(picmg_led_parse_led((const uint8_t[]) { 0, 3, 4 }, 3, &fru, &led), 0);
        assert_int_equal(fru, 3);
        assert_int_equal(led, 4);
        /* "All LEDs" is for Set only. */
        assert_int_equal(picmg_led_parse_led((const uint8_t[]) { 0, 3, 0xFF }, 3, &fru, &led),
                         IPMI_CC_INVALID_DATA_FIELD);
}

/* Every function x on-duration x color byte: accepted exactly when the spec allows it. */
static void test_parse_set_every_value(void **state) {
        (void) state;
        for (unsigned fn = 0; fn < 256; fn++)
                for (unsigned on = 0; on < 256; on++)
                        for (unsigned color = 0; color < 256; color += (color < 16 ? 1 : 15)) {
                                const uint8_t req[6] = { 0, 1, 2, (uint8_t) fn, (uint8_t) on,
                                                         (uint8_t) color };
                                struct picmg_led_request r;
                                bool color_ok = color <= 0x0F && (fn == 0xFC ||
                                                (color >= 1 && color <= 6) || color == 0xE ||
                                                color == 0xF);
                                bool ok;

                                if (color > 0x0F)
                                        ok = false;
                                else if (fn == 0xFC)
                                        ok = true;
                                else if (fn == 0xFD || fn == 0xFE)
                                        ok = false;
                                else if (fn == 0xFB)
                                        ok = on <= 127 && color_ok;
                                else if (fn == 0x00 || fn == 0xFF)
                                        ok = color_ok;
                                else
                                        ok = on >= 1 && on <= 0xFA && color_ok;
                                if ((picmg_led_parse_set(req, 6, &r) == IPMI_CC_OK) != ok)
                                        fail_msg("fn 0x%02x on 0x%02x color 0x%02x: %s", fn, on,
                                                 color, ok ? "refused" : "accepted");
                                if (ok) {
                                        assert_int_equal(r.fru, 1);
                                        assert_int_equal(r.led, 2);
                                        assert_int_equal(r.function, fn);
                                        assert_int_equal(r.on_duration, on);
                                        assert_int_equal(r.color, color);
                                }
                        }
}

static void test_priorities(void **state) {
        struct picmg_led_state s;
        struct picmg_led_pattern p;
        uint8_t color;

        (void) state;
        picmg_led_state_init(&s, &rg, &off);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_OFF);
        assert_int_equal(color, PICMG_LED_COLOR_NONE);

        /* Local control on, in the local default color. */
        assert_int_equal(picmg_led_set_local_pattern(&s, &(struct picmg_led_pattern) {
                                 .kind = PICMG_LED_PATTERN_ON }), 0);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_ON);
        assert_int_equal(color, PICMG_LED_COLOR_GREEN);

        /* Override blink: 300 ms off (0x1E), 200 ms on (0x14), default (override) color. */
        assert_int_equal(set(&s, &rg, 0x1E, 0x14, 0xF), 0);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_BLINK);
        assert_int_equal(p.on_ms, 200);
        assert_int_equal(p.off_ms, 300);
        assert_int_equal(color, PICMG_LED_COLOR_RED);

        /* Lamp test over the override, in green; then a new override under it. */
        assert_int_equal(set(&s, &rg, 0xFB, 5, PICMG_LED_COLOR_GREEN), 0);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_ON);
        assert_int_equal(color, PICMG_LED_COLOR_GREEN);
        assert_int_equal(set(&s, &rg, 0xFF, 0, 0xE), 0);        /* on, color unchanged */
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(color, PICMG_LED_COLOR_GREEN);         /* still the lamp test */
        picmg_led_lamp_test_end(&s);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_ON);
        assert_int_equal(color, PICMG_LED_COLOR_RED);           /* the override's color kept */

        /* The local state changes underneath, unseen until restore. */
        assert_int_equal(picmg_led_set_local_pattern(&s, &(struct picmg_led_pattern) {
                .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 900, .off_ms = 100 }), 0);
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_ON);
        assert_int_equal(set(&s, &rg, 0xFC, 0x99, 0x77 & 0x0F), 0);      /* rest ignored */
        picmg_led_effective(&s, &p, &color);
        assert_int_equal(p.kind, PICMG_LED_PATTERN_BLINK);
        assert_int_equal(p.on_ms, 900);
        assert_int_equal(color, PICMG_LED_COLOR_GREEN);
        assert_false(s.override);

        /* Restore ends a lamp test too; a lamp test of 0 never starts. */
        assert_int_equal(set(&s, &rg, 0xFB, 100, 0xF), 0);
        assert_true(s.lamp_test);
        assert_int_equal(set(&s, &rg, 0xFC, 0, 0), 0);
        assert_false(s.lamp_test);
        assert_int_equal(set(&s, &rg, 0xFB, 0, 0xF), 0);
        assert_false(s.lamp_test);
}

static void test_colors_refused_change_nothing(void **state) {
        struct picmg_led_state s, before;

        (void) state;
        picmg_led_state_init(&s, &rg, &off);
        assert_int_equal(set(&s, &rg, 0xFF, 0, PICMG_LED_COLOR_GREEN), 0);
        before = s;
        for (uint8_t c = PICMG_LED_COLOR_BLUE; c <= PICMG_LED_COLOR_MAX; c++) {
                if (c == PICMG_LED_COLOR_RED || c == PICMG_LED_COLOR_GREEN)
                        continue;
                assert_int_equal(set(&s, &rg, 0x00, 0, c), IPMI_CC_INVALID_DATA_FIELD);
                assert_int_equal(set(&s, &rg, 0xFB, 10, c), IPMI_CC_INVALID_DATA_FIELD);
                assert_int_equal(set(&s, &rg, 0x10, 0x10, c), IPMI_CC_INVALID_DATA_FIELD);
                assert_memory_equal(&s, &before, sizeof(s));
        }
        /* "Don't change" keeps the override's green; "default" is red. */
        assert_int_equal(set(&s, &rg, 0x00, 0, 0xE), 0);
        assert_int_equal(s.override_color, PICMG_LED_COLOR_GREEN);
        assert_int_equal(set(&s, &rg, 0x00, 0, 0xF), 0);
        assert_int_equal(s.override_color, PICMG_LED_COLOR_RED);
}

static void test_local_patterns(void **state) {
        struct picmg_led_state s, before;
        static const struct picmg_led_pattern bad[] = {
                { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 0, .off_ms = 100 },
                { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 100, .off_ms = 0 },
                { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 105, .off_ms = 100 },
                { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 2510, .off_ms = 100 },
                { .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 100, .off_ms = 2510 },
                { .kind = PICMG_LED_PATTERN_ON, .on_ms = 100 },
                { .kind = PICMG_LED_PATTERN_OFF, .off_ms = 100 },
                { .kind = (enum picmg_led_kind) 7 },
        };

        (void) state;
        picmg_led_state_init(&s, &rg, &off);
        before = s;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(picmg_led_set_local_pattern(&s, &bad[i]), -EINVAL);
                assert_memory_equal(&s, &before, sizeof(s));
        }
        assert_int_equal(picmg_led_set_local_pattern(&s, &(struct picmg_led_pattern) {
                .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 2500, .off_ms = 10 }), 0);
}

static void test_encode(void **state) {
        struct picmg_led_state s;
        uint8_t out[16];

        (void) state;
        assert_int_equal(picmg_led_encode_properties(0x0B, 2, out, 2), -ENOBUFS);
        assert_int_equal(picmg_led_encode_properties(0x0B, 2, out, 3), 3);
        assert_memory_equal(out, "\x00\x0b\x02", 3);
        assert_int_equal(picmg_led_encode_caps(&rg, out, 3), -ENOBUFS);
        assert_int_equal(picmg_led_encode_caps(&rg, out, sizeof(out)), 4);
        assert_memory_equal(out, "\x00\x0c\x03\x02", 4);

        /* Local only: 5 bytes. */
        picmg_led_state_init(&s, &rg, &(struct picmg_led_pattern) {
                .kind = PICMG_LED_PATTERN_BLINK, .on_ms = 900, .off_ms = 100 });
        assert_int_equal(picmg_led_encode_state(&s, 0, out, 4), -ENOBUFS);
        assert_int_equal(picmg_led_encode_state(&s, 0, out, sizeof(out)), 5);
        assert_memory_equal(out, "\x00\x01\x0a\x5a\x03", 5);
        /* Override: 8. */
        assert_int_equal(set(&s, &rg, 0xFF, 0x33, 0xF), 0);
        assert_int_equal(picmg_led_encode_state(&s, 0, out, 7), -ENOBUFS);
        assert_int_equal(picmg_led_encode_state(&s, 0, out, sizeof(out)), 8);
        assert_memory_equal(out, "\x00\x03\x0a\x5a\x03\xff\x00\x02", 8);
        /* Override and lamp test: 9, the override described, the time left clamped. */
        assert_int_equal(set(&s, &rg, 0xFB, 20, PICMG_LED_COLOR_GREEN), 0);
        assert_int_equal(picmg_led_encode_state(&s, 200, out, 8), -ENOBUFS);
        assert_int_equal(picmg_led_encode_state(&s, 200, out, sizeof(out)), 9);
        assert_memory_equal(out, "\x00\x07\x0a\x5a\x03\xff\x00\x02\x7f", 9);
        assert_int_equal(picmg_led_encode_state(&s, 0, out, sizeof(out)), 9);
        assert_int_equal(out[8], 1);
        /* Lamp test alone: bytes 7..9 say on in the test's color. */
        assert_int_equal(set(&s, &rg, 0xFC, 0, 0), 0);
        assert_int_equal(set(&s, &rg, 0xFB, 20, PICMG_LED_COLOR_GREEN), 0);
        assert_int_equal(picmg_led_encode_state(&s, 13, out, sizeof(out)), 9);
        assert_memory_equal(out, "\x00\x05\x0a\x5a\x03\xff\x00\x03\x0d", 9);
        /* Blink override: function = off time, then on time. */
        assert_int_equal(set(&s, &rg, 0xFC, 0, 0), 0);
        assert_int_equal(set(&s, &rg, 0x05, 0xFA, 0xE), 0);
        assert_int_equal(picmg_led_encode_state(&s, 0, out, sizeof(out)), 8);
        assert_memory_equal(out, "\x00\x03\x0a\x5a\x03\x05\xfa\x02", 8);
}

static void test_color_names(void **state) {
        (void) state;
        assert_null(picmg_led_color_name(0));
        assert_string_equal(picmg_led_color_name(1), "blue");
        assert_string_equal(picmg_led_color_name(6), "white");
        assert_null(picmg_led_color_name(7));
        assert_null(picmg_led_color_name(0xFF));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_lengths_and_identifier),
                cmocka_unit_test(test_parse_set_every_value),
                cmocka_unit_test(test_priorities),
                cmocka_unit_test(test_colors_refused_change_nothing),
                cmocka_unit_test(test_local_patterns),
                cmocka_unit_test(test_encode),
                cmocka_unit_test(test_color_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
