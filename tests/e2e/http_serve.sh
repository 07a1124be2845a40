#!/bin/sh
# http_serve.sh - `wasmfn run` through real sockets (tests/e2e/http_project):
# every result mapping of the wasi-http transport (text, JSON, bytes, 204),
# a {param} route, a JSON body, static files (ETag / If-None-Match, Range,
# index, content types), a trap (500, details in the log, not in the body),
# a timed-out function (504), HTTP/2 cleartext, the access log; the
# bad-input cases by a raw-socket client (http_bad_input.py); then SIGTERM
# with a request in flight: it is answered, the process exits 0 and no
# longer accepts. $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
# A copy, with a large file for the static tree (streamed with flow control).
cp -r "$E2E_HERE/http_project" "$T/project"
project=$T/project
head -c 3000000 /dev/urandom > "$project/public/big.bin"
port=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run "$project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log"
check "listening line" "listening: app:gateway on 127.0.0.1:$port (port $port)" "$(grep '^listening:' "$T/log")"
B=http://127.0.0.1:$port/api

check "string -> text/plain" "200 text/plain; charset=utf-8 Hello, World" \
    "$(e2e_req -X POST --data World "$B/greet") $(e2e_hdr content-type) $(cat "$T/body")"
check "{param} route, empty body -> none" "200 Hello, stranger" "$(e2e_req "$B/users/7/greet") $(cat "$T/body")"
check "JSON body -> record, s32 -> JSON" "200 application/json 42" \
    "$(e2e_req -X POST --data '{"x": 2, "y": 40}' "$B/add") $(e2e_hdr content-type) $(cat "$T/body")"
check "nothing -> 204" "204" "$(e2e_req "$B/ping")"
check "ANY method" "204" "$(e2e_req -X DELETE "$B/ping")"
printf 'bytes\000\001\002' > "$T/bin"
check "list<u8> -> octet-stream" "200 application/octet-stream" \
    "$(e2e_req -X POST --data-binary @"$T/bin" "$B/echo") $(e2e_hdr content-type)"
check "bytes round trip" "" "$(cmp "$T/bin" "$T/body")"
check "trap -> 500, short body" "500 internal error: the function failed" "$(e2e_req "$B/crash") $(cat "$T/body")"
check "trap details in the log" "error: app:crash_endpoint GET /api/crash -> 500: app:crash: TRAP: app:crash: unreachable" \
    "$(grep 'crash_endpoint' "$T/log")"
check "bad JSON -> 400 naming the parameter" "400" "$(e2e_req -X POST --data '{bad' "$B/add")"
check "400 body" "bad request: parameter \`p\`: invalid JSON at offset 1: expected a string key" "$(cat "$T/body")"
check "sleeping function" "200 150" "$(e2e_req -X POST --data 150 "$B/sleep") $(cat "$T/body")"
check "past the write timeout -> 504" "504 the function timed out" "$(e2e_req -X POST --data 5000 "$B/sleep") $(cat "$T/body")"
# A handler that runs long without waiting starts on the event loop, is
# asked to yield and goes on on the workers: others are served meanwhile
# (it is still running when they are answered), and the write timeout
# (3 s) still stops it.
check "short spin" "200 application/json 1000" "$(e2e_req -X POST --data 1000 "$B/spin") $(e2e_hdr content-type) $(cat "$T/body")"
check "short Lua spin" "200 1000" "$(e2e_req -X POST --data 1000 "$B/lua_spin") $(cat "$T/body")"
for what in spin lua_spin; do
    arg=0   # spin: 2^32 rounds; lua_spin: an empty body, forever
    [ "$what" = lua_spin ] && arg=
    curl -s -o "$T/spin_body" -w '%{http_code}' -X POST --data "$arg" "$B/$what" > "$T/spin_code" &
    spid=$!
    sleep 0.2
    check "$what: served while it runs" "204" "$(e2e_req "$B/ping")"
    check "$what: ... it still runs" "yes" "$(kill -0 "$spid" 2>/dev/null && echo yes)"
    wait "$spid"
    check "$what: stopped by the write timeout" "504 the function timed out" "$(cat "$T/spin_code") $(cat "$T/spin_body")"
