#!/bin/sh
# call.sh - `wasmfn call` end to end on tests/e2e/call_project: results as
# JSON for each pool type, a WIT signature, core numbers, a fresh instance
# per call, call errors (bad argument, argument count, unknown ID, trap,
# timeout of an infinite loop, memory and stack limits, unsatisfiable
# import) with their exact stderr and exit 1, usage errors (exit 2) and
# load errors (exit 3).
# $1 = the wasmfn binary, $2 = the shared folder (unused).
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 1
P=call_project
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ok ID ARGS... -> expected stdout is the last argument
ok() {
    want=$1; shift
    "$WASMFN" call "$P" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 0 ] || fail "call $*: exit $rc ($(cat "$tmp/err"))"
    [ "$(cat "$tmp/out")" = "$want" ] || fail "call $*: stdout '$(cat "$tmp/out")', expected '$want'"
    [ -s "$tmp/err" ] && fail "call $*: stderr '$(cat "$tmp/err")'"
}
# bad EXIT STDERR ID ARGS...
bad() {
    code=$1; want=$2; shift 2
    "$WASMFN" call "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = "$code" ] || fail "call $*: exit $rc, expected $code ($(cat "$tmp/err"))"
    [ -s "$tmp/out" ] && fail "call $*: unexpected stdout '$(cat "$tmp/out")'"
    [ -z "$want" ] || [ "$(head -n 1 "$tmp/err")" = "$want" ] ||
        fail "call $*: stderr '$(cat "$tmp/err")', expected '$want'"
}

ok 42 app.call:answer
ok 13 app.call:add 6 7
ok -1 app.call:add 4294967295 0
ok 1.5 app.call:half 3
ok 1 app.call:count
ok 1 app.call:count          # a fresh instance every call: never 2
ok null app.call:nothing
ok 1 app.call:grow 0
ok 100 app.call:deep 100
ok 6 app.call:strlen '"héllo"'    # through the Canonical ABI (wit: string -> u32)

bad 1 'error: INVALID: app.call:add: parameter 2: expected a number (i32), got a string' \
    $P app.call:add 6 '"x"'
bad 1 'error: INVALID: app.call:add: parameter 1: 4294967296 is out of range for i32' \
    $P app.call:add 4294967296 1
bad 1 'error: INVALID: app.call:add: expected 2 arguments, got 1' $P app.call:add 6
bad 1 'error: INVALID: `answer` takes 0 arguments, got 1' $P app.call:answer 1
bad 1 'error: NOT_FOUND: no function app.call:nope' $P app.call:nope
bad 1 'error: INVALID: parameter `text`: expected string, got a number' $P app.call:strlen 5
bad 1 'error: TRAP: app.call:boom: unreachable' $P app.call:boom
bad 1 'error: TRAP: app.call:imports: import wasi_snapshot_preview1::sched_yield is not enabled: add `wasi_snapshot_preview1` (or wasi1, preview1) to the entry'"'"'s `imports`' \
    $P app.call:imports
bad 1 'error: TRAP: app.call:deep: call stack exhausted' $P app.call:deep 5000

# Numbers are never converted silently (issue 15): out of range is an error
# naming the parameter; integers are exact; -0 keeps its sign.
ok 9223372036854775807 app.call:s64-id 9223372036854775807.0
ok -9223372036854775808 app.call:s64-id -9223372036854775808
bad 1 'error: INVALID: parameter `x`: -9223372036854775809 is out of range (integers are 64-bit)' \
    $P app.call:s64-id -9223372036854775809
bad 1 'error: INVALID: parameter `x`: 9223372036854775808 is out of range for s64' $P app.call:s64-id 9223372036854775808
bad 1 'error: INVALID: parameter `x`: 1.5 is not an integer, expected s64' $P app.call:s64-id 1.5
bad 1 'error: INVALID: parameter `x`: expected s64, got a boolean' $P app.call:s64-id true
bad 1 'error: INVALID: parameter `x`: 1e+39 is out of range for f32' $P app.call:f32-id 1e39
bad 1 'error: INVALID: parameter `x`: 1e400 is out of range for f64' $P app.call:f64-id 1e400
ok 3.4028235e+38 app.call:f32-id 3.4028235e38
ok -0 app.call:f64-id -0
ok -0 app.call:f32-id -0
ok '"inf"' app.call:f64-id '"inf"'
# ... and from Lua
ok '{"bool":"app.call:s64-id: parameter `x`: expected s64, got a boolean","f32":"app.call:f32-id: parameter `x`: 1e+39 is out of range for f32","frac":"app.call:s64-id: parameter `x`: 1.5 is not an integer, expected s64","max":9223372036854775807,"neg_zero":"-inf","s64":"app.call:s64-id: parameter `x`: 9.223372036854776e+18 is out of range for s64"}' app.call:lua-edges

# memory.grow past max_memory_mb (16 pages) fails with -1, not an error.
ok -1 app.call:grow 16

# An infinite loop stops soon after max_execution_ms. The bound counts the
# whole process (start, load, exit) on a loaded CI machine, where that alone
# took 2 s once: generous, the point is that a spinning call ends.
start=$(date +%s%N)
bad 1 'error: TIMEOUT: app.call:spin: execution exceeded max_execution_ms (100 ms)' $P app.call:spin
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 10000 ] || fail "spin took $ms ms"
# ... and the caller's own --timeout stops it too.
# The 50 ms may also pass before the lazy pool's new worker takes the call
# (a loaded machine): that message says so, the same TIMEOUT.
"$WASMFN" call --timeout 50 $P app.call:spin >"$tmp/out" 2>"$tmp/err"
rc=$?
case "$(head -n 1 "$tmp/err")" in
'error: TIMEOUT: app.call:spin: timed out after 50 ms' | \
'error: TIMEOUT: app.call:spin: timed out after 50 ms waiting for a worker')
    [ $rc = 1 ] || fail "call --timeout 50 spin: exit $rc, expected 1" ;;
*) fail "call --timeout 50 spin: stderr '$(cat "$tmp/err")', expected a timeout after 50 ms" ;;
esac

# Usage errors.
bad 2 '' $P
bad 2 '' --timeout x $P app.call:answer
bad 2 '' --bogus $P app.call:answer
"$WASMFN" call --help >"$tmp/out" 2>&1 || fail "call --help: exit $?"
grep -q '^usage: wasmfn call' "$tmp/out" || fail "call --help: no usage"

# Load errors: exit 3.
bad 3 '' "$tmp/does-not-exist" app.call:answer
mkdir "$tmp/broken"
printf 'namespace: x\nentries:\n  - name: f\n    kind: function.nope\n' >"$tmp/broken/_index.yaml"
bad 3 '' "$tmp/broken" x:f
grep -q 'function.nope' "$tmp/err" || fail "load error does not name the kind: $(cat "$tmp/err")"

# 64 concurrent processes on the lazy pool: all answer.
i=0
while [ $i -lt 64 ]; do
    "$WASMFN" call $P app.call:add $i 1000 >"$tmp/c$i" 2>&1 &
    i=$((i + 1))
done
wait
i=0
while [ $i -lt 64 ]; do
    [ "$(cat "$tmp/c$i")" = "$((i + 1000))" ] || fail "concurrent call $i: $(cat "$tmp/c$i")"
    i=$((i + 1))
done

[ $fails = 0 ] && echo "call: all passed"
exit $((fails > 0))
