/* test_interp_fused.c - the compiler's fused instructions (super-
 * instructions, folded address adds, merged moves, entry constants): each
 * test checks that the fusion happened (the handler's address is in the
 * function's code) and that the result is exactly the unfused one,
 * including 32-bit wrap-around of addresses and counters, signedness and
 * traps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "wasm/interp.h"
#include "wasm/runtime.h"
#include "wat_env.h"

static wf_value i32v(int32_t v) { wf_value x = { .type = WF_TYPE_I32 }; x.of.i32 = v; return x; }
static wf_value i64v(int64_t v) { wf_value x = { .type = WF_TYPE_I64 }; x.of.i64 = v; return x; }
static wf_value f64v(double v)
{
    wf_value x = { .type = WF_TYPE_F64 };
    memcpy(&x.of.f64_bits, &v, 8);
    return x;
}

/* The exported function's code (translated now when it has not run yet)
 * contains instruction op. */
static bool uses(env *e, const char *name, wf_iop op)
{
    struct wf_code *c = (struct wf_code *)fn(e, name)->code;
    wf_error *err;
    const wf_word *words = wf_code_translated(c, &err);
    if (!words) fail_msg("%s: %s", name, err->message);
    const void *h = wf_interp_labels()[op];
    for (size_t i = 0; i < c->len; i++)
        if ((const void *)words[i] == h) return true;
    return false;
}

static wf_value call(env *e, const char *name, int n, ...)
{
    wf_value args[4], res[2];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, wf_value);
    va_end(ap);
    wf_error *err = wf_func_call(fn(e, name), args, (size_t)n, res, 2);
    if (err) fail_msg("%s: %s", name, err->message);
    return res[0];
}

static int32_t ci(env *e, const char *name, int32_t a, int32_t b)
{
    return call(e, name, 2, i32v(a), i32v(b)).of.i32;
}

static const char *MEM_WAT =
    "(module (memory 1) (data (i32.const 0) \"\\01\\02\\03\\04\\05\\06\\07\\08\")"
    " (data (i32.const 64) \"\\00\\00\\00\\00\\00\\00\\f8\\3f\")" /* 1.5 */
    " (func (export \"ld_a\") (param i32 i32) (result i32)"
    "   (i32.load8_u offset=1 (i32.add (local.get 0) (i32.const 16))))"
    " (func (export \"st_a\") (param i32 i32) (result i32)"
    "   (i32.store8 (i32.add (local.get 0) (i32.const 16)) (i32.const 9))"
    "   (i32.load8_u (i32.add (local.get 0) (i32.const 16))))"
    " (func (export \"ld_x\") (param i32 i32) (result i32)"
    "   (i32.load (i32.add (local.get 0) (local.get 1))))"
    " (func (export \"f64_m\") (param i32 f64) (result f64)"
    "   (f64.mul (local.get 1) (f64.load offset=32 (i32.add (local.get 0) (i32.const 24)))))"
    " (func (export \"f64_sub_m\") (param i32 f64) (result f64)"
    "   (f64.sub (local.get 1) (f64.load (local.get 0))))"
    " (func (export \"acc\") (param i32 f64) (result f64)"
    "   (f64.store offset=8 (local.get 0) (f64.add (local.get 1) (f64.load offset=8 (local.get 0))))"
    "   (f64.load offset=8 (local.get 0)))"
    " (func (export \"ld8_br\") (param i32 i32) (result i32) (local i32)"
    "   (block (br_if 0 (local.tee 2 (i32.load8_u (local.get 0)))) (return (i32.const -1)))"
    "   (local.get 2)))";

