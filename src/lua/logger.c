/*
 * logger.c - upstream Wippy's `logger` module (runtime/lua/modules/logger/
 * spec.md): require("logger") is a logger object with
 *
 *   logger:debug(msg [, fields]) / :info / :warn / :error
 *   logger:with(fields)  -> a logger adding fields to every entry
 *   logger:named(name)   -> a logger with that name ("a.b" when named twice)
 *
 * Each entry is one line on the runtime's log (stderr, written whole, as a
 * WASM function's output is): `[ID] LEVEL name: message key=value ...`,
 * fields sorted by key, strings quoted as JSON, other values by tostring.
 * A bad argument (a message that is not a string, fields that are not a
 * table, an empty name) raises.
 */
#include <stdio.h>

#include "lua/lua_int.h"

#define LOGGER_MT "wasmfn.logger"

/* A logger: uservalue 1 its fields table (or nil), 2 its name (or nil). */

static void push_logger(lua_State *L, int fields_idx, int name_idx)
{
    lua_newuserdatauv(L, 1, 2);
    if (fields_idx) {
        lua_pushvalue(L, fields_idx);
        lua_setiuservalue(L, -2, 1);
    }
    if (name_idx) {
        lua_pushvalue(L, name_idx);
        lua_setiuservalue(L, -2, 2);
    }
    luaL_setmetatable(L, LOGGER_MT);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append ` key=value` for every field of the table at idx, sorted. */
static void add_fields(lua_State *L, int idx, luaL_Buffer *b)
{
    const char *keys[64];
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING && n < WF_COUNT(keys)) keys[n++] = lua_tostring(L, -1);
    }
    if (n) qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 0; i < n; i++) {
        lua_getfield(L, idx, keys[i]);
        lua_pushfstring(L, " %s=", keys[i]);
        luaL_addvalue(b);
        if (lua_type(L, -1) == LUA_TSTRING) {
            /* quoted as JSON, so a value with spaces stays one field */
            wf_lua_open_json(L);
            lua_getfield(L, -1, "encode");
            lua_pushvalue(L, -3);
            lua_call(L, 1, 1);
            lua_remove(L, -2);
            lua_remove(L, -2);
        } else {
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
        }
        luaL_addvalue(b);
    }
}

static int log_at(lua_State *L, const char *level)
{
    luaL_checkudata(L, 1, LOGGER_MT);
    const char *msg = luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    /* The entry's fields: the logger's, then the call's (which win). */
    lua_newtable(L);
    int all = lua_gettop(L);
    lua_getiuservalue(L, 1, 1);
    wf_lua_merge_into(L, all, -1, "logger: field");
    lua_pop(L, 1);
    if (lua_istable(L, 3)) wf_lua_merge_into(L, all, 3, "logger: field");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const wf_lua_env *env = wf_lua_ctx_of(L)->env;
    lua_pushfstring(L, "[%s] %s ", env->id ? env->id : "lua", level);
    luaL_addvalue(&b);
    if (lua_getiuservalue(L, 1, 2) == LUA_TSTRING) {
        luaL_addvalue(&b);
        luaL_addstring(&b, ": ");
    } else {
        lua_pop(L, 1);
    }
    luaL_addstring(&b, msg);
    add_fields(L, all, &b);
    luaL_pushresult(&b);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    flockfile(stderr);
    fwrite(line, 1, len, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
    return 0;
}

static int log_debug(lua_State *L) { return log_at(L, "DEBUG"); }
static int log_info(lua_State *L) { return log_at(L, "INFO"); }
static int log_warn(lua_State *L) { return log_at(L, "WARN"); }
static int log_error(lua_State *L) { return log_at(L, "ERROR"); }

static int log_with(lua_State *L)
{
    luaL_checkudata(L, 1, LOGGER_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_newtable(L);
    int merged = lua_gettop(L);
    lua_getiuservalue(L, 1, 1);
    wf_lua_merge_into(L, merged, -1, "logger:with: field");
    lua_pop(L, 1);
    wf_lua_merge_into(L, merged, 2, "logger:with: field");
    lua_getiuservalue(L, 1, 2);
    push_logger(L, merged, lua_isnil(L, -1) ? 0 : lua_gettop(L));
    return 1;
}

static int log_named(lua_State *L)
{
    luaL_checkudata(L, 1, LOGGER_MT);
    const char *name = luaL_checkstring(L, 2);
    if (!*name) return luaL_error(L, "logger:named: the name must not be empty");
    if (lua_getiuservalue(L, 1, 2) == LUA_TSTRING) lua_pushfstring(L, "%s.%s", lua_tostring(L, -1), name);
    else lua_pushstring(L, name);
    int name_idx = lua_gettop(L);
    lua_getiuservalue(L, 1, 1);
    push_logger(L, lua_isnil(L, -1) ? 0 : lua_gettop(L), name_idx);
    return 1;
}

int wf_lua_open_logger(lua_State *L)
{
    if (luaL_newmetatable(L, LOGGER_MT)) {
        static const luaL_Reg methods[] = {
            {"debug", log_debug}, {"info", log_info}, {"warn", log_warn}, {"error", log_error},
            {"with", log_with}, {"named", log_named}, {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    push_logger(L, 0, 0);
    return 1;
}
