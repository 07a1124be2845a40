/*
 * jit.c - the compiled tier's driver: the process-wide tier setting, one
 * LLVM ORC LLJIT for the process (made on first use, with the host CPU's
 * features and the helpers of rt.c as absolute symbols), and per module:
 * translation (translate.c), LLVM's -O2 pipeline, an object file (PIC),
 * the on-disk code cache (cache.c), linking the object into the JIT and
 * installing each compiled function in the interpreter's code (JIT_ENTER,
 * interp.h), so both tiers reach it.
 *
 * A module's native code (jit_code) is named after its cache key and
 * shared by every module of the process with the same bytes; it is owned
 * by a resource tracker of the JIT and released with the last of them
 * (wf_jit_module_free). Compilations are serialised by one lock: LLVM's
 * memory per compilation stays bounded and modules are compiled once,
 * when decoded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct jit_code;
typedef struct jit_module {
    struct jit_code *code;
    wf_jit_stats stats;
} jit_module;

static wf_jit_progress_fn g_progress;
static void *g_progress_ctx;
static char *g_cpu, *g_features;       /* the host's, for cache keys */

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
        tm = LLVMCreateTargetMachine(target, triple, cpu, features, codegen_level(), LLVMRelocPIC,
                                     LLVMCodeModelSmall);
    if (!g_cpu) {
        g_cpu = wf_xstrdup(cpu);
        g_features = wf_xstrdup(features);
    }
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

/* A module's native code in the JIT, shared by every module of this
 * process with the same bytes (the same key): its symbols are named after
 * the key, so they can be defined once only. Under g_lock. */
typedef struct jit_code {
    struct jit_code *next;
    uint8_t key[WF_SHA256_LEN];
    bool keyed;                 /* key is a cache key (else a serial prefix) */
    unsigned refs;
    LLVMOrcResourceTrackerRef rt;
    uint32_t ndef;
    wf_word *entries;           /* per defined function, 0: left interpreted */
} jit_code;

static jit_code *g_codes;

static void report(const char *phase, uint32_t done, uint32_t total)
{
    if (g_progress) g_progress(g_progress_ctx, phase, done, total);
}

/* Translate, verify and optimise m into an object file (*obj). */
static wf_error *build_object(wf_module *m, const char *prefix, bool *compiled, uint32_t *ncompiled,
                              LLVMMemoryBufferRef *obj)
{
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    LLVMContextRef C = LLVMContextCreate();
    LLVMModuleRef M = LLVMModuleCreateWithNameInContext(prefix, C);
    char *triple = LLVMGetTargetMachineTriple(g_tm);
    LLVMSetTarget(M, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(g_tm);
    LLVMSetModuleDataLayout(M, dl);
    LLVMDisposeTargetData(dl);

    char **why = wf_xcalloc(ndef + 1, sizeof *why);
    report("translate", 0, ndef);
    wf_jit_translate_module(m, C, M, prefix, compiled, why);
    *ncompiled = 0;
    for (uint32_t k = 0; k < ndef; k++) {
        *ncompiled += compiled[k];
        if (why[k] && g_verbose)
            fprintf(stderr, "wasmfn: compiled tier: function %u %s stays interpreted: %s\n",
                    m->nfunc_imports + k, func_name(m, m->nfunc_imports + k), why[k]);
        free(why[k]);
    }
    free(why);
    report("translate", ndef, ndef);

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
    if (!err && *ncompiled) {
        report("optimise", 0, 0);
        char passes[32];
        snprintf(passes, sizeof passes, "default<O%d>", g_opt_level);
        LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
        LLVMErrorRef e = LLVMRunPasses(M, passes, g_tm, po);
        LLVMDisposePassBuilderOptions(po);
        if (e) {
            char *s = take_message(e);
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM optimisation failed: %s", s);
            free(s);
        }
        if (!err && dump && *dump == '2') LLVMDumpModule(M);
    }
    if (!err && *ncompiled) {
        report("codegen", 0, 0);
        char *e = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(g_tm, M, LLVMObjectFile, &e, obj)) {
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM code generation failed: %s", e ? e : "?");
            *obj = NULL;
        }
        if (e) LLVMDisposeMessage(e);
    }
    LLVMDisposeModule(M);
    LLVMContextDispose(C);
    return err;
}

