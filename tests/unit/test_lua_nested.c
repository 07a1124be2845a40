/* test_lua_nested.c - Lua functions calling registry functions from inside
 * calls (issue 15 item 3): a function calling itself without end fails with
 * LIMIT naming the depth and the function, on the inline pool (no C stack
 * overflow), a lazy pool of 4 and a static pool of 1 (no deadlock: a nested
 * call waits by parking, freeing its worker); so does mutual recursion
 * A -> B -> A; bounded recursion, alone and many at once, gets the right
 * results on every pool; and a call waiting for a nested one is cancelled
 * at once, not when the nested one ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/runtime.h"

static char dir[] = "/tmp/wf_lua_nestXXXXXX";
static wf_registry *reg;
static wf_runtime *rt;

/* rec_P(n): calls itself with n + 1 for ever. sum_P(n): n + sum_P(n - 1)
 * down to 0. ping <-> pong: each calls the other with n + 1. */
#define REC(name, pool)                                                            \
    "  - name: rec_" name "\n"                                                     \
    "    kind: function.lua\n"                                                     \
    "    method: run\n"                                                            \
    "    modules: [funcs]\n"                                                       \
    "    pool: " pool "\n"                                                         \
    "    source: |\n"                                                              \
    "      local funcs = require('funcs')\n"                                       \
    "      function run(n)\n"                                                      \
    "        local r, err = funcs.call('t:rec_" name "', n + 1)\n"                 \
    "        if err then return nil, err end\n"                                    \
    "        return r\n"                                                           \
    "      end\n"                                                                  \
    "  - name: sum_" name "\n"                                                     \
    "    kind: function.lua\n"                                                     \
    "    method: run\n"                                                            \
    "    modules: [funcs]\n"                                                       \
    "    pool: " pool "\n"                                                         \
    "    source: |\n"                                                              \
    "      local funcs = require('funcs')\n"                                       \
    "      function run(n)\n"                                                      \
    "        if n == 0 then return 0 end\n"                                        \
    "        local r, err = funcs.call('t:sum_" name "', n - 1)\n"                 \
    "        if err then return nil, err end\n"                                    \
    "        return n + r\n"                                                       \
    "      end\n"

#define PINGPONG(a, b, pool)                                                       \
    "  - name: " a "\n"                                                            \
    "    kind: function.lua\n"                                                     \
    "    method: run\n"                                                            \
    "    modules: [funcs]\n"                                                       \
    "    pool: " pool "\n"                                                         \
    "    source: |\n"                                                              \
    "      local funcs = require('funcs')\n"                                       \
    "      function run(n)\n"                                                      \
    "        local r, err = funcs.call('t:" b "', n + 1)\n"                        \
    "        if err then return nil, err end\n"                                    \
    "        return r\n"                                                           \
    "      end\n"

static const char *INDEX =
    "namespace: t\n"
    "entries:\n"
    REC("inline", "{ type: inline }")
    REC("lazy", "{ type: lazy, max_size: 4 }")
    REC("static", "{ type: static, workers: 1 }")
    PINGPONG("ping", "pong", "{ type: lazy, max_size: 4 }")
    PINGPONG("pong", "ping", "{ type: static, workers: 1 }")
    PINGPONG("into_inline", "rec_inline", "{ type: static, workers: 1 }")
    /* nap(ms): sleeps in WASI poll_oneoff; waits(ms): calls nap(ms). */
    "  - name: nap\n"
    "    kind: function.wat\n"
    "    method: run\n"
    "    imports: [preview1]\n"
    "    pool: { type: lazy, max_size: 2 }\n"
    "    wit: 'run: func(ms: u32) -> u32;'\n"
    "    source: |\n"
    "      (module\n"
    "        (import \"wasi_snapshot_preview1\" \"poll_oneoff\"\n"
    "          (func $poll (param i32 i32 i32 i32) (result i32)))\n"
    "        (memory (export \"memory\") 1)\n"
    "        (func (export \"run\") (param i32) (result i32)\n"
    "          (i32.store8 (i32.const 8) (i32.const 0))\n"
    "          (i32.store (i32.const 16) (i32.const 1))\n"
    "          (i64.store (i32.const 24) (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const 1000000)))\n"
    "          (i64.store (i32.const 32) (i64.const 0))\n"
    "          (i32.store16 (i32.const 40) (i32.const 0))\n"
    "          (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))\n"
    "          (local.get 0)))\n"
    PINGPONG("waits", "nap", "{ type: static, workers: 1 }");

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    put(dir, "_index.yaml", INDEX);
    wf_error *e = wf_registry_load(dir, &reg);
    if (e) fail_msg("load: %s", e->message);
    rt = wf_runtime_new();
    assert_null(wf_registry_register(reg, rt));
    e = wf_lua_register(reg, rt);
    if (e) fail_msg("register: %s", e->message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wf_runtime_free(rt);
    wf_registry_free(reg);
    assert_int_equal(rm_tree(dir), 0);
    return 0;
}

