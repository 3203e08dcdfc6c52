/* SPDX-License-Identifier: MIT */
/*
 * What a listener's TLS mode lets a client do before and after NBD_OPT_STARTTLS: a pure
 * function of the mode, whether TLS is up, and the option, so that the rule is one table that
 * the server, the unit tests and the fuzzer all use.
 *
 *   off      STARTTLS is refused (NBD_REP_ERR_UNSUP); everything else is served in plain.
 *   on       STARTTLS upgrades; in plain, only exports marked public are listed or served,
 *            every other name (unknown ones too, so names cannot be probed) gets
 *            NBD_REP_ERR_TLS_REQD.
 *   require  before the upgrade every option but STARTTLS and ABORT gets NBD_REP_ERR_TLS_REQD
 *            (EXPORT_NAME, which has no error reply, is hung up on): no name or size leaks.
 * After the upgrade STARTTLS again is NBD_REP_ERR_INVALID and everything is served.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum nbd_tls_mode {
        NBD_TLS_OFF,
        NBD_TLS_ON,
        NBD_TLS_REQUIRE,
};

enum nbd_tls_verdict {
        NBD_TLS_SERVE,          /* answer the option as without TLS (subject to visibility) */
        NBD_TLS_START,          /* STARTTLS accepted: NBD_REP_ACK, then the TLS handshake */
        NBD_TLS_REFUSE_REQD,    /* NBD_REP_ERR_TLS_REQD */
        NBD_TLS_REFUSE_UNSUP,   /* STARTTLS on a listener without TLS: NBD_REP_ERR_UNSUP */
        NBD_TLS_REFUSE_INVALID, /* STARTTLS with data, or once TLS is up: NBD_REP_ERR_INVALID */
        NBD_TLS_HANG_UP,        /* EXPORT_NAME before TLS under require: no refusal exists */
};

enum nbd_tls_verdict nbd_tls_option_verdict(enum nbd_tls_mode mode, bool tls_active,
                                            uint32_t option, uint32_t length);

/* Whether an export may be listed, described or served to this client. */
bool nbd_tls_export_visible(enum nbd_tls_mode mode, bool tls_active, bool export_public);

/* "off", "on", "require"; NULL for an unknown mode. And back: 0 or -EINVAL. */
const char *nbd_tls_mode_name(enum nbd_tls_mode mode);
int nbd_tls_mode_from_name(const char *name, enum nbd_tls_mode *ret);
