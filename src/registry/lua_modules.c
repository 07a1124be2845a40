/*
 * lua_modules.c - the Lua modules upstream Wippy defines
 * (wippyai/runtime, runtime/lua/modules/) that wasmfn does not provide.
 * A project written for upstream lists them in `modules`: it loads with a
 * warning per name (SPEC §1, as for upstream kinds) and fails only when
 * code requires one. The ones wasmfn serves (funcs, json, time, env,
 * logger, ctx, http, http_client, metrics, registry, system) are not here: lua/state.c's
 * table is theirs.
 */
#include "registry/internal.h"
#include "registry/registry.h"

static const char *const upstream_modules[] = {
    "archive", "base64", "btea", "cloudstorage", "compress", "contract", "crypto", "eval",
    "events", "excel", "exec", "execprocess", "expr", "fs", "funcapi", "funcmod", "future",
    "hash", "html", "httpctx", "hub", "io", "lfs", "os_process", "ostime", "payload",
    "process", "processapi", "processmod", "queue", "security", "sql", "store",
    "stream", "template", "text", "toml", "treesitter", "tty", "upstream", "uuid",
    "websocket", "yaml",
};

bool wf_registry_lua_module_upstream(const char *name)
{
    for (size_t i = 0; i < WF_COUNT(upstream_modules); i++)
        if (!strcmp(upstream_modules[i], name)) return true;
    return false;
}

const char *wf_registry_lua_module_closest(const char *name, const char *const *served, size_t n)
{
    const char *best = n ? served[0] : upstream_modules[0];
    size_t bd = SIZE_MAX;
    wf_reg_closest_in(name, served, n, &best, &bd);
    wf_reg_closest_in(name, upstream_modules, WF_COUNT(upstream_modules), &best, &bd);
    return best;
}
