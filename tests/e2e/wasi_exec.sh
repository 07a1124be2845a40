#!/bin/sh
# wasi_exec.sh - `wasmfn exec` on an ordinary C program built here with
# clang for wasm32-wasi (wasi/demo.c): arguments, --env, a read-only mount
# read and listed, a writable mount written, stdout/stderr passed through,
# the guest's exit status; then a trap (exit 134), usage and load errors,
# an unknown import (UNLINKABLE) and proc_exit from a WAT module.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE

clang --target=wasm32-wasi -O1 -o "$T/demo.wasm" "$HERE/wasi/demo.c"
mkdir -p "$T/data/list" "$T/out"
printf 'hello\nworld\n' >"$T/data/greeting.txt"
for n in cherry apple banana; do : >"$T/data/list/$n"; done

code=0
"$WASMFN" exec --dir "$T/data::/data::ro" --dir "$T/out::/out" --env WHO=tester \
    "$T/demo.wasm" one "two words" >"$T/stdout" 2>"$T/stderr" || code=$?
[ "$code" -eq 0 ] || fail "exit $code: $(cat "$T/stderr")"
cat >"$T/want" <<'OUT'
argc=3
arg[1]=one
arg[2]=two words
WHO=tester
HOME=(unset)
file: hello
file: world
entry: apple
entry: banana
entry: cherry
OUT
diff -u "$T/want" "$T/stdout" || fail "stdout differs"
[ "$(cat "$T/stderr")" = done ] || fail "stderr: $(cat "$T/stderr")"
[ "$(cat "$T/out/result.txt")" = "written by tester" ] || fail "result.txt not written"

# The guest's exit status comes through.
code=0
"$WASMFN" exec --dir "$T/data::/data" --dir "$T/out::/out" "$T/demo.wasm" fail \
    >/dev/null 2>&1 || code=$?
[ "$code" -eq 7 ] || fail "exit status $code, want 7"

# Without the mount the file is not there.
code=0
"$WASMFN" exec "$T/demo.wasm" >/dev/null 2>"$T/stderr" || code=$?
[ "$code" -eq 10 ] || fail "no mount: exit $code, want 10"

# A trap: 134 and the trap message.
cat >"$T/trap.wat" <<'WAT'
(module (memory (export "memory") 1)
  (func $boom unreachable)
  (func (export "_start") call $boom))
WAT
code=0
"$WASMFN" exec "$T/trap.wat" 2>"$T/stderr" || code=$?
[ "$code" -eq 134 ] || fail "trap: exit $code, want 134"
grep -q "TRAP: unreachable" "$T/stderr" || fail "trap message: $(cat "$T/stderr")"
# ... and a backtrace of function names, innermost first.
[ "$(sed -n '/^backtrace:$/,$p' "$T/stderr")" = "backtrace:
  at boom
  at func[1]" ] || fail "trap backtrace: $(cat "$T/stderr")"

# Deep recursion: exhaustion traps, and the backtrace stays short.
cat >"$T/deep.wat" <<'WAT'
(module (func $down (export "_start") call $down))
WAT
code=0
"$WASMFN" exec "$T/deep.wat" 2>"$T/stderr" || code=$?
[ "$code" -eq 134 ] || fail "exhaustion: exit $code, want 134"
grep -q "TRAP: call stack exhausted" "$T/stderr" || fail "exhaustion message: $(cat "$T/stderr")"
grep -q "^  \.\.\. [0-9]* more frames$" "$T/stderr" || fail "exhaustion backtrace not elided"
[ "$(grep -c '^  at down$' "$T/stderr")" -eq 32 ] || fail "exhaustion backtrace length"

# proc_exit from a hand-written module, after output.
cat >"$T/exit.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "bye\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 42))
    unreachable))
WAT
code=0
out=$("$WASMFN" exec "$T/exit.wat") || code=$?
[ "$code" -eq 42 ] && [ "$out" = bye ] || fail "proc_exit: exit $code, output '$out'"

