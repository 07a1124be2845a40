/*
 * test_cinst.c - instantiating a component and calling it (cinst*.c), on a
 * component IR built by hand (comp.h) so the test needs neither the binary
 * decoder nor the text format: core instances wired by aliases and inline
 * instances, `canon lift` with utf16 strings called from the host, a
 * `canon lower` with utf8 strings and a return pointer calling that lifted
 * function, resource types with a destructor, the resource built-ins, and
 * own/borrow handles passed from and to the host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "component/link/cinst_int.h"
#include "base/error.h"

/* M1: echo a utf16 string (f), with memory and a bump realloc. */
static const char m1_wat[] =
"(module (memory (export \"mem\") 1) (global $next (mut i32) (i32.const 1024))\n"
"  (func (export \"realloc\") (param $o i32) (param $os i32) (param $al i32) (param $ns i32) (result i32)\n"
"    (local $r i32)\n"
"    (if (i32.and (i32.ne (local.get $o) (i32.const 0)) (i32.le_u (local.get $ns) (local.get $os)))\n"
"      (then (return (local.get $o))))\n"
"    (local.set $r (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))\n"
"    (global.set $next (i32.add (local.get $r) (local.get $ns)))\n"
"    (if (local.get $o) (then (memory.copy (local.get $r) (local.get $o) (local.get $os))))\n"
"    (local.get $r))\n"
"  (func (export \"f\") (param $p i32) (param $n i32) (result i32)\n"
"    (i32.store (i32.const 16) (local.get $p)) (i32.store (i32.const 20) (local.get $n)) (i32.const 16)))\n";

/* M2: call g (a lowered f, utf8) on "héllo" and return the result's byte length. */
static const char m2_wat[] =
"(module (import \"\" \"g\" (func $g (param i32 i32 i32))) (import \"\" \"mem\" (memory 1))\n"
"  (data (i32.const 100) \"h\\c3\\a9llo\")\n"
"  (func (export \"run\") (result i32)\n"
"    (call $g (i32.const 100) (i32.const 6) (i32.const 8))\n"
"    (if (i32.ne (i32.load8_u offset=1 (i32.load (i32.const 8))) (i32.const 0xc3)) (then unreachable))\n"
"    (i32.load (i32.const 12))))\n";

/* MD: the destructor, counting calls and remembering the last rep. */
static const char md_wat[] =
"(module (global $n (mut i32) (i32.const 0)) (global $last (mut i32) (i32.const 0))\n"
"  (func (export \"dtor\") (param i32) (global.set $n (i32.add (global.get $n) (i32.const 1)))\n"
"    (global.set $last (local.get 0)))\n"
"  (func (export \"count\") (result i32) (i32.add (i32.mul (global.get $n) (i32.const 1000)) (global.get $last))))\n";

/* M3: make/get/take over the built-ins. */
static const char m3_wat[] =
"(module (import \"\" \"new\" (func $new (param i32) (result i32)))\n"
"  (import \"\" \"drop\" (func $drop (param i32))) (import \"\" \"rep\" (func $rep (param i32) (result i32)))\n"
"  (func (export \"make\") (param $r i32) (result i32) (local $h i32)\n"
"    (local.set $h (call $new (local.get $r)))\n"
"    (if (i32.ne (call $rep (local.get $h)) (local.get $r)) (then unreachable))\n"
"    (local.get $h))\n"
"  (func (export \"get\") (param i32) (result i32) (local.get 0))\n"
"  (func (export \"take\") (param i32) (call $drop (local.get 0))))\n";

/* M4: a post-return that calls an import (a trap: may_leave is clear), and
 * a caller of the host import `add`. */
static const char m4_wat[] =
"(module (import \"\" \"new\" (func $new (param i32) (result i32)))\n"
"  (import \"\" \"add\" (func $add (param i32 i32) (result i32)))\n"
"  (func (export \"g\") (result i32) (i32.const 5))\n"
"  (func (export \"pr\") (param i32) (drop (call $new (local.get 0))))\n"
"  (func (export \"use-add\") (result i32) (call $add (i32.const 40) (i32.const 2))))\n";

