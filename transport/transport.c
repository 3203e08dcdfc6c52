/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "transport.h"

struct transport *transport_free(struct transport *t) {
        if (t)
                t->ops->free(t);
        return NULL;
}

bool transport_error_is_retryable(int r) {
        switch (r) {
        case -ENXIO:
        case -EREMOTEIO:
        case -EAGAIN:
        case -EBUSY:
        case -ETIMEDOUT:
        case -EIO:
                return true;
        default:
                return false;
        }
}
