/* SPDX-License-Identifier: MIT */
/*
 * The device SDR repository (daemon/sdr-repo.c) and its commands (daemon/handlers-sdr.c)
 * through the real dispatcher: the records a configuration yields, reservation IDs, request
 * lengths, partial reads on a 32-byte IPMB (24 data bytes) and locally (255), 0xC5 for a
 * reservation that is not in force, 0xCA, 0xCB, 0xC9, and the "sdr" NBD export's bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "daemon/sdr-repo.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "protocol/sdr.h"

#define IPMB_CAP 24     /* ipmb_response_data_max(32) */
#define LOCAL_CAP 255
#define SE IPMI_NETFN_SENSOR_EVENT
#define ST IPMI_NETFN_STORAGE

static struct manager *new_manager(const char *extra) {
        struct satmc_config *c = NULL;
        struct manager *m = NULL;
        char *text = NULL;
        FILE *in;

        assert_true(asprintf(&text,
                             "[mc]\naddress = 0x72\n"
                             "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 1\n"
                             "product-id = 2\nguid = 01234567-89ab-cdef-0011-223344556677\n"
                             "[storage]\nstate-directory = /nonexistent/satmc-sdr-test\n%s",
                             extra) > 0);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        assert_int_equal(config_load_from_file(in, "mem.ini", NULL, &c), 0);
        fclose(in);
        free(text);
        /* No I/O: the repository is built from the configuration alone. */
        assert_int_equal(manager_new(c, &m), 0);
        return m;
}

/* Gadget is [fru.0]'s product name; [fru.3] has no board product name. */
static int setup(void **state) {
        *state = new_manager("[fru.0]\nboard-manufacturer = Acme\nboard-product-name = Widget\n"
                             "product-name = Gadget\n"
                             "[fru.3]\nproduct-manufacturer = Acme\n");
        return 0;
}

static int teardown(void **state) {
        manager_free(*state);
        return 0;
}

static uint8_t buf[IPMI_MAX_DATA_LEN];

static struct ipmi_msg_out run(struct manager *m, uint8_t netfn, uint8_t cmd, const uint8_t *data,
                               size_t len, size_t cap) {
        struct ipmi_msg_in in = { .netfn = netfn, .cmd = cmd, .data = data, .len = len };
        struct ipmi_msg_out out = { .data = buf, .cap = cap, .cc = 0x42, .len = 99 };

        memset(buf, 0xAA, sizeof(buf));
        dispatch_request(m, &in, &out);
        return out;
}

#define RUN(m, netfn, cmd, cap, ...) \
        run(m, netfn, cmd, (const uint8_t[]) { __VA_ARGS__ }, \
            sizeof((const uint8_t[]) { __VA_ARGS__ }), cap)
#define RUN0(m, netfn, cmd, cap) run(m, netfn, cmd, NULL, 0, cap)

static struct ipmi_msg_out get_sdr(struct manager *m, uint8_t netfn, size_t cap, uint16_t reservation,
                                   uint16_t id, uint8_t offset, uint8_t count) {
        return RUN(m, netfn, netfn == SE ? IPMI_CMD_GET_DEVICE_SDR : IPMI_CMD_GET_SDR, cap,
                   (uint8_t) reservation, (uint8_t) (reservation >> 8), (uint8_t) id,
                   (uint8_t) (id >> 8), offset, count);
}

static uint16_t reserve(struct manager *m, uint8_t netfn) {
        struct ipmi_msg_out out = RUN0(m, netfn, netfn == SE ? IPMI_CMD_RESERVE_DEVICE_SDR_REPO :
                                       IPMI_CMD_RESERVE_SDR_REPOSITORY, IPMB_CAP);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        return (uint16_t) (out.data[0] | out.data[1] << 8);
}

