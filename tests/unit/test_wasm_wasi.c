/* test_wasm_wasi.c - WASI preview 1 in the WASM function kind (wasm_fn.c)
 * and from registry entries (register.c): env looked up per call, required
 * variables, args, proc_exit, stdout/stderr captured into the log line by
 * line (long lines split, concurrent calls never mixed inside a line),
 * not-enabled imports trapping, imports no host provides refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "helpers.h"

#include "registry/registry.h"
#include "runtime/runtime.h"

static const char *wat =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"environ_sizes_get\" (func $es (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"environ_get\" (func $eg (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $w (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $as (param i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 60) \"\\n\")\n"
    /* logs every variable as a line; returns their count */
    "  (func (export \"env\") (result i32) (local $i i32) (local $n i32) (local $p i32) (local $e i32)\n"
    "    (drop (call $es (i32.const 0) (i32.const 4)))\n"
    "    (drop (call $eg (i32.const 100) (i32.const 1000)))\n"
    "    (local.set $n (i32.load (i32.const 0)))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n"
    "      (local.set $p (i32.load (i32.add (i32.const 100) (i32.shl (local.get $i) (i32.const 2)))))\n"
    "      (local.set $e (local.get $p))\n"
    "      (block $z (loop $s (br_if $z (i32.eqz (i32.load8_u (local.get $e))))\n"
    "        (local.set $e (i32.add (local.get $e) (i32.const 1))) (br $s)))\n"
    "      (i32.store (i32.const 16) (local.get $p))\n"
    "      (i32.store (i32.const 20) (i32.sub (local.get $e) (local.get $p)))\n"
    "      (i32.store (i32.const 24) (i32.const 60))\n"
    "      (i32.store (i32.const 28) (i32.const 1))\n"
    "      (drop (call $w (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 8)))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $l)))\n"
    "    (local.get $n))\n"
    "  (func (export \"envsize\") (result i32)\n"
    "    (drop (call $es (i32.const 0) (i32.const 4))) (i32.load (i32.const 4)))\n"
    "  (func (export \"argc\") (result i32)\n"
    "    (drop (call $as (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))\n"
    "  (func (export \"exit_with\") (param i32) (result i32) (call $exit (local.get 0)) (i32.const 0))\n"
    "  (func (export \"exit_void\") (param i32) (call $exit (local.get 0)))\n"
    /* 40000 'x' to stdout, no newline */
    "  (func (export \"long\")\n"
    "    (memory.fill (i32.const 2000) (i32.const 120) (i32.const 40000))\n"
    "    (i32.store (i32.const 16) (i32.const 2000)) (i32.store (i32.const 20) (i32.const 40000))\n"
    "    (drop (call $w (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))))\n";

/* ---- the log and env callbacks ------------------------------------------ */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *lines[256];
static size_t nlines;

static void log_line(void *ud, const char *line)
{
    (void)ud;
    pthread_mutex_lock(&log_lock);
    if (nlines < 256) lines[nlines++] = strdup(line);
    pthread_mutex_unlock(&log_lock);
}

static void log_reset(void)
{
    for (size_t i = 0; i < nlines; i++) free(lines[i]);
    nlines = 0;
}

static const char *vals[4];   /* values of variables "v0".."v3" (NULL: none) */
static bool lookup_fails;

static wf_error *lookup(void *ud, const char *id, char **value)
{
    (void)ud;
    if (lookup_fails) return wf_error_new(WF_ERR_IO, "storage unreadable");
    int k = id[1] - '0';
    *value = vals[k] ? strdup(vals[k]) : NULL;
    return NULL;
}

static wf_module *module;

static int setup(void **state)
{
    (void)state;
    return wf_module_from_wat(wat, strlen(wat), &module) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    wf_module_free(module);
    log_reset();
    return 0;
}

static wf_runtime *rt_wasi(const char *method, wf_pool_type pool, const wf_wasi_config *wasi)
{
    wf_runtime *rt = wf_runtime_new();
    wf_wasm_config cfg = { .method = method, .pool = { .type = pool, .max_size = 4 }, .wasi = *wasi };
    wf_error *e = wf_runtime_add_wasm(rt, "t:w", module, &cfg);
    if (e) fail_msg("add: %s", e->message);
    return rt;
}

