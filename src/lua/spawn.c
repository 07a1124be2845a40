/*
 * spawn.c - coroutine.spawn, as upstream's engine spec has it: a function
 * run as a managed coroutine beside the code that spawned it, with no
 * resume and yield to write; and the scheduler of a state's coroutines.
 *
 * A state runs one flow at a time. The function's own flow (the "main")
 * runs until it waits: on a channel (send, receive, select), time.sleep or
 * a future. While it waits, the spawned coroutines run, each until it ends
 * or itself waits: a wait inside a spawned coroutine yields to the
 * scheduler, saying what it waits for (the yield protocol below), and is
 * retried when the coroutine is resumed. When a round of the coroutines
 * moves nothing and the main still cannot go on, the call parks (no worker
 * held) until a channel's source, a coroutine's sleep or the main's own
 * wait may end; when nothing at all could end the wait, it is an error.
 * An error in a spawned coroutine fails the call with that error. When the
 * function returns, its coroutines run on until each ends or waits; those
 * still waiting then stop with the call.
 *
 * The yield protocol: a spawned coroutine that must wait yields
 *   WF_LUA_WAITING (a light userdata: a yield of the scheduler's, not the
 *   code's own coroutine.yield), deadline (integer, CLOCK_MONOTONIC ns;
 *   0 = none), nrecv (integer),
 *   then channels: the first nrecv it receives on (counted as waiting
 *   receivers while it waits, so an unbuffered send to them may go on),
 *   then channels it only watches (their sources may wake it).
 */
#include "lua/lua_int.h"

/* The spawned coroutines of a state: in the context, each anchored in the
 * registry. nres > 0: it waits, the yielded values on its stack. */
typedef struct spawned {
    lua_State *T;
    int ref;
    int nres;
} spawned;

struct wf_lua_sched {
    WF_VEC(spawned) list;
};

static wf_lua_sched *sched_of(lua_State *L, bool make)
{
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    if (!c->sched && make) c->sched = wf_xcalloc(1, sizeof *c->sched);
    return c->sched;
}

void wf_lua_sched_free(wf_lua_sched *s)
{
    if (!s) return;
    wf_vec_free(&s->list);
    free(s);
}

bool wf_lua_in_spawned(lua_State *L)
{
    wf_lua_sched *s = sched_of(L, false);
    if (!s || !lua_isyieldable(L)) return false;
    for (size_t i = 0; i < s->list.len; i++)
        if (s->list.data[i].T == L) return true;
    return false;
}

bool wf_lua_sched_any(lua_State *L)
{
    wf_lua_sched *s = sched_of(L, false);
    return s && s->list.len;
}

void wf_lua_sched_moved(lua_State *L)
{
    wf_lua_ctx_of(L)->sched_epoch++;
}

/* coroutine.spawn(fn) -> the new coroutine (a thread). */
static int co_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    wf_lua_sched *s = sched_of(L, true);
    if (s->list.len >= 10000) return luaL_error(L, "coroutine.spawn: more than 10000 coroutines at once");
    lua_State *T = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, T, 1);
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    wf_vec_push(&s->list, ((spawned){.T = T, .ref = ref}));
    wf_lua_sched_moved(L);
    return 1;
}

void wf_lua_open_spawn(lua_State *L)
{
    lua_getglobal(L, "coroutine");
    if (lua_istable(L, -1)) {
        lua_pushcfunction(L, co_spawn);
        lua_setfield(L, -2, "spawn");
    }
    lua_pop(L, 1);
}

static void remove_at(wf_lua_sched *s, size_t i)
{
    memmove(&s->list.data[i], &s->list.data[i + 1], (s->list.len - i - 1) * sizeof *s->list.data);
    s->list.len--;
}

/* Did the coroutine yield by the protocol (it waits)? Its first yielded
 * value's stack index in *base. */
