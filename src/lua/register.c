/*
 * register.c - function.lua entries of a loaded registry into the runtime
 * (kept apart from fn.c so users of wf_lua_add need not link the registry).
 */
#include <stdio.h>

#include "lua/lua_int.h"
#include "lua/wflua.h"

wf_error *wf_lua_register(wf_registry *r, wf_runtime *rt)
{
    char *problems = NULL;
    size_t nproblems = 0;
    for (size_t i = 0; i < wf_registry_count(r); i++) {
        const wf_reg_entry *en = wf_registry_at(r, i);
        if (en->kind != WF_REG_FUNCTION_LUA) continue;
        const wf_reg_lua *lu = &en->u.lua;
        wf_lua_import *imps = wf_xcalloc(lu->nimports ? lu->nimports : 1, sizeof *imps);
        wf_error *e = NULL;
        for (size_t k = 0; k < lu->nimports && !e; k++) {
            const wf_reg_entry *lib = wf_registry_get(r, lu->imports[k].id);
            if (lu->imports[k].absent)      /* a dependency's, not fetched: require() says so */
                imps[k] = (wf_lua_import){lu->imports[k].alias, lu->imports[k].id, NULL};
            else if (!lib || lib->kind != WF_REG_LIBRARY_LUA)
                e = wf_error_new(WF_ERR_INVALID, "import `%s`: `%s` is not a library.lua entry",
                                 lu->imports[k].alias, lu->imports[k].id);
            else
                imps[k] = (wf_lua_import){lu->imports[k].alias, lib->id, lib->u.lua.source};
        }
        if (!e) {
            wf_lua_fn_config cfg = {
                .registry = r, .source = lu->source, .method = lu->method,
                .modules = (const char *const *)lu->modules, .nmodules = lu->nmodules,
                .imports = imps, .nimports = lu->nimports,
                .pool = {.type = (wf_pool_type)lu->pool.type, .max_size = lu->pool.max_size,
                         .size = lu->pool.size, .workers = lu->pool.workers,
                         .buffer = lu->pool.buffer, .warm_start = lu->pool.warm_start},
            };
            e = wf_lua_add(rt, en->id, &cfg);
        }
        free(imps);
        if (e) {
            char *line = wf_xasprintf("%s%s%s:%d: %s: %s", problems ? problems : "",
                                      problems ? "\n" : "", en->file, en->line, en->id, e->message);
            free(problems);
            problems = line;
            nproblems++;
            wf_error_free(e);
        }
    }
    if (!problems) return NULL;
    wf_error *e = nproblems == 1 ? wf_error_new(WF_ERR_INVALID, "%s", problems)
                                 : wf_error_new(WF_ERR_INVALID, "%zu Lua load errors:\n%s", nproblems, problems);
    free(problems);
    return e;
}
