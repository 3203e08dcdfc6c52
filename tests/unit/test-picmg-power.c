/* SPDX-License-Identifier: MIT */
/*
 * [picmg-power.N] and [picmg-link.N] end to end below the transport: the configuration
 * parsed from text (and its file:line errors), the PICMG records it adds to the FRU image,
 * and the six commands through dispatch_request() with every completion code they give for
 * bad identifiers, lengths, FRUs, levels, links and states. Link actions: a fake GPIO (its
 * line level checked, a failing write leaves the state) and an exec program that records its
 * arguments, fails for one link and outlives its timeout for another; it runs while the
 * loop serves other requests, and the state changes only when it exited 0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/fru.h"
#include "protocol/ipmi.h"
#include "protocol/picmg-fru.h"
#include "page-resident.h"
#include "temp-dir.h"

#define HEAD "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.00\n" \
        "manufacturer-id = 0x007ED9\nproduct-id = 0x1\n" \
        "guid = 01234567-89ab-cdef-0011-223344556677\n"
/* After the sections a case is about, so that their line numbers stay those above. */
#define ATCA "[picmg]\nprofile = atca-ipmc\n"
#define AMC "[picmg]\nprofile = amc-mmc\n"

struct fake_gpio {
        int value[4];
        bool fail;
        unsigned opened;
};

static int fake_open(void *userdata, const char *chip, unsigned line, bool active_low,
                     int value, void **ret) {
        struct fake_gpio *g = userdata;

        (void) chip;
        (void) active_low;
        assert_true(line < 4);
        g->value[line] = value;
        g->opened++;
        *ret = &g->value[line];
        return 0;
}

static int fake_set(void *userdata, void *handle, int value) {
        struct fake_gpio *g = userdata;

        if (g->fail)
                return -EIO;
        *(int *) handle = value;
        return 0;
}

static void fake_close(void *userdata, void *handle) {
        struct fake_gpio *g = userdata;

        (void) handle;
        g->opened--;
}

static const struct gpio_output_ops fake_ops = {
        .open = fake_open, .set = fake_set, .close = fake_close,
};

struct fixture {
        struct manager *m;
        struct fake_gpio gpio;
        char dir[64], log[128];
        unsigned granted_calls;
        int granted_result;
        uint8_t granted_fru, granted_level;
};

static int load(const char *text, FILE *err, struct satmc_config **ret) {
        FILE *in = fmemopen((void *) text, strlen(text), "r");
        int r;

        assert_non_null(in);
        r = config_load_from_file(in, "mem.ini", err, ret);
        fclose(in);
        return r;
}

/* The fixture's directory, and the program the exec links run (it logs each call). */
static struct fixture *fixture_new(char *path, size_t size) {
        struct fixture *f = calloc(1, sizeof(*f));
        FILE *s;

