/*
 * test_cabi_enc.c - the Canonical ABI pieces below a component: strings in
 * each encoding (exact bytes in guest memory and the realloc calls made,
 * traps on bad input), handle tables (index allocation and reuse, the
 * built-ins' traps, lending) and reentrance flags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "component/cabi/cabi_int.h"
#include "base/error.h"
#include "wat_env.h"

/* realloc: a bump allocator from 1024 that logs each call (old, old size,
 * align, new size) at 64 + 16*n and keeps a shrinking call in place. */
static const char wat[] =
"(module\n"
"  (memory (export \"mem\") 1)\n"
"  (global $next (mut i32) (i32.const 1024))\n"
"  (global $n (mut i32) (i32.const 0))\n"
"  (func (export \"realloc\") (param $old i32) (param $os i32) (param $al i32) (param $ns i32) (result i32)\n"
"    (local $r i32) (local $log i32)\n"
"    (local.set $log (i32.add (i32.const 64) (i32.shl (global.get $n) (i32.const 4))))\n"
"    (i32.store (local.get $log) (local.get $old))\n"
"    (i32.store offset=4 (local.get $log) (local.get $os))\n"
"    (i32.store offset=8 (local.get $log) (local.get $al))\n"
"    (i32.store offset=12 (local.get $log) (local.get $ns))\n"
"    (global.set $n (i32.add (global.get $n) (i32.const 1)))\n"
"    (if (i32.and (i32.ne (local.get $old) (i32.const 0)) (i32.le_u (local.get $ns) (local.get $os)))\n"
"      (then (return (local.get $old))))\n"
"    (local.set $r (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))\n"
"    (global.set $next (i32.add (local.get $r) (local.get $ns)))\n"
"    (if (local.get $old) (then (memory.copy (local.get $r) (local.get $old) (local.get $os))))\n"
"    (local.get $r))\n"
"  (func (export \"calls\") (result i32) (global.get $n))\n"
"  (func (export \"reset\") (global.set $n (i32.const 0)) (global.set $next (i32.const 1024)))\n"
"  (func (export \"bad-realloc\") (param i32 i32 i32 i32) (result i32) (i32.const 1025))\n"
")\n";

static env E;
static wf_memory *mem;

static int setup(void **state)
{
    (void)state;
    load(&E, wat, NULL, 0);
    wf_extern x;
    wf_instance_export(E.inst, "mem", 3, &x);
    mem = x.of.memory;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unload(&E);
    return 0;
}

static uint32_t calls(void)
{
    wf_value r;
    wf_error *e = wf_func_call(fn(&E, "calls"), NULL, 0, &r, 1);
    assert_null(e);
    return (uint32_t)r.of.i32;
}

static void reset(void)
{
    assert_null(wf_func_call(fn(&E, "reset"), NULL, 0, NULL, 0));
}

/* The n-th realloc call as "old,oldsize,align,newsize". */
static void expect_call(uint32_t n, uint32_t old, uint32_t os, uint32_t al, uint32_t ns)
{
    uint32_t w[4];
    memcpy(w, wf_memory_data(mem) + 64 + 16 * n, 16);
    if (w[0] != old || w[1] != os || w[2] != al || w[3] != ns)
        fail_msg("realloc call %u: (%u, %u, %u, %u), want (%u, %u, %u, %u)", n, w[0], w[1], w[2], w[3],
                 old, os, al, ns);
}

static void cx_make(cabi_cx *cx, wf_cabi_enc enc, cabi_inst *ci)
{
    wf_cabi_opts o = { .memory = mem, .realloc = fn(&E, "realloc"), .enc = enc };
    wf_cabi_cx_init(cx, &o, ci);
}

static void store(wf_cabi_enc enc, const char *s, uint32_t *ptr, uint32_t *units)
{
    cabi_cx cx;
    cx_make(&cx, enc, NULL);
    wf_val v = wf_val_string(s, strlen(s));
    reset();
    wf_error *e = wf_cabi_store_string(&cx, &v, ptr, units);
    if (e) fail_msg("store: %s", e->message);
    wf_val_free(&v);
    wf_cabi_cx_fini(&cx);
}

static void expect_bytes(uint32_t ptr, const char *bytes, size_t n)
{
    const uint8_t *m = wf_memory_data(mem) + ptr;
    for (size_t i = 0; i < n; i++)
        if (m[i] != (uint8_t)bytes[i]) fail_msg("byte %zu: 0x%02x, want 0x%02x", i, m[i], (uint8_t)bytes[i]);
}

