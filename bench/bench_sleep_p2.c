/*
 * bench_sleep_p2.c - the WASI 0.2 sleep: N concurrent calls of the
 * original document's component (tests/fixtures/components/sleep.wasm,
 * `test-sleep#sleep-ms`: monotonic-clock subscribe-duration, then
 * pollable.block), each sleeping S ms, on a static pool of W worker threads,
 * started as futures through the runtime (wf_runtime_add_component, the
 * registry's path) and waited for. A blocked call suspends its fiber and
 * frees its worker, so the batch takes about one sleep plus the cost of
 * instantiating N components, on W threads.
 *
 * Prints the wall time, the most threads the process had at once (sampled
 * from /proc/self/status every millisecond), the peak RSS and the CPU time
 * (which a busy machine inflates less than the wall time).
 *
 * Usage: bench_sleep_p2 COMPONENT.wasm [calls [workers [sleep_ms]]]
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/file.h"
#include "component/component.h"
#include "runtime/runtime.h"
#include "wasm/wait.h"

#include "thread_peak.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sleep_p2 COMPONENT.wasm [calls [workers [sleep_ms]]]\n");
        return 2;
    }
    int calls = argc > 2 ? atoi(argv[2]) : 1000;
    unsigned workers = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
    int sleep_ms = argc > 4 ? atoi(argv[4]) : 100;
    uint8_t *bytes;
    size_t len;
    wf_component *c;
    wf_error *err = wf_file_read(argv[1], &bytes, &len);
    if (!err) err = wf_component_new(bytes, len, &c);
    if (err) {
        fprintf(stderr, "bench_sleep_p2: %s: %s\n", argv[1], err->message);
        return 1;
    }
    free(bytes);
    wf_runtime *rt = wf_runtime_new();
    const char *words[] = { "wasi:io", "wasi:clocks" };
    wf_component_config cfg = {
        .method = "test-sleep#sleep-ms",
        .pool = { .type = WF_RT_POOL_STATIC, .workers = workers, .size = workers },
        .imports = words, .nimports = 2,
    };
    if ((err = wf_runtime_add_component(rt, "bench:sleep", c, &cfg))) {
        fprintf(stderr, "bench_sleep_p2: %s\n", err->message);
        return 1;
    }
    pthread_t mon;
    pthread_create(&mon, NULL, thread_peak_sampler, NULL);
    int base_threads = thread_peak_now();

    wf_call_future **fs = wf_xcalloc((size_t)calls, sizeof *fs);
    int failed = 0;
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < calls; i++) {
        wf_val a = wf_val_uint(WF_VAL_U32, (uint64_t)sleep_ms);
        if ((err = wf_call_future_start(rt, "bench:sleep", &a, 1, NULL, &fs[i]))) {
            fprintf(stderr, "bench_sleep_p2: %s\n", err->message);
            wf_error_free(err);
            failed++;
        }
    }
    uint64_t started = wf_now_ns() - t0, slept_min = UINT64_MAX;
    for (int i = 0; i < calls; i++) {
        if (!fs[i]) continue;
        wf_call_future_wait(fs[i], -1);
        wf_val r;
        err = wf_call_future_take(fs[i], &r);
        if (err || r.kind != WF_VAL_U64 || r.of.u < (uint64_t)sleep_ms * 1000000u) failed++;
        else if (r.of.u < slept_min) slept_min = r.of.u;
        if (err && failed == 1) fprintf(stderr, "bench_sleep_p2: %s\n", err->message);
        wf_error_free(err);
        wf_val_free(&r);
        wf_call_future_free(fs[i]);
    }
    uint64_t total = wf_now_ns() - t0;
    thread_peak_stop = 1;
    pthread_join(mon, NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("component calls %d, each sleeping %d ms (wasi:clocks subscribe-duration + pollable.block), "
           "static pool of %u workers\n", calls, sleep_ms, workers);
    printf("  wall time        %8.1f ms   (all started after %.1f ms; blocking workers would take %.1f s)\n",
           total / 1e6, started / 1e6, (double)calls * sleep_ms / 1000.0 / workers);
    printf("  threads          %8d      at most (main and this sampler included), %d before the batch\n",
           thread_peak_max, base_threads);
    printf("  peak RSS         %8.1f MB\n", ru.ru_maxrss / 1024.0);
    printf("  CPU time         %8.1f ms   (user + system, all threads: the cost under a loaded machine)\n",
           (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
    printf("  failed           %8d      (shortest sleep %.1f ms)\n", failed,
           slept_min == UINT64_MAX ? 0.0 : slept_min / 1e6);
    free(fs);
    wf_runtime_free(rt);
    wf_component_free(c);
    return failed ? 1 : 0;
}
