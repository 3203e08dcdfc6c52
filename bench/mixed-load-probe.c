/* SPDX-License-Identifier: MIT */
/*
 * mixed-load-probe: the BMC side of bench/mixed-load-p99.py. On an emulated bus that already
 * carries a running satmcd, it sends Get Device ID and Get Sensor Reading (alternately, the
 * sensor number rotating over 1..--sensors) at a steady rate, one request at a time as a BMC
 * does, and times each round trip with CLOCK_MONOTONIC: from the send to the matching response.
 * It is also the event receiver: it attaches the BMC's address (7-bit 0x10, 8-bit 0x20) and
 * acknowledges every request satmcd sends it (Platform Event Messages) at once, also while it
 * waits for a response, so satmcd's event traffic flows while requests are timed. NAKs are the
 * bus's job (satmc-i2c-bus --fault nak@0x10:p=0.1): the probe sees only what was delivered.
 *
 * Python cannot time microseconds under load without its own interpreter stalls in the figure;
 * this loop does nothing but the bus between two timestamps.
 *
 *   mixed-load-probe --bus SOCK --seconds S [--rate R] [--sensors N] [--raw FILE]
 *
 * Prints one line of key=value pairs (counts and p50/p99/p99.9/max in µs per command and for
 * both together); --raw writes every round trip as "CMD NANOSECONDS" lines (CMD 1 = Get Device
 * ID, 45 = Get Sensor Reading) so that a script can pool rounds before taking percentiles.
 * A request not answered within a second is counted as lost, not timed; a request that could
 * not be sent on time because the previous answer was late is counted as late.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "transport/transport.h"

#define SATMCD_SA 0x72
#define BMC_ADDR7 0x10          /* the event receiver, 8-bit 0x20 */
/* The timed requests come from 0x11..0x18 (8-bit 0x22..0x30), not from the BMC's own address:
 * the bus NAKs writes to 0x10, satmcd's answers to it included, and a lost answer is the bus's
 * doing, not satmcd's latency. Eight requesters x 64 sequence numbers keep replay-cache hits
 * away: every request runs the full path. */
#define REQUESTERS 8
#define ANSWER_TIMEOUT_NS 1000000000ull

struct sample {
        uint8_t cmd;
        uint64_t ns;
};

struct probe {
        struct transport *t;
        unsigned long events_acked, stray;
};

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* Wait for the fd until deadline (CLOCK_MONOTONIC ns); 1 when readable, 0 at the deadline. */
static int wait_readable(int fd, uint64_t deadline) {
        uint64_t now = now_ns();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        struct timespec ts;
        int r;

        if (now >= deadline)
                return 0;
        ts.tv_sec = (time_t) ((deadline - now) / 1000000000ull);
        ts.tv_nsec = (long) ((deadline - now) % 1000000000ull);
        r = ppoll(&p, 1, &ts, NULL);
        return r < 0 ? -errno : r;
}

/* Answer one of satmcd's requests (an event) with completion code 0, as an event receiver
 * does. */
static void acknowledge(struct probe *p, const uint8_t *request, size_t request_len) {
        uint8_t rsp[TRANSPORT_FRAME_MAX];
        int len = ipmb_encode_reply(request, request_len, IPMI_CC_OK, 0, rsp, sizeof(rsp),
                                    IPMB_KERNEL_MAX_MSG_LEN);

        /* ipmb_encode_reply() fills our own rsSA from the request's: the BMC's address. */
        if (len > 0 && transport_send(p->t, rsp, (size_t) len) == 0)
                p->events_acked++;
}

/* Read what the bus delivered. Returns 1 and fills *rsp (data in buf) for a response, 0 when
 * nothing is left, < 0 on a transport error. satmcd's requests are acknowledged on the way. */
