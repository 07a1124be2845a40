/*
 * bench_call.c - the cost of one call of a trivial function through the
 * runtime's call path (wf_runtime_call, inline pool): a fresh store and
 * instance per call included. Prints the median of many single-call timings
 * in microseconds (and the 10th/90th percentiles) for a function with no
 * memory and one with a 1-page memory and a data segment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/runtime.h"
#include "runtime/timer.h"

#define CALLS 20000

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int measure(const char *label, const char *wat)
{
    wf_module *m;
    wf_error *e = wf_module_from_wat(wat, strlen(wat), &m);
    if (e) {
        fprintf(stderr, "bench_call: %s\n", e->message);
        wf_error_free(e);
        return 1;
    }
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "add", .pool = { .type = WF_RT_POOL_INLINE } };
    e = wf_runtime_add_wasm(rt, "bench:add", m, &cfg);
    if (e) {
        fprintf(stderr, "bench_call: %s\n", e->message);
        return 1;
    }
    static uint64_t ns[CALLS];
    wf_val args[2] = { wf_val_sint(WF_VAL_S32, 6), wf_val_sint(WF_VAL_S32, 7) };
    for (int i = -1000; i < CALLS; i++) {   /* the first 1000 warm up */
        wf_val r;
        uint64_t t0 = wf_now_ns();
        e = wf_runtime_call(rt, "bench:add", args, 2, &r, NULL);
        uint64_t t1 = wf_now_ns();
        if (e || r.of.s != 13) {
            fprintf(stderr, "bench_call: wrong call\n");
            return 1;
        }
        wf_val_free(&r);
        if (i >= 0) ns[i] = t1 - t0;
    }
    qsort(ns, CALLS, sizeof ns[0], cmp_u64);
    printf("%-34s median %7.2f us   p10 %7.2f us   p90 %7.2f us   (%d calls)\n", label,
           ns[CALLS / 2] / 1000.0, ns[CALLS / 10] / 1000.0, ns[CALLS * 9 / 10] / 1000.0, CALLS);
    wf_runtime_free(rt);
    wf_module_free(m);
    return 0;
}

int main(void)
{
    int rc = measure("add(6, 7), no memory",
        "(module (func (export \"add\") (param i32 i32) (result i32)"
        " local.get 0 local.get 1 i32.add))");
    rc |= measure("add(6, 7), 1-page memory + data",
        "(module (memory 1) (data (i32.const 16) \"hello\")"
        " (global (mut i32) (i32.const 0))"
        " (func (export \"add\") (param i32 i32) (result i32)"
        " local.get 0 local.get 1 i32.add))");
    return rc;
}
