/*
 * fn.h - the function-kind interface (DESIGN.md "Function kinds plug in").
 *
 * The runtime knows a function only through a wf_fn_kind: a table of
 * function pointers plus an opaque `fn` pointer owned by the kind. WASM
 * functions (wasm_fn.c) are one kind; the Lua layer registers Lua functions
 * as another, without the runtime ever including Lua headers.
 *
 * One call of a function, whatever its pool:
 *   check(fn, args)          on the caller's thread, before anything runs
 *                            (optional): argument count and types, so a bad
 *                            argument fails with nothing executed;
 *   prepare(fn, &inst)       make a pristine instance (a fresh wasm instance
 *                            in its own store, a fresh Lua state). A pool may
 *                            call it ahead of time (warm_start, static size),
 *                            on any thread;
 *   call(fn, inst, ...)      run the one call in that instance, on the
 *                            current thread (a worker, or the caller's for
 *                            the inline pool);
 *   release(fn, inst)        done with the instance after its one call (or
 *                            unused, at shutdown). No instance serves two
 *                            calls in the state the first left: a kind
 *                            either frees it or resets it to its pristine
 *                            state before anyone can take it again (WASM
 *                            kinds: slots.h).
 *   destroy(fn)              when the runtime drops the function.
 */
#ifndef WF_RUNTIME_FN_H
#define WF_RUNTIME_FN_H

#include "base/base.h"
#include "base/error.h"
#include "component/val.h"

struct wf_wit_func;   /* component/wit/wit.h: a parsed WIT function signature */

/* What converters (Lua, JSON, HTTP) need to know to build arguments. */
typedef struct wf_fn_sig {
    /* The WIT signature, or NULL when the function has none. */
    const struct wf_wit_func *wit;
    /* Without `wit`, a WASM function's core type (params are numbers: i32/i64
     * take integers, f32/f64 take numbers); NULL for untyped kinds (Lua). */
    const wf_functype *core;
} wf_fn_sig;

/* Given to a kind's call: how the runtime asks it to stop. */
typedef struct wf_fn_ctx {
    /* Nonzero once the call must stop (deadline or cancel). WASM code sees it
     * through wf_exec_set_interrupt, which the runtime sets on the running
     * thread before `call`; other kinds (Lua hooks) poll it themselves and
     * return any error: the runtime replaces it by TIMEOUT when the flag is
     * set. */
    volatile uint32_t *interrupt;
    /* The call's deadline on CLOCK_MONOTONIC in ns, 0 = none. */
    uint64_t deadline_ns;
    /* Values the caller passed along (wf_call_opts.context: a record, read
     * by Lua's `ctx` module), or NULL. */
    const wf_val *context;
    /* What the caller's host code hands this one call (wf_call_opts.host:
     * the HTTP exchange a Lua endpoint answers), or NULL. Not passed on to
     * the calls it makes. */
    void *host;
} wf_fn_ctx;

typedef struct wf_fn_kind {
    const char *name;   /* "function.wasm", "function.lua": for messages */
    wf_error *(*check)(void *fn, const wf_val *args, size_t nargs);   /* may be NULL */
    wf_error *(*prepare)(void *fn, void **inst);
    /* On success *result is a value the runtime's caller owns (a function
     * without results gives an empty WF_VAL_TUPLE). args stay the caller's. */
    wf_error *(*call)(void *fn, void *inst, const wf_val *args, size_t nargs,
                      wf_val *result, const wf_fn_ctx *ctx);
    void (*release)(void *fn, void *inst);
    void (*signature)(void *fn, wf_fn_sig *out);                      /* may be NULL */
    void (*destroy)(void *fn);                                         /* may be NULL */
} wf_fn_kind;

#endif