static void test_records_from_config(void **state) {
        struct manager *m = *state;
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        const uint8_t *p = repo.buf;

        assert_int_equal(sdr_repo_check(&repo), 3);
        assert_int_equal(sdr_repository_count(m->sdr), 3);
        assert_int_equal(sdr_repository_sensor_count(m->sdr, 0), 0);

        /* 1: MC Device Locator, "Gadget" (product name wins over board product name). */
        assert_memory_equal(p, ((uint8_t[]) { 0x01, 0x00, 0x51, 0x12, 11 + 6 }), 5);
        assert_int_equal(p[5], 0x72);                   /* our address */
        assert_int_equal(p[6], 0x00);                   /* channel 0 */
        assert_int_equal(p[7], 0x00);
        assert_int_equal(p[8], IPMI_DEVSUP_SENSOR | IPMI_DEVSUP_FRU_INVENTORY);
        assert_int_equal(p[12], IPMI_ENTITY_SYSTEM_BOARD);
        assert_int_equal(p[15], 0xC0 | 6);
        assert_memory_equal(p + 16, "Gadget", 6);
        p += 22;

        /* 2: FRU Device Locator for FRU 0, named by the board product. */
        assert_memory_equal(p, ((uint8_t[]) { 0x02, 0x00, 0x51, 0x11, 11 + 6 }), 5);
        assert_int_equal(p[5], 0x72);                   /* access address */
        assert_int_equal(p[6], 0);                      /* FRU device ID */
        assert_int_equal(p[7], 0x80);                   /* logical, LUN 0, no private bus */
        assert_int_equal(p[10], SDR_DEVICE_TYPE_FRU_INVENTORY);
        assert_memory_equal(p + 16, "Widget", 6);
        p += 22;

        /* 3: FRU 3 without a board product name. */
        assert_memory_equal(p, ((uint8_t[]) { 0x03, 0x00, 0x51, 0x11, 11 + 5 }), 5);
        assert_int_equal(p[6], 3);
        assert_memory_equal(p + 16, "FRU 3", 5);
        assert_int_equal((size_t) (p + 21 - repo.buf), repo.len);
}

static void test_records_without_fru(void **state) {
        struct manager *m = new_manager("");
        struct sdr_repo repo = sdr_repository_records(m->sdr);

        assert_int_equal(sdr_repo_check(&repo), 1);
        assert_int_equal(repo.len, 16 + 5);
        assert_int_equal(repo.buf[3], SDR_TYPE_MC_LOCATOR);
        assert_int_equal(repo.buf[8], IPMI_DEVSUP_SENSOR);
        assert_memory_equal(repo.buf + 16, "satmc", 5);
        manager_free(m);
}

/* A long name is cut to the 16 bytes an ID string holds, not refused. */
static void test_long_names_are_cut(void **state) {
        struct manager *m = new_manager("[fru.0]\nboard-product-name = A Very Long Board Product Name\n");
        struct sdr_repo repo = sdr_repository_records(m->sdr);

        assert_int_equal(sdr_repo_check(&repo), 2);
        assert_int_equal(repo.buf[15], 0xC0 | 16);
        assert_memory_equal(repo.buf + 16, "A Very Long Boar", 16);
        manager_free(m);
}

static void test_reservation_ids(void **state) {
        struct manager *m = *state;
        uint16_t first = reserve(m, SE), prev = first;

        assert_int_not_equal(first, 0);
        assert_true(sdr_repository_reservation_valid(m->sdr, first));
        /* Both command sets share one reservation: each Reserve cancels the one before. */
        assert_int_equal(reserve(m, ST), (uint16_t) (first + 1));
        assert_false(sdr_repository_reservation_valid(m->sdr, first));
        prev = (uint16_t) (first + 1);
        /* All the way round: never 0. */
        for (unsigned i = 0; i < 0x10002; i++) {
                uint16_t id = sdr_repository_reserve(m->sdr);

                assert_int_not_equal(id, 0);
                assert_int_equal(id, prev == 0xFFFF ? 1 : prev + 1);
                prev = id;
        }
        assert_false(sdr_repository_reservation_valid(m->sdr, 0));

        /* A change cancels it and is counted. */
        uint32_t gen = sdr_repository_generation(m->sdr);
        sdr_repository_changed(m->sdr);
        assert_int_equal(sdr_repository_generation(m->sdr), gen + 1);
        assert_false(sdr_repository_reservation_valid(m->sdr, prev));
}

