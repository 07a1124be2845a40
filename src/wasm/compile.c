/*
 * compile.c - validation of function bodies and, in the same single pass,
 * their translation to the interpreter's internal code (interp.h).
 *
 * The validator follows the spec's algorithm (operand stack of types,
 * control stack of frames, polymorphic stack after unconditional branches).
 * Each operand stack entry also records where its value lives: its home
 * slot (one frame slot per stack position) or, for a deferred local.get, the
 * local's own slot, so `local.get; local.get; i32.add` reads the locals
 * directly. Deferred entries are moved to their homes before anything could
 * change the local or merge control flow. Branches move the label's values
 * into the label's slots; forward targets are patched at `end`. Code is
 * emitted only while reachable. Nothing recurses on the C stack, so deep
 * nesting is bounded only by the input's size.
 *
 * Each instruction is one step (instr): its immediates read and checked,
 * its operands popped and type-checked, its result pushed (which gives its
 * slot), its code emitted. Control frames, labels and branches are in
 * compile_ctrl.c; the fusion rules, which may merge an instruction with the
 * code just emitted, in fuse.c; compile_int.h holds the state the three
 * files share.
 */
#include <inttypes.h>
#include <pthread.h>
#include "wasm/fuse.h"
#include "wasm/exn.h"

#define WF_MAX_FUNC_LOCALS 50000u
#define WF_MAX_CONST_SLOTS 64u

/* ---- opcode tables ----------------------------------------------------- */

typedef struct opinfo {
    uint8_t prefix;
    uint32_t code;
    uint8_t imm;
    uint8_t nin, nout;      /* strlen(in), strlen(out) */
    const char *in, *out;
} opinfo;

static const opinfo g_ops[] = {
#define WF_OPI(e, name, prefix, code, imm, in, out) \
    { prefix, code, WF_IMM_##imm, sizeof(in) - 1, sizeof(out) - 1, in, out },
    WF_OPCODES(WF_OPI)
#undef WF_OPI
};

/* wf_opcode -> wf_iop + 1 for the instructions with a generic handler. */
static const uint16_t g_iop_of[WF_OP_COUNT_] = {
#define WF_MAP(n, ...) [WF_OP_##n] = WF_IOP_##n + 1,
    WF_UNOPS(WF_MAP)
    WF_BINOPS(WF_MAP)
    WF_TRAPOPS(WF_MAP)
    WF_LOADOPS(WF_MAP)
    WF_STOREOPS(WF_MAP)
#undef WF_MAP
};


static int16_t g_byte_op[256];  /* one-byte opcode -> wf_opcode, -1 when none */
static int16_t g_fc_op[32];     /* 0xFC subopcode -> wf_opcode */
static int16_t g_fb_op[32];     /* 0xFB subopcode -> wf_opcode (GC) */
enum { FD_OPS = 0x114 };        /* 0xFD subopcodes: SIMD, then relaxed SIMD from 0x100 */
static int16_t g_fd_op[FD_OPS]; /* 0xFD subopcode -> wf_opcode */
static bool g_tables_ready;

static void init_tables(void)
{
    if (__atomic_load_n(&g_tables_ready, __ATOMIC_ACQUIRE)) return;
    static int16_t b[256], fc[32], fb[32], fd[FD_OPS];
    for (int i = 0; i < 256; i++) b[i] = -1;
    for (int i = 0; i < FD_OPS; i++) fd[i] = -1;
    for (int i = 0; i < 32; i++) fc[i] = fb[i] = -1;
    for (int i = 0; i < WF_OP_COUNT_; i++) {
        if (g_ops[i].prefix == 0) {
            if (b[g_ops[i].code] < 0) b[g_ops[i].code] = (int16_t)i;
        } else if (g_ops[i].prefix == 0xFC && g_ops[i].code < 32) {
            fc[g_ops[i].code] = (int16_t)i;
        } else if (g_ops[i].prefix == 0xFB && g_ops[i].code < 32) {
            fb[g_ops[i].code] = (int16_t)i;
        } else if (g_ops[i].prefix == 0xFD && g_ops[i].code < FD_OPS) {
            fd[g_ops[i].code] = (int16_t)i;
        }
    }
    memcpy(g_byte_op, b, sizeof b);
    memcpy(g_fc_op, fc, sizeof fc);
    memcpy(g_fb_op, fb, sizeof fb);
    memcpy(g_fd_op, fd, sizeof fd);
    __atomic_store_n(&g_tables_ready, true, __ATOMIC_RELEASE);
}

/* ---- errors -------------------------------------------------------------- */

bool wf_cc_fail(cc *c, wf_error_kind kind, const char *fmt, ...)
{
    if (c->r.err) return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->r.err = wf_error_at_offset(kind, (int64_t)c->op_off, "%s", msg);
    return false;
}

/* ---- moves ----------------------------------------------------------------- */

void wf_cc_emit_move(cc *c, uint32_t dst, uint32_t src)
{
    if (dst == src || !c->live) return;
    if (wf_fuse_move(c, dst, src)) return;
    emit_op(c, WF_IOP_MOVE);
    emit(c, dst);
    emit(c, src);
}

void wf_cc_move_typed(cc *c, wf_valtype t, uint32_t dst, uint32_t src)
{
    if (t.kind != WF_V128) {
        wf_cc_emit_move(c, dst, src);
    } else if (dst < src) {
        wf_cc_emit_move(c, dst, src);
        wf_cc_emit_move(c, dst + 1, src + 1);
    } else {
        wf_cc_emit_move(c, dst + 1, src + 1);
        wf_cc_emit_move(c, dst, src);
    }
}

uint32_t wf_cc_vals_slots(const sval *vals, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < i; k++) n += wf_valtype_slots(vals[k].t);
    return n;
}

/* Put the popped value v into dst: retarget its producer, else a move. */
void wf_cc_move_to(cc *c, uint32_t dst, const sval *v)
{
    if (v->slot == dst || !c->live) return;
    if (v->t.kind == WF_V128) {
        wf_cc_move_typed(c, v->t, dst, v->slot);
        return;
    }
    if (is_prod(c, v)) {
        c->code.data[c->prod_op + 1] = dst;
        no_prod(c);
        return;
    }
    wf_cc_emit_move(c, dst, v->slot);
}

/* ---- operand stack ------------------------------------------------------- */


static inline __attribute__((always_inline)) bool pop_any(cc *c, sval *out)
{
    ctrl *f = top_ctrl(c);
    if (WF_UNLIKELY(c->st.len == f->height)) {
        if (!f->unreachable) return MISMATCH(c);
        uint32_t home = next_home(c);
        out->t.kind = KIND_BOT;
        out->slot = out->home = home;
        return true;
    }
    *out = wf_vec_pop(&c->st);
    if (out->slot != out->home && out->slot < c->nlslots) c->pending[out->slot]--;
    return true;
}

bool wf_cc_pop_any(cc *c, sval *out)
{
    return pop_any(c, out);
}

/* Inline where the instructions of this file pop (op_simple pops the
 * operands of most instructions of a module; a call per pop was a tenth
 * of a large module's validation). */
static inline __attribute__((always_inline)) bool pop_expect(cc *c, wf_valtype t, sval *out)
{
    sval v;
    if (!pop_any(c, &v)) return false;
    /* the common case, a number of the expected kind, without a call */
    bool same_num = v.t.kind == t.kind && t.kind != WF_REF;
    if (!same_num && v.t.kind != KIND_BOT && !wf_valtype_sub(v.t, t)) return MISMATCH(c);
    if (out) *out = v;
    return true;
}

bool wf_cc_pop_expect(cc *c, wf_valtype t, sval *out)
{
    return pop_expect(c, t, out);
}

bool wf_cc_pop_num(cc *c, wf_valkind k, sval *out)
{
    wf_valtype t = { k, 0, 0, 0 };
    return wf_cc_pop_expect(c, t, out);
}

/* Move a deferred entry to its home slot. */
static void materialize(cc *c, size_t i)
{
    sval *v = &c->st.data[i];
    if (v->slot == v->home) return;
    wf_cc_move_typed(c, v->t, v->home, v->slot);
    if (v->slot < c->nlslots) c->pending[v->slot]--;
    v->slot = v->home;
}

/* Deferred entries exist only in the innermost frame (every frame starts
 * with all of them materialized). */
