#!/bin/sh
# fixtures_core.sh - the core modules inside the component fixtures
# (tests/fixtures/components/*.wat) as function.wat entries whose `wit` is
# their world, called from Lua with every pool type by the same
# components/calls.lua as components.sh: the Lua <-> WIT converters and the
# Canonical ABI for core modules on every value kind, and the fixtures'
# expected values checked through a second path (components.sh calls the
# same code as components).
# $1 = the wasmfn binary.
set -u
. "$(dirname "$0")/lib/e2e.sh"
wasmfn=$1
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures/components
tmp=$T

cp "$fixtures/users.wat" "$fixtures/kinds.wat" "$fixtures/calc.wat" "$here/components/calls.lua" "$tmp/"
# A world's body as a `wit` field: its types and exported functions
# (interface exports and imports have no core-module equivalent).
python3 - "$fixtures" "$tmp/_index.yaml" <<'PY'
import re, sys
fixtures, out = sys.argv[1], sys.argv[2]
def wit(name):
    s = open(f"{fixtures}/{name}.wit").read()
    body = s[s.index("world"):]
    body = re.sub(r"//.*", "", body[body.index("{") + 1:body.rindex("}")])
    lines = [l.replace("export ", "") for l in body.splitlines()
             if l.strip() and not re.match(r"\s*(export|import) [\w:/@.-]+;\s*$", l)]
    return "\n".join("      " + l.strip() for l in lines)
pools = {"inline": "{ type: inline }", "lazy": "{ type: lazy, max_size: 2 }",
         "static": "{ type: static, workers: 1, size: 1 }",
         "adaptive": "{ type: adaptive, max_size: 2, warm_start: true }"}
y = ["namespace: core", "entries:", "  - name: calls", "    kind: function.lua",
     "    source: file://calls.lua", "    method: run", "    modules: [funcs, json]"]
def entry(name, comp, method, pool):
    y.extend([f"  - name: {name}", "    kind: function.wat", f"    source: file://{comp}.wat",
              f"    method: {method}", f"    pool: {pools[pool]}", "    wit: |", wit(comp)])
for p in pools:
    entry(f"users-transform-{p}", "users", "transform-users", p)
    entry(f"users-filter-{p}", "users", "filter-active", p)
    entry(f"calc-eval-{p}", "calc", "eval", p)
    for m in ("bump-scalars next-color toggle area maybe-double checked-div swap check-even "
              "sum-some reverse-path shapes").split():
        entry(f"kinds-{m}-{p}", "kinds", m, p)
open(out, "w").write("\n".join(y) + "\n")
PY

check "check" "ok: 57 entries, 57 functions" "$("$wasmfn" check "$tmp" 2>&1)"
out=$("$wasmfn" call "$tmp" core:calls '"core"' 2>&1)
passed=$(printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['passed'])" 2>/dev/null)
failed=$(printf '%s' "$out" | python3 -c "import json,sys; f=json.load(sys.stdin)['failed']; print('\n'.join(f) if f else '')" 2>/dev/null)
[ -n "$failed" ] && printf '%s\n' "$failed"
check "Lua calls, 4 pools: none failed" "" "$failed"
check "Lua calls, 4 pools: all ran" 128 "${passed:-$out}"
[ "$fails" -eq 0 ]
