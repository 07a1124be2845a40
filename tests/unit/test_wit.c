/* test_wit.c - the WIT parser: every type form, named types used before
 * their definition, comments, resolved layouts (sizes, alignments,
 * flattening) and the errors with their line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "component/wit/wit.h"

static wf_wit *parse_ok(const char *text)
{
    wf_wit *w = NULL;
    wf_error *e = wf_wit_parse(text, strlen(text), &w);
    if (e) fail_msg("parse: %d:%d: %s", e->line, e->col, e->message);
    return w;
}

static void parse_err(const char *text, int line, int col, const char *msg)
{
    wf_wit *w = NULL;
    wf_error *e = wf_wit_parse(text, strlen(text), &w);
    if (!e) fail_msg("expected error `%s` for: %s", msg, text);
    assert_null(w);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    if (strcmp(e->message, msg) != 0 || e->line != line || e->col != col)
        fail_msg("got %d:%d: %s, want %d:%d: %s", e->line, e->col, e->message, line, col, msg);
    wf_error_free(e);
}

static char *str(const wf_wit_type *t) { return wf_wit_type_str(t); }

static void check_str(const wf_wit_type *t, const char *want)
{
    char *s = str(t);
    assert_string_equal(s, want);
    free(s);
}

static void test_funcs_and_scalars(void **state)
{
    wf_wit *w = parse_ok(
        "// a line comment\n"
        "/// doc comment\n"
        "add: func(a: s32, b: s32) -> s32;\n"
        "/* block /* nested */ comment */\n"
        "all: func(a: bool, b: s8, c: s16, d: s32, e: s64, f: u8, g: u16, h: u32, i: u64,\n"
        "          j: f32, k: f64, l: float32, m: float64, n: char, o: string);\n"
        "pair: func() -> (x: u32, y: string);\n"
        "%type: func(%record: u8) -> result;\n");
    assert_int_equal(w->nfuncs, 4);
    const wf_wit_func *f = wf_wit_find_func(w, "add");
    assert_non_null(f);
    assert_int_equal(f->nparams, 2);
    assert_string_equal(f->params[1].name, "b");
    assert_ptr_equal(f->params[0].type, wf_wit_prim(WF_WIT_S32));
    assert_int_equal(f->nresults, 1);
    assert_null(f->results[0].name);
    assert_false(f->named_results);
    f = wf_wit_find_func(w, "all");
    assert_int_equal(f->nparams, 15);
    assert_int_equal(f->nresults, 0);
    assert_ptr_equal(f->params[11].type, wf_wit_prim(WF_WIT_F32));
    assert_ptr_equal(f->params[12].type, wf_wit_prim(WF_WIT_F64));
    f = wf_wit_find_func(w, "pair");
    assert_true(f->named_results);
    assert_int_equal(f->nresults, 2);
    assert_string_equal(f->results[1].name, "y");
    f = wf_wit_find_func(w, "type");
    assert_non_null(f);
    assert_string_equal(f->params[0].name, "record");
    check_str(f->results[0].type, "result");
    wf_wit_free(w);
}

static void test_defined_types(void **state)
{
    wf_wit *w = parse_ok(
        "transform-users: func(users: list<user>) -> list<user-view>;\n"
        "record user-view { id: u32, display: string, tag-count: u32, }\n"
        "record user { id: u32, name: string, tags: list<string>, active: bool }\n"
        "variant shape { circle(f32), square(u64), none, }\n"
        "enum color { red, green, blue }\n"
        "flags perms { read, write, exec }\n"
        "type ids = list<u32>;\n"
        "type ids2 = ids;\n"
        "f: func(a: option<ids2>, b: result<_, string>, c: result<u8>, d: tuple<u8, string, f64>,\n"
        "        e: result<string, color>, s: shape, p: perms) -> option<user>;\n");
    const wf_wit_func *f = wf_wit_find_func(w, "transform_users");   /* snake_case finds kebab */
    assert_non_null(f);
    const wf_wit_type *user = wf_wit_find_type(w, "user");
    assert_non_null(user);
    assert_ptr_equal(f->params[0].type->elem, user);
    assert_int_equal(user->kind, WF_WIT_RECORD);
    assert_int_equal(user->nfields, 4);
    /* id @0, name @4 (ptr,len), tags @12, active @20; size 24 align 4 */
    assert_int_equal(user->fields[1].offset, 4);
    assert_int_equal(user->fields[2].offset, 12);
    assert_int_equal(user->fields[3].offset, 20);
    assert_int_equal(user->size, 24);
    assert_int_equal(user->align, 4);
    assert_int_equal(user->nflat, 6);

    const wf_wit_type *shape = wf_wit_find_type(w, "shape");
    /* u8 discriminant, payload at 8 (u64), size 16; flat: i32 + join(f32, i64) = i64 */
    assert_int_equal(shape->payload_offset, 8);
    assert_int_equal(shape->size, 16);
    assert_int_equal(shape->align, 8);
    assert_int_equal(shape->nflat, 2);
    assert_int_equal(shape->flat[0], WF_FLAT_I32);
    assert_int_equal(shape->flat[1], WF_FLAT_I64);
    assert_null(shape->fields[2].type);

    const wf_wit_type *color = wf_wit_find_type(w, "color");
    assert_int_equal(color->size, 1);
    assert_int_equal(color->nflat, 1);
    const wf_wit_type *perms = wf_wit_find_type(w, "perms");
    assert_int_equal(perms->size, 1);
    assert_int_equal(perms->nfields, 3);

    f = wf_wit_find_func(w, "f");
    check_str(f->params[0].type, "option<list<u32>>");
    assert_ptr_equal(wf_wit_find_type(w, "ids2"), wf_wit_find_type(w, "ids"));
    check_str(f->params[1].type, "result<_, string>");
    assert_null(f->params[1].type->elem);
    check_str(f->params[2].type, "result<u8>");
    check_str(f->params[3].type, "tuple<u8, string, f64>");
    assert_int_equal(f->params[3].type->fields[2].offset, 16);
    assert_int_equal(f->params[3].type->size, 24);
    /* result<string, color>: i32 disc, then join(i32,i32)=i32, i32 */
    assert_int_equal(f->params[4].type->nflat, 3);
    /* option<list<u32>>: 12 bytes, payload at 4 */
    assert_int_equal(f->params[0].type->size, 12);
    assert_int_equal(f->params[0].type->payload_offset, 4);
    check_str(f->results[0].type, "option<user>");
    wf_wit_free(w);
}

