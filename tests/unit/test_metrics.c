/* test_metrics.c - the runtime's metrics (src/runtime/metrics.c): calls,
 * errors by kind (traps, bad arguments, timeouts), the latency histogram,
 * busy instances while calls run and idle (ready) ones of a static pool,
 * HTTP request counters; the Prometheus text format (cumulative buckets,
 * escaped labels, a histogram's _count always its +Inf bucket, even
 * scraped while requests are recorded); and one metrics object fed by two
 * runtimes (a reload). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/metrics.h"
#include "runtime/runtime.h"

static const char *WAT =
    "(module"
    "  (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)"
    "  (func (export \"boom\") unreachable)"
    "  (func (export \"spin\") (loop (br 0)))"
    ")";

static wf_module *g_mod;

static int setup(void **state)
{
    return wf_module_from_wat(WAT, strlen(WAT), &g_mod) ? -1 : 0;
}

static int teardown(void **state)
{
    wf_module_free(g_mod);
    return 0;
}

static void add(wf_runtime *rt, const char *id, const char *method, wf_pool_type pt, uint32_t n)
{
    wf_wasm_config cfg = {.method = method, .pool = {.type = pt, .max_size = n, .workers = n}};
    wf_error *e = wf_runtime_add_wasm(rt, id, g_mod, &cfg);
    if (e) fail_msg("add: %s", e->message);
}

static wf_error *call(wf_runtime *rt, const char *id, size_t nargs, uint32_t timeout_ms)
{
    wf_val args[2] = {wf_val_sint(WF_VAL_S32, 2), wf_val_sint(WF_VAL_S32, 3)}, r;
    wf_call_opts o = {.timeout_ms = timeout_ms};
    wf_error *e = wf_runtime_call(rt, id, args, nargs, &r, &o);
    if (!e) wf_val_free(&r);
    return e;
}

/* The value of the exposition line that starts with `prefix ` (-1: none). */
static double value_of(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, n) && p[n] == ' ') return atof(p + n + 1);
    return -1;
}

static void test_counts(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    add(rt, "t:add", "add", WF_RT_POOL_INLINE, 0);
    add(rt, "t:boom", "boom", WF_RT_POOL_LAZY, 2);
    add(rt, "t:spin", "spin", WF_RT_POOL_STATIC, 2);
    for (int i = 0; i < 5; i++) assert_null(call(rt, "t:add", 2, 0));
    wf_error *e = call(rt, "t:add", 1, 0);   /* argument count: nothing runs */
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    for (int i = 0; i < 3; i++) {
        e = call(rt, "t:boom", 0, 0);
        assert_int_equal(e->kind, WF_ERR_TRAP);
        wf_error_free(e);
    }
    e = call(rt, "t:spin", 0, 50);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    wf_error_free(e);

    wf_metrics *m = wf_runtime_metrics(rt);
    wf_metrics_fn *add_m = wf_metrics_function(m, "t:add");
    assert_int_equal(wf_metrics_calls(add_m), 6);
    assert_int_equal(wf_metrics_errors(add_m, WF_ERR_INVALID), 1);
    assert_int_equal(wf_metrics_busy(add_m), 0);

    /* The static pool refills its ready instances in the background: wait
     * for it (generously: CI machines are loaded), not a fixed time. */
    char *text = NULL;
    for (int waited = 0; waited < 10000; waited += 10) {
        free(text);
        text = wf_metrics_render(m, rt);
        if (value_of(text, "wasmfn_function_instances{function=\"t:spin\",state=\"idle\"}") == 2) break;
        usleep(10 * 1000);
    }
    assert_int_equal(value_of(text, "wasmfn_function_calls_total{function=\"t:add\"}"), 6);
    assert_int_equal(value_of(text, "wasmfn_function_errors_total{function=\"t:boom\",kind=\"TRAP\"}"), 3);
    assert_int_equal(value_of(text, "wasmfn_function_errors_total{function=\"t:boom\",kind=\"TIMEOUT\"}"), 0);
    assert_int_equal(value_of(text, "wasmfn_function_errors_total{function=\"t:spin\",kind=\"TIMEOUT\"}"), 1);
    /* cumulative buckets: every call is at or under +Inf, and the count matches */
    assert_int_equal(value_of(text, "wasmfn_function_duration_seconds_bucket{function=\"t:add\",le=\"+Inf\"}"), 6);
    assert_int_equal(value_of(text, "wasmfn_function_duration_seconds_count{function=\"t:add\"}"), 6);
    assert_true(value_of(text, "wasmfn_function_duration_seconds_bucket{function=\"t:spin\",le=\"0.01\"}") == 0);
    /* at least its 50 ms timeout; a generous upper bucket, as a loaded
     * machine may stop it late */
    assert_true(value_of(text, "wasmfn_function_duration_seconds_bucket{function=\"t:spin\",le=\"10\"}") == 1);
    assert_true(value_of(text, "wasmfn_function_duration_seconds_sum{function=\"t:spin\"}") >= 0.05);
    assert_int_equal(value_of(text, "wasmfn_function_instances{function=\"t:spin\",state=\"idle\"}"), 2);
    assert_int_equal(value_of(text, "wasmfn_pool_workers{function=\"t:spin\"}"), 2);
    assert_int_equal(value_of(text, "wasmfn_pool_workers{function=\"t:add\"}"), 0);
    assert_non_null(strstr(text, "# TYPE wasmfn_function_duration_seconds histogram\n"));
    free(text);
    wf_runtime_free(rt);
}

