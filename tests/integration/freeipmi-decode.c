/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * satmc-freeipmi-decode: libfreeipmi's SDR parser and sensor-reading decoder applied to bytes
 * satmcd served, for tests/integration/test-freeipmi.py. satmc's own code is not used here at
 * all: the point is a second, independent reading of the same bytes.
 *
 * One request per line on stdin, bytes in hex (spaces allowed), one JSON object per line out:
 *
 *   sdr HEX                   a whole SDR record (header included)
 *   reading NUMBER HEX        a Get Sensor Reading response from the command byte on
 *                             (cmd, completion code, data), decoded with the record of that
 *                             sensor number given earlier
 *   thresholds NUMBER HEX     a Get Sensor Thresholds response, likewise
 *
 * A line that cannot be decoded prints {"error": "..."} and the program goes on, so the
 * test sees exactly which input libfreeipmi refused. Exit status 0 unless stdin fails.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freeipmi/freeipmi.h>

#define MAX_RECORD 256
#define MAX_SENSORS 256

struct record {
        uint8_t buf[MAX_RECORD];
        unsigned len;
};

/* The last full sensor record seen for each sensor number. */
static struct record sensors[MAX_SENSORS];

static void print_error(const char *what, const char *detail) {
        printf("{\"error\": \"%s: %s\"}\n", what, detail ? detail : "");
}

/* Closes an object already begun with what could be decoded, with the error that stopped it:
 * one line per request, whatever happens. */
static void end_with_error(const char *what, const char *detail) {
        printf(", \"error\": \"%s: %s\"}\n", what, detail ? detail : "");
}

/* Hex digits, spaces between bytes allowed; the number of bytes, or -1. */
static int parse_hex(const char *text, uint8_t *out, unsigned cap) {
        unsigned n = 0;

        for (const char *p = text; *p;) {
                unsigned hi, lo;

                if (*p == ' ' || *p == '\t' || *p == '\n') {
                        p++;
                        continue;
                }
                if (sscanf(p, "%1x%1x", &hi, &lo) != 2 || n >= cap)
                        return -1;
                out[n++] = (uint8_t) (hi << 4 | lo);
                p += 2;
        }
        return (int) n;
}

/* A field the response must carry: fiid_obj_get() answers 0, not an error, for one that a
 * short response left unset, and leaves *val alone. */
static int get_field(fiid_obj_t obj, const char *name, uint64_t *val) {
        return fiid_obj_get(obj, name, val) == 1 ? 0 : -1;
}

/* Prints ", \"name\": value" for a threshold libfreeipmi decoded, null when absent. */
static void print_double(const char *name, const double *v) {
        if (v)
                printf(", \"%s\": %.9g", name, *v);
        else
                printf(", \"%s\": null", name);
}

static void print_string(const char *name, const char *s) {
        printf(", \"%s\": \"", name);
        for (; *s; s++)
                if (*s == '"' || *s == '\\')
                        printf("\\%c", *s);
                else if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
                        printf("\\u%04x", (unsigned char) *s);
                else
                        putchar(*s);
        putchar('"');
}

