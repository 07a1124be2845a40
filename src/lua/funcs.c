/*
 * funcs.c - the `funcs` built-in Lua module (SPEC §8): calling registry
 * functions through the runtime's one call path.
 *
 *   funcs.call(id, ...)   -> result, err
 *   funcs.async(id, ...)  -> future, err
 *       future:wait()     -> result, err  (blocks)
 *       future:result()   -> result, err  once done; nil while running
 *       future:cancel()   -> true         (the outcome becomes TIMEOUT)
 *   funcs.new():with_options{timeout = ms}:call(id, ...) / :async(id, ...)
 *
 * Arguments are converted with the target's signature before anything is
 * started (a bad one is an INVALID err and nothing runs). err is nil on
 * success, else an error value (err.c). A WIT `result` err case is a value.
 * Inside a Lua function with a deadline, nested calls get at most the time
 * left, and waits poll the caller's interrupt so a cancelled outer call
 * never sits blocked on an inner one.
 */
#include <stdio.h>
#include <time.h>

#include "lua/lua_int.h"

#define FUTURE_MT "wasmfn.future"
#define EXEC_MT "wasmfn.executor"

typedef struct executor {
    uint32_t timeout_ms;    /* 0 = none */
} executor;

typedef struct future {
    wf_call_future *f;      /* NULL once the outcome is taken */
    wf_fn_sig sig;          /* to convert the result */
    bool done;              /* outcome stored in the uservalues 1 (result), 2 (err) */
} future;

static wf_runtime *runtime_of(lua_State *L)
{
    return wf_lua_ctx_of(L)->env->rt;
}

/* The effective timeout: the caller's option, capped by the time left of
 * the running Lua call. */
static uint32_t effective_timeout(lua_State *L, uint32_t timeout_ms)
{
    uint32_t left = wf_lua_ms_left(L);
    if (!left) return timeout_ms;
    return timeout_ms ? WF_MIN(timeout_ms, left) : left;
}

/* Look up id's signature and convert the arguments at first.. (top). On
 * error pushes (nil, err) and returns false. */
static bool prepare_args(lua_State *L, const char *id, int first, wf_fn_sig *sig,
                         wf_val **args, size_t *nargs)
{
    wf_runtime *rt = runtime_of(L);
    if (!rt) {
        wf_lua_fail(L, WF_ERR_INTERNAL, "funcs: no runtime in this state");
        return false;
    }
    wf_error *e = wf_runtime_signature(rt, id, sig);
    if (!e) {
        int n = lua_gettop(L) - first + 1;
        e = wf_lua_args(L, first, n, sig, args);
        *nargs = (size_t)n;
        if (e) e = wf_error_wrap(e, "%s", id);
    }
    if (e) {
        lua_pushnil(L);
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        return false;
    }
    return true;
}

static void free_args(wf_val *args, size_t n)
{
    for (size_t i = 0; i < n; i++) wf_val_free(&args[i]);
    free(args);
}

static int do_call(lua_State *L, uint32_t timeout_ms, int id_at)
{
    const char *id = luaL_checkstring(L, id_at);
    wf_fn_sig sig;
    wf_val *args;
    size_t nargs;
    if (!prepare_args(L, id, id_at + 1, &sig, &args, &nargs)) return 2;
    wf_call_opts opts = {.timeout_ms = effective_timeout(L, timeout_ms)};
    wf_val result = {0};
    wf_error *e = wf_runtime_call(runtime_of(L), id, args, nargs, &result, &opts);
    free_args(args, nargs);
    if (e) {
        lua_pushnil(L);
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        return 2;
    }
    wf_lua_push_result(L, &result, &sig);
    wf_val_free(&result);
    lua_pushnil(L);
    return 2;
}

/* ---- futures --------------------------------------------------------------- */

static int future_gc(lua_State *L)
{
    future *fu = luaL_checkudata(L, 1, FUTURE_MT);
    if (fu->f) {
        wf_call_future_free(fu->f);   /* cancels a call still running */
        fu->f = NULL;
    }
    return 0;
}

/* Take the outcome into the uservalues (once), then push result, err. */
static int future_push_outcome(lua_State *L, future *fu)
{
    if (!fu->done) {
        wf_val result = {0};
        wf_error *e = wf_call_future_take(fu->f, &result);
        if (e) {
            lua_pushnil(L);
            wf_lua_push_wf_error(L, e);
            wf_error_free(e);
        } else {
            wf_lua_push_result(L, &result, &fu->sig);
            wf_val_free(&result);
            lua_pushnil(L);
        }
        lua_setiuservalue(L, 1, 2);
        lua_setiuservalue(L, 1, 1);
        fu->done = true;
        wf_call_future_free(fu->f);
        fu->f = NULL;
    }
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 1, 2);
    return 2;
}

