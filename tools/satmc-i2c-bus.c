/* SPDX-License-Identifier: MIT */
/*
 * satmc-i2c-bus: an emulated multi-master I2C bus on a UNIX SOCK_SEQPACKET socket
 * (docs/emulated-bus.md). Endpoints attach the 7-bit addresses they answer; a master write is
 * delivered whole to the owner of its address and the writer learns ACK or NAK. Faults (drop,
 * corrupt, NAK, delay) are injected per address or by probability from a seeded generator, so
 * a failing run can be replayed exactly. Every transaction goes to a pcap (LINKTYPE_I2C_LINUX).
 *
 * An endpoint may instead be a Linux ipmb-dev-int device (IPMBDEV): from then on its
 * connection carries exactly what read() and write() on /dev/ipmb-N carry, judged by the
 * driver's rules (protocol/ipmb-dev-abi.h), so a program written for the kernel device runs on
 * the bus unchanged through tools/ipmb-dev-shim.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "protocol/emubus-wire.h"
#include "protocol/ipmb-dev-abi.h"
#include "satmc-config.h"

#define FAULT_RULES_MAX 32

/* A packet the endpoint's socket had no room for yet. */
struct queued_packet {
        struct queued_packet *next;
        size_t len;
        uint8_t data[EMUBUS_PACKET_MAX];
};

/* Packets held for one slow endpoint before the bus NAKs writes to it: a slave's FIFO. */
#define CONN_QUEUE_MAX 4096

struct conn {
        struct bus *bus;
        struct conn *next;
        sd_event_source *source;
        int fd;
        uint64_t id;                    /* stable handle for delayed deliveries */
        uint8_t addrs[EMUBUS_ATTACH_MAX];
        size_t n_addrs;
        struct queued_packet *queue, **queue_tail;
        size_t queued;
        bool ipmbdev;                   /* an ipmb-dev-int device: raw read()/write() buffers */
        enum emubus_ipmbdev_mode ipmbdev_mode;
};

/* How the writer learns what became of its write. */
enum write_reply {
        REPLY_WRITTEN,          /* WRITTEN ack/nak: an emubus endpoint's WRITE */
        REPLY_DEVWRITTEN,       /* DEVWRITTEN errno: a DEVWRITE, as write() would return */
        REPLY_NONE,             /* a write() on an ipmb-dev connection: nobody to tell */
};

struct fault_rule {
        struct emubus_fault f;
        unsigned fired;
};

struct bus {
        sd_event *event;
        int listen_fd;
        const char *socket_path;
        struct conn *conns;
        struct delayed_write *delayed;  /* held back by delay faults, in no order */
        uint64_t next_id;
        struct fault_rule rules[FAULT_RULES_MAX];
        size_t n_rules;
        uint64_t rng;                   /* xorshift64 state, from --seed */
        FILE *pcap;
        bool verbose;
        struct {
                uint64_t writes, acked, naked, dropped, corrupted, delayed;
                uint64_t dev_rejected, dev_refused;     /* write() EINVAL; received, not queued */
        } stats;
};

/* A write held back by a delay fault, delivered (and ACKed) when its timer fires. */
struct delayed_write {
        struct bus *bus;
        struct delayed_write *next;
        sd_event_source *timer;
        uint64_t writer_id;
        enum write_reply reply;
        uint8_t tag;
        uint8_t addr7;
        size_t len;
        uint8_t data[EMUBUS_DATA_MAX];
};

/* xorshift64: tiny, good enough for fault dice, and identical on every machine for a seed. */
static uint64_t rng_next(struct bus *b) {
        uint64_t x = b->rng;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return b->rng = x;
}

static double rng_unit(struct bus *b) {
        return (double) (rng_next(b) >> 11) / (double) (UINT64_C(1) << 53);
}

/* ---- pcap: classic format, LINKTYPE_I2C_LINUX (209) ---- */

static int pcap_open(struct bus *b, const char *path) {
        /* Written in host order with the magic, as libpcap does; readers swap as needed. */
        struct {
                uint32_t magic;
                uint16_t major, minor;
                int32_t thiszone;
                uint32_t sigfigs, snaplen, linktype;
        } hdr = { 0xa1b23c4d /* nanosecond timestamps */, 2, 4, 0, 0, 65535, 209 };

        b->pcap = fopen(path, "we");
        if (!b->pcap)
                return -errno;
        if (fwrite(&hdr, sizeof(hdr), 1, b->pcap) != 1 || fflush(b->pcap) != 0)
                return -EIO;
        return 0;
}