static int full_sensor(ipmi_sdr_ctx_t ctx, const uint8_t *rec, unsigned len) {
        uint8_t number, sensor_type, ev_type, pct, mod, rate, base, modunit, lin, fmt, hpos, hneg;
        uint8_t r_lnc, r_lcr, r_lnr, r_unc, r_ucr, r_unr;
        int8_t rexp, bexp;
        int16_t m, b;
        char id[IPMI_SDR_MAX_ID_STRING_LENGTH + 1] = "";
        double *lnc = NULL, *lcr = NULL, *lnr = NULL, *unc = NULL, *ucr = NULL, *unr = NULL;
        bool threshold;

        if (ipmi_sdr_parse_sensor_number(ctx, rec, len, &number) < 0 ||
            ipmi_sdr_parse_sensor_type(ctx, rec, len, &sensor_type) < 0 ||
            ipmi_sdr_parse_event_reading_type_code(ctx, rec, len, &ev_type) < 0 ||
            ipmi_sdr_parse_id_string(ctx, rec, len, id, sizeof(id) - 1) < 0 ||
            ipmi_sdr_parse_sensor_units(ctx, rec, len, &pct, &mod, &rate, &base, &modunit) < 0 ||
            ipmi_sdr_parse_sensor_decoding_data(ctx, rec, len, &rexp, &bexp, &m, &b, &lin, &fmt) < 0 ||
            ipmi_sdr_parse_hysteresis(ctx, rec, len, &hpos, &hneg) < 0)
                return -1;
        printf(", \"number\": %u, \"sensor_type\": %u, \"event_reading_type\": %u", number,
               sensor_type, ev_type);
        print_string("id", id);
        printf(", \"base_unit\": %u, \"m\": %d, \"b\": %d, \"bexp\": %d, \"rexp\": %d, "
               "\"linearization\": %u, \"analog_format\": %u, \"hysteresis\": [%u, %u]",
               base, m, b, bexp, rexp, lin, fmt, hpos, hneg);

        threshold = ev_type == IPMI_EVENT_READING_TYPE_CODE_THRESHOLD;
        if (threshold) {
                if (ipmi_sdr_parse_threshold_readable(ctx, rec, len, &r_lnc, &r_lcr, &r_lnr, &r_unc,
                                                      &r_ucr, &r_unr) < 0 ||
                    ipmi_sdr_parse_thresholds(ctx, rec, len, &lnc, &lcr, &lnr, &unc, &ucr, &unr) < 0)
                        return -1;
                /* libfreeipmi decodes every threshold byte; only the readable ones mean a value. */
                print_double("lnc", r_lnc ? lnc : NULL);
                print_double("lcr", r_lcr ? lcr : NULL);
                print_double("lnr", r_lnr ? lnr : NULL);
                print_double("unc", r_unc ? unc : NULL);
                print_double("ucr", r_ucr ? ucr : NULL);
                print_double("unr", r_unr ? unr : NULL);
                free(lnc), free(lcr), free(lnr), free(unc), free(ucr), free(unr);
        }
        memcpy(sensors[number].buf, rec, len);
        sensors[number].len = len;
        return 0;
}

static void do_sdr(ipmi_sdr_ctx_t ctx, const char *hex) {
        uint8_t rec[MAX_RECORD];
        uint16_t id;
        uint8_t type;
        int len = parse_hex(hex, rec, sizeof(rec));

        if (len < 0)
                return print_error("sdr", "bad hex");
        if (ipmi_sdr_parse_record_id_and_type(ctx, rec, (unsigned) len, &id, &type) < 0)
                return print_error("sdr", ipmi_sdr_ctx_errormsg(ctx));

        printf("{\"record_id\": %u, \"record_type\": %u", id, type);
        if (type == IPMI_SDR_FORMAT_FULL_SENSOR_RECORD) {
                if (full_sensor(ctx, rec, (unsigned) len) < 0)
                        return end_with_error("full sensor record", ipmi_sdr_ctx_errormsg(ctx));
        } else if (type == IPMI_SDR_FORMAT_COMPACT_SENSOR_RECORD) {
                /* A discrete sensor: its types, ID and number; no linearisation to decode. */
                uint8_t number, sensor_type, ev_type;
                char name[IPMI_SDR_MAX_ID_STRING_LENGTH + 1] = "";

                if (ipmi_sdr_parse_sensor_number(ctx, rec, (unsigned) len, &number) < 0 ||
                    ipmi_sdr_parse_sensor_type(ctx, rec, (unsigned) len, &sensor_type) < 0 ||
                    ipmi_sdr_parse_event_reading_type_code(ctx, rec, (unsigned) len, &ev_type) < 0 ||
                    ipmi_sdr_parse_id_string(ctx, rec, (unsigned) len, name, sizeof(name) - 1) < 0)
                        return end_with_error("compact sensor record", ipmi_sdr_ctx_errormsg(ctx));
                printf(", \"number\": %u, \"sensor_type\": %u, \"event_reading_type\": %u", number,
                       sensor_type, ev_type);
                print_string("id", name);
        } else if (type == IPMI_SDR_FORMAT_FRU_DEVICE_LOCATOR_RECORD) {
                uint8_t addr, fru_id, bus, lun, logical, channel;
                char name[IPMI_SDR_MAX_DEVICE_ID_STRING_LENGTH + 1] = "";

                if (ipmi_sdr_parse_fru_device_locator_parameters(ctx, rec, (unsigned) len, &addr, &fru_id,
                                                                 &bus, &lun, &logical, &channel) < 0 ||
                    ipmi_sdr_parse_device_id_string(ctx, rec, (unsigned) len, name, sizeof(name) - 1) < 0)
                        return end_with_error("FRU locator", ipmi_sdr_ctx_errormsg(ctx));
                printf(", \"access_address\": %u, \"fru_device_id\": %u, \"logical\": %u", addr, fru_id,
                       logical);
                print_string("id", name);
        } else if (type == IPMI_SDR_FORMAT_MANAGEMENT_CONTROLLER_DEVICE_LOCATOR_RECORD) {
                uint8_t addr, channel, ev, log1, log2, psn, acpi_dev, acpi_sys;
                uint8_t sensor, repo, sel, fru, evr, evg, bridge, chassis;
                char name[IPMI_SDR_MAX_DEVICE_ID_STRING_LENGTH + 1] = "";

                if (ipmi_sdr_parse_management_controller_device_locator_parameters(
                            ctx, rec, (unsigned) len, &addr, &channel, &ev, &log1, &log2, &psn,
                            &acpi_dev, &acpi_sys, &sensor, &repo, &sel, &fru, &evr, &evg, &bridge,
                            &chassis) < 0 ||
                    ipmi_sdr_parse_device_id_string(ctx, rec, (unsigned) len, name, sizeof(name) - 1) < 0)
                        return end_with_error("MC locator", ipmi_sdr_ctx_errormsg(ctx));
                printf(", \"slave_address\": %u, \"sensor_device\": %u, \"fru_inventory\": %u, "
                       "\"event_generator\": %u, \"sdr_repository\": %u", addr, sensor, fru, evg, repo);
                print_string("id", name);
        }
        printf("}\n");
}

