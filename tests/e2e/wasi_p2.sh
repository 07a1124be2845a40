#!/bin/sh
# wasi_p2.sh - WASI 0.2 for components through the registry (SPEC §4): the
# component fixtures sleep.wasm (wasi:clocks + wasi:io/poll: the original
# document's `test-sleep#sleep-ms`) and p2cli.wasm (wasi:cli + wasi:io/
# streams) as function.wasm entries, called from the command line and Lua:
# sleeps that suspend (200 concurrent sleepers on 2 workers take about one
# sleep), poll over two timers, a deadline while suspended, stdout/stderr
# in the log as `[ns:name] line`, the `wasi` block's args/env/cwd, exit
# statuses, packages not enabled (trapping stubs naming the word), and
# imports of other 0.2.x versions (linked) and of 0.3 (not).
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
here=$E2E_HERE
fixtures=$here/../fixtures/components
tmp=$T

proj=$tmp/proj
mkdir -p "$proj/wasm"
cp "$fixtures/sleep.wasm" "$fixtures/p2cli.wasm" "$proj/wasm/"
cp "$here/wasi_p2/sleepers.lua" "$proj/"
# the same component importing wasi:*@0.2.9 and @0.3.0 (same-length names)
sed 's/@0\.2\.0/@0.2.9/g' "$fixtures/sleep.wasm" >"$proj/wasm/sleep029.wasm"
sed 's/@0\.2\.0/@0.3.0/g' "$fixtures/sleep.wasm" >"$proj/wasm/sleep030.wasm"
for c in sleep p2cli sleep029 sleep030; do
    eval "hash_$c=\$(\"\$wasmfn\" hash \"\$proj/wasm/$c.wasm\")"
done