        assert_non_null(f);
        log_set_max_level(LOG_CRIT);
        strcpy(f->dir, "/tmp/satmc-picmg-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
        snprintf(path, size, "%s/action", f->dir);
        s = fopen(path, "w");
        assert_non_null(s);
        fprintf(s, "#!/bin/sh\necho \"$SATMC_LINK $*\" >> %s\n[ \"$1\" = broken ] && exit 3\n"
                "[ \"$1\" = slow ] && exec sleep 10\nexit 0\n", f->log);
        fclose(s);
        assert_int_equal(chmod(path, 0755), 0);
        return f;
}

static void fixture_start(struct fixture *f, const char *text) {
        struct satmc_config *c = NULL;

        assert_int_equal(load(text, NULL, &c), 0);
        assert_int_equal(manager_new(c, &f->m), 0);
        assert_int_equal(picmg_ekeying_start(f->m->picmg_ekeying, &fake_ops, &f->gpio), 0);
}

/* An ATCA board: FRU 0 with power levels and four ATCA links, FRU 1 with one level. */
static int setup(void **state) {
        char *text = NULL, path[160];
        struct fixture *f = fixture_new(path, sizeof(path));

        assert_true(asprintf(&text, HEAD ATCA
                "[fru.0]\nboard-product-name = Blade\n"
                "[fru.1]\nboard-product-name = Mezzanine\n"
                "[picmg-power.0]\nlevels = 20 W, 60.5 W, 120 W\nearly-levels = 10 W, 20 W\n"
                "multiplier = 0.5 W\ndynamic = yes\ndelay-to-stable = 1.5 s\n"
                "desired-level = 2\nspanned-slots = 2\nipmc-location = 1\n"
                "[picmg-power.1]\nlevels = 40 W\n"
                "[picmg-link.0]\nchannel = 1\nports = 0 1 2 3\nlink-type = ethernet\n"
                "extension = 4\naction = exec:%s\nargs = fabric-1\nsignaling-classes = 0 4\n"
                "[picmg-link.1]\nchannel = 2\nports = 0\nlink-type = ethernet\n"
                "action = exec:%s\nargs = broken\n"
                "[picmg-link.2]\ninterface = base\nchannel = 1\nports = 0\nlink-type = base\n"
                "action = gpio:gpiochip9:2\ninitial-state = enabled\n"
                "[picmg-link.3]\nchannel = 3\nports = 1\nlink-type = ethernet\n"
                "action = exec:%s\nargs = slow\ntimeout-ms = 100\n", path, path, path) > 0);
        fixture_start(f, text);
        free(text);
        *state = f;
        return 0;
}

/* An AMC module's MMC: FRU 0 with one level, its current and an AMC link. */
static int setup_amc(void **state) {
        char path[160];
        struct fixture *f = fixture_new(path, sizeof(path));

        fixture_start(f, HEAD AMC
                      "[fru.0]\nboard-product-name = AMC\n"
                      "[picmg-power.0]\nlevels = 40 W\nmodule-current = 6.5 A\n"
                      "[picmg-link.0]\nkind = amc\nchannel = 0\nports = 4 5 6 7\n"
                      "link-type = pcie\nextension = 2\ngroup = 1\n");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        manager_free(f->m);
        assert_int_equal(f->gpio.opened, 0);
        remove_temp_dir(f->dir);
        free(f);
        return 0;
}

/* One request through the dispatcher: the completion code, the data in rsp. */
static uint8_t run(struct fixture *f, uint8_t cmd, const uint8_t *data, size_t len,
                   uint8_t *rsp, size_t *rsp_len) {
        uint8_t buf[64];
        struct ipmi_msg_in in = {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = cmd, .data = data, .len = len,
                .rq_sa = 0x20,
        };
        struct ipmi_msg_out out = { .data = buf, .cap = 25 };

        dispatch_request(f->m, &in, &out);
        if (rsp)
                memcpy(rsp, buf, out.len);
        if (rsp_len)
                *rsp_len = out.len;
        return out.cc;
}

#define CC_BAD IPMI_CC_INVALID_DATA_FIELD
#define CC_LEN IPMI_CC_REQ_DATA_LEN_INVALID
#define RUN(f, cmd, ...) run(f, cmd, (const uint8_t[]) { __VA_ARGS__ }, \
                             sizeof((const uint8_t[]) { __VA_ARGS__ }), rsp, &n)

static size_t log_lines(const struct fixture *f, char *last, size_t cap) {
        FILE *s = fopen(f->log, "r");
        char line[128];
        size_t n = 0;

        if (!s)
                return 0;
        while (fgets(line, sizeof(line), s)) {
                n++;
                snprintf(last, cap, "%s", line);
        }
        fclose(s);
        return n;
}

/* Run the loop until link index's program has been reaped: bounded by the link's timeout-ms,
 * whose timer kills the program whatever it does. */
static void drain(struct fixture *f, unsigned index) {
        while (picmg_ekeying_busy(f->m->picmg_ekeying, index))
                assert_true(sd_event_run(f->m->event, UINT64_MAX) >= 0);
}

