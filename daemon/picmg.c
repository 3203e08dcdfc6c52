/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "picmg.h"
#include "picmg-action.h"
#include "sdr-repo.h"
#include "protocol/picmg.h"
#include "protocol/platform-event.h"
#include "protocol/sdr-compact.h"

/* One FRU's handle switch: its line, watched for edges, read once they settle. */
struct picmg_handle_watch {
        struct picmg *picmg;
        uint8_t fru;
        void *handle;                   /* NULL: no handle switch, the FRU counts as latched in */
        sd_event_source *io;
        sd_event_source *debounce;
};

struct picmg_fru {
        bool managed;
        struct picmg_handle_watch handle;
        struct hotswap_machine machine;
        uint8_t sensor_number;          /* of its FRU Hot Swap sensor, LUN 0 */
        struct own_sensor_enables enables;
        struct hotswap_transition last; /* what Re-arm Sensor Events sends again */
};

struct picmg {
        sd_event *event;
        const struct satmc_config *config;
        struct picmg_fru fru[CONFIG_FRU_MAX];
        struct picmg_actions *actions;
        struct event_sender *events;    /* NULL until started */
        picmg_blue_led_fn blue_led;
        void *blue_led_userdata;

        /* How the handle switches are read (picmg_start()). */
        const struct picmg_handle_ops *handle_ops;
        void *handle_userdata;
};

/* The hot-swap sensors take the highest numbers LUN 0's [sensor.N] leave free: 254, 253, ...
 * for FRU 0, 1, ..., so adding sensors to the file does not renumber them. */
static int assign_sensor_numbers(struct picmg *p) {
        bool used[256] = { [255] = true };
        int next = 254;

        for (unsigned i = 0; i < p->config->sensor_end; i++) {
                const struct sensor_config *sc = &p->config->sensor[i];

                if (sc->present && sc->lun == 0 && sc->number >= 0 && sc->number < 255)
                        used[sc->number] = true;
        }
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++) {
                if (!p->fru[f].managed)
                        continue;
                while (next >= 0 && used[next])
                        next--;
                if (next < 0)
                        return -ENOSPC;
                p->fru[f].sensor_number = (uint8_t) next;
                used[next] = true;
        }
        return 0;
}

int picmg_new(sd_event *event, const struct satmc_config *c, struct picmg **ret) {
        _cleanup_(picmg_freep) struct picmg *p = NULL;
        int r;

        *ret = NULL;
        if (c->picmg.profile == PICMG_PROFILE_NONE)
                return 0;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->event = event;
        p->config = c;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++) {
                p->fru[f].managed = c->fru[f].present;
                hotswap_init(&p->fru[f].machine, c->picmg.profile == PICMG_PROFILE_AMC_MMC, 0);
                /* A FRU without a handle switch counts as latched in. */
                p->fru[f].machine.handle_closed = true;
                p->fru[f].enables = (struct own_sensor_enables) OWN_SENSOR_ENABLES_INIT;
                /* An ATCA FRU leaves M3 when the shelf manager grants one of its power levels
                 * (Set Power Level); without [picmg-power.N] there is none to grant. */
                if (p->fru[f].managed && c->picmg.profile == PICMG_PROFILE_ATCA_IPMC &&
                    !c->picmg_power[f].present)
                        log_warning("FRU %u has no [picmg-power.%u]: in an ATCA shelf it stays "
                                    "in M3 once activated, with no power level to be granted.",
                                    f, f);
        }
        r = assign_sensor_numbers(p);
        if (r < 0)
                return r;
        r = picmg_actions_new(event, c, &p->actions);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

struct picmg *picmg_free(struct picmg *p) {
        if (!p)
                return NULL;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++) {
                struct picmg_handle_watch *w = &p->fru[f].handle;

                sd_event_source_disable_unref(w->io);
                sd_event_source_disable_unref(w->debounce);
                if (w->handle)
                        p->handle_ops->close(p->handle_userdata, w->handle);
        }
        picmg_actions_free(p->actions);
        free(p);
        return NULL;
}