static void test_store_utf8(void **state)
{
    (void)state;
    uint32_t p, u;
    store(WF_CABI_UTF8, "h\xc3\xb6", &p, &u);
    assert_int_equal(u, 3);
    assert_int_equal(calls(), 1);
    expect_call(0, 0, 0, 1, 3);
    expect_bytes(p, "h\xc3\xb6", 3);
}

static void test_store_utf16(void **state)
{
    (void)state;
    uint32_t p, u;
    /* "hö☃🍰": 10 UTF-8 bytes, 5 UTF-16 code units: worst case 20 bytes, then shrink to 10 */
    store(WF_CABI_UTF16, "h\xc3\xb6\xe2\x98\x83\xf0\x9f\x8d\xb0", &p, &u);
    assert_int_equal(u, 5);
    assert_int_equal(p % 2, 0);
    assert_int_equal(calls(), 2);
    expect_call(0, 0, 0, 2, 20);
    expect_call(1, p, 20, 2, 10);
    expect_bytes(p, "\x68\x00\xf6\x00\x03\x26\x3c\xd8\x70\xdf", 10);
    /* ASCII: worst case 2n is exact, no shrinking call */
    store(WF_CABI_UTF16, "ab", &p, &u);
    assert_int_equal(u, 2);
    assert_int_equal(calls(), 1);
    expect_bytes(p, "a\0b\0", 4);
}

static void test_store_latin1_utf16(void **state)
{
    (void)state;
    uint32_t p, u;
    /* all Latin-1: "hö" (3 UTF-8 bytes) -> 2 bytes, shrunk from 3 */
    store(WF_CABI_LATIN1_UTF16, "h\xc3\xb6", &p, &u);
    assert_int_equal(u, 2);
    assert_int_equal(calls(), 2);
    expect_call(0, 0, 0, 2, 3);
    expect_call(1, p, 3, 2, 2);
    expect_bytes(p, "h\xf6", 2);
    /* "hö☃": the snowman forces UTF-16: alloc 6, grow to 12, inflate, shrink to 6 */
    store(WF_CABI_LATIN1_UTF16, "h\xc3\xb6\xe2\x98\x83", &p, &u);
    assert_int_equal(u, 3 | WF_CABI_UTF16_TAG);
    assert_int_equal(calls(), 3);
    expect_call(0, 0, 0, 2, 6);
    expect_call(2, p, 12, 2, 6);
    expect_bytes(p, "h\0\xf6\0\x03\x26", 6);
    /* empty */
    store(WF_CABI_LATIN1_UTF16, "", &p, &u);
    assert_int_equal(u, 0);
    assert_int_equal(calls(), 1);
}

static wf_error *load_str(wf_cabi_enc enc, uint32_t ptr, uint32_t units, wf_val *out)
{
    cabi_cx cx;
    cx_make(&cx, enc, NULL);
    wf_error *e = wf_cabi_load_string(&cx, ptr, units, out);
    wf_cabi_cx_fini(&cx);
    return e;
}

static void put(uint32_t at, const char *bytes, size_t n) { memcpy(wf_memory_data(mem) + at, bytes, n); }

static void expect_trap(wf_error *e, const char *prefix)
{
    if (!e) fail_msg("expected a trap \"%s\"", prefix);
    if (e->kind != WF_ERR_TRAP || strncmp(e->message, prefix, strlen(prefix)))
        fail_msg("got %s: %s, want trap %s", wf_error_kind_name(e->kind), e->message, prefix);
    wf_error_free(e);
}

static void test_load_each_encoding(void **state)
{
    (void)state;
    wf_val v;
    put(2000, "\x68\x00\xf6\x00\x03\x26\x3c\xd8\x70\xdf", 10);
    assert_null(load_str(WF_CABI_UTF16, 2000, 5, &v));
    assert_string_equal(v.of.str.data, "h\xc3\xb6\xe2\x98\x83\xf0\x9f\x8d\xb0");
    wf_val_free(&v);
    assert_null(load_str(WF_CABI_LATIN1_UTF16, 2000, 5 | WF_CABI_UTF16_TAG, &v));
    assert_int_equal(v.of.str.len, 10);
    wf_val_free(&v);
    put(2100, "h\xf6", 2);
    assert_null(load_str(WF_CABI_LATIN1_UTF16, 2100, 2, &v));
    assert_string_equal(v.of.str.data, "h\xc3\xb6");
    wf_val_free(&v);
    assert_null(load_str(WF_CABI_UTF8, 2001, 0, &v));      /* any pointer with length 0 */
    assert_int_equal(v.of.str.len, 0);
    wf_val_free(&v);
}

