/* SPDX-License-Identifier: MIT */
/*
 * GnuTLS credentials and non-blocking server sessions for the NBD server (nbd-tls.h).
 * Priorities are GnuTLS's defaults ("NORMAL") plus the PSK key exchanges when a PSK file is
 * loaded, as nbdkit and libnbd use them; the library's own lists of what is safe stay in
 * charge of versions and ciphers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnutls-lazy-calls.h"
#include "macro.h"
#include "nbd-tls.h"
#include "protocol/psk-line.h"

#define PSK_FILE_MAX            (1024 * 1024)   /* a key file larger than this is not one */
#define PRIORITY_PSK            "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
/* Read-ahead: GnuTLS asks for a record's 5-byte header, then its body, one recv() each. A
 * pipelining client sends a record per request; reading what the socket has in one go turns
 * 2 system calls per request into one per wake-up. Two full records' worth. */
#define READ_AHEAD              (2 * (16 * 1024 + 2048 + 5))

struct nbd_tls_creds {
        unsigned n_ref;
        struct psk_entry *psk;
        size_t n_psk;
        gnutls_psk_server_credentials_t psk_creds;
        gnutls_certificate_credentials_t x509;
        bool verify_peer;
        gnutls_priority_t priority;
};

struct nbd_tls_session {
        gnutls_session_t session;
        struct nbd_tls_creds *creds;
        int last_error;                 /* GnuTLS error code of the last failure */
        char psk_user[PSK_USERNAME_MAX + 1];    /* the identity the client named, if known */
        bool psk_user_unknown;
        char error[256];
        char peer[320];
        int fd;
        uint8_t *rbuf;                  /* READ_AHEAD bytes; unread ones are [roff, rlen) */
        size_t roff, rlen;
};

static void wipe_psk(struct nbd_tls_creds *c) {
        if (c->psk)
                gnutls_memset(c->psk, 0, c->n_psk * sizeof(*c->psk));
        free(c->psk);
        c->psk = NULL;
        c->n_psk = 0;
}

struct nbd_tls_creds *nbd_tls_creds_ref(struct nbd_tls_creds *c) {
        if (c)
                c->n_ref++;
        return c;
}

struct nbd_tls_creds *nbd_tls_creds_unref(struct nbd_tls_creds *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        wipe_psk(c);
        if (c->psk_creds)
                gnutls_psk_free_server_credentials(c->psk_creds);
        if (c->x509)
                gnutls_certificate_free_credentials(c->x509);
        if (c->priority)
                gnutls_priority_deinit(c->priority);
        free(c);
        return NULL;
}

size_t nbd_tls_creds_psk_count(const struct nbd_tls_creds *c) {
        return c->n_psk;
}

bool nbd_tls_creds_has_x509(const struct nbd_tls_creds *c) {
        return c->x509 != NULL;
}

