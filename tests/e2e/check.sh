#!/bin/sh
# check.sh - `wasmfn check` and `wasmfn hash` end to end: a sound project with
# every kind, one broken project per error class (exact stderr in each
# project's expected.err), exit codes, and hash against sha256sum.
# $1 = the wasmfn binary, $2 = the shared folder (unused).
set -u
WASMFN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/projects" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_exit() {  # expected-code description command...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || fail "$what: exit $got, expected $want ($(cat "$tmp/err"))"
}

# The sound project: every kind, references by bare name and full ID,
# file://, ${env:..}, pools, limits, imports, wasi.
expect_exit 0 "check sound" "$WASMFN" check sound
[ "$(cat "$tmp/out")" = "ok: 21 entries, 7 functions" ] || fail "check sound: stdout '$(cat "$tmp/out")'"
[ -s "$tmp/err" ] && fail "check sound: stderr '$(cat "$tmp/err")'"

# One broken project per error class: exit 3, every error, exactly.
for p in bad_yaml unknown_kind missing_field mistyped_field duplicate_id dangling_ref bad_hash \
         unreadable_file wat_error invalid_module hostile_path bad_config bad_method http_ambiguous; do
    expect_exit 3 "check $p" "$WASMFN" check "$p"
    if ! diff -u "$p/expected.err" "$tmp/err" >"$tmp/diff"; then
        fail "check $p: stderr differs"
        cat "$tmp/diff"
    fi
    [ -s "$tmp/out" ] && fail "check $p: unexpected stdout '$(cat "$tmp/out")'"
done

# check never writes: an fs.directory with auto_init that does not exist is
# fine for check and left missing (the tree is unchanged, times included);
# it is made when the project is loaded to call. Without auto_init, a
# missing directory is an error.
mkdir -p "$tmp/auto/data"
cat >"$tmp/auto/_index.yaml" <<'EOF'
namespace: t
entries:
  - name: out
    kind: fs.directory
    directory: out/nested
    auto_init: true
  - name: data
    kind: fs.directory
    directory: data
  - name: answer
    kind: function.wat
    source: |
      (module (func (export "answer") (result i32) i32.const 42))
    method: answer
    wasi:
      mounts:
        - fs: out
          guest: /out