static void test_load_traps(void **state)
{
    (void)state;
    wf_val v;
    put(2000, "\x3c\xd8\x41\x00", 4);                   /* high surrogate, then 'A' */
    expect_trap(load_str(WF_CABI_UTF16, 2000, 2, &v), "invalid utf-16");
    put(2000, "\x70\xdf", 2);                           /* lone low surrogate */
    expect_trap(load_str(WF_CABI_UTF16, 2000, 1, &v), "invalid utf-16");
    expect_trap(load_str(WF_CABI_UTF16, 2001, 1, &v), "unaligned pointer");
    expect_trap(load_str(WF_CABI_LATIN1_UTF16, 2001, 1, &v), "unaligned pointer");
    expect_trap(load_str(WF_CABI_UTF8, 65535, 2, &v), "string pointer/length out of bounds of memory");
    expect_trap(load_str(WF_CABI_UTF16, 0, 1u << 28, &v), "string pointer/length out of bounds of memory");
    put(2000, "\xc3", 1);
    expect_trap(load_str(WF_CABI_UTF8, 2000, 1, &v), "incomplete utf-8 byte sequence");
    put(2000, "\xff", 1);
    expect_trap(load_str(WF_CABI_UTF8, 2000, 1, &v), "invalid utf-8");
    put(2000, "\xed\xa0\x80", 3);                       /* an encoded surrogate */
    expect_trap(load_str(WF_CABI_UTF8, 2000, 3, &v), "invalid utf-8");
}

static void test_realloc_result_checked(void **state)
{
    (void)state;
    cabi_cx cx;
    wf_cabi_opts o = { .memory = mem, .realloc = fn(&E, "bad-realloc"), .enc = WF_CABI_UTF16 };
    wf_cabi_cx_init(&cx, &o, NULL);
    wf_val v = wf_val_string("x", 1);
    uint32_t p, u;
    expect_trap(wf_cabi_store_string(&cx, &v, &p, &u), "realloc return: result not aligned");
    cx.adapter = true;   /* between components the message names what was stored */
    expect_trap(wf_cabi_store_string(&cx, &v, &p, &u), "unaligned pointer");
    wf_val_free(&v);
    wf_cabi_cx_fini(&cx);
}

/* ---- Handles ----------------------------------------------------------------------- */

static cabi_rtype *resolve_rt;
static cabi_rtype *resolve(cabi_inst *ci, const wf_cresource *r)
{
    (void)ci; (void)r;
    return resolve_rt;
}

