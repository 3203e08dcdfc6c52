/* SPDX-License-Identifier: MIT */
/*
 * A Manager on a test configuration in a temporary state directory, and a command run through
 * the dispatcher as the transport would: the fixture the handler tests share
 * (test-handlers-sensor, test-handlers-storage, test-sensor-discrete, test-sensor-sdr).
 * Include after <cmocka.h>.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temp-dir.h"
#include "test-config-text.h"

#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/ipmi.h"

#define RIG_DIR_MAX 64

/* The response data of the last rig_run(): 0xAA where the handler wrote nothing. */
static uint8_t rig_buf[IPMI_MAX_DATA_LEN];

/* A new temporary directory /tmp/PREFIX-XXXXXX in dir. */
static inline void rig_make_dir(char dir[static RIG_DIR_MAX], const char *prefix) {
        snprintf(dir, RIG_DIR_MAX, "/tmp/%s-XXXXXX", prefix);
        assert_non_null(mkdtemp(dir));
}

/* A Manager on the test configuration with its state in dir and these sections added. */
static inline struct manager *rig_manager_new(const char *dir, const char *sections) {
        struct satmc_config *c = test_config_load(dir, sections);
        struct manager *m = NULL;

        assert_int_equal(manager_new(c, &m), 0);
        return m;
}

static inline void rig_free(struct manager *m, const char *dir) {
        manager_free(m);
        remove_temp_dir(dir);
}

/* One request through dispatch_request(), answered into rig_buf with room for cap bytes; cc
 * and len start as 0x42 and 99, so a handler that sets neither is seen. */
static inline struct ipmi_msg_out rig_run(struct manager *m, uint8_t netfn, uint8_t lun,
                                          uint8_t cmd, const uint8_t *data, size_t len,
                                          size_t cap) {
        struct ipmi_msg_in in = { .netfn = netfn, .cmd = cmd, .lun = lun, .data = data,
                                  .len = len };
        struct ipmi_msg_out out = { .data = rig_buf, .cap = cap, .cc = 0x42, .len = 99 };

        memset(rig_buf, 0xAA, sizeof(rig_buf));
        dispatch_request(m, &in, &out);
        return out;
}
