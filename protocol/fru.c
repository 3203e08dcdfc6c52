/* SPDX-License-Identifier: MIT */
/* FRU information images: builder and validating parser. See fru.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fru.h"

uint8_t fru_checksum(const uint8_t *p, size_t len) {
        uint8_t sum = 0;

        for (size_t i = 0; i < len; i++)
                sum = (uint8_t) (sum + p[i]);
        return (uint8_t) -sum;
}

const char *fru_area_name(enum fru_area_kind k) {
        static const char *const names[_FRU_AREA_MAX] = {
                [FRU_AREA_INTERNAL] = "internal use",
                [FRU_AREA_CHASSIS] = "chassis info",
                [FRU_AREA_BOARD] = "board info",
                [FRU_AREA_PRODUCT] = "product info",
                [FRU_AREA_MULTIRECORD] = "multirecord",
        };

        return (unsigned) k < _FRU_AREA_MAX ? names[k] : "unknown";
}

/* ---- building ---- */

/* Bytes go to buf while they fit; pos keeps counting, so the caller learns the size needed. */
struct writer {
        uint8_t *buf;
        size_t cap;
        size_t pos;
};

static void put(struct writer *w, uint8_t b) {
        if (w->pos < w->cap)
                w->buf[w->pos] = b;
        w->pos++;
}

static void patch(struct writer *w, size_t at, uint8_t b) {
        if (at < w->cap)
                w->buf[at] = b;
}

static int check_field(const char *s) {
        size_t n = s ? strlen(s) : 0;

        /* 8-bit ASCII needs two or more bytes when present (spec section 13): a single byte
         * would be 0xC1, the end-of-fields marker. */
        if (n > FRU_FIELD_MAX || n == 1)
                return -EINVAL;
        return 0;
}

static void put_field(struct writer *w, const char *s) {
        size_t n = s ? strlen(s) : 0;

        put(w, (uint8_t) (0xC0 | n));
        for (size_t i = 0; i < n; i++)
                put(w, (uint8_t) s[i]);
}

/*
 * One info area: version, length, the fixed bytes, the fields, 0xC1, zero padding, checksum.
 * Returns the area's offset in units of 8, or -E2BIG.
 */
static int put_area(struct writer *w, const uint8_t *fixed, size_t n_fixed,
                    const char *const *fields, size_t n_fields) {
        size_t start = w->pos, len;

        if (start / 8 > 255)
                return -E2BIG;
        put(w, FRU_FORMAT_VERSION);
        put(w, 0);                      /* length, patched below */
        for (size_t i = 0; i < n_fixed; i++)
                put(w, fixed[i]);
        for (size_t i = 0; i < n_fields; i++)
                put_field(w, fields[i]);
        put(w, FRU_END_OF_FIELDS);
        while ((w->pos - start + 1) % 8 != 0)
                put(w, 0);
        put(w, 0);                      /* checksum, patched below */

        len = w->pos - start;
        if (len > FRU_AREA_MAX)
                return -E2BIG;
        patch(w, start + 1, (uint8_t) (len / 8));
        if (w->pos <= w->cap)
                patch(w, w->pos - 1, fru_checksum(w->buf + start, len - 1));
        return (int) (start / 8);
}

static int check_fields(const char *const *fields, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (check_field(fields[i]) < 0)
                        return -EINVAL;
        return 0;
}

