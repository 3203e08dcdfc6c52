/* SPDX-License-Identifier: MIT */
/*
 * The FRU commands through the real dispatcher and a real FRU store in a temporary directory:
 * request lengths, response sizes on a 32-byte IPMB (24 data bytes) and locally (255), offsets
 * at and past the end, unknown device IDs, write-protect, writes persisted at once, and the Get
 * Device ID "FRU inventory device" bit. With renameat() failing on demand (-Wl,--wrap): a write
 * that cannot be persisted answers 0xFF and leaves memory as it was, and its retry over IPMB is
 * executed again rather than answered from the replay cache. Get Self Test Results reporting a
 * FRU image that does not parse, and Cold Reset persisting unflushed (NBD) writes first.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "manager-rig.h"

#include "common/log.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/fru.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

#define IPMB_CAP 24     /* ipmb_response_data_max(32) */

/* ---- failure injection ---- */

int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

static int fail_rename;         /* errno to fail with, 0 = pass through */

int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
        if (fail_rename) {
                errno = fail_rename;
                return -1;
        }
        return __real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

static char dir[RIG_DIR_MAX];

static struct manager *new_manager(const char *extra, bool open) {
        struct manager *m = rig_manager_new(dir, extra);

        if (open) {
                assert_int_equal(state_dir_open(dir, &m->state), 0);
                assert_int_equal(fru_store_open(m->fru, m->state), 0);
        }
        return m;
}

static int setup(void **state) {
        fail_rename = 0;
        rig_make_dir(dir, "satmc-fru-handlers");
        *state = new_manager("[fru.0]\nboard-manufacturer = Acme\nboard-product-name = Widget\n"
                             "[fru.3]\nproduct-name = Locked\nwrite-protect = yes\nsize = 128\n",
                             true);
        return 0;
}

static int teardown(void **state) {
        rig_free(*state, dir);
        return 0;
}

static struct ipmi_msg_out run(struct manager *m, uint8_t cmd, const uint8_t *data, size_t len,
                               size_t cap) {
        return rig_run(m, IPMI_NETFN_STORAGE, 0, cmd, data, len, cap);
}

#define RUN(m, cmd, cap, ...) \
        run(m, cmd, (const uint8_t[]) { __VA_ARGS__ }, sizeof((const uint8_t[]) { __VA_ARGS__ }), cap)

static void test_ipmb_cap_is_24(void **state) {
        assert_int_equal(ipmb_response_data_max(32), IPMB_CAP);
}

static void test_area_info(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        out = RUN(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, IPMB_CAP, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 3);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x00, 0x02, 0x00 }), 3);  /* 512, bytes */

        out = RUN(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, IPMB_CAP, 3);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x80, 0x00, 0x00 }), 3);  /* 128 */

        for (unsigned id = 0; id < 256; id++)
                if (id != 0 && id != 3) {
                        out = RUN(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, IPMB_CAP, (uint8_t) id);
                        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
                        assert_int_equal(out.len, 0);
                }
        out = run(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, NULL, 0, IPMB_CAP);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, IPMB_CAP, 0, 0);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void test_read(void **state) {
        struct manager *m = *state;
        struct fru_device *d = fru_store_get(m->fru, 0);
        uint8_t image[512];
        struct ipmi_msg_out out;

        assert_int_equal(fru_store_read(d, 0, image, sizeof(image)), 0);
        assert_true(fru_image_valid(image, sizeof(image)));

        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x00, 0x00, 8);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 9);
        assert_int_equal(out.data[0], 8);
        assert_memory_equal(out.data + 1, image, 8);

        /* More than one response holds: what fits, count says how much. */
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x10, 0x00, 0xFF);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, IPMB_CAP);
        assert_int_equal(out.data[0], IPMB_CAP - 1);
        assert_memory_equal(out.data + 1, image + 0x10, IPMB_CAP - 1);

        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMI_MAX_DATA_LEN, 0, 0x00, 0x01, 0xFF);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], 254);
        assert_memory_equal(out.data + 1, image + 256, 254);

        /* Never past the end: the last two bytes. */
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0xFE, 0x01, 16);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 3);
        assert_int_equal(out.data[0], 2);
        assert_memory_equal(out.data + 1, image + 510, 2);

        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x00, 0x00, 0);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 1);
        assert_int_equal(out.data[0], 0);

        /* At or past the end: the offset is out of range. */
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x00, 0x02, 1);
        assert_int_equal(out.cc, IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(out.len, 0);
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0xFF, 0xFF, 1);
        assert_int_equal(out.cc, IPMI_CC_PARAM_OUT_OF_RANGE);

        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 1, 0x00, 0x00, 1);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x00, 0x00);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x00, 0x00, 1, 1);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void test_write(void **state) {
        struct manager *m = *state;
        struct fru_device *d = fru_store_get(m->fru, 0);
        uint8_t got[512], before[512];
        struct ipmi_msg_out out;
        char path[128];
        FILE *f;

        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0x2C, 0x01, 'h', 'e', 'l', 'l', 'o');
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 1);
        assert_int_equal(out.data[0], 5);
        assert_int_equal(fru_store_read(d, 300, got, 5), 0);
        assert_memory_equal(got, "hello", 5);
        assert_false(fru_device_dirty(d));      /* already on disk */

        snprintf(path, sizeof(path), "%s/fru0.bin", dir);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(fread(got, 1, sizeof(got), f), 512);
        fclose(f);
        assert_memory_equal(got + 300, "hello", 5);

        /* All or nothing: a write running past the end changes nothing. */
        assert_int_equal(fru_store_read(d, 0, before, 512), 0);
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0xFE, 0x01, 1, 2, 3);
        assert_int_equal(out.cc, IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(out.len, 0);
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0x00, 0x02, 1);
        assert_int_equal(out.cc, IPMI_CC_PARAM_OUT_OF_RANGE);
        assert_int_equal(fru_store_read(d, 0, got, 512), 0);
        assert_memory_equal(got, before, 512);

        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0xFE, 0x01, 1, 2);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[0], 2);

        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 3, 0x00, 0x00, 1);
        assert_int_equal(out.cc, IPMI_CC_FRU_WRITE_PROTECTED);
        assert_int_equal(out.len, 0);
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 7, 0x00, 0x00, 1);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0x00, 0x00);
        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
}

