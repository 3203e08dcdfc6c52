/* SPDX-License-Identifier: MIT */
/*
 * protocol/sdr.c: golden bytes for the three records satmc publishes, written out by hand from
 * IPMI v2.0 tables 43-1, 43-7 and 43-8 and laid against ipmitool's packed structs
 * (include/ipmitool/ipmi_sdr.h), then served once by hand to ipmitool 1.8.19 over its dummy
 * interface, whose `sdr get "Board Temp"` printed exactly the values in the comments below;
 * the encoders' refusals, parse round trips, hostile input for the parser (every truncation,
 * every length byte, every ID string length, random mutations) and Get SDR partial reads over
 * a three-record repository.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/ipmi.h"
#include "protocol/sdr.h"

/*
 * MC Device Locator, record 1. ipmitool struct sdr_record_mc_locator starts at offset 5:
 * dev_slave_addr 5, channel_num 6, global_init/pwr_state_notif 7, dev_support 8,
 * __reserved4[3] 9-11, entity 12-13, oem 14, id_code 15, id_string 16.
 */
static const uint8_t golden_mc[] = {
        0x01, 0x00, 0x51, 0x12, 0x10,           /* ID 1, v0x51, type 0x12, 16 bytes follow */
        0x72,                                   /* our 8-bit IPMB address */
        0x00,                                   /* channel 0 (IPMB-0) */
        0x00,                                   /* no ACPI notifications; enable event msgs */
        0x29,                                   /* sensor device, FRU inventory, event generator */
        0x00, 0x00, 0x00,                       /* reserved */
        0x07, 0x01,                             /* entity: system board, instance 1 */
        0x00,                                   /* OEM */
        0xC5, 's', 'a', 't', 'm', 'c',          /* 8-bit ASCII, 5 bytes */
};

/*
 * Full Sensor Record, record 2: "Board Temp", -40..125 degrees C, solved to M=65, B=43,
 * Bexp=2, Rexp=-2, two's complement raw (one count 0.65 degrees, raw 0 = 43 degrees).
 * ipmitool struct sdr_record_full_sensor: keys 5-7, entity 8-9, sensor.init 10,
 * sensor.capabilities 11, sensor.type 12, event_type 13, mask 14-19 (assert, deassert,
 * read/set as little-endian 16-bit words), unit 20-22, linearization 23, mtol 24-25,
 * bacc 26-29, analog_flag 30, nominal_read 31, normal_max 32, normal_min 33, sensor_max 34,
 * sensor_min 35, threshold.upper nr/cr/nc 36-38, threshold.lower nr/cr/nc 39-41,
 * hysteresis positive/negative 42-43, __reserved[2] 44-45, oem 46, id_code 47, id_string 48.
 */
static const uint8_t golden_sensor[] = {
        0x02, 0x00, 0x51, 0x01, 0x35,           /* ID 2, v0x51, type 0x01, 53 bytes follow */
        0x72, 0x00, 0x01,                       /* owner 0x72, channel 0 / LUN 0, sensor 1 */
        0x07, 0x01,                             /* entity: system board, instance 1 */
        0x7F,                                   /* init: scanning, events, thresholds, hyst... */
        0x58,                                   /* caps: auto re-arm, hyst readable, thr settable */
        0x01, 0x01,                             /* temperature, threshold */
        0x04, 0x72,                             /* assert: LCR going low, UCR going high;
                                                 * lower LNC/LCR/LNR readings returned */
        0x04, 0x72,                             /* deassert: same; upper UNC/UCR/UNR returned */
        0x3F, 0x1B,                             /* readable: all six; settable: LNC LCR UNC UCR */
        0x80, 0x01, 0x00,                       /* two's complement; degrees C; no modifier */
        0x00,                                   /* linear */
        0x41, 0x02,                             /* M = 65, tolerance 2 half-counts */
        0x2B, 0x24,                             /* B = 43, accuracy low 6 bits 0x24 */
        0x11,                                   /* accuracy 9:6 = 1 (100 = 1.00 %), exp 0, input */
        0xE2,                                   /* Rexp -2, Bexp 2 */
        0x07,                                   /* nominal, normal max, normal min given */
        0xE4, 0x41, 0xBE,                       /* nominal 24.8, normal max 85.25, min 0.1 */
        0x7F, 0x80,                             /* sensor max 125.55, min -40.2 */
        0x6F, 0x5F, 0x50,                       /* UNR 115.15, UCR 104.75, UNC 95 */
        0x88, 0x9F, 0xAE,                       /* LNR -35, LCR -20.05, LNC -10.3 */
        0x02, 0x02,                             /* hysteresis: 2 counts each way */
        0x00, 0x00,                             /* reserved */
        0x00,                                   /* OEM */
        0xCA, 'B', 'o', 'a', 'r', 'd', ' ', 'T', 'e', 'm', 'p',
};

