/* SPDX-License-Identifier: MIT */
/*
 * nbd-bench: a small raw-socket NBD client that measures a server on a UNIX socket, so
 * satmc-nbd-serve, nbdkit and qemu-nbd are measured by the same client (bench/nbd-bench.sh
 * runs all three). No libnbd: the fixed-newstyle handshake with NBD_OPT_GO on the empty
 * name, then pipelined 4 KiB simple-reply READs at random 4 KiB-aligned offsets.
 *
 *   nbd-bench SOCKET handshake N        median/p90 of N connect..GO-ACK times, in ms
 *   nbd-bench SOCKET read QD SECONDS    4 KiB random-read IOPS at queue depth QD
 *   nbd-bench SOCKET count QD N         exactly N reads at depth QD (for strace -c)
 *
 * With NBD_BENCH_PSK=FILE in the environment (a psktool file; its first line's identity is
 * used) every connection upgrades with NBD_OPT_STARTTLS and a GnuTLS PSK handshake before
 * NBD_OPT_GO, as libnbd's tls-psk-file= does: the handshake figure then includes TLS.
 *
 * Prints one line "key=value ..." so a script can pick figures out of it. A read run also says
 * where the client's own time went, per read, in µs: client_cpu_us on a CPU (from
 * /proc/self/schedstat; client_user_us and client_sys_us split it as getrusage() does) and
 * client_wait_us runnable but waiting for a CPU (the machine's load, not the server's doing).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "protocol/nbd-wire.h"

#define BLOCK 4096
#define TLS_PRIORITY "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"

struct conn {
        int fd;
        gnutls_session_t tls;           /* NULL: plain */
};

/* NBD_BENCH_PSK, read once: the identity and hex key of its first line. */
static char psk_user[600], psk_key[600];
static gnutls_psk_client_credentials_t psk_creds;

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* This thread's time on a CPU and waiting on a runqueue, in ns (0 0 without schedstats). */
static void schedstat(unsigned long long *run, unsigned long long *wait) {
        FILE *f = fopen("/proc/thread-self/schedstat", "re");

        *run = *wait = 0;
        if (f) {
                if (fscanf(f, "%llu %llu", run, wait) != 2)
                        *run = *wait = 0;
                fclose(f);
        }
}

static double tv_us(struct timeval tv) {
        return (double) tv.tv_sec * 1e6 + (double) tv.tv_usec;
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

static void die(const char *what) {
        fprintf(stderr, "nbd-bench: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static void read_exact(struct conn *c, void *buf, size_t n) {
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = c->tls ? gnutls_record_recv(c->tls, p, n) : read(c->fd, p, n);

                if (k <= 0) {
                        if (k == 0)
                                errno = ECONNRESET;
                        die("read");
                }
                p += k;
                n -= (size_t) k;
        }
}

static void write_exact(struct conn *c, const void *buf, size_t n) {
        const uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = c->tls ? gnutls_record_send(c->tls, p, n) : write(c->fd, p, n);

                if (k <= 0)
                        die("write");
                p += k;
                n -= (size_t) k;
        }
}

static void load_psk(const char *path) {
        FILE *f = fopen(path, "re");
        char line[600], *colon = NULL;
        gnutls_datum_t key;

        if (f && fgets(line, sizeof(line), f))
                colon = strchr(line, ':');
        if (f)
                fclose(f);
        if (!colon)
                die("NBD_BENCH_PSK: cannot read username:hexkey");
        *colon = '\0';
        line[strcspn(colon + 1, "\r\n") + (size_t) (colon + 1 - line)] = '\0';
        snprintf(psk_user, sizeof(psk_user), "%s", line);
        snprintf(psk_key, sizeof(psk_key), "%s", colon + 1);
        key = (gnutls_datum_t) { .data = (unsigned char *) psk_key, .size = strlen(psk_key) };
        if (gnutls_psk_allocate_client_credentials(&psk_creds) < 0 ||
            gnutls_psk_set_client_credentials(psk_creds, psk_user, &key, GNUTLS_PSK_KEY_HEX) < 0)
                die("PSK credentials");
}

