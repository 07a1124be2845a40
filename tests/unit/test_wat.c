/* test_wat.c - wf_wat_compile: text modules to binary, and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/wat.h"

#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

static void expect_bytes(const char *text, const uint8_t *want, size_t n)
{
    wf_buf out = {0};
    wf_error *e = wf_wat_compile(text, strlen(text), &out);
    if (e) fail_msg("%s: %d:%d %s", text, e->line, e->col, e->message);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, want, n);
    wf_buf_free(&out);
}
#define BYTES(text, ...) do { \
    static const uint8_t w_[] = { __VA_ARGS__ }; expect_bytes(text, w_, sizeof w_); } while (0)

static void expect_error(const char *text, wf_error_kind kind, const char *msg, int line, int col)
{
    wf_buf out = {0};
    wf_error *e = wf_wat_compile(text, strlen(text), &out);
    if (!e) fail_msg("accepted: %s", text);
    assert_int_equal(e->kind, kind);
    assert_string_equal(e->message, msg);
    if (line) {
        assert_int_equal(e->line, line);
        assert_int_equal(e->col, col);
    }
    assert_int_equal(out.len, 0);
    wf_error_free(e);
    wf_buf_free(&out);
}
#define MALFORMED(text, msg) expect_error(text, WF_ERR_MALFORMED, msg, 0, 0)

static void test_empty(void **state)
{
    (void)state;
    BYTES("(module)", HDR);
    BYTES("(module $m)", HDR);
    BYTES("", HDR);
    BYTES("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")", HDR);
    BYTES("(module quote \"(mod\" \"ule)\")", HDR);
}

static void test_func(void **state)
{
    (void)state;
    /* implicit type, folded add, local names, export */
    BYTES("(module (func (export \"f\") (param $a i32) (param i32) (result i32)"
          " (i32.add (local.get $a) (local.get 1))))",
          HDR,
          0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F,
          0x03, 0x02, 0x01, 0x00,
          0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
          0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B);
    /* explicit type reused by a typeuse; flat block with labels */
    BYTES("(type $t (func)) (func $f (type $t) block $l br $l end $l)",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x0A, 0x09, 0x01, 0x07, 0x00, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B,
          0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x00, 0x01, 'f');
    /* folded if with result, locals compressed */
    BYTES("(func (local i32 i32) (local $x i64) (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3))) drop)",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x0A, 0x13, 0x01, 0x11, 0x02, 0x02, 0x7F, 0x01, 0x7E,
          0x41, 0x01, 0x04, 0x7F, 0x41, 0x02, 0x05, 0x41, 0x03, 0x0B, 0x1A, 0x0B);
}

static void test_fields(void **state)
{
    (void)state;
    /* memory with inline data: an active segment, and no datacount section
     * (no memory.init / data.drop needs it; wasm-tools omits it too) */
    BYTES("(memory (data \"ab\"))",
          HDR,
          0x05, 0x04, 0x01, 0x01, 0x01, 0x01,
          0x0B, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x02, 'a', 'b');
    /* table with inline elem */
    BYTES("(table funcref (elem $f)) (func $f)",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x04, 0x05, 0x01, 0x70, 0x01, 0x01, 0x01,
          0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,
          0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
          0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x00, 0x01, 'f');
    /* import then global with inline export */
    BYTES("(import \"m\" \"g\" (global $g i32)) (global (export \"h\") (mut i64) (i64.const -1))",
          HDR,
          0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7F, 0x00,
          0x06, 0x06, 0x01, 0x7E, 0x01, 0x42, 0x7F, 0x0B,
          0x07, 0x05, 0x01, 0x01, 'h', 0x03, 0x01);
    /* passive and declarative element segments, passive data */
    BYTES("(elem func) (elem declare funcref (ref.null func)) (data \"x\")",
          HDR,
          0x09, 0x0A, 0x02, 0x01, 0x00, 0x00, 0x07, 0x70, 0x01, 0xD0, 0x70, 0x0B,
          0x0B, 0x04, 0x01, 0x01, 0x01, 'x');
    /* a line comment ends at a carriage return too */
    BYTES(";; c\r(module)", HDR);
    /* inline elem indices on a typed table become ref.func expressions */
    BYTES("(type $t (func)) (table (ref null $t) (elem $f)) (func $f)",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x04, 0x06, 0x01, 0x63, 0x00, 0x01, 0x01, 0x01,
          0x09, 0x0C, 0x01, 0x06, 0x00, 0x41, 0x00, 0x0B, 0x63, 0x00, 0x01, 0xD2, 0x00, 0x0B,
          0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
          0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x00, 0x01, 'f');
    /* rec group with sub types */
    BYTES("(rec (type $a (sub (func))) (type (sub final $a (func))))",
          HDR,
          0x01, 0x0E, 0x01, 0x4E, 0x02, 0x50, 0x00, 0x60, 0x00, 0x00, 0x4F, 0x01, 0x00, 0x60, 0x00, 0x00);
}

