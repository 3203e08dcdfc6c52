/* SPDX-License-Identifier: MIT */
/*
 * loop-stall-shim: LD_PRELOAD into satmcd to see how long its event loop stays away from
 * epoll, and whether that time was satmcd computing or the machine not running it. For every
 * loop iteration (from an epoll wait's return to the next wait) it takes the wall-clock time and
 * the thread's CPU time; at exit it prints both as log2 histograms, and the slowest iterations
 * by CPU time with the file descriptors they read or wrote (readlink'ed when first touched:
 * sockets show as socket:[inode], sensor files by path) so a long step can be named. Per
 * descriptor an iteration served first: its CPU and wall time, and how long it had been ready
 * (reported by epoll, matched to its fd through sd-event's epoll_ctl() registration) before the
 * loop got to it: the time a frame queues behind other sources inside satmcd.
 *
 *   LD_PRELOAD=build/bench/libloop-stall-shim.so LOOP_STALL_OUT=FILE satmcd ...
 *
 * Only the thread that first waits in epoll is measured (sd-event's loop; the sensor reader's
 * workers never wait in epoll). bench/mixed-load-p99.py --stalls uses it. A measuring tool for
 * benchmarks, never loaded by satmcd itself.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 32
#define TOP 12
#define FDS_PER_STEP 6

struct step {
        uint64_t cpu_ns, wall_ns, at_ns;
        long blocked;   /* voluntary context switches: the loop slept inside a call */
        unsigned n_events, n_fds;
        int fds[FDS_PER_STEP];
        char names[FDS_PER_STEP][64];
};

static pthread_t loop_thread;
static int have_loop;
static uint64_t ret_wall, ret_cpu, start_wall, iterations, blocked_iterations, blocked_wall_max;
static long ret_nvcsw, ret_nivcsw, preempted;
static unsigned last_events;
static uint64_t hist_wall[BUCKETS], hist_cpu[BUCKETS];
static struct step cur, top[TOP];

/* Per descriptor that an iteration touched first: what serving that source costs. */
#define FDS_TRACKED 128
struct by_fd {
        uint64_t n, cpu_ns, max_cpu_ns, over_500us, wall_ns, max_wall_ns;
        /* Queueing: from the epoll return that first reported the descriptor ready to the start
         * of the iteration that served it (other sources were dispatched in between). */
        uint64_t ready_at, queued_n, queued_ns, max_queued_ns, queued_over_100us;
        char name[64];
};
static struct by_fd by_fd[FDS_TRACKED + 1];    /* [FDS_TRACKED]: no descriptor touched */

/* sd-event registers each source's fd with its source as epoll's data.ptr: learnt from
 * epoll_ctl(), so that a readiness report can be tied to the fd its dispatch will read. */
#define REGISTERED_MAX 256
static struct {
        void *ptr;
        int fd;
} registered[REGISTERED_MAX];

static int registered_fd(void *ptr) {
        for (unsigned i = 0; i < REGISTERED_MAX; i++)
                if (registered[i].ptr == ptr)
                        return registered[i].fd;
        return -1;
}

static void register_fd(void *ptr, int fd) {
        unsigned free_slot = REGISTERED_MAX;

        for (unsigned i = 0; i < REGISTERED_MAX; i++) {
                if (registered[i].ptr == ptr || registered[i].fd == fd) {
                        registered[i].ptr = ptr;
                        registered[i].fd = fd;
                        return;
                }
                if (!registered[i].ptr && free_slot == REGISTERED_MAX)
                        free_slot = i;
        }
        if (free_slot < REGISTERED_MAX) {
                registered[free_slot].ptr = ptr;
                registered[free_slot].fd = fd;
        }
}

