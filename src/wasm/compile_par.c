/*
 * compile_par.c - the code section's bodies validated on several threads
 * when the section is large (a 12 MB component's core module validates in
 * about half the time on two cores). Each body's validation only reads the
 * module's declarations and writes its own function's code (compile.c), so
 * bodies are independent; the caller gets every body's first error and
 * reports the one a sequential pass would have met first.
 */
#include <pthread.h>
#include <unistd.h>
#include "wasm/code.h"
#include "wasm/compile_par.h"

/* Below this many body bytes (validated in ~50 ms on one core), threads
 * are not worth it: besides their start, the first thread a process makes
 * moves glibc's malloc off its single-threaded fast path for good, which
 * costs a single-threaded embedder's instantiations ~0.2 us each. */
#define PAR_MIN_BYTES (4u << 20)
#define PAR_MAX_THREADS 4

typedef struct chunk {
    wf_module *m;
    wf_code_job *jobs;
    size_t from, to;
} chunk;

/* Validate jobs [from, to) in order, stopping at the first error (a later
 * body's error could never be the one reported). */
static void *run_chunk(void *arg)
{
    chunk *ch = arg;
    for (size_t i = ch->from; i < ch->to; i++) {
        wf_code_job *j = &ch->jobs[i];
        j->err = wf_code_compile(ch->m, j->func_index, j->body, j->len, j->offset);
        if (j->err) break;
    }
    return NULL;
}

static unsigned thread_count(size_t bytes, size_t njobs)
{
    if (bytes < PAR_MIN_BYTES || njobs < 2) return 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > PAR_MAX_THREADS) n = PAR_MAX_THREADS;
    if ((size_t)n > njobs) n = (long)njobs;
    return (unsigned)n;
}

size_t wf_code_compile_all(wf_module *m, wf_code_job *jobs, size_t njobs)
{
    size_t bytes = 0;
    for (size_t i = 0; i < njobs; i++) {
        jobs[i].err = NULL;
        bytes += jobs[i].len;
    }
    unsigned nt = thread_count(bytes, njobs);
    chunk ch[PAR_MAX_THREADS];
    pthread_t th[PAR_MAX_THREADS];
    bool started[PAR_MAX_THREADS] = { false };
    /* contiguous chunks of about equal bytes */
    size_t at = 0, acc = 0;
    for (unsigned t = 0; t < nt; t++) {
        ch[t] = (chunk){ m, jobs, at, at };
        size_t goal = bytes / nt * (t + 1);
        while (ch[t].to < njobs && (t == nt - 1 || acc < goal)) acc += jobs[ch[t].to++].len;
        at = ch[t].to;
    }
    for (unsigned t = 1; t < nt; t++)
        started[t] = pthread_create(&th[t], NULL, run_chunk, &ch[t]) == 0;
    run_chunk(&ch[0]);
    for (unsigned t = 1; t < nt; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else run_chunk(&ch[t]);     /* no thread to be had: here */
    }
    for (size_t i = 0; i < njobs; i++)
        if (jobs[i].err) return i;
    return njobs;
}
