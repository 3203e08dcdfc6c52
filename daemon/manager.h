/* SPDX-License-Identifier: MIT */
/*
 * The Manager owns everything satmcd runs: the sd-event loop and every event source, the
 * transport, the configuration, counters and the response cache. Order of life:
 * manager_new() (no I/O) -> manager_start() (state directory, then transport, READY=1) ->
 * sd_event_loop() -> manager_free().
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "dispatch.h"
#include "counters.h"
#include "event-sender.h"
#include "fan-control.h"
#include "fru-store.h"
#include "hpm.h"
#include "i2c-dev.h"
#include "ipmitool-socket.h"
#include "nbd-server.h"
#include "oem-hook.h"
#include "picmg.h"
#include "picmg-led.h"
#include "picmg-ekeying.h"
#include "picmg-power.h"
#include "response-cache.h"
#include "sdr-repo.h"
#include "sensors.h"
#include "sensor-source.h"
#include "state-dir.h"
#include "transport/transport.h"
#include "protocol/ipmb-links.h"

struct ipmb_request;

enum manager_reset {
        MANAGER_RESET_NONE,
        MANAGER_RESET_WARM,             /* drop volatile protocol state, keep running */
        MANAGER_RESET_COLD,             /* re-execute satmcd: a fresh process, config re-read */
};

struct manager {
        sd_event *event;
        sd_event_source *transport_source;
        /* Times sd-event ran transport_source: how manager-loop.c tells that a frame woke the
         * loop while sd-event watched the bus. */
        uint64_t transport_dispatches;
        sd_event_source *sigterm_source;
        sd_event_source *sigint_source;
        sd_event_source *sigusr1_source;
        sd_event_source *sighup_source;

        struct satmc_config *config;
        struct transport *transport;
        struct ipmitool_socket *ipmitool;       /* local ipmitool -I dummy front end, or NULL */
        struct nbd_server *nbd;                 /* FRU devices as NBD exports, or NULL */
        struct nbd_export *nbd_exports;
        /* [storage] state-directory, opened once before the bus: the FRU store and the
         * sensors borrow it. NULL when neither keeps state. */
        struct state_dir *state;
        struct fru_store *fru;          /* FRU devices; NULL when none is configured */
        struct sdr_repository *sdr;     /* device SDRs; never NULL after manager_new() */
        struct sensor_table *sensors;     /* [sensor.N]; never NULL after manager_new() */
        struct event_sender *events;    /* Platform Event Messages; never NULL either */
        bool receiver_unreachable;      /* events' last round unanswered (reachable callback) */
        /* Master Write-Read's private buses: NULL = i2c_ops_linux; tests set a fake. */
        const struct i2c_ops *i2c_ops;
        void *i2c_userdata;
        /* What the sensors' GPIO and SMBus sources are read through: all NULL = the real
         * hardware; tests set fakes before manager_start(). */
        struct sensor_source_hw sensor_hw;
        /* [fan.N] outputs (NULL-safe when none) and [oem.N] commands (NULL when none: nothing
         * is routed). Fan GPIO lines through gpio_output (NULL = libgpiod; tests set a fake
         * before manager_start()). */
        struct fan_table *fans;
        struct oem_table *oem;
        /* [picmg-power.N] power levels and [picmg-link.N] links (NULL when none) */
        struct picmg_power *picmg_power;
        struct picmg_ekeying *picmg_ekeying;
        const struct gpio_output_ops *gpio_output;
        void *gpio_output_userdata;
        /* [picmg] profile (picmg.h): NULL for none. Its handle switch through picmg_handle
         * (NULL = libgpiod; tests set a fake before manager_start()). */
        struct picmg *picmg;
        const struct picmg_handle_ops *picmg_handle;
        void *picmg_handle_userdata;
        /* [picmg-led.N] LEDs, on gpio_output's lines too; never NULL after manager_new(). */
        struct picmg_led_table *picmg_leds;
        /* HPM.1 firmware upgrade ([hpm.component.N]); NULL when none is configured. */
        struct hpm *hpm;