/*
 * FRU Device Locator, record 3. ipmitool struct sdr_record_fru_locator: dev_slave_addr 5,
 * device_id 6, bus/lun/logical 7, channel_num (bits 7:4) 8, __reserved4 9, dev_type 10,
 * dev_type_modifier 11, entity 12-13, oem 14, id_code 15, id_string 16.
 */
static const uint8_t golden_fru[] = {
        0x03, 0x00, 0x51, 0x11, 0x14,           /* ID 3, v0x51, type 0x11, 20 bytes follow */
        0x72,                                   /* accessed through us */
        0x00,                                   /* FRU device ID 0 */
        0x80,                                   /* logical FRU device, LUN 0, private bus 0 */
        0x00,                                   /* channel 0 */
        0x00,                                   /* reserved */
        0x10, 0x00,                             /* IPMI FRU inventory, no modifier */
        0x07, 0x01,                             /* entity: system board, instance 1 */
        0x00,                                   /* OEM */
        0xC9, 'B', 'o', 'a', 'r', 'd', ' ', 'F', 'R', 'U',
};

static const struct sdr_mc_locator mc_template = {
        .slave_address = 0x72,
        .capabilities = IPMI_DEVSUP_SENSOR | IPMI_DEVSUP_FRU_INVENTORY |
                        IPMI_DEVSUP_IPMB_EVENT_GENERATOR,
        .entity_id = 0x07,
        .entity_instance = 0x01,
        .id = "satmc",
};

static const struct sdr_fru_locator fru_template = {
        .access_address = 0x72,
        .fru_device_id = 0,
        .logical = true,
        .device_type = SDR_DEVICE_TYPE_FRU_INVENTORY,
        .entity_id = 0x07,
        .entity_instance = 0x01,
        .id = "Board FRU",
};

static uint8_t raw_of(const struct sensor_linear *l, double v) {
        uint8_t raw;

        assert_int_equal(sensor_linear_to_raw(l, v, &raw), 0);
        return raw;
}

/* The sensor as the daemon will build it: solve the range, convert the configured values. */
static struct sdr_full_sensor board_temp(void) {
        struct sdr_full_sensor s = {
                .owner_id = 0x72,
                .number = 1,
                .entity_id = 0x07,
                .entity_instance = 0x01,
                .init = SDR_INIT_SCANNING_ENABLED | SDR_INIT_EVENTS_ENABLED | SDR_INIT_SENSOR_TYPE |
                        SDR_INIT_HYSTERESIS | SDR_INIT_THRESHOLDS | SDR_INIT_EVENTS | SDR_INIT_SCANNING,
                .capabilities = SDR_CAP_AUTO_REARM | SDR_CAP_HYSTERESIS(SDR_ACCESS_READABLE) |
                                SDR_CAP_THRESHOLDS(SDR_ACCESS_SETTABLE) | SDR_CAP_EVENTS_PER_THRESHOLD,
                .sensor_type = 0x01,
                .event_type = SDR_EVENT_TYPE_THRESHOLD,
                .base_unit = 0x01,
                .tolerance = 2,
                .accuracy = 100,
                .direction = 1,
                .analog_flags = SDR_ANALOG_NOMINAL | SDR_ANALOG_NORMAL_MAX | SDR_ANALOG_NORMAL_MIN,
                .hysteresis_pos = 2,
                .hysteresis_neg = 2,
                .id = "Board Temp",
        };

        /* Two's complement codes, as the solver chose for -40..125 before it preferred
         * unsigned ones: the encoder must still write them (and the bytes below say how). */
        s.linear = (struct sensor_linear) { .m = 65, .b = 43, .b_exp = 2, .r_exp = -2,
                                            .is_signed = true };
        sdr_threshold_masks(SDR_THR_ALL, SDR_THR_LNC | SDR_THR_LCR | SDR_THR_UNC | SDR_THR_UCR,
                            SDR_THR_LCR | SDR_THR_UCR, SDR_THR_LCR | SDR_THR_UCR, &s);
        s.nominal = raw_of(&s.linear, 25);
        s.normal_max = raw_of(&s.linear, 85);
        s.normal_min = raw_of(&s.linear, 0);
        s.sensor_max = 0x7F;
        s.sensor_min = 0x80;
        s.unr = raw_of(&s.linear, 115);
        s.ucr = raw_of(&s.linear, 105);
        s.unc = raw_of(&s.linear, 95);
        s.lnr = raw_of(&s.linear, -35);
        s.lcr = raw_of(&s.linear, -20);
        s.lnc = raw_of(&s.linear, -10);
        return s;
}

