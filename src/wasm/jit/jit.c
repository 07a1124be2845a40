/*
 * jit.c - the compiled tier's driver: the process-wide tier setting, one
 * LLVM ORC LLJIT for the process (made on first use, with the host CPU's
 * features and the helpers of rt.c as absolute symbols), and per module:
 * translation (translate.c), LLVM's -O2 pipeline, native code generation,
 * and installing each compiled function in the interpreter's code
 * (JIT_ENTER, interp.h), so both tiers reach it.
 *
 * A module's native code is owned by a resource tracker of the JIT and
 * released with the module (wf_jit_module_free). Compilations are
 * serialised by one lock: LLVM's memory per compilation stays bounded and
 * modules are compiled once, when decoded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "wasm/jit/jit_int.h"

static wf_tier g_tier = WF_TIER_INTERP;
static bool g_verbose;
static int g_opt_level = 2;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_ready;
static char *g_init_error;             /* why the JIT could not be made */
static LLVMOrcLLJITRef g_jit;
static LLVMTargetMachineRef g_tm;      /* for the optimisation pipeline */
static unsigned g_serial;

typedef struct jit_module {
    LLVMOrcResourceTrackerRef rt;
} jit_module;

bool wf_jit_available(void) { return true; }

bool wf_tier_parse(const char *s, wf_tier *out)
{
    if (!strcmp(s, "interp")) *out = WF_TIER_INTERP;
    else if (!strcmp(s, "compiled")) *out = WF_TIER_COMPILED;
    else if (!strcmp(s, "auto")) *out = WF_TIER_AUTO;
    else return false;
    return true;
}

wf_error *wf_jit_set_tier(wf_tier t)
{
    g_tier = t;
    return NULL;
}

wf_tier wf_jit_tier(void) { return g_tier; }

void wf_jit_set_verbose(bool on) { g_verbose = on; }

void wf_jit_set_opt_level(int level) { g_opt_level = level < 0 ? 0 : level > 3 ? 3 : level; }

static char *take_message(LLVMErrorRef e)
{
    char *m = LLVMGetErrorMessage(e);
    char *s = wf_xstrdup(m);
    LLVMDisposeErrorMessage(m);
    return s;
}

static LLVMCodeGenOptLevel codegen_level(void)
{
    switch (g_opt_level) {
    case 0: return LLVMCodeGenLevelNone;
    case 1: return LLVMCodeGenLevelLess;
    case 3: return LLVMCodeGenLevelAggressive;
    default: return LLVMCodeGenLevelDefault;
    }
}

/* A target machine for this host (its CPU and features). */
static LLVMTargetMachineRef host_machine(void)
{
    char *triple = LLVMGetDefaultTargetTriple();
    char *cpu = LLVMGetHostCPUName();
    char *features = LLVMGetHostCPUFeatures();
    LLVMTargetRef target;
    char *err = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (!LLVMGetTargetFromTriple(triple, &target, &err))
        tm = LLVMCreateTargetMachine(target, triple, cpu, features, codegen_level(), LLVMRelocDefault,
                                     LLVMCodeModelJITDefault);
    if (err) LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return tm;
}

/* Under g_lock: the JIT, made once. */
static bool jit_ready(void)
{
    if (g_ready) return g_jit != NULL;
    g_ready = true;
    if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter()) {
        g_init_error = wf_xstrdup("LLVM has no native target");
        return false;
    }
    LLVMTargetMachineRef codegen = host_machine();
    g_tm = host_machine();
    if (!codegen || !g_tm) {
        g_init_error = wf_xstrdup("LLVM cannot target this host");
        return false;
    }
    LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(codegen));
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&g_jit, b);
    if (e) {
        g_init_error = take_message(e);
        g_jit = NULL;
        return false;
    }
    /* The helpers compiled code calls, by name. */
    static const struct { const char *name; void *addr; } helpers[] = {
#define WF_H_(n, sig) { #n, (void *)n },
        WF_JIT_RT_HELPERS(WF_H_)
#undef WF_H_
    };
    LLVMOrcCSymbolMapPair syms[WF_COUNT(helpers)];
    for (size_t i = 0; i < WF_COUNT(helpers); i++) {
        syms[i].Name = LLVMOrcLLJITMangleAndIntern(g_jit, helpers[i].name);
        syms[i].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)helpers[i].addr;
        syms[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        syms[i].Sym.Flags.TargetFlags = 0;
    }
    e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(g_jit),
                              LLVMOrcAbsoluteSymbols(syms, WF_COUNT(helpers)));
    if (e) {
        g_init_error = take_message(e);
        LLVMOrcDisposeLLJIT(g_jit);
        g_jit = NULL;
        return false;
    }
    return true;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *func_name(const wf_module *m, uint32_t fi)
{
    return m->funcs[fi].name ? m->funcs[fi].name : "";
}

/* Under g_lock: translate, optimise and add m to the JIT; install what
 * compiled. */
