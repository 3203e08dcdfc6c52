/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "nbd-tls-policy.h"
#include "nbd-wire.h"

enum nbd_tls_verdict nbd_tls_option_verdict(enum nbd_tls_mode mode, bool tls_active,
                                            uint32_t option, uint32_t length) {
        if (option == NBD_OPT_STARTTLS) {
                if (mode == NBD_TLS_OFF)
                        return NBD_TLS_REFUSE_UNSUP;
                if (tls_active || length != 0)
                        return NBD_TLS_REFUSE_INVALID;
                return NBD_TLS_START;
        }
        if (tls_active || mode != NBD_TLS_REQUIRE || option == NBD_OPT_ABORT)
                return NBD_TLS_SERVE;
        return option == NBD_OPT_EXPORT_NAME ? NBD_TLS_HANG_UP : NBD_TLS_REFUSE_REQD;
}

bool nbd_tls_export_visible(enum nbd_tls_mode mode, bool tls_active, bool export_public) {
        switch (mode) {
        case NBD_TLS_OFF:
                return true;
        case NBD_TLS_ON:
                return tls_active || export_public;
        default:
                return tls_active;
        }
}

static const char *const mode_names[] = {
        [NBD_TLS_OFF] = "off",
        [NBD_TLS_ON] = "on",
        [NBD_TLS_REQUIRE] = "require",
};

const char *nbd_tls_mode_name(enum nbd_tls_mode mode) {
        if ((unsigned) mode < sizeof(mode_names) / sizeof(mode_names[0]))
                return mode_names[mode];
        return NULL;
}

int nbd_tls_mode_from_name(const char *name, enum nbd_tls_mode *ret) {
        for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
                if (strcmp(name, mode_names[i]) == 0) {
                        *ret = (enum nbd_tls_mode) i;
                        return 0;
                }
        return -EINVAL;
}
