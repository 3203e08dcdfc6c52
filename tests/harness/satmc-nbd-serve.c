/* SPDX-License-Identifier: MIT */
/*
 * satmc-nbd-serve: serve files as NBD exports through common/nbd-server.c, the server satmcd
 * runs, so it can be tested with real clients (nbdinfo, nbdcopy, qemu-img, nbdfuse) and
 * benchmarked against nbdkit and qemu-nbd before the FRU store feeds it.
 *
 *   satmc-nbd-serve [--socket PATH] [--tcp HOST:PORT] [--max-clients N] [--debug]
 *                   [--tls off|on|require] [--tls-psk FILE] [--tls-cert FILE --tls-key FILE]
 *                   [--tls-ca FILE] [--tls-verify-peer]
 *                   --export NAME=FILE[:rw][:public][:desc=TEXT] ...
 *
 * --tls applies to both listeners (satmcd sets them apart); :public marks an export that a
 * tls = on listener serves without TLS too.
 *
 * Each file is read into memory at start. Writes change the memory copy; a flush (NBD_CMD_FLUSH,
 * FUA, a disconnect after writes, or exit) writes the whole file anew: a temporary beside it,
 * fsync, rename over the original, fsync of the directory. A crash therefore leaves either the
 * old or the new file, never a mix. Exits on SIGTERM or SIGINT; READY=1 is sent to
 * $NOTIFY_SOCKET once listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "common/atomic-file.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/nbd-server.h"

#define MAX_EXPORTS 16

struct file_export {
        char *name, *path, *description;
        bool writable, dirty, tls_public;
        uint8_t *data;
        size_t size;
};

static uint64_t fe_size(void *userdata) {
        struct file_export *f = userdata;

        return f->size;
}

static int fe_read(void *userdata, uint64_t off, void *buf, size_t len) {
        struct file_export *f = userdata;

        /* The server checked the range; checking again costs nothing and guards the memcpy. */
        if (off > f->size || len > f->size - off)
                return -EINVAL;
        memcpy(buf, f->data + off, len);
        return 0;
}

static int fe_write(void *userdata, uint64_t off, const void *buf, size_t len) {
        struct file_export *f = userdata;

        if (off > f->size || len > f->size - off)
                return -ENOSPC;
        memcpy(f->data + off, buf, len);
        f->dirty = true;
        return 0;
}

