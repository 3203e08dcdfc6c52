/* SPDX-License-Identifier: MIT */
/* The dispatcher's contract: 0xC1 / 0xC2 / 0xC7 before any handler runs, one errno→cc map,
 * and the App handlers' bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/ipmi.h"

static struct satmc_config *test_config(void) {
        struct satmc_config *c = config_new();
        assert_non_null(c);
        c->address = 0x72;
        c->max_msg_len = 32;
        c->event_receiver = 0x20;
        c->event_queue_length = 64;
        c->identity = (struct satmc_identity) {
                .device_id = 0x23,
                .device_revision = 0x1,
                .fw_major = 1,
                .fw_minor = 42,
                .ipmi_version = 0x02,
                .manufacturer_id = 0x007ED9,  /* IANA 32473, for documentation */
                .product_id = 0x1291,
                .guid = { 0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
                          0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00 },
                .device_support = IPMI_DEVSUP_FRU_INVENTORY,
        };
        return c;
}

static int setup(void **state) {
        struct manager *m = NULL;
        assert_int_equal(manager_new(test_config(), &m), 0);
        *state = m;
        return 0;
}

static int teardown(void **state) {
        manager_free(*state);
        return 0;
}

static uint8_t buf[IPMI_MAX_DATA_LEN];

static struct ipmi_msg_out run(struct manager *m, uint8_t netfn, uint8_t cmd, uint8_t lun,
                               const uint8_t *data, size_t len, size_t cap) {
        struct ipmi_msg_in in = { .netfn = netfn, .cmd = cmd, .lun = lun, .data = data, .len = len };
        struct ipmi_msg_out out = { .data = buf, .cap = cap, .cc = 0x42, .len = 99 };

        memset(buf, 0xAA, sizeof(buf));
        dispatch_request(m, &in, &out);
        return out;
}

static void test_unknown_command(void **state) {
        struct manager *m = *state;
        static const struct { uint8_t netfn, cmd; } unknown[] = {
                { IPMI_NETFN_APP, 0x55 },
                { IPMI_NETFN_APP, 0xFF },
                { IPMI_NETFN_CHASSIS, 0x01 },
                { IPMI_NETFN_OEM_GROUP, 0x01 },
                { IPMI_NETFN_APP | 1, IPMI_CMD_GET_DEVICE_ID },   /* a response netFn */
        };
        for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
                struct ipmi_msg_out out = run(m, unknown[i].netfn, unknown[i].cmd, 0, NULL, 0, 24);
                assert_int_equal(out.cc, IPMI_CC_INVALID_COMMAND);
                assert_int_equal(out.len, 0);
        }
        assert_int_equal(m->counters.v[COUNTER_CC_INVALID_COMMAND], 5);
}

/*
 * Both ways a (netFn, cmd) can be missing from the two-level index answer 0xC1 with no data:
 * a netFn with no command at all (row 0, the empty one) and an unknown cmd of a netFn that has
 * commands (a zero in its row). First by name, each cmd one that some other netFn does have;
 * then every (netFn, cmd) the lookup does not know, and the counter says no handler ran for
 * any of them (a handler may answer 0xC1 too, but is never reached).
 */
static void test_invalid_command_by_netfn(void **state) {
        struct manager *m = *state;
        static const struct { uint8_t netfn, cmd; } named[] = {
                { IPMI_NETFN_CHASSIS, IPMI_CMD_GET_DEVICE_ID },        /* unused netFns */
                { IPMI_NETFN_BRIDGE, 0x00 },
                { IPMI_NETFN_TRANSPORT, 0x01 },
                { 0x3E, 0x01 },                                         /* the last request netFn */
                { IPMI_NETFN_APP, 0x00 },                               /* used netFns */
                { IPMI_NETFN_SENSOR_EVENT, 0x02 },
                { IPMI_NETFN_STORAGE, 0x01 },
                { IPMI_NETFN_GROUP_EXT, 0xFF },
        };
        unsigned unknown = 0, netfns_with = 0, netfns_without = 0;

        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
                struct ipmi_msg_out out = run(m, named[i].netfn, named[i].cmd, 0, NULL, 0, 24);

                assert_null(dispatch_lookup(named[i].netfn, named[i].cmd));
                assert_int_equal(out.cc, IPMI_CC_INVALID_COMMAND);
                assert_int_equal(out.len, 0);
                unknown++;
        }

        for (unsigned netfn = 0; netfn < 256; netfn++) {
                unsigned known = 0;

                for (unsigned cmd = 0; cmd < 256; cmd++) {
                        struct ipmi_msg_out out;

                        if (dispatch_lookup((uint8_t) netfn, (uint8_t) cmd)) {
                                known++;
                                continue;
                        }
                        out = run(m, (uint8_t) netfn, (uint8_t) cmd, 0, NULL, 0, 24);
                        assert_int_equal(out.cc, IPMI_CC_INVALID_COMMAND);
                        assert_int_equal(out.len, 0);
                        unknown++;
                }
                if (known > 0)
                        netfns_with++;
                else if (netfn < 0x40 && !(netfn & 1))
                        netfns_without++;
        }
        /* Sensor/Event, App, Storage, PICMG at least; the other request netFns have none. */
        assert_true(netfns_with >= 4);
        assert_int_equal(netfns_with + netfns_without, 32);
        assert_int_equal(m->counters.v[COUNTER_CC_INVALID_COMMAND], unknown);
}

