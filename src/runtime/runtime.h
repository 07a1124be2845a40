/*
 * runtime.h - the runtime: a set of functions by ID ("ns:name"), each with
 * its kind (fn.h) and pool, and THE call path wf_runtime_call.
 *
 * Threads: every function here is thread-safe. Adds are serialized among
 * themselves; finding a function (every call does) takes no lock, in time
 * independent of how many functions there are, and may run beside an add.
 * A wf_runtime owns a scheduler (sched.h): one timer thread (deadlines) and
 * the worker threads of its pools. A caller waiting for a pooled call parks
 * (wasm/wait.h): a call made from inside a pooled call frees its worker
 * while it waits.
 *
 * Values: arguments and results are wf_val (component/val.h). Arguments stay
 * the caller's; a result is the caller's to wf_val_free.
 *
 * Errors (wf_error, kinds of include/wasmfn.h):
 *   NOT_FOUND  no function with that ID;
 *   INVALID    wrong argument count or type (names the parameter), nothing ran;
 *   TIMEOUT    the caller's timeout_ms or the function's max_execution_ms
 *              passed (while queued or while running: guest code is
 *              interrupted), or the call was cancelled;
 *   TRAP       the guest trapped; LIMIT: memory/stack limits at instantiation,
 *              or a call nested deeper than WF_RT_MAX_DEPTH;
 *   UNSUPPORTED  a feature not implemented yet.
 */
#ifndef WF_RUNTIME_RUNTIME_H
#define WF_RUNTIME_RUNTIME_H

#include "runtime/fn.h"
#include "wasm/wait.h"

typedef struct wf_runtime wf_runtime;

/* ---- Pools (SPEC §5) ----------------------------------------------------- */

/* WF_RT_ (not WF_POOL_) because registry.h names its own copy WF_POOL_*;
 * the order is the same, so a wf_reg_pool_type converts by a cast. */
typedef enum wf_pool_type {
    WF_RT_POOL_INLINE,     /* the caller's thread, a new instance per call */
    WF_RT_POOL_LAZY,       /* no idle workers; up to max_size, idle ones reaped */
    WF_RT_POOL_STATIC,     /* `workers` threads, a queue of `buffer` requests */
    WF_RT_POOL_ADAPTIVE,   /* grows and shrinks up to max_size; warm_start */
} wf_pool_type;

/* Zero fields take the SPEC defaults: lazy max_size 16, adaptive max_size
 * 100, static workers 1 (size = workers, buffer = workers*64). */
typedef struct wf_pool_config {
    wf_pool_type type;
    uint32_t max_size;      /* lazy, adaptive */
    uint32_t size;          /* static: instances kept ready */
    uint32_t workers;       /* static */
    uint32_t buffer;        /* static: queued requests */
    bool warm_start;        /* adaptive: start workers (with ready instances) at once */
} wf_pool_config;

/* "inline", "lazy", "static", "adaptive" -> type; false when unknown. */
bool wf_pool_type_parse(const char *name, wf_pool_type *out);
const char *wf_pool_type_name(wf_pool_type t);

/* Runtime-level options of a function, whatever its kind. */
typedef struct wf_fn_options {
    wf_pool_config pool;
    uint32_t max_execution_ms;  /* 0 = no limit */
} wf_fn_options;

/* ---- The runtime ---------------------------------------------------------- */

wf_runtime *wf_runtime_new(void);
/* Stops the pools (waits for running calls, sleeping ones included: their
 * deadlines bound the wait) and destroys every function. */
void wf_runtime_free(wf_runtime *rt);

/* Add function `id` of `kind`; on success the runtime owns fn (kind->destroy
 * at the end), on error fn is left to the caller. A duplicate id is INVALID. */
wf_error *wf_runtime_add(wf_runtime *rt, const char *id, const wf_fn_kind *kind, void *fn,
                         const wf_fn_options *opts);
bool wf_runtime_has(wf_runtime *rt, const char *id);
/* Run a kind's `preinit` initialisation init(ud) (at add, on this thread)
 * under a deadline max_ms from now (0: WF_RT_PREINIT_DEFAULT_MS): wasm code
 * it runs stops there, and the outcome is a TIMEOUT load error naming id and
 * the limit instead of init's own, never a hang. */
#define WF_RT_PREINIT_DEFAULT_MS 10000
wf_error *wf_runtime_preinit(wf_runtime *rt, const char *id, uint32_t max_ms,
                             wf_error *(*init)(void *ud), void *ud);
