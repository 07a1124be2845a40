/* lua_call.h - for the Lua unit tests: a Lua state with the standard
 * libraries and the json module as the global `json`; call a function
 * through the runtime and see its outcome as text. */
#ifndef WF_TEST_LUA_CALL_H
#define WF_TEST_LUA_CALL_H

#include "lua/lua_int.h"

static inline lua_State *lua_json_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    wf_lua_open_json(L);
    lua_setglobal(L, "json");
    return L;
}

/* Call id with args; its result as JSON (Lua's json.encode of the untyped
 * result pushed back), or "error: KIND: message". The caller frees it. */
static inline char *lua_call_json(wf_runtime *rt, const char *id, const wf_val *args, size_t nargs)
{
    wf_val r = {0};
    wf_error *e = wf_runtime_call(rt, id, args, nargs, &r, NULL);
    if (e) {
        char *s = wf_xasprintf("error: %s: %s", wf_error_kind_name(e->kind), e->message);
        wf_error_free(e);
        return s;
    }
    lua_State *L = luaL_newstate();
    wf_lua_open_json(L);
    lua_getfield(L, -1, "encode");
    wf_lua_push_val(L, &r, NULL);
    lua_call(L, 1, 2);
    char *s = wf_xstrdup(lua_isstring(L, -2) ? lua_tostring(L, -2) : "(unencodable)");
    lua_close(L);
    wf_val_free(&r);
    return s;
}

#endif