static wf_error *call(wf_runtime *rt, wf_val *args, size_t nargs, wf_val *result)
{
    wf_val r;
    wf_error *e = wf_runtime_call(rt, "t:w", args, nargs, result ? result : &r, NULL);
    if (!e && !result) wf_val_free(&r);
    return e;
}

static int64_t call_i(wf_runtime *rt)
{
    wf_val r;
    wf_error *e = call(rt, NULL, 0, &r);
    if (e) fail_msg("call: %s", e->message);
    assert_int_equal(r.kind, WF_VAL_S32);
    int64_t v = r.of.s;
    wf_val_free(&r);
    return v;
}

static const wf_wasi_env_var env3[] = {
    { "v0", "A", false }, { "v1", "B", false }, { "v2", "C", true },
};

/* ---- tests ---------------------------------------------------------------- */

static void test_env_per_call(void **state)
{
    (void)state;
    log_reset();
    wf_wasi_config w = { .preview1 = true, .cwd = "/work", .env = env3, .nenv = 3,
                         .env_lookup = lookup, .log = log_line };
    wf_runtime *rt = rt_wasi("env", WF_RT_POOL_LAZY, &w);
    vals[0] = "one", vals[1] = NULL, vals[2] = "three";
    assert_int_equal(call_i(rt), 3);   /* A, C, PWD: B has no value and is optional */
    assert_int_equal(nlines, 3);
    assert_string_equal(lines[0], "[t:w] A=one");
    assert_string_equal(lines[1], "[t:w] C=three");
    assert_string_equal(lines[2], "[t:w] PWD=/work");
    /* A value changed between calls is seen by the next call. */
    vals[0] = "uno";
    vals[1] = "two";
    log_reset();
    assert_int_equal(call_i(rt), 4);
    assert_string_equal(lines[0], "[t:w] A=uno");
    assert_string_equal(lines[1], "[t:w] B=two");
    log_reset();
    wf_runtime_free(rt);
}

static void test_required_missing(void **state)
{
    (void)state;
    log_reset();
    wf_wasi_config w = { .preview1 = true, .env = env3, .nenv = 3, .env_lookup = lookup,
                         .log = log_line };
    for (int p = 0; p < 2; p++) {
        wf_runtime *rt = rt_wasi("env", p ? WF_RT_POOL_STATIC : WF_RT_POOL_INLINE, &w);
        vals[0] = "x", vals[1] = NULL, vals[2] = NULL;
        expect_err(call(rt, NULL, 0, NULL), WF_ERR_NOT_FOUND,
                   "t:w: required env variable not set: C (v2)");
        assert_int_equal(nlines, 0);   /* nothing ran */
        lookup_fails = true;
        expect_err(call(rt, NULL, 0, NULL), WF_ERR_IO, "t:w: env variable A: storage unreadable");
        lookup_fails = false;
        vals[2] = "now";
        assert_int_equal(call_i(rt), 2);
        log_reset();
        wf_runtime_free(rt);
    }
    /* No lookup at all: every variable is missing. */
    w.env_lookup = NULL;
    wf_runtime *rt = rt_wasi("env", WF_RT_POOL_INLINE, &w);
    expect_err(call(rt, NULL, 0, NULL), WF_ERR_NOT_FOUND, "C (v2)");
    wf_runtime_free(rt);
}

static void test_args(void **state)
{
    (void)state;
    const char *args[] = { "a", "b c" };
    wf_wasi_config w = { .preview1 = true, .args = args, .nargs = 2, .log = log_line };
    wf_runtime *rt = rt_wasi("argc", WF_RT_POOL_INLINE, &w);
    assert_int_equal(call_i(rt), 3);   /* the function ID, then args */
    wf_runtime_free(rt);
}

