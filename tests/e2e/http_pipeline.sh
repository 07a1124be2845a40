#!/bin/sh
# http_pipeline.sh - pipelined HTTP/1.1 requests through raw sockets
# (http_pipeline.py): every request of a pipeline, not only the first of
# each socket read, gets the head checks (differing Content-Length values,
# Content-Length beside Transfer-Encoding, two Host fields, no Host: 400
# and the connection closed; an oversized head 431; a Content-Length over
# the limit 413; a head h2o cannot parse 400, logged and counted) and the
# same body reading (a streamed route reads a pipelined body as it
# arrives); well-formed pipelines with bodies (Content-Length, chunked with
# trailers) to a wasi:http proxy (tests/fixtures/components/p2stream.wasm),
# a Lua endpoint and a WAT function are answered in order, also when sent
# a byte at a time and cut at random places; HTTP/2 request bodies as
# h2o 2.2.5 reads them (whole; over the limit a stream reset, no 413).
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
e2e_proxy_project "$E2E_HERE/../fixtures/components/p2stream.wasm" \
    "wasi:http/incoming-handler@0.2.0#handle" "[wasi:io, wasi:http, wasi:clocks]"
cat >>"$proj/_index.yaml" <<YAML
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$port
    timeouts: { read: 5s, write: 30s }
    limits: { max_header_bytes: 8KB, max_body_bytes: 1MB }
  - name: stream
    kind: http.endpoint
    method: "*"
    path: /s/{rest...}
    func: app:proxy
  # The method and the whole body (read before the handler starts).
  - name: lecho
    kind: function.lua
    source: |
      local http = require("http")
      function handle()
        local req, res = http.request(), http.response()
        res:write(req:method() .. " " .. (req:body() or ""))
      end
    method: handle
    modules: [http]
  - name: lecho_endpoint
    kind: http.endpoint
    method: ANY
    path: /lua
    func: app:lecho
  - name: ping
    kind: function.wat
    source: |
      (module (func (export "ping")))
    method: ping
    transport: wasi-http
  - name: ping_endpoint
    kind: http.endpoint
    method: ANY
    path: /ping
    func: app:ping
YAML
e2e_serve || fail "not listening: $(cat "$T/log")"
python3 "$E2E_HERE/http_pipeline.py" "$port" || fails=$((fails + 1))
contains "a pipelined head h2o cannot parse: its access-log line" "access: app:gateway - - 400 " "$(cat "$T/log")"
contains "a pipelined smuggling attempt: its access-log line" "access: app:gateway POST /ping 400 " "$(cat "$T/log")"
# HTTP/2 as h2o 2.2.5 gives it (docs/http-server.md, "HTTP/2"): a body is
# read whole before the guest sees it, and one over max_body_bytes has its
# stream reset (no response, no 413); the server goes on.
head -c 1200000 /dev/zero >"$T/big"
check "HTTP/2: a body over max_body_bytes gets no response (stream reset by h2o 2.2, not a 413)" "000" \
    "$(curl -s --max-time 60 --http2-prior-knowledge -H 'x-mode: c' --data-binary @"$T/big" -o /dev/null \
        -w '%{http_code}' "http://127.0.0.1:$port/s/c")"
check "HTTP/2: the server goes on; a body within the limit is read whole" "200 2 first 1000 total 1000" \
    "$(head -c 1000 /dev/zero | curl -s --max-time 60 --http2-prior-knowledge -H 'x-mode: c' --data-binary @- \
        -o "$T/body" -w '%{http_code} %{http_version}' "http://127.0.0.1:$port/s/c") $(tr '\n' ' ' <"$T/body" | sed 's/ $//')"
check "still serving" "204" "$(e2e_req "http://127.0.0.1:$port/ping")"
check "the server is alive" "yes" "$(kill -0 "$pid" 2>/dev/null && echo yes)"
[ $fails -ne 0 ] && { echo "--- log"; grep -v '^access' "$T/log" | tail -20; }
e2e_finish
