/*
 * simd.c - the semantics of the fixed-width SIMD instructions (simd.h):
 * one function an instruction, generated per lane shape from the lists
 * below (each instruction listed once), plus the few that are not
 * lane-wise (shuffle, swizzle, narrowing, widening, bitmask, ...). Results
 * follow the spec exactly: integer lanes wrap or saturate as named, shift
 * counts are taken modulo the lane width, float lanes use the scalar
 * helpers of interp_ops.h (NaN propagation, signed zeros, saturating
 * truncation). The host is little-endian (x86-64, aarch64), so a vector's
 * lanes are the C arrays of the union below.
 */
#include "wasm/simd.h"
#include "wasm/runtime.h"

typedef union v128 {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} v128;

static inline v128 ld(const wf_slot *p) { v128 v; memcpy(&v, p, 16); return v; }
static inline void st(wf_slot *p, const v128 *v) { memcpy(p, v, 16); }

#define FN(name) \
    static void name(wf_slot *d, const wf_slot *pa, const wf_slot *pb, const wf_slot *pc, \
                     const wf_word *imm)

static inline int64_t clamp64(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }
#define SAT_S8(x) clamp64((x), INT8_MIN, INT8_MAX)
#define SAT_U8(x) clamp64((x), 0, UINT8_MAX)
#define SAT_S16(x) clamp64((x), INT16_MIN, INT16_MAX)
#define SAT_U16(x) clamp64((x), 0, UINT16_MAX)
#define ABS_U(T, x) ((x) < 0 ? (T)0 - (T)(x) : (T)(x))

/* ---- lane-wise binary operations: X(NAME, lanes, field, expr over x, y) */
#define WF_SIMD_BINOPS(X) \
    X(I8X16_ADD, 16, u8, x + y) X(I8X16_SUB, 16, u8, x - y) \
    X(I8X16_ADD_SAT_S, 16, i8, SAT_S8((int64_t)x + y)) X(I8X16_ADD_SAT_U, 16, u8, SAT_U8((int64_t)x + y)) \
    X(I8X16_SUB_SAT_S, 16, i8, SAT_S8((int64_t)x - y)) X(I8X16_SUB_SAT_U, 16, u8, SAT_U8((int64_t)x - y)) \
    X(I8X16_MIN_S, 16, i8, x < y ? x : y) X(I8X16_MIN_U, 16, u8, x < y ? x : y) \
    X(I8X16_MAX_S, 16, i8, x > y ? x : y) X(I8X16_MAX_U, 16, u8, x > y ? x : y) \
    X(I8X16_AVGR_U, 16, u8, ((uint32_t)x + y + 1) >> 1) \
    X(I16X8_ADD, 8, u16, x + y) X(I16X8_SUB, 8, u16, x - y) X(I16X8_MUL, 8, u16, (uint32_t)x * y) \
    X(I16X8_ADD_SAT_S, 8, i16, SAT_S16((int64_t)x + y)) X(I16X8_ADD_SAT_U, 8, u16, SAT_U16((int64_t)x + y)) \
    X(I16X8_SUB_SAT_S, 8, i16, SAT_S16((int64_t)x - y)) X(I16X8_SUB_SAT_U, 8, u16, SAT_U16((int64_t)x - y)) \
    X(I16X8_MIN_S, 8, i16, x < y ? x : y) X(I16X8_MIN_U, 8, u16, x < y ? x : y) \
    X(I16X8_MAX_S, 8, i16, x > y ? x : y) X(I16X8_MAX_U, 8, u16, x > y ? x : y) \
    X(I16X8_AVGR_U, 8, u16, ((uint32_t)x + y + 1) >> 1) \
    X(I16X8_Q15MULR_SAT_S, 8, i16, SAT_S16(((int32_t)x * y + 0x4000) >> 15)) \
    X(I32X4_ADD, 4, u32, x + y) X(I32X4_SUB, 4, u32, x - y) X(I32X4_MUL, 4, u32, x * y) \
    X(I32X4_MIN_S, 4, i32, x < y ? x : y) X(I32X4_MIN_U, 4, u32, x < y ? x : y) \
    X(I32X4_MAX_S, 4, i32, x > y ? x : y) X(I32X4_MAX_U, 4, u32, x > y ? x : y) \
    X(I64X2_ADD, 2, u64, x + y) X(I64X2_SUB, 2, u64, x - y) X(I64X2_MUL, 2, u64, x * y) \
    X(F32X4_ADD, 4, f32, x + y) X(F32X4_SUB, 4, f32, x - y) \
    X(F32X4_MUL, 4, f32, x * y) X(F32X4_DIV, 4, f32, x / y) \
    X(F32X4_MIN, 4, f32, wf_fmin32(x, y)) X(F32X4_MAX, 4, f32, wf_fmax32(x, y)) \
    X(F32X4_PMIN, 4, f32, y < x ? y : x) X(F32X4_PMAX, 4, f32, x < y ? y : x) \
    X(F64X2_ADD, 2, f64, x + y) X(F64X2_SUB, 2, f64, x - y) \
    X(F64X2_MUL, 2, f64, x * y) X(F64X2_DIV, 2, f64, x / y) \
    X(F64X2_MIN, 2, f64, wf_fmin64(x, y)) X(F64X2_MAX, 2, f64, wf_fmax64(x, y)) \
    X(F64X2_PMIN, 2, f64, y < x ? y : x) X(F64X2_PMAX, 2, f64, x < y ? y : x) \
    X(V128_AND, 2, u64, x & y) X(V128_ANDNOT, 2, u64, x & ~y) \
    X(V128_OR, 2, u64, x | y) X(V128_XOR, 2, u64, x ^ y)

