/* SPDX-License-Identifier: MIT */
/*
 * satmc-i2c-send: put bytes on the emulated I2C bus and print what comes back.
 *
 *   satmc-i2c-send --socket BUS [--listen ADDR7]... ADDR7 BYTE...
 *       one raw master write; prints ACK or NAK, then every frame delivered to a listened
 *       address until --count frames arrived or --timeout passed;
 *   satmc-i2c-send --socket BUS --ipmb [--from SA8] [--seq N] RS_SA8 NETFN CMD [BYTE]...
 *       builds an IPMB request with both checksums, listens on the requester's address and
 *       decodes the response.
 *   satmc-i2c-send --socket BUS --fault SPEC      set a fault rule on the running bus
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "protocol/emubus-wire.h"
#include "protocol/ipmb-frame.h"
#include "protocol/ipmi.h"
#include "satmc-config.h"
#include "transport/unix-socket.h"

static int parse_byte(const char *s, uint8_t max, uint8_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 16);       /* bytes are hex, with or without 0x, as in ipmitool raw */
        if (errno || *end || end == s || v > max) {
                fprintf(stderr, "satmc-i2c-send: \"%s\" is not a byte (hex, at most 0x%02x)\n", s, max);
                return -EINVAL;
        }
        *ret = (uint8_t) v;
        return 0;
}

static int send_msg(int fd, const struct emubus_msg *m) {
        uint8_t pkt[EMUBUS_PACKET_MAX];
        int n = emubus_encode(m, pkt, sizeof(pkt));

        if (n < 0)
                return n;
        return send(fd, pkt, (size_t) n, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Next packet of the given type, waiting at most timeout_ms; returns 0, -ETIMEDOUT or -errno. */
static int recv_msg(int fd, uint8_t type, int timeout_ms, uint8_t *pkt, struct emubus_msg *m) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r = poll(&p, 1, timeout_ms);

                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                n = recv(fd, pkt, EMUBUS_PACKET_MAX, 0);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EPIPE;
                if (emubus_decode(pkt, (size_t) n, m) == 0 && m->type == type)
                        return 0;
        }
}

static void print_ipmb_response(const uint8_t *frame, size_t len) {
        struct ipmb_response rsp;
        int r = ipmb_decode_response(frame, len, frame[0], IPMB_KERNEL_MAX_MSG_LEN, &rsp);

        if (r != IPMB_OK) {
                printf("  not a valid IPMB response: %s\n", ipmb_reject_to_string(r));
                return;
        }
        printf("  from 0x%02x netfn 0x%02x (%s) cmd 0x%02x seq %u cc 0x%02x (%s)\n",
               rsp.rs_sa, rsp.netfn, ipmi_netfn_name(rsp.netfn), rsp.cmd, rsp.seq, rsp.cc,
               ipmi_cc_name(rsp.cc));
        printf("  data:");
        for (size_t i = 0; i < rsp.data_len; i++)
                printf(" %02x", rsp.data[i]);
        printf("\n");
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: satmc-i2c-send --socket BUS [--listen ADDR7]... ADDR7 BYTE...\n"
                "       satmc-i2c-send --socket BUS --ipmb [--from SA8] [--seq N] RS_SA8 NETFN CMD [BYTE]...\n"
                "       satmc-i2c-send --socket BUS --fault SPEC\n"
                "Bytes and addresses are hex. Exit status: 0 ACK (and the expected frames), 1 NAK or\n"
                "timeout, 2 usage.\n\n"
                "  -s, --socket PATH   the bus (satmc-i2c-bus --socket)\n"
                "  -l, --listen ADDR7  also attach this 7-bit address and print frames sent to it\n"
                "  -n, --count N       frames to wait for (default 1 when listening)\n"
                "  -t, --timeout MS    how long to wait for them (default 1000)\n"
                "  -i, --ipmb          build an IPMB request, print the decoded response\n"
                "      --from SA8      requester address for --ipmb (default 20, the BMC)\n"
                "      --seq N         sequence number for --ipmb (default 1)\n"
                "  -f, --fault SPEC    set a fault rule (KIND[@ADDR7][:p=P][:n=N][:ms=MS] or clear)\n");
}

