/* SPDX-License-Identifier: MIT */
/*
 * [oem.N] on the Manager's IPMB frame path (daemon/manager-oem.c), byte for byte through the
 * chardev transport on a socketpair: a routed request is answered when its program ends, not
 * at once; the requester's retry while it runs is dropped (one run), another request for the
 * busy section is answered 0xC0, the answer goes to the replay cache (a later retry is
 * replayed, not run), and an OEM command not configured keeps its 0xC1. The program waits for
 * a file the test creates, so nothing here depends on how fast it runs.
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
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "temp-dir.h"

struct fixture {
        struct manager *m;
        int kernel;
        char dir[64], go[128], runs[128];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct satmc_config *c = config_new();         /* config_free() unmaps it */
        struct transport *t = NULL;
        char path[160];
        FILE *s;
        int sv[2];

        assert_non_null(f);
        assert_non_null(c);
        log_set_max_level(LOG_ERR);
        strcpy(f->dir, "/tmp/satmc-moem-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->go, sizeof(f->go), "%s/go", f->dir);
        snprintf(f->runs, sizeof(f->runs), "%s/runs", f->dir);
        snprintf(path, sizeof(path), "%s/oem", f->dir);
        s = fopen(path, "w");
        assert_non_null(s);
        /* Count the run, wait for the test's go, answer the request data and 0x77. */
        fprintf(s, "#!/bin/sh\necho run >> %s\nwhile [ ! -e %s ]; do sleep 0.01; done\n"
                "read line; echo \"$line 77\"\n", f->runs, f->go);
        fclose(s);
        assert_int_equal(chmod(path, 0755), 0);

        c->address = 0x72;
        c->max_msg_len = 32;
        c->event_receiver = 0xFF;
        c->event_queue_length = 64;
        c->duplicate_window_ms = 5000;
        c->oem[2] = (struct oem_config) {
                .present = true, .netfn = 0x30, .cmd = 0x42, .iana = -1,
                .exec = strdup(path), .timeout_ms = 60000,
        };
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), 0);
        assert_int_equal(manager_new(c, &f->m), 0);
        assert_non_null(f->m->oem);
        f->m->transport = t;
        f->kernel = sv[1];
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        manager_free(f->m);
        close(f->kernel);
        remove_temp_dir(f->dir);
        free(f);
        return 0;
}

static size_t request(uint8_t *buf, uint8_t netfn, uint8_t cmd, uint8_t seq,
                      const uint8_t *data, size_t len) {
        struct ipmb_request req = {
                .rs_sa = 0x72, .netfn = netfn, .rq_sa = 0x20, .seq = seq, .cmd = cmd,
                .data = data, .data_len = len,
        };
        int r = ipmb_encode_request(&req, buf, IPMB_KERNEL_MAX_MSG_LEN, IPMB_KERNEL_MAX_MSG_LEN);

        assert_true(r > 0);
        return (size_t) r;
}

/* What satmcd wrote to the "driver", without the length byte; 0 if nothing. */
static size_t written(struct fixture *f, uint8_t *buf) {
        uint8_t raw[256];
        ssize_t n = recv(f->kernel, raw, sizeof(raw), MSG_DONTWAIT);

        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return 0;
        }
        memcpy(buf, raw + 1, (size_t) n - 1);
        return (size_t) n - 1;
}

/* Run the loop until satmcd writes a frame (the program's answer). The bound only keeps a
 * broken test from hanging; the program answers as soon as go exists. */
static size_t wait_written(struct fixture *f, uint8_t *buf) {
        size_t n = 0;

        for (int i = 0; i < 10000 && (n = written(f, buf)) == 0; i++)
                assert_true(sd_event_run(f->m->event, 1000) >= 0);
        return n;
}

static unsigned runs(const struct fixture *f) {
        FILE *s = fopen(f->runs, "r");
        unsigned n = 0;
        int c;

        if (!s)
                return 0;
        while ((c = fgetc(s)) != EOF)
                n += c == '\n';
        fclose(s);
        return n;
}

static void test_deferred_answer_and_retries(void **state) {
        struct fixture *f = *state;
        static const uint8_t data[] = { 0x01, 0x02 };
        uint8_t req[64], other[64], rsp[256], again[256];
        size_t n = request(req, 0x30, 0x42, 7, data, sizeof(data));
        size_t n2 = request(other, 0x30, 0x42, 8, data, sizeof(data));
        size_t len;
        FILE *go;

        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 0);           /* not at once */
        for (int i = 0; i < 10000 && runs(f) == 0; i++)
                assert_true(sd_event_run(f->m->event, 1000) >= 0);
        assert_int_equal(runs(f), 1);

        /* The requester's retry: dropped, counted as replayed, no second run. */
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 0);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_REPLAYED], 1);

        /* Another request for the busy section: 0xC0 at once. */
        manager_handle_frame(f->m, other, n2);
        len = written(f, rsp);
        assert_int_equal(len, 8);
        assert_int_equal(rsp[4] >> 2, 8);               /* its seq */
        assert_int_equal(rsp[6], IPMI_CC_NODE_BUSY);

        go = fopen(f->go, "w");
        assert_non_null(go);
        fclose(go);
        len = wait_written(f, rsp);
        assert_int_equal(len, 11);
        assert_int_equal(rsp[0], 0x20);
        assert_int_equal(rsp[1], (0x31 << 2));          /* response netFn, LUN 0 */
        assert_int_equal(rsp[4] >> 2, 7);
        assert_int_equal(rsp[5], 0x42);
        assert_int_equal(rsp[6], IPMI_CC_OK);
        assert_memory_equal(rsp + 7, "\x01\x02\x77", 3);
        assert_int_equal(runs(f), 1);

        /* A retry after the answer: the same bytes from the replay cache, no run. */
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, again), len);
        assert_memory_equal(again, rsp, len);
        assert_int_equal(f->m->counters.v[COUNTER_RESPONSES_REPLAYED], 2);
        assert_int_equal(runs(f), 1);
}

static void test_not_configured(void **state) {
        struct fixture *f = *state;
        uint8_t req[64], rsp[256];
        size_t n;

        /* Another cmd, another LUN of the same netFn: 0xC1 at once, no run. */
        n = request(req, 0x30, 0x43, 1, NULL, 0);
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 8);
        assert_int_equal(rsp[6], IPMI_CC_INVALID_COMMAND);
        n = request(req, 0x3E, 0x42, 2, NULL, 0);
        manager_handle_frame(f->m, req, n);
        assert_int_equal(written(f, rsp), 8);
        assert_int_equal(rsp[6], IPMI_CC_INVALID_COMMAND);
        assert_int_equal(runs(f), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_deferred_answer_and_retries, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_configured, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
