/*
 * funcs.c - the `funcs` built-in Lua module, as upstream Wippy's (SPEC §8;
 * upstream's runtime/lua/modules/funcs/spec.md and future/spec.md): calling
 * registry functions through the runtime's one call path.
 *
 *   funcs.call(id, ...)    -> result, err
 *   funcs.async(id, ...)   -> future, err
 *   funcs.new()            -> executor
 *     executor:with_context{k = v}     -> a new executor with merged values,
 *                                         which its calls' callees read with
 *                                         the `ctx` module (and pass on)
 *     executor:with_options{timeout = ms | "5s", retries = n, retry_delay = d}
 *                                      -> a new executor with those options
 *     executor:call(id, ...) / executor:async(id, ...)
 *   future:response() / future:channel()  the channel that receives the
 *       result as a payload (then closes; closed empty on an error)
 *   future:result()     -> payload, nil once done; nil, nil while running;
 *                          nil, err (Canceled after cancel())
 *   future:error()      -> err, true when it failed; nil, false otherwise
 *   future:is_complete(), future:is_canceled(), future:cancel()
 *   future:wait()       -> result, err (ours: waits, plain value)
 *   payload:data()      -> value, nil;  payload:get_format() -> "lua"
 *
 * A target that is not `namespace:name` is Invalid, with nothing run.
 * Arguments are converted with the target's signature before anything is
 * started (a bad one is an Invalid err and nothing runs). A WIT `result`
 * err case is a value, not an err. An error value the callee returns or
 * raises reaches the caller whole (kind, message, retryable, details).
 * Retries (with_options) repeat a call (executor:call; upstream's funcs
 * has no retries, and executor:async does not retry) that failed with a
 * retryable error (its retryable(), else Timeout, Unavailable,
 * RateLimited), waiting retry_delay between attempts. Inside a Lua function with a deadline,
 * nested calls get at most the time left, and every wait parks the call
 * (no worker held) and ends when the call must stop.
 */
#include <stdio.h>

#include "lua/lua_int.h"

#define FUTURE_MT "wasmfn.future"
#define EXEC_MT "wasmfn.executor"
#define PAYLOAD_MT "wasmfn.payload"

typedef struct executor {
    uint32_t timeout_ms;    /* 0 = none */
    uint32_t retries;       /* extra attempts after a retryable error */
    int64_t retry_delay_ns;
} executor;                 /* uservalue 1: the context table */

/* uservalues: 1 result, 2 err, 3 response channel, 4 payload */
typedef struct future {
    wf_call_future *f;      /* NULL once the outcome is taken */
    wf_fn_sig sig;          /* to convert the result */
    bool done, canceled;
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

/* Push (nil, err) for e and free it. */
static int push_fail(lua_State *L, wf_error *e)
{
    lua_pushnil(L);
    wf_lua_push_wf_error(L, e);
    wf_error_free(e);
    return 2;
}

/* upstream: a target names a registry entry, namespace required. */
static wf_error *check_target(const char *id)
{
    const char *colon = strchr(id, ':');
    if (!colon || colon == id)
        return wf_error_new(WF_ERR_INVALID, "invalid registry ID: namespace is required, got `%s` "
                            "(expected namespace:name)", id);
    if (!colon[1])
        return wf_error_new(WF_ERR_INVALID, "invalid registry ID: name is required, got `%s` "
                            "(expected namespace:name)", id);
    return NULL;
}

/* Look up id's signature and convert the arguments at first.. (top). On
 * error pushes (nil, err) and returns false. */
static bool prepare_args(lua_State *L, const char *id, int first, wf_runtime_fn **fn, wf_fn_sig *sig,
                         wf_val *small, size_t nsmall, wf_val **args, size_t *nargs)
{
    wf_runtime *rt = runtime_of(L);
    wf_error *e = check_target(id);
    if (!e && !rt) e = wf_error_new(WF_ERR_INTERNAL, "funcs: no runtime in this state");
    if (!e && !(*fn = wf_runtime_find(rt, id))) e = wf_error_new(WF_ERR_NOT_FOUND, "no function %s", id);
    if (!e) {
        wf_runtime_fn_signature(*fn, sig);
        int n = lua_gettop(L) - first + 1;
        e = wf_lua_args(L, first, n, sig, small, nsmall, args);
        *nargs = (size_t)n;
        if (e) e = wf_error_wrap(e, "%s", id);
    }
    if (e) {
        push_fail(L, e);
        return false;
    }
    return true;
}

static void free_args(wf_val *args, size_t n, const wf_val *small)
{
    for (size_t i = 0; i < n; i++) wf_val_free(&args[i]);
    if (args != small) free(args);
}

/* The context to pass along (*out set, the caller frees it): the running
 * call's values (ctx.set included) under the executor's with_context ones.
 * False (nothing to pass: the call's own context goes along) when neither
 * has any. */
static bool table_empty(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) return true;
    lua_pushnil(L);
    if (!lua_next(L, idx)) return true;
    lua_pop(L, 2);
    return false;
}

