/*
 * process.c - upstream Wippy's `process` global as a function sees it in
 * wasmfn. Upstream's functions may look up, spawn and message processes;
 * wasmfn serves no processes (process.lua, process.host and
 * process.service entries are skipped at load, with a warning), so:
 *
 *   process.registry.lookup(name) -> nil, NotFound error: no process is
 *       registered under any name (true: none runs), so code that asks
 *       first ("is there a cart for alice?") takes its no-process path;
 *   every other process.* function (spawn, send, pid, inbox, ...) raises
 *       "process.spawn: processes are not served by wasmfn (...)", rather
 *       than the bare "attempt to index a nil value (global 'process')"
 *       and rather than a nil pid a handler would report as spawned.
 */
#include "lua/lua_int.h"

static int refuse(lua_State *L)
{
    return luaL_error(L, "%s: processes are not served by wasmfn (process.lua, process.host and "
                      "process.service entries are skipped at load)", lua_tostring(L, lua_upvalueindex(1)));
}

/* __index of the tables: any other name is a function that refuses. */
static int refuse_index(lua_State *L)
{
    lua_pushfstring(L, "%s.%s", lua_tostring(L, lua_upvalueindex(1)), luaL_checkstring(L, 2));
    lua_pushcclosure(L, refuse, 1);
    return 1;
}

static int lookup(lua_State *L)
{
    return wf_lua_fail(L, WF_ERR_NOT_FOUND, "no process registered as %s (wasmfn runs no processes)",
                       luaL_checkstring(L, 1));
}

/* Give the table at the top a metatable whose __index refuses as `name.KEY`. */
static void refusing(lua_State *L, const char *name)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, name);
    lua_pushcclosure(L, refuse_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

void wf_lua_open_process(lua_State *L)
{
    lua_createtable(L, 0, 1);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, lookup);
    lua_setfield(L, -2, "lookup");
    refusing(L, "process.registry");
    lua_setfield(L, -2, "registry");
    refusing(L, "process");
    lua_setglobal(L, "process");
}