EOF
snapshot() { (cd "$tmp/auto" && find . -printf '%p %y %m %T@\n' | sort); }
before=$(snapshot)
expect_exit 0 "check auto_init" "$WASMFN" check "$tmp/auto"
[ "$(cat "$tmp/out")" = "ok: 3 entries, 1 functions" ] || fail "check auto_init: stdout '$(cat "$tmp/out")'"
[ "$(snapshot)" = "$before" ] || fail "check auto_init: the tree changed: $(snapshot)"
[ -e "$tmp/auto/out" ] && fail "check auto_init: made the directory"
expect_exit 0 "call auto_init" "$WASMFN" call "$tmp/auto" t:answer
[ "$(cat "$tmp/out")" = "42" ] || fail "call auto_init: stdout '$(cat "$tmp/out")'"
[ -d "$tmp/auto/out/nested" ] || fail "call auto_init: the directory was not made"
rmdir "$tmp/auto/data"
expect_exit 3 "check missing directory" "$WASMFN" check "$tmp/auto"
[ "$(cat "$tmp/err")" = "_index.yaml:9: t:data: directory 'data' does not exist (set auto_init: true to create it)
wasmfn check: 1 load error in $tmp/auto" ] ||
    fail "check missing directory: '$(cat "$tmp/err")'"
: >"$tmp/auto/data"
expect_exit 3 "check file as directory" "$WASMFN" check "$tmp/auto"
[ "$(cat "$tmp/err")" = "_index.yaml:9: t:data: directory 'data' is not a directory
wasmfn check: 1 load error in $tmp/auto" ] ||
    fail "check file as directory: '$(cat "$tmp/err")'"

# A project written for upstream Wippy: kinds wasmfn does not serve and
# unknown fields are warnings (exactly these), the rest loads and runs;
# --strict turns the warnings into errors.
expect_exit 0 "check upstream_kinds" "$WASMFN" check upstream_kinds
diff -u upstream_kinds/expected.err "$tmp/err" || fail "check upstream_kinds: stderr differs"
[ "$(cat "$tmp/out")" = "ok: 3 entries, 2 functions" ] || fail "check upstream_kinds: stdout '$(cat "$tmp/out")'"
expect_exit 3 "check --strict upstream_kinds" "$WASMFN" check --strict upstream_kinds
sed 's/^warning: //' upstream_kinds/expected.err >"$tmp/strict.err"
echo "wasmfn check: 6 warnings (--strict) in upstream_kinds" >>"$tmp/strict.err"
diff -u "$tmp/strict.err" "$tmp/err" || fail "check --strict upstream_kinds: stderr differs"
expect_exit 0 "call upstream_kinds answer" "$WASMFN" call upstream_kinds app:answer
[ "$(cat "$tmp/out")" = "42" ] || fail "call upstream_kinds app:answer: '$(cat "$tmp/out")'"
diff -u upstream_kinds/expected.err "$tmp/err" || fail "call upstream_kinds: warnings differ"
expect_exit 0 "call upstream_kinds hello" "$WASMFN" call upstream_kinds app:hello
[ "$(cat "$tmp/out")" = '"hello"' ] || fail "call upstream_kinds app:hello: '$(cat "$tmp/out")'"
expect_exit 1 "call a skipped kind" "$WASMFN" call upstream_kinds app:worker
grep -q "^error: NOT_FOUND: " "$tmp/err" || fail "call a skipped kind: $(cat "$tmp/err")"

# Usage and missing directories.
expect_exit 2 "check without DIR" "$WASMFN" check
expect_exit 2 "check with two DIRs" "$WASMFN" check sound sound
expect_exit 0 "check --help" "$WASMFN" check --help
grep -q "usage: wasmfn check \[--strict\] DIR" "$tmp/out" || fail "check --help: no usage"
expect_exit 3 "check missing dir" "$WASMFN" check no-such-project
grep -q "cannot open project directory no-such-project" "$tmp/err" || fail "check missing dir: '$(cat "$tmp/err")'"
mkdir "$tmp/empty"
expect_exit 3 "check empty dir" "$WASMFN" check "$tmp/empty"
grep -q "no _index.yaml found below" "$tmp/err" || fail "check empty dir: '$(cat "$tmp/err")'"

# hash: the same digest as sha256sum, in the sha256: form.
for f in sound/wasm/compute.wasm sound/_index.yaml invalid_module/wasm/bad.wasm; do
    expect_exit 0 "hash $f" "$WASMFN" hash "$f"
    want="sha256:$(sha256sum "$f" | cut -d' ' -f1)"
    [ "$(cat "$tmp/out")" = "$want" ] || fail "hash $f: '$(cat "$tmp/out")', expected '$want'"
done
: >"$tmp/zero"
expect_exit 0 "hash empty file" "$WASMFN" hash "$tmp/zero"
[ "$(cat "$tmp/out")" = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" ] ||
    fail "hash empty file: '$(cat "$tmp/out")'"
expect_exit 1 "hash missing file" "$WASMFN" hash no-such-file
[ "$(cat "$tmp/err")" = "wasmfn hash: cannot open no-such-file: No such file or directory" ] ||
    fail "hash missing file: '$(cat "$tmp/err")'"
expect_exit 1 "hash directory" "$WASMFN" hash sound
expect_exit 2 "hash without FILE" "$WASMFN" hash
expect_exit 0 "hash --help" "$WASMFN" hash --help
grep -q "usage: wasmfn hash FILE" "$tmp/out" || fail "hash --help: no usage"

[ $fails = 0 ] && echo "check.sh: all passed"
exit $((fails != 0))