int picmg_add_sdrs(struct picmg *p, struct sdr_repository *sdr) {
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++) {
                const struct fru_config *fc = &p->config->fru[f];
                struct sdr_compact_sensor rec = {
                        .owner_id = p->config->address,
                        .number = p->fru[f].sensor_number,
                        .entity_id = fc->entity_id,
                        .entity_instance = (uint8_t) (fc->entity_instance < 0 ? (int) f
                                                                              : fc->entity_instance),
                        .init = SDR_INIT_SCANNING_ENABLED | SDR_INIT_EVENTS_ENABLED,
                        .capabilities = SDR_CAP_EVENTS_ENTIRE_SENSOR | SDR_CAP_AUTO_REARM,
                        .sensor_type = PICMG_SENSOR_TYPE_HOT_SWAP,
                        .event_type = EVENT_TYPE_SENSOR_SPECIFIC,
                        .assert_mask = 0x00FF,  /* M0..M7 */
                        .reading_mask = 0x00FF,
                        .share_count = 1,
                };
                int r;

                if (!p->fru[f].managed)
                        continue;
                snprintf(rec.id, sizeof(rec.id), "FRU%u Hot Swap", f);
                r = sdr_repository_add_compact_sensor(sdr, &rec);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The FRU Hot Swap event of transition t (PICMG 3.0 table 3-23), unless the shelf manager
 * turned the sensor's events off (Set Sensor Event Enable). */
static void send_event(struct picmg *p, uint8_t fru, const struct hotswap_transition *t) {
        uint8_t d[3];
        struct platform_event ev = {
                .sensor_type = PICMG_SENSOR_TYPE_HOT_SWAP,
                .sensor_number = p->fru[fru].sensor_number,
                .event_type = EVENT_TYPE_SENSOR_SPECIFIC,
                .offset = t->to,
                .data2_kind = PLATFORM_EVENT_DATA_OEM,
                .data3_kind = PLATFORM_EVENT_DATA_OEM,
        };

        if (!p->events || !own_sensor_reports(&p->fru[fru].enables))
                return;
        hotswap_event_data(t, fru, d);
        ev.data2 = d[1];
        ev.data3 = d[2];
        (void) event_sender_queue(p->events, &ev);
}

/* One transition: logged, an event, the blue LED told. */
static void report(struct picmg *p, uint8_t fru, const struct hotswap_transition *t) {
        enum hotswap_led_hint led = hotswap_led_for_state(t->to);

        log_info("FRU %u: %s -> %s (cause %u).", fru, hotswap_state_name(t->from),
                 hotswap_state_name(t->to), t->cause);
        p->fru[fru].last = *t;
        send_event(p, fru, t);
        if (p->blue_led && led != HOTSWAP_LED_UNCHANGED)
                p->blue_led(p->blue_led_userdata, fru, led);
}

static int feed(struct picmg *p, uint8_t fru, enum hotswap_input in, uint8_t policy) {
        struct hotswap_transition t[HOTSWAP_TRANSITIONS_MAX];
        int n;

        if (fru >= CONFIG_FRU_MAX || !p->fru[fru].managed)
                return -ENOENT;
        n = hotswap_step(&p->fru[fru].machine, in, policy, t);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++)
                report(p, fru, &t[i]);
        /* Deactivation in progress: the payload is off once its actions are, which here is
         * at once (the power lane's Set Power Level owns the payload power). */
        if (p->fru[fru].machine.state == HOTSWAP_M6)
                return feed(p, fru, HOTSWAP_IN_PAYLOAD_OFF, 0);
        return 0;
}

void picmg_handle_settled(struct picmg *p, uint8_t fru, bool closed) {
        (void) feed(p, fru, closed ? HOTSWAP_IN_HANDLE_CLOSED : HOTSWAP_IN_HANDLE_OPENED, 0);
}

static int on_debounced(sd_event_source *s, uint64_t usec, void *userdata) {
        struct picmg_handle_watch *w = userdata;
        struct picmg *p = w->picmg;
        int v;

        (void) s;
        (void) usec;
        v = p->handle_ops->get(p->handle_userdata, w->handle);
        if (v < 0) {
                log_warning_errno(v, "Cannot read FRU %u's handle switch: %m", w->fru);
                return 0;
        }
        picmg_handle_settled(p, w->fru, v == 1);
        return 0;
}

