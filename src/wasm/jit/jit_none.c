/*
 * jit_none.c - the compiled tier's interface in a build without LLVM
 * (CMake found no llvm-config-19): the tier is unavailable, every module
 * runs interpreted.
 */
#include "wasm/jit.h"

bool wf_jit_available(void) { return false; }

wf_error *wf_jit_set_tier(wf_tier t)
{
    if (t == WF_TIER_COMPILED)
        return wf_error_new(WF_ERR_UNSUPPORTED, "this build has no compiled tier (LLVM 19 was not found)");
    return NULL;
}

wf_tier wf_jit_tier(void) { return WF_TIER_INTERP; }
void wf_jit_set_verbose(bool on) { (void)on; }
void wf_jit_set_opt_level(int level) { (void)level; }
wf_error *wf_jit_compile_module(wf_module *m) { (void)m; return NULL; }
void wf_jit_module_free(wf_module *m) { (void)m; }
void wf_jit_exit(int status) { (void)status; }
void wf_jit_set_cache_dir(const char *dir) { (void)dir; }
bool wf_jit_module_stats(const wf_module *m, wf_jit_stats *out) { (void)m; (void)out; return false; }
const char *wf_jit_func_level(const wf_module *m, uint32_t d) { (void)m; (void)d; return NULL; }
void wf_jit_set_progress(wf_jit_progress_fn fn, void *ctx) { (void)fn; (void)ctx; }
char *wf_jit_cache_dir(void) { return NULL; }
