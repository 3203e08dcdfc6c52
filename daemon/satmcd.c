/* SPDX-License-Identifier: MIT */
/* satmcd: IPMB satellite management controller daemon. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bmc-config-openbmc.h"
#include "config.h"
#include "dispatch.h"
#include "fru-store.h"
#include "hw-address.h"
#include "listen-fds.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "oem-hook.h"
#include "satmc-config.h"
#include "state-dir.h"

#define DEFAULT_CONFIG SATMC_SYSCONFDIR "/satmcd.conf"

struct arguments {
        const char *config;
        const char *bus_socket;
        const char *device;
        const char *log_level;
        const char *ipmitool_socket;
        const char *nbd_socket;
        const char *state_directory;
        int rebuild_fru;                /* FRU device ID to rebuild, -1 = none */
        bool check_config;
        bool list_commands;
        bool config_given;              /* -c: --list-commands adds its [oem.N] commands */
        bool dump_config_reference;
        bool dump_config_reload;
        const char *print_bmc_config;   /* "openbmc", or NULL */
};

static void help(void) {
        printf("Usage: satmcd [OPTIONS]\n"
               "IPMB satellite management controller.\n\n"
               "  -c --config=PATH         configuration file (default " DEFAULT_CONFIG ")\n"
               "     --bus-socket=PATH     override [transport] bus-socket (emulated bus)\n"
               "     --device=PATH         override [transport] device (/dev/ipmb-N)\n"
               "     --ipmitool-socket=PATH  override [ipmitool] socket (none: no local socket)\n"
               "     --nbd-socket=PATH     override [nbd] socket (none: no NBD on a UNIX socket)\n"
               "     --log-level=LEVEL     override [mc] log-level (err ... debug)\n"
               "     --state-directory=PATH  override [storage] state-directory (FRU files)\n"
               "     --check-config        parse the configuration, report, and exit\n"
               "     --rebuild-fru=N       rewrite fruN.bin from the configuration (its\n"
               "                           contents are lost) and exit; satmcd must be stopped\n"
               "     --list-commands       print the IPMI commands satmcd implements; with\n"
               "                           --config, also the [oem.N] commands it routes\n"
               "     --dump-config-reference  print every configuration key and its default\n"
               "     --dump-config-reload  print which keys a reload applies (docs/\n"
               "                           configuration.md carries it)\n"
               "     --print-bmc-config=openbmc  print the BMC's configuration for the\n"
               "                           configured sensors (OpenBMC: Entity-Manager JSON for\n"
               "                           IpmbSensor), notes on stderr, and exit\n"
               "  -h --help                this help\n"
               "     --version             print the version\n\n"
               "Signals: SIGTERM/SIGINT stop, SIGUSR1 prints frame counters to stderr.\n");
}

