#!/bin/sh
# http_lifecycle.sh - the fields upstream Wippy's http.service carries for
# its supervisor and listener (src/registry/kinds.c check_service_upstream):
# `lifecycle` loads without a warning, `auto_start: false` leaves a service
# and what is mounted on it unserved, `stop_timeout` bounds the drain, a
# timeout of 0 is off; `lifecycle.security` is a warning (nothing enforces
# it), `tls` with a mode and `network` are load errors (plain TCP in their
# place would expose the service).
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"

on=$(e2e_free_port)
off=$(e2e_free_port)
proj=$T/proj
mkdir "$proj"
cat >"$proj/_index.yaml" <<YAML
version: "1.0"
namespace: app
entries:
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$on
    timeouts: { read: 5s, write: 10s, idle: 0 }
    host: { buffer_size: 1024, worker_count: 4 }
    tls: { mode: "" }
    lifecycle:
      auto_start: true
      start_timeout: 30s
      stop_timeout: 1500ms
      requires: [app:database]
      restart: { initial_delay: 1s, max_attempts: 10 }
  - name: internal
    kind: http.service
    addr: 127.0.0.1:$off
    lifecycle:
      auto_start: false
  - name: api
    kind: http.router
    meta: { server: gateway }
    prefix: /api
  - name: admin
    kind: http.router
    meta: { server: internal }
    prefix: /admin
  - name: hello
    kind: function.lua
    method: handler
    modules: [http]
    source: |
      local http = require("http")
      local function handler()
          local res = http.response()
          res:set_status(http.STATUS.OK)
          res:write("hello")
      end
      return { handler = handler }
  - name: hello.endpoint
    kind: http.endpoint
    meta: { router: api }
    method: GET
    path: /hello
    func: hello
  - name: secret.endpoint
    kind: http.endpoint
    meta: { router: admin }
    method: GET
    path: /hello
    func: hello
YAML

out=$("$wasmfn" check --strict "$proj" 2>&1)
check "lifecycle, host, tls without a mode: no warning (check --strict)" "0 ok: 7 entries, 1 functions" "$? $out"

"$wasmfn" run --no-reload "$proj" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log" || fail "not listening: $(cat "$T/log")"
contains "auto_start: false is said" "not started: app:internal (lifecycle.auto_start: false)" "$(cat "$T/log")"
check "one service listens" "1" "$(grep -c '^listening:' "$T/log")"
check "the started service serves" "200 hello" "$(e2e_req "http://127.0.0.1:$on/api/hello") $(cat "$T/body")"
code=0
curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$off/admin/hello" || code=$?
check "the unstarted service does not listen (curl: connection refused)" "7" "$code"
check "nor is its endpoint on the other one" "404" "$(e2e_req "http://127.0.0.1:$on/admin/hello")"
kill "$pid"
code=0
wait "$pid" || code=$?
check "SIGTERM: exit 0" "0" "$code"
contains "stop_timeout bounds the drain" "finishing requests in flight (at most 1500 ms)" "$(cat "$T/log")"

# --drain-timeout still wins over stop_timeout (a log of its own: the
# first one already says `listening`).
"$wasmfn" run --no-reload --drain-timeout 700 "$proj" 2>"$T/log2" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log2" || fail "not listening: $(cat "$T/log2")"
kill "$pid"
wait "$pid"
contains "--drain-timeout over stop_timeout" "(at most 700 ms)" "$(cat "$T/log2")"

# What upstream's fields may not be.
bad() { # name, the service's extra YAML lines, expected exit, expected text
    cat >"$T/bad.yaml" <<YAML
namespace: app
entries:
  - name: gateway
    kind: http.service
    addr: 127.0.0.1:$on
$2
YAML
    mkdir -p "$T/bad"
    cp "$T/bad.yaml" "$T/bad/_index.yaml"
    out=$("$wasmfn" check "$T/bad" 2>&1)
    code=$?
    check "$1: exit" "$3" "$code"
    contains "$1: message" "$4" "$out"
}
bad "tls manual" "    tls: { mode: manual, cert: file://c.pem, key: file://k.pem }" 3 \
    "_index.yaml:6: app:gateway: TLS termination ('tls.mode: manual') is not supported by wasmfn"
bad "network overlay" "    network: app:tailnet" 3 \
    "_index.yaml:6: app:gateway: network overlays ('network') are not supported by wasmfn"
bad "auto_start not a boolean" "    lifecycle: { auto_start: yes }" 3 \
    "field 'lifecycle.auto_start' must be true or false"
bad "stop_timeout not a duration" "    lifecycle: { stop_timeout: 10 }" 3 \
    "field 'lifecycle.stop_timeout' must be a duration of at least 1ms"
bad "a timeout of 0 with a unit is off too" "    timeouts: { write: 0s, read: 0ms }" 0 "ok: 1 entries"
bad "a negative timeout" "    timeouts: { write: -1s }" 3 "field 'timeouts.write' must be a duration such as 5s, 250ms or 1m, or 0 (off)"
bad "lifecycle.security: a warning" "    lifecycle: { security: { actor: { id: gw } } }" 0 \
    "warning: _index.yaml:6: app:gateway: field 'lifecycle.security' is not enforced by wasmfn"
bad "an unknown lifecycle field: a warning" "    lifecycle: { auto_strat: true }" 0 \
    "unknown field 'lifecycle.auto_strat' for lifecycle (ignored)"
out=$("$wasmfn" check --strict "$T/bad" 2>&1)
check "... an error under --strict" "3" "$?"

e2e_finish
