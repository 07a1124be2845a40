/*
 * chan.c - upstream Wippy's `channel` global (engine spec): channels made
 * with channel.new([size]) (0 = unbuffered), ch:send(v), ch:receive() ->
 * value, ok, ch:close(), and channel.select{ch:case_receive(),
 * ch:case_send(v), ..., default = true} -> {channel, value, ok, default}.
 *
 * A channel lives in one Lua state, whose code runs one flow at a time, so
 * its values stay Lua values (the channel's uservalue table, a ring from
 * head to tail) and are never touched by another thread. What fills a
 * channel from outside is a source (lua_int.h): a future's outcome
 * (funcs.c) or a timer (time.c). A source is pumped on the Lua thread
 * whenever the channel is looked at, and it tells when it may next have
 * something: a time (timers) or a wait node its producer wakes (futures).
 *
 * Waiting: when no case can go on, a spawned coroutine yields to the
 * scheduler (spawn.c) and tries again when resumed; the function's own flow
 * lets the spawned coroutines run, and when they move nothing it parks
 * (wasm/wait.h) until the earliest timer of the channels waited on (its own
 * and the coroutines'), a watched future's end, or the call's own stop; a
 * parked call holds no worker thread. A wait that nothing could ever end
 * (no source behind any channel and no coroutine to act: e.g. an unbuffered
 * send with nobody to receive) is an error, not a hang. An unbuffered send
 * goes on when a flow waits to receive on the channel: the value is handed
 * to that receiver.
 */
#include "lua/lua_int.h"

#define CHAN_MT "wasmfn.channel"
#define CASE_MT "wasmfn.case"

typedef struct lchan {
    lua_Integer cap;        /* buffer size; 0 = unbuffered */
    lua_Integer head, tail; /* buffered values: uservalue 1 [head, tail) */
    bool closed;
    lua_Integer receivers;  /* flows waiting to receive (an unbuffered send may go on) */
    const wf_lua_source_ops *src;   /* uservalue 2 is the source object */
} lchan;

typedef struct lcase {
    bool send;              /* uservalue 1: the channel, 2: the value to send */
} lcase;

static lchan *check_chan(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, CHAN_MT);
}

lchan *wf_lua_to_chan(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, CHAN_MT);
}

/* ---- the buffer --------------------------------------------------------------- */

static lua_Integer count(const lchan *c)
{
    return c->tail - c->head;
}

/* Append the value at the top (popped). */
static void put(lua_State *L, int ch_idx, lchan *c)
{
    ch_idx = lua_absindex(L, ch_idx);
    lua_getiuservalue(L, ch_idx, 1);
    lua_insert(L, -2);
    lua_rawseti(L, -2, c->tail++);
    lua_pop(L, 1);
}

/* Push the oldest value, removing it. */
static void take(lua_State *L, int ch_idx, lchan *c)
{
    ch_idx = lua_absindex(L, ch_idx);
    lua_getiuservalue(L, ch_idx, 1);
    lua_rawgeti(L, -1, c->head);
    lua_pushnil(L);
    lua_rawseti(L, -3, c->head++);
    lua_remove(L, -2);
}

void wf_lua_chan_put(lua_State *L, int ch_idx)
{
    put(L, ch_idx, check_chan(L, ch_idx));
}

void wf_lua_chan_close(lua_State *L, int ch_idx)
{
    check_chan(L, ch_idx)->closed = true;
}

bool wf_lua_chan_has_room(lua_State *L, int ch_idx)
{
    lchan *c = check_chan(L, ch_idx);
    return !c->closed && count(c) < (c->cap ? c->cap : 1);
}

static void pump(lua_State *L, int ch_idx, lchan *c)
{
    if (!c->src) return;
    ch_idx = lua_absindex(L, ch_idx);
    lua_getiuservalue(L, ch_idx, 2);
    c->src->pump(L, lua_gettop(L), ch_idx);
    lua_pop(L, 1);
}

/* ---- making channels ------------------------------------------------------------ */

void wf_lua_chan_new(lua_State *L, lua_Integer cap, const wf_lua_source_ops *src, int src_idx)
{
    if (src_idx) src_idx = lua_absindex(L, src_idx);
    lchan *c = lua_newuserdatauv(L, sizeof *c, 2);
    memset(c, 0, sizeof *c);
    c->cap = cap;
    c->head = c->tail = 1;
    c->src = src;
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    if (src_idx) {
        lua_pushvalue(L, src_idx);
        lua_setiuservalue(L, -2, 2);
    }
    luaL_setmetatable(L, CHAN_MT);
}

static int chan_new(lua_State *L)
{
    lua_Integer cap = luaL_optinteger(L, 1, 0);
    if (cap < 0 || cap > 1000000)
        return luaL_error(L, "channel.new: size must be between 0 and 1000000, got %d", (int)cap);
    wf_lua_chan_new(L, cap, NULL, 0);
    return 1;
}

/* ---- waiting ---------------------------------------------------------------------- */

