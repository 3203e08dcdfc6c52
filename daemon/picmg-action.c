/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "picmg-action.h"
#include "spawn-program.h"

#define EXIT_POLL_USEC 10000            /* without a pidfd: look every 10 ms */
#define ARGS_MAX 16

static const char *const option_names[_PICMG_ACTIONS] = {
        [PICMG_ACTION_COLD_RESET] = "cold-reset",
        [PICMG_ACTION_WARM_RESET] = "warm-reset",
        [PICMG_ACTION_GRACEFUL_REBOOT] = "graceful-reboot",
        [PICMG_ACTION_DIAGNOSTIC_INTERRUPT] = "diagnostic-interrupt",
};

struct action_slot {
        struct picmg_actions *table;
        const struct picmg_action *config;
        uint8_t fru, option;
        void *gpio;                     /* GPIO: the line, held from start */
        sd_event_source *timer;         /* GPIO: end of the pulse; EXEC: the timeout */
        pid_t pid;                      /* EXEC: running, or 0 */
        int pidfd;
        sd_event_source *exit_source;
};

struct picmg_actions {
        sd_event *event;
        const struct satmc_config *config;
        const struct gpio_output_ops *gpio;
        void *gpio_userdata;
        struct action_slot slots[CONFIG_FRU_MAX][_PICMG_ACTIONS];
};

static void slot_end_exec(struct action_slot *s) {
        s->exit_source = sd_event_source_disable_unref(s->exit_source);
        s->timer = sd_event_source_disable_unref(s->timer);
        s->pidfd = safe_close(s->pidfd);
        s->pid = 0;
}

/* The program ended (or was killed): reap it, say how it ended. */
static bool slot_reap(struct action_slot *s) {
        int status;
        pid_t r = waitpid(s->pid, &status, WNOHANG);

        if (r == 0)
                return false;
        if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
                log_warning("[fru.%u] %s-action %s exited with status %d.", s->fru,
                            option_names[s->option], s->config->exec, WEXITSTATUS(status));
        else if (r > 0 && WIFSIGNALED(status))
                log_warning("[fru.%u] %s-action %s killed by signal %d.", s->fru,
                            option_names[s->option], s->config->exec, WTERMSIG(status));
        else
                log_debug("[fru.%u] %s-action done.", s->fru, option_names[s->option]);
        slot_end_exec(s);
        return true;
}

static int on_exit_ready(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        (void) src;
        (void) fd;
        (void) revents;
        (void) slot_reap(userdata);
        return 0;
}

static int on_exit_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        struct action_slot *s = userdata;

        if (slot_reap(s))
                return 0;
        (void) sd_event_source_set_time(src, usec + EXIT_POLL_USEC);
        return sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

static int on_exec_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        struct action_slot *s = userdata;

        (void) src;
        (void) usec;
        log_warning("[fru.%u] %s-action %s still runs after %u ms: killed.", s->fru,
                    option_names[s->option], s->config->exec,
                    s->table->config->picmg.action_timeout_ms);
        (void) kill(-s->pid, SIGKILL);
        s->timer = sd_event_source_disable_unref(s->timer);
        return 0;
}

static int on_pulse_end(sd_event_source *src, uint64_t usec, void *userdata) {
        struct action_slot *s = userdata;
        int r;

        (void) src;
        (void) usec;
        r = s->table->gpio->set(s->table->gpio_userdata, s->gpio, 0);
        if (r < 0)
                log_warning_errno(r, "[fru.%u] %s-action: cannot release %s line %u: %m",
                                  s->fru, option_names[s->option], s->config->chip,
                                  s->config->line);
        s->timer = sd_event_source_disable_unref(s->timer);
        return 0;
}

/* argv: the path, then the fixed arguments split at blanks (no quoting, no expansion). */
static void split_args(const struct picmg_action *a, char *buf, size_t size, char **argv) {
        size_t n = 0;
        char *save = NULL;

        snprintf(buf, size, "%s", a->args);
        argv[n++] = (char *) a->exec;
        for (char *w = strtok_r(buf, " \t", &save); w && n < ARGS_MAX; w = strtok_r(NULL, " \t", &save))
                argv[n++] = w;
        argv[n] = NULL;
}

