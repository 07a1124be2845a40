#!/bin/sh
# wasi_p2_exec.sh - `wasmfn exec` of WASI 0.2 command components (their
# wasi:cli/run export) with the flags of preview-1 modules: the p2cli
# fixture (arguments, stdin copied to stdout, run's ok/err as exit 0/1, a
# trap as 134), load errors (no run export: exit 3), and a C program made a command component by jco's preview-1
# adapter (args, --env, clocks, stdin, stderr, exit status; adapt/adapt.sh,
# cached in the build directory by the hash of its inputs). (exec.c hands
# components to exec_comp.c.)
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
here=$E2E_HERE
root=$E2E_ROOT
fixtures=$here/../fixtures/components
tmp=$T
run() { # stdin-text ARGS... -> $out $err $code
    input=$1
    shift
    code=0
    out=$(printf '%s' "$input" | "$wasmfn" exec "$@" 2>"$tmp/err") || code=$?
    err=$(cat "$tmp/err")
}

cli=$fixtures/p2cli.wasm
run "line one
line two
" "$cli" "one arg"
check "run: ok is exit 0" 0 "$code"
check "run: arguments (argv[0] is FILE) then stdin" "$cli
one arg
line one
line two" "$out"
run "" "$cli" a b
check "run: err is exit 1" 1 "$code"
run "" "$cli" a b c
check "run: a trap is exit 134" 134 "$code"
contains "run: a trap is printed" "TRAP: unreachable" "$err"
run "" "$fixtures/sleep.wasm"
check "no wasi:cli/run export: exit 3" 3 "$code"
contains "no wasi:cli/run export: message" "no wasi:cli/run export: not a WASI 0.2 command component" "$err"
run "" "$fixtures/relay.wasm"
check "a component importing wippy:runtime/funcs, no run: exit 3" 3 "$code"
run "" --dir /nonexistent-dir "$cli"
check "--dir of a missing directory: usage error" 2 "$code"

# ---- a wasi-libc program through jco's preview-1 command adapter ------------------
# (the directly pinned jco's: adapt/adapt.sh, cached in the build directory)
if ! command -v clang >/dev/null 2>&1 || [ ! -x "$root/tools/jco/node_modules/.bin/jco" ]; then
    echo "skip: clang or jco missing: the adapted C command"
else
    clang --target=wasm32-wasi -O1 -o "$tmp/command.wasm" "$here/wasi_p2/command.c" ||
        fail "clang failed on wasi_p2/command.c"
    P2_JCO=$P2_JCO_OLD
    e2e_adapt "$tmp/command.wasm"
    comp=$(e2e_component "$tmp/command.wasm")
    run "from stdin
" --env WHO=tester "$comp" 7 "two words"
    case "$err" in
    *"wasi:filesystem/preopens"*)
        echo "skip: the adapted C command needs a wasi:filesystem host (preopens at start)" ;;
    *)
        # jco's preview-1 adapter turns a non-zero proc_exit into exit(err): status 1
        check "adapted C command: exit(7) through the adapter" 1 "$code"
        check "adapted C command: stdout" "argc=3
arg[1]=7
arg[2]=two words
WHO=tester
slept 50 ms: yes
stdin: from stdin" "$out"
        check "adapted C command: stderr" "to stderr" "$err" ;;
    esac
fi

e2e_finish
