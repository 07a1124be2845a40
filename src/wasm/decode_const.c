/*
 * decode_const.c - constant expressions (global initialisers, segment
 * offsets and items, table initialisers): decoded into wf_constexpr and
 * type-checked. global.get may name only immutable globals known so far
 * (imported, or defined earlier); ref.func declares its function.
 */
#include <pthread.h>

#include "wasm/decode_int.h"

#include "base/vec.h"
#include "wasm/opcodes.h"

static bool opcode_table[256];

static void opcode_table_init(void)
{
#define WF_MARK(e, name, prefix, code, imm, in, out) opcode_table[(prefix) ? (prefix) : (code)] = true;
    WF_OPCODES(WF_MARK)
#undef WF_MARK
    opcode_table[0xfb] = opcode_table[0xfd] = opcode_table[0xfe] = true;
}

/* Is op the first byte of some instruction (a prefix counts)? */
static bool known_opcode(uint8_t op)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, opcode_table_init);
    return opcode_table[op];
}

static bool fail_mismatch(wf_decoder *d, size_t at)
{
    return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "type mismatch");
}

typedef WF_VEC(wf_valtype) valstack;

/* Pop a value of type want off a constant expression's stack. */
static bool pop_typed(wf_decoder *d, size_t at, valstack *stack, wf_valtype want)
{
    if (!stack->len || !wf_valtype_sub(stack->data[stack->len - 1], want)) return fail_mismatch(d, at);
    stack->len--;
    return true;
}

/* struct.new(_default) and array.new(_default, _fixed) (0xFB sub): the
 * type immediate (and count), the operands popped, the result type. */
static bool gc_new(wf_decoder *d, uint32_t sub, size_t at, valstack *stack, wf_cinstr *ci, wf_valtype *t)
{
    uint32_t x, n, count = 0;
    if (!wf_read_u32(&d->r, &x)) return false;
    if (sub == 0x08 && !wf_read_u32(&d->r, &count)) return false;
    if (x >= d->m->ntypes) return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "unknown type %u", x);
    const wf_functype *ty = d->m->types[x].func;
    bool is_struct = sub <= 0x01;
    if (wf_type_kind(ty) != (is_struct ? WF_COMP_STRUCT : WF_COMP_ARRAY)) return fail_mismatch(d, at);
    const wf_fieldtype *f = wf_type_fields(ty, &n);
    bool dflt = sub == 0x01 || sub == 0x07;
    for (uint32_t i = 0; dflt && i < n; i++)
        if (f[i].type.kind == WF_REF && !f[i].type.nullable)
            return wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "field type is not defaultable");
    if (!is_struct && sub != 0x08 && !pop_typed(d, at, stack, WF_TYPE_I32)) return false;
    wf_valtype elem = f[0].packed ? WF_TYPE_I32 : f[0].type;
    if (is_struct && !dflt) {
        for (uint32_t i = n; i-- > 0;)
            if (!pop_typed(d, at, stack, f[i].packed ? WF_TYPE_I32 : f[i].type)) return false;
    } else if (sub == 0x06) {
        if (!pop_typed(d, at, stack, elem)) return false;
    } else if (sub == 0x08) {
        for (uint32_t i = 0; i < count; i++)
            if (!pop_typed(d, at, stack, elem)) return false;
    }
    static const uint8_t cops[] = { [0x00] = WF_COP_STRUCT_NEW, [0x01] = WF_COP_STRUCT_NEW_DEFAULT,
                                    [0x06] = WF_COP_ARRAY_NEW, [0x07] = WF_COP_ARRAY_NEW_DEFAULT,
                                    [0x08] = WF_COP_ARRAY_NEW_FIXED };
    *ci = (wf_cinstr){ cops[sub], ty->id | (uint64_t)count << 32 };
    *t = (wf_valtype){ WF_REF, WF_HEAP_TYPE, 0, ty->id };
    return true;
}

