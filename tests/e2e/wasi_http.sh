#!/bin/sh
# wasi_http.sh - a wasi:http proxy built from JavaScript by componentize-js
# (wasi_http/proxy.js, a fetch-event handler; built once into the build
# directory by wasi_http/build, ~40 s, cached by hash) served by `wasmfn run`
# as an http.endpoint and hit with curl: status, headers, query, a POST
# echoed (small, and 600 KB), a request body piped back as the guest reads
# it, a body streamed chunked, the request headers
# as the guest sees them, a thrown error (500, the guest's stderr in the
# log), concurrent requests; and its fetch() through
# wasi:http/outgoing-handler to a Python server on loopback (GET, POST with
# a body) while a host the entry's wasi.network does not grant is refused
# without a connection (the guest sees the error: 502). Exit 77 (skip)
# without componentize-js. $1 = the wasmfn binary.
set -u
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$(dirname "$wasmfn")" && pwd)
comp=$("$here/wasi_http/build" "$here/wasi_http/proxy.js" "$build/cache")
rc=$?
[ $rc -eq 77 ] && { echo "skip: componentize-js missing (scripts/setup)"; exit 77; }
[ $rc -eq 0 ] || { echo "FAIL building the proxy"; exit 1; }
tmp=$(mktemp -d)
pid=
echo_pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
check() { # name expected actual
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
contains() { # name needle haystack
    case "$3" in *"$2"*) echo "ok   $1" ;; *) echo "FAIL $1: [$2] not in [$3]"; fails=$((fails + 1)) ;; esac
}

# The upstream the proxy fetches from.
python3 "$here/http_echo.py" "$tmp/echo_port" &
echo_pid=$!
for _ in $(seq 100); do [ -s "$tmp/echo_port" ] && break; sleep 0.1; done
echo_port=$(cat "$tmp/echo_port")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
proj=$tmp/proj
mkdir -p "$proj/wasm"
cp "$comp" "$proj/wasm/proxy.wasm"
hash=$("$wasmfn" hash "$proj/wasm/proxy.wasm")
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
    hash: $hash
    method: wasi:http/incoming-handler@0.2.10#handle
    imports: [wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:http]
    wasi:
      network: ["127.0.0.1:$echo_port"]
    pool: { type: lazy, max_size: 4 }
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$port
    timeouts: { write: 30s }
  - name: router
    kind: http.router
    meta: { server: app:gateway }
    prefix: /js
  - name: proxy_endpoint
    kind: http.endpoint
    meta: { router: app:router }
    method: "*"
    path: /{rest...}
    func: app:proxy
YAML
: >"$tmp/log"
"$wasmfn" run "$proj" 2>"$tmp/log" &
pid=$!
for _ in $(seq 200); do grep -q '^listening:' "$tmp/log" && break; sleep 0.05; done
check "listening" "listening: app:gateway on 127.0.0.1:$port (port $port)" "$(grep '^listening:' "$tmp/log")"
B=http://127.0.0.1:$port/js
req() { curl -s --max-time 60 -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' "$@"; }
hdr() { grep -i "^$1:" "$tmp/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

check "GET: status, headers, method/path/query" "200 text/plain world hello GET /js/hello?x=1&y=two" \
    "$(req "$B/hello?x=1&y=two") $(hdr content-type) $(hdr x-hello) $(cat "$tmp/body")"
check "POST echo: 201, content type, length, body" "201 text/x-test 10 hello body" \
    "$(req -X POST -H 'content-type: text/x-test' --data 'hello body' "$B/echo") $(hdr content-type) $(hdr x-echo-length) $(cat "$tmp/body")"
head -c 450000 /dev/urandom | base64 -w 0 > "$tmp/big"
check "POST echo of 600 KB" "201 600000" "$(req -X POST --data-binary @"$tmp/big" "$B/echo") $(hdr x-echo-length)"
check "... the same bytes back" "" "$(cmp "$tmp/big" "$tmp/body" 2>&1)"
check "request body piped to the response (600 KB, chunked upload)" "200" \
    "$(req -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big" "$B/pipe")"
check "... the same bytes back" "" "$(cmp "$tmp/big" "$tmp/body" 2>&1)"
check "... streamed: chunked" "chunked" "$(hdr transfer-encoding)"
check "streamed body: chunked" "200 chunked" "$(req "$B/stream?n=5") $(hdr transfer-encoding)"
check "... every chunk in order" "chunk 0 chunk 1 chunk 2 chunk 3 chunk 4" "$(cat "$tmp/body" | tr '\n' ' ' | sed 's/ $//')"
check "request headers seen by the guest" "200 bar" \
    "$(req -H 'X-Foo: bar' "$B/headers") $(python3 -c "import json; print(json.load(open('$tmp/body'))['x-foo'])")"
check "status set by the guest" "418" "$(req "$B/status?code=418")"
check "a thrown error -> 500" "500" "$(req "$B/trap")"
contains "... the guest's error in the log" "[app:proxy] (stderr) Error while running request handler: proxy.js was asked to fail" "$(cat "$tmp/log")"
check "still serving" "200" "$(req "$B/hello")"

# fetch() through wasi:http/outgoing-handler
check "fetch GET" "200" "$(req "$B/fetch?url=http://127.0.0.1:$echo_port/echo")"
body=$(cat "$tmp/body")
contains "... upstream answered" "upstream 200 -:" "$body"
contains "... with the guest's header" '"x-from": "proxy.js"' "$body"
contains "... GET /echo" '"method": "GET", "path": "/echo"' "$body"
for i in 1 2 3; do
    check "fetch POST with a body ($i)" "200" "$(req "$B/fetch?url=http://127.0.0.1:$echo_port/echo&method=POST")"
    contains "... the body arrived" '"body": "sent by proxy.js"' "$(cat "$tmp/body")"
    contains "... with its length" '"content-length": "16"' "$(cat "$tmp/body")"
done
check "fetch of a host wasi.network does not grant -> refused" "502" "$(req "$B/fetch?url=http://127.0.0.1:$port/js/probe")"
contains "... the guest saw an error" "fetch failed:" "$(cat "$tmp/body")"
check "... and nothing reached the denied host" "0" "$(grep -c "GET /js/probe" "$tmp/log")"

# Concurrent requests (a pool of 4 instances, more requests than that).
: >"$tmp/par"
cpids=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' -X POST --data "n$i" "$B/echo" >>"$tmp/par" &
    cpids="$cpids $!"
done
# shellcheck disable=SC2086
wait $cpids
check "12 concurrent POSTs" "12" "$(grep -c '^201$' "$tmp/par")"

kill "$pid"
wait "$pid"
check "SIGTERM: exit 0" "0" "$?"
pid=
if [ $fails -ne 0 ]; then
    echo "--- log"; tail -30 "$tmp/log"
fi
echo "$fails failed"
[ $fails -eq 0 ]
