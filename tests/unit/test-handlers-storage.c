/* SPDX-License-Identifier: MIT */
/*
 * The FRU commands through the real dispatcher and a real FRU store in a temporary directory:
 * request lengths, response sizes on a 32-byte IPMB (24 data bytes) and locally (255), offsets
 * at and past the end, unknown device IDs, write-protect, writes persisted at once, and the Get
 * Device ID "FRU inventory device" bit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp-dir.h"

#include "daemon/dispatch.h"
#include "daemon/log.h"
#include "daemon/manager.h"
#include "protocol/fru.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

#define IPMB_CAP 24     /* ipmb_response_data_max(32) */

static char dir[64];

static Manager *new_manager(const char *extra, bool open) {
        struct satmc_config *c = NULL;
        Manager *m = NULL;
        char *text = NULL;
        FILE *in;

        assert_true(asprintf(&text,
                             "[mc]\naddress = 0x72\n"
                             "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\n"
                             "product-id = 2\nguid = 01234567-89ab-cdef-0011-223344556677\n"
                             "[storage]\nstate-directory = %s\n%s", dir, extra) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "mem.ini", NULL, &c), 0);
        fclose(in);
        free(text);
        assert_int_equal(manager_new(c, &m), 0);
        if (open) {
                assert_int_equal(state_dir_open(dir, &m->state), 0);
                assert_int_equal(fru_store_open(m->fru, m->state), 0);
        }
        return m;
}

static int setup(void **state) {
        snprintf(dir, sizeof(dir), "/tmp/satmc-fru-handlers-XXXXXX");
        assert_non_null(mkdtemp(dir));
        *state = new_manager("[fru.0]\nboard-manufacturer = Acme\nboard-product-name = Widget\n"
                             "[fru.3]\nproduct-name = Locked\nwrite-protect = yes\nsize = 128\n",
                             true);
        return 0;
}

static int teardown(void **state) {
        manager_free(*state);
        remove_temp_dir(dir);
        return 0;
}

static uint8_t buf[IPMI_MAX_DATA_LEN];

static struct ipmi_msg_out run(Manager *m, uint8_t cmd, const uint8_t *data, size_t len,
                               size_t cap) {
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_STORAGE, .cmd = cmd, .data = data,
                                  .len = len };
        struct ipmi_msg_out out = { .data = buf, .cap = cap, .cc = 0x42, .len = 99 };

        memset(buf, 0xAA, sizeof(buf));
        dispatch_request(m, &in, &out);
        return out;
}

#define RUN(m, cmd, cap, ...) \
        run(m, cmd, (const uint8_t[]) { __VA_ARGS__ }, sizeof((const uint8_t[]) { __VA_ARGS__ }), cap)

static void test_ipmb_cap_is_24(void **state) {
        assert_int_equal(ipmb_response_data_max(32), IPMB_CAP);
}

static void test_area_info(void **state) {
        Manager *m = *state;
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
        Manager *m = *state;
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
        Manager *m = *state;
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

/* Bit 3 follows [fru.0]; a claim without one is passed on as configured. Bit 0 (sensor device)
 * is always there: device SDRs are served. */
static void test_device_id_fru_bit(void **state) {
        Manager *m = *state, *m2;
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_DEVICE_ID };
        struct ipmi_msg_out out = { .data = buf, .cap = IPMB_CAP };

        dispatch_request(m, &in, &out);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[5], IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR);

        m2 = new_manager("[fru.1]\nboard-manufacturer = Acme\n", false);
        dispatch_request(m2, &in, &out);
        assert_int_equal(out.data[5], IPMI_DEVSUP_SENSOR);      /* device 1 is not the inventory device */
        m2->config->identity.device_support = IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR;
        dispatch_request(m2, &in, &out);
        assert_int_equal(out.data[5], IPMI_DEVSUP_FRU_INVENTORY | IPMI_DEVSUP_SENSOR);
        manager_free(m2);
}

/* Without any [fru.N]: every FRU command answers "not present", nothing crashes. */
static void test_no_fru(void **state) {
        Manager *m = new_manager("", false);
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
                cmocka_unit_test_setup_teardown(test_device_id_fru_bit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_fru, setup, teardown),
        };

        log_set_max_level(LOG_WARNING);
        return cmocka_run_group_tests_name("handlers-storage", tests, NULL, NULL);
}
