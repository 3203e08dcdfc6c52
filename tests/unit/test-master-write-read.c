/* SPDX-License-Identifier: MIT */
/*
 * App Master Write-Read through the dispatcher with a fake I2C bus: the allow list, request
 * lengths, reserved bits, read count limits, every errno -> completion code mapping, and the
 * SMBus read helper through its seam.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake-smbus.h"
#include "manager-bare-config.h"

#include "daemon/dispatch.h"
#include "daemon/i2c-smbus.h"
#include "daemon/manager.h"
#include "protocol/i2c-allow.h"
#include "protocol/ipmi.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct fake_bus {
        int fail;                       /* -errno to return, or 0 */
        unsigned calls;
        unsigned bus;
        uint8_t addr7;
        uint8_t written[256];
        size_t wlen, rlen;
};

static int fake_transfer(void *userdata, unsigned bus, uint8_t addr7, const uint8_t *w,
                         size_t wlen, uint8_t *r, size_t rlen) {
        struct fake_bus *f = userdata;

        f->calls++;
        f->bus = bus;
        f->addr7 = addr7;
        assert_true(wlen <= sizeof(f->written));
        memcpy(f->written, w, wlen);
        f->wlen = wlen;
        f->rlen = rlen;
        if (f->fail)
                return f->fail;
        /* The device answers with its address plus the byte index. */
        for (size_t i = 0; i < rlen; i++)
                r[i] = (uint8_t) (addr7 + i);
        return 0;
}

static const struct i2c_ops fake_ops = { .transfer = fake_transfer };

struct fixture {
        struct manager *m;
        struct fake_bus bus;
};

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));
        struct satmc_config *c = bare_config_new();
        char reason[160];

        assert_non_null(fx);
        c->event_queue_length = 64;
        assert_int_equal(i2c_allow_parse("1:0x50 1:0x52-0x57 2:*", &c->i2c_allow, reason,
                                         sizeof(reason)), 0);
        assert_int_equal(manager_new(c, &fx->m), 0);
        fx->m->i2c_ops = &fake_ops;
        fx->m->i2c_userdata = &fx->bus;
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        manager_free(fx->m);
        free(fx);
        return 0;
}

static uint8_t buf[IPMI_MAX_DATA_LEN];

static struct ipmi_msg_out mwr(struct fixture *fx, const uint8_t *data, size_t len, size_t cap) {
        struct ipmi_msg_in in = {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_MASTER_WRITE_READ,
                .data = data, .len = len,
        };
        struct ipmi_msg_out out = { .data = buf, .cap = cap, .cc = 0x42, .len = 99 };

        memset(buf, 0xAA, sizeof(buf));
        fx->bus.calls = 0;
        dispatch_request(fx->m, &in, &out);
        return out;
}

/* Byte 1 for private bus N. */
#define PRIV(n) ((uint8_t) ((n) << 1 | 1))

static void test_write_read(void **state) {
        struct fixture *fx = *state;
        /* bus 1, EEPROM 0x50 (8-bit 0xA0), read 4, write the offset 0x10 */
        static const uint8_t req[] = { PRIV(1), 0xA0, 4, 0x10 };
        struct ipmi_msg_out out = mwr(fx, req, sizeof(req), 24);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 4);
        assert_int_equal(fx->bus.calls, 1);
        assert_int_equal(fx->bus.bus, 1);
        assert_int_equal(fx->bus.addr7, 0x50);
        assert_int_equal(fx->bus.wlen, 1);
        assert_int_equal(fx->bus.written[0], 0x10);
        assert_int_equal(fx->bus.rlen, 4);
        assert_int_equal(buf[0], 0x50);
        assert_int_equal(buf[3], 0x53);
}

static void test_write_only_and_read_only(void **state) {
        struct fixture *fx = *state;
        static const uint8_t write_only[] = { PRIV(2), 0x40, 0, 1, 2, 3 };
        static const uint8_t read_only[] = { PRIV(2), 0x40, 2 };
        static const uint8_t neither[] = { PRIV(2), 0x40, 0 };
        struct ipmi_msg_out out;

        out = mwr(fx, write_only, sizeof(write_only), 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 0);
        assert_int_equal(fx->bus.wlen, 3);
        assert_int_equal(fx->bus.rlen, 0);
        assert_memory_equal(fx->bus.written, write_only + 3, 3);

        out = mwr(fx, read_only, sizeof(read_only), 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        assert_int_equal(fx->bus.wlen, 0);

        out = mwr(fx, neither, sizeof(neither), 24);
        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);
        assert_int_equal(fx->bus.calls, 0);
}