/* STARTTLS (its ACK read), then the PSK handshake on the connection. */
static void start_tls(struct conn *c) {
        uint8_t reply[NBD_OPTION_REPLY_HEADER_SIZE];
        int r;

        read_exact(c, reply, sizeof(reply));
        if (be32(reply + 12) != NBD_REP_ACK || be32(reply + 16) != 0) {
                errno = EPROTO;
                die("STARTTLS refused");
        }
        if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL) < 0 ||
            gnutls_priority_set_direct(c->tls, TLS_PRIORITY, NULL) < 0 ||
            gnutls_credentials_set(c->tls, GNUTLS_CRD_PSK, psk_creds) < 0)
                die("gnutls session");
        gnutls_transport_set_int(c->tls, c->fd);
        do
                r = gnutls_handshake(c->tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        if (r < 0) {
                fprintf(stderr, "nbd-bench: TLS handshake: %s\n", gnutls_strerror(r));
                exit(EXIT_FAILURE);
        }
}

/* Connect, upgrade to TLS if NBD_BENCH_PSK says so, and negotiate the empty export name with
 * OPT_GO. Returns the connection, export size in *size. */
static struct conn connect_go(const char *path, uint64_t *size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint8_t buf[256], flags[4] = { 0, 0, 0, 3 };
        uint8_t go[NBD_OPTION_HEADER_SIZE + 6];
        struct conn conn = { .fd = -1 }, *c = &conn;

        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                die("socket");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("connect");
        read_exact(c, buf, NBD_GREETING_SIZE);
        if (be64(buf) != NBD_MAGIC || be64(buf + 8) != NBD_IHAVEOPT)
                die("greeting");
        (void) nbd_encode_option_header(go, sizeof(go), NBD_OPT_GO, 6);
        memset(go + NBD_OPTION_HEADER_SIZE, 0, 6);
        memcpy(buf, flags, 4);
        if (psk_creds) {
                /* Flags and STARTTLS in one write, then GO inside TLS. */
                (void) nbd_encode_option_header(buf + 4, NBD_OPTION_HEADER_SIZE, NBD_OPT_STARTTLS, 0);
                write_exact(c, buf, 4 + NBD_OPTION_HEADER_SIZE);
                start_tls(c);
                write_exact(c, go, sizeof(go));
        } else {
                /* Flags and GO in one write, as libnbd does. */
                memcpy(buf + 4, go, sizeof(go));
                write_exact(c, buf, 4 + sizeof(go));
        }
        for (;;) {
                uint32_t type, len;

                read_exact(c, buf, NBD_OPTION_REPLY_HEADER_SIZE);
                type = be32(buf + 12);
                len = be32(buf + 16);
                if (len > sizeof(buf)) {
                        errno = EMSGSIZE;
                        die("option reply");
                }
                read_exact(c, buf, len);
                if (type == NBD_REP_ACK)
                        return conn;
                if (type & NBD_REP_FLAG_ERROR) {
                        errno = EPROTO;
                        die("OPT_GO refused");
                }
                if (type == NBD_REP_INFO && len >= 12 && buf[0] == 0 && buf[1] == NBD_INFO_EXPORT)
                        *size = be64(buf + 2);
        }
}

