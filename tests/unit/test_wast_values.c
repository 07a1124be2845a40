/* test_wast_values.c - the spec-script runner's reader (wast_sexp.c) and its
 * values: argument constants, expected results and how results match them
 * (wast_value.c). Those files belong to the CLI, so they are compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../src/cli/wast_sexp.c"
#include "../../src/cli/wast_value.c"

static void *ext_ref(void *ctx, uint32_t n)
{
    static char cells[16];
    (void)ctx;
    return &cells[n % 16];
}

/* Parse `text` as a one-form script and return its only form. */
static wast_node *one(const char *text, wast_node **root)
{
    wf_error *e = wf_wast_parse(text, strlen(text), root);
    assert_null(e);
    assert_int_equal((*root)->nitems, 1);
    return (*root)->items[0];
}

static void test_reader(void **state)
{
    (void)state;
    wast_node *root;
    const char *src = ";; c\n(module $m (@a x) (func))\n(; (( ;)\n(register \"a\\41\\u{62}\" $m)";
    assert_null(wf_wast_parse(src, strlen(src), &root));
    assert_int_equal(root->nitems, 2);
    wast_node *m = root->items[0];
    assert_int_equal(m->line, 2);
    assert_int_equal(m->nitems, 3); /* the annotation is gone */
    assert_true(wf_wast_is_id(m->items[1]));
    assert_int_equal(m->len, strlen("(module $m (@a x) (func))"));
    wast_node *r = root->items[1];
    assert_true(wf_wast_head_is(r, "register"));
    assert_string_equal(r->items[1]->str, "aAb");
    wf_wast_node_free(root);

    wf_error *e = wf_wast_parse("(module\n  (func", 15, &root);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    assert_int_equal(e->line, 2);
    wf_error_free(e);
    e = wf_wast_parse("(a))", 4, &root);
    assert_non_null(e);
    assert_int_equal(e->col, 4);
    wf_error_free(e);
}

static void check_const(const char *text, wf_valkind kind, uint64_t bits)
{
    wast_node *root;
    wf_value v;
    wf_error *e = wf_wast_parse_const(one(text, &root), ext_ref, NULL, &v);
    assert_null(e);
    assert_int_equal(v.type.kind, kind);
    switch (kind) {
    case WF_I32: assert_int_equal((uint32_t)v.of.i32, bits); break;
    case WF_I64: assert_int_equal((uint64_t)v.of.i64, bits); break;
    case WF_F32: assert_int_equal(v.of.f32_bits, bits); break;
    default: assert_int_equal(v.of.f64_bits, bits); break;
    }
    wf_wast_node_free(root);
}

static void test_consts(void **state)
{
    (void)state;
    check_const("(i32.const -1)", WF_I32, 0xffffffffu);
    check_const("(i32.const 0xffff_ffff)", WF_I32, 0xffffffffu);
    check_const("(i32.const -0x8000_0000)", WF_I32, 0x80000000u);
    check_const("(i64.const -9223372036854775808)", WF_I64, 0x8000000000000000ull);
    check_const("(f32.const -0x1p-149)", WF_F32, 0x80000001u);
    check_const("(f32.const nan:0x200000)", WF_F32, 0x7fa00000u);
    check_const("(f32.const -nan)", WF_F32, 0xffc00000u);
    check_const("(f32.const -inf)", WF_F32, 0xff800000u);
    check_const("(f32.const 1.5)", WF_F32, 0x3fc00000u);
    check_const("(f64.const 0x1.fffffffffffffp+1023)", WF_F64, 0x7fefffffffffffffull);
    check_const("(f64.const 1e1_0)", WF_F64, 0x4202a05f20000000ull);
    check_const("(f64.const nan:0x4000000000000)", WF_F64, 0x7ff4000000000000ull);

    wast_node *root;
    wf_value v;
    wf_error *e = wf_wast_parse_const(one("(ref.extern 3)", &root), ext_ref, NULL, &v);
    assert_null(e);
    assert_ptr_equal(v.of.ref, ext_ref(NULL, 3));
    wf_wast_node_free(root);
    e = wf_wast_parse_const(one("(v128.const i16x8 1 -1 0x7fff 65535 0 0 0 -32768)", &root), ext_ref,
                            NULL, &v);
    assert_null(e);
    assert_int_equal(v.type.kind, WF_V128);
    static const uint8_t want[16] = { 1, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff,
                                      0, 0, 0, 0, 0, 0, 0, 0x80 };
    assert_memory_equal(v.of.v128, want, 16);
    wf_wast_node_free(root);
    /* a lane out of its width's range is a broken literal */
    e = wf_wast_parse_const(one("(v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)", &root),
                            ext_ref, NULL, &v);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
    wf_wast_node_free(root);
    e = wf_wast_parse_const(one("(i32.const 0x1_0000_0000)", &root), ext_ref, NULL, &v);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
    wf_wast_node_free(root);
}

static bool matches(const char *text, wf_value v)
{
    wast_node *root;
    wast_expect x;
    wf_error *e = wf_wast_parse_expect(one(text, &root), ext_ref, NULL, &x);
    assert_null(e);
    bool r = wf_wast_expect_match(&x, &v);
    char *s = wf_wast_expect_str(&x);
    assert_non_null(s);
    free(s);
    wf_wast_expect_fini(&x);
    wf_wast_node_free(root);
    return r;
}

static void test_matching(void **state)
{
    (void)state;
    wf_value f32 = { .type = WF_TYPE_F32 }, f64 = { .type = WF_TYPE_F64 };
    f32.of.f32_bits = 0xffc00000u; /* -nan: canonical */
    assert_true(matches("(f32.const nan:canonical)", f32));
    assert_true(matches("(f32.const nan:arithmetic)", f32));
    assert_false(matches("(f64.const nan:canonical)", f32));
    f32.of.f32_bits = 0x7fc00001u;
    assert_false(matches("(f32.const nan:canonical)", f32));
    assert_true(matches("(f32.const nan:arithmetic)", f32));
    f32.of.f32_bits = 0x7fa00000u; /* signalling */
    assert_false(matches("(f32.const nan:arithmetic)", f32));
    assert_true(matches("(f32.const nan:0x200000)", f32));
    f64.of.f64_bits = 0x8000000000000000ull;
    assert_true(matches("(f64.const -0)", f64));
    assert_false(matches("(f64.const 0)", f64));
    assert_true(matches("(either (f64.const 1) (f64.const -0x0p+0))", f64));

    wf_value i = { .type = WF_TYPE_I32, .of.i32 = -1 };
    assert_true(matches("(i32.const 0xffffffff)", i));
    assert_false(matches("(i64.const -1)", i));

    wf_value r = { .type = WF_TYPE_FUNCREF };
    assert_true(matches("(ref.null func)", r));
    assert_true(matches("(ref.null nofunc)", r));
    assert_true(matches("(ref.null)", r));
    assert_false(matches("(ref.null extern)", r));
    assert_false(matches("(ref.func)", r));
    r.of.ref = &r;
    assert_true(matches("(ref.func)", r));
    assert_false(matches("(ref.null)", r));
    wf_value x = { .type = WF_TYPE_EXTERNREF, .of.ref = ext_ref(NULL, 2) };
    assert_true(matches("(ref.extern 2)", x));
    assert_true(matches("(ref.extern)", x));
    assert_false(matches("(ref.extern 1)", x));
    assert_false(matches("(ref.func)", x));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_consts),
        cmocka_unit_test(test_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
