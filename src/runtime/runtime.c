/*
 * runtime.c - the function table (IDs -> kind, fn, options, pool), THE call
 * path wf_runtime_call, its async form (futures), and wf_rt_exec: one call on
 * the current thread with its deadline and interrupt flag.
 *
 * Deadlines: a call's deadline is the earlier of the caller's timeout
 * (counted from the call's start, queue included) and the function's
 * max_execution_ms (counted from when it starts running). While it runs, the
 * runtime's timer sets the call's interrupt flag at that deadline; wasm code
 * sees the flag (wf_exec_set_interrupt) and traps, and wf_rt_exec turns any
 * error of an interrupted call into TIMEOUT. A pooled call that sleeps
 * (pool.c) is woken at that deadline, and by a cancel, with TIMEOUT too.
 * A call in a bounded slice (an HTTP loop's first slice of a handler,
 * sched.h) whose deadline comes after the slice's end arms the timer only
 * if the slice ends first (wf_task_deadline_add): most end within it.
 *
 * Nesting: a call made while a call runs (a Lua function's funcs.call) is
 * one deeper in its chain (rt_call, kept in the scheduler's local slot);
 * beyond WF_RT_MAX_DEPTH it fails with LIMIT before anything runs, so a
 * function calling itself without end stops cleanly on any pool. Waiting
 * for a call parks (wasm/wait.h): from a pooled call it frees the worker,
 * so a call into its own pool never waits for a worker it holds.
 */

#include "runtime/rt_int.h"
#include "wasm/code.h"

bool wf_pool_type_parse(const char *name, wf_pool_type *out)
{
    static const char *const names[] = { "inline", "lazy", "static", "adaptive" };
    for (size_t i = 0; i < WF_COUNT(names); i++)
        if (!strcmp(name, names[i])) {
            *out = (wf_pool_type)i;
            return true;
        }
    return false;
}

const char *wf_pool_type_name(wf_pool_type t)
{
    static const char *const names[] = { "inline", "lazy", "static", "adaptive" };
    return (unsigned)t < WF_COUNT(names) ? names[t] : "?";
}

wf_runtime *wf_runtime_new(void)
{
    wf_runtime *rt = wf_xcalloc(1, sizeof *rt);
    pthread_mutex_init(&rt->mu, NULL);
    rt->sched = wf_sched_new();
    rt->timer = wf_sched_timer(rt->sched);
    rt->metrics = wf_metrics_new();
    rt->own_metrics = true;
    return rt;
}

void wf_runtime_free(wf_runtime *rt)
{
    if (!rt) return;
    for (size_t i = 0; i < rt->nfns; i++) wf_rt_pool_free(rt->fns[i]->pool);
    for (size_t i = 0; i < rt->nfns; i++) {
        rt_fn *f = rt->fns[i];
        if (f->kind->destroy) f->kind->destroy(f->fn);
        free(f->id);
        free(f);
    }
    free(rt->fns);
    wf_map_free(&rt->by_id);
    wf_sched_free(rt->sched);
    if (rt->own_metrics) wf_metrics_free(rt->metrics);
    pthread_mutex_destroy(&rt->mu);
    free(rt);
}

/* Every call looks its function up here: one hash probe, no lock, so calls
 * on many threads never queue behind each other or behind an add (map.h
 * says why a lookup may run beside the one adder). */
static rt_fn *find(wf_runtime *rt, const char *id)
{
    return wf_map_get(&rt->by_id, id);
}