static void test_handle_table(void **state)
{
    (void)state;
    cabi_inst ci;
    wf_cabi_inst_init(&ci, NULL);
    cabi_rtype *rt = wf_cabi_rtype_new(&ci, NULL), *other = wf_cabi_rtype_new(&ci, NULL);
    uint32_t h[4], rep;
    for (int i = 0; i < 3; i++) {
        assert_null(wf_cabi_resource_new(&ci, rt, 100 * (uint32_t)(i + 1), &h[i]));
        assert_int_equal(h[i], i + 1);                  /* index 0 is reserved */
    }
    assert_null(wf_cabi_resource_drop(&ci, rt, 2));
    assert_null(wf_cabi_resource_new(&ci, rt, 400, &h[3]));
    assert_int_equal(h[3], 2);                          /* freed index reused */
    assert_null(wf_cabi_resource_rep(&ci, rt, 2, &rep));
    assert_int_equal(rep, 400);
    assert_null(wf_cabi_resource_drop(&ci, rt, 1));
    assert_null(wf_cabi_resource_drop(&ci, rt, 2));
    assert_null(wf_cabi_resource_new(&ci, rt, 1, &h[0]));
    assert_int_equal(h[0], 2);                          /* last freed, first reused */

    expect_trap(wf_cabi_resource_drop(&ci, rt, 1), "unknown handle index 1");
    expect_trap(wf_cabi_resource_drop(&ci, rt, 0), "unknown handle index 0");
    expect_trap(wf_cabi_resource_rep(&ci, rt, 0xffffffffu, &rep), "unknown handle index 4294967295");
    expect_trap(wf_cabi_resource_rep(&ci, other, 3, &rep), "handle index 3 used with the wrong type");
    ci.may_leave = false;
    expect_trap(wf_cabi_resource_new(&ci, rt, 5, &h[1]), "cannot leave component instance");
    expect_trap(wf_cabi_resource_drop(&ci, rt, 3), "cannot leave component instance");
    ci.may_leave = true;

    /* lifting a borrow lends the handle: it cannot be dropped or moved until released */
    wf_wit_type own = { .kind = WF_WIT_OWN, .resource = (const wf_cresource *)1 };
    wf_wit_type bor = { .kind = WF_WIT_BORROW, .resource = (const wf_cresource *)1 };
    resolve_rt = rt;
    ci.resource = resolve;
    cabi_lends lends = {0};
    cabi_cx cx;
    wf_cabi_opts o = {0};
    wf_cabi_cx_init(&cx, &o, &ci);
    cx.lends = &lends;
    wf_val v;
    assert_null(wf_cabi_lift_handle(&cx, &bor, 3, &v));
    assert_int_equal(v.kind, WF_VAL_HANDLE);
    expect_trap(wf_cabi_resource_drop(&ci, rt, 3), "cannot remove owned resource while borrowed");
    expect_trap(wf_cabi_lift_handle(&cx, &own, 3, &v), "cannot remove owned resource while borrowed");
    wf_cabi_lends_release(&lends);
    /* lifting the own moves it out: the index is gone, lowering makes a new one */
    assert_null(wf_cabi_lift_handle(&cx, &own, 3, &v));
    expect_trap(wf_cabi_resource_rep(&ci, rt, 3, &rep), "unknown handle index 3");
    uint32_t idx;
    assert_null(wf_cabi_lower_handle(&cx, &own, &v, &idx));
    assert_int_equal(idx, 3);
    assert_null(wf_cabi_resource_rep(&ci, rt, idx, &rep));
    assert_int_equal(rep, 300);
    /* a borrow lowered into the implementing instance is the rep itself */
    assert_null(wf_cabi_lower_handle(&cx, &bor, &v, &idx));
    assert_int_equal(idx, 300);
    /* into another instance it is a borrow handle counted in the callee's task */
    cabi_inst other_ci;
    wf_cabi_inst_init(&other_ci, NULL);
    other_ci.resource = resolve;
    cabi_task task = {0};
    cabi_cx cx2;
    wf_cabi_cx_init(&cx2, &o, &other_ci);
    cx2.task = &task;
    assert_null(wf_cabi_lower_handle(&cx2, &bor, &v, &idx));
    assert_int_equal(idx, 1);
    assert_int_equal(task.borrows, 1);
    assert_null(wf_cabi_resource_drop(&other_ci, rt, idx));
    assert_int_equal(task.borrows, 0);
    /* a handle of a freed type cannot be lowered */
    wf_cabi_rtype_free(other);
    wf_val stale = wf_cabi_handle_val(rt, 1);
    stale.of.u = (stale.of.u & 0xffffffffu) | (uint64_t)0x7fffffff << 32;
    expect_trap(wf_cabi_lower_handle(&cx2, &own, &stale, &idx), "unknown handle");
    wf_cabi_cx_fini(&cx2);
    wf_cabi_cx_fini(&cx);
    wf_cabi_inst_fini(&other_ci);
    wf_cabi_rtype_free(rt);
    wf_cabi_inst_fini(&ci);
}

static void test_reentrance(void **state)
{
    (void)state;
    cabi_inst p, c1, c2;
    wf_cabi_inst_init(&p, NULL);
    wf_cabi_inst_init(&c1, &p);
    wf_cabi_inst_init(&c2, &p);
    assert_true(wf_cabi_may_enter(&p, NULL));
    wf_cabi_enter(&p, NULL, true);                         /* host -> P */
    assert_false(wf_cabi_may_enter(&p, NULL));
    assert_true(wf_cabi_may_enter(&c1, &p));               /* P -> C1: only C1 is entered */
    wf_cabi_enter(&c1, &p, true);
    assert_true(p.may_enter == false && c1.may_enter == false);
    assert_true(wf_cabi_may_enter(&c2, &c1));              /* C1 -> C2 */
    assert_true(wf_cabi_may_enter(&p, &c2));               /* C2 -> P: donut wrapping */
    assert_false(wf_cabi_may_enter(&c1, &p));              /* P -> C1 again: reentrance */
    assert_false(wf_cabi_may_enter(&c2, NULL));            /* host -> C2 while P is entered */
    wf_cabi_enter(&c1, &p, false);
    wf_cabi_enter(&p, NULL, false);
    assert_true(wf_cabi_may_enter(&c2, NULL));
    wf_cabi_inst_fini(&c2);
    wf_cabi_inst_fini(&c1);
    wf_cabi_inst_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_utf8),
        cmocka_unit_test(test_store_utf16),
        cmocka_unit_test(test_store_latin1_utf16),
        cmocka_unit_test(test_load_each_encoding),
        cmocka_unit_test(test_load_traps),
        cmocka_unit_test(test_realloc_result_checked),
        cmocka_unit_test(test_handle_table),
        cmocka_unit_test(test_reentrance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
