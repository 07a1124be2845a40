/* test_interp.c - the validator/translator and the interpreter end to end:
 * modules from WAT, calls through wf_func_call, traps (including guard-page
 * faults), deep recursion, host functions and re-entry, deep nesting, and
 * validation errors with the spec's messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "wasm/runtime.h"
#include "wasm/types.h"
#include "wasm/code.h"
#include "wat_env.h"

static wf_value i32v(int32_t v) { wf_value x = { .type = WF_TYPE_I32 }; x.of.i32 = v; return x; }
static wf_value i64v(int64_t v) { wf_value x = { .type = WF_TYPE_I64 }; x.of.i64 = v; return x; }

/* Call with i32 arguments; returns the i32 result, or fails the test. */
static int32_t call_i32(env *e, const char *name, int n, ...)
{
    wf_value args[4], res[2];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = i32v(va_arg(ap, int32_t));
    va_end(ap);
    wf_error *err = wf_func_call(fn(e, name), args, (size_t)n, res, 2);
    if (err) fail_msg("%s: %s", name, err->message);
    return res[0].of.i32;
}

/* The trap message of a call with i32 arguments ("" when it returns). */
static char g_msg[128];
static const char *trap_i32(env *e, const char *name, int n, ...)
{
    wf_value args[4], res[2];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = i32v(va_arg(ap, int32_t));
    va_end(ap);
    wf_error *err = wf_func_call(fn(e, name), args, (size_t)n, res, 2);
    if (!err) return "";
    assert_int_equal(err->kind, WF_ERR_TRAP);
    snprintf(g_msg, sizeof g_msg, "%s", err->message);
    wf_error_free(err);
    return g_msg;
}

static void test_arith_and_control(void **state)
{
    (void)state;
    env e;
    load(&e,
         "(module"
         " (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"
         " (func (export \"fac\") (param i32) (result i32)"
         "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))"
         "     (else (i32.mul (local.get 0) (call 1 (i32.sub (local.get 0) (i32.const 1)))))))"
         " (func (export \"loop\") (param i32) (result i32) (local i32)"
         "   (block (loop (br_if 1 (i32.eqz (local.get 0)))"
         "     (local.set 1 (i32.add (local.get 1) (local.get 0)))"
         "     (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0))) (local.get 1))"
         " (func (export \"swap\") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))"
         " (func (export \"sel\") (param i32) (result i32)"
         "   (block (result i32) (block (result i32) (block (result i32)"
         "     (br_table 0 1 2 (i32.const 7) (local.get 0)))"
         "     (drop) (return (i32.const 10))) (drop) (i32.const 20)))"
         " (func (export \"tee\") (param i32) (result i32)"
         "   (local.get 0) (local.set 0 (i32.const 5)) (i32.add (local.get 0)))"
         " (func (export \"ifp\") (param i32) (result i32)"
         "   (i32.const 3) (if (param i32) (result i32) (local.get 0)"
         "     (then (drop) (i32.const 100)) (else (i32.const 1) (i32.add)))))",
         NULL, 0);
    assert_int_equal(call_i32(&e, "add", 2, 2, 40), 42);
    assert_int_equal(call_i32(&e, "fac", 1, 10), 3628800);
    assert_int_equal(call_i32(&e, "loop", 1, 100), 5050);
    assert_int_equal(call_i32(&e, "sel", 1, 0), 10);
    assert_int_equal(call_i32(&e, "sel", 1, 1), 20);
    assert_int_equal(call_i32(&e, "sel", 1, 9), 7);
    assert_int_equal(call_i32(&e, "tee", 1, 1), 6);
    assert_int_equal(call_i32(&e, "ifp", 1, 1), 100);
    assert_int_equal(call_i32(&e, "ifp", 1, 0), 4);
    wf_value args[2] = { i32v(1), i32v(2) }, res[2];
    assert_null(wf_func_call(fn(&e, "swap"), args, 2, res, 2));
    assert_int_equal(res[0].of.i32, 2);
    assert_int_equal(res[1].of.i32, 1);
    /* argument checks */
    wf_value bad = i64v(1);
    wf_error *err = wf_func_call(fn(&e, "fac"), &bad, 1, res, 2);
    assert_non_null(err);
    assert_int_equal(err->kind, WF_ERR_INVALID);
    wf_error_free(err);
    unload(&e);
}

