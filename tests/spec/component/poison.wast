;; A trap poisons the component instance it happens in and every instance on
;; the call path (Explainer.md: "lockdown" after a trap): no later call
;; enters them. Other instances of the same component are unaffected.
(component definition $A
  (core module $M
    (global $n (mut i32) (i32.const 0))
    (func (export "bump") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.get $n))
    (func (export "boom") (unreachable)))
  (core instance $m (instantiate $M))
  (func (export "bump") (result u32) (canon lift (core func $m "bump")))
  (func (export "boom") (canon lift (core func $m "boom"))))

(component instance $a1 $A)
(component instance $a2 $A)
(register "a1" $a1)
(assert_return (invoke $a1 "bump") (u32.const 1))
(assert_trap (invoke $a1 "boom") "unreachable")
(assert_trap (invoke $a1 "bump") "cannot enter component instance: it trapped in an earlier call")
(assert_trap (invoke $a1 "boom") "cannot enter component instance")
(assert_return (invoke $a2 "bump") (u32.const 1))

;; B calls into a poisoned instance: the call traps, and B is poisoned too
(component instance $a3 $A)
(register "a3" $a3)
(component $B
  (import "a3" (instance $a
    (export "bump" (func (result u32)))
    (export "boom" (func))))
  (core func $bump (canon lower (func $a "bump")))
  (core func $boom (canon lower (func $a "boom")))
  (core module $N
    (import "a" "bump" (func $bump (result i32)))
    (import "a" "boom" (func $boom))
    (func (export "bump") (result i32) (call $bump))
    (func (export "boom") (call $boom))
    (func (export "local") (result i32) (i32.const 7)))
  (core instance $n (instantiate $N (with "a" (instance (export "bump" (func $bump)) (export "boom" (func $boom))))))
  (func (export "bump") (result u32) (canon lift (core func $n "bump")))
  (func (export "boom") (canon lift (core func $n "boom")))
  (func (export "local") (result u32) (canon lift (core func $n "local"))))
(assert_return (invoke $B "bump") (u32.const 1))
(assert_return (invoke $B "local") (u32.const 7))
(assert_trap (invoke $B "boom") "unreachable")
(assert_trap (invoke $B "local") "cannot enter component instance")
(assert_trap (invoke $a3 "bump") "cannot enter component instance")
