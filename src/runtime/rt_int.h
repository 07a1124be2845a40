/*
 * rt_int.h - the runtime's private structures, shared by runtime.c (the
 * function table, the call path and futures) and pool.c (worker pools).
 *
 * Locking: a pooled call (rt_job) is guarded by its pool's mutex: its state,
 * its queue link, its refs, its sleep state and its outcome. An inline call
 * has no pool; its job is complete before anyone else sees it.
 *
 * Lock order: the timer's lock, then a pool's mutex (a sleeping job's
 * wake-up fires on the timer thread and takes the pool mutex). So nobody
 * calls into the timer while holding a pool mutex.
 */
#ifndef WF_RUNTIME_RT_INT_H
#define WF_RUNTIME_RT_INT_H

#include <pthread.h>

#include "base/map.h"
#include "runtime/runtime.h"
#include "runtime/timer.h"
#include "wasm/fiber.h"

typedef struct rt_pool rt_pool;

typedef struct rt_fn {
    char *id;
    const wf_fn_kind *kind;
    void *fn;
    wf_fn_options opts;
    rt_pool *pool;              /* NULL for the inline pool */
    struct wf_runtime *rt;
} rt_fn;

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE };
/* A running job's sleep (pool.c): not asleep; suspended with its wake-up
 * being handed to the timer by its worker; asleep in the timer. */
enum { SLEEP_NONE, SLEEP_ARMING, SLEEP_ASLEEP };

typedef struct rt_job {
    rt_fn *fn;
    wf_val *args;               /* owned (deep copies) */
    size_t nargs;
    wf_val result;
    wf_error *err;
    int state;
    int refs;                   /* the caller's, and the worker's while queued/running */
    bool taken, cancelled;
    volatile uint32_t interrupt;
    uint64_t start_ns;          /* when the caller started it */
    uint64_t caller_deadline_ns; /* 0 = none */
    struct rt_job *next;        /* queue link (requests, or resumed jobs) */
    pthread_cond_t done_cv;     /* with the pool's mutex */
    /* Running on a fiber (pool.c): the call suspends there when it sleeps
     * and may resume on another worker. */
    wf_fiber *fiber;
    void *inst;                 /* a ready instance from the stash, or NULL */
    wf_error *run_err;          /* the outcome, written on the fiber */
    uint64_t deadline_ns;       /* the running call's deadline (rt_exec), 0 = none */
    wf_deadline wake;           /* the timer's wake-up of the sleeping call */
    int sleep;                  /* SLEEP_* */
    bool sleep_pending;         /* set on the fiber: its worker arms the wake-up */
    bool wake_early;            /* woken (cancel, or fired) while SLEEP_ARMING */
} rt_job;

struct wf_runtime {
    pthread_mutex_t mu;         /* serializes adds (a call's lookup takes no lock) */
    rt_fn **fns;                /* in add order, for free; guarded by mu */
    size_t nfns, cap;
    wf_map by_id;               /* id -> rt_fn *: read lock-free, added to under mu */
    wf_timer *timer;
};

/* Run one call of fn in inst, with its deadlines; the outcome goes to
 * *result / the return. Used by pooled jobs (on their fiber) and inline
 * calls. *deadline_out (may be NULL) gets the call's deadline before it
 * starts, so a sleep can be bounded by it. */
wf_error *rt_exec(rt_fn *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                  volatile uint32_t *interrupt, bool *cancelled, uint64_t caller_deadline_ns,
                  uint64_t start_ns, uint64_t *deadline_out);

/* The pool of fn (not inline): made at add, stopped (draining its queue) at
 * free. */
wf_error *rt_pool_new(rt_fn *fn, rt_pool **out);
void rt_pool_free(rt_pool *p);
/* Queue job (the pool takes a ref); waits for room until the job's caller
 * deadline (TIMEOUT). */
wf_error *rt_pool_submit(rt_pool *p, rt_job *job);
pthread_mutex_t *rt_pool_mutex(rt_pool *p);
/* With the pool mutex held: take a QUEUED job out of the queue. */
void rt_pool_unqueue(rt_pool *p, rt_job *job);
/* With the pool mutex held: finish job with err (no result) and wake its waiters. */
void rt_job_finish_locked(rt_job *job, wf_error *err);
/* With the pool mutex held (or no pool): drop one ref, freeing at zero. */
void rt_job_unref_locked(rt_job *job);
/* With the pool mutex held: wake the job if it sleeps (cancel); a job not
 * asleep is left alone. */
void rt_job_wake_locked(rt_job *job);

#endif
