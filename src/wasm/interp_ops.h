/*
 * interp_ops.h - the simple numeric instructions as X-macros (one row an
 * instruction, named as in opcodes.h) and the float helpers they use.
 * interp.c expands them into handlers; compile.c into its opcode map.
 *
 *   WF_UNOPS(X):  X(NAME, in-field, out-field, expr over a)
 *   WF_BINOPS(X): X(NAME, in-field, out-field, expr over a, b): the
 *                 comparisons (WF_CMPOPS), then arithmetic (WF_ARITHOPS)
 *   WF_TRAPOPS:   binary ops that can trap, written out in interp.c
 *
 * Fields name the wf_slot member read or written (u32, i32, u64, i64, f32,
 * f64). Comparisons write u64 (0 or 1, zero-extended): an
 * i64.extend_i32_u of one is then nothing to do (compile.c). The expressions must give the exact WebAssembly result; the float
 * helpers below handle the cases plain C does not (NaN, signed zero,
 * rounding, range checks).
 */
#ifndef WF_INTERP_OPS_H
#define WF_INTERP_OPS_H

#include <math.h>
#include "base/base.h"

static inline uint32_t wf_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float wf_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t wf_f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline double wf_bits_f64(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

/* min/max: a NaN operand gives a NaN (a + b propagates it as an arithmetic
 * NaN); -0 is less than +0, which plain comparisons do not see. */
static inline float wf_fmin32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return wf_bits_f32(wf_f32_bits(a) | wf_f32_bits(b));
    return a < b ? a : b;
}
static inline float wf_fmax32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return wf_bits_f32(wf_f32_bits(a) & wf_f32_bits(b));
    return a > b ? a : b;
}
static inline double wf_fmin64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return wf_bits_f64(wf_f64_bits(a) | wf_f64_bits(b));
    return a < b ? a : b;
}
static inline double wf_fmax64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return wf_bits_f64(wf_f64_bits(a) & wf_f64_bits(b));
    return a > b ? a : b;
}

/* Saturating truncations: NaN gives 0, out of range clamps. */
static inline int32_t wf_sat_i32_f64(double x)
{
    if (x != x) return 0;
    if (x <= -2147483648.0) return INT32_MIN;
    if (x >= 2147483648.0) return INT32_MAX;
    return (int32_t)x;
}
static inline uint32_t wf_sat_u32_f64(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 4294967296.0) return UINT32_MAX;
    return (uint32_t)x;
}
static inline int64_t wf_sat_i64_f64(double x)
{
    if (x != x) return 0;
    if (x < -9223372036854775808.0) return INT64_MIN;
    if (x >= 9223372036854775808.0) return INT64_MAX;
    return (int64_t)x;
}
static inline uint64_t wf_sat_u64_f64(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)x;
}

/* libm's rounding functions may return a signalling NaN unchanged; wasm
 * wants it quieted (an arithmetic NaN). */
#define WF_QNAN(a, expr) ((a) != (a) ? (a) + (a) : (expr))

#define WF_ROTL32(a, b) (((a) << ((b) & 31)) | ((a) >> ((32 - ((b) & 31)) & 31)))
#define WF_ROTR32(a, b) (((a) >> ((b) & 31)) | ((a) << ((32 - ((b) & 31)) & 31)))
#define WF_ROTL64(a, b) (((a) << ((b) & 63)) | ((a) >> ((64 - ((b) & 63)) & 63)))
#define WF_ROTR64(a, b) (((a) >> ((b) & 63)) | ((a) << ((64 - ((b) & 63)) & 63)))

