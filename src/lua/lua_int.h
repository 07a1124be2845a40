/*
 * lua_int.h - what the files of the Lua layer share: the error value, the
 * built-in modules (json, funcs), the sandboxed state, and the per-state
 * context that ties a lua_State to the runtime call it serves.
 */
#ifndef WF_LUA_INT_H
#define WF_LUA_INT_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "base/error.h"
#include "base/vec.h"
#include "component/val.h"
#include "component/wit/wit.h"
#include "runtime/fn.h"
#include "runtime/runtime.h"
#include "wasm/wait.h"

struct wf_registry;

/* Deepest nesting that json and the value converters accept: tables nested
 * deeper (or cyclic ones) are errors, never a C stack overflow. */
#define WF_LUA_MAX_DEPTH 128

/* ---- error values (err.c) ---------------------------------------------- */

/* Push an error value of upstream's kind for a wasmfn kind (userdata with
 * :kind(), :message(), :retryable(), :details(), __tostring). */
void wf_lua_push_error(lua_State *L, wf_error_kind kind, const char *msg);
/* The same for e; a trap is Internal with details.trap (and .trace). */
void wf_lua_push_wf_error(lua_State *L, const wf_error *e);
/* The error value's upstream kind string at idx, or NULL when not one. */
const char *wf_lua_error_kind(lua_State *L, int idx);
/* An error value of an upstream kind ("Canceled") that maps to wf. */
void wf_lua_push_kind_error(lua_State *L, const char *kind, wf_error_kind wf, const char *msg);
/* The same with retryable stated (http_client's Unavailable is retryable).
 * Details go in with lua_setiuservalue(L, -2, 1) on a table. */
void wf_lua_push_kind_error_retry(lua_State *L, const char *kind, wf_error_kind wf, bool retryable,
                                  const char *msg);
/* Set the `errors` global. */
void wf_lua_open_errors(lua_State *L);
/* Push nil and an error value: the (nil, err) return convention; returns 2. */
int wf_lua_fail(lua_State *L, wf_error_kind kind, const char *fmt, ...) WF_PRINTF(3, 4);

/* request:parse_multipart() of the http module (http_multipart.c): the
 * body split by content_type's boundary; pushes form, nil or nil, error. */
int wf_lua_http_parse_multipart(lua_State *L, const char *content_type, const uint8_t *body, size_t n);
/* The error value at idx, or false when it is not one: kind gets the
 * wasmfn kind it maps to (SPEC §9's KIND), msg its message. */
bool wf_lua_to_error(lua_State *L, int idx, wf_error_kind *kind, const char **msg);
/* The error value at idx as a wf_error keeping everything it has (kind
 * string, message, retryable, details), for the runtime to carry to the
 * caller; NULL when it is not an error value. */
wf_error *wf_lua_error_to_wf(lua_State *L, int idx);
/* Kind name ("INVALID", ...) back to a kind; false when unknown. */
bool wf_lua_kind_from_name(const char *name, wf_error_kind *kind);

/* ---- built-in modules --------------------------------------------------- */

int wf_lua_open_json(lua_State *L);    /* json.c: pushes the json table */
/* v against the JSON Schema schema (both untyped wf_vals, json_schema.c):
 * NULL when it matches, else INVALID naming the first failure by its JSON
 * pointer, with every failure in e->details ({"errors": [...]}); a schema
 * that is not one is INVALID "invalid schema: ...". */
wf_error *wf_lua_json_validate(const wf_val *schema, const wf_val *v);
int wf_lua_open_funcs(lua_State *L);   /* funcs.c: pushes the funcs table */
int wf_lua_open_time(lua_State *L);    /* time.c */
int wf_lua_open_env(lua_State *L);     /* env.c */
int wf_lua_open_logger(lua_State *L);  /* logger.c: pushes the logger object */
int wf_lua_open_ctx(lua_State *L);     /* ctx.c */
int wf_lua_open_http_client(lua_State *L); /* http_client.c */
int wf_lua_open_metrics(lua_State *L);     /* metrics.c */
int wf_lua_open_registry(lua_State *L);    /* registry.c: upstream's registry module, read-only */
int wf_lua_open_system(lua_State *L);      /* system.c: upstream's system module, what a function may read */
int wf_lua_open_http(lua_State *L);    /* http.c: Lua endpoints' request and response */
/* Push the running call's context values as a table (ctx.c; made once per
 * state from wf_fn_ctx.context, changed by ctx.set). */
void wf_lua_push_ctx_table(lua_State *L);
void wf_lua_open_channel(lua_State *L); /* chan.c: sets the `channel` global */
void wf_lua_open_process(lua_State *L); /* process.c: the `process` global (no processes served) */

