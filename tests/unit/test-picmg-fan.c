/* SPDX-License-Identifier: MIT */
/*
 * The ATCA fan tray commands end to end below the transport: [fan.N] fru / normal-level parsed
 * from text (and their file:line errors), Get Fan Speed Properties, Set Fan Level and Get Fan
 * Level through dispatch_request() wired to fan-control.c's pwm outputs in a temporary
 * directory, with the shelf manager's override beside the local curve, and every completion
 * code for bad identifiers, lengths, FRUs, levels and local control bytes; nothing half set.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "common/log.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/ipmi.h"
#include "protocol/picmg-fan.h"
#include "page-resident.h"
#include "temp-dir.h"

#define HEAD "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.00\n" \
        "manufacturer-id = 0x007ED9\nproduct-id = 0x1\n" \
        "guid = 01234567-89ab-cdef-0011-223344556677\n" \
        "[sensor.0]\nname = Inlet\ntype = temperature\nrange = -40..125\n"

struct fixture {
        struct manager *m;
        char dir[64];
};

static int load(const char *text, FILE *err, struct satmc_config **ret) {
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(in);
        r = config_load_from_file(in, "mem.ini", err, ret);
        fclose(in);
        return r;
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int read_pwm(const struct fixture *f, unsigned n) {
        char path[128];
        FILE *s;
        int v = -1;

        snprintf(path, sizeof(path), "%s/pwm%u", f->dir, n);
        s = fopen(path, "r");
        assert_non_null(s);
        assert_int_equal(fscanf(s, "%d", &v), 1);
        fclose(s);
        return v;
}

/* Fans 0 and 1: the tray of FRU 0, levels 3..15 following Inlet; fan 2: FRU 1's, 2..10
 * without a policy. [fru.2] has no fans. */
static int setup_profile(void **state, bool profile) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct satmc_config *c = NULL;
        char *text = NULL, pwm[3][96];

        assert_non_null(f);
        log_set_max_level(LOG_CRIT);
        strcpy(f->dir, "/tmp/satmc-fan-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        for (unsigned i = 0; i < 3; i++) {
                snprintf(pwm[i], sizeof(pwm[i]), "%s/pwm%u", f->dir, i);
                write_text(pwm[i], "0\n");
        }
        assert_true(asprintf(&text, HEAD "%s"
                "[fru.0]\nboard-product-name = Tray\n[fru.1]\nboard-product-name = Tray B\n"
                "[fru.2]\nboard-product-name = Filter\n"
                "[fan.0]\noutput = pwm:%s\nmin-level = 3\nfollow = Inlet\n"
                "curve = 20:3 40:12 45:15\nhysteresis = 0\n%s"
                "[fan.1]\noutput = pwm:%s\nmin-level = 3\nfollow = Inlet\n"
                "curve = 20:3 40:12 45:15\nhysteresis = 0\n%s"
                "[fan.2]\noutput = pwm:%s\nmin-level = 2\nmax-level = 10\n%s",
                profile ? "[picmg]\nprofile = atca-ipmc\n" : "",
                pwm[0], profile ? "fru = 0\nnormal-level = 6\n" : "",
                pwm[1], profile ? "fru = 0\nnormal-level = 6\n" : "",
                pwm[2], profile ? "fru = 1\n" : "") > 0);
        assert_int_equal(load(text, stderr, &c), 0);
        free(text);
        assert_int_equal(manager_new(c, &f->m), 0);
        assert_int_equal(fan_table_start(f->m->fans, NULL, NULL), 0);
        *state = f;
        return 0;
}

static int setup(void **state) {
        return setup_profile(state, true);
}

static int setup_no_profile(void **state) {
        return setup_profile(state, false);
}

static int teardown(void **state) {
        struct fixture *f = *state;

        manager_free(f->m);
        remove_temp_dir(f->dir);
        free(f);
        return 0;
}

static uint8_t run(struct fixture *f, uint8_t cmd, const uint8_t *data, size_t len,
                   uint8_t *rsp, size_t *rsp_len) {
        uint8_t buf[64];
        struct ipmi_msg_in in = {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = cmd, .data = data, .len = len,
                .rq_sa = 0x20,
        };
        struct ipmi_msg_out out = { .data = buf, .cap = 25 };

        dispatch_request(f->m, &in, &out);
        memcpy(rsp, buf, out.len);
        *rsp_len = out.len;
        return out.cc;
}

