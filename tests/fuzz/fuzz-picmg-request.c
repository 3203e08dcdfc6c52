/* SPDX-License-Identifier: MIT */
/*
 * PICMG request bodies (protocol/picmg-request.c), any bytes; the first byte picks the parser.
 * Each answers 0 or a completion code 0xC7/0xCC; on success the values are those of the body,
 * on refusal the outputs are untouched. Then the body drives the hot-swap machine: each byte an
 * input, and every transition it reports must be one the machine made.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "protocol/ipmi.h"
#include "protocol/picmg-hotswap.h"
#include "protocol/picmg-request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cc(int r) {
        if (r != 0 && r != IPMI_CC_REQ_DATA_LEN_INVALID && r != IPMI_CC_INVALID_DATA_FIELD)
                abort();
}

static void parse(uint8_t which, const uint8_t *d, size_t len) {
        struct picmg_address_query q = { .fru = 0xEE, .key_type = 0x55 };
        uint8_t fru = 0xEE, a = 0xEE, b = 0xEE;
        bool act = false;
        int r;

        switch (which % 5) {
        case 0:
                r = picmg_request_fru(d, len, &fru);
                check_cc(r);
                if ((r == 0 && fru != d[1]) || (r != 0 && fru != 0xEE))
                        abort();
                break;
        case 1:
                r = picmg_request_address_info(d, len, &q);
                check_cc(r);
                if (r != 0 && (q.fru != 0xEE || q.key_type != 0x55))
                        abort();
                if (r == 0 && len >= 3 && q.key != d[3])
                        abort();
                break;
        case 2:
                r = picmg_request_fru_control(d, len, &fru, &a);
                check_cc(r);
                if (r == 0 && (fru != d[1] || a != d[2] || a > 4))
                        abort();
                if (r != 0 && (fru != 0xEE || a != 0xEE))
                        abort();
                break;
        case 3:
                r = picmg_request_activation_policy(d, len, &fru, &a, &b);
                check_cc(r);
                if (r == 0 && ((a | b) & ~3))
                        abort();
                break;
        default:
                r = picmg_request_activation(d, len, &fru, &act);
                check_cc(r);
                if (r == 0 && act != (d[2] == 1))
                        abort();
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct hotswap_machine m;

        if (size < 1)
                return 0;
        parse(data[0], data + 1, size - 1);

        hotswap_init(&m, data[0] & 0x80, data[0] & 3);
        for (size_t i = 1; i < size; i++) {
                struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
                uint8_t before = m.state;
                int n = hotswap_step(&m, (enum hotswap_input) (data[i] & 0x0F), data[i] >> 4, t);

                if (n < 0) {
                        if (m.state != before)
                                abort();
                        continue;
                }
                if (n > HOTSWAP_TRANSITIONS_MAX)
                        abort();
                for (int k = 0; k < n; k++) {
                        if (t[k].from != (k == 0 ? before : t[k - 1].to) ||
                            t[k].to >= _HOTSWAP_STATE_MAX || t[k].from == t[k].to)
                                abort();
                }
                if (m.state != (n ? t[n - 1].to : before))
                        abort();
        }
        return 0;
}