/*
 * One record: the 5-byte Linux I2C pseudo-header (bus number, then 32-bit big-endian flags;
 * 0 = a write message), the 8-bit address byte as on the wire, then the written bytes.
 */
static void pcap_write(struct bus *b, uint8_t addr7, const uint8_t *data, size_t len) {
        struct timespec ts;
        struct {
                uint32_t sec, nsec, caplen, len;
        } rec;
        uint8_t pseudo[6] = { 0, 0, 0, 0, 0, (uint8_t) (addr7 << 1) };

        if (!b->pcap)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        rec.sec = (uint32_t) ts.tv_sec;
        rec.nsec = (uint32_t) ts.tv_nsec;
        rec.caplen = rec.len = (uint32_t) (sizeof(pseudo) + len);
        fwrite(&rec, sizeof(rec), 1, b->pcap);
        fwrite(pseudo, sizeof(pseudo), 1, b->pcap);
        fwrite(data, len, 1, b->pcap);
        /* Flushed per record so a test can read the capture while the bus runs. */
        fflush(b->pcap);
}

/* ---- connections ---- */

static void conn_free(struct conn *c) {
        struct conn **p;

        if (!c)
                return;
        for (p = &c->bus->conns; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        while (c->queue) {
                struct queued_packet *q = c->queue;

                c->queue = q->next;
                free(q);
        }
        sd_event_source_disable_unref(c->source);
        close(c->fd);
        free(c);
}

static struct conn *conn_by_id(struct bus *b, uint64_t id) {
        for (struct conn *c = b->conns; c; c = c->next)
                if (c->id == id)
                        return c;
        return NULL;
}

static struct conn *owner_of(struct bus *b, uint8_t addr7) {
        for (struct conn *c = b->conns; c; c = c->next)
                for (size_t i = 0; i < c->n_addrs; i++)
                        if (c->addrs[i] == addr7)
                                return c;
        return NULL;
}

/* Whether c can take one more packet: its socket or its queue has room. */
static bool conn_has_room(const struct conn *c) {
        return c->queued < CONN_QUEUE_MAX;
}

/* Send what is queued, in order, until the socket is full again. */
static void conn_flush(struct conn *c) {
        while (c->queue) {
                struct queued_packet *q = c->queue;

                if (send(c->fd, q->data, q->len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        if (c->bus->verbose)
                                fprintf(stderr, "satmc-i2c-bus: endpoint %" PRIu64 ": %s\n",
                                        c->id, strerror(errno));
                }
                c->queue = q->next;
                if (!c->queue)
                        c->queue_tail = &c->queue;
                c->queued--;
                free(q);
        }
        (void) sd_event_source_set_io_events(c->source, c->queue ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/*
 * The bus never blocks on one endpoint and never loses a packet it accepted: what the socket
 * cannot take now waits in the endpoint's queue (sent on EPOLLOUT), in order. Callers check
 * conn_has_room() first where a full queue must turn into a NAK.
 */
static void conn_send_bytes(struct conn *c, const uint8_t *pkt, size_t n) {
        struct queued_packet *q;

        if (n == 0 || n > EMUBUS_PACKET_MAX)
                return;
        if (!c->queue && send(c->fd, pkt, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
                return;
        if (!c->queue && errno != EAGAIN && errno != EINTR) {
                if (c->bus->verbose)
                        fprintf(stderr, "satmc-i2c-bus: endpoint %" PRIu64 ": %s\n", c->id,
                                strerror(errno));
                return;         /* the peer is gone; its hang-up is handled on read */
        }
        q = malloc(sizeof(*q));
        if (!q)
                return;
        q->next = NULL;
        q->len = n;
        memcpy(q->data, pkt, n);
        *c->queue_tail = q;
        c->queue_tail = &q->next;
        c->queued++;
        (void) sd_event_source_set_io_events(c->source, EPOLLIN | EPOLLOUT);
}

static void conn_send(struct conn *c, const struct emubus_msg *m) {
        uint8_t pkt[EMUBUS_PACKET_MAX];
        int n = emubus_encode(m, pkt, sizeof(pkt));

        if (n > 0)
                conn_send_bytes(c, pkt, (size_t) n);
}

/* A NAKed address fails write() on /dev/ipmb-N with what most I2C adapters return for it. */
#define IPMBDEV_NAK_ERRNO ENXIO

static void reply_written(struct bus *b, uint64_t writer_id, uint8_t tag, bool ack,
                          enum write_reply reply) {
        struct conn *w = conn_by_id(b, writer_id);
        struct emubus_msg m = { .type = EMUBUS_WRITTEN, .tag = tag,
                                .status = ack ? EMUBUS_ACK : EMUBUS_NAK };

        if (ack)
                b->stats.acked++;
        else
                b->stats.naked++;
        if (reply == REPLY_DEVWRITTEN) {
                m.type = EMUBUS_DEVWRITTEN;
                m.status = ack ? 0 : IPMBDEV_NAK_ERRNO;
        }
        if (w && reply != REPLY_NONE)
                conn_send(w, &m);
}

/*
 * Hand a write to an ipmb-dev-int device as its driver would queue it for read(). The bytes
 * were ACKed on the wire either way: the driver's slave callback never NAKs; it drops a
 * message that is short, fails chk1, or finds 256 unread messages queued.
 */
static void ipmbdev_deliver(struct conn *c, const uint8_t *data, size_t len) {
        uint8_t msg[IPMBDEV_READ_MAX];
        int n = ipmbdev_read_message(c->addrs[0], data, len, msg);

        if (n < 0 || c->queued >= IPMBDEV_QUEUE_MAX) {
                c->bus->stats.dev_refused++;
                return;
        }
        conn_send_bytes(c, msg, (size_t) n);
}

/*
 * Put the write on the wire: find who answers the address, record the transaction, deliver.
 * A general call (address 0) reaches every attached endpoint but the writer and is ACKed if
 * anyone is there, as on a real bus where every slave ACKs a general call it accepts.
 */
static void complete_write(struct bus *b, uint64_t writer_id, uint8_t tag, uint8_t addr7,
                           const uint8_t *data, size_t len, enum write_reply reply) {
        struct emubus_msg m = { .type = EMUBUS_DELIVER, .addr7 = addr7, .data = data, .len = len };
        struct conn *owner = NULL;
        bool ack = false;

        /* A slave whose FIFO is full does not acknowledge: NAK rather than lose the write.
         * An ipmb-dev-int slave registers its own address only: no general call for it. */
        if (addr7 == EMUBUS_GENERAL_CALL) {
                for (struct conn *c = b->conns; c; c = c->next)
                        if (c->id != writer_id && c->n_addrs > 0 && !c->ipmbdev &&
                            conn_has_room(c))
                                ack = true;
        } else {
                owner = owner_of(b, addr7);
                ack = owner && (owner->ipmbdev || conn_has_room(owner));
        }

        /* A NAKed write ends after the address byte: that is all the capture shows. */
        pcap_write(b, addr7, data, ack ? len : 0);

        if (addr7 == EMUBUS_GENERAL_CALL) {
                for (struct conn *c = b->conns; c; c = c->next)
                        if (c->id != writer_id && c->n_addrs > 0 && !c->ipmbdev &&
                            conn_has_room(c))
                                conn_send(c, &m);
        } else if (ack && owner->ipmbdev)
                ipmbdev_deliver(owner, data, len);
        else if (ack)
                conn_send(owner, &m);
        reply_written(b, writer_id, tag, ack, reply);
}

static void delayed_write_free(struct delayed_write *d) {
        for (struct delayed_write **p = &d->bus->delayed; *p; p = &(*p)->next)
                if (*p == d) {
                        *p = d->next;
                        break;
                }
        sd_event_source_disable_unref(d->timer);
        free(d);
}

static int on_delay_elapsed(sd_event_source *s, uint64_t usec, void *userdata) {
        struct delayed_write *d = userdata;

        complete_write(d->bus, d->writer_id, d->tag, d->addr7, d->data, d->len, d->reply);
        delayed_write_free(d);
        return 0;
}

/* Roll every rule that matches addr7; returns the set of kinds that fire (bit per kind). */
static unsigned roll_faults(struct bus *b, uint8_t addr7, unsigned *delay_ms) {
        unsigned fired = 0;

        for (size_t i = 0; i < b->n_rules; i++) {
                struct fault_rule *r = &b->rules[i];

                if (r->f.addr7 >= 0 && r->f.addr7 != addr7)
                        continue;
                if (r->f.count > 0 && r->fired >= r->f.count)
                        continue;
                if (r->f.probability < 1.0 && rng_unit(b) >= r->f.probability)
                        continue;
                r->fired++;
                fired |= 1u << r->f.kind;
                if (r->f.kind == EMUBUS_FAULT_DELAY)
                        *delay_ms = r->f.delay_ms;
        }
        return fired;
}

/* One master write of len (1..255) bytes to addr7 from connection c, through the faults. */
static void bus_write(struct conn *c, uint8_t tag, uint8_t addr7, const uint8_t *bytes,
                      size_t len, enum write_reply reply) {
        struct bus *b = c->bus;
        uint8_t data[EMUBUS_DATA_MAX];
        unsigned delay_ms = 0, fired;

        b->stats.writes++;
        memcpy(data, bytes, len);
        fired = roll_faults(b, addr7, &delay_ms);

        if (fired & (1u << EMUBUS_FAULT_NAK)) {
                /* The address byte went out and nobody acknowledged it: only that is seen. */
                pcap_write(b, addr7, data, 0);
                reply_written(b, c->id, tag, false, reply);
                return;
        }
        if (fired & (1u << EMUBUS_FAULT_DROP)) {
                /* Lost after the ACK, as when a slave's receive queue overflows. */
                b->stats.dropped++;
                pcap_write(b, addr7, data, len);
                reply_written(b, c->id, tag, true, reply);
                return;
        }
        if (fired & (1u << EMUBUS_FAULT_CORRUPT)) {
                size_t at = (size_t) (rng_next(b) % len);

                data[at] ^= (uint8_t) (1u << (rng_next(b) % 8));
                b->stats.corrupted++;
        }
        if (fired & (1u << EMUBUS_FAULT_DELAY)) {
                struct delayed_write *d = malloc(sizeof(*d));
                int r;

                if (d) {
                        *d = (struct delayed_write) { .bus = b, .writer_id = c->id, .tag = tag,
                                                      .reply = reply, .addr7 = addr7, .len = len };
                        memcpy(d->data, data, len);
                        /* Accuracy 1 ms: 0 would mean sd-event's default of 250 ms,
                         * letting a "ms=20" delay fire up to 270 ms late. */
                        r = sd_event_add_time_relative(b->event, &d->timer, CLOCK_MONOTONIC,
                                                       (uint64_t) delay_ms * 1000, 1000,
                                                       on_delay_elapsed, d);
                        if (r >= 0) {
                                d->next = b->delayed;
                                b->delayed = d;
                                b->stats.delayed++;
                                return;
                        }
                        free(d);
                }
                /* Could not schedule: deliver now rather than lose the write. */
        }
        complete_write(b, c->id, tag, addr7, data, len, reply);
}

static void handle_write(struct conn *c, const struct emubus_msg *m) {
        bus_write(c, m->tag, m->addr7, m->data, m->len, REPLY_WRITTEN);
}

/*
 * One write() to /dev/ipmb-N: refused with EINVAL where the driver refuses it, else put on
 * the wire as the driver puts it, failing with ENXIO if nobody ACKs.
 */
static void dev_write(struct conn *c, uint8_t tag, enum emubus_ipmbdev_mode mode,
                      const uint8_t *buf, size_t count, enum write_reply reply) {
        struct ipmbdev_wire_write w;

        if (ipmbdev_write_to_wire(buf, count, mode, &w) < 0) {
                struct emubus_msg m = { .type = EMUBUS_DEVWRITTEN, .tag = tag, .status = EINVAL };

                c->bus->stats.dev_rejected++;
                if (c->bus->verbose)
                        fprintf(stderr, "satmc-i2c-bus: endpoint %" PRIu64 ": write() of %zu "
                                "bytes refused (EINVAL)\n", c->id, count);
                if (reply == REPLY_DEVWRITTEN)
                        conn_send(c, &m);
                return;
        }
        bus_write(c, tag, w.addr7, w.data, w.len, reply);
}

/* IPMBDEV: this connection becomes /dev/ipmb-N of a device whose reg is addr7. */
static void handle_ipmbdev(struct conn *c, const struct emubus_msg *m) {
        struct emubus_msg reply = { .type = EMUBUS_IPMBDEV_OK };
        struct conn *owner = owner_of(c->bus, m->addr7);

        if (c->n_addrs > 0)
                reply.status = EISCONN;         /* already an endpoint with addresses */
        else if (owner)
                reply.status = EADDRINUSE;
        conn_send(c, &reply);
        if (reply.status != 0)
                return;
        c->ipmbdev = true;
        c->ipmbdev_mode = m->mode;
        c->addrs[0] = m->addr7;
        c->n_addrs = 1;
}

static void handle_attach(struct conn *c, const struct emubus_msg *m) {
        struct emubus_msg reply = { .type = EMUBUS_ATTACHED };

        for (size_t i = 0; i < m->len && reply.status == 0; i++) {
                struct conn *owner = owner_of(c->bus, m->data[i]);

                if (owner && owner != c)
                        reply.status = EADDRINUSE;
        }
        if (reply.status == 0 && c->n_addrs + m->len > EMUBUS_ATTACH_MAX)
                reply.status = ENOSPC;
        if (reply.status == 0)
                for (size_t i = 0; i < m->len; i++)
                        if (!owner_of(c->bus, m->data[i]))
                                c->addrs[c->n_addrs++] = m->data[i];
        conn_send(c, &reply);
}

static void handle_fault(struct conn *c, const struct emubus_msg *m) {
        struct bus *b = c->bus;
        struct emubus_msg reply = { .type = EMUBUS_FAULTED };
        struct emubus_fault f;

        if (emubus_fault_parse((const char *) m->data, m->len, &f) < 0)
                reply.status = EINVAL;
        else if (f.clear)
                b->n_rules = 0;
        else if (b->n_rules >= FAULT_RULES_MAX)
                reply.status = ENOSPC;
        else
                b->rules[b->n_rules++] = (struct fault_rule) { .f = f };
        conn_send(c, &reply);
}

static int on_conn_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct conn *c = userdata;
        uint8_t pkt[EMUBUS_PACKET_MAX];
        struct emubus_msg m;
        ssize_t n;

        if (revents & EPOLLOUT)
                conn_flush(c);
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                conn_free(c);   /* hung up: its addresses are free again */
                return 0;
        }
        if (c->ipmbdev) {
                /* A write() on the device itself: whatever its length, judged by the driver's
                 * rules. Its result has no way back (the shim writes through DEVWRITE). */
                size_t count = (size_t) n;

                /* Longer than pkt: recv() cut it, but count stays over the driver's 240. */
                if (count > sizeof(pkt))
                        count = sizeof(pkt);
                dev_write(c, 0, c->ipmbdev_mode, pkt, count, REPLY_NONE);
                return 0;
        }
        if ((size_t) n > sizeof(pkt) || emubus_decode(pkt, (size_t) n, &m) < 0) {
                fprintf(stderr, "satmc-i2c-bus: endpoint %" PRIu64 " sent a malformed packet "
                        "(%zd bytes), disconnecting it\n", c->id, n);
                conn_free(c);
                return 0;
        }

        switch (m.type) {
        case EMUBUS_ATTACH:
                handle_attach(c, &m);
                break;
        case EMUBUS_WRITE:
                handle_write(c, &m);
                break;
        case EMUBUS_FAULT:
                handle_fault(c, &m);
                break;
        case EMUBUS_IPMBDEV:
                handle_ipmbdev(c, &m);
                break;
        case EMUBUS_DEVWRITE:
                dev_write(c, m.tag, m.mode, m.data, m.len, REPLY_DEVWRITTEN);
                break;
        default:
                fprintf(stderr, "satmc-i2c-bus: endpoint %" PRIu64 " sent packet type 0x%02x, "
                        "which only the bus sends; disconnecting it\n", c->id, m.type);
                conn_free(c);
        }
        return 0;
}

static int on_listen_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct bus *b = userdata;
        struct conn *c;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0)
                return 0;       /* transient (EAGAIN, ECONNABORTED, EMFILE): keep serving */

        c = calloc(1, sizeof(*c));
        if (!c) {
                close(cfd);
                return 0;
        }
        *c = (struct conn) { .bus = b, .fd = cfd, .id = ++b->next_id };
        c->queue_tail = &c->queue;
        r = sd_event_add_io(b->event, &c->source, cfd, EPOLLIN, on_conn_readable, c);
        if (r < 0) {
                close(cfd);
                free(c);
                return 0;
        }
        c->next = b->conns;
        b->conns = c;
        return 0;
}

/*
 * Listen on path. The socket is bound under a temporary name and renamed into place once it
 * listens, so whoever sees the path can connect: no window in which a client finds the file
 * but gets ECONNREFUSED.
 */
static int listen_on(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char tmp[sizeof(sa.sun_path)];
        int fd;

        if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int) getpid()) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, tmp);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(tmp);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
            rename(tmp, path) < 0) {        /* replaces a stale socket from a previous run */
                int r = -errno;
                (void) unlink(tmp);
                close(fd);
                return r;
        }
        return fd;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: satmc-i2c-bus --socket PATH [OPTION]...\n"
                "An emulated multi-master I2C bus for IPMB endpoints (docs/emulated-bus.md).\n\n"
                "  -s, --socket PATH   listen here (SOCK_SEQPACKET)\n"
                "  -w, --pcap FILE     record every transaction (LINKTYPE_I2C_LINUX)\n"
                "  -f, --fault SPEC    inject a fault, KIND[@ADDR7][:p=P][:n=N][:ms=MS],\n"
                "                      KIND one of drop, corrupt, nak, delay (repeatable)\n"
                "      --seed N        seed for probabilistic faults (default 1)\n"
                "  -v, --verbose       report dropped packets\n"
                "  -h, --help          this text\n"
                "      --version       print the version\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "pcap", required_argument, NULL, 'w' },
                { "fault", required_argument, NULL, 'f' },
                { "seed", required_argument, NULL, 'S' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        struct bus b = { .listen_fd = -1, .rng = 1 };
        const char *pcap_path = NULL;
        sigset_t mask;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "s:w:f:vh", options, NULL)) >= 0) {
                switch (opt) {
                case 's':
                        b.socket_path = optarg;
                        break;
                case 'w':
                        pcap_path = optarg;
                        break;
                case 'f': {
                        struct emubus_fault f;

                        if (emubus_fault_parse(optarg, strlen(optarg), &f) < 0 || f.clear) {
                                fprintf(stderr, "satmc-i2c-bus: bad fault \"%s\"\n", optarg);
                                return 2;
                        }
                        if (b.n_rules >= FAULT_RULES_MAX) {
                                fprintf(stderr, "satmc-i2c-bus: at most %d faults\n", FAULT_RULES_MAX);
                                return 2;
                        }
                        b.rules[b.n_rules++] = (struct fault_rule) { .f = f };
                        break;
                }
                case 'S': {
                        char *end;

                        errno = 0;
                        b.rng = strtoull(optarg, &end, 0);
                        if (errno || *end || end == optarg) {
                                fprintf(stderr, "satmc-i2c-bus: bad seed \"%s\"\n", optarg);
                                return 2;
                        }
                        if (b.rng == 0)
                                b.rng = 1;      /* xorshift's one fixed point */
                        break;
                }
                case 'v':
                        b.verbose = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("satmc-i2c-bus %s\n", SATMC_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!b.socket_path || optind != argc) {
                usage(stderr);
                return 2;
        }

        if (pcap_path) {
                r = pcap_open(&b, pcap_path);
                if (r < 0) {
                        fprintf(stderr, "satmc-i2c-bus: %s: %s\n", pcap_path, strerror(-r));
                        return 1;
                }
        }

        b.listen_fd = listen_on(b.socket_path);
        if (b.listen_fd < 0) {
                fprintf(stderr, "satmc-i2c-bus: %s: %s\n", b.socket_path, strerror(-b.listen_fd));
                return 1;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&b.event);
        if (r >= 0)
                r = sd_event_add_io(b.event, NULL, b.listen_fd, EPOLLIN, on_listen_readable, &b);
        if (r >= 0)
                r = sd_event_add_signal(b.event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(b.event, NULL, SIGINT, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "satmc-i2c-bus: event loop: %s\n", strerror(-r));
                return 1;
        }

        (void) sd_notify(0, "READY=1");
        r = sd_event_loop(b.event);

        while (b.delayed)
                delayed_write_free(b.delayed);
        while (b.conns)
                conn_free(b.conns);
        sd_event_unref(b.event);
        close(b.listen_fd);
        (void) unlink(b.socket_path);
        if (b.pcap)
                fclose(b.pcap);
        /* Before the stats line, which stays the last line and keeps its fields. */
        if (b.stats.dev_rejected || b.stats.dev_refused)
                fprintf(stderr, "satmc-i2c-bus: ipmb-dev write() refused=%" PRIu64 ", received "
                        "but not queued=%" PRIu64 "\n", b.stats.dev_rejected, b.stats.dev_refused);
        fprintf(stderr, "satmc-i2c-bus: writes=%" PRIu64 " acked=%" PRIu64 " naked=%" PRIu64
                " dropped=%" PRIu64 " corrupted=%" PRIu64 " delayed=%" PRIu64 "\n",
                b.stats.writes, b.stats.acked, b.stats.naked, b.stats.dropped,
                b.stats.corrupted, b.stats.delayed);
        return r < 0 ? 1 : 0;
}
