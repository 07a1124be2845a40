#!/bin/sh
# upstream_shapes.sh - a project written the way upstream Wippy's example
# applications are (tests/e2e/upstream_project, our own programs): it loads
# with warnings only for the process kinds wasmfn skips (registry.entry is
# data, read silently); upstream's `registry` module reads the catalogue
# (get, find by kind / meta / operators, parse_id, snapshot) through
# `wasmfn call` and a Lua endpoint of `wasmfn run`; an import from the
# namespace of a dependency (ns.dependency, not fetched) loads with a
# warning and fails at require(); math.random draws anew in every call of
# one slot; upstream's `system` module reads this process's figures and
# refuses what would change it; the `process` global finds no process and
# refuses to spawn one; a Lua endpoint's spawned coroutines go on after its
# response went out.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
project=$E2E_HERE/upstream_project

"$wasmfn" check "$project" >"$T/out" 2>"$T/err"
check "check" "ok: 14 entries, 8 functions" "$(cat "$T/out")"
check "warnings: the skipped kinds, an import a dependency would bring" "_index.yaml:9: shelf:workers: kind 'process.host' is not served by wasmfn: entry skipped
_index.yaml:64: shelf:librarian: kind 'process.lua' is not served by wasmfn: entry skipped
_index.yaml:101: shelf:dep.widgets: kind 'ns.dependency' is not served by wasmfn: entry skipped
_index.yaml:111: shelf:gadget: imports 'widgets:lib': no entry of namespace 'widgets' is in the project; the dependency shelf:dep.widgets would bring it, and wasmfn does not fetch dependencies: require('w') will fail" \
    "$(sed 's/^warning: //' "$T/err")"

e2e_call "$project" shelf:lookup
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/stdout" "$1"; }
check "get: id, kind, meta and data, YAML scalars typed" \
    "shelf:book.dune registry.entry Dune isbn=978-0441172719 pages=412(integer) price=9.99 in_print=true tags=classic+desert" \
    "$(field get)"
check "get of a missing ID" "nil NotFound entry not found: shelf:nope" "$(field missing)"
check "find meta.type" "shelf:book.dune,shelf:book.solaris" "$(field books)"
check "find .kind" "shelf:books,shelf:lookup,shelf:ticket,shelf:tickets,shelf:gadget,shelf:vitals,shelf:courier,shelf:jobs" "$(field by_kind)"
check "find .kind and a meta field" "shelf:lamp" "$(field kind_and_meta)"
check "a meta key with dots, a number against text" "shelf:book.solaris" "$(field dotted_meta_key)"
check "a tag among a list" "shelf:book.dune" "$(field tag)"
check "^ prefix" "shelf:book.solaris" "$(field prefix)"
check "~ regex on .name" "shelf:book.dune,shelf:book.solaris" "$(field regex)"
check "skipped kinds are listed" "shelf:librarian" "$(field skipped_kind)"
check "a bad regex" "Invalid" "$(field bad_regex)"
check "parse_id" "app.lib|assert||plain" "$(field parse)"
check "snapshot" "20 20 0 shelf:lamp" "$(field snapshot)"
check "a data map's fields are the entry's data" "25 40 brass nil" "$(field data_map)"
check "changes are refused" "Invalid" "$(field changes)"

check "require of a dependency's library" \
    "\"module 'w' (imports widgets:lib) is not available: its namespace comes from a dependency (ns.dependency), and wasmfn does not fetch dependencies\"" \
    "$("$wasmfn" call "$project" shelf:gadget 2>/dev/null)"
check "an import of a namespace nothing brings stays an error" "_index.yaml:8: x:f: imports 'nowhere:lib': no such entry" \
    "$(mkdir -p "$T/p" && printf 'namespace: x\nentries:\n  - name: f\n    kind: function.lua\n    source: \"return {run = function() end}\"\n    method: run\n    imports:\n      l: nowhere:lib\n' > "$T/p/_index.yaml" && "$wasmfn" check "$T/p" 2>&1 | grep -o '_index.yaml:.*no such entry')"
