/* SPDX-License-Identifier: MIT */
/*
 * TLS for the NBD server, with GnuTLS: credentials (PSK from a "username:hexkey" file as
 * psktool writes it, and/or an X.509 certificate and key, with a CA to verify client
 * certificates against) and non-blocking server sessions on a connected socket.
 *
 * The caller (satmcd's daemon/ or a tool) decides which files; this loads and uses them. The
 * PSK file is read once at load: later edits take effect when the caller loads anew (satmcd:
 * on reload) and a running connection keeps the credentials it started with (reference
 * counted). Key material is wiped from memory when freed; nothing here logs a key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct nbd_tls_config {
        const char *psk_file;           /* NULL: no PSK */
        const char *cert_file;          /* PEM server certificate (chain); NULL: no X.509 */
        const char *key_file;           /* PEM private key of cert_file */
        const char *ca_file;            /* PEM CAs that client certificates must chain to */
        bool verify_peer;               /* X.509: require a valid client certificate (ca_file) */
};

struct nbd_tls_creds;

/* Load what config names. 0, or -errno with a message for the operator in error (it names the
 * file and, for a PSK file, the line; never a key). */
int nbd_tls_creds_load(const struct nbd_tls_config *config, struct nbd_tls_creds **ret,
                       char *error, size_t error_size);
struct nbd_tls_creds *nbd_tls_creds_ref(struct nbd_tls_creds *c);
struct nbd_tls_creds *nbd_tls_creds_unref(struct nbd_tls_creds *c);     /* NULL-safe */
static inline void nbd_tls_creds_unrefp(struct nbd_tls_creds **c) {
        nbd_tls_creds_unref(*c);
}
/* How many PSK identities were loaded, and whether an X.509 certificate was. */
size_t nbd_tls_creds_psk_count(const struct nbd_tls_creds *c);
bool nbd_tls_creds_has_x509(const struct nbd_tls_creds *c);

struct nbd_tls_session;

/* A server session on fd (non-blocking; not taken over). 0 or -errno. */
int nbd_tls_session_new(struct nbd_tls_creds *creds, int fd, struct nbd_tls_session **ret);
/* Send close_notify if it fits in the socket at once, then free. NULL-safe. */
void nbd_tls_session_free(struct nbd_tls_session *t);

/* Drive the handshake: 0 when done, -EAGAIN to be called again once the socket is ready in
 * the direction nbd_tls_wants_write() says, any other -errno when it failed
 * (nbd_tls_error() says why). */
int nbd_tls_handshake(struct nbd_tls_session *t);
bool nbd_tls_wants_write(const struct nbd_tls_session *t);

/* Like recv()/send() on the socket: bytes moved, 0 at a clean end of the stream (recv),
 * -EAGAIN, -ECONNRESET, or -EPROTO on a TLS failure (nbd_tls_error() says which). A send that
 * returned -EAGAIN must be repeated with the same buffer (more may follow it). */
ssize_t nbd_tls_recv(struct nbd_tls_session *t, void *buf, size_t len);
ssize_t nbd_tls_send(struct nbd_tls_session *t, const void *buf, size_t len);
/* Decrypted bytes GnuTLS holds that a recv would return without the socket being readable. */
size_t nbd_tls_pending(const struct nbd_tls_session *t);

/* Why the last call failed, for logs: GnuTLS's text, plus the verification status of a
 * refused client certificate. */
const char *nbd_tls_error(const struct nbd_tls_session *t);
/* After the handshake: who the peer is ("PSK identity alice", "X.509 <DN>", "X.509 (no
 * client certificate)") and the protocol/cipher, for logs. */
const char *nbd_tls_peer(const struct nbd_tls_session *t);