bool wf_dec_const(wf_decoder *d, wf_constexpr *out, wf_valtype expect)
{
    wf_module *m = d->m;
    WF_VEC(wf_cinstr) code = { 0 };
    valstack stack = { 0 };
    bool ok = true;
    out->code = NULL;
    out->len = 0;
    for (;;) {
        size_t at = wf_reader_offset(&d->r);
        if (d->r.p >= d->sec_end) {
            ok = wf_reader_fail(&d->r, WF_ERR_MALFORMED, WF_MSG_EOF_SECTION);
            break;
        }
        uint8_t op = *d->r.p++;
        if (op == 0x0b) break;
        wf_cinstr ci = { 0 };
        wf_valtype t = WF_TYPE_I32;
        switch (op) {
        case 0x41: {
            int32_t v;
            ok = wf_read_s32(&d->r, &v);
            ci = (wf_cinstr){ WF_COP_I32_CONST, (uint32_t)v };
            break;
        }
        case 0x42: {
            int64_t v;
            ok = wf_read_s64(&d->r, &v);
            ci = (wf_cinstr){ WF_COP_I64_CONST, (uint64_t)v };
            t = WF_TYPE_I64;
            break;
        }
        case 0x43: {
            uint32_t v;
            ok = wf_read_f32(&d->r, &v);
            ci = (wf_cinstr){ WF_COP_F32_CONST, v };
            t = WF_TYPE_F32;
            break;
        }
        case 0x44: {
            uint64_t v;
            ok = wf_read_f64(&d->r, &v);
            ci = (wf_cinstr){ WF_COP_F64_CONST, v };
            t = WF_TYPE_F64;
            break;
        }
        case 0xd0:
            ok = wf_dec_heaptype(d, &t);
            t.nullable = 1;
            ci = (wf_cinstr){ WF_COP_REF_NULL, 0 };
            break;
        case 0xd2: {
            uint32_t f;
            if (!(ok = wf_read_u32(&d->r, &f))) break;
            if (f >= m->nfuncs) {
                ok = wf_reader_fail_at(&d->r, at + 1, WF_ERR_INVALID, "unknown function %u", f);
                break;
            }
            wf_dec_declare(d, f);
            ci = (wf_cinstr){ WF_COP_REF_FUNC, f };
            t = (wf_valtype){ WF_REF, WF_HEAP_TYPE, 0, m->funcs[f].type->id };
            break;
        }
        case 0x23: {
            uint32_t g;
            if (!(ok = wf_read_u32(&d->r, &g))) break;
            if (g >= m->nglobals) {
                ok = wf_reader_fail_at(&d->r, at + 1, WF_ERR_INVALID, "unknown global %u", g);
                break;
            }
            if (m->globals[g].type.mut) {
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "constant expression required");
                break;
            }
            ci = (wf_cinstr){ WF_COP_GLOBAL_GET, g };
            t = m->globals[g].type.type;
            break;
        }
        case 0x6a: case 0x6b: case 0x6c:
        case 0x7c: case 0x7d: case 0x7e: {
            bool is64 = op >= 0x7c;
            t = is64 ? WF_TYPE_I64 : WF_TYPE_I32;
            static const uint8_t ops[] = { WF_COP_I32_ADD, WF_COP_I32_SUB, WF_COP_I32_MUL,
                                           WF_COP_I64_ADD, WF_COP_I64_SUB, WF_COP_I64_MUL };
            ci = (wf_cinstr){ ops[(is64 ? 3 : 0) + (op - (is64 ? 0x7c : 0x6a))], 0 };
            if (stack.len < 2 || stack.data[stack.len - 1].kind != t.kind ||
                stack.data[stack.len - 2].kind != t.kind) {
                ok = fail_mismatch(d, at);
                break;
            }
            stack.len -= 2;
            break;
        }
        case 0xfb: {   /* GC */
            uint32_t sub;
            if (!(ok = wf_read_u32(&d->r, &sub))) break;
            if (sub <= 0x01 || (sub >= 0x06 && sub <= 0x08)) {
                ok = gc_new(d, sub, at, &stack, &ci, &t);
                break;
            }
            wf_valtype want = WF_TYPE_I32;
            if (sub == 0x1c) {
                t = (wf_valtype){ WF_REF, WF_HEAP_I31, 0, 0 };
                ci = (wf_cinstr){ WF_COP_REF_I31, 0 };
            } else if (sub == 0x1a || sub == 0x1b) {
                want = (wf_valtype){ WF_REF, sub == 0x1a ? WF_HEAP_EXTERN : WF_HEAP_ANY, 1, 0 };
                ci = (wf_cinstr){ WF_COP_REF_CONVERT, 0 };
            } else {
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "constant expression required");
                break;
            }
            if (!stack.len || !wf_valtype_sub(stack.data[stack.len - 1], want)) {
                ok = fail_mismatch(d, at);
                break;
            }
            if (sub != 0x1c) {
                t = (wf_valtype){ WF_REF, sub == 0x1a ? WF_HEAP_ANY : WF_HEAP_EXTERN,
                                  stack.data[stack.len - 1].nullable, 0 };
            }
            stack.len--;
            break;
        }
        case 0xfd: {
            uint32_t sub;
            uint64_t lo = 0, hi = 0;
            if (!(ok = wf_read_u32(&d->r, &sub))) break;
            if (sub != 0x0c) {
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "constant expression required");
                break;
            }
            if (!(ok = wf_read_f64(&d->r, &lo) && wf_read_f64(&d->r, &hi))) break;
            wf_vec_push(&code, ((wf_cinstr){ WF_COP_V128_CONST, lo }));
            ci = (wf_cinstr){ WF_COP_V128_HI, hi };
            t = (wf_valtype){ WF_V128, 0, 0, 0 };
            break;
        }
        default:
            if (!known_opcode(op))
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_MALFORMED, "illegal opcode %02x", op);
            else
                ok = wf_reader_fail_at(&d->r, at, WF_ERR_INVALID, "constant expression required");
            break;
        }
        if (!ok) break;
        wf_vec_push(&code, ci);
        wf_vec_push(&stack, t);
    }
    if (ok && (stack.len != 1 || !wf_valtype_sub(stack.data[0], expect)))
        ok = fail_mismatch(d, wf_reader_offset(&d->r) - 1);
    wf_vec_free(&stack);
    out->code = code.data;
    out->len = (uint32_t)code.len;
    return ok;
}