static bool call_context(lua_State *L, int ex_idx, wf_val *out)
{
    /* The usual call passes nothing along: no table made for it. */
    wf_lua_push_ctx_table(L);
    bool none = table_empty(L, -1);
    lua_pop(L, 1);
    if (none && ex_idx) {
        lua_getiuservalue(L, ex_idx, 1);
        none = table_empty(L, -1);
        lua_pop(L, 1);
    }
    if (none) return false;
    lua_newtable(L);
    int t = lua_gettop(L);
    wf_lua_push_ctx_table(L);
    wf_lua_merge_into(L, t, -1, "context");
    lua_pop(L, 1);
    if (ex_idx) {
        lua_getiuservalue(L, ex_idx, 1);
        wf_lua_merge_into(L, t, -1, "context");
        lua_pop(L, 1);
    }
    bool any = false;
    lua_pushnil(L);
    if (lua_next(L, t)) {
        lua_pop(L, 2);
        any = true;
    }
    wf_error *e = any ? wf_lua_to_val_untyped(L, t, "context", out) : NULL;
    lua_pop(L, 1);
    if (e) {
        lua_pushstring(L, e->message);
        wf_error_free(e);
        lua_error(L);
    }
    return any;
}

/* As the error says (an error value's retryable()), else by its kind:
 * Timeout, Unavailable and RateLimited (LIMIT) are worth another try. */
static bool retryable(const wf_error *e)
{
    if (e->retryable != WF_RETRY_DEFAULT) return e->retryable == WF_RETRY_YES;
    return e->kind == WF_ERR_TIMEOUT || e->kind == WF_ERR_LIMIT;
}

/* What funcs.call and funcs.async both start with: the target (at id_at),
 * the context to pass along and the arguments (after it) converted by the
 * target's signature. */
typedef struct pending {
    const char *id;
    wf_runtime_fn *fn;
    wf_val context;
    bool has_context;
    wf_fn_sig sig;
    wf_val *args;               /* args_small for a few (no allocation per call) */
    wf_val args_small[4];
    size_t nargs;
} pending;

/* False (with nil, err pushed) when the call cannot start. */
static bool begin_call(lua_State *L, const executor *ex, int id_at, pending *pc)
{
    pc->id = luaL_checkstring(L, id_at);
    pc->context = (wf_val){0};
    pc->has_context = call_context(L, ex ? 1 : 0, &pc->context);
    if (prepare_args(L, pc->id, id_at + 1, &pc->fn, &pc->sig, pc->args_small, WF_COUNT(pc->args_small),
                     &pc->args, &pc->nargs))
        return true;
    wf_val_free(&pc->context);
    return false;
}

static wf_call_opts call_opts(lua_State *L, const executor *ex, pending *pc)
{
    return (wf_call_opts){.timeout_ms = effective_timeout(L, ex ? ex->timeout_ms : 0),
                          .context = pc->has_context ? &pc->context : NULL};
}

static void end_call(pending *pc)
{
    free_args(pc->args, pc->nargs, pc->args_small);
    wf_val_free(&pc->context);
}

