#!/bin/sh
# wasi_p1.sh - the WASI preview 1 test suite (../shared/testsuite/wasi-p1,
# C and AssemblyScript) through `wasmfn exec`, as its SPECIFICATION.md says:
# per test FOO.wasm an optional FOO.json (args, env, root, exit_code,
# stdout, stderr); `root` is preopened as the guest's `/`; *.cleanup
# artifacts are removed first. Runs on a temporary copy so the shared
# folder is never modified. Needs jq.
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SUITE=$2/testsuite/wasi-p1
command -v jq >/dev/null || { echo "wasi_p1: jq is missing (scripts/setup)"; exit 1; }
[ -d "$SUITE" ] || { echo "wasi_p1: no suite at $SUITE"; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp -R "$SUITE" "$TMP/suite"
chmod -R u+w "$TMP/suite"
find "$TMP/suite" -name '*.cleanup' -exec rm -rf {} +

pass=0
fail=0
for wasm in "$TMP"/suite/*/*.wasm; do
    dir=$(dirname "$wasm")
    base=$(basename "$wasm" .wasm)
    name=$(basename "$dir")/$base
    spec=$dir/$base.json
    [ -f "$spec" ] || { echo '{}' >"$TMP/default.json"; spec=$TMP/default.json; }
    # One NUL-separated argument vector, so arguments and values may hold
    # quotes, spaces and newlines.
    jq -j --arg wasm "$base.wasm" '
        ((.env // {}) | to_entries | map("--env\u0000\(.key)=\(.value)\u0000") | join("")),
        (if .root then "--dir\u0000\(.root)::/\u0000" else "" end),
        "\($wasm)\u0000",
        ((.args // []) | map("\(.)\u0000") | join(""))' "$spec" >"$TMP/argv"
    want_code=$(jq -r '.exit_code // 0' "$spec")
    jq -j '.stdout // ""' "$spec" >"$TMP/want_out"
    jq -j '.stderr // ""' "$spec" >"$TMP/want_err"
    # xargs folds exit statuses: the inner shell records the real one.
    (cd "$dir" && OUT=$TMP/out ERR=$TMP/err CODE=$TMP/code xargs -0 sh -c \
        '"$0" exec "$@" >"$OUT" 2>"$ERR"; echo $? >"$CODE"' "$WASMFN" <"$TMP/argv")
    code=$(cat "$TMP/code")
    why=""
    [ "$code" = "$want_code" ] || why="exit $code, want $want_code"
    cmp -s "$TMP/out" "$TMP/want_out" || why="$why; stdout differs"
    if [ -s "$TMP/want_err" ] && ! cmp -s "$TMP/err" "$TMP/want_err"; then
        why="$why; stderr differs"
    fi
    if [ -z "$why" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: $why"
        sed 's/^/  stderr: /' "$TMP/err" | head -5
    fi
    find "$TMP/suite" -name '*.cleanup' -exec rm -rf {} +
done
echo "wasi-p1: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