static void test_golden_mc(void **state) {
        uint8_t buf[SDR_LOCATOR_MAX];

        assert_int_equal(sdr_encode_mc_locator(1, &mc_template, buf, sizeof(buf)), sizeof(golden_mc));
        assert_memory_equal(buf, golden_mc, sizeof(golden_mc));
}

static void test_golden_fru(void **state) {
        uint8_t buf[SDR_LOCATOR_MAX];

        assert_int_equal(sdr_encode_fru_locator(3, &fru_template, buf, sizeof(buf)), sizeof(golden_fru));
        assert_memory_equal(buf, golden_fru, sizeof(golden_fru));
}

static void test_golden_sensor(void **state) {
        struct sdr_full_sensor s = board_temp();
        uint8_t buf[SDR_FULL_SENSOR_MAX];

        assert_int_equal(sdr_encode_full_sensor(2, &s, buf, sizeof(buf)), sizeof(golden_sensor));
        assert_memory_equal(buf, golden_sensor, sizeof(golden_sensor));
}

/* The values the golden comments claim, read back the way ipmitool reads them. */
static void test_golden_sensor_values(void **state) {
        struct sdr_full_sensor s;
        struct sdr_header h;

        assert_int_equal(sdr_parse_full_sensor(golden_sensor, sizeof(golden_sensor), &h, &s),
                         sizeof(golden_sensor));
        assert_int_equal(h.record_id, 2);
        assert_int_equal(h.type, SDR_TYPE_FULL_SENSOR);
        assert_int_equal(h.length, sizeof(golden_sensor) - 5);
        assert_string_equal(s.id, "Board Temp");
        assert_int_equal(s.id_code, 0xCA);
        assert_int_equal(s.linear.m, 65);
        assert_int_equal(s.linear.b, 43);
        assert_int_equal(s.linear.b_exp, 2);
        assert_int_equal(s.linear.r_exp, -2);
        assert_true(s.linear.is_signed);
        assert_int_equal(s.accuracy, 100);
        assert_int_equal(s.tolerance, 2);
        assert_int_equal(s.direction, 1);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.nominal), 24.8, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.normal_max), 85.25, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.normal_min), 0.1, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.sensor_max), 125.55, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.sensor_min), -40.2, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.unr), 115.15, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.ucr), 104.75, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.unc), 95, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.lnr), -35, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.lcr), -20.05, 1e-9);
        assert_float_equal(sensor_linear_to_value(&s.linear, s.lnc), -10.3, 1e-9);
        assert_float_equal(s.hysteresis_pos * sensor_linear_step(&s.linear), 1.3, 1e-9);
}

static void test_threshold_masks(void **state) {
        struct sdr_full_sensor s = {};

        sdr_threshold_masks(0, 0, SDR_THR_ALL, SDR_THR_ALL, &s);    /* events: readable ones */
        assert_int_equal(s.assert_mask, 0);
        assert_int_equal(s.deassert_mask, 0);
        assert_int_equal(s.reading_mask, 0);

        sdr_threshold_masks(SDR_THR_ALL, SDR_THR_ALL, SDR_THR_ALL, SDR_THR_ALL, &s);
        /* going low: bits 0, 2, 4; going high: 7, 9, 11 */
        assert_int_equal(s.assert_mask, 0x7000 | 0x0A95);
        assert_int_equal(s.deassert_mask, 0x7000 | 0x0A95);
        assert_int_equal(s.reading_mask, 0x3F3F);

        sdr_threshold_masks(SDR_THR_UPPER, SDR_THR_UCR, SDR_THR_UNR, SDR_THR_UNR, &s);
        assert_int_equal(s.assert_mask, 0x0800);
        assert_int_equal(s.deassert_mask, 0x7800);
        assert_int_equal(s.reading_mask, 0x1038);

        /* Assertion and deassertion events apart: LCR going low asserts only, UCR going high
         * deasserts only; the reading masks (bits 14:12) do not follow the event sets. */
        sdr_threshold_masks(SDR_THR_LCR | SDR_THR_UCR, SDR_THR_UCR, SDR_THR_LCR, SDR_THR_UCR, &s);
        assert_int_equal(s.assert_mask, 0x2000 | 0x0004);
        assert_int_equal(s.deassert_mask, 0x2000 | 0x0200);
        assert_int_equal(s.reading_mask, 0x1012);
}