/* One operation of a select (or a lone send/receive). */
typedef struct op {
    int ch_idx;             /* stack index of the channel */
    int val_idx;            /* send: stack index of the value */
    bool send;
} op;

/* Can op go on now? Sending on a closed channel is an error. */
static bool ready(lua_State *L, const op *o)
{
    lchan *c = check_chan(L, o->ch_idx);
    pump(L, o->ch_idx, c);
    if (!o->send) return count(c) > 0 || c->closed;
    if (c->closed) luaL_error(L, "send on a closed channel");
    return count(c) < c->cap || count(c) < c->receivers;
}

void wf_lua_chan_waiting(lua_State *L, int ch_idx, int delta)
{
    check_chan(L, ch_idx)->receivers += delta;
}

void wf_lua_chan_wake(lua_State *L, int ch_idx, wf_lua_wakes *w)
{
    lchan *c = check_chan(L, ch_idx);
    if (!c->src) return;
    lua_getiuservalue(L, ch_idx, 2);
    void *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    uint64_t at = c->src->next_ns ? c->src->next_ns(s) : 0;
    if (at && (!w->until || at < w->until)) w->until = at;
    if (c->src->watch) wf_vec_push(&w->srcs, ((struct wf_lua_wake){c->src, s}));
}

/* Do op (ready): a send appends its value; a receive pushes value, ok. */
static void perform(lua_State *L, const op *o)
{
    lchan *c = check_chan(L, o->ch_idx);
    wf_lua_sched_moved(L);
    if (o->send) {
        lua_pushvalue(L, o->val_idx);
        put(L, o->ch_idx, c);
        return;
    }
    if (count(c) > 0) {
        take(L, o->ch_idx, c);
        lua_pushboolean(L, 1);
    } else {
        lua_pushnil(L);
        lua_pushboolean(L, 0);
    }
}

int wf_lua_park_wakes(lua_State *L, wf_lua_wakes *w)
{
    size_t n = w->srcs.len;
    wf_wait_node *nodes = wf_xcalloc(n ? n : 1, sizeof *nodes);
    bool *on = wf_xcalloc(n ? n : 1, sizeof *on);
    bool can_end = w->until != 0;
    for (size_t i = 0; i < n; i++) {
        nodes[i].waker = wf_waker_current();
        on[i] = w->srcs.data[i].ops->watch(w->srcs.data[i].src, &nodes[i], true);
        can_end |= on[i];
    }
    int r = -1;
    if (can_end) {
        /* Bound the park by the call's own deadline, so an inline call
         * (parked on its thread) still stops in time. */
        uint64_t until = w->until;
        uint32_t left = wf_lua_ms_left(L);
        if (left) {
            uint64_t dl = wf_now_ns() + (uint64_t)left * 1000000u;
            if (!until || dl < until) until = dl;
        }
        r = wf_park(until);
    }
    for (size_t i = 0; i < n; i++)
        if (on[i]) w->srcs.data[i].ops->watch(w->srcs.data[i].src, &nodes[i], false);
    free(nodes);
    free(on);
    return r;
}

static int chan_send(lua_State *L);
static int chan_receive(lua_State *L);
static int chan_select(lua_State *L);

/* A spawned coroutine resumed after its wait: the operation again, from its
 * arguments (ctx: the stack top it had, and which one). */
static int again(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, (int)(ctx >> 2));
    switch (ctx & 3) {
    case 0: return chan_send(L);
    case 1: return chan_receive(L);
    default: return chan_select(L);
    }
}

static int run_round(lua_State *L)
{
    lua_pushboolean(L, wf_lua_sched_round(L));
    return 1;
}

static void mark_receivers(lua_State *L, const op *ops, int n, int delta)
{
    for (int i = 0; i < n; i++)
        if (!ops[i].send) wf_lua_chan_waiting(L, ops[i].ch_idx, delta);
}

/* Wait until one of ops[0..n) can go on; returns its index, or -1 when
 * none can and allow_default is set. Raises when the wait could never end
 * or the call is stopped. In a spawned coroutine it yields instead, and
 * the operation (again: `kind`, with the stack top `top0` it began with)
 * starts over when the coroutine is resumed. */
