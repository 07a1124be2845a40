/*
 * pool.c - worker pools (SPEC §5): lazy, static and adaptive are one
 * mechanism with different bounds.
 *
 *   lazy      0 .. max_size workers, idle ones exit after 1 s, no ready instance;
 *   static    exactly `workers` workers started at once, a queue of `buffer`,
 *             and `size` ready (pre-instantiated) instances (default: one
 *             per worker);
 *   adaptive  1 .. max_size workers, extra idle ones exit after 5 s, one
 *             ready instance per live worker; warm_start starts the first
 *             worker at once.
 *
 * A worker is spawned when a request is queued and there are fewer idle
 * workers than queued requests. A full queue is back-pressure: the caller
 * waits for room until its own deadline, then gets TIMEOUT; nothing queued
 * is ever dropped (at shutdown the workers drain the queue).
 *
 * A "ready" instance is one made by `prepare` before its call and never used
 * by another: the pristine-instance rule holds, and instantiation leaves the
 * call's critical path. Ready instances wait in the pool's stash; idle
 * workers refill it, any worker takes from it.
 *
 * Worker threads are joinable; an exiting worker puts itself on the zombie
 * list, which the next spawn and the pool's end join.
 *
 * Suspension: each call runs on its own fiber (wasm/fiber.h). When it
 * sleeps (wf_fiber_sleep_until: WASI poll_oneoff on clocks, any host import)
 * the fiber suspends and its worker takes other work; the runtime's timer
 * puts it on the pool's resume queue at its wake-up time, and whichever
 * worker is free resumes it. So 1,000 sleeping calls need no more threads
 * than the pool's workers. A sleep ends early with TIMEOUT at the call's
 * deadline (max_execution_ms, or the caller's timeout) or on cancel. A pool
 * keeps at least one worker while any of its calls sleeps (a lazy pool does
 * not reap its last one), and resumed calls grow it like requests do.
 * Sleeping calls are running calls: they do not count against the queue's
 * `buffer`, and the pool's end waits for them as for any running call (their
 * deadlines bound the wait).
 */
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "runtime/rt_int.h"

struct rt_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;     /* workers wait for requests */
    pthread_cond_t space_cv;    /* submitters wait for queue room */
    pthread_cond_t exit_cv;     /* the pool's end waits for workers */
    rt_fn *fn;
    rt_job *head, *tail;
    size_t queued, cap;
    uint32_t nworkers, nidle, min_workers, max_workers;
    uint64_t idle_ns;           /* reap idle workers beyond min after this; 0 = never */
    bool ready;                 /* keep ready instances in the stash */
    void **stash;               /* ready instances, never used */
    uint32_t nstash, stash_cap, npreparing;
    uint32_t stash_size;        /* static: `size`; 0 = one per live worker */
    bool prepare_failed;        /* stop refilling until a call succeeds in preparing */
    bool stopping;
    pthread_t *zombies;
    size_t nzombies, zcap;
    /* Suspended jobs: asleep in the timer, or on the resume queue. */
    rt_job *rhead, *rtail;      /* woken, waiting for a worker */
    uint32_t nsuspended, nresumable;
};

