/* SPDX-License-Identifier: MIT */
/*
 * The emulated-bus wire format: every message type through encode and decode, every length
 * and address rule in the decoder, and the fault-rule parser on good and hostile text. Inputs
 * are copied to heap blocks of exactly their length, without a terminating NUL, so valgrind
 * sees any read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/emubus-wire.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define SENTINEL 0xA5

static uint8_t *dup_exact(const void *p, size_t len) {
        uint8_t *d = malloc(len > 0 ? len : 1);

        assert_non_null(d);
        if (len > 0)
                memcpy(d, p, len);
        return d;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (i * 29u + seed);
}

/* Decode a heap copy; a rejection must leave *out as it was. */
static int decode_checked(const uint8_t *pkt, size_t len, struct emubus_msg *out, uint8_t **owned) {
        struct emubus_msg pristine;
        uint8_t *copy = dup_exact(pkt, len);
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = emubus_decode(copy, len, out);
        if (r < 0)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        if (owned)
                *owned = copy;
        else
                free(copy);
        return r;
}

/* The layout docs/emulated-bus.md gives, written out independently of the encoder. */
static size_t ref_layout(const struct emubus_msg *m, uint8_t *out) {
        size_t n = 0;

        out[n++] = m->type;
        switch (m->type) {
        case EMUBUS_ATTACH:
        case EMUBUS_FAULT:
                break;
        case EMUBUS_WRITE:
                out[n++] = m->tag;
                out[n++] = m->addr7;
                break;
        case EMUBUS_DELIVER:
                out[n++] = m->addr7;
                break;
        case EMUBUS_IPMBDEV:
                out[n++] = m->addr7;
                out[n++] = m->mode;
                return n;
        case EMUBUS_DEVWRITE:
                out[n++] = m->tag;
                out[n++] = m->mode;
                break;
        case EMUBUS_ATTACHED:
        case EMUBUS_FAULTED:
        case EMUBUS_IPMBDEV_OK:
                out[n++] = m->status;
                return n;
        case EMUBUS_WRITTEN:
        case EMUBUS_DEVWRITTEN:
                out[n++] = m->tag;
                out[n++] = m->status;
                return n;
        default:
                fail_msg("ref_layout: type 0x%02x", m->type);
        }
        if (m->len > 0)         /* an empty DEVWRITE may have no data pointer at all */
                memcpy(out + n, m->data, m->len);
        return n + m->len;
}

/* --- round trip ------------------------------------------------------------------------- */