static void test_memory_fusions(void **state)
{
    (void)state;
    env e;
    load(&e, MEM_WAT, NULL, 0);
    assert_true(uses(&e, "ld_a", WF_IOP_I32_LOAD8_U_A));
    assert_true(uses(&e, "st_a", WF_IOP_I32_STORE8_A));
    assert_true(uses(&e, "ld_x", WF_IOP_I32_LOAD_X));
    assert_true(uses(&e, "f64_m", WF_IOP_F64_MUL_M));
    assert_true(uses(&e, "f64_sub_m", WF_IOP_F64_SUB_M));
    assert_true(uses(&e, "ld8_br", WF_IOP_I32_LOAD8_U_BR_NZ));
    /* x + 16 wraps to 2 (then offset 1): byte 3 of memory */
    assert_int_equal(ci(&e, "ld_a", -14, 0), 4);
    assert_int_equal(ci(&e, "ld_a", 0, 0), 0);
    assert_int_equal(ci(&e, "st_a", -13, 0), 9);
    assert_int_equal(ci(&e, "ld_a", -14, 0), 9); /* stored at 3 */
    assert_int_equal(ci(&e, "ld_x", -4, 8), 0x08070605);
    /* a real out-of-bounds address still traps */
    wf_value a[2] = { i32v(0x7fff0000), i32v(0) }, r;
    wf_error *err = wf_func_call(fn(&e, "ld_a"), a, 2, &r, 1);
    assert_non_null(err);
    assert_string_equal(err->message, "out of bounds memory access");
    wf_error_free(err);
    /* 8 + 24, then offset 32: the 1.5 at 64 */
    assert_true(call(&e, "f64_m", 2, i32v(8), f64v(3.0)).of.f64_bits == f64v(4.5).of.f64_bits);
    assert_true(call(&e, "f64_sub_m", 2, i32v(64), f64v(3.0)).of.f64_bits == f64v(1.5).of.f64_bits);
    assert_true(uses(&e, "acc", WF_IOP_F64_ADD_M_ST));
    assert_true(call(&e, "acc", 2, i32v(56), f64v(2.25)).of.f64_bits == f64v(3.75).of.f64_bits);
    assert_true(call(&e, "acc", 2, i32v(56), f64v(-1.0)).of.f64_bits == f64v(2.75).of.f64_bits);
    assert_int_equal(ci(&e, "ld8_br", 2, 0), 3);
    assert_int_equal(ci(&e, "ld8_br", 100, 0), -1);
    unload(&e);
}

static const char *BRANCH_WAT =
    "(module"
    /* count up (signed, immediate bound) until the add wraps negative */
    " (func (export \"upk\") (param i32 i32) (result i32)"
    "   (loop $l (br_if $l (i32.gt_s (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 0))))"
    "   (local.get 0))"
    /* step by a slot, bound in a slot (unsigned) */
    " (func (export \"ups\") (param i32 i32) (result i32) (local i32)"
    "   (loop $l (local.set 2 (i32.add (local.get 2) (i32.const 1)))"
    "     (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (local.get 1))) (i32.const 100))))"
    "   (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 0)))"
    /* count down to zero */
    " (func (export \"down\") (param i32 i32) (result i32) (local i32)"
    "   (loop $l (local.set 2 (i32.add (local.get 2) (i32.const 1)))"
    "     (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const -1)))))"
    "   (local.get 2))"
    /* the bound first: n > i, i just stepped (the compare reversed) */
    " (func (export \"upr\") (param i32 i32) (result i32)"
    "   (loop $l (br_if $l (i32.gt_s (local.get 1) (local.tee 0 (i32.add (local.get 0) (i32.const 1))))))"
    "   (local.get 0))"
    " (func (export \"range\") (param i32 i32) (result i32)"
    "   (i32.lt_u (i32.add (local.get 0) (i32.const -97)) (i32.const 26)))"
    " (func (export \"range_br\") (param i32 i32) (result i32)"
    "   (if (i32.lt_u (i32.add (local.get 0) (i32.const -97)) (i32.const 26)) (then (return (i32.const 7))))"
    "   (i32.const 8))"
    " (func (export \"test\") (param i32 i32) (result i32)"
    "   (block (br_if 0 (i32.and (local.get 0) (i32.const 4))) (return (i32.const 0))) (i32.const 1))"
    " (func (export \"testz\") (param i32 i32) (result i32)"
    "   (block (br_if 0 (i32.eqz (i32.and (local.get 0) (i32.const 4)))) (return (i32.const 0))) (i32.const 1)))";

