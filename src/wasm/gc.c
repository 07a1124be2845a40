/*
 * gc.c - the run-time type test behind ref.test, ref.cast and br_on_cast
 * (the representation of references is gc.h's).
 */
#include "wasm/gc.h"

#include "wasm/runtime.h"
#include "wasm/types.h"

bool wf_gc_ref_test(const void *r, uint64_t cast)
{
    uint8_t heap = (uint8_t)cast;
    if (!r) return (cast >> 8) & 1;
    switch (heap) {
    case WF_HEAP_ANY: case WF_HEAP_FUNC: case WF_HEAP_EXTERN: case WF_HEAP_EXN:
        return true;
    case WF_HEAP_EQ: case WF_HEAP_I31:
        /* an internalized host pointer is any, not eq; i31 is the only
         * eq value that exists until struct and array types do */
        return wf_gc_is_i31(r);
    case WF_HEAP_TYPE: {
        /* every executable concrete type is a function type */
        const wf_functype *want = wf_functype_by_id((uint32_t)(cast >> 32));
        return want && wf_functype_sub(((const wf_func *)r)->type, want);
    }
    default:    /* struct, array (no such values yet) and the bottom types */
        return false;
    }
}
