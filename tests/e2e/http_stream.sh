#!/bin/sh
# http_stream.sh - what a wasi:http proxy's response does after its head
# went out, and request heads over the limit, through real sockets:
# tests/fixtures/components/p2stream.wasm (p2stream.wat) served by
# `wasmfn run`. Trailers the guest finishes its body with arrive in the
# last chunk (curl and a raw socket; HTTP/1.0 gets the body without them);
# a guest that traps or drops its body unfinished after the head went out
# has its response cut (curl: exit 18 on HTTP/1.1, 92 on HTTP/2), never
# ended as if complete, and the log says why; a request body streamed
# through the guest chunk by chunk (2 MB, chunked upload) comes back the
# same, one over max_body_bytes is 413 (chunked: the guest's read fails
# with HTTP-request-body-size); a client that does not read holds
# a guest writing 32 MiB back (the server's memory does not grow by it)
# and then gets all of it; a guest's fetch with a between-bytes timeout
# of 300 ms from a server that stalls mid-body (http_echo.py /stall) gets
# its first 5 bytes, then connection-read-timeout (error-code case 9),
# long before the server's 3 s silence ends; heads over max_header_bytes are
# 431 (curl with 130 fields and with an 80 KB field; http_stream.py: too
# many fields, 20 KB, 600 KB past h2o's own limit, sent in pieces,
# pipelined behind a good request, never ended) and the server keeps
# serving. $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
e2e_proxy_project "$E2E_HERE/../fixtures/components/p2stream.wasm" \
    "wasi:http/incoming-handler@0.2.0#handle" "[wasi:io, wasi:http, wasi:clocks]"
cat >>"$proj/_index.yaml" <<YAML
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$port
    timeouts: { read: 20s, write: 30s }
    limits: { max_header_bytes: 8KB, max_body_bytes: 4MB }
  - name: stream
    kind: http.endpoint
    method: "*"
    path: /{rest...}
    func: app:proxy
YAML
e2e_serve
check "listening" "listening: app:gateway on 127.0.0.1:$port (port $port)" "$(grep '^listening:' "$T/log")"
B=http://127.0.0.1:$port

# Trailers
check "trailers: 200" "200" "$(e2e_req -H 'x-mode: r' "$B/t")"
check "... the body" "partial" "$(cat "$T/body")"
contains "... chunked" "transfer-encoding: chunked" "$(tr -d '\r' <"$T/head")"
contains "... the trailers after the body (curl shows them with the head)" "x-sum: 42" "$(tr -d '\r' <"$T/head")"
contains "... both" "x-note: done" "$(tr -d '\r' <"$T/head")"
check "trailers over HTTP/2: the body (h2o 2.2 sends no HTTP/2 trailers)" "200 partial" \
    "$(e2e_req --http2-prior-knowledge -H 'x-mode: r' "$B/t") $(cat "$T/body")"

# Failures after the head
curl -s --max-time 60 -o "$T/body" -H 'x-mode: t' "$B/t"
check "a trap after the head: curl sees the transfer cut (18)" "18" "$?"
check "... after what was sent" "partial" "$(cat "$T/body")"
contains "... the log says why" "error: app:stream GET /t -> 200: app:proxy: failed in its response body: TRAP: app:proxy: unreachable" "$(cat "$T/log")"
curl -s --max-time 60 -o "$T/body" -H 'x-mode: d' "$B/d"
check "a body dropped unfinished: cut (18)" "18" "$?"
contains "... the log says why" "error: app:stream GET /d -> 200: app:proxy: returned without finishing its response body" "$(cat "$T/log")"
curl -s --max-time 60 -o "$T/body" --http2-prior-knowledge -H 'x-mode: t' "$B/t"
check "a trap after the head over HTTP/2: the stream reset (92)" "92" "$?"
check "still serving" "200" "$(e2e_req -H 'x-mode: r' "$B/t")"

# Request bodies through the guest, chunk by chunk
head -c 1500000 /dev/urandom | base64 -w 0 >"$T/up"
check "a 2 MB chunked upload echoed" "200" "$(e2e_req -H 'Transfer-Encoding: chunked' --data-binary @"$T/up" "$B/e")"
check "... the same bytes" "" "$(cmp "$T/up" "$T/body" 2>&1)"
check "... sent chunked" "chunked" "$(grep -i '^transfer-encoding:' "$T/head" | cut -d' ' -f2 | tr -d '\r')"
head -c 5000000 /dev/zero >"$T/huge"
check "a body over max_body_bytes -> 413" "413" "$(e2e_req --data-binary @"$T/huge" "$B/e")"
# A chunked body streams to the guest as it comes: its read fails at the
# limit (HTTP-request-body-size, case 17) after what came within it.
check "... chunked: the guest's read fails at the limit" "200" \
    "$(e2e_req -H 'x-mode: c' -H 'Transfer-Encoding: chunked' --data-binary @"$T/huge" "$B/e")"
contains "... with HTTP-request-body-size" "error-code 17" "$(cat "$T/body")"

# The between-bytes timeout of a guest's fetch
check "a fetch whose body stalls past its between-bytes timeout" "200" \
    "$(e2e_req -H 'x-mode: f' -H "x-target: 127.0.0.1:$echo_port" "$B/f")"
check "... the guest read the first bytes, then connection-read-timeout" "read 05, then error-code 09" \
    "$(cat "$T/body")"

# Heads over the limit
hs=
for i in $(seq 130); do hs="$hs -H x-h$i:v"; done
# shellcheck disable=SC2086
check "130 header fields (curl) -> 431" "431" "$(e2e_req $hs "$B/e")"
check "an 80 KB header field (curl) -> 431" "431" "$(e2e_req -H "x-big: $(head -c 80000 /dev/zero | tr '\0' a)" "$B/e")"
python3 "$E2E_HERE/http_stream.py" "$port" "$pid" || fails=$((fails + 1))
check "still serving" "200" "$(e2e_req -H 'x-mode: r' "$B/t")"

e2e_serve_end
