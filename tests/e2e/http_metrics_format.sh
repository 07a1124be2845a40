#!/bin/sh
# http_metrics_format.sh - `wasmfn run --admin`'s /metrics as a Prometheus
# server reads it: after 2 greets, a trap and an unknown route against
# tests/e2e/http_project, http_metrics_format.py checks the page with the
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
# A request is counted when its response is done on the server's side,
# which may be a moment after the client has it: read until it shows.
scrape() { "$PY" "$E2E_HERE/http_metrics_format.py" "http://127.0.0.1:$aport/metrics" >"$T/out" 2>&1; }
e2e_wait 30 scrape || fails=$((fails + 1))
cat "$T/out"
e2e_finish
