;; wasmfn's choice among the results relaxed SIMD allows (src/wasm/simd.c):
;; the same exact result on every tier, where the reference suite accepts
;; any of several (`either`). Each function is also called with its result
;; compared against the non-relaxed instruction it behaves as.

(module
  (func (export "swizzle") (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "trunc_s") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "trunc_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "trunc_s_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func (export "trunc_u_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func (export "madd32") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd32") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "madd64") (param v128 v128 v128) (result v128)
    (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd64") (param v128 v128 v128) (result v128)
    (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect8") (param v128 v128 v128) (result v128)
    (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect64") (param v128 v128 v128) (result v128)
    (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "min32") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "max64") (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func (export "q15") (param v128 v128) (result v128) (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func (export "dot") (param v128 v128) (result v128)
    (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "dot_add") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
)

;; out-of-range indices give 0, as i8x16.swizzle
(assert_return (invoke "swizzle"
                       (v128.const i8x16 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25)
                       (v128.const i8x16 15 16 128 255 0 1 31 17 2 3 4 5 6 7 8 9))
               (v128.const i8x16 25 0 0 0 10 11 0 0 12 13 14 15 16 17 18 19))
;; NaN gives 0 and out-of-range values saturate, as trunc_sat
(assert_return (invoke "trunc_s" (v128.const f32x4 nan -inf 3e9 -2.5))
               (v128.const i32x4 0 -2147483648 2147483647 -2))
(assert_return (invoke "trunc_u" (v128.const f32x4 nan -1.0 5e9 2.5))
               (v128.const i32x4 0 0 -1 2))
(assert_return (invoke "trunc_s_zero" (v128.const f64x2 -1e10 nan))
               (v128.const i32x4 -2147483648 0 0 0))
(assert_return (invoke "trunc_u_zero" (v128.const f64x2 1e10 7.9))
               (v128.const i32x4 -1 7 0 0))
;; unfused: FLT_MAX * 2 rounds to inf before the sum; the product of
;; (1 + 2^-22)(1 + 2^-15) rounds away the 2^-37 a fused one keeps
(assert_return (invoke "madd32"
                       (v128.const f32x4 0x1.fffffep+127 0x1.000004p+0 1.0 2.0)
                       (v128.const f32x4 2.0 0x1.0002p+0 3.0 -4.0)
                       (v128.const f32x4 -0x1.fffffep+127 -0x1.000204p+0 0.5 1.0))
               (v128.const f32x4 inf 0 3.5 -7.0))
(assert_return (invoke "nmadd32"
                       (v128.const f32x4 -0x1.000004p+0 1.0 2.0 0)
                       (v128.const f32x4 0x1.0002p+0 3.0 -4.0 0)
                       (v128.const f32x4 -0x1.000204p+0 0.5 1.0 0))
               (v128.const f32x4 0 -2.5 9.0 0))
(assert_return (invoke "madd64"
                       (v128.const f64x2 0x1.fffffffffffffp+1023 0x1.0000000000001p+0)
                       (v128.const f64x2 2.0 0x1.0000000000001p+0)
                       (v128.const f64x2 -0x1.fffffffffffffp+1023 -0x1.0000000000002p+0))
               (v128.const f64x2 inf 0))
(assert_return (invoke "nmadd64"
                       (v128.const f64x2 1.5 -0x1.0000000000001p+0)
                       (v128.const f64x2 2.0 0x1.0000000000001p+0)
                       (v128.const f64x2 0.25 -0x1.0000000000002p+0))
               (v128.const f64x2 -2.75 0))
;; bitwise, as v128.bitselect, whatever the mask's lanes
(assert_return (invoke "laneselect8"
                       (v128.const i64x2 0x0123456789abcdef 0xffffffffffffffff)
                       (v128.const i64x2 0xfedcba9876543210 0)
                       (v128.const i64x2 0x00ff00ff0f0f0f0f 0x8000000000000001))
               (v128.const i64x2 0xfe23ba67795b3d1f 0x8000000000000001))
(assert_return (invoke "laneselect64"
                       (v128.const i64x2 -1 0)
                       (v128.const i64x2 0 -1)
                       (v128.const i64x2 0x7fffffff00000000 0x1))
               (v128.const i64x2 0x7fffffff00000000 0xfffffffffffffffe))
;; NaN propagates and -0 < +0, as f32x4.min / f64x2.max
(assert_return (invoke "min32" (v128.const f32x4 nan 0 -0.0 1) (v128.const f32x4 1 nan 0 -1))
               (v128.const f32x4 nan:canonical nan:canonical -0.0 -1))
(assert_return (invoke "max64" (v128.const f64x2 -0.0 nan) (v128.const f64x2 0 1))
               (v128.const f64x2 0 nan:canonical))
;; saturates the one overflowing case, as q15mulr_sat_s
(assert_return (invoke "q15" (v128.const i16x8 -32768 -32767 32767 16384 0 0 0 0)
                             (v128.const i16x8 -32768 -32768 32767 16384 0 0 0 0))
               (v128.const i16x8 32767 32767 32766 8192 0 0 0 0))
;; the second operand signed too (-128 * -127 * 2 = 32512; -128 * -128 + 127 * -128 = 128)
(assert_return (invoke "dot" (v128.const i8x16 -128 -128 -128 127 0 0 0 0 0 0 0 0 0 0 0 0)
                             (v128.const i8x16 -127 -127 -128 -128 0 0 0 0 0 0 0 0 0 0 0 0))
               (v128.const i16x8 32512 128 0 0 0 0 0 0))
(assert_return (invoke "dot_add" (v128.const i8x16 -128 -128 -128 -128 1 2 3 4 0 0 0 0 0 0 0 0)
                                 (v128.const i8x16 -127 -127 -127 -127 -1 -1 -1 -1 0 0 0 0 0 0 0 0)
                                 (v128.const i32x4 1 2 3 4))
               (v128.const i32x4 65025 -8 3 4))
