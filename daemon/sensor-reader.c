/* SPDX-License-Identifier: MIT */
/* Worker threads for sensor reads; see sensor-reader.h for why none is ever waited for. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>

#include "config-sensor-source.h"
#include "clock.h"
#include "log.h"
#include "macro.h"
#include "sensor-discrete.h"
#include "sensor-reader.h"
#include "sensor-source.h"

/* How long stopping waits for the current worker to finish a read it is in. */
#define SENSOR_READER_JOIN_USEC (100 * 1000ULL)
/* A read needs little stack (the deepest are libgpiod's chip lookup and strtod()); 8 MiB of
 * address space per thread would add up with one stuck thread per hung source. */
#define SENSOR_READER_STACK     (256 * 1024)

enum slot_state {
        SLOT_IDLE,
        SLOT_QUEUED,
        SLOT_READING,
        SLOT_DONE,                      /* its result waits for sensor_reader_take() */
        SLOT_ABANDONED,                 /* given up as hung; its thread is still in the read */
};

struct slot {
        /* A copy, immutable after sensor_reader_new(): an abandoned worker may outlive the
         * configuration it came from. */
        struct sensor_source_config source;
        struct sensor_states_config *states;    /* a discrete sensor's sources; or NULL */
        enum slot_state state;
        uint64_t since;                 /* SLOT_READING: CLOCK_MONOTONIC usec the read began */
};

struct sensor_reader {
        atomic_uint refs;               /* the loop's, and one per worker thread */

        pthread_mutex_t lock;
        pthread_cond_t wake;
        /* Under lock. Each slot is in the queue or the results at most once (its state), so n
         * entries always suffice for both. */
        unsigned n;
        struct slot *slots;
        unsigned *queue, queue_head, queue_len;
        struct sensor_reading *results;
        unsigned results_len;
        struct sensor_source_hw hw;     /* immutable after sensor_reader_new(), like the slots */
        unsigned generation;            /* of the worker that takes the queue */
        int current_slot;               /* that worker's read, -1 = none */
        bool stop;

        int eventfd;                    /* closed by the last reference */

        /* Loop thread only. */
        pthread_t thread;               /* the current worker: joinable, the others detached */
        bool thread_started;
};

/* What a new worker needs, by value: the generation must be the one it was started for, not
 * whatever is current once it gets to run. */
struct worker_start {
        struct sensor_reader *reader;
        unsigned generation;
};

static atomic_uint live_threads;

unsigned sensor_reader_threads(void) {
        return atomic_load(&live_threads);
}

static void sensor_reader_free(struct sensor_reader *r) {
        if (r->slots)
                for (unsigned i = 0; i < r->n; i++) {
                        sensor_source_config_clear(&r->slots[i].source);
                        sensor_states_config_free(r->slots[i].states);
                }
        safe_close(r->eventfd);
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        free(r->slots);
        free(r->queue);
        free(r->results);
        free(r);
}

static struct sensor_reader *sensor_reader_ref(struct sensor_reader *r) {
        atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
        return r;
}

/* acq_rel: whatever a holder did to r happens before the free by the last one. */
static void sensor_reader_unref(struct sensor_reader *r) {
        if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
                sensor_reader_free(r);
}

static void sensor_reader_unrefp(struct sensor_reader **r) {
        if (*r)
                sensor_reader_unref(*r);
}

int sensor_reader_fd(const struct sensor_reader *r) {
        return r->eventfd;
}

/* ---- the worker ---- */

static bool is_current(const struct sensor_reader *r, unsigned generation) {
        return !r->stop && r->generation == generation;
}

/* Wake the loop for the results waiting. An eventfd write only fails on counter overflow,
 * which a loop that drains it never lets happen; after stop nobody reads it, and the last
 * reference closes it. */
static void announce_results(struct sensor_reader *r) {
        const uint64_t one = 1;

        (void) !write(r->eventfd, &one, sizeof(one));
}

