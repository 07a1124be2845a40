# e2e.sh - what the end-to-end scripts share; sourced right after `set -u`
# / `set -eu`, with the script's own arguments ($1 the wasmfn under test), as
#     . "$(dirname "$0")/lib/e2e.sh"
# (lib/, not tests/e2e/: every tests/e2e/*.sh is a ctest test). It gives:
#   E2E_NAME    the script's name: the first word of its failure messages
#   E2E_HERE    tests/e2e (absolute), E2E_ROOT the repository
#   E2E_BUILD   the directory of the wasmfn under test: caches live there,
#               never in the source tree
#   T           a temporary directory, removed when the script exits
#   fail MSG    print "NAME: MSG" and exit 1 (scripts that stop at the first
#               failure)
#   check NAME EXPECTED ACTUAL, contains NAME NEEDLE HAYSTACK
#               print "ok   NAME" or "FAIL NAME: ..." and count failures in
#               $fails; e2e_finish ends such a script (exit 1 on any)
#   e2e_need_compiled_tier
#               exit 77 (ctest: skipped) when this build has no compiled tier
#   e2e_call DIR ID [ARG...]
#               `wasmfn call` of a project's function: its stdout and
#               stderr in $T/stdout and $T/stderr, its exit status in $code
#   e2e_free_port
#               print a TCP port free on 127.0.0.1 (the kernel's pick)
#   e2e_kill_at_exit PID...
#               processes (servers) killed and waited for when the script
#               exits, before $T is removed
#   e2e_wait SECONDS COMMAND [ARG...]
#               run COMMAND every 50 ms until it succeeds (0) or SECONDS
#               have passed (1)
#   e2e_req CURL-ARG...
#               a curl request (at most 60 s): prints the status code, the
#               body in $T/body, the headers in $T/head; e2e_hdr NAME prints
#               that response's first NAME header
#   e2e_proxy_project FILE.wasm METHOD IMPORTS [FUNCTION-YAML]
#               a project in $proj serving a wasi:http proxy: the upstream
#               its fetches may reach started (http_echo.py, killed at
#               exit; its port in $echo_port), FILE copied in as
#               wasm/proxy.wasm and _index.yaml begun with its
#               fs.directory and the function app:proxy (METHOD, IMPORTS a
#               YAML list, wasi.network granting the upstream, then the
#               FUNCTION-YAML lines, indented as its fields); the caller
#               appends the service, routers and endpoints (listening on
#               $port, a free port). e2e_serve then runs `wasmfn run $proj`
#               (its stderr in $T/log, pid in $pid, killed at exit) until
#               it listens; e2e_serve_end stops it with SIGTERM (checking
#               it exits 0) and ends the script as e2e_finish does, after
#               the log's last 30 lines when a check failed
#   e2e_adapt FILE.wasm...
#               preview 1 command modules made WASI 0.2 command components
#               by jco's preview 1 adapter (adapt/adapt.sh), cached in
#               $E2E_BUILD/p2-components; e2e_component FILE.wasm prints
#               the path of FILE's component
#   e2e_wasi_c SRC.c OUT.wasm [adapted]
#               the C program SRC.c built by clang --target=wasm32-wasi
#               (-O1) into OUT.wasm: a preview 1 module, or with `adapted`
#               (and -DWF_ADAPTED) the WASI 0.2 command component jco's
#               adapter makes of it
E2E_NAME=$(basename "$0" .sh)
E2E_HERE=$(cd "$(dirname "$0")" && pwd)
E2E_ROOT=$(cd "$E2E_HERE/../.." && pwd)
E2E_WASMFN=$1
E2E_BUILD=$(cd "$(dirname "$1")" && pwd)
T=$(mktemp -d) || exit 1
E2E_PIDS=
e2e_cleanup() {
    for p in $E2E_PIDS; do kill "$p" 2>/dev/null; done
    for p in $E2E_PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap e2e_cleanup EXIT
e2e_kill_at_exit() { E2E_PIDS="$E2E_PIDS $*"; }

fail() { echo "$E2E_NAME: $*"; exit 1; }

e2e_need_compiled_tier() {
    if "$E2E_WASMFN" wast --tier=compiled /dev/null 2>&1 | grep -q "no compiled tier"; then
        echo "$E2E_NAME: this build has no compiled tier"; exit 77
    fi
}

fails=0
check() { # name expected actual
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
contains() { # name needle haystack
    case "$3" in *"$2"*) echo "ok   $1" ;; *) echo "FAIL $1: [$2] not in [$3]"; fails=$((fails + 1)) ;; esac
}
e2e_finish() {
    [ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
    echo "all passed"
}

e2e_call() {
    code=0
    "$E2E_WASMFN" call "$@" >"$T/stdout" 2>"$T/stderr" || code=$?
}

e2e_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
e2e_wait() {
    e2e_wait_n=$(($1 * 20))
    shift
    while [ "$e2e_wait_n" -gt 0 ]; do
        "$@" && return 0
        e2e_wait_n=$((e2e_wait_n - 1))
        sleep 0.05
    done
    return 1
}
e2e_proxy_project() { # FILE.wasm METHOD IMPORTS [FUNCTION-YAML]
    python3 "$E2E_HERE/http_echo.py" "$T/echo_port" &
    e2e_kill_at_exit $!
    e2e_wait 30 test -s "$T/echo_port" || fail "the upstream (http_echo.py) did not start"
    echo_port=$(cat "$T/echo_port")
    port=$(e2e_free_port)
    proj=$T/proj
    mkdir -p "$proj/wasm"
    cp "$1" "$proj/wasm/proxy.wasm"
    cat >"$proj/_index.yaml" <<YAML
namespace: app
entries:
  - name: wasm
    kind: fs.directory
    directory: wasm
  - name: proxy
    kind: function.wasm
    fs: wasm
    path: proxy.wasm
    hash: $("$E2E_WASMFN" hash "$proj/wasm/proxy.wasm")
    method: $2
    imports: $3
    wasi:
      network: ["127.0.0.1:$echo_port"]
YAML
    [ -n "${4:-}" ] && printf '%s\n' "$4" >>"$proj/_index.yaml"
    return 0
}
e2e_serve() {
    : >"$T/log"
    # Under ASan, freed memory waits in a quarantine (256 MB by default)
    # before it is reused, so the server's RSS would grow by every buffer a
    # big body passed through even when they are freed at once; a small
    # quarantine keeps memory checks about what is held. (Without ASan the
    # option is unread.)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" "$E2E_WASMFN" run "$proj" 2>"$T/log" &
    pid=$!
    e2e_kill_at_exit $pid
    e2e_wait 30 grep -q '^listening:' "$T/log"
}

e2e_serve_end() {
    kill "$pid"
    code=0
    wait "$pid" || code=$?
    check "SIGTERM: exit 0" "0" "$code"
    [ $fails -eq 0 ] || { echo "--- log"; tail -30 "$T/log"; }
    e2e_finish
}

e2e_req() { curl -s --max-time 60 -o "$T/body" -D "$T/head" -w '%{http_code}' "$@"; }
e2e_hdr() { grep -i "^$1:" "$T/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

. "$E2E_HERE/adapt/adapt.sh"
e2e_adapt() { p2_adapt "$E2E_BUILD/p2-components" "$@" || fail "adapting failed"; }
e2e_component() { p2_component "$E2E_BUILD/p2-components" "$1"; }
e2e_wasi_c() {
    if [ "${3:-}" = adapted ]; then
        core=$T/$(basename "$2" .wasm).core.wasm
        clang --target=wasm32-wasi -O1 -DWF_ADAPTED -o "$core" "$1" || fail "cannot build $1"
        e2e_adapt "$core"
        cp "$(e2e_component "$core")" "$2"
    else
        clang --target=wasm32-wasi -O1 -o "$2" "$1" || fail "cannot build $1"
    fi
}
