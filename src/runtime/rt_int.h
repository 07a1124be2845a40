/*
 * rt_int.h - the runtime's private structures, shared by runtime.c (the
 * function table, the call path and futures) and pool.c (pools: groups of
 * the scheduler, sched.h, with their ready instances).
 *
 * Locking: a pooled call (rt_job) is guarded by its pool's mutex: its refs,
 * its outcome and its waiters. An inline call has no pool; its job is
 * complete before anyone else sees it. Lock order: a pool's mutex, then the
 * scheduler's locks (sched.h); nobody calls into the timer holding a pool
 * mutex (the timer's thread takes the scheduler's).
 */
#ifndef WF_RUNTIME_RT_INT_H
#define WF_RUNTIME_RT_INT_H

#include <pthread.h>

#include "base/map.h"
#include "runtime/metrics.h"
#include "runtime/runtime.h"
#include "runtime/sched.h"

typedef struct rt_pool rt_pool;

typedef struct rt_fn {
    char *id;
    const wf_fn_kind *kind;
    void *fn;
    wf_fn_options opts;
    rt_pool *pool;              /* NULL for the inline pool */
    struct wf_runtime *rt;
    wf_metrics_fn *metrics;     /* its series in the runtime's metrics */
} rt_fn;

/* A running call, in the scheduler's local slot (wf_sched_local) while it
 * runs: the chain of nested calls, for their depth limit. */
typedef struct rt_call {
    const rt_fn *fn;
    uint32_t depth;             /* 1 for a call nobody's call made */
    const wf_val *context;      /* the values its caller passed along, or NULL */
} rt_call;

typedef struct rt_job {
    wf_task task;               /* a pooled call is a task of its pool's group */
    rt_fn *fn;
    wf_val *args;               /* owned (deep copies) */
    size_t nargs;
    wf_val result;
    wf_error *err;
    bool done;
    int refs;                   /* the caller's, and the task's while submitted */
    bool taken, cancelled;
    volatile uint32_t interrupt;
    uint64_t start_ns;          /* when the caller started it */
    uint64_t caller_deadline_ns; /* 0 = none */
    uint32_t depth;             /* its rt_call's */
    wf_val *context;            /* owned copy of the call's context, or NULL */
    void *host;                 /* wf_call_opts.host, borrowed */
    wf_waitq waiters;           /* waiting for done */
    wf_error *run_err;          /* the outcome, written on the task's fiber */
} rt_job;

struct wf_runtime {
    pthread_mutex_t mu;         /* serializes adds (a call's lookup takes no lock) */
    rt_fn **fns;                /* in add order, for free; guarded by mu */
    size_t nfns, cap;
    wf_map by_id;               /* id -> rt_fn *: read lock-free, added to under mu */
    wf_sched *sched;            /* the pools' groups, the timer */
    wf_timer *timer;            /* the scheduler's */
    wf_metrics *metrics;        /* where calls are counted (metrics.h) */
    bool own_metrics;           /* made by the runtime: freed with it */
};

/* A pool's gauges for /metrics: ready instances and worker threads (zero
 * for an inline function or an unknown ID). */
typedef struct wf_rt_pool_gauges {
    uint32_t ready, workers;
} wf_rt_pool_gauges;
void wf_rt_pool_gauges_of(wf_runtime *rt, const char *id, wf_rt_pool_gauges *out);

/* Run one call of fn in inst, with its deadlines, as call number `depth`
 * of its chain; the outcome goes to *result / the return. Used by pooled
 * jobs (on their task's fiber, whose parks it bounds by the call's
 * deadline) and inline calls. */
wf_error *wf_rt_exec(rt_fn *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                  volatile uint32_t *interrupt, bool *cancelled, uint64_t caller_deadline_ns,
                  uint64_t start_ns, uint32_t depth, const wf_val *context, void *host);

/* The pool of fn (not inline): made at add, stopped (running every call
 * it holds to its end) at free. */
wf_error *wf_rt_pool_new(rt_fn *fn, rt_pool **out);
void wf_rt_pool_free(rt_pool *p);
/* Submit job (its task takes a ref); waits for room until the job's caller
 * deadline (TIMEOUT), parking when called from a task. */
wf_error *wf_rt_pool_submit(rt_pool *p, rt_job *job);
pthread_mutex_t *wf_rt_pool_mutex(rt_pool *p);
/* A lazy pool's call may run on its caller's fiber instead (runtime.c,
 * wf_runtime_call_fn): enter is true when the pool admits one more such
 * call (its calls are short, and fewer than max_size run so), leave ends
 * it with the time it took. Never true for the other pool types. */
bool wf_rt_pool_direct_enter(rt_pool *p);
void wf_rt_pool_direct_leave(rt_pool *p, uint64_t took_ns);
/* With the pool mutex held: take a job not started yet back (dropping the
 * task's ref); false once it started. */
bool wf_rt_pool_unqueue(rt_pool *p, rt_job *job);
/* With the pool mutex held: finish job with err (no result) and wake its waiters. */
void wf_rt_job_finish_locked(rt_job *job, wf_error *err);
/* With the pool mutex held (or no pool): drop one ref, freeing at zero. */
void wf_rt_job_unref_locked(rt_job *job);

#endif