static wf_component C;
static wf_cdef defs[60];
static wf_module *mods[5];
static wf_ctype add_type = { .kind = WF_CTYPE_FUNC };
static wf_wit *wit;
static wf_cresource res = { .kind = WF_CRES_DEFINED, .has_dtor = true, .dtor = 4, .owner = &C };
static wf_ctype res_type = { .kind = WF_CTYPE_RESOURCE, .resource = &res };
static wf_wit_type own_t = { .kind = WF_WIT_OWN, .resource = &res };
static wf_wit_type borrow_t = { .kind = WF_WIT_BORROW, .resource = &res };
static wf_wit_field make_p[1], make_r[1], get_p[1], get_r[1], take_p[1];
static wf_wit_func make_f, get_f, take_f;
static wf_carg a8[2], a10[1], a21[3], a23[1], a39[2], a41[1];

static wf_cdef alias(uint32_t inst, const char *name, uint8_t sort, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_ALIAS, .sort = sort, .index = idx,
                      .u.alias = { .kind = WF_CALIAS_CORE_EXPORT, .instance = inst, .name = (char *)name } };
}

static wf_cdef lift(uint32_t core, const wf_wit_func *type, uint32_t idx, wf_copts o)
{
    return (wf_cdef){ .kind = WF_CDEF_CANON, .sort = WF_CSORT_FUNC, .index = idx,
                      .u.canon = { .kind = WF_CANON_LIFT, .func = core, .opts = o, .func_type = type } };
}

static wf_cdef export(const char *name, uint32_t func, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_EXPORT, .sort = WF_CSORT_FUNC, .index = idx,
                      .u.export = { .name = (char *)name, .item = { WF_CSORT_FUNC, func } } };
}

static wf_cdef module(int i, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_CORE_MODULE, .sort = WF_CSORT_CORE_MODULE, .index = idx,
                      .u.core_module.module = mods[i] };
}

static wf_cdef instantiate(uint32_t m, wf_carg *args, size_t n, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_CORE_INSTANCE, .sort = WF_CSORT_CORE_INSTANCE, .index = idx,
                      .u.core_instance = { .instantiate = true, .module = m, .args = args, .nargs = n } };
}

static wf_cdef inline_inst(wf_carg *args, size_t n, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_CORE_INSTANCE, .sort = WF_CSORT_CORE_INSTANCE, .index = idx,
                      .u.core_instance = { .instantiate = false, .args = args, .nargs = n } };
}

static wf_cdef builtin(uint8_t kind, uint32_t idx)
{
    return (wf_cdef){ .kind = WF_CDEF_CANON, .sort = WF_CSORT_CORE_FUNC, .index = idx,
                      .u.canon = { .kind = kind, .resource = &res } };
}

