#!/bin/sh
# The embedding example and the demo WAT files: results, host imports, errors.
# $1: the wasmfn binary (example_embed is built beside it).
set -u
. "$(dirname "$0")/lib/e2e.sh"
bin=$(dirname "$1")/example_embed
demo=$(cd "$(dirname "$0")/../../examples/demo" && pwd)

check answer 42 "$("$bin" "$demo/answer.wat" answer)"
check compute "log: 6
log: 7
42" "$("$bin" "$demo/compute.wat" compute 6 7)"
check fac 2432902008176640000 "$("$bin" "$demo/fac.wat" fac 20)"

tmp=$T
printf '(module (func (export "f") (result i32) (i32.div_s (i32.const 1) (i32.const 0))))' > "$tmp/div.wat"
out=$("$bin" "$tmp/div.wat" f 2>&1); rc=$?
check "trap status" 1 "$rc"
check "trap message" "error: TRAP: integer divide by zero" "$out"

printf '(module (func (export "f") (result i32) (i64.const 1)))' > "$tmp/bad.wat"
out=$("$bin" "$tmp/bad.wat" f 2>&1); rc=$?
check "invalid status" 1 "$rc"
case "$out" in "error: INVALID: "*"type mismatch"*) check "invalid message" ok ok ;;
               *) check "invalid message" "error: INVALID: ...type mismatch" "$out" ;; esac

printf '(module (func (export "f") (result i32) (i32.const 1)' > "$tmp/open.wat"
out=$("$bin" "$tmp/open.wat" f 2>&1); rc=$?
check "malformed status" 1 "$rc"
case "$out" in "error: MALFORMED: 1:"*) check "malformed has line:col" ok ok ;;
               *) check "malformed has line:col" "error: MALFORMED: 1:..." "$out" ;; esac

[ "$fails" -eq 0 ]
