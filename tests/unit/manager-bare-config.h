/* SPDX-License-Identifier: MIT */
/*
 * The configuration the manager tests that bypass the file parser start from: satmcd at 0x72 on
 * a character-device IPMB, the BMC's event receiver at 0x20; and a manager started on it with
 * its IPMB on a socketpair, whose other end plays ipmb-dev-int. Include after <cmocka.h>.
 */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "temp-dir.h"

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"

static inline struct satmc_config *bare_config_new(void) {
        struct satmc_config *c = config_new();

        assert_non_null(c);
        log_set_max_level(LOG_ERR);
        c->address = 0x72;
        c->max_msg_len = 32;
        c->event_receiver = 0x20;
        c->event_queue_length = 16;
        c->duplicate_window_ms = 5000;
        c->transport = TRANSPORT_KIND_CHARDEV;
        return c;
}

/* manager_start() on c (taken) with its IPMB on a socketpair; *ret_bus is the kernel's end. */
static inline struct manager *manager_started_on_socketpair(struct satmc_config *c,
                                                            int *ret_bus) {
        struct transport *t = NULL;
        struct manager *m = NULL;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(transport_chardev_from_fd(sv[0], &t), 0);
        assert_int_equal(manager_new(c, &m), 0);
        assert_int_equal(manager_start(m, t), 0);
        *ret_bus = sv[1];
        return m;
}

/* manager_start() on bare_config_new(), its state in dir (a mkdtemp() template, filled in
 * here); *ret_bus is the kernel's end of the bus. Free it with bare_manager_free(). */
static inline struct manager *bare_manager_started(char *dir, int *ret_bus) {
        struct satmc_config *c = bare_config_new();

        assert_non_null(mkdtemp(dir));
        c->state_directory = strdup(dir);
        assert_non_null(c->state_directory);
        return manager_started_on_socketpair(c, ret_bus);
}

static inline void bare_manager_free(struct manager *m, int bus, const char *dir) {
        manager_free(m);
        close(bus);
        remove_temp_dir(dir);
}

/* req as ipmb-dev-int's read() hands it over, [len][frame...], into out; returns its bytes. */
static inline size_t bare_encode_request(const struct ipmb_request *req, uint8_t *out,
                                         size_t cap) {
        int len = ipmb_encode_request(req, out + 1, cap - 1, IPMB_KERNEL_MAX_MSG_LEN);

        assert_true(len > 0);
        out[0] = (uint8_t) len;
        return (size_t) len + 1;
}

/* req onto the bus as ipmb-dev-int's read() hands it over. */
static inline void bare_send_request(int bus, const struct ipmb_request *req) {
        uint8_t frame[IPMB_KERNEL_MAX_MSG_LEN + 1];
        size_t n = bare_encode_request(req, frame, sizeof(frame));

        assert_int_equal(send(bus, frame, n, 0), (ssize_t) n);
}