#define WF_UNOPS(X) \
    X(I32_EQZ, u32, u64, a == 0) \
    X(I64_EQZ, u64, u64, a == 0) \
    X(I32_CLZ, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32u) \
    X(I32_CTZ, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32u) \
    X(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(a)) \
    X(I64_CLZ, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64u) \
    X(I64_CTZ, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64u) \
    X(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(a)) \
    X(F32_ABS, u32, u32, a & 0x7fffffffu) \
    X(F32_NEG, u32, u32, a ^ 0x80000000u) \
    X(F32_CEIL, f32, f32, WF_QNAN(a, ceilf(a))) \
    X(F32_FLOOR, f32, f32, WF_QNAN(a, floorf(a))) \
    X(F32_TRUNC, f32, f32, WF_QNAN(a, truncf(a))) \
    X(F32_NEAREST, f32, f32, WF_QNAN(a, nearbyintf(a))) \
    X(F32_SQRT, f32, f32, sqrtf(a)) \
    X(F64_ABS, u64, u64, a & 0x7fffffffffffffffull) \
    X(F64_NEG, u64, u64, a ^ 0x8000000000000000ull) \
    X(F64_CEIL, f64, f64, WF_QNAN(a, ceil(a))) \
    X(F64_FLOOR, f64, f64, WF_QNAN(a, floor(a))) \
    X(F64_TRUNC, f64, f64, WF_QNAN(a, trunc(a))) \
    X(F64_NEAREST, f64, f64, WF_QNAN(a, nearbyint(a))) \
    X(F64_SQRT, f64, f64, sqrt(a)) \
    X(I32_WRAP_I64, u64, u32, (uint32_t)a) \
    X(I64_EXTEND_I32_S, i32, i64, (int64_t)a) \
    X(I64_EXTEND_I32_U, u32, u64, (uint64_t)a) \
    X(F32_CONVERT_I32_S, i32, f32, (float)a) \
    X(F32_CONVERT_I32_U, u32, f32, (float)a) \
    X(F32_CONVERT_I64_S, i64, f32, (float)a) \
    X(F32_CONVERT_I64_U, u64, f32, (float)a) \
    X(F32_DEMOTE_F64, f64, f32, (float)a) \
    X(F64_CONVERT_I32_S, i32, f64, (double)a) \
    X(F64_CONVERT_I32_U, u32, f64, (double)a) \
    X(F64_CONVERT_I64_S, i64, f64, (double)a) \
    X(F64_CONVERT_I64_U, u64, f64, (double)a) \
    X(F64_PROMOTE_F32, f32, f64, (double)a) \
    X(I32_REINTERPRET_F32, u32, u32, a) \
    X(I64_REINTERPRET_F64, u64, u64, a) \
    X(F32_REINTERPRET_I32, u32, u32, a) \
    X(F64_REINTERPRET_I64, u64, u64, a) \
    X(I32_EXTEND8_S, u32, i32, (int32_t)(int8_t)a) \
    X(I32_EXTEND16_S, u32, i32, (int32_t)(int16_t)a) \
    X(I64_EXTEND8_S, u64, i64, (int64_t)(int8_t)a) \
    X(I64_EXTEND16_S, u64, i64, (int64_t)(int16_t)a) \
    X(I64_EXTEND32_S, u64, i64, (int64_t)(int32_t)a) \
    X(I32_TRUNC_SAT_F32_S, f32, i32, wf_sat_i32_f64(a)) \
    X(I32_TRUNC_SAT_F32_U, f32, u32, wf_sat_u32_f64(a)) \
    X(I32_TRUNC_SAT_F64_S, f64, i32, wf_sat_i32_f64(a)) \
    X(I32_TRUNC_SAT_F64_U, f64, u32, wf_sat_u32_f64(a)) \
    X(I64_TRUNC_SAT_F32_S, f32, i64, wf_sat_i64_f64(a)) \
    X(I64_TRUNC_SAT_F32_U, f32, u64, wf_sat_u64_f64(a)) \
    X(I64_TRUNC_SAT_F64_S, f64, i64, wf_sat_i64_f64(a)) \
    X(I64_TRUNC_SAT_F64_U, f64, u64, wf_sat_u64_f64(a))

/* Binary operations: the comparisons (result 0 or 1), then arithmetic. */
#define WF_BINOPS(X) WF_CMPOPS(X) WF_ARITHOPS(X)
#define WF_CMPOPS(X) \
    X(I32_EQ, u32, u64, a == b) \
    X(I32_NE, u32, u64, a != b) \
    X(I32_LT_S, i32, u64, a < b) \
    X(I32_LT_U, u32, u64, a < b) \
    X(I32_GT_S, i32, u64, a > b) \
    X(I32_GT_U, u32, u64, a > b) \
    X(I32_LE_S, i32, u64, a <= b) \
    X(I32_LE_U, u32, u64, a <= b) \
    X(I32_GE_S, i32, u64, a >= b) \
    X(I32_GE_U, u32, u64, a >= b) \
    X(I64_EQ, u64, u64, a == b) \
    X(I64_NE, u64, u64, a != b) \
    X(I64_LT_S, i64, u64, a < b) \
    X(I64_LT_U, u64, u64, a < b) \
    X(I64_GT_S, i64, u64, a > b) \
    X(I64_GT_U, u64, u64, a > b) \
    X(I64_LE_S, i64, u64, a <= b) \
    X(I64_LE_U, u64, u64, a <= b) \
    X(I64_GE_S, i64, u64, a >= b) \
    X(I64_GE_U, u64, u64, a >= b) \
    X(F32_EQ, f32, u64, a == b) \
    X(F32_NE, f32, u64, a != b) \
    X(F32_LT, f32, u64, a < b) \
    X(F32_GT, f32, u64, a > b) \
    X(F32_LE, f32, u64, a <= b) \
    X(F32_GE, f32, u64, a >= b) \
    X(F64_EQ, f64, u64, a == b) \
    X(F64_NE, f64, u64, a != b) \
    X(F64_LT, f64, u64, a < b) \
    X(F64_GT, f64, u64, a > b) \
    X(F64_LE, f64, u64, a <= b) \
    X(F64_GE, f64, u64, a >= b)
