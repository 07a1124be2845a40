;; Recursive factorial on 64-bit integers, with a tail call.
(module
  (func $fac (export "fac") (param $n i64) (result i64)
    (return_call $fac-acc (local.get $n) (i64.const 1)))
  (func $fac-acc (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.le_u (local.get $n) (i64.const 1))
      (then (local.get $acc))
      (else (return_call $fac-acc (i64.sub (local.get $n) (i64.const 1))
                                  (i64.mul (local.get $n) (local.get $acc)))))))
