/*
 * state.c - sandboxed Lua 5.4 states (SPEC §8).
 *
 * Each call of a Lua function gets a pristine state from here (fn.c: a
 * state in an arena, reset to its snapshot after each call), so nothing
 * leaks between calls. What the code can reach:
 *   - base functions minus dofile/loadfile; `load` only takes text chunks
 *     (a binary chunk can break the VM's invariants); print writes to
 *     stderr (stdout belongs to the CLI's JSON result);
 *   - string (without string.dump), table, math, utf8, coroutine (with
 *     upstream's coroutine.spawn, spawn.c), and os reduced to
 *     clock/date/time/difftime; no io, debug or package;
 *   - `require` resolves only: the standard libraries above by name, the
 *     built-ins listed in `modules` (none without it, as upstream), and the
 *     aliases of `imports` (library.lua sources, run once per state).
 * Memory is capped per state by the allocator; a count hook enforces the
 * call's deadline and cancellation.
 */
#include <stdio.h>
#include <time.h>

#include "lua/lua_int.h"
#include "registry/registry.h"
#include "wasm/code.h"

#define LOADED_KEY "wasmfn.loaded"

/* The built-in modules `require` may return when `modules` lists them.
 * pure: its table depends on nothing of a call (wf_lua_state_preload). */
static const struct { const char *name; uint32_t bit; lua_CFunction open; bool pure; } builtins[] = {
    {"funcs", WF_LUA_MOD_FUNCS, wf_lua_open_funcs, false},
    {"json", WF_LUA_MOD_JSON, wf_lua_open_json, true},
    {"time", WF_LUA_MOD_TIME, wf_lua_open_time, false},
    {"env", WF_LUA_MOD_ENV, wf_lua_open_env, false},
    {"logger", WF_LUA_MOD_LOGGER, wf_lua_open_logger, false},
    {"ctx", WF_LUA_MOD_CTX, wf_lua_open_ctx, false},
    {"http", WF_LUA_MOD_HTTP, wf_lua_open_http, true},
    {"http_client", WF_LUA_MOD_HTTP_CLIENT, wf_lua_open_http_client, false},
    {"metrics", WF_LUA_MOD_METRICS, wf_lua_open_metrics, false},
    {"registry", WF_LUA_MOD_REGISTRY, wf_lua_open_registry, false},
    {"system", WF_LUA_MOD_SYSTEM, wf_lua_open_system, false},
};

uint32_t wf_lua_module_bit(const char *name)
{
    for (size_t i = 0; i < WF_COUNT(builtins); i++)
        if (strcmp(builtins[i].name, name) == 0) return builtins[i].bit;
    return 0;
}

char *wf_lua_module_names(void)
{
    char *s = wf_xstrdup("");
    for (size_t i = 0; i < WF_COUNT(builtins); i++) {
        char *t = wf_xasprintf("%s%s%s", s, i ? ", " : "", builtins[i].name);
        free(s);
        s = t;
    }
    return s;
}

const char *wf_lua_module_closest(const char *name)
{
    const char *names[WF_COUNT(builtins)];
    for (size_t i = 0; i < WF_COUNT(builtins); i++) names[i] = builtins[i].name;
    return wf_registry_lua_module_closest(name, names, WF_COUNT(builtins));
}

wf_lua_ctx *wf_lua_ctx_of(lua_State *L)
{
    return *(wf_lua_ctx **)lua_getextraspace(L);
}

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    wf_lua_ctx *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->mem_used -= old;
        return NULL;
    }
    if (nsize > old && c->mem_used - old + nsize > c->mem_limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) c->mem_used = c->mem_used - old + nsize;
    return p;
}

/* ---- deadline and interrupt ------------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool wf_lua_should_stop(lua_State *L)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    if (!c->call) return false;
    /* The runtime's timer raises the flag at the deadline (and its message
     * then says which limit passed); the clock is only the fallback for a
     * caller that gives no flag. */
    if (c->call->interrupt) return wf_interrupt_stops(c->call->interrupt);
    return c->call->deadline_ns && now_ns() >= c->call->deadline_ns;
}

uint32_t wf_lua_ms_left(lua_State *L)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    if (!c->call || !c->call->deadline_ns) return 0;
    uint64_t now = now_ns();
    if (now >= c->call->deadline_ns) return 1;
    uint64_t ms = (c->call->deadline_ns - now + 999999) / 1000000;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)WF_MAX(ms, 1);
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    wf_lua_ctx *cx = wf_lua_ctx_of(L);
    /* A yield request (an event loop handing a long call to its workers):
     * the fiber is suspended right here and goes on elsewhere. */
    if (cx->call && cx->call->interrupt &&
        __atomic_load_n(cx->call->interrupt, __ATOMIC_RELAXED) == WF_INTERRUPT_YIELD)
        wf_exec_interrupt_hit(cx->call->interrupt);
    if (!wf_lua_should_stop(L)) return;
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    if (!c->interrupted) {
        c->interrupted = true;
        /* From now on fire at every instruction, so a pcall loop cannot
         * swallow the stop: the code between pcalls raises too. */
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    }
    luaL_error(L, "the call was stopped (deadline or cancel)");
}