static void test_errors(void **state)
{
    parse_err("f: func(a: foo);", 1, 12, "unknown type `foo`");
    parse_err("f: func();\nf: func();", 2, 1, "duplicate function `f`");
    parse_err("record r { a: u8 }\nrecord r { b: u8 }", 2, 8, "duplicate type `r`");
    parse_err("record r { a: u8, a: u32 }", 1, 19, "duplicate field `a`");
    parse_err("f: func(a: u8, a: u8);", 1, 16, "duplicate parameter `a`");
    parse_err("enum e { x, y, x }", 1, 16, "duplicate case `x`");
    /* Upstream Wippy's forms: the last `;` may be left out, `export` may
     * prefix a function; a `;` missing between items is still an error. */
    wf_wit *up = parse_ok("export f: func(a: u8) -> u32;\nexport g: func(a: string)");
    assert_int_equal(up->nfuncs, 2);
    assert_string_equal(up->funcs[1].name, "g");
    assert_int_equal(up->funcs[1].nparams, 1);
    wf_wit_free(up);
    parse_err("f: func(a: u8)\ng: func();", 2, 1, "expected `;`, found `g`");
    parse_err("f: func(a: list<u8);", 1, 19, "expected `>`, found `)`");
    parse_err("record r { a: r }", 1, 8, "type `r` refers to itself");
    parse_err("type a = b;\ntype b = a;\nf: func(x: a);", 2, 10, "type `a` refers to itself");
    parse_err("f: func(a: u8) -> ;", 1, 19, "expected a type, found `;`");
    parse_err("f: funk();", 1, 4, "expected `func`, found `funk`");
    parse_err("f: func(); $", 1, 12, "unexpected character `$`");
    parse_err("/* open", 1, 1, "unterminated block comment");
    parse_err("record r {}", 1, 8, "record `r` must have at least one field");
    parse_err("interface x {}", 1, 1,
              "`interface` is not supported in a `wit` field (functions and type definitions only)");
    parse_err("f: func(a: borrow<x>);", 1, 12, "`borrow` types are not supported in a `wit` field");
    parse_err("f: func(a-: u8);", 1, 9, "invalid identifier `a-`");
    parse_err("flags f { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7,"
              " b8, b9, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, d0, d1, d2 }", 1, 7,
              "flags `f` has 33 flags; at most 32 are allowed");
    /* nesting is bounded, not a stack overflow */
    char deep[2000] = "f: func(a: ";
    for (int i = 0; i < 150; i++) strcat(deep, "list<");
    strcat(deep, "u8");
    for (int i = 0; i < 150; i++) strcat(deep, ">");
    strcat(deep, ");");
    wf_wit *w = NULL;
    wf_error *e = wf_wit_parse(deep, strlen(deep), &w);
    assert_non_null(e);
    assert_string_equal(e->message, "type nested too deeply (more than 100 levels)");
    wf_error_free(e);
}