/* The scheduler the runtime's pools run on: other layers run their own
 * tasks on it (the HTTP server's handlers). */
struct wf_sched *wf_runtime_sched(wf_runtime *rt);

/* Where the runtime counts its calls (metrics.h): its own unless another,
 * shared one is set (before any add; the caller keeps it alive longer than
 * rt: how runtimes of successive reloads feed the same series). */
struct wf_metrics;
void wf_runtime_set_metrics(wf_runtime *rt, struct wf_metrics *m);
struct wf_metrics *wf_runtime_metrics(wf_runtime *rt);
/* The signature of `id` for converters; NOT_FOUND when there is none. The
 * pointers stay valid as long as the runtime. */
wf_error *wf_runtime_signature(wf_runtime *rt, const char *id, wf_fn_sig *out);
/* The function `id` (NULL when there is none), for a caller that wants its
 * signature and then calls it (Lua's funcs.call): one lookup instead of
 * two. It stays valid as long as the runtime. */
typedef struct rt_fn wf_runtime_fn;
wf_runtime_fn *wf_runtime_find(wf_runtime *rt, const char *id);
void wf_runtime_fn_signature(const wf_runtime_fn *fn, wf_fn_sig *out);

/* ---- Calling -------------------------------------------------------------- */

/* Calls made from inside calls (a Lua function's funcs.call, directly or
 * through other functions) nest at most this deep: the call that would be
 * one deeper fails with LIMIT naming the function and the depth, before
 * anything runs. It bounds the C stack an inline chain takes. */
#define WF_RT_MAX_DEPTH 64

typedef struct wf_call_opts {
    uint32_t timeout_ms;    /* the caller's own wait, queue included; 0 = none */
    /* The same as a time (wf_now_ns's clock), for a caller that has one
     * (a request's deadline): no clock read to turn it into timeout_ms.
     * 0 = none; with both, the earlier counts. */
    uint64_t deadline_ns;
    /* Values for the callee and the calls it makes in turn (upstream
     * Wippy's executor with_context): a record, copied. NULL: the running
     * call's own context, if any. */
    const wf_val *context;
    /* Host data for the callee alone (wf_fn_ctx.host), borrowed: it must
     * live until the call ended. NULL: none. */
    void *host;
    /* The caller's stop flag, or NULL. Setting it (any thread; then wake
     * the calling task, if any) stops the call as its deadline would
     * (TIMEOUT): an inline call runs with it as its interrupt flag (so its
     * own deadline sets it too: give each call a fresh one); a pooled call
     * is cancelled when it is the calling task's flag (its wait stops).
     * How a server cuts a request's call at its drain timeout. */
    volatile uint32_t *stop;
    /* The caller's own reading of wf_now_ns, taken just before the call
     * with nothing waited for since (an HTTP handler's first slice: the
     * request's start), or 0. The call's start (its timeout's origin, its
     * latency's start) is then this instead of a clock read of its own. */
    uint64_t now_ns;
} wf_call_opts;

/* THE call path. opts may be NULL. On success *result is set (caller frees). */
wf_error *wf_runtime_call(wf_runtime *rt, const char *id, const wf_val *args, size_t nargs,
                          wf_val *result, const wf_call_opts *opts);
/* The same, of a function found by wf_runtime_find. */
wf_error *wf_runtime_call_fn(wf_runtime_fn *fn, const wf_val *args, size_t nargs, wf_val *result,
                             const wf_call_opts *opts);

/* The async form (Lua's funcs.async). Start copies nothing it does not own:
 * args are deep-copied, so the caller may free them at once. On a saturated
 * pool start waits for room (within opts->timeout_ms). For the inline pool
 * the call runs inside start, on the caller's thread. */
typedef struct wf_call_future wf_call_future;
wf_error *wf_call_future_start(wf_runtime *rt, const char *id, const wf_val *args,
                               size_t nargs, const wf_call_opts *opts, wf_call_future **out);
/* True once the outcome is known (never blocks). */
bool wf_call_future_poll(wf_call_future *f);
/* Block until done, or at most timeout_ms (< 0: no bound); true when done.
 * Returning false leaves the call running. */
bool wf_call_future_wait(wf_call_future *f, int64_t timeout_ms);
/* The outcome, once done (else INVALID "the call is still running"): the
 * call's error (the caller owns it) or NULL with *result moved out. Only the
 * first take gets the outcome; later takes return INVALID. */
