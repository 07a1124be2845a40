#!/bin/sh
# wasi_registry.sh - WASI preview 1 for registry functions (SPEC §4) through
# `wasmfn call` and `wasmfn check`: wasi/demo.c, built here with clang for
# wasm32-wasi, runs as function.wasm entries of wasi_project/ (the test
# writes the binary's hash into the copied _index.yaml) reading a read-only
# mount, listing a directory, reading env and args, writing a file; its
# stdout/stderr reach the log (stderr) prefixed with the entry ID. Then:
# exit statuses, a read-only mount refusing a write, a missing required env
# variable (NOT_FOUND, nothing runs), a reactor WAT export logging partial
# lines, proc_exit(0), a not-enabled import (trap naming it and the word)
# and imports no host provides (load errors, exit 3, with file:line).
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE
P=$T/proj

cp -r "$HERE/wasi_project" "$P"
mkdir -p "$P/bin"
clang --target=wasm32-wasi -O1 -o "$P/bin/demo.wasm" "$HERE/wasi/demo.c"
hash=$("$WASMFN" hash "$P/bin/demo.wasm")
sed "s/@HASH@/$hash/" "$HERE/wasi_project/_index.yaml" >"$P/_index.yaml"
"$WASMFN" check "$P" >/dev/null || fail "check of the project failed"

# call ID -> $T/stdout, $T/stderr, $code
call() { e2e_call "$P" "$@"; }

call app:demo
[ "$code" -eq 0 ] || fail "demo: exit $code: $(cat "$T/stderr")"
cat >"$T/want" <<'OUT'
[app:demo] argc=3
[app:demo] arg[1]=one
[app:demo] arg[2]=two words
[app:demo] WHO=tester
[app:demo] HOME=(unset)
[app:demo] file: hello
[app:demo] file: world
[app:demo] entry: apple
[app:demo] entry: banana
[app:demo] entry: cherry
[app:demo] (stderr) done
OUT
diff -u "$T/want" "$T/stderr" || fail "demo: log differs"
[ "$(cat "$P/out/result.txt")" = "written by tester" ] || fail "demo: result.txt not written"
echo "ok   demo: mounts, env, args, output in the log"

call app:demo_fail
[ "$code" -eq 1 ] || fail "demo_fail: exit $code"
grep -qx '\[app:demo_fail\] arg\[1\]=fail' "$T/stderr" || fail "demo_fail: $(cat "$T/stderr")"
grep -qx 'error: TRAP: app:demo_fail: exited with status 7' "$T/stderr" || fail "demo_fail: $(cat "$T/stderr")"
echo "ok   nonzero exit status is a TRAP naming it"

rm -f "$P/out/result.txt"
call app:demo_ro
[ "$code" -eq 1 ] || fail "demo_ro: exit $code"
grep -qx '\[app:demo_ro\] (stderr) open /out/result.txt: Read-only file system' "$T/stderr" ||
    fail "demo_ro: $(cat "$T/stderr")"
grep -qx 'error: TRAP: app:demo_ro: exited with status 12' "$T/stderr" || fail "demo_ro: $(cat "$T/stderr")"
[ ! -e "$P/out/result.txt" ] || fail "demo_ro: the read-only mount was written"
echo "ok   read-only mount refuses the write"

call app:demo_secret
[ "$code" -eq 1 ] || fail "demo_secret: exit $code"
[ "$(cat "$T/stderr")" = 'error: NOT_FOUND: app:demo_secret: required env variable not set: TOKEN (app:token)' ] ||
    fail "demo_secret: $(cat "$T/stderr")"
[ ! -e "$P/out/result.txt" ] || fail "demo_secret: the guest ran"
echo "ok   missing required env variable: NOT_FOUND, nothing ran"

call app:hello
[ "$code" -eq 0 ] || fail "hello: exit $code: $(cat "$T/stderr")"
[ "$(cat "$T/stdout")" = 42 ] || fail "hello: result $(cat "$T/stdout")"
printf '[app:hello] hi from wat\n[app:hello] (stderr) oops\n[app:hello] partial\n' >"$T/want"
diff -u "$T/want" "$T/stderr" || fail "hello: log differs"
echo "ok   reactor export: result and logged lines"

call app:quit
[ "$code" -eq 0 ] || fail "quit: exit $code: $(cat "$T/stderr")"
echo "ok   proc_exit(0) without results returns normally ($(cat "$T/stdout"))"

call app:stubbed
[ "$code" -eq 1 ] || fail "stubbed: exit $code"
grep -q "^error: TRAP: app:stubbed: import wasi_snapshot_preview1::random_get is not enabled: add \`wasi_snapshot_preview1\` (or wasi1, preview1) to the entry's \`imports\`" "$T/stderr" ||
    fail "stubbed: $(cat "$T/stderr")"
echo "ok   not-enabled import traps naming it and the word"

# Imports no host provides: load errors at the source line.
B=$T/bad
mkdir -p "$B"
cat >"$B/_index.yaml" <<'EOF2'
namespace: bad
entries:
  - name: envfoo
    kind: function.wat
    method: f
    source: |
      (module (import "env" "foo" (func)) (func (export "f")))
EOF2
mkdir -p "$B/p1"
cat >"$B/p1/_index.yaml" <<'EOF2'
namespace: bad
entries:
  - name: nosuch
    kind: function.wat
    method: f
    source: (module (import "wasi_snapshot_preview1" "fd_teleport" (func)) (func (export "f")))
EOF2
code=0
"$WASMFN" check "$B" >"$T/stdout" 2>"$T/stderr" || code=$?
[ "$code" -eq 3 ] || fail "check bad: exit $code"
grep -qF '_index.yaml:6: bad:envfoo: the module imports `env`.`foo`, which no host provides' "$T/stderr" ||
    fail "check bad: $(cat "$T/stderr")"
grep -qF 'p1/_index.yaml:6: bad:nosuch: unknown import: wasi_snapshot_preview1::fd_teleport has no such function' "$T/stderr" ||
    fail "check bad: $(cat "$T/stderr")"
echo "ok   imports no host provides are load errors (exit 3)"