int main(int argc, char **argv) {
        enum { OPT_FROM = 0x100, OPT_SEQ, OPT_VERSION };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "listen", required_argument, NULL, 'l' },
                { "count", required_argument, NULL, 'n' },
                { "timeout", required_argument, NULL, 't' },
                { "ipmb", no_argument, NULL, 'i' },
                { "from", required_argument, NULL, OPT_FROM },
                { "seq", required_argument, NULL, OPT_SEQ },
                { "fault", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        const char *socket_path = NULL, *fault = NULL;
        uint8_t listen_addrs[EMUBUS_ATTACH_MAX], pkt[EMUBUS_PACKET_MAX];
        uint8_t frame[EMUBUS_DATA_MAX + 1], from = 0x20, seq = 1;
        size_t n_listen = 0, frame_len = 0;
        int count = -1, timeout_ms = 1000, opt, r, fd = -1, listen_fd = -1, status = 1;
        bool ipmb = false;
        struct emubus_msg m;

        while ((opt = getopt_long(argc, argv, "s:l:n:t:if:h", options, NULL)) >= 0) {
                switch (opt) {
                case 's':
                        socket_path = optarg;
                        break;
                case 'l':
                        if (n_listen >= EMUBUS_ATTACH_MAX ||
                            parse_byte(optarg, 0x7F, &listen_addrs[n_listen]) < 0)
                                return 2;
                        n_listen++;
                        break;
                case 'n':
                        count = atoi(optarg);
                        break;
                case 't':
                        timeout_ms = atoi(optarg);
                        break;
                case 'i':
                        ipmb = true;
                        break;
                case OPT_FROM:
                        if (parse_byte(optarg, 0xFE, &from) < 0)
                                return 2;
                        break;
                case OPT_SEQ:
                        if (parse_byte(optarg, IPMB_SEQ_MAX, &seq) < 0)
                                return 2;
                        break;
                case 'f':
                        fault = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("satmc-i2c-send %s\n", SATMC_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!socket_path || (!fault && argc - optind < (ipmb ? 3 : 2))) {
                usage(stderr);
                return 2;
        }

        if (ipmb) {
                uint8_t rs_sa, netfn, cmd, data[EMUBUS_DATA_MAX];
                size_t n_data = 0;
                struct ipmb_request req;

                if (parse_byte(argv[optind], 0xFE, &rs_sa) < 0 ||
                    parse_byte(argv[optind + 1], 0x3F, &netfn) < 0 ||
                    parse_byte(argv[optind + 2], 0xFF, &cmd) < 0)
                        return 2;
                for (int i = optind + 3; i < argc; i++)
                        if (n_data >= sizeof(data) || parse_byte(argv[i], 0xFF, &data[n_data++]) < 0)
                                return 2;
                req = (struct ipmb_request) { .rs_sa = rs_sa, .netfn = netfn, .rq_sa = from,
                                              .seq = seq, .cmd = cmd, .data = data,
                                              .data_len = n_data };
                r = ipmb_encode_request(&req, frame, sizeof(frame), IPMB_KERNEL_MAX_MSG_LEN);
                if (r < 0) {
                        fprintf(stderr, "satmc-i2c-send: cannot encode: %s\n", strerror(-r));
                        return 2;
                }
                frame_len = (size_t) r;
                if (n_listen < EMUBUS_ATTACH_MAX)
                        listen_addrs[n_listen++] = from >> 1;
        } else if (!fault) {
                for (int i = optind; i < argc; i++)
                        if (frame_len >= sizeof(frame) ||
                            parse_byte(argv[i], i == optind ? 0x7F : 0xFF, &frame[frame_len++]) < 0)
                                return 2;
                frame[0] <<= 1;         /* the bus speaks 7-bit addresses, frames carry 8-bit */
        }
        if (count < 0)
                count = n_listen > 0 ? 1 : 0;

        fd = unix_socket_connect(socket_path, SOCK_SEQPACKET);
        if (fd < 0) {
                fprintf(stderr, "satmc-i2c-send: %s: %s\n", socket_path, strerror(-fd));
                return 1;
        }

        if (fault) {
                m = (struct emubus_msg) { .type = EMUBUS_FAULT, .data = (const uint8_t *) fault,
                                          .len = strlen(fault) };
                r = send_msg(fd, &m);
                if (r >= 0)
                        r = recv_msg(fd, EMUBUS_FAULTED, timeout_ms, pkt, &m);
                if (r < 0 || m.status != 0) {
                        fprintf(stderr, "satmc-i2c-send: fault \"%s\" refused: %s\n", fault,
                                strerror(r < 0 ? -r : m.status));
                        goto out;
                }
                status = 0;
                goto out;
        }

        if (n_listen > 0) {
                listen_fd = unix_socket_connect(socket_path, SOCK_SEQPACKET);
                m = (struct emubus_msg) { .type = EMUBUS_ATTACH, .data = listen_addrs, .len = n_listen };
                r = listen_fd < 0 ? listen_fd : send_msg(listen_fd, &m);
                if (r >= 0)
                        r = recv_msg(listen_fd, EMUBUS_ATTACHED, timeout_ms, pkt, &m);
                if (r < 0 || m.status != 0) {
                        fprintf(stderr, "satmc-i2c-send: cannot listen: %s\n",
                                strerror(r < 0 ? -r : m.status));
                        goto out;
                }
        }

        printf("write 0x%02x:", frame[0] >> 1);
        for (size_t i = 1; i < frame_len; i++)
                printf(" %02x", frame[i]);
        m = (struct emubus_msg) { .type = EMUBUS_WRITE, .tag = 1, .addr7 = frame[0] >> 1,
                                  .data = frame + 1, .len = frame_len - 1 };
        r = send_msg(fd, &m);
        if (r >= 0)
                r = recv_msg(fd, EMUBUS_WRITTEN, timeout_ms, pkt, &m);
        if (r < 0) {
                printf("\nsatmc-i2c-send: %s\n", strerror(-r));
                goto out;
        }
        printf(" -> %s\n", m.status == EMUBUS_ACK ? "ACK" : "NAK");
        if (m.status != EMUBUS_ACK)
                goto out;

        for (int got = 0; got < count; got++) {
                uint8_t rx[EMUBUS_DATA_MAX + 1];

                r = recv_msg(listen_fd, EMUBUS_DELIVER, timeout_ms, pkt, &m);
                if (r < 0) {
                        printf("no frame within %d ms\n", timeout_ms);
                        goto out;
                }
                rx[0] = (uint8_t) (m.addr7 << 1);
                memcpy(rx + 1, m.data, m.len);
                printf("frame 0x%02x:", m.addr7);
                for (size_t i = 0; i < m.len; i++)
                        printf(" %02x", m.data[i]);
                printf("\n");
                if (ipmb)
                        print_ipmb_response(rx, m.len + 1);
        }
        status = 0;
out:
        if (fd >= 0)
                close(fd);
        if (listen_fd >= 0)
                close(listen_fd);
        return status;
}
