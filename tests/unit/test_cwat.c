/*
 * test_cwat.c - the component text compiler (wf_cwat_compile) on
 * representative forms, each checked byte by byte against the encoding of
 * Binary.md (the expected bytes are annotated section by section), and its
 * error messages with their line:column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/cwat.h"

#include <stdio.h>
#include <string.h>

#define PRE 0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00

static void check(const char *text, const uint8_t *want, size_t n)
{
    wf_buf out = {0};
    wf_error *e = wf_cwat_compile(text, strlen(text), &out);
    if (e) fail_msg("%d:%d %s", e->line, e->col, e->message);
    if (out.len != n || memcmp(out.data, want, n) != 0) {
        fprintf(stderr, "got:  ");
        for (size_t i = 0; i < out.len; i++) fprintf(stderr, "%02x", out.data[i]);
        fprintf(stderr, "\nwant: ");
        for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x", want[i]);
        fprintf(stderr, "\n");
        fail_msg("bytes differ for %s", text);
    }
    wf_buf_free(&out);
}

#define CHECK(text, ...)                                  \
    do {                                                  \
        static const uint8_t want_[] = { __VA_ARGS__ };   \
        check(text, want_, sizeof want_);                 \
    } while (0)

static void check_error(const char *text, wf_error_kind kind, int line, int col, const char *msg)
{
    wf_buf out = {0};
    wf_error *e = wf_cwat_compile(text, strlen(text), &out);
    assert_non_null(e);
    assert_int_equal(out.len, 0);
    if (!strstr(e->message, msg)) fail_msg("message '%s' lacks '%s'", e->message, msg);
    assert_int_equal(e->kind, kind);
    assert_int_equal(e->line, line);
    assert_int_equal(e->col, col);
    wf_error_free(e);
    wf_buf_free(&out);
}

static void test_empty_and_binary(void **state)
{
    (void)state;
    CHECK("(component)", PRE);
    CHECK("(component $C)", PRE);
    CHECK("(component definition $C)", PRE);
    /* binary strings are the bytes, concatenated */
    CHECK("(component binary \"\\00asm\" \"\\0d\\00\\01\\00\")", PRE);
    /* quote strings are text, compiled as fields */
    CHECK("(component quote \"(type u8)\" \" (type (list 0))\")",
          PRE, 0x07, 0x04, 0x02, 0x7d, 0x70, 0x00);
    /* bare fields are a component too */
    CHECK("(type $t bool) (type (option $t))", PRE, 0x07, 0x04, 0x02, 0x7f, 0x6b, 0x00);
}

static void test_inline_types_and_exports(void **state)
{
    (void)state;
    CHECK("(component\n"
          "  (core module $m (func (export \"f\")))\n"
          "  (core instance $i (instantiate $m))\n"
          "  (import \"a\" (func $a (param \"x\" (list u8)) (result string)))\n"
          "  (import \"b:c/d@1.0.0\" (instance $b (export \"f\" (func (param \"y\" (tuple u8 u8))))))\n"
          "  (func $g (export \"g\") (alias export $b \"f\"))\n"
          "  (export $h \"h\" (func $a))\n"
          "  (export \"h2\" (func $h))\n"
          "  (type $r (record (field \"a\" u8) (field \"b\" (list u8)))))",
          PRE,
          /* core module section: the core compiler's module */
          0x01, 0x1f, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
          0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a,
          0x04, 0x01, 0x02, 0x00, 0x0b,
          /* core instance: instantiate module 0, no args */
          0x02, 0x04, 0x01, 0x00, 0x00, 0x00,
          /* the import's inline types come first: (list u8), then the func */
          0x07, 0x0a, 0x02, 0x70, 0x7d, 0x40, 0x01, 0x01, 0x78, 0x00, 0x00, 0x73,
          /* import "a" (func (type 1)) */
          0x0a, 0x06, 0x01, 0x00, 0x01, 0x61, 0x01, 0x01,
          /* instance type: decls (tuple u8 u8), (func (param "y" 0)), export "f" */
          0x07, 0x16, 0x01, 0x42, 0x03, 0x01, 0x6f, 0x02, 0x7d, 0x7d, 0x01, 0x40, 0x01, 0x01,
          0x79, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 0x66, 0x01, 0x01,
          /* import of an interface name: nameattributes 0x00 too */
          0x0a, 0x10, 0x01, 0x00, 0x0b, 'b', ':', 'c', '/', 'd', '@', '1', '.', '0', '.', '0',
          0x05, 0x02,
          /* $g: alias export instance 0 "f" (func) */
          0x06, 0x06, 0x01, 0x01, 0x00, 0x00, 0x01, 0x66,
          /* exports define indices: $h is func 2, and "h2" exports it */
          0x0b, 0x0e, 0x02, 0x00, 0x01, 0x68, 0x01, 0x00, 0x00, 0x00, 0x02, 0x68, 0x32, 0x01,
          0x02, 0x00,
          /* the record's inline list is type 3, the record type 4 */
          0x07, 0x0b, 0x02, 0x70, 0x7d, 0x72, 0x02, 0x01, 0x61, 0x7d, 0x01, 0x62, 0x03,
          /* the inline (export "g") sugar: an export at the end */
          0x0b, 0x07, 0x01, 0x00, 0x01, 0x67, 0x01, 0x01, 0x00);
}