ssize_t fru_build(const struct fru_info *info, uint8_t *buf, size_t cap) {
        struct writer w = { .buf = buf, .cap = cap };
        uint8_t header[FRU_HEADER_LEN] = { FRU_FORMAT_VERSION };
        const char *fields[7 + FRU_CUSTOM_MAX];
        int r;

        if (info->chassis.n_custom > FRU_CUSTOM_MAX || info->board.n_custom > FRU_CUSTOM_MAX ||
            info->product.n_custom > FRU_CUSTOM_MAX || info->board.mfg_minutes > FRU_MINUTES_MAX)
                return -EINVAL;

        w.pos = FRU_HEADER_LEN;         /* the header goes in last, once the offsets are known */

        if (info->chassis.present) {
                const struct fru_chassis *c = &info->chassis;
                uint8_t fixed[1] = { c->type };

                fields[0] = c->part_number;
                fields[1] = c->serial_number;
                memcpy(fields + 2, c->custom, c->n_custom * sizeof(c->custom[0]));
                if (check_fields(fields, 2 + c->n_custom) < 0)
                        return -EINVAL;
                r = put_area(&w, fixed, sizeof(fixed), fields, 2 + c->n_custom);
                if (r < 0)
                        return r;
                header[2] = (uint8_t) r;
        }
        if (info->board.present) {
                const struct fru_board *b = &info->board;
                uint8_t fixed[4] = {
                        b->language,
                        (uint8_t) b->mfg_minutes,
                        (uint8_t) (b->mfg_minutes >> 8),
                        (uint8_t) (b->mfg_minutes >> 16),
                };

                fields[0] = b->manufacturer;
                fields[1] = b->product_name;
                fields[2] = b->serial_number;
                fields[3] = b->part_number;
                fields[4] = b->file_id;
                memcpy(fields + 5, b->custom, b->n_custom * sizeof(b->custom[0]));
                if (check_fields(fields, 5 + b->n_custom) < 0)
                        return -EINVAL;
                r = put_area(&w, fixed, sizeof(fixed), fields, 5 + b->n_custom);
                if (r < 0)
                        return r;
                header[3] = (uint8_t) r;
        }
        if (info->product.present) {
                const struct fru_product *p = &info->product;
                uint8_t fixed[1] = { p->language };

                fields[0] = p->manufacturer;
                fields[1] = p->name;
                fields[2] = p->part_number;
                fields[3] = p->version;
                fields[4] = p->serial_number;
                fields[5] = p->asset_tag;
                fields[6] = p->file_id;
                memcpy(fields + 7, p->custom, p->n_custom * sizeof(p->custom[0]));
                if (check_fields(fields, 7 + p->n_custom) < 0)
                        return -EINVAL;
                r = put_area(&w, fixed, sizeof(fixed), fields, 7 + p->n_custom);
                if (r < 0)
                        return r;
                header[4] = (uint8_t) r;
        }
        if (info->n_records > 0) {
                size_t need = fru_multirecord_size(info->records, info->n_records);
                ssize_t n;

                if (w.pos / 8 > 255)
                        return -E2BIG;
                header[5] = (uint8_t) (w.pos / 8);
                if (w.pos + need <= cap) {
                        n = fru_multirecord_build(info->records, info->n_records, buf + w.pos,
                                                  cap - w.pos);
                        if (n < 0)
                                return n;
                } else
                        for (size_t i = 0; i < info->n_records; i++)
                                if (fru_record_check(info->records[i].type,
                                                     info->records[i].data,
                                                     info->records[i].len, NULL, 0) < 0)
                                        return -EINVAL;
                w.pos += need;
                while (w.pos % 8 != 0)
                        put(&w, 0);
        }

        header[7] = fru_checksum(header, FRU_HEADER_LEN - 1);
        if (w.pos > cap)
                return -ENOBUFS;
        memcpy(buf, header, sizeof(header));
        return (ssize_t) w.pos;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's method). */
static long days_from_civil(long y, unsigned m, unsigned d) {
        y -= m <= 2;
        long era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? (unsigned) -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (long) doe - 719468;
}

int fru_minutes_from_string(const char *s, uint32_t *ret) {
        static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned y, mo, d, h, mi;
        long minutes;
        int n = -1;

        /* Exactly "YYYY-MM-DD HH:MM": check the shape by hand, sscanf alone accepts "+1". */
        if (strlen(s) != 16)
                return -EINVAL;
        for (size_t i = 0; i < 16; i++) {
                static const char shape[] = "dddd-dd-dd dd:dd";
                if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
                        return -EINVAL;
        }
        if (sscanf(s, "%4u-%2u-%2u %2u:%2u%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59)
                return -EINVAL;
        if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
                return -EINVAL;

        minutes = (days_from_civil(y, mo, d) - days_from_civil(1996, 1, 1)) * 1440L +
                  (long) h * 60 + (long) mi;
        if (minutes < 0 || minutes > FRU_MINUTES_MAX)
                return -ERANGE;
        *ret = (uint32_t) minutes;
        return 0;
}

/* ---- parsing ---- */

struct parse_ctx {
        const uint8_t *img;
        size_t len;
        struct fru_report *report;
        size_t n_problems;
        bool keep_fields;               /* the caller wants the fields, not only the problems */
};

/* Where an area lies: what the overlap check needs of each area once it is parsed. */
struct area_span {
        bool present;
        size_t offset, length;
};

static void problem(struct parse_ctx *c, size_t offset, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void problem(struct parse_ctx *c, size_t offset, const char *fmt, ...) {
        c->n_problems++;
        if (!c->report)
                return;
        if (c->report->n_problems >= FRU_PROBLEMS_MAX) {
                c->report->n_dropped++;
                return;
        }
        struct fru_problem *p = &c->report->problems[c->report->n_problems++];
        va_list ap;

        p->offset = offset;
        va_start(ap, fmt);
        vsnprintf(p->message, sizeof(p->message), fmt, ap);
        va_end(ap);
}

static void parse_info_area(struct parse_ctx *c, enum fru_area_kind kind, size_t off,
                            struct fru_parsed_area *a) {
        /* Bytes before the first field, and fields the spec requires (FRU file ID included). */
        size_t fixed = kind == FRU_AREA_BOARD ? 6 : 3;
        size_t required = kind == FRU_AREA_CHASSIS ? 2 : kind == FRU_AREA_BOARD ? 5 : 7;
        const char *name = fru_area_name(kind);
        const uint8_t *img = c->img;
        size_t before = c->n_problems, alen, end, p, n = 0;
        bool ended = false;

        /* off < len is known; the length byte may still be missing. */
        if (img[off] != FRU_FORMAT_VERSION)
                problem(c, off, "%s area format version 0x%02x, expected 0x01", name, img[off]);
        if (off + 1 >= c->len) {
                problem(c, off, "%s area at %zu is cut off by the end of the %zu-byte image",
                        name, off, c->len);
                return;
        }
        alen = (size_t) img[off + 1] * 8;
        if (alen == 0) {
                problem(c, off + 1, "%s area length is 0", name);
                return;
        }
        if (off + alen > c->len) {
                problem(c, off + 1, "%s area length %zu runs past the end of the %zu-byte image",
                        name, alen, c->len);
                return;
        }
        a->length = alen;               /* known to lie inside the image from here on */
        if (fru_checksum(img + off, alen) != 0)
                problem(c, off + alen - 1, "%s area checksum 0x%02x, expected 0x%02x", name,
                        img[off + alen - 1], fru_checksum(img + off, alen - 1));

        /* alen >= 8 > fixed: the fixed bytes are inside the area. */
        a->type_or_language = img[off + 2];
        if (kind == FRU_AREA_BOARD)
                a->mfg_minutes = (uint32_t) img[off + 3] | (uint32_t) img[off + 4] << 8 |
                                 (uint32_t) img[off + 5] << 16;

        end = off + alen - 1;           /* the checksum byte: fields must end before it */
        for (p = off + fixed; p < end; ) {
                uint8_t tl = img[p];
                size_t flen = tl & 0x3F;

                if (tl == FRU_END_OF_FIELDS) {
                        ended = true;
                        break;
                }
                if (p + 1 + flen > end) {
                        problem(c, p, "%s area field %zu: type/length 0x%02x needs %zu bytes, "
                                "the area has %zu left", name, n + 1, tl, flen, end - p - 1);
                        break;
                }
                if (c->keep_fields && a->n_fields < FRU_PARSED_FIELDS_MAX) {
                        struct fru_parsed_field *f = &a->fields[a->n_fields++];

                        f->type = (uint8_t) (tl >> 6);
                        f->len = (uint8_t) flen;
                        memcpy(f->data, img + p + 1, flen);
                        f->data[flen] = 0;
                }
                n++;
                p += 1 + flen;
        }
        a->n_fields_total = n;
        if (!ended && p >= end)
                problem(c, end, "%s area has no end-of-fields marker 0xC1 before its checksum",
                        name);
        else if (ended && n < required)
                problem(c, p, "%s area ends after %zu of its %zu required fields", name, n,
                        required);
        a->valid = c->n_problems == before;
}

static void parse_multirecord(struct parse_ctx *c, size_t off, struct fru_parsed_area *a) {
        const uint8_t *img = c->img;
        size_t before = c->n_problems, p = off;
        char reason[FRU_MESSAGE_MAX];

        /* Every record moves p on by at least 5, so this ends within len / 5 rounds. */
        for (;;) {
                size_t rlen;

                if (p + 5 > c->len) {
                        problem(c, p, "multirecord record %zu: header runs past the end of the "
                                "%zu-byte image", a->n_records + 1, c->len);
                        break;
                }
                if (fru_checksum(img + p, 5) != 0) {
                        /* The length byte cannot be trusted either: stop here. */
                        problem(c, p + 4, "multirecord record %zu: header checksum 0x%02x, "
                                "expected 0x%02x", a->n_records + 1, img[p + 4],
                                fru_checksum(img + p, 4));
                        break;
                }
                if ((img[p + 1] & 0x0F) != 0x02)
                        problem(c, p + 1, "multirecord record %zu: format version %u, expected 2",
                                a->n_records + 1, img[p + 1] & 0x0F);
                rlen = img[p + 2];
                if (p + 5 + rlen > c->len) {
                        problem(c, p + 2, "multirecord record %zu: %zu data bytes run past the "
                                "end of the %zu-byte image", a->n_records + 1, rlen, c->len);
                        break;
                }
                if ((uint8_t) (fru_checksum(img + p + 5, rlen) - img[p + 3]) != 0)
                        problem(c, p + 3, "multirecord record %zu: data checksum 0x%02x, "
                                "expected 0x%02x", a->n_records + 1, img[p + 3],
                                fru_checksum(img + p + 5, rlen));
                if (fru_record_check(img[p], img + p + 5, rlen, reason, sizeof(reason)) < 0)
                        problem(c, p + 5, "multirecord record %zu: %s", a->n_records + 1, reason);
                a->n_records++;
                p += 5 + rlen;
                if (img[p - 5 - rlen + 1] & 0x80)
                        break;          /* end of list */
        }
        a->length = p - off;
        a->valid = c->n_problems == before;
}

size_t fru_parse(const uint8_t *img, size_t len, struct fru_parsed *out, struct fru_report *report) {
        struct parse_ctx c = { .img = img, .len = len, .report = report,
                               .keep_fields = out != NULL };
        struct area_span spans[_FRU_AREA_MAX] = {};
        /* Without *out each area is parsed into this one and only its span is kept: a check of
         * an image (every FRU store load) then costs 1.7 KiB of stack, not the 8.5 KiB of a
         * whole struct fru_parsed. */
        struct fru_parsed_area scratch;

        if (out)
                memset(out, 0, sizeof(*out));
        if (report)
                *report = (struct fru_report) { .n_problems = 0 };

        if (len < FRU_HEADER_LEN) {
                problem(&c, 0, "image is %zu bytes, shorter than the 8-byte common header", len);
                return c.n_problems;
        }
        if (img[0] != FRU_FORMAT_VERSION)
                problem(&c, 0, "common header format version 0x%02x, expected 0x01", img[0]);
        if (fru_checksum(img, FRU_HEADER_LEN) != 0)
                problem(&c, 7, "common header checksum 0x%02x, expected 0x%02x", img[7],
                        fru_checksum(img, FRU_HEADER_LEN - 1));

        for (enum fru_area_kind k = 0; k < _FRU_AREA_MAX; k++) {
                struct fru_parsed_area *a = out ? &out->areas[k] : &scratch;
                size_t off = (size_t) img[1 + k] * 8;

                if (off == 0)
                        continue;
                if (!out)
                        memset(a, 0, sizeof(*a));
                a->present = true;
                a->offset = off;
                if (off >= len)
                        problem(&c, 1 + k, "%s area offset %zu is beyond the %zu-byte image",
                                fru_area_name(k), off, len);
                else if (k == FRU_AREA_INTERNAL) {
                        /* Free-form after its version byte; it runs up to the next area. */
                        if (img[off] != FRU_FORMAT_VERSION)
                                problem(&c, off, "internal use area format version 0x%02x, "
                                        "expected 0x01", img[off]);
                        a->valid = true;
                } else if (k == FRU_AREA_MULTIRECORD)
                        parse_multirecord(&c, off, a);
                else
                        parse_info_area(&c, k, off, a);
                spans[k] = (struct area_span) { true, a->offset, a->length };
        }

        /* Areas with a known length must not run into the next one (any order is allowed). */
        for (enum fru_area_kind k = FRU_AREA_CHASSIS; k < _FRU_AREA_MAX; k++) {
                const struct area_span *a = &spans[k];

                if (!a->present || a->length == 0)
                        continue;
                for (enum fru_area_kind j = 0; j < _FRU_AREA_MAX; j++) {
                        const struct area_span *b = &spans[j];

                        if (j == k || !b->present || b->offset < a->offset)
                                continue;
                        if (b->offset == a->offset && j < k)
                                continue;       /* reported once, from the first of the two */
                        if (b->offset < a->offset + a->length)
                                problem(&c, 1 + k, "%s area (%zu bytes at %zu) overlaps the %s "
                                        "area at %zu", fru_area_name(k), a->length, a->offset,
                                        fru_area_name(j), b->offset);
                }
        }
        return c.n_problems;
}