/* ---- channels (chan.c) and what fills them ------------------------------- */

/* A source fills a channel from outside the Lua code: a future's outcome,
 * a timer. Its object is a userdata (the channel keeps it alive). */
typedef struct wf_lua_source_ops {
    /* On the Lua thread, whenever the channel is looked at: move what is
     * ready into the channel at ch_idx (wf_lua_chan_put / _close). */
    void (*pump)(lua_State *L, int src_idx, int ch_idx);
    /* When it may next have something (CLOCK_MONOTONIC ns), 0 = not by
     * time. May be NULL. */
    uint64_t (*next_ns)(void *src);
    /* on: have n's waker woken when it may have something, and return true
     * (false when it never will); off: stop that. May be NULL. */
    bool (*watch)(void *src, wf_wait_node *n, bool on);
} wf_lua_source_ops;

/* Push a new channel of cap buffered values (0: unbuffered), filled by the
 * source at src_idx (src NULL, src_idx 0: none). */
void wf_lua_chan_new(lua_State *L, lua_Integer cap, const wf_lua_source_ops *src, int src_idx);
/* Append the value at the top (popped) to the channel at ch_idx. */
void wf_lua_chan_put(lua_State *L, int ch_idx);
void wf_lua_chan_close(lua_State *L, int ch_idx);
/* True when the channel is open with room for one more value. */
bool wf_lua_chan_has_room(lua_State *L, int ch_idx);
/* Count a flow as waiting to receive on the channel (delta +1), or no
 * longer (-1): an unbuffered send goes on when a receiver waits. */
void wf_lua_chan_waiting(lua_State *L, int ch_idx, int delta);
/* Add what may fill the channel at ch_idx (its source) to w. */
struct wf_lua_wakes;
void wf_lua_chan_wake(lua_State *L, int ch_idx, struct wf_lua_wakes *w);

/* ---- coroutine.spawn and the scheduler (spawn.c) --------------------------- */

typedef struct wf_lua_sched wf_lua_sched;

/* What may end a wait: the earliest time, the sources to watch, or a
 * coroutine that can run at once. */
typedef struct wf_lua_wakes {
    uint64_t until;                    /* CLOCK_MONOTONIC ns; 0 = none */
    WF_VEC(struct wf_lua_wake { const wf_lua_source_ops *ops; void *src; }) srcs;
    bool runnable;
} wf_lua_wakes;

/* The first value a spawned coroutine yields when it waits (spawn.c's
 * yield protocol). */
extern const char wf_lua_waiting_tag;
#define WF_LUA_WAITING ((void *)&wf_lua_waiting_tag)

/* Add coroutine.spawn to the coroutine library. */
void wf_lua_open_spawn(lua_State *L);
/* Is L a spawned coroutine (whose waits yield to the scheduler)? */
bool wf_lua_in_spawned(lua_State *L);
/* Are there spawned coroutines that have not ended? */
bool wf_lua_sched_any(lua_State *L);
/* Something happened that a waiting flow may wait for (a channel operation). */
void wf_lua_sched_moved(lua_State *L);
/* Resume every spawned coroutine once, from the waiting flow L; true when
 * anything moved. Raises in L the error a coroutine failed with. */
bool wf_lua_sched_round(lua_State *L);
/* Rounds until nothing moves (when the function returns). */
void wf_lua_sched_drain(lua_State *L);
/* Add what may end the waits of the spawned coroutines to w. */
void wf_lua_sched_wakes(lua_State *L, wf_lua_wakes *w);
void wf_lua_sched_free(wf_lua_sched *s);
/* From a spawned coroutine: wait by yielding to the scheduler (deadline 0:
 * none; the first nrecv of the channels at ch_idx[0..n) are received on,
 * the rest watched). When resumed, k(L, status, ctx) runs. */
int wf_lua_yield_wait(lua_State *L, uint64_t deadline, int nrecv, const int *ch_idx, int n,
                      lua_KFunction k, lua_KContext ctx);
/* Park the flow L until one of w may end its wait, or the call's stop:
 * WF_PARK_*, or -1 (nothing parked) when nothing in w could ever end it. */
int wf_lua_park_wakes(lua_State *L, wf_lua_wakes *w);

/* ---- time (time.c) ---------------------------------------------------------- */

/* A duration argument as upstream's time module takes it: an integer of
 * nanoseconds, a string such as "1s", or a Duration. False with *why (what
 * was expected) otherwise. */
bool wf_lua_to_duration(lua_State *L, int idx, int64_t *ns, const char **why);
/* Push a time.Time value. */
void wf_lua_push_time(lua_State *L, int64_t unix_ns);

/* ---- time zones and layouts (time_zone.c, time_layout.c) ------------------- */

