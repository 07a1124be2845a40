/*
 * fn.c - the function.lua kind (wflua.h): prepare makes a fresh sandboxed
 * state with the compiled source on its stack, call runs the source and its
 * `method` under the call's deadline, release closes the state. The method
 * is found as upstream Wippy finds it: the chunk's return value (a function,
 * or a table holding `method`), then the global of that name. Every call
 * starts from a pristine state, so no globals, upvalues or required
 * modules survive from one call to the next: a slot's state lives in an
 * arena of its own (arena.c), built once (sandbox, the pure built-ins its
 * `modules` allow opened, the source compiled) and snapshotted, and after
 * each call the snapshot is copied back over it. Building a state per call
 * cost ~500k instructions (the bench/http Lua endpoint's 5k req/s); the
 * copy is a few tens of KB. A call that made an object with a finalizer
 * has its state closed instead (closing runs the finalizers).
 */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "lua/lua_int.h"
#include "lua/typed.h"
#include "lua/wflua.h"
#include "registry/registry.h"
#include "runtime/slots.h"

typedef struct lua_fn {
    char *id;
    char *source;
    char *method;
    wf_lua_env env;
    wf_lua_lib *libs;      /* owned; env.libs points here */
    wf_slots idle;         /* pristine states (lua_State *) waiting for a call */
} lua_fn;

static void slot_free(void *ud, void *slot)
{
    (void)ud;
    wf_lua_state_free(slot);
}

static void lua_fn_free(lua_fn *fn)
{
    if (!fn) return;
    wf_slots_fini(&fn->idle, slot_free, NULL);
    for (size_t i = 0; i < fn->env.nlibs; i++) {
        free(fn->libs[i].alias);
        free(fn->libs[i].id);
        free(fn->libs[i].source);
    }
    free(fn->libs);
    free(fn->id);
    free(fn->source);
    free(fn->method);
    free(fn);
}

static wf_error *load_chunk(lua_State *L, const char *id, const char *source)
{
    char name[256];
    snprintf(name, sizeof name, "=%s", id);
    int rc = luaL_loadbufferx(L, source, strlen(source), name, "t");
    if (rc == LUA_OK) return NULL;
    wf_error *e = wf_error_new(rc == LUA_ERRMEM ? WF_ERR_LIMIT : WF_ERR_INVALID, "%s",
                               lua_tostring(L, -1));
    lua_pop(L, 1);
    return e;
}

/* A state for the function's calls: sandboxed, the source compiled on its
 * stack; in an arena of its own, snapshotted as it is now, when the
 * region could be reserved. */
static wf_error *slot_new(lua_fn *fn, lua_State **out)
{
    wf_lua_arena *a = wf_lua_arena_new(fn->env.mem_limit ? fn->env.mem_limit : WF_LUA_MEM_DEFAULT);
    lua_State *L;
    wf_error *e = a ? wf_lua_state_new_in(&fn->env, a, &L) : wf_lua_state_new(&fn->env, &L);
    if (e) return e;
    if (a) wf_lua_state_preload(L);
    e = load_chunk(L, fn->id, fn->source);
    if (e) {
        wf_lua_state_free(L);
        return e;
    }
    if (a) wf_lua_arena_snapshot(a);
    *out = L;
    return NULL;
}

static wf_error *fn_prepare(void *vfn, void **inst)
{
    lua_fn *fn = vfn;
    lua_State *L = wf_slots_take(&fn->idle);
    if (!L) {
        wf_error *e = slot_new(fn, &L);
        if (e) return e;
    }
    *inst = L;
    return NULL;
}

/* The state goes back to its snapshot, byte for byte: nothing of the call
 * (globals, required modules, upvalues, garbage) survives it. A state
 * that made an object with a finalizer is closed instead (closing runs
 * the finalizer), as is one without an arena. */
static void fn_release(void *vfn, void *inst)
{
    lua_fn *fn = vfn;
    lua_State *L = inst;
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    if (c->arena && !c->finalizers) {
        wf_lua_sched_free(c->sched);    /* C memory; its coroutines are the state's */
        wf_lua_arena_restore(c->arena);
        if (wf_slots_put(&fn->idle, L)) return;
    }
    wf_lua_state_free(L);
}

static void fn_destroy(void *vfn)
{
    lua_fn_free(vfn);
}

static void fn_signature(void *vfn, wf_fn_sig *out)
{
    (void)vfn;
    out->wit = NULL;    /* untyped: Lua takes any value */
    out->core = NULL;
}

