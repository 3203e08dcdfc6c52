/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher and every handler behind it, fed from the wire: the input is an IPMB frame
 * handed to manager_handle_frame() exactly as the transport would. A fake transport checks
 * every response satmcd sends: it must decode as a well-formed response to our requester.
 * Byte 0 of the input picks the frame limit (32 or 128) so both paths are explored.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check_transport {
        Transport t;
        size_t max_msg_len;
};

static int check_send(Transport *t, const uint8_t *frame, size_t len) {
        struct check_transport *c = (struct check_transport *) t;
        struct ipmb_response rsp;

        if (len < 1 || ipmb_decode_response(frame, len, frame[0], c->max_msg_len, &rsp) != IPMB_OK)
                abort();
        if (rsp.data_len > 0 && rsp.cc != 0)
                abort();        /* error responses carry no data */
        return 0;
}

static int check_recv(Transport *t, uint8_t *buf, size_t size) { return -EAGAIN; }
static int check_fd(Transport *t) { return -EBADF; }
static void check_free(Transport *t) { }

static const struct transport_ops check_ops = {
        .name = "fuzz",
        .recv = check_recv,
        .send = check_send,
        .fd = check_fd,
        .free = check_free,
};

static Manager *fuzz_manager(size_t max_msg_len, struct check_transport *t) {
        struct satmc_config *c = calloc(1, sizeof(*c));
        Manager *m = NULL;

        if (!c)
                abort();
        c->address = 0x72;
        c->max_msg_len = (uint32_t) max_msg_len;
        c->event_receiver = 0x20;
        c->event_queue_length = 64;
        c->duplicate_window_ms = 5000;
        c->identity.manufacturer_id = 0xA015;
        c->identity.has_aux_fw_rev = true;
        if (manager_new(c, &m) < 0)
                abort();
        t->t.ops = &check_ops;
        t->max_msg_len = max_msg_len;
        m->transport = &t->t;
        return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct check_transport t32, t128;
        static Manager *m32, *m128;

        if (!m32) {
                log_set_max_level(LOG_ERR);
                m32 = fuzz_manager(32, &t32);
                m128 = fuzz_manager(128, &t128);
        }
        if (size < 1)
                return 0;

        manager_handle_frame(data[0] & 1 ? m128 : m32, data + 1, size - 1);
        return 0;
}
