/*
 * bench_sleep.c - 1,000 concurrent calls, each sleeping 100 ms inside a host
 * import (a WAT module importing `env.sleep_ms`, which calls
 * wf_sleep_until as WASI's poll_oneoff does), run as tasks of a scheduler
 * group of 2 worker threads (runtime/sched.h, what pools are made of). A sleeping call frees its worker, so the whole batch
 * takes about one sleep, not 1,000 / 2 of them. Each call gets a fresh
 * instance, as the runtime gives every call.
 *
 * The second figure is the same batch through the runtime's call path
 * (src/runtime): a function on a static pool of `workers` workers, the calls
 * started as futures (wf_call_future_start: wf_runtime_call's own path, made
 * concurrent) and waited for. Sleeping calls free the pool's workers too.
 *
 * The third is the issue's own case: a WASM function (wf_runtime_add_wasm,
 * WASI preview 1 linked) sleeping through poll_oneoff on one clock.
 *
 * Usage: bench_sleep [calls [workers [sleep_ms [tier]]]]; tier interp
 * (default) or compiled (wasm/jit.h: every module compiled with LLVM).
 */
#include <stdio.h>

#include "runtime/runtime.h"
#include "runtime/sched.h"
#include "wasm/jit.h"
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
    return wf_sleep_until(wf_now_ns() + (uint64_t)slots[0].u32 * 1000000u);
}

typedef struct job {
    wf_task task;
    const wf_module *m;
    int32_t arg, sleep, res;
    uint64_t start_ns, end_ns;
    wf_error *err;
} job;

static void one_call(wf_task *t)
{
    job *j = (job *)t;
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

/* ---- Through the runtime: a function kind running the same module ---------- */

typedef struct rt_inst {
    wf_store *store;
    wf_func *run;
} rt_inst;

static wf_error *k_prepare(void *fn, void **out)
{
    rt_inst *in = wf_xcalloc(1, sizeof *in);
    in->store = wf_store_new();
    wf_valtype p = WF_TYPE_I32;
    wf_extern im = { .kind = WF_EXTERN_FUNC,
                     .of.func = wf_func_new_host(in->store, wf_functype_get(&p, 1, NULL, 0), sleep_ms, NULL) };
    wf_instance *inst;
    wf_error *err = wf_instance_new(in->store, fn, &im, 1, &inst);
    wf_extern x;
    if (!err && !wf_instance_export(inst, "run", 3, &x)) err = wf_error_new(WF_ERR_NOT_FOUND, "no export run");
    if (err) {
        wf_store_free(in->store);
        free(in);
        return err;
    }
    in->run = x.of.func;
    *out = in;
    return NULL;
}

static wf_error *k_call(void *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                        const wf_fn_ctx *ctx)
{
    (void)fn; (void)nargs; (void)ctx;
    rt_inst *in = inst;
    wf_value a[2] = { { .type = WF_TYPE_I32 }, { .type = WF_TYPE_I32 } }, r;
    a[0].of.i32 = (int32_t)args[0].of.s;
    a[1].of.i32 = (int32_t)args[1].of.s;
    wf_error *err = wf_func_call(in->run, a, 2, &r, 1);
    if (!err) *result = wf_val_sint(WF_VAL_S32, r.of.i32);
    return err;
}

static void k_release(void *fn, void *inst)
{
    (void)fn;
    rt_inst *in = inst;
    wf_store_free(in->store);
    free(in);
}

static const wf_fn_kind bench_kind = {
    .name = "bench.sleep", .prepare = k_prepare, .call = k_call, .release = k_release,
};

/* Start calls futures of bench:sleep(i, sleep), wait for all: failures. */
static int run_futures(wf_runtime *rt, int calls, int sleep, uint64_t *total_ns)
{
    wf_error *err;
    wf_call_future **fs = wf_xcalloc((size_t)calls, sizeof *fs);
    int failed = 0;
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < calls; i++) {
        wf_val a[2] = { wf_val_sint(WF_VAL_S32, i), wf_val_sint(WF_VAL_S32, sleep) };
        if ((err = wf_call_future_start(rt, "bench:sleep", a, 2, NULL, &fs[i]))) {
            fprintf(stderr, "bench_sleep: %s\n", err->message);
            wf_error_free(err);
            failed++;
        }
    }
    for (int i = 0; i < calls; i++) {
        if (!fs[i]) continue;
        wf_call_future_wait(fs[i], -1);
        wf_val r;
        err = wf_call_future_take(fs[i], &r);
        if (err || r.of.s != i + 1) failed++;
        wf_error_free(err);
        wf_val_free(&r);
        wf_call_future_free(fs[i]);
    }
    *total_ns = wf_now_ns() - t0;
    free(fs);
    return failed;
}

/* The batch through the runtime; returns the failures, *total_ns the time. */
static int bench_runtime(wf_module *m, int calls, unsigned workers, int sleep, uint64_t *total_ns)
{
    wf_runtime *rt = wf_runtime_new();
    wf_fn_options o = { .pool = { .type = WF_RT_POOL_STATIC, .workers = workers } };
    wf_error *err = wf_runtime_add(rt, "bench:sleep", &bench_kind, m, &o);
    if (err) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        wf_error_free(err);
        wf_runtime_free(rt);
        return calls;
    }
    int failed = run_futures(rt, calls, sleep, total_ns);
    wf_runtime_free(rt);
    return failed;
}

