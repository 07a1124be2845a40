;; wasmfn's own component script: fixed-length lists `(list T N)` and maps
;; `(map K V)` through the Canonical ABI (CanonicalABI.md: a fixed list is
;; laid out and flattened as a tuple of N elements, a map as
;; list<tuple<K, V>>), host <-> guest and guest <-> guest.

(component definition $C
  (core module $M
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $r) (local.get 3)))
      (local.get $r))
    ;; (list u32 3) flattens to three i32 params
    (func (export "sum3") (param i32 i32 i32) (result i32)
      (i32.add (local.get 0) (i32.add (local.get 1) (local.get 2))))
    ;; (list u8 4) result: 4 flat values > 1, so returned through memory
    (func (export "rev") (param i32 i32 i32 i32) (result i32)
      (i32.store8 offset=100 (i32.const 0) (local.get 3))
      (i32.store8 offset=101 (i32.const 0) (local.get 2))
      (i32.store8 offset=102 (i32.const 0) (local.get 1))
      (i32.store8 offset=103 (i32.const 0) (local.get 0))
      (i32.const 100))
    ;; (list u64 20): 20 flat params > 16, so the host spills them to memory
    (func (export "big") (param $p i32) (result i64)
      (local $i i32) (local $s i64)
      (loop $l
        (local.set $s (i64.add (local.get $s)
          (i64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))
      (local.get $s))
    ;; (list u32 1) result: one flat value, lifted flat
    (func (export "one") (result i32) (i32.const 42))
    ;; (map string u32): (ptr, len) of 12-byte entries (string at 0, u32 at 8)
    (func (export "msum") (param $p i32) (param $n i32) (result i32)
      (local $s i32)
      (block $done
        (loop $l
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s)
            (i32.mul (i32.load offset=8 (local.get $p)) (i32.load offset=4 (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 12)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l)))
      (local.get $s))
    ;; (map u8 (list u16 2)) result: entries of 6 bytes (u8 at 0, u16 x2 at 2)
    (data (i32.const 200) "\07\00\01\00\02\00\09\00\ff\ff\00\00")
    (func (export "mk") (result i32)
      (i32.store (i32.const 300) (i32.const 200))
      (i32.store (i32.const 304) (i32.const 2))
      (i32.const 300))
  )
  (core instance $m (instantiate $M))
  (func (export "sum3") (param "v" (list u32 3)) (result u32)
    (canon lift (core func $m "sum3")))
  (func (export "rev") (param "v" (list u8 4)) (result (list u8 4))
    (canon lift (core func $m "rev") (memory (core memory $m "mem"))))
  (func (export "big") (param "v" (list u64 20)) (result u64)
    (canon lift (core func $m "big") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
  (func (export "one") (result (list u32 1))
    (canon lift (core func $m "one")))
  (func (export "msum") (param "m" (map string u32)) (result u32)
    (canon lift (core func $m "msum") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
  (func (export "mk") (result (map u8 (list u16 2)))
    (canon lift (core func $m "mk") (memory (core memory $m "mem"))))
)

(component instance $c $C)
(assert_return (invoke "sum3" (list.const (u32.const 1) (u32.const 20) (u32.const 300))) (u32.const 321))
(assert_return (invoke "rev" (list.const (u8.const 1) (u8.const 2) (u8.const 3) (u8.const 4)))
  (list.const (u8.const 4) (u8.const 3) (u8.const 2) (u8.const 1)))
(assert_return
  (invoke "big" (list.const
    (u64.const 1) (u64.const 2) (u64.const 3) (u64.const 4) (u64.const 5)
    (u64.const 6) (u64.const 7) (u64.const 8) (u64.const 9) (u64.const 10)
    (u64.const 11) (u64.const 12) (u64.const 13) (u64.const 14) (u64.const 15)
    (u64.const 16) (u64.const 17) (u64.const 18) (u64.const 19) (u64.const 0x100000000)))
  (u64.const 4294967486))
(assert_return (invoke "one") (list.const (u32.const 42)))
;; msum adds len(key) * value over the entries
(assert_return
  (invoke "msum" (list.const (tuple.const (str.const "ab") (u32.const 10))
                             (tuple.const (str.const "xyz") (u32.const 100))
                             (tuple.const (str.const "ab") (u32.const 1))))
  (u32.const 322))
(assert_return (invoke "msum" (list.const)) (u32.const 0))
(assert_return (invoke "mk")
  (list.const (tuple.const (u8.const 7) (list.const (u16.const 1) (u16.const 2)))
              (tuple.const (u8.const 9) (list.const (u16.const 65535) (u16.const 0)))))

;; The same functions called from another component: the adapter lifts from
;; one instance and lowers into the other (fixed lists flat and in memory,
;; maps through realloc).
(component
  (import "c" (instance $c
    (export "sum3" (func (param "v" (list u32 3)) (result u32)))
    (export "rev" (func (param "v" (list u8 4)) (result (list u8 4))))
    (export "big" (func (param "v" (list u64 20)) (result u64)))
    (export "msum" (func (param "m" (map string u32)) (result u32)))
    (export "mk" (func (result (map u8 (list u16 2)))))
  ))
  (core module $Mem
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $r) (local.get 3)))
      (local.get $r)))
  (core instance $mem (instantiate $Mem))
  (core func $sum3 (canon lower (func $c "sum3")))
  (core func $rev (canon lower (func $c "rev") (memory (core memory $mem "mem"))))
  (core func $big (canon lower (func $c "big") (memory (core memory $mem "mem"))))
  (core func $msum (canon lower (func $c "msum") (memory (core memory $mem "mem"))))
  (core func $mk (canon lower (func $c "mk") (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
  (core module $D
    (import "m" "mem" (memory 1))
    (import "c" "sum3" (func $sum3 (param i32 i32 i32) (result i32)))
    (import "c" "rev" (func $rev (param i32 i32 i32 i32 i32)))
    (import "c" "big" (func $big (param i32) (result i64)))
    (import "c" "msum" (func $msum (param i32 i32) (result i32)))
    (import "c" "mk" (func $mk (param i32)))
    (data (i32.const 64) "kk")
    ;; 7 + 8 + 9
    (func (export "t-sum3") (result i32) (call $sum3 (i32.const 7) (i32.const 8) (i32.const 9)))
    ;; rev [5,6,7,8] -> [8,7,6,5]: read back as a little-endian u32
    (func (export "t-rev") (result i32)
      (call $rev (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 16))
      (i32.load (i32.const 16)))
    ;; big over 20 u64s 1..20 stored at 512
    (func (export "t-big") (result i64)
      (local $i i32)
      (loop $l
        (i64.store (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 3)))
                   (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))
      (call $big (i32.const 512)))
    ;; msum of {"kk": 5, "kk": 6} (entries at 1024: ptr 64 len 2, value)
    (func (export "t-msum") (result i32)
      (i32.store (i32.const 1024) (i32.const 64)) (i32.store (i32.const 1028) (i32.const 2))
      (i32.store (i32.const 1032) (i32.const 5))
      (i32.store (i32.const 1036) (i32.const 64)) (i32.store (i32.const 1040) (i32.const 2))
      (i32.store (i32.const 1044) (i32.const 6))
      (call $msum (i32.const 1024) (i32.const 2)))
    ;; mk: (ptr, len) at 32; returns len * 1000 + key of entry 1 * 100 + its second u16 % 100
    (func (export "t-mk") (result i32)
      (local $p i32)
      (call $mk (i32.const 32))
      (local.set $p (i32.load (i32.const 32)))
      (i32.add (i32.mul (i32.load (i32.const 36)) (i32.const 1000))
        (i32.add (i32.mul (i32.load8_u offset=6 (local.get $p)) (i32.const 100))
                 (i32.rem_u (i32.load16_u offset=10 (local.get $p)) (i32.const 100)))))
  )
  (core instance $d (instantiate $D
    (with "m" (instance $mem))
    (with "c" (instance
      (export "sum3" (func $sum3)) (export "rev" (func $rev)) (export "big" (func $big))
      (export "msum" (func $msum)) (export "mk" (func $mk))))))
  (func (export "t-sum3") (result u32) (canon lift (core func $d "t-sum3")))
  (func (export "t-rev") (result u32) (canon lift (core func $d "t-rev")))
  (func (export "t-big") (result u64) (canon lift (core func $d "t-big")))
  (func (export "t-msum") (result u32) (canon lift (core func $d "t-msum")))
  (func (export "t-mk") (result u32) (canon lift (core func $d "t-mk")))
)
(assert_return (invoke "t-sum3") (u32.const 24))
(assert_return (invoke "t-rev") (u32.const 0x05060708))
(assert_return (invoke "t-big") (u64.const 210))
(assert_return (invoke "t-msum") (u32.const 22))
(assert_return (invoke "t-mk") (u32.const 2935))