wf_error *wf_call_future_take(wf_call_future *f, wf_val *result);
/* Stop the call: a queued call is removed, a running one interrupted; its
 * outcome becomes TIMEOUT "the call was cancelled" (unless already done). */
void wf_call_future_cancel(wf_call_future *f);
/* Have w woken once the call is done (at once when it already is), without
 * blocking: how an event loop hears of a call it started (its waker writes
 * to its eventfd, say), then polls and takes. n is the caller's and stays
 * queued until the wake or wf_call_future_unwatch, which must come before
 * n or the future goes away. */
void wf_call_future_watch(wf_call_future *f, wf_wait_node *n, wf_waker *w);
void wf_call_future_unwatch(wf_call_future *f, wf_wait_node *n);
/* Free the future; a call still running is cancelled and cleans up alone. */
void wf_call_future_free(wf_call_future *f);

/* ---- The WASM function kind (wasm_fn.c) ------------------------------------ */

/* (wf_limits is the engine's memory/table limits type, wasm/module.h) */
typedef struct wf_wasm_limits {
    uint32_t max_execution_ms;  /* 0 = none */
    uint32_t max_memory_mb;     /* 0 = none: memory.grow fails beyond it */
    uint32_t max_stack_kb;      /* 0 = the engine default: deeper calls trap */
} wf_wasm_limits;

/* WASI preview 1 of a WASM function (SPEC §4). Everything is copied at
 * wf_runtime_add_wasm except env_ud and log_ud (borrowed: they must outlive
 * the runtime).
 *
 * Each call gets a fresh context: argv = [function ID, args...], the
 * environment (env values looked up at call time, so a changed variable is
 * seen by the next call; PWD=cwd when cwd is set, the only way preview 1
 * carries a working directory), the mounts preopened at fds 3, 4, ... in
 * order, no stdin, and stdout/stderr captured into the log: every complete
 * line is one log line "[ID] text" (stderr: "[ID] (stderr) text"), a
 * partial last line is logged when the call ends. Lines of concurrent calls
 * never mix inside a line.
 *
 * proc_exit: status 0 ends the call successfully when the function has no
 * results (an empty tuple, as a normal return); any other status, or 0 from
 * a function that owes results, is a TRAP "exited with status N" whose
 * exit_code is N. */
typedef struct wf_wasi_env_var {
    const char *id;        /* the variable's key for env_lookup (an env.variable ID) */
    const char *name;      /* the guest's name */
    bool required;         /* missing: the call fails NOT_FOUND, nothing runs */
} wf_wasi_env_var;

typedef struct wf_wasi_mount_config {
    const char *host;      /* host directory */
    const char *guest;     /* absolute guest path */
    bool read_only;
} wf_wasi_mount_config;

/* The current value of variable id: *value a malloc'd string (the runtime
 * frees it), or NULL when it has none. An error fails the call. */
typedef wf_error *(*wf_wasi_env_lookup)(void *ud, const char *id, char **value);
/* One log line (no newline). */
typedef void (*wf_log_fn)(void *ud, const char *line);

typedef struct wf_wasi_config {
    /* wasi_snapshot_preview1 imports are linked to the host when true; when
     * false each is linked to a stub that traps naming the import and the
     * `imports` word that enables it. */
    bool preview1;
    const char *const *args; size_t nargs;     /* argv[1..] */
    const char *cwd;                            /* absolute, or NULL */
    const wf_wasi_env_var *env; size_t nenv;
    wf_wasi_env_lookup env_lookup; void *env_ud;   /* NULL: every variable is missing */
    const wf_wasi_mount_config *mounts; size_t nmounts;
    /* host:port patterns (`*` wildcards) WASI 0.2 sockets and outgoing HTTP
     * may reach (components only); none: no network */
    const char *const *network; size_t nnetwork;
    wf_log_fn log; void *log_ud;                /* NULL: the process's stderr */
} wf_wasi_config;

typedef struct wf_wasm_config {
    const char *method;                 /* export to call (copied) */
    /* `funcs` enabled: imports of wippy:runtime/funcs@0.1.0 call the
     * runtime's functions (funcs_host.c); else they trap naming the word. */
    bool funcs;
    /* The WIT signature of `method`, or NULL for core numbers. Borrowed: it
     * must outlive the runtime (the registry keeps the parsed WIT). */
    const struct wf_wit_func *wit;
    wf_pool_config pool;
    wf_wasm_limits limits;
    wf_wasi_config wasi;
    /* Run the module's initialisation once, now: its start function, then
     * its exported `_initialize` or `wizer.initialize` ([] -> []); every
     * call starts from the memory, globals and tables it leaves
     * (wasm/image.h). Refused (an error now) with WASI preview 1 enabled
     * (the snapshot would hold host handles: files, arguments, environment)
     * and when the state holds references a snapshot cannot record. */
    bool preinit;
} wf_wasm_config;

