/*
 * pool.c - worker pools (SPEC §5): each pool is a group of the scheduler
 * (sched.h) with the pool's bounds, and its stash of ready instances. Lazy,
 * static and adaptive are one mechanism with different bounds:
 *
 *   lazy      0 .. max_size workers, idle ones leave after 1 s, no ready instance;
 *   static    exactly `workers` workers started at once, a queue of `buffer`,
 *             and `size` ready (pre-instantiated) instances (default: one
 *             per worker);
 *   adaptive  1 .. max_size workers, extra idle ones leave after 5 s, one
 *             ready instance per live worker; warm_start starts the first
 *             worker at once.
 *
 * A call is a task of the group: it runs on a fiber of its own, and while it
 * waits (sleeps in WASI poll_oneoff, waits for a nested call's future, or
 * for room in a full queue) its worker runs other calls; so sleeping calls
 * need no more threads than the workers, and a call that calls its own
 * pool never waits for a worker it holds. A full queue is back-pressure: the
 * caller waits for room until its own deadline, then gets TIMEOUT; nothing
 * queued is ever dropped (the pool's end runs every call to its end).
 *
 * A lazy pool keeps no ready instance, so a short call of it made by a
 * task at the top of its chain (an HTTP handler's) may run on that task's
 * fiber instead of a worker's (runtime.c, wf_runtime_call_fn): the same
 * fresh instance, without three thread wake-ups; at most max_size at once,
 * and only while the pool's calls take under WF_RT_DIRECT_MAX_NS.
 *
 * A "ready" instance is one made by `prepare` before its call and never used
 * by another: the pristine-instance rule holds, and instantiation leaves the
 * call's critical path. Idle workers refill the stash, any call takes from it.
 */
#include <stddef.h>

#include "runtime/rt_int.h"

struct rt_pool {
    pthread_mutex_t mu;         /* the stash, and the pool's jobs (rt_int.h) */
    rt_fn *fn;
    wf_sched_group *g;
    bool ready;                 /* keep ready instances in the stash */
    void **stash;               /* ready instances, never used */
    uint32_t nstash, stash_cap, npreparing;
    uint32_t stash_size;        /* static: `size`; 0 = one per live worker */
    size_t cap;                 /* the queue's bound, for messages */
    bool prepare_failed;        /* stop refilling until a call succeeds in preparing */
    uint32_t direct_max;        /* lazy: calls that may run on their callers' fibers at once; else 0 */
    uint32_t direct;            /* such calls running now (atomic) */
    uint32_t cost_ns;           /* lazy: a call's recent time, a moving average (atomic, racy) */
};

/* A call of a lazy pool runs on its caller's fiber only while the pool's
 * calls take less than this. The caller is usually an HTTP handler in its
 * first slice on the event loop: a short call is cheaper there than its
 * hand-off to a worker and back (about 25 us of CPU on a 2-core VM,
 * docs/http-server.md), while a longer one would keep the loop from
 * serving others for longer than the hand-off costs, and run on one core
 * what the pool's threads spread over all of them. */
#define WF_RT_DIRECT_MAX_NS 50000u

/* Fold one call's time into the pool's average (weight 1/8). Updates may
 * race and one be lost: it only steers where the next calls run. */
static void note_cost(rt_pool *p, uint64_t took_ns)
{
    uint32_t t = took_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)took_ns;
    uint32_t c = __atomic_load_n(&p->cost_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&p->cost_ns, (uint32_t)(c - c / 8 + t / 8), __ATOMIC_RELAXED);
}

pthread_mutex_t *wf_rt_pool_mutex(rt_pool *p)
{
    return &p->mu;
}

/* The group's idle hook: make one ready instance when the stash is short.
 * A failure here is reported by the call's own prepare. */