static int do_call(lua_State *L, const executor *ex, int id_at)
{
    pending pc;
    if (!begin_call(L, ex, id_at, &pc)) return 2;
    wf_val result = {0};
    wf_error *e = NULL;
    for (uint32_t attempt = 0;; attempt++) {
        wf_call_opts opts = call_opts(L, ex, &pc);
        e = wf_runtime_call_fn(pc.fn, pc.args, pc.nargs, &result, &opts);
        if (!e || !ex || attempt >= ex->retries || !retryable(e) || wf_lua_should_stop(L)) break;
        wf_error_free(e);
        if (ex->retry_delay_ns > 0) wf_error_free(wf_sleep_until(wf_now_ns() + (uint64_t)ex->retry_delay_ns));
    }
    wf_fn_sig sig = pc.sig;
    end_call(&pc);
    if (e) return push_fail(L, e);
    wf_lua_push_result(L, &result, &sig);
    wf_val_free(&result);
    lua_pushnil(L);
    return 2;
}

/* ---- payloads ---------------------------------------------------------------- */

/* A payload holding the value at the top (popped), pushed. */
static void push_payload(lua_State *L)
{
    lua_newuserdatauv(L, 1, 1);
    lua_insert(L, -2);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, PAYLOAD_MT);
}

static int payload_data(lua_State *L)
{
    luaL_checkudata(L, 1, PAYLOAD_MT);
    lua_getiuservalue(L, 1, 1);
    lua_pushnil(L);
    return 2;
}

static int payload_format(lua_State *L)
{
    luaL_checkudata(L, 1, PAYLOAD_MT);
    lua_pushliteral(L, "lua");
    return 1;
}

/* ---- futures --------------------------------------------------------------------- */

static future *check_future(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, FUTURE_MT);
}

static int future_gc(lua_State *L)
{
    future *fu = check_future(L, 1);
    if (fu->f) {
        wf_call_future_free(fu->f);   /* cancels a call still running */
        fu->f = NULL;
    }
    return 0;
}

/* Once the call ended: its outcome into the uservalues (result, err, and
 * the payload), taken once. False while it runs. */
static bool settle(lua_State *L, int idx, future *fu)
{
    if (fu->done) return true;
    if (!fu->f || !wf_call_future_poll(fu->f)) return false;
    idx = lua_absindex(L, idx);
    wf_val result = {0};
    wf_error *e = wf_call_future_take(fu->f, &result);
    if (e) {
        lua_pushnil(L);
        lua_setiuservalue(L, idx, 1);
        if (fu->canceled) {
            wf_lua_push_kind_error(L, "Canceled", WF_ERR_TIMEOUT, e->message);
        } else {
            wf_lua_push_wf_error(L, e);
        }
        lua_setiuservalue(L, idx, 2);
        wf_error_free(e);
    } else {
        wf_lua_push_result(L, &result, &fu->sig);
        wf_val_free(&result);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, idx, 1);
        push_payload(L);
        lua_setiuservalue(L, idx, 4);
    }
    fu->done = true;
    wf_call_future_free(fu->f);
    fu->f = NULL;
    return true;
}

/* The response channel's source: the future. */
static void future_pump(lua_State *L, int src_idx, int ch_idx)
{
    future *fu = lua_touserdata(L, src_idx);
    if (!settle(L, src_idx, fu) || !wf_lua_chan_has_room(L, ch_idx)) return;
    if (lua_getiuservalue(L, src_idx, 4) != LUA_TNIL) wf_lua_chan_put(L, ch_idx);
    else lua_pop(L, 1);
    wf_lua_chan_close(L, ch_idx);
}

static bool future_watch(void *src, wf_wait_node *n, bool on)
{
    future *fu = src;
    if (fu->done || !fu->f) return false;
    if (on) wf_call_future_watch(fu->f, n, n->waker);
    else wf_call_future_unwatch(fu->f, n);
    return true;
}

static const wf_lua_source_ops future_source = {.pump = future_pump, .watch = future_watch};

static int future_response(lua_State *L)
{
    check_future(L, 1);
    if (lua_getiuservalue(L, 1, 3) == LUA_TNIL) {   /* made once, the same after */
        lua_pop(L, 1);
        wf_lua_chan_new(L, 1, &future_source, 1);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 3);
    }
    return 1;
}

static int future_wait(lua_State *L);

static int wait_again(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, (int)ctx);
    return future_wait(L);
}