enum { WF_LUA_ZONE_UTC, WF_LUA_ZONE_LOCAL, WF_LUA_ZONE_FIXED, WF_LUA_ZONE_NAMED };

/* A location of the time module, as Go's: UTC, the local zone, a fixed
 * offset, or a named zone of the system's zoneinfo. */
typedef struct wf_lua_zone {
    uint8_t kind;                         /* WF_LUA_ZONE_* */
    int32_t offset;                       /* FIXED: seconds east of UTC */
    char name[64];                        /* FIXED, NAMED: its name */
    const struct wf_lua_tzdata *tz;       /* NAMED: read once per process */
} wf_lua_zone;

/* "UTC" (or ""), "Local", or a zoneinfo name ("America/New_York"); false
 * when there is no such zone. */
bool wf_lua_zone_load(const char *name, wf_lua_zone *z);
void wf_lua_zone_fixed(wf_lua_zone *z, const char *name, int32_t offset);
const char *wf_lua_zone_name(const wf_lua_zone *z);
/* The zone's offset (s east of UTC) at a Unix second; abbr (may be NULL)
 * gets its abbreviation ("EST"). */
int32_t wf_lua_zone_offset(const wf_lua_zone *z, int64_t unix_s, char *abbr, size_t n);
/* The Unix second of a wall-clock second of the zone (wall_s counts as if
 * the wall clock were UTC). */
int64_t wf_lua_zone_unix(const wf_lua_zone *z, int64_t wall_s);

/* A time as its zone shows it. */
typedef struct wf_lua_wall {
    int64_t year;
    int month, day, hour, min, sec, nsec, wday, yday;   /* month 1-12, wday 0 = Sunday */
    int32_t offset;
    char abbr[16];
} wf_lua_wall;

void wf_lua_time_wall(int64_t unix_ns, const wf_lua_zone *z, wf_lua_wall *w);
/* A wall-clock date as seconds counted as if it were UTC; months and days
 * out of range carry over (Go's Date). */
int64_t wf_lua_time_wall_secs(int64_t year, int month, int day, int hour, int min, int sec);
/* Go's Time.Format of w by layout, appended to b. */
void wf_lua_time_format(const wf_lua_wall *w, const char *layout, luaL_Buffer *b);
/* Go's time.Parse: false with Go's message in err. */
bool wf_lua_time_parse(const char *layout, const char *value, int64_t *unix_ns, wf_lua_zone *zone,
                       char *err, size_t n);

/* json.null: a light userdata sentinel for JSON null inside arrays. */
#define WF_LUA_JSON_NULL ((void *)0)
bool wf_lua_is_json_null(lua_State *L, int idx);

/* ---- sandboxed states (state.c) ------------------------------------------ */

/* Built-in modules, as bits of wf_lua_env.modules. */
enum {
    WF_LUA_MOD_FUNCS = 1u << 0, WF_LUA_MOD_JSON = 1u << 1, WF_LUA_MOD_TIME = 1u << 2,
    WF_LUA_MOD_ENV = 1u << 3, WF_LUA_MOD_LOGGER = 1u << 4, WF_LUA_MOD_CTX = 1u << 5,
    WF_LUA_MOD_HTTP_CLIENT = 1u << 6, WF_LUA_MOD_HTTP = 1u << 7, WF_LUA_MOD_METRICS = 1u << 8,
    WF_LUA_MOD_REGISTRY = 1u << 9, WF_LUA_MOD_SYSTEM = 1u << 10,
};
/* "funcs" -> WF_LUA_MOD_FUNCS, ...; 0 when not a built-in. */
uint32_t wf_lua_module_bit(const char *name);
/* "funcs, json, ...": every built-in's name (the caller frees it). */
char *wf_lua_module_names(void);
/* The built-in or upstream module name closest to name ("did you mean"). */
const char *wf_lua_module_closest(const char *name);

/* An `imports` entry: require(alias) runs the library's source once per state. */
typedef struct wf_lua_lib {
    char *alias;
    char *id;        /* the library.lua entry's ID (its chunk name) */
    char *source;
} wf_lua_lib;

/* What a state may reach; borrowed by every state made from it. */
typedef struct wf_lua_env {
    const char *id;              /* the function's ID (log lines), or NULL */
    wf_runtime *rt;              /* for funcs; NULL: funcs calls fail INTERNAL */
    struct wf_registry *registry; /* for env (env.variable entries), or NULL */
    uint32_t modules;            /* WF_LUA_MOD_* that `require` may return */
    const wf_lua_lib *libs;
    size_t nlibs;
    size_t mem_limit;            /* bytes; 0 = WF_LUA_MEM_DEFAULT */
} wf_lua_env;

#define WF_LUA_MEM_DEFAULT ((size_t)64 << 20)

