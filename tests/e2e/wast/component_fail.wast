;; component_fail.wast - one failure of each kind in a component script
;; (wast_runner.sh checks every line of the output).
(component $C
  (core module $M
    (func (export "id") (param i32) (result i32) (local.get 0))
    (func (export "boom") (unreachable)))
  (core instance $m (instantiate $M))
  (func (export "u8") (param "x" u8) (result u8) (canon lift (core func $m "id")))
  (func (export "boom") (canon lift (core func $m "boom"))))
(assert_return (invoke "u8" (u8.const 3)) (u8.const 4))
(assert_return (invoke "u8" (u8.const 3)) (u16.const 3))
(assert_trap (invoke "u8" (u8.const 1)) "unreachable")
(assert_return (invoke "boom") (u8.const 0))
(assert_trap (invoke "boom") "out of bounds")
(assert_return (invoke "missing"))
(assert_return (invoke "u8" (str.const "x")) (u8.const 0))
(assert_return (invoke "u8" (u8.const 300)) (u8.const 0))
(assert_invalid (component) "duplicate")
(assert_malformed (component binary "\00asm" "\0d\00\01\00") "malformed")
(assert_unlinkable (component) "missing")
(component (import "nope" (func)))
(assert_return (invoke "f"))
(assert_trap (invoke $C "u8" (u8.const 3)) "cannot enter component instance")