        struct counters counters;
        struct response_cache cache;

        /* Get Device ID's answers that follow from the configuration and the SDR repository,
         * kept up to date by manager_refresh_device_id(). */
        bool provides_device_sdrs;
        uint8_t device_support;
        /* Get Device ID's whole answer, built by manager_refresh_device_id(): a request copies
         * it. */
        uint8_t device_id[15];
        uint8_t device_id_len;

        /* Set by Cold/Warm Reset handlers, carried out after the response has been sent. */
        enum manager_reset pending_reset;
        /* argv to re-execute on Cold Reset; borrowed from main(). */
        char **argv;
        /* Applied to a reloaded configuration before it is compared with the running one, so
         * that command-line overrides survive a reload; NULL = none. Borrowed from main(). */
        int (*apply_overrides)(struct satmc_config *c, const void *userdata);
        const void *overrides_userdata;

        /* IPMB-B of a redundant IPMB-0 ([transport] device-b / bus-socket-b), or NULL: then
         * `transport` is IPMB-A, and links says which bus our own requests use
         * (manager-ipmb-b.c, protocol/ipmb-links.h). */
        struct transport *transport_b;
        sd_event_source *transport_b_source;
        struct ipmb_links links;
        struct own_sensor_enables link_enables; /* the IPMB-0 sensor's (own-sensor.h) */
        uint8_t event_bus;              /* where the event sender's last try went */
};

/* Takes ownership of config, also on failure. No I/O: safe for unit tests and fuzzers. */
int manager_new(struct satmc_config *config, struct manager **ret);
struct manager *manager_free(struct manager *m);
/* Recompute provides_device_sdrs, device_support and device_id[]: after manager_new() built the SDR
 * repository and after every reload. In handlers-app.c, next to Get Device ID. */
void manager_refresh_device_id(struct manager *m);
static inline void manager_freep(struct manager **m) {
        manager_free(*m);
}

/* Open the transport (or adopt the given one if non-NULL), hook everything into the loop. */
int manager_start(struct manager *m, struct transport *transport);

/* Run until SIGTERM/SIGINT. Returns the loop's exit code (0 on a clean stop) or -errno. */
int manager_run(struct manager *m);

/*
 * Handle one received IPMB frame: decode, count, dispatch or replay, send. Exposed so tests and
 * fuzzers drive the same path the loop does.
 */
void manager_handle_frame(struct manager *m, const uint8_t *frame, size_t len);
/* The same, with the event loop's time of this wake-up already read (the receive loop reads it
 * once for all the frames it takes in one wake-up). */
void manager_handle_frame_at(struct manager *m, const uint8_t *frame, size_t len, uint64_t now);
/* The same for a frame that came in on bus (IPMB_BUS_A, IPMB_BUS_B): its answer goes back on
 * that bus, also when it is replayed from the cache (which is shared: a retry on the other bus
 * is the same request, docs/redundant-ipmb.md). The two above are IPMB-A's. */
void manager_handle_bus_frame(struct manager *m, unsigned bus, const uint8_t *frame, size_t len,
                              uint64_t now);
/* Frames handled per wake-up before yielding to other event sources (signals, watchdog). */
#define MANAGER_RECV_BURST 32

/* Take in what the transport of bus has queued (its sd-event I/O source). */
int manager_receive(struct manager *m, unsigned bus);
/* One transport_recv_view() result r of bus: a frame handled (true), a failure counted (true:
 * read on) or the end of what is queued now (false; a peer that hung up ends the loop). */
bool manager_take_received(struct manager *m, unsigned bus, int r, const uint8_t *frame,
                           uint64_t now);

/* The main loop until sd_event_exit(): manager-loop.c. Returns the exit code or -errno. */
int manager_loop(struct manager *m);
/* Wake-ups in a row with nothing for the bus after which manager_loop() gives the bus back to
 * sd-event (transport_source enabled) until a frame comes. */
#define MANAGER_LOOP_ONLY_WAKEUPS 8

