/*
 * gc.h - how references of the GC proposal's hierarchies are represented,
 * and the run-time type test of ref.test, ref.cast and br_on_cast.
 *
 * A reference is one pointer-sized word, NULL the null of every type.
 *   - func hierarchy: a wf_func *.
 *   - extern hierarchy: the host's own pointer (aligned to at least 4:
 *     wasmfn.h), or an internal (any) value converted by extern.convert_any.
 *   - any hierarchy: an i31 is the tagged word (value << 1) | 1 and
 *     allocates nothing; a host pointer converted by any.convert_extern is
 *     the pointer | 2.
 * So the two conversions are one function: i31 words pass unchanged,
 * others flip bit 1 (a host pointer has it clear, an internalized one
 * set), and a value converted there and back is the same word (ref.eq).
 * struct and array types are not executable yet (the validator refuses
 * them), so no other kind of value exists in the any hierarchy.
 */
#ifndef WF_GC_H
#define WF_GC_H

#include <stdint.h>
#include "wasmfn.h"

static inline bool wf_gc_is_i31(const void *r) { return ((uintptr_t)r & 1) != 0; }

static inline void *wf_gc_i31_new(uint32_t v)
{
    return (void *)(((uintptr_t)(v & 0x7fffffffu) << 1) | 1);
}

static inline uint32_t wf_gc_i31_get_u(const void *r)
{
    return (uint32_t)((uintptr_t)r >> 1) & 0x7fffffffu;
}

static inline int32_t wf_gc_i31_get_s(const void *r)
{
    return (int32_t)(wf_gc_i31_get_u(r) << 1) >> 1;
}

/* any.convert_extern and extern.convert_any. */
static inline void *wf_gc_convert(void *r)
{
    if (!r || wf_gc_is_i31(r)) return r;
    return (void *)((uintptr_t)r ^ 2);
}

/* A cast target packed in one code word: heap type, nullability and, for a
 * concrete type, its canonical id. */
static inline uint64_t wf_gc_cast_pack(wf_valtype t)
{
    return (uint64_t)t.heap | (uint64_t)t.nullable << 8 | (uint64_t)t.index << 32;
}

/* Does reference r (of a static type of the same hierarchy) have the
 * packed type `cast`? */
bool wf_gc_ref_test(const void *r, uint64_t cast);

#endif