static void to_timespec(uint64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

pthread_mutex_t *rt_pool_mutex(rt_pool *p)
{
    return &p->mu;
}

static void join_zombies(rt_pool *p)
{
    /* Each zombie released the mutex for the last time before we could see
     * it, and takes no lock on its way out: joining here cannot deadlock. */
    for (size_t i = 0; i < p->nzombies; i++) pthread_join(p->zombies[i], NULL);
    p->nzombies = 0;
}

void rt_pool_unqueue(rt_pool *p, rt_job *job)
{
    rt_job **pp = &p->head, *prev = NULL;
    while (*pp && *pp != job) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = job->next;
    if (p->tail == job) p->tail = prev;
    job->next = NULL;
    p->queued--;
    pthread_cond_signal(&p->space_cv);
    rt_job_unref_locked(job);   /* the queue's ref */
}

static void *worker_main(void *arg);

/* With mu held: how many ready instances the stash should hold now. */
static uint32_t stash_target(const rt_pool *p)
{
    if (!p->ready || p->prepare_failed) return 0;
    return p->stash_size ? p->stash_size : p->nworkers;
}

/* With mu held: start one worker; false when the system refuses a thread. */
static bool spawn(rt_pool *p)
{
    join_zombies(p);
    pthread_t th;
    if (pthread_create(&th, NULL, worker_main, p) != 0) return false;
    p->nworkers++;
    (void)th;   /* joined through the zombie list when it exits */
    return true;
}

/* With mu held: may an idle worker exit? Never the last one while jobs
 * sleep: a lazy pool that reaped its workers must still resume them. */
static bool may_reap(const rt_pool *p)
{
    return p->nworkers > p->min_workers && (p->nsuspended == 0 || p->nworkers > 1);
}

/* With mu held: put a suspended job on the resume queue (ahead of new
 * requests: it already holds its instance and its fiber). */
static void resume_locked(rt_pool *p, rt_job *job)
{
    job->sleep = SLEEP_NONE;
    job->next = NULL;
    if (p->rtail) p->rtail->next = job; else p->rhead = job;
    p->rtail = job;
    p->nresumable++;
    pthread_cond_signal(&p->work_cv);
    /* Like a request: more runnable jobs than idle workers grows the pool
     * (a lazy pool may have reaped all but one worker meanwhile). */
    if (p->nresumable > p->nidle && p->nworkers < p->max_workers && !p->stopping) spawn(p);
}

void rt_job_wake_locked(rt_job *job)
{
    if (job->sleep == SLEEP_ASLEEP) resume_locked(job->fn->pool, job);
    else if (job->sleep == SLEEP_ARMING) job->wake_early = true;
}

/* The timer thread (its lock held): a sleeping job's time came. */
static void on_wake(wf_deadline *d)
{
    rt_job *job = (rt_job *)((char *)d - offsetof(rt_job, wake));
    rt_pool *p = job->fn->pool;
    pthread_mutex_lock(&p->mu);
    rt_job_wake_locked(job);
    pthread_mutex_unlock(&p->mu);
}

/* On the job's fiber: the hook behind wf_fiber_sleep_until (WASI
 * poll_oneoff on clocks). The fiber suspends; its worker hands the wake-up
 * to the timer once the fiber is off its stack, and takes other work. The
 * call's deadline (max_execution_ms, the caller's timeout) and a cancel end
 * the sleep early with TIMEOUT. */
static wf_error *job_sleep(void *ctx, wf_fiber *f, uint64_t until)
{
    (void)f;
    rt_job *job = ctx;
    for (;;) {
        if (__atomic_load_n(&job->interrupt, __ATOMIC_RELAXED))
            return wf_error_new(WF_ERR_TIMEOUT, "interrupted while asleep");
        uint64_t now = wf_now_ns(), dl = job->deadline_ns;
        if (dl && now >= dl) {
            /* The timer sets the flag at the same time; do not wait for it. */
            __atomic_store_n(&job->interrupt, 1, __ATOMIC_RELAXED);
            return wf_error_new(WF_ERR_TIMEOUT, "the deadline passed while asleep");
        }
        if (now >= until) return NULL;
        job->wake.at_ns = dl && dl < until ? dl : until;
        job->sleep_pending = true;
        wf_fiber_suspend();
        /* Resumed, maybe early (cancel): no wake-up of this sleep may stay
         * in the timer or still be firing once we go on. */
        wf_timer_remove(job->fn->rt->timer, &job->wake);
    }
}

/* The job's fiber: instantiate (unless a ready instance came), run, discard. */
static void job_main(void *arg)
{
    rt_job *job = arg;
    rt_fn *fn = job->fn;
    void *inst = job->inst;
    job->inst = NULL;
    wf_error *err = NULL;
    if (!inst) err = fn->kind->prepare(fn->fn, &inst);
    wf_val result = { 0 };
    if (!err) {
        err = rt_exec(fn, inst, job->args, job->nargs, &result, &job->interrupt,
                      &job->cancelled, job->caller_deadline_ns, job->start_ns, &job->deadline_ns);
        fn->kind->release(fn->fn, inst);
    }
    job->result = result;   /* nobody reads it before JOB_DONE */
    job->run_err = err;
}

/* With mu held: the next request, or NULL when it timed out in the queue
 * (finished here). Its state becomes RUNNING with a ready instance. */
static rt_job *take_request_locked(rt_pool *p)
{
    rt_job *job = p->head;
    p->head = job->next;
    if (!p->head) p->tail = NULL;
    job->next = NULL;
    p->queued--;
    pthread_cond_signal(&p->space_cv);
    if (job->caller_deadline_ns && wf_now_ns() >= job->caller_deadline_ns) {
        rt_job_finish_locked(job, wf_error_new(WF_ERR_TIMEOUT,
            "%s: timed out after %llu ms waiting for a worker", p->fn->id,
            (unsigned long long)((job->caller_deadline_ns - job->start_ns) / 1000000u)));
        rt_job_unref_locked(job);
        return NULL;
    }
    job->state = JOB_RUNNING;
    job->inst = p->nstash ? p->stash[--p->nstash] : NULL;
    return job;
}

/* With mu held, dropped meanwhile: run job on its fiber until it ends or
 * suspends, then hand it on (done, to the timer, or back to the resume
 * queue for a plain yield). */
static void run_locked(rt_pool *p, rt_job *job)
{
    rt_fn *fn = p->fn;
    pthread_mutex_unlock(&p->mu);
    if (!job->fiber) {
        job->fiber = wf_fiber_new(job_main, job);
        if (!job->fiber) {
            if (job->inst) fn->kind->release(fn->fn, job->inst);
            job->inst = NULL;
            job->run_err = wf_error_new(WF_ERR_LIMIT, "%s: cannot map a fiber stack", fn->id);
        } else {
            wf_fiber_sleeper sl = { .sleep_until = job_sleep, .ctx = job };
            wf_fiber_set_sleeper(job->fiber, &sl);
            job->wake.fire = on_wake;
        }
    }
    bool done = !job->fiber || wf_fiber_resume(job->fiber);
    if (done) {
        if (job->fiber) wf_fiber_free(job->fiber);
        job->fiber = NULL;
        pthread_mutex_lock(&p->mu);
        if (!job->run_err) p->prepare_failed = false;
        rt_job_finish_locked(job, job->run_err);
        job->run_err = NULL;
        rt_job_unref_locked(job);
        if (p->stopping) pthread_cond_broadcast(&p->work_cv);   /* maybe the last sleeper */
        return;
    }
    if (job->sleep_pending) {
        /* Only now, with the fiber off its stack, may anyone resume it. */
        job->sleep_pending = false;
        pthread_mutex_lock(&p->mu);
        job->sleep = SLEEP_ARMING;
        job->wake_early = false;
        p->nsuspended++;
        pthread_mutex_unlock(&p->mu);
        wf_timer_add(fn->rt->timer, &job->wake);   /* not under mu: lock order */
        pthread_mutex_lock(&p->mu);
        if (job->wake_early) resume_locked(p, job);
        else job->sleep = SLEEP_ASLEEP;
        return;
    }
    /* A plain wf_fiber_suspend from a host function: a yield. */
    pthread_mutex_lock(&p->mu);
    p->nsuspended++;
    resume_locked(p, job);
}

static void *worker_main(void *arg)
{
    rt_pool *p = arg;
    rt_fn *fn = p->fn;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        bool reap = false;
        while (!p->head && !p->rhead && !(p->stopping && p->nsuspended == 0)) {
            if (!p->stopping && p->nstash + p->npreparing < stash_target(p)) {
                p->npreparing++;
                pthread_mutex_unlock(&p->mu);
                /* A failure here is reported by the call's own prepare. */
                void *ready = NULL;
                wf_error *e = fn->kind->prepare(fn->fn, &ready);
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
                    p->stash[p->nstash++] = ready;
                }
                continue;
            }
            p->nidle++;
            int rc = 0;
            if (p->idle_ns && may_reap(p) && !p->stopping) {
                struct timespec ts;
                to_timespec(wf_now_ns() + p->idle_ns, &ts);
                rc = pthread_cond_timedwait(&p->work_cv, &p->mu, &ts);
            } else {
                pthread_cond_wait(&p->work_cv, &p->mu);
            }
            p->nidle--;
            if (rc == ETIMEDOUT && !p->head && !p->rhead && may_reap(p)) {
                reap = true;
                break;
            }
        }
        if (reap || (!p->head && !p->rhead)) break;   /* reaped, or stopping with all done */
        rt_job *job;
        if (p->rhead) {
            /* Resumed sleepers first: they hold instances and stacks. */
            job = p->rhead;
            p->rhead = job->next;
            if (!p->rhead) p->rtail = NULL;
            job->next = NULL;
            p->nresumable--;
            p->nsuspended--;
        } else if (!(job = take_request_locked(p))) {
            continue;
        }
        run_locked(p, job);
    }
    p->nworkers--;
    if (p->nzombies == p->zcap) {
        p->zcap = p->zcap ? p->zcap * 2 : 8;
        p->zombies = wf_xrealloc(p->zombies, p->zcap * sizeof *p->zombies);
    }
    p->zombies[p->nzombies++] = pthread_self();
    pthread_cond_broadcast(&p->exit_cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

wf_error *rt_pool_new(rt_fn *fn, rt_pool **out)
{
    const wf_pool_config *c = &fn->opts.pool;
    rt_pool *p = wf_xcalloc(1, sizeof *p);
    p->fn = fn;
    pthread_mutex_init(&p->mu, NULL);
    cond_init(&p->work_cv);
    cond_init(&p->space_cv);
    cond_init(&p->exit_cv);
    uint32_t start = 0;
    switch (c->type) {
    case WF_RT_POOL_STATIC: {
        uint32_t w = c->workers ? c->workers : 1;
        p->min_workers = p->max_workers = start = w;
        p->cap = c->buffer ? c->buffer : (size_t)w * 64;
        p->ready = true;
        p->stash_size = c->size ? c->size : w;
        break;
    }
    case WF_RT_POOL_ADAPTIVE:
        p->max_workers = c->max_size ? c->max_size : 100;
        p->min_workers = 1;
        p->cap = (size_t)p->max_workers * 64;
        p->idle_ns = 5000000000u;
        p->ready = true;
        start = c->warm_start ? 1 : 0;
        break;
    default:   /* lazy */
        p->max_workers = c->max_size ? c->max_size : 16;
        p->min_workers = 0;
        p->cap = (size_t)p->max_workers * 64;
        p->idle_ns = 1000000000u;
        break;
    }
    pthread_mutex_lock(&p->mu);
    for (uint32_t i = 0; i < start; i++) {
        if (!spawn(p)) {
            pthread_mutex_unlock(&p->mu);
            rt_pool_free(p);
            return wf_error_new(WF_ERR_LIMIT, "%s: cannot start worker thread %u of %u",
                                fn->id, i + 1, start);
        }
    }
    pthread_mutex_unlock(&p->mu);
    *out = p;
    return NULL;
}

void rt_pool_free(rt_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->space_cv);
    while (p->nworkers > 0) pthread_cond_wait(&p->exit_cv, &p->mu);
    join_zombies(p);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i < p->nstash; i++) p->fn->kind->release(p->fn->fn, p->stash[i]);
    free(p->stash);
    free(p->zombies);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->space_cv);
    pthread_cond_destroy(&p->exit_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

wf_error *rt_pool_submit(rt_pool *p, rt_job *job)
{
    pthread_mutex_lock(&p->mu);
    while (!p->stopping && p->cap && p->queued >= p->cap) {
        if (!job->caller_deadline_ns) {
            pthread_cond_wait(&p->space_cv, &p->mu);
            continue;
        }
        struct timespec ts;
        to_timespec(job->caller_deadline_ns, &ts);
        if (pthread_cond_timedwait(&p->space_cv, &p->mu, &ts) == ETIMEDOUT &&
            p->queued >= p->cap) {
            pthread_mutex_unlock(&p->mu);
            return wf_error_new(WF_ERR_TIMEOUT,
                "%s: timed out after %llu ms waiting for room in the pool's queue (%zu requests)",
                p->fn->id, (unsigned long long)((job->caller_deadline_ns - job->start_ns) / 1000000u),
                p->cap);
        }
    }
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        return wf_error_new(WF_ERR_INTERNAL, "%s: the runtime is shutting down", p->fn->id);
    }
    if (p->queued >= p->nidle && p->nworkers < p->max_workers && !spawn(p) && p->nworkers == 0) {
        pthread_mutex_unlock(&p->mu);
        return wf_error_new(WF_ERR_LIMIT, "%s: cannot start a worker thread", p->fn->id);
    }
    job->refs++;
    job->state = JOB_QUEUED;
    if (p->tail) p->tail->next = job; else p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}
