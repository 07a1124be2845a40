/*
 * unit.c - the compiled tier's units of compilation: how a module's
 * functions are cut into units (wf_jit_partition; one unit is made into an
 * object file by the compiler library, llvm/compile.c). jit.c schedules
 * the units on threads, caches, links and installs them.
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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