# poll_oneoff on a 200 ms monotonic clock sleeps, then reports one event:
# exit status = errno * 10 + nevents.
cat >"$T/sleep.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $e i32)
    (i64.store (i32.const 100) (i64.const 77))          ;; userdata
    (i32.store8 (i32.const 108) (i32.const 0))          ;; eventtype clock
    (i32.store (i32.const 116) (i32.const 1))           ;; monotonic
    (i64.store (i32.const 124) (i64.const 200000000))   ;; 200 ms, relative
    (local.set $e (call $poll (i32.const 100) (i32.const 200) (i32.const 1) (i32.const 300)))
    (if (i64.ne (i64.load (i32.const 200)) (i64.const 77)) (then (call $exit (i32.const 99))))
    (call $exit (i32.add (i32.mul (local.get $e) (i32.const 10)) (i32.load (i32.const 300))))))
WAT
start=$(date +%s%N)
code=0
"$WASMFN" exec "$T/sleep.wat" || code=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" -eq 1 ] || fail "poll_oneoff: exit $code, want 1"
[ "$ms" -ge 200 ] || fail "poll_oneoff returned after $ms ms"

# Link errors: an unknown WASI name, a wrong type.
printf '(module (import "wasi_snapshot_preview1" "fd_nope" (func)) (func (export "_start")))' >"$T/bad.wat"
code=0
"$WASMFN" exec "$T/bad.wat" 2>"$T/stderr" || code=$?
[ "$code" -eq 3 ] && grep -q "UNLINKABLE.*fd_nope" "$T/stderr" || fail "unknown import: $code $(cat "$T/stderr")"
printf '(module (import "wasi_snapshot_preview1" "fd_close" (func (param i64))) (func (export "_start")))' >"$T/bad.wat"
code=0
"$WASMFN" exec "$T/bad.wat" 2>"$T/stderr" || code=$?
[ "$code" -eq 3 ] && grep -q "UNLINKABLE.*fd_close" "$T/stderr" || fail "wrong type: $code $(cat "$T/stderr")"

# Usage errors.
code=0; "$WASMFN" exec >/dev/null 2>&1 || code=$?
[ "$code" -eq 2 ] || fail "no file: exit $code"
code=0; "$WASMFN" exec --dir "$T/nonexistent" "$T/exit.wat" >/dev/null 2>&1 || code=$?
[ "$code" -eq 2 ] || fail "bad --dir: exit $code"
# Bad --dir values (issue 15): usage errors saying why, never a mount.
mkdir -p "$T/d" "$T/d2" "$T/d3"
baddir() {
    code=0
    "$WASMFN" exec --dir "$1" "$T/exit.wat" >/dev/null 2>"$T/stderr" || code=$?
    [ "$code" -eq 2 ] || fail "--dir $1: exit $code"
    grep -qF -- "wasmfn exec: --dir $1: $2" "$T/stderr" || fail "--dir $1: $(cat "$T/stderr")"
}
baddir "$T/d::/a::RO" "unknown mode 'RO': the only one is ::ro"
baddir "$T/d::/a::rw" "unknown mode 'rw': the only one is ::ro"
baddir "$T/d::/a::ro::x" "too many '::' (HOST[::GUEST][::ro])"
baddir "$T/d::a" "the guest path must be absolute, not 'a'"
baddir "$T/d::" "the guest path must be absolute, not ''"
baddir "$T/d::::ro" "the guest path must be absolute, not ''"
baddir "::/a" "empty host directory"
code=0
"$WASMFN" exec --dir "$T/d::/a::ro" --dir "$T/d2::ro" --dir "$T/d3" "$T/exit.wat" >/dev/null 2>&1 || code=$?
[ "$code" -eq 42 ] || fail "good --dir values: exit $code"
"$WASMFN" exec --help | grep -q "usage: wasmfn exec" || fail "--help"
echo "wasi_exec: ok"