static int errorf(char *error, size_t size, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int errorf(char *error, size_t size, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (error && size > 0)
                vsnprintf(error, size, fmt, ap);
        va_end(ap);
        return r;
}

/* GnuTLS asks for a username's key during the handshake: the session points at its creds. */
static int psk_lookup(gnutls_session_t session, const char *username, gnutls_datum_t *key) {
        struct nbd_tls_session *t = gnutls_session_get_ptr(session);
        const struct nbd_tls_creds *c = t->creds;

        /* Names are not secrets: they make a failed handshake's log line useful. */
        snprintf(t->psk_user, sizeof(t->psk_user), "%s", username);
        for (size_t i = 0; i < c->n_psk; i++)
                if (strcmp(c->psk[i].username, username) == 0) {
                        key->data = gnutls_malloc(c->psk[i].key_len);
                        if (!key->data)
                                return -1;
                        memcpy(key->data, c->psk[i].key, c->psk[i].key_len);
                        key->size = (unsigned) c->psk[i].key_len;
                        return 0;
                }
        t->psk_user_unknown = true;
        return -1;      /* unknown identity: the handshake fails as with a wrong key */
}

/* Read the whole PSK file (wiped after parsing) and parse it line by line. */
static int load_psk(struct nbd_tls_creds *c, const char *path, char *error, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        char *text;
        size_t len = 0, line = 0;
        int r = 0;

        if (fd < 0)
                return errorf(error, size, -errno, "%s: cannot open the PSK file: %s", path,
                              strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PSK_FILE_MAX)
                return errorf(error, size, -EINVAL, "%s: not a regular file of at most 1 MiB",
                              path);
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, text + len, (size_t) st.st_size - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = errorf(error, size, n < 0 ? -errno : -EIO,
                                   "%s: cannot read the PSK file", path);
                        goto out;
                }
                len += (size_t) n;
        }

        for (size_t off = 0; off < len;) {
                const char *p = text + off, *nl = memchr(p, '\n', len - off);
                size_t l = nl ? (size_t) (nl - p) : len - off;
                struct psk_entry e;
                const char *reason = NULL;
                int k;

                line++;
                off += l + (nl ? 1 : 0);
                if (memchr(p, '\0', l)) {
                        r = errorf(error, size, -EINVAL, "%s:%zu: NUL byte in the line", path, line);
                        goto out;
                }
                k = psk_parse_line(p, l, &e, &reason);
                if (k < 0) {
                        gnutls_memset(&e, 0, sizeof(e));
                        r = errorf(error, size, -EINVAL, "%s:%zu: %s", path, line, reason);
                        goto out;
                }
                if (k == 0)
                        continue;
                for (size_t i = 0; i < c->n_psk; i++)
                        if (strcmp(c->psk[i].username, e.username) == 0) {
                                gnutls_memset(&e, 0, sizeof(e));
                                r = errorf(error, size, -EINVAL,
                                           "%s:%zu: username given twice", path, line);
                                goto out;
                        }
                {
                        struct psk_entry *n = malloc((c->n_psk + 1) * sizeof(*n));

                        if (!n) {
                                gnutls_memset(&e, 0, sizeof(e));
                                r = -ENOMEM;
                                goto out;
                        }
                        /* Not realloc: the old array is wiped, not left in freed memory. */
                        if (c->n_psk > 0)
                                memcpy(n, c->psk, c->n_psk * sizeof(*n));
                        n[c->n_psk] = e;
                        gnutls_memset(&e, 0, sizeof(e));
                        if (c->psk)
                                gnutls_memset(c->psk, 0, c->n_psk * sizeof(*n));
                        free(c->psk);
                        c->psk = n;
                        c->n_psk++;
                }
        }
        if (c->n_psk == 0)
                r = errorf(error, size, -EINVAL, "%s: no username:hexkey line", path);
out:
        gnutls_memset(text, 0, len);
        free(text);
        return r;
}

static int load_x509(struct nbd_tls_creds *c, const struct nbd_tls_config *cfg, char *error,
                     size_t size) {
        int r;

        if (!cfg->key_file)
                return errorf(error, size, -EINVAL, "%s: a certificate needs its private key",
                              cfg->cert_file);
        r = gnutls_certificate_allocate_credentials(&c->x509);
        if (r < 0)
                return -ENOMEM;
        r = gnutls_certificate_set_x509_key_file(c->x509, cfg->cert_file, cfg->key_file,
                                                 GNUTLS_X509_FMT_PEM);
        if (r < 0)
                return errorf(error, size, -EINVAL, "%s, %s: cannot load the certificate and "
                              "key: %s", cfg->cert_file, cfg->key_file, gnutls_strerror(r));
        if (cfg->ca_file) {
                r = gnutls_certificate_set_x509_trust_file(c->x509, cfg->ca_file,
                                                           GNUTLS_X509_FMT_PEM);
                if (r <= 0)
                        return errorf(error, size, -EINVAL, "%s: cannot load a CA certificate: %s",
                                      cfg->ca_file, r < 0 ? gnutls_strerror(r) : "none in it");
        }
        c->verify_peer = cfg->verify_peer;
        if (c->verify_peer && !cfg->ca_file)
                return errorf(error, size, -EINVAL, "verifying clients needs a CA file");
        (void) gnutls_certificate_set_known_dh_params(c->x509, GNUTLS_SEC_PARAM_MEDIUM);
        return 0;
}

