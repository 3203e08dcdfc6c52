/* SPDX-License-Identifier: MIT */
/*
 * satmc-bench: drive N Get Device ID requests through the emulated I2C bus to a real satmcd and
 * print what every later change is compared against: requests per second, round-trip p50/p99,
 * satmcd's CPU time per request (from /proc/PID/schedstat), its RSS, and how often it woke up
 * while idle (context switches over a quiet interval).
 *
 * It starts its own satmc-i2c-bus and satmcd, waits for satmcd's READY=1 on a NOTIFY_SOCKET it
 * owns, and sends one request at a time, as a BMC does. Requests rotate over several requester
 * addresses so every one is a fresh request for satmcd (no replay-cache hits): the figures are
 * the full decode → dispatch → encode → send path.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "transport/transport.h"

extern char **environ;

#define SATMCD_SA 0x72
#define FIRST_REQUESTER7 0x10

struct options {
        const char *satmcd, *bus, *config;
        unsigned n, requesters, idle_ms;
        bool pin;
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

/* Nanoseconds on CPU summed over every thread of pid. */
static uint64_t cpu_ns(pid_t pid) {
        char path[64];
        unsigned long long ns = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%llu", &ns) != 1)
                ns = 0;
        fclose(f);
        return ns;
}

/* A field from /proc/PID/status, e.g. "VmRSS:" or "voluntary_ctxt_switches:". */
static long status_field(pid_t pid, const char *name) {
        char path[64], line[256];
        long v = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, name, strlen(name)) == 0) {
                        v = strtol(line + strlen(name), NULL, 10);
                        break;
                }
        fclose(f);
        return v;
}

static long wakeups(pid_t pid) {
        return status_field(pid, "voluntary_ctxt_switches:") +
               status_field(pid, "nonvoluntary_ctxt_switches:");
}

static pid_t spawn(char *const argv[], char *const envp[]) {
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], NULL, NULL, argv, envp);
        if (r != 0) {
                fprintf(stderr, "satmc-bench: cannot start %s: %s\n", argv[0], strerror(r));
                exit(2);
        }
        return pid;
}

static void wait_ready(int notify_fd) {
        char buf[512];
        for (;;) {
                ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
                if (n < 0) {
                        fprintf(stderr, "satmc-bench: satmcd never sent READY=1\n");
                        exit(2);
                }
                buf[n] = 0;
                if (strstr(buf, "READY=1"))
                        return;
        }
}

