/*
 * project.h - the runtime embedding API (include/wasmfn.h, "Projects"),
 * and the JSON rules it shares with `wasmfn call`: the one place where a
 * function's arguments given as JSON texts become wf_val, and where its
 * result becomes one line of JSON.
 *
 * The layer is a thin one over the registry, the Lua layer and the
 * runtime's public functions (wf_registry_load, wf_registry_register,
 * wf_lua_register, wf_runtime_signature, wf_runtime_call): nothing here
 * knows how pools run.
 */
#ifndef WF_PROJECT_H
#define WF_PROJECT_H

#include "runtime/runtime.h"
#include "wasmfn.h"

struct wf_registry;
/* Load dir's registry and register its WASM and Lua functions into rt
 * (wf_project_load's steps). On a load error *out is NULL and the error
 * lists every problem, one a line; on a registration error *out is the
 * registry, which the caller frees after rt (rt's functions borrow it). */
wf_error *wf_project_load_into(const char *dir, wf_runtime *rt, struct wf_registry **out);

/* texts[0..n), one JSON value per argument, converted for sig: typed by
 * its WIT (an argument count that differs is INVALID), else numbers for a
 * core function. On success args[0..n) are the caller's to wf_val_free; on
 * error nothing is left to free. */
wf_error *wf_project_json_args(const wf_fn_sig *sig, const char *const *texts, size_t n,
                               wf_val *args);

/* A call's result as one line of JSON, NUL-terminated (the caller frees
 * it): null for a function without results (an empty tuple). */
char *wf_project_json_result(const wf_val *result);

#endif
