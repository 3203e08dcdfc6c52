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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
#define EXIT_POLL_USEC 10000            /* without a pidfd: look every 10 ms */

/* A link's exec action under way: pid > 0 from the spawn until the program is reaped. */
struct link_run {
        struct picmg_ekeying *e;
        unsigned index;
        bool target;                    /* the state the program switches the link to */
        bool timed_out;                 /* killed at timeout-ms */
        pid_t pid;
        int pidfd;
        sd_event_source *exit_source;   /* the pidfd, or a poll timer without one */
        sd_event_source *timer;         /* timeout-ms */
};

struct picmg_ekeying {
        const struct satmc_config *config;
        sd_event *event;
        bool enabled[CONFIG_PICMG_LINK_MAX];    /* the state the link has, never the one asked */
        uint8_t signaling_class[4][64];         /* by interface and channel; 0 = basic */
        void *gpio_handle[CONFIG_PICMG_LINK_MAX];
        const struct gpio_output_ops *gpio;
        void *gpio_userdata;
        struct link_run runs[CONFIG_PICMG_LINK_MAX];
};

int picmg_ekeying_new(sd_event *event, const struct satmc_config *c, struct picmg_ekeying **ret) {
        struct picmg_ekeying *e;
        bool any = false;

        for (unsigned i = 0; i < c->picmg_link_end; i++)
                any |= c->picmg_link[i].present;
        if (!any) {
                *ret = NULL;
                return 0;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->config = c;
        e->event = event;
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                e->enabled[i] = i < c->picmg_link_end && c->picmg_link[i].present &&
                                c->picmg_link[i].enabled;
                e->runs[i] = (struct link_run) { .e = e, .index = i, .pidfd = -EBADF };
        }
        *ret = e;
        return 0;
}

static void run_end(struct link_run *run) {
        run->exit_source = sd_event_source_disable_unref(run->exit_source);
        run->timer = sd_event_source_disable_unref(run->timer);
        run->pidfd = safe_close(run->pidfd);
        run->pid = 0;
        run->timed_out = false;
}

struct picmg_ekeying *picmg_ekeying_free(struct picmg_ekeying *e) {
        if (!e)
                return NULL;
        for (unsigned i = 0; i < CONFIG_PICMG_LINK_MAX; i++) {
                struct link_run *run = &e->runs[i];

                /* A program still running at exit is killed: its link keeps the state it
                 * had, and nobody is left to report the new one to. */
                if (run->pid > 0) {
                        (void) kill(-run->pid, SIGKILL);
                        (void) waitpid(run->pid, NULL, 0);
                        run_end(run);
                }
                if (e->gpio_handle[i])
                        e->gpio->close(e->gpio_userdata, e->gpio_handle[i]);
        }
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
        for (unsigned i = 0; i < e->config->picmg_link_end; i++) {
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

bool picmg_ekeying_busy(const struct picmg_ekeying *e, unsigned index) {
        return e && index < CONFIG_PICMG_LINK_MAX && e->runs[index].pid > 0;
}

/* The program ended (or was killed): reap it, and only an exit 0 in time switches the link. */
static bool run_reap(struct link_run *run) {
        struct picmg_ekeying *e = run->e;
        const char *what = run->target ? "enabling" : "disabling";
        int status;
        pid_t w = waitpid(run->pid, &status, WNOHANG);

        if (w == 0 || (w < 0 && errno == EINTR))
                return false;
        if (w == run->pid && !run->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                e->enabled[run->index] = run->target;
                log_info("[picmg-link.%u]: %s.", run->index,
                         run->target ? "enabled" : "disabled");
        } else if (run->timed_out)
                log_warning("[picmg-link.%u]: %s took longer than %u ms, killed; the link stays "
                            "%s.", run->index, what, e->config->picmg_link[run->index].timeout_ms,
                            e->enabled[run->index] ? "enabled" : "disabled");
        else if (w == run->pid && WIFEXITED(status))
                log_warning("[picmg-link.%u]: %s failed (%s exited with status %d), the link "
                            "stays %s.", run->index, what,
                            e->config->picmg_link[run->index].action.exec, WEXITSTATUS(status),
                            e->enabled[run->index] ? "enabled" : "disabled");
        else
                log_warning("[picmg-link.%u]: %s failed (%s ended by signal %d), the link stays "
                            "%s.", run->index, what, e->config->picmg_link[run->index].action.exec,
                            w == run->pid && WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                            e->enabled[run->index] ? "enabled" : "disabled");
        run_end(run);
        return true;
}

static int on_exit_ready(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        (void) src;
        (void) fd;
        (void) revents;
        (void) run_reap(userdata);
        return 0;
}

static int on_exit_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        if (run_reap(userdata))
                return 0;
        (void) sd_event_source_set_time(src, usec + EXIT_POLL_USEC);
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

/* Killed here, reaped (and reported) by the exit source: the pidfd turns readable. */
static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        struct link_run *run = userdata;

        (void) src;
        (void) usec;
        run->timed_out = true;
        (void) kill(-run->pid, SIGKILL);
        run->timer = sd_event_source_disable_unref(run->timer);
        return 0;
}

/* Start PATH ARGS... enable|disable, watched by the loop: 0, or -errno (nothing runs). */
static int run_start(struct link_run *run, bool enable) {
        const struct picmg_link_config *l = &run->e->config->picmg_link[run->index];
        char args[sizeof(l->args)], *argv[ARGS_MAX + 3], *save = NULL, *word;
        char link_env[32];
        char *envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", link_env, NULL };
        sd_event *event = run->e->event;
        size_t argc = 0;
        pid_t pid;
        int r;

        snprintf(link_env, sizeof(link_env), "SATMC_LINK=%u", run->index);
        memcpy(args, l->args, sizeof(args));
        argv[argc++] = (char *) l->action.exec;
        for (word = strtok_r(args, " \t", &save); word && argc < ARGS_MAX + 1;
             word = strtok_r(NULL, " \t", &save))
                argv[argc++] = word;
        argv[argc++] = (char *) (enable ? "enable" : "disable");
        argv[argc] = NULL;

        /* posix_spawn() reports a failed exec only where vfork semantics hold; ask first, so
         * that a missing program is the requester's 0xFF and not a late log line. */
        if (access(l->action.exec, X_OK) < 0)
                return -errno;
        /* A process group the timeout can kill whole, no signal blocked (spawn-program.h). */
        r = spawn_program(l->action.exec, argv, envp, SPAWN_STDIN_DEV_NULL, SPAWN_INHERIT, &pid);
        if (r < 0)
                return r;
        run->pid = pid;
        run->target = enable;
        run->timed_out = false;
        run->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (run->pidfd < 0)
                run->pidfd = -errno;    /* an old kernel, or valgrind < 3.20: poll instead */
        if (run->pidfd >= 0)
                r = sd_event_add_io(event, &run->exit_source, run->pidfd, EPOLLIN, on_exit_ready,
                                    run);
        else
                r = sd_event_add_time_relative(event, &run->exit_source, CLOCK_MONOTONIC,
                                               EXIT_POLL_USEC, 1000, on_exit_poll, run);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &run->timer, CLOCK_MONOTONIC,
                                               (uint64_t) l->timeout_ms * 1000, 1000,
                                               on_timeout, run);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                run_end(run);
                return r;
        }
        (void) sd_event_source_set_description(run->exit_source, "picmg-link-exit");
        (void) sd_event_source_set_description(run->timer, "picmg-link-timeout");
        log_info("[picmg-link.%u]: %s: %s started, pid %d.", run->index,
                 enable ? "enabling" : "disabling", l->action.exec, (int) pid);
        return 0;
}