static void test_branch_fusions(void **state)
{
    (void)state;
    env e;
    load(&e, BRANCH_WAT, NULL, 0);
    assert_true(uses(&e, "upk", WF_IOP_ADDK_BR_I32_GT_S_K));
    assert_true(uses(&e, "ups", WF_IOP_ADD_BR_I32_LT_U_K));
    assert_true(uses(&e, "down", WF_IOP_ADDK_BR_NZ));
    assert_true(uses(&e, "range", WF_IOP_I32_RANGE_K));
    assert_true(uses(&e, "test", WF_IOP_BR_I32_TEST_K));
    assert_true(uses(&e, "testz", WF_IOP_BR_I32_TESTZ_K));
    assert_int_equal(ci(&e, "upk", 0x7ffffffd, 0), INT32_MIN);
    assert_int_equal(ci(&e, "upk", -5, 0), -4);
    assert_int_equal(ci(&e, "ups", 0, 30), 4 * 1000 + 120);
    assert_int_equal(ci(&e, "ups", 90, -1), 91 * 1000 - 1); /* until 0 - 1 wraps to >= 100u */
    assert_int_equal(ci(&e, "down", 5, 0), 5);
    assert_true(uses(&e, "upr", WF_IOP_ADDK_BR_I32_LT_S));
    assert_int_equal(ci(&e, "upr", -3, 4), 4);
    assert_int_equal(ci(&e, "upr", 10, 4), 11);
    assert_int_equal(ci(&e, "range", 96, 0), 0);
    assert_int_equal(ci(&e, "range", 97, 0), 1);
    assert_int_equal(ci(&e, "range", 122, 0), 1);
    assert_int_equal(ci(&e, "range", 123, 0), 0);
    assert_int_equal(ci(&e, "range", 0, 0), 0);
    assert_int_equal(ci(&e, "range_br", 100, 0), 7);
    assert_int_equal(ci(&e, "range_br", 50, 0), 8);
    assert_int_equal(ci(&e, "test", 12, 0), 1);
    assert_int_equal(ci(&e, "test", 8, 0), 0);
    assert_int_equal(ci(&e, "testz", 12, 0), 0);
    assert_int_equal(ci(&e, "testz", 8, 0), 1);
    unload(&e);
}

static uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static const char *ARITH_WAT =
    "(module"
    " (func (export \"xr32\") (param i32 i32) (result i32)"
    "   (i32.rotl (i32.xor (local.get 0) (local.get 1)) (i32.const 7)))"
    " (func (export \"xr64\") (param i64 i64) (result i64)"
    "   (i64.rotl (i64.xor (local.get 0) (local.get 1)) (i64.const 40)))"
    " (func (export \"axr32\") (param i32 i32) (result i32) (local i32)"
    "   (local.set 2 (i32.const 0x1234))"
    "   (local.set 0 (i32.add (local.get 0) (local.get 1)))"
    "   (local.set 2 (i32.rotl (i32.xor (local.get 2) (local.get 0)) (i32.const 16)))"
    "   (i32.xor (local.get 2) (local.get 0)))"
    " (func (export \"sigma\") (param i32 i32) (result i32)"
    "   (i32.xor (i32.xor (i32.rotl (local.get 0) (i32.const 30)) (i32.rotl (local.get 0) (i32.const 19)))"
    "            (i32.shr_u (local.get 1) (i32.const 3))))"
    " (func (export \"lcg32\") (param i32 i32) (result i32)"
    "   (i32.add (i32.mul (local.get 0) (i32.const 1103515245)) (i32.const 12345)))"
    " (func (export \"lcg64\") (param i64 i64) (result i64)"
    "   (i64.add (i64.mul (local.get 0) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))"
    " (func (export \"add3\") (param i32 i32) (result i32)"
    "   (i32.add (local.get 1) (i32.add (local.get 0) (local.get 1))))"
    " (func (export \"carry\") (param i64 i64) (result i64)"
    "   (i64.add (i64.add (local.get 0) (i64.shr_u (local.get 1) (i64.const 51)))"
    "            (i64.extend_i32_u (i64.lt_u (local.get 0) (local.get 1)))))"
    " (func (export \"madd32\") (param i32 i32) (result i32)"
    "   (i32.add (local.get 0) (i32.mul (local.get 1) (local.get 1))))"
    " (func (export \"madd64\") (param i64 i64) (result i64)"
    "   (i64.add (i64.mul (local.get 1) (local.get 1)) (local.get 0))))";

