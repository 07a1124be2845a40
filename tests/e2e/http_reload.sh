#!/bin/sh
# http_reload.sh - reload while serving (SPEC §1) through `wasmfn run`:
# wrk keeps 8 connections busy on a Lua endpoint while its source is
# edited (v1 -> v2), the registry is broken (reported, v2 keeps serving),
# then fixed (v3) and SIGHUP'd (v4); not one request may fail. A slow
# request started on v1 finishes with v1's answer after v2 is live.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
cp -r "$E2E_HERE/http_lua_project" "$T/project"
project=$T/project
port=$(e2e_free_port)
aport=$(e2e_free_port)
export WF_TEST_ADDR=127.0.0.1:$port
"$wasmfn" run --quiet --admin 127.0.0.1:$aport "$project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
listening() { [ "$(grep -c '^listening:' "$T/log")" -ge 2 ]; }
e2e_wait 30 listening
U=http://127.0.0.1:$port/api/version
waitlog() { e2e_wait 5 grep -q "$1" "$T/log"; }
setv() { sed "s/write(\"v[0-9]*\")/write(\"$1\")/" "$project/version.lua" > "$T/v.lua" && mv "$T/v.lua" "$project/version.lua"; }

check "v1 served" v1 "$(curl -s "$U")"
wrk -t2 -c8 -d4s "$U" > "$T/wrk" 2>&1 &
wrk=$!
sleep 0.5
curl -s "$U?sleep=800" > "$T/slow" &
slow=$!
sleep 0.2
setv v2
waitlog "reloaded: version 2" || echo "(no reload logged)"
check "v2 after the edit" v2 "$(curl -s "$U")"
wait "$slow"
check "the request in flight finished on v1" v1 "$(cat "$T/slow")"
sleep 0.3
cp "$project/_index.yaml" "$T/good.yaml"
printf '  - name: broken\n    kind: function.wat\n' >> "$project/_index.yaml"
waitlog "reload failed" || echo "(no failure logged)"
check "broken registry reported" "yes" "$(grep -q 'error: _index.yaml:.*app:broken' "$T/log" && echo yes)"
check "v2 keeps serving" v2 "$(curl -s "$U")"
sleep 0.3
cp "$T/good.yaml" "$project/_index.yaml"
setv v3
waitlog "reloaded: version 3" || echo "(no reload logged)"
check "v3 after the fix" v3 "$(curl -s "$U")"
kill -HUP "$pid"
waitlog "reloaded: version 4" || echo "(no SIGHUP reload logged)"
check "SIGHUP reloads" "yes" "$(grep -q 'reloaded: version 4' "$T/log" && echo yes)"
wait "$wrk"
cat "$T/wrk" | sed 's/^/     wrk: /'
check "no failed request under load" "" "$(grep -E 'Non-2xx|Socket errors' "$T/wrk")"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk")
check "wrk made requests" yes "$([ "${reqs:-0}" -gt 200 ] && echo yes)"
check "healthz names the version" '{"status":"ok","version":4}' "$(curl -s http://127.0.0.1:$aport/healthz)"
ok200=$(curl -s http://127.0.0.1:$aport/metrics | grep -F 'wasmfn_http_requests_total{endpoint="app:version_endpoint",status="200"}' | awk '{print $NF}')
check "metrics count across versions" yes "$([ "${ok200:-0}" -ge "${reqs:-1}" ] && echo yes)"

kill -TERM "$pid"
wait "$pid"
check "exit 0 after SIGTERM" 0 "$?"
[ "$fails" -eq 0 ]