/* The error a failed pcall left on the stack, as a wf_error. */
static wf_error *raised(lua_State *L, const char *id)
{
    if (wf_lua_ctx_of(L)->interrupted)
        return wf_error_new(WF_ERR_TIMEOUT, "%s: stopped: the deadline passed or the call was cancelled", id);
    wf_error *e = wf_lua_error_to_wf(L, -1);    /* error(err_value) keeps what it has */
    if (e) return e;
    const char *s = lua_tostring(L, -1);
    if (!s) s = luaL_typename(L, -1);
    if (strstr(s, "not enough memory"))
        return wf_error_new(WF_ERR_LIMIT, "%s: lua: out of memory (the state's limit)", id);
    return wf_error_new(WF_ERR_TRAP, "lua: %s", s);
}

/* Two seeds for a call's math.random from a splitmix64 stream of this
 * thread, itself seeded once from the kernel (the clock if that fails): a
 * getrandom per call would put a system call (about 1 us here) on every
 * Lua call's path. */
static void next_seeds(uint64_t seed[2])
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof state, GRND_NONBLOCK) != (ssize_t)sizeof state) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            state = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)(uintptr_t)&state;
        }
        seeded = true;
    }
    for (int i = 0; i < 2; i++) {
        uint64_t z = (state += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        seed[i] = z ^ (z >> 31);
    }
}

/* math.random draws a fresh sequence in every call, as upstream's does:
 * the generator's state is part of the snapshot a slot goes back to after
 * each call, so without a new seed every call would draw the same numbers
 * (two requests making `os.time() .. math.random(1000, 9999)` ids got the
 * same one). */