static void test_arith_fusions(void **state)
{
    (void)state;
    env e;
    load(&e, ARITH_WAT, NULL, 0);
    assert_true(uses(&e, "xr32", WF_IOP_I32_XOR_ROTL_K));
    assert_true(uses(&e, "xr64", WF_IOP_I64_XOR_ROTL_K));
    assert_true(uses(&e, "axr32", WF_IOP_I32_ADD_XOR_ROTL_K));
    assert_true(uses(&e, "madd32", WF_IOP_I32_MADD));
    assert_true(uses(&e, "lcg32", WF_IOP_I32_MULADD_KK));
    assert_true(uses(&e, "lcg64", WF_IOP_I64_MULADD_KK));
    assert_int_equal((uint32_t)ci(&e, "lcg32", (int32_t)0xdeadbeefu, 0), 0xdeadbeefu * 1103515245u + 12345u);
    assert_true((uint64_t)call(&e, "lcg64", 2, i64v(-5), i64v(0)).of.i64 ==
                (uint64_t)-5 * 6364136223846793005ull + 1442695040888963407ull);
    assert_true(uses(&e, "add3", WF_IOP_I32_ADD3));
    assert_int_equal(ci(&e, "add3", 0x7fffffff, 0x40000000), (int32_t)(0x7fffffffu + 0x80000000u));
    assert_true(uses(&e, "carry", WF_IOP_I64_ADD_SHRUK));
    assert_false(uses(&e, "carry", WF_IOP_I64_EXTEND_I32_U));
    assert_true(call(&e, "carry", 2, i64v(5), i64v(-1)).of.i64 == 5 + (int64_t)(UINT64_MAX >> 51) + 1);
    assert_true(call(&e, "carry", 2, i64v(-1), i64v(5)).of.i64 == -1 + 0 + 0);
    assert_true(uses(&e, "sigma", WF_IOP_I32_XOR_ROTLK));
    assert_true(uses(&e, "sigma", WF_IOP_I32_XOR_SHRUK));
    assert_int_equal((uint32_t)ci(&e, "sigma", (int32_t)0x9e3779b9u, (int32_t)0x80000001u),
                     rotl32(0x9e3779b9u, 30) ^ rotl32(0x9e3779b9u, 19) ^ (0x80000001u >> 3));
    assert_true(uses(&e, "madd64", WF_IOP_I64_MADD));
    assert_int_equal((uint32_t)ci(&e, "xr32", 0x12345678, 0x0f0f0f0f), rotl32(0x12345678u ^ 0x0f0f0f0fu, 7));
    uint64_t x = 0x0123456789abcdefull, y = 0xfedcba9876543210ull;
    assert_true((uint64_t)call(&e, "xr64", 2, i64v((int64_t)x), i64v((int64_t)y)).of.i64 == rotl64(x ^ y, 40));
    uint32_t a0 = 0xfffffff0u + 0x20u; /* wraps */
    assert_int_equal((uint32_t)ci(&e, "axr32", (int32_t)0xfffffff0u, 0x20), rotl32(0x1234u ^ a0, 16) ^ a0);
    assert_int_equal(ci(&e, "madd32", 5, 0x10000), 5); /* 2^32 wraps to 0 */
    assert_int_equal(ci(&e, "madd32", 5, -3), 14);
    assert_true(call(&e, "madd64", 2, i64v(-7), i64v(3)).of.i64 == 2);
    unload(&e);
}

static const char *LOCAL_WAT =
    "(module"
    /* a zero stored again after a nonzero must be stored */
    " (func (export \"zero_again\") (param i32 i32) (result i32) (local i32)"
    "   (local.set 2 (i32.const 0)) (local.set 2 (local.get 0)) (local.set 2 (i32.const 0))"
    "   (local.get 2))"
    /* in a loop, a zero store runs every iteration */
    " (func (export \"zero_loop\") (param i32 i32) (result i32) (local i32 i32)"
    "   (loop $l (local.set 3 (i32.add (local.get 3) (local.get 2)))"
    "     (local.set 2 (i32.const 0)) (local.set 2 (i32.add (local.get 2) (i32.const 5)))"
    "     (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const -1)))))"
    "   (local.get 3))"
    /* an entry constant, read before it is stored: the old zero */
    " (func (export \"entry\") (param i32 i32) (result i32) (local i32)"
    "   (i32.add (local.get 2) (block (result i32) (local.set 2 (i32.const 5)) (local.get 2))))"
    " (func (export \"entry2\") (param i32 i32) (result i32) (local i32 i32)"
    "   (local.set 2 (i32.const 40)) (local.set 3 (i32.const 2))"
    "   (i32.add (local.get 2) (local.get 3)))"
    /* recursion with an argument computed right before the call */
    " (func $fib (export \"fib\") (param i32) (result i32) (local i32)"
    "   (local.set 1 (i32.const 1))"
    "   (block (br_if 0 (i32.lt_u (local.get 0) (i32.const 2))) (local.set 1 (i32.const 0))"
    "     (loop $l (local.set 1 (i32.add (call $fib (i32.add (local.get 0) (i32.const -2))) (local.get 1)))"
    "       (br_if $l (i32.gt_u (local.tee 0 (i32.add (local.get 0) (i32.const -1))) (i32.const 1))))"
    "     (local.set 1 (i32.add (local.get 1) (i32.const 1))))"
    "   (local.get 1))"
    " (func $id (param i32) (result i32) (local.get 0))"
    " (func (export \"pick\") (param i32 i32) (result i32)"
    "   (if (result i32) (local.get 0) (then (local.get 1)) (else (i32.const 9))))"
    " (func (export \"add3\") (param i32 i32) (result i32) (i32.add (local.get 0) (i32.const 3)))"
    " (func (export \"movecall\") (param i32 i32) (result i32)"
    "   (call $id (local.get 1)))"
    " (func (export \"swap\") (param i32 i32) (result i32) (local i32)"
    "   (local.set 2 (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get 2))"
    "   (i32.sub (local.get 0) (local.get 1))))";