void wf_lua_state_watch(lua_State *L, const wf_fn_ctx *call)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    c->call = call;
    c->interrupted = false;
    if (call) lua_sethook(L, hook, LUA_MASKCOUNT, 1000);
    else lua_sethook(L, NULL, 0, 0);
}

/* ---- safe base functions ------------------------------------------------------ */

static int safe_print(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

/* setmetatable(t, mt), noting a finalizer (ctx->finalizers): Lua marks an
 * object for finalization only when its metatable has __gc as it is set. */
static int watched_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) wf_lua_ctx_of(L)->finalizers = true;
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t". */
static int safe_load(lua_State *L)
{
    int n = lua_gettop(L);
    if (n >= 3 && !lua_isnil(L, 3)) {
        const char *mode = luaL_checkstring(L, 3);
        if (strchr(mode, 'b') && !strchr(mode, 't')) {
            luaL_pushfail(L);
            lua_pushliteral(L, "binary chunks are not allowed");
            return 2;
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));   /* the original load */
    lua_pushvalue(L, 1);
    if (n >= 2) lua_pushvalue(L, 2); else lua_pushnil(L);
    lua_pushliteral(L, "t");
    int nargs = 3;
    if (n >= 4) {
        lua_pushvalue(L, 4);
        nargs = 4;
    }
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L) - n;
}

/* ---- require ------------------------------------------------------------------ */

static const char *const stdlibs[] = {"string", "table", "math", "utf8", "coroutine", "os"};

static int allowed_list(lua_State *L)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    bool any = false;
    for (size_t i = 0; i < WF_COUNT(builtins); i++)
        if (c->env->modules & builtins[i].bit) {
            if (any) luaL_addstring(&b, ", ");
            luaL_addstring(&b, builtins[i].name);
            any = true;
        }
    for (size_t i = 0; i < c->env->nlibs; i++) {
        if (any) luaL_addstring(&b, ", ");
        luaL_addstring(&b, c->env->libs[i].alias);
        any = true;
    }
    if (!any) luaL_addstring(&b, "none");
    luaL_pushresult(&b);
    return 1;
}

static int safe_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY);   /* 2 */
    lua_getfield(L, 2, name);
    if (lua_toboolean(L, -1)) {
        if (lua_islightuserdata(L, -1) && lua_touserdata(L, -1) == (void *)&stdlibs)
            return luaL_error(L, "module '%s': cyclic require", name);
        return 1;
    }
    lua_pop(L, 1);
    for (size_t i = 0; i < WF_COUNT(stdlibs); i++)
        if (strcmp(stdlibs[i], name) == 0) {
            lua_getglobal(L, name);
            return 1;
        }
    for (size_t i = 0; i < WF_COUNT(builtins); i++) {
        if (strcmp(builtins[i].name, name) != 0) continue;
        if (!(c->env->modules & builtins[i].bit)) {
            allowed_list(L);
            return luaL_error(L, "module '%s' is not allowed: add it to the entry's `modules` "
                              "(allowed: %s)", name, lua_tostring(L, -1));
        }
        builtins[i].open(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, name);
        return 1;
    }
    for (size_t i = 0; i < c->env->nlibs; i++) {
        const wf_lua_lib *lib = &c->env->libs[i];
        if (strcmp(lib->alias, name) != 0) continue;
        if (!lib->source)
            return luaL_error(L, "module '%s' (imports %s) is not available: its namespace comes from a "
                              "dependency (ns.dependency), and wasmfn does not fetch dependencies", name, lib->id);
        char chunk[256];
        snprintf(chunk, sizeof chunk, "=%s", lib->id);
        if (luaL_loadbufferx(L, lib->source, strlen(lib->source), chunk, "t") != LUA_OK)
            return lua_error(L);
        lua_pushlightuserdata(L, (void *)&stdlibs);   /* "loading" marker */
        lua_setfield(L, 2, name);
        lua_pushstring(L, name);
        lua_call(L, 1, 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, name);
        return 1;
    }
    if (wf_registry_lua_module_upstream(name)) {
        char *names = wf_lua_module_names();
        lua_pushstring(L, names);
        free(names);
        return luaL_error(L, "module '%s' is not provided by wasmfn (an upstream Wippy module; "
                          "wasmfn provides: %s)", name, lua_tostring(L, -1));
    }
    allowed_list(L);
    return luaL_error(L, "module '%s' not found (available: %s)", name, lua_tostring(L, -1));
}

