/* test_cabi.c - calling core functions through the Canonical ABI: strings,
 * lists of records, options, variants with joined flat types, results,
 * more than 16 params, several results, post-return, shape errors that
 * run nothing, and guest-supplied bad pointers/values that trap cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "component/cabi/cabi.h"
#include "component/val_conv.h"
#include "cabi_modules.h"

typedef struct env {
    wf_module *m;
    wf_store *s;
    wf_instance *inst;
    wf_wit *wit;
} env;

static env E;

static int setup(void **state)
{
    wf_error *e = wf_module_from_wat(cabi_wat, strlen(cabi_wat), &E.m);
    if (e) fail_msg("module: %s", e->message);
    E.s = wf_store_new();
    if ((e = wf_instance_new(E.s, E.m, NULL, 0, &E.inst))) fail_msg("instance: %s", e->message);
    if ((e = wf_wit_parse(cabi_wit, strlen(cabi_wit), &E.wit))) fail_msg("wit: %d:%d %s", e->line, e->col, e->message);
    return 0;
}

static int teardown(void **state)
{
    wf_wit_free(E.wit);
    wf_store_free(E.s);
    wf_module_free(E.m);
    return 0;
}

static wf_func *export_fn(const char *name)
{
    wf_extern ex;
    if (!wf_instance_export(E.inst, name, strlen(name), &ex)) fail_msg("no export %s", name);
    return ex.of.func;
}

static wf_error *call(const char *export, const char *wit_name, const wf_val *args, size_t n, wf_val *out)
{
    const wf_wit_func *sig = wf_wit_find_func(E.wit, wit_name);
    if (!sig) fail_msg("no wit func %s", wit_name);
    return wf_cabi_call(E.inst, export_fn(export), export, sig, args, n, out);
}

static void call_ok(const char *export, const char *wit_name, const wf_val *args, size_t n, wf_val *out)
{
    wf_error *e = call(export, wit_name, args, n, out);
    if (e) fail_msg("%s: %s: %s", export, wf_error_kind_name(e->kind), e->message);
}

static void call_err(const char *export, const char *wit_name, const wf_val *args, size_t n,
                     wf_error_kind kind, const char *msg)
{
    wf_val out;
    wf_error *e = call(export, wit_name, args, n, &out);
    if (!e) fail_msg("%s: expected an error `%s`", export, msg);
    if (e->kind != kind || strcmp(e->message, msg) != 0)
        fail_msg("%s: got %s: %s, want %s: %s", export, wf_error_kind_name(e->kind), e->message,
                 wf_error_kind_name(kind), msg);
    assert_int_equal(out.kind, WF_VAL_BOOL);
    wf_error_free(e);
}

static int32_t get_i32(const char *export)
{
    wf_value r;
    wf_error *e = wf_func_call(export_fn(export), NULL, 0, &r, 1);
    assert_null(e);
    return r.of.i32;
}

static void test_strings_and_post_return(void **state)
{
    int posts = get_i32("posts");
    wf_val arg = wf_val_string("héllo wörld", strlen("héllo wörld")), out;
    call_ok("echo-str", "echo-str", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_STRING);
    assert_string_equal(out.of.str.data, "héllo wörld");
    wf_val_free(&out);
    assert_int_equal(get_i32("posts"), posts + 1);
    call_ok("str-len", "str-len", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_U32);
    assert_int_equal(out.of.u, strlen("héllo wörld"));
    wf_val_free(&arg);
    /* the empty string */
    arg = wf_val_string("", 0);
    call_ok("echo-str", "echo-str", &arg, 1, &out);
    assert_int_equal(out.of.str.len, 0);
    wf_val_free(&out);
    wf_val_free(&arg);
}

static wf_val make_user(uint32_t id, const char *name, int ntags, bool active, double score, int tag)
{
    wf_val u = wf_val_agg(WF_VAL_RECORD, 6);
    const char *names[] = { "id", "name", "tags", "active", "score", "tag" };
    for (int i = 0; i < 6; i++) wf_val_set_name(&u, i, names[i]);
    u.of.agg.items[0] = wf_val_uint(WF_VAL_U32, id);
    u.of.agg.items[1] = wf_val_string(name, strlen(name));
    wf_val tags = wf_val_agg(WF_VAL_LIST, ntags);
    for (int i = 0; i < ntags; i++) {
        char t[16];
        snprintf(t, sizeof t, "tag%d", i);
        tags.of.agg.items[i] = wf_val_string(t, strlen(t));
    }
    u.of.agg.items[2] = tags;
    u.of.agg.items[3] = wf_val_bool(active);
    u.of.agg.items[4] = wf_val_f64(score);
    if (tag) {
        wf_val c = wf_val_char((uint32_t)tag);
        u.of.agg.items[5] = wf_val_some(&c);
    } else {
        u.of.agg.items[5] = wf_val_none();
    }
    return u;
}