static bool refill(void *ud, uint32_t nworkers)
{
    rt_pool *p = ud;
    rt_fn *fn = p->fn;
    pthread_mutex_lock(&p->mu);
    uint32_t target = !p->ready || p->prepare_failed ? 0 : p->stash_size ? p->stash_size : nworkers;
    if (p->nstash + p->npreparing >= target) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    p->npreparing++;
    pthread_mutex_unlock(&p->mu);
    void *inst = NULL;
    wf_error *e = fn->kind->prepare(fn->fn, &inst);
    pthread_mutex_lock(&p->mu);
    p->npreparing--;
    if (e) {
        wf_error_free(e);
        p->prepare_failed = true;
    } else {
        if (p->nstash == p->stash_cap) {
            p->stash_cap = p->stash_cap ? p->stash_cap * 2 : 4;
            p->stash = wf_xrealloc(p->stash, p->stash_cap * sizeof *p->stash);
        }
        p->stash[p->nstash++] = inst;
    }
    pthread_mutex_unlock(&p->mu);
    return true;
}

static rt_job *job_of(wf_task *t)
{
    return (rt_job *)((char *)t - offsetof(rt_job, task));
}

/* The call, on its task's fiber: take a ready instance or make one, run,
 * discard. A call whose caller gave up while it was queued does not run. */
static void job_run(wf_task *t)
{
    rt_job *job = job_of(t);
    rt_fn *fn = job->fn;
    rt_pool *p = fn->pool;
    if (job->caller_deadline_ns && wf_now_ns() >= job->caller_deadline_ns) {
        job->run_err = wf_error_new(WF_ERR_TIMEOUT, "%s: timed out after %llu ms waiting for a worker",
            fn->id, (unsigned long long)((job->caller_deadline_ns - job->start_ns) / 1000000u));
        return;
    }
    pthread_mutex_lock(&p->mu);
    void *inst = p->nstash ? p->stash[--p->nstash] : NULL;
    pthread_mutex_unlock(&p->mu);
    /* A lazy pool times its calls here too (their own time, not their
     * queueing), so that calls short again run on their callers again. */
    uint64_t t0 = p->direct_max ? wf_now_ns() : 0;
    wf_error *err = inst ? NULL : fn->kind->prepare(fn->fn, &inst);
    wf_val result = { 0 };
    if (!err) {
        err = wf_rt_exec(fn, inst, job->args, job->nargs, &result, &job->interrupt, &job->cancelled,
                      job->caller_deadline_ns, job->start_ns, job->depth, job->context, job->host);
        fn->kind->release(fn->fn, inst);
    }
    if (p->direct_max) note_cost(p, wf_now_ns() - t0);
    job->result = result;   /* nobody reads it before done */
    job->run_err = err;
}

/* On the worker, once the task is over: publish the outcome. */
static void job_done(wf_task *t)
{
    rt_job *job = job_of(t);
    rt_pool *p = job->fn->pool;
    pthread_mutex_lock(&p->mu);
    if (t->no_stack)
        job->run_err = wf_error_new(WF_ERR_LIMIT, "%s: cannot map a fiber stack", job->fn->id);
    if (!job->run_err) p->prepare_failed = false;
    wf_rt_job_finish_locked(job, job->run_err);
    job->run_err = NULL;
    wf_rt_job_unref_locked(job);   /* the task's ref */
    pthread_mutex_unlock(&p->mu);
}

