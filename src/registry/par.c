/*
 * par.c - the registry load's independent per-item work (parsing each
 * _index.yaml, compiling each inline module) spread over the machine's
 * cores: a project of 100,000 entries spends most of its load there.
 *
 * Items are handed out one at a time from a shared counter (their costs
 * differ a lot: a file of 3 entries beside one of 1,000), and the calling
 * thread takes items too. Small loads stay on the calling thread: besides
 * the threads' start, the first thread a process makes moves glibc's malloc
 * off its single-threaded fast path for good (see wasm/compile_par.c).
 */
#include "registry/internal.h"

#include <unistd.h>

#define PAR_MAX_THREADS 8

typedef struct par_job {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    size_t next;            /* the next item to take (atomic) */
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (i >= j->n) return NULL;
        j->fn(j->ctx, i);
    }
}

void wf_reg_par_for(size_t n, bool worth_threads, void (*fn)(void *ctx, size_t i), void *ctx)
{
    par_job j = { .fn = fn, .ctx = ctx, .n = n, .next = 0 };
    long cores = worth_threads ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    size_t extra = cores > 1 ? (size_t)cores - 1 : 0;
    if (extra > PAR_MAX_THREADS - 1) extra = PAR_MAX_THREADS - 1;
    if (extra > n / 2) extra = n / 2;
    pthread_t th[PAR_MAX_THREADS];
    bool started[PAR_MAX_THREADS] = { false };
    for (size_t t = 0; t < extra; t++)
        started[t] = pthread_create(&th[t], NULL, par_worker, &j) == 0;
    par_worker(&j);      /* this thread too; alone when no thread started */
    for (size_t t = 0; t < extra; t++)
        if (started[t]) pthread_join(th[t], NULL);
}
