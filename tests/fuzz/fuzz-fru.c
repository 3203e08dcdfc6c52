/* SPDX-License-Identifier: MIT */
/*
 * The FRU image validator on any bytes. Beyond "does not crash or read out of bounds": the
 * count it returns is what the report holds plus what it dropped, every offset lies inside the
 * image (or just past it, for "missing" things), every message is terminated, parsed fields
 * are no longer than a field can be, and a report of zero problems means the parsed areas are
 * all marked valid; without fields to keep, it reports the very same problems. The same bytes
 * are also taken as one multirecord record of each known type (fru_record_check(), whose
 * reason must be terminated), and a record it accepts must build into a multirecord area that
 * fru_parse() walks back to the same record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/fru.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fru_parsed p;
        struct fru_report rep;
        size_t n = fru_parse(data, size, &p, &rep);

        if (n != rep.n_problems + rep.n_dropped || rep.n_problems > FRU_PROBLEMS_MAX)
                abort();
        for (size_t i = 0; i < rep.n_problems; i++)
                if (rep.problems[i].offset > size ||
                    !memchr(rep.problems[i].message, '\0', sizeof(rep.problems[i].message)))
                        abort();
        for (size_t k = 0; k < _FRU_AREA_MAX; k++) {
                const struct fru_parsed_area *a = &p.areas[k];

                if (a->n_fields > FRU_PARSED_FIELDS_MAX || a->n_fields > a->n_fields_total)
                        abort();
                for (size_t i = 0; i < a->n_fields; i++)
                        if (a->fields[i].len > FRU_FIELD_MAX || a->fields[i].data[a->fields[i].len])
                                abort();
                if (n == 0 && a->present && !a->valid)
                        abort();
        }
        /* The validator-only entry points agree with the full one, problem for problem. */
        if (fru_image_valid(data, size) != (n == 0))
                abort();
        {
                struct fru_report rep_only;

                if (fru_parse(data, size, NULL, &rep_only) != n ||
                    rep_only.n_problems != rep.n_problems || rep_only.n_dropped != rep.n_dropped)
                        abort();
                for (size_t i = 0; i < rep.n_problems; i++)
                        if (rep_only.problems[i].offset != rep.problems[i].offset ||
                            strcmp(rep_only.problems[i].message, rep.problems[i].message) != 0)
                                abort();
        }

        /* The first byte as a record type, the rest as its data. */
        if (size >= 1 && size - 1 <= FRU_RECORD_DATA_MAX) {
                struct fru_record rec = { .type = data[0] & 0x03, .len = (uint8_t) (size - 1),
                                          .data = data + 1 };
                uint8_t img[FRU_HEADER_LEN + FRU_RECORD_HEADER_LEN + FRU_RECORD_DATA_MAX + 8];
                struct fru_info info = { .records = &rec, .n_records = 1 };
                char reason[FRU_MESSAGE_MAX];
                ssize_t len;

                memset(reason, 'x', sizeof(reason));
                if (fru_record_check(rec.type, rec.data, rec.len, reason, sizeof(reason)) < 0) {
                        if (!memchr(reason, '\0', sizeof(reason)))
                                abort();
                        if (fru_build(&info, img, sizeof(img)) != -EINVAL)
                                abort();
                } else {
                        len = fru_build(&info, img, sizeof(img));
                        if (len < 0 || fru_parse(img, (size_t) len, &p, NULL) != 0 ||
                            p.areas[FRU_AREA_MULTIRECORD].n_records != 1 ||
                            memcmp(img + p.areas[FRU_AREA_MULTIRECORD].offset + 5, rec.data,
                                   rec.len) != 0)
                                abort();
                }
        }
        return 0;
}