/* Under lock: where a finished read goes; whether to wake the loop for the results now. An
 * abandoned slot was already reported as hung, so its late result would be stale; it only
 * frees the slot for the next poll. */
static bool finish_read(struct sensor_reader *r, const struct sensor_reading *res) {
        struct slot *sl = &r->slots[res->slot];

        if (sl->state != SLOT_READING) {
                sl->state = SLOT_IDLE;
                return false;
        }
        sl->state = SLOT_DONE;
        r->results[r->results_len++] = *res;
        /* Once the queue is empty, not per read: a loop woken for each result of a batch
         * takes them one by one while the worker reads the next, and both threads wake up
         * once per sensor instead of once per batch. After a slow read there is no batch to
         * keep together; a read still running holds the results before it back only until
         * the watchdog hands them over (hand_over_results()). */
        return r->queue_len == 0 || monotonic_usec() - sl->since >= SENSOR_READ_BATCH_USEC;
}

static void *worker(void *userdata) {
        struct worker_start *w = userdata;
        struct sensor_reader *r = w->reader;
        unsigned generation = w->generation;

        free(w);
        pthread_mutex_lock(&r->lock);
        for (;;) {
                struct sensor_reading res = { 0 };

                while (is_current(r, generation) && r->queue_len == 0)
                        pthread_cond_wait(&r->wake, &r->lock);
                if (!is_current(r, generation))
                        break;
                res.slot = r->queue[r->queue_head];
                r->queue_head = (r->queue_head + 1) % r->n;
                r->queue_len--;
                r->slots[res.slot].state = SLOT_READING;
                r->slots[res.slot].since = monotonic_usec();
                r->current_slot = (int) res.slot;
                pthread_mutex_unlock(&r->lock);

                /* The source is immutable, so it is read without the lock: this may take
                 * forever, and the loop must always get the lock at once. */
                if (r->slots[res.slot].states)
                        res.error = sensor_states_read(&r->hw, r->slots[res.slot].states,
                                                       &res.states, &res.failed_state);
                else
                        res.error = sensor_source_read(&r->hw, &r->slots[res.slot].source,
                                                       &res.value);

                pthread_mutex_lock(&r->lock);
                if (r->generation == generation)
                        r->current_slot = -1;
                if (finish_read(r, &res)) {
                        /* Outside the lock: the loop this wakes takes the results at once
                         * instead of sleeping again until this thread lets go of it. */
                        pthread_mutex_unlock(&r->lock);
                        announce_results(r);
                        pthread_mutex_lock(&r->lock);
                }
        }
        pthread_mutex_unlock(&r->lock);
        sensor_reader_unref(r);
        atomic_fetch_sub(&live_threads, 1);
        return NULL;
}

/* On the loop: start the worker for the current generation, with every signal blocked (signals
 * are the loop's, through signalfd; one delivered here would take the default action and kill
 * satmcd) and a small stack. */
static int start_worker(struct sensor_reader *r) {
        struct worker_start *w;
        pthread_attr_t attr;
        sigset_t all, saved;
        int e;

        w = malloc(sizeof(*w));
        if (!w)
                return -ENOMEM;
        pthread_mutex_lock(&r->lock);
        *w = (struct worker_start) { .reader = sensor_reader_ref(r), .generation = r->generation };
        pthread_mutex_unlock(&r->lock);

        atomic_fetch_add(&live_threads, 1);
        (void) pthread_attr_init(&attr);
        (void) pthread_attr_setstacksize(&attr, SENSOR_READER_STACK);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved);
        e = pthread_create(&r->thread, &attr, worker, w);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        (void) pthread_attr_destroy(&attr);
        if (e != 0) {
                atomic_fetch_sub(&live_threads, 1);
                sensor_reader_unref(r);
                free(w);
                return -e;
        }
        r->thread_started = true;
        return 0;
}

/* On the loop: the current worker stops taking the queue (it finishes the read it is in, if
 * any, and exits) and a new one takes it over. Nothing waits for the old one. */
