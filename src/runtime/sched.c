/*
 * sched.c - the scheduler (sched.h): groups of worker threads, their run
 * queues, the task life cycle and the parker behind wf_park on a task.
 *
 * A task's life, under its group's lock:
 *   QUEUED   submitted, not started (the new queue; counts against the cap)
 *   RUNNABLE woken from a park (the resume queue, served first: it holds a
 *            fiber and maybe an instance)
 *   RUNNING  on a worker (or switching out to park)
 *   PARKED   suspended, its fiber off every stack; a wake makes it RUNNABLE
 *   HOMED    woken, and taken by its owner's home hook instead of the resume
 *            queue: the owner resumes it on a thread of its own
 *            (wf_sched_resume_here: an event loop that is woken anyway to
 *            send what the task writes), saving a worker's wake-up
 * and it is freed by its owner (done) once its fiber ended.
 *
 * Parking without losing a wake: the task, on its fiber, sets `parking` and
 * suspends; only once the fiber is off its stack does its worker arm the
 * wake-up in the timer and mark it PARKED (unless a wake came meanwhile:
 * that left a permit, and the task goes straight back to the resume queue).
 * So no other worker can resume a fiber that is still switching out.
 *
 * Waiting for a group (room in its queue, its tasks' end, its workers'
 * end) uses wait queues under a lock of their own, wmu, woken after mu is
 * released: a waiter may be a task of the same group, whose wake takes mu.
 *
 * Worker threads are joinable; one that leaves puts itself on the zombie
 * list, which the next start and the group's end join (so the group outlives
 * every worker's last step).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "runtime/sched.h"
#include "wasm/code.h"

enum { T_QUEUED = 1, T_RUNNABLE, T_RUNNING, T_PARKED, T_HOMED };

struct wf_sched {
    wf_timer *timer;
};

struct wf_sched_group {
    wf_sched *s;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;     /* idle workers wait for tasks */
    wf_sched_group_config c;
    wf_task *qhead, *qtail;     /* QUEUED */
    wf_task *rhead, *rtail;     /* RUNNABLE */
    size_t queued, runnable;
    uint32_t alive;             /* submitted and not ended */
    uint32_t nworkers, nidle;
    uint32_t nsignaled;         /* idle workers signaled and not yet back from their wait */
    bool stopping;
    pthread_mutex_t wmu;        /* guards the two wait queues */
    wf_waitq space;             /* submitters waiting for room in the queue */
    wf_waitq quiet;             /* waiting for alive == 0 or nworkers == 0 */
    /* Threads in wait_for on quiet (under mu): when none, a group going
     * idle has nobody to wake, and skips wmu (a group that runs one task
     * at a time, an HTTP loop's, goes idle at every task's end). */
    uint32_t quiet_waiting;
    pthread_t *zombies;
    size_t nzombies, zcap;
    wf_sched_stats stats;
};

static __thread wf_task *tls_task;
static __thread void *tls_local;

/* Out of line: a task's code may move between threads (fiber.c). */
__attribute__((noinline)) wf_task *wf_task_current(void)
{
    return tls_task;
}

__attribute__((noinline)) static void set_task(wf_task *t)
{
    tls_task = t;
}

__attribute__((noinline)) void **wf_sched_local(void)
{
    wf_task *t = wf_task_current();
    return t ? &t->local : &tls_local;
}

/* ---- The scheduler ------------------------------------------------------- */

wf_sched *wf_sched_new(void)
{
    wf_sched *s = wf_xcalloc(1, sizeof *s);
    s->timer = wf_timer_new();
    return s;
}

void wf_sched_free(wf_sched *s)
{
    if (!s) return;
    wf_timer_free(s->timer);
    free(s);
}

wf_timer *wf_sched_timer(wf_sched *s)
{
    return s->timer;
}

/* ---- Workers ------------------------------------------------------------------ */

static void *worker_main(void *arg);

static void join_zombies(wf_sched_group *g)
{
    /* Each zombie released the lock for the last time before we could see
     * it, and takes no lock on its way out: joining cannot deadlock. */
    for (size_t i = 0; i < g->nzombies; i++) pthread_join(g->zombies[i], NULL);
    g->nzombies = 0;
}

