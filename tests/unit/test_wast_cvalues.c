/* test_wast_cvalues.c - typed component values of component scripts
 * (wast_cval.c): every form the reference suite writes parses to the wf_val
 * it means, bad forms are refused with their position, comparison is exact
 * (bitwise floats, byte-wise strings, names of fields and cases, flag sets),
 * and printing gives back the script's syntax. Those files belong to the
 * CLI, so they are compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../src/cli/wast_sexp.c"
#include "../../src/cli/wast_value.c"
#include "../../src/cli/wast_cval.c"

/* Parse `text` (one value form) into *v; returns the error, if any. */
static wf_error *parse_as(const char *text, bool expect, wf_val *v)
{
    wast_node *root;
    wf_error *e = wf_wast_parse(text, strlen(text), &root);
    assert_null(e);
    assert_int_equal(root->nitems, 1);
    e = wf_wast_cval_parse(root->items[0], expect, v);
    wf_wast_node_free(root);
    return e;
}

static wf_val parse(const char *text)
{
    wf_val v;
    wf_error *e = parse_as(text, false, &v);
    if (e) fail_msg("%s: %s", text, e->message);
    return v;
}

static void refused(const char *text, const char *why)
{
    wf_val v;
    wf_error *e = parse_as(text, false, &v);
    if (!e) fail_msg("%s: parsed", text);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    if (!strstr(e->message, why)) fail_msg("%s: %s", text, e->message);
    assert_true(e->line == 1 && e->col >= 1);
    wf_error_free(e);
    assert_int_equal(v.kind, WF_VAL_BOOL);  /* nothing left owned */
}

/* The value prints back as `printed`. */
static void round_trip(const char *text, const char *printed)
{
    wf_val v = parse(text);
    char *s = wf_wast_cval_str(&v);
    assert_string_equal(s, printed);
    /* and what is printed parses to an equal value */
    wf_val w = parse(s);
    assert_true(wf_wast_cval_equal(&v, &w));
    free(s);
    wf_val_free(&v);
    wf_val_free(&w);
}

static void test_scalars(void **state)
{
    (void)state;
    wf_val v = parse("(bool.const true)");
    assert_int_equal(v.kind, WF_VAL_BOOL);
    assert_true(v.of.b);
    v = parse("(s8.const -128)");
    assert_int_equal(v.kind, WF_VAL_S8);
    assert_int_equal(v.of.s, -128);
    v = parse("(u8.const 0xff)");
    assert_int_equal(v.kind, WF_VAL_U8);
    assert_int_equal(v.of.u, 255);
    v = parse("(u16.const 0xffff)");
    assert_int_equal(v.of.u, 0xffff);
    v = parse("(s16.const -10)");
    assert_int_equal(v.of.s, -10);
    v = parse("(u32.const 0xffff_ffff)");
    assert_int_equal(v.kind, WF_VAL_U32);
    assert_int_equal(v.of.u, 0xffffffffu);
    v = parse("(s32.const -12)");
    assert_int_equal(v.of.s, -12);
    v = parse("(u64.const 18446744073709551615)");
    assert_int_equal(v.kind, WF_VAL_U64);
    assert_true(v.of.u == UINT64_MAX);
    v = parse("(s64.const -9223372036854775808)");
    assert_true(v.of.s == INT64_MIN);
    v = parse("(u32.const -0)");
    assert_int_equal(v.of.u, 0);

    v = parse("(f32.const 5)");
    assert_int_equal(v.kind, WF_VAL_F32);
    assert_true(v.of.f32 == 5.0f);
    v = parse("(f64.const -0x1p-1)");
    assert_true(v.of.f64 == -0.5);
    v = parse("(f32.const nan:0x200000)");
    uint32_t b32;
    memcpy(&b32, &v.of.f32, 4);
    assert_int_equal(b32, 0x7fa00000u);
    v = parse("(f64.const -inf)");
    assert_true(v.of.f64 < 0 && v.of.f64 * 0 != 0);

    v = parse("(char.const \"\xf0\x9f\x8d\xb0\")");   /* U+1F370 */
    assert_int_equal(v.kind, WF_VAL_CHAR);
    assert_int_equal(v.of.u, 0x1f370);
    v = parse("(char.const \"\\u{26f3}\")");
    assert_int_equal(v.of.u, 0x26f3);

    v = parse("(str.const \"a\\00b\")");
    assert_int_equal(v.kind, WF_VAL_STRING);
    assert_int_equal(v.of.str.len, 3);
    assert_memory_equal(v.of.str.data, "a\0b", 3);
    wf_val_free(&v);
}