static void test_get_power_level(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        /* Steady state: level 0 (nothing granted yet), dynamic, 1.5 s, 0.5 W, 40/121/240. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 0), 0);
        assert_int_equal(n, 7);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x80, 15, 5, 40, 121, 240 }), 7);
        /* Desired steady state: level 2 asked for. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 1), 0);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x82, 15, 5, 40, 121, 240 }), 7);
        /* Early levels, 2 of them; desired early is clamped to their count. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 2), 0);
        assert_int_equal(n, 6);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x80, 15, 5, 20, 40 }), 6);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 3), 0);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x82, 15, 5, 20, 40 }), 6);
        /* FRU 1: one level, 1 W multiplier, static; desired 0 = the highest. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 1, 1), 0);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x01, 0, 10, 40 }), 5);

        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x01, 0, 0), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 2, 0), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0xFF, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 4), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0), IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 0, 0),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
}

/* Compute Power Properties: the configured slots of a FRU with levels; the defaults (one
 * slot, the IPMC in it) for FRU 1; 0xCC for a FRU without levels or a wrong identifier. */
static void test_compute_power_properties(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00, 0), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 2, 1 }), 3);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00, 1), 0);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 1, 0 }), 3);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00, 2),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00, 0xFF),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x01, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        assert_int_equal(RUN(f, PICMG_CMD_COMPUTE_POWER_PROPERTIES, 0x00, 0, 0),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
}

static int on_granted(void *userdata, uint8_t fru, uint8_t level) {
        struct fixture *f = userdata;

        f->granted_calls++;
        f->granted_fru = fru;
        f->granted_level = level;
        return f->granted_result;
}

static void test_set_power_level(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        picmg_power_set_hook(f->m->picmg_power, on_granted, f);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 3, 1), 0);
        assert_int_equal(n, 1);
        assert_int_equal(rsp[0], 0x00);
        assert_int_equal(picmg_power_level(f->m->picmg_power, 0), 3);
        assert_int_equal(f->granted_calls, 1);
        assert_int_equal(f->granted_level, 3);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 0), 0);
        assert_int_equal(rsp[1], 0x83);
        /* 0xFF: unchanged, the hot-swap machine not asked. The same level again: neither. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 0xFF, 0), 0);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 3, 0), 0);
        assert_int_equal(f->granted_calls, 1);
        /* Refused by the hook: the level stays, the requester learns why. */
        f->granted_result = -EOPNOTSUPP;
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 1, 0),
                         IPMI_CC_NOT_SUPPORTED_IN_STATE);
        assert_int_equal(picmg_power_level(f->m->picmg_power, 0), 3);
        f->granted_result = 0;
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 0, 0), 0);
        assert_int_equal(picmg_power_level(f->m->picmg_power, 0), 0);
        assert_int_equal(f->granted_level, 0);

        /* Level 4 of 3, copy flag 2, a FRU without levels, a wrong identifier: nothing
         * changes. */
        f->granted_calls = 0;
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 4, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 1, 2), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 5, 1, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x02, 0, 1, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 0, 1), CC_LEN);
        assert_int_equal(f->granted_calls, 0);
        assert_int_equal(picmg_power_level(f->m->picmg_power, 0), 0);
        assert_int_equal(picmg_power_level(f->m->picmg_power, 9), 0);
}

