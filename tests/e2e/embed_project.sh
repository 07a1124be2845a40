#!/bin/sh
# The runtime embedding example (examples/project.c): examples/demo loaded
# through wasmfn.h, functions called with wf_val values and with JSON, the
# errors it shows; a project that does not load (every problem listed).
# $1: the wasmfn binary (example_project is built beside it).
set -u
. "$(dirname "$0")/lib/e2e.sh"
bin=$(dirname "$1")/example_project
demo=$(cd "$(dirname "$0")/../../examples/demo" && pwd)

out=$("$bin" "$demo" 2>&1); rc=$?
check "demo status" 0 "$rc"
check "demo output" 'demo:compute(6, 7) = 42 (s32)
demo:greet("embedder") = Hello, embedder!
demo:transform_users [{"id":7,"name":"Ada","tags":["math"],"active":true}] = [{"id":7,"name":"Ada","display":"#7 Ada (math)","tag-count":1,"active":true}]
demo:calc_eval "6 * 7" = {"ok":42}
demo:calc_eval "1 / 0" = {"err":"division by zero"}
demo:transform_users -> error: INVALID: parameter `users`[0].id: expected u32, got a string
demo:nope -> error: NOT_FOUND: no function demo:nope' "$out"

tmp=$T
printf 'namespace: x\nentries:\n  - name: f\n    kind: function.nope\n  - name: g\n    kind: function.wat\n    source: "(module"\n    method: g\n' >"$tmp/_index.yaml"
out=$("$bin" "$tmp" 2>&1); rc=$?
check "load error status" 3 "$rc"
check "load error message" "error: INVALID: _index.yaml:4: x:f: unknown kind 'function.nope' (did you mean 'function.wat'?)
_index.yaml:7: x:g: WAT error at line 1, column 8 of the inline source: unexpected end" "$out"

out=$("$bin" "$tmp/missing" 2>&1); rc=$?
check "missing dir status" 3 "$rc"
check "missing dir message" "error: IO: cannot open project directory $tmp/missing: No such file or directory" "$out"

[ "$fails" -eq 0 ]
