/* SPDX-License-Identifier: MIT */
/* The Entity-Manager configuration for OpenBMC's IpmbSensor. See bmc-config-openbmc.h. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "bmc-config-openbmc.h"
#include "macro.h"
#include "protocol/sdr.h"
#include "protocol/sensor-linear.h"

/* IpmbSensor::sensorSubType() knows these names; any other reads as a temperature. */
static const struct {
        uint8_t unit;                   /* IPMI base unit, table 43-15 */
        const char *sensor_type;
} subtypes[] = {
        { 0x01, "temperature" },        /* degrees C */
        { 0x04, "voltage" },            /* Volts */
        { 0x05, "current" },            /* Amps */
        { 0x06, "power" },              /* Watts */
};

/* dbus-sensors' threshold levels (src/Thresholds.hpp, thresProp): Severity 0 Warning,
 * 1 Critical, 4 HardShutdown. IPMI's non-recoverable has no level of its own there; a hard
 * shutdown is what it stands for. */
static const struct {
        unsigned threshold;             /* SENSOR_THR_* */
        const char *name;               /* Entity-Manager's name; dbus-sensors ignores it */
        const char *direction;
        unsigned severity;
} levels[] = {
        { SENSOR_THR_UNR, "upper non recoverable", "greater than", 4 },
        { SENSOR_THR_UCR, "upper critical", "greater than", 1 },
        { SENSOR_THR_UNC, "upper non critical", "greater than", 0 },
        { SENSOR_THR_LNC, "lower non critical", "less than", 0 },
        { SENSOR_THR_LCR, "lower critical", "less than", 1 },
        { SENSOR_THR_LNR, "lower non recoverable", "less than", 4 },
};

/* IpmbSDRSensor finds the ID string at a place that is right for 5 to 16 bytes only
 * (IpmbSDRDevice::checkSDRData()). */
#define OPENBMC_SDR_NAME_MIN 5

static void json_putp(struct json_object **o) {
        json_object_put(*o);
}

/* A number as short as it is exact: 0.491, not 0.49099999999999999. */
static struct json_object *number(double v) {
        char text[32];

        snprintf(text, sizeof(text), "%.12g", v);
        return json_object_new_double_s(v, text);
}

