/* SPDX-License-Identifier: MIT */
/*
 * [nbd] TLS keys: their parsers and the checks no single key can make. What is checked here,
 * at start and at every reload, with the file:line of the key that named the file:
 *   - a listener with TLS needs keys: a PSK file, or a certificate with its key;
 *   - the PSK file and the private key exist, are regular files we can open, and are
 *     accessible by their owner only (a key others can read is a key others have);
 *   - verifying clients needs a CA;
 *   - secure by default: the TCP listener with a writable export needs tls = require, unless
 *     insecure-tcp-writable says otherwise in so many words;
 *   - tls-public-exports names exports that exist and are read-only.
 * The files' contents are parsed when satmcd loads them (daemon/nbd-tls-setup.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-check.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/nbd-tls-policy.h"

int config_parse_nbd_tls_mode(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        if (nbd_tls_mode_from_name(value, dest) < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be off, on or require", k->name,
                         value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_string_or_none(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        return config_parse_string(k, value, dest, reason);
}

int config_parse_path_or_none(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        if (strcmp(value, "none") != 0 && value[0] != '/') {
                snprintf(reason, REASON_MAX, "%s must be an absolute path, or none", k->name);
                return -EINVAL;
        }
        return config_parse_string_or_none(k, value, dest, reason);
}

static unsigned key_line(struct load_state *s, const char *name) {
        size_t i;

        return config_find_key("nbd", name, &i) ? s->seen_line[i] : 0;
}

/* A file that holds a secret: there, a regular file, openable, and private to its owner. */
static void check_secret_file(struct load_state *s, const char *key, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        unsigned line = key_line(s, key);
        struct stat st;

        if (!path)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                config_report(s, line, "[nbd] %s %s: %s", key, path, strerror(errno));
                return;
        }
        if (!S_ISREG(st.st_mode)) {
                config_report(s, line, "[nbd] %s %s: not a regular file", key, path);
                return;
        }
        if (st.st_mode & 0077)
                config_report(s, line, "[nbd] %s %s: mode %04o lets others than its owner at the "
                              "key; chmod 600 it", key, path, (unsigned) (st.st_mode & 07777));
}

static void check_public_file(struct load_state *s, const char *key, const char *path) {
        if (path && access(path, R_OK) < 0)
                config_report(s, key_line(s, key), "[nbd] %s %s: %s", key, path, strerror(errno));
}

/* Each name in tls-public-exports: "sdr" or a FRU device's "fruN", read-only. */
static void check_public_exports(struct load_state *s) {
        const struct satmc_config *c = s->config;
        _cleanup_free_ char *copy = NULL;
        unsigned line = key_line(s, "tls-public-exports");
        char *save = NULL;

        if (!c->nbd_tls_public_exports)
                return;
        copy = strdup(c->nbd_tls_public_exports);
        if (!copy) {
                s->oom = true;
                return;
        }
        for (char *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
                unsigned id;
                int n = -1;

                if (strcmp(w, "sdr") == 0)
                        continue;
                if (sscanf(w, "fru%u%n", &id, &n) != 1 || (size_t) n != strlen(w) ||
                    id >= CONFIG_FRU_MAX || !c->fru[id].present) {
                        config_report(s, line, "[nbd] tls-public-exports: no export \"%s\" (sdr "
                                      "or fruN of a [fru.N] section)", w);
                        continue;
                }
                if (c->fru[id].nbd_writable)
                        config_report(s, line, "[nbd] tls-public-exports: %s is nbd-writable; a "
                                      "writable export is never served without TLS", w);
        }
}

void config_check_nbd_tls(struct load_state *s) {
        const struct satmc_config *c = s->config;
        bool tls = c->nbd_tls != NBD_TLS_OFF || c->nbd_socket_tls != NBD_TLS_OFF;
        bool writable = false;

        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++)
                writable |= c->fru[i].present && c->fru[i].nbd_writable;

        if (tls && !c->nbd_tls_psk_file && !c->nbd_tls_certificate)
                config_report(s, key_line(s, c->nbd_tls != NBD_TLS_OFF ? "tls" : "socket-tls"),
                              "[nbd] TLS needs keys: tls-psk-file, or tls-certificate and "
                              "tls-key");
        if (!!c->nbd_tls_certificate != !!c->nbd_tls_key)
                config_report(s, key_line(s, c->nbd_tls_key ? "tls-key" : "tls-certificate"),
                              "[nbd] tls-certificate and tls-key go together");
        if (c->nbd_tls_verify_peer && (!c->nbd_tls_ca || !c->nbd_tls_certificate))
                config_report(s, key_line(s, "tls-verify-peer"), "[nbd] tls-verify-peer needs "
                              "tls-ca (and a tls-certificate for the server)");
        /* Only when TLS is on: keys named for later are not the running daemon's business. */
        if (tls) {
                check_secret_file(s, "tls-psk-file", c->nbd_tls_psk_file);
                check_secret_file(s, "tls-key", c->nbd_tls_key);
                check_public_file(s, "tls-certificate", c->nbd_tls_certificate);
                check_public_file(s, "tls-ca", c->nbd_tls_ca);
        }
        if (c->nbd_tcp && writable && c->nbd_tls != NBD_TLS_REQUIRE && !c->nbd_insecure_tcp_writable)
                config_report(s, key_line(s, "tcp"), "[nbd] tcp serves nbd-writable exports to "
                              "the network: set tls = require (with tls-psk-file or "
                              "tls-certificate), or insecure-tcp-writable = yes to accept that "
                              "anyone who reaches the port can write them");
        check_public_exports(s);
}
