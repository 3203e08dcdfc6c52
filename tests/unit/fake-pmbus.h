/* SPDX-License-Identifier: MIT */
/*
 * An emulated PMBus device behind daemon/i2c-smbus.h's seam: pages of word registers, PAGE
 * writes (with or without PEC, a wrong PEC NAKed), reads with a PEC byte when the device does
 * PEC (0xFF, the idle bus, when it does not), and the failures of a real bus: an address NAK
 * (-ENXIO / -EREMOTEIO) on every transaction, an error on the Nth transaction, a wrong PEC.
 * It logs each transaction. Thread-safe: the interleaving test reads it from two threads, and
 * with `rendezvous` a PAGE write waits (bounded) for another thread's PAGE write, which is
 * what makes an unlocked reader read the wrong page every time rather than now and then.
 * Pass &fake_pmbus_ops with a fake_pmbus_init()ed struct as userdata.
 */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "daemon/i2c-smbus.h"

#define FAKE_PMBUS_PAGES        4
#define FAKE_PMBUS_LOG          16

struct fake_pmbus_transaction {
        char op;                        /* 'r' read byte/word, 'w' write, 'b' block read */
        uint8_t reg;
        uint8_t data[3];                /* what a write carried */
        size_t len;
};

struct fake_pmbus {
        pthread_mutex_t lock;
        pthread_cond_t page_written;
        unsigned bus;
        uint8_t addr7;
        unsigned pages;                 /* PAGE takes 0..pages-1 and NAKs the rest */
        uint16_t regs[FAKE_PMBUS_PAGES][256];   /* a byte read gets the low byte */
        uint8_t page;
        bool pec;                       /* the device sends and checks PEC */
        bool corrupt_pec;               /* ... and sends it wrong */
        int nak;                        /* -errno for every transaction: device absent */
        unsigned fail_at;               /* transaction number (1-based) that fails ... */
        int fail_error;                 /* ... with this */
        bool rendezvous;
        bool hold;                      /* reads wait until the test clears it (a hung read) */
        unsigned held;                  /* reads waiting in hold now */
        unsigned transactions, page_writes;
        struct fake_pmbus_transaction log[FAKE_PMBUS_LOG];
        unsigned nlog;
};

static inline void fake_pmbus_init(struct fake_pmbus *f, unsigned bus, uint8_t addr7,
                                   unsigned pages) {
        memset(f, 0, sizeof(*f));
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->page_written, NULL);
        f->bus = bus;
        f->addr7 = addr7;
        f->pages = pages;
}

/* The PEC by polynomial long division of the augmented message by x^8 + x^2 + x + 1: another
 * way to the same CRC than protocol/pmbus.c's, so the two check each other. */
static inline uint8_t fake_pmbus_crc(const uint8_t *bytes, size_t n) {
        unsigned rem = 0;

        for (size_t i = 0; i < n + 1; i++)
                for (int bit = 7; bit >= 0; bit--) {
                        rem = rem << 1 | (i < n ? (bytes[i] >> bit & 1u) : 0u);
                        if (rem & 0x100)
                                rem ^= 0x107;
                }
        return (uint8_t) rem;
}

/* Under f->lock: count and log a transaction; -errno when it is to fail. */
static inline int fake_pmbus_begin(struct fake_pmbus *f, unsigned bus, uint8_t addr7, char op,
                                   uint8_t reg, const uint8_t *data, size_t len) {
        struct fake_pmbus_transaction *t;

        if (bus != f->bus || addr7 != f->addr7)
                return -ENXIO;          /* nobody answers that address */
        f->transactions++;
        if (f->nlog < FAKE_PMBUS_LOG) {
                t = &f->log[f->nlog++];
                t->op = op;
                t->reg = reg;
                t->len = len;
                if (len)
                        memcpy(t->data, data, len < 3 ? len : 3);
        }
        if (f->nak)
                return f->nak;
        if (f->fail_at && f->transactions == f->fail_at)
                return f->fail_error;
        return 0;
}