static void reseed_random(lua_State *L)
{
    uint64_t seed[2];
    next_seeds(seed);
    if (lua_getglobal(L, "math") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    if (lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) {
        lua_pushinteger(L, (lua_Integer)seed[0]);
        lua_pushinteger(L, (lua_Integer)seed[1]);
        if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int drain(lua_State *L)
{
    wf_lua_sched_drain(L);
    return 0;
}

/* The spawned coroutines after the function returned and its response
 * went out: each runs until it ends, parked (no worker held) while all of
 * them wait; bounded by the call's deadline and stop (a server's drain).
 * Those whose waits nothing could end stop with the call. */
static int run_on(lua_State *L)
{
    while (wf_lua_sched_any(L)) {
        if (wf_lua_sched_round(L)) continue;
        wf_lua_wakes w = {0};
        wf_lua_sched_wakes(L, &w);
        int r = w.runnable ? WF_PARK_WOKEN : wf_lua_park_wakes(L, &w);
        wf_vec_free(&w.srcs);
        if (r == -1) break;
        if (r == WF_PARK_STOPPED || wf_lua_should_stop(L))
            return luaL_error(L, "the call was stopped while its spawned coroutines ran on after the response");
    }
    return 0;
}

/* The method, as upstream finds it: the chunk's return value (at the top)
 * when it is a function, or its field `method` when it is a table; else
 * the global `method`. Replaces the top with the function; false when there
 * is none. */
static bool find_method(lua_State *L, const char *method)
{
    if (lua_isfunction(L, -1)) return true;
    if (lua_istable(L, -1)) {
        if (lua_getfield(L, -1, method) == LUA_TFUNCTION) {
            lua_remove(L, -2);
            return true;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getglobal(L, method) == LUA_TFUNCTION) return true;
    lua_pop(L, 1);
    return false;
}

static wf_error *fn_call(void *vfn, void *inst, const wf_val *args, size_t nargs,
                         wf_val *result, const wf_fn_ctx *ctx)
{
    lua_fn *fn = vfn;
    lua_State *L = inst;
    wf_error *e = NULL;
    wf_lua_state_watch(L, ctx);
    /* The compiled source (from prepare) is at index 1: run it. */
    if (lua_gettop(L) != 1 || !lua_isfunction(L, 1)) {
        e = wf_error_new(WF_ERR_INTERNAL, "%s: Lua state used twice", fn->id);
        goto done;
    }
    reseed_random(L);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        e = raised(L, fn->id);
        goto done;
    }
    if (!find_method(L, fn->method)) {
        e = wf_error_new(WF_ERR_NOT_FOUND, "%s: method `%s` is not a function the source returns "
                         "(`return %s` or `return { %s = %s }`) or defines as a global",
                         fn->id, fn->method, fn->method, fn->method, fn->method);
        goto done;
    }
    if (!lua_checkstack(L, (int)WF_MIN(nargs, (size_t)1000000) + 8)) {
        e = wf_error_new(WF_ERR_LIMIT, "%s: too many arguments", fn->id);
        goto done;
    }
    for (size_t i = 0; i < nargs; i++) wf_lua_push_val(L, &args[i], NULL);
    if (lua_pcall(L, (int)nargs, 2, 0) != LUA_OK) {
        e = raised(L, fn->id);
        goto done;
    }
    /* The spawned coroutines run on until each ends or waits (an error in
     * one fails the call); those still waiting stop with the call. */
    if (wf_lua_sched_any(L)) {
        lua_pushcfunction(L, drain);
        if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
            e = raised(L, fn->id);
            goto done;
        }
    }
    /* Except under an HTTP handler that answered itself, as upstream's go
     * on in the background (its http-async-task example answers 202 at
     * once and works on): the response goes out now, and they run to
     * their end; an error in one is the call's, logged after answering. */
    const wf_lua_http_host *host = ctx ? (const wf_lua_http_host *)ctx->host : NULL;
    if (wf_lua_sched_any(L) && host && host->wrote && host->ops->finish) {
        host->ops->finish(host->x);
        lua_pushcfunction(L, run_on);
        if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
            e = raised(L, fn->id);
            goto done;
        }
    }
    wf_lua_state_watch(L, NULL);
    /* result, err: a non-nil second value is an error. */
    if (!lua_isnil(L, -1)) {
        e = wf_lua_error_to_wf(L, -1);
        if (!e) {
            const char *s = luaL_tolstring(L, -1, NULL);
            e = wf_error_new(WF_ERR_INTERNAL, "%s", s);
        }
        goto done;
    }
    e = wf_lua_to_val_untyped(L, -2, "result", result);
    if (e) e = wf_error_wrap(e, "%s", fn->id);
done:
    wf_lua_state_watch(L, NULL);
    lua_settop(L, 0);
    return e;
}

const wf_fn_kind wf_lua_fn_kind = {
    .name = "function.lua",
    .check = NULL,
    .prepare = fn_prepare,
    .call = fn_call,
    .release = fn_release,
    .signature = fn_signature,
    .destroy = fn_destroy,
};

wf_error *wf_lua_add(wf_runtime *rt, const char *id, const wf_lua_fn_config *cfg)
{
    if (!cfg->source || !cfg->method)
        return wf_error_new(WF_ERR_INVALID, "%s: a Lua function needs `source` and `method`", id);
    lua_fn *fn = wf_xcalloc(1, sizeof *fn);
    wf_slots_init(&fn->idle);
    fn->id = wf_xstrdup(id);
    fn->source = wf_xstrdup(cfg->source);
    fn->method = wf_xstrdup(cfg->method);
    fn->env.rt = rt;
    fn->env.id = fn->id;
    fn->env.registry = cfg->registry;
    /* Without `modules` no built-in may be required (as upstream). */
    wf_error *e = NULL;
    for (size_t i = 0; i < cfg->nmodules && !e; i++) {
        uint32_t bit = wf_lua_module_bit(cfg->modules[i]);
        /* An upstream module wasmfn lacks loads (the registry warned);
         * require() of it fails (state.c). */
        if (!bit && !wf_registry_lua_module_upstream(cfg->modules[i])) {
            char *names = wf_lua_module_names();
            e = wf_error_new(WF_ERR_INVALID, "unknown module `%s` in `modules` (did you mean `%s`? built-ins: %s)",
                             cfg->modules[i], wf_lua_module_closest(cfg->modules[i]), names);
            free(names);
        }
        fn->env.modules |= bit;
    }
    fn->libs = wf_xcalloc(cfg->nimports ? cfg->nimports : 1, sizeof *fn->libs);
    for (size_t i = 0; i < cfg->nimports; i++) {
        fn->libs[i].alias = wf_xstrdup(cfg->imports[i].alias);
        fn->libs[i].id = wf_xstrdup(cfg->imports[i].id);
        fn->libs[i].source = cfg->imports[i].source ? wf_xstrdup(cfg->imports[i].source) : NULL;
        fn->env.nlibs = i + 1;
    }
    fn->env.libs = fn->libs;
    /* Upstream's type annotations erased once here, in our copies, so no
     * state pays for it again and a malformed one is a load error. */
    if (!e) e = wf_lua_typed_erase(fn->source, strlen(fn->source), id);
    for (size_t i = 0; i < fn->env.nlibs && !e; i++) {
        if (!fn->libs[i].source) continue;
        e = wf_lua_typed_erase(fn->libs[i].source, strlen(fn->libs[i].source), fn->libs[i].id);
        if (e) e = wf_error_wrap(e, "import `%s`", fn->libs[i].alias);
    }
    /* Compile everything once now, so a syntax error is a load error. */
    if (!e) {
        lua_State *L;
        e = wf_lua_state_new(&fn->env, &L);
        if (!e) {
            e = load_chunk(L, id, fn->source);
            for (size_t i = 0; i < fn->env.nlibs && !e; i++) {
                if (!fn->libs[i].source) continue;
                e = load_chunk(L, fn->libs[i].id, fn->libs[i].source);
                if (e) e = wf_error_wrap(e, "import `%s`", fn->libs[i].alias);
            }
            wf_lua_state_free(L);
        }
    }
    if (!e) {
        wf_fn_options opts = {.pool = cfg->pool, .max_execution_ms = cfg->max_execution_ms};
        e = wf_runtime_add(rt, id, &wf_lua_fn_kind, fn, &opts);
        if (!e) return NULL;
    }
    lua_fn_free(fn);
    return e;
}
