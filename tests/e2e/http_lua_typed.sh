#!/bin/sh
# http_lua_typed.sh - a project in upstream Wippy's typed Lua
# (tests/e2e/http_lua_typed_project) runs unchanged, its annotations erased
# (src/lua/typed.c): typed handlers on http.request()/http.response() over
# real sockets, a typed library.lua they import, a typed function through
# `wasmfn call`; a malformed annotation is a load error naming the entry's
# line, and a Lua error keeps the author's line.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
project=$E2E_HERE/http_lua_typed_project

check "check" "ok: 8 entries, 2 functions" "$("$wasmfn" check "$project" 2>&1)"

e2e_call "$project" app:quote '"pear"' 4
check "call a typed function" '0 {"each":0.75,"item":"pear","total":3}' "$code $(cat "$T/stdout")"
e2e_call "$project" app:quote '"kiwi"' 1
check "... its other return type" '0 {"error":"unknown item: kiwi"}' "$code $(cat "$T/stdout")"

port=$(e2e_free_port)
export WF_TEST_ADDR=127.0.0.1:$port
"$wasmfn" run --no-reload "$project" 2>"$T/log" &
e2e_kill_at_exit $!
listening() { grep -q '^listening:' "$T/log"; }
e2e_wait 30 listening || fail "not listening: $(cat "$T/log")"
B=http://127.0.0.1:$port/api

check "typed handler, typed library: 201" '201 3 {"currency":"EUR","total":6.25,"type":"table"}' \
    "$(e2e_req -H 'Content-Type: application/json' \
        --data '{"items":[{"item":"apple","amount":2},{"item":"pear","amount":3},{"item":"melon"}],"currency":"EUR"}' \
        "$B/orders") $(e2e_hdr x-lines) $(cat "$T/body")"
check "the library's (boolean, string?) return: 422" '422 {"error":"unknown item: kiwi"}' \
    "$(e2e_req -H 'Content-Type: application/json' --data '{"items":[{"item":"kiwi"}]}' "$B/orders") $(cat "$T/body")"
check "bad JSON: 400" '400 {"error":"bad JSON"}' \
    "$(e2e_req -H 'Content-Type: application/json' --data '{' "$B/orders") $(cat "$T/body")"

# A malformed annotation: a load error with the entry's id and line.
mkdir "$T/bad"
cat > "$T/bad/_index.yaml" <<'YAML'
namespace: app
entries:
  - name: broken
    kind: function.lua
    method: main
    source: |
      local ok: number = 1
      local m: {[string] number} = {}
      function main() return ok end
YAML
out=$("$wasmfn" check "$T/bad" 2>&1)
check "malformed annotation: load error" 3 "$?"
contains "... naming the line and what was expected" "app:broken:2: ':' expected near 'number'" "$out"

# A runtime error keeps the line the author wrote.
cat > "$T/bad/_index.yaml" <<'YAML'
namespace: app
entries:
  - name: boom
    kind: function.lua
    method: main
    source: |
      type T = {
          x: number,
      }
      function main(): number
          local v: T? = nil
          return v!.x
      end
YAML
e2e_call "$T/bad" app:boom
contains "Lua error at the author's line" "app:boom:6: attempt to index a nil value (local 'v')" "$(cat "$T/stderr")"

e2e_finish