static void test_lengths(void **state) {
        struct manager *m = *state;
        static const struct { uint8_t netfn, cmd, min, max; } cmds[] = {
                { SE, IPMI_CMD_GET_DEVICE_SDR_INFO, 0, 1 },
                { SE, IPMI_CMD_GET_DEVICE_SDR, 6, 6 },
                { SE, IPMI_CMD_RESERVE_DEVICE_SDR_REPO, 0, 0 },
                { ST, IPMI_CMD_GET_SDR_REPOSITORY_INFO, 0, 0 },
                { ST, IPMI_CMD_RESERVE_SDR_REPOSITORY, 0, 0 },
                { ST, IPMI_CMD_GET_SDR, 6, 6 },
        };
        uint8_t zeros[16] = {};

        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
                for (size_t len = 0; len <= 8; len++) {
                        struct ipmi_msg_out out = run(m, cmds[i].netfn, cmds[i].cmd, zeros, len,
                                                      IPMB_CAP);
                        bool ok_len = len >= cmds[i].min && len <= cmds[i].max;

                        if (!ok_len) {
                                assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
                                assert_int_equal(out.len, 0);
                        } else
                                assert_int_equal(out.cc, IPMI_CC_OK);
                }
}

static void test_device_sdr_info(void **state) {
        struct manager *m = *state;
        size_t caps[] = { IPMB_CAP, LOCAL_CAP };

        for (size_t i = 0; i < 2; i++) {
                /* No request byte, or bit 0 clear: sensors in LUN 0 (none yet), static. */
                struct ipmi_msg_out out = RUN0(m, SE, IPMI_CMD_GET_DEVICE_SDR_INFO, caps[i]);
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2);
                assert_memory_equal(out.data, ((uint8_t[]) { 0, 0x00 }), 2);
                out = RUN(m, SE, IPMI_CMD_GET_DEVICE_SDR_INFO, caps[i], 0x00);
                assert_memory_equal(out.data, ((uint8_t[]) { 0, 0x00 }), 2);
                /* Bit 0 set: all SDRs. */
                out = RUN(m, SE, IPMI_CMD_GET_DEVICE_SDR_INFO, caps[i], 0x01);
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2);
                assert_memory_equal(out.data, ((uint8_t[]) { 3, 0x00 }), 2);
        }
}

static void test_sdr_repository_info(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out = RUN0(m, ST, IPMI_CMD_GET_SDR_REPOSITORY_INFO, IPMB_CAP);
        uint32_t t = sdr_repository_add_time(m->sdr);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 14);
        assert_memory_equal(out.data, ((uint8_t[]) {
                0x51, 3, 0, 0, 0, (uint8_t) t, (uint8_t) (t >> 8), (uint8_t) (t >> 16),
                (uint8_t) (t >> 24), 0, 0, 0, 0, 0x02 }), 14);
}

/* Walk the repository like OpenBMC: header, then 16-byte chunks at any offset, following the
 * next record IDs from 0 to 0xFFFF. The bytes must be the repository's. */
static void walk(struct manager *m, uint8_t netfn, size_t cap, uint8_t chunk) {
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint8_t got[512];
        size_t pos = 0;
        uint16_t id = 0, expected_next[] = { 2, 3, 0xFFFF };
        unsigned records = 0;
        uint16_t res = reserve(m, netfn);

        while (id != 0xFFFF) {
                struct ipmi_msg_out out = get_sdr(m, netfn, cap, 0, id, 0, 5);
                uint16_t next;
                size_t total;

                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2 + 5);
                next = (uint16_t) (out.data[0] | out.data[1] << 8);
                assert_int_equal(next, expected_next[records]);
                memcpy(got + pos, out.data + 2, 5);
                total = 5 + out.data[2 + 4];
                /* Reads by the record's own ID from here, as ipmitool does. */
                id = (uint16_t) (out.data[2] | out.data[3] << 8);
                for (size_t off = 5; off < total; off += chunk) {
                        uint8_t n = (uint8_t) (total - off < chunk ? total - off : chunk);

                        out = get_sdr(m, netfn, cap, res, id, (uint8_t) off, n);
                        assert_int_equal(out.cc, IPMI_CC_OK);
                        assert_int_equal(out.len, 2 + (size_t) n);
                        assert_int_equal(out.data[0] | out.data[1] << 8, next);
                        memcpy(got + pos + off, out.data + 2, n);
                }
                pos += total;
                records++;
                id = next;
        }
        assert_int_equal(records, 3);
        assert_int_equal(pos, repo.len);
        assert_memory_equal(got, repo.buf, repo.len);
}