static void test_list_of_records(void **state)
{
    wf_val users = wf_val_agg(WF_VAL_LIST, 3), out;
    users.of.agg.items[0] = make_user(1, "ann", 2, true, 1.5, 0x1F600);
    users.of.agg.items[1] = make_user(2, "bob", 0, false, -0.25, 0);
    users.of.agg.items[2] = make_user(4000000000u, "", 5, true, 1e300, 'x');
    call_ok("echo-users", "echo-users", &users, 1, &out);
    assert_int_equal(out.kind, WF_VAL_LIST);
    assert_int_equal(out.of.agg.len, 3);
    const wf_val *u0 = &out.of.agg.items[0], *u2 = &out.of.agg.items[2];
    assert_string_equal(u0->of.agg.names[1], "name");
    assert_string_equal(wf_val_field(u0, "name")->of.str.data, "ann");
    assert_int_equal(wf_val_field(u0, "tags")->of.agg.len, 2);
    assert_string_equal(wf_val_field(u0, "tags")->of.agg.items[1].of.str.data, "tag1");
    assert_true(wf_val_field(u0, "active")->of.b);
    assert_true(wf_val_field(u0, "score")->of.f64 == 1.5);
    assert_int_equal(wf_val_field(u0, "tag")->of.cas.payload->of.u, 0x1F600);
    assert_false(wf_val_field(&out.of.agg.items[1], "active")->of.b);
    assert_null(wf_val_field(&out.of.agg.items[1], "tag")->of.cas.payload);
    assert_int_equal(wf_val_field(u2, "id")->of.u, 4000000000u);
    assert_int_equal(wf_val_field(u2, "tags")->of.agg.len, 5);
    assert_true(wf_val_field(u2, "score")->of.f64 == 1e300);
    wf_val_free(&out);

    /* snake_case / reordered field names are matched by name */
    wf_val_set_name(&users.of.agg.items[1], 0, "tag");
    wf_val_set_name(&users.of.agg.items[1], 5, "id");
    wf_val tmp = users.of.agg.items[1].of.agg.items[0];
    users.of.agg.items[1].of.agg.items[0] = users.of.agg.items[1].of.agg.items[5];
    users.of.agg.items[1].of.agg.items[5] = tmp;
    call_ok("echo-users", "echo-users", &users, 1, &out);
    assert_int_equal(wf_val_field(&out.of.agg.items[1], "id")->of.u, 2);
    wf_val_free(&out);

    /* shape errors name the parameter and the path; nothing runs */
    int allocs = get_i32("allocs");
    wf_val_free(&users.of.agg.items[2].of.agg.items[1]);
    users.of.agg.items[2].of.agg.items[1] = wf_val_uint(WF_VAL_U32, 5);
    call_err("echo-users", "echo-users", &users, 1, WF_ERR_INVALID,
             "parameter `users`[2].name: expected string, got u32");
    wf_val_free(&users.of.agg.items[2].of.agg.items[1]);
    users.of.agg.items[2].of.agg.items[1] = wf_val_string("z", 1);
    wf_val_free(&users.of.agg.items[0].of.agg.items[0]);
    users.of.agg.items[0].of.agg.items[0] = wf_val_sint(WF_VAL_S64, -1);
    call_err("echo-users", "echo-users", &users, 1, WF_ERR_INVALID,
             "parameter `users`[0].id: -1 is out of range for u32");
    wf_val_set_name(&users.of.agg.items[0], 0, "ident");
    call_err("echo-users", "echo-users", &users, 1, WF_ERR_INVALID,
             "parameter `users`[0]: missing field `id` of user");
    assert_int_equal(get_i32("allocs"), allocs);
    wf_val_free(&users);
}

