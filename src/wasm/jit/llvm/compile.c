/*
 * compile.c - the compiler library's (libwasmfn-jit.so) table
 * (wf_jit_compiler_v1, jit_int.h): LLVM's native target and the host CPU
 * (init), a unit of compilation to an object file (build_unit:
 * translate.c, LLVM's pipeline, code generation), and ORC's LLJIT where
 * jit.c links through it. jit.c schedules the units on threads, caches,
 * links and installs them; it loads this library (lib.c) only when
 * something must be compiled.
 *
 * Every unit gets its own LLVM context and target machine, so units
 * compile on several threads at once; ORC's JIT is one per process, its
 * calls under g_link_lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "wasm/jit/llvm/llvm_int.h"

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

static wf_error *build_unit(const wf_module *m, const wf_jit_unit *u, const char *prefix, int opt_level,
                            bool verbose, void (*translated)(void *), void *ctx, bool *compiled,
                            char **why, uint32_t *ncompiled, uint8_t **objp, size_t *objlen)
{
    *objp = NULL;
    *objlen = 0;
    LLVMMemoryBufferRef obj = NULL;
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
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, M, LLVMObjectFile, &e, &obj)) {
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM code generation failed: %s", e ? e : "?");
            obj = NULL;
        }
        if (e) LLVMDisposeMessage(e);
        if (obj) {
            /* a copy the engine owns (and frees) */
            *objlen = LLVMGetBufferSize(obj);
            *objp = wf_xmalloc(*objlen);
            memcpy(*objp, LLVMGetBufferStart(obj), *objlen);
            LLVMDisposeMemoryBuffer(obj);
        }
    }
    LLVMDisposeModule(M);
    LLVMContextDispose(C);
    LLVMDisposeTargetMachine(tm);
    return err;
}

static bool init(char **cpu, char **features)
{
    if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter()) return false;
    char *c = LLVMGetHostCPUName(), *f = LLVMGetHostCPUFeatures();
    *cpu = wf_xstrdup(c);
    *features = wf_xstrdup(f);
    LLVMDisposeMessage(c);
    LLVMDisposeMessage(f);
    return true;
}

/* ---- ORC ------------------------------------------------------------------- */

static pthread_mutex_t g_link_lock = PTHREAD_MUTEX_INITIALIZER;
static LLVMOrcLLJITRef g_jit;

static char *orc_init(void *const helpers[])
{
    if (g_jit) return NULL;
    LLVMTargetMachineRef codegen = wf_jit_host_machine(LLVMCodeGenLevelDefault);
    if (!codegen) return wf_xstrdup("LLVM cannot target this host");
    LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(codegen));
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&g_jit, b);
    if (e) {
        g_jit = NULL;
        return take_message(e);
    }
    /* The helpers compiled code calls, by name. */
    static const char *const names[] = {
#define WF_H_(n, sig) #n,
        WF_JIT_RT_HELPERS(WF_H_)
#undef WF_H_
    };
    LLVMOrcCSymbolMapPair syms[WF_COUNT(names)];
    for (size_t i = 0; i < WF_COUNT(names); i++) {
        syms[i].Name = LLVMOrcLLJITMangleAndIntern(g_jit, names[i]);
        syms[i].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)helpers[i];
        syms[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        syms[i].Sym.Flags.TargetFlags = 0;
    }
    e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(g_jit), LLVMOrcAbsoluteSymbols(syms, WF_COUNT(names)));
    if (e) {
        LLVMOrcDisposeLLJIT(g_jit);
        g_jit = NULL;
        return take_message(e);
    }
    return NULL;
}

static void *orc_tracker(void)
{
    return LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(g_jit));
}

static void orc_release(void *tracker)
{
    pthread_mutex_lock(&g_link_lock);
    LLVMErrorRef e = LLVMOrcResourceTrackerRemove(tracker);
    if (e) LLVMConsumeError(e);
    LLVMOrcReleaseResourceTracker(tracker);
    pthread_mutex_unlock(&g_link_lock);
}

static wf_error *orc_link(void *tracker, const uint8_t *bytes, size_t len, const char *table_name,
                          void *const **table)
{
    LLVMMemoryBufferRef obj = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)bytes, len, table_name);
    pthread_mutex_lock(&g_link_lock);
    LLVMErrorRef e = LLVMOrcLLJITAddObjectFileWithRT(g_jit, tracker, obj);
    LLVMOrcExecutorAddress addr = 0;
    /* The lookup links the object. */
    if (!e) e = LLVMOrcLLJITLookup(g_jit, &addr, table_name);
    pthread_mutex_unlock(&g_link_lock);
    if (e) {
        char *s = take_message(e);
        wf_error *err = wf_error_new(WF_ERR_INTERNAL, "LLVM JIT: %s", s);
        free(s);
        return err;
    }
    *table = (void *const *)(uintptr_t)addr;
    return NULL;
}

const wf_jit_compiler wf_jit_compiler_v1 = {
    .abi = WF_JIT_COMPILER_ABI,
    .init = init,
    .build_unit = build_unit,
    .orc_init = orc_init,
    .orc_tracker = orc_tracker,
    .orc_release = orc_release,
    .orc_link = orc_link,
};