void wf_cc_materialize_frame(cc *c)
{
    for (size_t i = top_ctrl(c)->height; i < c->st.len; i++) materialize(c, i);
}
static void materialize_top(cc *c, uint32_t n)
{
    size_t lo = c->st.len >= n ? c->st.len - n : 0;
    if (lo < top_ctrl(c)->height) lo = top_ctrl(c)->height;
    for (size_t i = lo; i < c->st.len; i++) materialize(c, i);
}
/* Before local x changes, entries reading it get their own copy. */
static void local_changes(cc *c, uint32_t x)
{
    if (!c->pending[x]) return;
    for (size_t i = top_ctrl(c)->height; i < c->st.len; i++)
        if (c->st.data[i].slot == x) materialize(c, i);
}

void wf_cc_set_unreachable(cc *c)
{
    ctrl *f = top_ctrl(c);
    for (size_t i = f->height; i < c->st.len; i++) {
        sval *v = &c->st.data[i];
        if (v->slot != v->home && v->slot < c->nlslots) c->pending[v->slot]--;
    }
    c->st.len = f->height;
    f->unreachable = true;
    c->live = false;
}

/* ---- types from the binary ----------------------------------------------- */

/* A defined type by index: any kind (defined_type), or a function type
 * (type_index: block types, call_indirect, call_ref). */
static bool defined_type(cc *c, uint32_t idx, const wf_functype **out)
{
    if (idx >= c->m->ntypes) return wf_cc_fail(c, WF_ERR_INVALID, "unknown type");
    *out = c->m->types[idx].func;
    return true;
}

static bool type_index(cc *c, uint32_t idx, const wf_functype **out)
{
    if (!defined_type(c, idx, out)) return false;
    if (wf_type_kind(*out) != WF_COMP_FUNC) return MISMATCH(c);
    return true;
}

bool wf_cc_type_of_kind(cc *c, uint8_t kind, uint32_t *index, const wf_functype **out)
{
    if (!wf_read_u32(&c->r, index) || !defined_type(c, *index, out)) return false;
    if (wf_type_kind(*out) != kind) return MISMATCH(c);
    return true;
}

static bool heaptype_from(cc *c, int64_t h, wf_valtype *t)
{
    t->kind = WF_REF;
    t->index = 0;
    if (h >= 0) {
        const wf_functype *ft = NULL;
        if (!defined_type(c, (uint32_t)h, &ft)) return false;
        t->heap = WF_HEAP_TYPE;
        t->index = ft->id;
        return true;
    }
    switch (h & 0x7f) {
    case 0x70: t->heap = WF_HEAP_FUNC; return true;
    case 0x6F: t->heap = WF_HEAP_EXTERN; return true;
    case 0x73: t->heap = WF_HEAP_NOFUNC; return true;
    case 0x72: t->heap = WF_HEAP_NOEXTERN; return true;
    case 0x69: t->heap = WF_HEAP_EXN; return true;
    case 0x74: t->heap = WF_HEAP_NOEXN; return true;
    case 0x6E: t->heap = WF_HEAP_ANY; return true;
    case 0x6D: t->heap = WF_HEAP_EQ; return true;
    case 0x6C: t->heap = WF_HEAP_I31; return true;
    case 0x6B: t->heap = WF_HEAP_STRUCT; return true;
    case 0x6A: t->heap = WF_HEAP_ARRAY; return true;
    case 0x71: t->heap = WF_HEAP_NONE; return true;
    default:
        return wf_cc_fail(c, WF_ERR_MALFORMED, "malformed heap type");
    }
}

static bool read_heaptype(cc *c, wf_valtype *t)
{
    int64_t h;
    if (!wf_read_s33(&c->r, &h)) return false;
    return heaptype_from(c, h, t);
}

bool wf_cc_read_heaptype(cc *c, wf_valtype *t)
{
    return read_heaptype(c, t);
}

static bool is_valtype_byte(uint8_t b)
{
    switch (b) {
    case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x7B: case 0x70: case 0x6F:
    case 0x64: case 0x63: case 0x73: case 0x72: case 0x6E: case 0x6D: case 0x6C:
    case 0x6B: case 0x6A: case 0x71: case 0x69: case 0x74:
        return true;
    default:
        return false;
    }
}

static bool read_valtype(cc *c, wf_valtype *t)
{
    uint8_t b;
    size_t at = wf_reader_offset(&c->r);
    if (!wf_read_u8(&c->r, &b)) return false;
    memset(t, 0, sizeof *t);
    switch (b) {
    case 0x7F: t->kind = WF_I32; return true;
    case 0x7E: t->kind = WF_I64; return true;
    case 0x7D: t->kind = WF_F32; return true;
    case 0x7C: t->kind = WF_F64; return true;
    case 0x7B: t->kind = WF_V128; return true;
    case 0x64: case 0x63:
        if (!read_heaptype(c, t)) return false;
        t->nullable = b == 0x63;
        return true;
    default:
        if (is_valtype_byte(b)) {
            if (!heaptype_from(c, (int64_t)b - 0x80, t)) return false;
            t->nullable = 1;
            return true;
        }
        c->op_off = at;
        return wf_cc_fail(c, WF_ERR_MALFORMED, "malformed value type");
    }
}

bool wf_cc_read_blocktype(cc *c, ctrl *f)
{
    uint8_t b;
    f->ft = NULL;
    f->has_one = false;
    if (!wf_peek_u8(&c->r, &b)) return false;
    if (b == 0x40) { c->r.p++; return true; }
    if (is_valtype_byte(b)) {
        f->has_one = true;
        return read_valtype(c, &f->one);
    }
    int64_t idx;
    if (!wf_read_s33(&c->r, &idx)) return false;
    if (idx < 0) return wf_cc_fail(c, WF_ERR_MALFORMED, "malformed block type");
    return type_index(c, (uint32_t)idx, &f->ft);
}

/* ---- the instructions ---------------------------------------------------- */

static uint32_t natural_align(wf_opcode op)
{
    switch (op) {
    case WF_OP_I64_LOAD: case WF_OP_F64_LOAD: case WF_OP_I64_STORE: case WF_OP_F64_STORE:
        return 3;
    case WF_OP_I32_LOAD: case WF_OP_F32_LOAD: case WF_OP_I32_STORE: case WF_OP_F32_STORE:
    case WF_OP_I64_LOAD32_S: case WF_OP_I64_LOAD32_U: case WF_OP_I64_STORE32:
        return 2;
    case WF_OP_I32_LOAD16_S: case WF_OP_I32_LOAD16_U: case WF_OP_I64_LOAD16_S:
    case WF_OP_I64_LOAD16_U: case WF_OP_I32_STORE16: case WF_OP_I64_STORE16:
        return 1;
    default:
        return 0;
    }
}

static bool need_memory(cc *c, uint32_t idx)
{
    if (idx >= c->m->nmems) return wf_cc_fail(c, WF_ERR_INVALID, "unknown memory %u", idx);
    return true;
}

/* memory64 / table64: memory or table idx takes i64 addresses. */
static bool mem64(const cc *c, uint32_t idx) { return c->m->mems[idx].limits.is64; }
static bool table64(const cc *c, uint32_t idx) { return c->m->tables[idx].type.limits.is64; }

bool wf_cc_pop_at(cc *c, bool is64, sval *out)
{
    if (!is64) return wf_cc_pop_num(c, WF_I32, out);
    sval a;
    if (!wf_cc_pop_num(c, WF_I64, &a)) return false;
    if (!c->live) {
        *out = a;
        return true;
    }
    uint32_t dst = push_result(c, vt(WF_I32));
    emit_op(c, WF_IOP_SAT_U32);
    emit(c, dst);
    emit(c, a.slot);
    return wf_cc_pop_num(c, WF_I32, out);
}

/* After an instruction that wrote a u32 size or -1 (as (uint32_t)-1) to
 * dst: the i64 result of a 64-bit memory or table (-1 sign-extended). */
static void widen_result(cc *c, uint32_t dst, bool is64, bool can_fail)
{
    if (!is64 || !can_fail) return;   /* sizes are written as u64 already */
    emit_op(c, WF_IOP_I64_EXTEND_I32_S);
    emit(c, dst);
    emit(c, dst);
}

/* A memory index immediate (memory.size/grow/fill/copy/init). */
static bool read_memidx(cc *c, uint32_t *idx)
{
    if (!wf_read_u32(&c->r, idx)) return false;
    return need_memory(c, *idx);
}

static bool read_table(cc *c, uint32_t *idx)
{
    if (!wf_read_u32(&c->r, idx)) return false;
    if (*idx >= c->m->ntables) return wf_cc_fail(c, WF_ERR_INVALID, "unknown table %u", *idx);
    return true;
}