/* An edge: (re)start the debounce time; the level is read once it has passed without one. */
static int on_handle_edge(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct picmg_handle_watch *w = userdata;
        struct picmg *p = w->picmg;
        uint64_t now;
        int r;

        (void) s;
        (void) fd;
        (void) revents;
        r = p->handle_ops->drain(p->handle_userdata, w->handle);
        if (r < 0)
                log_warning_errno(r, "Cannot read FRU %u's handle switch events: %m", w->fru);
        r = sd_event_now(p->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_source_set_time(w->debounce,
                                             now + p->config->picmg.handle_debounce_ms * 1000ULL);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->debounce, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Cannot time FRU %u's handle switch debounce: %m", w->fru);
        return 0;
}

/* FRU f's handle switch line: FRU 0's from [picmg] handle-switch-chip/-line or its own
 * handle-switch (config-picmg.c allows one of them), every other FRU's from its own. */
static bool handle_line(const struct picmg *p, unsigned f, struct picmg_action *ret) {
        const struct picmg_config *pc = &p->config->picmg;

        if (f == 0 && pc->handle_line >= 0) {
                *ret = (struct picmg_action) {
                        .kind = PICMG_ACTION_GPIO,
                        .line = (unsigned) pc->handle_line,
                        .active_low = pc->handle_active_low,
                };
                memcpy(ret->chip, pc->handle_chip, sizeof(ret->chip));
                return true;
        }
        *ret = p->config->fru[f].handle_switch;
        return ret->kind == PICMG_ACTION_GPIO;
}

static int handle_start(struct picmg *p, uint8_t f) {
        struct picmg_handle_watch *w = &p->fru[f].handle;
        struct picmg_action h;
        char name[40];
        int fd, r, v;

        if (!p->fru[f].managed || !handle_line(p, f, &h))
                return 0;
        w->picmg = p;
        w->fru = f;
        r = p->handle_ops->open(p->handle_userdata, h.chip, h.line, h.active_low, &w->handle,
                                &fd);
        if (r < 0) {
                w->handle = NULL;
                return log_error_errno(r, "Cannot watch FRU %u's handle switch, %s line %u: %m",
                                       f, h.chip, h.line);
        }
        r = sd_event_add_io(p->event, &w->io, fd, EPOLLIN, on_handle_edge, w);
        if (r >= 0)
                r = sd_event_add_time(p->event, &w->debounce, CLOCK_MONOTONIC, 0, 1000,
                                      on_debounced, w);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->debounce, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Cannot watch FRU %u's handle switch: %m", f);
        snprintf(name, sizeof(name), "picmg-handle-%u", f);
        (void) sd_event_source_set_description(w->io, name);
        snprintf(name, sizeof(name), "picmg-handle-debounce-%u", f);
        (void) sd_event_source_set_description(w->debounce, name);
        v = p->handle_ops->get(p->handle_userdata, w->handle);
        if (v < 0)
                return log_error_errno(v, "Cannot read FRU %u's handle switch: %m", f);
        /* Where the handle is at start is no operator's move: no event, just the position. */
        p->fru[f].machine.handle_closed = v == 1;
        log_info("FRU %u: handle switch (%s line %u) is %s.", f, h.chip, h.line,
                 v == 1 ? "closed" : "open");
        return 0;
}

int picmg_start(struct picmg *p, const struct picmg_handle_ops *handle, void *handle_userdata,
                const struct gpio_output_ops *gpio, void *gpio_userdata) {
        int r;

        r = picmg_actions_start(p->actions, gpio, gpio_userdata);
        if (r < 0)
                return r;
        p->handle_ops = handle ?: &picmg_handle_libgpiod;
        p->handle_userdata = handle_userdata;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++) {
                r = handle_start(p, (uint8_t) f);
                if (r < 0)
                        return r;
        }
        return 0;
}

void picmg_insert(struct picmg *p, struct event_sender *events) {
        p->events = events;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                if (p->fru[f].managed)
                        (void) feed(p, (uint8_t) f, HOTSWAP_IN_INSERTED, 0);
}

void picmg_set_blue_led(struct picmg *p, picmg_blue_led_fn fn, void *userdata) {
        p->blue_led = fn;
        p->blue_led_userdata = userdata;
}

const struct satmc_config *picmg_config(const struct picmg *p) {
        return p->config;
}

bool picmg_manages(const struct picmg *p, uint8_t fru) {
        return fru < CONFIG_FRU_MAX && p->fru[fru].managed;
}

uint8_t picmg_max_fru(const struct picmg *p) {
        uint8_t max = 0;

        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                if (p->fru[f].managed)
                        max = (uint8_t) f;
        return max;
}

uint8_t picmg_state(const struct picmg *p, uint8_t fru) {
        return picmg_manages(p, fru) ? p->fru[fru].machine.state : HOTSWAP_M0;
}

int picmg_set_activation(struct picmg *p, uint8_t fru, bool activate) {
        return feed(p, fru, activate ? HOTSWAP_IN_ACTIVATE : HOTSWAP_IN_DEACTIVATE, 0);
}

int picmg_set_policy(struct picmg *p, uint8_t fru, uint8_t mask, uint8_t bits) {
        uint8_t policy;

        if (!picmg_manages(p, fru))
                return -ENOENT;
        policy = (uint8_t) ((p->fru[fru].machine.policy & ~mask) | (bits & mask));
        return feed(p, fru, HOTSWAP_IN_POLICY, policy);
}

