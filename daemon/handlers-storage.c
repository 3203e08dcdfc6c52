/* SPDX-License-Identifier: MIT */
/*
 * Storage network function (0x0A), FRU inventory commands (IPMI v2.0 sections 34.1-34.3) over
 * the FRU store. Choices the specification leaves open:
 *
 *  - Read FRU Data returns at most what fits one response (out->cap - 1 bytes: 24 on a 32-byte
 *    IPMB) and never past the end of the device: "count returned" says how much came back, and
 *    ipmitool goes on from there. A read that starts at or beyond the end is 0xC9 (parameter
 *    out of range), because the offset is the parameter at fault.
 *  - Write FRU Data is all or nothing: a write that would run past the end is refused with
 *    0xC9 and changes nothing, rather than being cut short silently. A write-protected device
 *    answers 0x80. Every accepted write is persisted before the answer; if persisting fails the
 *    answer is 0xFF and memory is as it was (fru_store_write_durable()): nothing was done, and
 *    the requester's retry is executed again (not replayed: manager_handle_frame()).
 *  - Unknown FRU device IDs answer 0xCB (requested data not present). Device 0 is the one
 *    Get Device ID's "FRU inventory device" bit speaks for.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "dispatch.h"
#include "fru-store.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "protocol/ipmi.h"

static struct fru_device *lookup(struct manager *m, const struct ipmi_msg_in *in) {
        return fru_store_get(m->fru, in->data[0]);
}

/* 34.1: size (LS, MS) and access type (bit 0: 0 = by bytes, 1 = by words). */
static int handle_get_fru_inventory_area_info(struct manager *m, const struct ipmi_msg_in *in,
                                              struct ipmi_msg_out *out) {
        struct fru_device *d = lookup(m, in);
        uint64_t size;

        if (!d)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 3)
                return -EMSGSIZE;
        size = fru_device_size(d);
        out->data[0] = (uint8_t) size;
        out->data[1] = (uint8_t) (size >> 8);
        out->data[2] = 0x00;
        out->len = 3;
        return IPMI_CC_OK;
}

/* 34.2: FRU device ID, offset (LS, MS), count; answers count returned and the bytes. */
static int handle_read_fru_data(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        struct fru_device *d = lookup(m, in);
        uint64_t off = (uint64_t) in->data[1] | (uint64_t) in->data[2] << 8, size;
        size_t count = in->data[3];
        int r;

        if (!d)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 1)
                return -EMSGSIZE;
        size = fru_device_size(d);
        if (off >= size)
                return IPMI_CC_PARAM_OUT_OF_RANGE;
        if (count > out->cap - 1)
                count = out->cap - 1;
        if (count > size - off)
                count = (size_t) (size - off);

        r = fru_store_read(d, off, out->data + 1, count);
        if (r < 0)
                return r;
        out->data[0] = (uint8_t) count;
        out->len = 1 + count;
        return IPMI_CC_OK;
}

/* 34.3: FRU device ID, offset (LS, MS), data; answers count written. */
static int handle_write_fru_data(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        struct fru_device *d = lookup(m, in);
        uint64_t off = (uint64_t) in->data[1] | (uint64_t) in->data[2] << 8;
        size_t count = in->len - 3;
        int r;

        if (!d)
                return IPMI_CC_NOT_PRESENT;
        if (out->cap < 1)
                return -EMSGSIZE;
        if (fru_device_write_protected(d))
                return IPMI_CC_FRU_WRITE_PROTECTED;
        if (off >= fru_device_size(d) || count > fru_device_size(d) - off)
                return IPMI_CC_PARAM_OUT_OF_RANGE;

        r = fru_store_write_durable(d, off, in->data + 3, count);       /* logs on failure */
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
        log_debug("%s: wrote %zu bytes at %" PRIu64 " over IPMI.", fru_device_name(d), count, off);
        out->data[0] = (uint8_t) count;
        out->len = 1;
        return IPMI_CC_OK;
}

const struct ipmi_command storage_commands[] = {
        {
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_GET_FRU_INVENTORY_AREA_INFO,
                .min_len = 1, .max_len = 1,
                .name = "Get FRU Inventory Area Info", .handler = handle_get_fru_inventory_area_info,
                .loop_neutral = true,
        },
        {
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_READ_FRU_DATA,
                .min_len = 4, .max_len = 4,
                .name = "Read FRU Data", .handler = handle_read_fru_data,
                .loop_neutral = true,
        },
        {
                /* At least one data byte: a write of nothing is a malformed request. */
                .netfn = IPMI_NETFN_STORAGE, .cmd = IPMI_CMD_WRITE_FRU_DATA,
                .min_len = 4, .max_len = 255,
                .name = "Write FRU Data", .handler = handle_write_fru_data,
        },
};
const size_t storage_commands_count = ELEMENTSOF(storage_commands);