/* IPMI's entity table (43-13): names and IDs both ways, reserved IDs without a name. */
static void test_entity_names(void **state) {
        static const struct {
                uint8_t id;
                const char *name;
        } anchors[] = {
                { 0x00, "unspecified" }, { 0x07, "system-board" }, { 0x0A, "power-supply" },
                { 0x13, "power-unit" }, { 0x1D, "fan-cooling-device" }, { 0x1E, "cooling-unit" },
                { 0x35, "real-time-clock" }, { 0x37, "air-inlet" }, { 0x42, "dcmi-baseboard" },
        };
        unsigned named = 0;

        for (size_t i = 0; i < sizeof(anchors) / sizeof(anchors[0]); i++) {
                assert_string_equal(ipmi_entity_name(anchors[i].id), anchors[i].name);
                assert_int_equal(ipmi_entity_from_name(anchors[i].name), anchors[i].id);
        }
        for (unsigned id = 0; id <= 0xFF; id++) {
                const char *name = ipmi_entity_name((uint8_t) id);
                bool in_table = id <= 0x35 || id == 0x37 || (id >= 0x40 && id <= 0x42);

                assert_int_equal(name != NULL, in_table);
                /* Reserved: neither named nor left to chassis, board-set or OEM use. */
                assert_int_equal(ipmi_entity_is_reserved((uint8_t) id), !in_table && id < 0x90);
                if (!name)
                        continue;
                named++;
                /* Each name leads back to its own ID: no two IDs share one. */
                assert_int_equal(ipmi_entity_from_name(name), (int) id);
        }
        assert_int_equal(named, 0x36 + 1 + 3);
        assert_int_equal(ipmi_entity_from_name("Power-Supply"), -EINVAL);
        assert_int_equal(ipmi_entity_from_name(""), -EINVAL);
        assert_int_equal(ipmi_entity_from_name("10"), -EINVAL);         /* numbers: the caller's */
}

/* Encode -> parse -> encode gives the same bytes, for the golden sensor and corner values. */
static void test_parse_round_trip(void **state) {
        struct sdr_full_sensor in = board_temp(), out;
        uint8_t a[SDR_FULL_SENSOR_MAX], b[SDR_FULL_SENSOR_MAX];
        int n;

        in.linear = (struct sensor_linear) { .m = -512, .b = 511, .b_exp = -8, .r_exp = 7 };
        in.owner_lun = 3;
        in.channel = 15;
        in.tolerance = 63;
        in.accuracy = 1023;
        in.accuracy_exp = 3;
        in.direction = 2;
        in.units1 = 0x3F;
        in.oem = 0xA5;
        memcpy(in.id, "0123456789abcdef", 17);

        n = sdr_encode_full_sensor(0xFFFE, &in, a, sizeof(a));
        assert_int_equal(n, SDR_FULL_SENSOR_MAX);
        assert_int_equal(sdr_parse_full_sensor(a, (size_t) n, NULL, &out), n);
        assert_int_equal(out.linear.m, -512);
        assert_int_equal(out.linear.b, 511);
        assert_int_equal(out.linear.b_exp, -8);
        assert_int_equal(out.linear.r_exp, 7);
        assert_false(out.linear.is_signed);
        assert_int_equal(out.owner_lun, 3);
        assert_int_equal(out.channel, 15);
        assert_int_equal(out.tolerance, 63);
        assert_int_equal(out.accuracy, 1023);
        assert_int_equal(out.accuracy_exp, 3);
        assert_int_equal(out.direction, 2);
        assert_int_equal(out.units1, 0x3F);
        assert_string_equal(out.id, "0123456789abcdef");
        assert_int_equal(sdr_encode_full_sensor(0xFFFE, &out, b, sizeof(b)), n);
        assert_memory_equal(a, b, (size_t) n);

        /* The golden record too, and an empty ID string. */
        assert_int_equal(sdr_parse_full_sensor(golden_sensor, sizeof(golden_sensor), NULL, &out),
                         sizeof(golden_sensor));
        assert_int_equal(sdr_encode_full_sensor(2, &out, b, sizeof(b)), sizeof(golden_sensor));
        assert_memory_equal(b, golden_sensor, sizeof(golden_sensor));

        in = board_temp();
        in.id[0] = '\0';
        assert_int_equal(sdr_encode_full_sensor(7, &in, a, sizeof(a)), SDR_FULL_SENSOR_FIXED);
        assert_int_equal(a[47], 0xC0);
        assert_int_equal(sdr_parse_full_sensor(a, SDR_FULL_SENSOR_FIXED, NULL, &out), SDR_FULL_SENSOR_FIXED);
        assert_string_equal(out.id, "");
}

