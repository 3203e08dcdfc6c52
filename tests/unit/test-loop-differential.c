/* SPDX-License-Identifier: MIT */
/*
 * manager_loop() (daemon/manager-loop.c) must be indistinguishable on the bus from sd-event's
 * own loop. It answers polled requests beside sd-event, holds a frame sd-event has to see
 * first, and hands the bus to sd-event and back while sd-event alone is busy; a mistake in any
 * of that shows as an answer that differs, comes out of order, or does not come.
 *
 * So the same seeded stream of frames goes to four managers, each on a fresh state directory
 * of the same configuration (one FRU device, a duplicate window longer than the test):
 *   reference  sd_event_loop(), the bus an ordinary I/O source;
 *   fast       manager_loop();
 *   busy       manager_loop() beside a source that is always ready (an NBD client reading at
 *              full speed), so the bus goes to sd-event and back throughout;
 *   poked      manager_loop() beside a source the sender makes ready at random moments,
 *              so frames arrive while sd-event has work queued.
 * The stream mixes requests answered beside sd-event (Get Device ID, Read FRU Data, Get SDR, ...)
 * with requests that change what those read (Write FRU Data, Reserve SDR Repository, Set Event
 * Receiver) and with hostile frames: a flipped byte, truncated, over-long, a length byte that
 * lies, not for us, broadcast, responses nobody asked for, junk. It goes in batches, each ended
 * by a Get Device ID from an address the stream never uses (the marker): the answers up to the
 * marker's are the batch's. Every variant's answers must equal the reference's byte for byte,
 * in order, and so must the counters at the end. Timing is varied per variant (frames sent
 * back to back or with a pause), and the stream does not depend on it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <systemd/sd-event.h>

#include "manager-bare-config.h"
#include "temp-dir.h"
#include "test-config-text.h"

#include "common/log.h"
#include "common/macro.h"
#include "daemon/config.h"
#include "daemon/manager.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"

#define SATMC_ADDR      0x72
#define MARKER_ADDR     0x24    /* only the marker comes from here */
#define BATCHES         60
#define BATCH_MAX       14
#define ANSWER_TIMEOUT_S 60     /* a marker's answer: a failure, not a pause */

enum variant { REFERENCE, FAST, BUSY, POKED, _VARIANT_MAX };

static const char *const variant_name[] = { "reference", "fast", "busy", "poked" };

/* What came back on the bus, as [len][bytes] records. */
struct answers {
        uint8_t *buf;
        size_t len, cap;
        unsigned count;
};

struct run {
        enum variant variant;
        uint32_t seed;
        struct manager *m;
        int bus;                        /* the kernel's end of the bus */
        int stop_fd;                    /* the sender asks the loop to end */
        int poke_fd;                    /* POKED: made ready by the sender */
        struct answers answers;
        atomic_uint busy_runs;          /* BUSY: times the always-ready source ran */
        uint64_t dispatches;            /* frames sd-event's source took off the bus */
        const char *failure;            /* set by the sender thread */
        char detail[160];
};

/* xorshift32: the stream from the seed, the timing from another. */
static uint32_t next(uint32_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        return *s;
}

static unsigned pick(uint32_t *s, unsigned n) {
        return next(s) % n;
}

static void answers_add(struct answers *a, const uint8_t *p, size_t n) {
        if (a->len + n + 1 > a->cap) {
                a->cap = (a->cap + n + 1) * 2;
                a->buf = realloc(a->buf, a->cap);
                assert_non_null(a->buf);
        }
        a->buf[a->len++] = (uint8_t) n;
        memcpy(a->buf + a->len, p, n);
        a->len += n;
        a->count++;
}

/* One request as ipmb-dev-int's read() hands it over: [len][frame]. Returns the bytes. */
static size_t encode(uint8_t *out, size_t cap, uint8_t rq_sa, uint8_t seq, uint8_t netfn,
                     uint8_t cmd, const uint8_t *data, size_t len, uint8_t rs_lun) {
        struct ipmb_request req = {
                .rs_sa = SATMC_ADDR, .netfn = netfn, .rs_lun = rs_lun, .rq_sa = rq_sa,
                .seq = seq, .cmd = cmd, .data = data, .data_len = len,
        };

        return bare_encode_request(&req, out, cap);
}