/* With mu held: start one worker; false when the system refuses a thread. */
static bool spawn(wf_sched_group *g)
{
    join_zombies(g);
    pthread_t th;
    if (pthread_create(&th, NULL, worker_main, g) != 0) return false;
    g->nworkers++;
    return true;
}

/* Without mu: wake everyone waiting in q (they re-check). */
static void notify(wf_sched_group *g, wf_waitq *q)
{
    pthread_mutex_lock(&g->wmu);
    wf_waitq_wake_all(q);
    pthread_mutex_unlock(&g->wmu);
}

/* With mu held (held again on return): wait in q until ready(g), until_ns
 * or the waiter's stop. WF_PARK_WOKEN once ready, else why it gave up. */
static int wait_for(wf_sched_group *g, wf_waitq *q, bool (*ready)(const wf_sched_group *),
                    uint64_t until_ns)
{
    uint32_t *waiting = q == &g->quiet ? &g->quiet_waiting : NULL;
    int rc = WF_PARK_WOKEN;
    if (waiting) (*waiting)++;
    while (!ready(g)) {
        wf_wait_node n = { .waker = wf_waker_current() };
        pthread_mutex_unlock(&g->mu);
        pthread_mutex_lock(&g->wmu);
        wf_waitq_add(q, &n);
        pthread_mutex_unlock(&g->wmu);
        /* Queued first, checked second: a change after the check wakes us. */
        pthread_mutex_lock(&g->mu);
        bool ok = ready(g);
        pthread_mutex_unlock(&g->mu);
        int r = ok ? WF_PARK_WOKEN : wf_park(until_ns);
        pthread_mutex_lock(&g->wmu);
        wf_waitq_remove(q, &n);
        pthread_mutex_unlock(&g->wmu);
        pthread_mutex_lock(&g->mu);
        if (r != WF_PARK_WOKEN && !ready(g)) {
            rc = r;
            break;
        }
    }
    if (waiting) (*waiting)--;
    return rc;
}

static bool has_room(const wf_sched_group *g)
{
    return g->stopping || !g->c.queue_cap || g->queued < g->c.queue_cap;
}

static bool no_task(const wf_sched_group *g)
{
    return g->alive == 0;
}

static bool no_worker(const wf_sched_group *g)
{
    return g->nworkers == 0;
}

/* With mu held: more runnable tasks than idle workers grows the group. */
static void grow_locked(wf_sched_group *g)
{
    if (g->queued + g->runnable > g->nidle && g->nworkers < g->c.max_workers && !g->stopping)
        spawn(g);
}

/* With mu held: a task was queued or made runnable. An idle worker is
 * signaled only when the tasks waiting outnumber the workers signaled
 * already and not yet running: each further signal would wake a thread
 * that finds nothing (under load, most wake-ups were such, a context
 * switch each). */
static void signal_worker_locked(wf_sched_group *g)
{
    if (g->nidle > g->nsignaled && g->queued + g->runnable > g->nsignaled) {
        g->nsignaled++;
        pthread_cond_signal(&g->work_cv);
    }
}

static void make_runnable_locked(wf_sched_group *g, wf_task *t)
{
    t->state = T_RUNNABLE;
    t->next = NULL;
    if (g->rtail) g->rtail->next = t; else g->rhead = t;
    g->rtail = t;
    g->runnable++;
    signal_worker_locked(g);
    grow_locked(g);
}

/* With mu held: a parked task is woken: to its home when it has one that
 * takes it, else to the resume queue. */
static void wake_locked(wf_sched_group *g, wf_task *t)
{
    if (t->home && !g->stopping && t->home(t)) {
        t->state = T_HOMED;
        return;
    }
    make_runnable_locked(g, t);
}

static void task_wake(wf_waker *w)
{
    wf_task *t = (wf_task *)((char *)w - offsetof(wf_task, waker));
    wf_sched_group *g = t->g;
    pthread_mutex_lock(&g->mu);
    if (t->state == T_PARKED) wake_locked(g, t);
    else if (t->state == T_RUNNING) t->permit = true;
    pthread_mutex_unlock(&g->mu);
}