static int fe_flush(void *userdata) {
        struct file_export *f = userdata;
        _cleanup_free_ char *tmp = NULL, *dircopy = NULL;
        _cleanup_(closep) int fd = -EBADF, dfd = -EBADF;
        int r;

        if (!f->dirty)
                return 0;
        if (asprintf(&tmp, "%s.tmp-XXXXXX", f->path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create a temporary file beside %s: %m", f->path);
        r = write_all(fd, f->data, f->size);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, f->path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return log_error_errno(r, "Cannot write %s: %m", f->path);
        }
        /* The rename is durable only once the directory is. */
        dircopy = strdup(f->path);
        if (dircopy) {
                dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        f->dirty = false;
        return 0;
}

static const void *fe_map(void *userdata, uint64_t off, size_t len) {
        struct file_export *f = userdata;

        return off <= f->size && len <= f->size - off ? f->data + off : NULL;
}

static const struct nbd_export_ops file_ops = {
        .size = fe_size,
        .read = fe_read,
        .map = fe_map,
        .write = fe_write,
        .flush = fe_flush,
};

static int load_file(struct file_export *f) {
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;
        size_t done = 0;

        fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(errno, "Cannot open %s: %m", f->path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(EINVAL, "%s is not a regular file.", f->path);
        f->size = (size_t) st.st_size;
        f->data = malloc(f->size > 0 ? f->size : 1);
        if (!f->data)
                return log_error_errno(ENOMEM, "Out of memory for %s.", f->path);
        while (done < f->size) {
                ssize_t n = read(fd, f->data + done, f->size - done);

                if (n <= 0)
                        return log_error_errno(n < 0 ? errno : EIO, "Cannot read %s: %m", f->path);
                done += (size_t) n;
        }
        return 0;
}

/* NAME=FILE[:rw][:public][:desc=TEXT]; desc= takes the rest of the argument, colons and all. */
static int parse_export(const char *arg, struct file_export *f) {
        _cleanup_free_ char *copy = strdup(arg);
        char *eq, *p, *desc;

        if (!copy)
                return -ENOMEM;
        eq = strchr(copy, '=');
        if (!eq || eq == copy)
                return -EINVAL;
        *eq = '\0';
        p = eq + 1;
        desc = strstr(p, ":desc=");
        if (desc) {
                *desc = '\0';
                f->description = strdup(desc + strlen(":desc="));
                if (!f->description)
                        return -ENOMEM;
        }
        if (strlen(p) > 7 && strcmp(p + strlen(p) - 7, ":public") == 0) {
                p[strlen(p) - 7] = '\0';
                f->tls_public = true;
        }
        if (strlen(p) > 3 && strcmp(p + strlen(p) - 3, ":rw") == 0) {
                p[strlen(p) - 3] = '\0';
                f->writable = true;
        }
        if (*p == '\0')
                return -EINVAL;
        f->name = strdup(copy);
        f->path = strdup(p);
        return f->name && f->path ? 0 : -ENOMEM;
}

static void help(void) {
        printf("Usage: satmc-nbd-serve [--socket PATH] [--tcp HOST:PORT] [--max-clients N] [--debug]\n"
               "                       [--tls off|on|require] [--tls-psk FILE]\n"
               "                       [--tls-cert FILE --tls-key FILE] [--tls-ca FILE] [--tls-verify-peer]\n"
               "                       --export NAME=FILE[:rw][:public][:desc=TEXT] ...\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "tcp", required_argument, NULL, 't' },
                { "export", required_argument, NULL, 'e' },
                { "max-clients", required_argument, NULL, 'm' },
                { "debug", no_argument, NULL, 'd' },
                { "tls", required_argument, NULL, 'T' },
                { "tls-psk", required_argument, NULL, 'P' },
                { "tls-cert", required_argument, NULL, 'C' },
                { "tls-key", required_argument, NULL, 'K' },
                { "tls-ca", required_argument, NULL, 'A' },
                { "tls-verify-peer", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct file_export files[MAX_EXPORTS] = {};
        struct nbd_export exports[MAX_EXPORTS] = {};
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        struct nbd_server *server = NULL;
        const char *socket_path = NULL, *tcp = NULL;
        _cleanup_(nbd_tls_creds_unrefp) struct nbd_tls_creds *creds = NULL;
        struct nbd_tls_config tls = {};
        enum nbd_tls_mode tls_mode = NBD_TLS_OFF;
        unsigned max_clients = 64, n = 0;
        int c, r, ret = EXIT_FAILURE;

        while ((c = getopt_long(argc, argv, "s:t:e:m:dh", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        socket_path = optarg;
                        break;
                case 't':
                        tcp = optarg;
                        break;
                case 'e':
                        if (n == MAX_EXPORTS) {
                                log_error("At most %d exports.", MAX_EXPORTS);
                                goto out;
                        }
                        if (parse_export(optarg, &files[n]) < 0) {
                                log_error("Bad --export %s: expected NAME=FILE[:rw][:desc=TEXT].", optarg);
                                n++;
                                goto out;
                        }
                        n++;
                        break;
                case 'm':
                        max_clients = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'd':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'T':
                        if (nbd_tls_mode_from_name(optarg, &tls_mode) < 0) {
                                log_error("Bad --tls %s: off, on or require.", optarg);
                                goto out;
                        }
                        break;
                case 'P':
                        tls.psk_file = optarg;
                        break;
                case 'C':
                        tls.cert_file = optarg;
                        break;
                case 'K':
                        tls.key_file = optarg;
                        break;
                case 'A':
                        tls.ca_file = optarg;
                        break;
                case 'V':
                        tls.verify_peer = true;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        if (n == 0 || (!socket_path && !tcp) || optind < argc) {
                help();
                goto out;
        }

        for (unsigned i = 0; i < n; i++) {
                if (load_file(&files[i]) < 0)
                        goto out;
                exports[i] = (struct nbd_export) {
                        .name = files[i].name,
                        .description = files[i].description,
                        .writable = files[i].writable,
                        .tls_public = files[i].tls_public,
                        .ops = &file_ops,
                        .userdata = &files[i],
                };
        }

        if (tls_mode != NBD_TLS_OFF) {
                char error[512];

                r = nbd_tls_creds_load(&tls, &creds, error, sizeof(error));
                if (r < 0) {
                        log_error("TLS: %s", r == -ENOMEM ? "out of memory" : error);
                        goto out;
                }
        }

        r = sd_event_default(&e);
        if (r < 0) {
                log_error_errno(r, "Cannot get an event loop: %m");
                goto out;
        }
        if (sd_event_add_signal(e, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL) < 0 ||
            sd_event_add_signal(e, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL) < 0) {
                log_error("Cannot handle signals.");
                goto out;
        }
        /* The limits and timeouts satmcd has by default, the limit per listener. */
        r = nbd_server_new(e, socket_path, -1, tcp, exports, n, &(struct nbd_server_settings) {
                                   .unix_max_clients = max_clients,
                                   .tcp_max_clients = max_clients,
                                   .socket_mode = 0660,
                                   .handshake_timeout_usec = 10 * 1000000ULL,
                                   .request_timeout_usec = 30 * 1000000ULL,
                                   .unix_tls = tls_mode,
                                   .tcp_tls = tls_mode,
                                   .tls_creds = creds,
                           }, &server);
        if (r < 0) {
                log_error_errno(r, "Cannot start the NBD server: %m");
                goto out;
        }
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(e);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        else
                ret = EXIT_SUCCESS;
        {
                const struct nbd_server_stats *st = nbd_server_get_stats(server);

                log_info("nbd: %llu connections, %llu refused, %llu requests, %llu refused requests, "
                         "%llu protocol errors, %llu bytes read, %llu written, %llu flushes",
                         st->accepted, st->refused, st->requests, st->request_errors,
                         st->protocol_errors, st->bytes_read, st->bytes_written, st->flushes);
                for (int tcp_listener = 0; tcp_listener <= 1; tcp_listener++) {
                        const struct nbd_listener_stats *l =
                                nbd_server_get_listener_stats(server, tcp_listener);

                        if (l)
                                log_info("nbd %s: %llu TLS sessions, %llu TLS failures, %llu "
                                         "refused for want of TLS", tcp_listener ? "TCP" : "UNIX",
                                         l->tls_sessions, l->tls_failures, l->tls_required);
                }
        }
out:
        /* Freeing the server flushes what connected clients wrote; then persist the rest. */
        server = nbd_server_free(server);
        for (unsigned i = 0; i < n; i++) {
                if (files[i].data && fe_flush(&files[i]) < 0)
                        ret = EXIT_FAILURE;
                free(files[i].name);
                free(files[i].path);
                free(files[i].description);
                free(files[i].data);
        }
        return ret;
}
