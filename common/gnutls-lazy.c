/* SPDX-License-Identifier: MIT */
/* GnuTLS opened on first use (gnutls-lazy.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "gnutls-lazy.h"

struct gnutls_lazy gnutls_lazy;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int result;
static char reason[256];

static void load(void) {
        /* Never closed: sessions and credentials may live until exit, and GnuTLS's own
         * destructor expects to run at exit, as when linked. */
        void *h = dlopen(GNUTLS_LAZY_SONAME, RTLD_NOW | RTLD_LOCAL);
        const char *e;

        if (!h) {
                e = dlerror();
                (void) snprintf(reason, sizeof(reason), "%s", e ? e : GNUTLS_LAZY_SONAME);
                result = -ELIBACC;
                return;
        }
#define GNUTLS_LAZY_RESOLVE(s)                                                          \
        gnutls_lazy.s = (__typeof__(gnutls_lazy.s)) dlsym(h, #s);                       \
        if (!gnutls_lazy.s) {                                                           \
                (void) snprintf(reason, sizeof(reason), "%s: no symbol %s",             \
                                GNUTLS_LAZY_SONAME, #s);                                \
                result = -ELIBACC;                                                      \
                return;                                                                 \
        }
        GNUTLS_LAZY_SYMBOLS(GNUTLS_LAZY_RESOLVE)
#undef GNUTLS_LAZY_RESOLVE
        result = 0;
}

int gnutls_lazy_load(char *error, size_t size) {
        (void) pthread_once(&once, load);
        if (result < 0 && error && size > 0)
                (void) snprintf(error, size, "cannot load GnuTLS: %s", reason);
        return result;
}
