#!/bin/sh
# multi_memory.sh - WASI commands with several memories (the multi-memory
# proposal), encoded by wabt's wat2wasm (an outside encoder: memargs with a
# memory index, memory.copy between two memories, data segments of memory
# 1) and by wasmfn's own text compiler, on every tier: fd_write reads the
# memory the module exports as `memory` (here memory 1, not memory 0), and
# an access past memory 1's end traps (memory 1 is bounds checked per
# access, memory 0 by its guard pages).
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"

cat >"$T/copy.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory $scratch 1)
  (memory $io (export "memory") 1 2)
  (data (memory $scratch) (i32.const 100) "copied from memory 0\n")
  (data (memory $io) (i32.const 16) "in memory 1\n")
  (func (export "_start")
    ;; memory 0 holds an iovec that fd_write must not read
    (i32.store $scratch (i32.const 0) (i32.const 100))
    (i32.store $scratch (i32.const 4) (i32.const 5))
    (i32.store $io (i32.const 0) (i32.const 16))
    (i32.store $io (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; grow memory 1, copy memory 0's text past its old end, write it
    (if (i32.ne (memory.grow $io (i32.const 1)) (i32.const 1)) (then unreachable))
    (memory.copy $io $scratch (i32.const 70000) (i32.const 100) (i32.const 21))
    (i32.store $io (i32.const 0) (i32.const 70000))
    ;; the length: 21 plus the grown page's first byte (zero)
    (i32.store $io (i32.const 4) (i32.add (i32.load8_u $io (i32.const 65536)) (i32.const 21)))
    (if (i32.ne (memory.size $io) (i32.const 2)) (then unreachable))
    (if (i32.ne (memory.size $scratch) (i32.const 1)) (then unreachable))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
cat >"$T/oob.wat" <<'WAT'
(module
  (memory 4)
  (memory $small 1)
  (func (export "_start")
    ;; in bounds of memory 0 (4 pages), past memory 1's single page
    (i32.store $small (i32.const 65534) (i32.const 1))))
WAT

encoders="wasmfn"
if command -v wat2wasm >/dev/null 2>&1; then
    wat2wasm --enable-multi-memory "$T/copy.wat" -o "$T/copy.wasm" || fail "wat2wasm copy.wat"
    wat2wasm --enable-multi-memory "$T/oob.wat" -o "$T/oob.wasm" || fail "wat2wasm oob.wat"
    encoders="wasmfn wabt"
fi
printf 'in memory 1\ncopied from memory 0\n' >"$T/want"
for enc in $encoders; do
    ext=wat
    [ $enc = wabt ] && ext=wasm
    for tier in interp auto compiled; do
        WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/copy.$ext" >"$T/out" 2>"$T/err" \
            || fail "$enc $tier: exit $?: $(cat "$T/err")"
        diff -u "$T/want" "$T/out" || fail "$enc $tier: output differs"
        rc=0
        WASMFN_CACHE_DIR=off "$WASMFN" exec --tier=$tier "$T/oob.$ext" >"$T/out" 2>"$T/err" || rc=$?
        [ $rc -ne 0 ] || fail "$enc $tier: the access past memory 1 did not trap"
        grep -q "out of bounds memory access" "$T/err" || fail "$enc $tier: $(cat "$T/err")"
        echo "ok   $enc $tier"
    done
done
