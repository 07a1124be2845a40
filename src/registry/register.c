/*
 * register.c - handing the loaded function.wat / function.wasm entries to the
 * runtime (its WASM function kind), with their pool, limits and parsed WIT.
 * The runtime borrows the modules and WIT: the registry must outlive it.
 */
#include "registry/internal.h"
#include "runtime/runtime.h"

wf_error *wf_registry_register(wf_registry *r, wf_runtime *rt)
{
    for (size_t i = 0; i < r->entries.len; i++) {
        const wf_reg_entry *e = &r->entries.data[i]->pub;
        if (e->kind != WF_REG_FUNCTION_WAT && e->kind != WF_REG_FUNCTION_WASM) continue;
        const wf_reg_wasm *w = &e->u.wasm;
        if (!w->module) continue;   /* not loaded: its file reported an error */
        wf_wasm_config cfg = {
            .method = w->method,
            .wit = w->wit_func,
            /* same order of pool types on both sides (runtime.h says so) */
            .pool = { .type = (wf_pool_type)w->pool.type, .max_size = w->pool.max_size,
                      .size = w->pool.size, .workers = w->pool.workers,
                      .buffer = w->pool.buffer, .warm_start = w->pool.warm_start },
            .limits = { w->limits.max_execution_ms, w->limits.max_memory_mb, w->limits.max_stack_kb },
        };
        wf_error *err = wf_runtime_add_wasm(rt, e->id, w->module, &cfg);
        if (err) return wf_error_wrap(err, "%s:%d", e->file, e->line);
    }
    return NULL;
}