static void read_backing(uint8_t *got) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/fru0.bin", dir);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(fread(got, 1, 512, f), 512);
        fclose(f);
}

/* Bug: a Write FRU Data that could not be persisted (0xFF) still changed the image in memory,
 * served at once and persisted by the next flush. */
static void test_write_fails_memory_unchanged(void **state) {
        struct manager *m = *state;
        struct fru_device *d = fru_store_get(m->fru, 0);
        uint8_t before[512], got[512];
        struct ipmi_msg_out out;

        assert_int_equal(fru_store_read(d, 0, before, 512), 0);
        fail_rename = ENOSPC;
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0x2C, 0x01, 'h', 'e', 'l', 'l', 'o');
        assert_int_equal(out.cc, IPMI_CC_UNSPECIFIED);
        assert_int_equal(out.len, 0);
        assert_false(fru_device_dirty(d));
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0x2C, 0x01, 5);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_memory_equal(out.data + 1, before + 300, 5);
        fail_rename = 0;

        /* A later successful write persists only itself. */
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0x00, 0x01, 'x');
        assert_int_equal(out.cc, IPMI_CC_OK);
        read_backing(got);
        assert_memory_equal(got + 300, before + 300, 5);
        assert_int_equal(got[256], 'x');
}

/* One Write FRU Data frame over the IPMB path (chardev transport on a socketpair). */
static uint8_t ipmb_write(struct manager *m, int kernel, uint8_t seq, const char *bytes) {
        uint8_t data[32] = { 0, 0x2C, 0x01 }, frame[64], raw[256];
        size_t len = 3 + strlen(bytes);
        struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = IPMI_NETFN_STORAGE, .rq_sa = 0x20, .seq = seq,
                .cmd = IPMI_CMD_WRITE_FRU_DATA, .data = data, .data_len = len,
        };
        ssize_t n;
        int r;

        memcpy(data + 3, bytes, strlen(bytes));
        r = ipmb_encode_request(&req, frame, sizeof(frame), 32);
        assert_true(r > 0);
        manager_handle_frame(m, frame, (size_t) r);
        n = recv(kernel, raw, sizeof(raw), MSG_DONTWAIT);
        assert_true(n >= 8);
        return raw[1 + 6];              /* [len] rqSA netFn chk1 rsSA seq cmd cc */
}

/* Bug: the 0xFF answer was stored in the replay cache, so the requester's retry (same bytes,
 * same seq) was told 0xFF again without a new attempt, even once the disk had room. */