entry() { # name component method imports [extra YAML lines]
    eval "h=\$hash_$2"
    printf '  - name: %s\n    kind: function.wasm\n    fs: wasm\n    path: %s.wasm\n    hash: %s\n    method: "%s"\n    imports: %s\n' \
        "$1" "$2" "$h" "$3" "$4"
    [ $# -ge 5 ] && printf '%s\n' "$5"
    return 0
}
{
    printf 'namespace: p2\nentries:\n'
    printf '  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    printf '  - name: sleepers\n    kind: function.lua\n    source: file://sleepers.lua\n    method: run\n    modules: [funcs, time]\n'
    printf '  - name: cancel\n    kind: function.lua\n    source: file://sleepers.lua\n    method: cancel\n    modules: [funcs, time]\n'
    printf '  - name: os\n    kind: env.storage.os\n'
    printf '  - name: WHO\n    kind: env.variable\n    variable: WASMFN_P2_TEST_WHO\n    storage: os\n'
    entry sleep_ms sleep "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]" "    pool: { type: inline }"
    entry sleep sleep "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]" "    pool: { type: static, workers: 2, size: 2 }"
    entry first_of sleep "wasmfn:sleep/test-sleep#first-of" "[wasi:io, wasi:clocks]"
    entry ready_check sleep "test-sleep#ready-check" "[wasi:clocks]"
    entry no_clocks sleep "test-sleep#sleep-ms" "[wasi:io]"
    entry short sleep "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]" "    limits: { max_execution_ms: 100 }
    pool: { type: lazy, max_size: 2 }"
    entry short_inline sleep "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]" "    limits: { max_execution_ms: 100 }
    pool: { type: inline }"
    entry v029 sleep029 "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]"
    entry v030 sleep030 "test-sleep#sleep-ms" "[wasi:io, wasi:clocks]"
    entry greet p2cli greet "[wasi:cli]"
    entry greet_off p2cli greet "[wasi:io]"
    w='    wasi:
      args: ["one", "two words"]
      cwd: /work/here
      env:
        - { id: WHO, name: WHO }'
    entry arg_count p2cli arg-count "[wasi:cli]" "$w"
    entry arg p2cli arg "[wasi:cli]" "$w"
    entry env_count p2cli env-count "[wasi:cli]" "$w"
    entry env_entry p2cli env-entry "[wasi:cli]" "$w"
    entry cwd p2cli cwd "[wasi:cli]" "$w"
    entry cwd_none p2cli cwd "[wasi:cli]"
    entry quit p2cli quit "[wasi:cli]"
} >"$proj/_index.yaml"

"$wasmfn" check "$proj" >/dev/null 2>"$tmp/err" || { echo "FAIL check: $(cat "$tmp/err")"; exit 1; }

call() { # ID ARGS... -> $out (stdout), $err (stderr), $code
    code=0
    out=$(WASMFN_P2_TEST_WHO=tester "$wasmfn" call "$proj" "$@" 2>"$tmp/err") || code=$?
    err=$(cat "$tmp/err")
}

# ---- wasi:clocks + wasi:io/poll -------------------------------------------------
call p2:sleep_ms 100
check "sleep-ms 100: exit" 0 "$code"
[ "${out:-0}" -ge 100000000 ] 2>/dev/null && [ "$out" -lt 400000000 ] &&
    echo "ok   sleep-ms 100 slept ${out} ns" || { echo "FAIL sleep-ms 100: [$out] [$err]"; fails=$((fails + 1)); }
call p2:first_of 300 20
check "poll: the 20 ms timer of (300, 20) is first" 1 "$out"
call p2:first_of 20 300
check "poll: the 20 ms timer of (20, 300) is first" 0 "$out"
call p2:ready_check 30
check "pollable.ready false before, true after block" 2 "$out"
call p2:v029 10
check "an import of wasi:*@0.2.9 links to the 0.2 host" 0 "$code"
call p2:v030 10
check "an import of @0.3.0 does not: exit" 1 "$code"
contains "an import of @0.3.0 does not: message" \
    'import `wasi:clocks/monotonic-clock@0.3.0` function `now`: `wasi:clocks` is enabled but wasmfn has no component host for it yet' "$err"
call p2:no_clocks 10
check "wasi:clocks not enabled: exit" 1 "$code"
contains "wasi:clocks not enabled: the stub names the word" \
    'import `wasi:clocks/monotonic-clock@0.2.0` function `now` is not enabled: add `wasi:clocks` to the entry'"'"'s `imports`' "$err"

# a deadline passes while the call is suspended: TIMEOUT, promptly
start=$(date +%s%N)
call p2:short 5000
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "max_execution_ms 100 while blocked: exit" 1 "$code"
contains "max_execution_ms 100 while blocked: TIMEOUT" "error: TIMEOUT" "$err"
[ "$took" -lt 2000 ] && echo "ok   the blocked call ended after ${took} ms" ||
    { echo "FAIL the blocked call took ${took} ms"; fails=$((fails + 1)); }

# the same on the inline pool (the caller's thread waits, not a task)
start=$(date +%s%N)
call p2:short_inline 5000
took=$(( ($(date +%s%N) - start) / 1000000 ))
contains "max_execution_ms 100 while blocked inline: TIMEOUT" "error: TIMEOUT" "$err"
[ "$took" -lt 2000 ] && echo "ok   the blocked inline call ended after ${took} ms" ||
    { echo "FAIL the blocked inline call took ${took} ms"; fails=$((fails + 1)); }

# 200 calls sleeping 100 ms on a pool of 2 workers: suspended, they take
# about one sleep (10 s if each held its worker)
call p2:sleepers 200 100
bad=$(echo "$out" | sed -n 's/.*"bad":\([0-9]*\).*/\1/p')
ms=$(echo "$out" | sed -n 's/.*"ms":\([0-9.]*\).*/\1/p' | cut -d. -f1)
check "200 sleepers on 2 workers: all slept" 0 "${bad:-x}"
[ -n "$ms" ] && [ "$ms" -lt 3000 ] && echo "ok   200 sleepers x 100 ms on 2 workers took ${ms} ms" ||
    { echo "FAIL 200 sleepers: [$out] [$err]"; fails=$((fails + 1)); }

# a cancel reaches the suspended call: it ends at once (the process, which
# waits for every call at exit, too)
start=$(date +%s%N)
call p2:cancel
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took" -lt 3000 ] && echo "ok   cancel while blocked: the process ended after ${took} ms" ||
    { echo "FAIL cancel while blocked: the process took ${took} ms"; fails=$((fails + 1)); }
ms=$(echo "$out" | sed -n 's/.*"ms":\([0-9.]*\).*/\1/p' | cut -d. -f1)
contains "cancel while blocked: the future is cancelled" '"canceled":true' "$out"
[ -n "$ms" ] && [ "$ms" -lt 2000 ] && echo "ok   cancel while blocked: done after ${ms} ms" ||
    { echo "FAIL cancel while blocked: [$out] [$err]"; fails=$((fails + 1)); }

# ---- wasi:cli + wasi:io/streams -------------------------------------------------
call p2:greet '"Bob"'
check "greet: result" 0 "$out"
check "greet: stdout and stderr in the log" "[p2:greet] hello, Bob!
[p2:greet] (stderr) note: Bob" "$err"
call p2:greet_off '"Bob"'
contains "wasi:cli not enabled: stub" 'function `get-stdout` is not enabled: add `wasi:cli`' "$err"
call p2:arg_count
check "get-arguments: the ID and wasi.args" 3 "$out"
call p2:arg 0
check "argv[0] is the function's ID" '"p2:arg"' "$out"
call p2:arg 2
check "argv[2]" '"two words"' "$out"
call p2:env_count
check "get-environment: WHO and PWD" 2 "$out"
call p2:env_entry 0
check "env WHO from its env.variable" '["WHO","tester"]' "$out"
code=0
out=$(WASMFN_P2_TEST_WHO=someone "$wasmfn" call "$proj" p2:env_entry 0 2>"$tmp/err") || code=$?
check "env WHO read per call" '["WHO","someone"]' "$out"
call p2:env_entry 1
check "PWD is wasi.cwd" '["PWD","/work/here"]' "$out"
call p2:cwd
check "initial-cwd" '"/work/here"' "$out"
call p2:cwd_none
check "initial-cwd without wasi.cwd" 'null' "$out"
call p2:quit false
check "exit(ok) from a function without results: a normal return" "0" "$code"
call p2:quit true
check "exit(err): exit" 1 "$code"
contains "exit(err): a TRAP naming the status" "error: TRAP: p2:quit: exited with status 1" "$err"

# an import no host provides (not WASI 0.2, not wippy:runtime/funcs) is a load error
bad=$tmp/bad
mkdir -p "$bad"
sed 's|wasi:io/poll@0\.2\.0|wasx:io/poll@0.2.0|g' "$fixtures/sleep.wasm" >"$bad/x.wasm"
printf 'namespace: bad\nentries:\n  - name: wasm\n    kind: fs.directory\n    directory: .\n  - name: s\n    kind: function.wasm\n    fs: wasm\n    path: x.wasm\n    hash: %s\n    method: "test-sleep#sleep-ms"\n    imports: [wasi:io, wasi:clocks]\n' \
    "$("$wasmfn" hash "$bad/x.wasm")" >"$bad/_index.yaml"
code=0
err=$("$wasmfn" check "$bad" 2>&1) || code=$?
check "an unknown import: load error (exit 3)" 3 "$code"
contains "an unknown import: named" 'unknown import `wasx:io/poll@0.2.0`' "$err"

e2e_finish
