#!/bin/sh
# http_conformance.sh - `wasmfn run` as an outside HTTP client sees it
# (http_conformance.py against tests/e2e/http_conformance_project): HEAD,
# 204 and 304 framing, request-target forms and percent-encoding in routes,
# parameters and static file names, methods, Content-Length and Host rules.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
cp -r "$E2E_HERE/http_conformance_project" "$T/project"
printf 'percent\n' > "$T/project/public/100%.txt"
printf 'space\n' > "$T/project/public/a b.txt"
printf 'outside\n' > "$T/secret.txt"
ln -s "$T/secret.txt" "$T/project/public/outside"
port=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --no-reload "$T/project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log" || fail "not listening: $(cat "$T/log")"
python3 "$E2E_HERE/http_conformance.py" 127.0.0.1 "$port" "$T" || fails=1
check "the server is alive" "yes" "$(kill -0 $pid 2>/dev/null && echo yes)"
[ "$fails" -eq 0 ] || { echo "server log:"; grep -v '^access' "$T/log" | tail -20; }
e2e_finish
