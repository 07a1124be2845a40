/* test_jit_upgrade.c - the compiled tier's tier-up (src/wasm/jit/jit.c):
 * a module forced "large" (WASMFN_JIT_LARGE_MODULE_BYTES=0) gets the cheap
 * pipeline for all its functions, which count their heat; called until the
 * background thread has upgraded each of them to full -O2 code (the stats
 * polled, with a generous bound), the results stay the same before and
 * after, a trap and an interrupt still stop upgraded code, and a second
 * process (this test again, --second) installs the upgrades from the disk
 * cache before its first call. Skipped in a build without the
 * tier. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "wasm/code.h"
#include "wasm/interp.h"
#include "wasm/jit.h"
#include "wasm/module.h"
#include "wasm/runtime.h"
#include "wat_env.h"

/* work(n): n rounds of step (a direct and an indirect call of inc) and a
 * load: 2n. load(a) traps past the memory's end; spin(n) loops n times
 * (-1: about forever). */
static const char *WAT =
    "(module"
    " (memory 1)"
    " (type $t (func (param i32) (result i32)))"
    " (table 1 funcref) (elem (i32.const 0) $inc)"
    " (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
    " (func $step (param i32) (result i32)"
    "   (call_indirect (type $t) (call $inc (local.get 0)) (i32.const 0)))"
    " (func $load (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))"
    " (func (export \"work\") (param i32) (result i32) (local i32)"
    "   (block (loop (br_if 1 (i32.eqz (local.get 0)))"
    "     (local.set 1 (i32.add (call $step (local.get 1)) (call $load (i32.const 0))))"
    "     (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))"
    "   (local.get 1))"
    " (func (export \"spin\") (param i32) (result i32)"
    "   (block (loop (br_if 1 (i32.eqz (local.get 0)))"
    "     (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))"
    "   (local.get 0)))";

enum { NDEFINED = 5 };

/* export name(arg): its result, or the error's message in err. */
static int32_t call1(env *l, const char *name, int32_t arg, char *err, size_t errlen)
{
    wf_value a = { .type = WF_TYPE_I32 }, r[1];
    a.of.i32 = arg;
    wf_error *e = wf_func_call(fn(l, name), &a, 1, r, 1);
    if (err) snprintf(err, errlen, "%s", e ? e->message : "");
    if (e) {
        wf_error_free(e);
        return 0;
    }
    return r[0].of.i32;
}