/* An operand letter of opcodes.h ('i' i32, 'l' i64, 'f' f32, 'd' f64,
 * 'v' v128) as its kind: a table, for every simple instruction's operands
 * are typed through it (a switch here was 3% of a large module's load). */
static const uint8_t g_letter_kind[128] = {
    ['i'] = WF_I32, ['l'] = WF_I64, ['f'] = WF_F32, ['d'] = WF_F64, ['v'] = WF_V128,
};

static inline wf_valtype kind_of_letter(char ch)
{
    return vt((wf_valkind)g_letter_kind[(unsigned char)ch & 0x7f]);
}

static bool commutes(wf_iop op)
{
    switch (op) {
    case WF_IOP_I32_ADD: case WF_IOP_I32_MUL: case WF_IOP_I32_AND: case WF_IOP_I32_OR:
    case WF_IOP_I32_XOR: case WF_IOP_I32_EQ: case WF_IOP_I32_NE:
    case WF_IOP_I64_ADD: case WF_IOP_I64_MUL: case WF_IOP_I64_AND: case WF_IOP_I64_OR:
    case WF_IOP_I64_XOR: case WF_IOP_I64_EQ: case WF_IOP_I64_NE:
        return true;
    default:
        return false;
    }
}

/* A load's or store's memarg: alignment (at most natural), memory index
 * (bit 6 of the alignment field: an index follows, else memory 0), offset
 * (below 2^32 for a 32-bit memory). */
static bool read_memarg(cc *c, wf_opcode op, uint64_t *offset, uint32_t *memidx)
{
    return wf_cc_read_memarg(c, natural_align(op), offset, memidx);
}

bool wf_cc_read_memarg(cc *c, uint32_t natural, uint64_t *offset, uint32_t *memidx)
{
    uint32_t align;
    if (!wf_read_u32(&c->r, &align)) return false;
    if (align >= 0x80) return wf_cc_fail(c, WF_ERR_MALFORMED, "malformed memop flags");
    *memidx = 0;
    if (align & 0x40) {
        if (!wf_read_u32(&c->r, memidx)) return false;
        align &= ~0x40u;
    }
    /* The offset is a u64 in the binary format; a 32-bit memory only
     * accepts offsets below 2^32, which is a validation rule. */
    if (!wf_read_u64(&c->r, offset)) return false;
    if (!need_memory(c, *memidx)) return false;
    if (align > natural)
        return wf_cc_fail(c, WF_ERR_INVALID, "alignment must not be larger than natural");
    if (*offset > UINT32_MAX) {
        if (!mem64(c, *memidx)) return wf_cc_fail(c, WF_ERR_INVALID, "offset out of range");
        /* a 64-bit memory stays under 4 GiB (memory.c): an offset of 2^32
         * or more always traps, as 2^32 - 1 does (the address added is
         * saturated to 32 bits) */
        *offset = UINT32_MAX;
    }
    return true;
}

/* Binary operation iop whose second operand is a constant: its immediate
 * form (_K), the constant folded into the code. */
static void emit_binop_k(cc *c, wf_iop iop, const sval *a, uint64_t bits, wf_valtype out)
{
    uint32_t dst = push_result(c, out);
    wf_iop k = wf_iop_k_form(iop);
    if (wf_fuse_binop_k(c, k, a, bits, dst)) return;
    size_t at = c->code.len;
    emit_op(c, k);
    emit(c, dst);
    emit(c, a->slot);
    emit(c, (wf_word)bits);
    note_prod(c, at, k);
}

/* Loads, stores and the simple numeric instructions of opcodes.h. */
static bool op_simple(cc *c, wf_opcode op)
{
    /* validation: the immediates, then the operands' types */
    const opinfo *oi = &g_ops[op];
    if (!g_iop_of[op]) return wf_cc_fail(c, WF_ERR_MALFORMED, "illegal opcode");
    wf_iop iop = (wf_iop)(g_iop_of[op] - 1);
    bool mem = oi->imm == WF_IMM_MEMARG;
    uint64_t offset = 0;
    uint32_t memidx = 0;
    if (mem && !read_memarg(c, op, &offset, &memidx)) return false;
    if (!mem && oi->imm != WF_IMM_NONE) return wf_cc_fail(c, WF_ERR_INTERNAL, "unexpected immediate");
    size_t nin = oi->nin, nout = oi->nout;
    sval a = { 0 }, b = { 0 };
    if (nin == 2 && !pop_expect(c, kind_of_letter(oi->in[1]), &b)) return false;
    if (mem) {
        if (!wf_cc_pop_at(c, mem64(c, memidx), &a)) return false;
    } else if (nin >= 1 && !pop_expect(c, kind_of_letter(oi->in[0]), &a)) {
        return false;
    }
    if (!c->live) {
        /* nothing to emit (validation only, or unreachable code): the
         * result's type is all that matters */
        if (nout == 1) push(c, kind_of_letter(oi->out[0]));
        return true;
    }
    wf_iop form = iop;
    wf_word extra[2];           /* the form's operands after the offset */
    size_t nextra = 0;
    if (mem && memidx != 0) {
        /* another memory than 0: the generic forms, which take the memory
         * and the access as operands, no fusion (memory 0's base stays the
         * one the interpreter keeps in a register) */
        form = nout == 1 ? WF_IOP_LOAD_MEM : WF_IOP_STORE_MEM;
        extra[nextra++] = memidx;
        extra[nextra++] = iop;
    } else {
        /* a binary operation with a constant operand takes it as an
         * immediate (integer operations that commute take a constant first
         * operand too); else a fused instruction may take over the
         * operands' producers */
        if (nin == 2 && nout == 1 && wf_iop_is_binop(iop)) {
            bool imm = b.slot == IMM_SLOT;
            if (!imm && !is_const(c, b.slot) && is_const(c, a.slot) && commutes(iop)) {
                sval t = a; a = b; b = t;
            }
            if (imm || is_const(c, b.slot)) {
                uint64_t bits = imm ? c->imm_bits : c->consts.data[b.slot - c->cbase];
                emit_binop_k(c, iop, &a, bits, kind_of_letter(oi->out[0]));
                return true;
            }
            if (wf_fuse_binop(c, iop, &a, &b)) return true;
        }
        if (nin == 1 && wf_fuse_unop(c, iop, &a)) return true;
        if (mem) {
            form = wf_fuse_addr(c, iop, nout == 1, &a, &extra[0]);
            nextra = form != iop;
        }
        if (nout != 1 && wf_fuse_store(c, form, &a, &b, offset)) return true;
    }

    /* emission: dst (the result's slot; stores have none), operands (a
     * store's address, value), offset, and the form's extra operands */
    uint32_t dst = nout == 1 ? push_result(c, kind_of_letter(oi->out[0])) : 0;
    size_t at = c->code.len;
    emit_op(c, form);
    if (nout == 1) emit(c, dst);
    emit(c, a.slot);
    if (nin == 2) emit(c, b.slot);
    if (mem) emit(c, offset);
    for (size_t i = 0; i < nextra; i++) emit(c, extra[i]);
    if (nout == 1) note_prod(c, at, form);
    return true;
}

/* Pop the arguments of a call to type ft (materialized, contiguous) and
 * return the slot of the first; *extra (the callee ref or table index, on
 * top of the args) is popped first by the caller. */
static bool pop_args(cc *c, const wf_functype *ft, uint32_t *argbase)
{
    materialize_top(c, ft->nparams);
    for (uint32_t i = ft->nparams; i-- > 0;)
        if (!wf_cc_pop_expect(c, ft->params[i], NULL)) return false;
    *argbase = next_home(c);
    use_slot(c, *argbase + WF_MAX(ft->param_slots, ft->result_slots));
    return true;
}

static void push_results(cc *c, const wf_functype *ft)
{
    for (uint32_t i = 0; i < ft->nresults; i++) push(c, ft->results[i]);
}

static bool check_tail_results(cc *c, const wf_functype *callee)
{
    if (callee->nresults != c->ft->nresults) return MISMATCH(c);
    for (uint32_t i = 0; i < callee->nresults; i++)
        if (!wf_valtype_sub(callee->results[i], c->ft->results[i])) return MISMATCH(c);
    return true;
}

static bool func_index(cc *c, uint32_t *x)
{
    if (!wf_read_u32(&c->r, x)) return false;
    if (*x >= c->m->nfuncs) return wf_cc_fail(c, WF_ERR_INVALID, "unknown function %u", *x);
    return true;
}

/* Without a data count section the data section (after the code) is not
 * known yet: if there is one, the count was required (malformed), else any
 * segment index is unknown. */
