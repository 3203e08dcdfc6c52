/* SPDX-License-Identifier: MIT */
/*
 * The [sensor.N] source grammars (file:, gpio:, smbus:, pmbus:, the bit=/mask= selectors) on
 * any text. A parse either fails with a reason and leaves the previous source alone, or gives
 * fields inside the documented bounds; a parsed source equals its copy and is described
 * within the buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config-sensor-source.h"
#include "daemon/sensor-source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_bounds(const struct sensor_source_config *s) {
        unsigned bits = 16;

        switch (s->kind) {
        case SENSOR_SOURCE_SMBUS:
                if (s->smbus.address < 0x08 || s->smbus.address > 0x77 || s->smbus.scale == 0)
                        abort();
                if (s->smbus.width == SMBUS_WIDTH_BYTE)
                        bits = 8;
                if (s->mask && (s->smbus.is_signed || s->smbus.scale != 1))
                        abort();
                break;
        case SENSOR_SOURCE_PMBUS:
                if (s->pmbus.address < 0x08 || s->pmbus.address > 0x77 || s->pmbus.scale == 0 ||
                    s->pmbus.page < -1 || s->pmbus.page > PMBUS_PAGE_MAX)
                        abort();
                if (s->pmbus.format == PMBUS_FORMAT_DIRECT && s->pmbus.direct.m == 0)
                        abort();
                if (s->mask && s->pmbus.format != PMBUS_FORMAT_BYTE &&
                    s->pmbus.format != PMBUS_FORMAT_WORD)
                        abort();
                if (s->pmbus.format == PMBUS_FORMAT_BYTE)
                        bits = 8;
                break;
        case SENSOR_SOURCE_FILE:
                if (!s->file.path || s->file.path[0] != '/' || s->file.scale == 0)
                        abort();
                break;
        case SENSOR_SOURCE_GPIO:
                if (!s->gpio.chip || s->gpio.chip[0] == '\0')
                        abort();
                break;
        default:
                break;
        }
        if (s->mask >> bits)
                abort();
        if (s->mask && s->kind != SENSOR_SOURCE_SMBUS && s->kind != SENSOR_SOURCE_PMBUS)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sensor_source_config src = { .kind = SENSOR_SOURCE_NONE }, copy;
        char text[256], reason[200], small[12];
        int r;

        if (size >= sizeof(text))
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        if (sensor_source_parse("gpio:gpiochip0:7", &src, reason, sizeof(reason)) < 0)
                abort();
        reason[0] = '\0';
        r = sensor_source_parse(text, &src, reason, sizeof(reason));
        if (r < 0) {
                if (reason[0] == '\0' || src.kind != SENSOR_SOURCE_GPIO || src.gpio.line != 7 ||
                    strcmp(src.gpio.chip, "gpiochip0") != 0)
                        abort();
                sensor_source_config_clear(&src);
                return 0;
        }
        check_bounds(&src);
        if (sensor_source_config_copy(&copy, &src) < 0)
                abort();
        if (!sensor_source_config_equal(&copy, &src))
                abort();
        if (strlen(sensor_source_describe(&src, small, sizeof(small))) >= sizeof(small))
                abort();
        sensor_source_config_clear(&copy);
        sensor_source_config_clear(&src);
        return 0;
}
