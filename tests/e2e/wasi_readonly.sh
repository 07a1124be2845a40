#!/bin/sh
# wasi_readonly.sh - a read-only mount never becomes writable (issue 15):
# a guest (wasi/readonly.c, compiled here with clang for wasm32-wasi) with a
# writable mount /rw and a read-only one /ro tries every route: hard links
# out of /ro, renames, open flags, fd operations on a file opened for
# reading, symlinks from /rw into /ro, and a file the host linked into both.
# Run through `wasmfn exec --dir ro::/ro::ro` and through a registry entry
# with `read_only: true`, as root and (when the test is root) as nobody,
# whose files they are. Every attempt must give the expected WASI errno and
# nothing but /rw may change on the host. Mount pairs that would make a
# read-only mount writable (inside a writable one) are refused.
#
# With a third argument `adapted` (wasi_readonly_p2_adapted.sh) the guest
# is a WASI 0.2 command component made by jco's preview 1 adapter
# (adapt/adapt.sh), run by `wasmfn exec` and as the registry entry (its
# wasi:cli/run export, `imports: [wasi:cli, wasi:filesystem]`), so every
# route goes through wasi:filesystem. The host must refuse the same writes; a few lines differ
# because the adapter does them in the guest, never reaching the host:
# fdflags APPEND (kept by the adapter: the open and set_flags succeed, the
# writes are refused), rights (none in preview 2: opens that asked only for
# the size or allocate right are plain reads, fd_fdstat_set_rights is a
# trap, so grow-rights is left out), fd_allocate (`notsup`: not in preview
# 2), and set-size on a file opened for reading is `badf` (no write flag).
set -eu
WASMFN=$1
MODE=${3:-}
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE
ROOT=$T
chmod 755 "$ROOT"
P=$ROOT/proj          # the registry project; its fs/ is what the guest sees
W=$ROOT/work          # the script's own files
mkdir -p "$P/bin" "$W"
e2e_wasi_c "$HERE/wasi/readonly.c" "$P/bin/readonly.wasm" "$MODE"
hash=$("$WASMFN" hash "$P/bin/readonly.wasm")
# A component runs through its wasi:cli/run export with the WASI 0.2
# packages it needs.
METHOD=_start
[ "$MODE" = adapted ] && METHOD='"wasi:cli/run#run"
    imports: [wasi:cli, wasi:filesystem]'
cat >"$P/_index.yaml" <<YAML
namespace: t
entries:
  - {name: rw, kind: fs.directory, directory: fs/rw}
  - {name: ro, kind: fs.directory, directory: fs/ro}
  - {name: all, kind: fs.directory, directory: fs}
  - {name: bin, kind: fs.directory, directory: bin}
  - name: probe
    kind: function.wasm
    fs: bin
    path: readonly.wasm
    hash: $hash
    method: $METHOD
    wasi:
      mounts:
        - {fs: rw, guest: /rw}
        - {fs: ro, guest: /ro, read_only: true}
YAML

# A fresh tree, owned by $1: fs/rw and fs/ro, files outside both, symlinks
# from rw into ro, and rw/hl.txt, a hard link of ro/shared.txt.
FS=$P/fs
fresh() {
    rm -rf "$FS"
    mkdir -p "$FS/rw" "$FS/ro/sub/empty"
    echo outside >"$FS/outside.txt"
    echo data >"$FS/ro/data.txt"
    echo inner >"$FS/ro/sub/inner.txt"
    echo shared >"$FS/ro/shared.txt"
    ln -s data.txt "$FS/ro/alias"
    ln "$FS/ro/shared.txt" "$FS/rw/hl.txt"
    echo own >"$FS/rw/own.txt"
    ln -s ../ro/data.txt "$FS/rw/to-ro-rel"
    ln -s "$FS/ro/data.txt" "$FS/rw/to-ro-abs"
    find "$FS" -exec touch -h -d '2001-01-01' {} +
    chown -R "$1" "$FS"
}
# Everything outside fs/rw: names, types, sizes, modes, mtimes, contents
# (not link counts: unlinking rw/hl.txt is the guest's right).
snapshot() {
    (cd "$FS" && find . -path ./rw -prune -o -printf '%p %y %s %m %T@ %u\n' | sort &&
        find . -path ./rw -prune -o -type f -print | sort | xargs md5sum)
}