static void test_proc_exit(void **state)
{
    (void)state;
    wf_wasi_config w = { .preview1 = true, .log = log_line };
    wf_runtime *rt = rt_wasi("exit_void", WF_RT_POOL_LAZY, &w);
    wf_val a = wf_val_sint(WF_VAL_S32, 0), r;
    assert_null(call(rt, &a, 1, &r));   /* exit 0 without results: a normal return */
    assert_int_equal(r.kind, WF_VAL_TUPLE);
    assert_int_equal(r.of.agg.len, 0);
    wf_val_free(&r);
    a = wf_val_sint(WF_VAL_S32, 3);
    wf_error *e = call(rt, &a, 1, NULL);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_int_equal(e->exit_code, 3);
    assert_string_equal(e->message, "t:w: exited with status 3");
    wf_error_free(e);
    wf_runtime_free(rt);
    rt = rt_wasi("exit_with", WF_RT_POOL_INLINE, &w);
    a = wf_val_sint(WF_VAL_S32, 0);
    expect_err(call(rt, &a, 1, NULL), WF_ERR_TRAP, "exited with status 0 before returning its result");
    wf_runtime_free(rt);
}

static void test_long_line(void **state)
{
    (void)state;
    log_reset();
    wf_wasi_config w = { .preview1 = true, .log = log_line };
    wf_runtime *rt = rt_wasi("long", WF_RT_POOL_INLINE, &w);
    assert_null(call(rt, NULL, 0, NULL));
    assert_int_equal(nlines, 3);   /* 16384 + 16384 + 7232 */
    size_t total = 0;
    for (size_t i = 0; i < nlines; i++) {
        assert_int_equal(strncmp(lines[i], "[t:w] xxx", 9), 0);
        total += strlen(lines[i]) - 6;
    }
    assert_int_equal(total, 40000);
    log_reset();
    wf_runtime_free(rt);
}

static void test_concurrent_lines(void **state)
{
    (void)state;
    log_reset();
    static const wf_wasi_env_var one[] = { { "v3", "LONG_VARIABLE_NAME", true } };
    vals[3] = "a fairly long value so that torn lines would show";
    wf_wasi_config w = { .preview1 = true, .env = one, .nenv = 1, .env_lookup = lookup,
                         .log = log_line };
    wf_runtime *rt = rt_wasi("env", WF_RT_POOL_LAZY, &w);
    wf_call_future *f[64];
    for (int i = 0; i < 64; i++) assert_null(wf_call_future_start(rt, "t:w", NULL, 0, NULL, &f[i]));
    for (int i = 0; i < 64; i++) {
        assert_true(wf_call_future_wait(f[i], -1));
        wf_val r;
        assert_null(wf_call_future_take(f[i], &r));
        wf_val_free(&r);
        wf_call_future_free(f[i]);
    }
    assert_int_equal(nlines, 64);
    for (size_t i = 0; i < nlines; i++)
        assert_string_equal(lines[i], "[t:w] LONG_VARIABLE_NAME=a fairly long value so that torn lines would show");
    log_reset();
    wf_runtime_free(rt);
}

static void test_stubs_and_unknown(void **state)
{
    (void)state;
    wf_wasi_config w = { .preview1 = false };
    wf_runtime *rt = rt_wasi("argc", WF_RT_POOL_INLINE, &w);
    expect_err(call(rt, NULL, 0, NULL), WF_ERR_TRAP,
               "t:w: import wasi_snapshot_preview1::args_sizes_get is not enabled: add "
               "`wasi_snapshot_preview1` (or wasi1, preview1) to the entry's `imports`");
    wf_runtime_free(rt);

    static const char *bad[] = {
        "(module (import \"env\" \"foo\" (func)) (func (export \"f\")))",
        "(module (import \"wasi_snapshot_preview1\" \"fd_teleport\" (func)) (func (export \"f\")))",
        "(module (import \"wasi_snapshot_preview1\" \"fd_close\" (func)) (func (export \"f\")))",
    };
    static const char *want[] = { "imports `env`.`foo`, which no host provides",
                                  "wasi_snapshot_preview1::fd_teleport has no such function",
                                  "incompatible import type: wasi_snapshot_preview1::fd_close" };
    for (size_t i = 0; i < 3; i++) {
        wf_module *m;
        assert_null(wf_module_from_wat(bad[i], strlen(bad[i]), &m));
        rt = wf_runtime_new();
        wf_wasm_config cfg = { .method = "f", .wasi = { .preview1 = true } };
        expect_err(wf_runtime_add_wasm(rt, "t:bad", m, &cfg), WF_ERR_UNLINKABLE, want[i]);
        assert_false(wf_runtime_has(rt, "t:bad"));
        wf_runtime_free(rt);
        wf_module_free(m);
    }
}

