/* SPDX-License-Identifier: MIT */
/*
 * What the NBD server tests (test-nbd-server, test-nbd-tls) share: an export that is a buffer
 * in memory, EXPORT_SIZE bytes (the includer defines it), and a loopback TCP port to listen on.
 * Include after <cmocka.h>.
 */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/nbd-server.h"

#ifndef EXPORT_SIZE
#error "define EXPORT_SIZE, the size of the memory export, before including nbd-memory-export.h"
#endif

static uint64_t ex_size(void *export) {
        return EXPORT_SIZE;
}

static int ex_read(void *export, uint64_t off, void *buf, size_t len) {
        memcpy(buf, (uint8_t *) export + off, len);
        return 0;
}

static int ex_write(void *export, uint64_t off, const void *buf, size_t len) {
        memcpy((uint8_t *) export + off, buf, len);
        return 0;
}

/* Memory the server may send from directly (a READ at queue depth 1 on a plain socket). */
static const void *ex_map(void *export, uint64_t off, size_t len) {
        return (const uint8_t *) export + off;
}

/* The export's userdata is its buffer. */
static const struct nbd_export_ops ex_ops = {
        .size = ex_size,
        .read = ex_read,
        .write = ex_write,
        .map = ex_map,
};

/* A TCP port free a moment ago. The server binds it right after; a clash only fails setup. */
static uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}
