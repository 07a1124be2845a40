;; The serving tests' text functions, by the Canonical ABI (strings and lists
;; as pointer and length, results through a return area):
;;   greet(name: string) -> string                "Hello, " + name
;;   greet-opt(name: option<string>) -> string    the same, "Hello, stranger" for none
;;   echo(b: list<u8>) -> list<u8>                the bytes back
(module
  (memory (export "memory") 2)
  (global $top (mut i32) (i32.const 65536))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get 3)))
    (local.get $p))
  (data (i32.const 16) "Hello, stranger")
  ;; "Hello, " + [ptr, ptr+len) at 4096; (ptr, len) of it at 2048
  (func $hello (param $ptr i32) (param $len i32) (result i32)
    (memory.copy (i32.const 4096) (i32.const 16) (i32.const 7))
    (memory.copy (i32.const 4103) (local.get $ptr) (local.get $len))
    (i32.store (i32.const 2048) (i32.const 4096))
    (i32.store (i32.const 2052) (i32.add (local.get $len) (i32.const 7)))
    (i32.const 2048))
  (func (export "greet") (param i32 i32) (result i32)
    (call $hello (local.get 0) (local.get 1)))
  (func (export "greet-opt") (param $some i32) (param i32 i32) (result i32)
    (if (result i32) (local.get $some)
      (then (call $hello (local.get 1) (local.get 2)))
      (else (call $hello (i32.const 23) (i32.const 8)))))
  (func (export "echo") (param i32 i32) (result i32)
    (i32.store (i32.const 2048) (local.get 0))
    (i32.store (i32.const 2052) (local.get 1))
    (i32.const 2048)))
