#!/bin/sh
# jit_lib.sh - the compiler library (libwasmfn-jit.so, src/wasm/jit/lib.c):
# LLVM is loaded only when something must be compiled: never by the
# interpreter or `wasmfn check`, nor by a compiled-tier run whose code all
# comes from the code cache (the host CPU recorded there: host.c, checked
# against LLVM's answer by the cache hits themselves); a missing library is
# a clear error on the compiled tier and the interpreter on the others; a
# library that fails to load leaves the modules interpreted and their
# results right. Skipped (77) in a build without the tier.
set -eu
WASMFN=$1
. "$(dirname "$0")/lib/e2e.sh"
e2e_need_compiled_tier
unset XDG_CACHE_HOME WASMFN_JIT_LIB
export WASMFN_CACHE_DIR="$T/cache"

# A command module that checks its own results (a trap when wrong).
cat >"$T/m.wat" <<'W'
(module
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "_start")
    (if (i64.ne (call $fac (i64.const 20)) (i64.const 2432902008176640000)) (then unreachable))))
W
mkdir -p "$T/proj"
cat >"$T/proj/_index.yaml" <<'W'
version: "1.0"
namespace: t
entries:
  - name: answer
    kind: function.wat
    source: |
      (module (func (export "answer") (result i32) i32.const 42))
    wit: |
      answer: func() -> s32;
    method: answer
W

# llvm RUN...: how many times the dynamic loader mapped libLLVM
llvm() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -c "file=libLLVM.*generating link map" || true; }
run() { WASMFN_JIT_VERBOSE=1 "$WASMFN" exec "$@" "$T/m.wat" >"$T/out" 2>"$T/err" || fail "run $*: $(cat "$T/err")"; }

# the interpreter and check never load it
[ "$(llvm "$WASMFN" exec "$T/m.wat")" = 0 ] || fail "exec loaded LLVM"
[ "$(llvm "$WASMFN" check "$T/proj")" = 0 ] || fail "check loaded LLVM"
out=$("$WASMFN" call "$T/proj" t:answer) || fail "call: $out"
[ "$out" = 42 ] || fail "call: $out"
[ "$(llvm "$WASMFN" call "$T/proj" t:answer)" = 0 ] || fail "call loaded LLVM"

# the compiled tier: a cold cache loads it, compiles; a warm one does not
[ "$(llvm "$WASMFN" exec --tier=compiled "$T/m.wat")" = 1 ] || fail "cold compiled run did not load LLVM"
[ "$(llvm "$WASMFN" exec --tier=compiled "$T/m.wat")" = 0 ] || fail "warm compiled run loaded LLVM"
run --tier=compiled
grep -q "2 of 2 functions loaded from the code cache" "$T/err" || fail "warm run: $(cat "$T/err")"
grep -q "compiler library is loaded" "$T/err" && fail "warm run loaded the library: $(cat "$T/err")"
# a new module in a warm process: loaded then, compiled
sed 's/(i64.const 20)/(i64.const 19)/; s/2432902008176640000/121645100408832000/' "$T/m.wat" >"$T/m2.wat"
WASMFN_JIT_VERBOSE=1 "$WASMFN" exec --tier=compiled "$T/m2.wat" 2>"$T/err" || fail "m2: $(cat "$T/err")"
grep -q "compiler library is loaded" "$T/err" && grep -q "2 of 2 functions compiled in" "$T/err" ||
    fail "m2: $(cat "$T/err")"
# a damaged record of the host CPU (its name and features, in the blob
# at 4096): ignored, LLVM asked again, the code still found in the cache,
# the record rebuilt
n=0
for f in "$T"/cache/*.wfhost; do
    printf 'Q' | dd of="$f" bs=1 seek=4096 conv=notrunc 2>/dev/null
    n=$((n + 1))
done
[ $n = 1 ] || fail "$n host records: $(ls -l "$T/cache")"
run --tier=compiled
grep -q "compiler library is loaded" "$T/err" &&
    grep -q "2 of 2 functions loaded from the code cache" "$T/err" || fail "after a damaged record: $(cat "$T/err")"
run --tier=compiled
grep -q "compiler library is loaded" "$T/err" && fail "record not rebuilt: $(cat "$T/err")"
grep -q "2 of 2 functions loaded from the code cache" "$T/err" || fail "record not rebuilt: $(cat "$T/err")"

# no library: a clear error on the compiled tier; auto and interp interpret
export WASMFN_JIT_LIB="$T/none.so"
rc=0; "$WASMFN" exec --tier=compiled "$T/m.wat" 2>"$T/err" || rc=$?
[ $rc != 0 ] && grep -q "compiled tier is unavailable: the compiler library $T/none.so" "$T/err" ||
    fail "missing library: exit $rc: $(cat "$T/err")"
run --tier=auto
run --tier=interp
out=$("$WASMFN" call --tier=auto "$T/proj" t:answer 2>&1) && [ "$out" = 42 ] || fail "auto call: $out"

# a library that fails to load: the modules stay interpreted, right
printf 'not an ELF file' >"$T/bad.so"
export WASMFN_JIT_LIB="$T/bad.so" WASMFN_CACHE_DIR=off
run --tier=compiled
grep -q "bad.so.*stays interpreted" "$T/err" || fail "bad library: $(cat "$T/err")"
# a library of another build (here: without a build id): refused
if command -v objcopy >/dev/null; then
    objcopy --remove-section .note.gnu.build-id "$(dirname "$WASMFN")/libwasmfn-jit.so" "$T/other.so"
    WASMFN_JIT_LIB="$T/other.so" run --tier=compiled
    grep -q "other.so is of another build of wasmfn" "$T/err" || fail "other build: $(cat "$T/err")"
fi
echo "jit_lib: ok"
