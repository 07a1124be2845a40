#!/bin/sh
# lua_metrics.sh - upstream's `metrics` module through `wasmfn run --admin`
# (tests/e2e/lua_metrics_project, in the style of wippy-projects' 16-metrics):
# orders POSTed, stats read, and what Lua recorded found at /metrics as a
# Prometheus server reads it (lua_metrics.py); the module's refusals; and
# `store` in `modules` (an upstream module wasmfn lacks): a load warning
# (an error under `check --strict`) and require("store") failing.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
PY=/usr/bin/python3
"$PY" -c 'import prometheus_client' 2>/dev/null ||
    fail "python3-prometheus-client missing for $PY: run scripts/setup"
P=$E2E_HERE/lua_metrics_project
W="_index.yaml:45: app:stats: module 'store' is an upstream Wippy module wasmfn does not provide: require('store') will fail"

"$wasmfn" check "$P" >"$T/out" 2>"$T/err"
check "check: passes, warns" "0 ok: 8 entries, 2 functions warning: $W" "$? $(cat "$T/out") $(cat "$T/err")"
"$wasmfn" check --strict "$P" >"$T/out" 2>"$T/err"
check "check --strict: the warning fails it" "3 $W
wasmfn check: 1 warning (--strict) in $P" "$? $(cat "$T/err")"

port=$(e2e_free_port)
aport=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --no-reload --admin 127.0.0.1:$aport "$P" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
listening() { [ "$(grep -c '^listening:' "$T/log")" -ge 2 ]; }
e2e_wait 30 listening || fail "not listening: $(cat "$T/log")"
check "run: the warning" "warning: $W" "$(grep '^warning' "$T/log")"
B=http://127.0.0.1:$port/api
J='Content-Type: application/json'
check "order: book" '201 {"ok":true,"product":"book"}' \
    "$(e2e_req -H "$J" --data '{"product":"book","amount":12.5,"seconds":0.3}' "$B/orders") $(cat "$T/body")"
check "order: book again" '201' "$(e2e_req -H "$J" --data '{"product":"book","amount":10}' "$B/orders")"
check "order: pen" '201 {"ok":true,"product":"pen"}' \
    "$(e2e_req -H "$J" --data '{"product":"pen","amount":2,"seconds":0.02}' "$B/orders") $(cat "$T/body")"
check "order: rejected" '400 {"error":"expected {product, amount}"}' \
    "$(e2e_req -H "$J" --data 'nope' "$B/orders") $(cat "$T/body")"
check "stats" "200" "$(e2e_req "$B/stats")"
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/body" "$1"; }
check "stats: a counter going down is refused" "counter \`shop.revenue\` cannot go down (value -1)" "$(field negative)"
check "stats: wasmfn's own names are refused" \
    "metric name \`wasmfn_function_calls_total\`: the wasmfn_ prefix is reserved for wasmfn's own metrics" "$(field reserved)"
check "stats: one type per name" "metric \`shop_orders_total\` is a counter, not a gauge" "$(field retyped)"
check "stats: a label name the format forbids" \
    "metric \`shop.orders.total\`: label name \`bad-label\` is not allowed ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)" \
    "$(field bad_label)"
check "stats: quotes and backslashes in a value are fine" "ok" "$(field quoted)"
check "stats: require('store')" \
    "module 'store' is not provided by wasmfn (an upstream Wippy module; wasmfn provides: funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)" \
    "$(field store | sed 's/^[^ ]*: //')"
# A request is counted when its response is done on the server's side.
scrape() { "$PY" "$E2E_HERE/lua_metrics.py" "http://127.0.0.1:$aport/metrics" >"$T/out" 2>&1; }
e2e_wait 30 scrape || fails=$((fails + 1))
cat "$T/out"
check "scrape: the lines Lua recorded" 'shop_orders_total{product="book"} 2
shop_orders_total{product="pen"} 1
shop_revenue{product="book"} 22.5
shop_revenue{product="pen"} 2
shop_orders_open 2
shop_order_seconds_bucket{product="book",le="0.25"} 1
shop_order_seconds_bucket{product="book",le="0.5"} 2
shop_order_seconds_sum{product="book"} 0.32
shop_order_seconds_count{product="book"} 2
shop_orders_rejected 1
shop_queue_depth{queue="emails"} 42
shop_notes{note="say \"hi\"\\n"} 1' \
    "$(curl -s "http://127.0.0.1:$aport/metrics" | grep -E '^shop_' | grep -v 'seconds_bucket.*pen\|le="0\.0\|le="0\.1"\|le="[125]\|le="10"\|le="+Inf"\|seconds_.*pen')"
e2e_finish
