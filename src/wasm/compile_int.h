/*
 * compile_int.h - the state of one function body's translation, shared by
 * the files of the compiler: compile.c (the single pass: decoding,
 * validation, slot allocation and emission), compile_ctrl.c (control frames
 * and branches) and fuse.c (the fusion rules). Not for other users.
 *
 * The emission primitives are here, inline, because every instruction uses
 * them; they also keep the facts the fusion rules look at: the last
 * instruction emitted (for merging the next one into it) and the producer
 * of the value on top of the stack (for taking its operands over).
 */
#ifndef WF_COMPILE_INT_H
#define WF_COMPILE_INT_H

#include "wasm/code.h"
#include "wasm/interp.h"
#include "wasm/leb.h"
#include "wasm/opcodes.h"
#include "wasm/types.h"
#include "base/vec.h"

#define KIND_BOT 0xFF           /* the unknown type of the polymorphic stack */
#define IMM_SLOT (UINT32_MAX - 1) /* a stack entry held as the next operation's immediate */

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };

typedef struct sval {
    wf_valtype t;
    uint32_t slot;      /* where the value is now */
    uint32_t home;      /* the slot of its stack position */
} sval;

typedef struct ctrl {
    uint8_t kind;
    bool unreachable;
    bool live_entry;    /* code was reachable where the frame began */
    bool has_one;       /* block type is a single result `one` */
    wf_valtype one;
    const wf_functype *ft;  /* block type given by a type index, or NULL */
    uint32_t height;    /* operand stack height at entry (params included) */
    uint32_t slot_base; /* home slot of stack position `height` */
    uint32_t label_slot;/* where branches (and the end) put the values */
    uint32_t init_height;
    size_t loop_pc;     /* K_LOOP: code index of the loop head */
    size_t patches;     /* forward branch sites (linked through the code), 0 = none */
    size_t else_patch;  /* K_IF: the site of the branch to the else arm */
    size_t try_tab;     /* a try_table's handler table (code index), 0 for other frames */
} ctrl;

typedef struct cc {
    wf_module *m;
    wf_reader r;
    const wf_functype *ft;
    uint32_t nlocals;
    wf_valtype *locals;
    uint8_t *linit;         /* per local: set (non-nullable locals start unset) */
    /* Locals live in slots [0, nlslots): local x at lslot[x], a v128 in two
     * (so nlslots == nlocals and lslot[x] == x without v128). The arrays
     * below (pending, lnonzero, lentry) are indexed by slot. */
    uint32_t nlslots;
    uint32_t *lslot;
    uint32_t *pending;      /* per local slot: deferred stack entries reading it */
    WF_VEC(uint32_t) inits; /* locals set inside the open blocks */
    WF_VEC(sval) st;
    WF_VEC(ctrl) cs;
    WF_VEC(wf_word) code;
    WF_VEC(size_t) relocs;  /* code words holding code indices */
    WF_VEC(uint32_t) calls; /* code words of CALLs holding a function index */
    bool live;
    bool tail_calls;        /* a return_call* seen (wf_code.tail_calls) */
    bool try_tables;        /* a try_table seen (wf_code.try_tables) */
    uint32_t max_slot;
    size_t op_off;          /* binary offset of the current instruction */
    const void *const *lab;
    /* Constant slots [cbase, cbase + ccap): ENTER fills them, so a constant
     * is an operand like a local (no instruction); deduplicated. */
    uint32_t cbase, ccap;
    WF_VEC(uint64_t) consts;
    /* The last emitted instruction when it wrote one value to its home slot
     * prod_slot (its dst operand at code index prod_op + 1) and nothing was
     * emitted nor any label placed since (code.len == prod_end): local.set,
     * return and branches may retarget it, br_if/if may fuse a compare. */
    size_t prod_op, prod_end;
    uint32_t prod_slot;
    wf_iop prod_iop;
    /* A constant pushed as the immediate of the binary operation that
     * follows it: its stack entry's slot is IMM_SLOT, its bits imm_bits. */
    uint64_t imm_bits;
    /* The last instruction emitted (its opcode word at last_op), for
     * merging the next one into it (MOVE2, ADD2_K); never across a label:
     * label_at is the code index where a branch target was last placed. */
    size_t last_op, label_at;
    int last_iop;           /* wf_iop, or -1 when nothing may merge */
    size_t prev_op;         /* the one before it (-1: unknown), restored */
    int prev_iop;           /* when the last one is taken back */
    /* Declared locals possibly nonzero (written with anything but a zero
     * constant). Until the first loop, code runs once and in order, so a
     * local not in this set still holds its initial zero. */
    uint8_t *lnonzero;
    uint64_t *lentry;       /* declared locals' initial values (ENTER's template) */
    bool seen_loop;
    uint32_t fuse_off;      /* fusion rules switched off (fuse.h) */
} cc;

