/*
 * compile_gc.c - the GC proposal's instructions that need no struct or
 * array type, in the compiler's single pass (compile.c): ref.i31,
 * i31.get_s/u, ref.eq, any.convert_extern, extern.convert_any, ref.test
 * and ref.cast (br_on_cast is a branch: compile_ctrl.c). Their semantics
 * and the representation of references are gc.h's.
 */
#include "wasm/compile_int.h"
#include "wasm/gc.h"

static wf_valtype ref_type(uint8_t heap, bool nullable)
{
    wf_valtype t = { WF_REF, heap, nullable, 0 };
    return t;
}

bool wf_cc_read_cast(cc *c, bool nullable, wf_valtype *t)
{
    if (!wf_cc_read_heaptype(c, t)) return false;
    t->nullable = nullable;
    return true;
}

/* Pop the operand of a cast to t: a reference of t's hierarchy. */
static bool pop_cast_operand(cc *c, wf_valtype t, sval *a)
{
    if (!wf_cc_pop_any(c, a)) return false;
    if (a->t.kind == KIND_BOT) return true;
    if (a->t.kind != WF_REF || wf_heaptype_top(a->t) != wf_heaptype_top(t)) return MISMATCH(c);
    return true;
}

static bool op_test_cast(cc *c, wf_opcode op)
{
    wf_valtype t;
    bool nullable = op == WF_OP_REF_TEST_NULL || op == WF_OP_REF_CAST_NULL;
    if (!wf_cc_read_cast(c, nullable, &t)) return false;
    sval a;
    if (!pop_cast_operand(c, t, &a)) return false;
    if (op == WF_OP_REF_TEST || op == WF_OP_REF_TEST_NULL) {
        uint32_t dst = push_result(c, vt(WF_I32));
        emit_op(c, WF_IOP_REF_TEST);
        emit(c, dst);
        emit(c, a.slot);
        emit(c, wf_gc_cast_pack(t));
        return true;
    }
    /* ref.cast: a check, the value stays where it is */
    emit_op(c, WF_IOP_REF_CAST);
    emit(c, a.slot);
    emit(c, wf_gc_cast_pack(t));
    if (a.t.kind == KIND_BOT) push(c, t);
    else push_at(c, t, a.slot);
    return true;
}

/* any.convert_extern and extern.convert_any: the nullability carries. */
static bool op_convert(cc *c, wf_opcode op)
{
    bool to_any = op == WF_OP_ANY_CONVERT_EXTERN;
    sval a;
    if (!wf_cc_pop_expect(c, ref_type(to_any ? WF_HEAP_EXTERN : WF_HEAP_ANY, true), &a)) return false;
    bool nullable = a.t.kind != KIND_BOT && a.t.nullable;
    uint32_t dst = push_result(c, ref_type(to_any ? WF_HEAP_ANY : WF_HEAP_EXTERN, nullable));
    emit_op(c, WF_IOP_REF_CONVERT);
    emit(c, dst);
    emit(c, a.slot);
    return true;
}

bool wf_cc_gc(cc *c, wf_opcode op)
{
    sval a, b;
    switch (op) {
    case WF_OP_REF_TEST: case WF_OP_REF_TEST_NULL: case WF_OP_REF_CAST: case WF_OP_REF_CAST_NULL:
        return op_test_cast(c, op);
    case WF_OP_ANY_CONVERT_EXTERN: case WF_OP_EXTERN_CONVERT_ANY:
        return op_convert(c, op);
    case WF_OP_REF_I31: {
        if (!wf_cc_pop_num(c, WF_I32, &a)) return false;
        uint32_t dst = push_result(c, ref_type(WF_HEAP_I31, false));
        emit_op(c, WF_IOP_REF_I31);
        emit(c, dst);
        emit(c, a.slot);
        return true;
    }
    case WF_OP_I31_GET_S: case WF_OP_I31_GET_U: {
        if (!wf_cc_pop_expect(c, ref_type(WF_HEAP_I31, true), &a)) return false;
        uint32_t dst = push_result(c, vt(WF_I32));
        emit_op(c, op == WF_OP_I31_GET_S ? WF_IOP_I31_GET_S : WF_IOP_I31_GET_U);
        emit(c, dst);
        emit(c, a.slot);
        return true;
    }
    case WF_OP_REF_EQ: {
        if (!wf_cc_pop_expect(c, ref_type(WF_HEAP_EQ, true), &b)) return false;
        if (!wf_cc_pop_expect(c, ref_type(WF_HEAP_EQ, true), &a)) return false;
        uint32_t dst = push_result(c, vt(WF_I32));
        emit_op(c, WF_IOP_REF_EQ);
        emit(c, dst);
        emit(c, a.slot);
        emit(c, b.slot);
        return true;
    }
    default:
        return wf_cc_fail(c, WF_ERR_INTERNAL, "not a GC instruction");
    }
}
