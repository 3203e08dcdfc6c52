/* SPDX-License-Identifier: MIT */
/*
 * A server for ipmitool's "dummy" interface (ipmitool -I dummy): a UNIX stream socket on which
 * each ipmitool process sends requests one at a time (protocol/ipmi-dummy.h). It accepts
 * clients, frames their byte streams into requests and hands each to a callback, which answers
 * it with ipmitool_client_reply() — at once (satmcd's dispatcher) or later (the IPMB bridge,
 * after the satellite answered). A client gets its next request handed over only after the
 * previous one was answered, as ipmitool expects.
 *
 * A client that sends something that can never be a request (a length over the IPMI maximum,
 * an impossible netFn or LUN) is disconnected with one log line; everyone else keeps being
 * served. The BYE message closes a connection cleanly. A client that sends part of a request
 * and stalls is closed after a timeout (ipmitool writes a request in one write()).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "protocol/ipmi-dummy.h"

struct ipmitool_socket;
struct ipmitool_client;

struct ipmitool_socket_ops {
        /* A request arrived; answer it exactly once with ipmitool_client_reply(). */
        void (*request)(struct ipmitool_client *c, const struct ipmi_dummy_request *req, void *userdata);
        /* The client is going away (hang-up, BYE, protocol error); forget any reference to it.
         * Optional. A pending request of this client must not be answered after this. */
        void (*disconnect)(struct ipmitool_client *c, void *userdata);
};

/* How many, how long, which permissions. */
struct ipmitool_socket_settings {
        unsigned max_clients;           /* connections at once, >= 1 */
        /* A request begun (its first bytes received) must be complete this long after: a client
         * that sends part of one and stalls is closed. 0: never (tests only). */
        uint64_t request_timeout_usec;
        mode_t socket_mode;             /* of a socket created at path (not of a passed one) */
};

/*
 * Listen on path (created with settings->socket_mode whatever the umask; a stale socket left
 * by a dead process is replaced, a live one and anything that is not a socket are not: see
 * unix_socket_listen()), or on listen_fd if it is >= 0 (socket activation; path then only
 * names it in logs). At most max_clients connections at once. A newcomer beyond that makes
 * room by closing the connection idle the longest (nothing received since its last answer);
 * it is refused (accepted and closed at once) only while every connection is in the middle of
 * a request. A request that stalls half-sent is cut at request_timeout_usec after its first
 * byte, so the refusals last at most that long. listen_fd is taken over: it is closed with the
 * socket, and on failure.
 */
int ipmitool_socket_new(sd_event *event, const char *path, int listen_fd,
                        const struct ipmitool_socket_settings *settings,
                        const struct ipmitool_socket_ops *ops, void *userdata,
                        struct ipmitool_socket **ret);
struct ipmitool_socket *ipmitool_socket_free(struct ipmitool_socket *s);
static inline void ipmitool_socket_freep(struct ipmitool_socket **s) {
        ipmitool_socket_free(*s);
}

/* Answer the client's current request. Returns 0, or -errno when the client was dropped
 * (it stopped reading, or hung up). */
int ipmitool_client_reply(struct ipmitool_client *c, const struct ipmi_dummy_response *rsp);

/* Connection statistics, for counters. */
struct ipmitool_socket_stats {
        unsigned long long accepted, refused, evicted, timeouts, requests, protocol_errors;
};
const struct ipmitool_socket_stats *ipmitool_socket_get_stats(const struct ipmitool_socket *s);
/* The statistics as one line, "ipmitool-socket[ LABEL]: accepted=N refused=N ...", the form
 * satmcd and the bridge print on SIGUSR1 and at exit (and tests parse). label may be NULL. */
void ipmitool_socket_print_stats(const struct ipmitool_socket *s, const char *label, FILE *f);
