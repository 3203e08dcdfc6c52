/* SPDX-License-Identifier: MIT */
/*
 * NBD transmission requests on a byte stream, walked the way nbd-transmission.c walks it: header,
 * payload for a WRITE (skipped), next header. Byte 0 picks the export (read-only or not, a
 * size from a few bytes to the top of the 64-bit range). Properties: a parsed header encodes
 * back to the same bytes, nbd_request_check() answers only with errors the protocol has and
 * never lets a range past the end through.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/nbd-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool known_error(uint32_t e) {
        return e == 0 || e == NBD_EPERM || e == NBD_EINVAL || e == NBD_ENOSPC;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t sizes[] = { 0, 1, 512, 4096, UINT64_MAX - 1, UINT64_MAX };
        struct nbd_export_limits lim;
        size_t off = 1;

        if (size < 1)
                return 0;
        lim = (struct nbd_export_limits) {
                .size = sizes[(data[0] >> 1) % (sizeof(sizes) / sizeof(sizes[0]))],
                .writable = data[0] & 1,
                .max_payload = 65536,
        };

        while (off < size) {
                struct nbd_request req;
                uint8_t again[NBD_REQUEST_SIZE];
                uint32_t err;
                int r = nbd_parse_request(data + off, size - off, &req);

                if (r <= 0)
                        return 0;
                if (nbd_encode_request(again, sizeof(again), &req) != r ||
                    memcmp(again, data + off, (size_t) r) != 0)
                        abort();
                err = nbd_request_check(&req, &lim);
                if (!known_error(err))
                        abort();
                if (err == 0 && req.type != NBD_CMD_DISC && req.type != NBD_CMD_FLUSH &&
                    (req.offset > lim.size || req.length > lim.size - req.offset))
                        abort();
                if (err == 0 && !lim.writable &&
                    (req.type == NBD_CMD_WRITE || req.type == NBD_CMD_WRITE_ZEROES ||
                     req.type == NBD_CMD_TRIM))
                        abort();
                (void) nbd_command_name(req.type);
                off += (size_t) r;
                if (nbd_request_payload_len(&req) > size - off)
                        return 0;
                off += nbd_request_payload_len(&req);
        }
        return 0;
}
