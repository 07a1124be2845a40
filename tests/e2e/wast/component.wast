;; component.wast - every component command form of `wasmfn wast`, all passing
;; (checked by wast_runner.sh): component text, binary and quote forms,
;; definition / instance, register and a component importing it, invoke and
;; assert_return with every kind of typed value, assert_trap, assert_invalid,
;; assert_malformed, assert_unlinkable, and core modules in the same script.

;; Identity functions: scalars pass through one flat core value; list-shaped
;; values (strings, lists of anything) are lowered into memory by the host
;; and the core function hands their (ptr, len) back through a return area,
;; so the one core function $echo2 serves every list type.
(component $Echo
  (core module $M
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      ;; bump allocation, aligned to the requested alignment
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (func (export "id32") (param i32) (result i32) (local.get 0))
    (func (export "id64") (param i64) (result i64) (local.get 0))
    (func (export "idf32") (param f32) (result f32) (local.get 0))
    (func (export "idf64") (param f64) (result f64) (local.get 0))
    (func (export "echo2") (param i32 i32) (result i32)
      (i32.store (i32.const 8) (local.get 0))
      (i32.store (i32.const 12) (local.get 1))
      (i32.const 8))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "boom") (unreachable))
    (func (export "nothing"))
  )
  (core instance $m (instantiate $M))
  (alias core export $m "mem" (core memory $mem))
  (alias core export $m "realloc" (core func $realloc))

  ;; named types are exported before the functions using them
  (type $rec' (record (field "name" string) (field "age" u8)))
  (type $var' (variant (case "none") (case "num" u32) (case "text" string)))
  (type $color' (enum "red" "green" "blue"))
  (type $perm' (flags "read" "write" "exec"))
  (export $rec "t-rec" (type $rec'))
  (export $var "t-var" (type $var'))
  (export $color "t-color" (type $color'))
  (export $perm "t-perm" (type $perm'))

  (func (export "bool") (param "x" bool) (result bool) (canon lift (core func $m "id32")))
  (func (export "s8") (param "x" s8) (result s8) (canon lift (core func $m "id32")))
  (func (export "u8") (param "x" u8) (result u8) (canon lift (core func $m "id32")))
  (func (export "s16") (param "x" s16) (result s16) (canon lift (core func $m "id32")))
  (func (export "u16") (param "x" u16) (result u16) (canon lift (core func $m "id32")))
  (func (export "s32") (param "x" s32) (result s32) (canon lift (core func $m "id32")))
  (func (export "u32") (param "x" u32) (result u32) (canon lift (core func $m "id32")))
  (func (export "s64") (param "x" s64) (result s64) (canon lift (core func $m "id64")))
  (func (export "u64") (param "x" u64) (result u64) (canon lift (core func $m "id64")))
  (func (export "f32") (param "x" f32) (result f32) (canon lift (core func $m "idf32")))
  (func (export "f64") (param "x" f64) (result f64) (canon lift (core func $m "idf64")))
  (func (export "char") (param "x" char) (result char) (canon lift (core func $m "id32")))
  (func (export "color") (param "x" $color) (result $color) (canon lift (core func $m "id32")))
  (func (export "perm") (param "x" $perm) (result $perm) (canon lift (core func $m "id32")))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "add")))
  (func (export "boom") (canon lift (core func $m "boom")))
  (func (export "nothing") (canon lift (core func $m "nothing")))
  (func (export "string") (param "x" string) (result string)
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "bytes") (param "x" (list u8)) (result (list u8))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "pairs") (param "x" (list (tuple string u32))) (result (list (tuple string u32)))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "recs") (param "x" (list $rec)) (result (list $rec))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "vars") (param "x" (list $var)) (result (list $var))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "opts") (param "x" (list (option (list s16)))) (result (list (option (list s16))))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "results") (param "x" (list (result u64 (error string))))
    (result (list (result u64 (error string))))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "units") (param "x" (list (result))) (result (list (result)))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
  (func (export "nested") (param "x" (list (list (list char)))) (result (list (list (list char))))
    (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
)

(assert_return (invoke "bool" (bool.const true)) (bool.const true))
(assert_return (invoke "bool" (bool.const false)) (bool.const false))
(assert_return (invoke "s8" (s8.const -128)) (s8.const -128))
(assert_return (invoke "u8" (u8.const 255)) (u8.const 0xff))
(assert_return (invoke "s16" (s16.const -32768)) (s16.const -32768))
(assert_return (invoke "u16" (u16.const 65535)) (u16.const 65535))
(assert_return (invoke "s32" (s32.const -1)) (s32.const -1))
(assert_return (invoke "u32" (u32.const 0xffff_ffff)) (u32.const 4294967295))
(assert_return (invoke "s64" (s64.const -9223372036854775808)) (s64.const -9223372036854775808))
(assert_return (invoke "u64" (u64.const 18446744073709551615)) (u64.const 18446744073709551615))
(assert_return (invoke "f32" (f32.const -0x1.8p1)) (f32.const -3))
(assert_return (invoke "f32" (f32.const -0)) (f32.const -0))
(assert_return (invoke "f32" (f32.const inf)) (f32.const inf))
(assert_return (invoke "f32" (f32.const nan)) (f32.const nan:canonical))
;; lifting canonicalises every NaN
(assert_return (invoke "f32" (f32.const -nan:0x123)) (f32.const nan:arithmetic))
(assert_return (invoke "f64" (f64.const 1.5e300)) (f64.const 1.5e300))
(assert_return (invoke "f64" (f64.const nan:0x4)) (f64.const nan))
(assert_return (invoke "char" (char.const "⛳")) (char.const "\u{26f3}"))
(assert_return (invoke "char" (char.const "\00")) (char.const "\00"))
(assert_return (invoke "color" (enum.const "blue")) (enum.const "blue"))
(assert_return (invoke "perm" (flags.const "exec" "read")) (flags.const "read" "exec"))
(assert_return (invoke "perm" (flags.const)) (flags.const))
(assert_return (invoke "add" (u32.const 40) (u32.const 2)) (u32.const 42))
(assert_return (invoke "nothing"))
(invoke "nothing")
(assert_return (invoke "string" (str.const "")) (str.const ""))
(assert_return (invoke "string" (str.const "héllo, \u{1f370}\00!")) (str.const "héllo, 🍰\00!"))
(assert_return (invoke "bytes" (list.const (u8.const 0) (u8.const 255))) (list.const (u8.const 0) (u8.const 255)))
(assert_return (invoke "bytes" (list.const)) (list.const))
(assert_return
  (invoke "pairs" (list.const (tuple.const (str.const "a") (u32.const 1))
                              (tuple.const (str.const "bc") (u32.const 23))))
  (list.const (tuple.const (str.const "a") (u32.const 1))
              (tuple.const (str.const "bc") (u32.const 23))))
(assert_return
  (invoke "recs" (list.const (record.const (field "name" str.const "ann") (field "age" u8.const 31))))
  (list.const (record.const (field "name" str.const "ann") (field "age" u8.const 31))))
(assert_return
  (invoke "vars" (list.const (variant.const "none") (variant.const "num" (u32.const 7))
                             (variant.const "text" (str.const "x"))))
  (list.const (variant.const "none") (variant.const "num" (u32.const 7))
              (variant.const "text" (str.const "x"))))
(assert_return
  (invoke "opts" (list.const (option.none) (option.some (list.const (s16.const -2)))))
  (list.const (option.none) (option.some (list.const (s16.const -2)))))
(assert_return
  (invoke "results" (list.const (result.ok (u64.const 9)) (result.err (str.const "no"))))
  (list.const (result.ok (u64.const 9)) (result.err (str.const "no"))))
(assert_return (invoke "units" (list.const (result.ok) (result.err))) (list.const (result.ok) (result.err)))
(assert_return
  (invoke "nested" (list.const (list.const (list.const (char.const "a")) (list.const))))
  (list.const (list.const (list.const (char.const "a")) (list.const))))
(assert_trap (invoke "boom") "unreachable")
;; a trap poisons the instance (Explainer.md: lockdown after a trap): no
;; later call enters it
(assert_trap (invoke "u8" (u8.const 1)) "cannot enter component instance")

;; definition, instances of it, register, and a component importing it
(component definition $Counter
  (core module $M
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (global.get $n)))
  (core instance $m (instantiate $M))
  (func (export "next") (result u32) (canon lift (core func $m "next"))))
(component instance $c1 $Counter)
(component instance $c2 $Counter)
(assert_return (invoke $c1 "next") (u32.const 1))
(assert_return (invoke $c1 "next") (u32.const 2))
(assert_return (invoke $c2 "next") (u32.const 1))   ;; its own state
(assert_return (invoke "next") (u32.const 2))       ;; the current one is $c2
(register "counter" $c1)

(component $User
  (import "counter" (instance $c (export "next" (func (result u32)))))
  (core func $next (canon lower (func $c "next")))
  (core module $M
    (import "c" "next" (func $next (result i32)))
    (func (export "twice") (result i32) (drop (call $next)) (call $next)))
  (core instance $m (instantiate $M (with "c" (instance (export "next" (func $next))))))
  (func (export "twice") (result u32) (canon lift (core func $m "twice"))))
(assert_return (invoke "twice") (u32.const 4))
(assert_return (invoke $c1 "next") (u32.const 5))   ;; the same instance

;; binary and quote forms
(component binary "\00asm" "\0d\00\01\00")
(component $Q quote
  "(core module $M (func (export \"f\") (result i32) (i32.const 7)))"
  "(core instance $m (instantiate $M))"
  "(func (export \"f\") (result u8) (canon lift (core func $m \"f\")))")
(assert_return (invoke $Q "f") (u8.const 7))

;; assertions on components
(assert_invalid
  (component (func (export "f") (canon lift (core func 0))))
  "core func index out of bounds")
(assert_invalid
  (component (type (record (field "a" u8) (field "a" u8))))
  "duplicate field")
(assert_malformed (component quote "(func") "unexpected end")
(assert_malformed (component binary "\00asm" "\0d\00\01\00" "\ff") "malformed section id")
(assert_unlinkable
  (component (import "missing" (instance (export "f" (func)))))
  "missing")
(assert_unlinkable
  (component (import "counter" (instance (export "prev" (func (result u32))))))
  "prev")
(assert_unlinkable
  (component (import "counter" (instance (export "next" (func (result string))))))
  "wrong type")
(assert_unlinkable
  (component (import "counter" (instance (export "next" (func (param "x" u32) (result u32))))))
  "wrong type")
(assert_trap
  (component
    (core module $M (func $s unreachable) (start $s))
    (core instance (instantiate $M)))
  "unreachable")

;; core modules keep working in the same script, and invoke goes to
;; whichever was loaded last
(module (func (export "f") (result i32) (i32.const 11)))
(assert_return (invoke "f") (i32.const 11))
(assert_return (invoke $Q "f") (u8.const 7))
(component $Last
  (core module $M (func (export "f") (result i32) (i32.const 12)))
  (core instance $m (instantiate $M))
  (func (export "f") (result s32) (canon lift (core func $m "f"))))
(assert_return (invoke "f") (s32.const 12))

;; functions of an exported instance: "iface#f", by the full name, without
;; its version, or by the last path segment
(component
  (core module $M (func (export "f") (result i32) (i32.const 5)))
  (core instance $m (instantiate $M))
  (func $f (result u32) (canon lift (core func $m "f")))
  (instance $i (export "get" (func $f)))
  (export "a:b/api@1.0.0" (instance $i)))
(assert_return (invoke "a:b/api@1.0.0#get") (u32.const 5))
(assert_return (invoke "a:b/api#get") (u32.const 5))
(assert_return (invoke "api#get") (u32.const 5))