static wf_error *call1(const char *id, int64_t n, wf_val *r)
{
    wf_val a = wf_val_sint(WF_VAL_S64, n);
    return wf_runtime_call(rt, id, &a, 1, r, NULL);
}

/* The call WF_RT_MAX_DEPTH + 1 deep fails; its error comes back up as the
 * value each level returns. */
static void expect_depth_limit(const char *id, const char *deepest, const char *caller)
{
    wf_val r;
    wf_error *e = call1(id, 0, &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_LIMIT);
    char want[200];
    snprintf(want, sizeof want, "%s: call depth %u exceeds the limit of %u nested calls (called from %s)",
             deepest, WF_RT_MAX_DEPTH + 1, WF_RT_MAX_DEPTH, caller);
    assert_non_null(strstr(e->message, want));
    wf_error_free(e);
}

static void test_self_recursion_inline(void **state)
{
    (void)state;
    expect_depth_limit("t:rec_inline", "t:rec_inline", "t:rec_inline");
}

static void test_self_recursion_lazy_4(void **state)
{
    (void)state;
    expect_depth_limit("t:rec_lazy", "t:rec_lazy", "t:rec_lazy");
}

static void test_self_recursion_static_1(void **state)
{
    (void)state;
    expect_depth_limit("t:rec_static", "t:rec_static", "t:rec_static");
}

/* ping (lazy 4) -> pong (static 1) -> ping ...: call 65 is ping's (odd
 * depths are ping's), called from pong. */
static void test_mutual_recursion(void **state)
{
    (void)state;
    expect_depth_limit("t:ping", "t:ping", "t:pong");
}

/* A pooled call whose inline callee recurses: the whole inline chain runs
 * on the pooled call's fiber stack, which the limit keeps it within. */
static void test_inline_chain_on_a_worker(void **state)
{
    (void)state;
    expect_depth_limit("t:into_inline", "t:rec_inline", "t:rec_inline");
}

/* Bounded recursion, 40 deep, gets its sum on every pool. */
static void test_bounded_recursion(void **state)
{
    (void)state;
    static const char *const ids[] = { "t:sum_inline", "t:sum_lazy", "t:sum_static" };
    for (size_t i = 0; i < 3; i++) {
        wf_val r;
        wf_error *e = call1(ids[i], 40, &r);
        if (e) fail_msg("%s: %s", ids[i], e->message);
        assert_int_equal(r.of.s, 40 * 41 / 2);
        wf_val_free(&r);
    }
}

/* Eight recursions 10 deep at once on the static pool of 1 and the lazy
 * pool of 4: every worker's call waits on a nested one, and all finish. */
static void test_many_at_once(void **state)
{
    (void)state;
    enum { N = 8 };
    static const char *const ids[] = { "t:sum_static", "t:sum_lazy" };
    for (size_t k = 0; k < 2; k++) {
        wf_call_future *fs[N];
        for (int i = 0; i < N; i++) {
            wf_val a = wf_val_sint(WF_VAL_S64, 10 + i);
            assert_null(wf_call_future_start(rt, ids[k], &a, 1, NULL, &fs[i]));
        }
        for (int i = 0; i < N; i++) {
            assert_true(wf_call_future_wait(fs[i], 20000));
            wf_val r;
            wf_error *e = wf_call_future_take(fs[i], &r);
            if (e) fail_msg("%s(%d): %s", ids[k], 10 + i, e->message);
            assert_int_equal(r.of.s, (10 + i) * (11 + i) / 2);
            wf_val_free(&r);
            wf_call_future_free(fs[i]);
        }
    }
}

/* Cancelling a call that waits for a nested one (parked) ends it at once
 * with TIMEOUT, not when the nested one ends 5 s later. */
static void test_cancel_while_waiting(void **state)
{
    (void)state;
    wf_val a = wf_val_sint(WF_VAL_S64, 5000);
    wf_call_future *f;
    assert_null(wf_call_future_start(rt, "t:waits", &a, 1, NULL, &f));
    assert_false(wf_call_future_wait(f, 100));
    wf_call_future_cancel(f);
    assert_true(wf_call_future_wait(f, 3000));
    wf_val r;
    wf_error *e = wf_call_future_take(f, &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TIMEOUT);
    assert_string_equal(e->message, "t:waits: the call was cancelled");
    wf_error_free(e);
    wf_call_future_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_recursion_inline),
        cmocka_unit_test(test_self_recursion_lazy_4),
        cmocka_unit_test(test_self_recursion_static_1),
        cmocka_unit_test(test_mutual_recursion),
        cmocka_unit_test(test_inline_chain_on_a_worker),
        cmocka_unit_test(test_bounded_recursion),
        cmocka_unit_test(test_many_at_once),
        cmocka_unit_test(test_cancel_while_waiting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
