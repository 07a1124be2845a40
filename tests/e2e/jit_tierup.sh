#!/bin/sh
# jit_tierup.sh - the compiled tier's tier-up across processes, through the
# CLI: a module forced "large" (all its functions cheap) whose functions
# are upgraded to -O2 (WASMFN_JIT_TIERUP_HEAT=0: all of them at load) says
# so with -v and gives the same results; a second process installs the
# upgrades from the code cache instead of compiling them again; a
# background upgrade of a hot function (a real threshold) happens while a
# long script runs; a run that ends while an upgrade still compiles says
# so; a function too big for a unit waits while a smaller one is hot;
# WASMFN_JIT_TIERUP=0 turns it all off. Skipped (77) in a
# build without the tier.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
export WASMFN_CACHE_DIR="$T/cache"
export WASMFN_JIT_LARGE_MODULE_BYTES=0 WASMFN_JIT_LARGE_MODULE_BIG_BYTES=0
unset WASMFN_JIT_TIERUP WASMFN_JIT_TIERUP_HEAT WASMFN_JIT_TIERUP_MAX
e2e_need_compiled_tier

cat >"$T/t.wast" <<'W'
(module
  (memory 1)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum (export "sum") (param i32) (result i64) (local i64)
    (block (loop (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (call $fib (i32.const 10)))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
    (local.get 1))
  (func (export "oob") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
)
(assert_return (invoke "fib" (i32.const 20)) (i32.const 6765))
(assert_return (invoke "sum" (i32.const 1000)) (i64.const 55000))
(assert_trap (invoke "oob" (i32.const 65528)) "out of bounds memory access")
W

# 1: every function upgraded at load
WASMFN_JIT_TIERUP_HEAT=0 "$WASMFN" wast -v --tier=compiled "$T/t.wast" >"$T/out1" 2>"$T/err1" ||
    fail "first run: $(cat "$T/out1" "$T/err1")"
grep -q "^3 passed, 0 failed, 0 skipped" "$T/out1" || fail "first run: $(cat "$T/out1")"
n=$(grep -c "upgraded to -O2" "$T/err1" || true)
[ "$n" = 3 ] || fail "first run: $n functions upgraded, expected 3: $(cat "$T/err1")"
grep -q "function 0 fib upgraded to -O2" "$T/err1" || fail "first run: $(cat "$T/err1")"

# 2: a second process takes them from the cache
WASMFN_JIT_TIERUP_HEAT=0 "$WASMFN" wast -v --tier=compiled "$T/t.wast" >"$T/out2" 2>"$T/err2" ||
    fail "second run: $(cat "$T/out2" "$T/err2")"
grep -q "^3 passed, 0 failed, 0 skipped" "$T/out2" || fail "second run: $(cat "$T/out2")"
grep -q "3 functions upgraded from the code cache" "$T/err2" || fail "second run: $(cat "$T/err2")"
! grep -q "upgraded to -O2" "$T/err2" || fail "second run compiled again: $(cat "$T/err2")"

# 3: a hot function upgraded in the background while the script runs
# (fib(27) a few hundred thousand calls each; thousands of them
# so that a loaded machine's background thread gets its turn)
cat >"$T/hot.wast" <<'W'
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
W
i=0
while [ $i -lt 4000 ]; do
    echo '(assert_return (invoke "fib" (i32.const 27)) (i32.const 196418))' >>"$T/hot.wast"
    i=$((i + 1))
done
WASMFN_CACHE_DIR=off WASMFN_JIT_TIERUP_HEAT=100000 "$WASMFN" wast -v --tier=compiled "$T/hot.wast" \
    >"$T/out3" 2>"$T/err3" || fail "hot run: $(cat "$T/out3" "$T/err3")"
grep -q "^4000 passed, 0 failed, 0 skipped" "$T/out3" || fail "hot run: $(cat "$T/out3")"
grep -q "function 0 fib upgraded to -O2 (heat [0-9]*" "$T/err3" || fail "hot run: no upgrade: $(cat "$T/err3")"

! grep -q "still compiling" "$T/err3" || fail "hot run: an upgrade said dropped: $(cat "$T/err3")"

# big_module N CALLS RESULT [SMALL]: a module whose $big function has N
# statements (about 15 bytes of wasm each; seconds of CPU at -O2), its
# export go(n) calling it n times (and $small, with SMALL), and the
# assertion that go(CALLS) is RESULT
big_module() {
    echo '(module (func $big (param i32) (result i32) (local i32)'
    i=0
    while [ $i -lt "$1" ]; do
        echo "(local.set 1 (i32.add (i32.mul (local.get 1) (i32.const $((i * 7 + 3)))) (i32.xor (local.get 0) (i32.const $i))))"
        i=$((i + 1))
    done
    echo '(local.get 1))'
    call='(call $big (local.get 1))'
    if [ -n "${4:-}" ]; then
        echo '(func $small (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))'
        call="(i32.add $call (call \$small (local.get 1)))"
    fi
    echo '(func (export "go") (param i32) (result i32) (local i32 i32)'
    echo "  (loop \$l (local.set 2 (i32.add (local.get 2) $call))"
    echo '    (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br_if $l (i32.lt_u (local.get 1) (local.get 0))))'
    echo '  (local.get 2)))'
    echo "(assert_return (invoke \"go\" (i32.const $2)) (i32.const $3))"
}

# 4: a run that ends while its upgrade still compiles says so under -v
# (bench/instance/run's settling counts such a run as not quiet) and ends
# as it would have: its results, its status. A function of 2,500
# statements takes seconds of CPU at -O2, the run a fraction of one.
big_module 2500 200000 632851296 >"$T/big.wast"
WASMFN_CACHE_DIR=off "$WASMFN" wast -v --tier=compiled "$T/big.wast" >"$T/out5" 2>"$T/err5" ||
    fail "big run: $(cat "$T/out5" "$T/err5")"
grep -q "^1 passed, 0 failed, 0 skipped" "$T/out5" || fail "big run: $(cat "$T/out5")"
grep -q "exiting with a unit still compiling in the background: its work is dropped" "$T/err5" ||
    fail "big run: no word of the dropped upgrade: $(cat "$T/err5")"

# 4b: a function bigger than an upgrade unit (48 KB) waits while a smaller
# one is hot: with the same heat (ties go to the lower index, the big one
# here), the small function's upgrade comes first, not after the seconds
# the big one's takes
big_module 3400 300000 2075958720 small >"$T/order.wast"
WASMFN_CACHE_DIR=off "$WASMFN" wast -v --tier=compiled "$T/order.wast" >"$T/out6" 2>"$T/err6" ||
    fail "order run: $(cat "$T/out6" "$T/err6")"
grep -q "^1 passed, 0 failed, 0 skipped" "$T/out6" || fail "order run: $(cat "$T/out6")"
first=$(grep "upgraded to -O2" "$T/err6" | head -1)
case $first in
*"function 1 small upgraded"*) ;;
*) fail "order run: the small function was not upgraded first: $(cat "$T/err6")" ;;
esac

# 5: off
WASMFN_JIT_TIERUP=0 WASMFN_JIT_TIERUP_HEAT=0 "$WASMFN" wast -v --tier=compiled "$T/t.wast" >"$T/out4" 2>"$T/err4" ||
    fail "off: $(cat "$T/out4" "$T/err4")"
grep -q "^3 passed, 0 failed, 0 skipped" "$T/out4" || fail "off: $(cat "$T/out4")"
! grep -q "upgraded" "$T/err4" || fail "off: $(cat "$T/err4")"
echo "jit_tierup: ok"
