/* test_wat_lex.c - the text-format lexer and its number/string helpers (wat_lex.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/utf8.h"
#include "wasm/wat_lex.h"

/* Lex all of src; return the kinds (up to n) and the count. */
static int lex_all(const char *src, wf_wat_token *toks, int n, wf_error **err)
{
    wf_wat_lexer lx;
    wf_wat_lex_init(&lx, src, strlen(src));
    int i = 0;
    *err = NULL;
    for (;;) {
        wf_wat_token t;
        wf_error *e = wf_wat_lex_next(&lx, &t);
        if (e) { *err = e; return i; }
        if (t.kind == WF_TOK_EOF) return i;
        if (i < n) toks[i] = t;
        i++;
    }
}

static void expect_error(const char *src, const char *msg)
{
    wf_wat_token t[16];
    wf_error *e;
    lex_all(src, t, 16, &e);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    assert_string_equal(e->message, msg);
    wf_error_free(e);
}

static void test_tokens(void **state)
{
    (void)state;
    wf_wat_token t[16];
    wf_error *e;
    const char *src = "(module $m\n  (func $\"a b\" (i32.const -0x1_0) \"s\\n\" offset=4 1.5e3 nan:0x1 x\"y\" +inf))";
    int n = lex_all(src, t, 16, &e);
    assert_null(e);
    assert_int_equal(n, 18);
    assert_int_equal(t[0].kind, WF_TOK_LPAREN);
    assert_int_equal(t[1].kind, WF_TOK_KEYWORD);
    assert_true(wf_wat_tok_is(&t[1], "module"));
    assert_int_equal(t[2].kind, WF_TOK_ID);
    assert_int_equal(t[3].kind, WF_TOK_LPAREN);
    assert_int_equal(t[3].line, 2);
    assert_int_equal(t[3].col, 3);
    assert_int_equal(t[3].offset, 13);
    assert_int_equal(t[5].kind, WF_TOK_ID);
    wf_buf b = {0};
    assert_true(wf_wat_id_name(&t[5], &b));
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a b", 3);
    wf_buf_free(&b);
    assert_int_equal(t[8].kind, WF_TOK_NUMBER);
    assert_int_equal(t[10].kind, WF_TOK_STRING);
    assert_true(wf_wat_string_decode(t[10].text, t[10].len, &b));
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "s\n", 2);
    wf_buf_free(&b);
    assert_int_equal(t[11].kind, WF_TOK_KEYWORD);
    assert_int_equal(t[12].kind, WF_TOK_NUMBER);
    assert_int_equal(t[13].kind, WF_TOK_NUMBER);
    assert_int_equal(t[14].kind, WF_TOK_RESERVED);
    assert_int_equal(t[15].kind, WF_TOK_NUMBER);
}

static void test_comments_annotations(void **state)
{
    (void)state;
    wf_wat_token t[16];
    wf_error *e;
    int n = lex_all("(; a (; nested ;) b ;) x ;; line ü\n (@ann (x \"y)\" ) ;; c\n) y", t, 16, &e);
    assert_null(e);
    assert_int_equal(n, 2);
    assert_true(wf_wat_tok_is(&t[0], "x"));
    assert_true(wf_wat_tok_is(&t[1], "y"));
    assert_int_equal(t[1].line, 3);
    expect_error("(; x", "unclosed comment");
    expect_error("(@x (y)", "unclosed annotation");
    expect_error("(@ x)", "empty annotation id");
    expect_error("\"abc", "unclosed string");
    expect_error("a \x01", "illegal character");
    expect_error("a \xff", "malformed UTF-8 encoding");
    expect_error("a \xc3\xbc", "illegal character");
    expect_error("(func $)", "empty identifier");
    expect_error("(func $\"\")", "empty identifier");
    expect_error("\"\\q\"", "malformed string escape");
    expect_error(";; \xc0\x80", "malformed UTF-8 encoding");
}

static void test_strings(void **state)
{
    (void)state;
    wf_buf b = {0};
    const char *s = "\"\\t\\r\\\"\\'\\\\\\41\\u{1F600}\\u{e9}\"";
    assert_true(wf_wat_string_decode(s, strlen(s), &b));
    assert_int_equal(b.len, 5 + 1 + 4 + 2);
    assert_memory_equal(b.data, "\t\r\"'\\A\xF0\x9F\x98\x80\xC3\xA9", b.len);
    assert_true(wf_utf8_valid(b.data, b.len));
    wf_buf_free(&b);
    assert_false(wf_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
    assert_false(wf_utf8_valid((const uint8_t *)"\xc0\x80", 2));     /* overlong */
    assert_false(wf_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));
}