int picmg_get_policy(const struct picmg *p, uint8_t fru, uint8_t *ret) {
        if (!picmg_manages(p, fru))
                return -ENOENT;
        *ret = p->fru[fru].machine.policy;
        return 0;
}

int picmg_hotswap_power_granted(struct picmg *p, uint8_t fru, bool granted) {
        return feed(p, fru, granted ? HOTSWAP_IN_POWER_GRANTED : HOTSWAP_IN_POWER_REMOVED, 0);
}

/* The managed FRU whose hot-swap sensor is (lun, number), or -ENOENT. */
static int fru_of_sensor(const struct picmg *p, uint8_t lun, uint8_t number) {
        if (lun != 0)
                return -ENOENT;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                if (p->fru[f].managed && p->fru[f].sensor_number == number)
                        return (int) f;
        return -ENOENT;
}

int picmg_own_sensor(struct picmg *p, uint8_t lun, uint8_t number, struct own_sensor *ret) {
        int f = fru_of_sensor(p, lun, number);

        if (f < 0)
                return f;
        *ret = (struct own_sensor) {
                .enables = &p->fru[f].enables,
                .state = (uint16_t) (1u << p->fru[f].machine.state),
                .assertions = 0x00FF,           /* M0..M7, as the SDR says */
        };
        return 0;
}

/* The state FRU fru is in, again as a fresh event: the transition that led to it, so its
 * previous state and cause are the ones the shelf manager may have missed. Nothing in M0. */
static void resend_state(struct picmg *p, uint8_t fru) {
        if (p->fru[fru].machine.state != HOTSWAP_M0)
                send_event(p, fru, &p->fru[fru].last);
}

int picmg_sensor_rearm(struct picmg *p, uint8_t lun, uint8_t number, uint16_t mask) {
        int f = fru_of_sensor(p, lun, number);

        if (f < 0)
                return f;
        if (mask & (1u << p->fru[f].machine.state))
                resend_state(p, (uint8_t) f);
        return 0;
}

void picmg_sensor_rearm_all(struct picmg *p) {
        if (!p)
                return;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                if (p->fru[f].managed)
                        resend_state(p, (uint8_t) f);
}

void picmg_communication(struct picmg *p, bool reachable) {
        if (reachable)
                log_info("The shelf manager answers again: managed FRUs leave M7.");
        else
                log_warning("The shelf manager (event receiver) does not answer: managed FRUs "
                            "go to M7, communication lost.");
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                if (p->fru[f].managed)
                        (void) feed(p, (uint8_t) f, reachable ? HOTSWAP_IN_COMMUNICATION_REGAINED
                                                              : HOTSWAP_IN_COMMUNICATION_LOST, 0);
}

int picmg_fru_control(struct picmg *p, uint8_t fru, uint8_t option) {
        if (!picmg_manages(p, fru))
                return -ENOENT;
        return picmg_actions_run(p->actions, fru, option);
}

uint8_t picmg_fru_control_capabilities(const struct picmg *p, uint8_t fru) {
        uint8_t caps = 0;

        for (uint8_t o = PICMG_FRU_CONTROL_WARM_RESET; o < _PICMG_ACTIONS; o++)
                if (picmg_actions_has(p->actions, fru, o))
                        caps |= (uint8_t) (1u << o);
        return caps;
}

uint8_t picmg_site_number(const struct picmg *p) {
        const struct picmg_config *pc = &p->config->picmg;

        if (pc->site_number != PICMG_SITE_AUTO)
                return (uint8_t) pc->site_number;
        /* AMC.0 table 3-2: bays A1..B4 at IPMB-L 0x72..0x80; ATCA: the hardware address. */
        if (pc->profile == PICMG_PROFILE_AMC_MMC)
                return p->config->address >= 0x72 && p->config->address <= 0x80
                       ? (uint8_t) ((p->config->address - 0x70) / 2) : 0;
        /* PICMG 3.0 table 3-4: slot N at hardware address 0x40 + N, IPMB-0 0x80 + 2N. */
        return p->config->address >= 0x82 && p->config->address <= 0xA0
               ? (uint8_t) ((p->config->address - 0x80) / 2) : p->config->address >> 1;
}

uint8_t picmg_site_type(const struct picmg *p) {
        const struct picmg_config *pc = &p->config->picmg;

        if (pc->site_type != PICMG_SITE_AUTO)
                return (uint8_t) pc->site_type;
        return pc->profile == PICMG_PROFILE_AMC_MMC ? PICMG_SITE_AMC : PICMG_SITE_ATCA_BOARD;
}