static bool has_data_section(const wf_module *m)
{
    wf_reader r;
    if (!m->bytes || m->len < 8) return false;
    wf_reader_init(&r, m->bytes + 8, m->len - 8, 8);
    while (!wf_reader_eof(&r)) {
        uint8_t id;
        uint32_t size;
        if (!wf_read_u8(&r, &id) || !wf_read_u32(&r, &size) || !wf_reader_skip(&r, size)) break;
        if (id == 11) { wf_reader_dispose(&r); return true; }
    }
    wf_reader_dispose(&r);
    return false;
}

/* A constant: a deferred read of its constant slot, or (slots all taken)
 * a CONST instruction. */
static void push_const(cc *c, wf_valtype t, uint64_t bits)
{
    if (!c->live) { push(c, t); return; }
    /* Followed by a binary operation, the constant is its second operand
     * and becomes its immediate: no constant slot (ENTER copies fewer). */
    if (c->r.p < c->r.end) {
        int next = g_byte_op[*c->r.p];
        if (next >= 0 && g_iop_of[next] && wf_iop_is_binop((wf_iop)(g_iop_of[next] - 1))) {
            c->imm_bits = bits;
            push_at(c, t, IMM_SLOT);
            return;
        }
    }
    uint32_t k = 0;
    while (k < c->consts.len && c->consts.data[k] != bits) k++;
    if (k == c->consts.len) {
        if (k >= c->ccap) {
            push(c, t);
            emit_op(c, WF_IOP_CONST);
            emit(c, c->st.data[c->st.len - 1].home);
            emit(c, bits);
            return;
        }
        wf_vec_push(&c->consts, bits);
    }
    push_at(c, t, c->cbase + k);
}

static bool op_const(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    switch (op) {
    case WF_OP_I32_CONST: {
        int32_t x;
        if (!wf_read_s32(r, &x)) return false;
        push_const(c, vt(WF_I32), (uint32_t)x);
        return true;
    }
    case WF_OP_I64_CONST: {
        int64_t x;
        if (!wf_read_s64(r, &x)) return false;
        push_const(c, vt(WF_I64), (uint64_t)x);
        return true;
    }
    case WF_OP_F32_CONST: {
        uint32_t x;
        if (!wf_read_f32(r, &x)) return false;
        push_const(c, vt(WF_F32), x);
        return true;
    }
    default: {
        uint64_t x;
        if (!wf_read_f64(r, &x)) return false;
        push_const(c, vt(WF_F64), x);
        return true;
    }
    }
}

/* After a call's operands: a tail call ends the block's reachable code;
 * any other may throw (its handler is checked) and pushes the results. */
static bool end_call(cc *c, const wf_functype *ft, bool tail)
{
    if (tail) {
        wf_cc_set_unreachable(c);
    } else {
        wf_cc_exn_check(c);
        push_results(c, ft);
    }
    return true;
}

static bool op_call(cc *c, wf_opcode op)
{
    uint32_t x, base;
    if (!func_index(c, &x)) return false;
    const wf_functype *ft = c->m->funcs[x].type;
    bool tail = op == WF_OP_RETURN_CALL;
    if (tail && !check_tail_results(c, ft)) return false;
    c->tail_calls |= tail;
    if (!pop_args(c, ft, &base)) return false;
    if (tail) {
        emit_op(c, WF_IOP_RETURN_CALL);
        emit(c, x);
        emit(c, base);
        emit(c, ft->param_slots);
        wf_cc_set_unreachable(c);
    } else {
        bool direct = x >= c->m->nfunc_imports;
        /* An argument just computed: one dispatch with the call,
         * whose operands then follow the merged instruction's. */
        if (!(direct && wf_fuse_call(c))) emit_op(c, direct ? WF_IOP_CALL : WF_IOP_CALL_ANY);
        /* CALL's callee becomes its code's address (translate) */
        if (direct && c->live) wf_vec_push(&c->calls, (uint32_t)c->code.len);
        emit(c, x);
        emit(c, base);
        wf_cc_exn_check(c);
        push_results(c, ft);
    }
    return true;
}

static bool op_call_indirect(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a;
    uint32_t ti, tab, base;
    const wf_functype *ft;
    if (!wf_read_u32(r, &ti) || !read_table(c, &tab)) return false;
    if (!type_index(c, ti, &ft)) return false;
    if (!wf_valtype_sub(c->m->tables[tab].type.elem, WF_TYPE_FUNCREF)) return MISMATCH(c);
    bool tail = op == WF_OP_RETURN_CALL_INDIRECT;
    if (tail && !check_tail_results(c, ft)) return false;
    c->tail_calls |= tail;
    if (!wf_cc_pop_at(c, table64(c, tab), &a)) return false;
    if (!pop_args(c, ft, &base)) return false;
    emit_op(c, tail ? WF_IOP_RETURN_CALL_INDIRECT : WF_IOP_CALL_INDIRECT);
    emit(c, tab);
    emit(c, (wf_word)ft);
    emit(c, base);
    emit(c, a.slot);
    return end_call(c, ft, tail);
}

static bool op_call_ref(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a = { 0 };
    uint32_t ti, base;
    const wf_functype *ft;
    if (!wf_read_u32(r, &ti) || !type_index(c, ti, &ft)) return false;
    wf_valtype rt = { WF_REF, WF_HEAP_TYPE, 1, ft->id };
    bool tail = op == WF_OP_RETURN_CALL_REF;
    if (tail && !check_tail_results(c, ft)) return false;
    c->tail_calls |= tail;
    if (!wf_cc_pop_expect(c, rt, &a)) return false;
    if (!pop_args(c, ft, &base)) return false;
    emit_op(c, tail ? WF_IOP_RETURN_CALL_REF : WF_IOP_CALL_REF);
    emit(c, a.slot);
    emit(c, base);
    return end_call(c, ft, tail);
}

/* throw: the tag's parameters as the payload, in argument slots. */
static bool op_throw(cc *c, wf_opcode op)
{
    uint32_t x, base;
    if (!wf_read_u32(&c->r, &x)) return false;
    if (x >= c->m->ntags) return wf_cc_fail(c, WF_ERR_INVALID, "unknown tag %u", x);
    const wf_functype *ft = c->m->tags[x];
    wf_exn_note_used();
    if (!pop_args(c, ft, &base)) return false;
    emit_op(c, WF_IOP_THROW);
    emit(c, x);
    emit(c, base);
    wf_cc_emit_handlers(c);
    wf_cc_set_unreachable(c);
    return true;
}

static bool op_throw_ref(cc *c, wf_opcode op)
{
    sval a;
    wf_valtype exnref = { WF_REF, WF_HEAP_EXN, 1, 0 };
    wf_exn_note_used();
    if (!wf_cc_pop_expect(c, exnref, &a)) return false;
    emit_op(c, WF_IOP_THROW_REF);
    emit(c, a.slot);
    wf_cc_emit_handlers(c);
    wf_cc_set_unreachable(c);
    return true;
}

static bool op_select(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a, b, v;
    wf_valtype t = { KIND_BOT, 0, 0, 0 };
    if (op == WF_OP_SELECT_T) {
        uint32_t n;
        if (!wf_read_u32(r, &n)) return false;
        if (n != 1) return wf_cc_fail(c, WF_ERR_INVALID, "invalid result arity");
        if (!read_valtype(c, &t)) return false;
    }
    if (!wf_cc_pop_num(c, WF_I32, &v)) return false;
    if (op == WF_OP_SELECT_T) {
        if (!wf_cc_pop_expect(c, t, &b) || !wf_cc_pop_expect(c, t, &a)) return false;
    } else {
        if (!wf_cc_pop_any(c, &b) || !wf_cc_pop_any(c, &a)) return false;
        if (a.t.kind == WF_REF || b.t.kind == WF_REF) return MISMATCH(c);
        if (a.t.kind != KIND_BOT && b.t.kind != KIND_BOT && a.t.kind != b.t.kind)
            return MISMATCH(c);
        t = a.t.kind != KIND_BOT ? a.t : b.t;
    }
    push(c, t);
    uint32_t dst = c->st.data[c->st.len - 1].home;
    if (t.kind == WF_V128) {
        /* each half on its own: the low half's write (dst) is no operand
         * of the high half's select (a's high half is dst + 1 or a local's,
         * b's and the condition's lie above dst + 1 or in locals) */
        for (uint32_t h = 0; h < 2; h++) {
            emit_op(c, WF_IOP_SELECT);
            emit(c, dst + h);
            emit(c, a.slot + h);
            emit(c, b.slot + h);
            emit(c, v.slot);
        }
        return true;
    }
    size_t at = c->code.len;
    emit_op(c, WF_IOP_SELECT);
    emit(c, dst);
    emit(c, a.slot);
    emit(c, b.slot);
    emit(c, v.slot);
    note_prod(c, at, WF_IOP_SELECT);
    return true;
}