/* ---- Through the runtime: a WASM function sleeping in WASI poll_oneoff ------ */

static const char *WASI_WAT =
    "(module"
    "  (import \"wasi_snapshot_preview1\" \"poll_oneoff\""
    "    (func $poll (param i32 i32 i32 i32) (result i32)))"
    "  (memory (export \"memory\") 1)"
    "  (func (export \"run\") (param i32 i32) (result i32)"
    "    (i32.store8 (i32.const 8) (i32.const 0))"        /* clock subscription */
    "    (i32.store (i32.const 16) (i32.const 1))"        /* monotonic */
    "    (i64.store (i32.const 24) (i64.mul (i64.extend_i32_u (local.get 1)) (i64.const 1000000)))"
    "    (i64.store (i32.const 32) (i64.const 0))"
    "    (i32.store16 (i32.const 40) (i32.const 0))"      /* relative */
    "    (if (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))"
    "      (then unreachable))"
    "    (i32.add (local.get 0) (i32.load (i32.const 128)))))";

static int bench_wasi(int calls, unsigned workers, int sleep, uint64_t *total_ns)
{
    wf_module *m;
    wf_error *err = wf_module_from_wat(WASI_WAT, strlen(WASI_WAT), &m);
    if (err) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        return calls;
    }
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "run", .wasi = { .preview1 = true },
                           .pool = { .type = WF_RT_POOL_STATIC, .workers = workers } };
    int failed = 0;
    if ((err = wf_runtime_add_wasm(rt, "bench:sleep", m, &cfg))) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        wf_error_free(err);
        failed = calls;
    } else {
        failed = run_futures(rt, calls, sleep, total_ns);
    }
    wf_runtime_free(rt);
    wf_module_free(m);
    return failed;
}

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 1000;
    unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
    int sleep = argc > 3 ? atoi(argv[3]) : 100;
    wf_tier tier = WF_TIER_INTERP;
    if (argc > 4 && (!wf_tier_parse(argv[4], &tier) || wf_jit_set_tier(tier))) {
        fprintf(stderr, "bench_sleep: tier '%s' is not available\n", argv[4]);
        return 2;
    }
    printf("tier: %s\n", tier == WF_TIER_INTERP ? "interpreted" : "compiled");
    wf_module *m;
    wf_error *err = wf_module_from_wat(WAT, strlen(WAT), &m);
    if (err) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        return 1;
    }
    wf_sched *s = wf_sched_new();
    wf_sched_group *g;
    wf_sched_group_config gc = { .min_workers = workers, .max_workers = workers,
                                 .start_workers = workers };
    if ((err = wf_sched_group_new(s, &gc, &g))) {
        fprintf(stderr, "bench_sleep: %s\n", err->message);
        return 1;
    }
    job *jobs = wf_xcalloc((size_t)calls, sizeof *jobs);
    uint64_t t0 = wf_now_ns();
    for (int i = 0; i < calls; i++) {
        jobs[i] = (job){ .task.run = one_call, .m = m, .arg = i, .sleep = sleep };
        if (wf_sched_submit(g, &jobs[i].task, 0) != WF_SUBMIT_OK) {
            fprintf(stderr, "bench_sleep: cannot submit call %d\n", i);
            return 1;
        }
    }
    wf_sched_group_wait_idle(g);
    uint64_t total = wf_now_ns() - t0;
    wf_sched_stats st;
    wf_sched_group_stats(g, &st);
    wf_sched_group_free(g);
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
           (unsigned long long)st.parks, st.max_alive);
    printf("  overhead/call    %8.1f us   (total - one sleep, per call)\n",
           total > (uint64_t)sleep * 1000000u ? (total - (uint64_t)sleep * 1000000u) / 1e3 / calls : 0.0);
    printf("  failed           %8d\n", failed);
    free(jobs);

    uint64_t rt_total = 0;
    int rt_failed = bench_runtime(m, calls, workers, sleep, &rt_total);
    printf("through the runtime (wf_call_future_start/wait/take, a static pool of %u workers)\n",
           workers);
    printf("  total            %8.1f ms   (limit 1000 ms)\n", rt_total / 1e6);
    printf("  overhead/call    %8.1f us   (total - one sleep, per call)\n",
           rt_total > (uint64_t)sleep * 1000000u ? (rt_total - (uint64_t)sleep * 1000000u) / 1e3 / calls : 0.0);
    printf("  failed           %8d\n", rt_failed);
    wf_module_free(m);

    uint64_t wasi_total = 0;
    int wasi_failed = bench_wasi(calls, workers, sleep, &wasi_total);
    printf("a WASM function sleeping in WASI poll_oneoff (wf_runtime_add_wasm, static pool of %u)\n",
           workers);
    printf("  total            %8.1f ms   (limit 1000 ms)\n", wasi_total / 1e6);
    printf("  overhead/call    %8.1f us   (total - one sleep, per call)\n",
           wasi_total > (uint64_t)sleep * 1000000u ? (wasi_total - (uint64_t)sleep * 1000000u) / 1e3 / calls : 0.0);
    printf("  failed           %8d\n", wasi_failed);
    bool slow = calls == 1000 && sleep == 100 &&
                (total >= 1000000000u || rt_total >= 1000000000u || wasi_total >= 1000000000u);
    return failed || rt_failed || wasi_failed || slow ? 1 : 0;
}
