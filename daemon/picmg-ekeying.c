/* SPDX-License-Identifier: MIT */
/*
 * Set/Get Port State (PICMG 3.0 R3.0 E-Keying), Set/Get AMC Port State (AMC.0 R2.0 tables 3-27
 * and 3-28) and Set/Get Channel Signaling Class (PICMG 3.1 R2.0) over the links of
 * [picmg-link.N], and the actions behind them. The port state commands carry no FRU device
 * ID: they address every link of this controller, of its kind; a link's fru key only says
 * whose point-to-point record lists it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "dispatch.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "picmg-ekeying.h"
#include "picmg-preamble.h"
#include "protocol/ipmi.h"
#include "protocol/picmg-fru.h"
#include "spawn-program.h"

#define ARGS_MAX 32

struct picmg_ekeying {
        const struct satmc_config *config;
        bool enabled[CONFIG_PICMG_LINK_MAX];
        uint8_t signaling_class[4][64];         /* by interface and channel; 0 = basic */
        void *gpio_handle[CONFIG_PICMG_LINK_MAX];
        const struct gpio_output_ops *gpio;
        void *gpio_userdata;
};

int picmg_ekeying_new(const struct satmc_config *c, struct picmg_ekeying **ret) {
        struct picmg_ekeying *e;
        bool any = false;

        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++)
                any |= c->picmg_link[i].present;
        if (!any) {
                *ret = NULL;
                return 0;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->config = c;
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++)
                e->enabled[i] = c->picmg_link[i].present && c->picmg_link[i].enabled;
        *ret = e;
        return 0;
}

struct picmg_ekeying *picmg_ekeying_free(struct picmg_ekeying *e) {
        if (!e)
                return NULL;
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++)
                if (e->gpio_handle[i])
                        e->gpio->close(e->gpio_userdata, e->gpio_handle[i]);
        free(e);
        return NULL;
}

int picmg_ekeying_start(struct picmg_ekeying *e, const struct gpio_output_ops *gpio,
                        void *userdata) {
        int r;

        if (!e)
                return 0;
        e->gpio = gpio ?: &gpio_output_libgpiod;
        e->gpio_userdata = userdata;
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &e->config->picmg_link[i];

                if (!l->present || l->action.kind != PICMG_LINK_ACTION_GPIO)
                        continue;
                r = e->gpio->open(e->gpio_userdata, l->action.chip, l->action.line,
                                  l->action.active_low, e->enabled[i], &e->gpio_handle[i]);
                if (r < 0)
                        return log_error_errno(r, "[picmg-link.%u]: cannot drive GPIO line %u "
                                               "of %s: %m", i, l->action.line, l->action.chip);
        }
        return 0;
}

bool picmg_ekeying_enabled(const struct picmg_ekeying *e, unsigned index) {
        return e && index < CONFIG_PICMG_LINK_MAX && e->enabled[index];
}

/* PATH ARGS... enable|disable, waited for at most timeout_ms; its process group killed past
 * that. 0, -ETIMEDOUT, -EIO (it failed), or -errno of posix_spawn(). */
