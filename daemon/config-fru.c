/* SPDX-License-Identifier: MIT */
/*
 * [fru.0] .. [fru.7]: the FRU text and multirecord parsers and the [fru.N] key table. The image
 * a section builds is config-fru-image.c's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-check.h"
#include "config-fru.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/ipmb-frame.h"

#define LIVE CONFIG_RELOAD_LIVE
#define RESTART CONFIG_RELOAD_RESTART

/* One FRU text field: 8-bit ASCII, 2..63 bytes (a single byte would read as the 0xC1 end
 * marker), printable, so that what ipmitool prints is what the file says. */
static int check_fru_text(const struct config_key *k, const char *value, char *reason) {
        size_t n = strlen(value);

        if (n > FRU_FIELD_MAX) {
                snprintf(reason, REASON_MAX, "%s is %zu characters; a FRU field holds at most %d",
                         k->name, n, FRU_FIELD_MAX);
                return -EINVAL;
        }
        if (n == 1) {
                snprintf(reason, REASON_MAX, "%s \"%s\" is one character; a FRU text field needs "
                         "two or more (0xC1 would read as the end marker)", k->name, value);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (value[i] < 0x20 || value[i] > 0x7E) {
                        snprintf(reason, REASON_MAX, "%s must be printable ASCII", k->name);
                        return -EINVAL;
                }
        return 0;
}

/* A text field, or "none" for an empty one. */
int config_parse_fru_text(const struct config_key *k, const char *value, void *dest, char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        if (check_fru_text(k, value, reason) < 0)
                return -EINVAL;
        return config_parse_string(k, value, dest, reason);
}

void config_fru_custom_clear(struct fru_custom_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        *l = (struct fru_custom_list) { .n = 0 };
}

/* Custom fields: "a, b, c" (each trimmed, each a text field), or "none". */
int config_parse_fru_custom(const struct config_key *k, const char *value, void *dest,
                            char *reason) {
        struct fru_custom_list *l = dest, new = { .n = 0 };
        const char *p = value;

        if (strcmp(value, "none") == 0) {
                config_fru_custom_clear(l);
                return 0;
        }
        for (;;) {
                const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
                char item[REASON_MAX];
                size_t n;

                while (*p == ' ' || *p == '\t')
                        p++;
                while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                n = (size_t) (end - p);
                if (n == 0 || n >= sizeof(item)) {
                        snprintf(reason, REASON_MAX, "%s: %s custom field %zu", k->name,
                                 n == 0 ? "empty" : "overlong", new.n + 1);
                        goto fail;
                }
                if (new.n >= FRU_CUSTOM_MAX) {
                        snprintf(reason, REASON_MAX, "%s: at most %d custom fields", k->name,
                                 FRU_CUSTOM_MAX);
                        goto fail;
                }
                memcpy(item, p, n);
                item[n] = '\0';
                if (check_fru_text(k, item, reason) < 0)
                        goto fail;
                new.items[new.n] = strdup(item);
                if (!new.items[new.n]) {
                        config_fru_custom_clear(&new);
                        snprintf(reason, REASON_MAX, "out of memory");
                        return -ENOMEM;
                }
                new.n++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        config_fru_custom_clear(l);
        *l = new;
        return 0;
fail:
        config_fru_custom_clear(&new);
        return -EINVAL;
}

/*
 * Multirecord area records, "TYPE:HEXDATA, TYPE:HEXDATA" (e.g. "0xC0:5a31 0102"), or "none":
 * the record data as raw bytes, stored as type, length, data one after the other; the 5-byte
 * record headers (checksums, end-of-list) are protocol/fru.c's. A record of a type the spec
 * lays out (0x00..0x03) is held to that layout here, so a short Power Supply record is an
 * error with its line, not an image ipmitool decodes as nonsense.
 */
int config_parse_fru_multirecord(const struct config_key *k, const char *value, void *dest,
                                 char *reason) {
        /* The row's destination is multirecord, followed by multirecord_len. */
        struct fru_config *f = (void *) ((uint8_t *) dest -
                                         offsetof(struct fru_config, multirecord));
        uint8_t buf[FRU_MULTIRECORD_MAX];
        size_t len = 0, n_records = 0;
        const char *p = value;

        if (strcmp(value, "none") == 0) {
                free(f->multirecord);
                f->multirecord = NULL;
                f->multirecord_len = 0;
                return 0;
        }
        for (;;) {
                unsigned long type;
                char typebuf[8], why[REASON_MAX - 40];
                const char *colon, *end;
                size_t tl, n = 0, rec;

                while (*p == ' ' || *p == '\t')
                        p++;
                colon = strchr(p, ':');
                end = strchr(p, ',');
                if (!end)
                        end = p + strlen(p);
                tl = colon ? (size_t) (colon - p) : 0;
                if (!colon || colon > end || tl == 0 || tl >= sizeof(typebuf))
                        goto bad;
                memcpy(typebuf, p, tl);
                typebuf[tl] = '\0';
                if (config_parse_number(typebuf, &type) < 0 || type > 0xFF)
                        goto bad;
                if (len + 2 > sizeof(buf))
                        goto too_big;
                rec = len;
                len += 2;
                for (const char *h = colon + 1; h < end; h++) {
                        int hi, lo;

                        if (*h == ' ' || *h == '\t')
                                continue;
                        if (h + 1 >= end || (hi = config_parse_hex_digit(h[0])) < 0 ||
                            (lo = config_parse_hex_digit(h[1])) < 0)
                                goto bad;
                        if (len >= sizeof(buf) || n >= FRU_RECORD_DATA_MAX)
                                goto too_big;
                        buf[len++] = (uint8_t) (hi << 4 | lo);
                        n++;
                        h++;
                }
                buf[rec] = (uint8_t) type;
                buf[rec + 1] = (uint8_t) n;
                n_records++;
                if (fru_record_check(buf[rec], buf + rec + 2, n, why, sizeof(why)) < 0) {
                        snprintf(reason, REASON_MAX, "%s record %zu: %s", k->name, n_records,
                                 why);
                        return -EINVAL;
                }
                if (*end != ',')
                        break;
                p = end + 1;
        }
        free(f->multirecord);
        f->multirecord = malloc(len);
        if (!f->multirecord) {
                f->multirecord_len = 0;
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        memcpy(f->multirecord, buf, len);
        f->multirecord_len = len;
        return 0;
bad:
        snprintf(reason, REASON_MAX, "%s \"%s\" must be TYPE:HEXBYTES records separated by "
                 "commas (e.g. 0xC0:5a3101), or none", k->name, value);
        return -EINVAL;
too_big:
        snprintf(reason, REASON_MAX, "%s: a record holds at most %d bytes, and the records at "
                 "most %d in all", k->name, FRU_RECORD_DATA_MAX, FRU_MULTIRECORD_MAX);
        return -EINVAL;
}

/* Bytes of a multirecord-file: a few times the 1024 bytes of records it can hold, in hex. */
#define MULTIRECORD_FILE_MAX 16384

/* The record starting at buf[rec] (type, length, data) is complete: check its layout. */
static int finish_file_record(const struct config_key *k, const char *path, const uint8_t *buf,
                              size_t rec, unsigned line, char *reason) {
        char why[REASON_MAX - 64];

        if (fru_record_check(buf[rec], buf + rec + 2, buf[rec + 1], why, sizeof(why)) < 0) {
                snprintf(reason, REASON_MAX, "%s %s:%u: %s", k->name, path, line, why);
                return -EINVAL;
        }
        return 0;
}

/*
 * A text file of multirecord records, for areas longer than a configuration line allows:
 * a record starts with "TYPE:" and its data in hex follows on that line and on any lines
 * after it, up to the next "TYPE:"; spaces are ignored and '#' starts a comment. Stored like
 * the multirecord key's records, and written after them. Read at load, so --check-config and a
 * reload see the file as it is.
 */
int config_parse_fru_multirecord_file(const struct config_key *k, const char *value, void *dest,
                                      char *reason) {
        struct fru_config *f = (void *) ((uint8_t *) dest -
                                         offsetof(struct fru_config, multirecord_file));
        _cleanup_free_ char *text = NULL;
        uint8_t buf[FRU_MULTIRECORD_MAX];
        size_t len = 0, rec = SIZE_MAX, n;
        unsigned line = 0, rec_line = 0;
        FILE *in;
        char *p;

        if (strcmp(value, "none") == 0) {
                free(f->multirecord_file);
                f->multirecord_file = NULL;
                free(f->file_records);
                f->file_records = NULL;
                f->file_records_len = 0;
                return 0;
        }
        text = malloc(MULTIRECORD_FILE_MAX + 1);
        if (!text) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        in = fopen(value, "re");
        if (!in) {
                snprintf(reason, REASON_MAX, "%s %s: %s", k->name, value, strerror(errno));
                return -EINVAL;
        }
        n = fread(text, 1, MULTIRECORD_FILE_MAX + 1, in);
        if (ferror(in) || n > MULTIRECORD_FILE_MAX) {
                snprintf(reason, REASON_MAX, "%s %s: %s", k->name, value,
                         ferror(in) ? "read error" : "larger than 16384 bytes");
                fclose(in);
                return -EINVAL;
        }
        fclose(in);
        text[n] = '\0';
        if (strlen(text) != n) {
                snprintf(reason, REASON_MAX, "%s %s: not a text file", k->name, value);
                return -EINVAL;
        }

        for (char *l = text; l; l = p) {
                char *colon, *hash, *h;

                p = strchr(l, '\n');
                if (p)
                        *p++ = '\0';
                line++;
                hash = strchr(l, '#');
                if (hash)
                        *hash = '\0';
                h = l;
                colon = strchr(l, ':');
                if (colon) {
                        unsigned long type;

                        *colon = '\0';
                        while (*h == ' ' || *h == '\t')
                                h++;
                        if (config_parse_number(h, &type) < 0 || type > 0xFF) {
                                snprintf(reason, REASON_MAX, "%s %s:%u: \"%s\" is not a record "
                                         "type (0x00..0xFF)", k->name, value, line, h);
                                return -EINVAL;
                        }
                        if (rec != SIZE_MAX &&
                            finish_file_record(k, value, buf, rec, rec_line, reason) < 0)
                                return -EINVAL;
                        if (len + 2 > sizeof(buf))
                                goto too_big;
                        rec = len;
                        rec_line = line;
                        buf[len++] = (uint8_t) type;
                        buf[len++] = 0;
                        h = colon + 1;
                }
                for (; *h; h++) {
                        int hi, lo;

                        if (*h == ' ' || *h == '\t' || *h == '\r')
                                continue;
                        if (rec == SIZE_MAX) {
                                snprintf(reason, REASON_MAX, "%s %s:%u: data before the first "
                                         "\"TYPE:\"", k->name, value, line);
                                return -EINVAL;
                        }
                        if ((hi = config_parse_hex_digit(h[0])) < 0 ||
                            (lo = config_parse_hex_digit(h[1])) < 0) {
                                snprintf(reason, REASON_MAX, "%s %s:%u: \"%.8s\" is not hex "
                                         "bytes", k->name, value, line, h);
                                return -EINVAL;
                        }
                        if (buf[rec + 1] == FRU_RECORD_DATA_MAX) {
                                snprintf(reason, REASON_MAX, "%s %s:%u: the record of line %u "
                                         "holds more than %d bytes", k->name, value, line,
                                         rec_line, FRU_RECORD_DATA_MAX);
                                return -EINVAL;
                        }
                        if (len >= sizeof(buf))
                                goto too_big;
                        buf[len++] = (uint8_t) (hi << 4 | lo);
                        buf[rec + 1]++;
                        h++;
                }
        }
        if (rec == SIZE_MAX) {
                snprintf(reason, REASON_MAX, "%s %s: no records (\"TYPE: HEX...\")", k->name,
                         value);
                return -EINVAL;
        }
        if (finish_file_record(k, value, buf, rec, rec_line, reason) < 0)
                return -EINVAL;
        if (config_parse_string(k, value, dest, reason) < 0)
                return -ENOMEM;
        free(f->file_records);
        f->file_records = malloc(len);
        f->file_records_len = f->file_records ? len : 0;
        if (!f->file_records) {
                snprintf(reason, REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        memcpy(f->file_records, buf, len);
        return 0;
too_big:
        snprintf(reason, REASON_MAX, "%s %s:%u: records longer than %d bytes in all", k->name,
                 value, line, FRU_MULTIRECORD_MAX);
        return -EINVAL;
}

int config_parse_mfg_date(const struct config_key *k, const char *value, void *dest, char *reason) {
        uint32_t minutes;
        int r;

        if (strcmp(value, "none") == 0) {
                *(int32_t *) dest = -1;
                return 0;
        }
        r = fru_minutes_from_string(value, &minutes);
        if (r == -ERANGE) {
                snprintf(reason, REASON_MAX, "%s \"%s\" is outside 1996-01-01 00:00 .. "
                         "2027-11-24 20:15 (3 bytes of minutes)", k->name, value);
                return -EINVAL;
        }
        if (r < 0) {
                snprintf(reason, REASON_MAX, "%s \"%s\" must be YYYY-MM-DD HH:MM (UTC), or none",
                         k->name, value);
                return -EINVAL;
        }
        *(int32_t *) dest = (int32_t) minutes;
        return 0;
}

/* "auto" (0): the image rounded up to 512 bytes. */
int config_parse_fru_size(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (strcmp(value, "auto") == 0) {
                *(uint32_t *) dest = 0;
                return 0;
        }
        return config_parse_u32(k, value, dest, reason);
}

int config_parse_fru_file(const struct config_key *k, const char *value, void *dest, char *reason) {
        char **s = dest;

        if (strcmp(value, "none") == 0) {
                free(*s);
                *s = NULL;
                return 0;
        }
        return config_parse_string(k, value, dest, reason);
}

/*
 * [fru.0] .. [fru.7]: the same key table shape, with offsets into struct fru_config. Keys
 * starting with chassis-, board- or product- are "field" keys: they build the image, so they
 * cannot be combined with file.
 */
#define F(field) offsetof(struct fru_config, field), sizeof(((struct fru_config *) 0)->field)

const struct config_key config_fru_keys[] = {
        { "fru.0", "file", config_parse_fru_file, F(file), "none", 0, 0,
          "serve this binary FRU image instead of one built from the keys below; checked at "
          "start-up, or none",
          RESTART },
        { "fru.0", "size", config_parse_fru_size, F(size), "auto", FRU_HEADER_LEN, 65535,
          "FRU device size in bytes (at least the image), or auto: the image rounded up to 512",
          RESTART },
        { "fru.0", "write-protect", config_parse_bool, F(write_protect), "no", 0, 0,
          "refuse writes (Write FRU Data answers 0x80, NBD writes fail)",
          RESTART },
        { "fru.0", "nbd-writable", config_parse_bool, F(nbd_writable), "no", 0, 0,
          "let NBD clients write the device (IPMI writes only need write-protect = no)",
          RESTART },
        /* The FRU Device Locator's entity: config-sensor-sdr.c parses it. */
        { "fru.0", "entity", config_parse_entity, F(entity_id), "system-board", 0, 0,
          "entity the FRU describes: a name of IPMI's entity table (power-supply, "
          "fan-cooling-device, ...) or a number",
          RESTART },
        { "fru.0", "entity-instance", config_parse_entity_instance_or_auto, F(entity_instance),
          "auto", 0, 0, "instance of the entity, 0..127; auto: the FRU device ID",
          RESTART },
        { "fru.0", "chassis-type", config_parse_int_or_none, F(chassis_type), "none", 0, 255,
          "chassis info area: SMBIOS chassis type, e.g. 0x17 (rack mount chassis), or none",
          LIVE },
        { "fru.0", "chassis-part-number", config_parse_fru_text,
          F(chassis_part_number), "none", 0, 0,
          "chassis info area: part number",
          LIVE },
        { "fru.0", "chassis-serial-number", config_parse_fru_text,
          F(chassis_serial_number), "none", 0,
          0, "chassis info area: serial number",
          LIVE },
        { "fru.0", "chassis-custom", config_parse_fru_custom, F(chassis_custom), "none", 0, 0,
          "chassis info area: custom fields, separated by commas",
          LIVE },
        { "fru.0", "board-manufacturing-date", config_parse_mfg_date,
          F(board_mfg_minutes), "none", 0,
          0, "board info area: manufacturing date and time, YYYY-MM-DD HH:MM in UTC",
          LIVE },
        { "fru.0", "board-manufacturer", config_parse_fru_text, F(board_manufacturer), "none", 0, 0,
          "board info area: manufacturer",
          LIVE },
        { "fru.0", "board-product-name", config_parse_fru_text, F(board_product_name), "none", 0, 0,
          "board info area: product name",
          LIVE },
        { "fru.0", "board-serial-number", config_parse_fru_text,
          F(board_serial_number), "none", 0, 0,
          "board info area: serial number",
          LIVE },
        { "fru.0", "board-part-number", config_parse_fru_text, F(board_part_number), "none", 0, 0,
          "board info area: part number",
          LIVE },
        { "fru.0", "board-fru-file-id", config_parse_fru_text, F(board_file_id), "none", 0, 0,
          "board info area: FRU file ID",
          LIVE },
        { "fru.0", "board-custom", config_parse_fru_custom, F(board_custom), "none", 0, 0,
          "board info area: custom fields, separated by commas",
          LIVE },
        { "fru.0", "product-manufacturer", config_parse_fru_text,
          F(product_manufacturer), "none", 0, 0,
          "product info area: manufacturer",
          LIVE },
        { "fru.0", "product-name", config_parse_fru_text, F(product_name), "none", 0, 0,
          "product info area: product name",
          LIVE },
        { "fru.0", "product-part-number", config_parse_fru_text,
          F(product_part_number), "none", 0, 0,
          "product info area: part/model number",
          LIVE },
        { "fru.0", "product-version", config_parse_fru_text, F(product_version), "none", 0, 0,
          "product info area: version",
          LIVE },
        { "fru.0", "product-serial-number", config_parse_fru_text,
          F(product_serial_number), "none", 0,
          0, "product info area: serial number",
          LIVE },
        { "fru.0", "product-asset-tag", config_parse_fru_text, F(product_asset_tag), "none", 0, 0,
          "product info area: asset tag",
          LIVE },
        { "fru.0", "product-fru-file-id", config_parse_fru_text, F(product_file_id), "none", 0, 0,
          "product info area: FRU file ID",
          LIVE },
        { "fru.0", "product-custom", config_parse_fru_custom, F(product_custom), "none", 0, 0,
          "product info area: custom fields, separated by commas",
          LIVE },
        { "fru.0", "multirecord", config_parse_fru_multirecord,
          offsetof(struct fru_config, multirecord),
          offsetof(struct fru_config, multirecord_len) + sizeof(size_t) -
          offsetof(struct fru_config, multirecord), "none", 0, 0,
          "multirecord area: TYPE:HEXBYTES records separated by commas (headers and checksums "
          "are added; types 0x00..0x03 must have their layout), or none",
          LIVE },
        { "fru.0", "multirecord-file", config_parse_fru_multirecord_file, F(multirecord_file),
          "none", 0, 0, "more multirecord records from a text file, \"TYPE: HEX...\" over as "
          "many lines as they need (after multirecord's), or none",
          LIVE },
        /* PICMG FRU Control (config-picmg.c): one action per option, PICMG 3.0 table 3-25. */
        { "fru.0", "cold-reset-action", config_parse_picmg_action,
          F(picmg_action[PICMG_ACTION_COLD_RESET]), "none", 0, 0,
          "PICMG FRU Control cold reset of this FRU's payload: gpio:CHIP:LINE[:active-low] "
          "(a pulse of [picmg] pulse-ms), exec:/PATH [ARGS] (no shell), or none",
          RESTART },
        { "fru.0", "warm-reset-action", config_parse_picmg_action,
          F(picmg_action[PICMG_ACTION_WARM_RESET]), "none", 0, 0,
          "PICMG FRU Control warm reset, as cold-reset-action; none: not supported",
          RESTART },
        { "fru.0", "graceful-reboot-action", config_parse_picmg_action,
          F(picmg_action[PICMG_ACTION_GRACEFUL_REBOOT]), "none", 0, 0,
          "PICMG FRU Control graceful reboot, as cold-reset-action; none: not supported",
          RESTART },
        { "fru.0", "diagnostic-interrupt-action", config_parse_picmg_action,
          F(picmg_action[PICMG_ACTION_DIAGNOSTIC_INTERRUPT]), "none", 0, 0,
          "PICMG FRU Control diagnostic interrupt, as cold-reset-action; none: not supported",
          RESTART },
        { "fru.0", "handle-switch", config_parse_picmg_handle, F(handle_switch), "none", 0, 0,
          "PICMG: this FRU's ejector handle switch, gpio:CHIP:LINE[:active-low] (an input, 1 = "
          "handle closed, debounced by [picmg] handle-switch-debounce-ms), or none: latched in",
          RESTART },
};

#undef F

const size_t config_fru_keys_n = ELEMENTSOF(config_fru_keys);
_Static_assert(ELEMENTSOF(config_fru_keys) <= CONFIG_FRU_KEYS_MAX,
               "raise CONFIG_FRU_KEYS_MAX in config-check.h");

bool config_fru_key_is_field(const struct config_key *k) {
        return strncmp(k->name, "chassis-", 8) == 0 || strncmp(k->name, "board-", 6) == 0 ||
               strncmp(k->name, "product-", 8) == 0 || strncmp(k->name, "multirecord", 11) == 0;
}
