/*
 * compile_gc.c - the GC proposal's instructions that need no struct or
 * array type, in the compiler's single pass (compile.c): ref.i31,
 * i31.get_s/u, ref.eq, any.convert_extern, extern.convert_any, ref.test
 * and ref.cast (br_on_cast is a branch: compile_ctrl.c), and the struct
 * and array instructions. Their semantics and the representation of
 * references and objects are gc.h's and interp_gc.c's.
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

/* The value type a field's value has on the stack (packed: i32). */
static wf_valtype unpacked(const wf_fieldtype *f)
{
    return f->packed ? vt(WF_I32) : f->type;
}

static bool defaultable(const wf_fieldtype *f)
{
    return f->type.kind != WF_REF || f->type.nullable;
}

static wf_valtype concrete(const wf_functype *t, bool nullable)
{
    wf_valtype v = { WF_REF, WF_HEAP_TYPE, nullable, t->id };
    return v;
}

static bool op_struct(cc *c, wf_opcode op)
{
    uint32_t x, n;
    const wf_functype *t;
    if (!wf_cc_type_of_kind(c, WF_COMP_STRUCT, &x, &t)) return false;
    const wf_fieldtype *f = wf_type_fields(t, &n);
    sval a, v;
    if (op == WF_OP_STRUCT_NEW || op == WF_OP_STRUCT_NEW_DEFAULT) {
        uint32_t base = 0;
        bool dflt = op == WF_OP_STRUCT_NEW_DEFAULT;
        if (dflt) {
            for (uint32_t i = 0; i < n; i++)
                if (!defaultable(&f[i])) return wf_cc_fail(c, WF_ERR_INVALID, "field type is not defaultable");
        } else {
            wf_valtype *types = wf_xmalloc((n ? n : 1) * sizeof *types);
            for (uint32_t i = 0; i < n; i++) types[i] = unpacked(&f[i]);
            bool ok = wf_cc_pop_run(c, types, n, false, &base);
            free(types);
            if (!ok) return false;
        }
        uint32_t dst = push_result(c, concrete(t, false));
        emit_op(c, WF_IOP_STRUCT_NEW);
        emit(c, dst);
        emit(c, (wf_word)t);
        emit(c, base);
        emit(c, dflt);
        return true;
    }
    uint32_t y;
    if (!wf_read_u32(&c->r, &y)) return false;
    if (y >= n) return wf_cc_fail(c, WF_ERR_INVALID, "unknown field %u", y);
    bool packed_op = op == WF_OP_STRUCT_GET_S || op == WF_OP_STRUCT_GET_U;
    if (op != WF_OP_STRUCT_SET && packed_op != (f[y].packed != 0)) return MISMATCH(c);
    if (op == WF_OP_STRUCT_SET) {
        if (!f[y].mut) return wf_cc_fail(c, WF_ERR_INVALID, "field is immutable");
        if (!wf_cc_pop_expect(c, unpacked(&f[y]), &v)) return false;
        if (!wf_cc_pop_expect(c, concrete(t, true), &a)) return false;
        emit_op(c, WF_IOP_STRUCT_SET);
        emit(c, a.slot);
        emit(c, v.slot);
        emit(c, wf_type_field_offset(t, y));
        emit(c, wf_fieldtype_bytes(&f[y]));
        return true;
    }
    if (!wf_cc_pop_expect(c, concrete(t, true), &a)) return false;
    uint32_t dst = push_result(c, unpacked(&f[y]));
    emit_op(c, WF_IOP_STRUCT_GET);
    emit(c, dst);
    emit(c, a.slot);
    emit(c, wf_type_field_offset(t, y));
    emit(c, wf_fieldtype_bytes(&f[y]));
    emit(c, op == WF_OP_STRUCT_GET_S);
    return true;
}

/* array.new_data / init_data need numeric or vector elements; the
 * element segment's type of array.new_elem / init_elem must match. */