static void test_failed_write_retry_executed(void **state) {
        struct manager *m = *state;
        struct fru_device *d = fru_store_get(m->fru, 0);
        struct transport *t = NULL;
        uint8_t got[8];
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), 0);
        m->transport = t;

        fail_rename = ENOSPC;
        assert_int_equal(ipmb_write(m, sv[1], 7, "retry"), IPMI_CC_UNSPECIFIED);
        fail_rename = 0;
        assert_int_equal(ipmb_write(m, sv[1], 7, "retry"), IPMI_CC_OK);
        assert_int_equal(m->counters.v[COUNTER_RESPONSES_REPLAYED], 0);
        assert_int_equal(m->counters.v[COUNTER_REQUESTS_HANDLED], 2);
        assert_int_equal(fru_store_read(d, 300, got, 5), 0);
        assert_memory_equal(got, "retry", 5);

        /* A success is replayed: executing it twice is what the cache is for. */
        assert_int_equal(ipmb_write(m, sv[1], 7, "retry"), IPMI_CC_OK);
        assert_int_equal(m->counters.v[COUNTER_RESPONSES_REPLAYED], 1);
        assert_int_equal(m->counters.v[COUNTER_REQUESTS_HANDLED], 2);
        close(sv[1]);
}

static struct ipmi_msg_out run_app(struct manager *m, uint8_t cmd) {
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_APP, .cmd = cmd };
        struct ipmi_msg_out out = { .data = rig_buf, .cap = IPMB_CAP };

        dispatch_request(m, &in, &out);
        return out;
}

/* A FRU device whose bytes do not parse is served as stored and reported: 0x57, bit 5. */
static void test_self_test_reports_bad_fru(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        uint8_t header;

        out = run_app(m, IPMI_CMD_GET_SELF_TEST_RESULTS);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x55, 0x00 }), 2);

        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 7, 0, 1);
        header = out.data[1];
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 7, 0, (uint8_t) (header ^ 0xFF));
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = run_app(m, IPMI_CMD_GET_SELF_TEST_RESULTS);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x57, IPMI_SELFTEST_FRU_INACCESSIBLE }), 2);

        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 7, 0, header);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = run_app(m, IPMI_CMD_GET_SELF_TEST_RESULTS);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x55, 0x00 }), 2);
}

/* Bug: Cold Reset re-executed satmcd without persisting what NBD clients wrote without FLUSH. */
static void test_cold_reset_persists_first(void **state) {
        struct manager *m = *state;
        struct fru_device *d = fru_store_get(m->fru, 0);
        struct ipmi_msg_out out;
        uint8_t got[512];

        assert_int_equal(fru_store_write(d, 200, "unflushed", 9), 0);   /* as fru-nbd.c does */
        fail_rename = EIO;
        out = run_app(m, IPMI_CMD_COLD_RESET);
        assert_int_equal(out.cc, IPMI_CC_UNSPECIFIED);  /* no reset: the data stays here */
        assert_int_equal(m->pending_reset, MANAGER_RESET_NONE);
        assert_true(fru_device_dirty(d));
        fail_rename = 0;

        out = run_app(m, IPMI_CMD_COLD_RESET);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(m->pending_reset, MANAGER_RESET_COLD);
        assert_false(fru_device_dirty(d));
        read_backing(got);
        assert_memory_equal(got + 200, "unflushed", 9);
        m->pending_reset = MANAGER_RESET_NONE;
}

/* Bit 3 follows [fru.0]; a claim without one is passed on as configured. Bit 0 (sensor device)
 * is always there: device SDRs are served. */
static void test_device_id_fru_bit(void **state) {
        struct manager *m = *state, *m2;
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_DEVICE_ID };
        struct ipmi_msg_out out = { .data = rig_buf, .cap = IPMB_CAP };

        dispatch_request(m, &in, &out);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[5], IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR);

        m2 = new_manager("[fru.1]\nboard-manufacturer = Acme\n", false);
        dispatch_request(m2, &in, &out);
        assert_int_equal(out.data[5], IPMI_DEVSUP_SENSOR);      /* device 1 is not the inventory device */
        m2->config->identity.device_support = IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR;
        manager_refresh_device_id(m2);          /* as manager_reload() does */
        dispatch_request(m2, &in, &out);
        assert_int_equal(out.data[5], IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR);
        manager_free(m2);
}

/* Without any [fru.N]: every FRU command answers "not present", nothing crashes. */
static void test_no_fru(void **state) {
        struct manager *m = new_manager("", false);
        struct ipmi_msg_out out;

        assert_null(m->fru);
        out = RUN(m, IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO, IPMB_CAP, 0);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_READ_FRU_DATA, IPMB_CAP, 0, 0, 0, 1);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        out = RUN(m, IPMI_CMD_WRITE_FRU_DATA, IPMB_CAP, 0, 0, 0, 1);
        assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
        manager_free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipmb_cap_is_24),
                cmocka_unit_test_setup_teardown(test_area_info, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_fails_memory_unchanged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_write_retry_executed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_self_test_reports_bad_fru, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cold_reset_persists_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_id_fru_bit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_fru, setup, teardown),
        };

        log_set_max_level(LOG_CRIT);            /* the store logs the failures provoked here */
        return cmocka_run_group_tests_name("handlers-storage", tests, NULL, NULL);
}