static void test_aggregates(void **state)
{
    (void)state;
    wf_val v = parse("(list.const (u8.const 1) (u8.const 2))");
    assert_int_equal(v.kind, WF_VAL_LIST);
    assert_int_equal(v.of.agg.len, 2);
    assert_int_equal(v.of.agg.items[1].kind, WF_VAL_U8);
    assert_int_equal(v.of.agg.items[1].of.u, 2);
    wf_val_free(&v);

    v = parse("(list.const)");
    assert_int_equal(v.kind, WF_VAL_LIST);
    assert_int_equal(v.of.agg.len, 0);
    wf_val_free(&v);

    v = parse("(tuple.const (str.const \"x=\") (u32.const 42) (bool.const true))");
    assert_int_equal(v.kind, WF_VAL_TUPLE);
    assert_int_equal(v.of.agg.len, 3);
    assert_null(v.of.agg.names);
    assert_string_equal(v.of.agg.items[0].of.str.data, "x=");
    wf_val_free(&v);

    /* a field's value is written without its own parentheses */
    v = parse("(record.const (field \"name\" str.const \"p:\") "
              "(field \"scores\" list.const (u32.const 10) (u32.const 20)))");
    assert_int_equal(v.kind, WF_VAL_RECORD);
    assert_int_equal(v.of.agg.len, 2);
    assert_string_equal(v.of.agg.names[0], "name");
    assert_string_equal(v.of.agg.names[1], "scores");
    assert_int_equal(v.of.agg.items[1].kind, WF_VAL_LIST);
    assert_int_equal(v.of.agg.items[1].of.agg.len, 2);
    assert_non_null(wf_val_field(&v, "scores"));
    wf_val_free(&v);

    v = parse("(flags.const \"a\" \"c\")");
    assert_int_equal(v.kind, WF_VAL_FLAGS);
    assert_int_equal(v.of.agg.len, 2);
    assert_string_equal(v.of.agg.names[1], "c");
    wf_val_free(&v);
}

static void test_cases(void **state)
{
    (void)state;
    wf_val v = parse("(variant.const \"b\" (f32.const 5))");
    assert_int_equal(v.kind, WF_VAL_VARIANT);
    assert_string_equal(v.of.cas.name, "b");
    assert_non_null(v.of.cas.payload);
    assert_int_equal(v.of.cas.payload->kind, WF_VAL_F32);
    wf_val_free(&v);

    v = parse("(variant.const \"none\")");
    assert_null(v.of.cas.payload);
    wf_val_free(&v);

    v = parse("(enum.const \"blue\")");
    assert_int_equal(v.kind, WF_VAL_ENUM);
    assert_string_equal(v.of.cas.name, "blue");
    wf_val_free(&v);

    v = parse("(option.none)");
    assert_int_equal(v.kind, WF_VAL_OPTION);
    assert_int_equal(v.of.cas.index, 0);
    assert_null(v.of.cas.payload);
    wf_val_free(&v);
    v = parse("(option.some (tuple.const (str.const \"n=\") (u32.const 7)))");
    assert_int_equal(v.of.cas.index, 1);
    assert_int_equal(v.of.cas.payload->kind, WF_VAL_TUPLE);
    wf_val_free(&v);

    v = parse("(result.ok (str.const \"yo\"))");
    assert_int_equal(v.kind, WF_VAL_RESULT);
    assert_int_equal(v.of.cas.index, 0);
    wf_val_free(&v);
    v = parse("(result.err)");
    assert_int_equal(v.of.cas.index, 1);
    assert_null(v.of.cas.payload);
    wf_val_free(&v);
}

static void test_refused(void **state)
{
    (void)state;
    refused("(u8.const 256)", "out of range");
    refused("(u8.const -1)", "out of range");
    refused("(s8.const 128)", "out of range");
    refused("(s8.const -129)", "out of range");
    refused("(s64.const -9223372036854775809)", "out of range");
    refused("(u32.const 1.5)", "malformed integer");
    refused("(u32.const --1)", "malformed integer");
    refused("(u32.const)", "operands");
    refused("(u32.const 1 2)", "operands");
    refused("(bool.const 1)", "true or false");
    refused("(char.const \"ab\")", "one character");
    refused("(char.const \"\")", "one character");
    refused("(str.const abc)", "expected a string");
    refused("(f32.const nan:canonical)", "only valid in a result");
    refused("(f32.const x)", "malformed float");
    refused("(list.const u8.const 1)", "parenthesised");
    refused("(list.const (u8.const 1) (u8.const 300))", "out of range");
    refused("(record.const (field u8.const 1))", "field");
    refused("(record.const (field \"a\" (u8.const 1)))", "value keyword");
    refused("(variant.const c)", "case name");
    refused("(option.none (u8.const 1))", "operands");
    refused("(option.some)", "operands");
    refused("(i32.const 1)", "unknown component value");
    refused("(own.const 1)", "unknown component value");
    refused("()", "value keyword");

    /* nesting is capped, not a stack overflow */
    char deep[4000];
    size_t n = 0;
    for (int i = 0; i < 300; i++) n += (size_t)sprintf(deep + n, "(list.const ");
    n += (size_t)sprintf(deep + n, "(u8.const 1)");
    for (int i = 0; i < 300; i++) deep[n++] = ')';
    deep[n] = 0;
    refused(deep, "nested too deeply");
}