/* ---- errors (compile.c) --------------------------------------------------- */

/* Record the error (kind, message, the current instruction's offset) and
 * return false; only the first error of a body counts. */
bool wf_cc_fail(cc *c, wf_error_kind kind, const char *fmt, ...) WF_PRINTF(3, 4);
#define MISMATCH(c) wf_cc_fail((c), WF_ERR_INVALID, "type mismatch")

/* ---- the operand stack (compile.c) ---------------------------------------- */

/* Pop any value (the unknown type below an unreachable frame's stack). */
bool wf_cc_pop_any(cc *c, sval *out);
/* Pop a value of type t (or a subtype); out may be NULL. */
bool wf_cc_pop_expect(cc *c, wf_valtype t, sval *out);
bool wf_cc_pop_num(cc *c, wf_valkind k, sval *out);
/* Move the innermost frame's deferred entries (local.get reads) home. */
void wf_cc_materialize_frame(cc *c);
/* The rest of the frame is unreachable: its stack goes, no code follows. */
void wf_cc_set_unreachable(cc *c);
/* MOVE dst src (nothing when they are equal). */
void wf_cc_emit_move(cc *c, uint32_t dst, uint32_t src);
/* The moves of a value of type t from src to dst (a v128: both slots, in
 * the order that survives overlapping ranges). */
void wf_cc_move_typed(cc *c, wf_valtype t, uint32_t dst, uint32_t src);
/* Slots the values vals[0..i) take, one after the other (the offset of
 * vals[i] in a label's or the results' slots). */
uint32_t wf_cc_vals_slots(const sval *vals, uint32_t i);
/* Put the popped value v into dst: retarget its producer, else a move. */
void wf_cc_move_to(cc *c, uint32_t dst, const sval *v);
/* A load's or store's memarg: alignment (at most `natural`, log2), memory
 * index (*memidx), offset (below 2^32 for a 32-bit memory). */
bool wf_cc_read_memarg(cc *c, uint32_t natural, uint64_t *offset, uint32_t *memidx);
/* Pop an address, index or length of a memory or table: an i32, or for a
 * 64-bit one (is64) an i64, saturated to 32 bits into a temporary by
 * SAT_U32 (memories and tables stay below 2^32 - 1 bytes or elements, so
 * a saturated value is out of bounds exactly when the i64 is). */
bool wf_cc_pop_at(cc *c, bool is64, sval *out);
/* A block type: f->ft, or f->has_one and f->one, or neither. */
bool wf_cc_read_blocktype(cc *c, ctrl *f);

/* ---- SIMD (compile_simd.c) --------------------------------------------------- */

/* A 0xFD instruction: immediates, operand types, emission. */
bool wf_cc_simd(cc *c, wf_opcode op);
/* A value of type v128 (for the SIMD compiler). */
static inline wf_valtype wf_cc_v128(void) { wf_valtype t = { WF_V128, 0, 0, 0 }; return t; }

/* ---- GC (compile_gc.c) ------------------------------------------------------- */

/* ref.test, ref.cast, ref.i31, i31.get_s/u, ref.eq and the any/extern
 * conversions: immediates, operand types, emission. */
bool wf_cc_gc(cc *c, wf_opcode op);
/* A cast's target: its heap type from the code, nullable as given. */
bool wf_cc_read_cast(cc *c, bool nullable, wf_valtype *t);
/* A heap type immediate (compile.c). */
bool wf_cc_read_heaptype(cc *c, wf_valtype *t);
/* A type index immediate naming a type of the given kind (WF_COMP_*). */
bool wf_cc_type_of_kind(cc *c, uint8_t kind, uint32_t *index, const wf_functype **out);
/* Data segment x exists (and the data count section was there). */
bool wf_cc_data_index(cc *c, uint32_t x);
/* Pop n values of types[i] (all types[0] when repeat), moved to
 * consecutive slots from *base on (as a call's arguments). */
bool wf_cc_pop_run(cc *c, const wf_valtype *types, uint32_t n, bool repeat, uint32_t *base);

/* ---- control (compile_ctrl.c) ---------------------------------------------- */

/* block, loop, if, else, end, br, br_if, br_table, return, br_on_null,
 * br_on_non_null and try_table. */
bool wf_cc_control(cc *c, wf_opcode op);
/* The address word of the innermost try_table's handler table (0 outside
 * any): the operand of THROW and THROW_REF. */
void wf_cc_emit_handlers(cc *c);
/* After a call: EXN_CHECK when inside a try_table, so an exception from
 * the callee is caught here (interp.c). */
void wf_cc_exn_check(cc *c);

/* ---- emission -------------------------------------------------------------- */