static int future_wait(lua_State *L)
{
    future *fu = check_future(L, 1);
    if (!settle(L, 1, fu) && (wf_lua_in_spawned(L) || wf_lua_sched_any(L))) {
        /* beside spawned coroutines: wait on the response channel's source */
        int top0 = lua_gettop(L);
        lua_pushcfunction(L, future_response);
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        int ch = lua_gettop(L);
        if (wf_lua_in_spawned(L)) return wf_lua_yield_wait(L, 0, 0, &ch, 1, wait_again, top0);
        while (!settle(L, 1, fu)) {
            if (wf_lua_sched_round(L)) continue;
            wf_lua_wakes w = {0};
            wf_lua_chan_wake(L, ch, &w);
            wf_lua_sched_wakes(L, &w);
            int r = w.runnable ? WF_PARK_WOKEN : wf_lua_park_wakes(L, &w);
            wf_vec_free(&w.srcs);
            if (r == WF_PARK_STOPPED || wf_lua_should_stop(L)) {
                wf_call_future_cancel(fu->f);
                return luaL_error(L, "the call was stopped while waiting for a future");
            }
        }
        lua_settop(L, top0);
    }
    while (!settle(L, 1, fu)) {
        /* Parked until the call ends (its end wakes us), or the running
         * call's own stop: a task's park ends at its stop, and an inline
         * call (parked on its thread) is bounded by its deadline. The inner
         * call is cancelled with the future. */
        uint32_t left = wf_lua_ms_left(L);
        wf_call_future_wait(fu->f, left ? (int64_t)left : -1);
        if (wf_lua_should_stop(L)) {
            wf_call_future_cancel(fu->f);
            return luaL_error(L, "the call was stopped while waiting for a future");
        }
    }
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 1, 2);
    return 2;
}

static int future_result(lua_State *L)
{
    future *fu = check_future(L, 1);
    if (!settle(L, 1, fu)) {
        lua_pushnil(L);
        lua_pushnil(L);
        return 2;
    }
    if (lua_getiuservalue(L, 1, 2) != LUA_TNIL) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    lua_pop(L, 1);
    lua_getiuservalue(L, 1, 4);
    lua_pushnil(L);
    return 2;
}

static int future_error(lua_State *L)
{
    future *fu = check_future(L, 1);
    if (settle(L, 1, fu) && lua_getiuservalue(L, 1, 2) != LUA_TNIL) {
        lua_pushboolean(L, 1);
        return 2;
    }
    lua_pushnil(L);
    lua_pushboolean(L, 0);
    return 2;
}

static int future_is_complete(lua_State *L)
{
    future *fu = check_future(L, 1);
    lua_pushboolean(L, settle(L, 1, fu));
    return 1;
}

static int future_is_canceled(lua_State *L)
{
    lua_pushboolean(L, check_future(L, 1)->canceled);
    return 1;
}

static int future_cancel(lua_State *L)
{
    future *fu = check_future(L, 1);
    if (!fu->done && fu->f) {
        fu->canceled = true;
        wf_call_future_cancel(fu->f);
    }
    return 0;
}

static int future_tostring(lua_State *L)
{
    future *fu = check_future(L, 1);
    lua_pushfstring(L, "future (%s)", fu->done || (fu->f && wf_call_future_poll(fu->f)) ? "done" : "running");
    return 1;
}

static int do_async(lua_State *L, const executor *ex, int id_at)
{
    pending pc;
    if (!begin_call(L, ex, id_at, &pc)) return 2;
    future *fu = lua_newuserdatauv(L, sizeof *fu, 4);
    memset(fu, 0, sizeof *fu);
    fu->sig = pc.sig;
    luaL_setmetatable(L, FUTURE_MT);
    wf_lua_ctx_of(L)->finalizers = true;   /* its __gc cancels the call */
    wf_call_opts opts = call_opts(L, ex, &pc);
    wf_error *e = wf_call_future_start(runtime_of(L), pc.id, pc.args, pc.nargs, &opts, &fu->f);
    end_call(&pc);
    if (e) {
        fu->f = NULL;
        lua_pop(L, 1);
        return push_fail(L, e);
    }
    lua_pushnil(L);
    return 2;
}

/* ---- module functions and executors ----------------------------------------------- */

static int funcs_call(lua_State *L) { return do_call(L, NULL, 1); }
static int funcs_async(lua_State *L) { return do_async(L, NULL, 1); }