static uint64_t clock_ns(clockid_t c) {
        struct timespec ts;
        clock_gettime(c, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static unsigned log2_us(uint64_t ns) {
        uint64_t us = ns / 1000;
        unsigned b = 0;

        while (us > 0 && b < BUCKETS - 1) {
                us >>= 1;
                b++;
        }
        return b;
}

static int on_loop(void) {
        return have_loop && pthread_equal(pthread_self(), loop_thread);
}

/* A descriptor the current iteration used; named only when kept among the slowest. */
static void touch(int fd) {
        if (!on_loop() || fd < 0)
                return;
        for (unsigned i = 0; i < cur.n_fds; i++)
                if (cur.fds[i] == fd)
                        return;
        if (cur.n_fds < FDS_PER_STEP)
                cur.fds[cur.n_fds++] = fd;
}

/* A UNIX socket by its path (ours, or the peer's for a client socket), anything else by what
 * /proc says. */
static void name_fd(int fd, char *name, size_t size) {
        struct sockaddr_un sa;
        socklen_t len = sizeof(sa);
        char path[32];
        ssize_t n;

        if (getsockname(fd, (struct sockaddr *) &sa, &len) == 0 && sa.sun_family == AF_UNIX &&
            len > sizeof(sa_family_t) && sa.sun_path[0]) {
                snprintf(name, size, "unix:%.50s", strrchr(sa.sun_path, '/') ? strrchr(sa.sun_path, '/') + 1 : sa.sun_path);
                return;
        }
        len = sizeof(sa);
        if (getpeername(fd, (struct sockaddr *) &sa, &len) == 0 && sa.sun_family == AF_UNIX &&
            len > sizeof(sa_family_t) && sa.sun_path[0]) {
                snprintf(name, size, "peer:%.50s", strrchr(sa.sun_path, '/') ? strrchr(sa.sun_path, '/') + 1 : sa.sun_path);
                return;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, name, size - 1);
        name[n > 0 ? n : 0] = 0;
}

static void name_fds(struct step *s) {
        for (unsigned i = 0; i < s->n_fds; i++)
                name_fd(s->fds[i], s->names[i], sizeof(s->names[i]));
}

/* Called as the loop enters a wait: the iteration since the last return is complete. */
static void wait_begins(void) {
        uint64_t wall, cpu;
        unsigned slot = TOP;

        if (!have_loop) {
                loop_thread = pthread_self();
                have_loop = 1;
                start_wall = clock_ns(CLOCK_MONOTONIC);
        }
        if (!on_loop() || ret_wall == 0)
                return;
        wall = clock_ns(CLOCK_MONOTONIC) - ret_wall;
        cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - ret_cpu;
        {
                /* A voluntary switch inside an iteration is the loop blocking in a system call
                 * (satmcd's doing); an involuntary one is the scheduler taking the CPU away. */
                struct rusage ru;

                getrusage(RUSAGE_THREAD, &ru);
                cur.blocked = ru.ru_nvcsw - ret_nvcsw;
                preempted += ru.ru_nivcsw - ret_nivcsw;
                if (cur.blocked > 0) {
                        blocked_iterations++;
                        if (wall > blocked_wall_max)
                                blocked_wall_max = wall;
                }
        }
        hist_wall[log2_us(wall)]++;
        hist_cpu[log2_us(cpu)]++;
        iterations++;
        {
                unsigned k = cur.n_fds && cur.fds[0] < FDS_TRACKED ? (unsigned) cur.fds[0] : FDS_TRACKED;
                struct by_fd *b = &by_fd[k];

                if (b->n == 0 && k < FDS_TRACKED)
                        name_fd(cur.fds[0], b->name, sizeof(b->name));
                b->n++;
                b->cpu_ns += cpu;
                b->wall_ns += wall;
                if (wall > b->max_wall_ns)
                        b->max_wall_ns = wall;
                if (k < FDS_TRACKED && b->ready_at) {
                        uint64_t q = ret_wall > b->ready_at ? ret_wall - b->ready_at : 0;

                        b->queued_n++;
                        b->queued_ns += q;
                        b->queued_over_100us += q > 100000;
                        if (q > b->max_queued_ns)
                                b->max_queued_ns = q;
                        b->ready_at = 0;
                }
                b->over_500us += cpu > 500000;
                if (cpu > b->max_cpu_ns)
                        b->max_cpu_ns = cpu;
        }
        for (unsigned i = 0; i < TOP; i++)
                if (cpu > top[i].cpu_ns && (slot == TOP || top[i].cpu_ns < top[slot].cpu_ns))
                        slot = i;
        if (slot < TOP) {
                cur.cpu_ns = cpu;
                cur.wall_ns = wall;
                cur.at_ns = ret_wall - start_wall;
                cur.n_events = last_events;
                name_fds(&cur);
                top[slot] = cur;
        }
}

static void wait_ends(int n, const struct epoll_event *ev) {
        if (!on_loop())
                return;
        ret_wall = clock_ns(CLOCK_MONOTONIC);
        for (int i = 0; i < n; i++) {
                int fd = registered_fd(ev[i].data.ptr);

                if (fd >= 0 && fd < FDS_TRACKED && by_fd[fd].ready_at == 0)
                        by_fd[fd].ready_at = ret_wall;
        }
        ret_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        last_events = n > 0 ? (unsigned) n : 0;
        memset(&cur, 0, sizeof(cur));
        {
                struct rusage ru;

                getrusage(RUSAGE_THREAD, &ru);
                ret_nvcsw = ru.ru_nvcsw;
                ret_nivcsw = ru.ru_nivcsw;
        }
}

#define REAL(name) \
        static __typeof__(name) *real; \
        if (!real) \
                real = (__typeof__(name) *) dlsym(RTLD_NEXT, #name)

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
        REAL(epoll_wait);
        wait_begins();
        int n = real(epfd, ev, max, timeout);
        wait_ends(n, ev);
        return n;
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *ss) {
        REAL(epoll_pwait);
        wait_begins();
        int n = real(epfd, ev, max, timeout, ss);
        wait_ends(n, ev);
        return n;
}

int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *timeout,
                 const sigset_t *ss) {
        REAL(epoll_pwait2);
        wait_begins();
        int n = real(epfd, ev, max, timeout, ss);
        wait_ends(n, ev);
        return n;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
        REAL(epoll_ctl);
        if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && ev)
                register_fd(ev->data.ptr, fd);
        return real(epfd, op, fd, ev);
}

