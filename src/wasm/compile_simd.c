/*
 * compile_simd.c - the fixed-width SIMD instructions (0xFD) in the
 * compiler's single pass (compile.c): their immediates (v128.const's 16
 * bytes, shuffle and lane indices, memargs) read and checked, their
 * operands typed from opcodes.h's signature letters, and their code: a
 * v128.const is two CONSTs (a v128 takes two slots), every other
 * instruction one V128_OP or V128_MEM naming its function of simd.c.
 */
#include "wasm/compile_int.h"
#include "wasm/simd.h"

typedef struct simd_sig {
    const char *in, *out;
    uint8_t imm;
} simd_sig;

static const simd_sig g_sig[WF_OP_COUNT_] = {
#define WF_SIG(e, name, prefix, code, imm, in, out) [WF_OP_##e] = { in, out, WF_IMM_##imm },
    WF_OPCODES_SIMD(WF_SIG)
#undef WF_SIG
};

static wf_valtype type_of_letter(char ch)
{
    wf_valtype t = { WF_V128, 0, 0, 0 };
    switch (ch) {
    case 'i': t.kind = WF_I32; break;
    case 'l': t.kind = WF_I64; break;
    case 'f': t.kind = WF_F32; break;
    case 'd': t.kind = WF_F64; break;
    default: break;
    }
    return t;
}

static bool read_lane(cc *c, uint32_t lanes, uint8_t *out)
{
    if (!wf_read_u8(&c->r, out)) return false;
    if (*out >= lanes) return wf_cc_fail(c, WF_ERR_INVALID, "invalid lane index");
    return true;
}

bool wf_cc_simd(cc *c, wf_opcode op)
{
    const simd_sig *sig = &g_sig[op];
    wf_word imm[2] = { 0, 0 };
    uint64_t offset = 0;
    uint32_t width = 0, align = 0, lanes = 0, memidx = 0;
    bool store = false;
    wf_simd_mem_fn mfn = NULL;
    wf_simd_fn fn = NULL;

    /* immediates */
    switch (sig->imm) {
    case WF_IMM_V128: {
        uint64_t lo, hi;
        if (!wf_read_f64(&c->r, &lo) || !wf_read_f64(&c->r, &hi)) return false;
        uint32_t dst = push_result(c, wf_cc_v128());
        emit_op(c, WF_IOP_CONST);
        emit(c, dst);
        emit(c, (wf_word)lo);
        emit_op(c, WF_IOP_CONST);
        emit(c, dst + 1);
        emit(c, (wf_word)hi);
        return true;
    }
    case WF_IMM_SHUFFLE: {
        uint8_t idx[16];
        for (int i = 0; i < 16; i++)
            if (!read_lane(c, 32, &idx[i])) return false;
        memcpy(&imm[0], idx, 8);
        memcpy(&imm[1], idx + 8, 8);
        break;
    }
    case WF_IMM_LANE: {
        uint8_t lane;
        if (!read_lane(c, wf_simd_lane_count(op), &lane)) return false;
        imm[0] = lane;
        break;
    }
    case WF_IMM_MEMARG: case WF_IMM_MEMARG_LANE: {
        mfn = wf_simd_mem_op(op, &width, &align, &lanes, &store);
        if (!mfn) return wf_cc_fail(c, WF_ERR_INTERNAL, "SIMD memory op without function");
        if (!wf_cc_read_memarg(c, align, &offset, &memidx)) return false;
        if (sig->imm == WF_IMM_MEMARG_LANE) {
            uint8_t lane;
            if (!read_lane(c, lanes, &lane)) return false;
            imm[0] = lane;
        }
        break;
    }
    default:
        break;
    }
    if (!mfn && !(fn = wf_simd_op(op)))
        return wf_cc_fail(c, WF_ERR_INTERNAL, "SIMD op without function");

    /* operands (the first popped last), then the result */
    size_t nin = strlen(sig->in), nout = strlen(sig->out);
    sval v[3];
    memset(v, 0, sizeof v);
    for (size_t i = nin; i-- > 0;) {
        bool ok = mfn && i == 0 ? wf_cc_pop_at(c, c->m->mems[memidx].limits.is64, &v[i])   /* the address */
                                : wf_cc_pop_expect(c, type_of_letter(sig->in[i]), &v[i]);
        if (!ok) return false;
    }
    for (size_t i = nin; i < 3; i++) v[i] = v[0];
    uint32_t dst = nout ? push_result(c, type_of_letter(sig->out[0])) : v[0].slot;
    if (!c->live) return true;

    if (mfn) {
        /* loads: s dst, s addr, s vec (the lane forms' input); stores: the
         * address, then the vector as vec */
        emit_op(c, memidx ? WF_IOP_V128_MEM_M : WF_IOP_V128_MEM);
        emit(c, (wf_word)mfn);
        emit(c, dst);
        emit(c, v[0].slot);
        emit(c, nin > 1 ? v[1].slot : v[0].slot);
        emit(c, (wf_word)offset);
        emit(c, width);
        emit(c, imm[0]);
        if (memidx) emit(c, memidx);
        return true;
    }
    emit_op(c, WF_IOP_V128_OP);
    emit(c, (wf_word)fn);
    emit(c, dst);
    emit(c, v[0].slot);
    emit(c, v[1].slot);
    emit(c, v[2].slot);
    emit(c, imm[0]);
    emit(c, imm[1]);
    return true;
}
