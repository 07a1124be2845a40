#!/bin/sh
# wasi_p2_js.sh - a JavaScript component from componentize-js (tools/jco,
# its default WASI features: it imports wasi:cli, io, clocks, random,
# filesystem and http; StarlingMonkey looks at the preopens when it first
# writes to stdout, so wasi:filesystem is enabled too) whose functions use console.log, Date.now() and
# Math.random(), called through the registry from Lua and the command line:
# the log line, the host's wall clock, dice in 1..6. The component (12 MB,
# ~40 s to build) is made here from wasi_p2_js/hello.{js,wit} into the build
# directory, cached by the hash of its inputs and of componentize-js's
# version; it is not committed. Exit 77 (skip) without componentize-js.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$(dirname "$wasmfn")" && pwd)
cjs=$root/tools/jco/node_modules/.bin/componentize-js
[ -x "$cjs" ] && command -v node >/dev/null 2>&1 || { echo "skip: componentize-js missing (scripts/setup)"; exit 77; }
fails=0
check() { # name expected actual
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
contains() { # name needle haystack
    case "$3" in *"$2"*) echo "ok   $1" ;; *) echo "FAIL $1: [$2] not in [$3]"; fails=$((fails + 1)) ;; esac
}

# ---- the component, built once per input -----------------------------------------
ver=$(cat "$root/tools/jco/node_modules/@bytecodealliance/componentize-js/package.json" | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -1)
key=$(cat "$here/wasi_p2_js/hello.js" "$here/wasi_p2_js/hello.wit" | sha256sum | cut -c1-16)
cache=$build/cache
comp=$cache/jshello-$ver-$key.wasm
if [ ! -f "$comp" ]; then
    mkdir -p "$cache"
    echo "building $comp with componentize-js $ver"
    "$cjs" "$here/wasi_p2_js/hello.js" --wit "$here/wasi_p2_js/hello.wit" -o "$comp.tmp" >"$cache/jshello.log" 2>&1 ||
        { echo "FAIL componentize-js: $(tail -5 "$cache/jshello.log")"; exit 1; }
    mv "$comp.tmp" "$comp"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