static void test_wrong_length_for_every_command(void **state) {
        struct manager *m = *state;
        static const uint8_t zeros[IPMI_MAX_DATA_LEN + 1];
        const uint8_t netfns[] = { IPMI_NETFN_APP, IPMI_NETFN_SENSOR_EVENT, IPMI_NETFN_STORAGE };
        unsigned expected = 0;

        for (size_t f = 0; f < sizeof(netfns); f++)
                for (unsigned cmd = 0; cmd < 256; cmd++) {
                        const struct ipmi_command *c = dispatch_lookup(netfns[f], (uint8_t) cmd);
                        if (!c)
                                continue;
                        if (c->min_len > 0) {
                                struct ipmi_msg_out out = run(m, c->netfn, c->cmd, 0, zeros,
                                                              c->min_len - 1u, 24);
                                assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
                                assert_int_equal(out.len, 0);
                                expected++;
                        }
                        struct ipmi_msg_out out = run(m, c->netfn, c->cmd, 0, zeros,
                                                      c->max_len + 1u, 24);
                        assert_int_equal(out.cc, IPMI_CC_REQ_DATA_LEN_INVALID);
                        assert_int_equal(out.len, 0);
                        expected++;
                }
        assert_true(expected >= 6);
        assert_int_equal(m->counters.v[COUNTER_CC_INVALID_LENGTH], expected);
        /* The length check ran first: Cold Reset was never executed. */
        assert_int_equal(m->pending_reset, MANAGER_RESET_NONE);
}

static void test_nonzero_lun(void **state) {
        struct manager *m = *state;
        for (uint8_t lun = 1; lun < 4; lun++) {
                struct ipmi_msg_out out = run(m, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, lun, NULL, 0, 24);
                assert_int_equal(out.cc, IPMI_CC_INVALID_FOR_LUN);
                assert_int_equal(out.len, 0);
        }
}

static void test_get_device_id_bytes(void **state) {
        struct manager *m = *state;
        /* Revision bit 7 and device support bit 0: the MC Device Locator is always there. */
        static const uint8_t expected[] = {
                0x23, 0x81, 0x01, 0x42, 0x02, 0x09, 0xD9, 0x7E, 0x00, 0x91, 0x12,
        };
        struct ipmi_msg_out out = run(m, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 0, NULL, 0, 24);

        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, sizeof(expected));
        assert_memory_equal(out.data, expected, sizeof(expected));
}

static void test_get_device_id_aux_and_small_buffer(void **state) {
        struct manager *m = *state;
        struct satmc_identity *id = &m->config->identity;

        id->has_aux_fw_rev = true;
        memcpy(id->aux_fw_rev, (uint8_t[]) { 1, 2, 3, 4 }, 4);
        id->fw_major = 0xFF;     /* bit 7 (update in progress) must never leak out */
        manager_refresh_device_id(m);   /* as a reload does: the answer is built there */
        struct ipmi_msg_out out = run(m, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 0, NULL, 0, 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 15);
        assert_int_equal(out.data[2], 0x7F);
        assert_memory_equal(out.data + 11, ((uint8_t[]) { 1, 2, 3, 4 }), 4);

        out = run(m, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 0, NULL, 0, 14);
        assert_int_equal(out.cc, IPMI_CC_CANT_RETURN_REQ_BYTES);
        assert_int_equal(out.len, 0);
}

static void test_self_test_and_guids(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        out = run(m, IPMI_NETFN_APP, IPMI_CMD_GET_SELF_TEST_RESULTS, 0, NULL, 0, 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 2);
        assert_memory_equal(out.data, ((uint8_t[]) { 0x55, 0x00 }), 2);

        const uint8_t cmds[] = { IPMI_CMD_GET_DEVICE_GUID, IPMI_CMD_GET_SYSTEM_GUID };
        for (size_t i = 0; i < sizeof(cmds); i++) {
                out = run(m, IPMI_NETFN_APP, cmds[i], 0, NULL, 0, 24);
                assert_int_equal(out.cc, IPMI_CC_OK);
                assert_int_equal(out.len, 16);
                assert_memory_equal(out.data, m->config->identity.guid, 16);
        }
}