done
# The same with a limit of its own (300 ms, far below the write timeout):
# the deadline its first slice held back is armed once it yields to the
# workers, and stops it there.
t0=$(date +%s%N)
check "spin_limited: stopped by its max_execution_ms" "504 the function timed out" \
    "$(e2e_req -X POST --data 0 "$B/spin_limited") $(cat "$T/body")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "spin_limited: ... after 300 ms, not the write timeout's 3 s ($ms ms)" "yes" \
    "$([ "$ms" -ge 300 ] && [ "$ms" -lt 2500 ] && echo yes)"
check "spin_limited: ... the limit named in the log" "1" \
    "$(grep -c "app:spin_limited: execution exceeded max_execution_ms (300 ms)" "$T/log")"
check "Lua function endpoint" "200 application/json {\"length\":3,\"upper\":\"ABC\"}" \
    "$(e2e_req -X POST --data abc "$B/shout") $(e2e_hdr content-type) $(cat "$T/body")"
check "unknown route -> 404" "404" "$(e2e_req "$B/nope")"
check "wrong method -> 405 + Allow" "405 POST" "$(e2e_req "$B/greet") $(e2e_hdr allow)"

# static files
check "static file" "200 text/plain; charset=utf-8 hello static" \
    "$(e2e_req "$B/files/hello.txt") $(e2e_hdr content-type) $(cat "$T/body")"
etag=$(e2e_hdr etag)
check "ETag is strong and quoted" "yes" "$(printf '%s' "$etag" | grep -q '^"[0-9a-f]*-[0-9a-f]*"$' && echo yes)"
check "If-None-Match -> 304" "304" "$(e2e_req -H "If-None-Match: $etag" "$B/files/hello.txt")"
check "other ETag -> 200" "200" "$(e2e_req -H 'If-None-Match: "x"' "$B/files/hello.txt")"
check "index" "200 text/html; charset=utf-8 <h1>index</h1>" "$(e2e_req "$B/files/") $(e2e_hdr content-type) $(cat "$T/body")"
# The tree's root without its slash read before the path and crashed the
# server (issue 15, found by fuzz_http): no route, and still serving.
check "static root without its slash -> 404, still serving" "404 204" "$(e2e_req "$B/files") $(e2e_req "$B/ping")"
# A header folded onto a second line (obs-fold) reached handlers as a header
# without a name (found by fuzz_http): 400, RFC 9112 5.2.
folded=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /api/ping HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\nConnection: close\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())' "$port")
check "obs-fold header -> 400, still serving" "HTTP/1.1 400 Bad Request 204" "$folded $(e2e_req "$B/ping")"
check "Range" "206 bytes 2-5/26 cdef" "$(e2e_req -H 'Range: bytes=2-5' "$B/files/sub/alpha.txt") $(e2e_hdr content-range) $(cat "$T/body")"
check "suffix Range" "206 xyz" "$(e2e_req -H 'Range: bytes=-3' "$B/files/sub/alpha.txt") $(cat "$T/body")"
check "Range past the end -> 416" "416 bytes */26" "$(e2e_req -H 'Range: bytes=100-' "$B/files/sub/alpha.txt") $(e2e_hdr content-range)"
check "missing file -> 404" "404" "$(e2e_req "$B/files/nope.txt")"
check "escape by %2e%2e -> 404" "404" "$(e2e_req --path-as-is "$B/files/%2e%2e/_index.yaml")"
check "HEAD" "200 13" "$(e2e_req -I "$B/files/hello.txt") $(e2e_hdr content-length)"

# A large file to a slow client (2 MB/s): streamed, and meanwhile others are served.
curl -s --limit-rate 2M -o "$T/big" -w '%{http_code} %{size_download}' "$B/files/big.bin" > "$T/big_code" &
bpid=$!
sleep 0.3
t0=$(date +%s%N)
check "served during the slow download" "204" "$(e2e_req "$B/ping")"
check "... at once" "yes" "$([ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 500 ] && echo yes)"
wait "$bpid"
check "large file to a slow client" "200 3000000" "$(cat "$T/big_code")"
check "large file intact" "" "$(cmp "$project/public/big.bin" "$T/big")"
check "large file head" "200 application/octet-stream 3000000" "$(e2e_req -I "$B/files/big.bin") $(e2e_hdr content-type) $(e2e_hdr content-length)"

