/* test_lua_metrics.c - upstream's `metrics` module (src/lua/metrics.c) over
 * the runtime's metrics (src/runtime/metrics_user.c): values of counters,
 * gauges and histograms as /metrics renders them; labels (sorted, non-string
 * ones ignored as upstream, escaped); the errors (names, label names and
 * values, wasmfn's own names, one type per name, a histogram's derived
 * names, counters going down, non-finite values, the series cap); threads
 * recording at once; and `modules` naming an upstream module wasmfn lacks
 * (loads; require fails naming it) or a name nobody defines (load error
 * with the closest name). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "lua/lua_int.h"
#include "lua/wflua.h"
#include "lua_call.h"
#include "runtime/metrics.h"

static const char *const MODS[] = {"metrics", "store"};

/* A Lua function `id` in rt whose main is body. */
static void add(wf_runtime *rt, const char *id, const char *body)
{
    char src[8192];
    snprintf(src, sizeof src, "local metrics = require('metrics')\nfunction main()\n%s\nend", body);
    wf_lua_fn_config cfg = {.source = src, .method = "main", .modules = MODS, .nmodules = WF_COUNT(MODS)};
    wf_error *e = wf_lua_add(rt, id, &cfg);
    if (e) fail_msg("%s: %s", id, e->message);
}

static void expect(wf_runtime *rt, const char *body, const char *want)
{
    static int n;
    char id[32];
    snprintf(id, sizeof id, "m:%d", ++n);
    add(rt, id, body);
    char *got = lua_call_json(rt, id, NULL, 0);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", body, got, want);
    free(got);
}

/* The lines of the rendered page that start with prefix, joined by '\n'. */
static char *lines(wf_runtime *rt, const char *prefix)
{
    char *page = wf_metrics_render(wf_runtime_metrics(rt), NULL);
    char *out = wf_xstrdup("");
    for (char *l = strtok(page, "\n"); l; l = strtok(NULL, "\n"))
        if (!strncmp(l, prefix, strlen(prefix))) {
            char *t = wf_xasprintf("%s%s%s", out, *out ? "\n" : "", l);
            free(out);
            out = t;
        }
    free(page);
    return out;
}