static int run_program(const struct picmg_link_config *l, unsigned index, bool enable) {
        char args[sizeof(l->args)], *argv[ARGS_MAX + 3], *save = NULL, *word;
        char link_env[32];
        char *envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", link_env, NULL };
        uint64_t deadline;
        size_t argc = 0;
        pid_t pid;
        int r, status;

        snprintf(link_env, sizeof(link_env), "SATMC_LINK=%u", index);
        memcpy(args, l->args, sizeof(args));
        argv[argc++] = (char *) l->action.exec;
        for (word = strtok_r(args, " \t", &save); word && argc < ARGS_MAX + 1;
             word = strtok_r(NULL, " \t", &save))
                argv[argc++] = word;
        argv[argc++] = (char *) (enable ? "enable" : "disable");
        argv[argc] = NULL;

        /* A process group the timeout can kill whole, no signal blocked (spawn-program.h). */
        r = spawn_program(l->action.exec, argv, envp, SPAWN_INHERIT, SPAWN_INHERIT, &pid);
        if (r < 0)
                return r;

        /* Polled: a link action is expected to take milliseconds, and this keeps the wait on
         * one thread without a pidfd (valgrind < 3.20 has none). */
        deadline = monotonic_usec() + (uint64_t) l->timeout_ms * 1000;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (monotonic_usec() >= deadline) {
                        (void) kill(-pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                (void) nanosleep(&(struct timespec) { .tv_nsec = 2 * 1000 * 1000 }, NULL);
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int picmg_ekeying_set(struct picmg_ekeying *e, unsigned index, bool enable) {
        const struct picmg_link_config *l;
        int r = 0;

        if (!e || index >= CONFIG_PICMG_LINK_MAX || !e->config->picmg_link[index].present)
                return -ENOENT;
        l = &e->config->picmg_link[index];
        switch (l->action.kind) {
        case PICMG_LINK_ACTION_NONE:
                break;
        case PICMG_LINK_ACTION_GPIO:
                r = e->gpio_handle[index] ? e->gpio->set(e->gpio_userdata, e->gpio_handle[index],
                                                         enable)
                                          : -ENODEV;
                break;
        case PICMG_LINK_ACTION_EXEC:
                r = run_program(l, index, enable);
                break;
        }
        if (r < 0) {
                log_warning_errno(r, "[picmg-link.%u]: %s failed, the link stays %s: %m", index,
                                  enable ? "enabling" : "disabling",
                                  e->enabled[index] ? "enabled" : "disabled");
                return r;
        }
        e->enabled[index] = enable;
        log_info("[picmg-link.%u]: %s.", index, enable ? "enabled" : "disabled");
        return 0;
}

/* The configured ATCA link whose descriptor is exactly d, or -1. */
static int find_atca_link(const struct satmc_config *c, const struct picmg_link *d) {
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];
                uint8_t ports = 0;

                if (!l->present || l->kind != PICMG_LINK_KIND_ATCA)
                        continue;
                for (unsigned p = 0; p < l->ports.n; p++)
                        ports |= (uint8_t) (1u << l->ports.port[p]);
                if (l->channel == d->channel && l->interface == d->interface &&
                    ports == d->ports && l->type == d->type && l->extension == d->extension &&
                    l->group == d->group)
                        return (int) i;
        }
        return -1;
}

static uint8_t amc_lanes(const struct picmg_link_config *l) {
        return (uint8_t) ((1u << l->ports.n) - 1);
}

static int find_amc_link(const struct satmc_config *c, uint8_t channel,
                         const struct picmg_amc_link *d) {
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];

                if (!l->present || l->kind != PICMG_LINK_KIND_AMC)
                        continue;
                if (l->channel == channel && amc_lanes(l) == d->lanes && l->type == d->type &&
                    l->extension == d->extension && l->group == d->group)
                        return (int) i;
        }
        return -1;
}

/* Run the action; a failure is the requester's to see: a timeout 0xC3, anything else 0xFF
 * ("unspecified": the link could not be switched, try again). */
static int set_link(struct manager *m, int index, uint8_t state, struct ipmi_msg_out *out) {
        int r;

        if (index < 0 || state > 1)
                return IPMI_CC_INVALID_DATA_FIELD;
        if (picmg_ekeying_enabled(m->picmg_ekeying, (unsigned) index) != (state == 1)) {
                r = picmg_ekeying_set(m->picmg_ekeying, (unsigned) index, state == 1);
                if (r == -ETIMEDOUT)
                        return IPMI_CC_TIMEOUT;
                if (r < 0)
                        return IPMI_CC_UNSPECIFIED;
        }
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, Link Info (4 bytes), state (0 disable, 1 enable). */
static int handle_set_port_state(struct manager *m, const struct ipmi_msg_in *in,
                                 struct ipmi_msg_out *out) {
        struct picmg_link d;
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        if (!m->picmg_ekeying)
                return IPMI_CC_INVALID_DATA_FIELD;
        picmg_link_decode(in->data + 1, &d);
        return set_link(m, find_atca_link(m->config, &d), in->data[5], out);
}

/* Request: PICMG identifier, channel (bits 5:0) and interface (bits 7:6). The answer: the
 * links of that channel, up to 4, each Link Info and state; none when it has no link. */
static int handle_get_port_state(struct manager *m, const struct ipmi_msg_in *in,
                                 struct ipmi_msg_out *out) {
        uint8_t channel = in->data[1] & 0x3F, interface = in->data[1] >> 6;
        size_t n = 0;
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        for (unsigned i = 0; m->picmg_ekeying && i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &m->config->picmg_link[i];
                struct picmg_link d = {
                        .channel = l->channel, .interface = l->interface, .type = (uint8_t) l->type,
                        .extension = l->extension, .group = l->group,
                };

                if (!l->present || l->kind != PICMG_LINK_KIND_ATCA ||
                    l->channel != channel || l->interface != interface)
                        continue;
                if (n == PICMG_LINKS_PER_ANSWER || out->len + 5 > out->cap)
                        break;
                for (unsigned p = 0; p < l->ports.n; p++)
                        d.ports |= (uint8_t) (1u << l->ports.port[p]);
                (void) picmg_link_encode(&d, out->data + out->len);
                out->data[out->len + 4] = picmg_ekeying_enabled(m->picmg_ekeying, i);
                out->len += 5;
                n++;
        }
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, AMC channel ID, Link Info (3 bytes), state, [on-carrier device
 * ID]. satmcd is the module's own MMC: its links are the module's, so a device ID (a carrier's
 * on-carrier device) names nothing here. */
static int handle_set_amc_port_state(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        struct picmg_amc_link d = { .channel = in->data[1] };
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        if (!m->picmg_ekeying || in->len > 6)
                return IPMI_CC_INVALID_DATA_FIELD;
        picmg_amc_link_info_decode(in->data + 2, &d);
        return set_link(m, find_amc_link(m->config, in->data[1], &d), in->data[5], out);
}

/* Request: PICMG identifier, AMC channel ID, [on-carrier device ID]. */
static int handle_get_amc_port_state(struct manager *m, const struct ipmi_msg_in *in,
                                     struct ipmi_msg_out *out) {
        size_t n = 0;
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        if (in->len > 2)
                return IPMI_CC_INVALID_DATA_FIELD;
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        for (unsigned i = 0; m->picmg_ekeying && i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &m->config->picmg_link[i];
                struct picmg_amc_link d = {
                        .lanes = amc_lanes(l), .type = (uint8_t) l->type,
                        .extension = l->extension, .group = l->group,
                };

                if (!l->present || l->kind != PICMG_LINK_KIND_AMC ||
                    l->channel != in->data[1])
                        continue;
                if (n == PICMG_LINKS_PER_ANSWER || out->len + 4 > out->cap)
                        break;
                (void) picmg_amc_link_info_encode(&d, out->data + out->len);
                out->data[out->len + 3] = picmg_ekeying_enabled(m->picmg_ekeying, i);
                out->len += 4;
                n++;
        }
        return IPMI_CC_OK;
}

/* The signaling classes the ATCA links of a channel support (bit n = class n); 0: none. */
static uint16_t channel_classes(const struct satmc_config *c, uint8_t interface, uint8_t channel) {
        uint16_t mask = 0;

        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];

                if (l->present && l->kind == PICMG_LINK_KIND_ATCA && l->interface == interface &&
                    l->channel == channel)
                        mask |= l->signaling_classes;
        }
        return mask;
}

