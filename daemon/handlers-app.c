/* SPDX-License-Identifier: MIT */
/* App network function (0x06): identity, self test, GUIDs and resets. IPMI v2.0 chapter 20. */
#include <string.h>

#include "dispatch.h"
#include "fru-store.h"
#include "macro.h"
#include "manager.h"
#include "sensors.h"
#include "protocol/ipmi.h"

static uint8_t bcd(uint8_t v) {
        return (uint8_t) (((v / 10) << 4) | (v % 10));
}

/* Advertise device SDRs only when the Get Device SDR command is really in the table and there
 * is a record to read. The repository always holds the MC Device Locator, so in practice this
 * is always true; a shelf manager finds the controller through that record. */
static bool provides_device_sdrs(struct manager *m) {
        return dispatch_lookup(IPMI_NETFN_SENSOR_EVENT, IPMI_CMD_GET_DEVICE_SDR) != NULL &&
                m->sdr && sdr_repository_count(m->sdr) > 0;
}

/*
 * "FRU inventory device" (bit 3) says FRU device 0 is served here: a configured [fru.0] always
 * sets it, whatever [identity] device-support says, so it cannot be forgotten. A claim without
 * [fru.0] is still sent as configured (existing configurations rely on it) but manager_start()
 * warns about it; see docs/configuration.md, "FRU inventory". "Sensor device" (bit 0) comes
 * with device SDRs (sdr_device_support()); the MC Device Locator carries the same byte.
 * Worked out once here rather than per Get Device ID: sdr_device_support() walks every sensor
 * section, 14 % of satmcd's instructions per request (callgrind).
 */
void manager_refresh_device_id(struct manager *m) {
        const struct satmc_identity *id = &m->config->identity;
        uint8_t *d = m->device_id;

        m->provides_device_sdrs = provides_device_sdrs(m);
        m->device_support = sdr_device_support(m->config, m->provides_device_sdrs);

        /* IPMI v2.0 section 20.1, table 20-2. */
        d[0] = id->device_id;
        d[1] = (uint8_t) ((m->provides_device_sdrs ? 0x80 : 0x00) | (id->device_revision & 0x0F));
        d[2] = id->fw_major & 0x7F;     /* bit 7 clear: normal operation, no update running */
        d[3] = bcd(id->fw_minor);
        d[4] = id->ipmi_version;
        d[5] = m->device_support;
        d[6] = (uint8_t) (id->manufacturer_id & 0xFF);
        d[7] = (uint8_t) ((id->manufacturer_id >> 8) & 0xFF);
        d[8] = (uint8_t) ((id->manufacturer_id >> 16) & 0x0F);
        d[9] = (uint8_t) (id->product_id & 0xFF);
        d[10] = (uint8_t) (id->product_id >> 8);
        m->device_id_len = 11;
        if (id->has_aux_fw_rev) {
                memcpy(d + 11, id->aux_fw_rev, 4);
                m->device_id_len = 15;
        }
}

/* Built by manager_refresh_device_id() at start and after each reload: nothing in it changes
 * in between. */
static int handle_get_device_id(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        if (out->cap < m->device_id_len)
                return -EMSGSIZE;
        /* All of device_id[] when it fits (the 11-byte answer leaves 4 unsent bytes past
         * out->len): a copy of constant size is two moves, one of the length a loop with its
         * alignment steps (callgrind; Get Device ID is what a BMC polls most). */
        if (out->cap >= sizeof(m->device_id))
                memcpy(out->data, m->device_id, sizeof(m->device_id));
        else
                memcpy(out->data, m->device_id, m->device_id_len);
        out->len = m->device_id_len;
        return IPMI_CC_OK;
}

