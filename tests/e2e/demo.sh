#!/bin/sh
# demo.sh - the README's demo (examples/demo/run) prints exactly what
# tests/e2e/demo.expected holds: the original document's examples through
# `wasmfn check` / `wasmfn call`, the greet endpoint served by `wasmfn run`,
# and the two embedding examples.
# $1 = the wasmfn binary (example_embed and example_project are built beside it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$(dirname "$1")" && pwd)
cd "$here/../.." || exit 1
# the demo's component is the test fixture built from committed sources
cmp -s examples/demo/wasm/calc.wasm tests/fixtures/components/calc.wasm ||
    { echo "FAIL: examples/demo/wasm/calc.wasm differs from tests/fixtures/components/calc.wasm"; exit 1; }
cmp -s examples/demo/wasm/sleep.wasm tests/fixtures/components/sleep.wasm ||
    { echo "FAIL: examples/demo/wasm/sleep.wasm differs from tests/fixtures/components/sleep.wasm"; exit 1; }
out=$(examples/demo/run "$build" 2>&1) || { echo "FAIL: the demo exited with an error"; echo "$out"; exit 1; }
# the served part picks a free port: compare without it
out=$(printf '%s\n' "$out" | sed 's/127\.0\.0\.1:[0-9]*/127.0.0.1:PORT/g')
if [ "$out" = "$(cat "$here/demo.expected")" ]; then
    echo "ok   demo output"
else
    echo "FAIL: demo output differs"
    printf '%s\n' "$out" | diff "$here/demo.expected" - 
    exit 1
fi