static int future_wait(lua_State *L)
{
    future *fu = luaL_checkudata(L, 1, FUTURE_MT);
    if (!fu->done) {
        /* Wait in slices so the running Lua call's own deadline or cancel
         * still stops us (the inner call is cancelled with the future). */
        while (!wf_call_future_wait(fu->f, 20)) {
            if (wf_lua_should_stop(L)) {
                wf_call_future_cancel(fu->f);
                return luaL_error(L, "the call was stopped while waiting for a future");
            }
        }
    }
    return future_push_outcome(L, fu);
}

static int future_result(lua_State *L)
{
    future *fu = luaL_checkudata(L, 1, FUTURE_MT);
    if (!fu->done && !wf_call_future_poll(fu->f)) {
        lua_pushnil(L);
        return 1;
    }
    return future_push_outcome(L, fu);
}

static int future_cancel(lua_State *L)
{
    future *fu = luaL_checkudata(L, 1, FUTURE_MT);
    if (!fu->done) wf_call_future_cancel(fu->f);
    lua_pushboolean(L, 1);
    return 1;
}

static int future_tostring(lua_State *L)
{
    future *fu = luaL_checkudata(L, 1, FUTURE_MT);
    lua_pushfstring(L, "future (%s)", fu->done || wf_call_future_poll(fu->f) ? "done" : "running");
    return 1;
}

static int do_async(lua_State *L, uint32_t timeout_ms, int id_at)
{
    const char *id = luaL_checkstring(L, id_at);
    wf_fn_sig sig;
    wf_val *args;
    size_t nargs;
    if (!prepare_args(L, id, id_at + 1, &sig, &args, &nargs)) return 2;
    future *fu = lua_newuserdatauv(L, sizeof *fu, 2);
    memset(fu, 0, sizeof *fu);
    fu->sig = sig;
    if (luaL_newmetatable(L, FUTURE_MT)) {
        static const luaL_Reg methods[] = {
            {"wait", future_wait}, {"result", future_result}, {"cancel", future_cancel},
            {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, future_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, future_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_setmetatable(L, -2);
    wf_call_opts opts = {.timeout_ms = effective_timeout(L, timeout_ms)};
    wf_error *e = wf_call_future_start(runtime_of(L), id, args, nargs, &opts, &fu->f);
    free_args(args, nargs);
    if (e) {
        fu->f = NULL;
        lua_pop(L, 1);
        lua_pushnil(L);
        wf_lua_push_wf_error(L, e);
        wf_error_free(e);
        return 2;
    }
    lua_pushnil(L);
    return 2;
}

/* ---- module functions and executors ---------------------------------------------- */

static int funcs_call(lua_State *L) { return do_call(L, 0, 1); }
static int funcs_async(lua_State *L) { return do_async(L, 0, 1); }

static executor *push_executor(lua_State *L, uint32_t timeout_ms);

static int exec_with_options(lua_State *L)
{
    executor *ex = luaL_checkudata(L, 1, EXEC_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    uint32_t timeout = ex->timeout_ms;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "with_options: option names are strings");
        const char *k = lua_tostring(L, -2);
        if (strcmp(k, "timeout") == 0) {
            if (!lua_isinteger(L, -1) && !(lua_type(L, -1) == LUA_TNUMBER))
                return luaL_error(L, "with_options: timeout must be a number of milliseconds");
            lua_Number ms = lua_tonumber(L, -1);
            if (!(ms >= 0 && ms <= UINT32_MAX))
                return luaL_error(L, "with_options: timeout must be between 0 and %u ms", UINT32_MAX);
            timeout = (uint32_t)ms;
            if (timeout == 0 && ms > 0) timeout = 1;
        } else {
            return luaL_error(L, "with_options: unknown option `%s` (known: timeout)", k);
        }
        lua_pop(L, 1);
    }
    push_executor(L, timeout);
    return 1;
}

static int exec_call(lua_State *L)
{
    executor *ex = luaL_checkudata(L, 1, EXEC_MT);
    return do_call(L, ex->timeout_ms, 2);
}

static int exec_async(lua_State *L)
{
    executor *ex = luaL_checkudata(L, 1, EXEC_MT);
    return do_async(L, ex->timeout_ms, 2);
}

static executor *push_executor(lua_State *L, uint32_t timeout_ms)
{
    executor *ex = lua_newuserdatauv(L, sizeof *ex, 0);
    ex->timeout_ms = timeout_ms;
    if (luaL_newmetatable(L, EXEC_MT)) {
        static const luaL_Reg methods[] = {
            {"with_options", exec_with_options}, {"call", exec_call}, {"async", exec_async},
            {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    return ex;
}

static int funcs_new(lua_State *L)
{
    push_executor(L, 0);
    return 1;
}

int wf_lua_open_funcs(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"call", funcs_call}, {"async", funcs_async}, {"new", funcs_new}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
