/*
 * func.c - host functions, function types and what a host function can ask
 * about its caller. (Wasm functions are made by instance.c; calls go through
 * wf_exec_call in exec.c.)
 */
#include "wasm/runtime.h"

/* Allocates a wf_func owned by s (freed by wf_store_free). */
wf_func *wf_func_new_host(wf_store *s, const wf_functype *type, wf_host_fn fn, void *env)
{
    if (!type || !fn) return NULL;
    wf_func *f = wf_xcalloc(1, sizeof *f);
    f->type = type;
    f->host = fn;
    f->env = env;
    wf_vec_push(&s->funcs, f);
    return f;
}

const wf_functype *wf_func_type(const wf_func *f) { return f->type; }

wf_instance *wf_caller_instance(wf_caller *c) { return c ? c->inst : NULL; }

/* Memory 0, unless the module has several (multi-memory): then the one it
 * exports as `memory`, the one WASI and the host interfaces read and write
 * (memory 0 when it exports none under that name). */
wf_memory *wf_caller_memory(wf_caller *c)
{
    if (!c || !c->inst || !c->inst->module || c->inst->module->nmems == 0) return NULL;
    const wf_module *m = c->inst->module;
    if (m->nmems > 1) {
        const wf_export *x = wf_module_find_export(m, "memory", 6);
        if (x && x->kind == WF_EXTERN_MEMORY) return c->inst->mems[x->index];
    }
    return c->inst->mems[0];
}