wf_error *wf_runtime_add(wf_runtime *rt, const char *id, const wf_fn_kind *kind, void *fn,
                         const wf_fn_options *opts)
{
    if (find(rt, id)) return wf_error_new(WF_ERR_INVALID, "duplicate function ID %s", id);
    rt_fn *f = wf_xcalloc(1, sizeof *f);
    f->id = wf_xstrdup(id);
    f->kind = kind;
    f->fn = fn;
    f->rt = rt;
    f->metrics = wf_metrics_function(rt->metrics, id);
    if (opts) f->opts = *opts;
    if (f->opts.pool.type != WF_RT_POOL_INLINE) {
        wf_error *e = wf_rt_pool_new(f, &f->pool);
        if (e) {
            free(f->id);
            free(f);
            return e;
        }
    }
    pthread_mutex_lock(&rt->mu);
    /* the key is f->id, which lives as long as the runtime */
    bool added = wf_map_add(&rt->by_id, f->id, strlen(f->id), f);
    if (added) {
        if (rt->nfns == rt->cap) {
            rt->cap = rt->cap ? rt->cap * 2 : 16;
            rt->fns = wf_xrealloc(rt->fns, rt->cap * sizeof *rt->fns);
        }
        rt->fns[rt->nfns++] = f;
    }
    pthread_mutex_unlock(&rt->mu);
    if (!added) {   /* another thread added the same ID meanwhile */
        wf_rt_pool_free(f->pool);
        free(f->id);
        free(f);
        return wf_error_new(WF_ERR_INVALID, "duplicate function ID %s", id);
    }
    return NULL;
}

void wf_runtime_set_metrics(wf_runtime *rt, wf_metrics *m)
{
    if (rt->own_metrics) wf_metrics_free(rt->metrics);
    rt->metrics = m;
    rt->own_metrics = false;
}

wf_metrics *wf_runtime_metrics(wf_runtime *rt)
{
    return rt->metrics;
}

bool wf_runtime_has(wf_runtime *rt, const char *id)
{
    return find(rt, id) != NULL;
}

wf_sched *wf_runtime_sched(wf_runtime *rt)
{
    return rt->sched;
}

static wf_error *not_found(const char *id)
{
    return wf_error_new(WF_ERR_NOT_FOUND, "no function %s", id);
}

wf_runtime_fn *wf_runtime_find(wf_runtime *rt, const char *id)
{
    return find(rt, id);
}

void wf_runtime_fn_signature(const wf_runtime_fn *f, wf_fn_sig *out)
{
    memset(out, 0, sizeof *out);
    if (f->kind->signature) f->kind->signature(f->fn, out);
}

wf_error *wf_runtime_signature(wf_runtime *rt, const char *id, wf_fn_sig *out)
{
    rt_fn *f = find(rt, id);
    if (!f) return not_found(id);
    wf_runtime_fn_signature(f, out);
    return NULL;
}

/* ---- One call on this thread ---------------------------------------------- */

/* The depth of a call starting now (1 + its caller's), or LIMIT. */
static wf_error *call_depth(const rt_fn *fn, uint32_t *depth)
{
    const rt_call *caller = *wf_sched_local();
    *depth = caller ? caller->depth + 1 : 1;
    if (*depth <= WF_RT_MAX_DEPTH) return NULL;
    return wf_error_new(WF_ERR_LIMIT, "%s: call depth %u exceeds the limit of %u nested calls (called from %s)",
                        fn->id, *depth, WF_RT_MAX_DEPTH, caller->fn->id);
}

/* What a call of fn must pass before anything runs: the depth limit, the
 * kind's argument check. A call refused here is counted as ended. */
static wf_error *admit(const rt_fn *fn, const wf_val *args, size_t nargs, uint64_t start, uint32_t *depth)
{
    wf_error *e = call_depth(fn, depth);
    if (!e && fn->kind->check) e = fn->kind->check(fn->fn, args, nargs);
    if (e) wf_metrics_call_end(fn->metrics, e, start);
    return e;
}

/* The context of the call running here (the chain's), or NULL. */
static const wf_val *current_context(void)
{
    const rt_call *c = *wf_sched_local();
    return c ? c->context : NULL;
}

