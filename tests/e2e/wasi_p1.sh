#!/bin/sh
# wasi_p1.sh - the WASI preview 1 test suite (../shared/testsuite/wasi-p1,
# C and AssemblyScript) through `wasmfn exec`, as its SPECIFICATION.md says:
# per test FOO.wasm an optional FOO.json, legacy (args, env, root,
# exit_code, stdout, stderr) or operation-based (run, wait, read); `root`
# is preopened as the guest's `/`; *.cleanup artifacts are removed first;
# stdin is empty. Runs on a temporary copy so the shared folder is never
# modified. Needs jq.
#
# A third argument `adapted` (wasi_p2_adapted.sh) runs the suite through
# preview 2: every test module is turned into a command component with
# jco's preview 1 command adapter (adapt/adapt.sh, cached in the build
# directory) that replaces FOO.wasm in the copy, so the guest's argv[0] is
# the same as under preview 1. A fourth `0.2.0` (wasi_p2_adapted_020.sh)
# adapts with the jco that tools/jco pins directly (1.4.4), whose adapter
# imports WASI @0.2.0 rather than @0.2.12, for the C programs (its
# wit-component cannot adapt the AssemblyScript ones: they import fd_write
# twice).
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SUITE=$2/testsuite/wasi-p1
MODE=${3:-}
JCO=${4:-}
. "$(dirname "$0")/lib/e2e.sh"
[ "$JCO" = 0.2.0 ] && P2_JCO=$P2_JCO_OLD
command -v jq >/dev/null || fail "jq is missing (scripts/setup)"
[ -d "$SUITE" ] || fail "no suite at $SUITE"

TMP=$T
cp -R "$SUITE" "$TMP/suite"
chmod -R u+w "$TMP/suite"
find "$TMP/suite" -name '*.cleanup' -exec rm -rf {} +
if [ "$MODE" = adapted ]; then
    [ "$JCO" = 0.2.0 ] && rm -rf "$TMP/suite/assemblyscript"
    e2e_adapt "$TMP"/suite/*/*.wasm
    for wasm in "$TMP"/suite/*/*.wasm; do
        cp "$(e2e_component "$wasm")" "$wasm"
    done
fi

# Either form of a spec as the legacy one: the first run's args, env and
# root, the first wait's exit code, the stdout and stderr reads joined.
NORMALIZE='
  if .operations then
    (.operations | map(select(.type == "run"))[0] // {}) as $run |
    (.operations | map(select(.type == "wait"))[0] // {}) as $wait |
    def reads($id): .operations | map(select(.type == "read" and (.id // "stdout") == $id)
                                      | .payload // "") | join("");
    { args: ($run.args // []), env: ($run.env // {}), root: $run.root,
      exit_code: ($wait.exit_code // 0), stdout: reads("stdout"), stderr: reads("stderr") }
  else . end'
# The exit status wanted: the spec's; through the adapter, whose proc_exit
# is wasi:cli/exit's exit(err) for any status but 0 (preview 2 has no
# status), 1 for any but 0.
WANT_CODE='.exit_code // 0'
[ "$MODE" = adapted ] && WANT_CODE='if (.exit_code // 0) == 0 then 0 else 1 end'

# What the adapter itself cannot do, the same under jco's own host
# (`jco run`, node): these tests fail there exactly as here, so they are
# checked to fail that way (a change is reported).
# - args_get, environ_get (AssemblyScript): the adapter keeps its state in
#   a page it grows the guest's memory by, and AssemblyScript's allocator
#   owns all memory up to memory.size: its allocations overwrite that state
#   ("assertion failed at adapter line N" in args_get / environ_get).
# - fd_write-to-invalid-fd (AssemblyScript): aborts the same way.
# - sock_shutdown (jco 1.4.4's adapter, WASI 0.2.0 mode): not implemented
#   there (`unreachable!()`); later adapters answer it.
known_failure() { # name -> the symptom (a stderr substring), or nothing
    [ "$MODE" = adapted ] || return 0
    case $JCO/$1 in
    0.2.0/c/sock_shutdown-*) echo "unreachable executed at adapter line" ;;
    esac
    case $1 in
    assemblyscript/args_get-multiple-arguments) echo "assertion failed at adapter line" ;;
    assemblyscript/environ_get-multiple-variables) echo "assertion failed at adapter line" ;;
    assemblyscript/fd_write-to-invalid-fd) echo "abort:  in src_input.ts(11:1)" ;;
    esac
}

pass=0
failed=0
known=0
for wasm in "$TMP"/suite/*/*.wasm; do
    dir=$(dirname "$wasm")
    base=$(basename "$wasm" .wasm)
    name=$(basename "$dir")/$base
    spec=$dir/$base.json
    if [ -f "$spec" ]; then
        jq "$NORMALIZE" "$spec" >"$TMP/spec.json"
    else
        echo '{}' >"$TMP/spec.json"
    fi
    spec=$TMP/spec.json
    # One NUL-separated argument vector, so arguments and values may hold
    # quotes, spaces and newlines.
    jq -j --arg wasm "$base.wasm" '
        ((.env // {}) | to_entries | map("--env\u0000\(.key)=\(.value)\u0000") | join("")),
        (if .root then "--dir\u0000\(.root)::/\u0000" else "" end),
        "\($wasm)\u0000",
        ((.args // []) | map("\(.)\u0000") | join(""))' "$spec" >"$TMP/argv"
    want_code=$(jq -r "$WANT_CODE" "$spec")
    jq -j '.stdout // ""' "$spec" >"$TMP/want_out"
    jq -j '.stderr // ""' "$spec" >"$TMP/want_err"
    # xargs folds exit statuses: the inner shell records the real one.
    (cd "$dir" && OUT=$TMP/out ERR=$TMP/err CODE=$TMP/code xargs -0 sh -c \
        '"$0" exec "$@" </dev/null >"$OUT" 2>"$ERR"; echo $? >"$CODE"' "$WASMFN" <"$TMP/argv")
    code=$(cat "$TMP/code")
    why=""
    [ "$code" = "$want_code" ] || why="exit $code, want $want_code"
    cmp -s "$TMP/out" "$TMP/want_out" || why="$why; stdout differs"
    if [ -s "$TMP/want_err" ] && ! cmp -s "$TMP/err" "$TMP/want_err"; then
        why="$why; stderr differs"
    fi
    symptom=$(known_failure "$name")
    if [ -n "$symptom" ]; then
        if [ -n "$why" ] && grep -qF "$symptom" "$TMP/err"; then
            known=$((known + 1))
            echo "known $name: fails in the adapter, as under jco's host ($symptom)"
        else
            failed=$((failed + 1))
            echo "FAIL $name: expected the adapter's known failure ($symptom): ${why:-it passed}"
            sed 's/^/  stderr: /' "$TMP/err" | head -5
        fi
    elif [ -z "$why" ]; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: $why"
        sed 's/^/  stderr: /' "$TMP/err" | head -5
    fi
    find "$TMP/suite" -name '*.cleanup' -exec rm -rf {} +
done
if [ "$MODE" = adapted ]; then
    echo "wasi-p2 (adapted p1 suite${JCO:+, WASI $JCO}): $pass passed, $failed failed, $known known adapter failures"
else
    echo "wasi-p1: $pass passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$pass" -gt 0 ]