static void test_encode_refusals(void **state) {
        uint8_t buf[SDR_FULL_SENSOR_MAX + 8];
        struct sdr_full_sensor s;
        struct sdr_mc_locator mc;
        struct sdr_fru_locator fru;

#define REFUSE_SENSOR(field, value) do {                                                 \
                s = board_temp();                                                        \
                s.field = value;                                                         \
                assert_int_equal(sdr_encode_full_sensor(2, &s, buf, sizeof(buf)), -EINVAL); \
        } while (0)
        REFUSE_SENSOR(owner_lun, 4);
        REFUSE_SENSOR(channel, 16);
        REFUSE_SENSOR(number, 0xFF);
        REFUSE_SENSOR(linear.m, 0);
        REFUSE_SENSOR(linear.m, 512);
        REFUSE_SENSOR(linear.b, -513);
        REFUSE_SENSOR(linear.b_exp, 8);
        REFUSE_SENSOR(linear.r_exp, -9);
        REFUSE_SENSOR(tolerance, 64);
        REFUSE_SENSOR(accuracy, 1024);
        REFUSE_SENSOR(accuracy_exp, 4);
        REFUSE_SENSOR(direction, 4);
        REFUSE_SENSOR(analog_flags, 8);
        REFUSE_SENSOR(assert_mask, 0x8000);
        REFUSE_SENSOR(deassert_mask, 0x8000);
        REFUSE_SENSOR(units1, 0x00 | 0x40);     /* one's complement: not what linear says */
        REFUSE_SENSOR(units1, 0xC0);            /* "no analog reading" */
        s = board_temp();
        s.linear.is_signed = false;
        s.units1 = 0x80;
        assert_int_equal(sdr_encode_full_sensor(2, &s, buf, sizeof(buf)), -EINVAL);
        s = board_temp();
        s.units1 = 0x80;                        /* agrees with is_signed: accepted */
        assert_int_equal(sdr_encode_full_sensor(2, &s, buf, sizeof(buf)), sizeof(golden_sensor));
        s = board_temp();
        memset(s.id, 'x', sizeof(s.id));       /* 17 bytes, no NUL */
        assert_int_equal(sdr_encode_full_sensor(2, &s, buf, sizeof(buf)), -EINVAL);
        s = board_temp();
        assert_int_equal(sdr_encode_full_sensor(0xFFFF, &s, buf, sizeof(buf)), -EINVAL);

        mc = mc_template;
        mc.slave_address = 0x73;
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), -EINVAL);
        mc = mc_template;
        mc.channel = 16;
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), -EINVAL);
        mc = mc_template;
        mc.power_state_notification = 8;
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), -EINVAL);
        mc = mc_template;
        mc.global_init = 16;
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), -EINVAL);
        mc = mc_template;
        assert_int_equal(sdr_encode_mc_locator(0xFFFF, &mc, buf, sizeof(buf)), -EINVAL);
        memset(mc.id, 'x', sizeof(mc.id));
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), -EINVAL);
        mc.id[16] = '\0';                       /* exactly 16 is fine */
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), SDR_LOCATOR_MAX);
        mc = mc_template;
        mc.power_state_notification = 7;
        mc.global_init = 15;
        assert_int_equal(sdr_encode_mc_locator(1, &mc, buf, sizeof(buf)), sizeof(golden_mc));
        assert_int_equal(buf[7], 0xEF);

        fru = fru_template;
        fru.access_address = 0x01;
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), -EINVAL);
        fru = fru_template;
        fru.access_lun = 4;
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), -EINVAL);
        fru = fru_template;
        fru.private_bus = 8;
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), -EINVAL);
        fru = fru_template;
        fru.channel = 16;
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), -EINVAL);
        fru = fru_template;
        fru.logical = false;
        fru.fru_device_id = 0xA1;               /* a slave address must be even */
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), -EINVAL);
        fru.fru_device_id = 0xA0;
        fru.access_lun = 3;
        fru.private_bus = 7;
        fru.channel = 15;
        assert_int_equal(sdr_encode_fru_locator(3, &fru, buf, sizeof(buf)), sizeof(golden_fru));
        assert_int_equal(buf[6], 0xA0);
        assert_int_equal(buf[7], 0x1F);
        assert_int_equal(buf[8], 0xF0);
}

/* Every capacity below the record's length: -EMSGSIZE, and not one byte written. */
static void test_encode_cap(void **state) {
        struct sdr_full_sensor s = board_temp();
        uint8_t buf[SDR_FULL_SENSOR_MAX];

        for (size_t cap = 0; cap <= sizeof(golden_sensor); cap++) {
                int want = cap < sizeof(golden_sensor) ? -EMSGSIZE : (int) sizeof(golden_sensor);

                memset(buf, 0xEE, sizeof(buf));
                assert_int_equal(sdr_encode_full_sensor(2, &s, buf, cap), want);
                for (size_t i = want < 0 ? 0 : (size_t) want; i < sizeof(buf); i++)
                        assert_int_equal(buf[i], 0xEE);
        }
        for (size_t cap = 0; cap < sizeof(golden_mc); cap++) {
                memset(buf, 0xEE, sizeof(buf));
                assert_int_equal(sdr_encode_mc_locator(1, &mc_template, buf, cap), -EMSGSIZE);
                assert_int_equal(buf[0], 0xEE);
        }
        for (size_t cap = 0; cap < sizeof(golden_fru); cap++) {
                memset(buf, 0xEE, sizeof(buf));
                assert_int_equal(sdr_encode_fru_locator(3, &fru_template, buf, cap), -EMSGSIZE);
                assert_int_equal(buf[0], 0xEE);
        }
}

