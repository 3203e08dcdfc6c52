/* SPDX-License-Identifier: MIT */
/*
 * The HPM.1 image validator on any bytes (the digest check skipped, so the walk behind it is
 * reached). Beyond "does not crash or read out of bounds": a refusal names an offset inside the
 * image, an accepted image's uploads lie inside it and before the digest, and an accepted image
 * encodes back to the same bytes (parse -> encode -> compare).
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/hpm-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct hpm_image img;
        size_t where = (size_t) -1;
        int r = hpm_image_parse(data, size, NULL, &img, &where);
        uint8_t *copy;
        ssize_t len;

        if (r != HPM_IMAGE_OK) {
                if (r < 0 || r >= _HPM_IMAGE_ERROR_MAX || where > size)
                        abort();
                return 0;
        }
        if (img.n_actions > HPM_IMAGE_ACTIONS_MAX)
                abort();
        for (size_t i = 0; i < img.n_actions; i++) {
                const struct hpm_action *a = &img.actions[i];

                if (a->type == HPM_ACTION_UPLOAD &&
                    (a->data < data || a->data + a->length > data + hpm_image_digest_len(size) ||
                     !memchr(a->description, '\0', sizeof(a->description))))
                        abort();
        }
        /* Both readings of an upload record's checksum are accepted; the encoder writes the
         * short one, so compare records' checksums only where the input used it too. */
        len = hpm_image_encoded_len(&img);
        if (len < 0) {
                /* A 21-character description parses but cannot be encoded (no room for the
                 * terminator the encoder insists on); nothing else may be refused. */
                for (size_t i = 0; i < img.n_actions; i++)
                        if (strlen(img.actions[i].description) == HPM_IMAGE_DESC_LEN)
                                return 0;
                abort();
        }
        if ((size_t) len != size)
                abort();
        copy = malloc(size);
        if (!copy)
                return 0;
        if (hpm_image_encode(&img, copy, size) != len)
                abort();
        memcpy(copy + size - HPM_IMAGE_MD5_LEN, data + size - HPM_IMAGE_MD5_LEN, HPM_IMAGE_MD5_LEN);
        for (size_t i = 0; i < size; i++) {
                bool record_checksum = false;

                for (size_t k = 0; k < img.n_actions; k++)
                        if (img.actions[k].offset + 2 == i)
                                record_checksum = true;
                if (copy[i] != data[i] && !record_checksum) {
                        /* Description bytes after the first NUL are not kept. */
                        bool in_desc_tail = false;

                        for (size_t k = 0; k < img.n_actions; k++) {
                                const struct hpm_action *a = &img.actions[k];
                                size_t d = a->offset + HPM_IMAGE_ACTION_LEN + HPM_IMAGE_VERSION_LEN;

                                if (a->type == HPM_ACTION_UPLOAD && i >= d + strlen(a->description) &&
                                    i < d + HPM_IMAGE_DESC_LEN)
                                        in_desc_tail = true;
                        }
                        if (!in_desc_tail)
                                abort();
                }
        }
        free(copy);
        return 0;
}