/* Returns 1 to run, 0 to exit successfully, -EINVAL on a usage error. */
static int parse_argv(int argc, char **argv, struct arguments *a) {
        enum {
                ARG_BUS_SOCKET = 0x100,
                ARG_DEVICE,
                ARG_LOG_LEVEL,
                ARG_IPMITOOL_SOCKET,
                ARG_NBD_SOCKET,
                ARG_STATE_DIRECTORY,
                ARG_CHECK_CONFIG,
                ARG_REBUILD_FRU,
                ARG_LIST_COMMANDS,
                ARG_DUMP_CONFIG_REFERENCE,
                ARG_DUMP_CONFIG_RELOAD,
                ARG_PRINT_BMC_CONFIG,
                ARG_VERSION,
        };
        static const struct option options[] = {
                { "config",                required_argument, NULL, 'c' },
                { "bus-socket",            required_argument, NULL, ARG_BUS_SOCKET },
                { "device",                required_argument, NULL, ARG_DEVICE },
                { "log-level",             required_argument, NULL, ARG_LOG_LEVEL },
                { "ipmitool-socket",       required_argument, NULL, ARG_IPMITOOL_SOCKET },
                { "nbd-socket",            required_argument, NULL, ARG_NBD_SOCKET },
                { "state-directory",       required_argument, NULL, ARG_STATE_DIRECTORY },
                { "check-config",          no_argument,       NULL, ARG_CHECK_CONFIG },
                { "rebuild-fru",           required_argument, NULL, ARG_REBUILD_FRU },
                { "list-commands",         no_argument,       NULL, ARG_LIST_COMMANDS },
                { "dump-config-reference", no_argument,       NULL, ARG_DUMP_CONFIG_REFERENCE },
                { "dump-config-reload",    no_argument,       NULL, ARG_DUMP_CONFIG_RELOAD },
                { "print-bmc-config",      required_argument, NULL, ARG_PRINT_BMC_CONFIG },
                { "help",                  no_argument,       NULL, 'h' },
                { "version",               no_argument,       NULL, ARG_VERSION },
                {}
        };
        int c;

        *a = (struct arguments) { .config = DEFAULT_CONFIG, .rebuild_fru = -1 };
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        a->config = optarg;
                        a->config_given = true;
                        break;
                case ARG_BUS_SOCKET:
                        a->bus_socket = optarg;
                        break;
                case ARG_DEVICE:
                        a->device = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        if (log_level_from_string(optarg) < 0) {
                                fprintf(stderr, "satmcd: invalid log level '%s'\n", optarg);
                                return -EINVAL;
                        }
                        a->log_level = optarg;
                        break;
                case ARG_IPMITOOL_SOCKET:
                        a->ipmitool_socket = optarg;
                        break;
                case ARG_NBD_SOCKET:
                        a->nbd_socket = optarg;
                        break;
                case ARG_STATE_DIRECTORY:
                        if (optarg[0] != '/') {
                                fprintf(stderr, "satmcd: --state-directory needs an absolute "
                                        "path, not '%s'\n", optarg);
                                return -EINVAL;
                        }
                        a->state_directory = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        a->check_config = true;
                        break;
                case ARG_REBUILD_FRU: {
                        char *end;
                        unsigned long id;

                        errno = 0;
                        id = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
                            id >= CONFIG_FRU_MAX) {
                                fprintf(stderr, "satmcd: --rebuild-fru needs a FRU device ID "
                                        "from 0 to %d, not '%s'\n", CONFIG_FRU_MAX - 1, optarg);
                                return -EINVAL;
                        }
                        a->rebuild_fru = (int) id;
                        break;
                }
                case ARG_LIST_COMMANDS:
                        a->list_commands = true;
                        break;
                case ARG_DUMP_CONFIG_REFERENCE:
                        a->dump_config_reference = true;
                        break;
                case ARG_DUMP_CONFIG_RELOAD:
                        a->dump_config_reload = true;
                        break;
                case ARG_PRINT_BMC_CONFIG:
                        if (strcmp(optarg, "openbmc") != 0) {
                                fprintf(stderr, "satmcd: --print-bmc-config knows 'openbmc', "
                                        "not '%s'\n", optarg);
                                return -EINVAL;
                        }
                        a->print_bmc_config = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("satmcd " SATMC_VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "satmcd: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Command-line overrides replace the file's values (the demo and tests point satmcd at their
 * own bus without editing the shipped example). */
/* A socket path from the command line; "none" means no socket. */
static int override_socket(char **dest, const char *value) {
        if (!value)
                return 0;
        free(*dest);
        *dest = NULL;
        if (strcmp(value, "none") == 0)
                return 0;
        *dest = strdup(value);
        return *dest ? 0 : -ENOMEM;
}

static int apply_overrides(struct satmc_config *c, const struct arguments *a) {
        int r;

        if (a->bus_socket) {
                free(c->bus_socket);
                c->bus_socket = strdup(a->bus_socket);
                if (!c->bus_socket)
                        return -ENOMEM;
                c->transport = TRANSPORT_KIND_EMULATED;
        }
        if (a->device) {
                free(c->device);
                c->device = strdup(a->device);
                if (!c->device)
                        return -ENOMEM;
                c->transport = TRANSPORT_KIND_CHARDEV;
        }
        r = override_socket(&c->ipmitool_socket, a->ipmitool_socket);
        if (r < 0)
                return r;
        r = override_socket(&c->nbd_socket, a->nbd_socket);
        if (r < 0)
                return r;
        if (a->state_directory) {
                free(c->state_directory);
                c->state_directory = strdup(a->state_directory);
                if (!c->state_directory)
                        return -ENOMEM;
        }
        if (a->log_level) {
                int level = log_level_from_string(a->log_level);

                if (level < 0) {
                        fprintf(stderr, "satmcd: unknown log level \"%s\"\n", a->log_level);
                        return -EINVAL;
                }
                c->log_level = level;
        }
        return 0;
}

static int reload_overrides(struct satmc_config *c, const void *userdata) {
        return apply_overrides(c, userdata);
}

/*
 * --rebuild-fru=N: the operator's way to replace a FRU device's contents with what the
 * configuration describes (the daemon itself never does: docs/durability.md). Crash-safe like
 * every FRU write, refused while a satmcd holds the state directory (it would overwrite the
 * file at its next flush, and go on serving the old bytes until then).
 */