/* A new executor, a copy of the one at from (or defaults), pushed. */
static executor *push_executor(lua_State *L, int from)
{
    executor *ex = lua_newuserdatauv(L, sizeof *ex, 1);
    memset(ex, 0, sizeof *ex);
    if (from) {
        *ex = *(executor *)luaL_checkudata(L, from, EXEC_MT);
        lua_getiuservalue(L, from, 1);
        lua_setiuservalue(L, -2, 1);
    }
    luaL_setmetatable(L, EXEC_MT);
    return ex;
}

static int exec_with_context(lua_State *L)
{
    luaL_checkudata(L, 1, EXEC_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_newtable(L);
    int merged = lua_gettop(L);
    lua_getiuservalue(L, 1, 1);
    wf_lua_merge_into(L, merged, -1, "with_context: context");
    wf_lua_merge_into(L, merged, 2, "with_context: context");
    lua_pop(L, 1);
    push_executor(L, 1);
    lua_pushvalue(L, merged);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int exec_with_options(lua_State *L)
{
    luaL_checkudata(L, 1, EXEC_MT);
    luaL_checktype(L, 2, LUA_TTABLE);
    executor *ex = push_executor(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING) return luaL_error(L, "with_options: option names are strings");
        const char *k = lua_tostring(L, -2);
        int64_t ns;
        const char *why;
        if (!strcmp(k, "timeout") || !strcmp(k, "retry_delay")) {
            /* a number is milliseconds (as our call --timeout), a string or
             * Duration is time's form ("5s") */
            if (lua_type(L, -1) == LUA_TNUMBER) {
                lua_Number ms = lua_tonumber(L, -1);
                if (!(ms >= 0 && ms <= UINT32_MAX))
                    return luaL_error(L, "with_options: %s must be between 0 and %u ms", k, UINT32_MAX);
                ns = (int64_t)(ms * 1e6);
            } else if (!wf_lua_to_duration(L, -1, &ns, &why) || ns < 0) {
                return luaL_error(L, "with_options: %s must be milliseconds or a duration such as \"5s\"", k);
            }
            if (!strcmp(k, "retry_delay")) {
                ex->retry_delay_ns = ns;
            } else {
                uint64_t ms = ((uint64_t)ns + 999999) / 1000000;
                ex->timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
            }
        } else if (!strcmp(k, "retries")) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 100)
                return luaL_error(L, "with_options: retries must be an integer from 0 to 100");
            ex->retries = (uint32_t)lua_tointeger(L, -1);
        } else {
            return luaL_error(L, "with_options: unknown option `%s` (known: timeout, retries, retry_delay)", k);
        }
        lua_pop(L, 1);
    }
    return 1;
}

static int exec_call(lua_State *L)
{
    return do_call(L, luaL_checkudata(L, 1, EXEC_MT), 2);
}

static int exec_async(lua_State *L)
{
    return do_async(L, luaL_checkudata(L, 1, EXEC_MT), 2);
}

static int funcs_new(lua_State *L)
{
    push_executor(L, 0);
    return 1;
}

static void new_mt(lua_State *L, const char *name, const luaL_Reg *methods)
{
    if (luaL_newmetatable(L, name)) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
}

int wf_lua_open_funcs(lua_State *L)
{
    static const luaL_Reg fut[] = {
        {"response", future_response}, {"channel", future_response}, {"result", future_result},
        {"error", future_error}, {"is_complete", future_is_complete},
        {"is_canceled", future_is_canceled}, {"cancel", future_cancel}, {"wait", future_wait},
        {NULL, NULL},
    };
    new_mt(L, FUTURE_MT, fut);
    lua_pushcfunction(L, future_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, future_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    static const luaL_Reg exec[] = {
        {"with_context", exec_with_context}, {"with_options", exec_with_options},
        {"call", exec_call}, {"async", exec_async}, {NULL, NULL},
    };
    new_mt(L, EXEC_MT, exec);
    lua_pop(L, 1);
    static const luaL_Reg pay[] = {{"data", payload_data}, {"get_format", payload_format}, {NULL, NULL}};
    new_mt(L, PAYLOAD_MT, pay);
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"call", funcs_call}, {"async", funcs_async}, {"new", funcs_new}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