static void test_instrs(void **state)
{
    (void)state;
    /* memarg, bulk memory, select t, ref types */
    BYTES("(memory 1) (func (drop (i64.load8_u offset=3 align=1 (i32.const 0)))"
          " (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))"
          " (drop (select (result f32) (f32.const 1) (f32.const 2) (i32.const 0))))",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x05, 0x03, 0x01, 0x00, 0x01,
          0x0A, 0x23, 0x01, 0x21, 0x00,
          0x41, 0x00, 0x31, 0x00, 0x03, 0x1A,
          0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0B, 0x00,
          0x43, 0x00, 0x00, 0x80, 0x3F, 0x43, 0x00, 0x00, 0x00, 0x40, 0x41, 0x00,
          0x1C, 0x01, 0x7D, 0x1A, 0x0B);
    /* block type with params creates an implicit type after the explicit one */
    BYTES("(func (block (param) (result i32 i32) unreachable) drop drop)",
          HDR,
          0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x02, 0x7F, 0x7F,
          0x03, 0x02, 0x01, 0x00,
          0x0A, 0x0A, 0x01, 0x08, 0x00, 0x02, 0x01, 0x00, 0x0B, 0x1A, 0x1A, 0x0B);
    /* out-of-range indices are emitted, not checked */
    BYTES("(func br 5 call 7)",
          HDR,
          0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x03, 0x02, 0x01, 0x00,
          0x0A, 0x08, 0x01, 0x06, 0x00, 0x0C, 0x05, 0x10, 0x07, 0x0B);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("(module\n  (func (i32.const 0x1_0000_0000)))", WF_ERR_MALFORMED, "constant out of range", 2, 20);
    expect_error("(module (func (br $l)))", WF_ERR_MALFORMED, "unknown label", 1, 19);
    MALFORMED("(module (func (call $g)))", "unknown function");
    MALFORMED("(module (func (type $t)))", "unknown type");
    MALFORMED("(func $f) (func $f)", "duplicate func");
    MALFORMED("(func block $a end $b)", "mismatching label");
    MALFORMED("(type $t (func)) (func (type $t) (result i32) unreachable)", "inline function type");
    MALFORMED("(func (i32.add2))", "unknown operator i32.add2");
    MALFORMED("(func get_local 0)", "unknown operator get_local");
    MALFORMED("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))", "alignment");
    MALFORMED("(export \"\\80\" (func 0))", "malformed UTF-8 encoding");
    MALFORMED("(func) (import \"\" \"\" (func))", "import after function");
    MALFORMED("(func (local $x i32) (local $x i32))", "duplicate local");
    MALFORMED("(func (block)", "unexpected end");
    MALFORMED("(func))", "unexpected token");
    MALFORMED("(func (then))", "unexpected token");
    MALFORMED("(func (if (i32.const 0)))", "unexpected token");
    MALFORMED("(start 0) (start 0)", "multiple start sections");
    MALFORMED("(module quote \"(func (f32.const 1e39))\")", "constant out of range");
    expect_error("(type (struct (field $a i32) (field $a i64)))", WF_ERR_MALFORMED, "duplicate field", 1, 37);
    expect_error("(func (i32.atomic.load))", WF_ERR_UNSUPPORTED, "instruction i32.atomic.load is not supported", 1, 8);
    expect_error("(func (v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))", WF_ERR_MALFORMED, "constant out of range", 1, 25);
}

static void test_deep(void **state)
{
    (void)state;
    size_t n = 100000;
    wf_buf b = {0};
    wf_buf_str(&b, "(func (result i32) ");
    for (size_t i = 0; i < n; i++) wf_buf_str(&b, "(i32.eqz ");
    wf_buf_str(&b, "(i32.const 0)");
    for (size_t i = 0; i < n; i++) wf_buf_str(&b, ")");
    wf_buf_str(&b, ")");
    wf_buf out = {0};
    wf_error *e = wf_wat_compile((const char *)b.data, b.len, &out);
    assert_null(e);
    assert_true(out.len > n);
    wf_buf_free(&out);
    b.len = 0;
    for (size_t i = 0; i < n; i++) wf_buf_str(&b, "(block ");
    e = wf_wat_compile((const char *)b.data, b.len, &out);
    assert_non_null(e);
    wf_error_free(e);
    wf_buf_free(&b);
    wf_buf_free(&out);
}

static void test_garbage(void **state)
{
    (void)state;
    /* a cheap deterministic fuzz: every prefix and byte flip must not crash */
    const char *src = "(module (type $t (func (param i32))) (table 1 funcref) (memory 1)"
                      " (func $f (type $t) (local $x f64) (block $b (br_table $b 0 (local.get 0)))"
                      " (call_indirect (type $t) (i32.const 0) (i32.const 0))"
                      " (if (i32.const 1) (then nop) (else (f64.const nan:0x1) drop)))"
                      " (elem (i32.const 0) $f) (data (i32.const 0) \"a\\00\"))";
    size_t len = strlen(src);
    char *buf = malloc(len + 1);
    for (size_t k = 0; k <= len; k++) {
        wf_buf out = {0};
        wf_error *e = wf_wat_compile(src, k, &out);
        wf_error_free(e);
        wf_buf_free(&out);
        memcpy(buf, src, len + 1);
        if (k < len) buf[k] = (char)(buf[k] ^ 0x21);
        e = wf_wat_compile(buf, len, &out);
        wf_error_free(e);
        wf_buf_free(&out);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_func),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_instrs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