/* ---- tables -------------------------------------------------------------------- */

void wf_lua_merge_into(lua_State *L, int dst, int src, const char *who)
{
    dst = lua_absindex(L, dst);
    src = lua_absindex(L, src);
    if (!lua_istable(L, src)) return;
    lua_pushnil(L);
    while (lua_next(L, src)) {
        if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "%s: keys must be strings", who);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, dst);
    }
}

/* ---- building a state ------------------------------------------------------------ */

static void drop_fields(lua_State *L, const char *lib, const char *const *names)
{
    lua_getglobal(L, lib);
    for (; *names; names++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *names);
    }
    lua_pop(L, 1);
}

static int setup(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
        {LUA_OSLIBNAME, luaopen_os},
    };
    for (size_t i = 0; i < WF_COUNT(libs); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    /* requiref leaves them in package.loaded-less _LOADED; we use our own. */
    static const char *const base_drop[] = {"dofile", "loadfile", NULL};
    lua_pushglobaltable(L);
    for (const char *const *n = base_drop; *n; n++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *n);
    }
    lua_pop(L, 1);
    static const char *const str_drop[] = {"dump", NULL};
    drop_fields(L, LUA_STRLIBNAME, str_drop);
    static const char *const os_drop[] = {"execute", "exit", "getenv", "remove", "rename",
                                          "tmpname", "setlocale", NULL};
    drop_fields(L, LUA_OSLIBNAME, os_drop);

    lua_getglobal(L, "load");
    lua_pushcclosure(L, safe_load, 1);
    lua_setglobal(L, "load");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, watched_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_pushcfunction(L, safe_print);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, safe_require);
    lua_setglobal(L, "require");
    wf_lua_open_errors(L);     /* upstream's `errors` and `channel` globals */
    wf_lua_open_channel(L);
    wf_lua_open_spawn(L);      /* and coroutine.spawn */
    wf_lua_open_process(L);    /* `process`: lookups find none, the rest refuses */

    /* Our own loaded table: the standard _LOADED is not reachable from Lua
     * (no package library), this one only through require. */
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
    return 0;
}

static wf_error *state_new(const wf_lua_env *env, wf_lua_arena *arena, lua_State **out)
{
    *out = NULL;
    wf_lua_ctx *c = arena ? wf_lua_arena_ctx(arena) : wf_xcalloc(1, sizeof *c);
    c->env = env;
    c->arena = arena;
    c->mem_limit = env->mem_limit ? env->mem_limit : WF_LUA_MEM_DEFAULT;
    lua_State *L = arena ? lua_newstate(wf_lua_arena_alloc, arena) : lua_newstate(limited_alloc, c);
    if (!L) {
        if (arena) wf_lua_arena_free(arena);
        else free(c);
        return wf_error_new(WF_ERR_LIMIT, "cannot create a Lua state: out of memory");
    }
    *(wf_lua_ctx **)lua_getextraspace(L) = c;
    lua_pushcfunction(L, setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        wf_error *e = wf_error_new(WF_ERR_INTERNAL, "cannot set up a Lua state: %s",
                                   lua_tostring(L, -1));
        wf_lua_state_free(L);
        return e;
    }
    *out = L;
    return NULL;
}

wf_error *wf_lua_state_new(const wf_lua_env *env, lua_State **out)
{
    return state_new(env, NULL, out);
}

wf_error *wf_lua_state_new_in(const wf_lua_env *env, wf_lua_arena *a, lua_State **out)
{
    return state_new(env, a, out);
}

void wf_lua_state_preload(lua_State *L)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
    for (size_t i = 0; i < WF_COUNT(builtins); i++) {
        if (!builtins[i].pure || !(c->env->modules & builtins[i].bit)) continue;
        lua_pushcfunction(L, builtins[i].open);
        if (lua_pcall(L, 0, 1, 0) == LUA_OK) lua_setfield(L, -2, builtins[i].name);
        else lua_pop(L, 1);   /* out of memory: require opens it then */
    }
    lua_pop(L, 1);
}

void wf_lua_state_free(lua_State *L)
{
    if (!L) return;
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    lua_close(L);
    /* c may live in the arena: read it before the arena goes. */
    wf_lua_arena *arena = c->arena;
    wf_lua_sched_free(c->sched);
    if (arena) wf_lua_arena_free(arena);
    else free(c);
}
