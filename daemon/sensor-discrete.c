/* SPDX-License-Identifier: MIT */
/* Discrete sensors: reading their states, completing pairs, their Compact record. See
 * sensor-discrete.h. */
#include <stdio.h>

#include "config-sensor-discrete.h"
#include "sdr-repo.h"
#include "sensor-discrete.h"
#include "sensors.h"

int sensor_states_read(const struct sensor_source_hw *hw, const struct sensor_states_config *st,
                       uint16_t *ret, unsigned *failed) {
        uint16_t states = 0;

        for (unsigned i = 0; i < st->n; i++) {
                double v;
                int r = sensor_source_read(hw, &st->state[i].source, &v);

                if (r < 0) {
                        *failed = i;
                        return r;
                }
                if (v != 0)
                        states |= (uint16_t) (1u << st->state[i].offset);
        }
        *ret = states;
        return 0;
}

void sensor_discrete_init(struct sensor *sn) {
        const struct sensor_config *c = sn->config;
        char reason[160];

        sn->event_type = config_sensor_reading_type(c);
        sn->states_read = config_sensor_states_read(c);
        sn->states_supported = config_sensor_states_supported(c);
        /* Checked at load: these cannot fail on a loaded configuration. */
        if (config_sensor_state_mask(c, c->assertions, &sn->assert_enable, reason,
                                     sizeof(reason)) < 0)
                sn->assert_enable = sn->states_supported;
        if (config_sensor_state_mask(c, c->deassertions, &sn->deassert_enable, reason,
                                     sizeof(reason)) < 0)
                sn->deassert_enable = sn->states_supported;
        sn->assert_mask = sn->assert_enable;
        sn->deassert_mask = sn->deassert_enable;
        /* The sensors that name their states get the record made for them; presence keeps
         * the Full record it always had (no change for a BMC that knows it). */
        sn->compact = c->states != NULL;
}

uint16_t sensor_discrete_states(const struct sensor *sn, uint16_t read) {
        uint16_t states = read & sn->states_read;
        /* The unread one of a pair (offsets 0 and 1) is supported only as the opposite of
         * the read one: asserted while that one is not. */
        uint16_t opposite = sn->states_supported & (uint16_t) ~sn->states_read & 0x3;

        if (opposite && !(states & 0x3))
                states |= opposite;
        return states;
}

void sensor_compact_record(const struct sensor *sn, uint8_t address,
                           struct sdr_compact_sensor *ret) {
        const struct sensor_config *c = sn->config;
        struct sdr_compact_sensor rec = {
                .owner_id = address,
                .owner_lun = sn->lun,
                .number = sn->number,
                .entity_id = c->entity_id,
                .entity_instance = c->entity_instance,
                .init = SDR_INIT_SCANNING_ENABLED | (c->events ? SDR_INIT_EVENTS_ENABLED : 0),
                /* Each state's events can be enabled on its own (Set Sensor Event Enable). */
                .capabilities = SDR_CAP_EVENTS_PER_THRESHOLD | SDR_CAP_AUTO_REARM,
                .sensor_type = c->sensor_type,
                .event_type = sn->event_type,
                .assert_mask = sn->assert_mask,
                .deassert_mask = sn->deassert_mask,
                .reading_mask = sn->states_supported,
                .share_count = 1,
        };

        snprintf(rec.id, sizeof(rec.id), "%s", sn->name);
        *ret = rec;
}
