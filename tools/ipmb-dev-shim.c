/* SPDX-License-Identifier: MIT */
/*
 * ipmb-dev-shim: run a program written for the Linux ipmb-dev-int device (/dev/ipmb-N) on the
 * emulated bus, unchanged. Loaded with LD_PRELOAD, it turns an open() of /dev/ipmb-N into a
 * connection to satmc-i2c-bus that the bus serves at the driver's ABI (docs/emulated-bus.md):
 * one received message per read(), in the driver's layout, with O_NONBLOCK, poll() and short
 * read buffers behaving as the driver's do (a SOCK_SEQPACKET socket keeps message boundaries
 * and discards what a short buffer cannot hold). write() on that descriptor goes to the bus on
 * a second connection as a DEVWRITE and returns what the driver's write() returns: the count,
 * or -1 with EINVAL (bad lengths) or ENXIO (nobody ACKed the address).
 *
 *   SATMC_IPMB_DEV_BUS   the bus socket (required; without it every open() is the real one)
 *   SATMC_IPMB_DEV_ADDR  our 7-bit I2C slave address, as the device tree's reg without
 *                        I2C_OWN_SLAVE_ADDRESS, e.g. 0x3a for IPMB address 0x74 (required)
 *   SATMC_IPMB_DEV_MODE  i2c (the "i2c-protocol" property, the default) or smbus
 *
 * Only write() is wrapped; writev()/pwrite() on the device are not (no IPMB program we know
 * uses them). The descriptor table is not locked: open and close the device from one thread.
 */
/* We define open and open64 both; with 64-bit offsets the headers would alias one to the other.
 * glibc allows _TIME_BITS=64 (meson.build, 32-bit targets) only with them; the shim keeps no time. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol/emubus-wire.h"

#define SHIM_FDS 1024

/* For each descriptor we handed out as /dev/ipmb-N: its write connection + 1 (0 = not ours). */
static int writer_of[SHIM_FDS];
static uint8_t mode_of[SHIM_FDS];
static uint8_t write_tag;

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);

static void resolve_real(void) {
        if (!real_write)
                real_write = (ssize_t (*)(int, const void *, size_t)) dlsym(RTLD_NEXT, "write");
        if (!real_close)
                real_close = (int (*)(int)) dlsym(RTLD_NEXT, "close");
}

static bool is_ipmb_dev(const char *path) {
        const char *n = path + strlen("/dev/ipmb-");

        if (strncmp(path, "/dev/ipmb-", strlen("/dev/ipmb-")) != 0 || !*n)
                return false;
        for (; *n; n++)
                if (*n < '0' || *n > '9')
                        return false;
        return getenv("SATMC_IPMB_DEV_BUS") != NULL;
}

static int bus_connect(void) {
        const char *path = getenv("SATMC_IPMB_DEV_BUS");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                resolve_real();
                real_close(fd);
                return r;
        }
        return fd;
}

static int parse_config(uint8_t *addr7, enum emubus_ipmbdev_mode *mode) {
        const char *a = getenv("SATMC_IPMB_DEV_ADDR"), *m = getenv("SATMC_IPMB_DEV_MODE");
        unsigned long v;
        char *end;

        if (!a) {
                fprintf(stderr, "ipmb-dev-shim: SATMC_IPMB_DEV_ADDR is not set\n");
                return -EINVAL;
        }
        errno = 0;
        v = strtoul(a, &end, 0);
        if (errno || *end || end == a || !emubus_addr7_attachable((uint8_t) v) || v > 0x7F) {
                fprintf(stderr, "ipmb-dev-shim: SATMC_IPMB_DEV_ADDR=%s is not a 7-bit slave "
                        "address in 0x08..0x77\n", a);
                return -EINVAL;
        }
        *addr7 = (uint8_t) v;
        if (!m || strcmp(m, "i2c") == 0)
                *mode = EMUBUS_IPMBDEV_I2C;
        else if (strcmp(m, "smbus") == 0)
                *mode = EMUBUS_IPMBDEV_SMBUS;
        else {
                fprintf(stderr, "ipmb-dev-shim: SATMC_IPMB_DEV_MODE=%s: i2c or smbus\n", m);
                return -EINVAL;
        }
        return 0;
}