wf_error *wf_rt_exec(rt_fn *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                  volatile uint32_t *interrupt, bool *cancelled, uint64_t caller_deadline_ns,
                  uint64_t start_ns, uint32_t depth, const wf_val *context, void *host)
{
    uint64_t exec_deadline = 0;
    if (fn->opts.max_execution_ms)
        exec_deadline = wf_now_ns() + (uint64_t)fn->opts.max_execution_ms * 1000000u;
    uint64_t at = exec_deadline;
    if (caller_deadline_ns && (!at || caller_deadline_ns < at)) at = caller_deadline_ns;
    wf_deadline d = { .at_ns = at, .flag = interrupt };
    wf_task *task = wf_task_current();
    if (at) wf_task_deadline_add(fn->rt->timer, task, &d);

    /* This call is the running one of its chain, and (on a task) what stops
     * the task's waits: its flag and the earlier deadline. Both slots stay
     * put when a task moves between workers. */
    void **slot = wf_sched_local();
    void *outer = *slot;
    rt_call self = { .fn = fn, .depth = depth,
                     .context = context ? context : outer ? ((rt_call *)outer)->context : NULL };
    *slot = &self;
    volatile uint32_t *task_flag = NULL;
    uint64_t task_deadline = 0;
    if (task) {
        task_flag = task->interrupt;
        task_deadline = task->deadline_ns;
        task->interrupt = interrupt;
        if (at && (!task_deadline || at < task_deadline)) task->deadline_ns = at;
    }

    wf_fn_ctx ctx = { .interrupt = interrupt, .deadline_ns = at, .context = self.context, .host = host };
    wf_metrics_call_begin(fn->metrics);
    /* The flag is the call's own: it lives in the call's fiber (exec.c), not
     * in the thread, since a pooled call that sleeps may resume on another
     * worker. A nested inline call (a Lua function calling another function)
     * restores its caller's. */
    volatile uint32_t *prev = wf_exec_get_interrupt();
    wf_exec_set_interrupt(interrupt);
    wf_error *err = NULL;
    memset(result, 0, sizeof *result);
    if (wf_interrupt_stops(interrupt)) err = wf_error_new(WF_ERR_TIMEOUT, "interrupted before it ran");
    else err = fn->kind->call(fn->fn, inst, args, nargs, result, &ctx);
    wf_exec_set_interrupt(prev);
    wf_metrics_call_running_end(fn->metrics);
    if (task) {
        task->interrupt = task_flag;
        task->deadline_ns = task_deadline;
    }
    *slot = outer;
    if (at) wf_task_deadline_remove(fn->rt->timer, task, &d);

    if (err && wf_interrupt_stops(interrupt)) {
        /* The guest stopped because we asked it to: say why. */
        wf_error_free(err);
        if (cancelled && __atomic_load_n(cancelled, __ATOMIC_RELAXED))
            err = wf_error_new(WF_ERR_TIMEOUT, "%s: the call was cancelled", fn->id);
        else if (exec_deadline && (!caller_deadline_ns || exec_deadline <= caller_deadline_ns))
            err = wf_error_new(WF_ERR_TIMEOUT, "%s: execution exceeded max_execution_ms (%u ms)",
                               fn->id, fn->opts.max_execution_ms);
        else
            err = wf_error_new(WF_ERR_TIMEOUT, "%s: timed out after %llu ms", fn->id,
                               (unsigned long long)((caller_deadline_ns - start_ns) / 1000000u));
    }
    if (err) wf_val_free(result);
    return err;
}

wf_error *wf_runtime_preinit(wf_runtime *rt, const char *id, uint32_t max_ms,
                             wf_error *(*init)(void *ud), void *ud)
{
    uint32_t ms = max_ms ? max_ms : WF_RT_PREINIT_DEFAULT_MS;
    volatile uint32_t interrupt = 0;
    wf_deadline d = { .at_ns = wf_now_ns() + (uint64_t)ms * 1000000u, .flag = &interrupt };
    wf_timer_add(rt->timer, &d);
    volatile uint32_t *prev = wf_exec_get_interrupt();
    wf_exec_set_interrupt(&interrupt);
    wf_error *err = init(ud);
    wf_exec_set_interrupt(prev);
    wf_timer_remove(rt->timer, &d);
    if (err && __atomic_load_n(&interrupt, __ATOMIC_RELAXED)) {
        wf_error_free(err);
        err = wf_error_new(WF_ERR_TIMEOUT, "%s: preinit: the initialisation ran longer than %u ms "
                           "(%s) and was stopped", id, ms,
                           max_ms ? "the entry's limits.max_execution_ms"
                                  : "the limit of an entry without limits.max_execution_ms");
    }
    return err;
}

