/*
 * interp_gc.c - the interpreter's struct and array instructions that
 * allocate or move runs of elements (the one-element accesses are inline
 * in interp.c). Each returns NULL, or the message of the trap it hits.
 * Objects and their layout: gc.h, types.h.
 */
#include "wasm/gc.h"
#include "wasm/interp.h"
#include "wasm/runtime.h"
#include "wasm/types.h"

#define MSG_NULL_ARRAY "null array reference"
#define MSG_OOB_ARRAY "out of bounds array access"

/* STRUCT_NEW s dst, i type, i argbase, i default */
const char *wf_interp_struct_new(wf_slot *fp, const wf_word *pc, wf_instance *inst)
{
    const wf_functype *t = (const wf_functype *)pc[2];
    wf_gcobj *o = wf_gc_alloc(inst->store, t, 0);
    if (!o) return WF_GC_TRAP_LIMIT;
    if (!pc[4]) {
        uint32_t n, slot = (uint32_t)pc[3];
        const wf_fieldtype *f = wf_type_fields(t, &n);
        for (uint32_t i = 0; i < n; i++) {
            wf_gc_store_val(o->data + wf_type_field_offset(t, i), wf_fieldtype_bytes(&f[i]), &fp[slot]);
            slot += f[i].type.kind == WF_V128 ? 2 : 1;
        }
    }
    fp[pc[1]].ref = o;
    return NULL;
}

/* ARRAY_NEW s dst, s init, s len, i type, i default */
const char *wf_interp_array_new(wf_slot *fp, const wf_word *pc, wf_instance *inst)
{
    const wf_functype *t = (const wf_functype *)pc[4];
    uint32_t len = fp[pc[3]].u32, size = wf_type_elem_size(t);
    wf_gcobj *o = wf_gc_alloc(inst->store, t, len);
    if (!o) return WF_GC_TRAP_LIMIT;
    if (!pc[5])
        for (uint32_t i = 0; i < len; i++) wf_gc_store_val(o->data + (size_t)i * size, size, &fp[pc[2]]);
    fp[pc[1]].ref = o;
    return NULL;
}

/* ARRAY_NEW_FIXED s dst, i type, i n, i argbase */
const char *wf_interp_array_new_fixed(wf_slot *fp, const wf_word *pc, wf_instance *inst)
{
    const wf_functype *t = (const wf_functype *)pc[2];
    uint32_t n = (uint32_t)pc[3], size = wf_type_elem_size(t), step = size == 16 ? 2 : 1;
    wf_gcobj *o = wf_gc_alloc(inst->store, t, n);
    if (!o) return WF_GC_TRAP_LIMIT;
    for (uint32_t i = 0; i < n; i++)
        wf_gc_store_val(o->data + (size_t)i * size, size, &fp[pc[4] + (size_t)i * step]);
    fp[pc[1]].ref = o;
    return NULL;
}

/* Copy n elements from segment seg (data when is_data, else element) at
 * s into o at d; the caller checked o's bounds. */
static const char *from_segment(wf_instance *inst, wf_gcobj *o, uint32_t d, uint32_t seg, bool is_data,
                                uint32_t s, uint32_t n)
{
    uint32_t size = wf_type_elem_size(o->type);
    if (is_data) {
        uint64_t have = inst->data_dropped[seg] ? 0 : inst->module->datas[seg].len;
        if ((uint64_t)s + (uint64_t)n * size > have) return "out of bounds memory access";
        if (n) memcpy(o->data + (size_t)d * size, inst->module->datas[seg].bytes + s, (size_t)n * size);
        return NULL;
    }
    if ((uint64_t)s + n > inst->elem_len[seg]) return "out of bounds table access";
    for (uint32_t i = 0; i < n; i++) ((void **)o->data)[d + i] = inst->elem_items[seg][s + i];
    return NULL;
}

/* ARRAY_NEW_SEG s dst, s off, s len, i type, i seg, i is_data */
const char *wf_interp_array_new_seg(wf_slot *fp, const wf_word *pc, wf_instance *inst)
{
    const wf_functype *t = (const wf_functype *)pc[4];
    uint32_t s = fp[pc[2]].u32, n = fp[pc[3]].u32, seg = (uint32_t)pc[5];
    bool is_data = pc[6];
    /* the segment's bounds first: a length past them must not allocate */
    uint64_t have = is_data ? (inst->data_dropped[seg] ? 0 : inst->module->datas[seg].len)
                            : inst->elem_len[seg];
    uint64_t need = is_data ? (uint64_t)s + (uint64_t)n * wf_type_elem_size(t) : (uint64_t)s + n;
    if (need > have) return is_data ? "out of bounds memory access" : "out of bounds table access";
    wf_gcobj *o = wf_gc_alloc(inst->store, t, n);
    if (!o) return WF_GC_TRAP_LIMIT;
    const char *msg = from_segment(inst, o, 0, seg, is_data, s, n);
    if (msg) return msg;
    fp[pc[1]].ref = o;
    return NULL;
}

/* ARRAY_INIT_SEG s ref, s d, s s, s n, i seg, i is_data */
const char *wf_interp_array_init_seg(wf_slot *fp, const wf_word *pc, wf_instance *inst)
{
    wf_gcobj *o = fp[pc[1]].ref;
    uint32_t d = fp[pc[2]].u32, s = fp[pc[3]].u32, n = fp[pc[4]].u32;
    if (!o) return MSG_NULL_ARRAY;
    if ((uint64_t)d + n > o->len) return MSG_OOB_ARRAY;
    return from_segment(inst, o, d, (uint32_t)pc[5], pc[6], s, n);
}

/* ARRAY_FILL s ref, s off, s val, s n, i bytes */
const char *wf_interp_array_fill(wf_slot *fp, const wf_word *pc)
{
    wf_gcobj *o = fp[pc[1]].ref;
    uint32_t d = fp[pc[2]].u32, n = fp[pc[4]].u32, size = (uint32_t)pc[5];
    if (!o) return MSG_NULL_ARRAY;
    if ((uint64_t)d + n > o->len) return MSG_OOB_ARRAY;
    for (uint32_t i = 0; i < n; i++) wf_gc_store_val(o->data + (size_t)(d + i) * size, size, &fp[pc[3]]);
    return NULL;
}

/* ARRAY_COPY s dref, s d, s sref, s s, s n, i bytes */
const char *wf_interp_array_copy(wf_slot *fp, const wf_word *pc)
{
    wf_gcobj *dst = fp[pc[1]].ref, *src = fp[pc[3]].ref;
    uint32_t d = fp[pc[2]].u32, s = fp[pc[4]].u32, n = fp[pc[5]].u32, size = (uint32_t)pc[6];
    if (!dst || !src) return MSG_NULL_ARRAY;
    if ((uint64_t)d + n > dst->len || (uint64_t)s + n > src->len) return MSG_OOB_ARRAY;
    if (n) memmove(dst->data + (size_t)d * size, src->data + (size_t)s * size, (size_t)n * size);
    return NULL;
}