static void test_outer_reference(void **state)
{
    (void)state;
    /* $t of the enclosing component: an outer alias (type, count 1, index
     * 0) inside the nested component before its use */
    CHECK("(component $C (type $t u8) (component (type (list $t))))",
          PRE, 0x07, 0x02, 0x01, 0x7d,
          0x04, 0x14, PRE, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07, 0x03, 0x01, 0x70,
          0x00);
    /* each such reference makes its own alias (as wasm-tools does): the
     * second use of $t is type 2, not the first alias again */
    CHECK("(component $C (type $t u8) (component (type (list $t)) (type (option $t))))",
          PRE, 0x07, 0x02, 0x01, 0x7d,
          0x04, 0x20, PRE, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07, 0x03, 0x01, 0x70,
          0x00, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07, 0x03, 0x01, 0x6b, 0x02);
    /* explicit outer alias by the component's $id */
    CHECK("(component $C (type $t u8) (component (alias outer $C $t (type $u)) (type (list $u))))",
          PRE, 0x07, 0x02, 0x01, 0x7d,
          0x04, 0x14, PRE, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07, 0x03, 0x01, 0x70,
          0x00);
}

static void test_canon(void **state)
{
    (void)state;
    CHECK("(component (core module $m (func (export \"f\") (param i32) (result i32) local.get 0)"
          " (memory (export \"mem\") 1)) (core instance $i (instantiate $m))"
          " (func $f (export \"f\") (param \"x\" u32) (result u32)"
          " (canon lift (core func $i \"f\") (memory (core memory $i \"mem\")) string-encoding=utf16)))",
          PRE,
          0x01, 0x2e, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
          0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07,
          0x0b, 0x02, 0x01, 0x66, 0x00, 0x00, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x0a, 0x06,
          0x01, 0x04, 0x00, 0x20, 0x00, 0x0b,
          0x02, 0x04, 0x01, 0x00, 0x00, 0x00,
          /* the func's type: (param "x" u32) (result u32) */
          0x07, 0x08, 0x01, 0x40, 0x01, 0x01, 0x78, 0x79, 0x00, 0x79,
          /* inline export aliases: core func 0 "f", core memory 0 "mem" */
          0x06, 0x0f, 0x02, 0x00, 0x00, 0x01, 0x00, 0x01, 0x66, 0x00, 0x02, 0x01, 0x00, 0x03,
          0x6d, 0x65, 0x6d,
          /* lift core func 0, opts [memory 0, utf16], type 0 */
          0x08, 0x09, 0x01, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x01, 0x00,
          0x0b, 0x07, 0x01, 0x00, 0x01, 0x66, 0x01, 0x00, 0x00);
    /* resources: resource type, resource.new, own/borrow inline types */
    CHECK("(component (type $r (resource (rep i32))) (core func $new (canon resource.new $r))"
          " (type $h (func (param \"a\" (borrow $r)) (result (own $r)))))",
          PRE, 0x07, 0x04, 0x01, 0x3f, 0x7f, 0x00,
          0x08, 0x03, 0x01, 0x02, 0x00,
          0x07, 0x0c, 0x03, 0x68, 0x00, 0x69, 0x00, 0x40, 0x01, 0x01, 0x61, 0x01, 0x00, 0x02);
    /* lower with realloc and post-return-free options, async built-ins */
    CHECK("(component (import \"f\" (func $f)) (core func (canon lower (func $f)"
          " string-encoding=latin1+utf16 async)) (core func (canon waitable-set.new))"
          " (core func (canon context.get i32 0)))",
          PRE, 0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00,
          0x0a, 0x06, 0x01, 0x00, 0x01, 0x66, 0x01, 0x00,
          0x08, 0x0b, 0x03, 0x01, 0x00, 0x00, 0x02, 0x02, 0x06, 0x1f, 0x0a, 0x7f, 0x00);
}

