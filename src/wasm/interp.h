/*
 * interp.h - the interpreter's internal code (made by compile.c, run by
 * interp.c) and the per-thread execution state (exec.c).
 *
 * Code is a stream of words: each instruction is its handler's address
 * (direct threading: interp.c exports its label table through
 * wf_interp_labels) followed by its operands: frame slot indices,
 * immediates and absolute code addresses (branch targets, resolved when the
 * body is translated).
 *
 * A frame is a window of slots: params, then declared locals, then one slot
 * per operand stack position. A call places the arguments in the caller's
 * top slots and the callee's frame starts there (no copy); results come back
 * in the callee's first slots, i.e. where the arguments were.
 */
#ifndef WF_INTERP_H
#define WF_INTERP_H

#include <setjmp.h>
#include "wasm/code.h"
#include "wasm/interp_ops.h"

typedef uintptr_t wf_word;

/* Words of ENTER and JIT_ENTER (the opcode and five operands): the
 * compiled tier turns one into the other in place (jit/jit.c). */
#define WF_ENTER_WORDS 6

struct wf_code {
    /* The code stream: the stub below until the body is translated (on
     * its first call, wf_code_translated), then its own words (owned).
     * Read and published atomically: calls on other threads follow it. */
    wf_word *words;
    size_t len;
    uint32_t nparams, nresults;
    uint32_t nlocals;       /* params + declared locals */
    uint32_t frame_slots;   /* locals + the deepest operand stack (>= nresults); once translated */
    uint32_t func_index;
    wf_slot *init;          /* ENTER's template: zeros for the declared locals, then the constants; owned */
    /* What translation needs: the validated body inside module->bytes. */
    wf_module *module;
    const uint8_t *body;
    size_t body_len, body_off;
    /* ENTER (nothing but the arguments) then LAZY (this code): a call
     * before translation lands here. */
    wf_word stub[WF_ENTER_WORDS + 2];
    /* The compiled tier's entry (wf_jit_entry_fn), 0 while there is none:
     * set once by wf_code_set_native, under the translation lock. */
    wf_word native_entry;
    /* The body has a return_call, return_call_indirect or return_call_ref
     * (set at validation): a native call of its compiled code may return
     * with a tail call pending (wf_thread.tail_callee). */
    bool tail_calls;
    /* The body has a try_table (set at validation): its compiled code sets
     * catch points (jit/translate.c). */
    bool try_tables;
#ifdef WF_INTERP_PROF
    unsigned long long prof_instr, prof_enter;   /* interp_prof.h */
#endif
};

#ifdef WF_INTERP_PROF
/* Print the profile gathered since the last report (interp_prof.h) under
 * title, and clear it. Only in a build with -DWF_INTERP_PROF. */
void wf_interp_prof_report(const char *title);
#endif

/* The translated words of code, translating its body first when nobody
 * has yet (thread-safe: one translation, every caller gets its words).
 * NULL and *err only if translation fails, which validation rules out. */
const wf_word *wf_code_translated(struct wf_code *code, wf_error **err);
bool wf_code_is_translated(const struct wf_code *code);
/* From now on, functions translated count their interpreted calls (the
 * auto tier compiles the most called first: jit/jit.c): their ENTER is
 * ENTER_COUNTED, one increment of a counter beside ENTER's template. */
void wf_code_count_calls(bool on);
/* The calls of code counted so far (0 when it does not count): racy
 * increments from several threads may lose a few, which a measure of heat
 * allows. */
uint64_t wf_code_calls(const struct wf_code *code);
/* Run code natively from now on: its current words (the translated ones,
 * else the stub) get JIT_ENTER with entry, and a translation after this
 * one too. Safe while other threads run or call code: the entry is
 * written before the opcode, each one word, atomically; a call already
 * inside the interpreted body finishes there. */
void wf_code_set_native(struct wf_code *code, wf_word entry);