/* A well-formed request: answered beside sd-event, or one that changes what those read. */
static size_t valid_request(uint32_t *s, uint8_t *out, size_t cap) {
        static const uint8_t requesters[] = { 0x20, 0x20, 0x20, 0x22, 0x82 };
        static const uint8_t other_app[] = { IPMI_CMD_GET_SELF_TEST_RESULTS,
                                             IPMI_CMD_GET_DEVICE_GUID, 0x5F, 0x01 };
        uint8_t rq_sa = requesters[pick(s, sizeof(requesters))];
        uint8_t seq = (uint8_t) pick(s, 8);     /* few: retries hit the replay cache */
        uint8_t rs_lun = pick(s, 16) == 0 ? (uint8_t) pick(s, 4) : 0;
        uint8_t netfn, cmd, d[24];
        size_t n = 0;

        switch (pick(s, 14)) {
        case 0: case 1:
                netfn = IPMI_NETFN_APP, cmd = IPMI_CMD_GET_DEVICE_ID;
                break;
        case 2: case 3:
                netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_READ_FRU_DATA;
                d[n++] = pick(s, 8) ? 0 : (uint8_t) pick(s, 3);
                d[n++] = (uint8_t) pick(s, 160);
                d[n++] = pick(s, 8) ? 0 : (uint8_t) pick(s, 3);
                d[n++] = (uint8_t) (1 + pick(s, 24));
                break;
        case 4:
                netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_WRITE_FRU_DATA;
                d[n++] = 0;
                d[n++] = (uint8_t) (8 + pick(s, 64));
                d[n++] = 0;
                for (unsigned k = 1 + pick(s, 8); k > 0; k--)
                        d[n++] = (uint8_t) next(s);
                break;
        case 5:
                netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO;
                d[n++] = 0;
                break;
        case 6:
                netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_RESERVE_SDR_REPOSITORY;
                break;
        case 7: case 8:                                 /* Get SDR / Get Device SDR */
                if (pick(s, 2))
                        netfn = IPMI_NETFN_SENSOR_EVENT, cmd = IPMI_CMD_GET_DEVICE_SDR;
                else
                        netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_GET_SDR;
                d[n++] = (uint8_t) pick(s, 4);          /* reservation: now and then current */
                d[n++] = 0;
                d[n++] = pick(s, 4) ? 0 : 0xFF;         /* first record, or the last */
                d[n++] = pick(s, 4) ? 0 : 0xFF;
                d[n++] = (uint8_t) pick(s, 20);
                d[n++] = pick(s, 8) ? 16 : 0xFF;
                break;
        case 9:
                netfn = IPMI_NETFN_STORAGE, cmd = IPMI_CMD_GET_SDR_REPOSITORY_INFO;
                break;
        case 10:
                netfn = IPMI_NETFN_SENSOR_EVENT, cmd = IPMI_CMD_SET_EVENT_RECEIVER;
                d[n++] = pick(s, 2) ? 0x20 : 0x22;
                d[n++] = 0;
                break;
        case 11:
                netfn = IPMI_NETFN_SENSOR_EVENT, cmd = IPMI_CMD_GET_EVENT_RECEIVER;
                break;
        case 12:
                netfn = IPMI_NETFN_SENSOR_EVENT, cmd = IPMI_CMD_GET_SENSOR_READING;
                d[n++] = (uint8_t) pick(s, 4);
                break;
        default:                                        /* other App commands, unknown ones */
                cmd = other_app[pick(s, sizeof(other_app))];
                netfn = pick(s, 6) ? IPMI_NETFN_APP : 0x30;
                if (cmd == IPMI_CMD_GET_DEVICE_ID)      /* with a byte: a bad length */
                        d[n++] = 0;
                break;
        }
        return encode(out, cap, rq_sa, seq, netfn, cmd, d, n, rs_lun);
}