static void test_port_state(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        char last[128] = "";
        size_t n, lines;

        /* Fabric channel 1: one link, disabled. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x41), 0);
        assert_int_equal(n, 6);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x41, 0x2F, 0x40, 0x00, 0x00 }), 6);
        /* Enable it: answered once the program started; until the loop has seen it exit 0
         * the link is what it was, and Get Port State says so. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00, 1), 0);
        assert_int_equal(n, 1);
        assert_true(picmg_ekeying_busy(f->m->picmg_ekeying, 0));
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x41), 0);
        assert_int_equal(rsp[5], 0);
        /* The requester's retry joins the run; the other state waits for it (0xC0). */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00, 1), 0);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00, 0),
                         IPMI_CC_NODE_BUSY);
        drain(f, 0);
        assert_int_equal(log_lines(f, last, sizeof(last)), 1);
        assert_string_equal(last, "0 fabric-1 enable\n");
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x41), 0);
        assert_int_equal(rsp[5], 1);
        /* Enabling what is enabled runs nothing. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00, 1), 0);
        assert_false(picmg_ekeying_busy(f->m->picmg_ekeying, 0));
        assert_int_equal(log_lines(f, last, sizeof(last)), 1);

        /* The failing program: started (0x00), exits 3, the link stays disabled. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x42, 0x21, 0x00, 0x00, 1), 0);
        drain(f, 1);
        assert_int_equal(log_lines(f, last, sizeof(last)), 2);
        assert_string_equal(last, "1 broken enable\n");
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x42), 0);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x42, 0x21, 0x00, 0x00, 0x00 }), 6);
        /* The program that outlives its timeout (100 ms): killed, still disabled. Other
         * requests are served while it runs. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x43, 0x22, 0x00, 0x00, 1), 0);
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x43), 0);
        assert_int_equal(rsp[5], 0);
        drain(f, 3);
        assert_false(picmg_ekeying_enabled(f->m->picmg_ekeying, 3));

        /* The GPIO link (base channel 1) starts enabled with its line high. */
        assert_int_equal(f->gpio.value[2], 1);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x01, 0x11, 0x00, 0x00, 0), 0);
        assert_int_equal(f->gpio.value[2], 0);
        f->gpio.fail = true;
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x01, 0x11, 0x00, 0x00, 1),
                         IPMI_CC_UNSPECIFIED);
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x01), 0);
        assert_int_equal(rsp[5], 0);
        f->gpio.fail = false;

        /* A descriptor no link has (other ports, type, extension, group, interface), a
         * state 2, a wrong identifier; a channel without links answers no link. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x27, 0x40, 0x00, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x30, 0x00, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x01, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x81, 0x2F, 0x40, 0x00, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00, 2),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x05, 0x41, 0x2F, 0x40, 0x00, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x41, 0x2F, 0x40, 0x00),
                         IPMI_CC_REQ_DATA_LEN_INVALID);
        /* Nothing after the slow one ran. It was killed at its 100 ms timeout, on a loaded
         * machine before its shell got to write its line (its 0xC3 above shows that it was
         * started): its line is there or not, and nothing else is. */
        lines = log_lines(f, last, sizeof(last));
        assert_true(lines == 2 || (lines == 3 && strstr(last, " slow enable\n")));
        assert_true(picmg_ekeying_enabled(f->m->picmg_ekeying, 0));
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x45), 0);
        assert_int_equal(n, 1);
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x01, 0x41), IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00), IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void test_amc_port_state(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        assert_int_equal(RUN(f, PICMG_CMD_GET_AMC_PORT_STATE, 0x00, 0), 0);
        assert_int_equal(n, 5);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x2F, 0x20, 0x01, 0x00 }), 5);
        assert_int_equal(RUN(f, PICMG_CMD_SET_AMC_PORT_STATE, 0x00, 0, 0x2F, 0x20, 0x01, 1), 0);
        assert_int_equal(RUN(f, PICMG_CMD_GET_AMC_PORT_STATE, 0x00, 0), 0);
        assert_int_equal(rsp[4], 1);
        /* An on-carrier device ID, other lanes, another channel, a bad state. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_AMC_PORT_STATE, 0x00, 0, 0x2F, 0x20, 0x01, 0, 3),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_AMC_PORT_STATE, 0x00, 0, 0x21, 0x20, 0x01, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_AMC_PORT_STATE, 0x00, 1, 0x2F, 0x20, 0x01, 0),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_AMC_PORT_STATE, 0x00, 0, 0x2F, 0x20, 0x01, 7),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_AMC_PORT_STATE, 0x00, 0, 1),
                         IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_AMC_PORT_STATE, 0x00, 9), 0);
        assert_int_equal(n, 1);
        assert_int_equal(RUN(f, PICMG_CMD_GET_AMC_PORT_STATE, 0x00, 0), 0);
        assert_int_equal(rsp[4], 1);
}

static void test_signaling_class(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        /* Fabric channel 1 starts basic (0), takes class 4, which its link supports. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_SIGNALING_CLASS, 0x00, 0x41), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(rsp, ((uint8_t[]) { 0x00, 0x41, 0x00 }), 3);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x41, 4), 0);
        assert_int_equal(n, 1);
        assert_int_equal(RUN(f, PICMG_CMD_GET_SIGNALING_CLASS, 0x00, 0x41), 0);
        assert_int_equal(rsp[2], 4);
        /* Class 3 nobody supports, reserved bits, a channel without links (channel 0 too:
         * ATCA channels are 1..63), a wrong identifier: refused, the class unchanged. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x41, 3), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x41, 0x14), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x42, 4), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x45, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_SIGNALING_CLASS, 0x00, 0x40), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x01, 0x41, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_GET_SIGNALING_CLASS, 0x00, 0x41, 0), CC_LEN);
        assert_int_equal(RUN(f, PICMG_CMD_GET_SIGNALING_CLASS, 0x00, 0x41), 0);
        assert_int_equal(rsp[2], 4);
        /* Fabric channel 2's link is basic only. */
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x42, 0), 0);
}