static bool op_local_get(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    uint32_t x;
    if (!wf_read_u32(r, &x)) return false;
    if (x >= c->nlocals) return wf_cc_fail(c, WF_ERR_INVALID, "unknown local");
    if (!c->linit[x]) return wf_cc_fail(c, WF_ERR_INVALID, "uninitialized local");
    push_at(c, c->locals[x], c->lslot[x]);
    return true;
}

static bool op_local_set(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a;
    uint32_t x;
    if (!wf_read_u32(r, &x)) return false;
    if (x >= c->nlocals) return wf_cc_fail(c, WF_ERR_INVALID, "unknown local");
    if (!wf_cc_pop_expect(c, c->locals[x], &a)) return false;
    uint32_t s = c->lslot[x];
    bool zero = is_const(c, a.slot) && c->consts.data[a.slot - c->cbase] == 0;
    if (c->locals[x].kind == WF_V128) {
        /* a v128 local: both its slots (deferred reads copied first) */
        local_changes(c, s);
        wf_cc_move_typed(c, c->locals[x], s, a.slot);
    } else if (wf_fuse_local_set(c, s, &a)) {
        /* nothing to emit */
    } else if (!c->pending[s]) {
        /* with no deferred reads of x left, the producer writes x */
        wf_cc_move_to(c, s, &a);
    } else {
        local_changes(c, s);
        wf_cc_emit_move(c, s, a.slot);
    }
    if (!zero) c->lnonzero[s] = 1;
    if (!c->linit[x]) {
        c->linit[x] = 1;
        wf_vec_push(&c->inits, x);
    }
    if (op == WF_OP_LOCAL_TEE) push_at(c, c->locals[x], s);
    return true;
}

static bool op_global(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a;
    uint32_t x;
    if (!wf_read_u32(r, &x)) return false;
    if (x >= c->m->nglobals) return wf_cc_fail(c, WF_ERR_INVALID, "unknown global %u", x);
    const wf_globaltype *gt = &c->m->globals[x].type;
    if (op == WF_OP_GLOBAL_GET) {
        bool wide = gt->type.kind == WF_V128;
        push(c, gt->type);
        size_t at = c->code.len;
        emit_op(c, wide ? WF_IOP_GLOBAL_GET2 : WF_IOP_GLOBAL_GET);
        emit(c, c->st.data[c->st.len - 1].home);
        emit(c, x);
        if (!wide) note_prod(c, at, WF_IOP_GLOBAL_GET);
    } else {
        if (!gt->mut) return wf_cc_fail(c, WF_ERR_INVALID, "global is immutable");
        if (!wf_cc_pop_expect(c, gt->type, &a)) return false;
        emit_op(c, gt->type.kind == WF_V128 ? WF_IOP_GLOBAL_SET2 : WF_IOP_GLOBAL_SET);
        emit(c, x);
        emit(c, a.slot);
    }
    return true;
}

static bool op_table_access(cc *c, wf_opcode op)
{
    sval a, b;
    uint32_t x;
    if (!read_table(c, &x)) return false;
    wf_valtype et = c->m->tables[x].type.elem;
    if (op == WF_OP_TABLE_GET) {
        if (!wf_cc_pop_at(c, table64(c, x), &a)) return false;
        push(c, et);
        emit_op(c, WF_IOP_TABLE_GET);
        emit(c, c->st.data[c->st.len - 1].home);
        emit(c, a.slot);
        emit(c, x);
    } else {
        if (!wf_cc_pop_expect(c, et, &b) || !wf_cc_pop_at(c, table64(c, x), &a)) return false;
        emit_op(c, WF_IOP_TABLE_SET);
        emit(c, a.slot);
        emit(c, b.slot);
        emit(c, x);
    }
    return true;
}

static bool op_ref_null(cc *c, wf_opcode op)
{
    wf_valtype t;
    if (!read_heaptype(c, &t)) return false;
    t.nullable = 1;
    push(c, t);
    emit_op(c, WF_IOP_CONST);
    emit(c, c->st.data[c->st.len - 1].home);
    emit(c, 0);
    return true;
}

static bool op_ref_func(cc *c, wf_opcode op)
{
    uint32_t x;
    if (!func_index(c, &x)) return false;
    if (!c->m->func_declared || !c->m->func_declared[x])
        return wf_cc_fail(c, WF_ERR_INVALID, "undeclared function reference");
    wf_valtype t = { WF_REF, WF_HEAP_TYPE, 0, c->m->funcs[x].type->id };
    push(c, t);
    emit_op(c, WF_IOP_REF_FUNC);
    emit(c, c->st.data[c->st.len - 1].home);
    emit(c, x);
    return true;
}

bool wf_cc_data_index(cc *c, uint32_t x)
{
    if (!c->m->has_data_count) {
        if (has_data_section(c->m))
            return wf_cc_fail(c, WF_ERR_MALFORMED, "data count section required");
        return wf_cc_fail(c, WF_ERR_INVALID, "unknown data segment %u", x);
    }
    if (x >= c->m->ndatas) return wf_cc_fail(c, WF_ERR_INVALID, "unknown data segment %u", x);
    return true;
}

bool wf_cc_pop_run(cc *c, const wf_valtype *types, uint32_t n, bool repeat, uint32_t *base)
{
    materialize_top(c, n);
    for (uint32_t i = n; i-- > 0;)
        if (!wf_cc_pop_expect(c, types[repeat ? 0 : i], NULL)) return false;
    *base = next_home(c);
    return true;
}

static bool op_memory_init(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a, b, v;
    uint32_t x, mi = 0;
    if (!wf_read_u32(r, &x)) return false;
    if (op == WF_OP_MEMORY_INIT && !read_memidx(c, &mi)) return false;
    if (!c->m->has_data_count) {
        if (has_data_section(c->m))
            return wf_cc_fail(c, WF_ERR_MALFORMED, "data count section required");
        return wf_cc_fail(c, WF_ERR_INVALID, "unknown data segment %u", x);
    }
    if (x >= c->m->ndatas) return wf_cc_fail(c, WF_ERR_INVALID, "unknown data segment %u", x);
    if (op == WF_OP_DATA_DROP) {
        emit_op(c, WF_IOP_DATA_DROP);
        emit(c, x);
        return true;
    }
    if (!wf_cc_pop_num(c, WF_I32, &v) || !wf_cc_pop_num(c, WF_I32, &b) || !wf_cc_pop_at(c, mem64(c, mi), &a))
        return false;
    emit_op(c, mi ? WF_IOP_MEMORY_INIT_M : WF_IOP_MEMORY_INIT);
    emit(c, x);
    emit(c, a.slot);
    emit(c, b.slot);
    emit(c, v.slot);
    if (mi) emit(c, mi);
    return true;
}

static bool op_table_init(cc *c, wf_opcode op)
{
    wf_reader *r = &c->r;
    sval a, b, v;
    uint32_t x, tab = 0;
    if (!wf_read_u32(r, &x)) return false;
    if (op == WF_OP_TABLE_INIT && !read_table(c, &tab)) return false;
    if (x >= c->m->nelems) return wf_cc_fail(c, WF_ERR_INVALID, "unknown elem segment %u", x);
    if (op == WF_OP_ELEM_DROP) {
        emit_op(c, WF_IOP_ELEM_DROP);
        emit(c, x);
        return true;
    }
    if (!wf_valtype_sub(c->m->elems[x].type, c->m->tables[tab].type.elem)) return MISMATCH(c);
    if (!wf_cc_pop_num(c, WF_I32, &v) || !wf_cc_pop_num(c, WF_I32, &b) || !wf_cc_pop_at(c, table64(c, tab), &a))
        return false;
    emit_op(c, WF_IOP_TABLE_INIT);
    emit(c, x);
    emit(c, tab);
    emit(c, a.slot);
    emit(c, b.slot);
    emit(c, v.slot);
    return true;
}

