#!/bin/sh
# wasi_sockets.sh - wasi:sockets for components under the `wasi.network`
# policy (SPEC §4), with the fixture sockets.wasm (tests/fixtures/
# components/sockets.wat: a TCP client, a TCP server, a UDP client, name
# lookups, a probe of misuse and refusals) as function.wasm entries talking
# to python peers on 127.0.0.1 (wasi_sockets/peer.py, free ports):
#   - TCP and UDP round trips, a peer's reset (network-error-code), (connect, stream writes, shutdown, reads to EOF;
#     bind, stream, check-send/send, receive), by IP and by `localhost`
#     resolved through ip-name-lookup and granted by a `localhost:PORT` pattern;
#   - a listener granted its port: accept, read, answer;
#   - two listeners on ONE worker listening at once (accept suspends);
#   - refusals: access-denied for a port, a name, a listen not granted, and
#     nothing reaches the peer; connection-refused; the probe's error codes;
#   - `wasmfn exec` of the component as a command (wasi:cli/run) with --net;
#   - a deadline while blocked in accept; wasi:sockets not enabled (stubs);
#     an unknown wasi:sockets interface (load error).
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
fixtures=$E2E_HERE/../fixtures/components
peer="python3 $E2E_HERE/wasi_sockets/peer.py"

# the peers: a TCP server and a UDP server answering "pong:" + what came
$peer tcp-server "$T/tcp.port" "$T/tcp.log" & e2e_kill_at_exit $!
$peer udp-server "$T/udp.port" "$T/udp.log" & e2e_kill_at_exit $!
$peer tcp-reset "$T/rst.port" "$T/rst.log" & e2e_kill_at_exit $!
for i in $(seq 1 200); do [ -f "$T/tcp.port" ] && [ -f "$T/udp.port" ] && [ -f "$T/rst.port" ] && break; sleep 0.1; done
tport=$(cat "$T/tcp.port") || { echo "FAIL the TCP peer did not start"; exit 1; }
uport=$(cat "$T/udp.port") || { echo "FAIL the UDP peer did not start"; exit 1; }
rport=$(cat "$T/rst.port") || { echo "FAIL the resetting peer did not start"; exit 1; }
: >"$T/tcp.log"
: >"$T/udp.log"
closed=$($peer free-port)      # nothing listens there
lport=$($peer free-port)       # tcp-serve's port
la=$($peer free-port)
lb=$($peer free-port)
while [ "$lb" = "$la" ] || [ "$lb" = "$lport" ]; do lb=$($peer free-port); done

proj=$T/proj
mkdir -p "$proj/wasm"
cp "$fixtures/sockets.wasm" "$proj/wasm/"
cp "$E2E_HERE/wasi_sockets/servers.lua" "$proj/"
hash=$("$wasmfn" hash "$proj/wasm/sockets.wasm")

