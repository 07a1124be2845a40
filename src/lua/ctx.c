/*
 * ctx.c - upstream Wippy's `ctx` module (runtime/lua/modules/ctx/spec.md):
 * the values a caller passed along with its call (an executor's
 * with_context, SPEC §8), read and extended by the callee:
 *
 *   ctx.get(key)         -> value, err   (NotFound "no value found for key: K")
 *   ctx.set(key, value)  -> true, err
 *
 * An empty key is Invalid ("empty key provided"). The values are the call's
 * context (wf_fn_ctx.context) as a table, made on first use; set changes it
 * for the rest of this call and for the calls it makes (funcs passes the
 * table along, under the executor's own with_context values).
 */
#include "lua/lua_int.h"

#define CTX_KEY "wasmfn.ctx"

void wf_lua_push_ctx_table(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, CTX_KEY) == LUA_TTABLE) return;
    lua_pop(L, 1);
    const wf_fn_ctx *call = wf_lua_ctx_of(L)->call;
    if (call && call->context && call->context->kind == WF_VAL_RECORD) wf_lua_push_val(L, call->context, NULL);
    else lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, CTX_KEY);
}

static int ctx_get(lua_State *L)
{
    const char *key = luaL_checkstring(L, 1);
    if (!*key) return wf_lua_fail(L, WF_ERR_INVALID, "empty key provided");
    wf_lua_push_ctx_table(L);
    if (lua_getfield(L, -1, key) == LUA_TNIL)
        return wf_lua_fail(L, WF_ERR_NOT_FOUND, "no value found for key: %s", key);
    lua_pushnil(L);
    return 2;
}

static int ctx_set(lua_State *L)
{
    const char *key = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    if (!*key) {
        lua_pushboolean(L, 0);
        wf_lua_push_error(L, WF_ERR_INVALID, "empty key provided");
        return 2;
    }
    wf_lua_push_ctx_table(L);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, key);
    lua_pushboolean(L, 1);
    lua_pushnil(L);
    return 2;
}

int wf_lua_open_ctx(lua_State *L)
{
    static const luaL_Reg fns[] = {{"get", ctx_get}, {"set", ctx_set}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
