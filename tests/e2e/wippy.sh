#!/bin/sh
# wippy.sh - a project written from upstream Wippy's documentation
# (tests/e2e/wippy_project) through the real CLI: it loads with warnings
# only (the kinds wasmfn does not serve are named and skipped), `check
# --strict` refuses it, and its Lua functions in upstream's style (errors,
# futures and payloads, channel.select with time.after, coroutine.spawn,
# env, logger, time.parse and zones, json.validate) and its
# WASM functions run unchanged.
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
wasmfn=$1
project=$(cd "$(dirname "$0")/wippy_project" && pwd)
tmp=$T

warnings="warning: src/_index.yaml:11: app:processes: kind 'process.host' is not served by wasmfn: entry skipped
warning: src/_index.yaml:16: app:terminal: kind 'terminal.host' is not served by wasmfn: entry skipped
warning: src/_index.yaml:21: app:worker: kind 'process.lua' is not served by wasmfn: entry skipped
warning: src/_index.yaml:27: app:order_flow: kind 'workflow.lua' is not served by wasmfn: entry skipped"

out=$("$wasmfn" check "$project" 2>"$tmp/err"); rc=$?
check "check: exit status" 0 "$rc"
check "check: summary" "ok: 12 entries, 9 functions" "$out"
check "check: the warnings" "$warnings" "$(cat "$tmp/err")"
"$wasmfn" check --strict "$project" >/dev/null 2>"$tmp/err"; rc=$?
check "check --strict: exit status" 3 "$rc"
check "check --strict: summary" "wasmfn check: 4 warnings (--strict) in $project" "$(tail -1 "$tmp/err")"

out=$("$wasmfn" call "$project" app:orchestrate 2>"$tmp/err"); rc=$?
check "orchestrate: exit status" 0 "$rc"
check "orchestrate: stderr has the warnings only" "$warnings" "$(cat "$tmp/err")"
field() { printf '%s' "$out" | python3 -c "import json,sys; v=json.load(sys.stdin)['$1']; print(json.dumps(v, sort_keys=True))"; }
check "futures: response():receive() payloads, :data()" "[1, 4, 9, 16, 25]" "$(field squares)"
check "executor with_context/with_options calls a WASM function" 42 "$(field compute)"
check "with_context values reach the callee (ctx.get)" '"t1"' "$(field tenant)"
check "funcs.call of a WAT function (wit in upstream's form)" 42 "$(field answer)"
check "select with time.after: the timeout wins" '"timeout"' "$(field select)"
check "cancel(): is_canceled()" true "$(field canceled)"
check "error value from another Lua function" \
    '{"invalid": true, "kind": "Invalid", "message": "user needs a name", "retryable": false}' "$(field error)"
check "an error value returned by another function, whole (upstream kind, retryable, details)" \
    '{"details": {"holder": {"id": 7, "name": "ann"}, "ratio": 0.5, "rows": [1, 2], "seat": "12A"}, "kind": "Conflict", "message": "seat 12A is taken", "retryable": false, "text": "Conflict: seat 12A is taken"}' \
    "$(field conflict)"
check "an error value raised by an async callee, whole through the future" \
    '{"err": {"details": {"retry_after_ms": 250}, "kind": "RateLimited", "message": "slow down", "retryable": true, "text": "RateLimited: slow down"}, "failed": true, "limited": true, "received": true, "same": true}' \
    "$(field raised)"
check "future:wait() gets the error value whole" '{"holder": "ann", "kind": "Conflict"}' "$(field waited)"
check "the same function without an error" '"reserved 3C"' "$(field reserved)"
check "time.parse, load_location (the hour DST ends), truncate, fixed_zone" \
    '["2024-11-03 01:30 EST", "5:00AM", "CET"]' "$(field time)"
check "coroutine.spawn: producer and consumer over channels" 30 "$(field spawned)"
check "values between Lua functions keep their shape" '"{\"name\":\"ann\",\"tags\":[\"a\",\"b\"]}"' "$(field user)"
check "a target that is not namespace:name" '"Invalid"' "$(field bad_target)"

out=$("$wasmfn" call "$project" app:greet '"Ann"' 2>"$tmp/err")
check "env.get over env.variable" '"Hello, Ann!"' "$out"
check "logger: one line on the log" '[app:greet] INFO greeting who="Ann"' "$(grep -v '^warning: ' "$tmp/err")"

"$wasmfn" call "$project" app:validate '{}' >/dev/null 2>"$tmp/err"; rc=$?
check "an error value returned to the CLI: exit status" 1 "$rc"
check "an error value returned to the CLI: KIND and message" "error: INVALID: user needs a name" \
    "$(grep -v '^warning: ' "$tmp/err")"
"$wasmfn" call "$project" app:reserve '"12A"' >/dev/null 2>"$tmp/err"; rc=$?
check "an upstream kind to the CLI: its wasmfn KIND (Conflict is INVALID)" "1 error: INVALID: seat 12A is taken" \
    "$rc $(grep -v '^warning: ' "$tmp/err")"
"$wasmfn" call "$project" app:reserve '"1B"' '"raise"' >/dev/null 2>"$tmp/err"
check "a raised RateLimited to the CLI: LIMIT" "error: LIMIT: slow down" "$(grep -v '^warning: ' "$tmp/err")"
"$wasmfn" call "$project" app:validate '{"name": "ann", "tags": ["a", 7]}' >/dev/null 2>"$tmp/err"; rc=$?
check "json.validate against a schema: the failure to the CLI" "1 error: INVALID: json.validate: /tags/1: expected string, got integer" \
    "$rc $(grep -v '^warning: ' "$tmp/err")"
"$wasmfn" call "$project" app:restricted >/dev/null 2>"$tmp/err"
check "no modules: no built-in may be required" \
    "error: TRAP: lua: app:restricted:2: module 'json' is not allowed: add it to the entry's \`modules\` (allowed: none)" \
    "$(grep -v '^warning: ' "$tmp/err")"
check "a skipped kind is not callable" "error: NOT_FOUND: no function app:worker" \
    "$("$wasmfn" call "$project" app:worker 2>&1 | grep -v '^warning: ')"

[ $fails = 0 ] && echo "wippy.sh: all passed"
exit $((fails != 0))
