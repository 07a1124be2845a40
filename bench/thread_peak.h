/*
 * thread_peak.h - the most threads a benchmark's process had at once,
 * sampled from /proc/self/status every millisecond by a thread of its own
 * (counted in the figure). Used by the sleep and socket scale benchmarks:
 *
 *   int before = thread_peak_now();
 *   pthread_t t; pthread_create(&t, NULL, thread_peak_sampler, NULL);
 *   ... the batch ...
 *   thread_peak_stop = 1; pthread_join(t, NULL);   // thread_peak_max
 */
#ifndef WF_BENCH_THREAD_PEAK_H
#define WF_BENCH_THREAD_PEAK_H

#include <stdio.h>
#include <unistd.h>

static volatile int thread_peak_stop;
static int thread_peak_max;

static int thread_peak_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

static void *thread_peak_sampler(void *arg)
{
    (void)arg;
    while (!thread_peak_stop) {
        int n = thread_peak_now();
        if (n > thread_peak_max) thread_peak_max = n;
        usleep(1000);
    }
    return NULL;
}

#endif
