/*
 * wit.h - WIT (WebAssembly Interface Types) text: parsing and the resolved
 * type graph.
 *
 * Today's input is the `wit` field of a registry entry (SPEC §3): a flat list
 * of items, each a function `name: func(a: T, ...) -> R;` (or `-> (x: T, y: U)`
 * named results), or a type definition `record`, `variant`, `enum`, `flags`,
 * `type x = T;`: the body of one interface. Named types may be used before
 * their definition. The text is read by the one WIT parser (wit_parse.c, the
 * same that reads whole packages for tooling, wit_doc.h), in its `wit`-field
 * mode; wit.c turns the tree into the nodes below.
 *
 * After parsing, every type is resolved: aliases point at their target node,
 * and each node carries its Canonical ABI layout (size, alignment, flat
 * types), so cabi.c needs no second pass. Errors are WF_ERR_INVALID at
 * line:col, e.g. "unknown type `foo`", "duplicate function `f`".
 */
#ifndef WF_WIT_H
#define WF_WIT_H

#include "base/base.h"
#include "wasmfn.h"
#include "component/val.h"

/* Type kinds: the same numbers as the wf_val kinds a value of the type has. */
typedef enum wf_wit_kind {
    WF_WIT_BOOL = WF_VAL_BOOL,
    WF_WIT_S8 = WF_VAL_S8, WF_WIT_S16 = WF_VAL_S16, WF_WIT_S32 = WF_VAL_S32, WF_WIT_S64 = WF_VAL_S64,
    WF_WIT_U8 = WF_VAL_U8, WF_WIT_U16 = WF_VAL_U16, WF_WIT_U32 = WF_VAL_U32, WF_WIT_U64 = WF_VAL_U64,
    WF_WIT_F32 = WF_VAL_F32, WF_WIT_F64 = WF_VAL_F64,
    WF_WIT_CHAR = WF_VAL_CHAR,
    WF_WIT_STRING = WF_VAL_STRING,
    WF_WIT_LIST = WF_VAL_LIST,
    WF_WIT_TUPLE = WF_VAL_TUPLE,
    WF_WIT_RECORD = WF_VAL_RECORD,
    WF_WIT_VARIANT = WF_VAL_VARIANT,
    WF_WIT_ENUM = WF_VAL_ENUM,
    WF_WIT_OPTION = WF_VAL_OPTION,
    WF_WIT_RESULT = WF_VAL_RESULT,
    WF_WIT_FLAGS = WF_VAL_FLAGS,
    /* Resource handles (components only; the `wit` field has no resources).
     * A value of either is a WF_VAL_HANDLE; `resource` says which type. */
    WF_WIT_OWN = WF_VAL_HANDLE,
    WF_WIT_BORROW,
    /* map<K, V> (components only): the Canonical ABI despecializes it to
     * list<tuple<K, V>>, and so does the value model: a value is a
     * WF_VAL_LIST of 2-item WF_VAL_TUPLEs (key, value), in order, duplicate
     * keys allowed (Explainer.md: no uniqueness or ordering guarantee).
     * `elem` is that tuple<K, V> node (elem->fields[0] key, [1] value), so
     * code that handles a list handles a map through `elem`. */
    WF_WIT_MAP,
} wf_wit_kind;

/* A type flattening to more core values than this (a fixed-length list of
 * millions of elements) keeps no flat array: nflat is WF_WIT_FLAT_MANY and
 * flat NULL. Such a type is only ever passed through memory, since a
 * function signature flattening to more than 16 params / 1 result spills. */
#define WF_WIT_FLAT_MAX 4096u
#define WF_WIT_FLAT_MANY (WF_WIT_FLAT_MAX + 1)

/* A resource type, defined by the component layer (component/binary/comp.h). */
typedef struct wf_cresource wf_cresource;

/* Core value types of the flattened form (the Canonical ABI's i32/i64/f32/f64). */
typedef enum wf_flat { WF_FLAT_I32, WF_FLAT_I64, WF_FLAT_F32, WF_FLAT_F64 } wf_flat;

typedef struct wf_wit_type wf_wit_type;

/* A record field, variant/enum case, flag, tuple element or function
 * parameter/result. name is NULL for tuple elements and unnamed results;
 * type is NULL for enum cases, flags and variant cases without payload. */
typedef struct wf_wit_field {
    char *name;
    const wf_wit_type *type;
    uint32_t offset;         /* record/tuple: byte offset of the field */
} wf_wit_field;

struct wf_wit_type {
    wf_wit_kind kind;
    char *name;              /* a defined type's name ("user"), else NULL */
    const wf_wit_type *elem; /* list, option: T; result: ok type or NULL; map: tuple<K, V> */
    const wf_wit_type *err;  /* result: err type or NULL */
    wf_wit_field *fields;    /* record, tuple, variant, enum, flags */
    const wf_cresource *resource; /* own, borrow: the resource type */
    size_t nfields;
    /* list: a fixed-length list<T, len> (len > 0; its values are
     * WF_VAL_LIST of exactly len items), 0 for a variable-length list */
    uint32_t len;
    /* Canonical ABI layout (32-bit memory). */
    uint32_t size, align;    /* elem_size and alignment */
    /* elem_size and alignment with 64-bit pointers (validation requires
     * elem_size(t, 'i64') < 2^28, Binary.md) */
    uint32_t size64, align64;
    uint32_t payload_offset; /* variant-like: offset of the payload after the discriminant */
    wf_flat *flat;           /* flatten_type(t) */
    uint32_t nflat;
    int line, col;           /* where it was written (0 for built-ins) */
    uint8_t state;           /* internal to wit.c (resolution) */
};

typedef struct wf_wit_func {
    char *name;
    wf_wit_field *params;    /* names always set */
    size_t nparams;
    wf_wit_field *results;   /* 0 or 1 unnamed, or several named */
    size_t nresults;
    bool named_results;      /* `-> (a: T, b: U)` form (also `-> ()`) */
    int line, col;           /* where it was declared */
} wf_wit_func;

typedef struct wf_wit {
    wf_wit_func *funcs;
    size_t nfuncs;
    wf_wit_type **types;     /* every node, owned (named and anonymous) */
    size_t ntypes;
} wf_wit;

/* Parse and resolve WIT text; *out is owned by the caller (wf_wit_free). */
wf_error *wf_wit_parse(const char *text, size_t len, wf_wit **out);
/* Frees every func and every type node in types (also for a wf_wit built by
 * the component decoder: nodes and their names/fields/flat are heap-owned). */
void wf_wit_free(wf_wit *w);

/* A function by name (also matches with '_' for '-'), or NULL. */
const wf_wit_func *wf_wit_find_func(const wf_wit *w, const char *name);
/* A defined (named) type, or NULL. */
const wf_wit_type *wf_wit_find_type(const wf_wit *w, const char *name);

/* The type as WIT text for messages: its name if it has one, else the
 * structural form ("list<string>", "option<u32>"); the caller frees it. */
char *wf_wit_type_str(const wf_wit_type *t);
/* Compute t's Canonical ABI layout (size, align, payload_offset, flat, field
 * offsets) and that of every type it refers to, once (t->state records it).
 * For nodes built outside wit.c, e.g. by the component decoder: they must be
 * zero-initialised apart from kind/elem/err/fields/resource. WF_ERR_INVALID
 * for a cycle or nesting deeper than the limit. */
wf_error *wf_wit_layout(wf_wit_type *t);

/* Built-in primitive type nodes (static; never freed), for kinds BOOL..STRING. */
const wf_wit_type *wf_wit_prim(wf_wit_kind k);

#endif
