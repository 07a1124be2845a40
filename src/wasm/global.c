/*
 * global.c - globals and tags, the two small runtime objects, and the
 * conversion between typed host values (wf_value) and engine slots.
 */
#include "wasm/runtime.h"

wf_slot wf_value_to_slot(wf_value v)
{
    wf_slot s = { .u64 = 0 };
    switch (v.type.kind) {
    case WF_I32: s.u32 = (uint32_t)v.of.i32; break;
    case WF_I64: s.i64 = v.of.i64; break;
    case WF_F32: s.u32 = v.of.f32_bits; break;
    case WF_F64: s.u64 = v.of.f64_bits; break;
    case WF_REF: s.ref = v.of.ref; break;
    default: break; /* v128 takes two slots: its callers copy the bytes */
    }
    return s;
}

wf_value wf_slot_to_value(wf_valtype t, wf_slot s)
{
    wf_value v = { .type = t };
    switch (t.kind) {
    case WF_I32: v.of.i32 = s.i32; break;
    case WF_I64: v.of.i64 = s.i64; break;
    case WF_F32: v.of.f32_bits = s.u32; break;
    case WF_F64: v.of.f64_bits = s.u64; break;
    case WF_REF: v.of.ref = s.ref; break;
    default: break;
    }
    return v;
}

/* Allocates a wf_global owned by s (freed by wf_store_free). */
wf_global *wf_global_create(wf_store *s, wf_globaltype type, wf_slot value)
{
    wf_global *g = wf_xcalloc(1, sizeof *g);
    g->type = type;
    g->value = value;
    wf_vec_push(&s->globals, g);
    return g;
}

wf_global *wf_global_new(wf_store *s, wf_valtype type, bool mut, wf_value init)
{
    init.type = type;
    wf_global *g = wf_global_create(s, (wf_globaltype){ .type = type, .mut = mut }, wf_value_to_slot(init));
    if (type.kind == WF_V128) {
        memcpy(&g->value, init.of.v128, 8);
        memcpy(&g->hi, init.of.v128 + 8, 8);
    }
    return g;
}

wf_value wf_global_get(const wf_global *g)
{
    wf_value v = wf_slot_to_value(g->type.type, g->value);
    if (g->type.type.kind == WF_V128) {
        memcpy(v.of.v128, &g->value, 8);
        memcpy(v.of.v128 + 8, &g->hi, 8);
    }
    return v;
}

/* Allocates a wf_tag owned by s (freed by wf_store_free). */
wf_tag *wf_tag_create(wf_store *s, const wf_functype *type)
{
    wf_tag *t = wf_xcalloc(1, sizeof *t);
    t->type = type;
    wf_vec_push(&s->tags, t);
    return t;
}
