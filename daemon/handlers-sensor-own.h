/* SPDX-License-Identifier: MIT */
/*
 * The sensor commands for satmcd's own sensors (own-sensor.h: FRU Hot Swap F0h, IPMB-0 link
 * F1h), asked by handlers-sensor.c when no [sensor.N] has the number. Each returns -ENOENT if
 * (LUN, number) is not an own sensor either, else what the handler returns (a completion code
 * or -errno).
 */
#pragma once

#include "dispatch.h"

struct manager;

int own_sensor_get_reading(struct manager *m, const struct ipmi_msg_in *in,
                           struct ipmi_msg_out *out);
int own_sensor_set_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out);
int own_sensor_get_event_enable(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out);
int own_sensor_rearm(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out);
int own_sensor_get_event_status(struct manager *m, const struct ipmi_msg_in *in,
                                struct ipmi_msg_out *out);
