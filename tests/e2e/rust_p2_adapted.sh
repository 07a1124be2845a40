#!/bin/sh
# rust_p2_adapted.sh - the Rust programs of rust_p1.sh (rust/std_p1.rs:
# std::fs, env, io, time, sleep, exit; rust/raw_p1.rs: the preview 1 imports
# called directly as the `wasi` crate does) built the same way, turned into
# command components with jco's preview 1 command adapter (adapt/adapt.sh)
# and run through `wasmfn exec` on WASI 0.2: the same lines, stderr and
# files left on the host as under preview 1 (exit(3) is 1: the adapter's). raw_p1 runs with
# `adapted`, which leaves out the steps that change rights (preview 2 has
# none: the adapter's fd_fdstat_set_rights is a trap), and its fdstat
# lines are the adapter's (rights from the descriptor's flags).
set -eu
WASMFN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$(cd "$(dirname "$WASMFN")" && pwd)/p2-components
. "$HERE/adapt/adapt.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "rust_p2_adapted: $*"; exit 1; }
RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] || fail "$RUSTC missing: run scripts/setup (packages rustc, libstd-rust-dev-wasm32)"

mkdir -p "$T/bin" "$T/ro"
echo hi >"$T/ro/greeting.txt"
for prog in std_p1 raw_p1; do
    "$RUSTC" --edition 2021 --target wasm32-wasi -O -o "$T/bin/$prog.wasm" "$HERE/rust/$prog.rs" ||
        fail "cannot build $prog.rs"
done
p2_adapt "$CACHE" "$T/bin/std_p1.wasm" "$T/bin/raw_p1.wasm" || fail "adapting failed"
STD=$(p2_component "$CACHE" "$T/bin/std_p1.wasm")
RAW=$(p2_component "$CACHE" "$T/bin/raw_p1.wasm")

W=$T/w
mkdir -p "$W"
ln -s b.txt "$W/link"
code=0
printf 'abc\nxyz\n' | "$WASMFN" exec --dir "$W::/w" --dir "$T/ro::/ro::ro" --env GREETING=hey \
    "$STD" x "y z" >"$T/stdout" 2>"$T/stderr" || code=$?
[ "$code" -eq 0 ] || fail "std: exit $code: $(cat "$T/stderr")"
diff -u "$HERE/rust/std_p1.want" "$T/stdout" || fail "std: stdout differs"
[ "$(cat "$T/stderr")" = "read 2 lines" ] || fail "std: stderr: $(cat "$T/stderr")"
[ "$(ls -A "$W")" = b.txt ] || fail "std: rw mount holds: $(ls "$W")"
[ "$(cat "$W/b.txt")" = "one
two" ] || fail "std: b.txt: $(cat "$W/b.txt")"
[ "$(ls "$T/ro")" = greeting.txt ] || fail "std: the read-only mount changed: $(ls "$T/ro")"
echo "ok   std_p1 adapted: fs, env, stdio, clocks, sleep"

code=0
"$WASMFN" exec --dir "$W::/w" --dir "$T/ro::/ro::ro" "$STD" fail \
    </dev/null >"$T/stdout" 2>"$T/stderr" || code=$?
# The adapter's proc_exit is wasi:cli/exit's exit(err) for any status but
# 0 (its exit-with-code is not used), so exit(3) is status 1.
[ "$code" -eq 1 ] || fail "std fail: exit $code, want 1: $(cat "$T/stderr")"
grep -qx 'GREETING=(unset)' "$T/stdout" || fail "std fail: $(cat "$T/stdout")"
echo "ok   std_p1 adapted: std::process::exit(3) is exit(err), status 1"

rm -rf "$W" && mkdir -p "$W"
code=0
"$WASMFN" exec --dir "$W::/w" --dir "$T/ro::/ro::ro" "$RAW" /w /ro adapted \
    >"$T/stdout" 2>"$T/stderr" || code=$?
[ "$code" -eq 0 ] || fail "raw: exit $code: $(cat "$T/stderr")"
diff -u "$HERE/rust/raw_p1.adapted.want" "$T/stdout" || fail "raw: stdout differs"
[ "$(ls "$W")" = "other.txt
raw.txt
sub" ] || fail "raw: rw mount holds: $(ls "$W")"
[ "$(cat "$W/raw.txt")" = "hello raw" ] || fail "raw: raw.txt: $(cat "$W/raw.txt")"
[ -d "$W/sub" ] || fail "raw: sub is not a directory"
[ "$(ls "$T/ro")" = greeting.txt ] || fail "raw: the read-only mount changed"
echo "ok   raw_p1 adapted: re-open with every right, renumber, read-only mount"
