/*
 * jit.h - the engine's second tier: function bodies compiled to native code
 * with LLVM (jit/), beside the interpreter, sharing its instance layout,
 * trap path (trap.c's guard pages and trap point), interrupt flag and fibers.
 *
 * The tier is chosen per process (wf_jit_set_tier) and applied to each
 * module as it is decoded (wf_module_new): under WF_TIER_COMPILED every
 * function body is compiled before the module is returned; a function the
 * tier cannot compile stays interpreted. A compiled function is entered
 * from the interpreter through its JIT_ENTER instruction (interp.h), so the
 * tiers meet at call boundaries in both directions.
 *
 * Built only where LLVM 19 is found (CMake's WF_JIT); elsewhere
 * jit/jit_none.c answers that the tier is unavailable.
 */
#ifndef WF_JIT_H
#define WF_JIT_H

#include "wasm/module.h"

typedef enum wf_tier {
    WF_TIER_INTERP,     /* the interpreter only */
    WF_TIER_COMPILED,   /* compile each module whole before it runs */
    WF_TIER_AUTO,       /* interpret at once, compile in the background, switch per function */
} wf_tier;

/* Whether this build has the compiled tier. */
bool wf_jit_available(void);
/* "auto", "interp" or "compiled"; false for anything else. */
bool wf_tier_parse(const char *s, wf_tier *out);
/* The tier for modules decoded from now on (process-wide). WF_TIER_COMPILED
 * without the tier built is an error (WF_ERR_UNSUPPORTED). */
wf_error *wf_jit_set_tier(wf_tier t);
wf_tier wf_jit_tier(void);
/* Print one line on stderr for each function left interpreted, and the
 * compile time of each module. */
void wf_jit_set_verbose(bool on);
/* LLVM's optimisation level for later compilations (0..3, default 2). */
void wf_jit_set_opt_level(int level);

/* The on-disk code cache (jit/cache.c): dir, or NULL for none. Without a
 * call: $WASMFN_CACHE_DIR ("off": none), else $XDG_CACHE_HOME/wasmfn,
 * else $HOME/.cache/wasmfn. */
void wf_jit_set_cache_dir(const char *dir);
/* The cache directory in force (malloc'd), NULL when there is none. */
char *wf_jit_cache_dir(void);

/* What the tier did with a module (wf_jit_module_stats). */
typedef struct wf_jit_stats {
    uint32_t ndefined;      /* defined functions */
    uint32_t ncompiled;     /* of them, running natively */
    double ms;              /* wall time to compile or load its code */
    bool cached;            /* loaded from the code cache (disk or this process) */
    uint32_t pending;       /* units still to compile (the auto tier's background) */
    /* Tier-up: cheap functions compiled again at the full level once hot. */
    uint32_t nupgraded;     /* functions upgraded (compiled, or from the cache) */
    uint32_t nupgraded_cached;  /* of them, installed at load from the code cache */
    double upgrade_cpu_ms;  /* background CPU spent compiling upgrades */
    uint32_t upgrade_candidates;  /* nonzero while a function past the threshold waits or compiles */
    uint32_t heat_decays;   /* times its functions' heat was halved (WASMFN_JIT_TIERUP_DECAY_MS) */
} wf_jit_stats;
/* false when m has no native code. */
bool wf_jit_module_stats(const wf_module *m, wf_jit_stats *out);
/* How defined function d (counted from the first defined one) of m runs
 * now, for profiles: "O2" (a unit at the full level), "cheap", "upgraded"
 * (cheap, compiled again by the tier-up), NULL (interpreted). */
const char *wf_jit_func_level(const wf_module *m, uint32_t d);

/* Progress of long compilations, for a terminal's progress line: called
 * from the compiling thread with the phase: "translate" (0 of the module's
 * functions: it begins), "units" (units done of total), then "compiled"
 * or "loaded" (all from the cache) with the functions compiled of
 * defined. */
typedef void (*wf_jit_progress_fn)(void *ctx, const char *phase, uint32_t done, uint32_t total);
void wf_jit_set_progress(wf_jit_progress_fn fn, void *ctx);

/* Compile every defined function of m (already validated and linked); the
 * functions that compile run natively from now on. Under WF_TIER_AUTO only
 * what the code cache has is loaded here, the rest is compiled by a
 * background thread and each function switches to native code when its
 * unit is ready. Errors are internal (LLVM failed); m then stays fully
 * interpreted. */
wf_error *wf_jit_compile_module(wf_module *m);
/* Called by wf_module_free: release m's native code. */
void wf_jit_module_free(wf_module *m);
/* Call before the process exits with status (main returning): the auto
 * tier's background thread takes no more work, and when it is inside LLVM
 * the process ends here (_exit, streams flushed). exit() alone is not
 * enough: it destroys LLVM's objects made after the tier's own exit
 * handler was registered (function-local statics first used by the
 * background compilation) before that handler runs, under the thread
 * still using them ("LLVM ERROR", a crash at exit). */
void wf_jit_exit(int status);

#endif