static wf_error *compile_locked(wf_module *m)
{
    /* WASMFN_JIT_VERBOSE=1: -v for the commands that have no -v. */
    const char *ev = getenv("WASMFN_JIT_VERBOSE");
    if (ev && *ev && *ev != '0') g_verbose = true;
    if (!jit_ready())
        return wf_error_new(WF_ERR_INTERNAL, "the LLVM JIT is unavailable: %s",
                            g_init_error ? g_init_error : "unknown reason");
    double t0 = now_ms();
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "w%u_", ++g_serial);

    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef C = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMModuleRef M = LLVMModuleCreateWithNameInContext(prefix, C);
    char *triple = LLVMGetTargetMachineTriple(g_tm);
    LLVMSetTarget(M, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(g_tm);
    LLVMSetModuleDataLayout(M, dl);
    LLVMDisposeTargetData(dl);

    bool *compiled = wf_xcalloc(ndef + 1, sizeof *compiled);
    char **why = wf_xcalloc(ndef + 1, sizeof *why);
    wf_jit_translate_module(m, C, M, prefix, compiled, why);
    uint32_t ncompiled = 0;
    for (uint32_t k = 0; k < ndef; k++) {
        ncompiled += compiled[k];
        if (why[k] && g_verbose)
            fprintf(stderr, "wasmfn: compiled tier: function %u %s stays interpreted: %s\n",
                    m->nfunc_imports + k, func_name(m, m->nfunc_imports + k), why[k]);
        free(why[k]);
    }
    free(why);

    wf_error *err = NULL;
    char *msg = NULL;
    if (LLVMVerifyModule(M, LLVMReturnStatusAction, &msg)) {
        err = wf_error_new(WF_ERR_INTERNAL, "invalid LLVM IR: %.300s", msg ? msg : "?");
        if (g_verbose) LLVMDumpModule(M);
    }
    if (msg) LLVMDisposeMessage(msg);
    /* For debugging the tier: WASMFN_JIT_DUMP=1 prints the module's IR
     * before optimisation, =2 after. */
    const char *dump = getenv("WASMFN_JIT_DUMP");
    if (!err && dump && *dump == '1') LLVMDumpModule(M);
    if (!err && ncompiled) {
        char passes[32];
        snprintf(passes, sizeof passes, "default<O%d>", g_opt_level);
        LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
        LLVMErrorRef e = LLVMRunPasses(M, passes, g_tm, po);
        LLVMDisposePassBuilderOptions(po);
        if (e) err = wf_error_new(WF_ERR_INTERNAL, "LLVM optimisation failed: %s", take_message(e));
        if (!err && dump && *dump == '2') LLVMDumpModule(M);
    }
    if (err || !ncompiled) {
        LLVMDisposeModule(M);
        LLVMOrcDisposeThreadSafeContext(tsc);
        free(compiled);
        return err;
    }

    double t1 = now_ms();
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(M, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);
    LLVMOrcResourceTrackerRef rt = LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(g_jit));
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModuleWithRT(g_jit, rt, tsm);
    if (e) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        LLVMOrcReleaseResourceTracker(rt);
        free(compiled);
        char *s = take_message(e);
        err = wf_error_new(WF_ERR_INTERNAL, "LLVM JIT: %s", s);
        free(s);
        return err;
    }
    /* Look every entry up first (the first lookup generates the code), then
     * install them all. */
    wf_word *entries = wf_xcalloc(ndef + 1, sizeof *entries);
    for (uint32_t k = 0; k < ndef && !err; k++) {
        if (!compiled[k]) continue;
        char name[64];
        snprintf(name, sizeof name, "%se%u", prefix, m->nfunc_imports + k);
        LLVMOrcExecutorAddress addr = 0;
        e = LLVMOrcLLJITLookup(g_jit, &addr, name);
        if (e) {
            char *s = take_message(e);
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM JIT: %s", s);
            free(s);
        }
        entries[k] = (wf_word)addr;
    }
    if (err) {
        LLVMErrorRef e2 = LLVMOrcResourceTrackerRemove(rt);
        if (e2) LLVMConsumeError(e2);
        LLVMOrcReleaseResourceTracker(rt);
        free(entries);
        free(compiled);
        return err;
    }
    /* Install: each body's ENTER becomes JIT_ENTER with the entry in its
     * first operand. Nothing of m has run yet (it is being decoded), so
     * no interpreter reads these words meanwhile. Bodies are translated
     * lazily (code.h): translate each first, so that every way in (its
     * words, or the stub that translates) ends at JIT_ENTER. */
    const wf_word enter = (wf_word)wf_interp_labels()[WF_IOP_JIT_ENTER];
    for (uint32_t k = 0; k < ndef; k++) {
        if (!compiled[k]) continue;
        wf_error *te = NULL;
        wf_word *w = (wf_word *)wf_code_translated(m->funcs[m->nfunc_imports + k].code, &te);
        if (!w) {
            wf_error_free(te);
            continue;
        }
        w[1] = entries[k];
        __atomic_store_n(&w[0], enter, __ATOMIC_RELEASE);
    }
    jit_module *jm = wf_xcalloc(1, sizeof *jm);
    jm->rt = rt;
    m->jit = jm;
    if (g_verbose)
        fprintf(stderr, "wasmfn: compiled tier: %u of %u functions compiled in %.1f ms (IR %.1f ms, native %.1f ms)\n",
                ncompiled, ndef, now_ms() - t0, t1 - t0, now_ms() - t1);
    free(entries);
    free(compiled);
    return NULL;
}

wf_error *wf_jit_compile_module(wf_module *m)
{
    if (m->jit || m->nfuncs == m->nfunc_imports) return NULL;
    pthread_mutex_lock(&g_lock);
    wf_error *e = compile_locked(m);
    pthread_mutex_unlock(&g_lock);
    return e;
}

void wf_jit_module_free(wf_module *m)
{
    jit_module *jm = m->jit;
    if (!jm) return;
    pthread_mutex_lock(&g_lock);
    LLVMErrorRef e = LLVMOrcResourceTrackerRemove(jm->rt);
    if (e) LLVMConsumeError(e);
    LLVMOrcReleaseResourceTracker(jm->rt);
    pthread_mutex_unlock(&g_lock);
    free(jm);
    m->jit = NULL;
}