# WASI errnos: 0 success, 8 badf, 20 exist, 28 inval, 32 loop, 44 noent,
# 63 perm (an escape), 69 rofs, 76 notcapable (an fd lacking the right: the
# shared-fd ones were opened with read and seek rights only).
cat >"$W/want" <<'EOF_WANT'
link-ro-to-rw 69
link-ro-to-rw-follow 69
link-ro-sub-to-rw 69
link-ro-to-ro 69
stolen-write 44
rename-ro-to-rw 69
rename-ro-dir-to-rw 69
rename-rw-to-ro 69
rename-rw-over-ro 69
ro-open-write 69
ro-open-rdwr 69
ro-open-trunc 69
ro-open-creat 69
ro-open-creat-new 69
ro-open-append 69
ro-open-size-right 69
ro-open-alloc-right 69
ro-open-dsync 0
ro-open-read 0
ro-fd-write 69
ro-fd-pwrite 69
ro-fd-allocate 69
ro-fd-set-size 69
ro-fd-set-times 69
ro-fd-set-append 69
ro-fd-grow-rights 76
ro-fd-write-again 69
rw-open-other 0
renumber 0
renumbered-write 69
renumbered-pwrite 69
renumbered-allocate 69
renumbered-set-size 69
renumbered-set-times 69
renumbered-set-append 69
renumbered-grow-rights 76
renumbered-write-again 69
ro-open-subdir 0
ro-subdir-write 69
ro-subdir-link-out 69
ro-subdir-create 69
ro-subdir-trunc 69
ro-subdir-unlink 69
ro-subdir-mkdir 69
ro-subdir-rmdir 69
ro-subdir-symlink 69
ro-subdir-rename-out 69
ro-subdir-rename-within 69
ro-subdir-times 69
ro-unlink 69
ro-unlink-symlink 69
ro-mkdir 69
ro-rmdir 69
ro-symlink 69
ro-times 69
ro-times-follow 69
ro-rename-within 69
link-rw-to-ro 69
symlink-rw-to-ro 69
sym-host-rel 63
sym-host-abs 63
sym-host-nofollow 32
sym-guest-make-rel 0
sym-guest-rel 63
sym-guest-make-abs 0
sym-guest-abs 63
sym-link-follow 63
sym-times 63
shared-read 0
shared-write 69
shared-trunc 69
shared-creat 69
shared-append 69
shared-times 69
shared-open-read 0
shared-fd-write 8
shared-fd-pwrite 8
shared-fd-allocate 76
shared-fd-set-size 76
shared-fd-set-times 69
shared-fd-set-append 76
shared-fd-grow-rights 76
shared-fd-write-again 8
shared-link-again 0
shared-link-again-write 69
rw-create 0
rw-create-excl-exists 20
rw-trunc 0
rw-own-link 0
rw-own-link-write 69
rw-own-unlink 0
rw-own-write 0
EOF_WANT
if [ "$MODE" = adapted ]; then
    sed -i -e '/-grow-rights /d' \
        -e 's/^\(ro-open-append\|ro-open-size-right\|ro-open-alloc-right\|shared-append\) .*/\1 0/' \
        -e 's/^\(ro-fd\|renumbered\|shared-fd\)-allocate .*/\1-allocate 58/' \
        -e 's/^\(ro-fd\|renumbered\|shared-fd\)-set-append .*/\1-set-append 0/' \
        -e 's/^shared-fd-set-size .*/shared-fd-set-size 8/' "$W/want"
fi

# verify NAME: the guest's lines in $W/out against want, the host's files
# against the snapshot, and the writable mount really written.
verify() {
    diff -u "$W/want" "$W/out" || fail "$1: errnos differ"
    snapshot >"$W/after"
    diff -u "$W/before" "$W/after" || fail "$1: something outside the writable mount changed"
    [ "$(cat "$FS/rw/new.txt")" = pwned ] || fail "$1: the writable mount was not written"
    [ "$(cat "$FS/rw/own.txt")" = pwned ] || fail "$1: own.txt was not written"
    echo "ok   $1: $(wc -l <"$W/want") attempts, nothing outside /rw changed"
}

# run AS-USER: exec and the registry entry, each on a fresh tree.
run() {
    as=$1
    shift
    fresh "$as"
    snapshot >"$W/before"
    "$@" "$WASMFN" exec --dir "$FS/rw::/rw" --dir "$FS/ro::/ro::ro" "$P/bin/readonly.wasm" \
        >"$W/out" || fail "exec as $as: exit $?"
    verify "exec as $as"
    fresh "$as"
    snapshot >"$W/before"
    "$@" "$WASMFN" call "$P" t:probe >/dev/null 2>"$W/log" || fail "call as $as: $(cat "$W/log")"
    sed -n 's/^\[t:probe\] //p' "$W/log" >"$W/out"
    verify "registry read_only as $as"
}

run root env
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
    run nobody setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups
else
    echo "skip as nobody: not root or no setpriv"
fi

# A read-only mount inside (or equal to) a writable one is refused: usage
# error for exec, load error for the registry.
fresh root
code=0
"$WASMFN" exec --dir "$FS::/all" --dir "$FS/ro::/ro::ro" "$P/bin/readonly.wasm" >/dev/null 2>"$W/err" || code=$?
[ "$code" -eq 2 ] || fail "overlap: exit $code"
grep -qF "read-only mount /ro lies within writable mount /all, which would make it writable" "$W/err" ||
    fail "overlap: $(cat "$W/err")"
code=0
"$WASMFN" exec --dir "$FS/ro::/ro::ro" --dir "$FS/ro::/same" "$P/bin/readonly.wasm" >/dev/null 2>"$W/err" || code=$?
[ "$code" -eq 2 ] || fail "overlap (same, rw second): exit $code"
grep -qF "read-only mount /ro lies within writable mount /same" "$W/err" || fail "overlap: $(cat "$W/err")"
"$WASMFN" exec --dir "$FS/ro::/ro::ro" --dir "$FS/rw::/rw" "$P/bin/readonly.wasm" >/dev/null ||
    fail "disjoint mounts refused"
sed 's|{fs: rw, guest: /rw}|{fs: all, guest: /rw}|' "$P/_index.yaml" >"$W/idx" && mv "$W/idx" "$P/_index.yaml"
code=0
"$WASMFN" check "$P" >/dev/null 2>"$W/err" || code=$?
[ "$code" -eq 3 ] || fail "overlap check: exit $code"
line=16
[ "$MODE" = adapted ] && line=17   # the entry has an `imports` line more
grep -qF "_index.yaml:$line: t:probe: wasi.mounts: read-only mount /ro lies within writable mount /rw, which would make it writable" "$W/err" ||
    fail "overlap check: $(cat "$W/err")"
echo "ok   a read-only mount within a writable one is refused (exec: usage, registry: load error)"