/* Long enough that all three calls are seen running at once even when the
 * threads start late on a loaded machine. */
enum { SPIN_MS = 3000 };

typedef struct spin_call {
    wf_runtime *rt;
    pthread_t th;
} spin_call;

static void *spin_thread(void *arg)
{
    spin_call *s = arg;
    wf_error_free(call(s->rt, "t:spin", 0, SPIN_MS));
    return NULL;
}

static void test_busy(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    add(rt, "t:spin", "spin", WF_RT_POOL_LAZY, 4);
    spin_call c[3];
    for (int i = 0; i < 3; i++) {
        c[i].rt = rt;
        pthread_create(&c[i].th, NULL, spin_thread, &c[i]);
    }
    wf_metrics_fn *f = wf_metrics_function(wf_runtime_metrics(rt), "t:spin");
    for (int waited = 0; waited < SPIN_MS / 2 && wf_metrics_busy(f) < 3; waited += 5) usleep(5 * 1000);
    assert_int_equal(wf_metrics_busy(f), 3);
    for (int i = 0; i < 3; i++) pthread_join(c[i].th, NULL);
    assert_int_equal(wf_metrics_busy(f), 0);
    assert_int_equal(wf_metrics_errors(f, WF_ERR_TIMEOUT), 3);
    wf_runtime_free(rt);
}

static void test_shared_and_http(void **state)
{
    wf_metrics *m = wf_metrics_new();
    for (int v = 0; v < 2; v++) {   /* two versions of the registry, one after the other */
        wf_runtime *rt = wf_runtime_new();
        wf_runtime_set_metrics(rt, m);
        add(rt, "t:add", "add", WF_RT_POOL_INLINE, 0);
        assert_null(call(rt, "t:add", 2, 0));
        wf_runtime_free(rt);
    }
    wf_metrics_http_request(m, "app:hello", 200, 1500000);
    wf_metrics_http_request(m, "app:hello", 200, 2000000);
    wf_metrics_http_request(m, "app:hello", 500, 100);
    wf_metrics_http_request(m, "we\"ird\\name\n", 404, 100);
    char *text = wf_metrics_render(m, NULL);
    assert_int_equal(value_of(text, "wasmfn_function_calls_total{function=\"t:add\"}"), 2);
    assert_int_equal(value_of(text, "wasmfn_http_requests_total{endpoint=\"app:hello\",status=\"200\"}"), 2);
    assert_int_equal(value_of(text, "wasmfn_http_requests_total{endpoint=\"app:hello\",status=\"500\"}"), 1);
    assert_int_equal(value_of(text, "wasmfn_http_request_duration_seconds_bucket{endpoint=\"app:hello\",status=\"200\",le=\"0.001\"}"), 0);
    assert_int_equal(value_of(text, "wasmfn_http_request_duration_seconds_bucket{endpoint=\"app:hello\",status=\"200\",le=\"0.0025\"}"), 2);
    assert_int_equal(value_of(text, "wasmfn_http_requests_total{endpoint=\"we\\\"ird\\\\name\\n\",status=\"404\"}"), 1);
    free(text);
    wf_metrics_free(m);
}

