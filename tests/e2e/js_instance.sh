#!/bin/sh
# js_instance.sh - a real componentize-js component (bench/instance/add.js,
# SpiderMonkey inside, ~12 MB, built once into the build directory by
# bench/js-component as bench/instance/run does) called again and again in one process: every
# call starts from a pristine instance (memory image, pooled slot reset),
# state kept in the JS heap included, after a normal return, after a thrown
# exception (a trap) and after a timeout, on the inline and a static pool;
# preinit gives the same answers.
# $1 = the wasmfn binary (its folder is the build directory).
set -u
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$(dirname "$wasmfn")" && pwd)
bench=$here/../../bench
wasm=$("$bench/js-component" "$build" "$bench/instance/add.js" "$bench/instance/add.wit" \
    -d stdio random clocks http fetch-event) || { echo "FAIL js-component"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wasm"
cp "$wasm" "$tmp/wasm/js.wasm"
hash=$("$wasmfn" hash "$tmp/wasm/js.wasm")
entry() { # name pool [extra]
    cat <<YAML
  - name: $1
    kind: function.wasm
    fs: wasm
    path: js.wasm
    hash: $hash
    method: step
    limits: { max_execution_ms: 2000 }   # the first call builds the 12 MB template: slow under ASan on a busy machine
    pool: $2
${3:-}
YAML
}
{
    echo "namespace: t"
    echo "entries:"
    echo "  - { name: wasm, kind: fs.directory, directory: wasm }"
    entry inline "{ type: inline }"
    entry static "{ type: static, workers: 2 }"
    entry pre "{ type: inline }" "    preinit: true"
    cat <<'YAML'
  - name: run
    kind: function.lua
    method: run
    modules: [funcs]
    source: |
      local funcs = require("funcs")
      function run(id)
        local out = {}
        for _, mode in ipairs({ 0, 0, 0, 1, 0, 2, 0, 0 }) do
          local v, err = funcs.call(id, mode)
          out[#out + 1] = err and err:kind() or v
        end
        return table.concat(out, " ")
      end
YAML
} > "$tmp/_index.yaml"
fails=0
for id in t:inline t:static t:pre; do
    got=$("$wasmfn" call "$tmp" t:run "\"$id\"" 2>&1)
    want='"11 11 11 Internal 11 Timeout 11 11"'
    if [ "$got" = "$want" ]; then echo "ok   $id"; else echo "FAIL $id: expected [$want], got [$got]"; fails=$((fails + 1)); fi
done
[ "$fails" -eq 0 ]