/* A frame the daemon must count and drop (or, broadcast Get Device ID, answer). */
static size_t hostile_frame(uint32_t *s, uint8_t *out, size_t cap) {
        size_t n = valid_request(s, out, cap);

        switch (pick(s, 8)) {
        case 0:                                         /* a flipped byte: some checksum */
                out[1 + pick(s, (unsigned) n - 1)] ^= (uint8_t) (1 + pick(s, 255));
                return n;
        case 1:                                         /* truncated, the length byte agreeing */
                n = 1 + pick(s, (unsigned) n - 1);
                out[0] = (uint8_t) (n - 1);
                return n;
        case 2:                                         /* a length byte that lies */
                out[0] = pick(s, 2) ? 0 : (uint8_t) (n + pick(s, 8));
                return n;
        case 3:                                         /* not for us */
                out[1] = 0x74;
                return n;
        case 4:                                         /* broadcast: 0x00 in front */
                memmove(out + 2, out + 1, n - 1);
                out[1] = IPMB_BROADCAST_ADDR;
                out[0] = (uint8_t) n;
                return n + 1;
        case 5:                                         /* a response nobody asked for */
                out[2] |= 0x04;
                out[3] = (uint8_t) -(out[1] + out[2]);
                return n;
        case 6:                                         /* junk of any length the bus takes */
                n = 1 + pick(s, 40);
                for (size_t k = 1; k < n; k++)
                        out[k] = (uint8_t) next(s);
                out[0] = (uint8_t) (n - 1);
                return n;
        default:                                        /* extra bytes after the checksum */
                for (unsigned k = pick(s, 4) + 1; k > 0 && n < cap; k--)
                        out[n++] = (uint8_t) next(s);
                out[0] = (uint8_t) (n - 1);
                return n;
        }
}

static void poke(int fd) {
        uint64_t one = 1;

        (void) !write(fd, &one, sizeof(one));
}

static void zero(uint8_t *raw, size_t n, size_t from, size_t to) {
        for (size_t k = from; k < to && k < n; k++)
                raw[k] = 0;
}

/* The clock's part of an answer, which differs between runs started seconds apart: the SDR
 * repository's addition and erase times, the device SDRs' population change indicator, and
 * the checksum over them. raw: [len][rqSA][netFn/LUN][chk1][rsSA][seq][cmd][cc][data...][chk2] */
static void mask_times(uint8_t *raw, size_t n) {
        bool repository_info = n > 8 && raw[2] >> 2 == (IPMI_NETFN_STORAGE | 1) &&
                               raw[6] == IPMI_CMD_GET_SDR_REPOSITORY_INFO && raw[7] == 0;
        bool device_sdr_info = n > 8 && raw[2] >> 2 == (IPMI_NETFN_SENSOR_EVENT | 1) &&
                               raw[6] == IPMI_CMD_GET_DEVICE_SDR_INFO && raw[7] == 0;

        if (repository_info)
                zero(raw, n - 1, 8 + 5, 8 + 13);
        if (device_sdr_info)
                zero(raw, n - 1, 8 + 2, 8 + 6);
        if (repository_info || device_sdr_info)
                raw[n - 1] = 0;
}

/* Read the bus until the marker's answer; false (and r->failure) if it does not come. */
static bool collect_batch(struct run *r) {
        for (;;) {
                uint8_t raw[IPMB_KERNEL_MAX_MSG_LEN + 2];
                ssize_t n = recv(r->bus, raw, sizeof(raw), 0);

                if (n <= 0) {
                        r->failure = "the marker's answer did not come";
                        snprintf(r->detail, sizeof(r->detail), "after %u answers (recv: %s)",
                                 r->answers.count, n < 0 ? strerror(errno) : "end");
                        return false;
                }
                mask_times(raw, (size_t) n);
                answers_add(&r->answers, raw, (size_t) n);
                if (n > 2 && raw[1] == MARKER_ADDR)
                        return true;
        }
}

