/*
 * cabi_int.h - shared between the Canonical ABI files: the call context,
 * flat values and the lowering/lifting entry points.
 *
 * Flat values are raw 64-bit patterns (32-bit ones zero-extended, floats as
 * their bits), which makes the variant `join` coercions plain masking.
 */
#ifndef WF_CABI_INT_H
#define WF_CABI_INT_H

#include "component/cabi.h"
#include "base/buf.h"

#define WF_CABI_MAX_FLAT_PARAMS 16
#define WF_CABI_MAX_FLAT_RESULTS 1
/* Lifting a result allocates a wf_val per element: a guest must not make the
 * host allocate without bound (list<u8> of 1 GiB = 24 GiB of wf_val). */
#define WF_CABI_MAX_ITEMS (16u << 20)

typedef struct cabi_cx {
    wf_instance *inst;
    wf_memory *mem;          /* NULL until needed */
    wf_func *realloc;        /* NULL until needed */
    size_t items;            /* wf_vals made while lifting */
    wf_buf path;             /* "users[1].name" for messages, NUL-terminated */
} cabi_cx;

/* Path helpers: push returns the old length to restore with path_pop. */
size_t cabi_path_push(cabi_cx *cx, const char *fmt, ...) WF_PRINTF(2, 3);
void cabi_path_pop(cabi_cx *cx, size_t len);
const char *cabi_path(cabi_cx *cx);

/* The memory and cabi_realloc exports, looked up on first use; `why` says
 * what needed them ("to pass a string"). */
wf_error *cabi_need_memory(cabi_cx *cx, const char *why);
wf_error *cabi_need_realloc(cabi_cx *cx, const char *why);
/* cabi_realloc(0, 0, align, size), checking the returned pointer. */
wf_error *cabi_alloc(cabi_cx *cx, uint32_t align, uint32_t size, uint32_t *ptr);

/* Check that v has the shape of t (before anything runs). */
wf_error *cabi_check_val(cabi_cx *cx, const wf_wit_type *t, const wf_val *v);
/* Helpers shared by check and lower: the value of field i of record t, and
 * the case index of a variant-like value (-1 when there is none). */
const wf_val *cabi_record_item(const wf_wit_type *t, const wf_val *v, size_t i);
long cabi_case_index(const wf_wit_type *t, const wf_val *v);
/* Of a variant-like type (variant, enum, option, result): how many cases it
 * has, and the payload type of case i (NULL when the case has none). */
size_t cabi_case_count(const wf_wit_type *t);
const wf_wit_type *cabi_case_type(const wf_wit_type *t, size_t i);

/* Lower v (already checked) to t->nflat flat values / into memory at ptr. */
wf_error *cabi_lower_flat(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint64_t *out);
wf_error *cabi_store(cabi_cx *cx, const wf_wit_type *t, const wf_val *v, uint32_t ptr);

/* Lift from t->nflat flat values / from memory at ptr (bounds and alignment
 * of ptr already checked by the caller for load). */
wf_error *cabi_lift_flat(cabi_cx *cx, const wf_wit_type *t, const uint64_t *in, wf_val *out);
wf_error *cabi_load(cabi_cx *cx, const wf_wit_type *t, uint32_t ptr, wf_val *out);
/* Check that [ptr, ptr+size) is in memory and ptr is aligned (a TRAP otherwise). */
wf_error *cabi_check_range(cabi_cx *cx, uint64_t ptr, uint64_t size, uint32_t align, const char *what);

#endif