int nbd_tls_creds_load(const struct nbd_tls_config *cfg, struct nbd_tls_creds **ret,
                       char *error, size_t size) {
        _cleanup_(nbd_tls_creds_unrefp) struct nbd_tls_creds *c = NULL;
        int r;

        if (!cfg->psk_file && !cfg->cert_file)
                return errorf(error, size, -EINVAL, "TLS needs a PSK file or a certificate");
        r = gnutls_lazy_load(error, size);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        if (cfg->psk_file) {
                r = load_psk(c, cfg->psk_file, error, size);
                if (r < 0)
                        return r;
                if (gnutls_psk_allocate_server_credentials(&c->psk_creds) < 0)
                        return -ENOMEM;
                gnutls_psk_set_server_credentials_function(c->psk_creds, psk_lookup);
                (void) gnutls_psk_set_server_known_dh_params(c->psk_creds, GNUTLS_SEC_PARAM_MEDIUM);
        }
        if (cfg->cert_file) {
                r = load_x509(c, cfg, error, size);
                if (r < 0)
                        return r;
        }
        r = gnutls_priority_init(&c->priority, c->psk_creds ? PRIORITY_PSK : "NORMAL", NULL);
        if (r < 0)
                return errorf(error, size, -EINVAL, "TLS priorities: %s", gnutls_strerror(r));
        *ret = TAKE_PTR(c);
        return 0;
}

/* GnuTLS's transport: the socket, through the read-ahead buffer. */
static ssize_t pull(gnutls_transport_ptr_t userdata, void *data, size_t size) {
        struct nbd_tls_session *t = userdata;
        size_t n;

        if (t->roff == t->rlen) {
                ssize_t k = recv(t->fd, t->rbuf, READ_AHEAD, MSG_DONTWAIT);

                if (k <= 0) {
                        if (k < 0)
                                gnutls_transport_set_errno(t->session, errno);
                        return k;
                }
                t->roff = 0;
                t->rlen = (size_t) k;
        }
        n = MIN(size, t->rlen - t->roff);
        memcpy(data, t->rbuf + t->roff, n);
        t->roff += n;
        return (ssize_t) n;
}

static int pull_timeout(gnutls_transport_ptr_t userdata, unsigned ms) {
        struct nbd_tls_session *t = userdata;
        struct pollfd p = { .fd = t->fd, .events = POLLIN };

        if (t->roff < t->rlen)
                return 1;
        /* Never wait: the event loop does. */
        return poll(&p, 1, 0);
}

static ssize_t push(gnutls_transport_ptr_t userdata, const void *data, size_t size) {
        struct nbd_tls_session *t = userdata;
        ssize_t k = send(t->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (k < 0)
                gnutls_transport_set_errno(t->session, errno);
        return k;
}

int nbd_tls_session_new(struct nbd_tls_creds *creds, int fd, struct nbd_tls_session **ret) {
        struct nbd_tls_session *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->fd = fd;
        t->rbuf = malloc(READ_AHEAD);
        if (!t->rbuf) {
                free(t);
                return -ENOMEM;
        }
        r = gnutls_init(&t->session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
        if (r < 0) {
                free(t->rbuf);
                free(t);
                return -ENOMEM;
        }
        t->creds = nbd_tls_creds_ref(creds);
        gnutls_session_set_ptr(t->session, t);
        r = gnutls_priority_set(t->session, creds->priority);
        if (r >= 0 && creds->psk_creds)
                r = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK, creds->psk_creds);
        if (r >= 0 && creds->x509) {
                r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, creds->x509);
                if (r >= 0 && creds->verify_peer) {
                        gnutls_certificate_server_set_request(t->session, GNUTLS_CERT_REQUIRE);
                        /* No host name to check: any certificate the CA signed is a client. */
                        gnutls_session_set_verify_cert(t->session, NULL, 0);
                }
        }
        if (r < 0) {
                nbd_tls_session_free(t);
                return -ENOMEM;
        }
        /* Our own handshake timeout (the NBD one, from the connection) governs. */
        gnutls_handshake_set_timeout(t->session, 0);
        gnutls_transport_set_ptr(t->session, t);
        gnutls_transport_set_pull_function(t->session, pull);
        gnutls_transport_set_pull_timeout_function(t->session, pull_timeout);
        gnutls_transport_set_push_function(t->session, push);
        *ret = t;
        return 0;
}

void nbd_tls_session_free(struct nbd_tls_session *t) {
        if (!t)
                return;
        if (t->session) {
                /* Best effort: the socket is non-blocking, an EAGAIN just skips the alert. */
                (void) gnutls_bye(t->session, GNUTLS_SHUT_WR);
                gnutls_deinit(t->session);
        }
        nbd_tls_creds_unref(t->creds);
        free(t->rbuf);
        free(t);
}

