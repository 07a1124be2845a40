/*
 * timer.c - the deadline heap and its thread (see timer.h). The thread is
 * started on the first wf_timer_add, so runtimes without limits cost none.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "runtime/timer.h"

struct wf_timer {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, stopping;
    /* What the thread sleeps until while it waits (UINT64_MAX: for an add;
     * 0: not waiting yet). An add wakes it only for an earlier deadline:
     * calls whose deadlines come after the one it waits for (the common
     * case: each request's call has one, seconds away) cost it no wake-up. */
    uint64_t sleeping_until;
    wf_deadline **heap;
    size_t n, cap;
};

static void heap_set(wf_timer *t, size_t i, wf_deadline *d)
{
    t->heap[i] = d;
    d->pos = i + 1;
}

static void sift_up(wf_timer *t, size_t i)
{
    wf_deadline *d = t->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (t->heap[p]->at_ns <= d->at_ns) break;
        heap_set(t, i, t->heap[p]);
        i = p;
    }
    heap_set(t, i, d);
}

static void sift_down(wf_timer *t, size_t i)
{
    wf_deadline *d = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->n) break;
        if (c + 1 < t->n && t->heap[c + 1]->at_ns < t->heap[c]->at_ns) c++;
        if (t->heap[c]->at_ns >= d->at_ns) break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, d);
}

/* Remove heap[i]; the caller holds mu. */
static void heap_remove(wf_timer *t, size_t i)
{
    t->heap[i]->pos = 0;
    t->n--;
    if (i == t->n) return;
    heap_set(t, i, t->heap[t->n]);
    sift_down(t, i);
    sift_up(t, t->heap[i]->pos - 1);
}

static void *timer_main(void *arg)
{
    wf_timer *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stopping) {
        if (t->n == 0) {
            t->sleeping_until = UINT64_MAX;
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        uint64_t now = wf_now_ns();
        wf_deadline *d = t->heap[0];
        if (d->at_ns <= now) {
            heap_remove(t, 0);
            /* d stays alive while we hold the lock: its owner removes it
             * under the lock before it goes away. */
            if (d->fire) d->fire(d);
            else __atomic_store_n(d->flag, 1, __ATOMIC_RELAXED);
            continue;
        }
        /* A deadline removed meanwhile makes this a wake-up for nothing,
         * which is cheap: it then sleeps until the next. */
        t->sleeping_until = d->at_ns;
        wf_cond_wait_until(&t->cv, &t->mu, d->at_ns);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

wf_timer *wf_timer_new(void)
{
    wf_timer *t = wf_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    wf_cond_init(&t->cv);
    return t;
}

void wf_timer_free(wf_timer *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_signal(&t->cv);
    bool started = t->started;
    pthread_mutex_unlock(&t->mu);
    if (started) pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t->heap);
    free(t);
}

void wf_timer_add(wf_timer *t, wf_deadline *d)
{
    pthread_mutex_lock(&t->mu);
    if (!t->started) {
        /* Without a thread no deadline can fire; fall back to firing now
         * would be wrong, so retry creation at the next add. */
        t->started = pthread_create(&t->thread, NULL, timer_main, t) == 0;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->heap = wf_xrealloc(t->heap, t->cap * sizeof *t->heap);
    }
    t->heap[t->n++] = d;
    sift_up(t, t->n - 1);
    if (d->pos == 1 && d->at_ns < t->sleeping_until) pthread_cond_signal(&t->cv);   /* due before its wake-up */
    pthread_mutex_unlock(&t->mu);
}

void wf_timer_remove(wf_timer *t, wf_deadline *d)
{
    pthread_mutex_lock(&t->mu);
    if (d->pos) heap_remove(t, d->pos - 1);
    pthread_mutex_unlock(&t->mu);
}