/* Add the object to the JIT and look its entries up. */
static wf_error *link_object(const char *prefix, uint32_t nfunc_imports, uint32_t ndef, const bool *compiled,
                             LLVMMemoryBufferRef obj, jit_code *c)
{
    LLVMOrcResourceTrackerRef rt = LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(g_jit));
    LLVMErrorRef e = LLVMOrcLLJITAddObjectFileWithRT(g_jit, rt, obj);
    wf_error *err = NULL;
    if (e) {
        char *s = take_message(e);
        LLVMOrcReleaseResourceTracker(rt);
        err = wf_error_new(WF_ERR_INTERNAL, "LLVM JIT: %s", s);
        free(s);
        return err;
    }
    /* The first lookup links the code. */
    c->entries = wf_xcalloc(ndef + 1, sizeof *c->entries);
    for (uint32_t k = 0; k < ndef && !err; k++) {
        if (!compiled[k]) continue;
        char name[64];
        snprintf(name, sizeof name, "%se%u", prefix, nfunc_imports + k);
        LLVMOrcExecutorAddress addr = 0;
        e = LLVMOrcLLJITLookup(g_jit, &addr, name);
        if (e) {
            char *s = take_message(e);
            err = wf_error_new(WF_ERR_INTERNAL, "LLVM JIT: %s", s);
            free(s);
        }
        c->entries[k] = (wf_word)addr;
    }
    if (err) {
        LLVMErrorRef e2 = LLVMOrcResourceTrackerRemove(rt);
        if (e2) LLVMConsumeError(e2);
        LLVMOrcReleaseResourceTracker(rt);
        free(c->entries);
        c->entries = NULL;
        return err;
    }
    c->rt = rt;
    c->ndef = ndef;
    return NULL;
}

/* Install: each body's ENTER becomes JIT_ENTER with the entry in its
 * first operand. Nothing of m has run yet (it is being decoded), so no
 * interpreter reads these words meanwhile. Bodies are translated lazily
 * (code.h): translate each first, so that every way in (its words, or the
 * stub that translates) ends at JIT_ENTER. */
static uint32_t install(wf_module *m, const jit_code *c)
{
    const wf_word enter = (wf_word)wf_interp_labels()[WF_IOP_JIT_ENTER];
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->ndef; k++) {
        if (!c->entries[k]) continue;
        wf_error *te = NULL;
        wf_word *w = (wf_word *)wf_code_translated(m->funcs[m->nfunc_imports + k].code, &te);
        if (!w) {
            wf_error_free(te);
            continue;
        }
        w[1] = c->entries[k];
        __atomic_store_n(&w[0], enter, __ATOMIC_RELEASE);
        n++;
    }
    return n;
}