static bool seg_fits(cc *c, const wf_fieldtype *f, bool is_data, uint32_t seg)
{
    if (is_data) {
        if (!wf_cc_data_index(c, seg)) return false;
        return f->type.kind == WF_REF ? MISMATCH(c) : true;
    }
    if (seg >= c->m->nelems) return wf_cc_fail(c, WF_ERR_INVALID, "unknown elem segment %u", seg);
    if (f->packed || !wf_valtype_sub(c->m->elems[seg].type, f->type)) return MISMATCH(c);
    return true;
}

static bool op_array(cc *c, wf_opcode op)
{
    uint32_t x, n, seg = 0;
    const wf_functype *t;
    if (!wf_cc_type_of_kind(c, WF_COMP_ARRAY, &x, &t)) return false;
    const wf_fieldtype *f = wf_type_fields(t, &n);
    wf_valtype elem = unpacked(f), aref = concrete(t, true), i32 = vt(WF_I32);
    uint32_t bytes = wf_fieldtype_bytes(f);
    sval a, d, s, v, len, src;
    switch (op) {
    case WF_OP_ARRAY_NEW: case WF_OP_ARRAY_NEW_DEFAULT: {
        bool dflt = op == WF_OP_ARRAY_NEW_DEFAULT;
        if (dflt && !defaultable(f)) return wf_cc_fail(c, WF_ERR_INVALID, "array type is not defaultable");
        if (!wf_cc_pop_expect(c, i32, &len)) return false;
        if (!dflt && !wf_cc_pop_expect(c, elem, &v)) return false;
        uint32_t dst = push_result(c, concrete(t, false));
        emit_op(c, WF_IOP_ARRAY_NEW);
        emit(c, dst);
        emit(c, dflt ? len.slot : v.slot);
        emit(c, len.slot);
        emit(c, (wf_word)t);
        emit(c, dflt);
        return true;
    }
    case WF_OP_ARRAY_NEW_FIXED: {
        uint32_t count, base;
        if (!wf_read_u32(&c->r, &count)) return false;
        if (count > 10000) return wf_cc_fail(c, WF_ERR_INVALID, "array.new_fixed of %u elements: too many", count);
        if (!wf_cc_pop_run(c, &elem, count, true, &base)) return false;
        uint32_t dst = push_result(c, concrete(t, false));
        emit_op(c, WF_IOP_ARRAY_NEW_FIXED);
        emit(c, dst);
        emit(c, (wf_word)t);
        emit(c, count);
        emit(c, base);
        return true;
    }
    case WF_OP_ARRAY_NEW_DATA: case WF_OP_ARRAY_NEW_ELEM: {
        bool is_data = op == WF_OP_ARRAY_NEW_DATA;
        if (!wf_read_u32(&c->r, &seg) || !seg_fits(c, f, is_data, seg)) return false;
        if (!wf_cc_pop_expect(c, i32, &len) || !wf_cc_pop_expect(c, i32, &s)) return false;
        uint32_t dst = push_result(c, concrete(t, false));
        emit_op(c, WF_IOP_ARRAY_NEW_SEG);
        emit(c, dst);
        emit(c, s.slot);
        emit(c, len.slot);
        emit(c, (wf_word)t);
        emit(c, seg);
        emit(c, is_data);
        return true;
    }
    case WF_OP_ARRAY_GET: case WF_OP_ARRAY_GET_S: case WF_OP_ARRAY_GET_U: {
        if ((op != WF_OP_ARRAY_GET) != (f->packed != 0)) return MISMATCH(c);
        if (!wf_cc_pop_expect(c, i32, &d) || !wf_cc_pop_expect(c, aref, &a)) return false;
        uint32_t dst = push_result(c, elem);
        emit_op(c, WF_IOP_ARRAY_GET);
        emit(c, dst);
        emit(c, a.slot);
        emit(c, d.slot);
        emit(c, bytes);
        emit(c, op == WF_OP_ARRAY_GET_S);
        return true;
    }
    default:
        break;
    }
    /* the rest write the array */
    if (!f->mut) return wf_cc_fail(c, WF_ERR_INVALID, "array is immutable");
    switch (op) {
    case WF_OP_ARRAY_SET:
        if (!wf_cc_pop_expect(c, elem, &v) || !wf_cc_pop_expect(c, i32, &d) ||
            !wf_cc_pop_expect(c, aref, &a))
            return false;
        emit_op(c, WF_IOP_ARRAY_SET);
        emit(c, a.slot);
        emit(c, d.slot);
        emit(c, v.slot);
        emit(c, bytes);
        return true;
    case WF_OP_ARRAY_FILL:
        if (!wf_cc_pop_expect(c, i32, &len) || !wf_cc_pop_expect(c, elem, &v) ||
            !wf_cc_pop_expect(c, i32, &d) || !wf_cc_pop_expect(c, aref, &a))
            return false;
        emit_op(c, WF_IOP_ARRAY_FILL);
        emit(c, a.slot);
        emit(c, d.slot);
        emit(c, v.slot);
        emit(c, len.slot);
        emit(c, bytes);
        return true;
    case WF_OP_ARRAY_COPY: {
        uint32_t y, ny;
        const wf_functype *ts;
        if (!wf_cc_type_of_kind(c, WF_COMP_ARRAY, &y, &ts)) return false;
        const wf_fieldtype *fs = wf_type_fields(ts, &ny);
        if (fs->packed != f->packed || !wf_valtype_sub(fs->type, f->type)) return MISMATCH(c);
        if (!wf_cc_pop_expect(c, i32, &len) || !wf_cc_pop_expect(c, i32, &s) ||
            !wf_cc_pop_expect(c, concrete(ts, true), &src) || !wf_cc_pop_expect(c, i32, &d) ||
            !wf_cc_pop_expect(c, aref, &a))
            return false;
        emit_op(c, WF_IOP_ARRAY_COPY);
        emit(c, a.slot);
        emit(c, d.slot);
        emit(c, src.slot);
        emit(c, s.slot);
        emit(c, len.slot);
        emit(c, bytes);
        return true;
    }
    case WF_OP_ARRAY_INIT_DATA: case WF_OP_ARRAY_INIT_ELEM: {
        bool is_data = op == WF_OP_ARRAY_INIT_DATA;
        if (!wf_read_u32(&c->r, &seg) || !seg_fits(c, f, is_data, seg)) return false;
        if (!wf_cc_pop_expect(c, i32, &len) || !wf_cc_pop_expect(c, i32, &s) ||
            !wf_cc_pop_expect(c, i32, &d) || !wf_cc_pop_expect(c, aref, &a))
            return false;
        emit_op(c, WF_IOP_ARRAY_INIT_SEG);
        emit(c, a.slot);
        emit(c, d.slot);
        emit(c, s.slot);
        emit(c, len.slot);
        emit(c, seg);
        emit(c, is_data);
        return true;
    }
    default:
        return wf_cc_fail(c, WF_ERR_INTERNAL, "not an array instruction");
    }
}

bool wf_cc_gc(cc *c, wf_opcode op)
{
    sval a, b;
    if (op >= WF_OP_STRUCT_NEW && op <= WF_OP_STRUCT_SET) return op_struct(c, op);
    if (op >= WF_OP_ARRAY_NEW && op <= WF_OP_ARRAY_INIT_ELEM && op != WF_OP_ARRAY_LEN) return op_array(c, op);
    switch (op) {
    case WF_OP_ARRAY_LEN: {
        if (!wf_cc_pop_expect(c, ref_type(WF_HEAP_ARRAY, true), &a)) return false;
        uint32_t dst = push_result(c, vt(WF_I32));
        emit_op(c, WF_IOP_ARRAY_LEN);
        emit(c, dst);
        emit(c, a.slot);
        return true;
    }
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