/* The E-Keying handlers look only at the link slots the file has (0..3): the pages of the
 * unused ones, given back after start-up as satmcd does, stay out of memory through Get and
 * Set Port State and Get Signaling Class on a channel no link has, which search every link. */
static void test_unused_link_slots_untouched(void **state) {
        struct fixture *f = *state;
        const struct picmg_link_config *last = &f->m->config->picmg_link[CONFIG_PICMG_LINK_MAX - 1];
        uint8_t rsp[64];
        size_t n;
        bool observable = config_pages_dropped(f->m->config, last);

        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x45), 0);
        assert_int_equal(n, 1);
        assert_int_equal(RUN(f, PICMG_CMD_SET_PORT_STATE, 0x00, 0x45, 0x2F, 0x40, 0x00, 1),
                         CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_SIGNALING_CLASS, 0x00, 0x45, 0), CC_BAD);
        assert_false(observable && page_resident(last));
        /* The links that are there still answer. */
        assert_int_equal(RUN(f, PICMG_CMD_GET_PORT_STATE, 0x00, 0x41), 0);
        assert_int_equal(n, 6);
}

/* The records in the FRU images: Board P2P with 4 ATCA links on the board's FRU 0, none on
 * FRU 1 (no links, no module current). */
static void test_records_in_image(void **state) {
        struct fixture *f = *state;
        const struct fru_config *fc = &f->m->config->fru[0];
        static const uint8_t board[] = {
                0xC0, 6 + 4 * 4, 0x5A, 0x31, 0x00, 0x14, 0x00, 0x00,
                0x41, 0x2F, 0x40, 0x00,         /* fabric 1, ports 0-3, Ethernet KX4 */
                0x42, 0x21, 0x00, 0x00,         /* fabric 2, port 0, Ethernet BX */
                0x01, 0x11, 0x00, 0x00,         /* base 1, port 0, Base */
                0x43, 0x22, 0x00, 0x00,         /* fabric 3, port 1, Ethernet */
        };
        uint8_t *img = NULL;
        size_t len = 0;

        assert_int_equal(fc->picmg_records_len, sizeof(board));
        assert_memory_equal(fc->picmg_records, board, sizeof(board));
        assert_int_equal(f->m->config->fru[1].picmg_records_len, 0);
        /* The image holds them as multirecords: the board record's data appears in it. */
        assert_int_equal(config_fru_build_image(&f->m->config->fru[0], &img, &len), 0);
        assert_non_null(memmem(img, len, board + 2, sizeof(board) - 2));
        free(img);
}

/* An AMC module's FRU 0: AMC P2P and Module Current, each accepted by the record check. */
static void test_amc_records_in_image(void **state) {
        struct fixture *f = *state;
        const struct fru_config *fc = &f->m->config->fru[0];
        static const uint8_t amc[] = {
                0xC0, 16, 0x5A, 0x31, 0x00, 0x19, 0x00, 0x00, 0x80, 0x01, 0xA4, 0x98, 0xF3,
                0x00, 0x2F, 0x20, 0x01, 0xFC,
                0xC0, 6, 0x5A, 0x31, 0x00, 0x16, 0x00, 65,
        };
        uint8_t *img = NULL;
        size_t len = 0;
        char reason[160];

        assert_int_equal(fc->picmg_records_len, sizeof(amc));
        assert_memory_equal(fc->picmg_records, amc, sizeof(amc));
        assert_int_equal(picmg_record_check(amc + 2, 16, reason, sizeof(reason)), 0);
        assert_int_equal(config_fru_build_image(fc, &img, &len), 0);
        assert_non_null(memmem(img, len, amc + 2, 16));
        free(img);
}

/* Without a [picmg] profile no PICMG command is there: every row of every PICMG table, fed a
 * request of its own minimum length that would be good with a profile, answers 0xC1, like a
 * command in no table (picmg_preamble()). */
