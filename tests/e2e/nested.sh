#!/bin/sh
# nested.sh - `wasmfn call` of Lua functions that call themselves through
# funcs.call without end (issue 15 item 3): on the inline pool, a lazy pool
# of 4, a static pool of 1, and mutual recursion across two pools, the call
# fails with LIMIT naming the depth and the function (exit 1) instead of
# overflowing the C stack or deadlocking its pool; bounded recursion works.
# $1 = the wasmfn binary, $2 = the shared folder (unused).
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# entry NAME POOL CALLEE: NAME(n) returns CALLEE(n + 1), or CALLEE's error;
# at n = STOP it returns n.
entry() {
    cat <<YAML
  - name: $1
    kind: function.lua
    method: run
    modules: [funcs]
    pool: $2
    source: |
      local funcs = require('funcs')
      function run(n, stop)
        if n == stop then return n end
        local r, err = funcs.call('t:$3', n + 1, stop)
        if err then return nil, err end
        return r
      end
YAML
}
{
    echo "namespace: t"
    echo "entries:"
    entry inline "{ type: inline }" inline
    entry lazy "{ type: lazy, max_size: 4 }" lazy
    entry static "{ type: static, workers: 1 }" static
    entry ping "{ type: lazy, max_size: 4 }" pong
    entry pong "{ type: static, workers: 1 }" ping
} >"$tmp/_index.yaml"

# call EXIT STDOUT STDERR ID ARGS...
call() {
    code=$1; out=$2; err=$3; shift 3
    timeout 60 "$WASMFN" call "$tmp" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = "$code" ] || fail "call $*: exit $rc, expected $code ($(cat "$tmp/err"))"
    [ "$(cat "$tmp/out")" = "$out" ] || fail "call $*: stdout '$(cat "$tmp/out")', expected '$out'"
    [ "$(cat "$tmp/err")" = "$err" ] || fail "call $*: stderr '$(cat "$tmp/err")', expected '$err'"
}

for f in inline lazy static; do
    call 1 "" "error: LIMIT: t:$f: call depth 65 exceeds the limit of 64 nested calls (called from t:$f)" t:$f 0 -1
    call 0 40 "" t:$f 0 40
done
call 1 "" "error: LIMIT: t:ping: call depth 65 exceeds the limit of 64 nested calls (called from t:pong)" t:ping 0 -1
call 0 63 "" t:ping 0 63

[ $fails = 0 ] && echo "nested: all passed"
exit $((fails > 0))
