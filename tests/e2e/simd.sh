#!/bin/sh
# simd.sh - fixed-width SIMD (v128) from a real toolchain: simd/kernels.c
# built by clang for wasm32-wasi with -msimd128 (its wasm_simd128.h
# intrinsics and the loops clang vectorizes itself: shuffles, swizzles,
# saturating, widening and narrowing integer lanes, float lanes and
# saturating truncation) must print exactly what the same file's plain C
# version prints natively, on every tier (the compiled tier translates the
# v128 instructions to LLVM vector IR).
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE

clang --target=wasm32-wasi -msimd128 -O2 -Wno-constant-conversion -o "$T/kernels.wasm" \
    "$HERE/simd/kernels.c" -lm || fail "clang wasm32"
cc -O2 -o "$T/kernels" "$HERE/simd/kernels.c" -lm || fail "cc native"
"$T/kernels" >"$T/native"
[ "$(wc -l <"$T/native")" -eq 8 ] || fail "native run: $(cat "$T/native")"
# the module really uses v128 (wabt's disassembler counts them)
if command -v wasm-objdump >/dev/null 2>&1; then
    n=$(wasm-objdump -d "$T/kernels.wasm" | grep -c 'v128\|i8x16\|i16x8\|i32x4\|f32x4' || true)
    [ "$n" -gt 40 ] || fail "only $n SIMD instructions in kernels.wasm"
fi
for tier in interp auto compiled; do
    WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/kernels.wasm" >"$T/$tier" \
        || fail "$tier: exit $?"
    diff -u "$T/native" "$T/$tier" || fail "$tier output differs from native"
    echo "ok   $tier"
done