/* LOAD_MEM and STORE_MEM at pc (interp_mem.c): a load or store in a
 * memory other than 0, bounds checked explicitly (the fault handler knows
 * only memory 0's reservation); false when out of bounds. */
bool wf_interp_load_mem(wf_slot *fp, const wf_word *pc, const wf_instance *inst);
bool wf_interp_store_mem(const wf_slot *fp, const wf_word *pc, const wf_instance *inst);

/* The struct and array instructions of interp_gc.c (the operands are
 * their iops' below): NULL, or the message of their trap. */
const char *wf_interp_struct_new(wf_slot *fp, const wf_word *pc, wf_instance *inst);
const char *wf_interp_array_new(wf_slot *fp, const wf_word *pc, wf_instance *inst);
const char *wf_interp_array_new_fixed(wf_slot *fp, const wf_word *pc, wf_instance *inst);
const char *wf_interp_array_new_seg(wf_slot *fp, const wf_word *pc, wf_instance *inst);
const char *wf_interp_array_init_seg(wf_slot *fp, const wf_word *pc, wf_instance *inst);
const char *wf_interp_array_fill(wf_slot *fp, const wf_word *pc);
const char *wf_interp_array_copy(wf_slot *fp, const wf_word *pc);

/* Internal instructions besides the simple numeric ones of interp_ops.h.
 * Operands in brackets: s = slot, i = immediate, L = code address. */
