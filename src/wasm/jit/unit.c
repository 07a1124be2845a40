/*
 * unit.c - the compiled tier's units of compilation: how a module's
 * functions are cut into units (wf_jit_partition) and one unit made into
 * an object file (wf_jit_build_unit: translate.c, LLVM's pipeline, code
 * generation). jit.c schedules the units on threads, caches, links and
 * installs them.
 *
 * Why units: LLVM's cost grows faster than the code: a whole 12 MB module
 * at -O2 is one huge LLVM module (over 25 minutes for a componentize-js
 * component), and its biggest functions (100 KB of wasm and more, tens of
 * thousands of blocks) dominate: -O2's GVN, loop passes and the greedy
 * register allocator are super-linear in a function's size. So:
 *   - a unit is a set of functions (in index order) of at most
 *     WF_JIT_UNIT_BYTES of wasm code (a small module is one unit: calls
 *     inside a unit are direct and may be inlined);
 *   - a function over WF_JIT_BIG_BYTES goes to units with a cheap
 *     pipeline (function simplification without the super-linear passes,
 *     and the fast instruction selector and register allocator), of at
 *     most WF_JIT_CHEAP_UNIT_BYTES; in a module of more than
 *     WF_JIT_LARGE_MODULE_BYTES of code, every function over
 *     WF_JIT_LARGE_MODULE_BIG_BYTES does: -O2 and its code generation cost
 *     about 55 ms of CPU per KB of wasm (a 12 MB componentize-js
 *     component: over 8 minutes), the cheap pipeline about 8;
 *   - a function over WF_JIT_HUGE_BYTES stays interpreted (LLVM would take
 *     minutes for it alone).
 * Cheap code counts its heat and jit.c's tier-up compiles the hottest of
 * those functions again at the full level, in units of their own (level
 * UPGRADE, not part of the cut), up to WASMFN_JIT_TIERUP_BYTES of code.
 * The cut depends on the module's bytes only, so a unit's cache entry
 * (cache.c) is found again by any process. WASMFN_JIT_UNIT_BYTES,
 * WASMFN_JIT_BIG_BYTES and WASMFN_JIT_HUGE_BYTES override the sizes (for
 * measurements and tests).
 *
 * Every unit gets its own LLVM context and target machine, so units
 * compile on several threads at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "base/vec.h"
#include "wasm/jit/jit_int.h"

#define WF_JIT_UNIT_BYTES (48u << 10)
#define WF_JIT_CHEAP_UNIT_BYTES (192u << 10)
#define WF_JIT_BIG_BYTES (24u << 10)
#define WF_JIT_HUGE_BYTES (400u << 10)
#define WF_JIT_LARGE_MODULE_BYTES (2u << 20)
#define WF_JIT_LARGE_MODULE_BIG_BYTES 512u

uint32_t wf_jit_env_u32(const char *env, uint32_t dflt)
{
    const char *v = getenv(env);
    if (!v || !*v) return dflt;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    return *end || n > UINT32_MAX ? dflt : (uint32_t)n;
}

typedef struct open_unit {
    WF_VEC(uint32_t) funcs;
    uint32_t bytes;
} open_unit;

static void close_unit(open_unit *o, int level, wf_jit_unit *u, uint32_t *n)
{
    if (!o->funcs.len) return;
    u[*n].funcs = o->funcs.data;
    u[*n].count = (uint32_t)o->funcs.len;
    u[*n].bytes = o->bytes;
    u[*n].level = level;
    ++*n;
    memset(o, 0, sizeof *o);
}

uint32_t wf_jit_partition(const wf_module *m, wf_jit_unit **out)
{
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    size_t total = 0;
    for (uint32_t k = 0; k < ndef; k++) total += m->funcs[m->nfunc_imports + k].code->body_len;
    uint32_t large = wf_jit_env_u32("WASMFN_JIT_LARGE_MODULE_BYTES", WF_JIT_LARGE_MODULE_BYTES);
    uint32_t big = total > large ? wf_jit_env_u32("WASMFN_JIT_LARGE_MODULE_BIG_BYTES", WF_JIT_LARGE_MODULE_BIG_BYTES)
                                 : wf_jit_env_u32("WASMFN_JIT_BIG_BYTES", WF_JIT_BIG_BYTES);
    uint32_t huge = wf_jit_env_u32("WASMFN_JIT_HUGE_BYTES", WF_JIT_HUGE_BYTES);
    uint32_t budget[2] = { wf_jit_env_u32("WASMFN_JIT_UNIT_BYTES", WF_JIT_UNIT_BYTES),
                           wf_jit_env_u32("WASMFN_JIT_CHEAP_UNIT_BYTES", WF_JIT_CHEAP_UNIT_BYTES) };
    wf_jit_unit *u = wf_xcalloc(ndef + 1, sizeof *u);
    uint32_t n = 0;
    open_unit open[2];
    memset(open, 0, sizeof open);
    for (uint32_t k = 0; k < ndef; k++) {
        size_t len = m->funcs[m->nfunc_imports + k].code->body_len;
        if (len > huge) {
            /* alone, never compiled */
            open_unit one = { 0 };
            wf_vec_push(&one.funcs, k);
            one.bytes = (uint32_t)len;
            close_unit(&one, WF_JIT_LEVEL_NONE, u, &n);
            continue;
        }
        int level = len > big ? WF_JIT_LEVEL_CHEAP : WF_JIT_LEVEL_FULL;
        open_unit *o = &open[level];
        if (o->funcs.len && o->bytes + len > budget[level]) close_unit(o, level, u, &n);
        wf_vec_push(&o->funcs, k);
        o->bytes += (uint32_t)len;
    }
    close_unit(&open[WF_JIT_LEVEL_FULL], WF_JIT_LEVEL_FULL, u, &n);
    close_unit(&open[WF_JIT_LEVEL_CHEAP], WF_JIT_LEVEL_CHEAP, u, &n);
    *out = u;
    return n;
}

