#!/bin/sh
# upstream_shapes.sh - a project written the way upstream Wippy's example
# applications are (tests/e2e/upstream_project, our own programs): it loads
# with warnings only for the process kinds wasmfn skips (registry.entry is
# data, read silently); upstream's `registry` module reads the catalogue
# (get, find by kind / meta / operators, parse_id, snapshot) through
# `wasmfn call` and a Lua endpoint of `wasmfn run`; math.random draws anew
# in every call of one slot.
# $1 = the wasmfn binary.
set -u
wasmfn=$1
. "$(dirname "$0")/lib/e2e.sh"
project=$E2E_HERE/upstream_project

"$wasmfn" check "$project" >"$T/out" 2>"$T/err"
check "check" "ok: 9 entries, 4 functions" "$(cat "$T/out")"
check "warnings: the skipped process kinds only" "_index.yaml:9: shelf:workers: kind 'process.host' is not served by wasmfn: entry skipped
_index.yaml:61: shelf:librarian: kind 'process.lua' is not served by wasmfn: entry skipped" \
    "$(sed 's/^warning: //' "$T/err")"

e2e_call "$project" shelf:lookup
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/stdout" "$1"; }
check "get: id, kind, meta and data, YAML scalars typed" \
    "shelf:book.dune registry.entry Dune isbn=978-0441172719 pages=412(integer) price=9.99 in_print=true tags=classic+desert" \
    "$(field get)"
check "get of a missing ID" "nil NotFound entry not found: shelf:nope" "$(field missing)"
check "find meta.type" "shelf:book.dune,shelf:book.solaris" "$(field books)"
check "find .kind" "shelf:books,shelf:lookup,shelf:ticket,shelf:tickets" "$(field by_kind)"
check "find .kind and a meta field" "shelf:lamp" "$(field kind_and_meta)"
check "a meta key with dots, a number against text" "shelf:book.solaris" "$(field dotted_meta_key)"
check "a tag among a list" "shelf:book.dune" "$(field tag)"
check "^ prefix" "shelf:book.solaris" "$(field prefix)"
check "~ regex on .name" "shelf:book.dune,shelf:book.solaris" "$(field regex)"
check "skipped kinds are listed" "shelf:librarian" "$(field skipped_kind)"
check "a bad regex" "Invalid" "$(field bad_regex)"
check "parse_id" "app.lib|assert||plain" "$(field parse)"
check "snapshot" "14 14 0 shelf:lamp 25" "$(field snapshot)"
check "changes are refused" "Invalid" "$(field changes)"

check "math.random anew in each call of a slot" 5 "$("$wasmfn" call "$project" shelf:tickets 2>/dev/null)"

port=$(e2e_free_port)
WF_TEST_ADDR=127.0.0.1:$port "$wasmfn" run --no-reload "$project" 2>"$T/log" &
pid=$!
e2e_kill_at_exit $pid
e2e_wait 30 grep -q '^listening:' "$T/log"
check "endpoint reading the registry" \
    '200 {"books":[{"id":"shelf:book.dune","pages":412,"price":9.99,"title":"Dune"},{"id":"shelf:book.solaris","pages":204,"price":14.5,"title":"Solaris"}]}' \
    "$(e2e_req "http://127.0.0.1:$port/v1/books") $(cat "$T/body")"
e2e_finish
