/* SPDX-License-Identifier: MIT */
/*
 * protocol/hpm.c on any bytes: the first byte picks what the rest is. 0: the activation journal
 * (a parse either fails with the output untouched, or encodes back to text that parses to the
 * same journal); 1: version text; anything else: a sequence of HPM.1 requests run through the
 * parsers and the upgrade state machine, whose invariants are checked after each one (never
 * more received than allowed, a known state, one component being uploaded at a time).
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/hpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void journal(const uint8_t *d, size_t n) {
        struct hpm_journal a, b, untouched;
        char text[HPM_JOURNAL_MAX];
        size_t len;

        memset(&a, 0x5A, sizeof(a));
        untouched = a;
        if (hpm_journal_parse((const char *) d, n, &a) < 0) {
                if (memcmp(&a, &untouched, sizeof(a)) != 0)
                        abort();
                return;
        }
        len = hpm_journal_encode(&a, text, sizeof(text));
        if (hpm_journal_parse(text, len, &b) < 0 || memcmp(&a, &b, sizeof(a)) != 0)
                abort();
}

static void version(const uint8_t *d, size_t n) {
        char text[64];
        struct hpm_version v;
        uint8_t out[HPM_VERSION_LEN];

        if (n >= sizeof(text))
                return;
        memcpy(text, d, n);
        text[n] = '\0';
        if (hpm_version_parse(text, &v) == 0) {
                if (v.major > 127 || v.minor > 99)
                        abort();
                hpm_version_encode(&v, out);
        }
}

/* Requests: [length][cmd][data...] repeated. */
static void requests(const uint8_t *d, size_t n) {
        struct hpm_upgrade u;
        uint8_t out[32];

        hpm_upgrade_init(&u, d[0]);
        d++;
        n--;
        while (n >= 2) {
                size_t len = d[0] % 40;
                uint8_t cmd = d[1], a, b, mask;
                const uint8_t *rq = d + 2, *block;
                uint32_t size, off;
                size_t blen;
                bool repeat;
                int ov;

                if (len > n - 2)
                        len = n - 2;
                switch (cmd % 8) {
                case 0:
                        if (hpm_parse_initiate(rq, len, &a, &b) == 0)
                                (void) hpm_upgrade_initiate(&u, a, b, 200);
                        break;
                case 1:
                        if (hpm_parse_upload(rq, len, &a, &block, &blen) == 0 &&
                            hpm_upgrade_block(&u, a, blen, &off, &repeat) == 0) {
                                if (off + blen > 200 || block + blen > rq + len)
                                        abort();
                                if (cmd & 0x80)
                                        hpm_upgrade_block_failed(&u);
                        }
                        break;
                case 2:
                        if (hpm_parse_finish(rq, len, &a, &size) == 0 &&
                            hpm_upgrade_finish(&u, a, size) == 0) {
                                hpm_upgrade_begin(&u, HPM_CMD_FINISH_FIRMWARE_UPLOAD);
                                hpm_upgrade_finished(&u, cmd & 0x80 ? 0x82 : 0);
                                hpm_upgrade_end(&u, 0);
                        }
                        break;
                case 3:
                        if (hpm_parse_activate(rq, len, &ov) == 0 &&
                            hpm_upgrade_activate(&u, &mask) == 0 && (mask & ~u.present))
                                abort();
                        break;
                case 4:
                        if (hpm_parse_plain(rq, len) == 0)
                                (void) hpm_upgrade_abort(&u);
                        break;
                case 5:
                        if (hpm_parse_get_properties(rq, len, &a, &b) == 0)
                                (void) hpm_encode_description((const char *) "component", out,
                                                              sizeof(out));
                        break;
                case 6:
                        hpm_upgrade_begin(&u, cmd);
                        break;
                default:
                        hpm_upgrade_end(&u, cmd);
                        break;
                }
                if (u.received > 200 || u.state > HPM_STATE_UPLOADED || u.component >= 8 ||
                    (u.uploaded & ~u.present) || (u.prepared & ~u.present))
                        abort();
                d += 2 + len;
                n -= 2 + len;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2)
                return 0;
        switch (data[0]) {
        case 0:
                journal(data + 1, size - 1);
                break;
        case 1:
                version(data + 1, size - 1);
                break;
        default:
                requests(data + 1, size - 1);
                break;
        }
        return 0;
}