static int on_stop(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_poke(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t v;

        (void) !read(fd, &v, sizeof(v));
        return 0;
}

static int on_always(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct run *r = userdata;

        atomic_fetch_add(&r->busy_runs, 1);
        return 0;
}

/* BUSY: let the loop see only the busy source long enough to hand the bus to sd-event, so
 * the next batch lands there. Counted in the source's runs, not in time (a slow machine, or
 * valgrind running one thread at a time, only makes it take longer). */
static void wait_for_handover(struct run *r) {
        unsigned from = atomic_load(&r->busy_runs);

        while (atomic_load(&r->busy_runs) - from < 3 * MANAGER_LOOP_ONLY_WAKEUPS)
                sched_yield();
}

static void *sender(void *userdata) {
        struct run *r = userdata;
        uint32_t stream = r->seed, timing = r->seed * 2654435761u + r->variant + 1;
        struct timespec pause = { .tv_nsec = 30 * 1000 };

        for (unsigned b = 0; b < BATCHES && !r->failure; b++) {
                unsigned frames = 1 + pick(&stream, BATCH_MAX);
                uint8_t f[IPMB_KERNEL_MAX_MSG_LEN + 8];
                size_t n;

                if (r->variant == BUSY && pick(&timing, 2) == 0)
                        wait_for_handover(r);

                for (unsigned k = 0; k < frames; k++) {
                        n = pick(&stream, 3) ? valid_request(&stream, f, sizeof(f))
                                             : hostile_frame(&stream, f, sizeof(f));
                        if (r->variant == POKED && pick(&timing, 3) == 0)
                                poke(r->poke_fd);
                        if (pick(&timing, 4) == 0)
                                nanosleep(&pause, NULL);
                        if (send(r->bus, f, n, 0) != (ssize_t) n) {
                                r->failure = "send on the bus failed";
                                break;
                        }
                }
                n = encode(f, sizeof(f), MARKER_ADDR, (uint8_t) (b & 0x3F), IPMI_NETFN_APP,
                           IPMI_CMD_GET_DEVICE_ID, NULL, 0, 0);
                if (!r->failure && send(r->bus, f, n, 0) != (ssize_t) n)
                        r->failure = "send on the bus failed";
                if (!r->failure)
                        (void) collect_batch(r);
        }
        poke(r->stop_fd);
        return NULL;
}

static struct manager *manager_on_socketpair(const char *dir, int *ret_bus) {
        char *sections = NULL;
        struct satmc_config *c;

        assert_true(asprintf(&sections,
                             "[mc]\nduplicate-window-ms = 60000\nevent-receiver = 0x20\n"
                             "[nbd]\nsocket = %s/nbd.sock\n"
                             "[ipmitool]\nsocket = none\n"
                             "[fru.0]\nboard-manufacturer = Example\nboard-product-name = Card\n"
                             "board-serial-number = SN0001\nproduct-name = Card\n", dir) > 0);
        c = test_config_load(dir, sections);
        free(sections);
        return manager_started_on_socketpair(c, ret_bus);
}

/* One variant over the seed's stream: its answers and counters in *r. */
static void run_variant(struct run *r, struct counters *ret_counters) {
        char dir[] = "/tmp/satmc-loopdiff-XXXXXX";
        sd_event_source *stop = NULL, *extra = NULL;
        struct timeval timeout = { .tv_sec = ANSWER_TIMEOUT_S };
        int always_fd = -1;
        pthread_t thread;
        int rc;

        assert_non_null(mkdtemp(dir));
        r->m = manager_on_socketpair(dir, &r->bus);
        assert_int_equal(setsockopt(r->bus, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)),
                         0);
        r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->poke_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_true(r->stop_fd >= 0 && r->poke_fd >= 0);
        assert_int_equal(sd_event_add_io(r->m->event, &stop, r->stop_fd, EPOLLIN, on_stop, r), 0);
        if (r->variant == POKED)
                assert_int_equal(sd_event_add_io(r->m->event, &extra, r->poke_fd, EPOLLIN,
                                                 on_poke, r), 0);
        if (r->variant == BUSY) {
                always_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);     /* never read */
                assert_true(always_fd >= 0);
                assert_int_equal(sd_event_add_io(r->m->event, &extra, always_fd, EPOLLIN,
                                                 on_always, r), 0);
        }

        assert_int_equal(pthread_create(&thread, NULL, sender, r), 0);
        rc = r->variant == REFERENCE ? sd_event_loop(r->m->event) : manager_loop(r->m);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_int_equal(rc, 0);

        *ret_counters = r->m->counters;
        r->dispatches = r->m->transport_dispatches;
        sd_event_source_disable_unref(stop);
        sd_event_source_disable_unref(extra);
        close(r->stop_fd);
        close(r->poke_fd);
        if (always_fd >= 0)
                close(always_fd);
        manager_free(r->m);
        close(r->bus);
        remove_temp_dir(dir);
}