#define WF_IOPS_CONTROL(X) \
    X(ENTER)          /* i nparams, i ninit, i frame_slots, i init template, - */ \
    X(JIT_ENTER)      /* ENTER once compiled (jit/): ENTER's operands, i entry */ \
    X(ENTER_COUNTED)  /* ENTER counting its calls (wf_code_count_calls) */ \
    X(LAZY)           /* i struct wf_code: translate, patch the CALL, continue there */ \
    X(LOOP_HEAD)      /* interrupt check at loop headers */ \
    X(UNREACHABLE) \
    X(NOP) \
    X(MOVE)           /* s dst, s src */ \
    X(CONST)          /* s dst, i bits */ \
    X(BR)             /* L */ \
    X(BR_IF)          /* s cond, L */ \
    X(BR_IF_NOT)      /* s cond, L */ \
    X(BR_TABLE)       /* s index, i n, L[n+1] */ \
    X(RETURN) \
    X(CALL)           /* L callee's code, i argbase: a defined function of this instance */ \
    X(CALL_ANY)       /* i func, i argbase: an import (host or other instance) */ \
    X(CALL_INDIRECT)  /* i table, i typeid, i argbase, s index */ \
    X(CALL_REF)       /* s ref, i argbase */ \
    X(RETURN_CALL)    /* i func, i argbase, i nparams */ \
    X(RETURN_CALL_INDIRECT) /* i table, i typeid, i argbase, s index */ \
    X(RETURN_CALL_REF) /* s ref, i argbase */ \
    X(SELECT)         /* s dst, s a, s b, s cond */ \
    X(GLOBAL_GET)     /* s dst, i global */ \
    X(GLOBAL_SET)     /* i global, s src */ \
    X(TABLE_GET)      /* s dst, s index, i table */ \
    X(TABLE_SET)      /* s index, s value, i table */ \
    X(MEMORY_SIZE)    /* s dst */ \
    X(MEMORY_GROW)    /* s dst, s delta */ \
    X(MEMORY_INIT)    /* i seg, s d, s s, s n */ \
    X(DATA_DROP)      /* i seg */ \
    X(MEMORY_COPY)    /* s d, s s, s n */ \
    X(MEMORY_FILL)    /* s d, s val, s n */ \
    X(MEMORY_SIZE_M)  /* s dst, i memory: the _M forms name a memory other than 0 */ \
    X(MEMORY_GROW_M)  /* s dst, s delta, i memory */ \
    X(MEMORY_INIT_M)  /* i seg, s d, s s, s n, i memory */ \
    X(MEMORY_COPY_M)  /* s d, s s, s n, i dst memory, i src memory */ \
    X(MEMORY_FILL_M)  /* s d, s val, s n, i memory */ \
    X(LOAD_MEM)       /* s dst, s addr, i offset, i memory, i the load's wf_iop */ \
    X(SAT_U32)        /* s dst, s src: an i64 address, index or length, saturated to u32 (memory64) */ \
    X(STORE_MEM)      /* s addr, s value, i offset, i memory, i the store's wf_iop */ \
    X(TABLE_INIT)     /* i seg, i table, s d, s s, s n */ \
    X(ELEM_DROP)      /* i seg */ \
    X(TABLE_COPY)     /* i dst table, i src table, s d, s s, s n */ \
    X(TABLE_GROW)     /* s dst, s init, s n, i table */ \
    X(TABLE_SIZE)     /* s dst, i table */ \
    X(TABLE_FILL)     /* i table, s d, s val, s n */ \
    X(REF_IS_NULL)    /* s dst, s src */ \
    X(REF_FUNC)       /* s dst, i func */ \
    X(REF_AS_NON_NULL) /* s src */ \
    X(BR_ON_NULL)     /* s ref, L */ \
    X(BR_ON_NON_NULL) /* s ref, L */ \
    X(REF_EQ)         /* s dst, s a, s b */ \
    X(REF_I31)        /* s dst, s src (gc.h: references) */ \
    X(I31_GET_S)      /* s dst, s src */ \
    X(I31_GET_U)      /* s dst, s src */ \
    X(REF_CONVERT)    /* s dst, s src: any.convert_extern, extern.convert_any */ \
    X(REF_TEST)       /* s dst, s src, i cast (wf_gc_cast_pack) */ \
    X(REF_CAST)       /* s src, i cast */ \
    X(BR_ON_CAST)     /* s ref, i cast, L: taken when the cast succeeds */ \
    X(BR_ON_CAST_FAIL) /* s ref, i cast, L: taken when it fails */ \
    X(STRUCT_NEW)     /* s dst, i type, i argbase (the fields), i default (1: zeros instead) */ \
    X(STRUCT_GET)     /* s dst, s ref, i offset, i bytes, i sign */ \
    X(STRUCT_SET)     /* s ref, s val, i offset, i bytes */ \
    X(ARRAY_NEW)      /* s dst, s init, s len, i type, i default */ \
    X(ARRAY_NEW_FIXED) /* s dst, i type, i n, i argbase */ \
    X(ARRAY_NEW_SEG)  /* s dst, s off, s len, i type, i seg, i is_data */ \
    X(ARRAY_GET)      /* s dst, s ref, s index, i bytes, i sign */ \
    X(ARRAY_SET)      /* s ref, s index, s val, i bytes */ \
    X(ARRAY_LEN)      /* s dst, s ref */ \
    X(ARRAY_FILL)     /* s ref, s off, s val, s n, i bytes */ \
    X(ARRAY_COPY)     /* s dref, s d, s sref, s s, s n, i bytes */ \
    X(ARRAY_INIT_SEG) /* s ref, s d, s s, s n, i seg, i is_data */ \
    X(THROW)          /* i tag, i argbase, L handler table or 0: throw (compile_ctrl.c has the table's layout) */ \
    X(THROW_REF)      /* s exnref, L handler table or 0 */ \
    X(EXN_CHECK)      /* L handler table: after a call inside a try_table, where an exception from the callee is caught */

/* The v128 (SIMD) instructions: the values take two slots each. */
#define WF_IOPS_V128(X) \
    X(GLOBAL_GET2)    /* s dst, i global: a v128 global (two slots) */ \
    X(GLOBAL_SET2)    /* i global, s src */ \
    X(V128_OP)        /* i fn, s dst, s a, s b, s c, i imm0, i imm1: a SIMD register op (simd.h) */ \
    X(V128_MEM)       /* i fn, s dst, s addr, s vec, i offset, i width, i lane: a SIMD load or store */ \
    X(V128_MEM_M)     /* V128_MEM's operands, i memory (other than 0) */