static int replace_worker(struct sensor_reader *r) {
        pthread_mutex_lock(&r->lock);
        r->generation++;
        r->current_slot = -1;
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->lock);
        if (r->thread_started) {
                (void) pthread_detach(r->thread);
                r->thread_started = false;
        }
        return start_worker(r);
}

/* ---- the loop's side ---- */

int sensor_reader_new(const struct sensor_source_config *const *sources,
                      const struct sensor_states_config *const *states, unsigned n,
                      const struct sensor_source_hw *hw, struct sensor_reader **ret) {
        _cleanup_(sensor_reader_unrefp) struct sensor_reader *r = NULL;
        int e;

        if (n == 0)
                return -EINVAL;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        atomic_init(&r->refs, 1);
        r->eventfd = -EBADF;
        r->current_slot = -1;
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->wake, NULL);
        r->n = n;
        if (hw)
                r->hw = *hw;
        r->slots = calloc(n, sizeof(*r->slots));
        r->queue = calloc(n, sizeof(*r->queue));
        r->results = calloc(n, sizeof(*r->results));
        if (!r->slots || !r->queue || !r->results)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                if (states && states[i]) {
                        e = sensor_states_config_copy(states[i], &r->slots[i].states);
                        if (e < 0)
                                return e;
                }
                if (!sources[i])
                        continue;
                e = sensor_source_config_copy(&r->slots[i].source, sources[i]);
                if (e < 0)
                        return e;
        }
        r->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->eventfd < 0)
                return -errno;
        e = start_worker(r);
        if (e < 0)
                return e;
        *ret = TAKE_PTR(r);
        return 0;
}

struct sensor_reader *sensor_reader_stop(struct sensor_reader *r) {
        struct timespec deadline;
        unsigned left;

        if (!r)
                return NULL;
        pthread_mutex_lock(&r->lock);
        r->stop = true;
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->lock);

        if (r->thread_started) {
                /* pthread_timedjoin_np() takes CLOCK_REALTIME; a clock step during these
                 * 100 ms only makes the wait shorter or longer once, at exit. */
                (void) clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_nsec += (long) (SENSOR_READER_JOIN_USEC * 1000);
                deadline.tv_sec += deadline.tv_nsec / 1000000000;
                deadline.tv_nsec %= 1000000000;
                if (pthread_timedjoin_np(r->thread, NULL, &deadline) != 0)
                        (void) pthread_detach(r->thread);
                r->thread_started = false;
        }
        left = sensor_reader_threads();
        if (left > 0)
                log_debug("Sensor reader: %u thread(s) still in a read; left detached.", left);
        sensor_reader_unref(r);
        return NULL;
}

int sensor_reader_queue(struct sensor_reader *r, unsigned slot) {
        int e = 0;

        if (slot >= r->n ||
            (r->slots[slot].source.kind == SENSOR_SOURCE_NONE && !r->slots[slot].states))
                return -EINVAL;
        pthread_mutex_lock(&r->lock);
        if (r->slots[slot].state != SLOT_IDLE)
                e = -EBUSY;
        else {
                r->slots[slot].state = SLOT_QUEUED;
                r->queue[(r->queue_head + r->queue_len) % r->n] = slot;
                r->queue_len++;
                /* A worker waits only for an empty queue: the reads queued after the first
                 * of a batch find it awake (or about to be), and need no futex wake each. */
                if (r->queue_len == 1)
                        pthread_cond_broadcast(&r->wake);
        }
        pthread_mutex_unlock(&r->lock);
        return e;
}