/* Per-state context (in the state's extra space). */
typedef struct wf_lua_ctx {
    const wf_lua_env *env;
    const wf_fn_ctx *call;       /* the running call's deadline/interrupt, or NULL */
    size_t mem_used, mem_limit;
    bool interrupted;            /* the hook stopped the code (deadline or cancel) */
    struct wf_lua_sched *sched;  /* spawned coroutines (spawn.c), or NULL */
    uint64_t sched_epoch;        /* counts channel operations, spawns and ends */
    struct wf_lua_arena *arena;  /* the state's memory (arena.c), or NULL: malloc */
    /* An object with a finalizer (__gc) was made: only closing the state
     * runs it, so the state may not be reset by copying its snapshot back
     * (fn.c). Set by setmetatable and by every C module whose userdata has
     * a __gc. */
    bool finalizers;
} wf_lua_ctx;

/* ---- a state's memory at a fixed address (arena.c) ------------------------ */

typedef struct wf_lua_arena wf_lua_arena;
/* A region for a state of at most mem_limit bytes; NULL when it cannot be
 * reserved (the caller then uses malloc). */
wf_lua_arena *wf_lua_arena_new(size_t mem_limit);
void wf_lua_arena_free(wf_lua_arena *a);
/* The lua_Alloc of a state in a (ud = a). */
void *wf_lua_arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* The state's wf_lua_ctx, inside the region (zeroed at first). */
wf_lua_ctx *wf_lua_arena_ctx(wf_lua_arena *a);
/* Remember the region as it is now (no Lua code may be running in it)... */
void wf_lua_arena_snapshot(wf_lua_arena *a);
/* ...and put it back so: the state is exactly as it was at the snapshot. */
void wf_lua_arena_restore(wf_lua_arena *a);

/* Copy the string-keyed pairs of the table at src (nothing when src is not
 * a table) into the table at dst; another key raises "who: keys must be
 * strings". */
void wf_lua_merge_into(lua_State *L, int dst, int src, const char *who);

/* A fresh sandboxed state: safe standard libraries, text-only `load`,
 * `require` limited to env's built-ins and imports, print to stderr. */
wf_error *wf_lua_state_new(const wf_lua_env *env, lua_State **out);
/* The same with its memory in arena a, which the state then owns (freed
 * with it). */
wf_error *wf_lua_state_new_in(const wf_lua_env *env, wf_lua_arena *a, lua_State **out);
/* Open now the allowed built-ins whose tables depend on nothing of a call
 * (json, http), as `require` would: for a state snapshotted afterwards
 * (fn.c), whose every call then finds them opened and pristine. */
void wf_lua_state_preload(lua_State *L);
void wf_lua_state_free(lua_State *L);
wf_lua_ctx *wf_lua_ctx_of(lua_State *L);
/* Arm (call != NULL) or disarm the deadline/interrupt hook. */
void wf_lua_state_watch(lua_State *L, const wf_fn_ctx *call);
/* True when the running call must stop now (deadline passed or interrupt). */
bool wf_lua_should_stop(lua_State *L);
/* ms left before the running call's deadline: 0 = no deadline; at least 1. */
uint32_t wf_lua_ms_left(lua_State *L);

/* ---- conversions (conv.c) ------------------------------------------------ */

/* Lua value at idx -> a wf_val of WIT type t. `what` starts error messages
 * ("parameter `users`"). On error *out owns nothing. */
/* True when the table at idx has exactly the keys 1..n; *n gets n. */
bool wf_lua_seq_len(lua_State *L, int idx, size_t *n);

wf_error *wf_lua_to_val(lua_State *L, int idx, const wf_wit_type *t, const char *what, wf_val *out);
/* Untyped (Lua function arguments and results): see conv.c for the mapping. */
wf_error *wf_lua_to_val_untyped(lua_State *L, int idx, const char *what, wf_val *out);
/* nargs Lua values from stack index `first` -> an array of wf_vals typed by
 * sig (NULL or no wit/core: untyped). Count checked first. The array is
 * `small` when nargs fits its nsmall values (a call's usual few: no
 * allocation per call), else wf_xcalloc'd, never NULL on success; the
 * caller frees each value, and the array when it is not `small`. */
wf_error *wf_lua_args(lua_State *L, int first, int nargs, const wf_fn_sig *sig, wf_val *small,
                      size_t nsmall, wf_val **out);
/* wf_val -> Lua (t may be NULL; it only turns an empty list<u8> into ""). */
void wf_lua_push_val(lua_State *L, const wf_val *v, const wf_wit_type *t);
/* A call's result: no results -> nil, one -> its value, several -> array. */
void wf_lua_push_result(lua_State *L, const wf_val *v, const wf_fn_sig *sig);

#endif