static void test_traps(void **state)
{
    (void)state;
    env e;
    load(&e,
         "(module (memory 1)"
         " (func (export \"div\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))"
         " (func (export \"load\") (param i32) (result i32) (i32.load offset=4 (local.get 0)))"
         " (func (export \"store\") (param i32) (i64.store (local.get 0) (i64.const 1)))"
         " (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
         " (func (export \"fill\") (param i32 i32) (memory.fill (local.get 0) (i32.const 0) (local.get 1)))"
         " (func (export \"unr\") (unreachable))"
         " (func $rec (export \"rec\") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))"
         " (func (export \"trunc\") (param i32) (result i32) (i32.trunc_f32_s (f32.reinterpret_i32 (local.get 0)))))",
         NULL, 0);
    assert_string_equal(trap_i32(&e, "div", 2, 1, 0), "integer divide by zero");
    assert_string_equal(trap_i32(&e, "div", 2, INT32_MIN, -1), "integer overflow");
    assert_int_equal(call_i32(&e, "load", 1, 0), 0);
    assert_string_equal(trap_i32(&e, "load", 1, 65532), "out of bounds memory access");
    assert_string_equal(trap_i32(&e, "load", 1, -1), "out of bounds memory access");
    assert_string_equal(trap_i32(&e, "store", 1, 65529), "out of bounds memory access");
    assert_string_equal(trap_i32(&e, "store", 1, 65528), "");
    assert_int_equal(call_i32(&e, "grow", 1, 1), 1);
    assert_string_equal(trap_i32(&e, "store", 1, 65529), "");
    assert_string_equal(trap_i32(&e, "fill", 2, 131072, 1), "out of bounds memory access");
    assert_string_equal(trap_i32(&e, "fill", 2, 131071, 1), "");
    assert_string_equal(trap_i32(&e, "unr", 0), "unreachable");
    assert_string_equal(trap_i32(&e, "rec", 1, 0), "call stack exhausted");
    assert_string_equal(trap_i32(&e, "trunc", 1, 0x7fc00000), "invalid conversion to integer");
    assert_string_equal(trap_i32(&e, "trunc", 1, 0x4f000000), "integer overflow");
    /* the engine still works after traps */
    assert_int_equal(call_i32(&e, "div", 2, 84, 2), 42);
    unload(&e);
}

static int g_host_calls;
static wf_func *g_reenter;

static wf_error *host_double(wf_caller *c, void *envp, wf_slot *slots)
{
    (void)c;
    (void)envp;
    g_host_calls++;
    if (slots[0].i32 > 0 && g_reenter) {
        /* re-enter wasm: call "down" with n - 1 */
        wf_slot s[1] = { { .i32 = slots[0].i32 - 1 } };
        wf_error *e = wf_exec_call(g_reenter, s);
        if (e) return e;
        slots[0].i32 = s[0].i32 + 2;
        return NULL;
    }
    slots[0].i32 = slots[0].i32 * 2;
    return NULL;
}

static void test_host_and_reentry(void **state)
{
    (void)state;
    wf_valtype p[1] = { WF_TYPE_I32 };
    const wf_functype *ft = wf_functype_get(p, 1, p, 1);
    wf_store *hs = wf_store_new();
    wf_func *h = wf_func_new_host(hs, ft, host_double, NULL);
    wf_extern im = { .kind = WF_EXTERN_FUNC, .of.func = h };
    env e;
    load(&e,
         "(module (import \"h\" \"f\" (func $h (param i32) (result i32)))"
         " (func (export \"down\") (param i32) (result i32) (i32.add (call $h (local.get 0)) (i32.const 1)))"
         " (func (export \"tail\") (param i32) (result i32) (return_call $h (local.get 0))))",
         &im, 1);
    g_reenter = NULL;
    assert_int_equal(call_i32(&e, "tail", 1, 21), 42);
    assert_int_equal(call_i32(&e, "down", 1, 0), 1);
    g_reenter = fn(&e, "down");
    g_host_calls = 0;
    /* down(3) = h(3)+1 = down(2)+3 = ... = down(0) + 9 = 1 + 9 */
    assert_int_equal(call_i32(&e, "down", 1, 3), 10);
    assert_int_equal(g_host_calls, 4);
    g_reenter = NULL;
    unload(&e);
    wf_store_free(hs);
}