unsigned sensor_reader_take(struct sensor_reader *r, struct sensor_reading *ret, unsigned max) {
        uint64_t count;
        unsigned n;

        (void) !read(r->eventfd, &count, sizeof(count));
        pthread_mutex_lock(&r->lock);
        n = r->results_len < max ? r->results_len : max;
        for (unsigned i = 0; i < n; i++) {
                ret[i] = r->results[i];
                r->slots[ret[i].slot].state = SLOT_IDLE;
        }
        /* Only when max < n, which sensors.c never does: keep the rest for the next call. */
        for (unsigned i = n; i < r->results_len; i++)
                r->results[i - n] = r->results[i];
        r->results_len -= n;
        pthread_mutex_unlock(&r->lock);
        return n;
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* Under lock: abandon reads that hung; whether the current worker must be replaced. */
static bool check_reads(struct sensor_reader *r, uint64_t now, unsigned *hung, unsigned max,
                        unsigned *n_hung, uint64_t *next) {
        bool replace = false;

        for (unsigned i = 0; i < r->n; i++) {
                struct slot *sl = &r->slots[i];

                if (sl->state != SLOT_READING)
                        continue;
                /* now is read under the lock, after since was set: never behind it. */
                if (now - sl->since < SENSOR_READ_HUNG_USEC) {
                        *next = min_u64(*next, sl->since + SENSOR_READ_HUNG_USEC);
                        continue;
                }
                if (*n_hung >= max)
                        break;
                sl->state = SLOT_ABANDONED;
                hung[(*n_hung)++] = i;
                replace = replace || r->current_slot == (int) i;
        }
        if (r->queue_len == 0 || replace)
                return replace;
        /* Others wait: a slow read hands them to a new worker, an idle worker is about to take
         * them (look again in case it cannot run). */
        if (r->current_slot >= 0) {
                uint64_t slow = r->slots[r->current_slot].since + SENSOR_READ_SLOW_USEC;

                if (now >= slow)
                        return true;
                *next = min_u64(*next, slow);
        } else
                *next = min_u64(*next, now + SENSOR_READ_SLOW_USEC);
        return false;
}

/*
 * Under lock: results held back for the end of a batch go to the loop once the read holding
 * them has run SENSOR_READ_BATCH_USEC, or at once when no read is running (its worker
 * replaced). While a batch is under way, look again by then: a read that hangs delays the
 * others' results by that, not by SENSOR_READ_SLOW_USEC. A batch that ends sooner hands them
 * over itself and turns the watchdog off first (on_results): no wake-up of its own.
 */
static void hand_over_results(struct sensor_reader *r, uint64_t now, uint64_t *next) {
        uint64_t late;

        if (r->current_slot < 0) {
                if (r->results_len > 0)
                        announce_results(r);
                if (r->queue_len > 0)
                        *next = min_u64(*next, now + SENSOR_READ_BATCH_USEC);
                return;
        }
        late = r->slots[r->current_slot].since + SENSOR_READ_BATCH_USEC;
        if (now < late)
                *next = min_u64(*next, late);
        else if (r->results_len > 0)
                announce_results(r);
}

unsigned sensor_reader_watchdog(struct sensor_reader *r, unsigned *hung, unsigned max,
                                uint64_t *next) {
        unsigned n_hung = 0;
        bool replace, waiting;
        uint64_t now;
        int e;

        *next = UINT64_MAX;
        pthread_mutex_lock(&r->lock);
        /* Under the lock: a worker that starts a read sets its slot's since under the lock too,
         * so since is never after now. Read before the lock, now could be a microsecond older
         * than a read started meanwhile, and now - since would wrap around to "hung for ever"
         * (that is how a healthy file read was given up as hung, 1 start in 4 of test-pyipmi). */
        now = monotonic_usec();
        replace = check_reads(r, now, hung, max, &n_hung, next) || !r->thread_started;
        hand_over_results(r, now, next);
        waiting = r->queue_len > 0;
        pthread_mutex_unlock(&r->lock);
        if (!replace)
                return n_hung;

        e = replace_worker(r);
        if (e < 0)
                log_error_errno(e, "Failed to start a sensor reader thread, trying again: %m");
        /* The new worker (or the next attempt to start one) is due for the waiting reads. */
        if (waiting || e < 0)
                *next = min_u64(*next, now + SENSOR_READ_SLOW_USEC);
        return n_hung;
}
