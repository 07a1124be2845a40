;; An export whose ascribed type is (sub resource) but whose item is not a
;; resource: invalid, never a crash (issue 15: these 34 bytes made `wasmfn
;; check` and `call` dereference the missing resource of the item).
(assert_invalid
  (component binary
    "\00asm\0d\00\01\00\07\05\01\40\00\00\79\0b\11\02\00\02\72\31\03\00"
    "\01\03\01\00\10\01\03\01\05\00")
  "type mismatch in ascribed type of export `r1`: expected a resource type")

;; The same in text: a function type exported as a resource.
(assert_invalid
  (component
    (type $f (func))
    (export "r1" (type $f) (type (sub resource))))
  "expected a resource type")

;; A resource ascribed (sub resource) is fine.
(component
  (type $r (resource (rep i32)))
  (export "r1" (type $r) (type (sub resource))))