static int wait_any(lua_State *L, const op *ops, int n, bool allow_default, int kind, int top0)
{
    for (;;) {
        for (int i = 0; i < n; i++)
            if (ready(L, &ops[i])) return i;
        if (allow_default) return -1;
        if (wf_lua_in_spawned(L)) {
            int idx[64], nr = 0;
            for (int i = 0; i < n; i++)
                if (!ops[i].send) idx[nr++] = ops[i].ch_idx;
            int nrecv = nr;
            for (int i = 0; i < n; i++)
                if (ops[i].send) idx[nr++] = ops[i].ch_idx;
            return wf_lua_yield_wait(L, 0, nrecv, idx, nr, again, ((lua_KContext)top0 << 2) | kind);
        }
        if (wf_lua_sched_any(L)) {
            /* the spawned coroutines run while this flow waits, counting it
             * as a receiver; protected, so an error in one (raised here
             * after) leaves no count behind */
            mark_receivers(L, ops, n, +1);
            lua_pushcfunction(L, run_round);
            int rc = lua_pcall(L, 0, 1, 0);
            mark_receivers(L, ops, n, -1);
            if (rc != LUA_OK) return lua_error(L);
            bool moved = lua_toboolean(L, -1);
            lua_pop(L, 1);
            if (moved) continue;
        }
        wf_lua_wakes w = {0};
        for (int i = 0; i < n; i++) wf_lua_chan_wake(L, ops[i].ch_idx, &w);
        wf_lua_sched_wakes(L, &w);
        if (w.runnable) {
            wf_vec_free(&w.srcs);
            continue;
        }
        int r = wf_lua_park_wakes(L, &w);
        wf_vec_free(&w.srcs);
        if (r < 0)
            return luaL_error(L, "channel: this wait could never end (no timer or future behind its "
                                 "channels, and no spawned coroutine left to send or receive)");
        if (r == WF_PARK_STOPPED || wf_lua_should_stop(L))
            return luaL_error(L, "the call was stopped while waiting on a channel");
    }
}

/* ---- methods ------------------------------------------------------------------------- */

static int chan_send(lua_State *L)
{
    check_chan(L, 1);
    luaL_checkany(L, 2);
    op o = {.ch_idx = 1, .val_idx = 2, .send = true};
    wait_any(L, &o, 1, false, 0, lua_gettop(L));
    perform(L, &o);
    lua_pushboolean(L, 1);
    return 1;
}

static int chan_receive(lua_State *L)
{
    check_chan(L, 1);
    op o = {.ch_idx = 1};
    wait_any(L, &o, 1, false, 1, lua_gettop(L));
    perform(L, &o);
    return 2;
}

static int chan_close(lua_State *L)
{
    lchan *c = check_chan(L, 1);
    if (c->closed) return luaL_error(L, "close of a closed channel");
    c->closed = true;
    return 0;
}

static int chan_case(lua_State *L, bool send)
{
    check_chan(L, 1);
    if (send) luaL_checkany(L, 2);
    lcase *k = lua_newuserdatauv(L, sizeof *k, 2);
    k->send = send;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    if (send) {
        lua_pushvalue(L, 2);
        lua_setiuservalue(L, -2, 2);
    }
    luaL_setmetatable(L, CASE_MT);
    return 1;
}

static int chan_case_send(lua_State *L) { return chan_case(L, true); }
static int chan_case_receive(lua_State *L) { return chan_case(L, false); }

static int chan_tostring(lua_State *L)
{
    lchan *c = check_chan(L, 1);
    lua_pushfstring(L, "channel (%d of %d buffered%s)", (int)count(c), (int)c->cap,
                    c->closed ? ", closed" : "");
    return 1;
}

/* channel.select{cases..., default = true} */
static int chan_select(lua_State *L)
{
    int top0 = lua_gettop(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "default");
    bool dflt = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    if (n > 64) return luaL_error(L, "channel.select: at most 64 cases, got %d", (int)n);
    if (n == 0 && !dflt) return luaL_error(L, "channel.select: no cases (and no default)");
    op ops[64];
    luaL_checkstack(L, (int)n * 2 + 8, "channel.select");
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        lcase *k = luaL_testudata(L, -1, CASE_MT);
        if (!k) return luaL_error(L, "channel.select: case %d is not a case (use ch:case_receive() or "
                                     "ch:case_send(v))", (int)i);
        int kidx = lua_gettop(L);
        lua_getiuservalue(L, kidx, 1);
        ops[i - 1] = (op){.ch_idx = lua_gettop(L), .send = k->send};
        if (k->send) {
            lua_getiuservalue(L, kidx, 2);
            ops[i - 1].val_idx = lua_gettop(L);
        }
    }
    int found = wait_any(L, ops, (int)n, dflt, 2, top0);
    lua_createtable(L, 0, 4);
    int res = lua_gettop(L);
    if (found < 0) {
        lua_pushboolean(L, 1);
        lua_setfield(L, res, "default");
        lua_pushboolean(L, 1);
        lua_setfield(L, res, "ok");
        return 1;
    }
    const op *o = &ops[found];
    lua_pushvalue(L, o->ch_idx);
    lua_setfield(L, res, "channel");
    if (o->send) {
        perform(L, o);
        lua_pushvalue(L, o->val_idx);
        lua_setfield(L, res, "value");
        lua_pushboolean(L, 1);
        lua_setfield(L, res, "ok");
    } else {
        perform(L, o);
        lua_setfield(L, res, "ok");
        lua_setfield(L, res, "value");
    }
    return 1;
}

void wf_lua_open_channel(lua_State *L)
{
    if (luaL_newmetatable(L, CHAN_MT)) {
        static const luaL_Reg methods[] = {
            {"send", chan_send}, {"receive", chan_receive}, {"close", chan_close},
            {"case_send", chan_case_send}, {"case_receive", chan_case_receive}, {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, chan_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, CASE_MT)) {
        lua_pushliteral(L, "case");
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"new", chan_new}, {"select", chan_select}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_setglobal(L, "channel");
}
