/* SPDX-License-Identifier: MIT */
/*
 * The Manager's frame path, byte for byte: decode → replay cache → dispatch → encode → send,
 * driven through the chardev transport on a SOCK_SEQPACKET socketpair whose other end plays
 * the ipmb-dev-int driver ([len][frame...] per message).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "manager-bare-config.h"

#include "common/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

struct fixture {
        struct manager *m;
        int kernel;     /* our end of the socketpair: what the driver would see */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct satmc_config *c = bare_config_new();
        struct transport *t = NULL;
        int sv[2];

        assert_non_null(f);
        c->event_queue_length = 64;
        c->identity = (struct satmc_identity) {
                .device_id = 0x23, .device_revision = 1, .fw_major = 1, .fw_minor = 2,
                .ipmi_version = 0x02, .manufacturer_id = 0x007ED9, .product_id = 0x0001,
        };
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), 0);
        assert_int_equal(manager_new(c, &f->m), 0);
        f->m->transport = t;
        f->kernel = sv[1];
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        manager_free(f->m);
        close(f->kernel);
        free(f);
        return 0;
}

static size_t request_from(uint8_t *buf, uint8_t rq_sa, uint8_t rs_sa, uint8_t netfn, uint8_t cmd,
                           uint8_t seq, const uint8_t *data, size_t len) {
        struct ipmb_request req = {
                .rs_sa = rs_sa, .netfn = netfn, .rq_sa = rq_sa, .seq = seq, .cmd = cmd,
                .data = data, .data_len = len,
        };
        int r = ipmb_encode_request(&req, buf, IPMB_KERNEL_MAX_MSG_LEN, IPMB_KERNEL_MAX_MSG_LEN);
        assert_true(r > 0);
        return (size_t) r;
}

static size_t request(uint8_t *buf, uint8_t rs_sa, uint8_t netfn, uint8_t cmd, uint8_t seq,
                      const uint8_t *data, size_t len) {
        return request_from(buf, 0x20, rs_sa, netfn, cmd, seq, data, len);
}

/* What the daemon wrote to the "driver", without the length byte; 0 if nothing. */
static size_t written(struct fixture *f, uint8_t *buf) {
        uint8_t raw[256];
        ssize_t n = recv(f->kernel, raw, sizeof(raw), MSG_DONTWAIT);
        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return 0;
        }
        assert_true(n >= 2);
        assert_int_equal(raw[0], n - 1);
        memcpy(buf, raw + 1, (size_t) n - 1);
        return (size_t) n - 1;
}

static void test_get_device_id_response_bytes(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp[256];
        /* Response: to 0x20, netFn 0x07 LUN 0, chk1, from 0x72, seq 5, cmd 1, cc 0, data, chk2. */
        static const uint8_t expected[] = {
                0x20, 0x1c, 0xc4, 0x72, 0x14, 0x01, 0x00,
                0x23, 0x81, 0x01, 0x02, 0x02, 0x01, 0xd9, 0x7e, 0x00, 0x01, 0x00, 0x77,
        };
        size_t n = request(req, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 5, NULL, 0);

        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), sizeof(expected));
        assert_memory_equal(rsp, expected, sizeof(expected));
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_SENT], 1);
}

static void test_broadcast(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp[256];
        size_t n = request(req + 1, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 9, NULL, 0);

        req[0] = IPMB_BROADCAST_ADDR;
        manager_handle_frame(f->m, req, n + 1);
        assert_int_equal(written(f, rsp), 19);
        assert_int_equal(rsp[0], 0x20);
        assert_int_equal(rsp[3], 0x72);         /* answered from our own address */

        /* Broadcast of anything else is dropped and counted. */
        n = request(req + 1, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_SELF_TEST_RESULTS, 9, NULL, 0);
        manager_handle_frame(f->m, req, n + 1);
        assert_int_equal(written(f, rsp), 0);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_BROADCAST], 1);

        /* A broadcast probing another address is not for us. */
        n = request(req + 1, 0x74, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 9, NULL, 0);
        manager_handle_frame(f->m, req, n + 1);
        assert_int_equal(written(f, rsp), 0);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_NOT_FOR_US], 1);
}

static void test_rejects_are_counted_and_silent(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp[256];
        size_t n = request(req, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 1, NULL, 0);

        req[2] ^= 1;
        manager_handle_frame(f->m, req, n);
        req[2] ^= 1;
        req[n - 1] ^= 1;
        manager_handle_frame(f->m, req, n);
        req[n - 1] ^= 1;
        manager_handle_frame(f->m, req, 3);
        n = request(req, 0x74, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 1, NULL, 0);
        manager_handle_frame(f->m, req, n);

        assert_int_equal(written(f, rsp), 0);
        assert_int_equal(f->m->counters.v[COUNTER_FRAMES_RECEIVED], 4);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_HEADER_CHECKSUM], 1);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_DATA_CHECKSUM], 1);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_SHORT], 1);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_NOT_FOR_US], 1);
        assert_int_equal(f->m->counters.v[COUNTER_REQUESTS_HANDLED], 0);
}