wf_error *wf_rt_pool_new(rt_fn *fn, rt_pool **out)
{
    const wf_pool_config *c = &fn->opts.pool;
    rt_pool *p = wf_xcalloc(1, sizeof *p);
    p->fn = fn;
    pthread_mutex_init(&p->mu, NULL);
    wf_sched_group_config gc = { .idle = refill, .ud = p };
    switch (c->type) {
    case WF_RT_POOL_STATIC: {
        uint32_t w = c->workers ? c->workers : 1;
        gc.min_workers = gc.max_workers = gc.start_workers = w;
        gc.queue_cap = c->buffer ? c->buffer : (size_t)w * 64;
        p->ready = true;
        p->stash_size = c->size ? c->size : w;
        break;
    }
    case WF_RT_POOL_ADAPTIVE:
        gc.max_workers = c->max_size ? c->max_size : 100;
        gc.min_workers = 1;
        gc.queue_cap = (size_t)gc.max_workers * 64;
        gc.idle_ns = 5000000000u;
        p->ready = true;
        gc.start_workers = c->warm_start ? 1 : 0;
        break;
    default:   /* lazy */
        gc.max_workers = c->max_size ? c->max_size : 16;
        gc.queue_cap = (size_t)gc.max_workers * 64;
        gc.idle_ns = 1000000000u;
        p->direct_max = gc.max_workers;
        break;
    }
    p->cap = gc.queue_cap;
    wf_error *e = wf_sched_group_new(fn->rt->sched, &gc, &p->g);
    if (e) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return wf_error_wrap(e, "%s", fn->id);
    }
    *out = p;
    return NULL;
}

void wf_rt_pool_free(rt_pool *p)
{
    if (!p) return;
    wf_sched_group_free(p->g);  /* every call ends first */
    for (uint32_t i = 0; i < p->nstash; i++) p->fn->kind->release(p->fn->fn, p->stash[i]);
    free(p->stash);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

wf_error *wf_rt_pool_submit(rt_pool *p, rt_job *job)
{
    /* Nobody else sees the job yet: its refs need no lock here. */
    job->task = (wf_task){ .run = job_run, .done = job_done, .interrupt = &job->interrupt };
    job->refs++;
    int r = wf_sched_submit(p->g, &job->task, job->caller_deadline_ns);
    if (r == WF_SUBMIT_OK) return NULL;
    job->refs--;
    if (r == WF_SUBMIT_FULL) {
        if (!job->caller_deadline_ns)   /* the submitting call itself was stopped */
            return wf_error_new(WF_ERR_TIMEOUT,
                "%s: stopped while waiting for room in the pool's queue (%zu requests)", p->fn->id, p->cap);
        return wf_error_new(WF_ERR_TIMEOUT,
            "%s: timed out after %llu ms waiting for room in the pool's queue (%zu requests)", p->fn->id,
            (unsigned long long)((job->caller_deadline_ns - job->start_ns) / 1000000u), p->cap);
    }
    if (r == WF_SUBMIT_STOPPED)
        return wf_error_new(WF_ERR_INTERNAL, "%s: the runtime is shutting down", p->fn->id);
    return wf_error_new(WF_ERR_LIMIT, "%s: cannot start a worker thread", p->fn->id);
}

bool wf_rt_pool_direct_enter(rt_pool *p)
{
    if (__atomic_load_n(&p->cost_ns, __ATOMIC_RELAXED) >= WF_RT_DIRECT_MAX_NS) return false;
    uint32_t n = __atomic_load_n(&p->direct, __ATOMIC_RELAXED);
    do {
        if (n >= p->direct_max) return false;
    } while (!__atomic_compare_exchange_n(&p->direct, &n, n + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return true;
}

void wf_rt_pool_direct_leave(rt_pool *p, uint64_t took_ns)
{
    note_cost(p, took_ns);
    __atomic_fetch_sub(&p->direct, 1, __ATOMIC_RELAXED);
}

bool wf_rt_pool_unqueue(rt_pool *p, rt_job *job)
{
    (void)p;
    if (!wf_sched_unqueue(&job->task)) return false;
    wf_rt_job_unref_locked(job);   /* the task's ref */
    return true;
}

void wf_rt_pool_gauges_of(wf_runtime *rt, const char *id, wf_rt_pool_gauges *out)
{
    memset(out, 0, sizeof *out);
    void *v = NULL;
    if (!wf_map_find(&rt->by_id, id, strlen(id), &v)) return;
    rt_pool *p = ((rt_fn *)v)->pool;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    out->ready = p->nstash;
    pthread_mutex_unlock(&p->mu);
    out->workers = wf_sched_group_workers(p->g);
}