static void test_indirect_and_tables(void **state)
{
    (void)state;
    env e;
    load(&e,
         "(module (type $i (func (result i32))) (type $v (func))"
         " (table 3 funcref) (elem (i32.const 0) $a $b)"
         " (func $a (result i32) (i32.const 11)) (func $b)"
         " (func (export \"ci\") (param i32) (result i32) (call_indirect (type $i) (local.get 0)))"
         " (func (export \"cr\") (result i32) (call_ref $i (ref.func $a))))",
         NULL, 0);
    assert_int_equal(call_i32(&e, "ci", 1, 0), 11);
    assert_string_equal(trap_i32(&e, "ci", 1, 1), "indirect call type mismatch");
    assert_string_equal(trap_i32(&e, "ci", 1, 2), "uninitialized element 2");
    assert_string_equal(trap_i32(&e, "ci", 1, 3), "undefined element");
    assert_int_equal(call_i32(&e, "cr", 0), 11);
    unload(&e);
}

static const char *invalid(const char *wat)
{
    wf_module *m = NULL;
    wf_error *err = wf_module_from_wat(wat, strlen(wat), &m);
    if (!err) {
        wf_module_free(m);
        return "";
    }
    snprintf(g_msg, sizeof g_msg, "%s", err->message);
    wf_error_free(err);
    return g_msg;
}

static void test_validation(void **state)
{
    (void)state;
    assert_string_equal(invalid("(module (func (result i32) (i64.const 0)))"), "type mismatch");
    assert_string_equal(invalid("(module (func (local.get 0) (drop)))"), "unknown local");
    assert_string_equal(invalid("(module (func (br 1)))"), "unknown label");
    assert_string_equal(invalid("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))"),
                        "global is immutable");
    assert_string_equal(invalid("(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))"),
                        "alignment must not be larger than natural");
    assert_string_equal(invalid("(module (func (drop (i32.load (i32.const 0)))))"), "unknown memory 0");
    assert_string_equal(invalid("(module (func (unreachable) (i32.add) (drop)))"), "");
    assert_string_equal(invalid("(module (type $t (func)) (func (local (ref $t)) (local.get 0) (drop)))"),
                        "uninitialized local");
    assert_string_equal(invalid("(module (func (drop (ref.func 0))))"), "undeclared function reference");
}

static size_t put_leb(uint8_t *p, uint32_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        p[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

/* 100k nested blocks (a binary: the point is the validator, which must not
 * recurse on the C stack). */
static void test_deep_nesting(void **state)
{
    (void)state;
    enum { N = 100000 };
    size_t blen = 1 + 4 * (size_t)N + 3;
    uint8_t *body = malloc(blen), *q = body;
    *q++ = 0; /* no locals */
    for (int i = 0; i < N; i++) { *q++ = 0x02; *q++ = 0x40; }
    for (int i = 0; i < N; i++) *q++ = 0x0b;
    *q++ = 0x41; *q++ = 42; *q++ = 0x0b;
    blen = (size_t)(q - body);
    uint8_t *bin = malloc(blen + 64), *p = bin;
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0,
        1, 5, 1, 0x60, 0, 1, 0x7f,          /* type () -> i32 */
        3, 2, 1, 0,                         /* one function */
        7, 5, 1, 1, 'f', 0, 0 };            /* export "f" */
    memcpy(p, head, sizeof head);
    p += sizeof head;
    uint8_t tmp[8];
    size_t bl = put_leb(tmp, (uint32_t)blen);
    *p++ = 10;
    p += put_leb(p, (uint32_t)(1 + bl + blen));
    *p++ = 1;
    memcpy(p, tmp, bl);
    p += bl;
    memcpy(p, body, blen);
    p += blen;
    free(body);
    env e;
    wf_error *err = wf_module_new(bin, (size_t)(p - bin), &e.m);
    free(bin);
    if (err) fail_msg("module: %s", err->message);
    e.s = wf_store_new();
    assert_null(wf_instance_new(e.s, e.m, NULL, 0, &e.inst));
    assert_int_equal(call_i32(&e, "f", 0), 42);
    unload(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arith_and_control),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_host_and_reentry),
        cmocka_unit_test(test_indirect_and_tables),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
