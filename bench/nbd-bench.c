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
 * Prints one line "key=value ..." so a script can pick figures out of it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "protocol/nbd-wire.h"

#define BLOCK 4096

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what) {
        fprintf(stderr, "nbd-bench: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static void read_exact(int fd, void *buf, size_t n) {
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = read(fd, p, n);

                if (k <= 0) {
                        if (k == 0)
                                errno = ECONNRESET;
                        die("read");
                }
                p += k;
                n -= (size_t) k;
        }
}

static void write_exact(int fd, const void *buf, size_t n) {
        if (write(fd, buf, n) != (ssize_t) n)
                die("write");
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

/* Connect and negotiate the empty export name with OPT_GO. Returns the fd, export size in *size. */
static int connect_go(const char *path, uint64_t *size) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint8_t buf[256], flags[4] = { 0, 0, 0, 3 };
        uint8_t go[NBD_OPTION_HEADER_SIZE + 6];
        int fd;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("connect");
        read_exact(fd, buf, NBD_GREETING_SIZE);
        if (be64(buf) != NBD_MAGIC || be64(buf + 8) != NBD_IHAVEOPT)
                die("greeting");
        /* Flags and GO in one write, as libnbd does. */
        (void) nbd_encode_option_header(go, sizeof(go), NBD_OPT_GO, 6);
        memset(go + NBD_OPTION_HEADER_SIZE, 0, 6);
        memcpy(buf, flags, 4);
        memcpy(buf + 4, go, sizeof(go));
        write_exact(fd, buf, 4 + sizeof(go));
        for (;;) {
                uint32_t type, len;

                read_exact(fd, buf, NBD_OPTION_REPLY_HEADER_SIZE);
                type = be32(buf + 12);
                len = be32(buf + 16);
                if (len > sizeof(buf)) {
                        errno = EMSGSIZE;
                        die("option reply");
                }
                read_exact(fd, buf, len);
                if (type == NBD_REP_ACK)
                        return fd;
                if (type & NBD_REP_FLAG_ERROR) {
                        errno = EPROTO;
                        die("OPT_GO refused");
                }
                if (type == NBD_REP_INFO && len >= 12 && buf[0] == 0 && buf[1] == NBD_INFO_EXPORT)
                        *size = be64(buf + 2);
        }
}

static void disconnect(int fd) {
        struct nbd_request req = { .type = NBD_CMD_DISC };
        uint8_t buf[NBD_REQUEST_SIZE];

        (void) nbd_encode_request(buf, sizeof(buf), &req);
        write_exact(fd, buf, sizeof(buf));
        close(fd);
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
                int fd = connect_go(path, &size);

                t[i] = (now() - t0) * 1000;
                disconnect(fd);
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

static void send_read(int fd, uint64_t blocks, uint64_t cookie) {
        struct nbd_request req = {
                .type = NBD_CMD_READ,
                .cookie = cookie,
                .offset = (next_rand() % blocks) * BLOCK,
                .length = BLOCK,
        };
        uint8_t buf[NBD_REQUEST_SIZE];

        (void) nbd_encode_request(buf, sizeof(buf), &req);
        write_exact(fd, buf, sizeof(buf));
}

/* Reads at depth qd until seconds pass (or count replies when count > 0). */
static void bench_read(const char *path, unsigned qd, double seconds, unsigned long count) {
        static uint8_t data[NBD_SIMPLE_REPLY_SIZE + BLOCK];
        uint64_t size = 0, blocks, done = 0, sent = 0;
        double t0, end, elapsed;
        int fd = connect_go(path, &size);

        blocks = size / BLOCK;
        if (blocks == 0) {
                errno = EINVAL;
                die("export smaller than 4 KiB");
        }
        t0 = now();
        end = t0 + seconds;
        for (; sent < qd && (count == 0 || sent < count); sent++)
                send_read(fd, blocks, sent);
        for (;;) {
                read_exact(fd, data, sizeof(data));
                if (be32(data) != NBD_SIMPLE_REPLY_MAGIC || be32(data + 4) != 0) {
                        errno = EIO;
                        die("read reply");
                }
                done++;
                if (count > 0 ? sent < count : (done % 64 != 0 || now() < end)) {
                        send_read(fd, blocks, sent++);
                        continue;
                }
                if (done == sent)
                        break;
        }
        elapsed = now() - t0;
        printf("qd=%u reads=%llu seconds=%.3f iops=%.0f\n", qd, (unsigned long long) done, elapsed,
               (double) done / elapsed);
        disconnect(fd);
}

int main(int argc, char **argv) {
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
