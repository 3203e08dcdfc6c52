/* SPDX-License-Identifier: MIT */
/*
 * The device SDR repository satmcd publishes: one buffer of encoded records (protocol/sdr.h's
 * struct sdr_repo), built once from the configuration, read by the Sensor/Event Device SDR
 * commands, the Storage SDR repository commands and the read-only "sdr" NBD export alike.
 *
 * Records, in record ID order from 1:
 *   1         Management Controller Device Locator (0x12): our address, channel 0, our
 *             Get Device ID device-support bits, entity 0x07 (system board).
 *   2 ...     one FRU Device Locator (0x11) per configured [fru.N], logical device N, reached
 *             at our address.
 *   then      one Full Sensor Record per [sensor.N], appended by the sensor code.
 *
 * One reservation serves both command sets: they read the same records, and IPMI's rule is
 * that each Reserve cancels the reservation before it. Reservation IDs count up from 1 and
 * skip 0 on wrap-around (0 means "no reservation" in a Get SDR at offset 0). Reserving always
 * succeeds: ipmitool gives up on `sdr list` when it does not.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "nbd-server.h"
#include "protocol/sdr.h"
#include "protocol/sdr-compact.h"

struct sdr_repository;

/*
 * Build the records for config (no I/O). now is the wall-clock time in seconds, reported as
 * "most recent addition" by Get SDR Repository Info. -EINVAL if a record cannot be encoded.
 */
int sdr_repository_new(const struct satmc_config *config, uint32_t now,
                       struct sdr_repository **ret);
struct sdr_repository *sdr_repository_free(struct sdr_repository *r);
static inline void sdr_repository_freep(struct sdr_repository **r) {
        sdr_repository_free(*r);
}

/*
 * Append a Full Sensor Record (the next record ID) and count it as a sensor; cancels the
 * reservation like any change. -EINVAL if it cannot be encoded.
 */
int sdr_repository_add_full_sensor(struct sdr_repository *r, const struct sdr_full_sensor *s);

/* The same for a Compact Sensor Record (a discrete sensor, sensor-discrete.h). */
int sdr_repository_add_compact_sensor(struct sdr_repository *r,
                                      const struct sdr_compact_sensor *s);
/* And re-encode one in place (its init flags changed on reload), as the Full one below. */
int sdr_repository_update_compact_sensor(struct sdr_repository *r,
                                         const struct sdr_compact_sensor *s);

/*
 * Re-encode the Full Sensor Record of the same owner and sensor number in place (thresholds or
 * hysteresis changed); cancels the reservation. -ENOENT if there is none, -EINVAL if the new
 * record would not have the same length.
 */
int sdr_repository_update_full_sensor(struct sdr_repository *r, const struct sdr_full_sensor *s);

/* The encoded records back to back, for sdr_repo_get() and the NBD export. */
struct sdr_repo sdr_repository_records(const struct sdr_repository *r);
unsigned sdr_repository_count(const struct sdr_repository *r);
/* Sensor records (Full/Compact) owned by LUN lun (0..3): Get Device SDR Info's sensor count
 * on the LUN it was addressed to. */
unsigned sdr_repository_sensor_count(const struct sdr_repository *r, uint8_t lun);
/* The LUNs that own sensor records, as bits (bit n: LUN n): Get Device SDR Info's flags. */
uint8_t sdr_repository_sensor_luns(const struct sdr_repository *r);
uint32_t sdr_repository_add_time(const struct sdr_repository *r);
uint32_t sdr_repository_erase_time(const struct sdr_repository *r);
/* Bumped by sdr_repository_changed(): a cheap way to see that the records were replaced. */
uint32_t sdr_repository_generation(const struct sdr_repository *r);

/* A new reservation, cancelling the previous one. Never 0. */
uint16_t sdr_repository_reserve(struct sdr_repository *r);
/* Whether id is the reservation in force. */
bool sdr_repository_reservation_valid(const struct sdr_repository *r, uint16_t id);
/* Cancel the reservation in force (Warm Reset), without touching the records. */
void sdr_repository_cancel_reservation(struct sdr_repository *r);
/* The records changed (config reload, sensors appended): bump the generation and cancel the
 * reservation, so a reader that was half-way through a record starts over. */
void sdr_repository_changed(struct sdr_repository *r);

/*
 * Get Device ID's "additional device support" byte: [identity] device-support, plus FRU
 * inventory when [fru.0] exists, plus "sensor device" when device SDRs are served (the Device
 * SDR commands are sensor device commands; ipmitool needs this bit beside "provides device
 * SDRs" to use them, and refuses `sdr list` otherwise), plus "IPMB event generator" when there
 * are sensors (they send Platform Event Messages).
 */
uint8_t sdr_device_support(const struct satmc_config *config, bool provides_device_sdrs);

/* The records as a read-only NBD export; userdata is the repository. The size is rounded up
 * to 512 bytes with zeros (the kernel's nbd driver ignores a shorter tail). */
extern const struct nbd_export_ops sdr_export_ops;
