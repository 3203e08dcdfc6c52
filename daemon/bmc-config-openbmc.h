/* SPDX-License-Identifier: MIT */
/*
 * What a BMC integrator pastes to have OpenBMC read satmcd's sensors: `satmcd
 * --print-bmc-config=openbmc` prints an Entity-Manager configuration whose exposes are what
 * dbus-sensors' IpmbSensor (src/ipmb/IpmbSensor.cpp, createSensors() and
 * parseConfigValues()) reads: Type "IpmbSensor", Class "MESensor" (Get Sensor Reading, byte 0
 * as an unsigned count), Address = the sensor number, ScaleValue and OffsetValue (value =
 * byte 0 * ScaleValue + OffsetValue, i.e. M * 10^Rexp and B * 10^(Bexp + Rexp) of the
 * sensor's linear conversion), SensorType, PollRate, and Thresholds (Direction, Severity,
 * Value, Hysteresis: what parseThresholdsFromConfig() in src/Thresholds.cpp reads).
 *
 * IpmbSensor knows temperature, voltage, current, power and utilization only: sensors of any
 * other unit (fans, presence, "other") are left out, each named on the notes stream with the
 * reason. So are the limits of IpmbSDRSensor's SDR decode (a negative B or Bexp, an ID string
 * shorter than 5 bytes): docs/compatibility.md.
 */
#pragma once

#include <stdio.h>

#include "config.h"

/*
 * Print the configuration for config's sensors as JSON on out, one line per reason on notes
 * (may be NULL) for every sensor left out or shown wrong by OpenBMC. Thresholds are the
 * configured ones (not those changed over IPMI since). Returns 0, -ENOMEM, or -EIO when out
 * fails.
 */
int bmc_config_print_openbmc(const struct satmc_config *config, FILE *out, FILE *notes);