static bool op_table_copy(cc *c, wf_opcode op)
{
    sval a, b, v;
    uint32_t dt, st;
    if (!read_table(c, &dt) || !read_table(c, &st)) return false;
    if (!wf_valtype_sub(c->m->tables[st].type.elem, c->m->tables[dt].type.elem))
        return MISMATCH(c);
    /* the length is i64 only when both tables are 64-bit */
    if (!wf_cc_pop_at(c, table64(c, dt) && table64(c, st), &v) || !wf_cc_pop_at(c, table64(c, st), &b) ||
        !wf_cc_pop_at(c, table64(c, dt), &a))
        return false;
    emit_op(c, WF_IOP_TABLE_COPY);
    emit(c, dt);
    emit(c, st);
    emit(c, a.slot);
    emit(c, b.slot);
    emit(c, v.slot);
    return true;
}

static bool op_table_grow_size_fill(cc *c, wf_opcode op)
{
    sval a, b, v;
    uint32_t x;
    if (!read_table(c, &x)) return false;
    wf_valtype et = c->m->tables[x].type.elem;
    bool t64 = table64(c, x);
    if (op == WF_OP_TABLE_SIZE) {
        push(c, vt(t64 ? WF_I64 : WF_I32));
        emit_op(c, WF_IOP_TABLE_SIZE);
        emit(c, c->st.data[c->st.len - 1].home);
        emit(c, x);
    } else if (op == WF_OP_TABLE_GROW) {
        if (!wf_cc_pop_at(c, t64, &b) || !wf_cc_pop_expect(c, et, &a)) return false;
        push(c, vt(t64 ? WF_I64 : WF_I32));
        uint32_t dst = c->st.data[c->st.len - 1].home;
        emit_op(c, WF_IOP_TABLE_GROW);
        emit(c, dst);
        emit(c, a.slot);
        emit(c, b.slot);
        emit(c, x);
        widen_result(c, dst, t64, true);
    } else {
        if (!wf_cc_pop_at(c, t64, &v) || !wf_cc_pop_expect(c, et, &b) || !wf_cc_pop_at(c, t64, &a))
            return false;
        emit_op(c, WF_IOP_TABLE_FILL);
        emit(c, x);
        emit(c, a.slot);
        emit(c, b.slot);
        emit(c, v.slot);
    }
    return true;
}


static bool op_memory_size_grow(cc *c, wf_opcode op)
{
    sval a = { 0 };
    uint32_t mi;
    if (!read_memidx(c, &mi)) return false;
    bool m64 = mem64(c, mi);
    if (op == WF_OP_MEMORY_GROW && !wf_cc_pop_at(c, m64, &a)) return false;
    uint32_t dst = push_result(c, vt(m64 ? WF_I64 : WF_I32));
    if (mi)
        emit_op(c, op == WF_OP_MEMORY_GROW ? WF_IOP_MEMORY_GROW_M : WF_IOP_MEMORY_SIZE_M);
    else
        emit_op(c, op == WF_OP_MEMORY_GROW ? WF_IOP_MEMORY_GROW : WF_IOP_MEMORY_SIZE);
    emit(c, dst);
    if (op == WF_OP_MEMORY_GROW) emit(c, a.slot);
    if (mi) emit(c, mi);
    widen_result(c, dst, m64, op == WF_OP_MEMORY_GROW);
    return true;
}

static bool op_memory_copy_fill(cc *c, wf_opcode op)
{
    sval a, b, v;
    uint32_t dm, sm = 0;
    if (!read_memidx(c, &dm)) return false;
    if (op == WF_OP_MEMORY_COPY && !read_memidx(c, &sm)) return false;
    bool ok;
    if (op == WF_OP_MEMORY_COPY)   /* the length is i64 only when both memories are 64-bit */
        ok = wf_cc_pop_at(c, mem64(c, dm) && mem64(c, sm), &v) && wf_cc_pop_at(c, mem64(c, sm), &b) &&
             wf_cc_pop_at(c, mem64(c, dm), &a);
    else
        ok = wf_cc_pop_at(c, mem64(c, dm), &v) && wf_cc_pop_num(c, WF_I32, &b) && wf_cc_pop_at(c, mem64(c, dm), &a);
    if (!ok) return false;
    bool other = dm || sm;
    if (op == WF_OP_MEMORY_COPY)
        emit_op(c, other ? WF_IOP_MEMORY_COPY_M : WF_IOP_MEMORY_COPY);
    else
        emit_op(c, other ? WF_IOP_MEMORY_FILL_M : WF_IOP_MEMORY_FILL);
    emit(c, a.slot);
    emit(c, b.slot);
    emit(c, v.slot);
    if (other) emit(c, dm);
    if (other && op == WF_OP_MEMORY_COPY) emit(c, sm);
    return true;
}

static bool op_ref(cc *c, wf_opcode op)
{
    sval a = { 0 };
    if (!wf_cc_pop_any(c, &a)) return false;
    if (!is_ref_or_bot(a.t)) return MISMATCH(c);
    if (op == WF_OP_REF_IS_NULL) {
        uint32_t dst = push_result(c, vt(WF_I32));
        emit_op(c, WF_IOP_REF_IS_NULL);
        emit(c, dst);
        emit(c, a.slot);
        return true;
    }
    /* ref.as_non_null: a check, the value stays where it is */
    a.t.nullable = 0;
    emit_op(c, WF_IOP_REF_AS_NON_NULL);
    emit(c, a.slot);
    if (a.t.kind == KIND_BOT) push(c, a.t);
    else push_at(c, a.t, a.slot);
    return true;
}

/* One instruction, in one pass: its immediates read and checked, its
 * operands popped and type-checked (validation), its result pushed (the
 * slot it goes to), its code emitted (fused with the code before when a
 * rule of fuse.c applies). */
static bool instr(cc *c, wf_opcode op)
{
    switch (op) {
    case WF_OP_BLOCK: case WF_OP_LOOP: case WF_OP_IF: case WF_OP_ELSE: case WF_OP_END:
    case WF_OP_BR: case WF_OP_BR_IF: case WF_OP_BR_TABLE: case WF_OP_RETURN:
    case WF_OP_BR_ON_NULL: case WF_OP_BR_ON_NON_NULL:
        return wf_cc_control(c, op);
    case WF_OP_UNREACHABLE:
        emit_op(c, WF_IOP_UNREACHABLE);
        wf_cc_set_unreachable(c);
        return true;
    case WF_OP_NOP:
        return true;
    case WF_OP_DROP: {
        sval a;
        return wf_cc_pop_any(c, &a);
    }
    case WF_OP_CALL: case WF_OP_RETURN_CALL: return op_call(c, op);
    case WF_OP_CALL_INDIRECT: case WF_OP_RETURN_CALL_INDIRECT: return op_call_indirect(c, op);
    case WF_OP_CALL_REF: case WF_OP_RETURN_CALL_REF: return op_call_ref(c, op);
    case WF_OP_SELECT: case WF_OP_SELECT_T: return op_select(c, op);
    case WF_OP_LOCAL_GET: return op_local_get(c, op);
    case WF_OP_LOCAL_SET: case WF_OP_LOCAL_TEE: return op_local_set(c, op);
    case WF_OP_GLOBAL_GET: case WF_OP_GLOBAL_SET: return op_global(c, op);
    case WF_OP_TABLE_GET: case WF_OP_TABLE_SET: return op_table_access(c, op);
    case WF_OP_REF_NULL: return op_ref_null(c, op);
    case WF_OP_REF_FUNC: return op_ref_func(c, op);
    case WF_OP_MEMORY_INIT: case WF_OP_DATA_DROP: return op_memory_init(c, op);
    case WF_OP_TABLE_INIT: case WF_OP_ELEM_DROP: return op_table_init(c, op);
    case WF_OP_TABLE_COPY: return op_table_copy(c, op);
    case WF_OP_TABLE_GROW: case WF_OP_TABLE_SIZE: case WF_OP_TABLE_FILL: return op_table_grow_size_fill(c, op);
    case WF_OP_I32_CONST: case WF_OP_I64_CONST: case WF_OP_F32_CONST: case WF_OP_F64_CONST:
        return op_const(c, op);
    case WF_OP_MEMORY_SIZE: case WF_OP_MEMORY_GROW: return op_memory_size_grow(c, op);
    case WF_OP_MEMORY_COPY: case WF_OP_MEMORY_FILL: return op_memory_copy_fill(c, op);
    case WF_OP_REF_IS_NULL: case WF_OP_REF_AS_NON_NULL: return op_ref(c, op);
    case WF_OP_THROW: return op_throw(c, op);
    case WF_OP_THROW_REF: return op_throw_ref(c, op);
    case WF_OP_TRY_TABLE: wf_exn_note_used(); return wf_cc_control(c, op);
    case WF_OP_BR_ON_CAST: case WF_OP_BR_ON_CAST_FAIL: return wf_cc_control(c, op);
    case WF_OP_REF_EQ: return wf_cc_gc(c, op);
    default:
        if (g_ops[op].prefix == 0xFD) return wf_cc_simd(c, op);
        if (g_ops[op].prefix == 0xFB) return wf_cc_gc(c, op);
        return op_simple(c, op);
    }
}