static void test_equal(void **state)
{
    (void)state;
    struct { const char *a, *b; bool eq; } cases[] = {
        { "(u32.const 1)", "(u32.const 1)", true },
        { "(u32.const 1)", "(u32.const 2)", false },
        { "(u32.const 1)", "(s32.const 1)", false },   /* kinds are part of the value */
        { "(u8.const 1)", "(u16.const 1)", false },
        { "(f32.const 0)", "(f32.const -0)", false },   /* bitwise */
        { "(f32.const nan)", "(f32.const nan)", true },
        { "(f32.const nan)", "(f32.const nan:0x200000)", false },
        { "(f64.const 1)", "(f32.const 1)", false },
        { "(str.const \"a\")", "(str.const \"a\\00\")", false },
        { "(str.const \"\")", "(str.const \"\")", true },
        { "(char.const \"a\")", "(char.const \"b\")", false },
        { "(list.const (u8.const 1))", "(list.const (u8.const 1) (u8.const 1))", false },
        { "(list.const)", "(tuple.const)", false },
        { "(record.const (field \"a\" u8.const 1))", "(record.const (field \"b\" u8.const 1))", false },
        { "(record.const (field \"a\" u8.const 1))", "(record.const (field \"a\" u8.const 1))", true },
        { "(variant.const \"a\")", "(variant.const \"a\" (u8.const 0))", false },
        { "(variant.const \"a\" (u8.const 0))", "(variant.const \"b\" (u8.const 0))", false },
        { "(enum.const \"red\")", "(enum.const \"red\")", true },
        { "(enum.const \"red\")", "(enum.const \"blue\")", false },
        { "(option.none)", "(option.some (u8.const 0))", false },
        { "(result.ok)", "(result.err)", false },
        { "(result.ok (u8.const 1))", "(result.ok (u8.const 1))", true },
        { "(flags.const \"a\" \"b\")", "(flags.const \"b\" \"a\")", true },   /* a set */
        { "(flags.const \"a\" \"b\")", "(flags.const \"a\")", false },
        { "(flags.const \"a\" \"a\")", "(flags.const \"a\" \"b\")", false },
        { "(bool.const true)", "(bool.const false)", false },
    };
    for (size_t i = 0; i < WF_COUNT(cases); i++) {
        wf_val a = parse(cases[i].a), b = parse(cases[i].b);
        if (wf_wast_cval_equal(&a, &b) != cases[i].eq || wf_wast_cval_equal(&b, &a) != cases[i].eq)
            fail_msg("%s vs %s: expected %s", cases[i].a, cases[i].b, cases[i].eq ? "equal" : "different");
        wf_val_free(&a);
        wf_val_free(&b);
    }

    /* Expected NaN patterns read as the canonical NaN, the only one a lift makes. */
    wf_val w, g = parse("(f32.const nan)");
    assert_null(parse_as("(f32.const nan:canonical)", true, &w));
    assert_true(wf_wast_cval_equal(&w, &g));
    assert_null(parse_as("(f64.const nan:arithmetic)", true, &w));
    g = parse("(f64.const nan)");
    assert_true(wf_wast_cval_equal(&w, &g));
    g = parse("(f64.const -nan)");
    assert_false(wf_wast_cval_equal(&w, &g));   /* floats own nothing: no frees needed */

    /* A lifted result carries the case index too; names decide. */
    wf_val lifted = wf_val_case(WF_VAL_ENUM, 2, "blue", NULL);
    wf_val want = parse("(enum.const \"blue\")");
    assert_true(wf_wast_cval_equal(&want, &lifted));
    wf_val_free(&lifted);
    wf_val_free(&want);
}

static void test_print(void **state)
{
    (void)state;
    round_trip("(u32.const 0xffffffff)", "(u32.const 4294967295)");
    round_trip("(s64.const -14)", "(s64.const -14)");
    round_trip("(f32.const 2.5)", "(f32.const 2.5)");
    round_trip("(f64.const nan:0x1)", "(f64.const nan:0x1)");
    round_trip("(char.const \"\\u{1f370}\")", "(char.const \"\xf0\x9f\x8d\xb0\")");
    round_trip("(char.const \"\\\"\")", "(char.const \"\\u{22}\")");
    round_trip("(str.const \"a\\\"b\\0a\")", "(str.const \"a\\\"b\\0a\")");
    round_trip("(list.const (tuple.const (str.const \"k\") (u32.const 1)))",
               "(list.const (tuple.const (str.const \"k\") (u32.const 1)))");
    round_trip("(record.const (field \"k\" str.const \"a\") (field \"v\" list.const (u8.const 1)))",
               "(record.const (field \"k\" str.const \"a\") (field \"v\" list.const (u8.const 1)))");
    round_trip("(variant.const \"w\" (u64.const 18446744073709551615))",
               "(variant.const \"w\" (u64.const 18446744073709551615))");
    round_trip("(enum.const \"red\")", "(enum.const \"red\")");
    round_trip("(flags.const \"f1\" \"f5\")", "(flags.const \"f1\" \"f5\")");
    round_trip("(option.some (option.none))", "(option.some (option.none))");
    round_trip("(result.err (bool.const false))", "(result.err (bool.const false))");
    round_trip("(result.ok)", "(result.ok)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),  cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_cases),    cmocka_unit_test(test_refused),
        cmocka_unit_test(test_equal),    cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
