/* test_runtime.c - the runtime's call path with WASM functions made from
 * WAT: a pristine instance per call, core number conversion and its errors,
 * each pool type, 64 concurrent callers on a small pool, back-pressure,
 * max_execution_ms on an infinite loop, max_memory_mb, max_stack_kb,
 * futures (wait, poll, cancel), unsatisfiable imports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "helpers.h"

#include "runtime/runtime.h"
#include "runtime/timer.h"

static const char *WAT =
    "(module"
    "  (global $g (mut i32) (i32.const 0))"
    "  (memory (export \"memory\") 1)"
    "  (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
    "  (func (export \"add64\") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)"
    "  (func (export \"half\") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul)"
    "  (func (export \"bump\") (result i32)"
    "    global.get $g i32.const 1 i32.add global.set $g"
    "    i32.const 0 i32.const 0 i32.load i32.const 1 i32.add i32.store"
    "    global.get $g i32.const 0 i32.load i32.add)"
    "  (data (i32.const 100) \"\\01\")"
    /* What a fresh instance holds (the data byte, zeros on pages 0, 4, 6
     * and the last), then garbage left there for the next call. */
    "  (func (export \"scribble\") (result i32)"
    "    (i32.add (i32.add (i32.load8_u (i32.const 100)) (i32.load (i32.const 20000)))"
    "             (i32.add (i32.load (i32.const 65532)) (i32.load (i32.const 40000))))"
    "    (i32.store8 (i32.const 100) (i32.const 7))"
    "    (i32.store (i32.const 104) (i32.const 3))"
    "    (i32.store (i32.const 20000) (i32.const -1))"
    "    (i32.store (i32.const 65532) (i32.const 5))"
    "    (memory.fill (i32.const 36000) (i32.const 9) (i32.const 8000)))"
    "  (func (export \"none\"))"
    "  (func (export \"two\") (result i32 f32) i32.const 7 f32.const 1.5)"
    "  (func (export \"spin\") (loop (br 0)))"
    "  (func (export \"slow\") (param i32) (result i32) (local i32)"
    "    (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    "      (br_if 0 (i32.lt_u (local.get 1) (i32.mul (local.get 0) (i32.const 100000)))))"
    "    local.get 0)"
    "  (func (export \"grow\") (param i32) (result i32) local.get 0 memory.grow)"
    "  (func $rec (export \"rec\") (param i32) (result i32)"
    "    local.get 0 i32.eqz if (result i32) i32.const 0 else"
    "    local.get 0 i32.const 1 i32.sub call $rec i32.const 1 i32.add end)"
    "  (func (export \"boom\") unreachable)"
    ")";

static wf_module *g_mod;

static int setup(void **state)
{
    (void)state;
    wf_error *e = wf_module_from_wat(WAT, strlen(WAT), &g_mod);
    if (e) fprintf(stderr, "module: %s\n", e->message);
    return e ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    wf_module_free(g_mod);
    return 0;
}

static wf_runtime *rt_with(const char *id, const char *method, wf_pool_type pt, uint32_t max,
                           wf_wasm_limits lim)
{
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = method, .pool = { .type = pt, .max_size = max, .workers = max },
                           .limits = lim };
    wf_error *e = wf_runtime_add_wasm(rt, id, g_mod, &cfg);
    if (e) fail_msg("add: %s", e->message);
    return rt;
}

static void add(wf_runtime *rt, const char *id, const char *method, wf_pool_type pt, uint32_t max,
                wf_wasm_limits lim)
{
    wf_wasm_config cfg = { .method = method, .pool = { .type = pt, .max_size = max, .workers = max },
                           .limits = lim };
    wf_error *e = wf_runtime_add_wasm(rt, id, g_mod, &cfg);
    if (e) fail_msg("add: %s", e->message);
}

static int64_t call_i(wf_runtime *rt, const char *id, int64_t a, int64_t b, size_t nargs)
{
    wf_val args[2] = { wf_val_sint(WF_VAL_S64, a), wf_val_sint(WF_VAL_S64, b) };
    wf_val r;
    wf_error *e = wf_runtime_call(rt, id, args, nargs, &r, NULL);
    if (e) fail_msg("call %s: %s", id, e->message);
    int64_t v = r.of.s;
    wf_val_free(&r);
    return v;
}

static wf_error *call_err(wf_runtime *rt, const char *id, const wf_val *args, size_t nargs,
                          uint32_t timeout_ms)
{
    wf_val r;
    wf_call_opts o = { .timeout_ms = timeout_ms };
    wf_error *e = wf_runtime_call(rt, id, args, nargs, &r, &o);
    if (!e) wf_val_free(&r);
    return e;
}

