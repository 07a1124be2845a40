#!/bin/sh
# http_reuseport.sh - two `wasmfn run` processes on one address
# (SO_REUSEPORT) behind nginx (nginx-light) on loopback, the way to outgrow
# one process: 60 requests through nginx all succeed and both processes
# serve some of them; after SIGTERM to one of them, the other serves all
# that follow. $1 = the wasmfn binary.
set -u
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
project=$here/http_project
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "FAIL nginx missing (scripts/setup installs nginx-light)"; exit 1; }
tmp=$(mktemp -d)
fails=0
p1= p2= np=
cleanup() {
    for p in $p1 $p2 $np; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
check() { # name expected actual
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
nport=$(free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run "$project" 2>"$tmp/one.log" &
p1=$!
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run "$project" 2>"$tmp/two.log" &
p2=$!
cat > "$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp;
    uwsgi_temp_path $tmp; scgi_temp_path $tmp;
    upstream wasmfn { server 127.0.0.1:$port; }
    server {
        listen 127.0.0.1:$nport;
        location / { proxy_pass http://wasmfn; proxy_next_upstream error timeout; }
    }
}
CONF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" &
np=$!
for i in $(seq 1 600); do
    grep -q '^listening:' "$tmp/one.log" && grep -q '^listening:' "$tmp/two.log" &&
        curl -s -o /dev/null "http://127.0.0.1:$nport/api/ping" && break
    sleep 0.05
done
check "both processes listen on one address" "2" "$(cat "$tmp/one.log" "$tmp/two.log" | grep -c "^listening: app:gateway on 127.0.0.1:$port")"

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
await_served 60 "$tmp/one.log" "$tmp/two.log"
n1=$(served "$tmp/one.log")
n2=$(served "$tmp/two.log")
check "all served by the two" 60 $((n1 + n2))
check "both served some ($n1 + $n2)" "yes" "$([ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] && echo yes)"

kill -TERM "$p1"
wait "$p1"
check "first process exits 0" 0 $?
p1=
ok=0
for i in $(seq 1 20); do
    [ "$(curl -s -X POST --data "m$i" "http://127.0.0.1:$nport/api/greet")" = "Hello, m$i" ] && ok=$((ok + 1))
done
check "20 more through the remaining one" 20 "$ok"
await_served $((n2 + 20)) "$tmp/two.log"
check "... all by the second" 20 $(( $(served "$tmp/two.log") - n2 ))

[ "$fails" -eq 0 ] || { echo "--- logs"; cat "$tmp/one.log" "$tmp/two.log" "$tmp/nginx.err" 2>/dev/null; }
[ "$fails" -eq 0 ]
