/*
 * wflua.h - the Lua layer's public API: function.lua entries as a runtime
 * function kind (SPEC §8).
 *
 * A Lua function is called like any other through wf_runtime_call. Each
 * call runs in a fresh sandboxed lua_State (state.c): the entry's source is
 * run, then its method (the chunk's return value when it is a function, or
 * its field `method` when it is a table, else the global `method`) is
 * called with the arguments and its first return value is the result.
 *
 * Arguments (wf_val, untyped) -> Lua: bool -> boolean, integers -> integer
 * (u64 above 2^63-1 -> float), floats -> number, char -> one-character
 * string, string -> string, list -> array (a non-empty list of u8 ->
 * string), tuple -> array, record -> table keyed by field name, variant ->
 * {case = payload} ({case = true} without), enum -> case name, option ->
 * nil or the payload, result -> {ok = v} / {err = e} (true without payload),
 * flags -> {name = true, ...}.
 * Result (Lua -> wf_val, untyped): nil -> none, boolean -> bool, integer ->
 * s64, float -> f64, string -> string, table with keys 1..n (or empty) ->
 * list, other table -> record (string keys, sorted), json.null -> none.
 * Errors: `return nil, err` with an error value keeps err's kind; with any
 * other err value -> INTERNAL with its text; a raised Lua error -> TRAP
 * "lua: <message>"; stopped by deadline or cancel -> TIMEOUT.
 */
#ifndef WF_LUA_WFLUA_H
#define WF_LUA_WFLUA_H

#include "base/error.h"
#include "runtime/runtime.h"
#include "registry/registry.h"

/* source NULL: an import the project names but cannot provide (a
 * dependency's library): require(alias) fails saying so. */
typedef struct wf_lua_import { const char *alias, *id, *source; } wf_lua_import;

/* A Lua function, as a function.lua entry describes it. Strings are copied. */
typedef struct wf_lua_fn_config {
    wf_registry *registry;            /* for `env` (env.variable entries); may be NULL */
    const char *source;
    const char *method;
    const char *const *modules;       /* built-ins `require` may return ("funcs", ...): */
                                      /* none without `modules`, as upstream */
    size_t nmodules;
    const wf_lua_import *imports;     /* alias -> library.lua source */
    size_t nimports;
    wf_pool_config pool;              /* zero: inline */
    uint32_t max_execution_ms;        /* 0 = none */
} wf_lua_fn_config;

/* The function.lua kind (for wf_runtime_add). */
extern const wf_fn_kind wf_lua_fn_kind;

/* Add one Lua function as `id`. The source and every import have
 * upstream's type annotations erased (typed.h) and are compiled now: a
 * syntax error, or a malformed annotation, is INVALID with its line; an
 * unknown built-in in `modules` is INVALID. funcs inside the function call
 * through rt. */
wf_error *wf_lua_add(wf_runtime *rt, const char *id, const wf_lua_fn_config *cfg);

/* Register every function.lua entry of r into rt (after
 * wf_registry_register, so funcs can reach the WASM functions). Each problem
 * names `file:line: entry: message`; entries without problems are added
 * even when others fail (the error then lists all problems). */
wf_error *wf_lua_register(wf_registry *r, wf_runtime *rt);

/* ---- Lua endpoints: the HTTP exchange behind `require("http")` ------------
 *
 * The HTTP layer (above this one) calls a function.lua endpoint with
 * wf_call_opts.host pointing at a wf_lua_http_host: the request as the
 * server parsed it and the response writer, as callbacks on its exchange
 * x. Upstream's `http` module (http.c) reads and writes through it; without
 * one, http.request() and http.response() return nil and an error. */
typedef struct wf_lua_http_host_ops {
    const char *(*method)(void *x);
    const char *(*path)(void *x);                  /* percent-encoded, as sent */
    const char *(*query)(void *x);                 /* raw, "" when none */
    const char *(*remote)(void *x);                /* "127.0.0.1:51234" */
    size_t (*header_count)(void *x);
    void (*header_at)(void *x, size_t i, const char **name, const char **value);
    const uint8_t *(*body)(void *x, size_t *len);
    size_t (*param_count)(void *x);                /* the route's {params}, decoded */
    void (*param_at)(void *x, size_t i, const char **name, const char **value);
    void (*set_status)(void *x, int status);
    void (*add_header)(void *x, const char *name, const char *value);
    wf_error *(*write)(void *x, const void *p, size_t n);
    wf_error *(*flush)(void *x);                   /* head now, then the body streams */
    /* Host (HTTP/1, which servers take out of the headers) or :authority
     * (HTTP/2); "" when none. NULL: host() reads the headers. */
    const char *(*authority)(void *x);
    /* The response is complete: it goes to the client now, while the call
     * goes on (its spawned coroutines, after the function returned). May
     * be NULL: they then stop with the call. */
    void (*finish)(void *x);
} wf_lua_http_host_ops;

typedef struct wf_lua_http_host {
    const wf_lua_http_host_ops *ops;
    void *x;
    /* Filled by the module for the caller: what the handler did. */
    bool wrote;          /* a status, header or body byte went to the writer */
} wf_lua_http_host;

#endif