/* A thread's last series is found again by the caller's pointer: never
 * another metrics' series, another status's, nor another name's that a
 * reload left at the same address (a route table freed, a new one). */
static void test_http_series_by_pointer(void **state)
{
    wf_metrics *a = wf_metrics_new(), *b = wf_metrics_new();
    char name[32] = "app:one";
    wf_metrics_http_request(a, name, 200, 100);
    wf_metrics_http_request(a, name, 200, 100);
    wf_metrics_http_request(b, name, 200, 100);
    wf_metrics_http_request(a, name, 404, 100);
    wf_metrics_http_request(a, name, 200, 100);
    strcpy(name, "app:two");   /* the same pointer, another endpoint */
    wf_metrics_http_request(a, name, 200, 100);
    wf_metrics_http_request(a, name, 200, 100);
    char *ta = wf_metrics_render(a, NULL), *tb = wf_metrics_render(b, NULL);
    assert_int_equal(value_of(ta, "wasmfn_http_requests_total{endpoint=\"app:one\",status=\"200\"}"), 3);
    assert_int_equal(value_of(ta, "wasmfn_http_requests_total{endpoint=\"app:one\",status=\"404\"}"), 1);
    assert_int_equal(value_of(ta, "wasmfn_http_requests_total{endpoint=\"app:two\",status=\"200\"}"), 2);
    assert_int_equal(value_of(tb, "wasmfn_http_requests_total{endpoint=\"app:one\",status=\"200\"}"), 1);
    free(ta);
    free(tb);
    wf_metrics_free(a);
    /* A new metrics, maybe at a's address: its own counts from zero. */
    wf_metrics *c = wf_metrics_new();
    strcpy(name, "app:two");
    wf_metrics_http_request(c, name, 200, 100);
    char *tc = wf_metrics_render(c, NULL);
    assert_int_equal(value_of(tc, "wasmfn_http_requests_total{endpoint=\"app:two\",status=\"200\"}"), 1);
    free(tc);
    wf_metrics_free(c);
    wf_metrics_free(b);
}

/* A scrape while requests are recorded: each histogram's _count is its
 * +Inf bucket (one reading of the buckets gives both, as the format
 * wants), every time. */
typedef struct recorder {
    wf_metrics *m;
    volatile int stop;
} recorder;

static void *record_thread(void *arg)
{
    recorder *r = arg;
    uint64_t ns = 0;
    while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        wf_metrics_http_request(r->m, "app:busy", 200, ns);
        ns = (ns + 700000) % 30000000;
    }
    return NULL;
}

static void test_count_is_inf_bucket_during_requests(void **state)
{
    (void)state;
    recorder r = { .m = wf_metrics_new() };
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, record_thread, &r), 0);
    int scrapes = 0;
    double last = 0;
    for (; scrapes < 300 || last < 1000; scrapes++) {
        char *text = wf_metrics_render(r.m, NULL);
        double inf = value_of(text, "wasmfn_http_request_duration_seconds_bucket{endpoint=\"app:busy\",status=\"200\",le=\"+Inf\"}");
        double count = value_of(text, "wasmfn_http_request_duration_seconds_count{endpoint=\"app:busy\",status=\"200\"}");
        free(text);
        if (inf != count) fail_msg("scrape %d: +Inf bucket %.0f, _count %.0f", scrapes, inf, count);
        last = count;
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    char *text = wf_metrics_render(r.m, NULL);
    /* At rest the counter and the histogram agree too. */
    assert_true(value_of(text, "wasmfn_http_requests_total{endpoint=\"app:busy\",status=\"200\"}") ==
                value_of(text, "wasmfn_http_request_duration_seconds_count{endpoint=\"app:busy\",status=\"200\"}"));
    free(text);
    wf_metrics_free(r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_shared_and_http),
        cmocka_unit_test(test_http_series_by_pointer),
        cmocka_unit_test(test_count_is_inf_bucket_during_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