static void test_partial_reads(void **state) {
        struct manager *m = *state;

        for (int i = 0; i < 2; i++) {
                uint8_t netfn = i ? ST : SE;

                walk(m, netfn, IPMB_CAP, 16);
                walk(m, netfn, LOCAL_CAP, 16);
                walk(m, netfn, IPMB_CAP, 22);   /* the most that fits beside the next ID */
                walk(m, netfn, IPMB_CAP, 1);
                walk(m, netfn, LOCAL_CAP, 0xFE);
        }
}

/* 16-byte reads at any offset, not only after the header. */
static void test_reads_at_any_offset(void **state) {
        struct manager *m = *state;
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint16_t res = reserve(m, ST);

        for (uint8_t off = 0; off < 22; off++) {
                struct ipmi_msg_out out = get_sdr(m, ST, IPMB_CAP, res, 1, off, 16);
                size_t n = 22 - off < 16 ? 22 - off : 16;

                /* Always the 16 bytes asked for (OpenBMC's IpmbSDRSensor drops fewer): the
                 * record's, then zeros. */
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2 + 16);
                assert_memory_equal(out.data + 2, repo.buf + off, n);
                for (size_t i = n; i < 16; i++)
                        assert_int_equal(out.data[2 + i], 0);
        }
}

static void test_reservation_checks(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        uint16_t old, cur;

        /* Nothing reserved yet: offset 0 reads need none, others do. */
        out = get_sdr(m, SE, IPMB_CAP, 0, 0, 0, 5);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = get_sdr(m, SE, IPMB_CAP, 0, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);
        assert_int_equal(out.len, 0);
        out = get_sdr(m, SE, IPMB_CAP, 1, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);

        old = reserve(m, SE);
        cur = reserve(m, ST);
        out = get_sdr(m, SE, IPMB_CAP, old, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);
        out = get_sdr(m, ST, IPMB_CAP, old, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);
        /* At offset 0 the reservation is not looked at, stale or not. */
        out = get_sdr(m, SE, IPMB_CAP, old, 1, 0, 4);
        assert_int_equal(out.cc, IPMI_CC_OK);
        out = get_sdr(m, SE, IPMB_CAP, cur, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_OK);

        /* A change of the records cancels it; so does a Warm Reset. */
        sdr_repository_changed(m->sdr);
        out = get_sdr(m, SE, IPMB_CAP, cur, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);
        cur = reserve(m, SE);
        m->pending_reset = MANAGER_RESET_WARM;
        assert_int_equal(manager_apply_reset(m), 0);
        out = get_sdr(m, SE, IPMB_CAP, cur, 1, 5, 4);
        assert_int_equal(out.cc, IPMI_CC_RESERVATION_INVALID);
}

