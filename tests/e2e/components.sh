#!/bin/sh
# components.sh - the component fixtures (tests/fixtures/components) as
# function.wasm entries, called from Lua through the registry with every pool
# type (components/calls.lua), from the command line with JSON arguments,
# with limits, and the load errors of a bad `method` or a `wit` field.
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures/components
tmp=$T

# The project: the fixtures in an fs.directory, one entry per (function, pool).
proj=$tmp/proj
mkdir -p "$proj/wasm"
for c in users kinds calc dice; do
    cp "$fixtures/$c.wasm" "$proj/wasm/"
    eval "hash_$c=\$(\"\$wasmfn\" hash \"\$proj/wasm/$c.wasm\")"
done
cp "$here/components/calls.lua" "$proj/"

entry() { # name component method pool [extra YAML lines]
    eval "h=\$hash_$2"
    printf '  - name: %s\n    kind: function.wasm\n    fs: wasm\n    path: %s.wasm\n    hash: %s\n    method: "%s"\n' \
        "$1" "$2" "$h" "$3"
    case $4 in
        inline) printf '    pool: { type: inline }\n' ;;
        lazy) printf '    pool: { type: lazy, max_size: 2 }\n' ;;
        static) printf '    pool: { type: static, workers: 1, size: 1 }\n' ;;
        adaptive) printf '    pool: { type: adaptive, max_size: 2, warm_start: true }\n' ;;
    esac
    [ $# -ge 5 ] && printf '%s\n' "$5"
    return 0
}
{
    printf 'namespace: comp\nentries:\n'
    printf '  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    printf '  - name: calls\n    kind: function.lua\n    source: file://calls.lua\n    method: run\n    modules: [funcs, json]\n'
    # 4000 users with 200-byte names: more than max_memory_mb 1 holds
    cat <<'YAML'
  - name: big_users
    kind: function.lua
    method: run
    modules: [funcs]
    source: |
      local funcs = require("funcs")
      function run()
        local users = {}
        for i = 1, 4000 do users[i] = { id = i, name = string.rep("x", 200), age = 1, active = true } end
        local v, err = funcs.call("comp:users-1mb", users)
        return err and err:kind() or #v
      end
YAML
    for p in inline lazy static adaptive; do
        entry "users-transform-$p" users transform-users $p
        entry "users-filter-$p" users filter-active $p
        entry "calc-eval-$p" calc eval $p
        entry "calc-greet-$p" calc "ops#greet" $p
        entry "calc-add-$p" calc "wasmfn:calc/ops#add" $p
        entry "calc-crash-$p" calc "ops#crash" $p
        for m in bump-scalars next-color toggle area maybe-double checked-div swap check-even \
                 sum-some reverse-path shapes; do
            entry "kinds-$m-$p" kinds $m $p
        done
        entry "dice-fair-$p" dice fair $p
        entry "dice-roll-$p" dice roll $p
    done
    entry dice-roll-enabled dice roll inline '    imports: [wasi:random]'
    entry spin-limited calc "ops#spin" lazy '    limits: { max_execution_ms: 200 }'
    entry users-1mb users transform-users inline '    limits: { max_memory_mb: 1 }'
} > "$proj/_index.yaml"

out=$("$wasmfn" check "$proj" 2>&1)
contains "check loads every component entry" "ok: " "$out"

# From Lua, every pool type.
out=$("$wasmfn" call "$proj" comp:calls '"comp"' 2>&1)
passed=$(printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['passed'])" 2>/dev/null)
failed=$(printf '%s' "$out" | python3 -c "import json,sys; f=json.load(sys.stdin)['failed']; print('\n'.join(f) if f else '')" 2>/dev/null)
[ -n "$failed" ] && printf '%s\n' "$failed"
check "Lua calls, 4 pools: none failed" "" "$failed"
check "Lua calls, 4 pools: all ran" 154 "${passed:-$out}"

# From the command line, JSON arguments and results.
check "cli eval" '{"ok":7}' "$("$wasmfn" call "$proj" comp:calc-eval-inline '"1 + 2 * 3"')"
check "cli transform-users" '[{"id":7,"name":"EVE","age":21,"active":true}]' \
    "$("$wasmfn" call "$proj" comp:users-transform-static '[{"id":7,"name":"eve","age":20,"active":true}]')"
check "cli reverse-path (kebab record, flags, enum)" \
    '{"name":"n","at":{"x":1,"y":2,"label":"q"},"path":[],"color":"blue","perms":{"write":true},"tags":["b","a"]}' \
    "$("$wasmfn" call "$proj" comp:kinds-reverse-path-lazy '{"name":"n","at":{"x":1,"y":2,"label":"q"},"path":[],"color":"blue","perms":["write"],"tags":["a","b"]}')"

# Limits reach the core code inside the component.
out=$("$wasmfn" call "$proj" comp:spin-limited 2>&1); rc=$?
check "max_execution_ms: exit status" 1 "$rc"
contains "max_execution_ms: TIMEOUT" "TIMEOUT" "$out"
check "max_memory_mb: a small list fits" '[{"id":1,"name":"A","age":2,"active":false}]' \
    "$("$wasmfn" call "$proj" comp:users-1mb '[{"id":1,"name":"a","age":1,"active":false}]')"
check "max_memory_mb: 1.6 MB of users fail with a trap" '"Internal"' "$("$wasmfn" call "$proj" comp:big_users)"

# Load errors: a method the component does not export, a `wit` field.
bad=$tmp/bad
mkdir -p "$bad/wasm"
cp "$fixtures/calc.wasm" "$bad/wasm/"
{
    printf 'namespace: bad\nentries:\n  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    entry nope calc "ops#nope" inline
} > "$bad/_index.yaml"
out=$("$wasmfn" check "$bad" 2>&1); rc=$?
check "unknown method: load error" 3 "$rc"
contains "unknown method: names it and lists the exports" \
    "method 'ops#nope' is not a function the component exports (exported functions: eval, wasmfn:calc/ops#add, wasmfn:calc/ops#greet, wasmfn:calc/ops#crash, wasmfn:calc/ops#spin)" "$out"
{
    printf 'namespace: bad\nentries:\n  - name: wasm\n    kind: fs.directory\n    directory: wasm\n'
    entry eval calc eval inline '    wit: "eval: func(e: string) -> f64;"'
} > "$bad/_index.yaml"
out=$("$wasmfn" check "$bad" 2>&1); rc=$?
check "wit on a component: load error" 3 "$rc"
contains "wit on a component: says why" "carries its own types" "$out"

[ "$fails" -eq 0 ]