static void disconnect(struct conn *c) {
        struct nbd_request req = { .type = NBD_CMD_DISC };
        uint8_t buf[NBD_REQUEST_SIZE];

        (void) nbd_encode_request(buf, sizeof(buf), &req);
        write_exact(c, buf, sizeof(buf));
        if (c->tls) {
                (void) gnutls_bye(c->tls, GNUTLS_SHUT_WR);
                gnutls_deinit(c->tls);
        }
        close(c->fd);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static void bench_handshake(const char *path, unsigned n) {
        double *t = calloc(n, sizeof(double));
        uint64_t size = 0;

        if (!t)
                die("calloc");
        for (unsigned i = 0; i < n; i++) {
                double t0 = now();
                struct conn c = connect_go(path, &size);

                t[i] = (now() - t0) * 1000;
                disconnect(&c);
        }
        qsort(t, n, sizeof(double), cmp_double);
        printf("handshake_ms_median=%.4f handshake_ms_p90=%.4f n=%u\n", t[n / 2], t[n * 9 / 10], n);
        free(t);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static void send_read(struct conn *c, uint64_t blocks, uint64_t cookie) {
        struct nbd_request req = {
                .type = NBD_CMD_READ,
                .cookie = cookie,
                .offset = (next_rand() % blocks) * BLOCK,
                .length = BLOCK,
        };
        uint8_t buf[NBD_REQUEST_SIZE];

        (void) nbd_encode_request(buf, sizeof(buf), &req);
        write_exact(c, buf, sizeof(buf));
}

/* Reads at depth qd until seconds pass (or count replies when count > 0). */
static void bench_read(const char *path, unsigned qd, double seconds, unsigned long count) {
        static uint8_t data[NBD_SIMPLE_REPLY_SIZE + BLOCK];
        uint64_t size = 0, blocks, done = 0, sent = 0;
        unsigned long long run0, wait0, run1, wait1;
        struct rusage ru0, ru1;
        double t0, end, elapsed, user, sys, cpu;
        struct conn c = connect_go(path, &size);

        blocks = size / BLOCK;
        if (blocks == 0) {
                errno = EINVAL;
                die("export smaller than 4 KiB");
        }
        (void) getrusage(RUSAGE_SELF, &ru0);
        schedstat(&run0, &wait0);
        t0 = now();
        end = t0 + seconds;
        for (; sent < qd && (count == 0 || sent < count); sent++)
                send_read(&c, blocks, sent);
        for (;;) {
                read_exact(&c, data, sizeof(data));
                if (be32(data) != NBD_SIMPLE_REPLY_MAGIC || be32(data + 4) != 0) {
                        errno = EIO;
                        die("read reply");
                }
                done++;
                if (count > 0 ? sent < count : (done % 64 != 0 || now() < end)) {
                        send_read(&c, blocks, sent++);
                        continue;
                }
                if (done == sent)
                        break;
        }
        elapsed = now() - t0;
        schedstat(&run1, &wait1);
        (void) getrusage(RUSAGE_SELF, &ru1);
        user = tv_us(ru1.ru_utime) - tv_us(ru0.ru_utime);
        sys = tv_us(ru1.ru_stime) - tv_us(ru0.ru_stime);
        /* getrusage() is tick-sampled: it only splits the exact on-CPU time. */
        if (user + sys <= 0)
                user = sys = 1;
        cpu = (double) (run1 - run0) / 1e3 / (double) done;
        printf("qd=%u reads=%llu seconds=%.3f iops=%.0f client_cpu_us=%.2f client_user_us=%.2f "
               "client_sys_us=%.2f client_wait_us=%.2f\n", qd, (unsigned long long) done, elapsed,
               (double) done / elapsed, cpu, cpu * user / (user + sys), cpu * sys / (user + sys),
               (double) (wait1 - wait0) / 1e3 / (double) done);
        disconnect(&c);
}

int main(int argc, char **argv) {
        if (getenv("NBD_BENCH_PSK"))
                load_psk(getenv("NBD_BENCH_PSK"));
        if (argc == 4 && strcmp(argv[2], "handshake") == 0)
                bench_handshake(argv[1], (unsigned) strtoul(argv[3], NULL, 10) ?: 1);
        else if (argc == 5 && strcmp(argv[2], "read") == 0)
                bench_read(argv[1], (unsigned) strtoul(argv[3], NULL, 10), strtod(argv[4], NULL), 0);
        else if (argc == 5 && strcmp(argv[2], "count") == 0)
                bench_read(argv[1], (unsigned) strtoul(argv[3], NULL, 10), 1e9, strtoul(argv[4], NULL, 10));
        else {
                fprintf(stderr, "usage: nbd-bench SOCKET handshake N | read QD SECONDS | count QD N\n");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
