#!/bin/sh
# wasi_hostile.sh - a guest (wasi/hostile.c, compiled here with clang for
# wasm32-wasi) tries to leave its mounts: `..`, absolute paths, symlinks
# pointing out (made by the host and by the guest), symlink loops, writes to
# a read-only mount, bad guest pointers, and `..` or a symlink climbing
# above a subdirectory's descriptor (to its parent, inside the mount: a
# descriptor grants what lies beneath it, as in wasmtime). Every attempt must
# fail with the right WASI errno, and nothing outside the mounts (or inside
# the read-only one, or above the subdirectory) may change.
#
# With a third argument `adapted` (wasi_hostile_p2_adapted.sh) the guest
# runs as a WASI 0.2 command component made by jco's preview 1 adapter
# (adapt/adapt.sh): every attempt then reaches wasi:filesystem, and must
# give the same errno through the adapter's mapping, except fd_allocate
# (the adapter's `notsup`: preview 2 has no allocate) and the bad-pointer
# lines (the adapter's own memory accesses: left out).
set -eu
WASMFN=$1
MODE=${3:-}
. "$(dirname "$0")/lib/e2e.sh"
HERE=$E2E_HERE
ROOT=$T
W=$ROOT/work          # the script's own files
TMP=$ROOT/fs          # what the guest must not change
mkdir -p "$W" "$TMP"

e2e_wasi_c "$HERE/wasi/hostile.c" "$W/hostile.wasm" "$MODE"

# $TMP/outside.txt and $TMP/outlink are outside; $TMP/box is the writable
# mount, $TMP/robox the read-only one.
mkdir -p "$TMP/box/sub" "$TMP/robox/empty"
echo secret >"$TMP/outside.txt"
ln -s outside.txt "$TMP/outlink"
echo inside >"$TMP/box/inside.txt"
echo data >"$TMP/robox/data.txt"
ln -s ../outside.txt "$TMP/box/link-out"
ln -s /etc/passwd "$TMP/box/link-abs"
ln -s loop2 "$TMP/box/loop1"
ln -s loop1 "$TMP/box/loop2"
ln -s .. "$TMP/box/dirlink"
# box/cap/sub is opened by the guest as a descriptor of its own; box/cap is
# above it.
mkdir -p "$TMP/box/cap/sub/deeper" "$TMP/box/cap/pdir"
echo parent >"$TMP/box/cap/parent.txt"
echo f >"$TMP/box/cap/sub/f.txt"
ln -s ../parent.txt "$TMP/box/cap/sub/up"
touch -d '2001-01-01' "$TMP/box/cap/parent.txt" "$TMP/box/cap/pdir"
touch -d '2001-01-01' "$TMP/outside.txt"
snapshot() { (cd "$TMP" && find . -path ./box -prune -o -print | sort && find box/cap | sort &&
    ls -l --time-style=+%s outside.txt robox robox/data.txt box/cap box/cap/sub &&
    cat outside.txt robox/data.txt box/cap/parent.txt); }
snapshot >"$W/before"

"$WASMFN" exec --dir "$TMP/box::/box" --dir "$TMP/robox::/ro::ro" "$W/hostile.wasm" >"$W/out"

