#!/bin/sh
# wasi_http_rules.sh - the hand-written wasi:http proxy (WASI 0.2.0,
# tests/fixtures/components/p2http.wat) served by `wasmfn run`: what it
# reports of the rules of fields and bodies (append ok; Host forbidden; a
# name with a space and a value with CR LF invalid-syntax; the request's
# headers immutable; repeated names; body() only once; a body short of its
# Content-Length HTTP-response-body-size; trailers internal-error, as
# wasmfn sends none), its status and headers, a request body echoed
# through blocking-read (small and 200 KB); the same component without
# `wasi:http` in `imports` (its calls trap: 500, the log names the word);
# and a proxy called as a plain function (`wasmfn call`: a clear error).
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
port=$(e2e_free_port)
proj=$T/proj
mkdir -p "$proj/wasm"
cp "$E2E_HERE/../fixtures/components/p2http.wasm" "$proj/wasm/"
hash=$("$wasmfn" hash "$proj/wasm/p2http.wasm")
entry() { # name imports
    printf '  - name: %s\n    kind: function.wasm\n    fs: wasm\n    path: p2http.wasm\n    hash: %s\n    method: wasi:http/incoming-handler@0.2.0#handle\n    imports: [%s]\n' "$1" "$hash" "$2"
}
{
    printf 'namespace: app\nentries:\n'
    printf '  - { name: wasm, kind: fs.directory, directory: wasm }\n'
    entry rules wasi:http
    entry rules_off wasi:io
    printf '  - { name: gateway, kind: http.service, addr: "127.0.0.1:%s", timeouts: { write: 20s } }\n' "$port"
    printf '  - { name: rules_endpoint, kind: http.endpoint, method: "*", path: /rules, func: app:rules }\n'
    printf '  - { name: off_endpoint, kind: http.endpoint, method: "*", path: /off, func: app:rules_off }\n'
} >"$proj/_index.yaml"
: >"$T/log"
"$wasmfn" run "$proj" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log"
B=http://127.0.0.1:$port
hdrs() { grep -i "^$1:" "$T/head" | cut -d' ' -f2- | tr -d '\r' | tr '\n' ' ' | sed 's/ $//'; }

check "status set by the guest" "207" "$(e2e_req -X POST --data 'echo me' "$B/rules")"
check "the rules it saw" "a=k f=1 s=0 c=0 i=2 n=2 b=1 l=28 t=38" "$(head -1 "$T/body")"
check "the request body echoed" "echo me" "$(tail -n +2 "$T/body")"
check "its headers, a repeated name twice" "1 | a b" "$(hdrs x-ok) | $(hdrs x-multi)"
check "no forbidden header went out" "" "$(hdrs host)"
head -c 150000 /dev/urandom | base64 -w 0 >"$T/big"
check "200 KB echoed" "207" "$(e2e_req -X POST --data-binary @"$T/big" "$B/rules")"
tail -n +2 "$T/body" >"$T/back"
check "... the same bytes" "" "$(cmp "$T/big" "$T/back" 2>&1)"
check "GET without a body" "207 1" "$(e2e_req "$B/rules") $(wc -l <"$T/body" | tr -d ' ')"

check "wasi:http not enabled -> 500" "500" "$(e2e_req "$B/off")"
contains "... the log names the word to add" "add \`wasi:http\` to the entry's \`imports\`" "$(cat "$T/log")"
check "still serving" "207" "$(e2e_req "$B/rules")"

code=0
out=$("$wasmfn" call "$proj" app:rules 2>&1) || code=$?
check "a proxy called as a function: exit 1" "1" "$code"
contains "... saying how it is served" "serves HTTP (wasi:http/incoming-handler): call it through an http.endpoint" "$out"

e2e_serve_end
