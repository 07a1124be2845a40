/*
 * kernels.c - small integer and float kernels written twice: with the
 * WebAssembly SIMD intrinsics (wasm_simd128.h) when built with -msimd128,
 * and as plain C otherwise (the native build, the reference). simd.sh
 * compares their output line for line: the engine's v128 instructions
 * must give exactly what the scalar C semantics give.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 1024

static int16_t a16[N], b16[N];
static uint8_t u8a[N], u8b[N], u8r[N];
static float fa[N], fb[N], fr[N];
static int32_t ir[N];

static uint32_t hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

static int32_t dot16(void)
{
#ifdef __wasm_simd128__
    v128_t acc = wasm_i32x4_splat(0);
    for (int i = 0; i < N; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(&a16[i]), wasm_v128_load(&b16[i])));
    return wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
           wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
#else
    int32_t s = 0;
    for (int i = 0; i < N; i++) s += a16[i] * b16[i];
    return s;
#endif
}

/* saturating add, unsigned average, min and max of bytes */
static void bytes(void)
{
#ifdef __wasm_simd128__
    for (int i = 0; i < N; i += 16) {
        v128_t x = wasm_v128_load(&u8a[i]), y = wasm_v128_load(&u8b[i]);
        v128_t r = wasm_u8x16_add_sat(x, y);
        r = wasm_v128_xor(r, wasm_u8x16_avgr(x, y));
        r = wasm_i8x16_sub(r, wasm_u8x16_min(x, y));
        r = wasm_v128_or(r, wasm_i8x16_max(x, y));
        wasm_v128_store(&u8r[i], r);
    }
#else
    for (int i = 0; i < N; i++) {
        unsigned x = u8a[i], y = u8b[i];
        unsigned r = x + y > 255 ? 255 : x + y;
        r ^= (x + y + 1) >> 1;
        r = (uint8_t)(r - (x < y ? x : y));
        r |= (uint8_t)((int8_t)x > (int8_t)y ? x : y);
        u8r[i] = (uint8_t)r;
    }
#endif
}

/* the byte index of the first zero, 16 at a time (i8x16.eq + bitmask) */
static int find_zero(const uint8_t *s, int n)
{
#ifdef __wasm_simd128__
    for (int i = 0; i < n; i += 16) {
        int m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + i), wasm_i8x16_splat(0)));
        if (m) return i + __builtin_ctz(m);
    }
    return -1;
#else
    for (int i = 0; i < n; i++)
        if (!s[i]) return i;
    return -1;
#endif
}

/* byte order of each 32-bit word reversed (i8x16.shuffle), then swizzled
 * by a table with indices out of range (zeros) */
static void shuffles(void)
{
#ifdef __wasm_simd128__
    v128_t idx = wasm_i8x16_make(15, 0, 17, 3, 200, 5, 6, 16, 8, 9, 10, 11, 12, 13, 14, 1);
    for (int i = 0; i < N; i += 16) {
        v128_t x = wasm_v128_load(&u8a[i]);
        v128_t r = wasm_i8x16_shuffle(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        wasm_v128_store(&u8r[i], wasm_i8x16_swizzle(r, idx));
    }
#else
    static const int idx[16] = { 15, 0, 17, 3, 200, 5, 6, 16, 8, 9, 10, 11, 12, 13, 14, 1 };
    for (int i = 0; i < N; i += 16) {
        uint8_t r[16];
        for (int k = 0; k < 16; k++) r[k] = u8a[i + (k & ~3) + 3 - (k & 3)];
        for (int k = 0; k < 16; k++) u8r[i + k] = idx[k] < 16 ? r[idx[k]] : 0;
    }
#endif
}

/* float lanes: fused-free a*b+c, sqrt, then truncation to i32 (saturating) */
static void floats(void)
{
#ifdef __wasm_simd128__
    for (int i = 0; i < N; i += 4) {
        v128_t x = wasm_v128_load(&fa[i]), y = wasm_v128_load(&fb[i]);
        v128_t r = wasm_f32x4_add(wasm_f32x4_mul(x, y), wasm_f32x4_sqrt(wasm_f32x4_abs(x)));
        r = wasm_f32x4_min(r, wasm_f32x4_splat(1e9f));
        wasm_v128_store(&fr[i], r);
        wasm_v128_store(&ir[i], wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_mul(r, wasm_f32x4_splat(1e3f))));
    }
#else
    for (int i = 0; i < N; i++) {
        float r = fa[i] * fb[i] + sqrtf(fabsf(fa[i]));
        r = r < 1e9f ? r : 1e9f;
        fr[i] = r;
        float t = r * 1e3f;
        ir[i] = t != t ? 0 : t >= 2147483648.0f ? INT32_MAX : t < -2147483648.0f ? INT32_MIN : (int32_t)t;
    }
#endif
}

/* widening and narrowing: i16 -> i32 products back to i16 with saturation */
static void widen_narrow(int16_t *out)
{
#ifdef __wasm_simd128__
    for (int i = 0; i < N; i += 8) {
        v128_t x = wasm_v128_load(&a16[i]), y = wasm_v128_load(&b16[i]);
        v128_t lo = wasm_i32x4_shr(wasm_i32x4_extmul_low_i16x8(x, y), 6);
        v128_t hi = wasm_i32x4_shr(wasm_i32x4_extmul_high_i16x8(x, y), 6);
        wasm_v128_store(&out[i], wasm_i16x8_narrow_i32x4(lo, hi));
    }
#else
    for (int i = 0; i < N; i++) {
        int32_t p = (a16[i] * b16[i]) >> 6;
        out[i] = (int16_t)(p > 32767 ? 32767 : p < -32768 ? -32768 : p);
    }
#endif
}

/* a plain loop the compiler vectorizes itself under -msimd128 */
static void saxpy(float k)
{
    for (int i = 0; i < N; i++) fr[i] = k * fa[i] + fb[i];
}

int main(void)
{
    uint32_t seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        a16[i] = (int16_t)(seed >> 8);
        b16[i] = (int16_t)(seed >> 13);
        u8a[i] = (uint8_t)(seed >> 16);
        u8b[i] = (uint8_t)(seed >> 21) | 1;
        fa[i] = (float)(int32_t)(seed >> 4) / 65536.0f;
        fb[i] = (float)(seed % 1000) / 7.0f - 50.0f;
    }
    printf("dot16 %d\n", dot16());
    bytes();
    printf("bytes %08x\n", hash(u8r, N));
    u8a[700] = 0;
    printf("zero %d\n", find_zero(u8b, N));
    printf("zero %d\n", find_zero(u8a, N));
    shuffles();
    printf("shuffle %08x\n", hash(u8r, N));
    floats();
    printf("floats %08x %08x\n", hash(fr, sizeof fr), hash(ir, sizeof ir));
    int16_t w[N];
    widen_narrow(w);
    printf("narrow %08x\n", hash(w, sizeof w));
    saxpy(0.75f);
    printf("saxpy %08x\n", hash(fr, sizeof fr));
    return 0;
}
