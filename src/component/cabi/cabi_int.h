/*
 * cabi_int.h - shared between the Canonical ABI files (cabi*.c) and the
 * component instances that use them (cinst*.c): canonical options, the
 * lifting/lowering context, runtime resource types and handle tables, flat
 * values and the lowering/lifting entry points.
 *
 * Flat values are raw 64-bit patterns (32-bit ones zero-extended, floats as
 * their bits), which makes the variant `join` coercions plain masking.
 *
 * Trap messages start with the text other engines use for the same trap
 * (wasmtime's, as the component-model test suite expects them, e.g.
 * "unknown handle index 5", "invalid utf-8") and go on with where it
 * happened in parentheses.
 */
#ifndef WF_CABI_INT_H
#define WF_CABI_INT_H

#include "component/cabi/cabi.h"
#include "base/buf.h"
#include "base/vec.h"

#define WF_CABI_MAX_FLAT_PARAMS 16
#define WF_CABI_MAX_FLAT_RESULTS 1
/* Lifting a result allocates a wf_val per element: a guest must not make the
 * host allocate without bound (list<u8> of 1 GiB = 24 GiB of wf_val). */
#define WF_CABI_MAX_ITEMS (16u << 20)
/* CanonicalABI.md MAX_STRING_BYTE_LENGTH / MAX_LIST_BYTE_LENGTH. */
#define WF_CABI_MAX_BYTES ((1u << 28) - 1)
#define WF_CABI_UTF16_TAG (1u << 31)
/* Table.MAX_LENGTH */
#define WF_CABI_MAX_HANDLES ((1u << 28) - 1)

/* ---- Canonical options ---------------------------------------------------- */

typedef enum wf_cabi_enc { WF_CABI_UTF8, WF_CABI_UTF16, WF_CABI_LATIN1_UTF16 } wf_cabi_enc;

/* The canonopts of one `canon lift` or `canon lower` (all optional). */
typedef struct wf_cabi_opts {
    wf_memory *memory;
    wf_func *realloc;
    wf_func *post_return;
    wf_cabi_enc enc;
} wf_cabi_opts;

/* ---- Resources and handles (CanonicalABI.md "Resource State") ------------- */

typedef struct cabi_inst cabi_inst;

/* A runtime resource type: one per `(type (resource ...))` definition per
 * component instance; compared by identity. `id` names it in the wf_val of a
 * handle the host holds (see wf_cabi_handle_val). */
typedef struct cabi_rtype {
    cabi_inst *impl;           /* the instance that defined it (NULL: the host) */
    wf_func *dtor;             /* (func (param i32)), or NULL */
    uint32_t id;
    /* A host resource's destructor (impl and dtor NULL), called with the
     * instance dropping the handle (NULL: the host itself). */
    wf_error *(*host_dtor)(void *env, cabi_inst *from, uint32_t rep);
    void *host_env;
} cabi_rtype;

/* A callee's borrow scope (the spec's Task): borrow handles lowered into it
 * that are not dropped yet. */
typedef struct cabi_task {
    uint32_t borrows;
} cabi_task;

typedef struct cabi_handle {
    cabi_rtype *rt;            /* NULL: a free slot */
    uint32_t rep;
    uint32_t lends;            /* borrows lent out of it in calls under way */
    bool own;
    cabi_task *scope;          /* a borrow: the task it was lent to */
} cabi_handle;

/* The Canonical ABI's state of one component instance (the spec's
 * ComponentInstance): its handle table and reentrance flags. */
struct cabi_inst {
    cabi_inst *parent;
    WF_VEC(cabi_handle) handles;   /* [0] is reserved */
    WF_VEC(uint32_t) free;         /* freed indices, reused last-in first-out */
    bool may_enter, may_leave;
    /* Set when a call into it (or an instance it contains) failed with a
     * trap: its state may be half-updated, so it is never entered again
     * (Explainer.md: a trap poisons the component instance). */
    bool poisoned;
    /* The runtime type of a resource type node's `resource` in this instance. */
    cabi_rtype *(*resource)(cabi_inst *ci, const wf_cresource *r);
};

void wf_cabi_inst_init(cabi_inst *ci, cabi_inst *parent);
void wf_cabi_inst_fini(cabi_inst *ci);

/* A new runtime resource type (registered so handle values can name it);
 * wf_cabi_rtype_free unregisters it. */
cabi_rtype *wf_cabi_rtype_new(cabi_inst *impl, wf_func *dtor);
void wf_cabi_rtype_free(cabi_rtype *rt);

/* may_enter_from / enter_from / leave_to with caller NULL for the host. */
bool wf_cabi_may_enter(cabi_inst *ci, cabi_inst *caller);
/* ci or an instance containing it trapped earlier; wf_cabi_poison marks ci and
 * the instances containing it (their state includes ci's). */
