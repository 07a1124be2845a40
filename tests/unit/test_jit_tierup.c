/* test_jit_tierup.c - the auto tier (src/wasm/jit/jit.c): a module starts
 * interpreted and its functions switch to compiled code, one unit at a
 * time, while other threads keep calling them: every result stays right,
 * a call in flight across the switch included, and in the end every
 * function runs natively. Units of one function each (WASMFN_JIT_UNIT_BYTES)
 * so that compiled code also calls functions not compiled yet, and the
 * reverse. The background compilation takes the most called units first
 * (the interpreter's call counts). Skipped in a build without the tier. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "wasm/interp.h"
#include "wasm/jit.h"
#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wat_env.h"

/* work(n): n rounds of a direct call, an indirect call and a call_ref:
 * the sum is 6 per round (inc adds 1, twice adds 2, thrice adds 3). */
static const char *WAT =
    "(module"
    " (type $t (func (param i32) (result i32)))"
    " (table 2 funcref) (elem (i32.const 0) $twice $thrice)"
    " (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
    " (func $twice (param i32) (result i32) (call $inc (call $inc (local.get 0))))"
    " (func $thrice (param i32) (result i32) (call $inc (call $twice (local.get 0))))"
    " (func $round (param i32) (result i32)"
    "   (call_indirect (type $t) (call $inc (local.get 0)) (i32.const 0))"
    "   (call_ref $t (ref.func $thrice)))"
    " (elem declare func $thrice)"
    " (func (export \"work\") (param i32) (result i32) (local i32)"
    "   (block (loop (br_if 1 (i32.eqz (local.get 0)))"
    "     (local.set 1 (call $round (local.get 1)))"
    "     (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))"
    "   (local.get 1)))";

typedef struct caller {
    wf_module *m;
    int32_t n;              /* rounds per call */
    int once;               /* one call only */
    volatile int *stop;
    long calls, wrong;
    char err[160];
} caller;

