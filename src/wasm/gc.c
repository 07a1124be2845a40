/*
 * gc.c - the GC heap of a store (objects in a list, freed together) and
 * the run-time type test behind ref.test, ref.cast and br_on_cast (the
 * representation of references is gc.h's).
 */
#include "wasm/gc.h"

#include "wasm/runtime.h"
#include "wasm/types.h"

static uint64_t heap_limit(const wf_store *s)
{
    if (s->memory_limit_pages) return s->memory_limit_pages * 65536;
    return WF_GC_MAX_BYTES;
}

wf_gcobj *wf_gc_alloc(wf_store *s, const wf_functype *t, uint32_t len)
{
    uint64_t bytes = wf_type_kind(t) == WF_COMP_ARRAY ? (uint64_t)len * wf_type_elem_size(t)
                                                      : wf_type_struct_size(t);
    uint64_t total = sizeof(wf_gcobj) + bytes;
    if (total > heap_limit(s) - s->gc_bytes || s->gc_bytes > heap_limit(s)) return NULL;
    wf_gcobj *o = aligned_alloc(16, (total + 15) & ~(uint64_t)15);
    if (!o) return NULL;
    memset(o, 0, (size_t)total);
    o->type = t;
    o->len = len;
    o->bytes = (uint32_t)bytes;
    o->next = s->gc_objs;
    s->gc_objs = o;
    s->gc_bytes += total;
    return o;
}

void wf_gc_free_all(wf_store *s)
{
    wf_gcobj *o = s->gc_objs;
    while (o) {
        wf_gcobj *next = o->next;
        free(o);
        o = next;
    }
    s->gc_objs = NULL;
    s->gc_bytes = 0;
}

bool wf_gc_ref_test(const void *r, uint64_t cast)
{
    uint8_t heap = (uint8_t)cast;
    if (!r) return (cast >> 8) & 1;
    switch (heap) {
    case WF_HEAP_ANY: case WF_HEAP_FUNC: case WF_HEAP_EXTERN: case WF_HEAP_EXN:
        return true;
    case WF_HEAP_EQ:
        /* an internalized host pointer is any, not eq */
        return wf_gc_is_i31(r) || wf_gc_is_obj(r);
    case WF_HEAP_I31:
        return wf_gc_is_i31(r);
    case WF_HEAP_STRUCT: case WF_HEAP_ARRAY:
        return wf_gc_is_obj(r) &&
               wf_type_kind(((const wf_gcobj *)r)->type) == (heap == WF_HEAP_STRUCT ? WF_COMP_STRUCT
                                                                                    : WF_COMP_ARRAY);
    case WF_HEAP_TYPE: {
        const wf_functype *want = wf_functype_by_id((uint32_t)(cast >> 32));
        if (!want) return false;
        if (wf_type_kind(want) == WF_COMP_FUNC) return wf_functype_sub(((const wf_func *)r)->type, want);
        return wf_gc_is_obj(r) && wf_functype_sub(((const wf_gcobj *)r)->type, want);
    }
    default:    /* the bottom types */
        return false;
    }
}