# HTTP/2 cleartext (prior knowledge), keep-alive
check "HTTP/2 cleartext" "2 200 Hello, h2" \
    "$(curl -s --http2-prior-knowledge -o "$T/body" -w '%{http_version} %{http_code}' -X POST --data h2 "$B/greet") $(cat "$T/body")"
check "keep-alive: 3 requests, 1 connection" "1" \
    "$(curl -s -o /dev/null -w '%{num_connects}\n' "$B/ping" "$B/ping" "$B/ping" | awk '{s += $1} END {print s}')"

# bad input through raw sockets
python3 "$E2E_HERE/http_bad_input.py" 127.0.0.1 "$port" || fails=$((fails + 1))
# an idle keep-alive connection outlives the read timeout (2 s < idle 30 s)
python3 "$E2E_HERE/http_idle.py" 127.0.0.1 "$port" stays /api/ping || fails=$((fails + 1))

check "access log line" "yes" \
    "$(grep -q "^access: app:gateway POST /api/greet 200 12 [0-9]*us$" "$T/log" && echo yes)"

# SIGTERM with a request in flight: answered, exit 0, then nothing accepts.
curl -s -o "$T/inflight" -w '%{http_code}' -X POST --data 700 "$B/sleep" > "$T/inflight_code" &
cpid=$!
sleep 0.3
kill -TERM "$pid"
wait "$cpid"
wait "$pid"
rc=$?
check "in-flight request finished" "200 700" "$(cat "$T/inflight_code") $(cat "$T/inflight")"
check "exit 0 after SIGTERM" 0 "$rc"
check "stopped accepting" "000" "$(curl -s -o /dev/null -w '%{http_code}' "$B/ping")"
check "drain logged" "1" "$(grep -c "^stopped$" "$T/log")"

# timeouts.idle (1 s, read 30 s): an idle keep-alive connection is closed.
mkdir "$T/idle"
cat > "$T/idle/_index.yaml" <<EOF
namespace: idle
entries:
  - name: web
    kind: http.service
    addr: 127.0.0.1:$port
    timeouts:
      read: 30s
      idle: 1s
  - name: ping
    kind: function.wat
    source: |
      (module (func (export "ping")))
    method: ping
    transport: wasi-http
  - name: ping_endpoint
    kind: http.endpoint
    method: GET
    path: /ping
    func: ping
EOF
"$wasmfn" run --quiet "$T/idle" 2>"$T/log3" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log3"
python3 "$E2E_HERE/http_idle.py" 127.0.0.1 "$port" closes || fails=$((fails + 1))
kill -TERM "$pid"
wait "$pid"

# SIGTERM with --drain-timeout 500 and calls in flight that would take
# 2.5 s (pooled, and on the handler's own fiber): the drain timeout cuts
# them (TIMEOUT, logged), the process exits 0 without waiting for them.
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --drain-timeout 500 "$project" 2>"$T/log2" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log2"
curl -s -o /dev/null -w '%{http_code}' -X POST --data 2500 "$B/sleep" > "$T/cut1" &
c1=$!
curl -s -o /dev/null -w '%{http_code}' -X POST --data 2500 "$B/sleep_inline" > "$T/cut2" &
c2=$!
sleep 0.3
kill -TERM "$pid"
wait "$pid"
rc=$?
wait "$c1" "$c2"
check "drain timeout: exit 0" 0 "$rc"
check "drain timeout: pooled call cut" "1 yes" \
    "$(grep -c 'sleep_endpoint POST /api/sleep -> 504: app:sleep: TIMEOUT' "$T/log2") $([ "$(cat "$T/cut1")" != 200 ] && echo yes)"
check "drain timeout: call on the handler's fiber cut" "1 yes" \
    "$(grep -c 'sleep_inline_endpoint POST /api/sleep_inline -> 504: app:sleep_inline: TIMEOUT' "$T/log2") $([ "$(cat "$T/cut2")" != 200 ] && echo yes)"

[ "$fails" -eq 0 ] || { echo "--- server log"; cat "$T/log"; echo "--- second server's log"; cat "$T/log2" 2>/dev/null; }
[ "$fails" -eq 0 ]