static void *calls(void *arg)
{
    caller *c = arg;
    wf_store *s = wf_store_new();
    wf_instance *inst = NULL;
    wf_error *e = wf_instance_new(s, c->m, NULL, 0, &inst);
    wf_extern x;
    if (!e && !wf_instance_export(inst, "work", 4, &x)) e = wf_error_new(WF_ERR_INTERNAL, "no export work");
    while (!e && !__atomic_load_n(c->stop, __ATOMIC_ACQUIRE)) {
        wf_value a = { .type = WF_TYPE_I32 }, r[1];
        a.of.i32 = c->n;
        e = wf_func_call(x.of.func, &a, 1, r, 1);
        if (e) break;
        c->calls++;
        if (r[0].of.i32 != 6 * c->n) c->wrong++;
        if (c->once) break;
    }
    if (e) {
        snprintf(c->err, sizeof c->err, "%s", e->message);
        wf_error_free(e);
    }
    wf_store_free(s);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_tier_up_while_running(void **state)
{
    (void)state;
    wf_signals_install();
    setenv("WASMFN_JIT_UNIT_BYTES", "1", 1);
    wf_jit_set_cache_dir(NULL);
    assert_null(wf_jit_set_tier(WF_TIER_AUTO));
    wf_module *m = NULL;
    wf_error *e = wf_module_from_wat(WAT, strlen(WAT), &m);
    if (e) fail_msg("module: %s", e->message);

    volatile int stop = 0;
    enum { NSHORT = 2 };
    caller shorts[NSHORT], inflight = { .m = m, .n = 3 * 1000 * 1000, .once = 1, .stop = &stop };
    pthread_t th[NSHORT], th_long;
    /* The long call starts interpreted and crosses the switch. */
    assert_int_equal(pthread_create(&th_long, NULL, calls, &inflight), 0);
    for (int i = 0; i < NSHORT; i++) {
        shorts[i] = (caller){ .m = m, .n = 1000, .stop = &stop };
        assert_int_equal(pthread_create(&th[i], NULL, calls, &shorts[i]), 0);
    }
    /* Until every unit is compiled (generous: a loaded CI machine). */
    wf_jit_stats st = { 0 };
    double t0 = now_s();
    for (;;) {
        assert_true(wf_jit_module_stats(m, &st));
        if (!st.pending || now_s() - t0 > 300) break;
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.ndefined, 5);
    assert_int_equal(st.ncompiled, 5);
    /* A few more calls each, all native now. */
    long before[NSHORT];
    for (int i = 0; i < NSHORT; i++) before[i] = __atomic_load_n(&shorts[i].calls, __ATOMIC_RELAXED);
    for (int i = 0; i < NSHORT; i++)
        while (__atomic_load_n(&shorts[i].calls, __ATOMIC_RELAXED) < before[i] + 20 && !shorts[i].err[0] &&
               now_s() - t0 < 600) {
            struct timespec ts = { 0, 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    stop = 1;
    for (int i = 0; i < NSHORT; i++) pthread_join(th[i], NULL);
    pthread_join(th_long, NULL);
    for (int i = 0; i < NSHORT; i++) {
        assert_string_equal(shorts[i].err, "");
        assert_int_equal(shorts[i].wrong, 0);
        assert_true(shorts[i].calls >= before[i] + 20);
    }
    assert_string_equal(inflight.err, "");
    assert_int_equal(inflight.calls, 1);
    assert_int_equal(inflight.wrong, 0);

    /* A module with the same bytes shares the code: native at once. */
    wf_module *m2 = NULL;
    e = wf_module_from_wat(WAT, strlen(WAT), &m2);
    if (e) fail_msg("module: %s", e->message);
    assert_true(wf_jit_module_stats(m2, &st));
    assert_int_equal(st.ncompiled, 5);
    assert_int_equal(st.pending, 0);
    caller again = { .m = m2, .n = 1000, .once = 1, .stop = &stop };
    stop = 0;
    calls(&again);
    assert_string_equal(again.err, "");
    assert_int_equal(again.wrong, 0);
    wf_module_free(m2);
    wf_module_free(m);
}

/* A module freed while the background thread still has its units: the
 * free waits for a translation in progress, the rest is dropped. */
static void test_free_while_compiling(void **state)
{
    (void)state;
    wf_jit_set_cache_dir(NULL);
    assert_null(wf_jit_set_tier(WF_TIER_AUTO));
    for (int i = 0; i < 20; i++) {
        /* different bytes each time: nothing shared, nothing cached */
        char wat[1024];
        snprintf(wat, sizeof wat,
                 "(module (func (export \"f\") (param i32) (result i32) (i32.add (local.get 0) (i32.const %d)))"
                 " (func (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))",
                 i);
        wf_module *m = NULL;
        wf_error *e = wf_module_from_wat(wat, strlen(wat), &m);
        if (e) fail_msg("module: %s", e->message);
        env en = { .m = m };
        en.s = wf_store_new();
        assert_null(wf_instance_new(en.s, m, NULL, 0, &en.inst));
        wf_value a = { .type = WF_TYPE_I32 }, r[1];
        a.of.i32 = 1;
        assert_null(wf_func_call(fn(&en, "f"), &a, 1, r, 1));
        assert_int_equal(r[0].of.i32, 1 + i);
        unload(&en);
    }
}

/* Function fi of m runs natively. */
static bool native(const wf_module *m, uint32_t fi)
{
    const wf_word *w = __atomic_load_n(&m->funcs[fi].code->words, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&w[0], __ATOMIC_ACQUIRE) == (wf_word)wf_interp_labels()[WF_IOP_JIT_ENTER];
}

/* The most called unit compiles first: cold (never called), warm (30
 * calls) and hot (300), a unit each, in that index order (a heat of
 * "called at all" would take warm first). */
static void test_hottest_first(void **state)
{
    (void)state;
    setenv("WASMFN_JIT_UNIT_BYTES", "1", 1);
    wf_jit_set_cache_dir(NULL);
    /* Loaded uncompiled; counted once the tier is auto. */
    assert_null(wf_jit_set_tier(WF_TIER_INTERP));
    /* cold is big (500 branches): its unit takes long enough to
     * compile that the order is seen before it is done. */
    size_t cap = 200 * 1000, len = 0;
    char *wat = malloc(cap);
    len += (size_t)snprintf(wat + len, cap - len, "(module (func (export \"cold\") (param i32) (result i32)");
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(wat + len, cap - len,
                                " (if (i32.gt_s (local.get 0) (i32.const %d))"
                                " (then (local.set 0 (i32.mul (local.get 0) (i32.const %d)))))",
                                i, i + 3);
    snprintf(wat + len, cap - len,
             " (i32.add (local.get 0) (i32.const 11)))"
             " (func (export \"warm\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 22)))"
             " (func (export \"hot\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 33))))");
    env en;
    load(&en, wat, NULL, 0);
    free(wat);
    assert_null(wf_jit_set_tier(WF_TIER_AUTO));
    const char *names[3] = { "cold", "warm", "hot" };
    int ncalls[3] = { 0, 30, 300 };
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < ncalls[k]; i++) {
            wf_value a = { .type = WF_TYPE_I32 }, r[1];
            a.of.i32 = i;
            assert_null(wf_func_call(fn(&en, names[k]), &a, 1, r, 1));
            assert_int_equal(r[0].of.i32, i + 11 * (k + 1));
        }
    for (int k = 0; k < 3; k++) assert_int_equal(wf_code_calls(en.m->funcs[k].code), ncalls[k]);
    assert_null(wf_jit_compile_module(en.m));
    /* Watch the units arrive (generous bound: a loaded CI machine). */
    wf_jit_stats st = { 0 };
    double t0 = now_s();
    bool seen1 = false, seen2 = false;
    while (now_s() - t0 < 300) {
        assert_true(wf_jit_module_stats(en.m, &st));
        bool n[3] = { native(en.m, 0), native(en.m, 1), native(en.m, 2) };
        if (st.ncompiled >= 1 && st.ncompiled < 3) {
            /* hot first, then warm: never cold before them, nor warm before hot */
            assert_true(n[2]);
            assert_false(n[0]);
            if (st.ncompiled == 2) assert_true(n[1]);
            seen1 |= st.ncompiled == 1;
            seen2 |= st.ncompiled == 2;
        }
        if (!st.pending) break;
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.ncompiled, 3);
    assert_true(seen1 || seen2);
    for (int k = 0; k < 3; k++) assert_true(native(en.m, k));
    unload(&en);
}

int main(void)
{
    if (!wf_jit_available()) {
        printf("test_jit_tierup: this build has no compiled tier\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tier_up_while_running),
        cmocka_unit_test(test_free_while_compiling),
        cmocka_unit_test(test_hottest_first),
    };
    int status = cmocka_run_group_tests(tests, NULL, NULL);
    wf_jit_exit(status);
    return status;
}
