#!/bin/sh
# bench_wasi.sh - keeps `make bench`'s WASI harness from rotting: builds the
# bench_wasi_all target (bench_wasi runner, the bench/wasi kernels native and
# wasm32-wasi) and runs bench/wasi_bench --quick (tiny inputs, two sightglass
# modules); it fails when any runner's output differs from the expected.
# $1 = wasmfn binary (its directory is the build), $2 = shared dir.
set -eu
build=$(cd "$(dirname "$1")" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
cmake --build "$build" --target bench_wasi_all >/dev/null
out=$("$here/bench/wasi_bench" "$build" "$2" --quick)
echo "$out"
# every kernel and both modules made it into the table with a wasmfn time
for n in fib sieve matmul sha256 nbody hashtab parse loops shootout-ackermann quicksort; do
    echo "$out" | grep -Eq "^$n +[a-z]+ +[0-9.n/a]+ +[0-9]" || { echo "missing: $n" >&2; exit 1; }
done