/* ---- comparisons: X(NAME, lanes, field, mask field, condition) */
#define WF_SIMD_CMPOPS(X) \
    WF_SIMD_ICMP(X, I8X16, 16, i8, u8) WF_SIMD_ICMP(X, I16X8, 8, i16, u16) \
    WF_SIMD_ICMP(X, I32X4, 4, i32, u32) \
    X(I64X2_EQ, 2, i64, u64, x == y) X(I64X2_NE, 2, i64, u64, x != y) \
    X(I64X2_LT_S, 2, i64, u64, x < y) X(I64X2_GT_S, 2, i64, u64, x > y) \
    X(I64X2_LE_S, 2, i64, u64, x <= y) X(I64X2_GE_S, 2, i64, u64, x >= y) \
    WF_SIMD_FCMP(X, F32X4, 4, f32, u32) WF_SIMD_FCMP(X, F64X2, 2, f64, u64)
#define WF_SIMD_ICMP(X, S, n, sf, uf) \
    X(S##_EQ, n, uf, uf, x == y) X(S##_NE, n, uf, uf, x != y) \
    X(S##_LT_S, n, sf, uf, x < y) X(S##_LT_U, n, uf, uf, x < y) \
    X(S##_GT_S, n, sf, uf, x > y) X(S##_GT_U, n, uf, uf, x > y) \
    X(S##_LE_S, n, sf, uf, x <= y) X(S##_LE_U, n, uf, uf, x <= y) \
    X(S##_GE_S, n, sf, uf, x >= y) X(S##_GE_U, n, uf, uf, x >= y)
#define WF_SIMD_FCMP(X, S, n, ff, uf) \
    X(S##_EQ, n, ff, uf, x == y) X(S##_NE, n, ff, uf, x != y) \
    X(S##_LT, n, ff, uf, x < y) X(S##_GT, n, ff, uf, x > y) \
    X(S##_LE, n, ff, uf, x <= y) X(S##_GE, n, ff, uf, x >= y)

/* ---- lane-wise unary operations: X(NAME, lanes, field, expr over x) */
#define WF_SIMD_UNOPS(X) \
    X(I8X16_ABS, 16, i8, ABS_U(uint8_t, x)) X(I8X16_NEG, 16, u8, 0u - x) \
    X(I8X16_POPCNT, 16, u8, __builtin_popcount(x)) \
    X(I16X8_ABS, 8, i16, ABS_U(uint16_t, x)) X(I16X8_NEG, 8, u16, 0u - x) \
    X(I32X4_ABS, 4, i32, ABS_U(uint32_t, x)) X(I32X4_NEG, 4, u32, 0u - x) \
    X(I64X2_ABS, 2, i64, ABS_U(uint64_t, x)) X(I64X2_NEG, 2, u64, (uint64_t)0 - x) \
    X(F32X4_ABS, 4, u32, x & 0x7fffffffu) X(F32X4_NEG, 4, u32, x ^ 0x80000000u) \
    X(F32X4_SQRT, 4, f32, sqrtf(x)) \
    X(F32X4_CEIL, 4, f32, WF_QNAN(x, ceilf(x))) X(F32X4_FLOOR, 4, f32, WF_QNAN(x, floorf(x))) \
    X(F32X4_TRUNC, 4, f32, WF_QNAN(x, truncf(x))) X(F32X4_NEAREST, 4, f32, WF_QNAN(x, nearbyintf(x))) \
    X(F64X2_ABS, 2, u64, x & 0x7fffffffffffffffull) X(F64X2_NEG, 2, u64, x ^ 0x8000000000000000ull) \
    X(F64X2_SQRT, 2, f64, sqrt(x)) \
    X(F64X2_CEIL, 2, f64, WF_QNAN(x, ceil(x))) X(F64X2_FLOOR, 2, f64, WF_QNAN(x, floor(x))) \
    X(F64X2_TRUNC, 2, f64, WF_QNAN(x, trunc(x))) X(F64X2_NEAREST, 2, f64, WF_QNAN(x, nearbyint(x))) \
    X(V128_NOT, 2, u64, ~x) \
    X(F32X4_CONVERT_I32X4_S, 4, i32, wf_f32_bits((float)x)) \
    X(F32X4_CONVERT_I32X4_U, 4, u32, wf_f32_bits((float)x))

/* Lane-wise results are written through the bits of the lane (a float
 * expression's value converts to the float lane, an integer one to the
 * unsigned lane of the same width: the union's first matching member). */
#define LANE_OUT(r, field, i, val) lane_out_##field(&(r), (i), (val))
#define OUT_INT(field, UT) \
    static inline void lane_out_##field(v128 *r, int i, UT v) { memcpy((char *)r + i * sizeof(UT), &v, sizeof v); }
OUT_INT(u8, uint8_t) OUT_INT(i8, uint8_t) OUT_INT(u16, uint16_t) OUT_INT(i16, uint16_t)
OUT_INT(u32, uint32_t) OUT_INT(i32, uint32_t) OUT_INT(u64, uint64_t) OUT_INT(i64, uint64_t)
static inline void lane_out_f32(v128 *r, int i, float v) { r->f32[i] = v; }
static inline void lane_out_f64(v128 *r, int i, double v) { r->f64[i] = v; }

#define DEF_BIN(n_, lanes, field, expr)                                        \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), b = ld(pb), r;                                        \
        for (int i = 0; i < (lanes); i++) {                                    \
            __typeof__(a.field[0]) x = a.field[i], y = b.field[i];             \
            LANE_OUT(r, field, i, expr);                                       \
        }                                                                      \
        st(d, &r);                                                             \
    }
WF_SIMD_BINOPS(DEF_BIN)

#define DEF_CMP(n_, lanes, field, mf, cond)                                    \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), b = ld(pb), r;                                        \
        for (int i = 0; i < (lanes); i++) {                                    \
            __typeof__(a.field[0]) x = a.field[i], y = b.field[i];             \
            r.mf[i] = (cond) ? (__typeof__(r.mf[0]))~(__typeof__(r.mf[0]))0 : 0; \
        }                                                                      \
        st(d, &r);                                                             \
    }
WF_SIMD_CMPOPS(DEF_CMP)

/* Unary results go to the lane of the input's width: as unsigned bits for
 * integer expressions, as floats for float ones. */
#define DEF_UN(n_, lanes, field, expr)                                         \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), r;                                                    \
        for (int i = 0; i < (lanes); i++) {                                    \
            __typeof__(a.field[0]) x = a.field[i];                             \
            LANE_OUT(r, field, i, expr);                                       \
        }                                                                      \
        st(d, &r);                                                             \
    }
WF_SIMD_UNOPS(DEF_UN)

/* ---- shifts: X(NAME, lanes, field, bits, op) */
#define WF_SIMD_SHIFTS(X) \
    X(I8X16_SHL, 16, u8, 8, <<) X(I8X16_SHR_S, 16, i8, 8, >>) X(I8X16_SHR_U, 16, u8, 8, >>) \
    X(I16X8_SHL, 8, u16, 16, <<) X(I16X8_SHR_S, 8, i16, 16, >>) X(I16X8_SHR_U, 8, u16, 16, >>) \
    X(I32X4_SHL, 4, u32, 32, <<) X(I32X4_SHR_S, 4, i32, 32, >>) X(I32X4_SHR_U, 4, u32, 32, >>) \
    X(I64X2_SHL, 2, u64, 64, <<) X(I64X2_SHR_S, 2, i64, 64, >>) X(I64X2_SHR_U, 2, u64, 64, >>)
#define DEF_SHIFT(n_, lanes, field, bits, OP)                                  \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), r;                                                    \
        uint32_t k = pb->u32 & ((bits) - 1);                                   \
        for (int i = 0; i < (lanes); i++) r.field[i] = (__typeof__(r.field[0]))(a.field[i] OP k); \
        st(d, &r);                                                             \
    }
WF_SIMD_SHIFTS(DEF_SHIFT)

/* ---- splat, extract_lane, replace_lane: X(NAME, lanes, lane field, scalar field) */
#define WF_SIMD_SPLATS(X) \
    X(I8X16_SPLAT, 16, u8, u32) X(I16X8_SPLAT, 8, u16, u32) X(I32X4_SPLAT, 4, u32, u32) \
    X(I64X2_SPLAT, 2, u64, u64) X(F32X4_SPLAT, 4, u32, u32) X(F64X2_SPLAT, 2, u64, u64)
#define DEF_SPLAT(n_, lanes, field, sf)                                        \
    FN(op_##n_) {                                                              \
        v128 r;                                                                \
        for (int i = 0; i < (lanes); i++) r.field[i] = (__typeof__(r.field[0]))pa->sf; \
        st(d, &r);                                                             \
    }
WF_SIMD_SPLATS(DEF_SPLAT)

#define WF_SIMD_EXTRACTS(X) \
    X(I8X16_EXTRACT_LANE_S, 16, i8, i32) X(I8X16_EXTRACT_LANE_U, 16, u8, u32) \
    X(I16X8_EXTRACT_LANE_S, 8, i16, i32) X(I16X8_EXTRACT_LANE_U, 8, u16, u32) \
    X(I32X4_EXTRACT_LANE, 4, u32, u32) X(I64X2_EXTRACT_LANE, 2, u64, u64) \
    X(F32X4_EXTRACT_LANE, 4, u32, u32) X(F64X2_EXTRACT_LANE, 2, u64, u64)
/* A scalar result: the whole slot written (i32 results zero-extended to
 * 64 bits, as the scalar instructions leave them). */
#define DEF_EXTRACT(n_, lanes, field, sf)                                      \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa);                                                       \
        wf_slot s = { .u64 = 0 };                                              \
        s.sf = a.field[imm[0] & ((lanes) - 1)];                                \
        if (sizeof(s.sf) == 4) s.u64 = s.u32;                                  \
        *d = s;                                                                \
    }
WF_SIMD_EXTRACTS(DEF_EXTRACT)

#define WF_SIMD_REPLACES(X) \
    X(I8X16_REPLACE_LANE, 16, u8, u32) X(I16X8_REPLACE_LANE, 8, u16, u32) \
    X(I32X4_REPLACE_LANE, 4, u32, u32) X(I64X2_REPLACE_LANE, 2, u64, u64) \
    X(F32X4_REPLACE_LANE, 4, u32, u32) X(F64X2_REPLACE_LANE, 2, u64, u64)
#define DEF_REPLACE(n_, lanes, field, sf)                                      \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa);                                                       \
        a.field[imm[0] & ((lanes) - 1)] = (__typeof__(a.field[0]))pb->sf;      \
        st(d, &a);                                                             \
    }
WF_SIMD_REPLACES(DEF_REPLACE)

/* ---- all_true and bitmask: X(NAME, lanes, field, sign bit) */
#define WF_SIMD_REDUCES(X) \
    X(I8X16, 16, u8, 7) X(I16X8, 8, u16, 15) X(I32X4, 4, u32, 31) X(I64X2, 2, u64, 63)
#define DEF_REDUCE(S, lanes, field, top)                                       \
    FN(op_##S##_ALL_TRUE) {                                                    \
        v128 a = ld(pa);                                                       \
        uint64_t all = 1;                                                      \
        for (int i = 0; i < (lanes); i++) all &= a.field[i] != 0;              \
        d->u64 = all;                                                          \
    }                                                                          \
    FN(op_##S##_BITMASK) {                                                     \
        v128 a = ld(pa);                                                       \
        uint64_t m = 0;                                                        \
        for (int i = 0; i < (lanes); i++) m |= (uint64_t)((a.field[i] >> (top)) & 1) << i; \
        d->u64 = m;                                                            \
    }
WF_SIMD_REDUCES(DEF_REDUCE)

FN(op_V128_ANY_TRUE)
{
    v128 a = ld(pa);
    d->u64 = (a.u64[0] | a.u64[1]) != 0;
}

FN(op_V128_BITSELECT)
{
    v128 a = ld(pa), b = ld(pb), c = ld(pc), r;
    for (int i = 0; i < 2; i++) r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
    st(d, &r);
}

FN(op_I8X16_SWIZZLE)
{
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 16; i++) r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
    st(d, &r);
}

FN(op_I8X16_SHUFFLE)
{
    v128 a = ld(pa), b = ld(pb), r;
    uint8_t idx[16];
    memcpy(idx, &imm[0], 8);
    memcpy(idx + 8, &imm[1], 8);
    for (int i = 0; i < 16; i++) r.u8[i] = idx[i] < 16 ? a.u8[idx[i]] : b.u8[idx[i] & 15];
    st(d, &r);
}

/* ---- narrowing: X(NAME, out lanes field, in field, half, saturate) */
#define WF_SIMD_NARROWS(X) \
    X(I8X16_NARROW_I16X8_S, u8, i16, 8, SAT_S8) X(I8X16_NARROW_I16X8_U, u8, i16, 8, SAT_U8) \
    X(I16X8_NARROW_I32X4_S, u16, i32, 4, SAT_S16) X(I16X8_NARROW_I32X4_U, u16, i32, 4, SAT_U16)
#define DEF_NARROW(n_, of, inf, half, SAT)                                     \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), b = ld(pb), r;                                        \
        for (int i = 0; i < (half); i++) {                                     \
            r.of[i] = (__typeof__(r.of[0]))SAT((int64_t)a.inf[i]);             \
            r.of[i + (half)] = (__typeof__(r.of[0]))SAT((int64_t)b.inf[i]);    \
        }                                                                      \
        st(d, &r);                                                             \
    }
