/* SPDX-License-Identifier: MIT */
/* The device SDR repository: records built from the configuration, one reservation. See
 * sdr-repo.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "protocol/ipmi.h"
#include "sdr-repo.h"

#define SDR_EXPORT_ROUND 512

struct sdr_repository {
        uint8_t *buf;
        size_t len;
        unsigned count;
        unsigned sensors[4];            /* by owner LUN */
        uint16_t reservation;           /* last one handed out; 0 = none yet */
        bool reserved;                  /* reservation still in force */
        uint32_t generation;
        uint32_t add_time;
        uint32_t erase_time;
};

uint8_t sdr_device_support(const struct satmc_config *config, bool provides_device_sdrs) {
        uint8_t bits = config->identity.device_support;

        if (config->fru[0].present)
                bits |= IPMI_DEVSUP_FRU_INVENTORY;
        if (provides_device_sdrs)
                bits |= IPMI_DEVSUP_SENSOR;
        /* Sensors send Platform Event Messages (while a receiver is set). */
        for (unsigned i = 0; i < config->sensor_end; i++)
                if (config->sensor[i].present) {
                        bits |= IPMI_DEVSUP_IPMB_EVENT_GENERATOR;
                        break;
                }
        return bits;
}

/* Copy at most 16 bytes of s into an SDR ID string; the record cannot hold more. */
static void set_id(char id[static SDR_ID_STRING_MAX + 1], const char *s) {
        snprintf(id, SDR_ID_STRING_MAX + 1, "%s", s);
}

static int append(struct sdr_repository *r, int (*encode)(uint16_t, const void *, uint8_t *, size_t),
                  const void *record) {
        uint8_t *p;
        int n;

        p = realloc(r->buf, r->len + SDR_FULL_SENSOR_MAX);
        if (!p)
                return -ENOMEM;
        r->buf = p;
        /* Record IDs are 1, 2, ...: 0 means "the first record" in Get SDR, 0xFFFF "the end". */
        n = encode((uint16_t) (r->count + 1), record, r->buf + r->len, SDR_FULL_SENSOR_MAX);
        if (n < 0)
                return n;
        r->len += (size_t) n;
        r->count++;
        return 0;
}

static int encode_mc(uint16_t id, const void *rec, uint8_t *buf, size_t cap) {
        return sdr_encode_mc_locator(id, rec, buf, cap);
}

static int encode_full(uint16_t id, const void *rec, uint8_t *buf, size_t cap) {
        return sdr_encode_full_sensor(id, rec, buf, cap);
}

int sdr_repository_add_full_sensor(struct sdr_repository *r, const struct sdr_full_sensor *s) {
        int n;

        n = append(r, encode_full, s);
        if (n < 0)
                return n;
        r->sensors[s->owner_lun]++;     /* the encoder refused a LUN above 3 */
        sdr_repository_changed(r);
        return 0;
}

static int encode_compact(uint16_t id, const void *rec, uint8_t *buf, size_t cap) {
        return sdr_encode_compact_sensor(id, rec, buf, cap);
}

/*
 * Rewrite, in place, the sensor record of type whose body starts with owner ID, owner LUN and
 * sensor number as given (both Full and Compact records do), from record through encode.
 */
static int update_sensor(struct sdr_repository *r, uint8_t type, uint8_t owner_id,
                         uint8_t owner_lun, uint8_t number,
                         int (*encode)(uint16_t, const void *, uint8_t *, size_t),
                         const void *record) {
        uint8_t rec[SDR_FULL_SENSOR_MAX];
        _Static_assert(SDR_COMPACT_SENSOR_MAX <= SDR_FULL_SENSOR_MAX, "rec holds either record");

        /* Records are laid out back to back: ID (2), version, type, length, body. */
        for (size_t off = 0; off + SDR_HEADER_LEN <= r->len;
             off += SDR_HEADER_LEN + r->buf[off + 4]) {
                uint8_t *p = r->buf + off;
                size_t len = SDR_HEADER_LEN + p[4];
                int n;

                if (p[3] != type || len < 8 || p[5] != owner_id || (p[6] & 0x03) != owner_lun ||
                    p[7] != number)
                        continue;
                n = encode((uint16_t) (p[0] | p[1] << 8), record, rec, sizeof(rec));
                if (n < 0)
                        return n;
                /* Same sensor, same ID string: same length. Anything else would move the
                 * records behind it, which no reader expects. */
                if ((size_t) n != len)
                        return -EINVAL;
                memcpy(p, rec, len);
                sdr_repository_changed(r);
                return 0;
        }
        return -ENOENT;
}

int sdr_repository_update_full_sensor(struct sdr_repository *r, const struct sdr_full_sensor *s) {
        return update_sensor(r, SDR_TYPE_FULL_SENSOR, s->owner_id, s->owner_lun, s->number,
                             encode_full, s);
}

int sdr_repository_update_compact_sensor(struct sdr_repository *r,
                                         const struct sdr_compact_sensor *s) {
        return update_sensor(r, SDR_TYPE_COMPACT_SENSOR, s->owner_id, s->owner_lun, s->number,
                             encode_compact, s);
}

int sdr_repository_add_compact_sensor(struct sdr_repository *r,
                                      const struct sdr_compact_sensor *s) {
        int n;

        n = append(r, encode_compact, s);
        if (n < 0)
                return n;
        r->sensors[s->owner_lun]++;     /* the encoder refused a LUN above 3 */
        sdr_repository_changed(r);
        return 0;
}