/* Get Sensor Reading response: libfreeipmi's template for the sensor's kind, then its
 * raw-to-value conversion with the record's factors. */
static void do_reading(ipmi_sdr_ctx_t ctx, unsigned number, const char *hex) {
        uint8_t rsp[64];
        int len = parse_hex(hex, rsp, sizeof(rsp));
        const struct record *r = number < MAX_SENSORS ? &sensors[number] : NULL;
        uint8_t ev_type, lin, fmt;
        int8_t rexp, bexp;
        int16_t m, b;
        uint64_t raw, unavailable, scanning, events, mask1 = 0, mask2 = 0;
        double value;
        fiid_obj_t obj;

        if (len < 0)
                return print_error("reading", "bad hex");
        if (!r || !r->len)
                return print_error("reading", "no record for this sensor number");
        if (ipmi_sdr_parse_event_reading_type_code(ctx, r->buf, r->len, &ev_type) < 0 ||
            ipmi_sdr_parse_sensor_decoding_data(ctx, r->buf, r->len, &rexp, &bexp, &m, &b, &lin, &fmt) < 0)
                return print_error("reading", ipmi_sdr_ctx_errormsg(ctx));

        obj = fiid_obj_create(ev_type == IPMI_EVENT_READING_TYPE_CODE_THRESHOLD ?
                              tmpl_cmd_get_sensor_reading_threshold_rs :
                              tmpl_cmd_get_sensor_reading_discrete_rs);
        if (!obj)
                return print_error("reading", strerror(errno));
        if (fiid_obj_set_all(obj, rsp, (unsigned) len) < 0 ||
            get_field(obj, "sensor_reading", &raw) < 0 ||
            get_field(obj, "reading_state", &unavailable) < 0 ||
            get_field(obj, "sensor_scanning", &scanning) < 0 ||
            get_field(obj, "all_event_messages", &events) < 0) {
                print_error("reading", "short or malformed response");
                fiid_obj_destroy(obj);
                return;
        }
        /* The state bits, as libfreeipmi names them, folded back into a mask for the test. */
        if (ev_type == IPMI_EVENT_READING_TYPE_CODE_THRESHOLD) {
                static const char *const names[] = {
                        "at_or_below_lower_non_critical_threshold", "at_or_below_lower_critical_threshold",
                        "at_or_below_lower_non_recoverable_threshold", "at_or_above_upper_non_critical_threshold",
                        "at_or_above_upper_critical_threshold", "at_or_above_upper_non_recoverable_threshold",
                };
                for (unsigned i = 0; i < 6; i++) {
                        uint64_t bit = 0;
                        if (get_field(obj, names[i], &bit) < 0)
                                break;
                        mask1 |= bit << i;
                }
        } else {
                for (unsigned i = 0; i < 15; i++) {
                        char name[32];
                        uint64_t bit = 0;
                        snprintf(name, sizeof(name), "state_%u_asserted", i);
                        if (fiid_obj_get(obj, name, &bit) == 1)
                                *(i < 8 ? &mask1 : &mask2) |= bit << (i % 8);
                }
        }
        fiid_obj_destroy(obj);

        if (ipmi_sensor_decode_value(rexp, bexp, m, b, lin, fmt, (uint8_t) raw, &value) < 0)
                return print_error("reading", "ipmi_sensor_decode_value refused the factors");
        printf("{\"number\": %u, \"raw\": %u, \"value\": %.9g, \"unavailable\": %u, "
               "\"scanning\": %u, \"events\": %u, \"states\": %u}\n",
               number, (unsigned) raw, value, (unsigned) unavailable, (unsigned) scanning,
               (unsigned) events, (unsigned) (mask1 | mask2 << 8));
}

