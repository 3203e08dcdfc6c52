/* SPDX-License-Identifier: MIT */
/*
 * The configuration parser on any file contents. A load either fails with -EINVAL after
 * printing at least one "file:line: reason" / "file: reason" line, or succeeds with values
 * inside the documented ranges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct satmc_config *c = NULL;
        char *errs = NULL;
        size_t errs_len = 0;
        FILE *in, *err;
        int r;

        if (size == 0)
                return 0;       /* fmemopen refuses a zero-length buffer */
        in = fmemopen((void *) data, size, "r");
        err = open_memstream(&errs, &errs_len);
        if (!in || !err)
                abort();

        r = config_load_from_file(in, "fuzz.ini", err, &c);
        fclose(in);
        fclose(err);

        if (r == 0) {
                if (!c || errs_len != 0)
                        abort();
                if ((c->address & 1) || c->address < 0x10 || c->address > 0xEE)
                        abort();
                if (c->max_msg_len < 32 || c->max_msg_len > 128)
                        abort();
                if (c->identity.fw_minor > 99 || c->identity.fw_major > 127 ||
                    c->identity.device_revision > 15 || c->identity.manufacturer_id > 0xFFFFF)
                        abort();
                config_free(c);
        } else if (r == -EINVAL) {
                if (c || errs_len == 0 || strncmp(errs, "fuzz.ini:", 9) != 0)
                        abort();
        } else if (r != -ENOMEM)
                abort();

        free(errs);
        return 0;
}