/* Every import of m is one a host provides: a wasi_snapshot_preview1
 * function with its witx name and type. Otherwise UNLINKABLE naming the
 * import (SPEC §4: a load error). Shared by wf_runtime_add_wasm and the
 * registry's load check. */
wf_error *wf_wasm_check_imports(const wf_module *m);

/* Add a core module's export as function `id`. The module is compiled once
 * by the caller and borrowed: it must outlive the runtime. Errors now:
 * `iface#func` methods are INVALID (they name functions of components), a
 * method that is not an exported function is NOT_FOUND, an import no host
 * provides is UNLINKABLE (wf_wasm_check_imports). */
wf_error *wf_runtime_add_wasm(wf_runtime *rt, const char *id, const wf_module *module,
                              const wf_wasm_config *cfg);


/* ---- The component function kind (comp_fn.c) ------------------------------- */

struct wf_component;   /* component/component.h */

typedef struct wf_component_config {
    /* "f" (a top-level export) or "iface#f", iface being an exported
     * instance's full name, that name without its version, or its last path
     * segment: "wasmfn:calc/ops#add", "ops#add" (copied). */
    const char *method;
    wf_pool_config pool;
    wf_wasm_limits limits;      /* applied to every core instance inside */
    /* The entry's enabled `imports` words ("wasi:cli", ...; copied): `funcs`
     * serves wippy:runtime/funcs, each WASI word the functions of its WASI
     * 0.2 package (wasi/p2.h); an import not enabled, or enabled but without
     * a host yet, is a stub that traps naming the word. */
    const char *const *imports; size_t nimports;
    /* The `wasi` block (args, cwd, env, mounts, network, log), as core
     * modules get it through preview 1 (`preview1` is ignored); deep-copied. */
    wf_wasi_config wasi;
    /* Run the component's instantiation (core start functions, the
     * component start) once, now, and start every call from the state it
     * leaves (wasm/image.h); refused (an error now) when that state holds
     * resource handles or references a snapshot cannot record. */
    bool preinit;
} wf_component_config;

/* `method` names a function comp exports: *out (may be NULL) gets its type.
 * NOT_FOUND listing the functions it does export otherwise. Shared by
 * wf_runtime_add_component and the registry's load check. */
wf_error *wf_component_method_check(const struct wf_component *comp, const char *method,
                                    const struct wf_wit_func **out);

/* Every import of comp is one a host may provide: a WASI 0.2 package's
 * interface (enabled or not: a disabled one is a trapping stub) or
 * wippy:runtime/funcs. Otherwise UNLINKABLE naming it (SPEC §4: a load
 * error). Shared by wf_runtime_add_component and the registry's load check. */
wf_error *wf_component_check_imports(const struct wf_component *comp);

/* Serve upstream Wippy's wippy:runtime/funcs@0.1.0 (call-string,
 * call-bytes: call any function of rt by ID) to components linked with l
 * (funcs_host.c). rt must outlive every instance linked with l. */
struct wf_clinker;
void wf_funcs_host_define(struct wf_clinker *l, wf_runtime *rt);
/* The core-module form (funcs_host.c): is module.name one of its imports;
 * is its type the Canonical ABI lowering (UNLINKABLE otherwise); a host
 * function serving it in store s. */
bool wf_funcs_host_is_import(const char *module, size_t module_len, const char *name, size_t name_len);
wf_error *wf_funcs_host_check_import(const char *name, size_t name_len, const wf_functype *type);
wf_func *wf_funcs_host_core(wf_store *s, const char *name, size_t name_len, wf_runtime *rt);

/* Add a component's exported function as function `id`, its signature the
 * export's type. comp is borrowed: it must outlive the runtime. Every import
 * is linked to a stub that traps naming it and the `imports` word that
 * would enable it. Errors: NOT_FOUND (wf_component_method_check). */
wf_error *wf_runtime_add_component(wf_runtime *rt, const char *id, const struct wf_component *comp,
                                   const wf_component_config *cfg);

#endif