ssize_t read(int fd, void *buf, size_t len) {
        REAL(read);
        touch(fd);
        return real(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len) {
        REAL(write);
        touch(fd);
        return real(fd, buf, len);
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
        REAL(recv);
        touch(fd);
        return real(fd, buf, len, flags);
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
        REAL(send);
        touch(fd);
        return real(fd, buf, len, flags);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
        REAL(recvmsg);
        touch(fd);
        return real(fd, msg, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
        REAL(sendmsg);
        touch(fd);
        return real(fd, msg, flags);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
        REAL(writev);
        touch(fd);
        return real(fd, iov, n);
}

static void print_hist(FILE *f, const char *what, const uint64_t *h) {
        fprintf(f, "%s:", what);
        for (unsigned b = 0; b < BUCKETS; b++)
                if (h[b])
                        fprintf(f, " <%lluus=%llu", 1ull << b, (unsigned long long) h[b]);
        fprintf(f, "\n");
}

static int by_cpu(const void *a, const void *b) {
        const struct step *x = a, *y = b;
        return x->cpu_ns < y->cpu_ns ? 1 : x->cpu_ns > y->cpu_ns ? -1 : 0;
}

__attribute__((destructor)) static void report(void) {
        const char *out = getenv("LOOP_STALL_OUT");
        FILE *f = out ? fopen(out, "ae") : stderr;

        if (!f || !have_loop)
                return;
        fprintf(f, "loop-stall: %llu iterations, %llu of them blocked in a call (longest %.1fus wall), "
                "%ld preemptions inside iterations\n", (unsigned long long) iterations,
                (unsigned long long) blocked_iterations, blocked_wall_max / 1e3, preempted);
        print_hist(f, "wall", hist_wall);
        print_hist(f, "cpu", hist_cpu);
        for (unsigned k = 0; k <= FDS_TRACKED; k++) {
                const struct by_fd *b = &by_fd[k];

                if (!b->n)
                        continue;
                if (k < FDS_TRACKED)
                        fprintf(f, "first-fd %u (%s):", k, b->name);
                else
                        fprintf(f, "no descriptor (timers):");
                fprintf(f, " iterations=%llu cpu-mean=%.1fus cpu-max=%.1fus over-500us=%llu "
                        "wall-mean=%.1fus wall-max=%.1fus",
                        (unsigned long long) b->n, b->cpu_ns / 1e3 / b->n, b->max_cpu_ns / 1e3,
                        (unsigned long long) b->over_500us, b->wall_ns / 1e3 / b->n, b->max_wall_ns / 1e3);
                if (b->queued_n)
                        fprintf(f, " queued-mean=%.1fus queued-max=%.1fus queued-over-100us=%llu",
                                b->queued_ns / 1e3 / b->queued_n, b->max_queued_ns / 1e3,
                                (unsigned long long) b->queued_over_100us);
                fprintf(f, "\n");
        }
        qsort(top, TOP, sizeof(top[0]), by_cpu);
        for (unsigned i = 0; i < TOP && top[i].cpu_ns; i++) {
                fprintf(f, "slow: cpu=%.1fus wall=%.1fus at=%.3fs events=%u blocked=%ld fds:",
                        top[i].cpu_ns / 1e3, top[i].wall_ns / 1e3, top[i].at_ns / 1e9, top[i].n_events,
                        top[i].blocked);
                for (unsigned j = 0; j < top[i].n_fds; j++)
                        fprintf(f, " %d=%s", top[i].fds[j], top[i].names[j]);
                fprintf(f, "\n");
        }
        if (f != stderr)
                fclose(f);
}