bool wf_cabi_is_poisoned(const cabi_inst *ci);
void wf_cabi_poison(cabi_inst *ci);
/* The trap for entering a poisoned instance. */
wf_error *wf_cabi_poisoned_trap(void);
void wf_cabi_enter(cabi_inst *ci, cabi_inst *caller, bool enter);

/* The built-ins, on instance ci (traps as the spec's trap_ifs). */
wf_error *wf_cabi_resource_new(cabi_inst *ci, cabi_rtype *rt, uint32_t rep, uint32_t *out);
wf_error *wf_cabi_resource_drop(cabi_inst *ci, cabi_rtype *rt, uint32_t i);
wf_error *wf_cabi_resource_rep(cabi_inst *ci, cabi_rtype *rt, uint32_t i, uint32_t *out);
/* Run rt's destructor (if it has one) on rep, called from instance ci (NULL:
 * the host), with the reentrance and poison checks of a call. */
wf_error *wf_cabi_run_dtor(cabi_rtype *rt, uint32_t rep, cabi_inst *ci);

/* A lent handle, to give back when the call ends (Subtask.deliver_resolve). */
typedef struct cabi_lend { cabi_inst *inst; uint32_t index; } cabi_lend;
typedef WF_VEC(cabi_lend) cabi_lends;
void wf_cabi_lends_release(cabi_lends *l);

/* ---- The lifting/lowering context ------------------------------------------ */

/* One step of the path to a value, for messages ("users[1].name"). */
enum { CABI_FRAME_INDEX, CABI_FRAME_FIELD, CABI_FRAME_PARAM, CABI_FRAME_LABEL, CABI_FRAME_PLURAL,
       CABI_FRAME_OWNED };
typedef struct cabi_frame {
    uint8_t kind;
    const char *s;           /* borrowed (type names outlive the call), or OWNED */
    size_t i;
} cabi_frame;

typedef struct cabi_cx {
    wf_instance *inst;       /* core-module mode: memory and realloc are its exports */
    wf_memory *mem;          /* NULL until needed (core mode) or none given */
    wf_func *realloc;        /* NULL until needed (core mode) or none given */
    wf_cabi_enc enc;
    /* Component mode: the instance whose handles and memory these are, the
     * callee's task (lowering borrows) or the caller's lends (lifting them). */
    cabi_inst *ci;
    cabi_task *task;
    cabi_lends *lends;
    /* Lowering into a callee from another component rather than from the
     * host: the messages of some traps differ (see wf_cabi_alloc). */
    bool adapter;
    /* Lifting the arguments of a host function: a list<u8> becomes one byte
     * string (WF_VAL_STRING, which every list<u8> accepts back) rather than
     * a wf_val per byte, so a guest writing a megabyte to a file or stream
     * costs one copy. */
    bool bytes_as_string;
    size_t items;            /* wf_vals made while lifting */
    WF_VEC(cabi_frame) frames;  /* in `first` until it outgrows it */
    cabi_frame first[8];     /* a call's few levels need no allocation */
    wf_buf path;             /* the frames rendered, by wf_cabi_path */
} cabi_cx;

/* A context for component mode with options o on instance ci. */
void wf_cabi_cx_init(cabi_cx *cx, const wf_cabi_opts *o, cabi_inst *ci);
void wf_cabi_cx_fini(cabi_cx *cx);

/* Path helpers: each push returns the depth to restore with path_pop. The
 * strings are not copied (they are type or label names that outlive the
 * call) except by the printf-like wf_cabi_path_push. wf_cabi_cx_fini pops all. */
size_t wf_cabi_path_index(cabi_cx *cx, size_t i);           /* "[i]" */
size_t wf_cabi_path_field(cabi_cx *cx, const char *name);   /* ".name" */
size_t wf_cabi_path_param(cabi_cx *cx, const char *name);   /* "parameter `name`" */
size_t wf_cabi_path_label(cabi_cx *cx, const char *s);      /* "s" */
size_t wf_cabi_path_plural(cabi_cx *cx, const char *s);     /* "ss" */
size_t wf_cabi_path_push(cabi_cx *cx, const char *fmt, ...) WF_PRINTF(2, 3);
void wf_cabi_path_pop(cabi_cx *cx, size_t depth);
const char *wf_cabi_path(cabi_cx *cx);
/* A WF_ERR_TRAP "<what> (<path>[: <detail>])". */
wf_error *wf_cabi_trap(cabi_cx *cx, const char *what, const char *detail_fmt, ...) WF_PRINTF(3, 4);

/* The memory and realloc: in core mode looked up on first use among the
 * instance's exports; `why` says what needed them ("to pass a string"). */
