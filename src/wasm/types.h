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
/* Function subtyping through declared supertypes: a <: b. */
bool wf_functype_sub(const wf_functype *a, const wf_functype *b);

/* Writes a WAT-style name ("i32", "(ref null func)", "(ref 3)") to buf. */
const char *wf_valtype_name(wf_valtype t, char *buf, size_t size);

#endif
