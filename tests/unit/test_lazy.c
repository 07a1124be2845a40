/* test_lazy.c - function bodies are validated at load and translated on
 * their first call: nothing is translated before a call, only what runs is
 * translated, direct calls, tail calls, calls through tables and traps in a
 * function not yet translated behave as translated code does, an invalid
 * body that is never called still fails the load with the spec's message,
 * and many threads calling the same functions first at the same moment all
 * get the right results (one translation each). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "wasm/interp.h"
#include "wasm/module.h"
#include "wat_env.h"

static const char *WAT =
    "(module"
    " (type $ii (func (param i32) (result i32)))"
    " (table 2 funcref) (elem (i32.const 0) $fib $twice)"
    " (func $fib (type $ii)"            /* 0 */
    "   (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))"
    "     (then (local.get 0))"
    "     (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))"
    "                    (call $fib (i32.sub (local.get 0) (i32.const 2)))))))"
    " (func $twice (type $ii) (i32.mul (local.get 0) (i32.const 2)))"   /* 1 */
    " (func $tail (type $ii) (return_call $twice (local.get 0)))"         /* 2 */
    " (func $unused (type $ii) (i32.add (local.get 0) (i32.const 7)))"    /* 3 */
    " (func $deep (param i32) (result i32) (call $deep (local.get 0)))"   /* 4 */
    " (func (export \"run\") (param i32) (result i32)"                    /* 5 */
    "   (i32.add (call $fib (local.get 0))"
    "     (i32.add (call_indirect (type $ii) (local.get 0) (i32.const 1))"
    "              (call $tail (local.get 0)))))"
    " (func (export \"deep\") (param i32) (result i32) (call $deep (local.get 0)))"
    " (func (export \"fib\") (param i32) (result i32) (call $fib (local.get 0))))";

static int32_t fib(int32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int32_t expect_run(int32_t n) { return fib(n) + 4 * n; }

static bool translated(const wf_module *m, uint32_t i) { return wf_code_is_translated(m->funcs[i].code); }

static int32_t call1(wf_func *f, int32_t x, wf_error **err)
{
    wf_value arg = { .type = WF_TYPE_I32 }, res;
    arg.of.i32 = x;
    *err = wf_func_call(f, &arg, 1, &res, 1);
    return *err ? 0 : res.of.i32;
}

static void test_translated_on_first_call(void **state)
{
    (void)state;
    env e;
    load(&e, WAT, NULL, 0);
    for (uint32_t i = 0; i < e.m->nfuncs; i++) assert_false(translated(e.m, i));
    wf_error *err;
    assert_int_equal(call1(fn(&e, "run"), 10, &err), expect_run(10));
    assert_null(err);
    assert_true(translated(e.m, 0) && translated(e.m, 1) && translated(e.m, 2) && translated(e.m, 5));
    assert_false(translated(e.m, 3));   /* never called */
    assert_false(translated(e.m, 4));
    /* again, now through the patched call sites */
    assert_int_equal(call1(fn(&e, "run"), 15, &err), expect_run(15));
    assert_null(err);
    unload(&e);
}

static void test_trap_before_translation(void **state)
{
    (void)state;
    env e;
    load(&e, WAT, NULL, 0);
    wf_error *err;
    for (int i = 0; i < 2; i++) {   /* the first call translates, the second runs it */
        call1(fn(&e, "deep"), 1, &err);
        assert_non_null(err);
        assert_int_equal(err->kind, WF_ERR_TRAP);
        assert_string_equal(err->message, "call stack exhausted");
        wf_error_free(err);
    }
    unload(&e);
}

static void test_invalid_uncalled_body_fails_load(void **state)
{
    (void)state;
    wf_module *m = NULL;
    const char *bad = "(module (func (export \"ok\") (result i32) i32.const 1)"
                      " (func (result i32) i64.const 1))";
    wf_error *err = wf_module_from_wat(bad, strlen(bad), &m);
    assert_non_null(err);
    assert_null(m);
    assert_int_equal(err->kind, WF_ERR_INVALID);
    assert_string_equal(err->message, "type mismatch");
    wf_error_free(err);
}

/* Threads with their own instances of one module, released together, each
 * making the first call of the same functions. */
enum { THREADS = 8, ROUNDS = 20 };

typedef struct racer {
    wf_module *m;
    pthread_barrier_t *go;
    int32_t n, got;
    char *error;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    wf_store *s = wf_store_new();
    wf_instance *inst = NULL;
    wf_error *err = wf_instance_new(s, r->m, NULL, 0, &inst);
    pthread_barrier_wait(r->go);
    wf_extern x;
    if (!err && wf_instance_export(inst, "run", 3, &x)) r->got = call1(x.of.func, r->n, &err);
    if (err) {
        r->error = strdup(err->message);
        wf_error_free(err);
    }
    wf_store_free(s);
    return NULL;
}

static void test_concurrent_first_calls(void **state)
{
    (void)state;
    for (int round = 0; round < ROUNDS; round++) {
        wf_module *m = NULL;
        wf_error *err = wf_module_from_wat(WAT, strlen(WAT), &m);
        if (err) fail_msg("%s", err->message);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, THREADS);
        racer r[THREADS];
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++) {
            r[i] = (racer){ .m = m, .go = &go, .n = 12 + i % 4 };
            assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
        for (int i = 0; i < THREADS; i++) {
            if (r[i].error) fail_msg("thread %d: %s", i, r[i].error);
            assert_int_equal(r[i].got, expect_run(r[i].n));
        }
        pthread_barrier_destroy(&go);
        wf_module_free(m);
    }
}

int main(void)
{
    wf_signals_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translated_on_first_call),
        cmocka_unit_test(test_trap_before_translation),
        cmocka_unit_test(test_invalid_uncalled_body_fails_load),
        cmocka_unit_test(test_concurrent_first_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