/* Fused compare-and-branch: X(NAME, field, condition over a (and b)).
 * Binary ones take s a, s b, L; unary ones s a, L. */
#define WF_BRCMP2(X) WF_BRCMP_I32(X) WF_BRCMP_I64(X)
#define WF_BRCMP_I32(X) \
    X(BR_I32_EQ, u32, a == b) X(BR_I32_NE, u32, a != b) \
    X(BR_I32_LT_S, i32, a < b) X(BR_I32_LT_U, u32, a < b) \
    X(BR_I32_GT_S, i32, a > b) X(BR_I32_GT_U, u32, a > b) \
    X(BR_I32_LE_S, i32, a <= b) X(BR_I32_LE_U, u32, a <= b) \
    X(BR_I32_GE_S, i32, a >= b) X(BR_I32_GE_U, u32, a >= b)
#define WF_BRCMP_I64(X) \
    X(BR_I64_EQ, u64, a == b) X(BR_I64_NE, u64, a != b) \
    X(BR_I64_LT_S, i64, a < b) X(BR_I64_LT_U, u64, a < b) \
    X(BR_I64_GT_S, i64, a > b) X(BR_I64_GT_U, u64, a > b) \
    X(BR_I64_LE_S, i64, a <= b) X(BR_I64_LE_U, u64, a <= b) \
    X(BR_I64_GE_S, i64, a >= b) X(BR_I64_GE_U, u64, a >= b)
#define WF_BRCMP1(X) \
    X(BR_I32_EQZ, u32, a == 0) X(BR_I64_EQZ, u64, a == 0) X(BR_I64_NEZ, u64, a != 0)

/* Super-instructions: sequences the compiler fuses into one dispatch. */
#define WF_IOPS_SUPER(X) \
    X(MOVE2)          /* s dst1, s src1, s dst2, s src2: two moves in order */ \
    X(ADD2_K)         /* s d1, s a1, i k1, s d2, s a2, i k2: two i32.add with immediates, in order */ \
    X(RETURN_S)       /* s src: move it to slot 0, then RETURN */ \
    X(BR_I32_TEST_K)  /* s a, i k, L: taken when a & k is nonzero */ \
    X(BR_I32_TESTZ_K) /* s a, i k, L: taken when a & k is zero */ \
    X(I32_RANGE_K)    /* s dst, s a, i k1, i k2: dst = (a + k1) <u k2 (u64, as compares) */ \
    X(I32_XOR_ROTL_K) /* s dst, s a, s b, i k: dst = rotl(a ^ b, k) */ \
    X(I64_XOR_ROTL_K) /* s dst, s a, s b, i k: dst = rotl(a ^ b, k) */ \
    X(F64_ADD_M)      /* s dst, s a, s addr, i offset, i k: dst = a + f64 at (addr + k) + offset */ \
    X(F64_SUB_M)      /* the same with a - loaded */ \
    X(F64_MUL_M)      /* the same with a * loaded */ \
    X(I32_LOAD8_U_BR_NZ) /* s dst, s addr, i offset, L: the load, then branch when it is nonzero */ \
    X(I32_LOAD8_U_BR_Z)  /* ... when it is zero */ \
    X(I32_LOAD_BR_NZ)    /* the same for i32.load */ \
    X(I32_LOAD_BR_Z) \
    X(ADDK_CALL)      /* s d, s a, i k, L callee, i argbase: d = a + k (an argument), then CALL */ \
    X(MOVE_CALL)      /* s d, s s, L callee, i argbase: a move, then CALL */ \
    X(ADDK_BR_NZ)     /* s d, s a, i k, L: d = a + k, branch when d is nonzero */ \
    X(ADDK_BR_Z)      /* ... when d is zero */ \
    X(ADD_BR_NZ)      /* s d, s a, s b, L: d = a + b, branch when d is nonzero */ \
    X(ADD_BR_Z)       /* ... when d is zero */ \
    X(I32_MADD)       /* s d, s c, s x, s y: d = c + x * y (the product used only here) */ \
    X(I64_MADD) \
    X(I32_ADD_XOR_ROTL_K) /* s d1, s a, s b, s d2, s x, s y, i k: d1 = a + b, then d2 = rotl(x ^ y, k) */ \
    X(I64_ADD_XOR_ROTL_K) \
    X(I32_XOR_ROTLK)  /* s d, s x, s y, i k: d = x ^ rotl(y, k) (a hash's sigma) */ \
    X(I32_XOR_SHRUK)  /* s d, s x, s y, i k: d = x ^ (y >> k) */ \
    X(F64_ADD_M_ST)   /* s a, s addr, i offset, i k: the f64 at (addr + k) + offset += a */ \
    X(I32_MULADD_KK)  /* s d, s a, i k1, i k2: d = a * k1 + k2 (an LCG step) */ \
    X(I64_MULADD_KK) \
    X(I32_ADD3)       /* s d, s a, s b, s c: d = a + b + c (the first sum used only here) */ \
    X(I64_ADD_SHRUK)  /* s d, s x, s y, i k: d = x + (y >> k) (a carry added) */ \
    X(I32_ADD_RET)    /* s d, s a, s b: d = a + b (d is slot 0), then RETURN */ \
    X(I32_ADDK_RET)   /* s d, s a, i k: d = a + k, then RETURN */ \
    X(MOVE_BR)        /* s dst, s src, L: a move, then BR */