static void test_parse_header(void **state) {
        struct sdr_header h;
        uint8_t bad[sizeof(golden_mc)];

        for (size_t n = 0; n < SDR_HEADER_LEN; n++)
                assert_int_equal(sdr_parse_header(golden_mc, n, &h), -EBADMSG);
        for (size_t n = SDR_HEADER_LEN; n < sizeof(golden_mc); n++)
                assert_int_equal(sdr_parse_header(golden_mc, n, NULL), -EBADMSG);
        assert_int_equal(sdr_parse_header(golden_mc, sizeof(golden_mc), &h), sizeof(golden_mc));
        assert_int_equal(h.record_id, 1);
        assert_int_equal(h.version, 0x51);
        assert_int_equal(h.type, SDR_TYPE_MC_LOCATOR);
        assert_int_equal(h.length, 16);

        memcpy(bad, golden_mc, sizeof(bad));
        bad[2] = 0x02;
        assert_int_equal(sdr_parse_header(bad, sizeof(bad), &h), -EPROTONOSUPPORT);
        assert_int_equal(h.version, 0x02);

        /* Not a full sensor record. */
        assert_int_equal(sdr_parse_full_sensor(golden_mc, sizeof(golden_mc), NULL, NULL), -ENOMSG);
        assert_int_equal(sdr_parse_full_sensor(golden_fru, sizeof(golden_fru), NULL, NULL), -ENOMSG);
}

/* Hostile input: truncations, lying length bytes, lying ID string lengths. */
static void test_parse_hostile(void **state) {
        uint8_t buf[300];
        struct sdr_full_sensor s;

        /* Every truncation of the record. */
        for (size_t n = 0; n < sizeof(golden_sensor); n++) {
                memset(&s, 0x5A, sizeof(s));
                assert_int_equal(sdr_parse_full_sensor(golden_sensor, n, NULL, &s), -EBADMSG);
                assert_int_equal(s.number, 0x5A);       /* untouched */
        }

        /* Every length byte, with 255 bytes really there: too short for the fixed part or the
         * ID string is refused, longer is padding. */
        memset(buf, 0, sizeof(buf));
        memcpy(buf, golden_sensor, sizeof(golden_sensor));
        for (unsigned len = 0; len < 256; len++) {
                int want = len + 5 < sizeof(golden_sensor) ? -EBADMSG : (int) len + 5;

                buf[4] = (uint8_t) len;
                assert_int_equal(sdr_parse_full_sensor(buf, 5 + 255, NULL, &s), want);
                /* And the buffer ending exactly where the record claims to. */
                assert_int_equal(sdr_parse_full_sensor(buf, 5 + len, NULL, NULL), want);
                /* One byte short of the claim. */
                if (len > 0)
                        assert_int_equal(sdr_parse_full_sensor(buf, 4 + len, NULL, NULL), -EBADMSG);
        }

        /* Every ID string type/length byte in the golden record. */
        memcpy(buf, golden_sensor, sizeof(golden_sensor));
        for (unsigned code = 0; code < 256; code++) {
                unsigned n = code & 0x1F;
                int r;

                buf[47] = (uint8_t) code;
                r = sdr_parse_full_sensor(buf, sizeof(golden_sensor), NULL, &s);
                if (n <= 10) {
                        assert_int_equal(r, sizeof(golden_sensor));
                        assert_int_equal(s.id_code, code);
                        assert_int_equal(strlen(s.id), n);
                } else
                        assert_int_equal(r, -EBADMSG);
        }
}

/* A few thousand mutations of the golden record: no crash, success means sane output. */
static void test_parse_mutations(void **state) {
        uint32_t x = 12345;
        uint8_t buf[sizeof(golden_sensor)];

        for (unsigned i = 0; i < 20000; i++) {
                struct sdr_full_sensor s;
                unsigned flips;
                int r;

                memcpy(buf, golden_sensor, sizeof(buf));
                x = x * 1103515245u + 12345u;
                flips = 1 + (x >> 16) % 4;
                for (unsigned k = 0; k < flips; k++) {
                        x = x * 1103515245u + 12345u;
                        buf[(x >> 8) % sizeof(buf)] ^= (uint8_t) (1u << ((x >> 24) % 8));
                }
                x = x * 1103515245u + 12345u;
                r = sdr_parse_full_sensor(buf, (x >> 16) % (sizeof(buf) + 1), NULL, &s);
                if (r < 0)
                        continue;
                assert_true((size_t) r <= sizeof(buf));
                assert_true(strlen(s.id) <= SDR_ID_STRING_MAX);
                assert_true(s.linear.m >= -512 && s.linear.m <= 511);
                assert_true(s.linear.b >= -512 && s.linear.b <= 511);
                assert_true(s.linear.b_exp >= -8 && s.linear.b_exp <= 7);
                assert_true(s.linear.r_exp >= -8 && s.linear.r_exp <= 7);
        }
}