static void test_local_and_call_fusions(void **state)
{
    (void)state;
    env e;
    load(&e, LOCAL_WAT, NULL, 0);
    assert_int_equal(ci(&e, "zero_again", 7, 0), 0);
    assert_int_equal(ci(&e, "zero_loop", 3, 0), 10); /* 0 + 5 + 5 */
    assert_int_equal(ci(&e, "entry", 0, 0), 5);
    assert_int_equal(ci(&e, "entry2", 0, 0), 42);
    assert_true(uses(&e, "fib", WF_IOP_ADDK_CALL));
    assert_true(uses(&e, "fib", WF_IOP_RETURN_S));
    assert_true(uses(&e, "add3", WF_IOP_I32_ADDK_RET));
    assert_int_equal(ci(&e, "add3", 5, 0), 8);
    assert_int_equal(call(&e, "fib", 1, i32v(20)).of.i32, 10946); /* this fib counts from 1, 1 */
    assert_true(uses(&e, "pick", WF_IOP_MOVE_BR));
    assert_int_equal(ci(&e, "pick", 1, 4), 4);
    assert_int_equal(ci(&e, "pick", 0, 4), 9);
    assert_true(uses(&e, "movecall", WF_IOP_MOVE_CALL));
    assert_int_equal(ci(&e, "movecall", 1, 33), 33);
    assert_true(uses(&e, "swap", WF_IOP_MOVE2));
    assert_int_equal(ci(&e, "swap", 10, 3), -7);
    unload(&e);
}

/* The enum, the label table and the names come from one list (interp.h):
 * each instruction's name is its enum constant's, variants included. */
static void test_iop_names(void **state)
{
    (void)state;
    assert_string_equal(wf_iop_name(WF_IOP_ENTER), "ENTER");
    assert_string_equal(wf_iop_name(WF_IOP_I32_ADD), "I32_ADD");
    assert_string_equal(wf_iop_name(WF_IOP_I32_ADD_K), "I32_ADD_K");
    assert_string_equal(wf_iop_name(WF_IOP_BR_I64_GE_U_K), "BR_I64_GE_U_K");
    assert_string_equal(wf_iop_name(WF_IOP_I64_STORE32_A), "I64_STORE32_A");
    assert_string_equal(wf_iop_name(WF_IOP_MOVE_BR), "MOVE_BR");
    assert_string_equal(wf_iop_name(WF_IOP_ADDK_BR_I32_LT_S_K), "ADDK_BR_I32_LT_S_K");
    assert_string_equal(wf_iop_name(WF_IOP_ADD_BR_I32_GE_U), "ADD_BR_I32_GE_U");
    assert_string_equal(wf_iop_name((wf_iop)(WF_IOP_COUNT_ - 1)), "I64_LOAD32_U_X");
    assert_string_equal(wf_iop_name(WF_IOP_COUNT_), "?");
    /* every name once: no instruction listed twice */
    for (int i = 0; i < WF_IOP_COUNT_; i++)
        for (int j = i + 1; j < WF_IOP_COUNT_; j++)
            assert_string_not_equal(wf_iop_name((wf_iop)i), wf_iop_name((wf_iop)j));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iop_names),
        cmocka_unit_test(test_memory_fusions),
        cmocka_unit_test(test_branch_fusions),
        cmocka_unit_test(test_arith_fusions),
        cmocka_unit_test(test_local_and_call_fusions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
