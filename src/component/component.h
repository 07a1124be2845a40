/*
 * component.h - components: the API the rest of wasmfn (registry, runtime,
 * the `wast` runner, the CLI) uses to load a component binary, inspect its
 * imports and exports, instantiate it and call its exported functions with
 * wf_val values (docs/component-model/Explainer.md, Binary.md,
 * CanonicalABI.md).
 *
 * The parts behind it, one sub-folder each, each using only those before it:
 * wit/ the WIT types (wit.h) every other part describes values with;
 * binary/ the decoder and validator, whose result is the component IR
 * (binary/comp.h); cabi/ the Canonical ABI proper (lifting/lowering values,
 * string encodings, handle tables); link/ instantiation and linking, wiring
 * core instances through aliases and canonical lifts/lowers. The value
 * model (val.h) sits below them all; JSON text <-> wf_val (json.h) uses it
 * and wit/.
 *
 * Threads: a wf_component is immutable once made and may be shared by any
 * number of threads instantiating it; a wf_cinstance is used by one thread
 * at a time.
 *
 * Types: a component's function types are wf_wit_func and its value types
 * wf_wit_type (wit/wit.h), the same nodes the `wit` field produces, so the Lua
 * and JSON converters work unchanged. Resource handles are WF_WIT_OWN /
 * WF_WIT_BORROW types whose values are WF_VAL_HANDLE.
 */
#ifndef WF_COMPONENT_H
#define WF_COMPONENT_H

#include "base/base.h"
#include "wasmfn.h"
#include "component/val.h"
#include "component/wit/wit.h"

typedef struct wf_component wf_component;
typedef struct wf_cinstance wf_cinstance;
typedef struct wf_clinker wf_clinker;

/* True when bytes start with the component preamble (magic, version 0x0d,
 * layer 1), i.e. this is a component rather than a core module. */
bool wf_component_is_binary(const uint8_t *bytes, size_t len);

/* Decode and validate a component binary. Errors: WF_ERR_MALFORMED (bad
 * encoding, with the byte offset) or WF_ERR_INVALID (validation, with the
 * spec's reason); nested core modules are compiled here too, once. */
wf_error *wf_component_new(const uint8_t *bytes, size_t len, wf_component **out);
/* The same, taking bytes (from malloc): the component keeps them and its
 * core modules read them in place instead of each copying its part (a
 * 12 MB component loads without copying its 11 MB module again); freed
 * with the component, or at once on an error. */
wf_error *wf_component_new_owned(uint8_t *bytes, size_t len, wf_component **out);
void wf_component_free(wf_component *c);

/* ---- The component's type: its imports and exports --------------------- */

typedef enum wf_cextern_kind {
    WF_CEXTERN_MODULE,      /* core module */
    WF_CEXTERN_FUNC,
    WF_CEXTERN_VALUE,
    WF_CEXTERN_TYPE,
    WF_CEXTERN_COMPONENT,
    WF_CEXTERN_INSTANCE,
} wf_cextern_kind;

/* One import or export as the embedder sees it. For an instance, `members`
 * are its exports (the functions of an interface, typically); for a func,
 * `func` is its type. */
typedef struct wf_cextern {
    const char *name;                /* e.g. "run", "wasi:cli/stdout@0.2.0" */
    wf_cextern_kind kind;
    const wf_wit_func *func;         /* WF_CEXTERN_FUNC */
    const struct wf_cextern *members;/* WF_CEXTERN_INSTANCE: its exports */
    size_t nmembers;
} wf_cextern;

size_t wf_component_import_count(const wf_component *c);
const wf_cextern *wf_component_import(const wf_component *c, size_t i);
size_t wf_component_export_count(const wf_component *c);
const wf_cextern *wf_component_export(const wf_component *c, size_t i);

/* The component's type as WIT text (`wasmfn wit FILE.wasm`): its world
 * (imports and exports) and each imported or exported interface with its
 * types and functions, appended to out. */
struct wf_buf;
void wf_component_wit(const wf_component *c, struct wf_buf *out);

/* An exported function by the name a user writes in `method`: "f" for a
 * top-level export, "iface#f" for function f of an exported instance
 * (iface is the export's full name, "ns:pkg/iface@1.0.0", or it without its
 * version, or its last path segment "iface"). NULL when there is none. */
