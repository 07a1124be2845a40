#!/bin/sh
# http_lua.sh - Lua endpoints with upstream's `http` module through
# `wasmfn run` and real sockets (tests/e2e/http_lua_project): query and
# 400, headers, a {param} route with a JSON body (201, write_json), chunked
# transfer arriving in pieces, server-sent events, a Lua error (500, details
# in the log), http_client calling the server it runs in; and --admin:
# /healthz and /metrics counting those requests and calls.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
port=$(e2e_free_port)
aport=$(e2e_free_port)
export WF_TEST_ADDR=127.0.0.1:$port
"$wasmfn" run --no-reload --admin 127.0.0.1:$aport "$E2E_HERE/http_lua_project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
listening() { [ "$(grep -c '^listening:' "$T/log")" -ge 2 ]; }
e2e_wait 30 listening
check "admin listening" "listening: (admin) on 127.0.0.1:$aport (port $aport)" "$(grep '(admin)' "$T/log")"
B=http://127.0.0.1:$port/api

check "query -> text" "200 text/plain lua Hello, Ann Lee!" \
    "$(e2e_req "$B/hello?name=Ann%20Lee") $(e2e_hdr content-type) $(e2e_hdr x-handler) $(cat "$T/body")"
check "missing query -> 400" "400 Missing 'name' parameter" "$(e2e_req "$B/hello") $(cat "$T/body")"
check "JSON in, write_json out, 201" \
    '201 application/json {"agent":"t/1","id":"42","method":"POST","name":"Bo","path":"/api/users/42"}' \
    "$(e2e_req -A t/1 -H 'Content-Type: application/json' --data '{"name":"Bo"}' "$B/users/42") $(e2e_hdr content-type) $(cat "$T/body")"
check "bad JSON -> 400 PARSE_FAILED" "400 PARSE_FAILED" \
    "$(e2e_req -H 'Content-Type: application/json' --data '{bad' "$B/users/1") $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$T/body")"
check "not JSON -> 415" "415" "$(e2e_req --data 'x=1' "$B/users/1")"

# chunked: three pieces, 30 ms apart, arriving as they are written
python3 - "$port" > "$T/chunks" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
t0, data, times = time.time(), b"", []
while True:
    b = s.recv(65536)
    if not b: break
    data += b
    times.append(time.time() - t0)
head, _, body = data.partition(b"\r\n\r\n")
print("chunked" if b"transfer-encoding: chunked" in head.lower() else "not chunked")
print("pieces" if len(times) >= 2 and times[-1] - times[0] > 0.02 else "one piece")
print(body.count(b"chunk "))
PY
check "chunked transfer" "chunked pieces 3" "$(tr '\n' ' ' < "$T/chunks" | sed 's/ $//')"
check "chunked body" "chunk 1
chunk 2
chunk 3" "$(curl -s "$B/chunked")"

check "SSE content type" "200 text/event-stream no-cache" "$(e2e_req "$B/events") $(e2e_hdr content-type) $(e2e_hdr cache-control)"
check "SSE events" 'event: start|data: {"message":"Starting event stream"}||event: progress|data: {"percent":33}||event: progress|data: {"percent":66}||event: progress|data: {"percent":99}||event: end|data: done||' \
    "$(tr '\n' '|' < "$T/body")"

check "Lua error -> 500" "500 internal error: the function failed" "$(e2e_req "$B/fail") $(cat "$T/body")"
check "error details in the log" "yes" "$(grep -q 'app:fail_endpoint GET /api/fail -> 500: app:fail: .*boom' "$T/log" && echo yes)"
check "http_client to the server itself" "200 proxied 200: Hello, zed!" "$(e2e_req "$B/proxy/zed") $(cat "$T/body")"

A=http://127.0.0.1:$aport
check "healthz" '200 {"status":"ok","version":1}' "$(e2e_req "$A/healthz") $(cat "$T/body")"
e2e_req "$A/metrics" > /dev/null
metric() { grep -F "$1 " "$T/body" | head -1 | awk '{print $NF}'; }
check "metrics content type" "text/plain; version=0.0.4; charset=utf-8" "$(e2e_req "$A/metrics" >/dev/null; e2e_hdr content-type)"
check "requests by endpoint and status" 1 "$(metric 'wasmfn_http_requests_total{endpoint="app:hello_endpoint",status="400"}')"
check "... 200" 2 "$(metric 'wasmfn_http_requests_total{endpoint="app:hello_endpoint",status="200"}')"
# A request is counted when h2o disposes of it, just after the client has
# its response: read the metrics again (bounded) rather than race that.
curl -s -o /dev/null "$B/nope"
for i in $(seq 1 100); do
    e2e_req "$A/metrics" >/dev/null
    [ "$(metric 'wasmfn_http_requests_total{endpoint="(no route)",status="404"}')" = 1 ] && break
    sleep 0.05
done
check "... 404 (no route)" 1 "$(metric 'wasmfn_http_requests_total{endpoint="(no route)",status="404"}')"
check "function calls" 3 "$(metric 'wasmfn_function_calls_total{function="app:hello"}')"
check "function errors by kind" 1 "$(metric 'wasmfn_function_errors_total{function="app:fail",kind="TRAP"}')"
check "latency histogram" 3 "$(metric 'wasmfn_function_duration_seconds_count{function="app:hello"}')"
check "instances busy" 0 "$(metric 'wasmfn_function_instances{function="app:hello",state="busy"}')"

kill -TERM "$pid"
wait "$pid"
check "exit 0 after SIGTERM" 0 "$?"
[ "$fails" -eq 0 ]
