/* test_project.c - the runtime embedding API of wasmfn.h (src/project): a
 * project loaded from a directory, functions looked up by ID and called
 * with wf_val values and with JSON from several threads, the error kinds and
 * messages of bad arguments, traps, unknown IDs and projects that do not
 * load, and auto_init directories made by loading to run. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "wasmfn.h"

static char root[64];

static const char PROJECT[] =
    "namespace: t\n"
    "entries:\n"
    "  - name: out\n    kind: fs.directory\n    directory: out\n    auto_init: true\n"
    "  - name: add\n    kind: function.wat\n"
    "    source: |\n"
    "      (module (func (export \"add\") (param i32 i32) (result i32)\n"
    "        (i32.add (local.get 0) (local.get 1))))\n"
    "    wit: |\n      add: func(a: s32, b: s32) -> s32;\n"
    "    method: add\n    pool: {type: lazy, max_size: 2}\n"
    "  - name: boom\n    kind: function.wat\n"
    "    source: (module (func (export \"boom\") unreachable))\n"
    "    method: boom\n"
    "  - name: hello\n    kind: function.lua\n"
    "    source: 'function hello(who) return \"hi \" .. who end'\n"
    "    method: hello\n";

static wf_project *load_project(void)
{
    strcpy(root, "/tmp/wf_project_XXXXXX");
    assert_non_null(mkdtemp(root));
    put(root, "_index.yaml", PROJECT);
    wf_project *p = NULL;
    wf_error *e = wf_project_load(root, &p);
    if (e) fail_msg("load: %s", e->message);
    return p;
}

static void remove_project(void)
{
    assert_int_equal(rm_tree(root), 0);
}

static void expect_error(wf_error *e, wf_error_kind kind, const char *message)
{
    assert_non_null(e);
    assert_string_equal(wf_error_kind_name(e->kind), wf_error_kind_name(kind));
    assert_string_equal(e->message, message);
    wf_error_free(e);
}

static void test_values_and_json(void **state)
{
    (void)state;
    wf_project *p = load_project();
    /* Loading to run made the auto_init directory. */
    char out[128];
    snprintf(out, sizeof out, "%s/out", root);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    wf_function *add, *again;
    assert_null(wf_project_function(p, "t:add", &add));
    assert_null(wf_project_function(p, "t:add", &again));
    assert_ptr_equal(add, again);

    wf_val args[2] = { wf_val_sint(WF_VAL_S32, 2), wf_val_sint(WF_VAL_S32, -5) }, r;
    assert_null(wf_function_call(add, args, 2, 0, &r));
    assert_int_equal(r.kind, WF_VAL_S32);
    assert_int_equal(r.of.s, -3);
    wf_val_free(&r);
    expect_error(wf_function_call(add, args, 1, 0, &r), WF_ERR_INVALID,
                 "`add` takes 2 arguments, got 1");

    const char *json[2] = { "40", "2" };
    char *text;
    assert_null(wf_function_call_json(add, json, 2, 0, &text));
    assert_string_equal(text, "42");
    free(text);
    json[0] = "\"forty\"";
    expect_error(wf_function_call_json(add, json, 2, 0, &text), WF_ERR_INVALID,
                 "parameter `a`: expected s32, got a string");
    assert_null(text);
    expect_error(wf_function_call_json(add, json, 1, 0, &text), WF_ERR_INVALID,
                 "`add` takes 2 arguments, got 1");

    wf_function *boom, *hello;
    assert_null(wf_project_function(p, "t:boom", &boom));
    expect_error(wf_function_call_json(boom, NULL, 0, 0, &text), WF_ERR_TRAP, "t:boom: unreachable");
    assert_null(wf_project_function(p, "t:hello", &hello));
    json[0] = "\"there\"";
    assert_null(wf_function_call_json(hello, json, 1, 0, &text));
    assert_string_equal(text, "\"hi there\"");
    free(text);

    wf_function *none = (wf_function *)1;
    expect_error(wf_project_function(p, "t:nope", &none), WF_ERR_NOT_FOUND, "no function t:nope");
    assert_null(none);
    wf_project_close(p);
    wf_project_close(NULL);
    remove_project();
}

/* Lookups and calls from several threads at once. */
static void *caller(void *arg)
{
    wf_project *p = arg;
    for (int i = 0; i < 50; i++) {
        wf_function *f;
        if (wf_project_function(p, "t:add", &f)) return (void *)1;
        wf_val args[2] = { wf_val_sint(WF_VAL_S32, i), wf_val_sint(WF_VAL_S32, 1000) }, r;
        wf_error *e = wf_function_call(f, args, 2, 5000, &r);
        if (e || r.of.s != i + 1000) return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    wf_project *p = load_project();
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, caller, p), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    wf_project_close(p);
    remove_project();
}

/* A project that does not load: every problem, one a line, and no project. */
static void test_load_errors(void **state)
{
    (void)state;
    strcpy(root, "/tmp/wf_project_XXXXXX");
    assert_non_null(mkdtemp(root));
    put(root, "_index.yaml",
        "namespace: x\nentries:\n"
        "  - name: f\n    kind: function.wat\n    method: f\n"
        "  - name: d\n    kind: fs.directory\n    directory: missing\n");
    wf_project *p = (wf_project *)1;
    wf_error *e = wf_project_load(root, &p);
    assert_null(p);
    expect_error(e, WF_ERR_INVALID,
                 "_index.yaml:3: x:f: missing required field 'source'\n"
                 "_index.yaml:8: x:d: directory 'missing' does not exist (set auto_init: true to create it)");
    remove_project();
    e = wf_project_load("/nonexistent/project", &p);
    assert_null(p);
    expect_error(e, WF_ERR_IO, "cannot open project directory /nonexistent/project: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_json),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