static void test_error_codes(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;
        uint16_t res = reserve(m, SE);

        for (int i = 0; i < 2; i++) {
                uint8_t netfn = i ? ST : SE;

                /* Whole record 2 (22 bytes) fits 24 - 2; 0xFF = "the rest". */
                out = get_sdr(m, netfn, IPMB_CAP, 0, 2, 0, 0xFF);
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2 + 22);
                out = get_sdr(m, netfn, IPMB_CAP, 0, 2, 0, 22);
                assert_int_equal(out.cc, IPMI_CC_OK);
                /* A count past the record's end is answered in full, zeros after it. */
                out = get_sdr(m, netfn, IPMB_CAP, res, 3, 16, 10);
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 2 + 10);
                assert_int_equal(out.data[0] | out.data[1] << 8, 0xFFFF);
                for (size_t b = 5; b < 10; b++)
                        assert_int_equal(out.data[2 + b], 0);

                /* 0xCA: more than fits one IPMB response, padding included. */
                out = get_sdr(m, netfn, IPMB_CAP, 0, 2, 0, 23 + 0);
                assert_int_equal(out.cc, IPMI_CC_CANT_RETURN_REQ_BYTES);
                {
                        struct manager *big = new_manager("[fru.0]\nboard-product-name = Sixteen Bytes Id\n");

                        out = get_sdr(big, netfn, IPMB_CAP, 0, 2, 0, 0xFF);    /* 32 bytes */
                        assert_int_equal(out.cc, IPMI_CC_CANT_RETURN_REQ_BYTES);
                        assert_int_equal(out.len, 0);
                        out = get_sdr(big, netfn, IPMB_CAP, 0, 2, 0, 23);
                        assert_int_equal(out.cc, IPMI_CC_CANT_RETURN_REQ_BYTES);
                        out = get_sdr(big, netfn, IPMB_CAP, 0, 2, 0, 22);
                        assert_int_equal(out.cc, IPMI_CC_OK);
                        out = get_sdr(big, netfn, LOCAL_CAP, 0, 2, 0, 0xFF);
                        assert_int_equal(out.cc, IPMI_CC_OK);
                        assert_int_equal(out.len, 2 + 32);
                        manager_free(big);
                }

                /* 0xCB: no such record; 0xFFFF is never one. */
                out = get_sdr(m, netfn, IPMB_CAP, 0, 4, 0, 5);
                assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
                out = get_sdr(m, netfn, IPMB_CAP, 0, 0xFFFF, 0, 5);
                assert_int_equal(out.cc, IPMI_CC_NOT_PRESENT);
                assert_int_equal(out.len, 0);

                /* 0xC9: offset at or past the record's end. */
                out = get_sdr(m, netfn, IPMB_CAP, res, 3, 21, 1);
                assert_int_equal(out.cc, IPMI_CC_PARAM_OUT_OF_RANGE);
                out = get_sdr(m, netfn, IPMB_CAP, res, 3, 20, 1);
                assert_int_equal(out.cc, IPMI_CC_OK);
        }
}

static void test_device_id_bits(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out = RUN0(m, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, IPMB_CAP);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.data[1] & 0x80, 0x80);     /* provides device SDRs */
        /* Sensor device, no SDR repository device: ipmitool then uses Get Device SDR. */
        assert_int_equal(out.data[5], IPMI_DEVSUP_SENSOR | IPMI_DEVSUP_FRU_INVENTORY);
        /* The MC locator carries the same byte. */
        assert_int_equal(sdr_repository_records(m->sdr).buf[8], out.data[5]);
}

static void test_nbd_export(void **state) {
        struct manager *m = *state;
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        uint8_t data[512];

        assert_null(sdr_export_ops.write);
        assert_int_equal(sdr_export_ops.size(m->sdr), 512);
        memset(data, 0xAA, sizeof(data));
        assert_int_equal(sdr_export_ops.read(m->sdr, 0, data, sizeof(data)), 0);
        assert_memory_equal(data, repo.buf, repo.len);
        for (size_t i = repo.len; i < sizeof(data); i++)
                assert_int_equal(data[i], 0);
        /* A read inside the padding only. */
        memset(data, 0xAA, sizeof(data));
        assert_int_equal(sdr_export_ops.read(m->sdr, 500, data, 12), 0);
        for (size_t i = 0; i < 12; i++)
                assert_int_equal(data[i], 0);
        assert_int_equal(sdr_export_ops.read(m->sdr, 60, data, 4), 0);
        assert_memory_equal(data, repo.buf + 60, 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_records_from_config, setup, teardown),
                cmocka_unit_test(test_records_without_fru),
                cmocka_unit_test(test_long_names_are_cut),
                cmocka_unit_test_setup_teardown(test_reservation_ids, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lengths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_sdr_info, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sdr_repository_info, setup, teardown),
                cmocka_unit_test_setup_teardown(test_partial_reads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reads_at_any_offset, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reservation_checks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_codes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_id_bits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nbd_export, setup, teardown),
        };

        log_set_max_level(LOG_WARNING);
        return cmocka_run_group_tests_name("sdr-repo", tests, NULL, NULL);
}