static int setup(void **state)
{
    (void)state;
    const char *wats[] = { m1_wat, m2_wat, md_wat, m3_wat, m4_wat };
    for (int i = 0; i < 5; i++) {
        wf_error *e = wf_module_from_wat(wats[i], strlen(wats[i]), &mods[i]);
        if (e) fail_msg("module %d: %s", i, e->message);
    }
    const char *w = "f: func(s: string) -> string;\nrun: func() -> u32;\nadd: func(a: u32, b: u32) -> u32;\n";
    wf_error *e = wf_wit_parse(w, strlen(w), &wit);
    if (e) fail_msg("wit: %s", e->message);
    assert_null(wf_wit_layout(&own_t));
    assert_null(wf_wit_layout(&borrow_t));
    const wf_wit_type *u32 = wf_wit_prim(WF_WIT_U32);
    make_p[0] = (wf_wit_field){ "rep", u32, 0 };
    make_r[0] = (wf_wit_field){ NULL, &own_t, 0 };
    get_p[0] = (wf_wit_field){ "h", &borrow_t, 0 };
    get_r[0] = (wf_wit_field){ NULL, u32, 0 };
    take_p[0] = (wf_wit_field){ "h", &own_t, 0 };
    make_f = (wf_wit_func){ .name = "make", .params = make_p, .nparams = 1, .results = make_r, .nresults = 1 };
    get_f = (wf_wit_func){ .name = "get", .params = get_p, .nparams = 1, .results = get_r, .nresults = 1 };
    take_f = (wf_wit_func){ .name = "take", .params = take_p, .nparams = 1 };
    const wf_wit_func *f = wf_wit_find_func(wit, "f"), *run = wf_wit_find_func(wit, "run");
    wf_copts utf16 = { .encoding = WF_CENC_UTF16, .has_memory = true, .memory = 0, .has_realloc = true, .realloc = 1 };
    wf_copts utf8 = { .encoding = WF_CENC_UTF8, .has_memory = true, .memory = 0, .has_realloc = true, .realloc = 1 };
    a8[0] = (wf_carg){ "g", { WF_CSORT_CORE_FUNC, 2 } };
    a8[1] = (wf_carg){ "mem", { WF_CSORT_CORE_MEMORY, 0 } };
    a10[0] = (wf_carg){ "", { WF_CSORT_CORE_INSTANCE, 1 } };
    a21[0] = (wf_carg){ "new", { WF_CSORT_CORE_FUNC, 5 } };
    a21[1] = (wf_carg){ "drop", { WF_CSORT_CORE_FUNC, 6 } };
    a21[2] = (wf_carg){ "rep", { WF_CSORT_CORE_FUNC, 7 } };
    a23[0] = (wf_carg){ "", { WF_CSORT_CORE_INSTANCE, 4 } };
    size_t n = 0;
    defs[n++] = module(0, 0);
    defs[n++] = instantiate(0, NULL, 0, 0);
    defs[n++] = alias(0, "f", WF_CSORT_CORE_FUNC, 0);
    defs[n++] = alias(0, "mem", WF_CSORT_CORE_MEMORY, 0);
    defs[n++] = alias(0, "realloc", WF_CSORT_CORE_FUNC, 1);
    defs[n++] = lift(0, f, 0, utf16);
    defs[n++] = export("f", 0, 1);
    defs[n++] = (wf_cdef){ .kind = WF_CDEF_CANON, .sort = WF_CSORT_CORE_FUNC, .index = 2,
                           .u.canon = { .kind = WF_CANON_LOWER, .func = 0, .opts = utf8, .func_type = f } };
    defs[n++] = inline_inst(a8, 2, 1);
    defs[n++] = module(1, 1);
    defs[n++] = instantiate(1, a10, 1, 2);
    defs[n++] = alias(2, "run", WF_CSORT_CORE_FUNC, 3);
    defs[n++] = lift(3, run, 2, (wf_copts){0});
    defs[n++] = export("run", 2, 3);
    defs[n++] = module(2, 2);
    defs[n++] = instantiate(2, NULL, 0, 3);
    defs[n++] = alias(3, "dtor", WF_CSORT_CORE_FUNC, 4);
    defs[n++] = (wf_cdef){ .kind = WF_CDEF_TYPE, .sort = WF_CSORT_TYPE, .index = 0, .type = &res_type };
    defs[n++] = builtin(WF_CANON_RESOURCE_NEW, 5);
    defs[n++] = builtin(WF_CANON_RESOURCE_DROP, 6);
    defs[n++] = builtin(WF_CANON_RESOURCE_REP, 7);
    defs[n++] = inline_inst(a21, 3, 4);
    defs[n++] = module(3, 3);
    defs[n++] = instantiate(3, a23, 1, 5);
    defs[n++] = alias(5, "make", WF_CSORT_CORE_FUNC, 8);
    defs[n++] = alias(5, "get", WF_CSORT_CORE_FUNC, 9);
    defs[n++] = alias(5, "take", WF_CSORT_CORE_FUNC, 10);
    defs[n++] = alias(3, "count", WF_CSORT_CORE_FUNC, 11);
    defs[n++] = lift(8, &make_f, 4, (wf_copts){0});
    defs[n++] = lift(9, &get_f, 5, (wf_copts){0});
    defs[n++] = lift(10, &take_f, 6, (wf_copts){0});
    defs[n++] = lift(11, run, 7, (wf_copts){0});
    defs[n++] = export("make", 4, 8);
    defs[n++] = export("get", 5, 9);
    defs[n++] = export("take", 6, 10);
    defs[n++] = export("drops", 7, 11);
    add_type.func = wf_wit_find_func(wit, "add");
    defs[n++] = (wf_cdef){ .kind = WF_CDEF_IMPORT, .sort = WF_CSORT_FUNC, .index = 12, .type = &add_type,
                           .u.import.decl = { .name = "add", .sort = WF_CSORT_FUNC, .type = &add_type } };
    defs[n++] = (wf_cdef){ .kind = WF_CDEF_CANON, .sort = WF_CSORT_CORE_FUNC, .index = 12,
                           .u.canon = { .kind = WF_CANON_LOWER, .func = 12, .func_type = add_type.func } };
    a39[0] = (wf_carg){ "new", { WF_CSORT_CORE_FUNC, 5 } };
    a39[1] = (wf_carg){ "add", { WF_CSORT_CORE_FUNC, 12 } };
    defs[n++] = inline_inst(a39, 2, 6);
    defs[n++] = module(4, 4);
    a41[0] = (wf_carg){ "", { WF_CSORT_CORE_INSTANCE, 6 } };
    defs[n++] = instantiate(4, a41, 1, 7);
    defs[n++] = alias(7, "g", WF_CSORT_CORE_FUNC, 13);
    defs[n++] = alias(7, "pr", WF_CSORT_CORE_FUNC, 14);
    defs[n++] = alias(7, "use-add", WF_CSORT_CORE_FUNC, 15);
    defs[n++] = lift(13, run, 13, (wf_copts){ .has_post_return = true, .post_return = 14 });
    defs[n++] = lift(15, run, 14, (wf_copts){0});
    defs[n++] = export("bad-post", 13, 15);
    defs[n++] = export("use-add", 14, 16);
    assert_true(n <= WF_COUNT(defs));
    C.defs = defs;
    C.ndefs = n;
    C.validated = true;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) wf_module_free(mods[i]);
    wf_wit_free(wit);
    return 0;
}