/* ---- repository reads ---- */

static uint8_t repo_buf[sizeof(golden_mc) + sizeof(golden_sensor) + sizeof(golden_fru)];

static struct sdr_repo make_repo(void) {
        memcpy(repo_buf, golden_mc, sizeof(golden_mc));
        memcpy(repo_buf + sizeof(golden_mc), golden_sensor, sizeof(golden_sensor));
        memcpy(repo_buf + sizeof(golden_mc) + sizeof(golden_sensor), golden_fru, sizeof(golden_fru));
        return (struct sdr_repo) { .buf = repo_buf, .len = sizeof(repo_buf) };
}

static void test_repo_get(void **state) {
        struct sdr_repo repo = make_repo();
        uint8_t out[64];
        uint16_t next;

        assert_int_equal(sdr_repo_check(&repo), 3);

        /* ID 0 is the first record; 0xFF the whole record. */
        assert_int_equal(sdr_repo_get(&repo, 0, 0, SDR_READ_WHOLE, out, sizeof(out), &next),
                         sizeof(golden_mc));
        assert_memory_equal(out, golden_mc, sizeof(golden_mc));
        assert_int_equal(next, 2);

        /* The header alone, as ipmitool reads it first. */
        assert_int_equal(sdr_repo_get(&repo, 2, 0, 5, out, sizeof(out), &next), 5);
        assert_memory_equal(out, golden_sensor, 5);
        assert_int_equal(next, 3);

        /* The rest, in one piece and in pieces; a count past the end is answered in full,
         * with zeros after the record (never the next record's bytes). */
        assert_int_equal(sdr_repo_get(&repo, 2, 5, SDR_READ_WHOLE, out, sizeof(out), &next), 53);
        assert_memory_equal(out, golden_sensor + 5, 53);
        assert_int_equal(sdr_repo_get(&repo, 2, 40, 16, out, sizeof(out), &next), 16);
        assert_memory_equal(out, golden_sensor + 40, 16);
        memset(out, 0xEE, sizeof(out));
        assert_int_equal(sdr_repo_get(&repo, 2, 50, 16, out, sizeof(out), &next), 16);
        assert_memory_equal(out, golden_sensor + 50, 8);
        for (unsigned i = 8; i < 16; i++)
                assert_int_equal(out[i], 0);
        assert_int_equal(out[16], 0xEE);
        assert_int_equal(next, 3);
        /* The last record pads too: there is nothing after it. */
        assert_int_equal(sdr_repo_get(&repo, 3, sizeof(golden_fru) - 1, 16, out, sizeof(out), &next),
                         16);
        assert_int_equal(out[0], golden_fru[sizeof(golden_fru) - 1]);
        for (unsigned i = 1; i < 16; i++)
                assert_int_equal(out[i], 0);
        assert_int_equal(next, SDR_RECORD_ID_LAST);
        assert_int_equal(sdr_repo_get(&repo, 2, 57, 1, out, sizeof(out), &next), 1);
        assert_int_equal(out[0], 'p');
        assert_int_equal(sdr_repo_get(&repo, 2, 0, 0, out, 0, &next), 0);

        /* The last record points at 0xFFFF. */
        assert_int_equal(sdr_repo_get(&repo, 3, 0, SDR_READ_WHOLE, out, sizeof(out), &next),
                         sizeof(golden_fru));
        assert_memory_equal(out, golden_fru, sizeof(golden_fru));
        assert_int_equal(next, SDR_RECORD_ID_LAST);
}