static void test_options_variants_results(void **state)
{
    wf_val v = wf_val_uint(WF_VAL_U32, 77), arg = wf_val_some(&v), out;
    call_ok("echo-opt", "echo-opt", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_OPTION);
    assert_int_equal(out.of.cas.index, 1);
    assert_int_equal(out.of.cas.payload->of.u, 77);
    wf_val_free(&out);
    wf_val_free(&arg);
    arg = wf_val_none();
    call_ok("echo-opt", "echo-opt", &arg, 1, &out);
    assert_null(out.of.cas.payload);
    assert_string_equal(out.of.cas.name, "none");
    wf_val_free(&out);
    wf_val_free(&arg);

    /* f32 payload travels in the joined i64 slot */
    v = wf_val_f32(2.5f);
    arg = wf_val_case(WF_VAL_VARIANT, 0, "circle", &v);
    call_ok("echo-shape", "echo-shape", &arg, 1, &out);
    assert_string_equal(out.of.cas.name, "circle");
    assert_int_equal(out.of.cas.payload->kind, WF_VAL_F32);
    assert_true(out.of.cas.payload->of.f32 == 2.5f);
    wf_val_free(&out);
    wf_val_free(&arg);
    v = wf_val_uint(WF_VAL_U64, UINT64_MAX);
    arg = wf_val_case(WF_VAL_VARIANT, 0, "square", &v);   /* the name wins over the index */
    call_ok("echo-shape", "echo-shape", &arg, 1, &out);
    assert_int_equal(out.of.cas.index, 1);
    assert_true(out.of.cas.payload->of.u == UINT64_MAX);
    wf_val_free(&out);
    wf_val_free(&arg);
    arg = wf_val_case(WF_VAL_VARIANT, 2, NULL, NULL);
    call_ok("echo-shape", "echo-shape", &arg, 1, &out);
    assert_string_equal(out.of.cas.name, "none");
    wf_val_free(&out);
    wf_val_free(&arg);
    arg = wf_val_case(WF_VAL_VARIANT, 0, "triangle", NULL);
    call_err("echo-shape", "echo-shape", &arg, 1, WF_ERR_INVALID,
             "parameter `s`: `triangle` is not a case of shape");
    wf_val_free(&arg);
    arg = wf_val_case(WF_VAL_VARIANT, 0, "circle", NULL);
    call_err("echo-shape", "echo-shape", &arg, 1, WF_ERR_INVALID,
             "parameter `s`: case `circle` needs a payload");
    wf_val_free(&arg);

    arg = wf_val_sint(WF_VAL_S32, 5);
    call_ok("check", "check", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_RESULT);
    assert_int_equal(out.of.cas.index, 0);
    assert_string_equal(out.of.cas.payload->of.str.data, "ok");
    wf_val_free(&out);
    arg = wf_val_sint(WF_VAL_S32, -5);
    call_ok("check", "check", &arg, 1, &out);
    assert_string_equal(out.of.cas.name, "err");
    assert_int_equal(out.of.cas.payload->of.u, 7);
    wf_val_free(&out);

    arg = wf_val_uint(WF_VAL_U32, 2);                    /* nonzero is true */
    call_ok("id32", "id-bool", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_BOOL);
    assert_true(out.of.b);
    call_ok("id32", "id-color", &arg, 1, &out);
    assert_string_equal(out.of.cas.name, "blue");
    wf_val_free(&out);
    arg = wf_val_uint(WF_VAL_U32, 5);
    call_ok("id32", "id-flags", &arg, 1, &out);
    assert_int_equal(out.kind, WF_VAL_FLAGS);
    assert_int_equal(out.of.agg.len, 2);
    assert_string_equal(out.of.agg.names[0], "read");
    assert_string_equal(out.of.agg.names[1], "exec");
    wf_val_free(&out);
    arg = wf_val_uint(WF_VAL_U32, 3);
    call_err("id32", "id-color", &arg, 1, WF_ERR_TRAP, "invalid variant discriminant (result: 3 for color of 3 cases)");
}