static void test_empty_and_large_variant(void **state)
{
    wf_wit *w = parse_ok("  // nothing\n");
    assert_int_equal(w->nfuncs, 0);
    wf_wit_free(w);
    /* 300 cases need a u16 discriminant */
    char text[8000] = "enum big { ";
    for (int i = 0; i < 300; i++) sprintf(text + strlen(text), "c%d, ", i);
    strcat(text, "}");
    w = parse_ok(text);
    const wf_wit_type *big = wf_wit_find_type(w, "big");
    assert_int_equal(big->size, 2);
    assert_int_equal(big->align, 2);
    wf_wit_free(w);
}

/* The field is read by the full WIT parser: what an interface body may hold
 * is parsed (feature gates), what a field cannot use is refused by name,
 * and keywords are names only when %-escaped, as in any WIT. */
static void test_one_parser(void **state)
{
    wf_wit *w = parse_ok("@since(version = 1.0.0)\nf: func() -> u8;\n"
                         "@unstable(feature = x)\nrecord r { @since(version = 1.0.0) a: u8 }\n");
    assert_int_equal(w->nfuncs, 1);
    assert_int_equal(wf_wit_find_type(w, "r")->nfields, 1);
    wf_wit_free(w);
    parse_err("resource r;", 1, 1,
              "`resource` is not supported in a `wit` field (functions and type definitions only)");
    parse_err("f: async func();", 1, 1, "`async` functions are not supported in a `wit` field");
    parse_err("f: func(a: tuple<>);", 1, 12, "a tuple must have at least one type");
    parse_err("f: func(a: map<f32, u8>);", 1, 12, "map key type must be a bool, integer, char or string type");
    parse_err("f: func(a: list<u64, 33554432>);", 1, 12,
              "type exceeds maximum byte size (268435456 bytes with 64-bit pointers)");
    parse_err("f: func(list: u8);", 1, 9, "expected an identifier, found keyword `list`");
    parse_err("f: func() -> u8;\nrecord f { a: u8 }", 2, 8,
              "`f` is defined twice (as a type and a function)");
}

/* map<K, V> is laid out as list<tuple<K, V>> (its elem), list<T, N> as a
 * tuple of N T's (CanonicalABI.md despecialize, elem_size_list). */
static void test_map_and_fixed_list(void **state)
{
    (void)state;
    wf_wit *w = parse_ok("type m = map<string, list<u32>>;\n"
                         "type v3 = list<f32, 3>;\n"
                         "record r { a: u8, pos: list<u16, 3>, big: list<string, 2> }\n"
                         "f: func(a: m, b: v3, c: r) -> map<u8, v3>;\n");
    const wf_wit_func *f = wf_wit_find_func(w, "f");
    const wf_wit_type *m = f->params[0].type, *v3 = f->params[1].type, *r = f->params[2].type;
    assert_int_equal(m->kind, WF_WIT_MAP);
    check_str(m, "map<string, list<u32>>");
    assert_int_equal(m->elem->kind, WF_WIT_TUPLE);
    assert_int_equal(m->elem->nfields, 2);
    assert_ptr_equal(m->elem->fields[0].type, wf_wit_prim(WF_WIT_STRING));
    assert_int_equal(m->elem->size, 16);          /* string 8, list 8 */
    assert_int_equal(m->elem->fields[1].offset, 8);
    assert_int_equal(m->size, 8);
    assert_int_equal(m->align, 4);
    assert_int_equal(m->size64, 16);
    assert_int_equal(m->nflat, 2);
    assert_int_equal(v3->kind, WF_WIT_LIST);
    assert_int_equal(v3->len, 3);
    check_str(v3, "list<f32, 3>");
    assert_int_equal(v3->size, 12);
    assert_int_equal(v3->align, 4);
    assert_int_equal(v3->nflat, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(v3->flat[i], WF_FLAT_F32);
    /* r: a at 0, pos (3 x u16, align 2) at 2, big (2 x string, align 4) at 8 */
    assert_int_equal(r->fields[1].offset, 2);
    assert_int_equal(r->fields[2].offset, 8);
    assert_int_equal(r->size, 24);
    assert_int_equal(r->size64, 40);               /* strings are 16 bytes with i64 pointers */
    assert_int_equal(r->nflat, 1 + 3 + 4);
    const wf_wit_type *res = f->results[0].type;
    check_str(res, "map<u8, list<f32, 3>>");   /* aliases resolve to their target */
    assert_int_equal(res->elem->size, 16);        /* u8, then f32 x3 at 4 */
    wf_wit_free(w);
    /* a fixed list too long to flatten keeps no flat array (passed in memory) */
    w = parse_ok("f: func(a: list<u8, 100000>);\n");
    const wf_wit_type *big = wf_wit_find_func(w, "f")->params[0].type;
    assert_int_equal(big->nflat, WF_WIT_FLAT_MANY);
    assert_null(big->flat);
    assert_int_equal(big->size, 100000);
    wf_wit_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_funcs_and_scalars),
        cmocka_unit_test(test_defined_types),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty_and_large_variant),
        cmocka_unit_test(test_one_parser),
        cmocka_unit_test(test_map_and_fixed_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