WF_SIMD_NARROWS(DEF_NARROW)

/* ---- widening: the lane shapes extend and extmul share, named with op
 * (EXTEND, EXTMUL): X(NAME, out lanes, out field, in field, first in lane) */
#define WF_SIMD_WIDENINGS(X, op) \
    X(I16X8_##op##_LOW_I8X16_S, 8, u16, i8, 0) X(I16X8_##op##_HIGH_I8X16_S, 8, u16, i8, 8) \
    X(I16X8_##op##_LOW_I8X16_U, 8, u16, u8, 0) X(I16X8_##op##_HIGH_I8X16_U, 8, u16, u8, 8) \
    X(I32X4_##op##_LOW_I16X8_S, 4, u32, i16, 0) X(I32X4_##op##_HIGH_I16X8_S, 4, u32, i16, 4) \
    X(I32X4_##op##_LOW_I16X8_U, 4, u32, u16, 0) X(I32X4_##op##_HIGH_I16X8_U, 4, u32, u16, 4) \
    X(I64X2_##op##_LOW_I32X4_S, 2, u64, i32, 0) X(I64X2_##op##_HIGH_I32X4_S, 2, u64, i32, 2) \
    X(I64X2_##op##_LOW_I32X4_U, 2, u64, u32, 0) X(I64X2_##op##_HIGH_I32X4_U, 2, u64, u32, 2)
#define WF_SIMD_EXTENDS(X) WF_SIMD_WIDENINGS(X, EXTEND)
#define DEF_EXTEND(n_, lanes, of, inf, first)                                  \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), r;                                                    \
        for (int i = 0; i < (lanes); i++)                                      \
            r.of[i] = (__typeof__(r.of[0]))(int64_t)a.inf[i + (first)];        \
        st(d, &r);                                                             \
    }
WF_SIMD_EXTENDS(DEF_EXTEND)

/* ---- extmul: the same lanes of both operands widened, multiplied */
#define WF_SIMD_EXTMULS(X) WF_SIMD_WIDENINGS(X, EXTMUL)
#define DEF_EXTMUL(n_, lanes, of, inf, first)                                  \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), b = ld(pb), r;                                        \
        for (int i = 0; i < (lanes); i++)                                      \
            r.of[i] = (__typeof__(r.of[0]))((uint64_t)(int64_t)a.inf[i + (first)] * \
                                            (uint64_t)(int64_t)b.inf[i + (first)]); \
        st(d, &r);                                                             \
    }
WF_SIMD_EXTMULS(DEF_EXTMUL)

/* ---- pairwise widening add: X(NAME, out lanes, out field, in field) */
#define WF_SIMD_EXTADDS(X) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_S, 8, u16, i8) X(I16X8_EXTADD_PAIRWISE_I8X16_U, 8, u16, u8) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S, 4, u32, i16) X(I32X4_EXTADD_PAIRWISE_I16X8_U, 4, u32, u16)
#define DEF_EXTADD(n_, lanes, of, inf)                                         \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), r;                                                    \
        for (int i = 0; i < (lanes); i++)                                      \
            r.of[i] = (__typeof__(r.of[0]))((int64_t)a.inf[2 * i] + a.inf[2 * i + 1]); \
        st(d, &r);                                                             \
    }
WF_SIMD_EXTADDS(DEF_EXTADD)

FN(op_I32X4_DOT_I16X8_S)
{
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 4; i++)
        r.u32[i] = (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] +
                              (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    st(d, &r);
}

/* ---- conversions between the two float widths and f64 <-> i32 */
FN(op_F32X4_DEMOTE_F64X2_ZERO)
{
    v128 a = ld(pa), r = { .u64 = { 0, 0 } };
    r.f32[0] = (float)a.f64[0];
    r.f32[1] = (float)a.f64[1];
    st(d, &r);
}
FN(op_F64X2_PROMOTE_LOW_F32X4)
{
    v128 a = ld(pa), r;
    r.f64[0] = (double)a.f32[0];
    r.f64[1] = (double)a.f32[1];
    st(d, &r);
}
FN(op_I32X4_TRUNC_SAT_F64X2_S_ZERO)
{
    v128 a = ld(pa), r = { .u64 = { 0, 0 } };
    r.i32[0] = wf_sat_i32_f64(a.f64[0]);
    r.i32[1] = wf_sat_i32_f64(a.f64[1]);
    st(d, &r);
}
FN(op_I32X4_TRUNC_SAT_F64X2_U_ZERO)
{
    v128 a = ld(pa), r = { .u64 = { 0, 0 } };
    r.u32[0] = wf_sat_u32_f64(a.f64[0]);
    r.u32[1] = wf_sat_u32_f64(a.f64[1]);
    st(d, &r);
}
FN(op_I32X4_TRUNC_SAT_F32X4_S)
{
    v128 a = ld(pa), r;
    for (int i = 0; i < 4; i++) r.i32[i] = wf_sat_i32_f64(a.f32[i]);
    st(d, &r);
}
FN(op_I32X4_TRUNC_SAT_F32X4_U)
{
    v128 a = ld(pa), r;
    for (int i = 0; i < 4; i++) r.u32[i] = wf_sat_u32_f64(a.f32[i]);
    st(d, &r);
}
FN(op_F64X2_CONVERT_LOW_I32X4_S)
{
    v128 a = ld(pa), r;
    r.f64[0] = a.i32[0];
    r.f64[1] = a.i32[1];
    st(d, &r);
}
FN(op_F64X2_CONVERT_LOW_I32X4_U)
{
    v128 a = ld(pa), r;
    r.f64[0] = a.u32[0];
    r.f64[1] = a.u32[1];
    st(d, &r);
}

/* ---- relaxed SIMD (0x100..0x113) ----------------------------------------
 * Each may give any of a few results; wasmfn always gives the same one, on
 * every tier (jit/translate.c picks the same): the non-relaxed instruction's
 * where there is one (swizzle, saturating truncation, bitselect, min/max,
 * q15mulr_sat), multiply-add unfused (a rounded product, then a rounded
 * sum), and the dot products with both operands signed. */

/* The product rounded on its own: the compiler must not contract it with
 * the sum into a fused multiply-add (aarch64 has one in its base ISA). */
#define UNFUSED(p) __extension__({ __typeof__(p) p_ = (p); __asm__("" : "+m"(p_)); p_; })
#define WF_SIMD_MADDS(X) \
    X(F32X4_RELAXED_MADD, 4, f32, 1) X(F32X4_RELAXED_NMADD, 4, f32, -1) \
    X(F64X2_RELAXED_MADD, 2, f64, 1) X(F64X2_RELAXED_NMADD, 2, f64, -1)
#define DEF_MADD(n_, lanes, field, sign)                                       \
    FN(op_##n_) {                                                              \
        v128 a = ld(pa), b = ld(pb), c = ld(pc), r;                            \
        for (int i = 0; i < (lanes); i++) {                                    \
            __typeof__(a.field[0]) p = UNFUSED(a.field[i] * b.field[i]);       \
            r.field[i] = ((sign) < 0 ? -p : p) + c.field[i];                   \
        }                                                                      \
        st(d, &r);                                                             \
    }
WF_SIMD_MADDS(DEF_MADD)

FN(op_I16X8_RELAXED_DOT_I8X16_I7X16_S)
{
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 8; i++)
        r.u16[i] = (uint16_t)((int32_t)a.i8[2 * i] * b.i8[2 * i] + (int32_t)a.i8[2 * i + 1] * b.i8[2 * i + 1]);
    st(d, &r);
}
FN(op_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S)
{
    v128 a = ld(pa), b = ld(pb), c = ld(pc), r;
    for (int i = 0; i < 4; i++) {
        int32_t sum = 0;
        for (int k = 4 * i; k < 4 * i + 4; k++) sum += (int32_t)a.i8[k] * b.i8[k];
        r.u32[i] = (uint32_t)sum + c.u32[i];
    }
    st(d, &r);
}

/* The relaxed instructions that behave as a non-relaxed one: X(relaxed, as) */
#define WF_SIMD_RELAXED_AS(X) \
    X(I8X16_RELAXED_SWIZZLE, I8X16_SWIZZLE) \
    X(I32X4_RELAXED_TRUNC_F32X4_S, I32X4_TRUNC_SAT_F32X4_S) \
    X(I32X4_RELAXED_TRUNC_F32X4_U, I32X4_TRUNC_SAT_F32X4_U) \
    X(I32X4_RELAXED_TRUNC_F64X2_S_ZERO, I32X4_TRUNC_SAT_F64X2_S_ZERO) \
    X(I32X4_RELAXED_TRUNC_F64X2_U_ZERO, I32X4_TRUNC_SAT_F64X2_U_ZERO) \
    X(I8X16_RELAXED_LANESELECT, V128_BITSELECT) X(I16X8_RELAXED_LANESELECT, V128_BITSELECT) \
    X(I32X4_RELAXED_LANESELECT, V128_BITSELECT) X(I64X2_RELAXED_LANESELECT, V128_BITSELECT) \
    X(F32X4_RELAXED_MIN, F32X4_MIN) X(F32X4_RELAXED_MAX, F32X4_MAX) \
    X(F64X2_RELAXED_MIN, F64X2_MIN) X(F64X2_RELAXED_MAX, F64X2_MAX) \
    X(I16X8_RELAXED_Q15MULR_S, I16X8_Q15MULR_SAT_S)

/* ---- the register operations' table ------------------------------------- */

#define ROW(n_, ...) [WF_OP_##n_] = op_##n_,
#define ROW_AS(n_, as) [WF_OP_##n_] = op_##as,
#define ROW_REDUCE(S, ...) [WF_OP_##S##_ALL_TRUE] = op_##S##_ALL_TRUE, [WF_OP_##S##_BITMASK] = op_##S##_BITMASK,
static const wf_simd_fn g_ops[WF_OP_COUNT_] = {
    WF_SIMD_BINOPS(ROW) WF_SIMD_CMPOPS(ROW) WF_SIMD_UNOPS(ROW) WF_SIMD_SHIFTS(ROW)
    WF_SIMD_SPLATS(ROW) WF_SIMD_EXTRACTS(ROW) WF_SIMD_REPLACES(ROW) WF_SIMD_REDUCES(ROW_REDUCE)
    WF_SIMD_NARROWS(ROW) WF_SIMD_EXTENDS(ROW) WF_SIMD_EXTMULS(ROW) WF_SIMD_EXTADDS(ROW)
    ROW(V128_ANY_TRUE) ROW(V128_BITSELECT) ROW(I8X16_SWIZZLE) ROW(I8X16_SHUFFLE)
    ROW(I32X4_DOT_I16X8_S) ROW(F32X4_DEMOTE_F64X2_ZERO) ROW(F64X2_PROMOTE_LOW_F32X4)
    ROW(I32X4_TRUNC_SAT_F64X2_S_ZERO) ROW(I32X4_TRUNC_SAT_F64X2_U_ZERO)
    ROW(F64X2_CONVERT_LOW_I32X4_S) ROW(F64X2_CONVERT_LOW_I32X4_U)
    ROW(I32X4_TRUNC_SAT_F32X4_S) ROW(I32X4_TRUNC_SAT_F32X4_U)
    WF_SIMD_MADDS(ROW) ROW(I16X8_RELAXED_DOT_I8X16_I7X16_S) ROW(I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S)
    WF_SIMD_RELAXED_AS(ROW_AS)
};

wf_simd_fn wf_simd_op(wf_opcode op)
{
    return (unsigned)op < WF_OP_COUNT_ ? g_ops[op] : NULL;
}

uint32_t wf_simd_lane_count(wf_opcode op)
{
    switch (op) {
#define LANES_(n_, lanes, ...) case WF_OP_##n_: return lanes;
    WF_SIMD_EXTRACTS(LANES_) WF_SIMD_REPLACES(LANES_)
#undef LANES_
    default: return 0;
    }
}

void wf_simd_exec(wf_slot *fp, const wf_word *pc)
{
    ((wf_simd_fn)pc[1])(fp + pc[2], fp + pc[3], fp + pc[4], fp + pc[5], pc + 6);
}

bool wf_simd_exec_mem(wf_slot *fp, const wf_word *pc, wf_memory *mem)
{
    uint64_t ea = (uint64_t)fp[pc[3]].u32 + pc[5];
    if (ea + pc[6] > mem->size) return false;
    ((wf_simd_mem_fn)pc[1])(fp + pc[2], fp + pc[4], mem->base + ea, (uint32_t)pc[7]);
    return true;
}

/* ---- memory ------------------------------------------------------------- */

static void mem_load(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) { memcpy(d, p, 16); }
static void mem_store(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) { memcpy(p, v, 16); }

/* 8 bytes widened: X(NAME, out lanes, out field, in C type) */
#define WF_SIMD_LOADEXT(X) \
    X(V128_LOAD8X8_S, 8, u16, int8_t) X(V128_LOAD8X8_U, 8, u16, uint8_t) \
    X(V128_LOAD16X4_S, 4, u32, int16_t) X(V128_LOAD16X4_U, 4, u32, uint16_t) \
    X(V128_LOAD32X2_S, 2, u64, int32_t) X(V128_LOAD32X2_U, 2, u64, uint32_t)
#define DEF_LOADEXT(n_, lanes, of, T)                                          \
    static void mem_##n_(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) \
    {                                                                          \
        T in[lanes];                                                           \
        v128 r;                                                                \
        memcpy(in, p, sizeof in);                                              \
        for (int i = 0; i < (lanes); i++) r.of[i] = (__typeof__(r.of[0]))(int64_t)in[i]; \
        st(d, &r);                                                             \
    }
WF_SIMD_LOADEXT(DEF_LOADEXT)

/* One lane's width: X(size, field, lanes) */
#define WF_SIMD_WIDTHS(X) X(8, u8, 16) X(16, u16, 8) X(32, u32, 4) X(64, u64, 2)
/* (static inline: the 8- and 16-bit zero-extending loads do not exist) */
#define DEF_LANEMEM(bits, field, lanes)                                        \
    static inline void mem_splat##bits(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) \
    {                                                                          \
        v128 r;                                                                \
        __typeof__(r.field[0]) x;                                              \
        memcpy(&x, p, sizeof x);                                               \
        for (int i = 0; i < (lanes); i++) r.field[i] = x;                      \
        st(d, &r);                                                             \
    }                                                                          \
    /* only the 32- and 64-bit widths have a load_zero instruction */         \
    __attribute__((unused))                                                    \
    static inline void mem_zero##bits(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) \
    {                                                                          \
        v128 r = { .u64 = { 0, 0 } };                                          \
        memcpy(&r, p, (bits) / 8);                                             \
        st(d, &r);                                                             \
    }                                                                          \
    static inline void mem_load_lane##bits(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) \
    {                                                                          \
        v128 r = ld(v);                                                        \
        memcpy(&r.field[lane & ((lanes) - 1)], p, (bits) / 8);                 \
        st(d, &r);                                                             \
    }                                                                          \
    static inline void mem_store_lane##bits(wf_slot *d, const wf_slot *v, uint8_t *p, uint32_t lane) \
    {                                                                          \
        v128 r = ld(v);                                                        \
        memcpy(p, &r.field[lane & ((lanes) - 1)], (bits) / 8);                 \
    }
WF_SIMD_WIDTHS(DEF_LANEMEM)

wf_simd_mem_fn wf_simd_mem_op(wf_opcode op, uint32_t *width, uint32_t *align, uint32_t *lanes,
                              bool *store)
{
    *lanes = 0;
    *store = false;
    *width = 16;
    *align = 4;
    switch (op) {
    case WF_OP_V128_LOAD: return mem_load;
    case WF_OP_V128_STORE: *store = true; return mem_store;
#define LOADEXT_(n_, ...) case WF_OP_##n_: *width = 8; *align = 3; return mem_##n_;
    WF_SIMD_LOADEXT(LOADEXT_)
#undef LOADEXT_
#define BY_WIDTH_(bits, lg, n)                                                          \
    case WF_OP_V128_LOAD##bits##_SPLAT: *width = bits / 8; *align = lg; return mem_splat##bits; \
    case WF_OP_V128_LOAD##bits##_LANE:                                                  \
        *width = bits / 8; *align = lg; *lanes = n; return mem_load_lane##bits;         \
    case WF_OP_V128_STORE##bits##_LANE:                                                 \
        *width = bits / 8; *align = lg; *lanes = n; *store = true; return mem_store_lane##bits;
    BY_WIDTH_(8, 0, 16) BY_WIDTH_(16, 1, 8) BY_WIDTH_(32, 2, 4) BY_WIDTH_(64, 3, 2)
#undef BY_WIDTH_
    case WF_OP_V128_LOAD32_ZERO: *width = 4; *align = 2; return mem_zero32;
    case WF_OP_V128_LOAD64_ZERO: *width = 8; *align = 3; return mem_zero64;
    default: return NULL;
    }
}