/* The next opcode (one byte, or 0xFC and a subopcode). */
static bool read_opcode(cc *c, wf_opcode *out)
{
    wf_reader *r = &c->r;
    uint8_t byte;
    if (wf_reader_eof(r)) return wf_cc_fail(c, WF_ERR_MALFORMED, "unexpected end");
    if (!wf_read_u8(r, &byte)) return false;
    int op;
    if (byte == 0xFC) {
        uint32_t sub;
        if (!wf_read_u32(r, &sub)) return false;
        op = sub < 32 ? g_fc_op[sub] : -1;
        if (op < 0) return wf_cc_fail(c, WF_ERR_MALFORMED, "illegal opcode");
    } else if (byte == 0xFD) {
        uint32_t sub;
        if (!wf_read_u32(r, &sub)) return false;
        op = sub < FD_OPS ? g_fd_op[sub] : -1;
        if (op < 0) return wf_cc_fail(c, WF_ERR_MALFORMED, "illegal opcode");
    } else if (byte == 0xFB) {
        uint32_t sub;
        if (!wf_read_u32(r, &sub)) return false;
        op = sub < 32 ? g_fb_op[sub] : -1;
        /* struct.* and array.* (0x00..0x13) need struct and array types */
        if (op < 0 && sub <= 0x13)
            return wf_cc_fail(c, WF_ERR_UNSUPPORTED, "GC struct and array instructions are not supported");
        if (op < 0) return wf_cc_fail(c, WF_ERR_MALFORMED, "illegal opcode");
    } else if (byte == 0xFE) {
        return wf_cc_fail(c, WF_ERR_UNSUPPORTED, "threads instructions are not supported");
    } else {
        op = g_byte_op[byte];
        if (op < 0) return wf_cc_fail(c, WF_ERR_MALFORMED, "illegal opcode %02x", byte);
    }
    *out = (wf_opcode)op;
    return true;
}

/* The instructions up to the function's `end`, which must end the body. */
static bool body(cc *c)
{
    while (c->cs.len) {
        c->op_off = wf_reader_offset(&c->r);
        wf_opcode op = WF_OP_NOP;
        if (!read_opcode(c, &op) || !instr(c, op)) return false;
    }
    if (!wf_reader_eof(&c->r)) {
        c->op_off = wf_reader_offset(&c->r);
        return wf_cc_fail(c, WF_ERR_MALFORMED, "END opcode expected");
    }
    return true;
}

/* Per-thread buffers reused by every body (validation at load runs
 * through thousands of bodies; a translation copies its code out at the
 * end): no allocation per body once they have grown. */
typedef struct scratch {
    WF_VEC(sval) st;
    WF_VEC(ctrl) cs;
    WF_VEC(wf_word) code;
    WF_VEC(size_t) relocs;
    WF_VEC(uint32_t) calls;
    WF_VEC(uint32_t) inits;
    WF_VEC(uint64_t) consts;
    uint8_t *locals;        /* the per-local arrays of read_locals, in one block */
    size_t locals_cap;
    bool claimed;           /* registered for freeing at the thread's exit */
} scratch;

static __thread scratch g_scratch;
static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg)
{
    scratch *s = arg;
    wf_vec_free(&s->st);
    wf_vec_free(&s->cs);
    wf_vec_free(&s->code);
    wf_vec_free(&s->relocs);
    wf_vec_free(&s->calls);
    wf_vec_free(&s->inits);
    wf_vec_free(&s->consts);
    free(s->locals);
    s->locals = NULL;
    s->locals_cap = 0;
}
static void scratch_key_init(void) { pthread_key_create(&g_scratch_key, scratch_free); }

/* The thread's buffers, freed when the thread exits. */
static void scratch_claim(void)
{
    if (g_scratch.claimed) return;
    pthread_once(&g_scratch_once, scratch_key_init);
    pthread_setspecific(g_scratch_key, &g_scratch);
    g_scratch.claimed = true;
}

/* A buffer grown past this (a huge body) is given back after use. */
#define SCRATCH_KEEP_BYTES (4u << 20)
#define TRIM(v) do { if (g_scratch.v.cap * sizeof *g_scratch.v.data > SCRATCH_KEEP_BYTES) \
                         wf_vec_free(&g_scratch.v); } while (0)

/* The per-local arrays, zeroed, for n locals (+1). */
static void alloc_locals(cc *c, size_t n)
{
    scratch *s = &g_scratch;
    /* n locals take at most 2n slots */
    size_t per = sizeof(wf_valtype) + 1 + 2 * sizeof(uint32_t) + 2 + 2 * sizeof(uint64_t) +
                 sizeof(uint32_t);
    size_t need = (n + 1) * per;
    if (need > s->locals_cap) {
        free(s->locals);
        s->locals_cap = need > 2 * s->locals_cap ? need : 2 * s->locals_cap;
        s->locals = wf_xmalloc(s->locals_cap);
    }
    memset(s->locals, 0, need);
    uint8_t *p = s->locals;
    c->lentry = (uint64_t *)p;          p += 2 * (n + 1) * sizeof(uint64_t);
    c->locals = (wf_valtype *)p;        p += (n + 1) * sizeof(wf_valtype);
    c->pending = (uint32_t *)p;         p += 2 * (n + 1) * sizeof(uint32_t);
    c->lslot = (uint32_t *)p;           p += (n + 1) * sizeof(uint32_t);
    c->linit = p;                       p += n + 1;
    c->lnonzero = p;
}

static bool read_locals(cc *c)
{
    const wf_functype *ft = c->ft;
    uint32_t ngroups;
    if (!wf_read_u32(&c->r, &ngroups)) return false;
    if (ngroups > wf_reader_left(&c->r)) return wf_cc_fail(c, WF_ERR_MALFORMED, "unexpected end");
    uint64_t total = ft->nparams;
    const uint8_t *save = c->r.p;
    /* first pass: count, so the arrays are allocated once */
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n;
        wf_valtype t;
        c->op_off = wf_reader_offset(&c->r);
        if (!wf_read_u32(&c->r, &n)) return false;
        total += n;
        if (total > WF_MAX_FUNC_LOCALS) return wf_cc_fail(c, WF_ERR_MALFORMED, "too many locals");
        if (!read_valtype(c, &t)) return false;
    }
    c->nlocals = (uint32_t)total;
    alloc_locals(c, total);
    for (uint32_t i = 0; i < ft->nparams; i++) {
        c->locals[i] = ft->params[i];
        c->linit[i] = 1;
    }
    c->r.p = save;
    uint32_t k = ft->nparams;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n;
        wf_valtype t;
        if (!wf_read_u32(&c->r, &n) || !read_valtype(c, &t)) return false;
        for (uint32_t j = 0; j < n; j++, k++) {
            c->locals[k] = t;
            c->linit[k] = !(t.kind == WF_REF && !t.nullable);
        }
    }
    uint32_t slot = 0;
    for (uint32_t x = 0; x < c->nlocals; x++) {
        c->lslot[x] = slot;
        slot += wf_valtype_slots(c->locals[x]);
    }
    c->nlslots = slot;
    return true;
}

/* The scratch vectors lent to c (empty, their capacity kept). */
#define LEND(v) (c->v.data = g_scratch.v.data, c->v.cap = g_scratch.v.cap, c->v.len = 0)
#define KEEP(v) (g_scratch.v.data = c->v.data, g_scratch.v.cap = c->v.cap)

/* Translations emit ENTER_COUNTED instead of ENTER (wf_code_count_calls). */
static bool g_count_calls;

/* One pass over a body: validation, and translation when `translate`
 * (else nothing is emitted: c->live stays false, which every emission
 * step checks, while every validation step runs as when translating).
 * Returns NULL or the body's first error. */
