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
grep -q '^fail.wast:19: skipped: v128.const values are not supported$' "$OUT" ||
    fail "-v does not print the skipped command"

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
