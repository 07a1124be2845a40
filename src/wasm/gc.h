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
 *     the pointer | 2; a struct or an array is a wf_gcobj * (aligned, low
 *     bits clear).
 * So the two conversions are one function: i31 words pass unchanged,
 * others flip bit 1 (a host pointer has it clear, an internalized one
 * set; an object has it clear, an externalized one set), and a value
 * converted there and back is the same word (ref.eq).
 *
 * Objects live in their store's heap (wf_store.gc_objs, a list) until the
 * store is freed or reset to a snapshot (snapshot.c: a snapshot never holds
 * an object, so a reset frees them all): a call's instance is fresh or
 * reset, so the garbage of a call dies with it, and nothing is collected
 * while the store lives. The heap counts its bytes against the store's
 * memory limit (wf_store.memory_limit_pages; WF_GC_MAX_BYTES without one):
 * an allocation past it traps with WF_GC_TRAP_LIMIT.
 */
#ifndef WF_GC_H
#define WF_GC_H

#include <stdint.h>
#include <string.h>
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

struct wf_store;

typedef struct wf_gcobj {
    struct wf_gcobj *next;          /* the store's list */
    const wf_functype *type;        /* its canonical struct or array type */
    uint32_t len;                   /* an array's elements */
    uint32_t bytes;                 /* of data */
    _Alignas(16) uint8_t data[];    /* fields (types.h layout) or elements */
} wf_gcobj;

#define WF_GC_MAX_BYTES ((uint64_t)1 << 30)
#define WF_GC_TRAP_LIMIT "out of memory: the GC heap is over its limit"

/* Is r (of the any hierarchy) a struct or array object? */
static inline bool wf_gc_is_obj(const void *r) { return r && ((uintptr_t)r & 3) == 0; }

/* A zeroed struct (len 0) or array of len elements of type t in store
 * s's heap; NULL when the heap would exceed its limit. */
wf_gcobj *wf_gc_alloc(struct wf_store *s, const wf_functype *t, uint32_t len);
/* Free every object of s's heap. */
void wf_gc_free_all(struct wf_store *s);

/* Field or element values between a slot (two for a v128) and the bytes
 * of an object: `bytes` stored bytes (1, 2, 4, 8 or 16); reading extends
 * a packed one per `sign` (1: sign, else zero). */
static inline void wf_gc_store_val(uint8_t *p, uint32_t bytes, const wf_slot *v)
{
    memcpy(p, v, bytes);    /* little-endian: the low bytes of the slot */
}

static inline void wf_gc_load_val(wf_slot *dst, const uint8_t *p, uint32_t bytes, bool sign)
{
    if (bytes == 16) {
        memcpy(dst, p, 16);
        return;
    }
    uint64_t v = 0;
    memcpy(&v, p, bytes);
    if (sign && bytes == 1) v = (uint32_t)(int32_t)(int8_t)v;
    else if (sign && bytes == 2) v = (uint32_t)(int32_t)(int16_t)v;
    dst->u64 = v;
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
