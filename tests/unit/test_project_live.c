/* test_project_live.c - reloading a project while calls run
 * (src/project/live.c): a call in flight finishes on the version it
 * started with while new calls get the new code; a broken edit is an error
 * and the old version keeps answering; the inotify watcher reloads on its
 * own after an edit and reports a broken one; metrics count across
 * versions. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "project/live.h"
#include "wasm/wait.h"

static char dir[256];

/* The project: `t:value` returns v; `t:slow` waits ms then returns v. */
static void write_project(int v, bool broken)
{
    char path[300];
    snprintf(path, sizeof path, "%s/_index.yaml", dir);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "namespace: t\n"
            "entries:\n"
            "  - name: value\n"
            "    kind: function.wat\n"
            "    source: '(module (func (export \"value\") (result i32) i32.const %d))'\n"
            "    wit: 'value: func() -> s32;'\n"
            "    method: value\n"
            "  - name: slow\n"
            "    kind: function.lua\n"
            "    source: |\n"
            "      local time = require('time')\n"
            "      function run(ms) time.sleep(ms * 1000000); return %d end\n"
            "    method: run\n"
            "    modules: [time]\n"
            "    pool: {type: lazy, max_size: 4}\n%s",
            v, v, broken ? "  - name: oops\n    kind: function.wat\n" : "");
    fclose(f);
}

static int64_t value_of(wf_project_version *v, const char *id, int64_t arg, bool with_arg)
{
    wf_val a = wf_val_sint(WF_VAL_S64, arg), r;
    wf_error *e = wf_runtime_call(v->rt, id, &a, with_arg ? 1 : 0, &r, NULL);
    if (e) fail_msg("call %s: %s", id, e->message);
    int64_t x = r.of.s;
    wf_val_free(&r);
    return x;
}

typedef struct slow_call {
    wf_project_version *v;
    int64_t got;
} slow_call;

static void *slow_thread(void *arg)
{
    slow_call *c = arg;
    c->got = value_of(c->v, "t:slow", 300, true);
    wf_project_version_release(c->v);
    return NULL;
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/wf_live_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return rm_tree(dir);
}

static void test_reload(void **state)
{
    write_project(1, false);
    wf_project_live *lp;
    wf_error *e = wf_project_live_open(dir, &lp);
    if (e) fail_msg("%s", e->message);
    wf_project_version *v1 = wf_project_live_acquire(lp);
    assert_int_equal(v1->number, 1);
    assert_int_equal(value_of(v1, "t:value", 0, false), 1);

    /* a slow call in flight on version 1 */
    slow_call c = {.v = v1};
    wf_project_version_retain(v1);
    pthread_t th;
    pthread_create(&th, NULL, slow_thread, &c);
    usleep(50 * 1000);

    write_project(2, false);
    uint64_t n = 0;
    assert_null(wf_project_live_reload(lp, &n));
    assert_int_equal(n, 2);
    wf_project_version *v2 = wf_project_live_acquire(lp);
    assert_int_equal(value_of(v2, "t:value", 0, false), 2);
    assert_int_equal(value_of(v1, "t:value", 0, false), 1);   /* the old one still answers */
    wf_project_version_release(v1);
    pthread_join(th, NULL);
    assert_int_equal(c.got, 1);                                /* finished on its version */

    /* a broken edit: an error naming the problem, version 2 stays */
    write_project(3, true);
    e = wf_project_live_reload(lp, &n);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "oops"));
    wf_error_free(e);
    wf_project_version *still = wf_project_live_acquire(lp);
    assert_int_equal(still->number, 2);
    assert_int_equal(value_of(still, "t:value", 0, false), 2);
    wf_project_version_release(still);
    wf_project_version_release(v2);

    /* one metrics object across versions: 3 calls of t:value on v1, v2 and v2 again */
    wf_metrics_fn *m = wf_metrics_function(wf_project_live_metrics(lp), "t:value");
    assert_int_equal(wf_metrics_calls(m), 4);
    wf_project_live_close(lp);
}

typedef struct seen {
    pthread_mutex_t mu;
    uint64_t number;
    int errors;
    char last_error[512];
} seen;

static void on_reload(void *ud, wf_project_version *v, const wf_error *e)
{
    seen *s = ud;
    pthread_mutex_lock(&s->mu);
    if (v) s->number = v->number;
    if (e) {
        s->errors++;
        snprintf(s->last_error, sizeof s->last_error, "%s", e->message);
    }
    pthread_mutex_unlock(&s->mu);
}

static bool wait_for(seen *s, uint64_t number, int errors)
{
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&s->mu);
        bool ok = s->number == number && s->errors == errors;
        pthread_mutex_unlock(&s->mu);
        if (ok) return true;
        usleep(10 * 1000);
    }
    return false;
}

static void test_watch(void **state)
{
    write_project(10, false);
    wf_project_live *lp;
    assert_null(wf_project_live_open(dir, &lp));
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .number = 1};
    assert_null(wf_project_live_watch(lp, on_reload, &s));
    usleep(50 * 1000);
    write_project(11, false);
    assert_true(wait_for(&s, 2, 0));
    wf_project_version *v = wf_project_live_acquire(lp);
    assert_int_equal(value_of(v, "t:value", 0, false), 11);
    wf_project_version_release(v);

    write_project(12, true);
    assert_true(wait_for(&s, 2, 1));
    assert_non_null(strstr(s.last_error, "oops"));
    v = wf_project_live_acquire(lp);
    assert_int_equal(value_of(v, "t:value", 0, false), 11);
    wf_project_version_release(v);

    /* a file the registry never reads changes nothing */
    put(dir, "notes.txt", "hello");
    usleep(400 * 1000);
    assert_true(wait_for(&s, 2, 1));

    write_project(13, false);
    assert_true(wait_for(&s, 3, 1));
    wf_project_live_close(lp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_watch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
