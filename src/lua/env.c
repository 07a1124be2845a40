/*
 * env.c - upstream Wippy's `env` module (runtime/lua/modules/env/spec.md)
 * over the registry's env.variable entries (SPEC §6):
 *
 *   env.get(key)   -> value, err   key: a variable's public name (its
 *                                  `variable` field) or its entry ID
 *   env.get_all()  -> {name = value, ...}, err
 *
 * A value is the variable's storage value, else its default. An empty key
 * is Invalid ("empty key provided"); a variable no entry declares, or one
 * without a value, is NotFound ("environment variable not found: KEY").
 * Without a registry (a function added by wf_lua_add alone) every variable
 * is missing.
 */
#include "lua/lua_int.h"
#include "registry/registry.h"

/* The env.variable entry named key (public name or ID), or NULL. */
static const wf_reg_entry *find_var(wf_registry *r, const char *key)
{
    for (size_t i = 0; r && i < wf_registry_count(r); i++) {
        const wf_reg_entry *e = wf_registry_at(r, i);
        if (e->kind == WF_REG_ENV_VARIABLE && (!strcmp(e->u.var.variable, key) || !strcmp(e->id, key)))
            return e;
    }
    return NULL;
}

static int env_get(lua_State *L)
{
    const char *key = luaL_checkstring(L, 1);
    if (!*key) return wf_lua_fail(L, WF_ERR_INVALID, "empty key provided");
    wf_registry *r = wf_lua_ctx_of(L)->env->registry;
    const wf_reg_entry *e = find_var(r, key);
    char *value = NULL;
    wf_error *err = e ? wf_registry_env_get(r, e->id, &value) : NULL;
    if (err) {
        lua_pushnil(L);
        wf_lua_push_wf_error(L, err);
        wf_error_free(err);
        return 2;
    }
    if (!value) return wf_lua_fail(L, WF_ERR_NOT_FOUND, "environment variable not found: %s", key);
    lua_pushstring(L, value);
    free(value);
    lua_pushnil(L);
    return 2;
}

static int env_get_all(lua_State *L)
{
    wf_registry *r = wf_lua_ctx_of(L)->env->registry;
    lua_newtable(L);
    for (size_t i = 0; r && i < wf_registry_count(r); i++) {
        const wf_reg_entry *e = wf_registry_at(r, i);
        if (e->kind != WF_REG_ENV_VARIABLE) continue;
        char *value = NULL;
        wf_error *err = wf_registry_env_get(r, e->id, &value);
        wf_error_free(err);
        if (!value) continue;
        lua_pushstring(L, value);
        lua_setfield(L, -2, e->u.var.variable);
        free(value);
    }
    lua_pushnil(L);
    return 2;
}

int wf_lua_open_env(lua_State *L)
{
    static const luaL_Reg fns[] = {{"get", env_get}, {"get_all", env_get_all}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
