#!/bin/sh
# jit_cache_bound.sh - the code cache's size cap (src/wasm/jit/cache.c):
# past WASMFN_CACHE_MAX_KB the least recently used entries are deleted (a
# hit counts as a use), the cache stays under the cap with several
# processes writing at once, a killed writer's old temporary file goes, and
# a run after its entry was evicted compiles again with the same result.
# The records of host CPUs (<key>.wfhost, src/wasm/jit/host.c) count in the
# cap like entries: another CPU's, unused for hours, goes like an old entry.
# Skipped (77) in a build without the tier.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
e2e_need_compiled_tier
unset XDG_CACHE_HOME WASMFN_CACHE_MAX_MB
export WASMFN_CACHE_DIR="$T/cache"

# Modules of one shape, told apart by a constant: entries of about one
# size. _start traps (exit 1) when a function computes a wrong value.
module() {
    {
        echo "(module (memory 1)"
        for f in $(seq 1 12); do
            echo "(func \$f$f (param i32) (result i32) (local i32)"
            echo "  (loop \$l (local.set 1 (i32.add (local.get 1) (i32.mul (local.get 0) (i32.const $f))))"
            echo "    (i32.store (i32.const 16) (local.get 1))"
            echo "    (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if \$l (local.get 0)))"
            echo "  (i32.add (local.get 1) (i32.const $1)))"
        done
        # f1(10) = 55 + K
        echo "(func (export \"_start\") (if (i32.ne (call \$f1 (i32.const 10)) (i32.const $((55 + $1)))) (then unreachable))))"
    } >"$T/m$1.wat"
}
for k in 1 2 3 4 5 6 7 8 9; do module $k; done

total_bytes() { cat "$T"/cache/*.wfjit "$T"/cache/*.wfhost 2>/dev/null | wc -c; }

# One entry per module (each is one unit): its size sets the cap.
"$WASMFN" compile "$T/m1.wat" >"$T/out" 2>&1 || fail "compile m1: $(cat "$T/out")"
a=$(ls "$T/cache"/*.wfjit)
[ "$(ls "$T/cache" | grep -c '\.wfjit$')" = 1 ] || fail "m1: $(ls "$T/cache")"
size=$(wc -c <"$a")
# this CPU's record (x86-64 only), written by the first compiled run and
# read by every one: part of what the cap holds
host=$(ls "$T/cache" | grep '\.wfhost$' || true)
[ -n "$host" ] || [ "$(uname -m)" != x86_64 ] || fail "no host record: $(ls "$T/cache")"
hsize=0
[ -z "$host" ] || hsize=$(wc -c <"$T/cache/$host")
"$WASMFN" compile "$T/m2.wat" >"$T/out" 2>&1 || fail "compile m2: $(cat "$T/out")"
b=$(ls "$T/cache"/*.wfjit | grep -v "$a")
# room for the record, two entries and most of a third: a third write
# trims to 3/4 of the cap, which still holds the record and two entries
export WASMFN_CACHE_MAX_KB=$(( (size * 29 / 10 + hsize + 1023) / 1024 ))
[ $((WASMFN_CACHE_MAX_KB * 1024 * 3 / 4)) -ge $((size * 2 + hsize + 200)) ] ||
    fail "entries too small for the test: $size bytes, a record of $hsize"
[ $((WASMFN_CACHE_MAX_KB * 1024)) -lt $((size * 3 + hsize - 200)) ] ||
    fail "cap too large: $WASMFN_CACHE_MAX_KB KB for $size bytes, a record of $hsize"

# m1 used long ago, m2 less long ago; then a run of m1 (a hit) makes it
# the most recently used: m3's entry evicts m2's, not m1's.
touch -d '-2 hours' "$a"
touch -d '-1 hour' "$b"
WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m1.wat" 2>"$T/err" || fail "run m1: $(cat "$T/err")"
grep -q "loaded from the code cache" "$T/err" || fail "run m1: $(cat "$T/err")"
"$WASMFN" compile "$T/m3.wat" >"$T/out" 2>&1 || fail "compile m3: $(cat "$T/out")"
[ -f "$a" ] || fail "the most recently used entry (m1) was evicted"
[ ! -f "$b" ] || fail "the least recently used entry (m2) was kept"
[ "$(ls "$T/cache" | grep -c '\.wfjit$')" = 2 ] || fail "after m3: $(ls -la "$T/cache")"

# m2 again: compiled (its entry is gone), right, and cached again
WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m2.wat" 2>"$T/err" || fail "run m2: $(cat "$T/err")"
grep -q "13 of 13 functions compiled" "$T/err" || fail "run m2: $(cat "$T/err")"
[ -f "$b" ] || fail "m2 not cached again"

# a temporary file of a writer killed two hours ago goes with the next trim;
# a fresh one (a writer at work) stays
echo partial >"$T/cache/$(basename "$a").99999.1.tmp"
touch -d '-2 hours' "$T/cache/$(basename "$a").99999.1.tmp"
echo partial >"$T/cache/$(basename "$a").99998.1.tmp"
"$WASMFN" compile "$T/m4.wat" >"$T/out" 2>&1 || fail "compile m4: $(cat "$T/out")"
[ ! -f "$T/cache/$(basename "$a").99999.1.tmp" ] || fail "an old temporary file was kept"
[ -f "$T/cache/$(basename "$a").99998.1.tmp" ] || fail "a fresh temporary file was deleted"
rm -f "$T/cache"/*.tmp

# another CPU's record (a cache shared by hosts), unused for three hours:
# the next trim deletes it first, like an old entry; this CPU's stays
if [ -n "$host" ]; then
    other="$T/cache/$(printf '%064d' 0).wfhost"
    cp "$T/cache/$host" "$other"
    touch -d '-3 hours' "$other"
    "$WASMFN" compile "$T/m9.wat" >"$T/out" 2>&1 || fail "compile m9: $(cat "$T/out")"
    [ ! -f "$other" ] || fail "an old host record was kept: $(ls -la "$T/cache")"
    [ -f "$T/cache/$host" ] || fail "this CPU's record was deleted: $(ls -la "$T/cache")"
    [ "$(total_bytes)" -le $((WASMFN_CACHE_MAX_KB * 1024)) ] || fail "over the cap with the records: $(ls -la "$T/cache")"
fi

# four processes writing at once: all right, the cache under its cap, no
# temporary file left
pids=
for k in 5 6 7 8; do
    WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m$k.wat" >"$T/c$k" 2>&1 &
    pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
[ $fails = 0 ] || fail "concurrent runs failed: $(cat "$T"/c5 "$T"/c6 "$T"/c7 "$T"/c8)"
"$WASMFN" compile "$T/m1.wat" >"$T/out" 2>&1 || fail "compile after concurrent: $(cat "$T/out")"
[ "$(total_bytes)" -le $((WASMFN_CACHE_MAX_KB * 1024)) ] || fail "over the cap: $(total_bytes) bytes > $WASMFN_CACHE_MAX_KB KB: $(ls -la "$T/cache")"
! ls "$T/cache" | grep -q '\.tmp$' || fail "temporary files left: $(ls "$T/cache")"
echo "jit_cache_bound: ok"