static void expect_lines(wf_runtime *rt, const char *prefix, const char *want)
{
    char *got = lines(rt, prefix);
    if (strcmp(got, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", prefix, got, want);
    free(got);
}

static void test_values(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    expect(rt, "local ok, err = metrics.counter_inc('app.requests.total', {endpoint = '/api/users'})\n"
               "return {ok, err == nil}", "[true,true]");
    expect(rt, "metrics.counter_inc('app.requests.total', {endpoint = '/api/users'})\n"
               "return (metrics.counter_add('app.records', 2.5))", "true");
    expect(rt, "metrics.counter_add('app.records', 100)\n"
               "metrics.gauge_set('app.queue.depth', 42, {queue = 'emails'})\n"
               "metrics.gauge_inc('app.conns')  metrics.gauge_inc('app.conns')\n"
               "metrics.gauge_dec('app.conns')  metrics.gauge_dec('app.conns')  metrics.gauge_dec('app.conns')\n"
               "metrics.histogram('app.request.duration', 0.123)\n"
               "metrics.histogram('app.request.duration', 7)\n"
               "return (metrics.histogram('app.request.duration', 20))", "true");
    expect_lines(rt, "app_requests_total", "app_requests_total{endpoint=\"/api/users\"} 2");
    expect_lines(rt, "app_records", "app_records 102.5");
    expect_lines(rt, "app_queue_depth", "app_queue_depth{queue=\"emails\"} 42");
    expect_lines(rt, "app_conns", "app_conns -1");
    expect_lines(rt, "app_request_duration",
                 "app_request_duration_bucket{le=\"0.005\"} 0\n"
                 "app_request_duration_bucket{le=\"0.01\"} 0\n"
                 "app_request_duration_bucket{le=\"0.025\"} 0\n"
                 "app_request_duration_bucket{le=\"0.05\"} 0\n"
                 "app_request_duration_bucket{le=\"0.1\"} 0\n"
                 "app_request_duration_bucket{le=\"0.25\"} 1\n"
                 "app_request_duration_bucket{le=\"0.5\"} 1\n"
                 "app_request_duration_bucket{le=\"1\"} 1\n"
                 "app_request_duration_bucket{le=\"2.5\"} 1\n"
                 "app_request_duration_bucket{le=\"5\"} 1\n"
                 "app_request_duration_bucket{le=\"10\"} 2\n"
                 "app_request_duration_bucket{le=\"+Inf\"} 3\n"
                 "app_request_duration_sum 27.123\n"
                 "app_request_duration_count 3");
    expect_lines(rt, "# TYPE app_", "# TYPE app_requests_total counter\n# TYPE app_records counter\n"
                 "# TYPE app_queue_depth gauge\n# TYPE app_conns gauge\n# TYPE app_request_duration histogram");
    wf_runtime_free(rt);
}

static void test_labels(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    /* sorted by name, whatever the table's order; non-string keys and
     * values ignored (as upstream); a non-table labels argument ignored */
    expect(rt, "metrics.counter_inc('l', {zeta = 'z', alpha = 'a', n = 5, [1] = 'x', t = {}})\n"
               "metrics.counter_inc('l', {alpha = 'a', zeta = 'z'})\n"
               "metrics.counter_inc('l', 'not a table')\n"
               "return (metrics.gauge_set('esc', 1, {v = 'a\"b\\\\c\\nd', u = 'caf\\u{e9}'}))", "true");
    expect_lines(rt, "l", "l{alpha=\"a\",zeta=\"z\"} 2\nl 1");
    expect_lines(rt, "esc", "esc{u=\"caf\xc3\xa9\",v=\"a\\\"b\\\\c\\nd\"} 1");
    wf_runtime_free(rt);
}

static void test_errors(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    expect(rt, "local ok, err = metrics.counter_inc('')\nreturn {ok == nil, err:kind(), err:message()}",
           "[true,\"Invalid\",\"metric name is empty\"]");
    expect(rt, "local _, err = metrics.counter_inc('9lives')\nreturn err:message()",
           "\"metric name `9lives`: character 1 is not allowed (letters, digits, '_', ':', '.', '-'; not a digit first)\"");
    expect(rt, "local _, err = metrics.counter_inc('a b')\nreturn err:message()",
           "\"metric name `a b`: character 2 is not allowed (letters, digits, '_', ':', '.', '-'; not a digit first)\"");
    expect(rt, "local _, err = metrics.gauge_set('wasmfn_function_calls_total', 1)\nreturn err:message()",
           "\"metric name `wasmfn_function_calls_total`: the wasmfn_ prefix is reserved for wasmfn's own metrics\"");
    expect(rt, "metrics.counter_inc('c')\nlocal _, err = metrics.gauge_set('c', 1)\n"
               "local _, err2 = metrics.histogram('c', 1)\nreturn {err:message(), err2:message()}",
           "[\"metric `c` is a counter, not a gauge\",\"metric `c` is a counter, not a histogram\"]");
    expect(rt, "metrics.histogram('h', 1)\nlocal _, e1 = metrics.gauge_set('h_count', 1)\n"
               "metrics.gauge_set('g_sum', 1)\nlocal _, e2 = metrics.histogram('g', 1)\n"
               "local _, e3 = metrics.histogram('h2', 1, {le = '1'})\nreturn {e1:message(), e2:message(), e3:message()}",
           "[\"metric `h_count` would clash with the histogram series of `h`\","
           "\"metric `g` would clash with the histogram series of `g_sum`\","
           "\"metric `h2`: label name `le` is reserved in a histogram\"]");
    expect(rt, "local _, e1 = metrics.counter_add('c', -1)\nlocal _, e2 = metrics.gauge_set('g2', 0/0)\n"
               "local _, e3 = metrics.histogram('h3', math.huge)\nreturn {e1:message(), e2:message(), e3:message()}",
           "[\"counter `c` cannot go down (value -1)\",\"metric `g2`: value is not a finite number\","
           "\"metric `h3`: value is not a finite number\"]");
    expect(rt, "local _, e1 = metrics.counter_inc('c', {__x = 'v'})\nlocal _, e2 = metrics.counter_inc('c', {x = '\\xff'})\n"
               "local _, e3 = metrics.counter_inc('c', {x = string.rep('v', 257)})\n"
               "local many = {}\nfor i = 1, 17 do many['k' .. i] = 'v' end\n"
               "local _, e4 = metrics.counter_inc('c', many)\nreturn {e1:message(), e2:message(), e3:message(), e4:message()}",
           "[\"metric `c`: label name `__x` is not allowed ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)\","
           "\"metric `c`: label `x`: value is not UTF-8\",\"metric `c`: label `x`: value longer than 256 bytes\","
           "\"metric `c`: more than 16 labels\"]");
    /* wrong argument types are Lua errors, as upstream's CheckString/CheckNumber */
    expect(rt, "return (pcall(metrics.counter_add, 'c', 'x'))", "false");
    /* nothing refused shows on the page */
    expect_lines(rt, "# TYPE h_count", "");
    expect_lines(rt, "# TYPE g2", "");
    wf_runtime_free(rt);
}

static void test_series_cap(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    char body[512];
    snprintf(body, sizeof body,
             "for i = 1, %d do assert(metrics.counter_inc('cap', {i = tostring(i)})) end\n"
             "local ok, err = metrics.counter_inc('cap', {i = 'one more'})\n"
             "local again = metrics.counter_inc('cap', {i = '1'})\n"
             "return {ok == nil, err:kind(), err:message(), again}", WF_METRICS_USER_MAX_SERIES);
    char want[512];
    snprintf(want, sizeof want, "[true,\"Internal\",\"metric `cap`: no room for a new series (at most %d, all "
             "metrics and label sets together)\",true]", WF_METRICS_USER_MAX_SERIES);
    expect(rt, body, want);
    expect_lines(rt, "cap{i=\"1\"}", "cap{i=\"1\"} 2");
    wf_runtime_free(rt);
}

/* Lua functions on several threads record into the same series. */
static void *caller(void *arg)
{
    for (int i = 0; i < 50; i++) {
        char *r = lua_call_json(arg, "m:threads", NULL, 0);
        if (strcmp(r, "true")) fail_msg("%s", r);
        free(r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    add(rt, "m:threads", "for i = 1, 20 do metrics.counter_inc('t', {k = tostring(i % 3)}) "
                         "metrics.histogram('th', i / 100) end\nreturn true");
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, caller, rt);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    /* 4 threads x 50 calls x 20: k=0 gets 6 of 20, k=1 and k=2 7 each */
    expect_lines(rt, "t{", "t{k=\"1\"} 1400\nt{k=\"2\"} 1400\nt{k=\"0\"} 1200");
    expect_lines(rt, "th_count", "th_count 4000");
    wf_runtime_free(rt);
}

static void test_upstream_modules(void **state)
{
    wf_runtime *rt = wf_runtime_new();
    expect(rt, "local ok, err = pcall(require, 'store')\nreturn {ok, err}",
           "[false,\"module 'store' is not provided by wasmfn (an upstream Wippy module; wasmfn provides: "
           "funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)\"]");
    /* not listed: the same answer (it is upstream's, never wasmfn's) */
    expect(rt, "local ok, err = pcall(require, 'sql')\nreturn err",
           "\"module 'sql' is not provided by wasmfn (an upstream Wippy module; wasmfn provides: "
           "funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)\"");
    const char *mods[] = {"metrics", "metrcs"};
    wf_lua_fn_config cfg = {.source = "function main() end", .method = "main", .modules = mods, .nmodules = 2};
    wf_error *e = wf_lua_add(rt, "m:typo", &cfg);
    assert_non_null(e);
    assert_string_equal(e->message, "unknown module `metrcs` in `modules` (did you mean `metrics`? built-ins: "
                                    "funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)");
    wf_error_free(e);
    mods[1] = "sytem";
    e = wf_lua_add(rt, "m:typo2", &cfg);
    assert_non_null(e);
    assert_string_equal(e->message, "unknown module `sytem` in `modules` (did you mean `system`? built-ins: "
                                    "funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)");
    wf_error_free(e);
    wf_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_series_cap),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_upstream_modules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
