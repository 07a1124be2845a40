/* test_runtime_lookup.c - the runtime's function table: many functions each
 * found by ID and called (the right one, not a neighbour), absent IDs
 * NOT_FOUND, duplicates refused, and calls on other threads while functions
 * are being added (lookups take no lock and never see a half-added one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <cmocka.h>

#include "base/error.h"
#include "runtime/runtime.h"

/* A kind whose fn is a number the call returns. */
static wf_error *num_prepare(void *fn, void **inst)
{
    *inst = fn;
    return NULL;
}

static wf_error *num_call(void *fn, void *inst, const wf_val *args, size_t nargs, wf_val *result,
                          const wf_fn_ctx *ctx)
{
    (void)inst; (void)args; (void)nargs; (void)ctx;
    *result = wf_val_sint(WF_VAL_S64, (int64_t)(uintptr_t)fn);
    return NULL;
}

static void num_release(void *fn, void *inst) { (void)fn; (void)inst; }

static const wf_fn_kind num_kind = {
    .name = "number", .prepare = num_prepare, .call = num_call, .release = num_release,
};

static char *id_of(size_t i) { return wf_xasprintf("ns%zu:f%zu", i % 13, i); }

static int64_t call_num(wf_runtime *rt, const char *id, wf_error **err)
{
    wf_val r;
    *err = wf_runtime_call(rt, id, NULL, 0, &r, NULL);
    if (*err) return -1;
    int64_t v = r.of.s;
    wf_val_free(&r);
    return v;
}

static void test_many_functions(void **state)
{
    (void)state;
    enum { N = 20000 };
    wf_runtime *rt = wf_runtime_new();
    for (size_t i = 0; i < N; i++) {
        char *id = id_of(i);
        assert_null(wf_runtime_add(rt, id, &num_kind, (void *)(uintptr_t)i, NULL));
        free(id);
    }
    for (size_t i = 0; i < N; i += 7) {
        char *id = id_of(i);
        wf_error *e;
        assert_int_equal(call_num(rt, id, &e), (int64_t)i);
        assert_null(e);
        assert_true(wf_runtime_has(rt, id));
        free(id);
    }
    wf_error *e;
    call_num(rt, "ns1:f0", &e);          /* f0 lives in ns0 */
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_NOT_FOUND);
    assert_string_equal(e->message, "no function ns1:f0");
    wf_error_free(e);
    assert_false(wf_runtime_has(rt, "ns0:f"));
    e = wf_runtime_add(rt, "ns5:f5", &num_kind, (void *)(uintptr_t)99, NULL);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_string_equal(e->message, "duplicate function ID ns5:f5");
    wf_error_free(e);
    assert_int_equal(call_num(rt, "ns5:f5", &e), 5);   /* the first one stays */
    wf_runtime_free(rt);
}

/* Callers on other threads call functions already added while the main
 * thread keeps adding (the table grows many times meanwhile). */
enum { RACE_N = 6000, CALLERS = 3 };
static wf_runtime *race_rt;
static size_t race_added;
static char *race_ids[RACE_N];

static void *caller(void *arg)
{
    size_t bad = 0, calls = 0;
    while (calls < 30000) {
        size_t known = __atomic_load_n(&race_added, __ATOMIC_ACQUIRE);
        if (!known) continue;
        size_t i = (calls * 7919) % known;
        wf_error *e;
        int64_t v = call_num(race_rt, race_ids[i], &e);
        if (e || v != (int64_t)i) bad++;
        wf_error_free(e);
        calls++;
    }
    *(size_t *)arg = bad;
    return NULL;
}

static void test_calls_while_adding(void **state)
{
    (void)state;
    race_rt = wf_runtime_new();
    for (size_t i = 0; i < RACE_N; i++) race_ids[i] = id_of(i);
    pthread_t th[CALLERS];
    size_t bad[CALLERS];
    for (int t = 0; t < CALLERS; t++) pthread_create(&th[t], NULL, caller, &bad[t]);
    for (size_t i = 0; i < RACE_N; i++) {
        assert_null(wf_runtime_add(race_rt, race_ids[i], &num_kind, (void *)(uintptr_t)i, NULL));
        __atomic_store_n(&race_added, i + 1, __ATOMIC_RELEASE);
    }
    for (int t = 0; t < CALLERS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(bad[t], 0);
    }
    for (size_t i = 0; i < RACE_N; i++) free(race_ids[i]);
    wf_runtime_free(race_rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_functions),
        cmocka_unit_test(test_calls_while_adding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