/* *took_ns (may be NULL): the call's time, as its metrics observed it. */
static wf_error *run_inline(rt_fn *fn, const wf_val *args, size_t nargs, wf_val *result,
                            uint64_t caller_deadline_ns, uint64_t start_ns, uint32_t depth,
                            const wf_val *context, void *host, volatile uint32_t *stop, uint64_t *took_ns)
{
    void *inst = NULL;
    memset(result, 0, sizeof *result);
    wf_error *err = fn->kind->prepare(fn->fn, &inst);
    if (!err) {
        volatile uint32_t interrupt = 0;
        err = wf_rt_exec(fn, inst, args, nargs, result, stop ? stop : &interrupt, NULL, caller_deadline_ns,
                         start_ns, depth, context, host);
        fn->kind->release(fn->fn, inst);
    }
    uint64_t took = wf_metrics_call_end(fn->metrics, err, start_ns);
    if (took_ns) *took_ns = took;
    return err;
}

/* ---- Jobs (pooled calls) and futures -------------------------------------- */

/* When a call starts: the caller's clock reading if it gave one (an HTTP
 * handler's slice began this loop turn), else now. */
static uint64_t call_start(const wf_call_opts *opts)
{
    return opts && opts->now_ns ? opts->now_ns : wf_now_ns();
}

/* The caller's deadline for a call started at start_ns (0: none): the
 * earlier of its timeout and its absolute deadline, which, already past,
 * still lets the call begin and stop at once. */
static uint64_t call_deadline(const wf_call_opts *opts, uint64_t start_ns)
{
    uint64_t at = opts && opts->timeout_ms ? start_ns + (uint64_t)opts->timeout_ms * 1000000u : 0;
    if (opts && opts->deadline_ns && (!at || opts->deadline_ns < at))
        at = opts->deadline_ns > start_ns ? opts->deadline_ns : start_ns + 1;
    return at;
}

static rt_job *job_new(rt_fn *fn, const wf_val *args, size_t nargs, uint64_t start_ns,
                       const wf_call_opts *opts, uint32_t depth)
{
    rt_job *job = wf_xcalloc(1, sizeof *job);
    job->fn = fn;
    job->depth = depth;
    job->refs = 1;
    job->start_ns = start_ns;
    job->caller_deadline_ns = call_deadline(opts, start_ns);
    /* A pooled call runs on another task: take the context along now. */
    const wf_val *context = opts && opts->context ? opts->context : current_context();
    if (context) {
        job->context = wf_xmalloc(sizeof *job->context);
        wf_val_copy(job->context, context);
    }
    job->host = opts ? opts->host : NULL;
    job->nargs = nargs;
    if (nargs) {
        job->args = wf_xcalloc(nargs, sizeof *job->args);
        for (size_t i = 0; i < nargs; i++) wf_val_copy(&job->args[i], &args[i]);
    }
    return job;
}

void wf_rt_job_unref_locked(rt_job *job)
{
    if (--job->refs > 0) return;
    for (size_t i = 0; i < job->nargs; i++) wf_val_free(&job->args[i]);
    free(job->args);
    if (job->context) wf_val_free(job->context);
    free(job->context);
    if (!job->taken) {
        wf_val_free(&job->result);
        wf_error_free(job->err);
    }
    free(job);
}

void wf_rt_job_finish_locked(rt_job *job, wf_error *err)
{
    wf_metrics_call_end(job->fn->metrics, err, job->start_ns);
    job->err = err;
    job->done = true;
    wf_waitq_wake_all(&job->waiters);
}

static pthread_mutex_t *job_mu(rt_job *job)
{
    return job->fn->pool ? wf_rt_pool_mutex(job->fn->pool) : NULL;
}

/* With the mutex held: a job still queued when its caller's deadline
 * passed leaves the queue with TIMEOUT (a running one is interrupted at
 * that deadline by wf_rt_exec). */