static const wf_pool_type all_pools[] = { WF_RT_POOL_INLINE, WF_RT_POOL_LAZY, WF_RT_POOL_STATIC,
                                          WF_RT_POOL_ADAPTIVE };

/* A global and a memory cell incremented per call always read 1 + 1. */
static void test_fresh_instance_per_call(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = rt_with("t:bump", "bump", all_pools[p], 2, (wf_wasm_limits){ 0 });
        for (int i = 0; i < 5; i++) assert_int_equal(call_i(rt, "t:bump", 0, 0, 0), 2);
        wf_runtime_free(rt);
    }
}

/* A call that writes a few pages of its memory far from its data (the
 * reset clears the pages written, not the whole memory) finds the data
 * and zeros again at the next call, in every pool. */
static void test_fresh_memory_per_call(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = rt_with("t:scribble", "scribble", all_pools[p], 2, (wf_wasm_limits){ 0 });
        for (int i = 0; i < 5; i++) assert_int_equal(call_i(rt, "t:scribble", 0, 0, 0), 1);
        wf_runtime_free(rt);
    }
}

static void test_core_values(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_limits nl = { 0 };
    add(rt, "t:add", "add", WF_RT_POOL_INLINE, 0, nl);
    add(rt, "t:add64", "add64", WF_RT_POOL_INLINE, 0, nl);
    add(rt, "t:half", "half", WF_RT_POOL_INLINE, 0, nl);
    add(rt, "t:none", "none", WF_RT_POOL_INLINE, 0, nl);
    add(rt, "t:two", "two", WF_RT_POOL_INLINE, 0, nl);
    assert_int_equal(call_i(rt, "t:add", 6, 7, 2), 13);
    assert_int_equal(call_i(rt, "t:add", -1, 0, 2), -1);
    assert_int_equal(call_i(rt, "t:add", 4294967295LL, 0, 2), -1);   /* u32 reading */
    assert_int_equal(call_i(rt, "t:add64", INT64_MAX, 0, 2), INT64_MAX);
    assert_int_equal(call_i(rt, "t:add", INT32_MIN, 0, 2), INT32_MIN);   /* the fast path's edges */
    assert_int_equal(call_i(rt, "t:add64", INT64_MIN, 0, 2), INT64_MIN);

    wf_val r, a = wf_val_f64(3.0);
    assert_null(wf_runtime_call(rt, "t:half", &a, 1, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_F64);
    assert_true(r.of.f64 == 1.5);
    a = wf_val_sint(WF_VAL_S32, 5);   /* an integer into an f64 parameter */
    assert_null(wf_runtime_call(rt, "t:half", &a, 1, &r, NULL));
    assert_true(r.of.f64 == 2.5);

    assert_null(wf_runtime_call(rt, "t:none", NULL, 0, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_TUPLE);
    assert_int_equal(r.of.agg.len, 0);
    wf_val_free(&r);
    assert_null(wf_runtime_call(rt, "t:two", NULL, 0, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_TUPLE);
    assert_int_equal(r.of.agg.len, 2);
    assert_int_equal(r.of.agg.items[0].kind, WF_VAL_S32);
    assert_int_equal(r.of.agg.items[0].of.s, 7);
    assert_int_equal(r.of.agg.items[1].kind, WF_VAL_F32);
    assert_true(r.of.agg.items[1].of.f32 == 1.5f);
    wf_val_free(&r);

    wf_val args[2] = { wf_val_sint(WF_VAL_S64, 4294967296LL), wf_val_sint(WF_VAL_S64, 1) };
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID,
               "parameter 1: 4294967296 is out of range for i32");
    args[0] = wf_val_sint(WF_VAL_S64, -2147483649LL);
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID,
               "parameter 1: -2147483649 is out of range for i32");
    /* unsigned values: u32's range fits i32, past it does not */
    args[0] = (wf_val){ .kind = WF_VAL_U64, .of.u = UINT32_MAX };
    assert_null(wf_runtime_call(rt, "t:add", args, 2, &r, NULL));
    assert_int_equal(r.of.s, 0);   /* 0xffffffff + 1 wraps */
    args[0] = (wf_val){ .kind = WF_VAL_U64, .of.u = (uint64_t)UINT32_MAX + 1 };
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID,
               "parameter 1: 4294967296 is out of range for i32");
    args[0] = wf_val_f64(1.5);
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID, "parameter 1: 1.5 is not an integer");
    args[0] = wf_val_sint(WF_VAL_S64, 1);
    args[1] = wf_val_string("x", 1);
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID,
               "parameter 2: expected a number (i32), got a string");
    /* a boolean is not a number (the one number rule) */
    wf_val_free(&args[1]);
    args[1] = wf_val_bool(true);
    expect_err(call_err(rt, "t:add", args, 2, 0), WF_ERR_INVALID,
               "parameter 2: expected a number (i32), got a boolean");
    expect_err(call_err(rt, "t:add", args, 1, 0), WF_ERR_INVALID, "expected 2 arguments, got 1");
    expect_err(call_err(rt, "t:nope", args, 1, 0), WF_ERR_NOT_FOUND, "no function t:nope");

    wf_fn_sig sig;
    assert_null(wf_runtime_signature(rt, "t:add", &sig));
    assert_null(sig.wit);
    assert_int_equal(sig.core->nparams, 2);
    expect_err(wf_runtime_signature(rt, "t:nope", &sig), WF_ERR_NOT_FOUND, "t:nope");
    wf_runtime_free(rt);
}