static void test_types(void **state)
{
    (void)state;
    /* core module type: the inline func type is declared in the type */
    CHECK("(component (core type $mt (module (import \"a\" \"b\" (func (param i32)))"
          " (export \"m\" (memory 1)))) (import \"m\" (core module (type $mt))))",
          PRE, 0x03, 0x15, 0x01, 0x50, 0x03, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x61,
          0x01, 0x62, 0x00, 0x00, 0x03, 0x01, 0x6d, 0x02, 0x00, 0x01,
          0x0a, 0x07, 0x01, 0x00, 0x01, 0x6d, 0x00, 0x11, 0x00);
    /* (sub resource) bound, alias of an instance's type export, export */
    CHECK("(component (import \"i\" (instance $i (export \"t\" (type (sub resource)))))"
          " (alias export $i \"t\" (type $t)) (export \"t2\" (type $t)))",
          PRE, 0x07, 0x09, 0x01, 0x42, 0x01, 0x04, 0x00, 0x01, 0x74, 0x03, 0x01,
          0x0a, 0x06, 0x01, 0x00, 0x01, 0x69, 0x05, 0x00,
          0x06, 0x06, 0x01, 0x03, 0x00, 0x00, 0x01, 0x74,
          0x0b, 0x08, 0x01, 0x00, 0x02, 0x74, 0x32, 0x03, 0x01, 0x00);
    /* every defined value type kind */
    CHECK("(component (type (variant (case \"a\") (case \"b\" u8))) (type (list u8 4))"
          " (type (flags \"x\" \"y\")) (type (enum \"e\")) (type (result u8 (error string)))"
          " (type (result)) (type (stream u8)) (type (future)) (type char))",
          PRE, 0x07, 0x27, 0x09,
          0x71, 0x02, 0x01, 0x61, 0x00, 0x00, 0x01, 0x62, 0x01, 0x7d, 0x00,
          0x67, 0x7d, 0x04,
          0x6e, 0x02, 0x01, 0x78, 0x01, 0x79,
          0x6d, 0x01, 0x01, 0x65,
          0x6a, 0x01, 0x7d, 0x01, 0x73,
          0x6a, 0x00, 0x00,
          0x66, 0x01, 0x7d,
          0x65, 0x00,
          0x74);
    /* attributes: nameattributes 0x02 with a vector of them */
    CHECK("(component (import \"a\" (implements \"a:b/c\") (instance)))",
          PRE, 0x07, 0x03, 0x01, 0x42, 0x00,
          0x0a, 0x0e, 0x01, 0x02, 0x01, 0x61, 0x01, 0x00, 0x05, 'a', ':', 'b', '/', 'c', 0x05,
          0x00);
}

static void test_instances(void **state)
{
    (void)state;
    /* a core bundle argument becomes an instance before the instantiate */
    CHECK("(component (core module $m) (core instance $a (instantiate $m))"
          " (alias core export $a \"f\" (core func $f))"
          " (core instance (instantiate $m (with \"x\" (instance (export \"g\" (func $f)))))))",
          PRE, 0x01, 0x08, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
          0x02, 0x04, 0x01, 0x00, 0x00, 0x00,
          0x06, 0x07, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x66,
          /* bundle: 0x01 [ "g" func 0 ]; then instantiate 0 with "x" instance 1 */
          0x02, 0x0e, 0x02, 0x01, 0x01, 0x01, 0x67, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x78,
          0x12, 0x01);
    /* component instantiate with an inline export alias argument */
    CHECK("(component (component $c) (import \"i\" (instance $i (export \"f\" (func))))"
          " (instance (instantiate $c (with \"f\" (func $i \"f\")))))",
          PRE, 0x04, 0x08, PRE,
          0x07, 0x0e, 0x01, 0x42, 0x02, 0x01, 0x40, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 0x66,
          0x01, 0x00,
          0x0a, 0x06, 0x01, 0x00, 0x01, 0x69, 0x05, 0x00,
          0x06, 0x06, 0x01, 0x01, 0x00, 0x00, 0x01, 0x66,
          0x05, 0x08, 0x01, 0x00, 0x00, 0x01, 0x01, 0x66, 0x01, 0x00);
}

static void test_errors(void **state)
{
    (void)state;
    check_error("(component\n  (type (list $nope)))", WF_ERR_MALFORMED, 2, 15, "unknown type $nope");
    check_error("(component (core instance (instantiate $m)))", WF_ERR_MALFORMED, 1, 40,
                "unknown core module $m");
    check_error("(component (type u8)", WF_ERR_MALFORMED, 1, 21, "unexpected end");
    check_error("(component (type u8)))", WF_ERR_MALFORMED, 1, 22, "unexpected token");
    check_error("(component (import \"a\\q\" (func)))", WF_ERR_MALFORMED, 1, 22, "escape");
    check_error("(component (frob))", WF_ERR_MALFORMED, 1, 13, "unexpected token");
    check_error("(component (type $t u8) (type $t u8))", WF_ERR_MALFORMED, 1, 31,
                "duplicate type identifier");
    check_error("(component (import \"x\" (func $x)) (component (export \"x\" (func $x))))",
                WF_ERR_MALFORMED, 1, 64, "outer item `x` is not a module, type, or component");
    check_error("(component $C (component (alias outer $D 0 (type))))", WF_ERR_MALFORMED, 1, 39,
                "outer component $D not found");
    /* a nested core module's errors keep this text's positions */
    check_error("(component\n  (core module\n    (func (call $f))))", WF_ERR_MALFORMED, 3, 17,
                "unknown function");
    /* a quote's text is compiled as such */
    check_error("(component quote \"(type (list $x))\")", WF_ERR_MALFORMED, 1, 13, "unknown type $x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_inline_types_and_exports),
        cmocka_unit_test(test_outer_reference),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
