#!/bin/sh
# wast_runner.sh - `wasmfn wast` end to end: a passing script, one failure of
# each kind, a script that does not parse, the summary line, the exit codes.
# $1 = the wasmfn binary, $2 = the shared folder (unused).
set -u
WASMFN=$1
case "$WASMFN" in /*) ;; *) WASMFN=$(pwd)/$WASMFN ;; esac
DIR=$(cd "$(dirname "$0")/wast" && pwd)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
status=0

fail() { echo "FAIL: $*"; status=1; }

# run EXPECTED_EXIT ARGS... : output in $OUT
run() {
    want=$1; shift
    "$WASMFN" wast "$@" >"$OUT" 2>/dev/null
    rc=$?
    [ "$rc" -eq "$want" ] || fail "wasmfn wast $*: exit $rc, expected $want"
}

# expect_lines FILE: every line of $OUT must match the shell pattern on the
# same line of FILE (read from stdin), and the counts must agree.
expect_lines() {
    what=$1
    pat=$(mktemp)
    cat >"$pat"
    n_out=$(wc -l <"$OUT")
    n_pat=$(wc -l <"$pat")
    [ "$n_out" -eq "$n_pat" ] || fail "$what: $n_out lines, expected $n_pat"
    i=1
    while [ "$i" -le "$n_pat" ]; do
        line=$(sed -n "${i}p" "$OUT")
        p=$(sed -n "${i}p" "$pat")
        # shellcheck disable=SC2254
        case "$line" in
            $p) ;;
            *) fail "$what: line $i is '$line', expected '$p'" ;;
        esac
        i=$((i + 1))
    done
    rm -f "$pat"
    [ "$status" -eq 0 ] || { echo "--- output:"; cat "$OUT"; }
}

cd "$DIR"

run 0 pass.wast
expect_lines pass <<'X'
36 passed, 0 failed, 0 skipped
X

run 1 fail.wast
expect_lines fail <<'X'
fail.wast:8: expected (i32.const 4), got (i32.const 3)
fail.wast:9: expected (i32.const 0), got trap "unreachable"
fail.wast:10: expected (f32.const nan:canonical), got (f32.const 1.5)
fail.wast:11: expected trap "integer overflow", got trap "unreachable"
fail.wast:12: expected trap "unreachable", got (i32.const 2)
fail.wast:13: expected trap "call stack exhausted", got (i32.const 2)
fail.wast:14: expected no results, got a failure to run: expected export "missing" to exist
fail.wast:15: expected invalid "type mismatch", got success
fail.wast:16: expected malformed "unexpected token", got INVALID "*"
fail.wast:17: expected unlinkable "unknown import", got success
fail.wast:18: expected trap "unreachable", got success
fail.wast:20: expected module to load, got INVALID "*"
fail.wast:21: expected (i32.const 0), got a failure to run: expected module of line 20 to load
fail.wast:22: expected success, got a failure to run: expected module of line 20 to load
0 passed, 14 failed, 1 skipped
X

run 1 -v fail.wast
grep -q '^fail.wast:19: skipped: ref.i31 values are not supported$' "$OUT" ||
    fail "-v does not print the skipped command"

# Component scripts: every command form passes; then one failure of each kind.
run 0 component.wast
expect_lines component <<'X'
69 passed, 0 failed, 0 skipped
X

run 1 component_fail.wast
expect_lines component_fail <<'X'
component_fail.wast:10: expected (u8.const 4), got (u8.const 3)
component_fail.wast:11: expected (u16.const 3), got (u8.const 3)
component_fail.wast:12: expected trap "unreachable", got (u8.const 1)
component_fail.wast:13: expected (u8.const 0), got trap "unreachable"
component_fail.wast:14: expected trap "out of bounds", got trap "cannot enter component instance: it trapped in an earlier call (a trap poisons the instance)"
component_fail.wast:15: expected no results, got a failure to run: expected an exported function "missing"
component_fail.wast:16: expected (u8.const 0), got a failure to run: expected arguments that fit "u8" (*)
component_fail.wast:17: expected (u8.const 0), got a failure to run: expected a valid argument (300 is out of range for u8)
component_fail.wast:18: expected invalid "duplicate", got success
component_fail.wast:19: expected malformed "malformed", got success
component_fail.wast:20: expected unlinkable "missing", got success
component_fail.wast:21: expected the component to load, got UNLINKABLE "*nope*"
component_fail.wast:22: expected no results, got a failure to run: expected the component of line 21 to load
2 passed, 13 failed, 0 skipped
X

# Known failures: a listed command that fails counts as skipped, with its
# reason under -v; a listed command that does not fail is a failure.
KNOWN=$(mktemp)
trap 'rm -f "$OUT" "$KNOWN"' EXIT
printf '# comment\ncomponent_fail.wast:10 off by one on purpose\ncomponent_fail.wast:9999 never fails\n' >"$KNOWN"
run 1 -v --known-failures "$KNOWN" component_fail.wast
grep -q '^component_fail.wast:10: skipped: known failure (off by one on purpose): expected (u8.const 4), got (u8.const 3)$' "$OUT" ||
    fail "a known failure is not reported as skipped with its reason"
grep -q '^component_fail.wast:9999: expected the known failure (never fails), got none' "$OUT" ||
    fail "a known failure that does not fail is not a failure"
tail -n 1 "$OUT" | grep -q '^2 passed, 13 failed, 1 skipped$' || fail "known failures: wrong counts: $(tail -n 1 "$OUT")"
printf 'no-line-number reason\n' >"$KNOWN"
run 2 --known-failures "$KNOWN" component_fail.wast

# A script that does not parse is one failure; the next file still runs.
run 1 malformed.wast pass.wast
expect_lines malformed <<'X'
malformed.wast:2:1: expected a well-formed script, got unclosed parenthesis
36 passed, 1 failed, 0 skipped
X

run 2
run 2 --bogus pass.wast
run 0 --help
grep -q '^usage: wasmfn wast' "$OUT" || fail "--help does not print the usage"
run 1 no-such-file.wast

exit $status