static int run(const struct options *o) {
        char dir[] = "/tmp/satmc-bench.XXXXXX", sock[128], notify[128], notify_env[160];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 10 };
        uint8_t addrs7[64], frame[TRANSPORT_FRAME_MAX], reply[TRANSPORT_FRAME_MAX];
        uint64_t *lat, t0 = 0, t1, c0 = 0, c1;
        Transport *t = NULL;
        pid_t bus, daemon;
        long w0, w1, rss;
        int nfd, r;

        if (!mkdtemp(dir))
                return perror("mkdtemp"), 2;
        snprintf(sock, sizeof(sock), "%s/bus.sock", dir);
        snprintf(notify, sizeof(notify), "%s/notify.sock", dir);
        snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", notify);

        bus = spawn((char *[]) { (char *) o->bus, "--socket", sock, NULL }, environ);
        for (int i = 0; i < 1000 && access(sock, F_OK) < 0; i++)
                usleep(1000);

        nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (strlen(notify) >= sizeof(sa.sun_path))
                return fprintf(stderr, "satmc-bench: %s: path too long\n", notify), 2;
        memcpy(sa.sun_path, notify, strlen(notify) + 1);
        if (nfd < 0 || bind(nfd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return perror("notify socket"), 2;
        (void) setsockopt(nfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        daemon = spawn((char *[]) { (char *) o->satmcd, "--config", (char *) o->config,
                                    "--bus-socket", sock, "--log-level", "warning",
                                    /* Only the IPMB path is measured: no local sockets, and
                                     * FRU state in our scratch directory. */
                                    "--ipmitool-socket", "none", "--nbd-socket", "none",
                                    "--state-directory", dir, NULL },
                       (char *[]) { notify_env, NULL });
        wait_ready(nfd);

        for (unsigned i = 0; i < o->requesters; i++)
                addrs7[i] = (uint8_t) (FIRST_REQUESTER7 + i);
        r = transport_emubus_open(sock, addrs7, o->requesters, &t);
        if (r < 0) {
                fprintf(stderr, "satmc-bench: cannot attach to the bus: %s\n", strerror(-r));
                return 2;
        }

        lat = calloc(o->n, sizeof(*lat));
        if (!lat)
                return 2;
        for (unsigned i = 0, warm = 200; i < o->n + warm; i++) {
                struct ipmb_request req = {
                        .rs_sa = SATMCD_SA, .netfn = IPMI_NETFN_APP,
                        .rq_sa = (uint8_t) (addrs7[i % o->requesters] << 1),
                        .seq = (uint8_t) ((i / o->requesters) & IPMB_SEQ_MAX),
                        .cmd = IPMI_CMD_GET_DEVICE_ID,
                };
                struct ipmb_response rsp;
                int len = ipmb_encode_request(&req, frame, sizeof(frame), IPMB_DEFAULT_MAX_MSG_LEN);
                uint64_t start;

                if (i == warm) {
                        c0 = cpu_ns(daemon);
                        t0 = now_ns();
                }
                start = now_ns();
                r = transport_send(t, frame, (size_t) len);
                if (r < 0) {
                        fprintf(stderr, "satmc-bench: send failed: %s\n", strerror(-r));
                        return 1;
                }
                for (;;) {
                        struct pollfd p = { .fd = transport_fd(t), .events = POLLIN };
                        r = transport_recv(t, reply, sizeof(reply));
                        if (r != -EAGAIN)
                                break;
                        if (poll(&p, 1, 1000) <= 0) {
                                r = -ETIMEDOUT;
                                break;
                        }
                }
                if (r < 0 || ipmb_decode_response(reply, (size_t) r, req.rq_sa,
                                                  IPMB_DEFAULT_MAX_MSG_LEN, &rsp) != IPMB_OK ||
                    rsp.seq != req.seq || rsp.cmd != req.cmd || rsp.cc != IPMI_CC_OK) {
                        fprintf(stderr, "satmc-bench: bad response to request %u\n", i);
                        return 1;
                }
                if (i >= warm)
                        lat[i - warm] = now_ns() - start;
        }
        t1 = now_ns();
        c1 = cpu_ns(daemon);
        rss = status_field(daemon, "VmRSS:");

        /* Let satmcd finish the last request and go back to epoll_wait before counting. */
        usleep(100 * 1000);
        w0 = wakeups(daemon);
        usleep(o->idle_ms * 1000);
        w1 = wakeups(daemon);

        qsort(lat, o->n, sizeof(*lat), cmp_u64);
        printf("requests        %u (Get Device ID, %u requesters, one at a time)\n", o->n, o->requesters);
        printf("rate            %.0f req/s\n", o->n / ((t1 - t0) / 1e9));
        printf("rtt p50         %.1f us\n", lat[o->n / 2] / 1e3);
        printf("rtt p99         %.1f us\n", lat[(size_t) (o->n * 0.99)] / 1e3);
        printf("satmcd cpu      %.2f us/request\n", (c1 - c0) / 1e3 / o->n);
        printf("satmcd rss      %ld KiB\n", rss);
        printf("idle wake-ups   %ld in %u ms\n", w1 - w0, o->idle_ms);

        free(lat);
        transport_free(t);
        kill(daemon, SIGTERM);
        waitpid(daemon, NULL, 0);
        kill(bus, SIGTERM);
        waitpid(bus, NULL, 0);
        unlink(sock);
        unlink(notify);
        rmdir(dir);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "satmcd", required_argument, NULL, 's' },
                { "bus", required_argument, NULL, 'b' },
                { "config", required_argument, NULL, 'c' },
                { "requests", required_argument, NULL, 'n' },
                { "requesters", required_argument, NULL, 'r' },
                { "idle-ms", required_argument, NULL, 'i' },
                { "pin", no_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct options o = { .n = 20000, .requesters = 8, .idle_ms = 2000 };
        int c;

        while ((c = getopt_long(argc, argv, "s:b:c:n:r:i:ph", longopts, NULL)) >= 0)
                switch (c) {
                case 's': o.satmcd = optarg; break;
                case 'b': o.bus = optarg; break;
                case 'c': o.config = optarg; break;
                case 'n': o.n = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'r': o.requesters = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'i': o.idle_ms = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'p': o.pin = true; break;
                default:
                        fprintf(stderr, "usage: satmc-bench --satmcd PATH --bus PATH --config FILE "
                                        "[-n N] [--requesters K] [--idle-ms MS] [--pin]\n");
                        return c == 'h' ? 0 : 2;
                }
        if (!o.satmcd || !o.bus || !o.config || o.n < 100 || o.requesters < 1 || o.requesters > 64) {
                fprintf(stderr, "satmc-bench: need --satmcd, --bus, --config; 100 <= n; 1 <= requesters <= 64\n");
                return 2;
        }
        if (o.pin) {
                /* One CPU for everyone, as the shared peer bench does: on a small VM cross-CPU
                 * wake-ups cost more than the work. Children inherit the mask. */
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(0, &set);
                if (sched_setaffinity(0, sizeof(set), &set) < 0)
                        perror("sched_setaffinity");
        }
        return run(&o);
}