static void test_round_trip_every_type(void **state) {
        static const uint8_t one_addr[] = { 0x39 };
        static const uint8_t edge_addrs[] = { 0x08, 0x77 };
        static const uint8_t frame[] = { 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };
        static const char fault_text[] = "drop@0x39:n=1";
        uint8_t sixteen[EMUBUS_ATTACH_MAX], big[EMUBUS_DATA_MAX], fault_max[EMUBUS_FAULT_TEXT_MAX];
        uint8_t one_byte[] = { 0x00 };

        for (size_t i = 0; i < sizeof(sixteen); i++)
                sixteen[i] = (uint8_t) (0x08 + i * 7);
        fill_pattern(big, sizeof(big), 3);
        memset(fault_max, 'x', sizeof(fault_max));

        const struct {
                const char *name;
                struct emubus_msg m;
                size_t want_len;
        } cases[] = {
                { "attach one", { .type = EMUBUS_ATTACH, .data = one_addr, .len = 1 }, 2 },
                { "attach edges", { .type = EMUBUS_ATTACH, .data = edge_addrs, .len = 2 }, 3 },
                { "attach sixteen", { .type = EMUBUS_ATTACH, .data = sixteen, .len = 16 }, 17 },
                { "write frame", { .type = EMUBUS_WRITE, .tag = 1, .addr7 = 0x39, .data = frame,
                                   .len = sizeof(frame) }, 3 + sizeof(frame) },
                { "write one byte", { .type = EMUBUS_WRITE, .tag = 0xFF, .addr7 = 0x7F,
                                      .data = one_byte, .len = 1 }, 4 },
                { "write general call", { .type = EMUBUS_WRITE, .tag = 0, .addr7 = 0x00,
                                          .data = frame, .len = sizeof(frame) }, 3 + sizeof(frame) },
                { "write largest", { .type = EMUBUS_WRITE, .tag = 0x80, .addr7 = 0x10, .data = big,
                                     .len = EMUBUS_DATA_MAX }, EMUBUS_PACKET_MAX },
                { "deliver frame", { .type = EMUBUS_DELIVER, .addr7 = 0x39, .data = frame,
                                     .len = sizeof(frame) }, 2 + sizeof(frame) },
                { "deliver general call", { .type = EMUBUS_DELIVER, .addr7 = 0x00,
                                            .data = one_byte, .len = 1 }, 3 },
                { "deliver largest", { .type = EMUBUS_DELIVER, .addr7 = 0x7F, .data = big,
                                       .len = EMUBUS_DATA_MAX }, 2 + EMUBUS_DATA_MAX },
                { "fault", { .type = EMUBUS_FAULT, .data = (const uint8_t *) fault_text,
                             .len = sizeof(fault_text) - 1 }, sizeof(fault_text) },
                { "fault longest", { .type = EMUBUS_FAULT, .data = fault_max,
                                     .len = EMUBUS_FAULT_TEXT_MAX }, 1 + EMUBUS_FAULT_TEXT_MAX },
                { "attached ok", { .type = EMUBUS_ATTACHED, .status = 0 }, 2 },
                { "attached EADDRINUSE", { .type = EMUBUS_ATTACHED, .status = EADDRINUSE }, 2 },
                { "attached 255", { .type = EMUBUS_ATTACHED, .status = 255 }, 2 },
                { "written ack", { .type = EMUBUS_WRITTEN, .tag = 7, .status = EMUBUS_ACK }, 3 },
                { "written nak", { .type = EMUBUS_WRITTEN, .tag = 0xFF, .status = EMUBUS_NAK }, 3 },
                { "faulted ok", { .type = EMUBUS_FAULTED, .status = 0 }, 2 },
                { "faulted EINVAL", { .type = EMUBUS_FAULTED, .status = EINVAL }, 2 },
                { "ipmbdev i2c", { .type = EMUBUS_IPMBDEV, .addr7 = 0x3A,
                                   .mode = EMUBUS_IPMBDEV_I2C }, 3 },
                { "ipmbdev smbus", { .type = EMUBUS_IPMBDEV, .addr7 = 0x77,
                                     .mode = EMUBUS_IPMBDEV_SMBUS }, 3 },
                { "ipmbdev ok", { .type = EMUBUS_IPMBDEV_OK, .status = 0 }, 2 },
                { "ipmbdev EADDRINUSE", { .type = EMUBUS_IPMBDEV_OK, .status = EADDRINUSE }, 2 },
                { "devwrite empty", { .type = EMUBUS_DEVWRITE, .tag = 3,
                                      .mode = EMUBUS_IPMBDEV_I2C }, 3 },
                { "devwrite frame", { .type = EMUBUS_DEVWRITE, .tag = 4, .mode = EMUBUS_IPMBDEV_SMBUS,
                                      .data = frame, .len = sizeof(frame) }, 3 + sizeof(frame) },
                { "devwrite largest", { .type = EMUBUS_DEVWRITE, .tag = 5, .mode = EMUBUS_IPMBDEV_I2C,
                                        .data = big, .len = EMUBUS_DEVWRITE_MAX },
                  3 + EMUBUS_DEVWRITE_MAX },
                { "devwritten ok", { .type = EMUBUS_DEVWRITTEN, .tag = 9, .status = 0 }, 3 },
                { "devwritten ENXIO", { .type = EMUBUS_DEVWRITTEN, .tag = 9, .status = ENXIO }, 3 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct emubus_msg *m = &cases[i].m;
                uint8_t want[EMUBUS_PACKET_MAX + 8], *buf, *copy;
                struct emubus_msg d;
                size_t want_len = ref_layout(m, want);
                int r;

                assert_int_equal(want_len, cases[i].want_len);

                /* A buffer of exactly the packet's size is enough. */
                buf = malloc(want_len);
                assert_non_null(buf);
                r = emubus_encode(m, buf, want_len);
                if (r < 0 || (size_t) r != want_len)
                        fail_msg("%s: encode %d, want %zu", cases[i].name, r, want_len);
                assert_memory_equal(buf, want, want_len);

                r = decode_checked(buf, want_len, &d, &copy);
                if (r != 0)
                        fail_msg("%s: decode %d", cases[i].name, r);
                assert_int_equal(d.type, m->type);
                switch (m->type) {
                case EMUBUS_WRITE:
                        assert_int_equal(d.tag, m->tag);
                        assert_int_equal(d.addr7, m->addr7);
                        assert_ptr_equal(d.data, copy + 3);
                        break;
                case EMUBUS_DELIVER:
                        assert_int_equal(d.addr7, m->addr7);
                        assert_ptr_equal(d.data, copy + 2);
                        break;
                case EMUBUS_ATTACH:
                case EMUBUS_FAULT:
                        assert_ptr_equal(d.data, copy + 1);
                        break;
                case EMUBUS_WRITTEN:
                case EMUBUS_DEVWRITTEN:
                        assert_int_equal(d.tag, m->tag);
                        assert_int_equal(d.status, m->status);
                        break;
                case EMUBUS_IPMBDEV:
                        assert_int_equal(d.addr7, m->addr7);
                        assert_int_equal(d.mode, m->mode);
                        break;
                case EMUBUS_DEVWRITE:
                        assert_int_equal(d.tag, m->tag);
                        assert_int_equal(d.mode, m->mode);
                        assert_ptr_equal(d.data, copy + 3);
                        break;
                default:
                        assert_int_equal(d.status, m->status);
                        break;
                }
                assert_int_equal(d.len, m->len);
                if (m->len > 0)
                        assert_memory_equal(d.data, m->data, m->len);

                /* And back again to the same bytes. */
                assert_int_equal(emubus_encode(&d, buf, want_len), (int) want_len);
                assert_memory_equal(buf, want, want_len);

                free(copy);
                free(buf);
        }
}

/* One byte short of the packet, or no room at all: -EMSGSIZE and not a byte written. */
static void test_encode_small_buffer(void **state) {
        static const uint8_t frame[] = { 0x18, 0x76, 0x20, 0x04, 0x01, 0xDB };
        static const uint8_t addrs[] = { 0x10, 0x39 };
        static const struct emubus_msg msgs[] = {
                { .type = EMUBUS_ATTACH, .data = addrs, .len = 2 },
                { .type = EMUBUS_WRITE, .tag = 1, .addr7 = 0x39, .data = frame, .len = 6 },
                { .type = EMUBUS_DELIVER, .addr7 = 0x39, .data = frame, .len = 6 },
                { .type = EMUBUS_FAULT, .data = (const uint8_t *) "drop", .len = 4 },
                { .type = EMUBUS_ATTACHED },
                { .type = EMUBUS_WRITTEN, .tag = 3, .status = EMUBUS_NAK },
                { .type = EMUBUS_FAULTED, .status = 22 },
        };
        uint8_t big[EMUBUS_PACKET_MAX];

        for (size_t i = 0; i < ELEMENTSOF(msgs); i++) {
                int need = emubus_encode(&msgs[i], big, sizeof(big));

                assert_true(need > 0);
                for (size_t size = 0; size < (size_t) need; size++) {
                        uint8_t *buf = malloc(size > 0 ? size : 1);

                        assert_non_null(buf);
                        memset(buf, SENTINEL, size > 0 ? size : 1);
                        assert_int_equal(emubus_encode(&msgs[i], buf, size), -EMSGSIZE);
                        for (size_t k = 0; k < size; k++)
                                assert_int_equal(buf[k], SENTINEL);
                        free(buf);
                }
        }
}

static void test_encode_invalid(void **state) {
        static const uint8_t frame[] = { 0x18, 0x76 };
        uint8_t toobig[EMUBUS_DATA_MAX + 2] = { 0 };
        const struct {
                const char *name;
                struct emubus_msg m;
                int want;
        } cases[] = {
                { "write empty", { .type = EMUBUS_WRITE, .addr7 = 0x39, .data = frame, .len = 0 },
                  -EINVAL },
                { "write empty, NULL", { .type = EMUBUS_WRITE, .addr7 = 0x39 }, -EINVAL },
                { "deliver empty", { .type = EMUBUS_DELIVER, .addr7 = 0x39, .data = frame },
                  -EINVAL },
                { "write address 0x80", { .type = EMUBUS_WRITE, .addr7 = 0x80, .data = frame,
                                          .len = 2 }, -EINVAL },
                { "deliver address 0xFF", { .type = EMUBUS_DELIVER, .addr7 = 0xFF, .data = frame,
                                            .len = 2 }, -EINVAL },
                { "type 0", { .type = 0x00 }, -EINVAL },
                { "type 7", { .type = 0x07 }, -EINVAL },
                { "ipmbdev address 0x78", { .type = EMUBUS_IPMBDEV, .addr7 = 0x78 }, -EINVAL },
                { "ipmbdev mode 2", { .type = EMUBUS_IPMBDEV, .addr7 = 0x3A, .mode = 2 }, -EINVAL },
                { "devwrite mode 2", { .type = EMUBUS_DEVWRITE, .mode = 2 }, -EINVAL },
                { "devwrite data 256", { .type = EMUBUS_DEVWRITE, .data = toobig,
                                         .len = EMUBUS_DEVWRITE_MAX + 1 }, -EMSGSIZE },
                { "type 0x83", { .type = 0x83 }, -EINVAL },
                { "type 0xFF", { .type = 0xFF }, -EINVAL },
                { "write data 256", { .type = EMUBUS_WRITE, .addr7 = 0x39, .data = toobig,
                                      .len = EMUBUS_DATA_MAX + 1 }, -EMSGSIZE },
                { "deliver data 257", { .type = EMUBUS_DELIVER, .addr7 = 0x39, .data = toobig,
                                        .len = EMUBUS_DATA_MAX + 2 }, -EMSGSIZE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t buf[EMUBUS_PACKET_MAX + 16];
                int r;

                memset(buf, SENTINEL, sizeof(buf));
                r = emubus_encode(&cases[i].m, buf, sizeof(buf));
                if (r != cases[i].want)
                        fail_msg("%s: %d, want %d", cases[i].name, r, cases[i].want);
                for (size_t k = 0; k < sizeof(buf); k++)
                        assert_int_equal(buf[k], SENTINEL);
        }
}

/* --- decode rejects --------------------------------------------------------------------- */

static void test_decode_rejects(void **state) {
        static const struct {
                const char *name;
                uint8_t bytes[8];
                size_t len;
        } cases[] = {
                { "empty", { 0 }, 0 },
                { "type 0x00", { 0x00, 0x39, 0x01 }, 3 },
                { "type 0x07", { 0x07, 0x39, 0x01 }, 3 },
                { "type 0x80", { 0x80, 0x00 }, 2 },
                { "type 0x83", { 0x83, 0x00 }, 2 },
                { "type 0x87", { 0x87, 0x00 }, 2 },
                { "type 0xFF", { 0xFF, 0x00, 0x00 }, 3 },
                { "type 0xFF alone", { 0xFF }, 1 },
                { "attach no address", { EMUBUS_ATTACH }, 1 },
                { "attach 0x00", { EMUBUS_ATTACH, 0x00 }, 2 },
                { "attach 0x07", { EMUBUS_ATTACH, 0x07 }, 2 },
                { "attach 0x78", { EMUBUS_ATTACH, 0x78 }, 2 },
                { "attach 0x7F", { EMUBUS_ATTACH, 0x7F }, 2 },
                { "attach 0x80", { EMUBUS_ATTACH, 0x80 }, 2 },
                { "attach 0xFF", { EMUBUS_ATTACH, 0xFF }, 2 },
                { "attach good then bad", { EMUBUS_ATTACH, 0x10, 0x39, 0x78 }, 4 },
                { "attach bad then good", { EMUBUS_ATTACH, 0x03, 0x39 }, 3 },
                { "write type only", { EMUBUS_WRITE }, 1 },
                { "write no address", { EMUBUS_WRITE, 0x01 }, 2 },
                { "write no data", { EMUBUS_WRITE, 0x01, 0x39 }, 3 },
                { "write address 0x80", { EMUBUS_WRITE, 0x01, 0x80, 0x18 }, 4 },
                { "write address 0xFF", { EMUBUS_WRITE, 0x01, 0xFF, 0x18 }, 4 },
                { "deliver type only", { EMUBUS_DELIVER }, 1 },
                { "deliver no data", { EMUBUS_DELIVER, 0x39 }, 2 },
                { "deliver address 0x80", { EMUBUS_DELIVER, 0x80, 0x18 }, 3 },
                { "fault no text", { EMUBUS_FAULT }, 1 },
                { "attached short", { EMUBUS_ATTACHED }, 1 },
                { "attached long", { EMUBUS_ATTACHED, 0x00, 0x00 }, 3 },
                { "faulted short", { EMUBUS_FAULTED }, 1 },
                { "faulted long", { EMUBUS_FAULTED, 0x00, 0x00 }, 3 },
                { "written type only", { EMUBUS_WRITTEN }, 1 },
                { "written short", { EMUBUS_WRITTEN, 0x01 }, 2 },
                { "written long", { EMUBUS_WRITTEN, 0x01, 0x00, 0x00 }, 4 },
                { "written status 2", { EMUBUS_WRITTEN, 0x01, 0x02 }, 3 },
                { "written status 0xFF", { EMUBUS_WRITTEN, 0x01, 0xFF }, 3 },
                { "ipmbdev type only", { EMUBUS_IPMBDEV }, 1 },
                { "ipmbdev no mode", { EMUBUS_IPMBDEV, 0x3A }, 2 },
                { "ipmbdev long", { EMUBUS_IPMBDEV, 0x3A, 0x00, 0x00 }, 4 },
                { "ipmbdev address 0x00", { EMUBUS_IPMBDEV, 0x00, 0x00 }, 3 },
                { "ipmbdev address 0x78", { EMUBUS_IPMBDEV, 0x78, 0x00 }, 3 },
                { "ipmbdev 8-bit address", { EMUBUS_IPMBDEV, 0xE8, 0x00 }, 3 },
                { "ipmbdev mode 2", { EMUBUS_IPMBDEV, 0x3A, 0x02 }, 3 },
                { "ipmbdev_ok short", { EMUBUS_IPMBDEV_OK }, 1 },
                { "ipmbdev_ok long", { EMUBUS_IPMBDEV_OK, 0x00, 0x00 }, 3 },
                { "devwrite type only", { EMUBUS_DEVWRITE }, 1 },
                { "devwrite no mode", { EMUBUS_DEVWRITE, 0x01 }, 2 },
                { "devwrite mode 2", { EMUBUS_DEVWRITE, 0x01, 0x02, 0x07 }, 4 },
                { "devwritten short", { EMUBUS_DEVWRITTEN, 0x01 }, 2 },
                { "devwritten long", { EMUBUS_DEVWRITTEN, 0x01, 0x00, 0x00 }, 4 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct emubus_msg m;
                int r = decode_checked(cases[i].bytes, cases[i].len, &m, NULL);

                if (r != -EBADMSG)
                        fail_msg("%s: %d, want -EBADMSG", cases[i].name, r);
        }
}

/* Every unknown type byte, with and without payload. */
static void test_decode_every_type_byte(void **state) {
        static const uint8_t payload[] = { 0x39, 0x00, 0x18 };

        for (unsigned t = 0; t < 256; t++) {
                bool known = t == EMUBUS_ATTACH || t == EMUBUS_WRITE || t == EMUBUS_DELIVER ||
                             t == EMUBUS_FAULT || t == EMUBUS_ATTACHED || t == EMUBUS_WRITTEN ||
                             t == EMUBUS_FAULTED || t == EMUBUS_IPMBDEV || t == EMUBUS_DEVWRITE ||
                             t == EMUBUS_IPMBDEV_OK || t == EMUBUS_DEVWRITTEN;
                uint8_t pkt[1 + sizeof(payload)];
                struct emubus_msg m;

                if (known)
                        continue;
                pkt[0] = (uint8_t) t;
                memcpy(pkt + 1, payload, sizeof(payload));
                for (size_t len = 1; len <= sizeof(pkt); len++)
                        assert_int_equal(decode_checked(pkt, len, &m, NULL), -EBADMSG);
        }
}

/* Length limits, probed on both sides of every boundary. */
static void test_decode_length_limits(void **state) {
        static const struct {
                const char *name;
                uint8_t type;
                size_t header;          /* bytes before the variable part */
                size_t min, max;        /* accepted variable-part lengths */
        } kinds[] = {
                { "attach", EMUBUS_ATTACH, 1, 1, EMUBUS_ATTACH_MAX },
                { "write", EMUBUS_WRITE, 3, 1, EMUBUS_DATA_MAX },
                { "deliver", EMUBUS_DELIVER, 2, 1, EMUBUS_DATA_MAX },
                { "fault", EMUBUS_FAULT, 1, 1, EMUBUS_FAULT_TEXT_MAX },
        };
        uint8_t pkt[EMUBUS_PACKET_MAX + 64];

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                for (size_t n = 0; n <= kinds[k].max + 2; n++) {
                        struct emubus_msg m;
                        size_t len = kinds[k].header + n;
                        bool ok = n >= kinds[k].min && n <= kinds[k].max;
                        int r;

                        /* Every byte 0x39: a valid address and a valid tag alike. */
                        memset(pkt, 0x39, sizeof(pkt));
                        pkt[0] = kinds[k].type;
                        r = decode_checked(pkt, len, &m, NULL);
                        if (r != (ok ? 0 : -EBADMSG))
                                fail_msg("%s with %zu bytes: %d", kinds[k].name, n, r);
                        if (ok)
                                assert_int_equal(m.len, n);
                }

        /* A DEVWRITE carries what write() was given, from nothing up to EMUBUS_DEVWRITE_MAX. */
        for (size_t n = 0; n <= EMUBUS_DEVWRITE_MAX + 2; n++) {
                struct emubus_msg m;
                int r;

                memset(pkt, 0x39, sizeof(pkt));
                pkt[0] = EMUBUS_DEVWRITE;
                pkt[2] = EMUBUS_IPMBDEV_I2C;
                r = decode_checked(pkt, 3 + n, &m, NULL);
                if (r != (n <= EMUBUS_DEVWRITE_MAX ? 0 : -EBADMSG))
                        fail_msg("devwrite with %zu bytes: %d", n, r);
        }
}

/* Each address byte: accepted exactly in its documented range. */
static void test_decode_address_ranges(void **state) {
        for (unsigned a = 0; a < 256; a++) {
                const uint8_t attach[] = { EMUBUS_ATTACH, (uint8_t) a };
                const uint8_t write[] = { EMUBUS_WRITE, 0x55, (uint8_t) a, 0x18 };
                const uint8_t deliver[] = { EMUBUS_DELIVER, (uint8_t) a, 0x18 };
                struct emubus_msg m;

                assert_int_equal(decode_checked(attach, sizeof(attach), &m, NULL),
                                 a >= 0x08 && a <= 0x77 ? 0 : -EBADMSG);
                assert_int_equal(emubus_addr7_attachable((uint8_t) a), a >= 0x08 && a <= 0x77);
                assert_int_equal(decode_checked(write, sizeof(write), &m, NULL),
                                 a <= 0x7F ? 0 : -EBADMSG);
                assert_int_equal(decode_checked(deliver, sizeof(deliver), &m, NULL),
                                 a <= 0x7F ? 0 : -EBADMSG);
        }
}

/* --- fault rules ------------------------------------------------------------------------ */

static int parse_exact(const char *text, size_t len, struct emubus_fault *out) {
        struct emubus_fault pristine;
        uint8_t *copy = dup_exact(text, len);       /* no NUL after the text */
        int r;

        memset(&pristine, SENTINEL, sizeof(pristine));
        memset(out, SENTINEL, sizeof(*out));
        r = emubus_fault_parse((const char *) copy, len, out);
        if (r < 0)
                assert_memory_equal(out, &pristine, sizeof(pristine));
        free(copy);
        return r;
}

struct fault_case {
        const char *text;
        size_t len;             /* 0: strlen(text) */
        enum emubus_fault_kind kind;
        int addr7;
        double probability;
        unsigned count, delay_ms;
};

static void check_good_fault(const struct fault_case *c) {
        size_t len = c->len > 0 ? c->len : strlen(c->text);
        struct emubus_fault f;
        int r = parse_exact(c->text, len, &f);

        if (r != 0)
                fail_msg("\"%.*s\": %d, want 0", (int) len, c->text, r);
        assert_false(f.clear);
        if (f.kind != c->kind || f.addr7 != c->addr7 || f.probability != c->probability ||
            f.count != c->count || f.delay_ms != c->delay_ms)
                fail_msg("\"%.*s\": kind %d addr7 %d p %g n %u ms %u; want %d %d %g %u %u",
                         (int) len, c->text, f.kind, f.addr7, f.probability, f.count, f.delay_ms,
                         c->kind, c->addr7, c->probability, c->count, c->delay_ms);
}

static void test_fault_parse_good(void **state) {
        static const struct fault_case cases[] = {
                { "drop", 0, EMUBUS_FAULT_DROP, -1, 1.0, 0, 50 },
                { "nak", 0, EMUBUS_FAULT_NAK, -1, 1.0, 0, 50 },
                { "corrupt", 0, EMUBUS_FAULT_CORRUPT, -1, 1.0, 0, 50 },
                { "delay", 0, EMUBUS_FAULT_DELAY, -1, 1.0, 0, 50 },
                { "nak@0x39", 0, EMUBUS_FAULT_NAK, 0x39, 1.0, 0, 50 },
                { "nak@0X39", 0, EMUBUS_FAULT_NAK, 0x39, 1.0, 0, 50 },
                { "corrupt@57:p=0.25", 0, EMUBUS_FAULT_CORRUPT, 57, 0.25, 0, 50 },
                { "delay:ms=100:n=3", 0, EMUBUS_FAULT_DELAY, -1, 1.0, 3, 100 },
                { "delay:n=3:ms=100", 0, EMUBUS_FAULT_DELAY, -1, 1.0, 3, 100 },
                { "drop@0x10:n=1", 0, EMUBUS_FAULT_DROP, 0x10, 1.0, 1, 50 },
                { "drop@0x39:p=0.3", 0, EMUBUS_FAULT_DROP, 0x39, 0.3, 0, 50 },
                { "drop@0:p=1", 0, EMUBUS_FAULT_DROP, 0, 1.0, 0, 50 },
                { "drop@0x7f", 0, EMUBUS_FAULT_DROP, 0x7F, 1.0, 0, 50 },
                { "drop@127", 0, EMUBUS_FAULT_DROP, 127, 1.0, 0, 50 },
                { "drop:p=1e-3", 0, EMUBUS_FAULT_DROP, -1, 1e-3, 0, 50 },
                { "drop:n=0", 0, EMUBUS_FAULT_DROP, -1, 1.0, 0, 50 },
                { "delay:ms=0", 0, EMUBUS_FAULT_DELAY, -1, 1.0, 0, 0 },
                { "delay@0x72:p=0.5:n=1000000:ms=60000", 0, EMUBUS_FAULT_DELAY, 0x72, 0.5,
                  1000000, 60000 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_good_fault(&cases[i]);
}

static void test_fault_parse_clear(void **state) {
        struct emubus_fault f;

        assert_int_equal(parse_exact("clear", 5, &f), 0);
        assert_true(f.clear);
        /* Only the first five bytes count. */
        assert_int_equal(parse_exact("clearance", 5, &f), 0);
        assert_true(f.clear);
        assert_int_equal(parse_exact("clear:n=1", 5, &f), 0);
        assert_true(f.clear);
}

static void test_fault_parse_bad(void **state) {
        static const char *const bad[] = {
                "", "explode", "drop@", "drop@0x80", "drop:p=0", "drop:p=1.5", "drop:x=1",
                "drop:p", "drop:n=-1", "drop::", "nak@0x39junk", "delay:ms=60001",
                /* kind */
                "DROP", "Drop", "dro", "dropp", " drop", "drop ", "@0x39", ":p=0.5", ":", "@",
                "clearx", "clear:p=1", "cleardrop", "drop,nak",
                /* address */
                "drop@-1", "drop@+5", "drop@0x", "drop@x39", "drop@@0x39", "drop@0x39@0x3a",
                "drop@128", "drop@256", "drop@4294967296", "drop@99999999999999999999999",
                "drop@0x39 ", "drop@0x39:",
                /* keys */
                "drop:", "drop:=1", "drop:p=", "drop:n=", "drop:ms=", "drop:P=0.5", "drop:pp=0.5",
                "drop:p:0.5", "drop:p==0.5", "drop:n=1:", "drop:n=1::", "drop;n=1",
                /* values */
                "drop:p=-0.5", "drop:p=0.0", "drop:p=1.0000001", "drop:p=nan", "drop:p=inf",
                "drop:p=-inf", "drop:p=0.5x", "drop:p=x", "drop:p=1e400", "drop:p=0.5 ",
                "drop:n=1000001", "drop:n=+1", "drop:n=1.5", "drop:n=1x", "drop:n=0x",
                "drop:n=99999999999999999999999", "delay:ms=-1", "delay:ms=+1",
                "delay:ms=100000", "delay:ms=4294967296",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct emubus_fault f;
                int r = parse_exact(bad[i], strlen(bad[i]), &f);

                if (r != -EINVAL)
                        fail_msg("\"%s\": %d, want -EINVAL", bad[i], r);
        }
}

/*
 * The text comes straight out of a packet: it is bounded by len, not by a NUL. Bytes past len
 * must not matter, and a NUL inside len must not end it early.
 */
static void test_fault_parse_not_nul_terminated(void **state) {
        static const struct fault_case truncated[] = {
                /* buffer,           len, what the first len bytes say */
                { "nak@0x39junk",      8, EMUBUS_FAULT_NAK, 0x39, 1.0, 0, 50 },
                { "drop@0x39",         4, EMUBUS_FAULT_DROP, -1, 1.0, 0, 50 },
                { "drop@0x39",         8, EMUBUS_FAULT_DROP, 0x03, 1.0, 0, 50 },
                { "drop:p=0.25",      10, EMUBUS_FAULT_DROP, -1, 0.2, 0, 50 },
                { "delay:ms=100",     11, EMUBUS_FAULT_DELAY, -1, 1.0, 0, 10 },
                { "delay:n=35:ms=9",  10, EMUBUS_FAULT_DELAY, -1, 1.0, 35, 50 },
                { "corruptXYZ",        7, EMUBUS_FAULT_CORRUPT, -1, 1.0, 0, 50 },
        };
        static const struct { const char *bytes; size_t len; } embedded_nul[] = {
                { "drop\0", 5 },
                { "drop@0x39\0junk", 14 },
                { "drop@0x39\0", 10 },
                { "drop:n=5\0", 9 },
                { "drop:n=5\0" "0", 10 },
                { "drop:p=0.5\0", 11 },
                { "delay:ms=10\0" "0", 13 },
                { "\0drop", 5 },
                { "clear\0", 6 },
        };
        static const char *const cut_bad[] = {
                /* prefixes that are not rules on their own */
                "drop@0x39", "drop:p=0.5", "delay:ms=100",
        };
        struct emubus_fault f;

        for (size_t i = 0; i < ELEMENTSOF(truncated); i++)
                check_good_fault(&truncated[i]);

        for (size_t i = 0; i < ELEMENTSOF(embedded_nul); i++) {
                int r = parse_exact(embedded_nul[i].bytes, embedded_nul[i].len, &f);
                if (r != -EINVAL)
                        fail_msg("case %zu (\"%s\" + NUL...): %d, want -EINVAL", i,
                                 embedded_nul[i].bytes, r);
        }

        /* drop@ (5), drop: (5), drop:p= (7), delay:ms= (9): cut inside the rule. */
        assert_int_equal(parse_exact(cut_bad[0], 5, &f), -EINVAL);
        assert_int_equal(parse_exact(cut_bad[1], 5, &f), -EINVAL);
        assert_int_equal(parse_exact(cut_bad[1], 7, &f), -EINVAL);
        assert_int_equal(parse_exact(cut_bad[2], 9, &f), -EINVAL);
        assert_int_equal(parse_exact(cut_bad[2], 0, &f), -EINVAL);
}

/* Whatever the text, a parsed rule is within the documented ranges. */
static void test_fault_parse_every_prefix(void **state) {
        static const char *const rules[] = {
                "delay@0x72:p=0.5:n=1000000:ms=60000",
                "corrupt@57:p=0.25",
                "nak@0x39:n=2",
        };

        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                for (size_t len = 0; len <= strlen(rules[i]); len++) {
                        struct emubus_fault f;

                        if (parse_exact(rules[i], len, &f) < 0)
                                continue;
                        assert_false(f.clear);
                        assert_true(f.addr7 >= -1 && f.addr7 <= 0x7F);
                        assert_true(f.probability > 0.0 && f.probability <= 1.0);
                        assert_true(f.kind <= EMUBUS_FAULT_DELAY);
                        assert_true(f.delay_ms <= 60000);
                        assert_true(f.count <= 1000000);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip_every_type),
                cmocka_unit_test(test_encode_small_buffer),
                cmocka_unit_test(test_encode_invalid),
                cmocka_unit_test(test_decode_rejects),
                cmocka_unit_test(test_decode_every_type_byte),
                cmocka_unit_test(test_decode_length_limits),
                cmocka_unit_test(test_decode_address_ranges),
                cmocka_unit_test(test_fault_parse_good),
                cmocka_unit_test(test_fault_parse_clear),
                cmocka_unit_test(test_fault_parse_bad),
                cmocka_unit_test(test_fault_parse_not_nul_terminated),
                cmocka_unit_test(test_fault_parse_every_prefix),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