static void test_add_errors(void **state)
{
    (void)state;
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "missing" };
    expect_err(wf_runtime_add_wasm(rt, "t:x", g_mod, &cfg), WF_ERR_NOT_FOUND,
               "exports no function `missing`");
    cfg.method = "memory";
    expect_err(wf_runtime_add_wasm(rt, "t:x", g_mod, &cfg), WF_ERR_NOT_FOUND, "`memory`");
    cfg.method = "test-sleep#sleep-ms";
    expect_err(wf_runtime_add_wasm(rt, "t:x", g_mod, &cfg), WF_ERR_INVALID, "components");
    cfg.method = "add";
    assert_null(wf_runtime_add_wasm(rt, "t:x", g_mod, &cfg));
    expect_err(wf_runtime_add_wasm(rt, "t:x", g_mod, &cfg), WF_ERR_INVALID, "duplicate function ID t:x");
    wf_pool_type pt;
    assert_true(wf_pool_type_parse("adaptive", &pt));
    assert_int_equal(pt, WF_RT_POOL_ADAPTIVE);
    assert_false(wf_pool_type_parse("eager", &pt));
    assert_string_equal(wf_pool_type_name(WF_RT_POOL_STATIC), "static");
    wf_runtime_free(rt);
}

static void test_trap_and_imports(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = rt_with("t:boom", "boom", all_pools[p], 2, (wf_wasm_limits){ 0 });
        expect_err(call_err(rt, "t:boom", NULL, 0, 0), WF_ERR_TRAP, "unreachable");
        expect_err(call_err(rt, "t:boom", NULL, 0, 0), WF_ERR_TRAP, "unreachable");
        wf_runtime_free(rt);
    }
    const char *wat = "(module (import \"env\" \"log\" (func)) (func (export \"f\")))";
    wf_module *m;
    assert_null(wf_module_from_wat(wat, strlen(wat), &m));
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "f" };
    /* No host provides env.log: refused when added (SPEC §4 load error). */
    wf_error *e = wf_runtime_add_wasm(rt, "t:imp", m, &cfg);
    expect_err(e, WF_ERR_UNLINKABLE, "imports `env`.`log`, which no host provides");
    assert_false(wf_runtime_has(rt, "t:imp"));
    wf_runtime_free(rt);
    wf_module_free(m);
}

/* ---- Concurrency ------------------------------------------------------------ */

typedef struct caller_arg {
    wf_runtime *rt;
    const char *id;
    int index;
    int64_t got;
    wf_error *err;
    uint32_t timeout_ms;
} caller_arg;

static void *caller_main(void *p)
{
    caller_arg *c = p;
    wf_val args[2] = { wf_val_sint(WF_VAL_S32, c->index), wf_val_sint(WF_VAL_S32, 1000) };
    wf_val r;
    wf_call_opts o = { .timeout_ms = c->timeout_ms };
    c->err = wf_runtime_call(c->rt, c->id, args, 2, &r, &o);
    if (!c->err) {
        c->got = r.of.s;
        wf_val_free(&r);
    }
    return NULL;
}

static void run_callers(wf_runtime *rt, const char *id, int n)
{
    pthread_t th[64];
    caller_arg ca[64];
    for (int i = 0; i < n; i++) {
        ca[i] = (caller_arg){ .rt = rt, .id = id, .index = i };
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &ca[i]), 0);
    }
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++) {
        if (ca[i].err) fail_msg("caller %d: %s", i, ca[i].err->message);
        assert_int_equal(ca[i].got, i + 1000);
    }
}