#define WF_ARITHOPS(X) \
    X(I32_ADD, u32, u32, a + b) \
    X(I32_SUB, u32, u32, a - b) \
    X(I32_MUL, u32, u32, a * b) \
    X(I32_AND, u32, u32, a & b) \
    X(I32_OR, u32, u32, a | b) \
    X(I32_XOR, u32, u32, a ^ b) \
    X(I32_SHL, u32, u32, a << (b & 31)) \
    X(I32_SHR_S, i32, i32, a >> (b & 31)) \
    X(I32_SHR_U, u32, u32, a >> (b & 31)) \
    X(I32_ROTL, u32, u32, WF_ROTL32(a, b)) \
    X(I32_ROTR, u32, u32, WF_ROTR32(a, b)) \
    X(I64_ADD, u64, u64, a + b) \
    X(I64_SUB, u64, u64, a - b) \
    X(I64_MUL, u64, u64, a * b) \
    X(I64_AND, u64, u64, a & b) \
    X(I64_OR, u64, u64, a | b) \
    X(I64_XOR, u64, u64, a ^ b) \
    X(I64_SHL, u64, u64, a << (b & 63)) \
    X(I64_SHR_S, i64, i64, a >> (b & 63)) \
    X(I64_SHR_U, u64, u64, a >> (b & 63)) \
    X(I64_ROTL, u64, u64, WF_ROTL64(a, b)) \
    X(I64_ROTR, u64, u64, WF_ROTR64(a, b)) \
    X(F32_ADD, f32, f32, a + b) \
    X(F32_SUB, f32, f32, a - b) \
    X(F32_MUL, f32, f32, a * b) \
    X(F32_DIV, f32, f32, a / b) \
    X(F32_MIN, f32, f32, wf_fmin32(a, b)) \
    X(F32_MAX, f32, f32, wf_fmax32(a, b)) \
    X(F32_COPYSIGN, u32, u32, (a & 0x7fffffffu) | (b & 0x80000000u)) \
    X(F64_ADD, f64, f64, a + b) \
    X(F64_SUB, f64, f64, a - b) \
    X(F64_MUL, f64, f64, a * b) \
    X(F64_DIV, f64, f64, a / b) \
    X(F64_MIN, f64, f64, wf_fmin64(a, b)) \
    X(F64_MAX, f64, f64, wf_fmax64(a, b)) \
    X(F64_COPYSIGN, u64, u64, (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))

/* Binary and unary instructions that may trap: handlers in interp.c. */
#define WF_TRAPOPS(X) \
    X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) \
    X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U) \
    X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U) \
    X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U)

/* Loads and stores: X(NAME, C type in memory, slot field, cast to it) */
#define WF_LOADOPS(X) \
    X(I32_LOAD, uint32_t, u32) X(I64_LOAD, uint64_t, u64) \
    X(F32_LOAD, uint32_t, u32) X(F64_LOAD, uint64_t, u64) \
    X(I32_LOAD8_S, int8_t, i32) X(I32_LOAD8_U, uint8_t, u32) \
    X(I32_LOAD16_S, int16_t, i32) X(I32_LOAD16_U, uint16_t, u32) \
    X(I64_LOAD8_S, int8_t, i64) X(I64_LOAD8_U, uint8_t, u64) \
    X(I64_LOAD16_S, int16_t, i64) X(I64_LOAD16_U, uint16_t, u64) \
    X(I64_LOAD32_S, int32_t, i64) X(I64_LOAD32_U, uint32_t, u64)
#define WF_STOREOPS(X) \
    X(I32_STORE, uint32_t, u32) X(I64_STORE, uint64_t, u64) \
    X(F32_STORE, uint32_t, u32) X(F64_STORE, uint64_t, u64) \
    X(I32_STORE8, uint8_t, u32) X(I32_STORE16, uint16_t, u32) \
    X(I64_STORE8, uint8_t, u64) X(I64_STORE16, uint16_t, u64) \
    X(I64_STORE32, uint32_t, u64)

#endif
