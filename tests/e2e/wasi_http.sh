#!/bin/sh
# wasi_http.sh - a wasi:http proxy built from JavaScript by componentize-js
# (wasi_http/proxy.js, a fetch-event handler; built once into the build
# directory by wasi_http/build with bench/js-component, ~40 s, cached by
# hash) served by `wasmfn run`
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
. "$(dirname "$0")/lib/e2e.sh"
comp=$("$E2E_HERE/wasi_http/build" "$E2E_BUILD")
rc=$?
[ $rc -eq 77 ] && { echo "skip: componentize-js missing (scripts/setup)"; exit 77; }
[ $rc -eq 0 ] || { echo "FAIL building the proxy"; exit 1; }

e2e_proxy_project "$comp" "wasi:http/incoming-handler@0.2.10#handle" \
    "[wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:http]" \
    "    pool: { type: lazy, max_size: 4 }"
cat >>"$proj/_index.yaml" <<YAML
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
e2e_serve
check "listening" "listening: app:gateway on 127.0.0.1:$port (port $port)" "$(grep '^listening:' "$T/log")"
B=http://127.0.0.1:$port/js

check "GET: status, headers, method/path/query" "200 text/plain world hello GET /js/hello?x=1&y=two" \
    "$(e2e_req "$B/hello?x=1&y=two") $(e2e_hdr content-type) $(e2e_hdr x-hello) $(cat "$T/body")"
# The request's path-with-query is the target as sent (escapes kept): a
# proxy parsing it (JavaScript's URL here) sees %2F and %20 where the
# client put them, not h2o's decoded path.
check "path-with-query as sent" "200 hello GET /js/a%20b%2Fc/hello?q=%41" \
    "$(e2e_req "$B/a%20b%2Fc/hello?q=%41") $(cat "$T/body")"
check "POST echo: 201, content type, length, body" "201 text/x-test 10 hello body" \
    "$(e2e_req -X POST -H 'content-type: text/x-test' --data 'hello body' "$B/echo") $(e2e_hdr content-type) $(e2e_hdr x-echo-length) $(cat "$T/body")"
head -c 450000 /dev/urandom | base64 -w 0 > "$T/big"
check "POST echo of 600 KB" "201 600000" "$(e2e_req -X POST --data-binary @"$T/big" "$B/echo") $(e2e_hdr x-echo-length)"
check "... the same bytes back" "" "$(cmp "$T/big" "$T/body" 2>&1)"
# request.text() of an upload the server streams to the guest as it arrives
head -c 3000000 /dev/urandom | base64 -w 0 > "$T/big4"
check "POST echo of 4 MB (request.text() of a streamed body)" "201 4000000" \
    "$(e2e_req -X POST --data-binary @"$T/big4" "$B/echo") $(e2e_hdr x-echo-length)"
check "... the same bytes back" "" "$(cmp "$T/big4" "$T/body" 2>&1)"
check "... uploaded chunked (curl -T)" "201 4000000" \
    "$(e2e_req -X POST -T "$T/big4" "$B/echo") $(e2e_hdr x-echo-length)"
check "... the same bytes back" "" "$(cmp "$T/big4" "$T/body" 2>&1)"
check "request body piped to the response (600 KB, chunked upload)" "200" \
    "$(e2e_req -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$B/pipe")"
check "... the same bytes back" "" "$(cmp "$T/big" "$T/body" 2>&1)"
check "... streamed: chunked" "chunked" "$(e2e_hdr transfer-encoding)"
check "streamed body: chunked" "200 chunked" "$(e2e_req "$B/stream?n=5") $(e2e_hdr transfer-encoding)"
check "... every chunk in order" "chunk 0 chunk 1 chunk 2 chunk 3 chunk 4" "$(cat "$T/body" | tr '\n' ' ' | sed 's/ $//')"
check "request headers seen by the guest" "200 bar" \
    "$(e2e_req -H 'X-Foo: bar' "$B/headers") $(python3 -c "import json; print(json.load(open('$T/body'))['x-foo'])")"
check "status set by the guest" "418" "$(e2e_req "$B/status?code=418")"
check "a thrown error -> 500" "500" "$(e2e_req "$B/trap")"
contains "... the guest's error in the log" "[app:proxy] (stderr) Error while running request handler: proxy.js was asked to fail" "$(cat "$T/log")"
check "still serving" "200" "$(e2e_req "$B/hello")"

# fetch() through wasi:http/outgoing-handler
check "fetch GET" "200" "$(e2e_req "$B/fetch?url=http://127.0.0.1:$echo_port/echo")"
body=$(cat "$T/body")
contains "... upstream answered" "upstream 200 -:" "$body"
contains "... with the guest's header" '"x-from": "proxy.js"' "$body"
contains "... GET /echo" '"method": "GET", "path": "/echo"' "$body"
for i in 1 2 3; do
    check "fetch POST with a body ($i)" "200" "$(e2e_req "$B/fetch?url=http://127.0.0.1:$echo_port/echo&method=POST")"
    contains "... the body arrived" '"body": "sent by proxy.js"' "$(cat "$T/body")"
    contains "... with its length" '"content-length": "16"' "$(cat "$T/body")"
done
check "fetch of a host wasi.network does not grant -> refused" "502" "$(e2e_req "$B/fetch?url=http://127.0.0.1:$port/js/probe")"
contains "... the guest saw an error" "fetch failed:" "$(cat "$T/body")"
check "... and nothing reached the denied host" "0" "$(grep -c "GET /js/probe" "$T/log")"

# Concurrent requests (a pool of 4 instances, more requests than that).
: >"$T/par"
cpids=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    curl -s --max-time 60 -o /dev/null -w '%{http_code}\n' -X POST --data "n$i" "$B/echo" >>"$T/par" &
    cpids="$cpids $!"
done
# shellcheck disable=SC2086
wait $cpids
check "12 concurrent POSTs" "12" "$(grep -c '^201$' "$T/par")"

e2e_serve_end