static int next_response(struct probe *p, uint8_t *buf, size_t size, struct ipmb_response *rsp) {
        for (;;) {
                struct ipmb_request q;
                int r = transport_recv(p->t, buf, size);

                if (r == -EAGAIN)
                        return 0;
                if (r < 0)
                        return r;
                if (ipmb_decode_request(buf, (size_t) r, buf[0], IPMB_KERNEL_MAX_MSG_LEN, &q) == IPMB_OK) {
                        acknowledge(p, buf, (size_t) r);
                        continue;
                }
                if (ipmb_decode_response(buf, (size_t) r, buf[0], IPMB_KERNEL_MAX_MSG_LEN, rsp) == IPMB_OK)
                        return 1;
                p->stray++;
        }
}

/* Between two requests: keep acknowledging events until deadline. */
static int idle_until(struct probe *p, uint64_t deadline) {
        uint8_t buf[TRANSPORT_FRAME_MAX];
        struct ipmb_response rsp;

        for (;;) {
                int r = wait_readable(transport_fd(p->t), deadline);
                if (r <= 0)
                        return r;
                r = next_response(p, buf, sizeof(buf), &rsp);
                if (r < 0)
                        return r;
                if (r > 0)
                        p->stray++;     /* an answer that came after its request timed out */
        }
}

struct options {
        const char *bus, *raw;
        double seconds, rate;
        unsigned sensors;
};

static void print_percentiles(const char *name, uint64_t *v, size_t n) {
        if (n == 0) {
                printf(" %s_n=0", name);
                return;
        }
        qsort(v, n, sizeof(*v), cmp_u64);
        printf(" %s_n=%zu %s_p50_us=%.1f %s_p99_us=%.1f %s_p999_us=%.1f %s_max_us=%.1f", name, n, name,
               v[n / 2] / 1e3, name, v[(size_t) (n * 0.99)] / 1e3, name, v[(size_t) (n * 0.999)] / 1e3,
               name, v[n - 1] / 1e3);
}

