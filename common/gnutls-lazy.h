/* SPDX-License-Identifier: MIT */
#pragma once

/* GnuTLS, opened with dlopen() the first time NBD TLS credentials are loaded, not linked.
 *
 * Linked, libgnutls.so.30 brings eleven more libraries (p11-kit, nettle, hogweed, gmp, tasn1,
 * idn2, unistring, ffi, ...) into every satmcd, TLS configured or not: about 2 MiB of PSS,
 * 250 KiB of relocated (private, dirty) pages, and their loading and constructors at every
 * start (docs/performance.md, "Memory and start-up"). Most boards serve NBD on the UNIX socket
 * only, without TLS, and pay nothing now.
 *
 * common/nbd-tls.c is the one user: it includes gnutls-lazy-calls.h after the GnuTLS headers,
 * which turns each gnutls_*() call into a call through gnutls_lazy. */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* GnuTLS 3.x (meson asks for >= 3.6) has had this soname since 3.4. */
#define GNUTLS_LAZY_SONAME "libgnutls.so.30"

/* Every GnuTLS function (and the two allocator variables) nbd-tls.c uses. */
#define GNUTLS_LAZY_SYMBOLS(X) \
        X(gnutls_alert_send_appropriate) \
        X(gnutls_bye) \
        X(gnutls_certificate_allocate_credentials) \
        X(gnutls_certificate_free_credentials) \
        X(gnutls_certificate_get_peers) \
        X(gnutls_certificate_server_set_request) \
        X(gnutls_certificate_set_known_dh_params) \
        X(gnutls_certificate_set_x509_key_file) \
        X(gnutls_certificate_set_x509_trust_file) \
        X(gnutls_certificate_type_get) \
        X(gnutls_certificate_verification_status_print) \
        X(gnutls_credentials_set) \
        X(gnutls_deinit) \
        X(gnutls_error_is_fatal) \
        X(gnutls_free) \
        X(gnutls_handshake) \
        X(gnutls_handshake_set_timeout) \
        X(gnutls_init) \
        X(gnutls_malloc) \
        X(gnutls_memset) \
        X(gnutls_priority_deinit) \
        X(gnutls_priority_init) \
        X(gnutls_priority_set) \
        X(gnutls_psk_allocate_server_credentials) \
        X(gnutls_psk_free_server_credentials) \
        X(gnutls_psk_server_get_username) \
        X(gnutls_psk_set_server_credentials_function) \
        X(gnutls_psk_set_server_known_dh_params) \
        X(gnutls_record_check_pending) \
        X(gnutls_record_get_direction) \
        X(gnutls_record_recv) \
        X(gnutls_record_send) \
        X(gnutls_session_get_desc) \
        X(gnutls_session_get_ptr) \
        X(gnutls_session_get_verify_cert_status) \
        X(gnutls_session_set_ptr) \
        X(gnutls_session_set_verify_cert) \
        X(gnutls_strerror) \
        X(gnutls_transport_set_errno) \
        X(gnutls_transport_set_ptr) \
        X(gnutls_transport_set_pull_function) \
        X(gnutls_transport_set_pull_timeout_function) \
        X(gnutls_transport_set_push_function) \
        X(gnutls_x509_crt_deinit) \
        X(gnutls_x509_crt_get_dn3) \
        X(gnutls_x509_crt_import) \
        X(gnutls_x509_crt_init)

/* For each symbol, a pointer to it as the library exports it (a function, or for gnutls_malloc
 * and gnutls_free, the variable holding the function). */
#define GNUTLS_LAZY_MEMBER(s) __typeof__(s) *s;
struct gnutls_lazy {
        GNUTLS_LAZY_SYMBOLS(GNUTLS_LAZY_MEMBER)
};
#undef GNUTLS_LAZY_MEMBER

extern struct gnutls_lazy gnutls_lazy;

/* Open the library and resolve every symbol, once (thread-safe); later calls return the first
 * result. 0, or -ELIBACC with dlerror()'s text in error (size bytes), if the library or a
 * symbol is missing: TLS then cannot be configured, and that is said at the config check. */
int gnutls_lazy_load(char *error, size_t size);