void wf_task_wake(wf_task *t)
{
    task_wake(&t->waker);
}

/* The timer thread (its lock held): a park's time came. */
static void on_timer(wf_deadline *d)
{
    wf_task *t = (wf_task *)((char *)d - offsetof(wf_task, wake_at));
    task_wake(&t->waker);
}

/* Must the task stop? Its deadline passing sets its flag: the call's code
 * (wasm) stops on it too. */
static bool stopped(wf_task *t, uint64_t now)
{
    if (t->interrupt) {
        uint32_t v = __atomic_load_n(t->interrupt, __ATOMIC_RELAXED), yield = WF_INTERRUPT_YIELD;
        /* A yield request is met by the park itself (it frees the thread). */
        if (v == WF_INTERRUPT_YIELD)
            __atomic_compare_exchange_n(t->interrupt, &yield, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
        else if (v)
            return true;
    }
    if (t->deadline_ns && now >= t->deadline_ns) {
        if (t->interrupt) __atomic_store_n(t->interrupt, 1, __ATOMIC_RELAXED);
        return true;
    }
    return false;
}

/* The parker, on the task's fiber (wf_park). */
static int task_park(void *ctx, uint64_t until_ns)
{
    wf_task *t = ctx;
    wf_sched_group *g = t->g;
    uint64_t now = wf_now_ns();
    if (stopped(t, now)) return WF_PARK_STOPPED;
    if (until_ns && now >= until_ns) return WF_PARK_TIMEOUT;
    uint64_t at = until_ns;
    if (t->deadline_ns && (!at || t->deadline_ns < at)) at = t->deadline_ns;
    pthread_mutex_lock(&g->mu);
    if (t->permit) {
        t->permit = false;
        pthread_mutex_unlock(&g->mu);
        return WF_PARK_WOKEN;
    }
    t->parking = true;
    t->park_until = at;
    pthread_mutex_unlock(&g->mu);
    wf_fiber_suspend();
    /* Resumed, maybe on another worker, maybe before the time: no wake-up
     * of this park may stay in the timer or still be firing once we go on. */
    if (at) wf_timer_remove(g->s->timer, &t->wake_at);
    now = wf_now_ns();
    if (stopped(t, now)) return WF_PARK_STOPPED;
    if (until_ns && now >= until_ns) return WF_PARK_TIMEOUT;
    return WF_PARK_WOKEN;
}

static void task_main(void *arg)
{
    wf_task *t = arg;
    t->run(t);
}

/* The slice of t ended before its calls: arm what they held back. */
static void arm_held(wf_task *t)
{
    for (wf_deadline *d = t->held; d; d = d->next_held) {
        d->held = false;
        wf_timer_add(d->held_timer, d);   /* fires at once when due */
    }
    t->held = NULL;
}

void wf_task_deadline_add(wf_timer *timer, wf_task *t, wf_deadline *d)
{
    if (t && t->slice_end_ns && d->at_ns > t->slice_end_ns) {
        d->held = true;
        d->held_timer = timer;
        d->next_held = t->held;
        t->held = d;
        return;
    }
    wf_timer_add(timer, d);
}

void wf_task_deadline_remove(wf_timer *timer, wf_task *t, wf_deadline *d)
{
    if (!d->held) {
        wf_timer_remove(timer, d);
        return;
    }
    /* Still held: the slice has not ended; calls nest, so d is near the front. */
    wf_deadline **pp = &t->held;
    while (*pp != d) pp = &(*pp)->next_held;
    *pp = d->next_held;
    d->held = false;
}

/* With mu held, dropped meanwhile: run t until it ends or suspends, then
 * hand it on (ended, parked, or back to the resume queue for a yield). */
static bool run_locked(wf_sched_group *g, wf_task *t, bool from_queue)
{
    t->state = T_RUNNING;
    pthread_mutex_unlock(&g->mu);
    if (from_queue) notify(g, &g->space);
    if (!t->fiber && !t->no_stack) {
        t->fiber = wf_fiber_new(task_main, t);
        if (t->fiber) {
            wf_fiber_parker p = { .park = task_park, .waker = &t->waker, .ctx = t };
            wf_fiber_set_parker(t->fiber, &p);
        } else {
            t->no_stack = true;
        }
    }
    set_task(t);
    bool ended = !t->fiber || wf_fiber_resume(t->fiber);
    set_task(NULL);
    /* Parked or yielded: it may run elsewhere once the group's lock below
     * is dropped, which orders this store for that thread. Written once
     * only (a task that is no longer solo may be read by its owner's
     * thread while it runs on another). */
    if (!ended && t->solo) t->solo = false;
    /* A bounded slice that ends before the task: the deadlines it held
     * back are armed before the task can run on (on this thread, unbounded,
     * or on another: the group's lock below orders the stores for it). */
    t->slice_end_ns = 0;
    if (!ended && t->held) arm_held(t);
    if (ended) {
        if (t->fiber) wf_fiber_free(t->fiber);
        t->fiber = NULL;
        wf_task_fn done = t->done;
        bool solo = t->solo;
        if (solo) {
            /* Nobody else has seen t (it never parked: no waker of it was
             * left anywhere), so its state needs no lock; the count goes
             * with alive's below: one lock round trip less per task run
             * to its end by wf_sched_run_here (most HTTP handlers). */
            t->state = 0;
        } else {
            pthread_mutex_lock(&g->mu);
            g->stats.tasks_done++;
            t->state = 0;
            pthread_mutex_unlock(&g->mu);
        }
        if (done) done(t);      /* t may be gone after this */
        pthread_mutex_lock(&g->mu);
        if (solo) g->stats.tasks_done++;
        if (--g->alive == 0) {
            /* An ending group's workers leave; idle ones of a live group
             * have nothing to do (waking them for nothing would cost a
             * context switch per task run by wf_sched_run_here). */
            if (g->stopping) pthread_cond_broadcast(&g->work_cv);
            /* A waiter counts itself under mu before it checks: one that
             * comes after this sees alive == 0 and does not wait. */
            if (g->quiet_waiting) {
                pthread_mutex_unlock(&g->mu);
                notify(g, &g->quiet);
                pthread_mutex_lock(&g->mu);
            }
        }
        return true;
    }
    if (t->parking) {
        t->parking = false;
        if (t->park_until) {
            t->wake_at.at_ns = t->park_until;
            wf_timer_add(g->s->timer, &t->wake_at);    /* may fire at once: it wakes t */
        }
        pthread_mutex_lock(&g->mu);
        g->stats.parks++;
        if (t->permit) {
            t->permit = false;
            wake_locked(g, t);
        } else {
            t->state = T_PARKED;
        }
        return false;
    }
    /* A plain wf_fiber_suspend: a yield (to the workers, never home: a
     * slice made to yield leaves its home thread to others). */
    pthread_mutex_lock(&g->mu);
    make_runnable_locked(g, t);
    return false;
}

/* With mu held: the next task to run, resumed ones first. */
static wf_task *next_locked(wf_sched_group *g, bool *from_queue)
{
    wf_task *t = g->rhead;
    *from_queue = false;
    if (t) {
        g->rhead = t->next;
        if (!g->rhead) g->rtail = NULL;
        g->runnable--;
    } else if ((t = g->qhead)) {
        g->qhead = t->next;
        if (!g->qhead) g->qtail = NULL;
        g->queued--;
        *from_queue = true;
    }
    if (t) t->next = NULL;
    return t;
}

/* With mu held: may an idle worker leave? Never the last one while tasks
 * live (parked ones must be resumed). */
static bool may_reap(const wf_sched_group *g)
{
    return g->nworkers > g->c.min_workers && (g->alive == 0 || g->nworkers > 1);
}

static void *worker_main(void *arg)
{
    wf_sched_group *g = arg;
    bool idle_done = false;     /* the idle hook found nothing since the last wait */
    pthread_mutex_lock(&g->mu);
    for (;;) {
        bool from_queue;
        wf_task *t = next_locked(g, &from_queue);
        if (t) {
            run_locked(g, t, from_queue);
            continue;
        }
        if (g->stopping && g->alive == 0) break;
        if (g->c.idle && !g->stopping && !idle_done) {
            /* Without mu: back at the top, what happened meanwhile (a task
             * queued, the group stopping) is seen before any wait. */
            uint32_t n = g->nworkers;
            pthread_mutex_unlock(&g->mu);
            idle_done = !g->c.idle(g->c.ud, n);
            pthread_mutex_lock(&g->mu);
            continue;
        }
        /* Going idle: the stack kept for this thread's next task gives back
         * what a deep call committed (a probe; rarely more). */
        wf_fiber_trim_spare();
        g->nidle++;
        int rc = 0;
        if (g->c.idle_ns && !g->stopping && may_reap(g))
            rc = wf_cond_wait_until(&g->work_cv, &g->mu, wf_now_ns() + g->c.idle_ns);
        else
            pthread_cond_wait(&g->work_cv, &g->mu);
        g->nidle--;
        /* Back, signaled or not (a timeout, a broadcast, a spurious
         * return): counted as one signal fewer on its way. Undercounting
         * costs only a wake-up more later; and this worker looks at the
         * queues before it waits again. */
        if (g->nsignaled) g->nsignaled--;
        idle_done = false;
        if (rc == ETIMEDOUT && !g->qhead && !g->rhead && may_reap(g)) break;
    }
    g->nworkers--;
    if (g->nzombies == g->zcap) {
        g->zcap = g->zcap ? g->zcap * 2 : 8;
        g->zombies = wf_xrealloc(g->zombies, g->zcap * sizeof *g->zombies);
    }
    g->zombies[g->nzombies++] = pthread_self();
    pthread_mutex_unlock(&g->mu);
    notify(g, &g->quiet);   /* the group's end joins us before it goes away */
    return NULL;
}

/* ---- Groups ------------------------------------------------------------------ */

wf_error *wf_sched_group_new(wf_sched *s, const wf_sched_group_config *c, wf_sched_group **out)
{
    wf_sched_group *g = wf_xcalloc(1, sizeof *g);
    g->s = s;
    g->c = *c;
    if (!g->c.max_workers) g->c.max_workers = 1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_mutex_init(&g->wmu, NULL);
    wf_cond_init(&g->work_cv);
    pthread_mutex_lock(&g->mu);
    for (uint32_t i = 0; i < c->start_workers; i++) {
        if (!spawn(g)) {
            pthread_mutex_unlock(&g->mu);
            wf_sched_group_free(g);
            return wf_error_new(WF_ERR_LIMIT, "cannot start worker thread %u of %u", i + 1,
                                c->start_workers);
        }
    }
    pthread_mutex_unlock(&g->mu);
    *out = g;
    return NULL;
}

void wf_sched_group_free(wf_sched_group *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_broadcast(&g->work_cv);
    /* Tasks left with no worker (one could not be started): try again. */
    if (g->alive && !g->nworkers) spawn(g);
    pthread_mutex_unlock(&g->mu);
    notify(g, &g->space);
    pthread_mutex_lock(&g->mu);
    wait_for(g, &g->quiet, no_worker, 0);
    join_zombies(g);
    pthread_mutex_unlock(&g->mu);
    free(g->zombies);
    pthread_cond_destroy(&g->work_cv);
    pthread_mutex_destroy(&g->wmu);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

uint32_t wf_sched_group_workers(wf_sched_group *g)
{
    pthread_mutex_lock(&g->mu);
    uint32_t n = g->nworkers;
    pthread_mutex_unlock(&g->mu);
    return n;
}

void wf_sched_group_wait_idle(wf_sched_group *g)
{
    pthread_mutex_lock(&g->mu);
    wait_for(g, &g->quiet, no_task, 0);
    pthread_mutex_unlock(&g->mu);
}

void wf_sched_group_stats(wf_sched_group *g, wf_sched_stats *out)
{
    pthread_mutex_lock(&g->mu);
    *out = g->stats;
    pthread_mutex_unlock(&g->mu);
}

/* ---- Tasks --------------------------------------------------------------------- */

/* With mu held: t becomes g's (alive, not queued yet). */
static void adopt_locked(wf_sched_group *g, wf_task *t)
{
    t->g = g;
    t->waker.wake = task_wake;
    t->wake_at = (wf_deadline){ .fire = on_timer };
    t->fiber = NULL;
    t->no_stack = t->permit = t->parking = t->solo = false;
    t->held = NULL;
    t->next = NULL;
    if (++g->alive > g->stats.max_alive) g->stats.max_alive = g->alive;
}

int wf_sched_run_here(wf_sched_group *g, wf_task *t, bool *ended)
{
    if (ended) *ended = false;
    pthread_mutex_lock(&g->mu);
    if (g->stopping) {
        pthread_mutex_unlock(&g->mu);
        return WF_SUBMIT_STOPPED;
    }
    adopt_locked(g, t);
    t->solo = true;   /* on this thread only, until it parks or yields */
    /* This thread may itself be running a task (never the case on a loop,
     * kept right anyway): it is that task's again afterwards. */
    wf_task *outer = wf_task_current();
    bool done = run_locked(g, t, false);
    pthread_mutex_unlock(&g->mu);
    set_task(outer);
    if (ended) *ended = done;
    return WF_SUBMIT_OK;
}

int wf_sched_submit(wf_sched_group *g, wf_task *t, uint64_t until_ns)
{
    /* What a solo task shares with its owner goes without a lock; t may be
     * given it (an HTTP handler's pooled call writes the exchange) and run
     * on a worker at once, long before the submitter parks. So the
     * submitter is solo no longer: this store is ordered for t's worker by
     * the group's lock below, and for the owner it is its own thread's. */
    wf_task *cur = wf_task_current();
    if (cur && cur->solo) cur->solo = false;
    pthread_mutex_lock(&g->mu);
    if (wait_for(g, &g->space, has_room, until_ns) != WF_PARK_WOKEN) {
        pthread_mutex_unlock(&g->mu);
        return WF_SUBMIT_FULL;
    }
    if (g->stopping) {
        pthread_mutex_unlock(&g->mu);
        return WF_SUBMIT_STOPPED;
    }
    if (g->queued + g->runnable >= g->nidle && g->nworkers < g->c.max_workers && !spawn(g) &&
        !g->nworkers) {
        pthread_mutex_unlock(&g->mu);
        return WF_SUBMIT_NO_WORKER;
    }
    adopt_locked(g, t);
    t->state = T_QUEUED;
    if (g->qtail) g->qtail->next = t; else g->qhead = t;
    g->qtail = t;
    g->queued++;
    signal_worker_locked(g);
    pthread_mutex_unlock(&g->mu);
    return WF_SUBMIT_OK;
}

bool wf_sched_resume_here(wf_task *t)
{
    wf_sched_group *g = t->g;
    wf_task *outer = wf_task_current();
    pthread_mutex_lock(&g->mu);
    bool done = run_locked(g, t, false);
    pthread_mutex_unlock(&g->mu);
    set_task(outer);
    return done;
}

void wf_sched_send_back(wf_task *t)
{
    wf_sched_group *g = t->g;
    pthread_mutex_lock(&g->mu);
    make_runnable_locked(g, t);
    pthread_mutex_unlock(&g->mu);
}

bool wf_sched_unqueue(wf_task *t)
{
    wf_sched_group *g = t->g;
    pthread_mutex_lock(&g->mu);
    bool found = false;
    if (t->state == T_QUEUED) {
        wf_task **pp = &g->qhead, *prev = NULL;
        while (*pp != t) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        *pp = t->next;
        if (g->qtail == t) g->qtail = prev;
        t->next = NULL;
        t->state = 0;
        g->queued--;
        if (--g->alive == 0 && g->stopping) pthread_cond_broadcast(&g->work_cv);
        found = true;
    }
    pthread_mutex_unlock(&g->mu);
    if (found) {
        notify(g, &g->space);
        notify(g, &g->quiet);
    }
    return found;
}
