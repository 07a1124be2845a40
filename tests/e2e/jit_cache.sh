#!/bin/sh
# jit_cache.sh - the compiled tier's on-disk code cache (src/wasm/jit/cache.c)
# through the CLI: `wasmfn compile` fills it, a later run loads the native
# code from it and gives the same result; a damaged, truncated or foreign
# entry is ignored, rebuilt and never executed; concurrent compilers leave
# one whole entry; the directory comes from --cache-dir, WASMFN_CACHE_DIR
# or XDG_CACHE_HOME. Skipped (77) in a build without the tier.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
e2e_need_compiled_tier
unset XDG_CACHE_HOME
export WASMFN_CACHE_DIR="$T/cache"

# A command module that checks its own results: a trap (exit 1) when a
# compiled function computes a wrong value.
cat >"$T/m.wat" <<'W'
(module
  (memory 1)
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $sum (param i32) (result i32)
    (local i32)
    (loop $l
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (i32.load (i32.const 0)))
  (func (export "_start")
    (if (i64.ne (call $fac (i64.const 20)) (i64.const 2432902008176640000)) (then unreachable))
    (if (i32.ne (call $sum (i32.const 100)) (i32.const 5050)) (then unreachable))))
W
cp "$T/m.wat" "$T/other.wat"
sed -i 's/(i32.const 5050)/(i32.const 5050) (nop)/' "$T/other.wat"

entries() { find "$1" -name '*.wfjit' | wc -l; }
run() { WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m.wat" >"$T/out" 2>"$T/err" || fail "run: $(cat "$T/err")"; }

# compile fills the cache; a second compile finds the entry
"$WASMFN" compile "$T/m.wat" >"$T/out" 2>"$T/err" || fail "compile: $(cat "$T/err")"
grep -q "m.wat: 3 of 3 functions compiled in 1 module (0 from the cache)" "$T/out" || fail "compile: $(cat "$T/out")"
[ "$(entries "$T/cache")" = 1 ] || fail "compile: $(ls -la "$T/cache")"
"$WASMFN" compile "$T/m.wat" >"$T/out" 2>"$T/err" || fail "compile again: $(cat "$T/err")"
grep -q "(1 from the cache)" "$T/out" || fail "compile again: $(cat "$T/out")"
entry=$(find "$T/cache" -name '*.wfjit')

# a run loads it
run
grep -q "3 of 3 functions loaded from the code cache" "$T/err" || fail "cached run: $(cat "$T/err")"

# another module is another entry
"$WASMFN" compile "$T/other.wat" >"$T/out" 2>&1 || fail "other: $(cat "$T/out")"
[ "$(entries "$T/cache")" = 2 ] || fail "other: $(ls "$T/cache")"

# damaged entries: a flipped byte in the code, a truncated file, another
# module's entry under this name: ignored, rebuilt, the run still right
size=$(wc -c <"$entry")
printf '\377' | dd of="$entry" bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
run
grep -q "damaged code cache entry is ignored and rebuilt" "$T/err" || fail "flipped byte: $(cat "$T/err")"
grep -q "3 of 3 functions compiled in" "$T/err" || fail "flipped byte: $(cat "$T/err")"
run
grep -q "loaded from the code cache" "$T/err" || fail "rebuilt entry not used: $(cat "$T/err")"
head -c 200 "$entry" >"$T/short" && mv "$T/short" "$entry"
run
grep -q "damaged code cache entry" "$T/err" || fail "truncated: $(cat "$T/err")"
other=$(find "$T/cache" -name '*.wfjit' ! -name "$(basename "$entry")")
cp "$other" "$entry"
run
grep -q "damaged code cache entry" "$T/err" || fail "foreign entry: $(cat "$T/err")"
grep -q "3 of 3 functions compiled in" "$T/err" || fail "foreign entry: $(cat "$T/err")"

# a flipped byte in the header or the image's descriptor (the first page)
"$WASMFN" compile "$T/m.wat" >/dev/null 2>&1 || fail "compile after foreign"
printf '\001' | dd of="$entry" bs=1 seek=70 conv=notrunc 2>/dev/null
run
grep -q "damaged code cache entry is ignored and rebuilt" "$T/err" || fail "flipped descriptor byte: $(cat "$T/err")"
grep -q "3 of 3 functions compiled in" "$T/err" || fail "flipped descriptor byte: $(cat "$T/err")"

# linked through LLVM's ORC (the linker of hosts other than x86-64): its
# own entries (object files), filled then loaded, the same results
WASMFN_JIT_LINKER=orc run
grep -q "3 of 3 functions compiled in" "$T/err" || fail "orc: $(cat "$T/err")"
[ "$(entries "$T/cache")" = 3 ] || fail "orc entries: $(ls "$T/cache")"
WASMFN_JIT_LINKER=orc run
grep -q "3 of 3 functions loaded from the code cache" "$T/err" || fail "orc cached: $(cat "$T/err")"
run
grep -q "3 of 3 functions loaded from the code cache" "$T/err" || fail "image after orc: $(cat "$T/err")"

# four compilers at once on an empty cache: one whole entry, no temporary files
rm -rf "$T/cache"
for i in 1 2 3 4; do "$WASMFN" compile "$T/m.wat" >"$T/c$i" 2>&1 & done
wait
for i in 1 2 3 4; do grep -q "3 of 3 functions compiled" "$T/c$i" || fail "concurrent $i: $(cat "$T/c$i")"; done
# (beside it the record of the host CPU, jit/host.c)
[ "$(ls "$T/cache" | grep -v '\.wfhost$' | wc -l)" = 1 ] || fail "concurrent: $(ls "$T/cache")"
run
grep -q "loaded from the code cache" "$T/err" || fail "after concurrent: $(cat "$T/err")"

# where the cache is
"$WASMFN" compile --cache-dir "$T/given" "$T/m.wat" >/dev/null 2>&1 || fail "--cache-dir"
[ "$(entries "$T/given")" = 1 ] || fail "--cache-dir: nothing in $T/given"
WASMFN_CACHE_DIR= XDG_CACHE_HOME="$T/xdg" "$WASMFN" compile "$T/m.wat" >/dev/null 2>&1 && fail "empty WASMFN_CACHE_DIR should be no cache"
(unset WASMFN_CACHE_DIR; XDG_CACHE_HOME="$T/xdg" "$WASMFN" compile "$T/m.wat" >/dev/null 2>&1) || fail "XDG_CACHE_HOME"
[ "$(entries "$T/xdg/wasmfn")" = 1 ] || fail "XDG_CACHE_HOME: nothing in $T/xdg/wasmfn"
rc=0; WASMFN_CACHE_DIR=off "$WASMFN" compile "$T/m.wat" >"$T/out" 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -q "no code cache" "$T/err" || fail "off: exit $rc: $(cat "$T/err")"
rc=0; "$WASMFN" compile "$T/missing.wasm" >"$T/out" 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -q "missing.wasm" "$T/err" || fail "missing file: exit $rc: $(cat "$T/err")"
rc=0; "$WASMFN" compile >"$T/out" 2>"$T/err" || rc=$?
[ $rc = 2 ] || fail "no operand: exit $rc"
# with the cache off, runs still compile
WASMFN_CACHE_DIR=off WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m.wat" 2>"$T/err" || fail "off run: $(cat "$T/err")"
grep -q "3 of 3 functions compiled in" "$T/err" || fail "off run: $(cat "$T/err")"
echo "jit_cache: ok"
