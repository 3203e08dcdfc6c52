/* SPDX-License-Identifier: MIT */
/*
 * The configuration the manager tests that bypass the file parser start from: satmcd at 0x72 on
 * a character-device IPMB, the BMC's event receiver at 0x20. Include after <cmocka.h>.
 */
#pragma once

#include <syslog.h>

#include "common/log.h"
#include "daemon/config.h"

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