static void set_error(struct nbd_tls_session *t, int r) {
        t->last_error = r;
        if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
                unsigned status = gnutls_session_get_verify_cert_status(t->session);
                gnutls_datum_t out = { 0 };

                if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                                 &out, 0) >= 0) {
                        snprintf(t->error, sizeof(t->error), "client certificate refused: %s",
                                 (const char *) out.data);
                        gnutls_free(out.data);
                        return;
                }
        }
        if (t->psk_user[0] && t->psk_user_unknown)
                snprintf(t->error, sizeof(t->error), "unknown PSK identity \"%s\"", t->psk_user);
        else if (t->psk_user[0] && (r == GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER ||
                                    r == GNUTLS_E_ERROR_IN_FINISHED_PACKET ||
                                    r == GNUTLS_E_DECRYPTION_FAILED))
                /* TLS 1.3 finds a wrong key at the PSK binder, 1.2 at Finished. */
                snprintf(t->error, sizeof(t->error), "%s (a wrong pre-shared key for \"%s\"?)",
                         gnutls_strerror(r), t->psk_user);
        else
                snprintf(t->error, sizeof(t->error), "%s", gnutls_strerror(r));
}

static void describe_peer(struct nbd_tls_session *t) {
        gnutls_session_t s = t->session;
        char *desc = gnutls_session_get_desc(s);
        const char *user = gnutls_psk_server_get_username(s);
        char who[256] = "X.509 (no client certificate)";

        if (user)
                snprintf(who, sizeof(who), "PSK identity %s", user);
        else if (gnutls_certificate_type_get(s) == GNUTLS_CRT_X509) {
                unsigned n = 0;
                const gnutls_datum_t *chain = gnutls_certificate_get_peers(s, &n);
                gnutls_x509_crt_t crt;

                if (chain && n > 0 && gnutls_x509_crt_init(&crt) >= 0) {
                        gnutls_datum_t dn = { 0 };

                        if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) >= 0 &&
                            gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
                                snprintf(who, sizeof(who), "X.509 %s", (const char *) dn.data);
                                gnutls_free(dn.data);
                        }
                        gnutls_x509_crt_deinit(crt);
                }
        }
        snprintf(t->peer, sizeof(t->peer), "%s, %s", who, desc ?: "?");
        gnutls_free(desc);
}

int nbd_tls_handshake(struct nbd_tls_session *t) {
        int r = gnutls_handshake(t->session);

        if (r == GNUTLS_E_SUCCESS) {
                describe_peer(t);
                return 0;
        }
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                return -EAGAIN;
        if (!gnutls_error_is_fatal(r)) {
                /* A warning alert mid-handshake: note it and go on. */
                set_error(t, r);
                return -EAGAIN;
        }
        set_error(t, r);
        if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_PUSH_ERROR ||
            r == GNUTLS_E_PULL_ERROR)
                return -ECONNRESET;
        /* Tell the client why (a bad record MAC, an unknown CA...), so that its error says
         * more than "connection closed"; best effort on a non-blocking socket. */
        (void) gnutls_alert_send_appropriate(t->session, r);
        return -EPROTO;
}

bool nbd_tls_wants_write(const struct nbd_tls_session *t) {
        return gnutls_record_get_direction(t->session) == 1;
}

static ssize_t record_error(struct nbd_tls_session *t, ssize_t r) {
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                return -EAGAIN;
        set_error(t, (int) r);
        if (r == GNUTLS_E_REHANDSHAKE)
                snprintf(t->error, sizeof(t->error), "the client asked to renegotiate, refused");
        if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_PUSH_ERROR ||
            r == GNUTLS_E_PULL_ERROR)
                return -ECONNRESET;
        return -EPROTO;
}

ssize_t nbd_tls_recv(struct nbd_tls_session *t, void *buf, size_t len) {
        ssize_t r = gnutls_record_recv(t->session, buf, len);

        return r >= 0 ? r : record_error(t, r);
}

ssize_t nbd_tls_send(struct nbd_tls_session *t, const void *buf, size_t len) {
        ssize_t r = gnutls_record_send(t->session, buf, len);

        return r >= 0 ? r : record_error(t, r);
}

size_t nbd_tls_pending(const struct nbd_tls_session *t) {
        /* Bytes read ahead are not decrypted yet, and perhaps not a whole record: what
         * nbd_tls_recv() turns them into may be nothing (-EAGAIN), never a wait. */
        return gnutls_record_check_pending(t->session) + (t->rlen - t->roff);
}

const char *nbd_tls_error(const struct nbd_tls_session *t) {
        return t->error[0] ? t->error : "no error";
}

const char *nbd_tls_peer(const struct nbd_tls_session *t) {
        return t->peer[0] ? t->peer : "(handshake not done)";
}
