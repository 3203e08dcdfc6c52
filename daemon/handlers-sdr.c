/* SPDX-License-Identifier: MIT */
/*
 * The device SDR repository through two command sets that read the same records:
 *
 *  - Sensor/Event (0x04), what ipmitool and shelf managers use on a controller that "provides
 *    device SDRs": Get Device SDR Info (IPMI v2.0 35.2), Get Device SDR (35.3), Reserve Device
 *    SDR Repository (35.4);
 *  - Storage (0x0A), what OpenBMC's IPMB sensor code uses: Get SDR Repository Info (33.9),
 *    Reserve SDR Repository (33.11), Get SDR (33.12). The repository is read-only: no Add,
 *    Delete, Clear or partial add, and the info says so.
 *
 * Choices the specification leaves open:
 *  - One reservation for both sets (sdr-repo.h). It is checked only for reads at a non-zero
 *    offset, as 33.12 allows ("use 0000h otherwise"); a reservation that is not the one in
 *    force answers 0xC5 and the reader re-reserves and starts the record again.
 *  - A read whose bytes do not fit one response (out->cap minus the 2-byte next record ID)
 *    answers 0xCA rather than fewer bytes: ipmitool then asks for less, and a short answer
 *    would be taken as the whole read. An offset at or past the record's end is 0xC9, an
 *    unknown record ID 0xCB.
 *  - A count that runs past the end of the record is answered in full, zeros after the
 *    record (sdr_repo_get()): OpenBMC's IpmbSDRSensor reads every record in 16-byte pieces
 *    and drops any answer shorter than that; ipmitool and OpenIPMI never ask past the end
 *    and take only the bytes they asked for (docs/sensors.md).
 *  - The sensor population is static (built at start), so Get Device SDR Info sends no
 *    change indicator.
 */
#include <errno.h>

#include "dispatch.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmi.h"
#include "sdr-repo.h"

#define SDR_REPO_OP_RESERVE     0x02    /* Get SDR Repository Info: Reserve SDR Repository */
#define SDR_INFO_GET_SDR_COUNT  0x01    /* Get Device SDR Info request: SDRs, not sensors */

static void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

/* 35.2: request byte 1 (optional) bit 0 selects SDR count over sensor count; response: the
 * count, flags (bit 7 = dynamic population, bits 3:0 = LUNs with sensors). The sensor count
 * is that of the LUN the request was addressed to (dispatch lets it through on the LUNs with
 * sensors); the SDR count is the whole repository's, whatever the LUN. */
static int handle_get_device_sdr_info(struct manager *m, const struct ipmi_msg_in *in,
                                      struct ipmi_msg_out *out) {
        unsigned n;

        if (out->cap < 2)
                return -EMSGSIZE;
        if (in->len >= 1 && (in->data[0] & SDR_INFO_GET_SDR_COUNT))
                n = sdr_repository_count(m->sdr);
        else
                n = sdr_repository_sensor_count(m->sdr, in->lun);
        out->data[0] = (uint8_t) (n > 0xFF ? 0xFF : n);
        out->data[1] = sdr_repository_sensor_luns(m->sdr);      /* static population */
        out->len = 2;
        return IPMI_CC_OK;
}

/* 35.4 and 33.11: the reservation ID, LS byte first. */
static int handle_reserve(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        if (out->cap < 2)
                return -EMSGSIZE;
        put_le16(out->data, sdr_repository_reserve(m->sdr));
        out->len = 2;
        return IPMI_CC_OK;
}

/* 35.3 and 33.12: reservation ID (2), record ID (2), offset, count; answers the next record
 * ID (2) and the bytes. */
static int handle_get_sdr(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        uint16_t reservation = (uint16_t) (in->data[0] | in->data[1] << 8);
        uint16_t record_id = (uint16_t) (in->data[2] | in->data[3] << 8), next;
        uint8_t offset = in->data[4], count = in->data[5];
        struct sdr_repo repo = sdr_repository_records(m->sdr);
        int r;

        if (out->cap < 2)
                return -EMSGSIZE;
        if (offset != 0 && !sdr_repository_reservation_valid(m->sdr, reservation))
                return IPMI_CC_RESERVATION_INVALID;

        r = sdr_repo_get(&repo, record_id, offset, count, out->data + 2, out->cap - 2, &next);
        if (r == -EINVAL)
                return IPMI_CC_PARAM_OUT_OF_RANGE;
        if (r < 0)
                return r;       /* -ENOENT: 0xCB, -EMSGSIZE: 0xCA */
        put_le16(out->data, next);
        out->len = 2 + (size_t) r;
        return IPMI_CC_OK;
}

/* 33.9: version, record count, free space, last addition and erase timestamps, operation
 * support. */
static int handle_get_sdr_repository_info(struct manager *m, const struct ipmi_msg_in *in,
                                          struct ipmi_msg_out *out) {
        uint8_t *d = out->data;

        if (out->cap < 14)
                return -EMSGSIZE;
        d[0] = SDR_VERSION;
        put_le16(d + 1, (uint16_t) sdr_repository_count(m->sdr));
        put_le16(d + 3, 0);             /* free space: nobody may add */
        put_le32(d + 5, sdr_repository_add_time(m->sdr));
        put_le32(d + 9, sdr_repository_erase_time(m->sdr));
        /* No overflow, modal/non-modal unspecified, no Delete, no partial Add, Reserve
         * supported, no Get SDR Repository Allocation Info. */
        d[13] = SDR_REPO_OP_RESERVE;
        out->len = 14;
        return IPMI_CC_OK;
}

const struct ipmi_command sdr_commands[] = {
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_DEVICE_SDR_INFO,
                .min_len = 0, .max_len = 1,
                .name = "Get Device SDR Info", .handler = handle_get_device_sdr_info,
                .loop_neutral = true,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_GET_DEVICE_SDR,
                .min_len = 6, .max_len = 6,
                .name = "Get Device SDR", .handler = handle_get_sdr,
                .loop_neutral = true,
        },
        {
                .netfn = IPMI_NETFN_SENSOR_EVENT, .cmd = IPMI_CMD_RESERVE_DEVICE_SDR_REPO,
                .min_len = 0, .max_len = 0,
                .name = "Reserve Device SDR Repository", .handler = handle_reserve,
        },
        {
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_GET_SDR_REPOSITORY_INFO,
                .min_len = 0, .max_len = 0,
                .name = "Get SDR Repository Info", .handler = handle_get_sdr_repository_info,
                .loop_neutral = true,
        },
        {
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_RESERVE_SDR_REPOSITORY,
                .min_len = 0, .max_len = 0,
                .name = "Reserve SDR Repository", .handler = handle_reserve,
        },
        {
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_GET_SDR,
                .min_len = 6, .max_len = 6,
                .name = "Get SDR", .handler = handle_get_sdr,
                .loop_neutral = true,
        },
};
const size_t sdr_commands_count = ELEMENTSOF(sdr_commands);