static void print_answer(const char *who, const uint8_t *p) {
        fprintf(stderr, "  %-9s", who);
        for (unsigned k = 0; k < p[0]; k++)
                fprintf(stderr, " %02x", p[1 + k]);
        fprintf(stderr, "\n");
}

/* Fails with the first answer where got differs from want. */
static void assert_same_answers(const struct run *want, const struct run *got) {
        const struct answers *a = &want->answers, *b = &got->answers;
        size_t i = 0, j = 0;

        for (unsigned k = 0; i < a->len && j < b->len; k++) {
                if (a->buf[i] != b->buf[j] || memcmp(a->buf + i, b->buf + j, a->buf[i] + 1) != 0) {
                        fprintf(stderr, "seed %u: answer %u differs\n", want->seed, k);
                        print_answer(variant_name[want->variant], a->buf + i);
                        print_answer(variant_name[got->variant], b->buf + j);
                        fail_msg("%s answered differently from %s", variant_name[got->variant],
                                 variant_name[want->variant]);
                }
                i += a->buf[i] + 1u;
                j += b->buf[j] + 1u;
        }
        if (a->count != b->count)
                fail_msg("seed %u: %s gave %u answers, %s %u", want->seed,
                         variant_name[got->variant], b->count, variant_name[want->variant],
                         a->count);
}

static void check_seed(uint32_t seed) {
        struct run runs[_VARIANT_MAX] = {};
        struct counters counters[_VARIANT_MAX];

        log_set_max_level(LOG_ERR);
        for (int v = 0; v < _VARIANT_MAX; v++) {
                runs[v] = (struct run) { .variant = v, .seed = seed };
                run_variant(&runs[v], &counters[v]);
                if (runs[v].failure)
                        fail_msg("seed %u, %s: %s %s", seed, variant_name[v], runs[v].failure,
                                 runs[v].detail);
        }
        /* The stream must have reached every kind of answer, or the comparison says little. */
        assert_true(runs[REFERENCE].answers.count > BATCHES * 3);
        assert_true(counters[REFERENCE].v[COUNTER_RESPONSES_REPLAYED] > 0);
        assert_true(counters[REFERENCE].v[COUNTER_REJECT_DATA_CHECKSUM] +
                    counters[REFERENCE].v[COUNTER_REJECT_HEADER_CHECKSUM] > 0);
        /* ... and each variant must have taken its own path: fast answered beside sd-event,
         * busy handed the bus to sd-event and took it back. */
        if (runs[FAST].dispatches * 2 >= runs[REFERENCE].dispatches)
                fail_msg("seed %u: the fast loop left %llu of %llu frames to sd-event", seed,
                         (unsigned long long) runs[FAST].dispatches,
                         (unsigned long long) runs[REFERENCE].dispatches);
        if (runs[BUSY].dispatches == 0)
                fail_msg("seed %u: the bus never went to sd-event beside a busy source", seed);
        for (int v = FAST; v < _VARIANT_MAX; v++) {
                assert_same_answers(&runs[REFERENCE], &runs[v]);
                for (int k = 0; k < _COUNTER_MAX; k++)
                        if (counters[v].v[k] != counters[REFERENCE].v[k])
                                fail_msg("seed %u: counter %d is %llu under %s, %llu under %s",
                                         seed, k, (unsigned long long) counters[v].v[k],
                                         variant_name[v],
                                         (unsigned long long) counters[REFERENCE].v[k],
                                         variant_name[REFERENCE]);
        }
        for (int v = 0; v < _VARIANT_MAX; v++)
                free(runs[v].answers.buf);
}

static void test_seeds(void **state) {
        static const uint32_t seeds[] = { 1, 0x9E3779B9u, 20261206u, 0xDEADBEEFu };

        for (size_t k = 0; k < ELEMENTSOF(seeds); k++)
                check_seed(seeds[k]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seeds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