static wf_error *host_add(void *env, wf_cinstance *inst, const wf_wit_func *type, const wf_val *args,
                          size_t nargs, wf_val *result)
{
    (void)type;
    (void)inst;
    assert_int_equal(nargs, 2);
    *(int *)env += 1;
    *result = wf_val_uint(WF_VAL_U32, args[0].of.u + args[1].of.u);
    return NULL;
}

static char *missing(void *env, const char *import, const char *func)
{
    (void)env;
    assert_null(func);
    return wf_xasprintf("`%s` is not enabled: add it to `imports`", import);
}

static wf_cinstance *make(wf_store *s, int *adds)
{
    wf_clinker *l = wf_clinker_new();
    wf_clinker_define_func(l, "add", NULL, host_add, adds);
    wf_cinstance *ci;
    wf_error *e = wf_cinstance_new(s, &C, l, &ci);
    if (e) fail_msg("instantiate: %s", e->message);
    wf_clinker_free(l);   /* the instance keeps what it needs */
    return ci;
}

static wf_val call(wf_cinstance *ci, const char *name, const wf_val *args, size_t n)
{
    wf_val out;
    wf_error *e = wf_cinstance_call(ci, name, args, n, &out);
    if (e) fail_msg("%s: %s: %s", name, wf_error_kind_name(e->kind), e->message);
    return out;
}

