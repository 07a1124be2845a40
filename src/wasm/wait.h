/*
 * wait.h - waiting without holding a thread: wakers, wait queues and
 * parking. Every blocking wait in wasmfn goes through here: a call that
 * sleeps (WASI poll_oneoff), a caller waiting for a call's future, a caller
 * waiting for room in a full pool queue; and the waits still to come (Lua
 * channels, WASI 0.2 pollables and streams, fd readiness). It lives beside
 * the fibers so every layer above the engine can wait this way.
 *
 * Parking: a waiter parks (wf_park); whoever makes its condition true wakes
 * it (wf_wake on the waiter's wf_waker), from any thread:
 *   - on a fiber that a scheduler runs (runtime/sched.h gives each task's
 *     fiber a parker, fiber.h), wf_park suspends the fiber: its worker
 *     thread runs other tasks meanwhile, and the wake puts the task back on
 *     its run queue, to resume on whichever worker is free;
 *   - anywhere else (a plain thread, a thread's own call fiber) wf_park
 *     blocks the thread on a condition variable of its own.
 * A wake is a permit, as with park/unpark: a wake that comes before the park
 * is kept and the park returns at once, and a park may return spuriously.
 * So a waiter always re-checks its condition in a loop.
 *
 * Wait queues: the usual way to wait for a condition guarded by a mutex,
 * like a condition variable that also works for tasks:
 *
 *     lock(&mu);                            // the waiting side
 *     while (!ready && wf_waitq_wait(&q, &mu, until) != WF_PARK_TIMEOUT) {}
 *     unlock(&mu);
 *
 *     lock(&mu); ready = true; wf_waitq_wake_all(&q); unlock(&mu);  // the other
 *
 * A queue is guarded by its owner's mutex: add, remove and wake only with it
 * held. A waker is called under that mutex, so a waiter (which removes its
 * node under the mutex before it goes on) never goes away while woken.
 * Lock order: an owner's mutex comes before the scheduler's locks.
 */
#ifndef WF_WASM_WAIT_H
#define WF_WASM_WAIT_H

#include <pthread.h>

#include "base/base.h"
#include "base/error.h"

/* Who to wake: a task (the scheduler's) or a thread (ours), or anything
 * else that can be told, e.g. an event loop writing to its eventfd. wake
 * must be short and must not take the waited object's mutex. */
typedef struct wf_waker wf_waker;
struct wf_waker {
    void (*wake)(wf_waker *w);
};

static inline void wf_wake(wf_waker *w)
{
    w->wake(w);
}

/* The current context's waker: the running task's, else this thread's.
 * Valid while the task runs (until it ends) or the thread lives. */
wf_waker *wf_waker_current(void);

/* What wf_park saw when it returned. */
enum {
    WF_PARK_WOKEN,      /* woken, or spuriously: re-check the condition */
    WF_PARK_TIMEOUT,    /* until_ns passed */
    WF_PARK_STOPPED,    /* the running task must stop: its call's deadline
                         * passed or it was cancelled (never off a task) */
};

/* Park the current context until woken or until_ns on CLOCK_MONOTONIC
 * (0 = no bound). A task's park also ends at its call's deadline. */
int wf_park(uint64_t until_ns);

/* ---- Wait queues --------------------------------------------------------- */

typedef struct wf_wait_node {
    wf_waker *waker;
    struct wf_wait_node *prev, *next;
    bool queued;
} wf_wait_node;

typedef struct wf_waitq {      /* zero-initialised: empty */
    wf_wait_node *head, *tail;
} wf_waitq;

void wf_waitq_add(wf_waitq *q, wf_wait_node *n);
/* Take n out of q; nothing when a wake took it out already. */
void wf_waitq_remove(wf_waitq *q, wf_wait_node *n);
/* Wake the oldest waiter (taking it out); false when none waits. */
bool wf_waitq_wake_one(wf_waitq *q);
void wf_waitq_wake_all(wf_waitq *q);
/* With *mu held: wait in q for a wake, until_ns (0 = no bound) or the
 * task's stop (WF_PARK_*); mu is released meanwhile and held again on
 * return. */
int wf_waitq_wait(wf_waitq *q, pthread_mutex_t *mu, uint64_t until_ns);

/* ---- Time ------------------------------------------------------------------ */

/* CLOCK_MONOTONIC now, in ns: the clock of every deadline in wasmfn. */
uint64_t wf_now_ns(void);
/* A condition variable timed on that clock, and its wait until at_ns
 * (0 or ETIMEDOUT, as pthread_cond_timedwait). */
void wf_cond_init(pthread_cond_t *cv);
int wf_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t at_ns);

/* Sleep until deadline_ns: parks (a task's worker is free meanwhile).
 * Returns NULL when the time came, or TIMEOUT when the running call was
 * stopped first (its deadline passed, or it was cancelled): the call then
 * fails with it. WASI poll_oneoff and any host import sleep through it. */
wf_error *wf_sleep_until(uint64_t deadline_ns);

#endif
