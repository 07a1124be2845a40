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

# usage
"$W" wit 2>/dev/null; [ $? -eq 2 ] || fail "no argument: not exit 2"
"$W" wit --help | grep -q 'usage: wasmfn wit' || fail "--help"

[ $fails -eq 0 ] && echo "wit e2e: all passed"
exit $fails
