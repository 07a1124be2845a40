#!/bin/sh
# memory64.sh - 64-bit memories (memory64) from a real toolchain: clang's
# wasm64 target builds memory64/kernel.c (i64 addresses throughout, memcpy,
# memmove and memset as memory.copy / memory.fill with i64 operands,
# memory.grow and memory.size returning i64); its exit code must be the
# checksum the same file prints natively, on every tier. The same kernel
# reading at 2^32 + 8 and at 2^40 (addresses a 32-bit memory cannot name)
# must trap with "out of bounds memory access".
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE

wasm64() {
    clang --target=wasm64 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--export=_start "$@" \
        "$HERE/memory64/kernel.c"
}
wasm64 -o "$T/kernel.wasm" || fail "clang wasm64"
cc -O2 -o "$T/kernel" "$HERE/memory64/kernel.c" || fail "cc native"
want=$("$T/kernel")
# the module really is memory64 and uses the bulk instructions
if command -v wasm-objdump >/dev/null 2>&1; then
    wasm-objdump -x "$T/kernel.wasm" | grep -q "pages: initial=[0-9]* i64" || fail "no 64-bit memory"
    n=$(wasm-objdump -d "$T/kernel.wasm" | grep -c 'memory\.copy\|memory\.fill\|memory\.grow' || true)
    [ "$n" -ge 3 ] || fail "only $n bulk memory instructions"
fi
for at in 0x100000008ULL 0x10000000000ULL; do
    wasm64 -DTRAP_AT=$at -o "$T/trap$at.wasm" || fail "clang wasm64 TRAP_AT=$at"
done
for tier in interp auto compiled; do
    rc=0
    WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/kernel.wasm" 2>"$T/err" || rc=$?
    [ "$rc" = "$want" ] || fail "$tier: exit $rc, want $want: $(cat "$T/err")"
    for at in 0x100000008ULL 0x10000000000ULL; do
        rc=0
        WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/trap$at.wasm" 2>"$T/err" || rc=$?
        [ $rc -ne 0 ] || fail "$tier: the read at $at did not trap"
        grep -q "out of bounds memory access" "$T/err" || fail "$tier: read at $at: $(cat "$T/err")"
    done
    echo "ok   $tier (exit $want)"
done

# Limits: a 64-bit memory may declare up to 2^48 pages, but one the host
# cannot map (here 4 GiB at the start: 64-bit memories stay one page
# under) is refused at instantiation with a clear error, and memory.grow
# past what the host maps, or by 2^32 pages, returns -1 (i64).
printf '(module (memory i64 65536) (func (export "_start")))' >"$T/big.wat"
rc=0
"$WASMFN" exec "$T/big.wat" 2>"$T/err" || rc=$?
[ $rc -ne 0 ] || fail "a 4 GiB 64-bit memory was instantiated"
grep -q "LIMIT: memory size 65536 pages exceeds the engine limit of 65535 pages" "$T/err" || fail "big: $(cat "$T/err")"
cat >"$T/grow.wat" <<'WAT'
(module (memory i64 1 0x1_0000_0000_0000)
  (func (export "_start")
    (if (i64.ne (memory.grow (i64.const 70000)) (i64.const -1)) (then unreachable))
    (if (i64.ne (memory.grow (i64.const 0x1_0000_0000)) (i64.const -1)) (then unreachable))
    (if (i64.ne (memory.grow (i64.const 2)) (i64.const 1)) (then unreachable))
    (if (i64.ne (memory.size) (i64.const 3)) (then unreachable))))
WAT
for tier in interp compiled; do
    WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/grow.wat" 2>"$T/err" || fail "grow $tier: $(cat "$T/err")"
done
echo "ok   limits"