/* The instruction list: every internal instruction once, in enum order.
 * Expanding WF_IOP_LIST calls WF_IOP_ENTRY(NAME) with each instruction's
 * full name (define WF_IOP_ENTRY first, undefine it after). The enum below,
 * interp.c's label table and the names (wf_iop_name) all come from this
 * one list, so they cannot disagree; interp.c then fails to compile when a
 * listed instruction has no handler or a handler is not listed. A family row
 * (a line of WF_BINOPS, WF_LOADOPS, ...) yields each of its variants:
 *   NAME_K      second operand an immediate (a constant folded into the
 *               code: one load less, no dependency on a frame slot)
 *   NAME_A      loads and stores whose address is i32.add(slot, immediate):
 *               the add that computed it folded in (its wrap-around kept)
 *   NAME_X      loads whose address is i32.add of two slots:
 *               s dst, s a, i offset, s b
 *   ADDK_NAME[_K]  an i32.add with an immediate, then a compare-and-branch
 *               on its result (a loop counter): s d, s a, i k, s b | i b, L;
 *               d = a + k, then the branch compares d with b
 *   ADD_NAME[_K]   the same after an i32.add of two slots:
 *               s d, s a, s a2, s b | i b, L
 * Code that needs one form from another uses the mapping functions below,
 * never the distance between two enum values. */
