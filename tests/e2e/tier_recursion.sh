#!/bin/sh
# tier_recursion.sh - deep recursion in a real Rust program (built here with
# Debian's rustc --target wasm32-wasi, overflow checks on, so the recursion
# stays a recursion) is the same under every tier: 60,000 frames deep it
# prints what the native build prints under --tier=interp, compiled and auto
# (a compiled wasm call is a native call on the fiber's stack, which used
# to trap "call stack exhausted" near 18,000 frames while the interpreter
# went on to 100,000: a program then worked or trapped depending on
# whether `auto` had compiled it yet); past every limit both tiers trap
# cleanly with exit status 134. $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] || fail "$RUSTC missing: run scripts/setup (packages rustc, libstd-rust-dev-wasm32)"
cat > "$T/depth.rs" <<'RS'
// depth(n) = n, one call per level: the `1 +` is checked (overflow
// checks on), so it is no tail call and LLVM keeps the recursion.
fn depth(n: u32) -> u32 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
fn main() {
    let n: u32 = std::env::args().nth(1).unwrap().parse().unwrap();
    println!("depth({})={}", n, depth(n));
}
RS
flags="--edition 2021 -O -C overflow-checks=on -C panic=abort -C debuginfo=0 -C strip=symbols"
"$RUSTC" $flags --target wasm32-wasi -o "$T/depth.wasm" "$T/depth.rs" 2>"$T/rustc.err" ||
    fail "cannot build depth.rs for wasm32-wasi: $(cat "$T/rustc.err")"
"$RUSTC" $flags -o "$T/depth.native" "$T/depth.rs" 2>"$T/rustc.err" ||
    fail "cannot build depth.rs natively: $(cat "$T/rustc.err")"
export WASMFN_CACHE_DIR="$T/cache"
want=$("$T/depth.native" 60000)
check "native" "depth(60000)=60000" "$want"
# compiled first: it fills the cache auto then loads.
for tier in compiled interp auto; do
    code=0
    "$wasmfn" exec --tier=$tier "$T/depth.wasm" 60000 >"$T/out" 2>"$T/err" || code=$?
    check "$tier: 60,000 frames as natively" "0 $want" "$code $(cat "$T/out")"
    [ "$code" -eq 0 ] || head -3 "$T/err"
done
for tier in compiled interp; do
    code=0
    "$wasmfn" exec --tier=$tier "$T/depth.wasm" 50000000 >"$T/out" 2>"$T/err" || code=$?
    check "$tier: past every limit, a clean trap" "134 wasmfn exec: $T/depth.wasm: TRAP: call stack exhausted" \
        "$code $(head -1 "$T/err")"
done
e2e_finish
