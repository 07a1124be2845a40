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

/* An exported function by the name a user writes in `method`: "f" for a
 * top-level export, "iface#f" for function f of an exported instance
 * (iface is the export's full name, "ns:pkg/iface@1.0.0", or it without its
 * version, or its last path segment "iface"). NULL when there is none. */
const wf_wit_func *wf_component_find_func(const wf_component *c, const char *name);

/* ---- Linking: what the host provides for the component's imports -------- */

/* A host function called with lifted wf_val arguments (args[i] has type
 * type->params[i].type); it sets *result when type->nresults is 1 (a value
 * of type->results[0].type, moved out of the callee) and returns NULL, or
 * returns an error (WF_ERR_TRAP usually) that aborts the whole call. */
typedef wf_error *(*wf_chost_fn)(void *env, const wf_wit_func *type,
                                 const wf_val *args, size_t nargs, wf_val *result);

wf_clinker *wf_clinker_new(void);
void wf_clinker_free(wf_clinker *l);
/* A host function for import `name` (top-level func import) or for member
 * `func` of instance import `name` (func != NULL). Its type comes from the
 * component's import; a later definition of the same name replaces it. */
void wf_clinker_define_func(wf_clinker *l, const char *name, const char *func,
                            wf_chost_fn fn, void *env);
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
