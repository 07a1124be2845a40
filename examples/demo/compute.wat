;; compute(a, b) = a * b, logging each operand through a host function.
(module
  (import "host" "log" (func $log (param i32)))
  (func (export "compute") (param $a i32) (param $b i32) (result i32)
    (call $log (local.get $a))
    (call $log (local.get $b))
    (i32.mul (local.get $a) (local.get $b))))