static void test_bad_mount(void **state)
{
    (void)state;
    wf_wasi_mount_config m[] = { { "/nonexistent/wasmfn-test", "/data", true } };
    wf_wasi_config w = { .preview1 = true, .mounts = m, .nmounts = 1, .log = log_line };
    wf_runtime *rt = rt_wasi("argc", WF_RT_POOL_INLINE, &w);
    expect_err(call(rt, NULL, 0, NULL), WF_ERR_IO, "mount /data");
    wf_runtime_free(rt);
}

/* ---- from the registry ---------------------------------------------------- */

static void test_registry(void **state)
{
    (void)state;
    char root[] = "/tmp/wf_wasireg_XXXXXX";
    assert_non_null(mkdtemp(root));
    char *y = NULL;
    size_t ylen = 0;
    FILE *f = open_memstream(&y, &ylen);
    fputs("namespace: t\nentries:\n"
          "  - name: mem\n    kind: env.storage.memory\n"
          "  - name: v\n    kind: env.variable\n    variable: V\n    storage: mem\n    default: ab\n"
          "  - name: size\n    kind: function.wat\n    method: envsize\n"
          "    wasi:\n      env:\n        - {id: v, name: V, required: true}\n"
          "    source: |\n", f);
    for (const char *p = wat; *p;) {
        const char *nl = strchr(p, '\n');
        fprintf(f, "      %.*s\n", (int)(nl - p), p);
        p = nl + 1;
    }
    fputs("  - name: plain\n    kind: function.wat\n    method: argc\n    source: |\n", f);
    for (const char *p = wat; *p;) {
        const char *nl = strchr(p, '\n');
        fprintf(f, "      %.*s\n", (int)(nl - p), p);
        p = nl + 1;
    }
    fputs("  - name: gated\n    kind: function.wat\n    method: argc\n    imports: [funcs]\n"
          "    source: |\n", f);
    for (const char *p = wat; *p;) {
        const char *nl = strchr(p, '\n');
        fprintf(f, "      %.*s\n", (int)(nl - p), p);
        p = nl + 1;
    }
    fclose(f);
    put(root, "_index.yaml", y);
    free(y);

    wf_registry *r = NULL;
    wf_error *e = wf_registry_load(root, &r);
    if (e) {
        for (size_t i = 0; i < wf_registry_diag_count(r); i++)
            print_error("%s\n", wf_reg_diag_format(wf_registry_diag(r, i)));
        fail_msg("load: %s", e->message);
    }
    wf_runtime *rt = wf_runtime_new();
    assert_null(wf_registry_register(r, rt));
    wf_val res;
    assert_null(wf_runtime_call(rt, "t:size", NULL, 0, &res, NULL));
    assert_int_equal(res.of.s, 5);   /* "V=ab\0": the default */
    assert_null(wf_registry_env_set(r, "t:v", "abcdef"));
    assert_null(wf_runtime_call(rt, "t:size", NULL, 0, &res, NULL));
    assert_int_equal(res.of.s, 9);   /* the memory storage's new value, next call */
    /* no `imports` field: preview 1 is linked */
    assert_null(wf_runtime_call(rt, "t:plain", NULL, 0, &res, NULL));
    assert_int_equal(res.of.s, 1);
    /* `imports` without the word and no wasi block: stubs */
    expect_err(wf_runtime_call(rt, "t:gated", NULL, 0, &res, NULL), WF_ERR_TRAP,
               "t:gated: import wasi_snapshot_preview1::args_sizes_get is not enabled");
    wf_runtime_free(rt);
    wf_registry_free(r);
    assert_int_equal(rm_tree(root), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_per_call),
        cmocka_unit_test(test_required_missing),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_proc_exit),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_concurrent_lines),
        cmocka_unit_test(test_stubs_and_unknown),
        cmocka_unit_test(test_bad_mount),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