/* Send one packet and wait for the bus's one-packet answer of the given type. */
static int exchange(int fd, const struct emubus_msg *m, uint8_t want_type, uint8_t tag,
                    struct emubus_msg *ans) {
        uint8_t pkt[EMUBUS_PACKET_MAX], in[EMUBUS_PACKET_MAX];
        int n = emubus_encode(m, pkt, sizeof(pkt));

        if (n < 0)
                return n;
        while (send(fd, pkt, (size_t) n, MSG_NOSIGNAL) < 0)
                if (errno != EINTR)
                        return -EIO;
        for (;;) {
                ssize_t k = recv(fd, in, sizeof(in), 0);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -EIO;            /* the bus went away: as a dead adapter */
                if (emubus_decode(in, (size_t) k, ans) == 0 && ans->type == want_type &&
                    (want_type != EMUBUS_DEVWRITTEN || ans->tag == tag))
                        return 0;
        }
}

static int shim_open(int flags) {
        enum emubus_ipmbdev_mode mode;
        struct emubus_msg ans;
        uint8_t addr7;
        int reader = -1, writer = -1, r;

        resolve_real();
        r = parse_config(&addr7, &mode);
        if (r < 0)
                goto fail;
        reader = bus_connect();
        if (reader < 0) {
                r = reader;
                goto fail;
        }
        r = exchange(reader, &(struct emubus_msg) { .type = EMUBUS_IPMBDEV, .addr7 = addr7,
                                                    .mode = mode }, EMUBUS_IPMBDEV_OK, 0, &ans);
        if (r == 0 && ans.status != 0)
                r = -ans.status;        /* EADDRINUSE: another device has that address */
        if (r < 0)
                goto fail;
        writer = bus_connect();
        if (writer < 0) {
                r = writer;
                goto fail;
        }
        if (reader >= SHIM_FDS) {
                r = -EMFILE;
                goto fail;
        }
        if (!(flags & O_CLOEXEC))
                (void) fcntl(reader, F_SETFD, 0);
        if (flags & O_NONBLOCK)
                (void) fcntl(reader, F_SETFL, O_NONBLOCK);
        writer_of[reader] = writer + 1;
        mode_of[reader] = (uint8_t) mode;
        return reader;
fail:
        if (reader >= 0)
                real_close(reader);
        if (writer >= 0)
                real_close(writer);
        errno = -r;
        return -1;
}

ssize_t write(int fd, const void *buf, size_t count) {
        struct emubus_msg ans;
        uint8_t tag;
        int r;

        resolve_real();
        if (fd < 0 || fd >= SHIM_FDS || writer_of[fd] == 0)
                return real_write(fd, buf, count);

        /* More than a DEVWRITE carries is far over the driver's 240 anyway. */
        if (count > EMUBUS_DEVWRITE_MAX) {
                errno = EINVAL;
                return -1;
        }
        tag = write_tag++;
        r = exchange(writer_of[fd] - 1, &(struct emubus_msg) { .type = EMUBUS_DEVWRITE, .tag = tag,
                                                               .mode = mode_of[fd], .data = buf,
                                                               .len = count },
                     EMUBUS_DEVWRITTEN, tag, &ans);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        if (ans.status != 0) {
                errno = ans.status;
                return -1;
        }
        return (ssize_t) count;
}

int close(int fd) {
        resolve_real();
        if (fd >= 0 && fd < SHIM_FDS && writer_of[fd] != 0) {
                real_close(writer_of[fd] - 1);
                writer_of[fd] = 0;
        }
        return real_close(fd);
}

static mode_t mode_arg(int flags, va_list ap) {
        return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

#define WRAP_OPEN(name)                                                                 \
        int name(const char *path, int flags, ...) {                                    \
                static int (*real)(const char *, int, ...);                             \
                va_list ap;                                                             \
                mode_t mode;                                                            \
                                                                                        \
                va_start(ap, flags);                                                    \
                mode = mode_arg(flags, ap);                                             \
                va_end(ap);                                                             \
                if (is_ipmb_dev(path))                                          \
                        return shim_open(flags);                                        \
                if (!real)                                                              \
                        real = (int (*)(const char *, int, ...)) dlsym(RTLD_NEXT, #name); \
                return real(path, flags, mode);                                         \
        }

#define WRAP_OPENAT(name)                                                               \
        int name(int dirfd, const char *path, int flags, ...) {                         \
                static int (*real)(int, const char *, int, ...);                        \
                va_list ap;                                                             \
                mode_t mode;                                                            \
                                                                                        \
                va_start(ap, flags);                                                    \
                mode = mode_arg(flags, ap);                                             \
                va_end(ap);                                                             \
                if (is_ipmb_dev(path))                                          \
                        return shim_open(flags);                                        \
                if (!real)                                                              \
                        real = (int (*)(int, const char *, int, ...)) dlsym(RTLD_NEXT, #name); \
                return real(dirfd, path, flags, mode);                                  \
        }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
