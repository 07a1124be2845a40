/*
 * constexpr.c - evaluation of constant expressions (global, table and
 * element-item initialisers, segment offsets) against an instance that is
 * being built: its functions exist, its globals up to the one being
 * initialised do.
 */
#include "base/error.h"
#include "wasm/gc.h"
#include "wasm/runtime.h"
#include "wasm/types.h"

/* struct.new(_default) and array.new(_default, _fixed): the operands are
 * st[*sp - k ..] (each v128's high half in hi[]); the object replaces them. */
static wf_error *gc_new(const wf_instance *inst, const wf_cinstr *c, wf_slot *st, wf_slot *hi, uint32_t *sp)
{
    const wf_functype *t = wf_functype_by_id((uint32_t)c->imm);
    uint32_t n, count = (uint32_t)(c->imm >> 32);
    const wf_fieldtype *f = wf_type_fields(t, &n);
    uint32_t take = 0, len = 0;
    switch (c->op) {
    case WF_COP_STRUCT_NEW: take = n; break;
    case WF_COP_ARRAY_NEW: take = 2; break;
    case WF_COP_ARRAY_NEW_DEFAULT: take = 1; break;
    case WF_COP_ARRAY_NEW_FIXED: take = count; len = count; break;
    default: break;
    }
    if (*sp < take) return wf_error_new(WF_ERR_INTERNAL, "constant expression: stack underflow");
    uint32_t base = *sp - take;
    if (c->op == WF_COP_ARRAY_NEW || c->op == WF_COP_ARRAY_NEW_DEFAULT) len = st[*sp - 1].u32;
    wf_gcobj *o = wf_gc_alloc(inst->store, t, len);
    if (!o) return wf_error_new(WF_ERR_TRAP, WF_GC_TRAP_LIMIT);
    for (uint32_t i = 0; i < (c->op == WF_COP_STRUCT_NEW ? n : 0); i++) {
        wf_slot v[2] = { st[base + i], hi[base + i] };
        wf_gc_store_val(o->data + wf_type_field_offset(t, i), wf_fieldtype_bytes(&f[i]), v);
    }
    uint32_t size = wf_type_elem_size(t);
    for (uint32_t i = 0; c->op == WF_COP_ARRAY_NEW && i < len; i++) {
        wf_slot v[2] = { st[base], hi[base] };
        wf_gc_store_val(o->data + (size_t)i * size, size, v);
    }
    for (uint32_t i = 0; c->op == WF_COP_ARRAY_NEW_FIXED && i < len; i++) {
        wf_slot v[2] = { st[base + i], hi[base + i] };
        wf_gc_store_val(o->data + (size_t)i * size, size, v);
    }
    *sp = base;
    hi[*sp].u64 = 0;
    st[(*sp)++].ref = o;
    return NULL;
}

wf_error *wf_constexpr_eval(const wf_instance *inst, const wf_constexpr *e, wf_slot *out)
{
    return wf_constexpr_eval2(inst, e, out, NULL);
}

/* A v128 value is one stack entry: its high half in hi[] beside it (only
 * v128.const and global.get make one; no operation takes one). */
wf_error *wf_constexpr_eval2(const wf_instance *inst, const wf_constexpr *e, wf_slot *out,
                             wf_slot *out_hi)
{
    wf_slot small[16], small_hi[16];
    /* The validator bounds the depth by the expression's length. */
    bool big = e->len > WF_COUNT(small);
    wf_slot *st = big ? wf_xmalloc(e->len * sizeof *st) : small;
    wf_slot *hi = big ? wf_xcalloc(e->len, sizeof *hi) : small_hi;
    if (!big) memset(small_hi, 0, sizeof small_hi);
    uint32_t sp = 0;
    wf_error *err = NULL;
    const wf_module *m = inst->module;

    for (uint32_t i = 0; i < e->len && !err; i++) {
        const wf_cinstr *c = &e->code[i];
        wf_slot v = { .u64 = 0 };
        switch (c->op) {
        case WF_COP_I32_CONST:
        case WF_COP_F32_CONST: v.u32 = (uint32_t)c->imm; st[sp++] = v; break;
        case WF_COP_I64_CONST:
        case WF_COP_F64_CONST: v.u64 = c->imm; st[sp++] = v; break;
        case WF_COP_REF_NULL: v.ref = NULL; st[sp++] = v; break;
        case WF_COP_V128_CONST: v.u64 = c->imm; hi[sp].u64 = 0; st[sp++] = v; break;
        case WF_COP_V128_HI:
            if (sp) hi[sp - 1].u64 = c->imm;
            break;
        case WF_COP_STRUCT_NEW: case WF_COP_STRUCT_NEW_DEFAULT: case WF_COP_ARRAY_NEW:
        case WF_COP_ARRAY_NEW_DEFAULT: case WF_COP_ARRAY_NEW_FIXED:
            err = gc_new(inst, c, st, hi, &sp);
            break;
        case WF_COP_REF_I31:
        case WF_COP_REF_CONVERT:
            if (!sp) {
                err = wf_error_new(WF_ERR_INTERNAL, "constant expression: stack underflow");
                break;
            }
            st[sp - 1].ref = c->op == WF_COP_REF_I31 ? wf_gc_i31_new(st[sp - 1].u32)
                                                     : wf_gc_convert(st[sp - 1].ref);
            break;
        case WF_COP_REF_FUNC:
            if (c->imm >= m->nfuncs || !inst->funcs[c->imm]) {
                err = wf_error_new(WF_ERR_INTERNAL, "constant expression: unknown function %llu",
                                   (unsigned long long)c->imm);
                break;
            }
            v.ref = inst->funcs[c->imm];
            st[sp++] = v;
            break;
        case WF_COP_GLOBAL_GET:
            if (c->imm >= m->nglobals || !inst->globals[c->imm]) {
                err = wf_error_new(WF_ERR_INTERNAL, "constant expression: unknown global %llu",
                                   (unsigned long long)c->imm);
                break;
            }
            hi[sp] = inst->globals[c->imm]->hi;
            st[sp++] = inst->globals[c->imm]->value;
            break;
        default: {
            if (sp < 2) {
                err = wf_error_new(WF_ERR_INTERNAL, "constant expression: stack underflow");
                break;
            }
            wf_slot b = st[--sp], a = st[--sp];
            switch (c->op) {
            case WF_COP_I32_ADD: v.u32 = a.u32 + b.u32; break;
            case WF_COP_I32_SUB: v.u32 = a.u32 - b.u32; break;
            case WF_COP_I32_MUL: v.u32 = a.u32 * b.u32; break;
            case WF_COP_I64_ADD: v.u64 = a.u64 + b.u64; break;
            case WF_COP_I64_SUB: v.u64 = a.u64 - b.u64; break;
            case WF_COP_I64_MUL: v.u64 = a.u64 * b.u64; break;
            default:
                err = wf_error_new(WF_ERR_INTERNAL, "constant expression: bad opcode %u", c->op);
                break;
            }
            hi[sp].u64 = 0;
            st[sp++] = v;
        }
        }
    }
    if (!err && sp != 1) err = wf_error_new(WF_ERR_INTERNAL, "constant expression: %u results", sp);
    if (!err) *out = st[0];
    if (!err && out_hi) *out_hi = hi[0];
    if (big) { free(st); free(hi); }
    return err;
}
