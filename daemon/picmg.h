/* SPDX-License-Identifier: MIT */
/*
 * The PICMG controller ([picmg] profile atca-ipmc or amc-mmc, docs/picmg.md): one hot-swap
 * state machine (protocol/picmg-hotswap.c) per managed FRU (the [fru.N] sections), the FRU Hot
 * Swap sensor (type F0h) of each with its Compact SDR, a Platform Event Message per transition
 * through the event queue, the handle switch of each FRU that has one (picmg_handle_ops, in
 * gpio-libgpiod1.c or gpio-libgpiod2.c) and the FRU Control actions (picmg-action.c). The PICMG
 * commands (handlers-picmg.c) act through it.
 *
 * Other parts of satmc meet it through two seams: picmg_hotswap_power_granted() (Set Power
 * Level, lane picmg-power) and the blue LED callback (lane picmg-leds' picmg_led_set_local()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "event-sender.h"
#include "gpio-output.h"
#include "own-sensor.h"
#include "protocol/picmg-hotswap.h"

struct picmg;
struct sdr_repository;

/* The handle switch line: an input watched for edges, read once they settle. */
struct picmg_handle_ops {
        /* Request line of chip as an input with both edge events, logical value inverted when
         * active_low; a pollable fd that becomes readable on an edge. 0 or -errno. */
        int (*open)(void *userdata, const char *chip, unsigned line, bool active_low,
                    void **ret_handle, int *ret_fd);
        /* Read (and drop) the edge events pending. 0 or -errno. */
        int (*drain)(void *userdata, void *handle);
        /* The logical value now, 0 or 1, or -errno. */
        int (*get)(void *userdata, void *handle);
        void (*close)(void *userdata, void *handle);
};

/* libgpiod, consumer "satmcd" (gpio-libgpiod1.c or gpio-libgpiod2.c, as built). */
extern const struct picmg_handle_ops picmg_handle_libgpiod;

/* What the blue LED of fru should show now (the integrator connects it to the LED lane). */
typedef void (*picmg_blue_led_fn)(void *userdata, uint8_t fru, enum hotswap_led_hint hint);

/* *ret is NULL for profile none: no PICMG command is then answered. No I/O. */
int picmg_new(sd_event *event, const struct satmc_config *c, struct picmg **ret);
struct picmg *picmg_free(struct picmg *p);
static inline void picmg_freep(struct picmg **p) {
        picmg_free(*p);
}

/* Add one FRU Hot Swap sensor record per managed FRU to the device SDRs (before start). */
int picmg_add_sdrs(struct picmg *p, struct sdr_repository *sdr);

/* Open the handle switch and the GPIO actions (NULL ops: libgpiod), before the bus opens:
 * a line that cannot be had stops satmcd. 0 or -errno (logged). */
int picmg_start(struct picmg *p, const struct picmg_handle_ops *handle, void *handle_userdata,
                const struct gpio_output_ops *gpio, void *gpio_userdata);

/* On the bus: bring every managed FRU in, M0 -> M1 (-> M2 once its handle is closed), each
 * transition an event to events from now on. */
void picmg_insert(struct picmg *p, struct event_sender *events);

void picmg_set_blue_led(struct picmg *p, picmg_blue_led_fn fn, void *userdata);

const struct satmc_config *picmg_config(const struct picmg *p);

/* Whether fru is one of the FRU devices the profile manages. */
bool picmg_manages(const struct picmg *p, uint8_t fru);
/* The highest managed FRU device ID (Get PICMG Properties). */
uint8_t picmg_max_fru(const struct picmg *p);

/* The hot-swap state of a managed FRU (enum hotswap_state). */
uint8_t picmg_state(const struct picmg *p, uint8_t fru);

/* Set FRU Activation: 0, -ENOENT (not managed) or -EOPNOTSUPP (refused in this state). */
int picmg_set_activation(struct picmg *p, uint8_t fru, bool activate);
/* Set / Get FRU Activation Policy: change the bits in mask to bits. 0 or -ENOENT. */
int picmg_set_policy(struct picmg *p, uint8_t fru, uint8_t mask, uint8_t bits);
int picmg_get_policy(const struct picmg *p, uint8_t fru, uint8_t *ret);

/*
 * For Set Power Level (lane picmg-power): the shelf manager granted fru power (granted) or
 * took it away. In M3 a grant completes the activation (M4); removing it from an active FRU
 * deactivates it. 0 (also when the state had nothing to do with it), -ENOENT.
 */
int picmg_hotswap_power_granted(struct picmg *p, uint8_t fru, bool granted);

/*
 * The shelf manager stopped answering our events (a whole round of tries, event-sender.h) or
 * answers again: every managed FRU goes to M7 (communication lost) or back to the state it
 * left for it (PICMG 3.0 3.2.4.1.8, cause 5, locally detected). The M7 events wait in the
 * queue and reach the shelf manager, in order, once it answers.
 */
void picmg_communication(struct picmg *p, bool reachable);

/* The FRU Hot Swap sensor (lun, number) for the sensor commands (own-sensor.h): its state bit
 * (bit n = Mn) and enables, or -ENOENT if it is not one. */
int picmg_own_sensor(struct picmg *p, uint8_t lun, uint8_t number, struct own_sensor *ret);
/* Re-arm Sensor Events: if mask selects the state the FRU is in, its last transition's event is
 * sent again (events enabled). 0, or -ENOENT if (lun, number) is no FRU Hot Swap sensor. */
int picmg_sensor_rearm(struct picmg *p, uint8_t lun, uint8_t number, uint16_t mask);

/* Set Event Receiver's re-arm of every FRU Hot Swap sensor (IPMI v2.0 section 29.1): each
 * managed FRU's present state goes out again as its last transition (state, previous state,
 * cause), for FRUs past M0 whose sensor reports events. p may be NULL (no profile). */
void picmg_sensor_rearm_all(struct picmg *p);

/* FRU Control: run fru's action for option. 0, -ENOENT (FRU), -EOPNOTSUPP (no action for that
 * option: 0xCC), -EBUSY (the previous one still runs) or -errno from starting it. */
int picmg_fru_control(struct picmg *p, uint8_t fru, uint8_t option);
/* FRU Control Capabilities' byte (PICMG 3.0 table 3-29): bit n+1 for each option n >= 1 with an
 * action; cold reset is mandatory and not listed. */
uint8_t picmg_fru_control_capabilities(const struct picmg *p, uint8_t fru);

/* Get Address Info's site number and type after auto is resolved. */
uint8_t picmg_site_number(const struct picmg *p);
uint8_t picmg_site_type(const struct picmg *p);

/* For tests: feed FRU fru's handle switch position as if it had settled. */
void picmg_handle_settled(struct picmg *p, uint8_t fru, bool closed);
