#!/bin/sh
# p2_state.sh - no WASI 0.2 state survives a call (SPEC §5: a pristine
# instance per call) with pooled slots and memory images: the fixture
# tests/fixtures/components/leak.wasm takes the stdout stream, a
# monotonic-clock timer and the preopened directories on every call and
# drops none of them, counts its calls in a global and in memory, and writes
# "probe N" to stdout. Called again and again in one process (Lua), after
# normal returns, a trap and a timeout, on the inline, a static (one worker:
# one slot reused), a lazy pool and with preinit: every call must see the
# handles and the counters of a fresh instance (calls 1, stdout 1, timer 2,
# one preopen as handle 3, one environment variable) and print "probe 1".
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
wasmfn=$1
proj=$T/proj
mkdir -p "$proj/wasm" "$proj/data"
cp "$E2E_HERE/../fixtures/components/leak.wasm" "$proj/wasm/"
hash=$("$wasmfn" hash "$proj/wasm/leak.wasm")
entry() { # name pool [extra YAML line]
    cat <<YAML
  - name: $1
    kind: function.wasm
    fs: wasm
    path: leak.wasm
    hash: $hash
    method: probe
    imports: [wasi:cli, wasi:clocks, wasi:filesystem]
    wasi:
      env:
        - { id: WHO, name: WHO }
      mounts:
        - { fs: data, guest: /data }
    limits: { max_execution_ms: 1000 }
    pool: $2
${3:-}
YAML
}
{
    cat <<'YAML'
namespace: t
entries:
  - { name: wasm, kind: fs.directory, directory: wasm }
  - { name: data, kind: fs.directory, directory: data }
  - { name: os, kind: env.storage.os }
  - { name: WHO, kind: env.variable, variable: WF_P2_STATE_WHO, storage: os }
  - name: run
    kind: function.lua
    method: run
    modules: [funcs, json]
    source: |
      local funcs = require("funcs")
      local json = require("json")
      function run(id)
        local out = {}
        for _, mode in ipairs({ 0, 0, 1, 0, 2, 0, 0 }) do
          local v, err = funcs.call(id, mode)
          out[#out + 1] = err and err:kind() or json.encode(v)
        end
        return table.concat(out, " ")
      end
YAML
    entry inline "{ type: inline }"
    entry static "{ type: static, workers: 1 }"
    entry lazy "{ type: lazy, max_size: 2 }"
    entry pre "{ type: inline }" "    preinit: true"
} >"$proj/_index.yaml"

p='[1,1,2,1,3,1]'
want="$p $p Internal $p Timeout $p $p"
for id in inline static lazy pre; do
    got=$(WF_P2_STATE_WHO=me "$wasmfn" call "$proj" t:run "\"t:$id\"" 2>"$T/err")
    check "t:$id: pristine handles and counters after returns, a trap and a timeout" "\"$want\"" "$got"
    # every call wrote "probe 1" (7 calls); nothing else came out
    check "t:$id: stdout of each call" 7 "$(grep -c "^\[t:$id\] probe 1$" "$T/err")"
    check "t:$id: no other output" 0 "$(grep -vc "^\[t:$id\] probe 1$" "$T/err")"
done
e2e_finish