/* Under g_lock: m's code, from this process, the disk cache or a
 * compilation; installed. */
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
    uint8_t key[WF_SHA256_LEN];
    bool keyed = wf_jit_cache_key(m, g_cpu, g_features, g_opt_level, key);
    char prefix[40];
    if (keyed) {
        snprintf(prefix, sizeof prefix, "w");
        for (int i = 0; i < 12; i++) snprintf(prefix + 1 + 2 * i, 3, "%02x", key[i]);
        strcat(prefix, "_");
    } else {
        snprintf(prefix, sizeof prefix, "w%u_", ++g_serial);
    }
    const char *how = "compiled";
    jit_code *c = NULL;
    if (keyed)
        for (c = g_codes; c; c = c->next)
            if (c->keyed && !memcmp(c->key, key, sizeof key) && c->ndef == ndef) break;
    wf_error *err = NULL;
    if (c) {
        how = "shared with an equal module";
    } else {
        c = wf_xcalloc(1, sizeof *c);
        memcpy(c->key, key, sizeof key);
        c->keyed = keyed;
        bool *compiled = wf_xcalloc(ndef + 1, sizeof *compiled);
        uint8_t *bytes = NULL;
        size_t len = 0;
        wf_jit_cache_status cs = keyed ? wf_jit_cache_load(key, ndef, compiled, &bytes, &len) : WF_JIT_CACHE_OFF;
        LLVMMemoryBufferRef obj = NULL;
        uint32_t ncompiled = 0;
        if (cs == WF_JIT_CACHE_HIT) {
            how = "loaded from the code cache";
            for (uint32_t k = 0; k < ndef; k++) ncompiled += compiled[k];
            if (ncompiled) obj = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)bytes, len, prefix);
            free(bytes);
        } else {
            if (cs == WF_JIT_CACHE_BAD && g_verbose)
                fprintf(stderr, "wasmfn: compiled tier: a damaged code cache entry is ignored and rebuilt\n");
            memset(compiled, 0, ndef * sizeof *compiled);
            err = build_object(m, prefix, compiled, &ncompiled, &obj);
            if (!err && keyed) {
                wf_error *se = wf_jit_cache_store(key, ndef, compiled,
                                                  obj ? (const uint8_t *)LLVMGetBufferStart(obj) : NULL,
                                                  obj ? LLVMGetBufferSize(obj) : 0);
                if (se && g_verbose) fprintf(stderr, "wasmfn: compiled tier: %s\n", se->message);
                wf_error_free(se);
            }
        }
        if (!err && obj) err = link_object(prefix, m->nfunc_imports, ndef, compiled, obj, c);
        else if (obj) LLVMDisposeMemoryBuffer(obj);
        free(compiled);
        if (err || !ncompiled) {
            free(c);
            if (!err) report(cs == WF_JIT_CACHE_HIT ? "loaded" : "compiled", 0, ndef);
            if (!err && g_verbose)
                fprintf(stderr, "wasmfn: compiled tier: 0 of %u functions compiled\n", ndef);
            return err;
        }
        c->next = g_codes;
        g_codes = c;
    }
    c->refs++;
    uint32_t n = install(m, c);
    jit_module *jm = wf_xcalloc(1, sizeof *jm);
    jm->code = c;
    jm->stats.ndefined = ndef;
    jm->stats.ncompiled = n;
    jm->stats.ms = now_ms() - t0;
    jm->stats.cached = strcmp(how, "compiled") != 0;
    m->jit = jm;
    report(jm->stats.cached ? "loaded" : "compiled", n, ndef);
    if (g_verbose)
        fprintf(stderr, "wasmfn: compiled tier: %u of %u functions %s in %.1f ms\n", n, ndef, how,
                jm->stats.ms);
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

bool wf_jit_module_stats(const wf_module *m, wf_jit_stats *out)
{
    const jit_module *jm = m->jit;
    if (!jm) return false;
    *out = jm->stats;
    return true;
}

void wf_jit_set_progress(wf_jit_progress_fn fn, void *ctx)
{
    pthread_mutex_lock(&g_lock);
    g_progress = fn;
    g_progress_ctx = ctx;
    pthread_mutex_unlock(&g_lock);
}

void wf_jit_module_free(wf_module *m)
{
    jit_module *jm = m->jit;
    if (!jm) return;
    pthread_mutex_lock(&g_lock);
    jit_code *c = jm->code;
    if (--c->refs == 0) {
        for (jit_code **p = &g_codes; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                break;
            }
        LLVMErrorRef e = LLVMOrcResourceTrackerRemove(c->rt);
        if (e) LLVMConsumeError(e);
        LLVMOrcReleaseResourceTracker(c->rt);
        free(c->entries);
        free(c);
    }
    pthread_mutex_unlock(&g_lock);
    free(jm);
    m->jit = NULL;
}