void wf_jit_units_free(wf_jit_unit *u, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) free(u[i].funcs);
    free(u);
}

static char *take_message(LLVMErrorRef e)
{
    char *m = LLVMGetErrorMessage(e);
    char *s = wf_xstrdup(m);
    LLVMDisposeErrorMessage(m);
    return s;
}

LLVMTargetMachineRef wf_jit_host_machine(LLVMCodeGenOptLevel level)
{
    char *triple = LLVMGetDefaultTargetTriple();
    char *cpu = LLVMGetHostCPUName();
    char *features = LLVMGetHostCPUFeatures();
    LLVMTargetRef target;
    char *err = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (!LLVMGetTargetFromTriple(triple, &target, &err))
        tm = LLVMCreateTargetMachine(target, triple, cpu, features, level, LLVMRelocPIC, LLVMCodeModelSmall);
    if (err) LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return tm;
}

static LLVMCodeGenOptLevel codegen_level(int opt_level)
{
    switch (opt_level) {
    case 0: return LLVMCodeGenLevelNone;
    case 1: return LLVMCodeGenLevelLess;
    case 3: return LLVMCodeGenLevelAggressive;
    default: return LLVMCodeGenLevelDefault;
    }
}

/* The cheap pipeline of a big function: locals to SSA values, local
 * simplifications, no pass that is super-linear in the function's size. */
#define CHEAP_PASSES "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg)"

wf_error *wf_jit_build_unit(const wf_module *m, const wf_jit_unit *u, const char *prefix, int opt_level,
                            bool verbose, void (*translated)(void *), void *ctx, bool *compiled,
                            char **why, uint32_t *ncompiled, LLVMMemoryBufferRef *obj)
{
    *obj = NULL;
    *ncompiled = 0;
    bool cheap = u->level == WF_JIT_LEVEL_CHEAP;
    const char *cg = getenv("WASMFN_JIT_CODEGEN");
    int cg_level = cg && *cg ? atoi(cg) : opt_level;
    LLVMTargetMachineRef tm = wf_jit_host_machine(cheap ? LLVMCodeGenLevelNone : codegen_level(cg_level));
    if (!tm) {
        translated(ctx);
        return wf_error_new(WF_ERR_INTERNAL, "LLVM cannot target this host");
    }
    LLVMContextRef C = LLVMContextCreate();
    char name[64];
    snprintf(name, sizeof name, "%su%u", prefix, u->funcs[0]);
    LLVMModuleRef M = LLVMModuleCreateWithNameInContext(name, C);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(M, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(M, dl);
    LLVMDisposeTargetData(dl);

    wf_jit_translate_unit(m, C, M, prefix, u->funcs, u->count, u->level, compiled, why);
    for (uint32_t k = 0; k < u->count; k++) {
        if (!why[k]) continue;
        uint32_t fi = m->nfunc_imports + u->funcs[k];
        char *s = wf_xasprintf("function %u %s stays interpreted: %s", fi, m->funcs[fi].name ? m->funcs[fi].name : "",
                               why[k]);
        free(why[k]);
        why[k] = s;
    }
    translated(ctx);    /* the module is not read from here on */
    for (uint32_t k = 0; k < u->count; k++) *ncompiled += compiled[k];

    wf_error *err = NULL;
    char *msg = NULL;
    if (LLVMVerifyModule(M, LLVMReturnStatusAction, &msg)) {
        err = wf_error_new(WF_ERR_INTERNAL, "invalid LLVM IR: %.300s", msg ? msg : "?");
        if (verbose) LLVMDumpModule(M);
    }
    if (msg) LLVMDisposeMessage(msg);
    /* For debugging the tier: WASMFN_JIT_DUMP=1 prints each unit's IR
     * before optimisation, =2 after. */
    const char *dump = getenv("WASMFN_JIT_DUMP");
    if (!err && dump && *dump == '1') LLVMDumpModule(M);
    if (!err) {
        char passes[96];
        const char *over = getenv(cheap ? "WASMFN_JIT_CHEAP_PASSES" : "WASMFN_JIT_PASSES");
        if (over && *over) snprintf(passes, sizeof passes, "%s", over);
        else if (cheap) snprintf(passes, sizeof passes, "%s", CHEAP_PASSES);
        else snprintf(passes, sizeof passes, "default<O%d>", opt_level);
        LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
        LLVMErrorRef e = LLVMRunPasses(M, passes, tm, po);
        LLVMDisposePassBuilderOptions(po);
        if (e) {
            char *s = take_message(e);
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM optimisation failed: %s", s);
            free(s);
        }
        if (!err && dump && *dump == '2') LLVMDumpModule(M);
    }
    if (!err) {
        char *e = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, M, LLVMObjectFile, &e, obj)) {
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM code generation failed: %s", e ? e : "?");
            *obj = NULL;
        }
        if (e) LLVMDisposeMessage(e);
    }
    LLVMDisposeModule(M);
    LLVMContextDispose(C);
    LLVMDisposeTargetMachine(tm);
    return err;
}