static bool waiting(const spawned *sp, int *base)
{
    lua_State *T = sp->T;
    *base = lua_gettop(T) - sp->nres + 1;
    return sp->nres >= 3 && lua_touserdata(T, *base) == WF_LUA_WAITING;
}

/* The receive channels a waiting coroutine counted itself on: no longer. */
static void unmark(spawned *sp)
{
    int base;
    if (!waiting(sp, &base)) return;
    lua_State *T = sp->T;
    lua_Integer nrecv = lua_tointeger(T, base + 2);
    for (lua_Integer k = 0; k < nrecv && base + 3 + k <= lua_gettop(T); k++)
        wf_lua_chan_waiting(T, base + 3 + (int)k, -1);
}

bool wf_lua_sched_round(lua_State *L)
{
    wf_lua_sched *s = sched_of(L, false);
    if (!s || !s->list.len) return false;
    wf_lua_ctx *c = wf_lua_ctx_of(L);
    uint64_t epoch = c->sched_epoch;
    bool moved = false;
    /* those spawned during the round run in the next one */
    for (size_t i = 0, n = s->list.len; i < n && i < s->list.len; i++) {
        spawned *sp = &s->list.data[i];
        lua_State *T = sp->T;
        int base;
        bool waited = waiting(sp, &base);
        if (sp->nres) {
            unmark(sp);
            lua_pop(T, sp->nres);
            sp->nres = 0;
        }
        int nres = 0;
        int rc = lua_resume(T, L, 0, &nres);
        sp = &s->list.data[i];   /* the list may have grown */
        if (rc == LUA_YIELD) {
            sp->nres = nres;
            /* waiting again: no move; a first wait is one (it may be what
             * another flow's unbuffered send waits for) */
            if (!waited || !waiting(sp, &base)) moved = true;
            continue;
        }
        if (rc != LUA_OK) {
            lua_xmove(T, L, 1);   /* the error, raised in the waiting flow */
            luaL_unref(L, LUA_REGISTRYINDEX, sp->ref);
            remove_at(s, i);
            lua_error(L);
        }
        luaL_unref(L, LUA_REGISTRYINDEX, sp->ref);
        remove_at(s, i);
        i--, n--;
        moved = true;
    }
    return moved || c->sched_epoch != epoch;
}

void wf_lua_sched_drain(lua_State *L)
{
    while (wf_lua_sched_round(L)) {}
}

void wf_lua_sched_wakes(lua_State *L, wf_lua_wakes *w)
{
    wf_lua_sched *s = sched_of(L, false);
    if (!s) return;
    for (size_t i = 0; i < s->list.len; i++) {
        spawned *sp = &s->list.data[i];
        int base;
        if (!waiting(sp, &base)) {
            w->runnable = true;   /* new, or yielded by its own code: it runs again */
            continue;
        }
        lua_State *T = sp->T;
        uint64_t at = (uint64_t)lua_tointeger(T, base + 1);
        if (at && (!w->until || at < w->until)) w->until = at;
        for (int k = base + 3; k <= lua_gettop(T); k++) wf_lua_chan_wake(T, k, w);
    }
}

const char wf_lua_waiting_tag = 0;

int wf_lua_yield_wait(lua_State *L, uint64_t deadline, int nrecv, const int *ch_idx, int n,
                      lua_KFunction k, lua_KContext ctx)
{
    luaL_checkstack(L, n + 4, "wait");
    int idx[64];
    for (int i = 0; i < n && i < 64; i++) idx[i] = lua_absindex(L, ch_idx[i]);
    lua_pushlightuserdata(L, WF_LUA_WAITING);
    lua_pushinteger(L, (lua_Integer)deadline);
    lua_pushinteger(L, nrecv);
    for (int i = 0; i < n && i < 64; i++) {
        lua_pushvalue(L, idx[i]);
        if (i < nrecv) wf_lua_chan_waiting(L, -1, +1);
    }
    return lua_yieldk(L, 3 + WF_MIN(n, 64), ctx, k);
}
