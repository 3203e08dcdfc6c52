/* SPDX-License-Identifier: MIT */
/*
 * satmc-bench: drive N Get Device ID requests through the emulated I2C bus to a real satmcd and
 * print what every later change is compared against: requests per second, round-trip p50/p99,
 * satmcd's CPU time per request (all its threads, and its event loop thread alone), its RSS
 * (after the run, peak, and after the idle interval), and how often it woke up while idle
 * (context switches of all its threads over a quiet interval). --oneline prints the same
 * figures as one line of key=value pairs for scripts (bench/sensors-bench.sh).
 *
 * It starts its own satmc-i2c-bus and satmcd, waits for satmcd's READY=1 on a NOTIFY_SOCKET it
 * owns, and sends one request at a time, as a BMC does. Requests rotate over several requester
 * addresses so every one is a fresh request for satmcd (no replay-cache hits): the figures are
 * the full decode → dispatch → encode → send path.
 */
#include <dirent.h>
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
        bool pin, oneline;
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

/* Nanoseconds on CPU of the whole process pid: every thread, also those that have exited
 * (satmcd replaces a sensor worker stuck in a hung read). */
static uint64_t process_cpu_ns(pid_t pid) {
        struct timespec ts;
        clockid_t clk;

        if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* Nanoseconds on CPU of pid's main thread (satmcd's event loop) alone: /proc/PID/schedstat is
 * per thread, not per process. */
static uint64_t main_thread_cpu_ns(pid_t pid) {
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

/* A field from /proc/PID/FILE, e.g. status "VmRSS:" or "voluntary_ctxt_switches:". */
static long proc_field(pid_t pid, const char *file, const char *name) {
        char path[64], line[256];
        long v = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
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

static long status_field(pid_t pid, const char *name) {
        return proc_field(pid, "status", name);
}

/* Context switches of pid's threads: each thread's status counts its own. A thread that exists
 * at both snapshots counts its difference, a new one all of its own; one that has exited
 * since the first snapshot is lost (satmcd replaces a sensor worker stuck in a hung read). */
#define TIDS_MAX 64
struct switches {
        unsigned n;
        pid_t tid[TIDS_MAX];
        long count[TIDS_MAX];
};

static void switches_snapshot(pid_t pid, struct switches *ret) {
        char path[64];
        struct dirent *de;
        DIR *d;

        ret->n = 0;
        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d)) && ret->n < TIDS_MAX) {
                pid_t tid = (pid_t) strtol(de->d_name, NULL, 10);

                if (tid <= 0)
                        continue;
                ret->tid[ret->n] = tid;
                ret->count[ret->n++] = status_field(tid, "voluntary_ctxt_switches:") +
                                       status_field(tid, "nonvoluntary_ctxt_switches:");
        }
        closedir(d);
}

