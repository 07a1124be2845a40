/*
 * err.c - the Lua error value (SPEC §8): what funcs.call, json and the
 * other built-ins return as their second value. A userdata holding a kind
 * and a message, with :kind() ("INVALID", "TIMEOUT", ...), :message() and
 * __tostring ("KIND: message"). A userdata, not a string, so code can
 * branch on the kind without parsing text.
 */
#include <stdarg.h>
#include <stdio.h>

#include "lua/lua_int.h"

#define ERR_MT "wasmfn.error"

typedef struct lerr {
    int kind;
    size_t len;
    char msg[];     /* NUL-terminated copy of the message */
} lerr;

static const wf_error_kind kinds[] = {
    WF_ERR_INVALID, WF_ERR_MALFORMED, WF_ERR_UNLINKABLE, WF_ERR_NOT_FOUND,
    WF_ERR_TIMEOUT, WF_ERR_TRAP, WF_ERR_LIMIT, WF_ERR_INTERNAL, WF_ERR_IO,
    WF_ERR_UNSUPPORTED,
};

bool wf_lua_kind_from_name(const char *name, wf_error_kind *kind)
{
    for (size_t i = 0; i < WF_COUNT(kinds); i++)
        if (strcmp(wf_error_kind_name(kinds[i]), name) == 0) {
            *kind = kinds[i];
            return true;
        }
    return false;
}

static lerr *check_err(lua_State *L)
{
    return luaL_checkudata(L, 1, ERR_MT);
}

static int err_kind(lua_State *L)
{
    lua_pushstring(L, wf_error_kind_name((wf_error_kind)check_err(L)->kind));
    return 1;
}

static int err_message(lua_State *L)
{
    lerr *e = check_err(L);
    lua_pushlstring(L, e->msg, e->len);
    return 1;
}

static int err_tostring(lua_State *L)
{
    lerr *e = check_err(L);
    lua_pushfstring(L, "%s: %s", wf_error_kind_name((wf_error_kind)e->kind), e->msg);
    return 1;
}

static void push_mt(lua_State *L)
{
    if (luaL_newmetatable(L, ERR_MT)) {
        static const luaL_Reg methods[] = {
            {"kind", err_kind}, {"message", err_message}, {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, err_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "error");      /* getmetatable(err) does not expose it */
        lua_setfield(L, -2, "__metatable");
    }
}

void wf_lua_push_error(lua_State *L, wf_error_kind kind, const char *msg)
{
    size_t len = strlen(msg);
    lerr *e = lua_newuserdatauv(L, sizeof(lerr) + len + 1, 0);
    e->kind = (int)kind;
    e->len = len;
    memcpy(e->msg, msg, len + 1);
    push_mt(L);
    lua_setmetatable(L, -2);
}

void wf_lua_push_wf_error(lua_State *L, const wf_error *e)
{
    wf_lua_push_error(L, e->kind, e->message ? e->message : "");
}

int wf_lua_fail(lua_State *L, wf_error_kind kind, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lua_pushnil(L);
    wf_lua_push_error(L, kind, buf);
    return 2;
}

bool wf_lua_to_error(lua_State *L, int idx, wf_error_kind *kind, const char **msg)
{
    lerr *e = luaL_testudata(L, idx, ERR_MT);
    if (!e) return false;
    if (kind) *kind = (wf_error_kind)e->kind;
    if (msg) *msg = e->msg;
    return true;
}