static inline int32_t fake_pmbus_read(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                                      bool word) {
        struct fake_pmbus *f = userdata;
        int32_t r;

        pthread_mutex_lock(&f->lock);
        r = fake_pmbus_begin(f, bus, addr7, 'r', reg, NULL, 0);
        if (f->hold) {
                f->held++;
                pthread_cond_broadcast(&f->page_written);
                while (f->hold)
                        pthread_cond_wait(&f->page_written, &f->lock);
                f->held--;
        }
        if (r == 0)
                r = word ? f->regs[f->page][reg] : f->regs[f->page][reg] & 0xFF;
        pthread_mutex_unlock(&f->lock);
        return r;
}

static inline int fake_pmbus_write(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                                   const uint8_t *data, size_t len) {
        struct fake_pmbus *f = userdata;
        uint8_t msg[4] = { (uint8_t) (addr7 << 1), reg, data[0], len > 1 ? data[1] : 0 };
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_pmbus_begin(f, bus, addr7, 'w', reg, data, len);
        if (r == 0 && reg != 0x00)
                r = -EREMOTEIO;         /* this device has no other writable command */
        else if (r == 0 && len == 2 && (!f->pec || fake_pmbus_crc(msg, 3) != data[1]))
                r = -EREMOTEIO;         /* a PEC it cannot check or that is wrong: NAKed */
        else if (r == 0 && data[0] >= f->pages)
                r = -EREMOTEIO;         /* an invalid page's data byte is NAKed */
        if (r == 0) {
                f->page = data[0];
                f->page_writes++;
                pthread_cond_broadcast(&f->page_written);
                if (f->rendezvous) {
                        unsigned seen = f->page_writes;
                        struct timespec until;

                        /* Bounded: alone (or kept out by a lock), it goes on after 20 ms. */
                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_nsec += 20 * 1000000;
                        if (until.tv_nsec >= 1000000000) {
                                until.tv_sec++;
                                until.tv_nsec -= 1000000000;
                        }
                        while (f->page_writes == seen &&
                               pthread_cond_timedwait(&f->page_written, &f->lock, &until) == 0)
                                ;
                }
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static inline int fake_pmbus_read_block(void *userdata, unsigned bus, uint8_t addr7,
                                        uint8_t reg, uint8_t *data, size_t len) {
        struct fake_pmbus *f = userdata;
        uint8_t msg[3 + 32];
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_pmbus_begin(f, bus, addr7, 'b', reg, NULL, 0);
        if (r == 0) {
                uint16_t v = f->regs[f->page][reg];

                /* The register's bytes, low first; after them the PEC, or the idle bus. */
                memset(data, 0xFF, len);
                data[0] = (uint8_t) v;
                if (len > 2)
                        data[1] = (uint8_t) (v >> 8);
                if (f->pec) {
                        msg[0] = (uint8_t) (addr7 << 1);
                        msg[1] = reg;
                        msg[2] = (uint8_t) (addr7 << 1 | 1);
                        memcpy(msg + 3, data, len - 1);
                        data[len - 1] = (uint8_t) (fake_pmbus_crc(msg, len + 2) ^
                                                   (f->corrupt_pec ? 0x01 : 0));
                }
                r = (int) len;
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static const struct smbus_ops fake_pmbus_ops = {
        .read = fake_pmbus_read,
        .write = fake_pmbus_write,
        .read_block = fake_pmbus_read_block,
};

/* Hold (or let go) every read: fake_pmbus_hold(f, true) returns once a read is waiting. */
static inline void fake_pmbus_hold(struct fake_pmbus *f, bool hold) {
        pthread_mutex_lock(&f->lock);
        f->hold = hold;
        pthread_cond_broadcast(&f->page_written);
        while (hold && f->held == 0)
                pthread_cond_wait(&f->page_written, &f->lock);
        pthread_mutex_unlock(&f->lock);
}