static void do_thresholds(ipmi_sdr_ctx_t ctx, unsigned number, const char *hex) {
        static const char *const names[] = { "lnc", "lcr", "lnr", "unc", "ucr", "unr" };
        static const char *const fields[] = {
                "lower_non_critical_threshold", "lower_critical_threshold",
                "lower_non_recoverable_threshold", "upper_non_critical_threshold",
                "upper_critical_threshold", "upper_non_recoverable_threshold",
        };
        uint8_t rsp[64];
        int len = parse_hex(hex, rsp, sizeof(rsp));
        const struct record *r = number < MAX_SENSORS ? &sensors[number] : NULL;
        uint8_t lin, fmt;
        int8_t rexp, bexp;
        int16_t m, b;
        fiid_obj_t obj;

        if (len < 0)
                return print_error("thresholds", "bad hex");
        if (!r || !r->len)
                return print_error("thresholds", "no record for this sensor number");
        if (ipmi_sdr_parse_sensor_decoding_data(ctx, r->buf, r->len, &rexp, &bexp, &m, &b, &lin, &fmt) < 0)
                return print_error("thresholds", ipmi_sdr_ctx_errormsg(ctx));
        obj = fiid_obj_create(tmpl_cmd_get_sensor_thresholds_rs);
        if (!obj)
                return print_error("thresholds", strerror(errno));
        if (fiid_obj_set_all(obj, rsp, (unsigned) len) < 0) {
                print_error("thresholds", fiid_obj_errormsg(obj));
                fiid_obj_destroy(obj);
                return;
        }
        printf("{\"number\": %u", number);
        for (unsigned i = 0; i < 6; i++) {
                char readable[80];
                uint64_t is_readable = 0, raw = 0;
                double value;

                snprintf(readable, sizeof(readable), "readable_thresholds.%s", fields[i]);
                if (get_field(obj, readable, &is_readable) < 0 || get_field(obj, fields[i], &raw) < 0 ||
                    ipmi_sensor_decode_value(rexp, bexp, m, b, lin, fmt, (uint8_t) raw, &value) < 0) {
                        printf(", \"error\": \"short or malformed response\"}\n");
                        fiid_obj_destroy(obj);
                        return;
                }
                print_double(names[i], is_readable ? &value : NULL);
        }
        printf("}\n");
        fiid_obj_destroy(obj);
}

int main(void) {
        ipmi_sdr_ctx_t ctx = ipmi_sdr_ctx_create();
        char *line = NULL;
        size_t cap = 0;

        if (!ctx) {
                fprintf(stderr, "ipmi_sdr_ctx_create: %s\n", strerror(errno));
                return 1;
        }
        while (getline(&line, &cap, stdin) >= 0) {
                char verb[16];
                unsigned number;
                int used = 0, used2 = 0;
                const char *rest;

                if (sscanf(line, "%15s %n", verb, &used) != 1)
                        continue;
                rest = line + used;
                if (strcmp(verb, "sdr") == 0)
                        do_sdr(ctx, rest);
                else if (strcmp(verb, "reading") == 0 && sscanf(rest, "%u %n", &number, &used2) == 1)
                        do_reading(ctx, number, rest + used2);
                else if (strcmp(verb, "thresholds") == 0 && sscanf(rest, "%u %n", &number, &used2) == 1)
                        do_thresholds(ctx, number, rest + used2);
                else
                        print_error("request", verb);
                fflush(stdout);
        }
        free(line);
        ipmi_sdr_ctx_destroy(ctx);
        return ferror(stdin) ? 1 : 0;
}