const wf_wit_func *wf_component_find_func(const wf_component *c, const char *name);

/* ---- Linking: what the host provides for the component's imports -------- */

/* A host function called with lifted wf_val arguments (args[i] has type
 * type->params[i].type); it sets *result when type->nresults is 1 (a value
 * of type->results[0].type, moved out of the callee) and returns NULL, or
 * returns an error (WF_ERR_TRAP usually) that aborts the whole call. inst
 * is the (root) instance whose guest called it: wf_cinstance_data(inst) is
 * the per-instance state the host gave wf_cinstance_new_with. Arguments come
 * from guest code: a host function checks their kinds (the import's type is
 * the component's, not the host's), while its result is checked against the
 * import's type before it is lowered (a wrong one is WF_ERR_INVALID). */
typedef wf_error *(*wf_chost_fn)(void *env, wf_cinstance *inst, const wf_wit_func *type,
                                 const wf_val *args, size_t nargs, wf_val *result);

wf_clinker *wf_clinker_new(void);
void wf_clinker_free(wf_clinker *l);
/* A host function for import `name` (top-level func import) or for member
 * `func` of instance import `name` (func != NULL). Its type comes from the
 * component's import; a later definition of the same name replaces it.
 *
 * Names and versions: an import matches a definition of the same name, or
 * of its name without `@version`, or (both versioned) a definition whose
 * version is semver-compatible with the import's: the same major version
 * when it is 1 or more, else the same major.minor (0.2.x matches any other
 * 0.2.y: `wasi:io/streams@0.2.0` links to a host defining
 * `wasi:io/streams@0.2.12`, `@0.3.0` does not). Pre-release versions match
 * only exactly. Resource method names are the component model's:
 * `[constructor]R`, `[method]R.f`, `[static]R.f`. */
void wf_clinker_define_func(wf_clinker *l, const char *name, const char *func,
                            wf_chost_fn fn, void *env);

/* ---- Host resources ---------------------------------------------------- */

/* A resource type the host implements, exported by an instance import (WASI
 * 0.2's `output-stream` of `wasi:io/streams`, `pollable` of `wasi:io/poll`).
 * A handle of it names a representation the host chose (a u32 `rep`: an
 * index into the host's own per-instance table, typically); the guest holds
 * it in its handle table like any handle, passes it as `own`/`borrow` to host
 * functions (which receive WF_VAL_HANDLE values: wf_chost_handle_rep gives
 * the rep back, checking the type) and gets new ones from host results
 * (wf_chost_handle makes the value; returning it as `own` hands the handle
 * to the guest). When the guest drops an owned handle (resource.drop, or an
 * own handle the host received and drops itself with
 * wf_cinstance_drop_handle), dtor(env, inst, rep) runs: the host frees what
 * rep names; an error from it (WF_ERR_TRAP: "resource has children") traps
 * the guest's drop. Handles left when the instance is freed get no dtor call:
 * the host frees its per-instance table with its own state.
 *
 * The type is made once by the linker and shared by every instance linked
 * with it (the handle table is per instance, so instances never see each
 * other's handles). It lives until wf_clinker_free. */
typedef struct wf_chost_resource wf_chost_resource;
typedef wf_error *(*wf_chost_dtor)(void *env, wf_cinstance *inst, uint32_t rep);
/* Define resource type `resource` of instance import `name` (matched as for
 * functions). dtor may be NULL. A second definition of the same names
 * returns the first (dtor and env replaced). */
wf_chost_resource *wf_clinker_define_resource(wf_clinker *l, const char *name,
                                              const char *resource, wf_chost_dtor dtor,
                                              void *env);
/* The handle value of rep, to return to a guest (own or borrow). */
wf_val wf_chost_handle(const wf_chost_resource *r, uint32_t rep);
/* The rep of handle v when it is a handle of r; false otherwise (another
 * type's handle, not a handle at all). */
bool wf_chost_handle_rep(const wf_chost_resource *r, const wf_val *v, uint32_t *rep);

/* Everything `inst` exports, offered as import `name` (an instance import;
 * also how the wast runner's `register` works). inst must outlive every
 * instance linked with it. */