static int run(const struct options *o) {
        uint8_t addrs7[1 + REQUESTERS], frame[TRANSPORT_FRAME_MAX], reply[TRANSPORT_FRAME_MAX];
        size_t cap = (size_t) (o->seconds * o->rate) + 16, n = 0, n_gdid = 0, n_gsr = 0;
        uint64_t period = (uint64_t) (1e9 / o->rate), next, end, *all, *gdid, *gsr;
        unsigned long lost = 0, late = 0, bad_cc = 0;
        struct sample *s;
        struct probe p = {};
        FILE *raw = NULL;
        int r, ret = 0;

        for (unsigned i = 0; i <= REQUESTERS; i++)
                addrs7[i] = (uint8_t) (BMC_ADDR7 + i);
        r = transport_emubus_open(o->bus, addrs7, 1 + REQUESTERS, &p.t);
        if (r < 0) {
                fprintf(stderr, "mixed-load-probe: cannot attach to %s: %s\n", o->bus, strerror(-r));
                return 2;
        }
        s = calloc(cap, sizeof(*s));
        all = calloc(cap, sizeof(*all));
        gdid = calloc(cap, sizeof(*gdid));
        gsr = calloc(cap, sizeof(*gsr));
        if (!s || !all || !gdid || !gsr) {
                ret = 2;
                goto finish;
        }

        next = now_ns();
        end = next + (uint64_t) (o->seconds * 1e9);
        for (unsigned i = 0; n < cap && next < end; i++) {
                bool sensor = i & 1;
                uint8_t number = (uint8_t) (1 + (i / 2) % o->sensors);
                struct ipmb_request req = {
                        .rs_sa = SATMCD_SA,
                        .netfn = sensor ? IPMI_NETFN_SENSOR_EVENT : IPMI_NETFN_APP,
                        .rq_sa = (uint8_t) (addrs7[1 + i % REQUESTERS] << 1),
                        .seq = (uint8_t) ((i / REQUESTERS) & IPMB_SEQ_MAX),
                        .cmd = sensor ? IPMI_CMD_GET_SENSOR_READING : IPMI_CMD_GET_DEVICE_ID,
                        .data = sensor ? &number : NULL, .data_len = sensor ? 1 : 0,
                };
                int len = ipmb_encode_request(&req, frame, sizeof(frame), IPMB_DEFAULT_MAX_MSG_LEN);
                uint64_t start, got = 0;

                r = idle_until(&p, next);
                if (r < 0)
                        goto transport_error;
                start = now_ns();
                r = transport_send(p.t, frame, (size_t) len);
                if (r < 0)
                        goto transport_error;
                while (!got) {
                        struct ipmb_response rsp;

                        r = wait_readable(transport_fd(p.t), start + ANSWER_TIMEOUT_NS);
                        if (r < 0)
                                goto transport_error;
                        if (r == 0)
                                break;
                        while ((r = next_response(&p, reply, sizeof(reply), &rsp)) > 0) {
                                if (rsp.rq_sa != req.rq_sa || rsp.seq != req.seq || rsp.cmd != req.cmd) {
                                        p.stray++;
                                        continue;
                                }
                                got = now_ns();
                                if (rsp.cc != IPMI_CC_OK)
                                        bad_cc++;
                                break;
                        }
                        if (r < 0)
                                goto transport_error;
                }
                if (!got)
                        lost++;
                else {
                        s[n] = (struct sample) { .cmd = req.cmd, .ns = got - start };
                        all[n++] = got - start;
                        if (sensor)
                                gsr[n_gsr++] = got - start;
                        else
                                gdid[n_gdid++] = got - start;
                }
                next += period;
                if (next < now_ns()) {
                        late++;
                        next = now_ns();
                }
        }

        if (o->raw) {
                raw = fopen(o->raw, "we");
                if (!raw) {
                        perror(o->raw);
                        ret = 2;
                        goto finish;
                }
                for (size_t i = 0; i < n; i++)
                        fprintf(raw, "%u %llu\n", s[i].cmd, (unsigned long long) s[i].ns);
                if (fclose(raw) != 0) {
                        perror(o->raw);
                        ret = 2;
                }
        }
        printf("answered=%zu lost=%lu late=%lu bad_cc=%lu events_acked=%lu stray=%lu", n, lost, late,
               bad_cc, p.events_acked, p.stray);
        print_percentiles("all", all, n);
        print_percentiles("gdid", gdid, n_gdid);
        print_percentiles("gsr", gsr, n_gsr);
        printf("\n");
        goto finish;

transport_error:
        fprintf(stderr, "mixed-load-probe: bus: %s\n", strerror(-r));
        ret = 1;
finish:
        free(s);
        free(all);
        free(gdid);
        free(gsr);
        transport_free(p.t);
        return ret;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "bus", required_argument, NULL, 'b' },
                { "seconds", required_argument, NULL, 's' },
                { "rate", required_argument, NULL, 'r' },
                { "sensors", required_argument, NULL, 'n' },
                { "raw", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct options o = { .seconds = 10, .rate = 500, .sensors = 1 };
        int c;

        while ((c = getopt_long(argc, argv, "b:s:r:n:w:h", longopts, NULL)) >= 0)
                switch (c) {
                case 'b': o.bus = optarg; break;
                case 's': o.seconds = strtod(optarg, NULL); break;
                case 'r': o.rate = strtod(optarg, NULL); break;
                case 'n': o.sensors = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'w': o.raw = optarg; break;
                default:
                        fprintf(stderr, "usage: mixed-load-probe --bus SOCK [--seconds S] [--rate R] "
                                        "[--sensors N] [--raw FILE]\n");
                        return c == 'h' ? 0 : 2;
                }
        if (!o.bus || !(o.seconds > 0 && o.seconds <= 3600) || !(o.rate >= 1 && o.rate <= 100000) ||
            o.sensors < 1 || o.sensors > 255) {
                fprintf(stderr, "mixed-load-probe: need --bus; 0 < seconds <= 3600; 1 <= rate <= 100000; "
                                "1 <= sensors <= 255\n");
                return 2;
        }
        return run(&o);
}