static void test_lift_lower_strings(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    int adds = 0;
    wf_cinstance *ci = make(s, &adds);
    wf_error *e;
    /* host -> lifted utf16 function and back */
    wf_val arg = wf_val_string("h\xc3\xb6\xe2\x98\x83", 6);
    wf_val out = call(ci, "f", &arg, 1);
    assert_int_equal(out.kind, WF_VAL_STRING);
    assert_string_equal(out.of.str.data, "h\xc3\xb6\xe2\x98\x83");
    wf_val_free(&out);
    /* core -> lowered utf8 -> lifted utf16 -> back to utf8 in the caller's memory */
    out = call(ci, "run", NULL, 0);
    assert_int_equal(out.kind, WF_VAL_U32);
    assert_int_equal(out.of.u, 6);
    /* wrong argument shapes are rejected before anything runs */
    wf_val bad = wf_val_uint(WF_VAL_U32, 1);
    e = wf_cinstance_call(ci, "f", &bad, 1, &out);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    wf_error_free(e);
    e = wf_cinstance_call(ci, "nope", NULL, 0, &out);
    assert_int_equal(e->kind, WF_ERR_NOT_FOUND);
    wf_error_free(e);
    wf_val_free(&arg);
    wf_cinstance_free(ci);
    wf_store_free(s);
}

static void test_resources(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    int adds = 0;
    wf_cinstance *ci = make(s, &adds);
    wf_error *e;
    wf_val rep = wf_val_uint(WF_VAL_U32, 7);
    wf_val h = call(ci, "make", &rep, 1);               /* own<R> moves out to the host */
    assert_int_equal(h.kind, WF_VAL_HANDLE);
    assert_int_equal((uint32_t)h.of.u, 7);
    wf_val got = call(ci, "get", &h, 1);                /* borrow into the implementation: the rep */
    assert_int_equal(got.of.u, 7);
    wf_val none = call(ci, "drops", NULL, 0);
    assert_int_equal(none.of.u, 0);
    wf_val r = call(ci, "take", &h, 1);                 /* own back in, dropped there: dtor(7) */
    wf_val_free(&r);
    wf_val after = call(ci, "drops", NULL, 0);
    assert_int_equal(after.of.u, 1007);
    /* a handle naming no live resource type traps */
    wf_val forged = h;
    forged.of.u = (uint64_t)0x7fff0000 << 32 | 7;
    e = wf_cinstance_call(ci, "take", &forged, 1, &r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_true(!strncmp(e->message, "unknown handle", 14));
    wf_error_free(e);
    wf_cinstance_free(ci);
    wf_store_free(s);
}

static void test_post_return_and_imports(void **state)
{
    (void)state;
    wf_store *s = wf_store_new();
    int adds = 0;
    wf_cinstance *ci = make(s, &adds);
    wf_val out;
    wf_error *e = wf_cinstance_call(ci, "bad-post", NULL, 0, &out);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_string_equal(e->message, "cannot leave component instance");
    wf_error_free(e);
    /* the trap poisoned the instance: nothing enters it again */
    for (int i = 0; i < 2; i++) {
        e = wf_cinstance_call(ci, "use-add", NULL, 0, &out);
        assert_non_null(e);
        assert_int_equal(e->kind, WF_ERR_TRAP);
        assert_non_null(strstr(e->message, "cannot enter component instance: it trapped in an earlier call"));
        wf_error_free(e);
    }
    assert_int_equal(adds, 0);
    wf_cinstance_free(ci);
    ci = make(s, &adds);   /* a new instance is fine */
    out = call(ci, "use-add", NULL, 0);
    assert_int_equal(out.of.u, 42);
    assert_int_equal(adds, 1);
    wf_cinstance_free(ci);

    /* no definition: unlinkable, naming the import */
    e = wf_cinstance_new(s, &C, NULL, &ci);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
    assert_string_equal(e->message, "missing import `add`");
    wf_error_free(e);
    /* stubbed: instantiates, and the call traps with the stub's message */
    wf_clinker *l = wf_clinker_new();
    wf_clinker_stub_missing(l, missing, NULL);
    assert_null(wf_cinstance_new(s, &C, l, &ci));
    wf_clinker_free(l);
    e = wf_cinstance_call(ci, "use-add", NULL, 0, &out);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    assert_string_equal(e->message, "`add` is not enabled: add it to `imports`");
    wf_error_free(e);
    wf_val empty = wf_val_string("", 0);
    e = wf_cinstance_call(ci, "f", &empty, 1, &out);    /* poisoned by that trap */
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_TRAP);
    wf_error_free(e);
    wf_cinstance_free(ci);
    l = wf_clinker_new();
    wf_clinker_stub_missing(l, missing, NULL);
    assert_null(wf_cinstance_new(s, &C, l, &ci));
    wf_clinker_free(l);
    out = call(ci, "f", &empty, 1);                     /* the rest works */
    assert_int_equal(out.of.str.len, 0);
    wf_val_free(&out);
    wf_val_free(&empty);
    wf_cinstance_free(ci);
    wf_store_free(s);
}

