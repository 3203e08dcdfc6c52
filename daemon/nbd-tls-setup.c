/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "nbd-tls-setup.h"

bool nbd_tls_setup_wanted(const struct satmc_config *c) {
        return c->nbd_tls != NBD_TLS_OFF || c->nbd_socket_tls != NBD_TLS_OFF;
}

int nbd_tls_setup_creds(const struct satmc_config *c, struct nbd_tls_creds **ret) {
        struct nbd_tls_config t = {
                .psk_file = c->nbd_tls_psk_file,
                .cert_file = c->nbd_tls_certificate,
                .key_file = c->nbd_tls_key,
                .ca_file = c->nbd_tls_ca,
                .verify_peer = c->nbd_tls_verify_peer,
        };
        struct nbd_tls_creds *creds;
        char error[512];
        int r;

        *ret = NULL;
        if (!nbd_tls_setup_wanted(c))
                return 0;
        r = nbd_tls_creds_load(&t, &creds, error, sizeof(error));
        if (r == -ENOMEM)
                return log_error_errno(r, "NBD TLS: %m");
        if (r < 0) {
                log_error("NBD TLS: %s", error);
                return r;
        }
        log_info("NBD TLS: %s on TCP, %s on the UNIX socket; %zu pre-shared key%s%s.",
                 nbd_tls_mode_name(c->nbd_tls), nbd_tls_mode_name(c->nbd_socket_tls),
                 nbd_tls_creds_psk_count(creds),
                 nbd_tls_creds_psk_count(creds) == 1 ? "" : "s",
                 nbd_tls_creds_has_x509(creds) ? (c->nbd_tls_verify_peer ?
                        ", an X.509 certificate, client certificates verified" :
                        ", an X.509 certificate") : "");
        *ret = creds;
        return 0;
}

static bool named(const char *list, const char *name) {
        size_t len = strlen(name);

        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, " ,\t");

                if (n == len && memcmp(p, name, len) == 0)
                        return true;
                p += n;
                p += strspn(p, " ,\t");
        }
        return false;
}

void nbd_tls_setup_public(const struct satmc_config *c, struct nbd_export *exports, size_t n) {
        for (size_t i = 0; i < n; i++)
                /* config-nbd-tls.c refused writable ones; a write-protected device's state
                 * may change, the rule does not. */
                exports[i].tls_public = !exports[i].writable &&
                                        named(c->nbd_tls_public_exports, exports[i].name);
}

void nbd_tls_setup_reload(struct nbd_server *s, const struct satmc_config *c) {
        _cleanup_(nbd_tls_creds_unrefp) struct nbd_tls_creds *creds = NULL;

        if (!s || !nbd_tls_setup_wanted(c))
                return;
        if (nbd_tls_setup_creds(c, &creds) < 0) {
                log_error("NBD TLS: keeping the running keys and certificates.");
                return;
        }
        nbd_server_set_tls_creds(s, creds);
}