e2e_call "$project" shelf:vitals
check "system.memory.stats: upstream's fields" \
    "alloc,heap_alloc,heap_idle,heap_in_use,heap_objects,heap_released,heap_sys,mspan_in_use,mspan_sys,next_gc,num_gc,stack_in_use,stack_sys,sys,total_alloc" \
    "$(field keys)"
check "system: figures of this process" "True True True True True" \
    "$(field in_use) $(field threads) $(field cpus) $(field pid) $(field gc)"
check "system: what would change the process is refused" \
    "Invalid: system: exit is not provided by wasmfn (a function does not control the process that serves it) Invalid" \
    "$(field exit) $(field max_procs)"
check "system.supervisor: no services" "nil NotFound 0" "$(field supervisor)"

check "process: lookups find none, spawn refuses" \
    '"nil NotFound no process registered as cart:bob (wasmfn runs no processes) | process.spawn: processes are not served by wasmfn (process.lua, process.host and process.service entries are skipped at load)"' \
    "$("$wasmfn" call "$project" shelf:courier 2>/dev/null)"

# upstream's env fields: a file storage made at start (auto_create,
# file_mode), never by check; read_only (upstream's spelling of readonly)
mkdir -p "$T/env"
cat > "$T/env/_index.yaml" <<'YAML'
namespace: cfg
entries:
  - name: file
    kind: env.storage.file
    file_path: ./state/app.env
    auto_create: true
    file_mode: 0640
  - name: level
    kind: env.variable
    variable: LEVEL
    storage: file
    default: info
    read_only: true
  - name: show
    kind: function.lua
    modules: [env]
    method: run
    source: |
      return { run = function() return (require("env").get("LEVEL")) end }
YAML
mkdir -p "$T/env/state"
"$wasmfn" check "$T/env" >"$T/out" 2>"$T/err"
check "env fields: no warnings, check writes nothing" "ok: 3 entries, 1 functions|no file" \
    "$(cat "$T/out" "$T/err")|$([ -e "$T/env/state/app.env" ] && echo file || echo no file)"
check "auto_create: made at start, with file_mode" '"info" 640 0' \
    "$("$wasmfn" call "$T/env" cfg:show 2>&1) $(stat -c '%a %s' "$T/env/state/app.env")"
check "file_mode must be octal" "file_mode" \
    "$(sed 's/0640/0980/' "$T/env/_index.yaml" > "$T/env/x" && mv "$T/env/x" "$T/env/_index.yaml" && "$wasmfn" check "$T/env" 2>&1 | grep -o "field 'file_mode'" | cut -c8-16)"

check "math.random anew in each call of a slot" 5 "$("$wasmfn" call "$project" shelf:tickets 2>/dev/null)"

port=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --no-reload "$project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log"
check "endpoint reading the registry" \
    '200 {"books":[{"id":"shelf:book.dune","pages":412,"price":9.99,"title":"Dune"},{"id":"shelf:book.solaris","pages":204,"price":14.5,"title":"Solaris"}]}' \
    "$(e2e_req "http://127.0.0.1:$port/v1/books") $(cat "$T/body")"
check "202 at once, the spawned coroutine works on" '202 {"status":"accepted"}' \
    "$(e2e_req -X POST "http://127.0.0.1:$port/v1/jobs") $(cat "$T/body")"
steps() { [ "$(grep -c 'INFO job step' "$T/log")" -ge 3 ]; }
e2e_wait 10 steps
check "its steps, all after the response" "access: shelf:web POST /v1/jobs 202|step=1|step=2|step=3" \
    "$(grep -E 'POST /v1/jobs|job step' "$T/log" | sed -E 's/^(access: .* 202) .*/\1/; s/.*INFO job step //' | tr '\n' '|' | sed 's/|$//')"
e2e_finish
