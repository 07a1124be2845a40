/* test_decode_leb.c - the bounded LEB128 / fixed-width readers of leb.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wasm/leb.h"

#define RD(name, bytes) \
    static const uint8_t name##_b[] = bytes; \
    wf_reader name; wf_reader_init(&name, name##_b, sizeof name##_b, 100)

static void expect_err(wf_reader *r, const char *msg)
{
    wf_error *e = wf_reader_take_error(r);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_MALFORMED);
    assert_string_equal(e->message, msg);
    assert_true(e->offset >= 100);
    wf_error_free(e);
}

static void test_u32(void **state)
{
    (void)state;
    uint32_t v;
    { RD(r, ((uint8_t[]){0x05})); assert_true(wf_read_u32(&r, &v)); assert_int_equal(v, 5); }
    { RD(r, ((uint8_t[]){0xe5, 0x8e, 0x26})); assert_true(wf_read_u32(&r, &v)); assert_int_equal(v, 624485); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x0f})); assert_true(wf_read_u32(&r, &v)); assert_int_equal(v, 0xffffffffu); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x00})); assert_true(wf_read_u32(&r, &v)); assert_int_equal(v, 0); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x1f})); assert_false(wf_read_u32(&r, &v)); expect_err(&r, "integer too large"); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x00})); assert_false(wf_read_u32(&r, &v)); expect_err(&r, "integer representation too long"); }
    { RD(r, ((uint8_t[]){0x80, 0x80})); assert_false(wf_read_u32(&r, &v)); expect_err(&r, "unexpected end"); }
}

static void test_signed(void **state)
{
    (void)state;
    int32_t v; int64_t w;
    { RD(r, ((uint8_t[]){0x7f})); assert_true(wf_read_s32(&r, &v)); assert_int_equal(v, -1); }
    { RD(r, ((uint8_t[]){0x80, 0x7f})); assert_true(wf_read_s32(&r, &v)); assert_int_equal(v, -128); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x78})); assert_true(wf_read_s32(&r, &v)); assert_int_equal(v, INT32_MIN); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x07})); assert_true(wf_read_s32(&r, &v)); assert_int_equal(v, INT32_MAX); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x4f})); assert_false(wf_read_s32(&r, &v)); expect_err(&r, "integer too large"); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x70})); assert_false(wf_read_s32(&r, &v)); expect_err(&r, "integer too large"); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f})); assert_true(wf_read_s64(&r, &w)); assert_true(w == INT64_MIN); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00})); assert_true(wf_read_s64(&r, &w)); assert_true(w == INT64_MAX); }
    { RD(r, ((uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})); assert_false(wf_read_s64(&r, &w)); expect_err(&r, "integer too large"); }
    { RD(r, ((uint8_t[]){0x40})); assert_true(wf_read_s33(&r, &w)); assert_true(w == -64); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x0f})); assert_true(wf_read_s33(&r, &w)); assert_true(w == 0xffffffffll); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x2f})); assert_false(wf_read_s33(&r, &w)); expect_err(&r, "integer too large"); }
}

static void test_u64_and_fixed(void **state)
{
    (void)state;
    uint64_t v; uint32_t f;
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})); assert_true(wf_read_u64(&r, &v)); assert_true(v == UINT64_MAX); }
    { RD(r, ((uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})); assert_false(wf_read_u64(&r, &v)); expect_err(&r, "integer too large"); }
    { RD(r, ((uint8_t[]){0x00, 0x00, 0x80, 0x3f})); assert_true(wf_read_f32(&r, &f)); assert_int_equal(f, 0x3f800000u); assert_true(wf_reader_eof(&r)); }
    { RD(r, ((uint8_t[]){0, 0, 0, 0, 0, 0, 0xf0})); assert_false(wf_read_f64(&r, &v)); expect_err(&r, "unexpected end"); }
    {
        RD(r, ((uint8_t[]){1, 2, 3, 4}));
        wf_reader sub;
        assert_true(wf_reader_sub(&r, 2, WF_MSG_EOF_SECTION, &sub));
        assert_int_equal(wf_reader_offset(&sub), 100);
        assert_int_equal(wf_reader_offset(&r), 102);
        uint8_t b;
        assert_true(wf_read_u8(&sub, &b) && wf_read_u8(&sub, &b));
        assert_false(wf_read_u8(&sub, &b));
        expect_err(&sub, WF_MSG_EOF_SECTION);
        volatile size_t three = 3;   /* keeps gcc from range-checking the failing path */
        assert_false(wf_reader_sub(&r, three, WF_MSG_EOF_SECTION, &sub));
        expect_err(&r, "unexpected end");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_u64_and_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