/*
 * Answer one request from a front end other than IPMB (the local ipmitool socket): the same
 * dispatcher, the same counters. out->cap bounds the answer.
 */
void manager_handle_local(struct manager *m, const struct ipmi_msg_in *in, struct ipmi_msg_out *out);

/*
 * Re-read m->config->path (SIGHUP) and apply what can change without dropping the bus:
 * [mc] log-level and duplicate-window-ms, [identity] (but device-support), [i2c], FRU contents
 * and sensor thresholds/hysteresis. Everything else is kept, with a warning when the file asks
 * for a change. A file with errors is refused as a whole. Returns 0 if the new configuration was
 * taken, -errno if it was refused.
 */
int manager_reload(struct manager *m);

/* A sensor's thresholds or hysteresis changed: rewrite its Full Sensor Record to match. */
void manager_sensor_changed(struct manager *m, struct sensor *sn);

/* Apply a requested Warm/Cold Reset. Cold Reset does not return on success. */
int manager_apply_reset(struct manager *m);

/* Send one encoded response frame on bus (IPMB_BUS_A, IPMB_BUS_B; IPMB-A when there is one),
 * counted (a failure is not retried: the requester's retry is answered from the replay
 * cache). */
void manager_send_on(struct manager *m, unsigned bus, const uint8_t *frame, size_t len);

/*
 * Redundant IPMB-0 (manager-ipmb-b.c). manager_open_ipmb_b() opens IPMB-B when the
 * configuration names one (0 when it does not). manager_send_event_frame() sends one try of
 * the event sender's on the bus links picks, and on a NAK at once again on the other;
 * manager_event_try_lost() is the event sender's try_lost hook. manager_set_ipmb_state()
 * applies Set IPMB State's two bytes (ipmb_links_set_state()). The last three report a change
 * of the IPMB-0 sensor's state as an event.
 */
int manager_open_ipmb_b(struct manager *m);
/* The transport of bus went away: true if the other bus still serves (keep running). */
bool manager_ipmb_down(struct manager *m, unsigned bus);
int manager_send_event_frame(struct manager *m, const uint8_t *frame, size_t len);
void manager_event_try_lost(void *userdata);
int manager_set_ipmb_state(struct manager *m, uint8_t a, uint8_t b);
/* A bus proved it works (a frame came in on it). */
void manager_ipmb_ok(struct manager *m, unsigned bus);
/* The IPMB-0 sensor for the sensor commands (own-sensor.h) if (lun, number) is it; false if not
 * (no IPMB-B, or another sensor). Re-arm: its state now again as an event (events enabled). */
bool manager_link_sensor(struct manager *m, uint8_t lun, uint8_t number, struct own_sensor *ret);
void manager_link_sensor_rearm(struct manager *m);

/*
 * [oem.N] routing (manager-oem.c), asked only when m->oem is set. A request that a section
 * routes is taken (true) and answered when its program ends: over IPMB, from the stored frame
 * (and kept in the replay cache as any answer); a retry of it while the program runs is dropped
 * (the answer follows); another request for a busy section is answered 0xC0. false: not an
 * OEM command of ours, dispatch it.
 */
bool manager_oem_frame(struct manager *m, const struct ipmi_msg_in *in, const uint8_t *frame,
                       size_t len);
bool manager_oem_local(struct manager *m, struct ipmitool_client *c,
                       const struct ipmi_dummy_request *req);
/* Kill what still runs and drop its requests unanswered (manager_free()). */
void manager_oem_free(struct manager *m);

/* Connect the hot-swap machine to the blue LED and to Set Power Level (manager-picmg.c); after
 * all three exist, before anything can change state. Nothing for profile none. */
void manager_picmg_connect(struct manager *m);
/* The event sender's reachability callback (event-sender.h): M7 for the managed FRUs. */
void manager_event_receiver_reachable(void *userdata, bool reachable);
/* A local client went away: the answer to its OEM request, if one runs, is dropped. */
void manager_oem_disconnect(struct manager *m, struct ipmitool_client *c);