#define RUN(f, cmd, ...) run(f, cmd, (const uint8_t[]) { __VA_ARGS__ }, \
                             sizeof((const uint8_t[]) { __VA_ARGS__ }), rsp, &n)
#define EXPECT(f, cmd, want, ...) do { \
                assert_int_equal(RUN(f, cmd, __VA_ARGS__), 0); \
                assert_int_equal(n, sizeof((const uint8_t[]) want)); \
                assert_memory_equal(rsp, ((const uint8_t[]) want), n); \
        } while (0)
#define B(...) { __VA_ARGS__ }

/* pwm at level L of max over 0..255, as fan-control.c maps it. */
static int pwm_at(int level, int max) {
        return (255 * level + max / 2) / max;
}

static void test_speed_properties(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        EXPECT(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, B(0x00, 3, 15, 6, 0x80), 0x00, 0);
        /* FRU 1: no policy, no local control; normal-level auto = min-level. */
        EXPECT(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, B(0x00, 2, 10, 2, 0x00), 0x00, 1);
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x00, 2),
                         IPMI_CC_INVALID_DATA_FIELD);            /* a FRU without fans */
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x00, 7),
                         IPMI_CC_INVALID_DATA_FIELD);            /* not managed */
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x01, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x00),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x00, 0, 0),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void test_levels(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        /* At start: local control, no reading yet: the safe level, max-level. */
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 0xFF, 15, 1), 0x00, 0);
        fan_table_on_reading(f->m->fans, 0, true, 20);          /* the curve asks 3 */
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 0xFF, 3, 1), 0x00, 0);
        assert_int_equal(read_pwm(f, 0), pwm_at(3, 15));

        /* The shelf manager's 8 is above the local 3: both fans of the tray at 8. */
        EXPECT(f, PICMG_CMD_SET_FAN_LEVEL, B(0x00), 0x00, 0, 8);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 8, 3, 1), 0x00, 0);
        assert_int_equal(read_pwm(f, 0), pwm_at(8, 15));
        assert_int_equal(read_pwm(f, 1), pwm_at(8, 15));
        /* Warmer: local 12 wins while local control is enabled ("the greater of"). */
        fan_table_on_reading(f->m->fans, 0, true, 40);
        assert_int_equal(read_pwm(f, 1), pwm_at(12, 15));
        /* 5 with local control disabled: the override alone. */
        EXPECT(f, PICMG_CMD_SET_FAN_LEVEL, B(0x00), 0x00, 0, 5, 0);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 5, 12, 0), 0x00, 0);
        assert_int_equal(read_pwm(f, 0), pwm_at(5, 15));

        /* Refused, nothing changes: shut down, below min-level, above max-level (0xC9), a
         * reserved local control byte, another identifier, a FRU without fans (0xCC), lengths
         * (0xC7). */
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, PICMG_FAN_SHUT_DOWN),
                         IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, 2, 1),
                         IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, 16),
                         IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, 9, 2),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x01, 0, 9), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 2, 9), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0xFF, 9),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0), IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, 9, 1, 0),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 5, 12, 0), 0x00, 0);
        assert_int_equal(read_pwm(f, 1), pwm_at(5, 15));

        /* Back to local control, enabled: the curve's 12. */
        EXPECT(f, PICMG_CMD_SET_FAN_LEVEL, B(0x00), 0x00, 0, PICMG_FAN_LOCAL_CONTROL, 1);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 0xFF, 12, 1), 0x00, 0);
        assert_int_equal(read_pwm(f, 0), pwm_at(12, 15));

        /* FRU 1 has no local control: its Get Fan Level is the override alone; local control
         * is refused, a level in 2..10 is its own (FRU 0's fans keep theirs). */
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 10), 0x00, 1);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 1, PICMG_FAN_LOCAL_CONTROL),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 1, 4, 1),
                         IPMI_CC_INVALID_DATA_FIELD);
        EXPECT(f, PICMG_CMD_SET_FAN_LEVEL, B(0x00), 0x00, 1, 4);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 4), 0x00, 1);
        assert_int_equal(read_pwm(f, 2), pwm_at(4, 10));
        assert_int_equal(read_pwm(f, 0), pwm_at(12, 15));
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_LEVEL, 0x00, 2), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_LEVEL, 0x00), IPMI_CC_REQ_DATA_LEN_INVALID);
}

/* The fan tray handlers ask the fan table first and leave the configuration's slots of absent
 * fans (3..7) unread: their page, given back after start-up as satmcd does, stays out of
 * memory through Get and Set Fan Level, which go through every fan of the tray. */