static int slot_spawn(struct action_slot *s) {
        const struct picmg_action *a = s->config;
        char args[sizeof(a->args)], *argv[ARGS_MAX + 1], env[2][64], *envp[4];
        pid_t pid;
        int r;

        /* posix_spawn() reports a failed exec only where vfork semantics hold; ask first. */
        if (access(a->exec, X_OK) < 0)
                return -errno;
        split_args(a, args, sizeof(args), argv);
        snprintf(env[0], sizeof(env[0]), "SATMC_FRU=%u", s->fru);
        snprintf(env[1], sizeof(env[1]), "SATMC_FRU_CONTROL=%s", option_names[s->option]);
        envp[0] = env[0];
        envp[1] = env[1];
        envp[2] = (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        envp[3] = NULL;

        /* No blocked signals, every one at its default, a process group of its own. */
        r = spawn_program(a->exec, argv, envp, SPAWN_STDIN_DEV_NULL, SPAWN_INHERIT, &pid);
        if (r < 0)
                return r;
        s->pid = pid;
        s->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (s->pidfd < 0)
                s->pidfd = -errno;
        return 0;
}

static int slot_run_exec(struct action_slot *s) {
        sd_event *e = s->table->event;
        int r;

        r = slot_spawn(s);
        if (r < 0)
                return log_warning_errno(r, "[fru.%u] %s-action: cannot run %s: %m", s->fru,
                                         option_names[s->option], s->config->exec);
        if (s->pidfd >= 0)
                r = sd_event_add_io(e, &s->exit_source, s->pidfd, EPOLLIN, on_exit_ready, s);
        else
                r = sd_event_add_time_relative(e, &s->exit_source, CLOCK_MONOTONIC,
                                               EXIT_POLL_USEC, 1000, on_exit_poll, s);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &s->timer, CLOCK_MONOTONIC,
                                               s->table->config->picmg.action_timeout_ms * 1000ULL,
                                               1000, on_exec_timeout, s);
        if (r < 0) {
                (void) kill(-s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
                slot_end_exec(s);
                return log_warning_errno(r, "[fru.%u] cannot watch %s: %m", s->fru,
                                         s->config->exec);
        }
        (void) sd_event_source_set_description(s->exit_source, "picmg-action-exit");
        (void) sd_event_source_set_description(s->timer, "picmg-action-timeout");
        log_info("[fru.%u] FRU Control %s: %s started, pid %d.", s->fru, option_names[s->option],
                 s->config->exec, (int) s->pid);
        return 0;
}

static int slot_run_gpio(struct action_slot *s) {
        int r;

        if (!s->gpio)
                return -ENODEV;         /* not started */
        r = s->table->gpio->set(s->table->gpio_userdata, s->gpio, 1);
        if (r < 0)
                return log_warning_errno(r, "[fru.%u] %s-action: cannot set %s line %u: %m",
                                         s->fru, option_names[s->option], s->config->chip,
                                         s->config->line);
        r = sd_event_add_time_relative(s->table->event, &s->timer, CLOCK_MONOTONIC,
                                       s->table->config->picmg.pulse_ms * 1000ULL, 1000,
                                       on_pulse_end, s);
        if (r < 0) {
                (void) s->table->gpio->set(s->table->gpio_userdata, s->gpio, 0);
                return log_warning_errno(r, "[fru.%u] cannot time the pulse: %m", s->fru);
        }
        (void) sd_event_source_set_description(s->timer, "picmg-action-pulse");
        log_info("[fru.%u] FRU Control %s: %s line %u pulsed for %u ms.", s->fru,
                 option_names[s->option], s->config->chip, s->config->line,
                 s->table->config->picmg.pulse_ms);
        return 0;
}

int picmg_actions_new(sd_event *event, const struct satmc_config *c, struct picmg_actions **ret) {
        struct picmg_actions *a = calloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        a->event = event;
        a->config = c;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                for (unsigned o = 0; o < _PICMG_ACTIONS; o++)
                        a->slots[f][o] = (struct action_slot) {
                                .table = a, .config = &c->fru[f].picmg_action[o],
                                .fru = (uint8_t) f, .option = (uint8_t) o, .pidfd = -EBADF,
                        };
        *ret = a;
        return 0;
}

struct picmg_actions *picmg_actions_free(struct picmg_actions *a) {
        if (!a)
                return NULL;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                for (unsigned o = 0; o < _PICMG_ACTIONS; o++) {
                        struct action_slot *s = &a->slots[f][o];

                        if (s->pid > 0) {
                                (void) kill(-s->pid, SIGKILL);
                                (void) waitpid(s->pid, NULL, 0);
                                slot_end_exec(s);
                        }
                        if (s->gpio) {
                                if (s->timer)
                                        (void) a->gpio->set(a->gpio_userdata, s->gpio, 0);
                                a->gpio->close(a->gpio_userdata, s->gpio);
                        }
                        s->timer = sd_event_source_disable_unref(s->timer);
                }
        free(a);
        return NULL;
}

int picmg_actions_start(struct picmg_actions *a, const struct gpio_output_ops *gpio,
                        void *userdata) {
        a->gpio = gpio ?: &gpio_output_libgpiod;
        a->gpio_userdata = userdata;
        for (unsigned f = 0; f < CONFIG_FRU_MAX; f++)
                for (unsigned o = 0; o < _PICMG_ACTIONS; o++) {
                        struct action_slot *s = &a->slots[f][o];
                        int r;

                        if (!a->config->fru[f].present || s->config->kind != PICMG_ACTION_GPIO)
                                continue;
                        r = a->gpio->open(a->gpio_userdata, s->config->chip, s->config->line,
                                          s->config->active_low, 0, &s->gpio);
                        if (r < 0)
                                return log_error_errno(r, "[fru.%u] %s-action: cannot request "
                                                       "%s line %u as an output: %m", f,
                                                       option_names[o], s->config->chip,
                                                       s->config->line);
                }
        return 0;
}

bool picmg_actions_has(const struct picmg_actions *a, uint8_t fru, uint8_t option) {
        return fru < CONFIG_FRU_MAX && option < _PICMG_ACTIONS && a->config->fru[fru].present &&
               a->slots[fru][option].config->kind != PICMG_ACTION_NONE;
}

int picmg_actions_run(struct picmg_actions *a, uint8_t fru, uint8_t option) {
        struct action_slot *s;

        if (!picmg_actions_has(a, fru, option))
                return -EOPNOTSUPP;
        s = &a->slots[fru][option];
        if (s->pid > 0 || s->timer)
                return -EBUSY;
        return s->config->kind == PICMG_ACTION_GPIO ? slot_run_gpio(s) : slot_run_exec(s);
}