static void expire_locked(rt_job *job)
{
    if (job->done || !job->caller_deadline_ns || wf_now_ns() < job->caller_deadline_ns) return;
    if (wf_rt_pool_unqueue(job->fn->pool, job))
        wf_rt_job_finish_locked(job, wf_error_new(WF_ERR_TIMEOUT,
            "%s: timed out after %llu ms waiting for a worker", job->fn->id,
            (unsigned long long)((job->caller_deadline_ns - job->start_ns) / 1000000u)));
}

/* With the mutex held: wait (parking) until done, or until until_ns (0 = no
 * bound), or until the waiting call itself must stop; true when done. */
static bool wait_locked(rt_job *job, pthread_mutex_t *mu, uint64_t until_ns)
{
    bool expiry_seen = false;
    while (!job->done) {
        uint64_t at = until_ns;
        if (!expiry_seen && job->caller_deadline_ns && (!at || job->caller_deadline_ns < at))
            at = job->caller_deadline_ns;
        int r = wf_waitq_wait(&job->waiters, mu, at);
        if (!expiry_seen && job->caller_deadline_ns && wf_now_ns() >= job->caller_deadline_ns) {
            expiry_seen = true;
            expire_locked(job);
            continue;
        }
        if (r == WF_PARK_STOPPED) break;
        if (r == WF_PARK_TIMEOUT && until_ns && wf_now_ns() >= until_ns) break;
    }
    return job->done;
}

wf_error *wf_call_future_start(wf_runtime *rt, const char *id, const wf_val *args,
                               size_t nargs, const wf_call_opts *opts, wf_call_future **out)
{
    *out = NULL;
    uint64_t start = call_start(opts);
    rt_fn *fn = find(rt, id);
    if (!fn) return not_found(id);
    uint32_t depth;
    wf_error *e = admit(fn, args, nargs, start, &depth);
    if (e) return e;
    rt_job *job = job_new(fn, args, nargs, start, opts, depth);
    if (!fn->pool) {
        job->err = run_inline(fn, job->args, job->nargs, &job->result, job->caller_deadline_ns, start,
                              depth, job->context, job->host, NULL, NULL);
        job->done = true;
    } else {
        wf_error *e = wf_rt_pool_submit(fn->pool, job);
        if (e) {
            wf_metrics_call_end(fn->metrics, e, start);
            wf_rt_job_unref_locked(job);
            return e;
        }
    }
    *out = (wf_call_future *)job;
    return NULL;
}

bool wf_call_future_poll(wf_call_future *f)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    if (!mu) return true;
    pthread_mutex_lock(mu);
    expire_locked(job);
    bool done = job->done;
    pthread_mutex_unlock(mu);
    return done;
}

bool wf_call_future_wait(wf_call_future *f, int64_t timeout_ms)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    if (!mu) return true;
    pthread_mutex_lock(mu);
    bool done = wait_locked(job, mu, timeout_ms < 0 ? 0 : wf_now_ns() + (uint64_t)timeout_ms * 1000000u + 1);
    pthread_mutex_unlock(mu);
    return done;
}

wf_error *wf_call_future_take(wf_call_future *f, wf_val *result)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    memset(result, 0, sizeof *result);
    if (mu) pthread_mutex_lock(mu);
    wf_error *err;
    if (!job->done) {
        err = wf_error_new(WF_ERR_INVALID, "%s: the call is still running", job->fn->id);
    } else if (job->taken) {
        err = wf_error_new(WF_ERR_INVALID, "%s: the call's outcome was already taken", job->fn->id);
    } else {
        job->taken = true;
        err = job->err;
        *result = job->result;
        job->err = NULL;
        memset(&job->result, 0, sizeof job->result);
    }
    if (mu) pthread_mutex_unlock(mu);
    return err;
}

void wf_call_future_watch(wf_call_future *f, wf_wait_node *n, wf_waker *w)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    *n = (wf_wait_node){ .waker = w };
    if (mu) pthread_mutex_lock(mu);
    if (job->done) wf_wake(w);
    else wf_waitq_add(&job->waiters, n);
    if (mu) pthread_mutex_unlock(mu);
}

