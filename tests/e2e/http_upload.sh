#!/bin/sh
# http_upload.sh - request bodies streamed to a wasi:http proxy as they
# arrive (h2o 2.2 reads a whole body before it hands a request over; the
# server reads proxies' bodies itself: docs/http-server.md), through real
# sockets: tests/fixtures/components/p2stream.wasm served by `wasmfn run`,
# whose mode c counts the request body ("first N" after its first read,
# "total N", its trailers or its stream's error-code) and mode h does the
# same sleeping 2 s after the first read. curl uploads with a
# Content-Length (--data-binary), chunked (-T) and over HTTP/2 (read whole
# by h2o, then given to the guest) come whole to the guest, the echo mode
# sends them back the same; a body over max_body_bytes is 413 before it is
# sent (with its access-log line, as a 431's and h2o's own 417); a 64 MiB upload to a guest
# that holds its reading for 2 s costs the server a bounded buffer, not
# the body (RSS); http_upload.py: a slow chunked upload with trailers read
# as it comes, keep-alive and pipelining after a streamed body,
# Expect: 100-continue, broken framing, a stalled body (read timeout), a
# client gone mid-body, a chunk over the limit. $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
e2e_proxy_project "$E2E_HERE/../fixtures/components/p2stream.wasm" \
    "wasi:http/incoming-handler@0.2.0#handle" "[wasi:io, wasi:http, wasi:clocks]"
cat >>"$proj/_index.yaml" <<YAML
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$port
    timeouts: { read: 2s, write: 30s }
    limits: { max_header_bytes: 8KB, max_body_bytes: 80MB }
  - name: stream
    kind: http.endpoint
    method: "*"
    path: /{rest...}
    func: app:proxy
YAML
e2e_serve
check "listening" "listening: app:gateway on 127.0.0.1:$port (port $port)" "$(grep '^listening:' "$T/log")"
B=http://127.0.0.1:$port

# curl uploads
head -c 1500000 /dev/urandom | base64 -w 0 >"$T/up"
check "Content-Length upload (2 MB)" "200" "$(e2e_req -H 'x-mode: c' --data-binary @"$T/up" "$B/c")"
contains "... the guest read all of it" "total 2000000" "$(cat "$T/body")"
check "chunked upload (curl -T)" "200" "$(e2e_req -H 'x-mode: c' -T "$T/up" "$B/c")"
contains "... the guest read all of it" "total 2000000" "$(cat "$T/body")"
check "HTTP/2 upload (read whole by h2o)" "200" "$(e2e_req --http2-prior-knowledge -H 'x-mode: c' --data-binary @"$T/up" "$B/c")"
contains "... the guest read all of it" "total 2000000" "$(cat "$T/body")"
check "echoed as it is read (Content-Length)" "200" "$(e2e_req --data-binary @"$T/up" "$B/e")"
check "... the same bytes back" "" "$(cmp "$T/up" "$T/body" 2>&1)"
check "echoed as it is read (chunked)" "200" "$(e2e_req -T "$T/up" "$B/e")"
check "... the same bytes back" "" "$(cmp "$T/up" "$T/body" 2>&1)"
check "a Content-Length over max_body_bytes -> 413" "413" \
    "$(e2e_req -H 'x-mode: c' -H 'Content-Length: 90000000' --data-binary 'x' "$B/over")"
contains "... with its access-log line" "access: app:gateway POST /over 413 " "$(cat "$T/log")"
hs=
for i in $(seq 130); do hs="$hs -H x-h$i:v"; done
# shellcheck disable=SC2086
check "130 header fields -> 431" "431" "$(e2e_req $hs "$B/fields")"
contains "... with its access-log line" "access: app:gateway GET /fields 431 " "$(cat "$T/log")"
python3 - "$port" >"$T/bad" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"POST /expect HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\nabc")
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
check "an unknown expectation -> 417 (h2o's own, before any handler)" "HTTP/1.1 417 Expectation Failed" "$(cat "$T/bad")"
e2e_wait 10 grep -q "^access: app:gateway POST /expect 417 " "$T/log"
contains "... with its access-log line" "access: app:gateway POST /expect 417 " "$(cat "$T/log")"

# Back-pressure: the guest holds its reading 2 s after the first read
# while curl sends 64 MiB as fast as it can; the server reads a window
# ahead of the guest and then lets TCP hold the client back.
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
before=$(rss)
head -c 67108864 /dev/zero | curl -s --max-time 60 -o "$T/held" -H 'x-mode: h' -T - "$B/c" &
cpid=$!
peak=$before
# Sample while the guest sleeps (it answered "first" already: the body has
# started arriving).
e2e_wait 30 grep -q first "$T/held" 2>/dev/null
for i in 1 2 3 4 5 6 7 8; do
    r=$(rss)
    [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.1
done
wait $cpid
check "a 64 MiB upload to a guest that holds its reading: all of it read" "first 65536 total 67108864" \
    "$(tr '\n' ' ' <"$T/held" | sed 's/ $//; s/first [0-9]*/first 65536/')"
growth=$(( (peak - before) / 1024 ))
check "... the server's RSS grew by far less than the body (< 24 MB; $growth MB)" "yes" \
    "$([ "$growth" -lt 24 ] && echo yes || echo "no: $growth MB")"

python3 "$E2E_HERE/http_upload.py" "$port" || fails=$((fails + 1))
check "still serving" "200" "$(e2e_req -H 'x-mode: c' --data-binary 'x' "$B/c")"

e2e_serve_end