static void test_resets_are_deferred(void **state) {
        struct manager *m = *state;
        struct ipmi_msg_out out;

        out = run(m, IPMI_NETFN_APP, IPMI_CMD_WARM_RESET, 0, NULL, 0, 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(m->pending_reset, MANAGER_RESET_WARM);
        out = run(m, IPMI_NETFN_APP, IPMI_CMD_COLD_RESET, 0, NULL, 0, 24);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(m->pending_reset, MANAGER_RESET_COLD);
        /* A later Warm Reset does not downgrade a pending Cold Reset. */
        out = run(m, IPMI_NETFN_APP, IPMI_CMD_WARM_RESET, 0, NULL, 0, 24);
        assert_int_equal(m->pending_reset, MANAGER_RESET_COLD);

        /* Without argv, Cold Reset cannot re-execute and says so. */
        assert_int_equal(manager_apply_reset(m), -EOPNOTSUPP);
        assert_int_equal(m->pending_reset, MANAGER_RESET_NONE);
}

static void test_cc_from_errno(void **state) {
        static const struct { int r; uint8_t cc; } table[] = {
                { 0, IPMI_CC_OK },
                { -EBUSY, IPMI_CC_NODE_BUSY },
                { -EMSGSIZE, IPMI_CC_CANT_RETURN_REQ_BYTES },
                { -ERANGE, IPMI_CC_PARAM_OUT_OF_RANGE },
                { -ENOENT, IPMI_CC_NOT_PRESENT },
                { -EINVAL, IPMI_CC_INVALID_DATA_FIELD },
                { -EROFS, IPMI_CC_FRU_WRITE_PROTECTED },
                { -ESTALE, IPMI_CC_RESERVATION_INVALID },
                { -ETIMEDOUT, IPMI_CC_TIMEOUT },
                { -EIO, IPMI_CC_UNSPECIFIED },
                { -12345, IPMI_CC_UNSPECIFIED },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                assert_int_equal(ipmi_cc_from_errno(table[i].r), table[i].cc);
}

static void test_table_is_sane(void **state) {
        /* Every entry is a request netFn, has a name and a handler, and is found by lookup. */
        for (unsigned netfn = 0; netfn < 0x40; netfn += 2)
                for (unsigned cmd = 0; cmd < 256; cmd++) {
                        const struct ipmi_command *c = dispatch_lookup((uint8_t) netfn, (uint8_t) cmd);
                        if (!c)
                                continue;
                        assert_int_equal(c->netfn, netfn);
                        assert_int_equal(c->cmd, cmd);
                        assert_non_null(c->name);
                        assert_non_null(c->handler);
                        assert_true(c->min_len <= c->max_len);
                }
        for (unsigned cmd = 0; cmd < 256; cmd++)
                for (unsigned netfn = 1; netfn < 0x40; netfn += 2)
                        assert_null(dispatch_lookup((uint8_t) netfn, (uint8_t) cmd));
}

/*
 * Every command of every group table is found as that very entry, everything else (odd and
 * out-of-range netFns included) is NULL, and each lookup looks at no more than one entry: the
 * linear scan it replaces looked at up to every entry of every table.
 */
static void test_lookup_is_one_indexed_step(void **state) {
        static const struct { const struct ipmi_command *t; const size_t *n; } groups[] = {
                { app_commands, &app_commands_count },
                { storage_commands, &storage_commands_count },
                { i2c_commands, &i2c_commands_count },
                { sdr_commands, &sdr_commands_count },
                { event_commands, &event_commands_count },
                { sensor_commands, &sensor_commands_count },
                { picmg_commands, &picmg_commands_count },
                { picmg_led_commands, &picmg_led_commands_count },
                { picmg_power_commands, &picmg_power_commands_count },
                { picmg_ekeying_commands, &picmg_ekeying_commands_count },
                { picmg_ipmb_commands, &picmg_ipmb_commands_count },
                { picmg_fan_commands, &picmg_fan_commands_count },
                { hpm_commands, &hpm_commands_count },
        };
        unsigned found = 0, total = 0;

        for (unsigned netfn = 0; netfn < 256; netfn++)
                for (unsigned cmd = 0; cmd < 256; cmd++) {
                        const struct ipmi_command *want = NULL, *got;
                        unsigned long before = dispatch_entries_examined;

                        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && !want; g++)
                                for (size_t i = 0; i < *groups[g].n && !want; i++)
                                        if (groups[g].t[i].netfn == netfn && groups[g].t[i].cmd == cmd)
                                                want = &groups[g].t[i];
                        got = dispatch_lookup((uint8_t) netfn, (uint8_t) cmd);
                        assert_ptr_equal(got, want);
                        assert_true(dispatch_entries_examined - before <= 1);
                        found += got != NULL;
                }
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
                total += (unsigned) *groups[g].n;
        assert_int_equal(found, total);         /* no two entries share (netFn, cmd) */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup_is_one_indexed_step),
                cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_command_by_netfn, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_length_for_every_command, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nonzero_lun, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_device_id_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_get_device_id_aux_and_small_buffer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_self_test_and_guids, setup, teardown),
                cmocka_unit_test_setup_teardown(test_resets_are_deferred, setup, teardown),
                cmocka_unit_test(test_cc_from_errno),
                cmocka_unit_test(test_table_is_sane),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