void wf_call_future_unwatch(wf_call_future *f, wf_wait_node *n)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    if (mu) pthread_mutex_lock(mu);
    wf_waitq_remove(&job->waiters, n);
    if (mu) pthread_mutex_unlock(mu);
}

static void cancel_locked(rt_job *job)
{
    if (job->done) return;
    if (wf_rt_pool_unqueue(job->fn->pool, job)) {
        wf_rt_job_finish_locked(job, wf_error_new(WF_ERR_TIMEOUT, "%s: the call was cancelled",
                                               job->fn->id));
        return;
    }
    __atomic_store_n(&job->cancelled, true, __ATOMIC_RELAXED);
    __atomic_store_n(&job->interrupt, 1, __ATOMIC_RELAXED);
    wf_task_wake(&job->task);   /* a waiting call ends now, not at its wake-up */
}

void wf_call_future_cancel(wf_call_future *f)
{
    rt_job *job = (rt_job *)f;
    pthread_mutex_t *mu = job_mu(job);
    if (!mu) return;
    pthread_mutex_lock(mu);
    cancel_locked(job);
    pthread_mutex_unlock(mu);
}

void wf_call_future_free(wf_call_future *f)
{
    rt_job *job = (rt_job *)f;
    if (!job) return;
    pthread_mutex_t *mu = job_mu(job);
    if (mu) pthread_mutex_lock(mu);
    cancel_locked(job);
    wf_rt_job_unref_locked(job);
    if (mu) pthread_mutex_unlock(mu);
}

/* ---- THE call path --------------------------------------------------------- */

wf_error *wf_runtime_call(wf_runtime *rt, const char *id, const wf_val *args, size_t nargs,
                          wf_val *result, const wf_call_opts *opts)
{
    memset(result, 0, sizeof *result);
    rt_fn *fn = find(rt, id);
    if (!fn) return not_found(id);
    return wf_runtime_call_fn(fn, args, nargs, result, opts);
}

wf_error *wf_runtime_call_fn(wf_runtime_fn *fn, const wf_val *args, size_t nargs, wf_val *result,
                             const wf_call_opts *opts)
{
    memset(result, 0, sizeof *result);
    const char *id = fn->id;
    /* Inline: no copies, no job. So is a short call of a lazy pool made by
     * a task (a fiber that can park wherever the call waits) at the top of
     * its chain, i.e. an HTTP handler calling its endpoint's function: the
     * same fresh instance (a lazy pool keeps none ready) without the three
     * thread wake-ups of handing it to a pool worker and back
     * (wf_rt_pool_direct_enter says which calls are short). A nested call
     * keeps its pool's fibers, so a chain of calls does not stack up on
     * one fiber; a caller that is no task (`wasmfn call`, the C API) keeps
     * the pool's threads. */
    bool direct = fn->pool && !*wf_sched_local() && wf_task_current() && wf_rt_pool_direct_enter(fn->pool);
    if (!fn->pool || direct) {
        uint64_t start = call_start(opts);
        uint64_t deadline = call_deadline(opts, start);
        uint32_t depth;
        uint64_t took = 0;
        wf_error *e = admit(fn, args, nargs, start, &depth);
        if (!e)
            e = run_inline(fn, args, nargs, result, deadline, start, depth, opts ? opts->context : NULL,
                           opts ? opts->host : NULL, opts ? opts->stop : NULL, &took);
        if (direct) wf_rt_pool_direct_leave(fn->pool, took);
        return e;
    }

    wf_call_future *f;
    wf_error *err = wf_call_future_start(fn->rt, id, args, nargs, opts, &f);
    if (err) return err;
    if (wf_call_future_wait(f, -1)) {
        err = wf_call_future_take(f, result);
    } else {
        /* Only a waiting call that must stop gives up (freeing f cancels). */
        err = wf_error_new(WF_ERR_TIMEOUT, "%s: the calling call was stopped while waiting for it", id);
    }
    wf_call_future_free(f);
    return err;
}
