/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher and every handler behind it, fed from the wire: the input is an IPMB frame
 * handed to manager_handle_frame() exactly as the transport would. A fake transport checks
 * every frame satmcd sends: a well-formed response to our requester, or a well-formed Platform
 * Event Message request to the event receiver.
 * Byte 0 of the input picks the frame limit (bit 0: 32 or 128) so both paths are explored, and
 * with bit 2 the AMC MMC instead of the ATCA IPMC (32-byte frames); with bit 1 set, byte 1 is
 * first given to sensor 1 as a new raw reading (crossing thresholds, so that the sensor event
 * commands and the event sender have state to work on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/log.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check_transport {
        struct transport t;
        size_t max_msg_len;
};

static int check_send(struct transport *t, const uint8_t *frame, size_t len) {
        struct check_transport *c = (struct check_transport *) t;
        struct ipmb_response rsp;

        struct ipmb_request req;

        if (len < 1)
                abort();
        if (ipmb_decode_request(frame, len, frame[0], c->max_msg_len, &req) == IPMB_OK) {
                /* satmcd's only requests: events, 5..7 bytes, EvMRev 0x04. */
                if (req.netfn != 0x04 || req.cmd != 0x02 || req.rq_sa != 0x72 ||
                    req.data_len < 5 || req.data_len > 7 || req.data[0] != 0x04)
                        abort();
                return 0;
        }
        if (ipmb_decode_response(frame, len, frame[0], c->max_msg_len, &rsp) != IPMB_OK)
                abort();
        /* Answers go to IPMB nodes only, never to the general call or a reserved address. */
        if (!ipmb_addr_is_node(rsp.rq_sa) || rsp.rq_sa == rsp.rs_sa)
                abort();
        if (rsp.data_len > 0 && rsp.cc != 0)
                abort();        /* error responses carry no data */
        return 0;
}

static int check_recv(struct transport *t, uint8_t *buf, size_t size) { return -EAGAIN; }
static int check_fd(struct transport *t) { return -EBADF; }
static void check_free(struct transport *t) { }

static const struct transport_ops check_ops = {
        .name = "fuzz",
        .recv = check_recv,
        .send = check_send,
        .fd = check_fd,
        .free = check_free,
};

/* Two sensors, signed and unsigned raw, and a third with the same number on LUN 1 (read-only
 * thresholds, assertion events for UCR only). Then one of two PICMG controllers: an ATCA IPMC
 * (two LEDs, power levels, an ATCA link) or an AMC MMC (an AMC link); each manages FRU 0,
 * which manager_new() builds in memory: the fuzzer starts no manager, so it does no file I/O
 * (the FRU commands have their own target). */
#define CONFIG_HEAD                                                                             \
        "[mc]\naddress = 0x72\nevent-queue-length = 8\n"                                        \
        "[identity]\nfirmware-version = 1.00\nmanufacturer-id = 0x7ED9\nproduct-id = 1\n"       \
        "guid = 01234567-89ab-cdef-0011-223344556677\naux-firmware-revision = 0x00000001\n"     \
        "[sensor.0]\nname = Temp\ntype = temperature\nrange = -40..125\n"                       \
        "lower-critical = -10\nupper-non-critical = 60\nupper-critical = 85\n"                 \
        "upper-non-recoverable = 100\nhysteresis = 2\n"                                         \
        "[sensor.1]\nname = Fan\ntype = fan\nrange = 0..20000\nlower-critical = 1000\n"       \
        "[sensor.2]\nname = Vin\ntype = voltage\nrange = 0..300\nnumber = 1\nlun = 1\n"        \
        "upper-critical = 264\nsettable-thresholds = none\nassertion-events = ucr\n"           \
        "[fru.0]\nboard-product-name = Fuzz\n"

static const char atca_config[] = CONFIG_HEAD
        "[picmg]\nprofile = atca-ipmc\n"
        "[picmg-led.0]\nled = 0\ngpio = blue=leds:0\nlocal-state = blink:900:100\n"
        "[picmg-led.1]\nled = 1\ngpio = red=leds:1 amber=leds:2\n"
        /* PICMG power levels and links whose actions do nothing (no GPIO, no program). */
        "[picmg-power.0]\nlevels = 10 W, 20 W\nearly-levels = 5 W\n"
        "[picmg-link.0]\nchannel = 1\nports = 0 1\nlink-type = ethernet\n"
        "signaling-classes = 0 4\n";

static const char amc_config[] = CONFIG_HEAD
        "[picmg]\nprofile = amc-mmc\n"
        "[picmg-power.0]\nlevels = 10 W\nmodule-current = 2 A\n"
        "[picmg-link.0]\nkind = amc\nchannel = 0\nports = 4 5\nlink-type = pcie\n";

static struct manager *fuzz_manager(const char *text, size_t max_msg_len,
                                    struct check_transport *t) {
        struct satmc_config *c = NULL;
        struct manager *m = NULL;
        FILE *in;

        in = fmemopen((void *) text, strlen(text), "r");
        if (!in || config_load_from_file(in, "fuzz.ini", NULL, &c) < 0)
                abort();
        fclose(in);
        c->max_msg_len = (uint32_t) max_msg_len;
        if (manager_new(c, &m) < 0)
                abort();
        t->t.ops = &check_ops;
        t->max_msg_len = max_msg_len;
        m->transport = &t->t;
        return m;
}

static struct check_transport t32, t128, tamc;
static struct manager *m32, *m128, *mamc;

/* At exit, as satmcd does: the configuration's [sensor.N] slots are a mapping of their own,
 * which LeakSanitizer does not scan, so what only they point to would read as leaked. */
static void free_managers(void) {
        manager_free(m32);
        manager_free(m128);
        manager_free(mamc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!m32) {
                log_set_max_level(LOG_ERR);
                m32 = fuzz_manager(atca_config, 32, &t32);
                m128 = fuzz_manager(atca_config, 128, &t128);
                mamc = fuzz_manager(amc_config, 32, &tamc);
                atexit(free_managers);
        }
        if (size < 1)
                return 0;
        struct manager *m = data[0] & 4 ? mamc : data[0] & 1 ? m128 : m32;
        size_t skip = 1;

        if ((data[0] & 2) && size >= 2) {
                sensor_set_reading(sensor_table_find(m->sensors, 0, 1), true, data[1]);
                skip = 2;
        }
        manager_handle_frame(m, data + skip, size - skip);
        return 0;
}