int picmg_ekeying_set(struct picmg_ekeying *e, unsigned index, bool enable) {
        const struct picmg_link_config *l;
        struct link_run *run;
        int r = 0;

        if (!e || index >= CONFIG_PICMG_LINK_MAX || !e->config->picmg_link[index].present)
                return -ENOENT;
        l = &e->config->picmg_link[index];
        run = &e->runs[index];
        if (run->pid > 0)
                /* The same request again (a retry) is the run under way; the other state
                 * waits until this one has ended. */
                return run->target == enable ? PICMG_EKEYING_STARTED : -EBUSY;
        if (e->enabled[index] == enable)
                return 0;
        switch (l->action.kind) {
        case PICMG_LINK_ACTION_NONE:
                break;
        case PICMG_LINK_ACTION_GPIO:
                r = e->gpio_handle[index] ? e->gpio->set(e->gpio_userdata, e->gpio_handle[index],
                                                         enable)
                                          : -ENODEV;
                break;
        case PICMG_LINK_ACTION_EXEC:
                r = run_start(run, enable);
                if (r == 0)
                        return PICMG_EKEYING_STARTED;
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
        for (unsigned i = 0; i < c->picmg_link_end; i++) {
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
        for (unsigned i = 0; i < c->picmg_link_end; i++) {
                const struct picmg_link_config *l = &c->picmg_link[i];

                if (!l->present || l->kind != PICMG_LINK_KIND_AMC)
                        continue;
                if (l->channel == channel && amc_lanes(l) == d->lanes && l->type == d->type &&
                    l->extension == d->extension && l->group == d->group)
                        return (int) i;
        }
        return -1;
}

/* Switch a link: answered once its action has been done (GPIO) or started (a program, whose
 * end the state waits for: Get Port State reports what the link is, not what was asked).
 * A program running towards the other state: 0xC0, ask again; one that cannot be started
 * or a GPIO line that cannot be written: 0xFF ("unspecified": try again). */
static int set_link(struct manager *m, int index, uint8_t state, struct ipmi_msg_out *out) {
        int r;

        if (index < 0 || state > 1)
                return IPMI_CC_INVALID_DATA_FIELD;
        r = picmg_ekeying_set(m->picmg_ekeying, (unsigned) index, state == 1);
        if (r == -EBUSY)
                return IPMI_CC_NODE_BUSY;
        if (r < 0)
                return IPMI_CC_UNSPECIFIED;
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
        for (unsigned i = 0; m->picmg_ekeying && i < m->config->picmg_link_end; i++) {
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
        for (unsigned i = 0; m->picmg_ekeying && i < m->config->picmg_link_end; i++) {
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

        for (unsigned i = 0; i < c->picmg_link_end; i++) {
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