entry() { # name method imports network [extra YAML lines]
    printf '  - name: %s\n    kind: function.wasm\n    fs: wasm\n    path: sockets.wasm\n    hash: %s\n    method: %s\n    imports: %s\n    wasi:\n      network: %s\n' \
        "$1" "$hash" "$2" "$3" "$4"
    [ $# -ge 5 ] && printf '%s\n' "$5"
    return 0
}
lim='    limits: { max_execution_ms: 20000 }'
{
    printf 'namespace: sk\nentries:\n'
    printf '  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    printf '  - name: two_servers\n    kind: function.lua\n    source: file://servers.lua\n    method: two\n    modules: [funcs, time]\n'
    printf '  - name: cancel_accept\n    kind: function.lua\n    source: file://servers.lua\n    method: cancel\n    modules: [funcs, time]\n'
    entry echo tcp-echo "[wasi:sockets]" "[\"127.0.0.1:$tport\", \"127.0.0.1:$closed\"]" "$lim"
    entry echo_reset tcp-echo "[wasi:sockets]" "[\"127.0.0.1:$rport\"]" "$lim"
    entry echo_by_name tcp-echo "[wasi:sockets]" "[\"localhost:$tport\"]" "$lim"
    entry echo_other_port tcp-echo "[wasi:sockets]" "[\"127.0.0.1:$closed\"]" "$lim"
    entry echo_no_grant tcp-echo "[wasi:sockets]" "[]" "$lim"
    entry udp udp-echo "[wasi:sockets]" "[\"127.0.0.1:$uport\"]" "$lim"
    entry udp_refused udp-echo "[wasi:sockets]" "[\"127.0.0.1:$tport\"]" "$lim"
    entry udp_to udp-send-to "[wasi:sockets]" "[\"127.0.0.1:$uport\"]" "$lim"
    entry udp_to_refused udp-send-to "[wasi:sockets]" "[\"127.0.0.1:$tport\"]" "$lim"
    entry resolve resolve "[wasi:sockets]" "[\"localhost:80\", \"10.*:*\"]"
    entry probe probe "[wasi:sockets]" "[\"127.0.0.1:$tport\"]"
    entry serve tcp-serve "[wasi:sockets]" "[\"127.0.0.1:$lport\"]" "$lim"
    entry serve_short tcp-serve "[wasi:sockets]" "[\"127.0.0.1:$lport\"]" "    limits: { max_execution_ms: 300 }
    pool: { type: static, workers: 1, size: 1 }"
    entry serve1 tcp-serve "[wasi:sockets]" "[\"127.0.0.1:$la\", \"127.0.0.1:$lb\"]" "$lim
    pool: { type: static, workers: 1, size: 4 }"
    entry echo_off tcp-echo "[wasi:io]" "[\"127.0.0.1:$tport\"]"
} >"$proj/_index.yaml"

call() { # ID ARGS... -> $out (stdout), $err (stderr), $code
    code=0
    out=$("$wasmfn" call "$proj" "$@" 2>"$T/err") || code=$?
    err=$(cat "$T/err")
}

# ---- TCP client -------------------------------------------------------------------
call sk:echo '"127.0.0.1"' "$tport" '"hello over tcp"'
check "tcp: connect, write, shutdown(send), read to EOF" '{"ok":"pong:hello over tcp"}' "$out"
big=$(head -c 20000 /dev/zero | tr '\0' 'x')
call sk:echo '"127.0.0.1"' "$tport" "\"$big\""
check "tcp: 20000 bytes each way (writes of 4096, reads until closed)" "{\"ok\":\"pong:$big\"}" "$out"
call sk:echo_by_name '"localhost"' "$tport" '"by name"'
check "tcp: localhost resolved by ip-name-lookup, granted by localhost:PORT" '{"ok":"pong:by name"}' "$out"
call sk:echo '"127.0.0.1"' "$closed" '"x"'
check "tcp: nothing listens: connection-refused" '{"err":"connection-refused"}' "$out"
call sk:echo_reset '"127.0.0.1"' "$rport" '"hello"'
check "tcp: the peer resets: the read's error is connection-reset (network-error-code)" \
    '{"err":"connection-reset"}' "$out"
sleep 0.3
check "the peer saw exactly the three granted connections" "conn 14
conn 20000
conn 7" "$(cat "$T/tcp.log")"

# ---- refusals: access-denied, and nothing reaches the peer ----------------------------
call sk:echo_other_port '"127.0.0.1"' "$tport" '"leak"'
check "tcp: a port no pattern grants: access-denied" '{"err":"access-denied"}' "$out"
call sk:echo_no_grant '"127.0.0.1"' "$tport" '"leak"'
check "tcp: no wasi.network at all: access-denied" '{"err":"access-denied"}' "$out"
call sk:echo '"localhost"' "$tport" '"leak"'
check "a name no pattern grants is not even looked up: access-denied" '{"err":"access-denied"}' "$out"
call sk:udp_refused '"127.0.0.1"' "$uport" '"leak"'
check "udp: a destination no pattern grants: access-denied" '{"err":"access-denied"}' "$out"
call sk:udp_to_refused '"127.0.0.1"' "$uport" '"leak"'
check "udp: a datagram addressed where no pattern grants: access-denied" '{"err":"access-denied"}' "$out"
sleep 0.3
check "the TCP peer got nothing from the refused calls" 3 "$(wc -l <"$T/tcp.log" | tr -d ' ')"
check "the UDP peer got nothing from the refused call" "" "$(cat "$T/udp.log")"

# ---- UDP ----------------------------------------------------------------------------------
call sk:udp '"127.0.0.1"' "$uport" '"one datagram"'
check "udp: bind, stream(remote), check-send, send, receive" '{"ok":"pong:one datagram"}' "$out"
check "the UDP peer got one datagram" "datagram 12" "$(cat "$T/udp.log")"
call sk:udp_to '"127.0.0.1"' "$uport" '"addressed"'
check "udp: stream(none), the datagram names its destination" '{"ok":"pong:addressed"}' "$out"
check "the UDP peer got the addressed datagram" "datagram 12
datagram 9" "$(cat "$T/udp.log")"

# ---- ip-name-lookup ---------------------------------------------------------------------
call sk:resolve '"localhost"'
contains "resolve localhost: 127.0.0.1 among the addresses" '{"ipv4":[127,0,0,1]}' "$out"
call sk:resolve '"10.20.30.40"'
check "resolve an IPv4 literal: itself" '{"ok":[{"ipv4":[10,20,30,40]}]}' "$out"
call sk:resolve '"::1"'
check "resolve an IPv6 literal: itself" '{"ok":[{"ipv6":[0,0,0,0,0,0,0,1]}]}' "$out"
call sk:resolve '"example.com"'
check "resolve a name no pattern grants: access-denied" '{"err":"access-denied"}' "$out"
call sk:resolve '"bad name!"'
check "resolve a malformed name: invalid-argument" '{"err":"invalid-argument"}' "$out"

# ---- the probe: state machine, argument checks, options, policy ------------------------
call sk:probe
check "probe: the error code of each step" \
    '["not-in-progress","not-in-progress","invalid-state","invalid-state","invalid-argument",null,null,"invalid-argument","invalid-argument","access-denied","invalid-argument","invalid-state",null,null,"invalid-state","invalid-argument","access-denied","invalid-argument","access-denied",null,null,null,null,"invalid-argument"]' \
    "$out"

# ---- TCP server ---------------------------------------------------------------------------
($peer tcp-client "$lport" "client says hi" >"$T/client.out" 2>&1) & cpid=$!
e2e_kill_at_exit $cpid
call sk:serve "$lport"
wait "$cpid"
check "listen, accept (suspended until the client came), read to EOF" '{"ok":"client says hi"}' "$out"
check "the client read the answer, then EOF (the output stream dropped)" "echo:client says hi" "$(cat "$T/client.out")"

# two listeners on a pool of ONE worker: both listen at the same time only
# when a call blocked in accept frees its worker
($peer both-listen "$la" "$lb" && $peer tcp-client "$la" "to a" >"$T/a.out" &&
    $peer tcp-client "$lb" "to b" >"$T/b.out") >"$T/both.out" 2>&1 & cpid=$!
e2e_kill_at_exit $cpid
call sk:two_servers "$la" "$lb"
wait "$cpid"
check "one worker, two calls in accept: both listened at once" "" "$(cat "$T/both.out")"
contains "one worker: the first call's answer" '"a":{"ok":"to a"}' "$out"
contains "one worker: the second call's answer" '"b":{"ok":"to b"}' "$out"

# a deadline passes while the call is suspended in accept: TIMEOUT, promptly
start=$(date +%s%N)
call sk:serve_short "$lport"
took=$(( ($(date +%s%N) - start) / 1000000 ))
contains "max_execution_ms 300 while blocked in accept: TIMEOUT" "error: TIMEOUT" "$err"
[ "$took" -lt 5000 ] && echo "ok   the blocked call ended after ${took} ms" ||
    { echo "FAIL the blocked call took ${took} ms"; fails=$((fails + 1)); }

# a cancel reaches the call suspended in accept: it ends at once, and its
# listener is closed with it
start=$(date +%s%N)
call sk:cancel_accept "$lport"
took=$(( ($(date +%s%N) - start) / 1000000 ))
contains "cancel while blocked in accept: the call was canceled" '"canceled":true' "$out"
[ "$took" -lt 10000 ] && echo "ok   cancel while blocked in accept: the process ended after ${took} ms" ||
    { echo "FAIL cancel while blocked in accept: the process took ${took} ms"; fails=$((fails + 1)); }
contains "the cancelled call's listener was closed: the port listens again (then TIMEOUT)" '"again":"Timeout"' "$out"

# ---- wasmfn exec of the component as a command: --net grants ---------------------------
n0=$(wc -l <"$T/tcp.log" | tr -d ' ')
code=0
out=$("$wasmfn" exec --net "127.0.0.1:$tport" "$fixtures/sockets.wasm" 127.0.0.1 "$tport" "from exec" 2>"$T/err") || code=$?
check "exec --net HOST:PORT: the exchange on stdout" "pong:from exec" "$out"
check "exec --net HOST:PORT: exit" 0 "$code"
code=0
out=$("$wasmfn" exec --net "localhost:$tport" "$fixtures/sockets.wasm" localhost "$tport" "exec by name" 2>"$T/err") || code=$?
check "exec --net localhost:PORT: by name" "pong:exec by name" "$out"
code=0
out=$("$wasmfn" exec "$fixtures/sockets.wasm" 127.0.0.1 "$tport" "leak" 2>"$T/err") || code=$?
check "exec without --net: run returns err (exit 1)" 1 "$code"
code=0
out=$("$wasmfn" exec --net "127.0.0.1:$closed" "$fixtures/sockets.wasm" 127.0.0.1 "$tport" "leak" 2>"$T/err") || code=$?
check "exec --net for another port: exit 1" 1 "$code"
sleep 0.3
check "the peer saw the two granted exec connections only" $((n0 + 2)) "$(wc -l <"$T/tcp.log" | tr -d ' ')"
code=0
"$wasmfn" exec --net "" "$fixtures/sockets.wasm" >/dev/null 2>"$T/err" || code=$?
check "exec --net '': usage error" 2 "$code"

# ---- not enabled, unknown ------------------------------------------------------------------
call sk:echo_off '"127.0.0.1"' "$tport" '"x"'
check "wasi:sockets not enabled: exit" 1 "$code"
contains "wasi:sockets not enabled: the stub names the word" \
    'is not enabled: add `wasi:sockets` to the entry'"'"'s `imports`' "$err"
# the component importing a wasi:sockets interface that does not exist
bad=$T/bad
mkdir -p "$bad"
sed 's|wasi:sockets/tcp@0\.2\.0|wasi:sockets/tcz@0.2.0|g' "$fixtures/sockets.wasm" >"$bad/x.wasm"
printf 'namespace: bad\nentries:\n  - name: wasm\n    kind: fs.directory\n    directory: .\n  - name: s\n    kind: function.wasm\n    fs: wasm\n    path: x.wasm\n    hash: %s\n    method: probe\n    imports: [wasi:sockets]\n' \
    "$("$wasmfn" hash "$bad/x.wasm")" >"$bad/_index.yaml"
code=0
err=$("$wasmfn" check "$bad" 2>&1) || code=$?
check "an unknown wasi:sockets interface: load error (exit 3)" 3 "$code"
contains "an unknown wasi:sockets interface: named" 'wasi:sockets/tcz@0.2.0' "$err"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
