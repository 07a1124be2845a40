/*
 * test_trace.c - backtraces of traps: function names innermost first, for
 * explicit traps always, and for guard-page faults (out-of-bounds memory)
 * recovered from the registers at the fault. That recovery is best effort:
 * an optimised build keeps the interpreter's pc and frame pointer in
 * registers and must produce the trace; an unoptimised one may not, but
 * whatever it prints must be right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "wasmfn.h"
#include "wat_env.h"

static const char wat[] =
    "(module (memory 1)\n"
    "  (func $load (param i32) (result i32) (i32.load (local.get 0)))\n"
    "  (func $mid (param i32) (result i32) (call $load (local.get 0)))\n"
    "  (func $boom unreachable)\n"
    "  (func $outer (export \"outer\") (param i32) (result i32) (call $mid (local.get 0)))\n"
    "  (func $explicit (export \"explicit\") (call $boom)))\n";

static wf_error *call(const char *name, int32_t arg, bool with_arg)
{
    env e;
    load(&e, wat, NULL, 0);
    wf_value a = { .type = WF_TYPE_I32, .of.i32 = arg }, r;
    wf_error *err = wf_func_call(fn(&e, name), &a, with_arg ? 1 : 0, &r, with_arg ? 1 : 0);
    unload(&e);
    return err;
}

static void test_explicit_trap_trace(void **state)
{
    (void)state;
    wf_error *e = call("explicit", 0, false);
    assert_non_null(e);
    assert_string_equal(e->message, "unreachable");
    assert_non_null(e->trace);
    assert_string_equal(e->trace, "  at boom\n  at explicit");
    wf_error_free(e);
}

static void test_memory_fault_trace(void **state)
{
    (void)state;
    wf_error *e = call("outer", 70000, true);
    assert_non_null(e);
    assert_string_equal(e->message, "out of bounds memory access");
#if defined(__OPTIMIZE__)
    assert_non_null(e->trace);
#endif
    if (e->trace) assert_string_equal(e->trace, "  at load\n  at mid\n  at outer");
    wf_error_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explicit_trap_trace),
        cmocka_unit_test(test_memory_fault_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
