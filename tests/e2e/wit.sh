#!/bin/sh
# wit.sh - `wasmfn wit` end to end: a multi-package directory with deps/
# summarised, a single file, a rejected file (error with file:line:col,
# exit 1), usage errors (exit 2).
# $1 = the wasmfn binary, $2 = the shared folder (WIT test suite).
set -u
W=$1
S=$2/testsuite/wit-parser
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a directory with deps/: the root package and its dependency
out=$("$W" wit "$S/multi-package-deps") || fail "multi-package-deps exit $?"
echo "$out" | grep -q '^package foo:root$' || fail "no foo:root in: $out"
echo "$out" | grep -q '^package foo:dep1$' || fail "no foo:dep1 in: $out"

# a file of our own: counts of types and functions, imports and exports
cat > "$tmp/ok.wit" <<'WIT'
package demo:shop@1.2.0;

interface types {
  record item { name: string, price: u32 }
  resource cart {
    constructor();
    add: func(i: item);
    total: func() -> u32;
  }
}

interface api {
  use types.{item, cart};
  checkout: func(c: borrow<cart>) -> result<u32, string>;
}

world shop {
  import types;
  export api;
}
WIT
out=$("$W" wit "$tmp/ok.wit") || fail "ok.wit exit $?"
want='package demo:shop@1.2.0
  interface types: 2 types, 0 functions
  interface api: 2 types, 1 functions
  world shop: 1 imports, 1 exports'
[ "$out" = "$want" ] || fail "ok.wit summary: $out"

# rejected: a use of a missing type, with its position
printf 'package a:b;\ninterface i {\n  use j.{x};\n}\ninterface j {}\n' > "$tmp/bad.wit"
err=$("$W" wit "$tmp/bad.wit" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "bad.wit exit $rc"
case "$err" in *"bad.wit:3:10: name \`x\` does not exist"*) ;; *) fail "bad.wit error: $err" ;; esac

# type cycles and missing package headers
printf 'package a:b;\ninterface i {\n  type t = list<t>;\n}\n' > "$tmp/cyc.wit"
err=$("$W" wit "$tmp/cyc.wit" 2>&1 >/dev/null)
case "$err" in *"type \`t\` depends on itself"*) ;; *) fail "cycle error: $err" ;; esac
printf 'interface i {}\n' > "$tmp/nopkg.wit"
"$W" wit "$tmp/nopkg.wit" 2>/dev/null && fail "no package header accepted"

# a component's world: imports, exports, each interface's types and functions
fx=$(cd "$(dirname "$0")/../fixtures/components" && pwd)
out=$("$W" wit "$fx/p2cli.wasm") || fail "p2cli.wasm exit $?"
for want in 'world root {' '  import wasi:cli/stdin@0.2.0;' '  export env-entry: func(i: u32) -> tuple<string, string>;' \
            '  export wasi:cli/run@0.2.0;' 'interface wasi:io/streams@0.2.0 {' \
            '    blocking-read: func(len: u64) -> result<list<u8>, stream-error>;' \
            '  use wasi:io/error@0.2.0.{error};' '  variant stream-error { last-operation-failed(error), closed }' \
            '  use wasi:io/streams@0.2.0.{input-stream};' '  get-stdin: func() -> input-stream;' \
            '  run: func() -> result;'; do
    printf '%s\n' "$out" | grep -qxF -- "$want" || fail "p2cli.wasm world lacks [$want]: $out"
done
out=$("$W" wit "$fx/sleep.wasm") || fail "sleep.wasm exit $?"
for want in '  resource pollable {' '    ready: func() -> bool;' '  poll: func(in: list<borrow<pollable>>) -> list<u32>;' \
            '  use wasi:io/poll@0.2.0.{pollable};' '  subscribe-duration: func(when: u64) -> pollable;' \
            '  type instant = u64;' 'interface wasmfn:sleep/test-sleep {' '  sleep-ms: func(ms: u32) -> u64;'; do
    printf '%s\n' "$out" | grep -qxF -- "$want" || fail "sleep.wasm world lacks [$want]: $out"
done
printf '\0asm\1\0\0\0' > "$tmp/core.wasm"
err=$("$W" wit "$tmp/core.wasm" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "core module: exit $rc"
case "$err" in *"a core module, not a component"*) ;; *) fail "core module: $err" ;; esac
printf '\0asm\15\0\1\0\7' > "$tmp/bad.wasm"
err=$("$W" wit "$tmp/bad.wasm" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "malformed component: exit $rc ($err)"

# usage
"$W" wit 2>/dev/null; [ $? -eq 2 ] || fail "no argument: not exit 2"
"$W" wit --help | grep -q 'usage: wasmfn wit' || fail "--help"

[ $fails -eq 0 ] && echo "wit e2e: all passed"
exit $fails