void wf_clinker_define_instance(wf_clinker *l, const char *name, wf_cinstance *inst);
/* For imports the linker does not define: when set, a func (or every func of
 * an instance) the host did not provide is linked to a stub that traps with
 * the message this returns (called once per stub at instantiation; the
 * caller frees the string) instead of instantiation failing UNLINKABLE. */
typedef char *(*wf_cmissing_fn)(void *env, const char *import, const char *func);
void wf_clinker_stub_missing(wf_clinker *l, wf_cmissing_fn fn, void *env);

/* ---- Instances ----------------------------------------------------------- */

/* Instantiate c. Core instances, memories and tables go into store s (its
 * limits apply; the store must outlive the instance). Errors:
 * WF_ERR_UNLINKABLE (a missing or mistyped import, naming it), WF_ERR_TRAP
 * (a trap in a core start function or the component start). */
wf_error *wf_cinstance_new(wf_store *s, const wf_component *c, const wf_clinker *l,
                           wf_cinstance **out);
/* The same with per-instance host state `data` (wf_cinstance_data; the
 * caller owns it and frees it after wf_cinstance_free), set before anything
 * of the component runs (start functions may call host functions). */
wf_error *wf_cinstance_new_with(wf_store *s, const wf_component *c, const wf_clinker *l,
                                void *data, wf_cinstance **out);
void *wf_cinstance_data(const wf_cinstance *inst);
/* Replace the host state (a pooled instance gets a new one when it is
 * reset; the caller frees the old one). */
void wf_cinstance_set_data(wf_cinstance *inst, void *data);
void wf_cinstance_free(wf_cinstance *inst);
/* Put the instance's Canonical ABI state back as instantiation left it:
 * empty handle tables, reentrance flags up, not poisoned. The core state
 * (memories, globals, tables) is the store's: wf_snapshot_reset
 * (wasm/image.h). Handles the host still holds from inst become invalid. */
void wf_cinstance_reset(wf_cinstance *inst);
/* How many resource handles inst's handle tables hold. */
size_t wf_cinstance_open_handles(const wf_cinstance *inst);

/* Call an exported function by `method` name (see wf_component_find_func).
 * args are checked against its type first (WF_ERR_INVALID naming the
 * parameter; nothing runs). The result: with no result, *result is an empty
 * tuple; else the lifted value. Guest traps and Canonical ABI misuse (bad
 * handle, invalid char or UTF-8/UTF-16, misaligned or out-of-bounds pointer)
 * are WF_ERR_TRAP with the reason. WF_ERR_NOT_FOUND for an unknown name. */
wf_error *wf_cinstance_call(wf_cinstance *inst, const char *name,
                            const wf_val *args, size_t nargs, wf_val *result);
/* The same in two steps, for a caller that calls one function of an
 * instance many times (a pooled slot): the function found once by name,
 * NULL when inst exports none (valid while inst lives; wf_cinstance_reset
 * keeps it), then called as wf_cinstance_call does. */
typedef struct cfunc wf_cinstance_func;
wf_cinstance_func *wf_cinstance_find(wf_cinstance *inst, const char *name);
wf_error *wf_cinstance_call_func(wf_cinstance_func *f, const wf_val *args, size_t nargs, wf_val *result);

/* Drop an owned resource handle the host received from inst (in a call's
 * result, or as an argument of a host function): runs the resource's
 * destructor in the instance that defined it, as `resource.drop` does for a
 * guest (CanonicalABI.md canon_resource_drop). An `own` handle the host got
 * is the host's to drop exactly once, unless it gives it back to a guest as
 * an `own` argument or result (ownership moves with it); a borrow must not
 * be dropped. The handle value itself does not record ownership, so a
 * second drop of the same handle is not detected: it runs the destructor
 * again. Handles the host never drops are forgotten, without their
 * destructors, when the instance is freed (the spec's handle tables go with
 * the instance; destructors are guest code and the instance is being torn
 * down). Errors: WF_ERR_INVALID when handle is not a handle of a resource
 * type of inst; WF_ERR_TRAP when the destructor traps or the instance is
 * poisoned or in a call. */
wf_error *wf_cinstance_drop_handle(wf_cinstance *inst, const wf_val *handle);

#endif