/* C2 imports an instance exporting f and re-exports it as g: linked to a
 * registered instance (wf_clinker_define_instance, the wast `register`). */
static void test_instance_import(void **state)
{
    (void)state;
    static wf_ctype f_type = { .kind = WF_CTYPE_FUNC }, i_type = { .kind = WF_CTYPE_INSTANCE };
    static wf_cdecl i_exports[1];
    static wf_cdef d2[3];
    static wf_component C2;
    f_type.func = wf_wit_find_func(wit, "f");
    i_exports[0] = (wf_cdecl){ .name = "f", .sort = WF_CSORT_FUNC, .type = &f_type };
    i_type.exports = i_exports;
    i_type.nexports = 1;
    d2[0] = (wf_cdef){ .kind = WF_CDEF_IMPORT, .sort = WF_CSORT_INSTANCE, .index = 0, .type = &i_type,
                       .u.import.decl = { .name = "i", .sort = WF_CSORT_INSTANCE, .type = &i_type } };
    d2[1] = (wf_cdef){ .kind = WF_CDEF_ALIAS, .sort = WF_CSORT_FUNC, .index = 0, .type = &f_type,
                       .u.alias = { .kind = WF_CALIAS_EXPORT, .instance = 0, .name = "f" } };
    d2[2] = export("g", 0, 1);
    C2 = (wf_component){ .defs = d2, .ndefs = 3, .validated = true };

    wf_store *s = wf_store_new();
    int adds = 0;
    wf_cinstance *a = make(s, &adds), *b;
    wf_clinker *l = wf_clinker_new();
    wf_clinker_define_instance(l, "i", a);
    wf_error *e = wf_cinstance_new(s, &C2, l, &b);
    if (e) fail_msg("instantiate: %s", e->message);
    wf_val arg = wf_val_string("r\xc3\xa9", 3);
    wf_val out = call(b, "g", &arg, 1);
    assert_string_equal(out.of.str.data, "r\xc3\xa9");
    wf_val_free(&out);
    wf_val_free(&arg);
    wf_cinstance_free(b);
    /* an instance without the export the import's type needs is unlinkable */
    i_exports[0].name = "missing";
    e = wf_cinstance_new(s, &C2, l, &b);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_UNLINKABLE);
    assert_string_equal(e->message, "import `i`: the instance has no func export `missing`");
    wf_error_free(e);
    wf_clinker_free(l);
    wf_cinstance_free(a);
    wf_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lift_lower_strings),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_post_return_and_imports),
        cmocka_unit_test(test_instance_import),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
