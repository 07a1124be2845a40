#!/bin/sh
# http_metrics_format.sh - `wasmfn run --admin`'s /metrics as a Prometheus
# server reads it: after 2 greets, a trap and an unknown route against
# tests/e2e/http_project, and requests refused before routing (431, 413,
# 400s, one pipelined), http_metrics_format.py checks the page with the
# Prometheus project's own parser (python3-prometheus-client, Debian's
# python3 — not whichever python3 is first on PATH) and the figures.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
PY=/usr/bin/python3
"$PY" -c 'import prometheus_client' 2>/dev/null ||
    fail "python3-prometheus-client missing for $PY: run scripts/setup"
port=$(e2e_free_port)
aport=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --no-reload --admin 127.0.0.1:$aport "$E2E_HERE/http_project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
listening() { [ "$(grep -c '^listening:' "$T/log")" -ge 2 ]; }
e2e_wait 30 listening || fail "not listening: $(cat "$T/log")"
B=http://127.0.0.1:$port/api
check "greet" "200 200" "$(e2e_req -X POST --data a "$B/greet") $(e2e_req -X POST --data b "$B/greet")"
check "trap" "500" "$(e2e_req "$B/crash")"
check "unknown route" "404" "$(e2e_req "http://127.0.0.1:$port/nope")"
# Requests the server refuses before any route sees them (its head guard:
# no request object exists for them) are counted too, under "(no route)":
# a head over the limit (431), a Content-Length over the limit (413),
# differing Content-Length values, the same pipelined behind a good
# request, and a head that does not parse (400s).
"$PY" - "$port" >"$T/raw" <<'PY'
import re, socket, sys
def first_lines(raw):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
    s.sendall(raw)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    return [l.decode() for l in re.findall(rb"HTTP/1\.1 \d\d\d [^\r]*", out)]
G = b"GET /api/greet HTTP/1.1\r\nHost: x\r\n"
print(first_lines(G + b"x-big: " + b"a" * 70000 + b"\r\n\r\n"))
print(first_lines(b"POST /api/greet HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"))
print(first_lines(b"POST /api/greet HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"))
print(first_lines(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"POST /api/greet HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"))
print(first_lines(b"NOT HTTP AT ALL\r\n\r\n"))
PY
check "refused before routing: 431, 413, 400, 404 then 400, 400" "['HTTP/1.1 431 Request Header Fields Too Large']
['HTTP/1.1 413 Payload Too Large']
['HTTP/1.1 400 Bad Request']
['HTTP/1.1 404 Not Found', 'HTTP/1.1 400 Bad Request']
['HTTP/1.1 400 Bad Request']" "$(cat "$T/raw")"
# A request is counted when its response is done on the server's side,
# which may be a moment after the client has it: read until it shows.
scrape() { "$PY" "$E2E_HERE/http_metrics_format.py" "http://127.0.0.1:$aport/metrics" >"$T/out" 2>&1; }
e2e_wait 30 scrape || fails=$((fails + 1))
cat "$T/out"
e2e_finish
