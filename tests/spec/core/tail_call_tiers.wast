;; Tail calls between the tiers (src/wasm/jit): a chain of a million tail
;; calls between compiled functions and functions the compiled tier leaves
;; interpreted: run with WASMFN_JIT_HUGE_BYTES=100 (tests/CMakeLists.txt),
;; functions of over 100 bytes of code (the padded ones, *_interp) stay
;; interpreted, through return_call,
;; return_call_indirect and return_call_ref, to a function of another
;; signature and of another instance, must run in constant stack on every
;; tier (`wast --tier=interp|compiled|auto`), never "call stack exhausted".

(module $other
  ;; interpreted (padded over 100 bytes): counts down, tail-calls back through the table
  (type $t (func (param i64 i64) (result i64)))
  (table $tab (export "tab") 2 funcref)
  (func $odd (export "odd") (param $n i64) (param $acc i64) (result i64)
    (block nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect $tab (type $t)
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 3))
              (i32.const 0)))))
)
(register "other" $other)

(module
  (type $t (func (param i64 i64) (result i64)))
  (type $t3 (func (param i32 i64 i64) (result i64)))
  (import "other" "odd" (func $other_odd (type $t)))
  (import "other" "tab" (table $other_tab 2 funcref))
  (table $tab 8 funcref)
  (elem (table $tab) (i32.const 0) func $even_ind $odd_interp $even_ref $odd_ref_interp $wide_interp)
  (elem declare func $odd_ref_interp $even_ref)

  ;; 1. compiled -> interpreted by return_call_indirect, back by return_call
  (func $even_ind (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect $tab (type $t)
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 1))
              (i32.const 1)))))
  (func $odd_interp (param $n i64) (param $acc i64) (result i64)
    (block nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $even_ind
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 2))))))
  (func (export "indirect") (param i64) (result i64)
    (call $even_ind (local.get 0) (i64.const 0)))

  ;; 2. compiled -> interpreted by return_call_ref, back by return_call_indirect
  (func $even_ref (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_ref $t
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 1))
              (ref.func $odd_ref_interp)))))
  (func $odd_ref_interp (param $n i64) (param $acc i64) (result i64)
    (block nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect $tab (type $t)
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 5))
              (i32.const 2)))))
  (func (export "ref") (param i64) (result i64)
    (call $even_ref (local.get 0) (i64.const 0)))

  ;; 3. compiled -> interpreted of the same unit by a direct return_call,
  ;; and to another signature
  (func $even_direct (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $odd_direct
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 1))))))
  (func $odd_direct (param $n i64) (param $acc i64) (result i64)
    (block nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $wide
              (i32.const 7)
              (i64.sub (local.get $n) (i64.const 1))
              (local.get $acc)))))
  ;; compiled, of another signature: back to $even_direct
  (func $wide (param $k i32) (param $n i64) (param $acc i64) (result i64)
    (return_call $even_direct
      (local.get $n)
      (i64.add (local.get $acc) (i64.extend_i32_u (local.get $k)))))
  (func $wide_interp (param $k i32) (param $n i64) (param $acc i64) (result i64)
    (block nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop)
    (return_call $even_direct (local.get $n) (local.get $acc)))
  (func (export "direct") (param i64) (result i64)
    (call $even_direct (local.get 0) (i64.const 0)))

  ;; 4. compiled -> another instance's interpreted function (an import),
  ;; which tail-calls back through its table
  (func $even_cross (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $other_odd
              (i64.sub (local.get $n) (i64.const 1))
              (i64.add (local.get $acc) (i64.const 1))))))
  (func (export "cross") (param i64) (result i64)
    (table.set $other_tab (i32.const 0) (ref.func $even_cross))
    (call $even_cross (local.get 0) (i64.const 0)))
  (elem declare func $even_cross)

  ;; the chains from inside a compiled caller that goes on afterwards
  (func (export "sum") (param i64) (result i64)
    (i64.add
      (i64.add (call $even_ind (local.get 0) (i64.const 0))
               (call $even_ref (local.get 0) (i64.const 0)))
      (i64.add (call $even_direct (local.get 0) (i64.const 0))
               (call $even_cross (local.get 0) (i64.const 0)))))
)

;; n steps alternate: n/2 of each function's increment
(assert_return (invoke "indirect" (i64.const 10)) (i64.const 15))
(assert_return (invoke "indirect" (i64.const 1000000)) (i64.const 1500000))
(assert_return (invoke "indirect" (i64.const 1000001)) (i64.const 1500001))
(assert_return (invoke "ref" (i64.const 1000000)) (i64.const 3000000))
(assert_return (invoke "direct" (i64.const 10)) (i64.const 40))
(assert_return (invoke "direct" (i64.const 1000000)) (i64.const 4000000))
(assert_return (invoke "cross" (i64.const 1000000)) (i64.const 2000000))
(assert_return (invoke "sum" (i64.const 1000000)) (i64.const 10500000))
