#!/bin/sh
# rust_p1.sh - Rust programs on preview 1, built here with Debian's Rust 1.63
# (/usr/bin/rustc --target wasm32-wasi): rust/std_p1.rs (std::fs, env, io,
# time, sleep, exit) and rust/raw_p1.rs (the preview 1 imports called
# directly as the `wasi` crate does: a preopen re-opened with every right,
# rights dropped and then refused with `notcapable`, fd_renumber). Each runs
# through `wasmfn exec` (stdout, stderr, files left on the host, exit
# status) and as a registry function of rust_project/ (its log lines).
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE
. "$HERE/lib/rust_p1.sh"

P=$T/proj
cp -r "$HERE/rust_project" "$P"
mkdir -p "$P/rw"
rust_p1_build "$P/bin"

# --- wasmfn exec ---------------------------------------------------------
rust_p1_exec_std "$P/bin/std_p1.wasm" "$P/ro"
echo "ok   exec std_p1: fs, env, stdio, clocks, sleep"

code=0
"$WASMFN" exec --dir "$W::/w" --dir "$P/ro::/ro::ro" "$P/bin/std_p1.wasm" fail \
    </dev/null >"$T/stdout" 2>"$T/stderr" || code=$?
[ "$code" -eq 3 ] || fail "exec std fail: exit $code, want 3: $(cat "$T/stderr")"
grep -qx 'GREETING=(unset)' "$T/stdout" || fail "exec std fail: $(cat "$T/stdout")"
echo "ok   exec std_p1: std::process::exit(3) is exit status 3"

rust_p1_exec_raw "$P/bin/raw_p1.wasm" "$P/ro" "$HERE/rust/raw_p1.want"
echo "ok   exec raw_p1: re-open with every right, dropped rights refused, renumber"

# --- registry functions --------------------------------------------------
sed -e "s/@STD@/$("$WASMFN" hash "$P/bin/std_p1.wasm")/" \
    -e "s/@RAW@/$("$WASMFN" hash "$P/bin/raw_p1.wasm")/" \
    "$HERE/rust_project/_index.yaml" >"$P/_index.yaml"
"$WASMFN" check "$P" >/dev/null || fail "check of the project failed"
call() { e2e_call "$P" "$@"; }
# The log: every line prefixed with the entry ID; no stdin (none read).
log() { sed "s/^/[rs:$1] /" "$2"; }

ln -s b.txt "$P/rw/link"
call rs:std
[ "$code" -eq 0 ] || fail "call std: exit $code: $(cat "$T/stderr")"
grep -v '^stdin:' "$HERE/rust/std_p1.want" | log std - >"$T/want"
grep -v '(stderr)' "$T/stderr" | diff -u "$T/want" - || fail "call std: log differs"
[ "$(grep -c '^\[rs:std\] (stderr) read 0 lines$' "$T/stderr")" -eq 1 ] ||
    fail "call std: stderr line: $(cat "$T/stderr")"
rust_p1_std_files "$P/rw" "$P/ro" "call std"
echo "ok   registry std_p1: fs, env, log, clocks, sleep"

call rs:std_fail
[ "$code" -eq 1 ] || fail "call std_fail: exit $code"
grep -qx 'error: TRAP: rs:std_fail: exited with status 3' "$T/stderr" ||
    fail "call std_fail: $(cat "$T/stderr")"
echo "ok   registry std_p1: exit(3) is a TRAP naming the status"

rm -rf "$P/rw" && mkdir -p "$P/rw"
call rs:raw
[ "$code" -eq 0 ] || fail "call raw: exit $code: $(cat "$T/stderr")"
log raw "$HERE/rust/raw_p1.want" >"$T/want"
diff -u "$T/want" "$T/stderr" || fail "call raw: log differs"
[ "$(cat "$P/rw/raw.txt")" = "hello raw" ] || fail "call raw: raw.txt not written"
[ "$(ls "$P/ro")" = greeting.txt ] || fail "call raw: the read-only mount changed"
echo "ok   registry raw_p1: re-open with every right, dropped rights refused, renumber"