wf_error *wf_cabi_need_memory(cabi_cx *cx, const char *why);
wf_error *wf_cabi_need_realloc(cabi_cx *cx, const char *why);
/* realloc(old, old_size, align, size), checking the returned pointer's
 * alignment and bounds; `what` ("string", "list") names it in messages. */
wf_error *wf_cabi_realloc(cabi_cx *cx, uint32_t old, uint32_t old_size, uint32_t align, uint32_t size,
                       const char *what, uint32_t *ptr);
wf_error *wf_cabi_alloc(cabi_cx *cx, uint32_t align, uint32_t size, const char *what, uint32_t *ptr);
/* Helpers shared by check and lower: the value of field i of record t, and
 * the case index of a variant-like value (-1 when there is none). */
const wf_val *wf_cabi_record_item(const wf_wit_type *t, const wf_val *v, size_t i);
long wf_cabi_case_index(const wf_wit_type *t, const wf_val *v);
/* Of a variant-like type (variant, enum, option, result): how many cases it
 * has, and the payload type of case i (NULL when the case has none). */
size_t wf_cabi_case_count(const wf_wit_type *t);
const wf_wit_type *wf_cabi_case_type(const wf_wit_type *t, size_t i);

/* Lower v (already checked) to t->nflat flat values / into memory at ptr. */
wf_error *wf_cabi_lower_flat(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint64_t *out);
wf_error *wf_cabi_store(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t ptr);

/* Lift from t->nflat flat values / from memory at ptr (bounds and alignment
 * of ptr already checked by the caller for load). */
wf_error *wf_cabi_lift_flat(cabi_cx *cx, const wf_wit_type *t, const uint64_t *in, wf_val *out);
wf_error *wf_cabi_load(cabi_cx *cx, const wf_wit_type *t, uint32_t ptr, wf_val *out);
/* Check that [ptr, ptr+size) is in memory and ptr is aligned: a trap whose
 * message starts with `unaligned` or `oob` otherwise. */
wf_error *wf_cabi_check_range(cabi_cx *cx, uint64_t ptr, uint64_t size, uint32_t align,
                           const char *unaligned, const char *oob);

/* Count n host values made while lifting (WF_ERR_LIMIT past the cap). */
wf_error *wf_cabi_count_items(cabi_cx *cx, uint64_t n);

/* Strings (cabi_string.c): store_string / load_string in cx->enc. */
wf_error *wf_cabi_store_string(cabi_cx *cx, const wf_val *v, uint32_t *ptr, uint32_t *units);
wf_error *wf_cabi_load_string(cabi_cx *cx, uint32_t ptr, uint32_t tagged_units, wf_val *out);

/* Handles (cabi_handle.c): lift_own / lift_borrow / lower_own / lower_borrow. */
wf_error *wf_cabi_lift_handle(cabi_cx *cx, const wf_wit_type *t, uint32_t i, wf_val *out);
wf_error *wf_cabi_lower_handle(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t *out);
/* The wf_val of a handle to rep of type rt, and back (false: no live type). */
wf_val wf_cabi_handle_val(const cabi_rtype *rt, uint32_t rep);
bool wf_cabi_handle_parse(const wf_val *v, cabi_rtype **rt, uint32_t *rep);

/* ---- Whole parameter / result lists (lift_flat_values, lower_flat_values) -- */

/* Core types of flattening the types of fs (before spilling); *n the count. */
uint32_t wf_cabi_count_flat(const wf_wit_field *fs, size_t n);
/* flatten_functype(opts, ft, lift or lower): at most 17 params, 1 result. */
void wf_cabi_core_sig(const wf_wit_func *sig, bool lower, wf_flat *params, uint32_t *np,
                   wf_flat *results, uint32_t *nr);
/* Lower vs (checked) of types fs: flat into raw[0..), or spilled to memory
 * allocated with realloc (raw[0] = its pointer) or, out_param set, to the
 * caller's buffer at *out_param. *nraw is how many raw values were made. */
wf_error *wf_cabi_lower_values(cabi_cx *cx, const wf_wit_field *fs, size_t n, uint32_t max_flat,
                            const wf_val *vs, const char *label, uint64_t *raw, uint32_t *nraw,
                            const uint32_t *out_param);
/* Lift vals[0..n) of types fs from raw flat values (or from the tuple that
 * raw[0] points at when they take more than max_flat). */
wf_error *wf_cabi_lift_values(cabi_cx *cx, const wf_wit_field *fs, size_t n, uint32_t max_flat,
                           const uint64_t *raw, const char *label, wf_val *vals);

/* Raw flat values and core values. */
wf_value wf_cabi_to_value(wf_flat f, uint64_t raw);
uint64_t wf_cabi_from_value(const wf_value *v);
wf_valtype wf_cabi_flat_valtype(wf_flat f);

#endif