static long switches_between(const struct switches *a, const struct switches *b) {
        long sum = 0;

        for (unsigned i = 0; i < b->n; i++) {
                long before = 0;

                for (unsigned j = 0; j < a->n; j++)
                        if (a->tid[j] == b->tid[i])
                                before = a->count[j];
                sum += b->count[i] - before;
        }
        return sum;
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
        uint64_t *lat = NULL, t0 = 0, t1, c0 = 0, c1, m0 = 0, m1;
        struct transport *t = NULL;
        pid_t bus, daemon;
        struct switches w0, w1;
        long rss, hwm, rss_idle, anon, pss, threads;
        double rate, p50, p99, p999, max, cpu, cpu_main;
        unsigned long satmcd_requests = 0;
        int nfd, r, ret = 0;

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
                ret = 2;
                goto finish;
        }

        lat = calloc(o->n, sizeof(*lat));
        if (!lat) {
                ret = 2;
                goto finish;
        }
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
                        c0 = process_cpu_ns(daemon);
                        m0 = main_thread_cpu_ns(daemon);
                        t0 = now_ns();
                }
                start = now_ns();
                r = transport_send(t, frame, (size_t) len);
                if (r < 0) {
                        fprintf(stderr, "satmc-bench: send failed: %s\n", strerror(-r));
                        ret = 1;
                        goto finish;
                }
                for (;;) {
                        struct pollfd p = { .fd = transport_fd(t), .events = POLLIN };
                        struct ipmb_request own;

                        r = transport_recv(t, reply, sizeof(reply));
                        /* satmcd's own requests (Platform Event Messages: the first requester
                         * is the BMC's address) are not answers; counted, left unanswered. */
                        if (r > 0 && ipmb_decode_request(reply, (size_t) r, reply[0],
                                                         IPMB_KERNEL_MAX_MSG_LEN, &own) == IPMB_OK) {
                                satmcd_requests++;
                                continue;
                        }
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
                        ret = 1;
                        goto finish;
                }
                if (i >= warm)
                        lat[i - warm] = now_ns() - start;
        }
        t1 = now_ns();
        c1 = process_cpu_ns(daemon);
        m1 = main_thread_cpu_ns(daemon);
        rss = status_field(daemon, "VmRSS:");
        hwm = status_field(daemon, "VmHWM:");
        threads = status_field(daemon, "Threads:");

        /* Let satmcd finish the last request and go back to epoll_wait before counting. */
        usleep(100 * 1000);
        switches_snapshot(daemon, &w0);
        usleep(o->idle_ms * 1000);
        switches_snapshot(daemon, &w1);
        rss_idle = status_field(daemon, "VmRSS:");
        /* Most of the RSS is shared library pages (file-backed, shared with every process that
         * maps the same library, and mapped 64 KiB at a time by fault-around): the anonymous
         * part and the proportional set size say what satmcd itself costs. */
        anon = status_field(daemon, "RssAnon:");
        pss = proc_field(daemon, "smaps_rollup", "Pss:");
        /* The peak may have come during the idle interval (a sensor worker restarted). */
        hwm = status_field(daemon, "VmHWM:");

        qsort(lat, o->n, sizeof(*lat), cmp_u64);
        rate = o->n / ((t1 - t0) / 1e9);
        p50 = lat[o->n / 2] / 1e3;
        p99 = lat[(size_t) (o->n * 0.99)] / 1e3;
        p999 = lat[(size_t) (o->n * 0.999)] / 1e3;
        max = lat[o->n - 1] / 1e3;
        cpu = (c1 - c0) / 1e3 / o->n;
        cpu_main = (m1 - m0) / 1e3 / o->n;
        if (o->oneline)
                printf("requests=%u rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f cpu_us=%.2f cpu_main_us=%.2f "
                       "rss_kib=%ld hwm_kib=%ld rss_idle_kib=%ld anon_kib=%ld pss_kib=%ld threads=%ld "
                       "wakeups=%ld idle_ms=%u\n", o->n, rate, p50, p99, p999, max, cpu, cpu_main, rss, hwm,
                       rss_idle, anon, pss, threads, switches_between(&w0, &w1), o->idle_ms);
        else {
                printf("requests        %u (Get Device ID, %u requesters, one at a time)\n", o->n, o->requesters);
                printf("rate            %.0f req/s\n", rate);
                printf("rtt p50         %.1f us\n", p50);
                printf("rtt p99         %.1f us\n", p99);
                printf("rtt p99.9, max  %.1f us, %.1f us\n", p999, max);
                printf("satmcd cpu      %.2f us/request (all threads; event loop thread %.2f)\n", cpu, cpu_main);
                printf("satmcd rss      %ld KiB after the run, %ld KiB peak, %ld KiB after idling\n", rss, hwm, rss_idle);
                printf("satmcd memory   %ld KiB anonymous, %ld KiB PSS after idling\n", anon, pss);
                printf("satmcd threads  %ld\n", threads);
                printf("idle wake-ups   %ld in %u ms (all threads)\n", switches_between(&w0, &w1),
                       o->idle_ms);
                if (satmcd_requests > 0)
                        printf("satmcd requests %lu (events to the BMC address, not answered)\n",
                               satmcd_requests);
        }
        fflush(stdout);

finish:
        /* On every path: a bench that stops early must not leave satmcd and the bus behind. */
        free(lat);
        transport_free(t);
        kill(daemon, SIGTERM);
        waitpid(daemon, NULL, 0);
        kill(bus, SIGTERM);
        waitpid(bus, NULL, 0);
        unlink(sock);
        unlink(notify);
        rmdir(dir);
        return ret;
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
                { "oneline", no_argument, NULL, '1' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct options o = { .n = 20000, .requesters = 8, .idle_ms = 2000 };
        int c;

        while ((c = getopt_long(argc, argv, "s:b:c:n:r:i:p1h", longopts, NULL)) >= 0)
                switch (c) {
                case 's': o.satmcd = optarg; break;
                case 'b': o.bus = optarg; break;
                case 'c': o.config = optarg; break;
                case 'n': o.n = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'r': o.requesters = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'i': o.idle_ms = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'p': o.pin = true; break;
                case '1': o.oneline = true; break;
                default:
                        fprintf(stderr, "usage: satmc-bench --satmcd PATH --bus PATH --config FILE "
                                        "[-n N] [--requesters K] [--idle-ms MS] [--pin] [--oneline]\n");
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
