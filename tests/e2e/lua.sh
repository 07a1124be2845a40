#!/bin/sh
# lua.sh - function.lua entries through the real CLI (tests/e2e/lua_project):
# 64 concurrent funcs.async callers on a small pool, funcs.call results and
# error values (trap, argument count, range, unknown ID, timeout, cancel),
# library imports, the json module and the `modules` restriction.
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
wasmfn=$1
project=$(cd "$(dirname "$0")/lua_project" && pwd)

check "check" "ok: 7 entries, 6 functions" "$("$wasmfn" check "$project")"
check "64 async callers on a pool of 4" 64 "$("$wasmfn" call "$project" app.lua:pool64)"

out=$("$wasmfn" call "$project" app.lua:behaviours)
field() { printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
check "call" 42 "$(field call)"
check "trap" "Internal: app.lua:divide: integer divide by zero" "$(field trap)"
check "argument count" "Invalid: app.lua:divide: expected 2 arguments, got 1" "$(field arity)"
check "range" "Invalid: app.lua:divide: parameter \`b\`: 1099511627776 is out of range for s32" "$(field range)"
check "unknown id" "NotFound: no function app.lua:nope" "$(field unknown)"
check "timeout" Timeout "$(field timeout | cut -d: -f1)"
check "future running" "nil while running" "$(field running)"
check "cancel" Canceled "$(field cancel)"
check "library import" 42 "$(field library)"
check "json" '{"a":[1,2,{"b":"y"}],"c":"x"}' "$(field json)"
check "modules restriction" '"funcs refused"' "$("$wasmfn" call "$project" app.lua:restricted)"

[ "$fails" -eq 0 ]