static void test_unused_fan_slots_untouched(void **state) {
        struct fixture *f = *state;
        const struct fan_config *last = &f->m->config->fan[CONFIG_FAN_MAX - 1];
        uint8_t rsp[64];
        size_t n;
        bool observable = config_pages_dropped(f->m->config, last);

        EXPECT(f, PICMG_CMD_SET_FAN_LEVEL, B(0x00), 0x00, 1, 5);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 5), 0x00, 1);
        EXPECT(f, PICMG_CMD_GET_FAN_LEVEL, B(0x00, 0xFF, 15, 1), 0x00, 0);
        assert_false(observable && page_resident(last));
}

/* Without a [picmg] profile the commands do not exist. */
static void test_no_profile(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_SPEED_PROPERTIES, 0x00, 0),
                         IPMI_CC_INVALID_COMMAND);
        assert_int_equal(RUN(f, PICMG_CMD_SET_FAN_LEVEL, 0x00, 0, 8), IPMI_CC_INVALID_COMMAND);
        assert_int_equal(RUN(f, PICMG_CMD_GET_FAN_LEVEL, 0x00, 0), IPMI_CC_INVALID_COMMAND);
}

/* Configurations refused, each with its line and reason. */
static void test_config_errors(void **state) {
        static const struct {
                const char *text, *want;
        } cases[] = {
                { "[fru.0]\nboard-product-name = TT\n[fan.0]\noutput = pwm:/x/pwm1\nfru = 0\n",
                  "mem.ini:16: fru needs a PICMG profile: set [picmg] profile = atca-ipmc or "
                  "amc-mmc" },
                { "[picmg]\nprofile = atca-ipmc\n[fru.0]\nboard-product-name = TT\n"
                  "[fan.0]\noutput = pwm:/x/pwm1\nfru = 3\n",
                  "mem.ini:18: [fan.0]: fru 3: there is no [fru.3], the fan tray's FRU" },
                { "[picmg]\nprofile = atca-ipmc\n[fru.0]\nboard-product-name = TT\n"
                  "[fan.0]\noutput = pwm:/x/pwm1\nfru = 0\nmin-level = 2\nnormal-level = 1\n",
                  "mem.ini:20: [fan.0]: normal-level 1 is outside min-level..max-level (2..15)" },
                { "[fru.0]\nboard-product-name = TT\n[fan.0]\noutput = pwm:/x/pwm1\n"
                  "normal-level = 4\n",
                  "mem.ini:16: [fan.0]: normal-level is for Get Fan Speed Properties: set fru "
                  "too" },
                { "[picmg]\nprofile = atca-ipmc\n[fru.0]\nboard-product-name = TT\n"
                  "[fan.0]\noutput = pwm:/x/pwm1\nfru = 0\n"
                  "[fan.1]\noutput = pwm:/x/pwm2\nfru = 0\nmax-level = 12\n",
                  "mem.ini:21: [fan.1]: its max-level differs from [fan.0]'s (line 17), the "
                  "other fan of FRU 0: Get Fan Speed Properties reports one for the fan tray" },
                { "[picmg]\nprofile = atca-ipmc\n[fru.0]\nboard-product-name = TT\n"
                  "[fan.0]\noutput = pwm:/x/pwm1\nfru = 0\n"
                  "[fan.1]\noutput = pwm:/x/pwm2\nfru = 0\nfollow = Inlet\ncurve = 20:3\n",
                  "mem.ini:21: [fan.1]: its follow (local control) differs from [fan.0]'s "
                  "(line 17), the other fan of FRU 0: Get Fan Speed Properties reports one for "
                  "the fan tray" },
                { "[fru.0]\nboard-product-name = TT\n[fan.0]\noutput = pwm:/x/pwm1\nfru = 64\n",
                  "mem.ini:16: fru" },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct satmc_config *c = NULL;
                char *text = NULL, *err = NULL;
                size_t err_len = 0;
                FILE *e = open_memstream(&err, &err_len);

                assert_non_null(e);
                assert_true(asprintf(&text, HEAD "%s", cases[i].text) > 0);
                assert_true(load(text, e, &c) < 0);
                fclose(e);
                if (!strstr(err, cases[i].want))
                        fail_msg("case %zu: want \"%s\" in:\n%s", i, cases[i].want, err);
                free(err);
                free(text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_speed_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unused_fan_slots_untouched, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_profile, setup_no_profile, teardown),
                cmocka_unit_test(test_config_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
