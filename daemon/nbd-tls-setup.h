/* SPDX-License-Identifier: MIT */
/*
 * satmcd's side of NBD TLS: the credentials [nbd] names, loaded at start and again at every
 * reload (a refused reload keeps the running ones), and which exports plain clients of a
 * tls = on listener may see. The mechanics are common/nbd-tls.c's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "nbd-server.h"

/* Whether any listener uses TLS. */
bool nbd_tls_setup_wanted(const struct satmc_config *c);
/* Load the credentials (NULL when no listener uses TLS); errors are logged. 0 or -errno. */
int nbd_tls_setup_creds(const struct satmc_config *c, struct nbd_tls_creds **ret);
/* Set tls_public on the exports tls-public-exports names. */
void nbd_tls_setup_public(const struct satmc_config *c, struct nbd_export *exports, size_t n);
/* On reload: load anew and hand the server the new credentials, or keep the old ones. */
void nbd_tls_setup_reload(struct nbd_server *s, const struct satmc_config *c);
