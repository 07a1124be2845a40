/* test_wasi_p1.c - WASI preview 1 host functions called from a WAT module:
 * link checks, bounds checks (`fault`, never a crash), fd_readdir resumed
 * by cookies through a small buffer, prestat, renumber/close, args and
 * environ layout, proc_exit as WF_ERR_EXIT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi/wasi.h"
#include "wasm/runtime.h"

#define P1 "(import \"wasi_snapshot_preview1\" "
static const char *wat =
    "(module\n"
    P1 "\"fd_readdir\" (func $rd (param i32 i32 i32 i64 i32) (result i32)))\n"
    P1 "\"args_get\" (func $ag (param i32 i32) (result i32)))\n"
    P1 "\"args_sizes_get\" (func $as (param i32 i32) (result i32)))\n"
    P1 "\"environ_get\" (func $eg (param i32 i32) (result i32)))\n"
    P1 "\"fd_prestat_get\" (func $pg (param i32 i32) (result i32)))\n"
    P1 "\"fd_prestat_dir_name\" (func $pn (param i32 i32 i32) (result i32)))\n"
    P1 "\"fd_renumber\" (func $rn (param i32 i32) (result i32)))\n"
    P1 "\"fd_close\" (func $cl (param i32) (result i32)))\n"
    P1 "\"proc_exit\" (func $ex (param i32)))\n"
    " (memory (export \"memory\") 1)\n"
    " (func (export \"readdir\") (param i32 i32 i32 i64 i32) (result i32)\n"
    "   local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $rd)\n"
    " (func (export \"args_get\") (param i32 i32) (result i32) local.get 0 local.get 1 call $ag)\n"
    " (func (export \"args_sizes_get\") (param i32 i32) (result i32) local.get 0 local.get 1 call $as)\n"
    " (func (export \"environ_get\") (param i32 i32) (result i32) local.get 0 local.get 1 call $eg)\n"
    " (func (export \"prestat_get\") (param i32 i32) (result i32) local.get 0 local.get 1 call $pg)\n"
    " (func (export \"prestat_name\") (param i32 i32 i32) (result i32)\n"
    "   local.get 0 local.get 1 local.get 2 call $pn)\n"
    " (func (export \"renumber\") (param i32 i32) (result i32) local.get 0 local.get 1 call $rn)\n"
    " (func (export \"close\") (param i32) (result i32) local.get 0 call $cl)\n"
    " (func (export \"exit\") (param i32) local.get 0 call $ex))\n";

typedef struct env {
    char dir[64];
    wf_module *m;
    wf_store *s;
    wf_wasi_ctx *ctx;
    wf_instance *inst;
    uint8_t *mem;
} env;

static env E;

static int setup(void **state)
{
    strcpy(E.dir, "/tmp/wf_wasi_unit_XXXXXX");
    assert_non_null(mkdtemp(E.dir));
    for (int i = 0; i < 40; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/file-with-a-longish-name-%02d", E.dir, i);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_null(wf_module_from_wat(wat, strlen(wat), &E.m));
    E.s = wf_store_new();
    E.ctx = wf_wasi_ctx_new(-1, -1, -1);
    const char *argv[] = { "prog", "a b", "" };
    wf_wasi_ctx_set_args(E.ctx, argv, 3);
    wf_wasi_ctx_add_env(E.ctx, "K=v=w");
    assert_null(wf_wasi_ctx_mount(E.ctx, E.dir, "/sandbox", false)); /* fd 3 */
    uint32_t n = wf_module_import_count(E.m);
    wf_extern *imps = calloc(n, sizeof *imps);
    assert_null(wf_wasi_p1_link(E.s, E.m, E.ctx, imps));
    assert_null(wf_instance_new(E.s, E.m, imps, n, &E.inst));
    free(imps);
    wf_extern x;
    assert_true(wf_instance_export(E.inst, "memory", 6, &x));
    E.mem = wf_memory_data(x.of.memory);
    *state = &E;
    return 0;
}

static int teardown(void **state)
{
    wf_store_free(E.s);
    wf_module_free(E.m);
    wf_wasi_ctx_free(E.ctx);
    assert_int_equal(rm_tree(E.dir), 0);
    return 0;
}

/* Call export name with i32/i64 arguments (types from the function). */
static wf_error *call(const char *name, const int64_t *a, size_t n, int32_t *ret)
{
    wf_extern x;
    assert_true(wf_instance_export(E.inst, name, strlen(name), &x));
    const wf_functype *t = wf_func_type(x.of.func);
    wf_value args[8], res[1];
    for (size_t i = 0; i < n; i++) {
        args[i].type = t->params[i];
        if (t->params[i].kind == WF_I64) args[i].of.i64 = a[i];
        else args[i].of.i32 = (int32_t)a[i];
    }
    wf_error *e = wf_func_call(x.of.func, args, n, res, t->nresults);
    if (!e && t->nresults) *ret = res[0].of.i32;
    return e;
}

static int32_t ok_call(const char *name, const int64_t *a, size_t n)
{
    int32_t r = -1;
    wf_error *e = call(name, a, n, &r);
    if (e) fail_msg("%s: %s", name, e->message);
    return r;
}

#define CALL(name, ...) ok_call(name, (int64_t[]){ __VA_ARGS__ }, \
                                sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))

