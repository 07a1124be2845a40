/*
 * rt_int.h - the runtime's private structures, shared by runtime.c (the
 * function table, the call path and futures) and pool.c (worker pools).
 *
 * Locking: a pooled call (rt_job) is guarded by its pool's mutex: its state,
 * its queue link, its refs and its outcome. An inline call has no pool; its
 * job is complete before anyone else sees it.
 */
#ifndef WF_RUNTIME_RT_INT_H
#define WF_RUNTIME_RT_INT_H

#include <pthread.h>

#include "runtime/runtime.h"
#include "runtime/timer.h"

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
    struct rt_job *next;        /* queue link */
    pthread_cond_t done_cv;     /* with the pool's mutex */
} rt_job;

struct wf_runtime {
    pthread_mutex_t mu;         /* the function table (adds vs lookups) */
    rt_fn **fns;
    size_t nfns, cap;
    wf_timer *timer;
};

/* Run one call of fn in inst on this thread, with its deadlines; the
 * outcome goes to *result / the return. Used by workers and inline calls. */
wf_error *rt_exec(rt_fn *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                  volatile uint32_t *interrupt, bool *cancelled, uint64_t caller_deadline_ns,
                  uint64_t start_ns);

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

#endif
