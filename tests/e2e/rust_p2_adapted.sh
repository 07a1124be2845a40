#!/bin/sh
# rust_p2_adapted.sh - the Rust programs of rust_p1.sh (rust/std_p1.rs:
# std::fs, env, io, time, sleep, exit; rust/raw_p1.rs: the preview 1 imports
# called directly as the `wasi` crate does) built the same way, turned into
# command components with jco's preview 1 command adapter (adapt/adapt.sh)
# and run through `wasmfn exec` on WASI 0.2: the same lines, stderr and
# files left on the host as under preview 1 (exit(3) is 1: the adapter's). raw_p1 runs with
# `adapted`, which leaves out the steps that change rights (preview 2 has
# none: the adapter's fd_fdstat_set_rights is a trap), and its fdstat
# lines are the adapter's (rights from the descriptor's flags). Then the
# same components as registry functions (rust_project/ with
# `method: wasi:cli/run#run` and the WASI 0.2 `imports`): the entry's
# `wasi` block through preview 2, the output in the log.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE
. "$HERE/lib/rust_p1.sh"

mkdir -p "$T/ro"
echo hi >"$T/ro/greeting.txt"
rust_p1_build "$T/bin"
e2e_adapt "$T/bin/std_p1.wasm" "$T/bin/raw_p1.wasm"
STD=$(e2e_component "$T/bin/std_p1.wasm")
RAW=$(e2e_component "$T/bin/raw_p1.wasm")

rust_p1_exec_std "$STD" "$T/ro"
echo "ok   std_p1 adapted: fs, env, stdio, clocks, sleep"

code=0
"$WASMFN" exec --dir "$W::/w" --dir "$T/ro::/ro::ro" "$STD" fail \
    </dev/null >"$T/stdout" 2>"$T/stderr" || code=$?
# The adapter's proc_exit is wasi:cli/exit's exit(err) for any status but
# 0 (its exit-with-code is not used), so exit(3) is status 1.
[ "$code" -eq 1 ] || fail "std fail: exit $code, want 1: $(cat "$T/stderr")"
grep -qx 'GREETING=(unset)' "$T/stdout" || fail "std fail: $(cat "$T/stdout")"
echo "ok   std_p1 adapted: std::process::exit(3) is exit(err), status 1"

rust_p1_exec_raw "$RAW" "$T/ro" "$HERE/rust/raw_p1.adapted.want" adapted
echo "ok   raw_p1 adapted: re-open with every right, renumber, read-only mount"

# --- registry functions ------------------------------------------------------
P=$T/proj
cp -r "$HERE/rust_project" "$P"
mkdir -p "$P/bin" "$P/rw"
cp "$STD" "$P/bin/std_p1.wasm"
cp "$RAW" "$P/bin/raw_p1.wasm"
sed -e "s/@STD@/$("$WASMFN" hash "$P/bin/std_p1.wasm")/" \
    -e "s/@RAW@/$("$WASMFN" hash "$P/bin/raw_p1.wasm")/" \
    -e 's|^    method: _start$|    method: "wasi:cli/run#run"\n    imports: [wasi:cli, wasi:filesystem, wasi:clocks, wasi:random]|' \
    -e 's|args: \[/w, /ro\]|args: [/w, /ro, adapted]|' \
    "$HERE/rust_project/_index.yaml" >"$P/_index.yaml"
# The same program without the `wasi:filesystem` word: its filesystem
# imports are stubs that trap naming the word.
cat >>"$P/_index.yaml" <<YAML

  - name: std_nofs
    kind: function.wasm
    fs: bin
    path: std_p1.wasm
    hash: "$("$WASMFN" hash "$P/bin/std_p1.wasm")"
    method: "wasi:cli/run#run"
    imports: [wasi:cli, wasi:clocks, wasi:random]
    wasi:
      mounts:
        - {fs: rw, guest: /w}
YAML
"$WASMFN" check "$P" >/dev/null || fail "check of the project failed"
call() { e2e_call "$P" "$@"; }
log() { sed "s/^/[rs:$1] /" "$2"; }

ln -s b.txt "$P/rw/link"
call rs:std
[ "$code" -eq 0 ] || fail "call std: exit $code: $(cat "$T/stderr")"
grep -v '^stdin:' "$HERE/rust/std_p1.want" | log std - >"$T/want"
grep -v '(stderr)' "$T/stderr" | diff -u "$T/want" - || fail "call std: log differs"
[ "$(grep -c '^\[rs:std\] (stderr) read 0 lines$' "$T/stderr")" -eq 1 ] ||
    fail "call std: stderr line: $(cat "$T/stderr")"
[ "$(ls -A "$P/rw")" = b.txt ] || fail "call std: rw mount holds: $(ls "$P/rw")"
[ "$(ls "$P/ro")" = greeting.txt ] || fail "call std: the read-only mount changed"
echo "ok   registry std_p1 adapted: fs, env, log, clocks, sleep"

call rs:std_fail
[ "$code" -eq 1 ] || fail "call std_fail: exit $code"
grep -qx 'error: TRAP: rs:std_fail: exited with status 1' "$T/stderr" ||
    fail "call std_fail: $(cat "$T/stderr")"
echo "ok   registry std_p1 adapted: exit(3) is a TRAP naming status 1 (the adapter's exit(err))"

rm -rf "$P/rw" && mkdir -p "$P/rw"
call rs:raw
[ "$code" -eq 0 ] || fail "call raw: exit $code: $(cat "$T/stderr")"
log raw "$HERE/rust/raw_p1.adapted.want" >"$T/want"
diff -u "$T/want" "$T/stderr" || fail "call raw: log differs"
[ "$(cat "$P/rw/raw.txt")" = "hello raw" ] || fail "call raw: raw.txt not written"
[ "$(ls "$P/ro")" = greeting.txt ] || fail "call raw: the read-only mount changed"
echo "ok   registry raw_p1 adapted: re-open with every right, renumber, read-only mount"

call rs:std_nofs
[ "$code" -eq 1 ] || fail "call std_nofs: exit $code"
grep -q '^error: TRAP: rs:std_nofs: .*wasi:filesystem.* is not enabled: add `wasi:filesystem` to the entry.s `imports`' "$T/stderr" ||
    fail "call std_nofs: $(cat "$T/stderr")"
echo "ok   registry std_p1 adapted without wasi:filesystem: a trap naming the word"