#define WF_IOP_PLAIN_(n, ...) WF_IOP_ENTRY(n)
#define WF_IOP_K_(n, ...) WF_IOP_ENTRY(n##_K)
#define WF_IOP_A_(n, ...) WF_IOP_ENTRY(n##_A)
#define WF_IOP_X_(n, ...) WF_IOP_ENTRY(n##_X)
#define WF_IOP_ADDK_(n, ...) WF_IOP_ENTRY(ADDK_##n)
#define WF_IOP_ADDK_K_(n, ...) WF_IOP_ENTRY(ADDK_##n##_K)
#define WF_IOP_ADD_(n, ...) WF_IOP_ENTRY(ADD_##n)
#define WF_IOP_ADD_K_(n, ...) WF_IOP_ENTRY(ADD_##n##_K)
#define WF_IOP_LIST \
    WF_IOPS_CONTROL(WF_IOP_PLAIN_) WF_IOPS_V128(WF_IOP_PLAIN_) \
    WF_BRCMP2(WF_IOP_PLAIN_) WF_BRCMP1(WF_IOP_PLAIN_) \
    WF_UNOPS(WF_IOP_PLAIN_) WF_BINOPS(WF_IOP_PLAIN_) WF_TRAPOPS(WF_IOP_PLAIN_) \
    WF_LOADOPS(WF_IOP_PLAIN_) WF_STOREOPS(WF_IOP_PLAIN_) \
    WF_BRCMP2(WF_IOP_K_) WF_BINOPS(WF_IOP_K_) \
    WF_LOADOPS(WF_IOP_A_) WF_STOREOPS(WF_IOP_A_) \
    WF_IOPS_SUPER(WF_IOP_PLAIN_) \
    WF_BRCMP_I32(WF_IOP_ADDK_) WF_BRCMP_I32(WF_IOP_ADDK_K_) \
    WF_BRCMP_I32(WF_IOP_ADD_) WF_BRCMP_I32(WF_IOP_ADD_K_) \
    WF_LOADOPS(WF_IOP_X_)

typedef enum wf_iop {
#define WF_IOP_ENTRY(n) WF_IOP_##n,
    WF_IOP_LIST
#undef WF_IOP_ENTRY
    WF_IOP_COUNT_
} wf_iop;

/* ---- instruction forms: one form of an instruction from another, by name
 * (the families above); WF_IOP_COUNT_ where there is no such form. */

static inline bool wf_iop_is_binop(wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n:
    WF_BINOPS(WF_F_)
#undef WF_F_
        return true;
    default:
        return false;
    }
}
/* A comparison (0 or 1, written as a u64) in its slot or immediate form. */
static inline bool wf_iop_is_compare(wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n: case WF_IOP_##n##_K:
    WF_CMPOPS(WF_F_)
#undef WF_F_
        return true;
    default:
        return false;
    }
}
/* The immediate form of a binary operation. */
static inline wf_iop wf_iop_k_form(wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n: return WF_IOP_##n##_K;
    WF_BINOPS(WF_F_)
#undef WF_F_
    default: return WF_IOP_COUNT_;
    }
}
/* The form of a load or store taking an i32.add(slot, immediate) address. */
static inline wf_iop wf_iop_a_form(wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n: return WF_IOP_##n##_A;
    WF_LOADOPS(WF_F_) WF_STOREOPS(WF_F_)
#undef WF_F_
    default: return WF_IOP_COUNT_;
    }
}
/* The form of a load taking an i32.add(slot, slot) address. */
static inline wf_iop wf_iop_x_form(wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n: return WF_IOP_##n##_X;
    WF_LOADOPS(WF_F_)
#undef WF_F_
    default: return WF_IOP_COUNT_;
    }
}
/* An i32 compare-and-branch of two slots (or, k_too, slot and immediate). */
static inline bool wf_iop_is_br_i32(wf_iop op, bool k_too)
{
    switch (op) {
#define WF_F_(n, ...) case WF_IOP_##n: return true; case WF_IOP_##n##_K: return k_too;
    WF_BRCMP_I32(WF_F_)
#undef WF_F_
    default: return false;
    }
}
/* An i32 compare-and-branch (slot or immediate form) merged after the
 * i32.add that computed its first operand: with an immediate (addk) or of
 * two slots. */
static inline wf_iop wf_iop_add_br_form(bool addk, wf_iop op)
{
    switch (op) {
#define WF_F_(n, ...)                                                         \
    case WF_IOP_##n: return addk ? WF_IOP_ADDK_##n : WF_IOP_ADD_##n;          \
    case WF_IOP_##n##_K: return addk ? WF_IOP_ADDK_##n##_K : WF_IOP_ADD_##n##_K;
    WF_BRCMP_I32(WF_F_)
#undef WF_F_
    default: return WF_IOP_COUNT_;
    }
}
/* The i32 compare-and-branch on swapped operands (a < b is b > a). */
static inline wf_iop wf_iop_br_swapped(wf_iop op)
{
    switch (op) {
#define WF_P_(a, b) case WF_IOP_BR_I32_##a: return WF_IOP_BR_I32_##b; \
                    case WF_IOP_BR_I32_##b: return WF_IOP_BR_I32_##a;
    WF_P_(LT_S, GT_S) WF_P_(LT_U, GT_U) WF_P_(LE_S, GE_S) WF_P_(LE_U, GE_U)
#undef WF_P_
    default: return op;     /* EQ, NE */
    }
}