static void test_repo_errors(void **state) {
        struct sdr_repo repo = make_repo();
        uint8_t out[64];
        uint16_t next = 0x1234;

        memset(out, 0xEE, sizeof(out));
        assert_int_equal(sdr_repo_get(&repo, 4, 0, 5, out, sizeof(out), &next), -ENOENT);
        assert_int_equal(sdr_repo_get(&repo, 0xFFFF, 0, 5, out, sizeof(out), &next), -ENOENT);
        assert_int_equal(sdr_repo_get(&repo, 2, 58, 1, out, sizeof(out), &next), -EINVAL);
        assert_int_equal(sdr_repo_get(&repo, 2, 255, 1, out, sizeof(out), &next), -EINVAL);
        /* 0xFF asks for 58 bytes; 20 fit (a 32-byte IPMB response): 0xCA, ask for less. */
        assert_int_equal(sdr_repo_get(&repo, 2, 0, SDR_READ_WHOLE, out, 20, &next), -EMSGSIZE);
        assert_int_equal(sdr_repo_get(&repo, 2, 0, 21, out, 20, &next), -EMSGSIZE);
        assert_int_equal(sdr_repo_get(&repo, 2, 0, 20, out, 20, &next), 20);
        assert_int_equal(next, 3);
        /* Padding counts against the room too. */
        assert_int_equal(sdr_repo_get(&repo, 2, 50, 21, out, 20, &next), -EMSGSIZE);
        next = 0x1234;
        memset(out, 0xEE, sizeof(out));

        /* An empty repository has no first record. */
        assert_int_equal(sdr_repo_get(&(struct sdr_repo) {}, 0, 0, 5, out, sizeof(out), &next), -ENOENT);
        assert_int_equal(sdr_repo_check(&(struct sdr_repo) {}), 0);

        /* A broken walk is reported, never read past. */
        repo.len--;
        assert_int_equal(sdr_repo_check(&repo), -EBADMSG);
        assert_int_equal(sdr_repo_get(&repo, 3, 0, 5, out, sizeof(out), &next), -EBADMSG);
        /* The record before the broken one cannot name its successor either. */
        assert_int_equal(sdr_repo_get(&repo, 2, 0, 5, out, sizeof(out), &next), -EBADMSG);
        assert_int_equal(next, 0x1234);
        assert_int_equal(out[0], 0xEE);
}

static void test_repo_check(void **state) {
        struct sdr_repo repo = make_repo();

        repo_buf[sizeof(golden_mc)] = 0x01;     /* sensor takes the MC locator's ID */
        assert_int_equal(sdr_repo_check(&repo), -EBADMSG);
        repo = make_repo();
        repo_buf[sizeof(golden_mc)] = 0xFF;     /* 0xFFFF */
        repo_buf[sizeof(golden_mc) + 1] = 0xFF;
        assert_int_equal(sdr_repo_check(&repo), -EBADMSG);
        repo = make_repo();
        repo_buf[sizeof(golden_mc)] = 0x00;     /* 0 after the first record */
        assert_int_equal(sdr_repo_check(&repo), -EBADMSG);
        repo = make_repo();
        repo_buf[0] = 0x00;                     /* 0 as the first is fine */
        assert_int_equal(sdr_repo_check(&repo), 3);
        repo = make_repo();
        repo_buf[2] = 0x52;                     /* wrong version */
        assert_int_equal(sdr_repo_check(&repo), -EBADMSG);
}

/* Walk the repository as ipmitool does, in chunks of every size: the bytes come back whole. */
static void test_repo_walk(void **state) {
        struct sdr_repo repo = make_repo();

        for (unsigned chunk = 1; chunk <= 64; chunk++) {
                uint8_t got[sizeof(repo_buf)];
                size_t used = 0;
                uint16_t id = 0;
                unsigned records = 0;

                while (id != SDR_RECORD_ID_LAST) {
                        uint8_t hdr[5];
                        uint16_t next;
                        int total;

                        assert_true(records++ < 3);
                        assert_int_equal(sdr_repo_get(&repo, id, 0, 5, hdr, sizeof(hdr), &next), 5);
                        total = 5 + hdr[4];
                        memcpy(got + used, hdr, 5);
                        for (int off = 5; off < total;) {
                                uint8_t piece[64];
                                int r = sdr_repo_get(&repo, id, (uint8_t) off, (uint8_t) chunk,
                                                     piece, chunk, &next);

                                int mine = total - off < r ? total - off : r;

                                /* Always the count asked for; past the record, zeros. */
                                assert_int_equal(r, (int) chunk);
                                memcpy(got + used + off, piece, (size_t) mine);
                                for (int i = mine; i < r; i++)
                                        assert_int_equal(piece[i], 0);
                                off += mine;
                        }
                        used += (size_t) total;
                        id = next;
                }
                assert_int_equal(used, sizeof(repo_buf));
                assert_memory_equal(got, repo_buf, sizeof(repo_buf));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden_mc),
                cmocka_unit_test(test_golden_fru),
                cmocka_unit_test(test_golden_sensor),
                cmocka_unit_test(test_golden_sensor_values),
                cmocka_unit_test(test_threshold_masks),
                cmocka_unit_test(test_entity_names),
                cmocka_unit_test(test_parse_round_trip),
                cmocka_unit_test(test_encode_refusals),
                cmocka_unit_test(test_encode_cap),
                cmocka_unit_test(test_parse_header),
                cmocka_unit_test(test_parse_hostile),
                cmocka_unit_test(test_parse_mutations),
                cmocka_unit_test(test_repo_get),
                cmocka_unit_test(test_repo_errors),
                cmocka_unit_test(test_repo_check),
                cmocka_unit_test(test_repo_walk),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
