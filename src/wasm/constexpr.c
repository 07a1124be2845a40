/*
 * constexpr.c - evaluation of constant expressions (global, table and
 * element-item initialisers, segment offsets) against an instance that is
 * being built: its functions exist, its globals up to the one being
 * initialised do.
 */
#include "base/error.h"
#include "wasm/gc.h"
#include "wasm/runtime.h"

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
