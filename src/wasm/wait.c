/*
 * wait.c - wakers, wait queues and parking (wait.h): the thread side (a
 * waker per thread, a condition variable to block on), the fiber side
 * handed to the running fiber's parker, the queue, and sleeping.
 */
#include <errno.h>
#include <time.h>

#include "wasm/fiber.h"
#include "wasm/wait.h"

uint64_t wf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void wf_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

int wf_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t at_ns)
{
    struct timespec ts = { .tv_sec = (time_t)(at_ns / 1000000000u),
                           .tv_nsec = (long)(at_ns % 1000000000u) };
    return pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- A thread's waker ------------------------------------------------------ */

typedef struct thread_waker {
    wf_waker w;                 /* first: wake gets a wf_waker * */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* on CLOCK_MONOTONIC */
    bool permit;
} thread_waker;

static __thread thread_waker *tls_waker;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void thread_wake(wf_waker *w)
{
    thread_waker *t = (thread_waker *)w;
    pthread_mutex_lock(&t->mu);
    t->permit = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* At thread exit: nobody holds the waker any more (a waiter takes its node
 * out of every queue before it goes on). */
static void thread_waker_free(void *p)
{
    thread_waker *t = p;
    tls_waker = NULL;   /* a later destructor that waits makes a new one */
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static void make_key(void)
{
    pthread_key_create(&g_key, thread_waker_free);
}

static thread_waker *thread_waker_get(void)
{
    thread_waker *t = tls_waker;
    if (WF_LIKELY(t)) return t;
    t = wf_xcalloc(1, sizeof *t);
    t->w.wake = thread_wake;
    pthread_mutex_init(&t->mu, NULL);
    wf_cond_init(&t->cv);
    pthread_once(&g_key_once, make_key);
    pthread_setspecific(g_key, t);
    tls_waker = t;
    return t;
}

static int thread_park(thread_waker *t, uint64_t until_ns)
{
    pthread_mutex_lock(&t->mu);
    while (!t->permit) {
        if (!until_ns) {
            pthread_cond_wait(&t->cv, &t->mu);
            continue;
        }
        if (wf_cond_wait_until(&t->cv, &t->mu, until_ns) == ETIMEDOUT) break;
    }
    bool woken = t->permit;
    t->permit = false;
    pthread_mutex_unlock(&t->mu);
    return woken ? WF_PARK_WOKEN : WF_PARK_TIMEOUT;
}

/* ---- Parking ------------------------------------------------------------------ */

wf_waker *wf_waker_current(void)
{
    const wf_fiber_parker *p = wf_fiber_parker_current();
    return p ? p->waker : &thread_waker_get()->w;
}

int wf_park(uint64_t until_ns)
{
    const wf_fiber_parker *p = wf_fiber_parker_current();
    if (p) return p->park(p->ctx, until_ns);
    return thread_park(thread_waker_get(), until_ns);
}

/* ---- Wait queues ---------------------------------------------------------------- */

void wf_waitq_add(wf_waitq *q, wf_wait_node *n)
{
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail) q->tail->next = n; else q->head = n;
    q->tail = n;
    n->queued = true;
}

void wf_waitq_remove(wf_waitq *q, wf_wait_node *n)
{
    if (!n->queued) return;
    if (n->prev) n->prev->next = n->next; else q->head = n->next;
    if (n->next) n->next->prev = n->prev; else q->tail = n->prev;
    n->prev = n->next = NULL;
    n->queued = false;
}

bool wf_waitq_wake_one(wf_waitq *q)
{
    wf_wait_node *n = q->head;
    if (!n) return false;
    wf_waitq_remove(q, n);
    wf_wake(n->waker);
    return true;
}

void wf_waitq_wake_all(wf_waitq *q)
{
    while (wf_waitq_wake_one(q)) {
    }
}

int wf_waitq_wait(wf_waitq *q, pthread_mutex_t *mu, uint64_t until_ns)
{
    wf_wait_node n = { .waker = wf_waker_current() };
    wf_waitq_add(q, &n);
    pthread_mutex_unlock(mu);
    int r = wf_park(until_ns);
    pthread_mutex_lock(mu);
    wf_waitq_remove(q, &n);
    return r;
}

/* ---- Sleeping --------------------------------------------------------------------- */

wf_error *wf_sleep_until(uint64_t deadline_ns)
{
    /* Nothing wakes this context on purpose: only the time, a stop, or a
     * stray permit (then we park again). */
    while (wf_now_ns() < deadline_ns) {
        if (wf_park(deadline_ns) == WF_PARK_STOPPED)
            return wf_error_new(WF_ERR_TIMEOUT, "the call was stopped while it slept");
    }
    return NULL;
}