static inline void emit(cc *c, wf_word w)
{
    if (c->live) wf_vec_push(&c->code, w);
}
static inline void emit_op(cc *c, wf_iop op)
{
    if (!c->live) return;
    c->prev_op = c->last_op;
    c->prev_iop = c->last_iop;
    c->last_op = c->code.len;
    c->last_iop = (int)op;
    emit(c, (wf_word)c->lab[op]);
}
/* The last instruction (at last_op) becomes `op`, its operands kept: the
 * next instruction merged into it appends its own. */
static inline void retype_last(cc *c, wf_iop op)
{
    c->code.data[c->last_op] = (wf_word)c->lab[op];
    c->last_iop = (int)op;
}
/* The code is cut back to `at`: the last instruction is the one before
 * when the cut removed exactly the last, else unknown. */
static inline void cut_code(cc *c, size_t at)
{
    if (at == c->last_op && c->last_iop >= 0) {
        c->last_op = c->prev_op;
        c->last_iop = c->prev_iop;
    } else {
        c->last_iop = -1;
    }
    c->prev_iop = -1;
    c->code.len = at;
}
/* A branch target is placed here: nothing merges across it. */
static inline void mark_label(cc *c)
{
    c->label_at = c->code.len;
}
/* The last instruction is `op`, `words` long, ends here, and no label
 * follows it: the next one may be merged into it. */
static inline bool can_merge(const cc *c, wf_iop op, size_t words)
{
    return c->live && c->last_iop == (int)op && c->last_op + words == c->code.len &&
           c->label_at != c->code.len;
}
/* A word that will hold the absolute address of code index `target`. */
static inline void emit_addr(cc *c, size_t target)
{
    if (!c->live) return;
    wf_vec_push(&c->relocs, c->code.len);
    wf_vec_push(&c->code, (wf_word)target);
}
static inline void use_slot(cc *c, uint32_t slot_end)
{
    if (slot_end > c->max_slot) c->max_slot = slot_end;
}

/* ---- producers ------------------------------------------------------------- */

/* Record the instruction just emitted at op_at (dst operand at op_at + 1). */
static inline void note_prod(cc *c, size_t op_at, wf_iop iop)
{
    if (!c->live) return;
    c->prod_op = op_at;
    c->prod_end = c->code.len;
    c->prod_slot = (uint32_t)c->code.data[op_at + 1];
    c->prod_iop = iop;
}
/* A label is placed here: code may arrive from elsewhere. */
static inline void no_prod(cc *c) { c->prod_end = SIZE_MAX; }

/* v (just popped) is the value the last instruction wrote to its home. */
static inline bool is_prod(const cc *c, const sval *v)
{
    return c->live && c->prod_end == c->code.len && v->slot == v->home
        && v->slot == c->prod_slot;
}
/* The producer of v (is_prod) is `op`. */
static inline bool is_prod_of(const cc *c, const sval *v, wf_iop op)
{
    return is_prod(c, v) && c->prod_iop == op;
}
/* Take back the producer (its operands read first): the code ends where it
 * began and no value is pending. */
static inline void cut_prod(cc *c)
{
    cut_code(c, c->prod_op);
    no_prod(c);
}

/* slot holds a constant of the constant area (its bits: consts[slot - cbase]). */
static inline bool is_const(const cc *c, uint32_t slot)
{
    return slot >= c->cbase && slot - c->cbase < c->consts.len;
}

/* ---- operand stack --------------------------------------------------------- */

static inline ctrl *top_ctrl(cc *c) { return &c->cs.data[c->cs.len - 1]; }

/* The home slot of the next stack position: the positions of the innermost
 * frame follow one another from its slot_base, each as wide as its value
 * (a v128 takes two slots). */
static inline uint32_t next_home(cc *c)
{
    ctrl *f = top_ctrl(c);
    if (c->st.len <= f->height) return f->slot_base;
    const sval *top = &c->st.data[c->st.len - 1];
    return top->home + wf_valtype_slots(top->t);
}

/* Push a value living in `slot` (its home when slot == UINT32_MAX). */
static inline void push_at(cc *c, wf_valtype t, uint32_t slot)
{
    uint32_t home = next_home(c);
    use_slot(c, home + wf_valtype_slots(t));
    if (slot == UINT32_MAX) slot = home;
    if (slot != home && slot < c->nlslots) c->pending[slot]++;
    sval v = { t, slot, home };
    wf_vec_push(&c->st, v);
}
static inline void push(cc *c, wf_valtype t) { push_at(c, t, UINT32_MAX); }
/* Push a result of type t computed by the instruction about to be emitted:
 * its slot (the dst operand). */
static inline uint32_t push_result(cc *c, wf_valtype t)
{
    push(c, t);
    return c->st.data[c->st.len - 1].home;
}

static inline wf_valtype vt(wf_valkind k) { wf_valtype t = { k, 0, 0, 0 }; return t; }
static inline bool is_ref_or_bot(wf_valtype t) { return t.kind == WF_REF || t.kind == KIND_BOT; }

#endif
