/*
 * test_robustness.c - hostile inputs to the loaders: every truncation and
 * thousands of byte flips of a module that uses every section, huge counts,
 * deep nesting and garbage text. Each must end in a clean error of the right
 * kind (or a valid module), never a crash, a hang or a leak (run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/buf.h"
#include "wasm/wat.h"
#include "wasmfn.h"

static const char rich_module[] =
    "(module\n"
    "  (type $t (func (param i32) (result i32)))\n"
    "  (import \"env\" \"f\" (func $imp (param i32) (result i32)))\n"
    "  (import \"env\" \"g\" (global $g i32))\n"
    "  (table $tab 4 10 funcref)\n"
    "  (memory $mem 1 2)\n"
    "  (global $h (mut i64) (i64.const 7))\n"
    "  (global $k i32 (i32.add (global.get $g) (i32.const 1)))\n"
    "  (export \"run\" (func $run))\n"
    "  (export \"mem\" (memory $mem))\n"
    "  (start $init)\n"
    "  (elem (table $tab) (i32.const 0) func $run $imp)\n"
    "  (elem $passive funcref (ref.func $run) (ref.null func))\n"
    "  (data (i32.const 16) \"hello\\00world\")\n"
    "  (data $pd \"passive\")\n"
    "  (func $init (global.set $h (i64.const 9)))\n"
    "  (func $run (type $t) (local $x i64) (local f64)\n"
    "    (block $out (result i32)\n"
    "      (loop $again\n"
    "        (br_if $again (i32.eqz (local.get 0)))\n"
    "        (local.set $x (i64.extend_i32_s (local.get 0)))\n"
    "        (br_table $out $out (i32.const 5) (local.get 0)))\n"
    "      (i32.const 0))\n"
    "    (drop)\n"
    "    (memory.init $pd (i32.const 0) (i32.const 0) (i32.const 3))\n"
    "    (data.drop $pd)\n"
    "    (table.init $tab $passive (i32.const 1) (i32.const 0) (i32.const 1))\n"
    "    (call_indirect (type $t) (local.get 0) (i32.const 0))\n"
    "    (i32.load offset=4 (i32.const 8))\n"
    "    (f32.store (i32.const 0) (f32.const 1.5))\n"
    "    (i32.add)\n"
    "    (if (result i32) (then (i32.const 1)) (else (call $imp (i32.const 2))))))\n";

static uint8_t *compile(const char *text, size_t *len)
{
    wf_buf out = { 0 };
    wf_error *e = wf_wat_compile(text, strlen(text), &out);
    if (e) fail_msg("compile: %s", e->message);
    return wf_buf_take(&out, len);
}

/* Load bytes; the outcome must be a module or a decoding/validation error. */
static void load_expecting_clean_outcome(const uint8_t *bytes, size_t len)
{
    wf_module *m = NULL;
    wf_error *e = wf_module_new(bytes, len, &m);
    if (e) {
        assert_true(e->kind == WF_ERR_MALFORMED || e->kind == WF_ERR_INVALID ||
                    e->kind == WF_ERR_UNSUPPORTED || e->kind == WF_ERR_LIMIT);
        assert_non_null(e->message);
        wf_error_free(e);
    } else {
        wf_module_free(m);
    }
}

static void test_rich_module_is_valid(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = compile(rich_module, &len);
    wf_module *m = NULL;
    wf_error *e = wf_module_new(bytes, len, &m);
    if (e) fail_msg("rich module rejected: %s", e->message);
    wf_module_free(m);
    free(bytes);
}

static void test_every_truncation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = compile(rich_module, &len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, bytes, n);
        load_expecting_clean_outcome(copy, n);
        free(copy);
    }
    free(bytes);
}

static void test_byte_flips(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = compile(rich_module, &len);
    uint32_t seed = 12345;
    static const uint8_t patterns[] = { 0x00, 0xff, 0x80, 0x7f, 0x01, 0x40, 0x0b };
    for (size_t i = 8; i < len; i++) {
        for (size_t p = 0; p < sizeof patterns + 3; p++) {
            uint8_t saved = bytes[i];
            if (p < sizeof patterns) {
                bytes[i] = patterns[p];
            } else {
                seed = seed * 1103515245u + 12345u;
                bytes[i] ^= (uint8_t)(seed >> 16) | 1;
            }
            load_expecting_clean_outcome(bytes, len);
            bytes[i] = saved;
        }
    }
    free(bytes);
}