static void test_spill_and_multiple_results(void **state)
{
    wf_val args[17], out;
    uint64_t sum = 0;
    for (int i = 0; i < 17; i++) {
        args[i] = wf_val_uint(WF_VAL_U32, 4000000000u - (uint32_t)i);
        sum += 4000000000u - (uint32_t)i;
    }
    call_ok("many", "many", args, 17, &out);
    assert_int_equal(out.kind, WF_VAL_U64);
    assert_true(out.of.u == sum);
    call_err("many", "many", args, 16, WF_ERR_INVALID, "`many` takes 17 arguments, got 16");

    wf_val x = wf_val_uint(WF_VAL_U32, 9);
    call_ok("pair", "pair", &x, 1, &out);
    assert_int_equal(out.kind, WF_VAL_TUPLE);
    assert_int_equal(out.of.agg.len, 2);
    assert_int_equal(out.of.agg.items[0].of.u, 9);
    assert_string_equal(out.of.agg.items[1].of.str.data, "hi");
    wf_val_free(&out);

    call_ok("nothing", "nothing", NULL, 0, &out);
    assert_int_equal(out.kind, WF_VAL_TUPLE);
    assert_int_equal(out.of.agg.len, 0);
}

static void test_guest_faults_trap(void **state)
{
    call_err("bad-str", "bad-str", NULL, 0, WF_ERR_TRAP,
             "string pointer/length out of bounds of memory (result: 0xfff0 + 100 > memory size 65536)");
    call_err("bad-utf8", "bad-utf8", NULL, 0, WF_ERR_TRAP, "invalid utf-8 (result: at byte 0 of the string)");
    call_err("bad-list", "bad-list", NULL, 0, WF_ERR_TRAP, "unaligned pointer (result: 0x4 is not a multiple of 8)");
    call_err("huge-list", "huge-list", NULL, 0, WF_ERR_TRAP,
             "list pointer/length out of bounds of memory (result: 1073741824 elements of 1 bytes is more than the maximum list size)");
    call_err("bad-ret", "bad-ret", NULL, 0, WF_ERR_TRAP,
             "pointer out of bounds of memory (results: 0x7ffffff0 + 8 > memory size 65536)");
    call_err("bad-char", "bad-char", NULL, 0, WF_ERR_TRAP, "invalid `char` bit pattern (result: 0xd800 is not a Unicode scalar value)");
}

/* The typed check (wf_val_check, the walk that also converts Lua and JSON
 * values): what a typed value may not be, with the path to it, and that
 * it changes nothing. */
static void check_typed(const wf_wit_type *t, const wf_val *v, const char *want)
{
    wf_error *e = wf_val_check(t, v, &(wf_val_conv){ .param = "x" });
    if (!want) {
        if (e) fail_msg("unexpected: %s", e->message);
        return;
    }
    if (!e) fail_msg("expected an error `%s`", want);
    if (e->kind != WF_ERR_INVALID || strcmp(e->message, want))
        fail_msg("got %s: %s, want INVALID: %s", wf_error_kind_name(e->kind), e->message, want);
    wf_error_free(e);
}