/* Request: PICMG identifier, channel (bits 5:0) and interface (bits 7:6), class (bits 3:0;
 * 7:4 reserved). A class none of the channel's links supports is refused. */
static int handle_set_signaling_class(struct manager *m, const struct ipmi_msg_in *in,
                                      struct ipmi_msg_out *out) {
        uint8_t channel = in->data[1] & 0x3F, interface = in->data[1] >> 6;
        uint8_t class = in->data[2];
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        if (!m->picmg_ekeying || class > 0x0F ||
            !(channel_classes(m->config, interface, channel) & (1u << class)))
                return IPMI_CC_INVALID_DATA_FIELD;
        m->picmg_ekeying->signaling_class[interface][channel] = class;
        out->data[0] = PICMG_IDENTIFIER;
        out->len = 1;
        return IPMI_CC_OK;
}

/* Request: PICMG identifier, channel and interface. The answer echoes the channel. */
static int handle_get_signaling_class(struct manager *m, const struct ipmi_msg_in *in,
                                      struct ipmi_msg_out *out) {
        uint8_t channel = in->data[1] & 0x3F, interface = in->data[1] >> 6;
        int r = picmg_preamble(m, in, PICMG_PREAMBLE_NO_FRU, NULL);

        if (r != 0)
                return r;
        if (!m->picmg_ekeying || !channel_classes(m->config, interface, channel))
                return IPMI_CC_INVALID_DATA_FIELD;
        out->data[0] = PICMG_IDENTIFIER;
        out->data[1] = in->data[1];
        out->data[2] = m->picmg_ekeying->signaling_class[interface][channel];
        out->len = 3;
        return IPMI_CC_OK;
}

/* PICMG 3.0 R3.0 E-Keying: the "Set Port State command" and "Get Port State command" tables and
 * the Link Info they carry (the Board Point-to-Point record's Link Descriptor); AMC.0 R2.0 table
 * 3-27 (Set AMC Port State) and 3-28 (Get AMC Port State), their Link Info bits 8..31 of table
 * 3-19 (AMC Link Descriptor); PICMG 3.1 R2.0 for the signaling class commands. */
const struct ipmi_command picmg_ekeying_commands[] = {
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_SET_PORT_STATE,
                .min_len = 6, .max_len = 6,
                .name = "Set Port State", .handler = handle_set_port_state,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_PORT_STATE,
                .min_len = 2, .max_len = 2,
                .name = "Get Port State", .handler = handle_get_port_state,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_SET_AMC_PORT_STATE,
                .min_len = 6, .max_len = 7,
                .name = "Set AMC Port State", .handler = handle_set_amc_port_state,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_AMC_PORT_STATE,
                .min_len = 2, .max_len = 3,
                .name = "Get AMC Port State", .handler = handle_get_amc_port_state,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_SET_SIGNALING_CLASS,
                .min_len = 3, .max_len = 3,
                .name = "Set Channel Signaling Class", .handler = handle_set_signaling_class,
        },
        {
                .netfn = IPMI_NETFN_GROUP_EXT, .cmd = PICMG_CMD_GET_SIGNALING_CLASS,
                .min_len = 2, .max_len = 2,
                .name = "Get Channel Signaling Class", .handler = handle_get_signaling_class,
        },
};
const size_t picmg_ekeying_commands_count = ELEMENTSOF(picmg_ekeying_commands);
