#!/bin/sh
# jscalc.sh - a real 12 MB component end to end: bench/jscalc (calc.js
# built by the pinned componentize-js through bench/js-component,
# SpiderMonkey inside; cached in the build directory) is checked, then called: once (its functions translated
# on their first call), through Lua on a static pool of 4 with 40 calls in
# flight (the same functions' first calls racing on several workers), and
# with a wrapping sum. $1 = the wasmfn binary, $2 = the shared folder (unused).
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bench=$here/../../bench
wasm=$("$bench/js-component" "$(dirname "$WASMFN")" "$bench/jscalc/calc.js" "$bench/jscalc/calc.wit") || {
    echo "FAIL: bench/js-component (componentize-js from scripts/setup) did not build the component"
    exit 1
}
mkdir -p "$tmp/p/wasm"
cp "$wasm" "$tmp/p/wasm/calc.wasm"
hash=$("$WASMFN" hash "$tmp/p/wasm/calc.wasm")
cat >"$tmp/p/_index.yaml" <<YAML
namespace: js
entries:
  - name: wasm
    kind: fs.directory
    directory: wasm
  - name: add
    kind: function.wasm
    fs: wasm
    path: calc.wasm
    hash: $hash
    method: add
    imports: [wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem]
    pool: { type: inline }
  - name: pooled
    kind: function.wasm
    fs: wasm
    path: calc.wasm
    hash: $hash
    method: add
    imports: [wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem]
    pool: { type: static, size: 4 }
  - name: fan
    kind: function.lua
    method: run
    modules: [funcs]
    source: |
      local funcs = require("funcs")
      function run(n, id)
        local fs = {}
        for i = 1, n do fs[i] = funcs.async(id, i, 1000) end
        local sum = 0
        for i = 1, n do
          fs[i]:wait()
          local err = fs[i]:error()
          if err then return "call " .. i .. ": " .. tostring(err) end
          sum = sum + fs[i]:result():data()
        end
        return sum
      end
YAML

out=$("$WASMFN" check "$tmp/p" 2>&1)
[ "$out" = "ok: 4 entries, 3 functions" ] || fail "check: $out"
out=$("$WASMFN" call "$tmp/p" js:add 40 2 2>&1)
[ "$out" = "42" ] || fail "add 40 2: $out"
out=$("$WASMFN" call "$tmp/p" js:add 2147483647 1 2>&1)
[ "$out" = "-2147483648" ] || fail "add wraps as (a + b) | 0: $out"
# 40 calls in flight on 4 workers: sum of (i + 1000) for i = 1..40
out=$("$WASMFN" call "$tmp/p" js:fan 40 '"js:pooled"' 2>&1)
[ "$out" = "40820" ] || fail "40 pooled calls: $out"

# The auto tier (src/wasm/jit), with a cache of its own: the calls start
# interpreted at once while a background thread compiles the component's
# units, and functions switch to native code as the 40 calls run on 4
# workers; the process ends without waiting for the compilation.
if ! "$WASMFN" wast --tier=compiled /dev/null 2>&1 | grep -q "no compiled tier"; then
    out=$(WASMFN_CACHE_DIR="$tmp/cache" WASMFN_JIT_VERBOSE=1 "$WASMFN" call --tier=auto "$tmp/p" js:fan 40 '"js:pooled"' 2>"$tmp/err")
    [ "$out" = "40820" ] || fail "40 pooled calls, auto tier: $out $(cat "$tmp/err")"
    grep -q "units in the background" "$tmp/err" || fail "auto tier: nothing compiled in the background: $(cat "$tmp/err")"
    out=$(WASMFN_CACHE_DIR="$tmp/cache" "$WASMFN" call --tier=auto "$tmp/p" js:add 40 2 2>&1)
    [ "$out" = "42" ] || fail "add 40 2, auto tier: $out"
fi

if [ "$fails" -ne 0 ]; then echo "jscalc: $fails failed"; exit 1; fi
echo "jscalc: 6 passed, 0 failed"