struct target_case {
        uint8_t bus_id, addr8;
        uint8_t cc;
};

static const struct target_case targets[] = {
        { PRIV(1), 0xA0, IPMI_CC_OK },                          /* 1:0x50 */
        { PRIV(1), 0xA2, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* 1:0x51: the gap */
        { PRIV(1), 0xA4, IPMI_CC_OK },                          /* 1:0x52, range start */
        { PRIV(1), 0xAE, IPMI_CC_OK },                          /* 1:0x57, range end */
        { PRIV(1), 0xB0, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* 1:0x58 */
        { PRIV(1), 0x9E, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* 1:0x4f */
        { PRIV(2), 0x10, IPMI_CC_OK },                          /* 2:* from 0x08 */
        { PRIV(2), 0xEE, IPMI_CC_OK },                          /* 2:* to 0x77 */
        { PRIV(2), 0x0E, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* 2:0x07, reserved */
        { PRIV(2), 0xF0, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* 2:0x78, reserved */
        { PRIV(0), 0xA0, IPMI_CC_INSUFFICIENT_PRIVILEGE },      /* bus 0 not listed */
        { PRIV(7), 0xA0, IPMI_CC_INSUFFICIENT_PRIVILEGE },
        /* The public bus (IPMB), bus number 1 or not: never. */
        { 0x02, 0xA0, IPMI_CC_INSUFFICIENT_PRIVILEGE },
        { 0x00, 0xA0, IPMI_CC_INSUFFICIENT_PRIVILEGE },
        /* Channel bits 7:4 are ignored for a private bus. */
        { 0xF0 | PRIV(1), 0xA0, IPMI_CC_OK },
        /* Bit 0 of the slave address is reserved. */
        { PRIV(1), 0xA1, IPMI_CC_INVALID_DATA_FIELD },
};

static void test_targets(void **state) {
        struct fixture *fx = *state;

        for (size_t i = 0; i < N(targets); i++) {
                uint8_t req[] = { targets[i].bus_id, targets[i].addr8, 1, 0x00 };
                struct ipmi_msg_out out = mwr(fx, req, sizeof(req), 24);

                if (out.cc != targets[i].cc)
                        fail_msg("bus id 0x%02x address 0x%02x: cc 0x%02x, expected 0x%02x",
                                 targets[i].bus_id, targets[i].addr8, out.cc, targets[i].cc);
                /* A refused request never reaches the bus and carries no data. */
                assert_int_equal(fx->bus.calls, out.cc == IPMI_CC_OK);
                assert_int_equal(out.len, out.cc == IPMI_CC_OK ? 1 : 0);
        }
}

/* Nothing configured: nothing allowed. */
static void test_default_allows_nothing(void **state) {
        struct fixture *fx = *state;
        static const uint8_t req[] = { PRIV(1), 0xA0, 1 };
        struct ipmi_msg_out out;

        fx->m->config->i2c_allow.n = 0;
        out = mwr(fx, req, sizeof(req), 24);
        assert_int_equal(out.cc, IPMI_CC_INSUFFICIENT_PRIVILEGE);
        assert_int_equal(fx->bus.calls, 0);
}

static void test_lengths(void **state) {
        struct fixture *fx = *state;
        uint8_t req[IPMI_MAX_DATA_LEN + 1];

        memset(req, 0, sizeof(req));
        req[0] = PRIV(2);
        req[1] = 0x40;
        req[2] = 0;
        for (size_t len = 0; len <= sizeof(req); len++) {
                struct ipmi_msg_out out = mwr(fx, req, len, 24);

                if (len < 3 || len > IPMI_MAX_DATA_LEN) {
                        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
                        assert_int_equal(fx->bus.calls, 0);
                } else if (len == 3) {
                        assert_int_equal(out.cc, IPMI_CC_INVALID_DATA_FIELD);   /* nothing to do */
                } else {
                        assert_int_equal(out.cc, IPMI_CC_OK);
                        assert_int_equal(fx->bus.wlen, len - 3);
                }
        }
}

static void test_read_count_limits(void **state) {
        struct fixture *fx = *state;
        static const size_t caps[] = { 0, 1, 24, 120, IPMI_MAX_DATA_LEN };

        for (size_t c = 0; c < N(caps); c++)
                for (unsigned count = 0; count <= 255; count++) {
                        uint8_t req[] = { PRIV(2), 0x40, (uint8_t) count, 0x00 };
                        struct ipmi_msg_out out = mwr(fx, req, sizeof(req), caps[c]);

                        if (count > caps[c]) {
                                assert_int_equal(out.cc, IPMI_CC_CANT_RETURN_REQ_BYTES);
                                assert_int_equal(fx->bus.calls, 0);
                                assert_int_equal(out.len, 0);
                        } else {
                                assert_int_equal(out.cc, IPMI_CC_OK);
                                assert_int_equal(out.len, count);
                                assert_int_equal(fx->bus.rlen, count);
                        }
                }
}

static const struct {
        int error;
        uint8_t cc;
} errno_map[] = {
        { -EAGAIN, 0x81 },                      /* lost arbitration */
        { -EIO, 0x82 },                         /* bus error */
        { -ETIMEDOUT, 0x82 },
        { -ENXIO, 0x83 },                       /* NAK on write */
        { -EREMOTEIO, 0x83 },
        { -ENODATA, 0x84 },                     /* truncated read */
        { -ENOENT, IPMI_CC_NOT_PRESENT },       /* no /dev/i2c-N */
        { -EACCES, IPMI_CC_INSUFFICIENT_PRIVILEGE },
        { -ENOMEM, IPMI_CC_UNSPECIFIED },
        { -EPROTO, IPMI_CC_UNSPECIFIED },
};

static void test_errno_mapping(void **state) {
        struct fixture *fx = *state;
        static const uint8_t req[] = { PRIV(1), 0xA0, 4, 0x10 };

        for (size_t i = 0; i < N(errno_map); i++) {
                struct ipmi_msg_out out;

                fx->bus.fail = errno_map[i].error;
                out = mwr(fx, req, sizeof(req), 24);
                if (out.cc != errno_map[i].cc)
                        fail_msg("%s: cc 0x%02x, expected 0x%02x", strerror(-errno_map[i].error),
                                 out.cc, errno_map[i].cc);
                assert_int_equal(fx->bus.calls, 1);
                assert_int_equal(out.len, 0);
        }
        fx->bus.fail = 0;
}

static void test_listed(void **state) {
        const struct ipmi_command *c = dispatch_lookup(IPMI_NETFN_APP, IPMI_CMD_MASTER_WRITE_READ);

        assert_non_null(c);
        assert_string_equal(c->name, "Master Write-Read");
        assert_int_equal(c->min_len, 3);
}

/* ---- the [i2c] allow list ---- */

static const struct {
        const char *text;
        const char *reason;             /* NULL: accepted */
        const char *canonical;
} allow_cases[] = {
        { "none", NULL, "none" },
        { "1:0x50 1:0x51-0x57 2:*", NULL, "1:0x50 1:0x51-0x57 2:*" },
        { " 0:8,\t7:0x77 ,3:0x20-0x2F ", NULL, "0:0x08 7:0x77 3:0x20-0x2f" },
        { "4:0x08-0x77", NULL, "4:*" },
        { "", "an empty list must be written none", NULL },
        { " , ", "an empty list must be written none", NULL },
        { "0x50", "\"0x50\" must be BUS:ADDRESS, BUS:FIRST-LAST or BUS:*", NULL },
        { "8:0x50", "\"8:0x50\": bus must be 0..7 (the IPMI private bus ID)", NULL },
        { ":0x50", "\":0x50\": bus must be 0..7 (the IPMI private bus ID)", NULL },
        { "1:0x78", "\"1:0x78\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:0x07", "\"1:0x07\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:0xA0", "\"1:0xA0\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:", "\"1:\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:0x50-", "\"1:0x50-\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:-0x50", "\"1:-0x50\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:+80", "\"1:+80\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "1:0xffffffffffffffff", "\"1:0xffffffffffffffff\": addresses are 7-bit, 0x08..0x77, "
          "or *", NULL },
        { "1:0x57-0x51", "\"1:0x57-0x51\": the range is backwards", NULL },
        { "1:**", "\"1:**\": addresses are 7-bit, 0x08..0x77, or *", NULL },
        { "none 1:0x50", "\"none\" must be BUS:ADDRESS, BUS:FIRST-LAST or BUS:*", NULL },
};

static void test_allow_parse(void **state) {
        for (size_t i = 0; i < N(allow_cases); i++) {
                struct i2c_allow a, before;
                char reason[160] = "", text[700];
                int r;

                memset(&a, 0x5A, sizeof(a));
                before = a;
                r = i2c_allow_parse(allow_cases[i].text, &a, reason, sizeof(reason));
                if (!allow_cases[i].reason) {
                        if (r != 0)
                                fail_msg("\"%s\" refused: %s", allow_cases[i].text, reason);
                        assert_true(i2c_allow_format(&a, text, sizeof(text)) > 0);
                        assert_string_equal(text, allow_cases[i].canonical);
                } else {
                        assert_int_equal(r, -EINVAL);
                        if (strcmp(reason, allow_cases[i].reason) != 0)
                                fail_msg("\"%s\": reason \"%s\", expected \"%s\"",
                                         allow_cases[i].text, reason, allow_cases[i].reason);
                        assert_memory_equal(&a, &before, sizeof(a));
                }
        }
}

static void test_allow_limits(void **state) {
        struct i2c_allow a;
        char text[1024] = "", reason[160];
        size_t len = 0;

        for (unsigned i = 0; i < I2C_ALLOW_MAX; i++)
                len += (size_t) snprintf(text + len, sizeof(text) - len, "%u:* ", i % 8);
        assert_int_equal(i2c_allow_parse(text, &a, reason, sizeof(reason)), 0);
        assert_int_equal(a.n, I2C_ALLOW_MAX);
        snprintf(text + len, sizeof(text) - len, "1:0x50");
        assert_int_equal(i2c_allow_parse(text, &a, reason, sizeof(reason)), -EINVAL);
        assert_string_equal(reason, "at most 32 entries");
        /* The buffer for the canonical text is checked. */
        assert_int_equal(i2c_allow_format(&a, text, 8), -ENOBUFS);
        assert_int_equal(i2c_allow_format(&a, text, 0), -ENOBUFS);
}

/* A value error in the file names file and line. */
static void test_allow_config_error(void **state) {
        static const char text[] =
                "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.05\n"
                "manufacturer-id = 1\nproduct-id = 2\n"
                "guid = 01234567-89ab-cdef-0011-223344556677\n"
                "[i2c]\nallow = 1:0x50 9:*\n";
        struct satmc_config *c = NULL;
        char *errs = NULL;
        size_t len = 0;
        FILE *in = fmemopen((void *) text, strlen(text), "r"), *err = open_memstream(&errs, &len);

        assert_int_equal(config_load_from_file(in, "i2c.ini", err, &c), -EINVAL);
        fclose(err);
        fclose(in);
        assert_null(c);
        assert_string_equal(errs, "i2c.ini:9: allow: \"9:*\": bus must be 0..7 (the IPMI "
                            "private bus ID)\n");
        free(errs);
}

/* ---- the SMBus helper, through its seam ---- */

static void test_smbus_read(void **state) {
        struct fake_smbus f = { .answer = 0x1234 };
        uint16_t v = 0xAAAA;

        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x48, 0x05, true, &v), 0);
        assert_int_equal(v, 0x1234);
        assert_int_equal(f.bus, 3);
        assert_int_equal(f.addr7, 0x48);
        assert_int_equal(f.reg, 0x05);
        assert_true(f.word);

        f.answer = 0x7F;
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x48, 0x00, false, &v), 0);
        assert_int_equal(v, 0x7F);
        assert_false(f.word);

        /* Errors pass through; the value is untouched. */
        f.answer = -ENXIO;
        v = 0xAAAA;
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x48, 0x00, false, &v), -ENXIO);
        assert_int_equal(v, 0xAAAA);

        /* More bits than asked for is the ops' bug, not a reading. */
        f.answer = 0x100;
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x48, 0x00, false, &v), -EBADMSG);
        f.answer = 0x10000;
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x48, 0x00, true, &v), -EBADMSG);
        assert_int_equal(v, 0xAAAA);

        /* Reserved addresses never reach the bus. */
        f.calls = 0;
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x07, 0x00, false, &v), -EINVAL);
        assert_int_equal(smbus_read(&fake_smbus_ops, &f, 3, 0x78, 0x00, false, &v), -EINVAL);
        assert_int_equal(f.calls, 0);
}

int main(void) {
        static const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_only_and_read_only, setup, teardown),
                cmocka_unit_test_setup_teardown(test_targets, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_allows_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lengths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_count_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errno_mapping, setup, teardown),
                cmocka_unit_test(test_listed),
                cmocka_unit_test(test_allow_parse),
                cmocka_unit_test(test_allow_limits),
                cmocka_unit_test(test_allow_config_error),
                cmocka_unit_test(test_smbus_read),
        };

        return cmocka_run_group_tests_name("master-write-read", tests, NULL, NULL);
}