/* The handler addresses, indexed by wf_iop. */
const void *const *wf_interp_labels(void);
/* An instruction's name as listed ("I32_ADD_K"), for traces and profiles. */
const char *wf_iop_name(wf_iop op);

/* One activation record of the frame stack. */
typedef struct wf_frame {
    const wf_word *pc;      /* where to continue in the caller */
    wf_slot *fp;            /* the caller's frame */
    wf_instance *inst;      /* the caller's instance */
} wf_frame;

/* Per-thread execution state (exec.c). */
typedef struct wf_thread {
    wf_slot *stack, *stack_end; /* the value stack */
    wf_slot *sp;                /* first free slot for a nested call */
    wf_frame *frames, *frames_end, *fsp;
    wf_memory *mem;             /* memory 0 of the running instance, for the fault handler */
    sigjmp_buf *trap_jmp;       /* the innermost call's trap point */
    volatile uint32_t *interrupt; /* nonzero: stop at the next check */
    int in_wasm;                /* 1 while the interpreter runs (not in a host function) */
    int depth;                  /* host -> wasm nesting */
    /* The CPU's general registers at a guard-page fault, for the trap's
     * backtrace (the interpreter keeps its pc and frame pointer there). */
    uintptr_t fault_regs[40];
    int nfault_regs;
    /* The compiled tier (jit/): compiled code traps when the native stack
     * pointer goes below jit_stack_limit; a trap it raises leaves its error
     * in jit_err before jumping to trap_jmp (NULL there: a guard-page
     * fault, "out of bounds memory access"). */
    uintptr_t jit_stack_limit;
    wf_error *jit_err;
    /* The configured stack limit (wf_exec_set_stack_limit, 0: none): for
     * the interpreter stack_end and frames_end, for compiled code
     * jit_stack_limit, set from it at each top-level call. */
    size_t stack_limit_bytes;
    /* A tail call compiled code could not make as a native jump (to an
     * interpreted or host function, a function of another signature or
     * instance): it leaves the callee here and its arguments in
     * tail_args, and returns; whoever called it natively makes the call
     * in its place (interp.c's JIT_ENTER as an interpreted tail call,
     * jit/rt.c otherwise), so a chain of tail calls across the tiers
     * grows neither stack. NULL at every other time. */
    struct wf_func *tail_callee;
    wf_instance *tail_caller;   /* the instance making it (a host callee's caller) */
    wf_slot *tail_args;         /* malloc'd, tail_cap slots */
    uint32_t tail_cap;
    /* The exception in flight (exn.h), NULL at every other time; and the
     * innermost catch point of one raised in native code: a compiled
     * try_table's jmp_buf or wf_exn_call_native's (NULL: none in this
     * top-level call). */
    struct wf_exn *exn;
    jmp_buf *exn_jmp;
} wf_thread;

wf_thread *wf_thread_get(void);

/* A compiled function's entry (jit/): arguments in fp[0..nparams), results
 * written to fp[0..nresults); traps leave through t->trap_jmp. */
typedef void (*wf_jit_entry_fn)(wf_thread *t, wf_instance *inst, wf_slot *fp);

/* Run f with its arguments in fp[0..nparams); results in fp[0..nresults).
 * The frame stack and value stack of t are used from t->fsp and fp up. */
wf_error *wf_interp_run(wf_thread *t, wf_func *f, wf_slot *fp);

#endif