static void test_typed_check(void **state)
{
    const wf_wit_func *users = wf_wit_find_func(E.wit, "echo-users");
    const wf_wit_type *ulist = users->params[0].type, *user = ulist->elem;
    const wf_wit_type *shape = wf_wit_find_func(E.wit, "echo-shape")->params[0].type;
    const wf_wit_type *perms = wf_wit_find_func(E.wit, "id-flags")->results[0].type;
    const wf_wit_type *opt = wf_wit_find_func(E.wit, "echo-opt")->params[0].type;
    wf_val u = wf_val_agg(WF_VAL_RECORD, 6);
    const char *names[] = {"id", "name", "tags", "active", "score", "tag"};
    for (size_t i = 0; i < 6; i++) wf_val_set_name(&u, i, names[i]);
    u.of.agg.items[0] = wf_val_sint(WF_VAL_S64, 7);          /* any integer kind in range */
    u.of.agg.items[1] = wf_val_string("ann", 3);
    u.of.agg.items[2] = wf_val_agg(WF_VAL_LIST, 0);
    u.of.agg.items[3] = wf_val_bool(true);
    u.of.agg.items[4] = wf_val_uint(WF_VAL_U8, 3);           /* any number for a float */
    u.of.agg.items[5] = wf_val_none();
    wf_val list = wf_val_agg(WF_VAL_LIST, 1);
    list.of.agg.items[0] = u;
    check_typed(ulist, &list, NULL);
    assert_int_equal(list.of.agg.items[0].of.agg.items[0].kind, WF_VAL_S64);   /* unchanged */
    wf_val *f = list.of.agg.items[0].of.agg.items;
    f[0] = wf_val_f64(7);   /* a float is not a typed integer */
    check_typed(ulist, &list, "parameter `x`[0].id: expected u32, got f64");
    f[0] = wf_val_uint(WF_VAL_U32, 7);
    wf_val c = wf_val_char(0xd800);
    wf_val_free(&f[5]);
    f[5] = wf_val_some(&c);
    check_typed(ulist, &list, "parameter `x`[0].tag.some: 55296 is not a Unicode scalar value");
    wf_val_free(&f[5]);
    f[5] = wf_val_string("x", 1);
    check_typed(ulist, &list, "parameter `x`[0].tag: expected option<char>, got string");
    wf_val_free(&f[5]);
    f[5] = wf_val_none();
    wf_val_set_name(&list.of.agg.items[0], 5, "colour");
    check_typed(ulist, &list, "parameter `x`[0]: missing field `tag` of user");
    wf_val_free(&list);

    wf_val r = wf_val_agg(WF_VAL_RECORD, 0);
    check_typed(user, &r, "parameter `x`: missing field `id` of user");
    wf_val_free(&r);
    wf_val p = wf_val_uint(WF_VAL_U64, 1);
    wf_val s = wf_val_case(WF_VAL_VARIANT, 2, "none", &p);
    check_typed(shape, &s, "parameter `x`: case `none` has no payload");
    wf_val_free(&s);
    s = wf_val_case(WF_VAL_VARIANT, 5, NULL, NULL);
    check_typed(shape, &s, "parameter `x`: case index 5 out of range for shape");
    wf_val_free(&s);
    p = wf_val_string("big", 3);
    s = wf_val_case(WF_VAL_VARIANT, 1, "square", &p);
    check_typed(shape, &s, "parameter `x`.square: expected u64, got string");
    wf_val_free(&s);
    wf_val fl = wf_val_agg(WF_VAL_FLAGS, 2);
    wf_val_set_name(&fl, 0, "read");
    wf_val_set_name(&fl, 1, "delete");
    check_typed(perms, &fl, "parameter `x`: unknown flag `delete` of perms");
    wf_val_free(&fl);
    wf_val n = wf_val_uint(WF_VAL_U32, 1);   /* a bare payload is an untyped option */
    check_typed(opt, &n, "parameter `x`: expected option<u32>, got u32");
}

static void test_type_checks_and_core(void **state)
{
    wf_val arg = wf_val_uint(WF_VAL_U32, 1), out;
    /* WIT says string, core takes (i32) */
    const wf_wit_func *sig = wf_wit_find_func(E.wit, "echo-str");
    wf_error *e = wf_cabi_check_type(wf_func_type(export_fn("id32")), sig);
    assert_non_null(e);
    assert_string_equal(e->message, "core function `echo-str` has type (i32) -> (i32), but its WIT "
                                    "signature needs (i32, i32) -> (i32)");
    wf_error_free(e);
    call_err("echo-str", "echo-str", &arg, 1, WF_ERR_INVALID, "parameter `s`: expected string, got u32");

    wf_val two[2] = { wf_val_sint(WF_VAL_S64, 40), wf_val_f64(2.0) };
    e = wf_cabi_call_core(export_fn("add"), two, 2, &out);
    assert_null(e);
    assert_int_equal(out.kind, WF_VAL_S32);
    assert_int_equal(out.of.s, 42);
    two[1] = wf_val_f64(2.5);
    e = wf_cabi_call_core(export_fn("add"), two, 2, &out);
    assert_string_equal(e->message, "argument 2: 2.5 is not an integer, expected i32");
    wf_error_free(e);
    two[1] = wf_val_sint(WF_VAL_S64, 5000000000);
    e = wf_cabi_call_core(export_fn("add"), two, 2, &out);
    assert_string_equal(e->message, "argument 2: 5000000000 is out of range for i32");
    wf_error_free(e);
    e = wf_cabi_call_core(export_fn("add"), two, 1, &out);
    assert_string_equal(e->message, "the function takes 2 arguments, got 1");
    wf_error_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_and_post_return),
        cmocka_unit_test(test_list_of_records),
        cmocka_unit_test(test_options_variants_results),
        cmocka_unit_test(test_spill_and_multiple_results),
        cmocka_unit_test(test_guest_faults_trap),
        cmocka_unit_test(test_type_checks_and_core),
        cmocka_unit_test(test_typed_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
