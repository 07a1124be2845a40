#!/bin/sh
# wasi_p2_fs.sh - wasi:filesystem through its own WIT: wasi/p2fs.c calls the
# descriptor methods directly (the Canonical ABI by hand), including those a
# preview 1 program cannot reach through the adapter (is-same-object,
# metadata-hash(-at), append-via-stream, filesystem-error-code of a failed
# stream write, get-flags, set-times with timestamps, directory entry
# types, open-at's rules). Built with clang for wasm32-wasi, the world
# wasi/p2fs.wit embedded (its WASI 0.2 dependencies from
# ../shared/docs/wasi-0.2) by jco, made a command component by jco's
# preview 1 adapter (adapt/, cached in the build directory), run by
# `wasmfn exec` with a writable mount /w and a read-only one /ro. Every
# line must be what wasi/p2fs.want says, the read-only mount, what lies
# outside the mounts and /w/cap (above the guest's descriptor of
# /w/cap/sub) unchanged, and /w left as the guest made it.
set -eu
WASMFN=$1
SHARED=$2
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE

mkdir -p "$T/wit/deps" "$T/fs/w" "$T/fs/ro"
cp "$HERE/wasi/p2fs.wit" "$T/wit/"
for p in io clocks filesystem; do
    mkdir -p "$T/wit/deps/$p"
    cp "$SHARED/docs/wasi-0.2/wasi-$p/package.wit" "$T/wit/deps/$p/" || fail "no WASI 0.2 WIT in $SHARED/docs"
done
clang --target=wasm32-wasi -O1 -o "$T/p2fs.core.wasm" "$HERE/wasi/p2fs.c"
node "$P2_HERE/embed.mjs" "$P2_JCO_OLD" "$T/p2fs.core.wasm" "$T/wit" probe "$T/p2fs.emb.wasm" ||
    fail "embedding the world failed"
e2e_adapt "$T/p2fs.emb.wasm"
COMP=$(e2e_component "$T/p2fs.emb.wasm")

mkdir -p "$T/fs/ro/sub" "$T/fs/ro/empty"
echo hi >"$T/fs/ro/greeting.txt"
echo in >"$T/fs/ro/sub/in.txt"
echo secret >"$T/fs/outside"
# /w/cap/sub: a descriptor of its own in the guest; /w/cap lies above it.
mkdir -p "$T/fs/w/cap/sub/deeper" "$T/fs/w/cap/pdir"
echo parent >"$T/fs/w/cap/parent.txt"
echo f >"$T/fs/w/cap/sub/f.txt"
ln -s ../parent.txt "$T/fs/w/cap/sub/up"
touch -d '2001-01-01' "$T/fs/w/cap/parent.txt" "$T/fs/w/cap/pdir" "$T/fs/w/cap/sub" "$T/fs/w/cap"
snapshot() { (cd "$T/fs" && find . -path ./w -prune -o -printf '%p %y %s %m %T@\n' | sort &&
    find w/cap -printf '%p %y %s %m %T@\n' | sort && cat ro/greeting.txt ro/sub/in.txt outside w/cap/parent.txt); }
snapshot >"$T/before"
code=0
"$WASMFN" exec --dir "$T/fs/w::/w" --dir "$T/fs/ro::/ro::ro" "$COMP" \
    </dev/null >"$T/out" 2>"$T/err" || code=$?
[ "$code" -eq 0 ] || fail "exit $code: $(cat "$T/err")"
diff -u "$HERE/wasi/p2fs.want" "$T/out" || fail "the guest's lines differ"
snapshot >"$T/after"
diff -u "$T/before" "$T/after" || fail "something outside /w changed"
[ "$(cd "$T/fs/w" && ls -A | tr '\n' ' ')" = "a.txt cap e l up " ] || fail "/w holds: $(ls -A "$T/fs/w")"
[ "$(cat "$T/fs/w/a.txt")" = hel ] || fail "a.txt: $(cat "$T/fs/w/a.txt")"
[ "$(stat -c %Y "$T/fs/w/a.txt")" = 1600000000 ] || fail "a.txt's mtime: $(stat -c %Y "$T/fs/w/a.txt")"
[ "$(readlink "$T/fs/w/l")" = a.txt ] || fail "l: $(readlink "$T/fs/w/l")"
echo "wasi_p2_fs: $(wc -l <"$HERE/wasi/p2fs.want") checks of wasi:filesystem, the read-only mount and the outside untouched"

# exec of components that are not commands, and mounts it refuses.
code=0
"$WASMFN" exec "$HERE/../fixtures/components/calc.wasm" >/dev/null 2>"$T/err" || code=$?
[ "$code" -eq 3 ] || fail "exec of a non-command component: exit $code"
grep -qF "no wasi:cli/run export: not a WASI 0.2 command component" "$T/err" || fail "non-command: $(cat "$T/err")"
code=0
"$WASMFN" exec --dir "$T/fs/ro::/ro::ro" --dir "$T/fs::/all" "$COMP" >/dev/null 2>"$T/err" || code=$?
[ "$code" -eq 2 ] || fail "overlapping mounts: exit $code"
grep -qF "read-only mount /ro lies within writable mount /all" "$T/err" || fail "overlap: $(cat "$T/err")"
echo "ok   exec: a component without wasi:cli/run (3), a read-only mount inside a writable one (2)"
