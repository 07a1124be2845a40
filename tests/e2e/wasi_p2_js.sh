#!/bin/sh
# wasi_p2_js.sh - a JavaScript component from componentize-js (tools/jco,
# its default WASI features: it imports wasi:cli, io, clocks, random,
# filesystem and http; StarlingMonkey looks at the preopens when it first
# writes to stdout, so wasi:filesystem is enabled too) whose functions use console.log, Date.now() and
# Math.random(), called through the registry from Lua and the command line:
# the log line, the host's wall clock, dice in 1..6. The component (12 MB,
# ~40 s to build) is made from wasi_p2_js/hello.{js,wit} into the build
# directory by bench/js-component, cached by the hash of its inputs and of
# componentize-js; it is not committed. Exit 77 (skip) without componentize-js.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
here=$E2E_HERE
root=$E2E_ROOT
build=$E2E_BUILD
cjs=$root/tools/jco/node_modules/.bin/componentize-js
[ -x "$cjs" ] && command -v node >/dev/null 2>&1 || { echo "skip: componentize-js missing (scripts/setup)"; exit 77; }

tmp=$T
comp=$("$root/bench/js-component" "$build" "$here/wasi_p2_js/hello.js" "$here/wasi_p2_js/hello.wit" \
    2>"$tmp/cjs.log") || { echo "FAIL componentize-js: $(tail -5 "$tmp/cjs.log")"; exit 1; }
proj=$tmp/proj
mkdir -p "$proj/wasm"
cp "$comp" "$proj/wasm/hello.wasm"
hash=$("$wasmfn" hash "$proj/wasm/hello.wasm")
entry() { # name method
    printf '  - name: %s\n    kind: function.wasm\n    fs: wasm\n    path: hello.wasm\n    hash: %s\n    method: %s\n    imports: [wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem]\n    pool: { type: lazy, max_size: 2 }\n' "$1" "$hash" "$2"
}
{
    printf 'namespace: js\nentries:\n'
    printf '  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    entry greet greet
    entry now now-ms
    entry dice dice
    cat <<'YAML'
  - name: from_lua
    kind: function.lua
    method: run
    modules: [funcs]
    source: |
      local funcs = require("funcs")
      function run()
        local g, e1 = funcs.call("js:greet", "Lua")
        local d, e2 = funcs.call("js:dice", 60)
        local faces, bad = {}, 0
        for _, v in ipairs(d or {}) do
          if v < 1 or v > 6 then bad = bad + 1 else faces[v] = true end
        end
        return { greet = g, err = e1 or e2, rolls = #(d or {}), bad = bad, faces = #faces }
      end
YAML
} >"$proj/_index.yaml"

call() { code=0; out=$("$wasmfn" call "$proj" "$@" 2>"$tmp/err") || code=$?; err=$(cat "$tmp/err"); }

call js:greet '"Bob"'
check "greet: the result" '"hi Bob"' "$out"
contains "greet: console.log in the log" "[js:greet] hello from js, Bob" "$err"
before=$(date +%s%3N)
call js:now
after=$(date +%s%3N)
ms=${out%%.*}
[ -n "$ms" ] && [ "$ms" -ge $((before - 1000)) ] && [ "$ms" -le $((after + 1000)) ] &&
    echo "ok   Date.now() is the host's wall clock ($ms)" || { echo "FAIL Date.now(): [$out] [$err] not in [$before, $after]"; fails=$((fails + 1)); }
call js:dice 5
echo "$out" | grep -Eq '^\[[1-6](,[1-6]){4}\]$' && echo "ok   Math.random() dice: $out" ||
    { echo "FAIL dice: [$out] [$err]"; fails=$((fails + 1)); }
call js:from_lua
check "from Lua: greet, 60 rolls in 1..6 showing every face" '{"bad":0,"faces":6,"greet":"hi Lua","rolls":60}' "$out"
contains "from Lua: console.log in the log" "[js:greet] hello from js, Lua" "$err"

e2e_finish