/* Adds value under key; takes value (and frees it on failure). -ENOMEM on failure. */
static int add(struct json_object *obj, const char *key, struct json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(obj, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static int append(struct json_object *array, struct json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_array_add(array, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static const char *subtype_of(const struct sensor_config *c) {
        uint8_t unit = config_sensor_unit(c);

        if (config_sensor_is_discrete(c))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(subtypes); i++)
                if (subtypes[i].unit == unit)
                        return subtypes[i].sensor_type;
        return NULL;
}

static struct json_object *thresholds_of(const struct sensor_config *c) {
        _cleanup_(json_putp) struct json_object *array = json_object_new_array();

        if (!array)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(levels); i++) {
                double v = c->thresholds[levels[i].threshold];
                _cleanup_(json_putp) struct json_object *t = NULL;

                if (isnan(v))
                        continue;
                t = json_object_new_object();
                if (!t || add(t, "Direction", json_object_new_string(levels[i].direction)) < 0 ||
                    add(t, "Name", json_object_new_string(levels[i].name)) < 0 ||
                    add(t, "Severity", json_object_new_int((int) levels[i].severity)) < 0 ||
                    add(t, "Value", number(v)) < 0 ||
                    (c->hysteresis > 0 && add(t, "Hysteresis", number(c->hysteresis)) < 0) ||
                    append(array, TAKE_PTR(t)) < 0)
                        return NULL;
        }
        return TAKE_PTR(array);
}

static struct json_object *expose_of(const struct sensor_config *c, unsigned index,
                                     const char *sensor_type, const struct sensor_linear *l) {
        _cleanup_(json_putp) struct json_object *e = json_object_new_object();
        /* An ID string, or "Sensor N" (at most "Sensor 254"; the compiler cannot see that N is a
         * section index, so room for any unsigned). */
        char name[MAX(SDR_ID_STRING_MAX + 1, sizeof("Sensor 4294967295"))];
        /* value = raw * M * 10^Rexp + B * 10^(Bexp + Rexp): IpmbSensor's byte0 reading times
         * ScaleValue plus OffsetValue (ipmbRequestCompletionCb()). M is positive. */
        double scale = sensor_linear_step(l);
        double offset = sensor_linear_to_value(l, 0);

        if (!e)
                return NULL;
        /* The SDR's ID string, so that the names agree with `ipmitool sdr list`. */
        snprintf(name, sizeof(name), "%s", c->name ? c->name : "");
        if (!c->name)
                snprintf(name, sizeof(name), "Sensor %u", index);
        /* The sensor number (config_load() resolved auto to index + 1). */
        if (add(e, "Address", json_object_new_int(c->number)) < 0 ||
            add(e, "Class", json_object_new_string("MESensor")) < 0 ||
            add(e, "Name", json_object_new_string(name)) < 0 ||
            add(e, "OffsetValue", number(offset)) < 0 ||
            add(e, "PollRate", number(c->poll_ms / 1000.0)) < 0 ||
            add(e, "ScaleValue", number(scale)) < 0 ||
            add(e, "SensorType", json_object_new_string(sensor_type)) < 0 ||
            add(e, "Thresholds", thresholds_of(c)) < 0 ||
            add(e, "Type", json_object_new_string("IpmbSensor")) < 0)
                return NULL;
        return TAKE_PTR(e);
}

/* What OpenBMC will show wrong, for a sensor it is given. */
static void note_limits(const struct sensor_config *c, unsigned index,
                        const struct sensor_linear *l, FILE *notes) {
        const char *name = c->name ? c->name : "(unnamed)";

        if (!notes)
                return;
        if (l->b < 0 || (l->b != 0 && l->b_exp < 0))
                fprintf(notes, "[sensor.%u] %s: range %g..%g needs B = %d * 10^%d; IpmbSDRSensor "
                        "decodes B unsigned and Bexp without its sign, so its SDR thresholds are "
                        "wrong (IpmbSensor's readings are right).\n", index, name, c->range.lo,
                        c->range.hi, l->b, l->b_exp);
        if (l->is_signed)
                fprintf(notes, "[sensor.%u] %s: raw codes are two's complement; IpmbSensor reads "
                        "them unsigned, so readings below %g are wrong.\n", index, name,
                        sensor_linear_to_value(l, 0));
        if (strlen(name) < OPENBMC_SDR_NAME_MIN)
                fprintf(notes, "[sensor.%u] %s: IpmbSDRSensor reads ID strings shorter than %d "
                        "bytes from the wrong place; give it a longer name.\n", index, name,
                        OPENBMC_SDR_NAME_MIN);
}

int bmc_config_print_openbmc(const struct satmc_config *config, FILE *out, FILE *notes) {
        _cleanup_(json_putp) struct json_object *root = json_object_new_object();
        _cleanup_(json_putp) struct json_object *exposes = json_object_new_array();
        char board[64];
        const char *text;

        if (!root || !exposes)
                return -ENOMEM;
        for (unsigned i = 0; i < config->sensor_end; i++) {
                const struct sensor_config *c = &config->sensor[i];
                const char *sensor_type;
                struct sensor_linear l;

                if (!c->present)
                        continue;
                if (c->lun != 0) {
                        /* IpmbSensor sends Get Sensor Reading to LUN 0 only. */
                        if (notes)
                                fprintf(notes, "[sensor.%u] %s: left out, IpmbSensor reads "
                                        "sensors on LUN 0 only (this one is on LUN %u).\n", i,
                                        c->name ? c->name : "(unnamed)", c->lun);
                        continue;
                }
                sensor_type = subtype_of(c);
                if (!sensor_type) {
                        if (notes)
                                fprintf(notes, "[sensor.%u] %s: left out, IpmbSensor has no "
                                        "sensor type for it (only temperature, voltage, current, "
                                        "power).\n", i, c->name ? c->name : "(unnamed)");
                        continue;
                }
                /* config_load() solved the same range already. */
                if (sensor_linear_solve(c->range.lo, c->range.hi, &l) < 0)
                        return -EINVAL;
                note_limits(c, i, &l, notes);
                if (append(exposes, expose_of(c, i, sensor_type, &l)) < 0)
                        return -ENOMEM;
        }

        snprintf(board, sizeof(board), "satmc at IPMB 0x%02X", config->address);
        if (add(root, "Exposes", TAKE_PTR(exposes)) < 0 ||
            add(root, "Name", json_object_new_string(board)) < 0 ||
            add(root, "Probe", json_object_new_string("TRUE")) < 0 ||
            add(root, "Type", json_object_new_string("Board")) < 0)
                return -ENOMEM;

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        if (fprintf(out, "%s\n", text) < 0 || fflush(out) != 0)
                return -EIO;
        return 0;
}
