#!/bin/sh
# http_client.sh - Lua's http_client module (tests/e2e/http_client_project)
# against a real HTTP server on loopback (http_echo.py, Python's
# http.server): methods, headers, bodies, forms, queries, cookies, auth,
# redirects, batches, streamed bodies, error kinds; and 12 requests of 300 ms
# through a pool of 2 workers finishing together (waits hold no worker).
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
project=$E2E_HERE/http_client_project
python3 "$E2E_HERE/http_echo.py" "$T/port" &
e2e_kill_at_exit $!
e2e_wait 30 test -s "$T/port"
base="\"http://127.0.0.1:$(cat "$T/port")\""
field() { printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

out=$("$wasmfn" call "$project" app.http:basics "$base")
check "get status" 200 "$(field get_status)"
check "get query (table, encoded, replaces the URL's)" "a b&c|2|nil" "$(field get_query)"
check "get headers" "abc|wasmfn-test" "$(field get_header)"
check "response headers" "yes|application/json" "$(field resp_header)"
check "body_size" True "$(field body_size)"
check "post body" 'POST {"k":1} application/json 7' "$(field post)"
check "put form" "PUT a=1&b=x+y application/x-www-form-urlencoded" "$(field put_form)"
check "delete" DELETE "$(field delete)"
check "patch" "PATCH p" "$(field patch)"
check "request, cookies, auth" "OPTIONS s=1 Basic dXNlcjpwdw==" "$(field request)"
check "head" "200 0 application/json" "$(field head)"
check "404 is a response" "404 status 404" "$(field not_found)"
check "redirects followed" "200 /echo" "$(field redirect)"
check "cookies" "abc123 dark" "$(field cookies)"
check "request_batch" "201 b nil" "$(field batch)"
check "multipart upload (form + files)" "report|a.txt|text/plain|line1
line2|application/octet-stream|3" "$(field upload)"
check "encode_uri" "a+b%2Fc%3Fd%3D%C3%A9" "$(field encode)"
check "decode_uri" "a b/c" "$(field decode)"
check "decode_uri error" Invalid "$(field decode_err)"

dead="\"http://127.0.0.1:9\""
out=$("$wasmfn" call "$project" app.http:errors "$base" "$dead")
check "refused" "Unavailable|true|GET" "$(field refused | cut -d'|' -f1-3)"
check "timeout (seconds)" "Unavailable|true|GET" "$(field timeout | cut -d'|' -f1-3)"
check "timeout (duration string)" "Unavailable|true|GET" "$(field timeout_str | cut -d'|' -f1-3)"
check "scheme" "Invalid|false|nil|invalid URL \`ftp://127.0.0.1/x\`: only http and https are supported" "$(field scheme)"
check "bad url" "Invalid|false|nil" "$(field bad_url | cut -d'|' -f1-3)"
check "too big" "Internal|false|GET" "$(field too_big | cut -d'|' -f1-3)"
check "unknown host" "Unavailable|true|GET" "$(field no_host | cut -d'|' -f1-3)"
check "empty URL raises" "false bad argument #1 to '?' (URL required)" "$(field empty_url)"

out=$("$wasmfn" call "$project" app.http:batch "$base" "$dead")
check "batch runs at once" True "$(field fast)"
check "batch results in order" "slow done slow done 200" "$(field s1) $(field s4) $(field r5)"
check "batch error in place" "Unavailable nilnil" "$(field e3) $(field none)"

out=$("$wasmfn" call "$project" app.http:stream "$base" 1000000)
check "stream body nil" nil "$(field body)"
check "stream body_size" -1 "$(field body_size)"
check "stream total" 1000000 "$(field total)"
check "stream bytes" 0 "$(field bad)"
check "stream in chunks" True "$(field many)"
check "stream chunks of buffer_size" 4096 "$(field biggest)"

start=$(date +%s%N)
check "12 slow requests on 2 workers" 12 "$("$wasmfn" call "$project" app.http:fanout "$base")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "     (took ${ms} ms; holding a worker each would need 1800 ms)"
[ "$ms" -lt 1500 ] || { echo "FAIL fanout too slow: ${ms} ms"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ]