static wf_error *run_body(cc *c, wf_module *m, uint32_t func_index, const uint8_t *body_bytes,
                          size_t len, size_t offset, bool translate)
{
    init_tables();
    scratch_claim();
    memset(c, 0, sizeof *c);
    LEND(st); LEND(cs); LEND(code); LEND(relocs); LEND(calls); LEND(inits); LEND(consts);
    c->m = m;
    c->ft = m->funcs[func_index].type;
    c->lab = wf_interp_labels();
    c->fuse_off = wf_fuse_off();
    c->live = translate;
    c->op_off = offset;
    wf_reader_init(&c->r, body_bytes, len, offset);
    c->r.eof_msg = WF_MSG_EOF_SECTION;

    bool ok = read_locals(c);
    if (ok) {
        c->r.eof_msg = WF_MSG_EOF;
        /* Constant slots sit above the locals and the result slots (so
         * returning never overwrites one still to be read); their number is
         * bounded by the const opcode bytes in the body. */
        uint32_t nconst_ops = 0;
        if (translate)
            for (const uint8_t *p = c->r.p; p < body_bytes + len; p++)
                nconst_ops += *p >= 0x41 && *p <= 0x44;
        c->cbase = WF_MAX(c->nlslots, c->ft->result_slots);
        c->ccap = WF_MIN(nconst_ops, WF_MAX_CONST_SLOTS);
        c->max_slot = c->cbase + c->ccap;
        c->prod_end = SIZE_MAX;
        c->last_iop = -1;
        c->prev_iop = -1;
        c->label_at = SIZE_MAX;
        if (translate) wf_vec_reserve(&c->code, len * 2 + 16);
        emit_op(c, __atomic_load_n(&g_count_calls, __ATOMIC_RELAXED) ? WF_IOP_ENTER_COUNTED : WF_IOP_ENTER);
        emit(c, c->ft->param_slots);
        emit(c, 0); /* slots ENTER initializes, known at the end */
        emit(c, 0); /* frame size, known at the end */
        emit(c, 0); /* the init template */
        emit(c, 0); /* JIT_ENTER's native entry, once compiled (jit/) */
        ctrl f;
        memset(&f, 0, sizeof f);
        f.kind = K_FUNC;
        f.ft = c->ft;
        f.height = 0;
        f.slot_base = f.label_slot = c->cbase + c->ccap;
        f.live_entry = translate;
        wf_vec_push(&c->cs, f);
        ok = body(c);
    }
    wf_error *err = NULL;
    if (!ok) {
        err = wf_reader_take_error(&c->r);
        if (!err) err = wf_error_at_offset(WF_ERR_INTERNAL, (int64_t)c->op_off, "validation failed");
    }
    wf_reader_dispose(&c->r);
    KEEP(st); KEEP(cs); KEEP(code); KEEP(relocs); KEEP(calls); KEEP(inits); KEEP(consts);
    return err;
}

/* After a translation has copied its code out: huge buffers go back. */
static void scratch_trim(void)
{
    TRIM(st); TRIM(cs); TRIM(code); TRIM(relocs); TRIM(calls); TRIM(inits); TRIM(consts);
    if (g_scratch.locals_cap > SCRATCH_KEEP_BYTES) {
        free(g_scratch.locals);
        g_scratch.locals = NULL;
        g_scratch.locals_cap = 0;
    }
}

/* ---- lazy translation --------------------------------------------------- */

/* Translations are rare (once per function) and short: one lock for all. */
static pthread_mutex_t g_translate_lock = PTHREAD_MUTEX_INITIALIZER;

/* Translate code's body (validated at load) into its final words. Called
 * with g_translate_lock held, code not yet translated. */
static wf_error *translate(struct wf_code *code)
{
    wf_module *m = code->module;
    cc c;
    wf_error *err = run_body(&c, m, code->func_index, code->body, code->body_len,
                             code->body_off, true);
    if (err) return err;
    wf_word *words = wf_xmalloc(c.code.len * sizeof(wf_word));
    memcpy(words, c.code.data, c.code.len * sizeof(wf_word));
    for (size_t i = 0; i < c.relocs.len; i++) {
        size_t at = c.relocs.data[i];
        words[at] = (wf_word)(words + words[at]);
    }
    /* Direct calls: the callee's code as it is now, its stub until it is
     * translated (the stub's LAZY then patches the call site). */
    for (size_t k = 0; k < c.calls.len; k++) {
        wf_word *w = &words[c.calls.data[k]];
        struct wf_code *callee = m->funcs[w[0]].code;
        w[0] = (wf_word)__atomic_load_n(&callee->words, __ATOMIC_ACQUIRE);
    }
    code->frame_slots = c.max_slot + 1;
    words[3] = code->frame_slots;
    uint32_t np = c.ft->param_slots;
    uint32_t ninit = c.cbase - np + (uint32_t)c.consts.len;
    /* The call counter (ENTER_COUNTED) in the slot before the template. */
    code->init = (wf_slot *)wf_xcalloc(ninit + 2, sizeof(wf_slot)) + 1;
    for (size_t k = 0; k < c.consts.len; k++)
        code->init[c.cbase - np + k].u64 = c.consts.data[k];
    for (uint32_t x = np; x < c.nlslots; x++)
        code->init[x - np].u64 = c.lentry[x];
    words[2] = ninit;
    words[4] = (wf_word)code->init;
    scratch_trim();
    code->nlocals = c.nlocals;
    if (code->native_entry) {
        /* Compiled before its first call (wf_code_set_native). */
        words[5] = code->native_entry;
        words[0] = (wf_word)c.lab[WF_IOP_JIT_ENTER];
    }
    __atomic_store_n(&code->len, c.code.len, __ATOMIC_RELAXED);
    /* the words complete before anyone can see them */
    __atomic_store_n(&code->words, words, __ATOMIC_RELEASE);
    return NULL;
}

const wf_word *wf_code_translated(struct wf_code *code, wf_error **err)
{
    *err = NULL;
    wf_word *w = __atomic_load_n(&code->words, __ATOMIC_ACQUIRE);
    if (w != code->stub) return w;
    pthread_mutex_lock(&g_translate_lock);
    if (code->words == code->stub) *err = translate(code);
    w = code->words;
    pthread_mutex_unlock(&g_translate_lock);
    return *err ? NULL : w;
}

void wf_code_set_native(struct wf_code *code, wf_word entry)
{
    pthread_mutex_lock(&g_translate_lock);
    code->native_entry = entry;
    wf_word *w = code->words;
    __atomic_store_n(&w[5], entry, __ATOMIC_RELEASE);
    __atomic_store_n(&w[0], (wf_word)wf_interp_labels()[WF_IOP_JIT_ENTER], __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_translate_lock);
}

bool wf_code_is_translated(const struct wf_code *code)
{
    return __atomic_load_n(&code->words, __ATOMIC_ACQUIRE) != code->stub;
}

void wf_code_count_calls(bool on)
{
    __atomic_store_n(&g_count_calls, on, __ATOMIC_RELAXED);
}

uint64_t wf_code_calls(const struct wf_code *code)
{
    if (!wf_code_is_translated(code)) return 0;
    /* init is set before the words are published (translate) */
    return __atomic_load_n(&code->init[-1].u64, __ATOMIC_RELAXED);
}

wf_error *wf_code_compile(wf_module *m, uint32_t func_index,
                          const uint8_t *body_bytes, size_t len, size_t offset)
{
    cc c;
    wf_error *err = run_body(&c, m, func_index, body_bytes, len, offset, false);
    scratch_trim();
    if (err) return err;
    struct wf_code *code = wf_xcalloc(1, sizeof *code);
    code->module = m;
    code->body = body_bytes;
    code->body_len = len;
    code->body_off = offset;
    code->func_index = func_index;
    code->nparams = c.ft->param_slots;
    code->nresults = c.ft->result_slots;
    code->nlocals = c.nlocals;
    code->tail_calls = c.tail_calls;
    code->try_tables = c.try_tables;
    /* The stub: an ENTER that sets up nothing beyond the arguments, then
     * LAZY, which translates the body and continues in it. */
    code->stub[0] = (wf_word)c.lab[WF_IOP_ENTER];
    code->stub[1] = c.ft->param_slots;
    code->stub[2] = 0;
    code->stub[3] = WF_MAX(c.ft->param_slots, c.ft->result_slots);
    code->stub[4] = 0;
    code->stub[5] = 0;
    code->stub[WF_ENTER_WORDS] = (wf_word)c.lab[WF_IOP_LAZY];
    code->stub[WF_ENTER_WORDS + 1] = (wf_word)code;
    code->words = code->stub;
    code->len = WF_COUNT(code->stub);
    m->funcs[func_index].code = code;
    return NULL;
}

void wf_code_free(struct wf_code *code)
{
    if (!code) return;
    if (code->words != code->stub) free(code->words);
    if (code->init) free(code->init - 1);
    free(code);
}