static int encode_fru(uint16_t id, const void *rec, uint8_t *buf, size_t cap) {
        return sdr_encode_fru_locator(id, rec, buf, cap);
}

/* The name a person knows the controller by: the product from [fru.0], else the board's. */
static const char *mc_name(const struct satmc_config *c) {
        const struct fru_config *f = &c->fru[0];

        if (f->present && f->product_name && f->product_name[0])
                return f->product_name;
        if (f->present && f->board_product_name && f->board_product_name[0])
                return f->board_product_name;
        return "satmc";
}

int sdr_repository_new(const struct satmc_config *config, uint32_t now,
                       struct sdr_repository **ret) {
        _cleanup_(sdr_repository_freep) struct sdr_repository *r = NULL;
        int n;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->add_time = now;

        struct sdr_mc_locator mc = {
                .slave_address = config->address,
                .channel = 0,                   /* primary IPMB */
                .power_state_notification = 0,  /* no ACPI notifications needed */
                .global_init = 0,               /* event generation enabled, no init-agent logging */
                .capabilities = sdr_device_support(config, true),
                .entity_id = config->entity_id,
                .entity_instance = config->entity_instance,
        };
        set_id(mc.id, mc_name(config));
        n = append(r, encode_mc, &mc);
        if (n < 0)
                return n;

        for (unsigned i = 0; i < CONFIG_FRU_MAX; i++) {
                const struct fru_config *f = &config->fru[i];

                if (!f->present)
                        continue;
                struct sdr_fru_locator fru = {
                        .access_address = config->address,
                        .fru_device_id = (uint8_t) i,
                        .logical = true,        /* Read FRU Data on this controller */
                        .device_type = SDR_DEVICE_TYPE_FRU_INVENTORY,
                        .entity_id = f->entity_id,
                        /* By default the FRU device ID, as before the key existed. */
                        .entity_instance = f->entity_instance == CONFIG_ENTITY_INSTANCE_AUTO ?
                                           (uint8_t) i : (uint8_t) f->entity_instance,
                };
                if (f->board_product_name && f->board_product_name[0])
                        set_id(fru.id, f->board_product_name);
                else
                        snprintf(fru.id, sizeof(fru.id), "FRU %u", i);
                n = append(r, encode_fru, &fru);
                if (n < 0)
                        return n;
        }

        /* What we built must be what the readers expect; a failure here is a bug. */
        struct sdr_repo view = sdr_repository_records(r);
        n = sdr_repo_check(&view);
        if (n < 0)
                return n;

        *ret = TAKE_PTR(r);
        return 0;
}

struct sdr_repository *sdr_repository_free(struct sdr_repository *r) {
        if (!r)
                return NULL;
        free(r->buf);
        free(r);
        return NULL;
}

struct sdr_repo sdr_repository_records(const struct sdr_repository *r) {
        return (struct sdr_repo) { .buf = r->buf, .len = r->len };
}

unsigned sdr_repository_count(const struct sdr_repository *r) {
        return r->count;
}

unsigned sdr_repository_sensor_count(const struct sdr_repository *r, uint8_t lun) {
        return lun < ELEMENTSOF(r->sensors) ? r->sensors[lun] : 0;
}

uint8_t sdr_repository_sensor_luns(const struct sdr_repository *r) {
        uint8_t luns = 0;

        for (unsigned lun = 0; lun < ELEMENTSOF(r->sensors); lun++)
                if (r->sensors[lun])
                        luns |= (uint8_t) (1u << lun);
        return luns;
}

uint32_t sdr_repository_add_time(const struct sdr_repository *r) {
        return r->add_time;
}

uint32_t sdr_repository_erase_time(const struct sdr_repository *r) {
        return r->erase_time;
}

uint32_t sdr_repository_generation(const struct sdr_repository *r) {
        return r->generation;
}

uint16_t sdr_repository_reserve(struct sdr_repository *r) {
        r->reservation++;
        if (r->reservation == 0)
                r->reservation = 1;
        r->reserved = true;
        return r->reservation;
}

bool sdr_repository_reservation_valid(const struct sdr_repository *r, uint16_t id) {
        return r->reserved && id != 0 && id == r->reservation;
}

void sdr_repository_cancel_reservation(struct sdr_repository *r) {
        r->reserved = false;
}

void sdr_repository_changed(struct sdr_repository *r) {
        r->generation++;
        sdr_repository_cancel_reservation(r);
}

/* ---- the "sdr" NBD export ---- */

static uint64_t export_size(void *userdata) {
        const struct sdr_repository *r = userdata;

        return (r->len + SDR_EXPORT_ROUND - 1) / SDR_EXPORT_ROUND * SDR_EXPORT_ROUND;
}

static int export_read(void *userdata, uint64_t off, void *buf, size_t len) {
        const struct sdr_repository *r = userdata;
        size_t n = 0;

        /* The server checked [off, off + len) against export_size(); past the records is
         * padding. */
        if (off < r->len) {
                n = r->len - (size_t) off;
                if (n > len)
                        n = len;
                memcpy(buf, r->buf + off, n);
        }
        memset((uint8_t *) buf + n, 0, len - n);
        return 0;
}

/* Records only: the padding behind them is not memory we hold, so such reads are copied. */
static const void *export_map(void *userdata, uint64_t off, size_t len) {
        const struct sdr_repository *r = userdata;

        return off <= r->len && len <= r->len - off ? r->buf + off : NULL;
}

const struct nbd_export_ops sdr_export_ops = {
        .size = export_size,
        .read = export_read,
        .map = export_map,
        /* .write stays NULL: the export is read-only, the server refuses writes with EPERM. */
};