static void test_64_callers_each_pool(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = rt_with("t:add", "add", all_pools[p], 4, (wf_wasm_limits){ 0 });
        run_callers(rt, "t:add", 64);
        wf_runtime_free(rt);
    }
}

static void test_static_small_buffer_no_drop(void **state)
{
    (void)state;
    /* 64 callers against 2 workers and room for 3 queued requests: the rest
     * wait for room (back-pressure) and all complete. */
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "add",
                           .pool = { .type = WF_RT_POOL_STATIC, .workers = 2, .buffer = 3 } };
    assert_null(wf_runtime_add_wasm(rt, "t:add", g_mod, &cfg));
    run_callers(rt, "t:add", 64);
    wf_runtime_free(rt);
}

static void test_backpressure_timeout(void **state)
{
    (void)state;
    /* One lazy worker busy for ~150+ ms: a second caller with a 30 ms timeout
     * fails with TIMEOUT while queued; a patient one completes. */
    wf_runtime *rt = rt_with("t:slow", "slow", WF_RT_POOL_LAZY, 1, (wf_wasm_limits){ 0 });
    wf_val big = wf_val_sint(WF_VAL_S32, 3000);
    wf_call_future *f1;
    assert_null(wf_call_future_start(rt, "t:slow", &big, 1, NULL, &f1));
    struct timespec ts = { 0, 5000000 };
    nanosleep(&ts, NULL);
    wf_val one = wf_val_sint(WF_VAL_S32, 1);
    uint64_t t0 = wf_now_ns();
    expect_err(call_err(rt, "t:slow", &one, 1, 30), WF_ERR_TIMEOUT, "waiting for a worker");
    uint64_t ms = (wf_now_ns() - t0) / 1000000u;
    assert_true(ms >= 25 && ms < 1000);
    wf_val r;
    assert_null(wf_runtime_call(rt, "t:slow", &one, 1, &r, NULL));
    assert_int_equal(r.of.s, 1);
    assert_true(wf_call_future_wait(f1, -1));
    assert_null(wf_call_future_take(f1, &r));
    assert_int_equal(r.of.s, 3000);
    expect_err(wf_call_future_take(f1, &r), WF_ERR_INVALID, "already taken");
    wf_call_future_free(f1);
    wf_runtime_free(rt);
}

static void test_infinite_loop_timeout(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = wf_runtime_new();
        wf_wasm_limits lim = { .max_execution_ms = 100 };
        add(rt, "t:spin", "spin", all_pools[p], 1, lim);
        add(rt, "t:add", "add", all_pools[p], 1, lim);
        for (int round = 0; round < 2; round++) {
            uint64_t t0 = wf_now_ns();
            expect_err(call_err(rt, "t:spin", NULL, 0, 0), WF_ERR_TIMEOUT, "max_execution_ms (100 ms)");
            uint64_t ms = (wf_now_ns() - t0) / 1000000u;
            if (ms < 100 || ms > 5000) fail_msg("pool %s: timed out after %llu ms",
                                               wf_pool_type_name(all_pools[p]), (unsigned long long)ms);
            /* The worker (or thread) is still usable. */
            assert_int_equal(call_i(rt, "t:add", 2, 3, 2), 5);
        }
        wf_runtime_free(rt);
    }
}

static void test_caller_timeout_interrupts(void **state)
{
    (void)state;
    wf_runtime *rt = rt_with("t:spin", "spin", WF_RT_POOL_LAZY, 1, (wf_wasm_limits){ 0 });
    uint64_t t0 = wf_now_ns();
    expect_err(call_err(rt, "t:spin", NULL, 0, 50), WF_ERR_TIMEOUT, "timed out after 50 ms");
    assert_true((wf_now_ns() - t0) / 1000000u < 5000);   /* stopped, not spinning on; generous for a loaded CI machine */
    wf_runtime_free(rt);
    rt = rt_with("t:spin", "spin", WF_RT_POOL_INLINE, 1, (wf_wasm_limits){ 0 });
    expect_err(call_err(rt, "t:spin", NULL, 0, 50), WF_ERR_TIMEOUT, "timed out after 50 ms");
    wf_runtime_free(rt);
}

/* A caller's own clock reading (wf_call_opts.now_ns: an HTTP handler's
 * request start) is the call's start: its timeout counts from it, on
 * every pool. */