#define S(x) x, strlen(x)

static void test_ints(void **state)
{
    (void)state;
    uint32_t u;
    uint64_t l;
    assert_true(wf_wat_num_u32(S("4294967295"), &u)); assert_int_equal(u, 0xffffffffu);
    assert_false(wf_wat_num_u32(S("4294967296"), &u));
    assert_false(wf_wat_num_u32(S("+1"), &u));
    assert_true(wf_wat_num_u32(S("0x1_0"), &u)); assert_int_equal(u, 16);
    assert_false(wf_wat_num_u32(S("1__0"), &u));
    assert_false(wf_wat_num_u32(S("_1"), &u));
    assert_false(wf_wat_num_u32(S("1_"), &u));
    assert_false(wf_wat_num_u32(S("0x"), &u));
    assert_true(wf_wat_num_i32(S("-2147483648"), &u)); assert_int_equal(u, 0x80000000u);
    assert_false(wf_wat_num_i32(S("-2147483649"), &u));
    assert_true(wf_wat_num_i32(S("0xffffffff"), &u)); assert_int_equal(u, 0xffffffffu);
    assert_false(wf_wat_num_i32(S("0x100000000"), &u));
    assert_true(wf_wat_num_i32(S("-0x1"), &u)); assert_int_equal(u, 0xffffffffu);
    assert_true(wf_wat_num_i64(S("18446744073709551615"), &l)); assert_true(l == UINT64_MAX);
    assert_false(wf_wat_num_i64(S("18446744073709551616"), &l));
    assert_true(wf_wat_num_i64(S("-9223372036854775808"), &l)); assert_true(l == 0x8000000000000000ull);
    assert_false(wf_wat_num_i64(S("-9223372036854775809"), &l));
    assert_false(wf_wat_num_i64(S("99999999999999999999999999999"), &l));
}

static void test_floats(void **state)
{
    (void)state;
    uint32_t f;
    uint64_t d;
    assert_true(wf_wat_num_f32(S("1"), &f)); assert_int_equal(f, 0x3f800000);
    assert_true(wf_wat_num_f32(S("-0x1.8p1"), &f)); assert_int_equal(f, 0xc0400000);
    assert_true(wf_wat_num_f32(S("inf"), &f)); assert_int_equal(f, 0x7f800000);
    assert_true(wf_wat_num_f32(S("-nan"), &f)); assert_int_equal(f, 0xffc00000);
    assert_true(wf_wat_num_f32(S("nan:0x200000"), &f)); assert_int_equal(f, 0x7fa00000);
    assert_false(wf_wat_num_f32(S("nan:0x800000"), &f));
    assert_false(wf_wat_num_f32(S("nan:0x0"), &f));
    assert_false(wf_wat_num_f32(S("1e39"), &f));
    assert_false(wf_wat_num_f32(S("0x1p128"), &f));
    assert_true(wf_wat_num_f32(S("0x1.fffffefffffffffffp127"), &f)); assert_int_equal(f, 0x7f7fffff);
    assert_false(wf_wat_num_f32(S("0x1.ffffffp127"), &f));
    /* double rounding would give 0x3f800001: 1 + 2^-24 + 2^-53 */
    assert_true(wf_wat_num_f32(S("1.000000059604644886412420050322526860702037811279296875"), &f));
    assert_int_equal(f, 0x3f800001);
    assert_true(wf_wat_num_f32(S("+0x1.00000100000000001p-50"), &f)); assert_int_equal(f, 0x26800001);
    assert_true(wf_wat_num_f32(S("1_000.5_0e1_0"), &f));
    assert_false(wf_wat_num_f32(S("1.e"), &f));
    assert_true(wf_wat_num_f32(S("1."), &f)); assert_int_equal(f, 0x3f800000);
    assert_true(wf_wat_num_f64(S("0x1p-1074"), &d)); assert_true(d == 1);
    assert_true(wf_wat_num_f64(S("-0"), &d)); assert_true(d == 0x8000000000000000ull);
    assert_true(wf_wat_num_f64(S("nan:0xfffffffffffff"), &d)); assert_true(d == 0x7fffffffffffffffull);
    assert_false(wf_wat_num_f64(S("1e309"), &d));
    assert_true(wf_wat_num_f64(S("1e-400"), &d)); assert_true(d == 0);
    assert_false(wf_wat_is_float(S("0x1.p")));
    assert_false(wf_wat_is_float(S("1.0_")));
    assert_false(wf_wat_is_float(S("1._0")));
    assert_false(wf_wat_is_float(S("0X1")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_comments_annotations),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_floats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