# WASI errnos: 0 success, 8 badf, 21 fault, 28 inval, 32 loop, 44 noent,
# 63 perm (an escape), 69 rofs.
cat >"$W/want" <<'EOF'
open-dotdot 63
open-absolute 63
open-sub-dotdot 63
open-sub-dotdot-inside 0
create-dotdot 63
open-link-out 63
open-link-abs 63
write-link-out 63
open-link-nofollow 32
open-loop 32
symlink-make 0
open-guest-link 63
open-dir-link-out 63
stat-link-follow 63
stat-link-nofollow 0
times-link-out 63
unlink-dotdot 63
unlink-sub-dotdot 63
mkdir-dotdot 63
rmdir-dotdot 63
rename-out 63
rename-in 63
link-follow-out 63
link-dotdot 63
readlink-dotdot 63
ro-read 0
ro-open-write 69
ro-create 69
ro-trunc 69
ro-unlink 69
ro-mkdir 69
ro-rmdir 69
ro-rename 69
ro-rename-out 69
ro-symlink 69
ro-link 69
ro-times 69
ro-fd-write 69
ro-fd-truncate 69
ro-fd-times 69
ro-fd-allocate 69
sub-open 0
sub-dotdot 63
sub-dotdot-slash 63
sub-dotdot-file 63
sub-dot-dotdot 63
sub-deep-dotdot 63
sub-dotdot-back 63
sub-deep-inside 0
sub-uplink 63
sub-uplink-deep 63
sub-uplink-nofollow 0
sub-stat-dotdot 63
sub-stat-dotdot-file 63
mount-sub-uplink 0
mount-sub-dotdot 0
out-open-trunc-dotdot 63
out-open-write-nofollow-dotdot 63
out-create-dotdot 63
out-open-dir-dotdot 63
out-mkdir-dotdot 63
out-rmdir-dotdot 63
out-unlink-dotdot 63
out-symlink-new-dotdot 63
out-link-from-dotdot 63
out-link-from-follow-dotdot 63
out-link-to-dotdot 63
out-rename-from-dotdot 63
out-rename-to-dotdot 63
out-times-dotdot 63
out-times-nofollow-dotdot 63
out-stat-dotdot 63
out-readlink-dotdot 63
out-ro-link-from-dotdot 69
out-ro-rename-to-dotdot 69
out-open-trunc-abs 63
out-open-write-nofollow-abs 63
out-create-abs 63
out-open-dir-abs 63
out-mkdir-abs 63
out-rmdir-abs 63
out-unlink-abs 63
out-symlink-new-abs 63
out-link-from-abs 63
out-link-from-follow-abs 63
out-link-to-abs 63
out-rename-from-abs 63
out-rename-to-abs 63
out-times-abs 63
out-times-nofollow-abs 63
out-stat-abs 63
out-readlink-abs 63
out-ro-link-from-abs 69
out-ro-rename-to-abs 69
out-open-trunc-dirlink 63
out-open-write-nofollow-dirlink 63
out-create-dirlink 63
out-open-dir-dirlink 63
out-mkdir-dirlink 63
out-rmdir-dirlink 63
out-unlink-dirlink 63
out-symlink-new-dirlink 63
out-link-from-dirlink 63
out-link-from-follow-dirlink 63
out-link-to-dirlink 63
out-rename-from-dirlink 63
out-rename-to-dirlink 63
out-times-dirlink 63
out-times-nofollow-dirlink 63
out-stat-dirlink 63
out-readlink-dirlink 63
out-ro-link-from-dirlink 69
out-ro-rename-to-dirlink 69
out-open-trunc-subfd 63
out-open-write-nofollow-subfd 63
out-create-subfd 63
out-open-dir-subfd 63
out-mkdir-subfd 63
out-rmdir-subfd 63
out-unlink-subfd 63
out-symlink-new-subfd 63
out-link-from-subfd 63
out-link-from-follow-subfd 63
out-link-to-subfd 63
out-rename-from-subfd 63
out-rename-to-subfd 63
out-times-subfd 63
out-times-nofollow-subfd 63
out-stat-subfd 63
out-readlink-subfd 63
out-ro-link-from-subfd 69
out-ro-rename-to-subfd 69
fault-iovs 21
fault-iov-buf 21
fault-path 21
EOF
if [ "$MODE" = adapted ]; then
    sed -i -e '/^fault-/d' -e 's/^ro-fd-allocate 69$/ro-fd-allocate 58/' "$W/want"
fi
if ! diff -u "$W/want" "$W/out"; then
    echo "wasi_hostile: errnos differ"
    exit 1
fi
snapshot >"$W/after"
if ! diff -u "$W/before" "$W/after"; then
    echo "wasi_hostile: something outside the sandbox changed"
    exit 1
fi
echo "wasi_hostile${MODE:+ ($MODE)}: $(wc -l <"$W/want") attempts refused or confined, nothing outside touched"
