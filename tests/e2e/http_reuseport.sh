#!/bin/sh
# http_reuseport.sh - two `wasmfn run` processes on one address
# (SO_REUSEPORT) behind nginx (nginx-light) on loopback, the way to outgrow
# one process: 60 requests through nginx all succeed and both processes
# serve some of them; after SIGTERM to one of them, the other serves all
# that follow. $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
project=$E2E_HERE/http_project
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "FAIL nginx missing (scripts/setup installs nginx-light)"; exit 1; }
port=$(e2e_free_port)
nport=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run "$project" 2>"$T/one.log" &
p1=$!
e2e_kill_at_exit $p1
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run "$project" 2>"$T/two.log" &
p2=$!
e2e_kill_at_exit $p2
cat > "$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $T; proxy_temp_path $T; fastcgi_temp_path $T;
    uwsgi_temp_path $T; scgi_temp_path $T;
    upstream wasmfn { server 127.0.0.1:$port; }
    server {
        listen 127.0.0.1:$nport;
        location / { proxy_pass http://wasmfn; proxy_next_upstream error timeout; }
    }
}
CONF
"$NGINX" -c "$T/nginx.conf" -p "$T" &
np=$!
e2e_kill_at_exit $np
for i in $(seq 1 600); do
    grep -q '^listening:' "$T/one.log" && grep -q '^listening:' "$T/two.log" &&
        curl -s -o /dev/null "http://127.0.0.1:$nport/api/ping" && break
    sleep 0.05
done
check "both processes listen on one address" "2" "$(cat "$T/one.log" "$T/two.log" | grep -c "^listening: app:gateway on 127.0.0.1:$port")"

ok=0
for i in $(seq 1 60); do
    [ "$(curl -s -X POST --data "n$i" "http://127.0.0.1:$nport/api/greet")" = "Hello, n$i" ] && ok=$((ok + 1))
done
check "60 requests through nginx" 60 "$ok"
# A request's access line is written when h2o disposes of it, just after the
# client has its response: wait (bounded) for the lines, never race them.
served() { grep -c '^access: app:gateway POST /api/greet 200' "$@" | awk -F: '{ n += $NF } END { print n + 0 }'; }
await_served() { # total files...
    want=$1; shift
    for i in $(seq 1 200); do [ "$(served "$@")" -ge "$want" ] && break; sleep 0.05; done
}
await_served 60 "$T/one.log" "$T/two.log"
n1=$(served "$T/one.log")
n2=$(served "$T/two.log")
check "all served by the two" 60 $((n1 + n2))
check "both served some ($n1 + $n2)" "yes" "$([ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && echo yes)"

kill -TERM "$p1"
wait "$p1"
check "first process exits 0" 0 $?
ok=0
for i in $(seq 1 20); do
    [ "$(curl -s -X POST --data "m$i" "http://127.0.0.1:$nport/api/greet")" = "Hello, m$i" ] && ok=$((ok + 1))
done
check "20 more through the remaining one" 20 "$ok"
await_served $((n2 + 20)) "$T/two.log"
check "... all by the second" 20 $(( $(served "$T/two.log") - n2 ))

[ "$fails" -eq 0 ] || { echo "--- logs"; cat "$T/one.log" "$T/two.log" "$T/nginx.err" 2>/dev/null; }
[ "$fails" -eq 0 ]
