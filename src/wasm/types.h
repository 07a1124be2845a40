/*
 * types.h - value types, function types and the process-wide canonical type
 * registry.
 *
 * Function types are hash-consed: structurally equal types (equal recursion
 * groups, for types declared in a `rec`) get one wf_functype with one id, for
 * the life of the process, so a call_indirect signature check or an import
 * type check is a pointer comparison. The registry is thread-safe; its types
 * are never freed.
 */
#ifndef WF_TYPES_H
#define WF_TYPES_H

#include "base/base.h"
#include "wasmfn.h"

static inline bool wf_valtype_is_ref(wf_valtype t) { return t.kind == WF_REF; }
static inline bool wf_valtype_is_num(wf_valtype t) { return t.kind != WF_REF; }

/* Number of 8-byte engine slots a value of type t takes (v128 takes 2). */
static inline uint32_t wf_valtype_slots(wf_valtype t) { return t.kind == WF_V128 ? 2 : 1; }

bool wf_valtype_eq(wf_valtype a, wf_valtype b);
/* Subtyping: a <: b (reference nullability, heap type hierarchy, declared
 * function subtypes). For numeric types it is equality. */
bool wf_valtype_sub(wf_valtype a, wf_valtype b);
/* The top heap type of t's hierarchy: WF_HEAP_FUNC, _EXTERN, _EXN or _ANY. */
uint8_t wf_heaptype_top(wf_valtype t);
/* Function subtyping through declared supertypes: a <: b. */
bool wf_functype_sub(const wf_functype *a, const wf_functype *b);

/* Recursion groups. The decoder describes the types of one `rec` group (a
 * lone type is a group of one) with value types whose WF_HEAP_TYPE index is
 * either a canonical id of an earlier registered type or WF_REC_REF(i), the
 * i-th type of the group itself. Equal groups (iso-recursively) map to the
 * same canonical types; canonical ids of one group are consecutive. */
#define WF_REC_BIT      0x80000000u
#define WF_REC_REF(i)   (WF_REC_BIT | (uint32_t)(i))

/* The composite type a defined type is. */
enum { WF_COMP_FUNC, WF_COMP_STRUCT, WF_COMP_ARRAY };

/* A struct field or an array's element: its value type (i32 for the
 * packed i8 and i16), packing (0, or its width in bytes: 1 or 2) and
 * mutability. */
typedef struct wf_fieldtype {
    wf_valtype type;
    uint8_t packed;
    bool mut;
} wf_fieldtype;

typedef struct wf_subtype_desc {
    uint8_t kind;           /* WF_COMP_* */
    const wf_valtype *params, *results;     /* WF_COMP_FUNC */
    uint32_t nparams, nresults;
    const wf_fieldtype *fields;             /* struct fields, or the array's element */
    uint32_t nfields;
    bool final;             /* `sub final` or a plain `func` */
    bool has_super;
    uint32_t super;         /* canonical id or WF_REC_REF(i) */
} wf_subtype_desc;

/* A defined type's kind (WF_COMP_*), and for a struct or an array its
 * fields (one for an array). Every defined type is a wf_functype handle
 * (id, and for functions the signature); struct and array types have no
 * params or results. */
uint8_t wf_type_kind(const wf_functype *t);
const wf_fieldtype *wf_type_fields(const wf_functype *t, uint32_t *n);
/* The layout of a struct (each field in 8 bytes, a v128 in 16, from
 * offset 0; size = the bytes of all) and an array (elem_size bytes an
 * element, packed ones 1 or 2, little-endian as in memory). */
uint32_t wf_type_field_offset(const wf_functype *t, uint32_t i);
uint32_t wf_type_struct_size(const wf_functype *t);
uint32_t wf_type_elem_size(const wf_functype *t);
/* Bytes a field's value takes in an object: 1 or 2 packed, 4 for i32 and
 * f32, 16 for v128, else 8. */
uint32_t wf_fieldtype_bytes(const wf_fieldtype *f);

/* Register a recursion group of n defined types (n >= 1); out[i] receives
 * the canonical type of the i-th. Registry memory lives for the process. */
void wf_types_rec_group(const wf_subtype_desc *types, uint32_t n, const wf_functype **out);

/* Declared supertype of t (NULL when none) and whether t is final. */
const wf_functype *wf_functype_super(const wf_functype *t);
bool wf_functype_final(const wf_functype *t);

/* Structural matching as `sub` declarations require: the same kind;
 * functions' params contravariant, results covariant; a struct with at
 * least the supertype's fields, an array's element, each immutable one
 * covariant, each mutable one the same (used to check a declared
 * supertype; a <: b by declaration is wf_functype_sub). */
bool wf_functype_matches(const wf_functype *a, const wf_functype *b);

/* Writes a WAT-style name ("i32", "(ref null func)", "(ref 3)") to buf. */
const char *wf_valtype_name(wf_valtype t, char *buf, size_t size);

#endif