static void test_without_profile(void **state) {
        static const struct {
                const struct ipmi_command *rows;
                const size_t *n;
        } tables[] = {
                { picmg_commands, &picmg_commands_count },
                { picmg_led_commands, &picmg_led_commands_count },
                { picmg_power_commands, &picmg_power_commands_count },
                { picmg_ekeying_commands, &picmg_ekeying_commands_count },
                { picmg_ipmb_commands, &picmg_ipmb_commands_count },
        };
        struct satmc_config *c = NULL;
        struct fixture f = { 0 };
        unsigned n_rows = 0;

        (void) state;
        log_set_max_level(LOG_CRIT);
        assert_int_equal(load(HEAD "[fru.0]\nboard-product-name = Blade\n", NULL, &c), 0);
        assert_int_equal(manager_new(c, &f.m), 0);
        for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
                for (size_t i = 0; i < *tables[t].n; i++) {
                        const struct ipmi_command *row = &tables[t].rows[i];
                        uint8_t req[16] = { 0 }, rsp[64];
                        size_t n;

                        assert_true(row->min_len <= sizeof(req));
                        if (run(&f, row->cmd, req, row->min_len, rsp, &n) !=
                            IPMI_CC_INVALID_COMMAND)
                                fail_msg("%s (0x%02x) without a profile: not 0xC1", row->name,
                                         row->cmd);
                        n_rows++;
                }
        assert_true(n_rows >= 20);
        manager_free(f.m);
}

/* The MMC manages FRU 0 only: FRU 1 is refused before anything else looks at the request. */
static void test_amc_fru_not_managed(void **state) {
        struct fixture *f = *state;
        uint8_t rsp[64];
        size_t n;

        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 0, 0), 0);
        assert_int_equal(RUN(f, PICMG_CMD_GET_POWER_LEVEL, 0x00, 1, 0), CC_BAD);
        assert_int_equal(RUN(f, PICMG_CMD_SET_POWER_LEVEL, 0x00, 1, 1, 0), CC_BAD);
        assert_int_equal(RUN(f, 0x05 /* Get FRU LED Properties */, 0x00, 1), CC_BAD);
        assert_int_equal(RUN(f, 0x0B /* Get FRU Activation Policy */, 0x00, 1), CC_BAD);
        assert_int_equal(RUN(f, 0x0B, 0x00, 0), 0);
        assert_int_equal(RUN(f, 0x0B, 0x01, 0), CC_BAD);
}

/* Configurations refused, each with its line and reason, under the profile named last (after
 * the case's sections: their lines stay as written; "" = none). */