static int32_t call_ok(env *l, const char *name, int32_t arg)
{
    char err[160];
    int32_t r = call1(l, name, arg, err, sizeof err);
    if (err[0]) fail_msg("%s(%d): %s", name, arg, err);
    return r;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every result of the module, right. */
static void check_results(env *l)
{
    assert_int_equal(call_ok(l, "work", 1000), 2000);
    assert_int_equal(call_ok(l, "load", 0), 0);
    assert_int_equal(call_ok(l, "spin", 1000), 0);
    char err[160];
    call1(l, "load", 65535, err, sizeof err);
    assert_string_equal(err, "out of bounds memory access");
}

static volatile uint32_t g_flag;

static void *raise_flag(void *unused)
{
    (void)unused;
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    __atomic_store_n(&g_flag, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* spin(-1) in its upgraded code stops when the interrupt flag is raised. */
static void check_interrupt(env *l)
{
    g_flag = 0;
    wf_exec_set_interrupt(&g_flag);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, raise_flag, NULL), 0);
    char err[160];
    call1(l, "spin", -1, err, sizeof err);
    pthread_join(th, NULL);
    wf_exec_set_interrupt(NULL);
    assert_non_null(strstr(err, "interrupt"));
}

/* The module's tier-up counts: every function compiled, UPGRADED of them
 * upgraded, CACHED of those taken from the code cache. */
static wf_jit_stats check_stats(env *l, int upgraded, int cached)
{
    wf_jit_stats st;
    assert_true(wf_jit_module_stats(l->m, &st));
    assert_int_equal(st.ndefined, NDEFINED);
    assert_int_equal(st.ncompiled, NDEFINED);
    assert_int_equal(st.nupgraded, upgraded);
    assert_int_equal(st.nupgraded_cached, cached);
    return st;
}

static void test_upgrade_and_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/wf_upgrade_XXXXXX";
    assert_non_null(mkdtemp(dir));
    wf_jit_set_cache_dir(dir);
    assert_null(wf_jit_set_tier(WF_TIER_COMPILED));

    env l;
    load(&l, WAT, NULL, 0);
    wf_jit_stats st = check_stats(&l, 0, 0);
    check_results(&l);

    /* Called until every function is upgraded (generous: a loaded CI
     * machine), the results right all along. */
    double t0 = now_s();
    for (;;) {
        check_results(&l);
        assert_true(wf_jit_module_stats(l.m, &st));
        if (st.nupgraded == NDEFINED || now_s() - t0 > 300) break;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    st = check_stats(&l, NDEFINED, 0);
    assert_true(st.upgrade_cpu_ms > 0);
    check_results(&l);
    check_interrupt(&l);
    unload(&l);

    /* A second process: the upgrades come from the disk cache before its
     * first call. */
    char *cmd = wf_xasprintf("/proc/%ld/exe --second '%s'", (long)getpid(), dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);

    cmd = wf_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static const char *g_dir;

/* Polls m's stats (every 5 ms, at most 300 s: a loaded CI machine) after
 * each call of step(l) until done(st) holds; its last stats in *st. */
static void poll_until(env *l, void (*step)(env *), bool (*done)(const wf_jit_stats *), wf_jit_stats *st)
{
    double t0 = now_s();
    for (;;) {
        step(l);
        assert_true(wf_jit_module_stats(l->m, st));
        if (done(st) || now_s() - t0 > 300) break;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The level of m's defined function named by export name. */
static const char *level_of(env *l, const char *name)
{
    wf_func *f = fn(l, name);
    (void)f;
    for (uint32_t i = l->m->nfunc_imports; i < l->m->nfuncs; i++)
        if (l->m->funcs[i].name && !strcmp(l->m->funcs[i].name, name))
            return wf_jit_func_level(l->m, i - l->m->nfunc_imports);
    fail_msg("no function named %s", name);
    return NULL;
}

/* --decay MS: "load", called in bursts of 300 with the heat halved (the
 * stats' heat_decays) between bursts, never passes the threshold of 1000
 * and stays cheap over 30 bursts (9000 calls); without the decay (MS 0)
 * it is upgraded. */
static int g_decay_ms;

static bool one_upgraded(const wf_jit_stats *st) { return st->nupgraded >= 1; }

static void burst(env *l)
{
    for (int i = 0; i < 300; i++) assert_int_equal(call_ok(l, "load", 0), 0);
}

static void test_decay(void **state)
{
    (void)state;
    assert_null(wf_jit_set_tier(WF_TIER_COMPILED));
    env l;
    load(&l, WAT, NULL, 0);
    assert_string_equal(level_of(&l, "load"), "cheap");
    wf_jit_stats st;
    for (int b = 0; b < 30; b++) {
        burst(&l);
        assert_true(wf_jit_module_stats(l.m, &st));
        uint32_t d0 = st.heat_decays;
        double t0 = now_s();
        while (g_decay_ms && st.heat_decays == d0 && now_s() - t0 < 300) {
            struct timespec ts = { 0, 1000 * 1000 };
            nanosleep(&ts, NULL);
            assert_true(wf_jit_module_stats(l.m, &st));
        }
        if (g_decay_ms) assert_int_not_equal(st.heat_decays, d0);
    }
    if (g_decay_ms) {
        assert_string_equal(level_of(&l, "load"), "cheap");
        assert_int_equal(st.nupgraded, 0);
    } else {
        /* 9000 calls: a candidate, upgraded once the thread looks */
        poll_until(&l, burst, one_upgraded, &st);
        assert_string_equal(level_of(&l, "load"), "upgraded");
        assert_int_equal(st.heat_decays, 0);
    }
    unload(&l);
}

/* --bound: a function of over 24 KB of code (the bound before
 * WASMFN_JIT_TIERUP_BYTES) upgraded like any other when the bound allows
 * it (WASMFN_JIT_TIERUP_BYTES unset: the default), left cheap when it
 * does not (30000) while the small one is upgraded. */
static char *big_wat(void)
{
    wf_buf b = { 0 };
    const char *head = "(module"
                       " (func $small (export \"small\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
                       " (func $big (export \"big\") (param i32) (result i32) (local i32)";
    wf_buf_str(&b, head);
    /* 5000 x 7 bytes of code: big(x) = 5000 x */
    const char *add = " (local.set 1 (i32.add (local.get 1) (local.get 0)))";
    for (int i = 0; i < 5000; i++) wf_buf_str(&b, add);
    wf_buf_bytes(&b, " (local.get 1)))", sizeof " (local.get 1)))");
    return (char *)b.data;
}

static void call_both(env *l)
{
    for (int i = 0; i < 100; i++) {
        assert_int_equal(call_ok(l, "small", i), i + 1);
        assert_int_equal(call_ok(l, "big", i), 5000 * i);
    }
}

static bool two_upgraded(const wf_jit_stats *st) { return st->nupgraded >= 2; }

static void test_bound(void **state)
{
    (void)state;
    assert_null(wf_jit_set_tier(WF_TIER_COMPILED));
    bool allowed = !getenv("WASMFN_JIT_TIERUP_BYTES");
    char *wat = big_wat();
    env l;
    load(&l, wat, NULL, 0);
    free(wat);
    assert_true(l.m->funcs[1].code->body_len > 24 * 1024);
    assert_string_equal(level_of(&l, "big"), "cheap");
    wf_jit_stats st;
    poll_until(&l, call_both, allowed ? two_upgraded : one_upgraded, &st);
    assert_string_equal(level_of(&l, "small"), "upgraded");
    if (allowed) {
        assert_int_equal(st.nupgraded, 2);
        assert_string_equal(level_of(&l, "big"), "upgraded");
    } else {
        /* hot, but never a candidate */
        for (int i = 0; i < 20; i++) call_both(&l);
        assert_true(wf_jit_module_stats(l.m, &st));
        assert_int_equal(st.nupgraded, 1);
        assert_int_equal(st.upgrade_candidates, 0);
        assert_string_equal(level_of(&l, "big"), "cheap");
    }
    call_both(&l);
    unload(&l);
}

/* The other processes' tests, each with its own settings (read once per
 * process): this test again with argv set up, in its environment. */
static void run_child(const char *args, const char *env_assign)
{
    char *cmd = wf_xasprintf("%s /proc/%ld/exe %s", env_assign, (long)getpid(), args);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void test_decay_and_bound(void **state)
{
    (void)state;
    run_child("--decay 20", "WASMFN_CACHE_DIR=off WASMFN_JIT_TIERUP_DECAY_MS=20");
    run_child("--decay 0", "WASMFN_CACHE_DIR=off WASMFN_JIT_TIERUP_DECAY_MS=0");
    run_child("--bound", "WASMFN_CACHE_DIR=off");
    run_child("--bound", "WASMFN_CACHE_DIR=off WASMFN_JIT_TIERUP_BYTES=30000");
}

/* The second process (--second DIR): the upgrades from the cache. */
static void test_second_process(void **state)
{
    (void)state;
    wf_jit_set_cache_dir(g_dir);
    assert_null(wf_jit_set_tier(WF_TIER_COMPILED));
    env l;
    load(&l, WAT, NULL, 0);
    wf_jit_stats st = check_stats(&l, NDEFINED, NDEFINED);
    assert_true(st.cached);
    assert_true(st.upgrade_cpu_ms == 0);
    check_results(&l);
    check_interrupt(&l);
    unload(&l);
}

int main(int argc, char **argv)
{
    if (!wf_jit_available()) {
        printf("test_jit_upgrade: this build has no compiled tier\n");
        return 0;
    }
    /* Every function cheap, hot after a thousand calls or iterations. */
    setenv("WASMFN_JIT_LARGE_MODULE_BYTES", "0", 1);
    setenv("WASMFN_JIT_LARGE_MODULE_BIG_BYTES", "0", 1);
    setenv("WASMFN_JIT_TIERUP_HEAT", "1000", 1);
    unsetenv("WASMFN_JIT_TIERUP");
    int status;
    if (argc == 3 && !strcmp(argv[1], "--second")) {
        g_dir = argv[2];
        const struct CMUnitTest second[] = {
            cmocka_unit_test(test_second_process),
        };
        status = cmocka_run_group_tests(second, NULL, NULL);
    } else if (argc == 3 && !strcmp(argv[1], "--decay")) {
        g_decay_ms = atoi(argv[2]);
        const struct CMUnitTest decay[] = {
            cmocka_unit_test(test_decay),
        };
        status = cmocka_run_group_tests(decay, NULL, NULL);
    } else if (argc == 2 && !strcmp(argv[1], "--bound")) {
        const struct CMUnitTest bound[] = {
            cmocka_unit_test(test_bound),
        };
        status = cmocka_run_group_tests(bound, NULL, NULL);
    } else {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_upgrade_and_cache),
            cmocka_unit_test(test_decay_and_bound),
        };
        status = cmocka_run_group_tests(tests, NULL, NULL);
    }
    wf_jit_exit(status);
    return status;
}