/*
 * IPMI v2.0 section 20.4, table 20-4: 0x55 0x00 when nothing is wrong, else 0x57 "corrupted or
 * inaccessible data or devices" with one bit of the second byte for each kind of problem.
 * satmcd has no hardware of its own to test; what it reports is what it started with but
 * could not fully use (docs/durability.md, "Get Self Test Results"). Checked at every request,
 * so a bit clears as soon as its cause is gone.
 *
 * Bit 5 "cannot access BMC FRU device": a FRU device whose bytes do not parse as a FRU image
 * (served as stored, never replaced). Bit 5 rather than bit 2 ("internal use area of BMC FRU corrupted"): a BMC cannot use the
 * inventory (header, info areas) of such a device, which is what bit 5 says; bit 2 speaks of
 * the internal use area alone, which satmc images do not even carry.
 *
 * Bit 6 "cannot access SDR Repository": lines of sensors.state dropped at start (they did not
 * parse, or a threshold no longer fits its sensor). Thresholds and hysteresis are fields of
 * the Full Sensor Records a BMC reads; part of what was stored for them could not be read
 * back, so the records now carry the configured values instead of the stored ones. Clears
 * when thresholds are saved anew (the file then holds what is in effect).
 */
static uint8_t self_test_faults(struct manager *m) {
        uint8_t faults = 0;

        for (unsigned id = 0; id < fru_store_count(m->fru); id++) {
                struct fru_device *d = fru_store_get(m->fru, id);

                if (d && !fru_device_image_valid(d))
                        faults |= IPMI_SELFTEST_FRU_INACCESSIBLE;
        }
        if (sensor_table_state_lines_ignored(m->sensors) > 0)
                faults |= IPMI_SELFTEST_SDR_INACCESSIBLE;
        return faults;
}

static int handle_get_self_test_results(struct manager *m, const struct ipmi_msg_in *in,
                                        struct ipmi_msg_out *out) {
        uint8_t faults;

        if (out->cap < 2)
                return -EMSGSIZE;
        faults = self_test_faults(m);
        out->data[0] = faults ? IPMI_SELFTEST_CORRUPTED : IPMI_SELFTEST_PASSED;
        out->data[1] = faults;
        out->len = 2;
        return IPMI_CC_OK;
}

/* Get Device GUID (20.8) and Get System GUID (22.14): the same configured GUID. A satellite
 * is its own "system" as far as a local ipmitool is concerned (`ipmitool mc guid` asks for
 * the system GUID). */
static int handle_get_guid(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        if (out->cap < 16)
                return -EMSGSIZE;
        memcpy(out->data, m->config->identity.guid, 16);
        out->len = 16;
        return IPMI_CC_OK;
}

/*
 * Cold Reset (20.2): answered first, then satmcd re-executes itself, so everything is rebuilt
 * from the configuration on disk, like a controller coming out of reset.
 * Warm Reset (20.3): answered first, then volatile protocol state (the replay cache and the SDR
 * reservation: manager_apply_reset()) is dropped; configuration and counters stay.
 */
static int handle_cold_reset(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        /* The new process reads the FRU devices from disk: what NBD clients wrote without a
         * FLUSH is persisted first. If that fails, nothing is reset and the data stays in
         * this process; 0xFF (not replayed) lets the requester try again. */
        if (fru_store_flush_all(m->fru) < 0)
                return IPMI_CC_UNSPECIFIED;
        m->pending_reset = MANAGER_RESET_COLD;
        return IPMI_CC_OK;
}

static int handle_warm_reset(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out) {
        if (m->pending_reset == MANAGER_RESET_NONE)
                m->pending_reset = MANAGER_RESET_WARM;
        return IPMI_CC_OK;
}

const struct ipmi_command app_commands[] = {
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_DEVICE_ID,
                .min_len = 0, .max_len = 0,
                .name = "Get Device ID", .handler = handle_get_device_id,
                .loop_neutral = true,
        },
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_COLD_RESET,
                .min_len = 0, .max_len = 0,
                .name = "Cold Reset", .handler = handle_cold_reset,
        },
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_WARM_RESET,
                .min_len = 0, .max_len = 0,
                .name = "Warm Reset", .handler = handle_warm_reset,
        },
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_SELF_TEST_RESULTS,
                .min_len = 0, .max_len = 0,
                .name = "Get Self Test Results", .handler = handle_get_self_test_results,
        },
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_DEVICE_GUID,
                .min_len = 0, .max_len = 0,
                .name = "Get Device GUID", .handler = handle_get_guid,
        },
        {
                .netfn = IPMI_NETFN_APP, .cmd = IPMI_CMD_GET_SYSTEM_GUID,
                .min_len = 0, .max_len = 0,
                .name = "Get System GUID", .handler = handle_get_guid,
        },
};
const size_t app_commands_count = ELEMENTSOF(app_commands);