static void test_retry_is_replayed_not_executed(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp1[256], rsp2[256];
        size_t n, l1, l2;

        /* Handler runs are counted by requests-handled; a replay does not run the handler. */
        n = request(req, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_SELF_TEST_RESULTS, 7, NULL, 0);
        manager_handle_frame(f->m, req, n);
        l1 = written(f, rsp1);
        manager_handle_frame(f->m, req, n);
        l2 = written(f, rsp2);
        assert_int_equal(l1, l2);
        assert_memory_equal(rsp1, rsp2, l1);
        assert_int_equal(f->m->counters.v[COUNTER_REQUESTS_HANDLED], 1);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_REPLAYED], 1);

        /* Same seq, different command: a new request. */
        n = request(req, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_GUID, 7, NULL, 0);
        manager_handle_frame(f->m, req, n);
        assert_true(written(f, rsp2) > 0);
        assert_int_equal(f->m->counters.v[COUNTER_REQUESTS_HANDLED], 2);
}

static void test_error_responses(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp[256];
        static const uint8_t one = 1;
        size_t n;

        n = request(req, 0x72, IPMI_NETFN_APP, 0x55, 2, NULL, 0);
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 8);
        assert_int_equal(rsp[6], IPMI_CC_INVALID_COMMAND);
        assert_int_equal(ipmb_checksum(rsp + 3, 4), rsp[7]);

        n = request(req, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 3, &one, 1);
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 8);
        assert_int_equal(rsp[6], IPMI_CC_REQ_DATA_LEN_INVALID);
}

/*
 * Bug 8: a request from an address that is no IPMB node was executed and answered; an answer
 * to rqSA 0x00 is a general call to every device on the bus. Set Event Receiver is the probe:
 * had it run, Get Event Receiver would tell.
 */
static void test_requester_not_a_node_is_dropped(void **state) {
        struct fixture *f = *state;
        static const uint8_t bad[] = {
                0x00, 0x01, 0x02, 0x0E, 0x0F,   /* general call, I2C reserved 0x00-0x07 */
                0x21, 0x73, 0x99,               /* odd: software IDs, not slave addresses */
                0xF0, 0xF8, 0xFE, 0xFF,         /* I2C reserved 0x78-0x7F */
                0x72,                           /* our own address */
        };
        static const uint8_t set_receiver[] = { 0x42, 0x00 };
        uint8_t req[64], rsp[256], sa, lun;
        size_t n;

        for (size_t i = 0; i < sizeof(bad); i++) {
                n = request_from(req, bad[i], 0x72, IPMI_NETFN_SENSOR_EVENT,
                                 IPMI_CMD_SET_EVENT_RECEIVER, (uint8_t) i, set_receiver,
                                 sizeof(set_receiver));
                manager_handle_frame(f->m, req, n);
                manager_handle_frame(f->m, req, n);     /* a retry is not replayed either */
                assert_int_equal(written(f, rsp), 0);

                /* The broadcast form of Get Device ID, the one broadcast we answer. */
                req[0] = IPMB_BROADCAST_ADDR;
                n = request_from(req + 1, bad[i], 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID,
                                 (uint8_t) i, NULL, 0);
                manager_handle_frame(f->m, req, n + 1);
                assert_int_equal(written(f, rsp), 0);
        }
        event_sender_get_receiver(f->m->events, &sa, &lun);
        assert_int_equal(sa, 0x20);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_REQUESTER], 3 * sizeof(bad));
        assert_int_equal(f->m->counters.v[COUNTER_REQUESTS_HANDLED], 0);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_REPLAYED], 0);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_SENT], 0);

        /* The edges of the node range are answered, and executed. */
        n = request_from(req, 0x10, 0x72, IPMI_NETFN_APP, IPMI_CMD_GET_DEVICE_ID, 1, NULL, 0);
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 19);
        assert_int_equal(rsp[0], 0x10);
        n = request_from(req, 0xEE, 0x72, IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_SET_EVENT_RECEIVER, 2,
                         set_receiver, sizeof(set_receiver));
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 8);
        assert_int_equal(rsp[0], 0xEE);
        assert_int_equal(rsp[6], IPMI_CC_OK);
        event_sender_get_receiver(f->m->events, &sa, &lun);
        assert_int_equal(sa, 0x42);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_REQUESTER], 3 * sizeof(bad));
}

/* The local ipmitool socket's requests carry no rqSA (0): not a requester check's business. */
static void test_local_requests_have_no_requester(void **state) {
        struct fixture *f = *state;
        uint8_t data[IPMI_MAX_DATA_LEN], rsp[256];
        struct ipmi_msg_in in = { .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_DEVICE_ID };
        struct ipmi_msg_out out = { .data = data, .cap = sizeof(data) };

        manager_handle_local(f->m, &in, &out);
        assert_int_equal(out.cc, IPMI_CC_OK);
        assert_int_equal(out.len, 11);         /* no auxiliary firmware revision */
        assert_int_equal(out.data[0], 0x23);
        assert_int_equal(written(f, rsp), 0);   /* answered to the socket, not on the bus */
        assert_int_equal(f->m->counters.v[COUNTER_LOCAL_REQUESTS], 1);
        assert_int_equal(f->m->counters.v[COUNTER_REJECT_REQUESTER], 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_get_device_id_response_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rejects_are_counted_and_silent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry_is_replayed_not_executed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_responses, setup, teardown),
                cmocka_unit_test_setup_teardown(test_requester_not_a_node_is_dropped, setup, teardown),
                cmocka_unit_test_setup_teardown(test_local_requests_have_no_requester, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
