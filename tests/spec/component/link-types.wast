;; An instance import satisfied by a registered instance: function types are
;; checked in full, resources by identity (the import's resource exports are
;; the provider's, and handle types must name the same resource).
(component definition $P
  (type $R (resource (rep i32)))
  (type $Q (resource (rep i32)))
  (core func $newR (canon resource.new $R))
  (core func $newQ (canon resource.new $Q))
  (core module $M
    (import "" "r" (func $r (param i32) (result i32)))
    (import "" "q" (func $q (param i32) (result i32)))
    (func (export "make-r") (result i32) (call $r (i32.const 1)))
    (func (export "make-q") (result i32) (call $q (i32.const 2)))
    (func (export "take") (param i32 i32)))
  (core instance $m (instantiate $M (with "" (instance (export "r" (func $newR)) (export "q" (func $newQ))))))
  (export $R' "r" (type $R))
  (export $Q' "q" (type $Q))
  (func (export "make-r") (result (own $R')) (canon lift (core func $m "make-r")))
  (func (export "make-q") (result (own $Q')) (canon lift (core func $m "make-q")))
  (func (export "take") (param "x" (list u8 2)) (canon lift (core func $m "take"))))
(component instance $p $P)
(register "p" $p)

;; the same resources and types: links, and the handle goes through
(component
  (import "p" (instance $p
    (export "r" (type $r (sub resource)))
    (export "make-r" (func (result (own $r))))))
  (core func $make (canon lower (func $p "make-r")))
  (core module $N
    (import "" "make" (func $make (result i32)))
    (func (export "f") (result i32) (call $make)))
  (core instance $n (instantiate $N (with "" (instance (export "make" (func $make))))))
  (func (export "f") (result u32) (canon lift (core func $n "f"))))
(assert_return (invoke "f") (u32.const 1))

;; make-q returns a q, not the r the import says
(assert_unlinkable
  (component
    (import "p" (instance
      (export "r" (type $r (sub resource)))
      (export "make-q" (func (result (own $r)))))))
  "function `make-q` has the wrong type")

;; a fixed-length list is not a list of another length
(assert_unlinkable
  (component
    (import "p" (instance (export "take" (func (param "x" (list u8 3)))))))
  "function `take` has the wrong type (x parameter)")
(assert_unlinkable
  (component
    (import "p" (instance (export "take" (func (param "x" (list u8)))))))
  "wrong type")
(component
  (import "p" (instance (export "take" (func (param "x" (list u8 2)))))))
