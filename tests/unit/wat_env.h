/*
 * wat_env.h - for unit tests: one module compiled from WAT and instantiated
 * in its own store, and its exported functions by name. Include after
 * <cmocka.h> (failures are reported with fail_msg).
 */
#ifndef WF_TEST_WAT_ENV_H
#define WF_TEST_WAT_ENV_H

#include <string.h>

#include "wasmfn.h"

typedef struct env {
    wf_module *m;
    wf_store *s;
    wf_instance *inst;
} env;

static inline void load(env *e, const char *wat, const wf_extern *imports, size_t n)
{
    /* cmocka puts its own SIGSEGV/SIGBUS handlers in around every test
     * without chaining to ours: as wasmfn.h asks of such an embedder, put
     * the engine's back on top (chaining to cmocka's). */
    wf_signals_install();
    wf_error *err = wf_module_from_wat(wat, strlen(wat), &e->m);
    if (err) fail_msg("module: %s", err->message);
    e->s = wf_store_new();
    err = wf_instance_new(e->s, e->m, imports, n, &e->inst);
    if (err) fail_msg("instance: %s", err->message);
}

static inline void unload(env *e)
{
    wf_store_free(e->s);
    wf_module_free(e->m);
}

static inline wf_func *fn(env *e, const char *name)
{
    wf_extern x;
    if (!wf_instance_export(e->inst, name, strlen(name), &x)) fail_msg("no export %s", name);
    return x.of.func;
}

#endif