static void test_config_errors(void **state) {
        static const struct {
                const char *text, *want, *profile;
        } cases[] = {
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 20 W, 10 W\n",
                  "mem.ini:11: levels: level 2 (10.0 W) is not above level 1; levels rise", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 300 W\n",
                  "mem.ini:11: levels: level 1 (300.0 W) is not a multiple of the multiplier "
                  "1.0 W at most 255 times", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 20.05 W\n",
                  "mem.ini:11: levels \"20.05 W\": steps of 0.1 W", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 10 W\n"
                  "desired-level = 2\n", "mem.ini:12: desired-level 2: there are 1 levels", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 10 W\n"
                  "spanned-slots = 2\nipmc-location = 2\n",
                  "mem.ini:13: ipmc-location 2: the board spans 2 slots, numbered from 0", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 10 W\n"
                  "ipmc-location = 1\n",
                  "mem.ini:12: ipmc-location 1: the board spans 1 slot, numbered from 0", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.1]\nlevels = 10 W\n",
                  "mem.ini:11: [picmg-power.1]: there is no [fru.1] to describe", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.8]\nlevels = 10 W\n",
                  "mem.ini:10: unknown section [picmg-power.8]", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 0\nports = 0\n"
                  "link-type = base\n", "mem.ini:11: channel 0: an ATCA channel is 1..63", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 4\n"
                  "link-type = base\n", "mem.ini:12: ports: an ATCA channel has ports 0..3, "
                  "not 4", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0 0\n"
                  "link-type = base\n", "mem.ini:12: ports: port 0 twice", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = fast\n", "mem.ini:13: link-type \"fast\" must be a link type",
                  ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = base\naction = exec:bin/x\n",
                  "mem.ini:14: action \"exec:bin/x\": the program must be an absolute path", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = base\nargs = x\n", "mem.ini:14: args is for action = exec:/PATH",
                  ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = base\n[picmg-link.1]\nchannel = 1\nports = 0\nlink-type = base\n",
                  "mem.ini:15: [picmg-link.1] is the link of [picmg-link.0] (line 11) again",
                  ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nkind = amc\nchannel = 1\n"
                  "ports = 4\nlink-type = pcie\n", "has no link; the channels of a FRU are "
                  "numbered 0.. without gaps", AMC },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nkind = amc\nchannel = 0\n"
                  "ports = 4\nlink-type = pcie\n[picmg-link.1]\nkind = amc\nchannel = 0\n"
                  "ports = 5\nlink-type = pcie\n", "mem.ini:16: [picmg-link.1]: AMC channel 0 "
                  "has other ports on line 11", AMC },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\n",
                  "[picmg-link.0] ports is required", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = base\nsignaling-classes = 4\n",
                  "mem.ini:14: signaling-classes \"4\": every link supports class 0 (basic)",
                  ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nkind = amc\nchannel = 0\n"
                  "ports = 4\nlink-type = pcie\nsignaling-classes = 0 4\n",
                  "mem.ini:15: signaling-classes is for kind = atca", AMC },
                /* The profile gate (config-check-picmg-profile.c). */
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 10 W\n",
                  "mem.ini:11: [picmg-power.0] needs a PICMG profile: set [picmg] profile = "
                  "atca-ipmc or amc-mmc", "" },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nkind = amc\nchannel = 0\n"
                  "ports = 4\nlink-type = pcie\n", "mem.ini:11: [picmg-link.0] (kind = amc) "
                  "needs a PICMG profile: set [picmg] profile = amc-mmc", "" },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nkind = amc\nchannel = 0\n"
                  "ports = 4\nlink-type = pcie\n", "mem.ini:11: [picmg-link.0] kind = amc: "
                  "profile atca-ipmc (line 16) has ATCA links only", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[picmg-link.0]\nchannel = 1\nports = 0\n"
                  "link-type = base\n", "mem.ini:11: [picmg-link.0] kind = atca: profile "
                  "amc-mmc (line 15) has AMC links only (kind = amc)", AMC },
                { "[fru.0]\nboard-product-name = XY\n[picmg-power.0]\nlevels = 10 W\n"
                  "module-current = 2 A\n", "mem.ini:12: [picmg-power.0] module-current: the "
                  "Module Current Requirements record is an AMC module's", ATCA },
                { "[fru.0]\nboard-product-name = XY\n[fru.1]\nboard-product-name = ZZ\n"
                  "[picmg-power.1]\nlevels = 10 W\n", "mem.ini:11: [fru.1]: profile amc-mmc "
                  "(line 15) manages FRU 0 only", AMC },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct satmc_config *c = NULL;
                char *text = NULL, *err = NULL;
                size_t len = 0;
                FILE *e = open_memstream(&err, &len);

                assert_true(asprintf(&text, HEAD "%s%s", cases[i].text,
                                     cases[i].profile) > 0);
                assert_int_equal(load(text, e, &c), -EINVAL);
                fclose(e);
                if (!strstr(err, cases[i].want))
                        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
                assert_null(c);
                free(err);
                free(text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_get_power_level, setup, teardown),
                cmocka_unit_test_setup_teardown(test_set_power_level, setup, teardown),
                cmocka_unit_test_setup_teardown(test_compute_power_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_port_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_amc_port_state, setup_amc, teardown),
                cmocka_unit_test_setup_teardown(test_signaling_class, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unused_link_slots_untouched, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_records_in_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_amc_records_in_image, setup_amc, teardown),
                cmocka_unit_test_setup_teardown(test_amc_fru_not_managed, setup_amc, teardown),
                cmocka_unit_test(test_without_profile),
                cmocka_unit_test(test_config_errors),
        };

        return cmocka_run_group_tests_name("picmg-power", tests, NULL, NULL);
}
