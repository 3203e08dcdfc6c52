/* SPDX-License-Identifier: MIT */
/*
 * The NBD handshake parsers on a client's byte stream, walked the way nbd-handshake.c walks it:
 * client flags, then option after option, GO/INFO and EXPORT_NAME data parsed with the
 * option's own length. Byte 0 picks the flags we claim to support. Properties checked beyond
 * "does not crash": a parsed option header encodes back to the same bytes, a parsed name lies
 * inside the option's data and within the string limit, and the request count matches the
 * length exactly, and every TLS mode's verdict on each option keeps its promises.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/nbd-tls-policy.h"
#include "protocol/nbd-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_go_info(const uint8_t *p, size_t len) {
        struct nbd_go_info gi;

        if (nbd_parse_go_info(p, len, &gi) < 0)
                return;
        if (gi.name_len > NBD_MAX_STRING || (gi.name_len > 0 && (gi.name != p + 4)) ||
            4 + gi.name_len + 2 + 2 * (size_t) gi.n_requests != len)
                abort();
}

/* What each TLS mode does with the option (protocol/nbd-tls-policy.h), before and after the
 * upgrade: before it under require, nothing but STARTTLS (without data) and ABORT gets through;
 * STARTTLS starts TLS only where it is offered, once, without data; off never refuses for TLS. */
static void check_tls_verdicts(uint32_t option, uint32_t length) {
        for (int m = NBD_TLS_OFF; m <= NBD_TLS_REQUIRE; m++)
                for (int active = 0; active <= 1; active++) {
                        enum nbd_tls_verdict v = nbd_tls_option_verdict(m, active, option, length);
                        bool start = option == NBD_OPT_STARTTLS && length == 0 &&
                                     m != NBD_TLS_OFF && !active;

                        if ((v == NBD_TLS_START) != start)
                                abort();
                        if (m == NBD_TLS_REQUIRE && !active && v == NBD_TLS_SERVE &&
                            option != NBD_OPT_ABORT)
                                abort();
                        if ((v == NBD_TLS_REFUSE_REQD || v == NBD_TLS_HANG_UP) &&
                            (m != NBD_TLS_REQUIRE || active))
                                abort();
                        if (nbd_tls_export_visible(m, active, false) &&
                            m != NBD_TLS_OFF && !active)
                                abort();
                }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint32_t supported, flags;
        size_t off = 1;
        int r;

        if (size < 1)
                return 0;
        supported = data[0] & 3;
        r = nbd_parse_client_flags(data + off, size - off, supported, &flags);
        if (r <= 0)
                return 0;
        if (flags & ~supported)
                abort();
        off += (size_t) r;

        /* As many options as the input holds; the server stops at 32, the parser must not care. */
        while (off < size) {
                struct nbd_option_header h;
                uint8_t again[NBD_OPTION_HEADER_SIZE];
                struct nbd_go_info gi;

                r = nbd_parse_option_header(data + off, size - off, &h);
                if (r <= 0)
                        return 0;
                if (nbd_encode_option_header(again, sizeof(again), h.option, h.length) != r ||
                    memcmp(again, data + off, (size_t) r) != 0)
                        abort();
                off += (size_t) r;
                check_tls_verdicts(h.option, h.length);
                if (h.length > size - off)
                        return 0;
                switch (h.option) {
                case NBD_OPT_GO:
                case NBD_OPT_INFO:
                        check_go_info(data + off, h.length);
                        break;
                case NBD_OPT_EXPORT_NAME:
                        if (nbd_parse_export_name(data + off, h.length, &gi) == 0 &&
                            gi.name_len != h.length)
                                abort();
                        break;
                default:
                        /* Any option name lookup is safe. */
                        (void) nbd_option_name(h.option);
                }
                off += h.length;
        }
        return 0;
}