static void test_huge_counts(void **state)
{
    (void)state;
    /* A type section claiming 2^32-1 types in 5 bytes. */
    static const uint8_t types[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f };
    load_expecting_clean_outcome(types, sizeof types);
    /* A code body declaring 2^32-1 locals. */
    static const uint8_t locals[] = {
        0, 'a', 's', 'm', 1, 0, 0, 0,
        1, 4, 1, 0x60, 0, 0,             /* type 0: [] -> [] */
        3, 2, 1, 0,                      /* one function of type 0 */
        10, 9, 1, 7, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, /* one body */
    };
    wf_module *m = NULL;
    wf_error *e = wf_module_new(locals, sizeof locals, &m);
    assert_non_null(e);
    wf_error_free(e);
    /* A data segment claiming 4 GiB of bytes. */
    static const uint8_t data[] = {
        0, 'a', 's', 'm', 1, 0, 0, 0,
        5, 3, 1, 0, 1,                   /* memory 1 page */
        11, 9, 1, 0, 0x41, 0, 0x0b, 0xff, 0xff, 0xff, 0xff, /* truncated */
    };
    e = wf_module_new(data, sizeof data, &m);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
}

/* A function body of `depth` nested blocks: validation must not recurse. */
static void test_deeply_nested_blocks(void **state)
{
    (void)state;
    const size_t depth = 100000;
    wf_buf body = { 0 };
    wf_buf_byte(&body, 0); /* no locals */
    for (size_t i = 0; i < depth; i++) { wf_buf_byte(&body, 0x02); wf_buf_byte(&body, 0x40); }
    for (size_t i = 0; i <= depth; i++) wf_buf_byte(&body, 0x0b);
    wf_buf mod = { 0 };
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0 };
    wf_buf_bytes(&mod, head, sizeof head);
    wf_buf_byte(&mod, 10);
    wf_buf code = { 0 };
    wf_buf_byte(&code, 1);
    wf_buf_u32leb(&code, (uint32_t)body.len);
    wf_buf_bytes(&code, body.data, body.len);
    wf_buf_u32leb(&mod, (uint32_t)code.len);
    wf_buf_bytes(&mod, code.data, code.len);
    load_expecting_clean_outcome(mod.data, mod.len);
    wf_buf_free(&body);
    wf_buf_free(&code);
    wf_buf_free(&mod);
}

static void test_garbage_text(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "", "(", ")", "(module", "(module (func (i32.add", "(module (func))))",
        "(module (func $f (param i32) (result i32) local.get 7 i32.const 0x1_0000_0000))",
        "(module (memory 1) (data (i32.const 0) \"\\q\"))", "(module (func (unknown.op)))",
        "(; unterminated", "(module (@annotation (nested (more", "\"unterminated string",
        "(module (global i32 (i32.const 99999999999999999999)))",
        "(module (func (f32.const nan:0x0)))", "\x01\x02\xff\xfe", "(module)(module)",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        wf_module *m = NULL;
        wf_error *e = wf_module_from_wat(inputs[i], strlen(inputs[i]), &m);
        if (!e) {
            wf_module_free(m);
            continue;
        }
        assert_true(e->kind == WF_ERR_MALFORMED || e->kind == WF_ERR_INVALID);
        wf_error_free(e);
    }
    /* 100k open parentheses: an error, not a stack overflow. */
    size_t n = 100000;
    char *deep = malloc(n * 7 + 1);
    for (size_t i = 0; i < n; i++) memcpy(deep + i * 7, "(block ", 7);
    deep[n * 7] = 0;
    wf_module *m = NULL;
    wf_error *e = wf_module_from_wat(deep, n * 7, &m);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    wf_error_free(e);
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rich_module_is_valid),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_deeply_nested_blocks),
        cmocka_unit_test(test_garbage_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
