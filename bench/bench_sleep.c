/*
 * bench_sleep.c - 1,000 concurrent calls, each sleeping 100 ms inside a host
 * import (a WAT module importing `env.sleep_ms`, which calls the hook
 * wf_fiber_sleep_until that WASI's poll_oneoff uses), run by the scheduler
 * on 2 worker threads. A sleeping call frees its worker, so the whole batch
 * takes about one sleep, not 1,000 / 2 of them. Each call gets a fresh
 * instance, as the runtime gives every call.
 *
 * Usage: bench_sleep [calls [workers [sleep_ms]]]
 */
#include <stdio.h>

#include "runtime/sched.h"
#include "runtime/timer.h"
#include "wasm/fiber.h"
#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wasm/types.h"

static const char *WAT =
    "(module (import \"env\" \"sleep_ms\" (func $sleep (param i32)))"
    "  (func (export \"run\") (param i32 i32) (result i32)"
    "    (call $sleep (local.get 1))"
    "    (i32.add (local.get 0) (i32.const 1))))";

static wf_error *sleep_ms(wf_caller *c, void *env, wf_slot *slots)
{
    (void)c; (void)env;
    return wf_fiber_sleep_until(wf_fiber_now_ns() + (uint64_t)slots[0].u32 * 1000000u);
}

typedef struct job {
    const wf_module *m;
    int32_t arg, sleep, res;
    uint64_t start_ns, end_ns;
    wf_error *err;
} job;

static void one_call(void *arg)
{
    job *j = arg;
    j->start_ns = wf_now_ns();
    wf_store *s = wf_store_new();
    wf_valtype p = WF_TYPE_I32;
    wf_extern im = { .kind = WF_EXTERN_FUNC,
                     .of.func = wf_func_new_host(s, wf_functype_get(&p, 1, NULL, 0), sleep_ms, NULL) };
    wf_instance *inst;
    j->err = wf_instance_new(s, j->m, &im, 1, &inst);
    wf_extern x;
    if (!j->err && !wf_instance_export(inst, "run", 3, &x))
        j->err = wf_error_new(WF_ERR_NOT_FOUND, "no export run");
    if (!j->err) {
        wf_value a[2] = { { .type = WF_TYPE_I32 }, { .type = WF_TYPE_I32 } }, r;
        a[0].of.i32 = j->arg;
        a[1].of.i32 = j->sleep;
        j->err = wf_func_call(x.of.func, a, 2, &r, 1);
        if (!j->err) j->res = r.of.i32;
    }
    wf_store_free(s);
    j->end_ns = wf_now_ns();
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 1000;
    unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
    int sleep = argc > 3 ? atoi(argv[3]) : 100;
    wf_module *m;
    wf_error *err = wf_module_from_wat(WAT, strlen(WAT), &m);
    if (err) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        return 1;
    }
    wf_sched *s = wf_sched_new(workers);
    if (!s) {
        fprintf(stderr, "bench_sleep: no worker threads\n");
        return 1;
    }
    job *jobs = wf_xcalloc((size_t)calls, sizeof *jobs);
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < calls; i++) {
        jobs[i] = (job){ .m = m, .arg = i, .sleep = sleep };
        if ((err = wf_sched_spawn(s, one_call, &jobs[i], 0))) {
            fprintf(stderr, "bench_sleep: %s\n", err->message);
            return 1;
        }
    }
    wf_sched_wait_idle(s);
    uint64_t total = wf_now_ns() - t0;
    wf_sched_stats st;
    wf_sched_stats_get(s, &st);
    wf_sched_free(s);

    int failed = 0;
    uint64_t sum = 0, worst = 0;
    for (int i = 0; i < calls; i++) {
        if (jobs[i].err || jobs[i].res != i + 1) failed++;
        uint64_t d = jobs[i].end_ns - jobs[i].start_ns;
        sum += d;
        if (d > worst) worst = d;
    }
    double serial = (double)calls * sleep / 1000.0 / workers;
    printf("calls %d, each sleeping %d ms, on %u worker threads\n", calls, sleep, workers);
    printf("  total            %8.1f ms   (limit 1000 ms; blocking workers would take %.1f s)\n",
           total / 1e6, serial);
    printf("  per call mean    %8.1f ms   worst %.1f ms\n", sum / 1e6 / calls, worst / 1e6);
    printf("  suspensions      %8llu      most calls alive at once %u\n",
           (unsigned long long)st.sleeps, st.max_alive);
    printf("  overhead/call    %8.1f us   (total - one sleep, per call)\n",
           total > (uint64_t)sleep * 1000000u ? (total - (uint64_t)sleep * 1000000u) / 1e3 / calls : 0.0);
    printf("  failed           %8d\n", failed);
    free(jobs);
    wf_module_free(m);
    return failed || (calls == 1000 && sleep == 100 && total >= 1000000000u) ? 1 : 0;
}