static int rebuild_fru(const struct satmc_config *config, unsigned id) {
        _cleanup_(state_dir_freep) struct state_dir *dir = NULL;       /* after the store */
        _cleanup_(fru_store_freep) struct fru_store *s = NULL;
        int r;

        r = fru_store_new(config, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to set up FRU devices: %m"), 1;
        r = state_dir_open(config->state_directory, &dir);     /* logs why not */
        if (r >= 0)
                r = state_dir_lock(dir);
        if (r < 0)
                return 1;
        r = fru_store_rebuild(s, dir, id);      /* logs what it did or why not */
        if (r < 0)
                return 1;
        printf("fru%u: rebuilt %s/fru%u.bin from the configuration.\n", id,
               config->state_directory, id);
        return 0;
}

static int run(int argc, char **argv) {
        _cleanup_(config_freep) struct satmc_config *config = NULL;
        _cleanup_(manager_freep) struct manager *m = NULL;
        struct arguments a;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        if (a.list_commands) {
                dispatch_list_commands(stdout);
                if (!a.config_given)
                        return 0;
                r = config_load(a.config, stderr, &config);
                if (r < 0)
                        return 1;
                printf("Vendor commands of %s ([oem.N]), each routed to its program:\n",
                       a.config);
                oem_list_commands(config, stdout);
                return 0;
        }
        if (a.dump_config_reference) {
                config_dump_reference(stdout);
                return 0;
        }
        if (a.dump_config_reload) {
                config_dump_reload(stdout);
                return 0;
        }

        r = config_load(a.config, stderr, &config);
        if (r == -EINVAL) {
                fprintf(stderr, "%s: configuration has errors, refusing to start.\n", a.config);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", a.config, strerror(-r));
                return 1;
        }
        r = apply_overrides(config, &a);
        if (r < 0)
                return r == -EINVAL ? 2 : (log_error_errno(r, "Failed to apply options: %m"), 1);
        if (a.check_config) {
                printf("%s: configuration OK\n", a.config);
                return 0;
        }
        if (a.print_bmc_config) {
                r = bmc_config_print_openbmc(config, stdout, stderr);
                if (r < 0)
                        fprintf(stderr, "satmcd: cannot print the BMC configuration: %s\n",
                                strerror(-r));
                return r < 0 ? 1 : 0;
        }
        log_set_max_level(config->log_level);
        if (a.rebuild_fru >= 0)
                return rebuild_fru(config, (unsigned) a.rebuild_fru);

        /* The address must be known before the transport opens (the emulated bus attaches
         * at it); --check-config does not get here, it checks the file, not the slot. */
        r = hw_address_apply(config, NULL, NULL);
        if (r < 0)
                return 1;

        r = listen_fds_init();
        if (r < 0)
                return 1;

        r = manager_new(TAKE_PTR(config), &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m"), 1;
        m->argv = argv;
        m->apply_overrides = reload_overrides;
        m->overrides_userdata = &a;

        r = manager_start(m, NULL);
        listen_fds_done();
        if (r < 0)
                return 1;
        /* What start-up freed (the configuration parser's per-sensor bookkeeping, the FRU
         * images built and compared, sd-event's first allocations) leaves holes in the heap
         * that would stay resident: hand their pages back once, now that the loop's own
         * allocations are made (docs/performance.md, "Memory and start-up"). */
        (void) malloc_trim(0);
        (void) config_drop_zero_pages(m->config);

        r = manager_run(m);
        return r == 0 ? 0 : 1;
}

/* SIGHUP and SIGUSR1 ask the running daemon for something (a reload, its counters), yet their
 * default action ends the process. Blocked from main() on, one sent while satmcd starts (a
 * `kill -HUP` that does not wait for READY=1, unlike systemctl reload) stays pending until the
 * event loop's signal sources take it; sd-event needs them blocked anyway, and the sensor
 * threads inherit the mask. spawn_program() clears it for the programs satmcd runs. Only the
 * dynamic linker's part of the start comes before this. SIGTERM and SIGINT keep killing a
 * daemon that has not started yet. */
static void block_request_signals(void) {
        sigset_t s;

        sigemptyset(&s);
        sigaddset(&s, SIGHUP);
        sigaddset(&s, SIGUSR1);
        (void) sigprocmask(SIG_BLOCK, &s, NULL);
}

int main(int argc, char **argv) {
        log_stderr_whole_lines();
        block_request_signals();
        /* A peer that hangs up (the emulated bus; any socket written without MSG_NOSIGNAL)
         * must cost one failed send, not the daemon: writes report EPIPE instead. */
        signal(SIGPIPE, SIG_IGN);
        /* One malloc arena for every thread: the sensor reader's few allocations would
         * otherwise open an arena of their own (64 MiB of address space reserved, pages
         * resident that the main arena has free). Two threads that rarely allocate do not
         * contend on one lock. */
        (void) mallopt(M_ARENA_MAX, 1);
        return run(argc, argv);
}