static void test_link_errors(void **state)
{
    const char *bad[] = {
        "(module (import \"wasi_snapshot_preview1\" \"fd_nope\" (func)))",
        "(module (import \"wasi_snapshot_preview1\" \"fd_close\" (func (param i64) (result i32))))",
        "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func (param i32) (result i32))))",
        "(module (import \"wasi_snapshot_preview1\" \"fd_close\" (memory 1)))",
    };
    for (size_t i = 0; i < 4; i++) {
        wf_module *m;
        assert_null(wf_module_from_wat(bad[i], strlen(bad[i]), &m));
        assert_true(wf_wasi_p1_imported(m));
        wf_store *s = wf_store_new();
        wf_extern imps[1] = { 0 };
        wf_error *e = wf_wasi_p1_link(s, m, E.ctx, imps);
        assert_non_null(e);
        assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
        wf_error_free(e);
        wf_store_free(s);
        wf_module_free(m);
    }
}

static void test_args_environ(void **state)
{
    assert_int_equal(CALL("args_sizes_get", 0, 4), 0);
    assert_int_equal(*(uint32_t *)(E.mem + 0), 3);
    assert_int_equal(*(uint32_t *)(E.mem + 4), 5 + 4 + 1);
    assert_int_equal(CALL("args_get", 100, 200), 0);
    assert_int_equal(*(uint32_t *)(E.mem + 104), 205);
    assert_string_equal((char *)E.mem + 205, "a b");
    assert_string_equal((char *)E.mem + 209, "");
    assert_int_equal(CALL("environ_get", 100, 200), 0);
    assert_string_equal((char *)E.mem + 200, "K=v=w");
}

static void test_faults(void **state)
{
    /* fault (21) for every out-of-bounds range, at the very edge too */
    assert_int_equal(CALL("args_sizes_get", 65534, 0), 21);
    assert_int_equal(CALL("args_sizes_get", 0, 0xfffffffc), 21);
    assert_int_equal(CALL("args_get", 65532, 200), 21);
    assert_int_equal(CALL("args_get", 100, 65530), 21);
    assert_int_equal(CALL("prestat_get", 3, 65533), 21);
    assert_int_equal(CALL("prestat_name", 3, 65535, 8), 21);
    assert_int_equal(CALL("readdir", 3, 65000, 4096, 0, 0), 21);
    assert_int_equal(CALL("readdir", 3, 0, 64, 0, 65533), 21);
    /* the last bytes of memory are fine */
    assert_int_equal(CALL("args_sizes_get", 65532, 65528), 0);
}

static void test_prestat(void **state)
{
    assert_int_equal(CALL("prestat_get", 3, 0), 0);
    assert_int_equal(E.mem[0], 0);
    assert_int_equal(*(uint32_t *)(E.mem + 4), 8);
    assert_int_equal(CALL("prestat_name", 3, 16, 7), 37);   /* nametoolong */
    assert_int_equal(CALL("prestat_name", 3, 16, 8), 0);
    assert_memory_equal(E.mem + 16, "/sandbox", 8);
    assert_int_equal(CALL("prestat_get", 0, 0), 8);         /* closed stdin: badf */
    assert_int_equal(CALL("prestat_get", 99, 0), 8);
}

/* List the mount through a 70-byte buffer: entries get cut, the guest
 * resumes from the last complete entry's d_next. Every name once. */
static void test_readdir_cookies(void **state)
{
    int seen[40] = { 0 }, dots = 0, rounds = 0;
    uint64_t cookie = 0;
    for (;;) {
        assert_true(++rounds < 1000);
        memset(E.mem + 1000, 0xee, 70);
        assert_int_equal(CALL("readdir", 3, 1000, 70, (int64_t)cookie, 996), 0);
        uint32_t used = *(uint32_t *)(E.mem + 996), at = 0;
        bool progressed = false;
        while (at + 24 <= used) {
            const uint8_t *d = E.mem + 1000 + at;
            uint64_t next;
            uint32_t nl;
            memcpy(&next, d, 8);
            memcpy(&nl, d + 16, 4);
            if (at + 24 + nl > used) break;       /* cut short: ask again */
            char name[64] = { 0 };
            memcpy(name, d + 24, nl);
            int k;
            if (!strcmp(name, ".") || !strcmp(name, "..")) dots++;
            else if (sscanf(name, "file-with-a-longish-name-%d", &k) == 1) seen[k]++;
            else fail_msg("unexpected entry '%s'", name);
            assert_int_equal(d[20], strcmp(name, ".") && strcmp(name, "..") ? 4 : 3);
            cookie = next;
            at += 24 + nl;
            progressed = true;
        }
        if (used < 70) break;                      /* end of directory */
        assert_true(progressed);
    }
    assert_int_equal(dots, 2);
    for (int i = 0; i < 40; i++) assert_int_equal(seen[i], 1);
    assert_int_equal(CALL("readdir", 1, 1000, 70, 0, 996), 8);   /* closed: badf */
}

static void test_renumber_close(void **state)
{
    assert_int_equal(CALL("renumber", 3, 7), 8);      /* 7 is not open */
    assert_int_equal(CALL("renumber", 3, 3), 0);
    assert_int_equal(CALL("close", 3), 0);
    assert_int_equal(CALL("close", 3), 8);
    assert_int_equal(CALL("prestat_get", 3, 0), 8);
    assert_null(wf_wasi_ctx_mount(E.ctx, E.dir, "/again", true));   /* back at 3 */
    assert_int_equal(CALL("prestat_get", 3, 0), 0);
    assert_int_equal(*(uint32_t *)(E.mem + 4), 6);
}

static void test_proc_exit(void **state)
{
    int32_t r;
    wf_error *e = call("exit", (int64_t[]){ 42 }, 1, &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_EXIT);
    assert_int_equal(e->exit_code, 42);
    wf_error_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_errors),   cmocka_unit_test(test_args_environ),
        cmocka_unit_test(test_faults),        cmocka_unit_test(test_prestat),
        cmocka_unit_test(test_readdir_cookies), cmocka_unit_test(test_renumber_close),
        cmocka_unit_test(test_proc_exit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
