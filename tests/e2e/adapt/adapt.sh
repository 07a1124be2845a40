# adapt.sh - sourced by the preview 2 tests (tests/e2e/*_adapted.sh).
#   p2_adapt CACHE_DIR FILE.wasm...
# makes sure every preview 1 command module FILE has its command component
# (made by adapt.mjs with jco's preview 1 command adapter) in CACHE_DIR,
# named by the sha256 of the module, of the adapter and of adapt.mjs, so a
# rerun adapts nothing and a new jco or module adapts anew;
#   p2_component CACHE_DIR FILE.wasm
# prints that component's path. The tests use the build directory (beside
# the wasmfn under test) as CACHE_DIR. Needs node and scripts/setup's
# tools/jco.
P2_HERE=$(cd "$(dirname "$0")" && pwd)/adapt
P2_JCOS=$(cd "$P2_HERE/../../.." && pwd)/tools/jco/node_modules/@bytecodealliance
# The jco whose adapter is used: 1.35.0, the one componentize-js pins
# (tools/jco/package-lock.json), by default. Its adapter imports @0.2.12 and
# carries a proc_exit status through wasi:cli/exit's exit-with-code; the
# directly pinned 1.4.4's imports @0.2.0 but turns every non-zero status
# into exit(err) (status 1) and its wit-component refuses a module that
# imports one function twice (AssemblyScript's output does). A test may set
# P2_JCO=$P2_JCO_OLD to adapt with it.
P2_JCO_OLD=$P2_JCOS/jco
P2_JCO=$P2_JCOS/componentize-js/node_modules/@bytecodealliance/jco
P2_SALT=

p2_component() {
    echo "$1/$(sha256sum <"$2" | cut -c1-32)-$P2_SALT.wasm"
}

p2_adapt() {
    p2_cache=$1
    shift
    p2_adapter=$P2_JCO/lib/wasi_snapshot_preview1.command.wasm
    [ -f "$p2_adapter" ] || {
        echo "p2_adapt: no $p2_adapter: run scripts/setup" >&2
        return 1
    }
    P2_SALT=$(cat "$p2_adapter" "$P2_HERE/adapt.mjs" | sha256sum | cut -c1-16)
    mkdir -p "$p2_cache" || return 1
    p2_list=$(mktemp) || return 1
    for p2_f in "$@"; do
        p2_out=$(p2_component "$p2_cache" "$p2_f")
        [ -s "$p2_out" ] || printf '%s\0%s\0' "$p2_f" "$p2_out" >>"$p2_list"
    done
    p2_rc=0
    if [ -s "$p2_list" ]; then
        # Pairs stay together (-n even); one node process per 64 modules.
        xargs -0 -n 128 node "$P2_HERE/adapt.mjs" "$P2_JCO" <"$p2_list" || p2_rc=1
    fi
    rm -f "$p2_list"
    return $p2_rc
}