static void test_caller_now_is_the_start(void **state)
{
    (void)state;
    for (size_t p = 0; p < WF_COUNT(all_pools); p++) {
        wf_runtime *rt = rt_with("t:spin", "spin", all_pools[p], 1, (wf_wasm_limits){ 0 });
        uint64_t t0 = wf_now_ns();
        wf_call_opts o = { .timeout_ms = 2000, .now_ns = t0 - 1950000000ull };
        wf_val r;
        expect_err(wf_runtime_call(rt, "t:spin", NULL, 0, &r, &o), WF_ERR_TIMEOUT, "timed out after 2000 ms");
        uint64_t ms = (wf_now_ns() - t0) / 1000000u;
        if (ms >= 1500) fail_msg("pool %s: stopped %llu ms after the call, not ~50 ms",
                                 wf_pool_type_name(all_pools[p]), (unsigned long long)ms);
        wf_runtime_free(rt);
    }
}

static void test_future_cancel_and_poll(void **state)
{
    (void)state;
    wf_runtime *rt = rt_with("t:spin", "spin", WF_RT_POOL_STATIC, 1, (wf_wasm_limits){ 0 });
    wf_call_future *running, *queued;
    assert_null(wf_call_future_start(rt, "t:spin", NULL, 0, NULL, &running));
    assert_null(wf_call_future_start(rt, "t:spin", NULL, 0, NULL, &queued));
    assert_false(wf_call_future_poll(running));
    assert_false(wf_call_future_wait(running, 20));
    wf_val r;
    expect_err(wf_call_future_take(running, &r), WF_ERR_INVALID, "still running");
    wf_call_future_cancel(queued);
    assert_true(wf_call_future_poll(queued));
    expect_err(wf_call_future_take(queued, &r), WF_ERR_TIMEOUT, "cancelled");
    wf_call_future_cancel(running);
    assert_true(wf_call_future_wait(running, 1000));
    expect_err(wf_call_future_take(running, &r), WF_ERR_TIMEOUT, "cancelled");
    wf_call_future_free(running);
    wf_call_future_free(queued);
    /* A future freed while running cleans up by itself. */
    assert_null(wf_call_future_start(rt, "t:spin", NULL, 0, NULL, &running));
    wf_call_future_free(running);
    wf_runtime_free(rt);
}

static void test_memory_limit(void **state)
{
    (void)state;
    wf_runtime *rt = rt_with("t:grow", "grow", WF_RT_POOL_INLINE, 0,
                             (wf_wasm_limits){ .max_memory_mb = 2 });   /* 32 pages */
    assert_int_equal(call_i(rt, "t:grow", 31, 0, 1), 1);     /* 1 -> 32 pages: old size 1 */
    assert_int_equal(call_i(rt, "t:grow", 32, 0, 1), -1);    /* 33 pages: refused */
    wf_runtime_free(rt);
    const char *wat = "(module (memory 64) (func (export \"f\")))";
    wf_module *m;
    assert_null(wf_module_from_wat(wat, strlen(wat), &m));
    rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = "f", .limits = { .max_memory_mb = 1 } };
    assert_null(wf_runtime_add_wasm(rt, "t:big", m, &cfg));
    expect_err(call_err(rt, "t:big", NULL, 0, 0), WF_ERR_LIMIT, "t:big: instantiation");
    wf_runtime_free(rt);
    wf_module_free(m);
}

static void test_stack_limit(void **state)
{
    (void)state;
    wf_runtime *rt = rt_with("t:rec", "rec", WF_RT_POOL_INLINE, 0, (wf_wasm_limits){ .max_stack_kb = 64 });
    add(rt, "t:rec_big", "rec", WF_RT_POOL_INLINE, 0, (wf_wasm_limits){ 0 });
    assert_int_equal(call_i(rt, "t:rec", 100, 0, 1), 100);
    wf_val a = wf_val_sint(WF_VAL_S32, 5000);
    expect_err(call_err(rt, "t:rec", &a, 1, 0), WF_ERR_TRAP, "call stack exhausted");
    /* The limit belongs to the function, not the thread. */
    assert_int_equal(call_i(rt, "t:rec_big", 5000, 0, 1), 5000);
    wf_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_instance_per_call),
        cmocka_unit_test(test_fresh_memory_per_call),
        cmocka_unit_test(test_core_values),
        cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_trap_and_imports),
        cmocka_unit_test(test_64_callers_each_pool),
        cmocka_unit_test(test_static_small_buffer_no_drop),
        cmocka_unit_test(test_backpressure_timeout),
        cmocka_unit_test(test_infinite_loop_timeout),
        cmocka_unit_test(test_caller_timeout_interrupts),
        cmocka_unit_test(test_caller_now_is_the_start),
        cmocka_unit_test(test_future_cancel_and_poll),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_stack_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
