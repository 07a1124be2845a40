/*
 * sched.c - the scheduler (sched.h): a FIFO run queue shared by the worker
 * threads, and the runtime's timer (timer.h) for wake-ups.
 *
 * A task's life: spawned -> queued -> running on a worker -> either done
 * (the fiber ends, the task is freed), or asleep: the sleeper callback
 * (running on the task's fiber) records its wake-up time and suspends; only
 * once the fiber is off its stack does the worker hand the task to the
 * timer, so no other worker can resume a fiber that is still switching out.
 * The timer's fire callback moves the task back to the run queue.
 */
#include <pthread.h>
#include <unistd.h>

#include "runtime/sched.h"
#include "runtime/timer.h"
#include "wasm/fiber.h"

typedef struct task {
    wf_deadline wake;           /* first: the timer's fire hands us the deadline */
    wf_sched *s;
    wf_fiber *fiber;
    wf_sched_fn fn;
    void *arg;
    uint64_t deadline_ns;       /* the call's own deadline, 0 = none */
    bool sleep_pending;         /* suspended to sleep: the worker arms the timer */
    struct task *next;
} task;

struct wf_sched {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;     /* workers wait for runnable tasks */
    pthread_cond_t idle_cv;     /* wait_idle waits for alive == 0 */
    task *head, *tail;          /* the run queue */
    uint32_t alive;             /* spawned and not yet done */
    bool stopping;
    wf_timer *timer;
    pthread_t *threads;
    unsigned nthreads;
    wf_sched_stats stats;
};

static void enqueue_locked(wf_sched *s, task *t)
{
    t->next = NULL;
    if (s->tail) s->tail->next = t; else s->head = t;
    s->tail = t;
    pthread_cond_signal(&s->work_cv);
}

/* Timer thread: a sleeping task's time came. */
static void on_wake(wf_deadline *d)
{
    task *t = (task *)d;
    pthread_mutex_lock(&t->s->mu);
    enqueue_locked(t->s, t);
    pthread_mutex_unlock(&t->s->mu);
}

/* On the task's fiber: the hook behind wf_fiber_sleep_until. */
static wf_error *task_sleep(void *ctx, wf_fiber *f, uint64_t until)
{
    (void)f;
    task *t = ctx;
    bool by_deadline = t->deadline_ns && t->deadline_ns <= until;
    uint64_t at = by_deadline ? t->deadline_ns : until;
    if (!by_deadline || at > wf_now_ns()) {
        t->wake.at_ns = at;
        t->sleep_pending = true;
        wf_fiber_suspend();
    }
    if (by_deadline)
        return wf_error_new(WF_ERR_TIMEOUT, "the call's deadline passed while it slept");
    return NULL;
}

static void task_main(void *arg)
{
    task *t = arg;
    t->fn(t->arg);
}

static void *worker_main(void *arg)
{
    wf_sched *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping) pthread_cond_wait(&s->work_cv, &s->mu);
        if (!s->head) break;    /* stopping, and every task has ended */
        task *t = s->head;
        s->head = t->next;
        if (!s->head) s->tail = NULL;
        pthread_mutex_unlock(&s->mu);

        bool done = wf_fiber_resume(t->fiber);

        if (!done && t->sleep_pending) {
            t->sleep_pending = false;
            pthread_mutex_lock(&s->mu);
            s->stats.sleeps++;
            pthread_mutex_unlock(&s->mu);
            wf_timer_add(s->timer, &t->wake);   /* may fire at once: on_wake queues it */
            pthread_mutex_lock(&s->mu);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        if (!done) {            /* a plain wf_fiber_suspend: a yield */
            enqueue_locked(s, t);
            continue;
        }
        s->stats.tasks_done++;
        if (--s->alive == 0) pthread_cond_broadcast(&s->idle_cv);
        pthread_mutex_unlock(&s->mu);
        wf_fiber_free(t->fiber);
        free(t);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

wf_sched *wf_sched_new(unsigned nworkers)
{
    if (!nworkers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nworkers = n > 0 ? (unsigned)n : 1;
    }
    wf_sched *s = wf_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->idle_cv, NULL);
    s->timer = wf_timer_new();
    s->threads = wf_xcalloc(nworkers, sizeof *s->threads);
    for (unsigned i = 0; i < nworkers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) break;
        s->nthreads++;
    }
    if (!s->nthreads) {
        wf_sched_free(s);
        return NULL;
    }
    return s;
}

void wf_sched_free(wf_sched *s)
{
    if (!s) return;
    wf_sched_wait_idle(s);
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->work_cv);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->nthreads; i++) pthread_join(s->threads[i], NULL);
    wf_timer_free(s->timer);
    free(s->threads);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->idle_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

unsigned wf_sched_workers(const wf_sched *s)
{
    return s->nthreads;
}

wf_error *wf_sched_spawn(wf_sched *s, wf_sched_fn fn, void *arg, uint64_t deadline_ns)
{
    task *t = wf_xcalloc(1, sizeof *t);
    t->fiber = wf_fiber_new(task_main, t);
    if (!t->fiber) {
        free(t);
        return wf_error_new(WF_ERR_LIMIT, "cannot map a fiber stack");
    }
    t->s = s;
    t->fn = fn;
    t->arg = arg;
    t->deadline_ns = deadline_ns;
    t->wake.fire = on_wake;
    wf_fiber_sleeper sl = { .sleep_until = task_sleep, .ctx = t };
    wf_fiber_set_sleeper(t->fiber, &sl);
    pthread_mutex_lock(&s->mu);
    s->alive++;
    if (s->alive > s->stats.max_alive) s->stats.max_alive = s->alive;
    enqueue_locked(s, t);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void wf_sched_wait_idle(wf_sched *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->alive) pthread_cond_wait(&s->idle_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void wf_sched_stats_get(wf_sched *s, wf_sched_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}
