# rust_p1.sh - what rust_p1.sh and rust_p2_adapted.sh share: the two Rust
# programs of rust/ built with Debian's Rust 1.63 (/usr/bin/rustc --target
# wasm32-wasi) and run through `wasmfn exec`, whether as preview 1 modules
# or as the command components jco's adapter makes of them. Sourced after
# lib/e2e.sh (its fail, $T, $E2E_HERE) with $WASMFN set. It gives:
#   rust_p1_build DIR
#               std_p1.wasm and raw_p1.wasm built into DIR from rust/*.rs
#   rust_p1_std_files RW RO WHAT
#               what std_p1 leaves in its writable mount RW (the link and
#               d/ removed, b.txt written) and its read-only one RO
#   rust_p1_exec_std PROG RO
#               std_p1 (PROG) run with args x, "y z", GREETING=hey, stdin
#               abc, xyz, a fresh writable mount $W on /w and RO read-only
#               on /ro: exit status 0, its stdout (rust/std_p1.want), its
#               stderr, the files it left
#   rust_p1_exec_raw PROG RO WANT [ARG]
#               raw_p1 (PROG) with /w /ro [ARG] on a fresh $W: exit status
#               0, its stdout (WANT: errno values 8 badf, 69 rofs, 76
#               notcapable), the files it left, RO unchanged

RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] || fail "$RUSTC missing: run scripts/setup (packages rustc, libstd-rust-dev-wasm32)"
W=$T/w

rust_p1_build() {
    mkdir -p "$1"
    for prog in std_p1 raw_p1; do
        "$RUSTC" --edition 2021 --target wasm32-wasi -O -o "$1/$prog.wasm" "$E2E_HERE/rust/$prog.rs" ||
            fail "cannot build $prog.rs"
    done
}

rust_p1_std_files() {
    [ "$(ls -A "$1")" = b.txt ] || fail "$3: rw mount holds: $(ls "$1")"
    [ "$(cat "$1/b.txt")" = "one
two" ] || fail "$3: b.txt: $(cat "$1/b.txt")"
    [ "$(ls "$2")" = greeting.txt ] || fail "$3: the read-only mount changed: $(ls "$2")"
}

rust_p1_exec_std() {
    rm -rf "$W" && mkdir -p "$W"
    ln -s b.txt "$W/link"
    code=0
    printf 'abc\nxyz\n' | "$WASMFN" exec --dir "$W::/w" --dir "$2::/ro::ro" --env GREETING=hey \
        "$1" x "y z" >"$T/stdout" 2>"$T/stderr" || code=$?
    [ "$code" -eq 0 ] || fail "exec std: exit $code: $(cat "$T/stderr")"
    diff -u "$E2E_HERE/rust/std_p1.want" "$T/stdout" || fail "exec std: stdout differs"
    [ "$(cat "$T/stderr")" = "read 2 lines" ] || fail "exec std: stderr: $(cat "$T/stderr")"
    rust_p1_std_files "$W" "$2" "exec std"
}

rust_p1_exec_raw() {
    rm -rf "$W" && mkdir -p "$W"
    code=0
    "$WASMFN" exec --dir "$W::/w" --dir "$2::/ro::ro" "$1" /w /ro ${4:+"$4"} \
        >"$T/stdout" 2>"$T/stderr" || code=$?
    [ "$code" -eq 0 ] || fail "exec raw: exit $code: $(cat "$T/stderr")"
    diff -u "$3" "$T/stdout" || fail "exec raw: stdout differs"
    [ "$(ls "$W")" = "other.txt
raw.txt
sub" ] || fail "exec raw: rw mount holds: $(ls "$W")"
    [ "$(cat "$W/raw.txt")" = "hello raw" ] || fail "exec raw: raw.txt: $(cat "$W/raw.txt")"
    [ -d "$W/sub" ] || fail "exec raw: sub is not a directory"
    [ "$(ls "$2")" = greeting.txt ] || fail "exec raw: the read-only mount changed"
}
